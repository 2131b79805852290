// What the parent and both children share: the config they read, their pid files, their logger,
// how they report config problems and write dumps.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Config } from '../config/types.js';
import { loadConfigFile } from '../config/build.js';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import type { Flags } from './cli.js';
import { createLogger, IDENT_CHECKERS, IDENT_PARENT, IDENT_VRRP, logFileName, logOptionsFromFlags, type Logger } from './log.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
/** keepalived's defaults (without --pid-dir): the parent, the VRRP child, the checker child. */
export const DEFAULT_PID = '/run/keepalived.pid';
export const DEFAULT_VRRP_PID = '/run/vrrp.pid';
export const DEFAULT_CHECKERS_PID = '/run/checkers.pid';
/** How long a stop may take before the process gives up waiting for the kernel. */
export const STOP_GRACE_MS = 5000;

export function configFile(flags: Flags): string {
  return flags['use-file'] ?? DEFAULT_CONFIG;
}

export function loadOptions(flags: Flags): Parameters<typeof loadConfigFile>[1] {
  const opts: Parameters<typeof loadConfigFile>[1] = {};
  if (flags['config-id'] !== undefined) opts.configId = flags['config-id'];
  return opts;
}

export type ProcessKind = 'parent' | 'vrrp' | 'check';

/**
 * Each process logs for itself, as keepalived's do: syslog under its own ident (unless -G), the
 * console with -l, and with -g its own file (keepalived's names: -g /x/ka.log gives the children
 * /x/ka_vrrp.log and /x/ka_checker.log).
 */
export function loggerFor(flags: Flags, kind: ProcessKind): Logger {
  const ident = kind === 'parent' ? IDENT_PARENT : kind === 'vrrp' ? IDENT_VRRP : IDENT_CHECKERS;
  const o = logOptionsFromFlags(flags, ident);
  if (flags['log-file'] !== undefined) o.file = kind === 'parent' ? logFileName(flags['log-file']) : logFileName(flags['log-file'], kind === 'vrrp' ? 'vrrp' : 'checker');
  return createLogger(o);
}

/**
 * global_defs for this process: its name (process_name, vrrp_process_name, checker_process_name:
 * what ps and top show) and its nice value (vrrp_priority, checker_priority). Applied at start,
 * before any worker thread exists, so the threads inherit the nice value.
 */
export function applyProcessSettings(kind: ProcessKind, c: Config, log: Logger): void {
  const g = c.global_defs;
  const name = kind === 'parent' ? g.process_name : kind === 'vrrp' ? g.vrrp_process_name : g.checker_process_name;
  if (name) process.title = name;
  const nice = kind === 'vrrp' ? g.vrrp_priority : kind === 'check' ? g.checker_priority : 0;
  if (nice) {
    try {
      setPriority(nice);
    } catch (e) {
      log.error(`cannot set ${kind === 'vrrp' ? 'vrrp' : 'checker'}_priority ${nice}: ${(e as Error).message}`);
    }
  }
}

/**
 * The part of the config a child acts on: each process reads the whole file (as keepalived's do)
 * but keeps only its own part, so ten thousand real servers do not weigh on the VRRP process.
 */
export function partFor(kind: ProcessKind, c: Config): Config {
  const noVrrp = { vrrp_instances: [], vrrp_sync_groups: [], vrrp_scripts: [], vrrp_track_processes: [], track_files: [] };
  const noLvs = { virtual_servers: [], virtual_server_groups: [] };
  if (kind === 'vrrp') return { ...c, ...noLvs };
  if (kind === 'check') return { ...c, ...noVrrp };
  return { ...c, ...noVrrp, ...noLvs };
}

export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** keepalived refuses to start twice with the same pid file. */
export function claimPidFile(path: string, log: Logger): boolean {
  if (existsSync(path)) {
    const old = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(old) && old > 0 && old !== process.pid && running(old)) {
      log.error(`daemon is already running (pid ${old} in ${path})`);
      return false;
    }
  }
  writePidFile(path, log);
  return true;
}

export function writePidFile(path: string, log: Logger): void {
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (e) {
    log.error(`cannot write pid file ${path}: ${(e as Error).message}`);
  }
}

/** Removed only when it still names this process (a respawned child may have rewritten it). */
export function removePidFile(path: string): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Problems as errors; notices (e.g. a script disabled by script security) as information. */
export function logDiagnostics(list: readonly Diagnostic[], log: Logger): void {
  for (const d of list) {
    if (d.severity === 'error' || d.severity === 'warning' || d.severity === 'security') log.error(formatDiagnostic(d));
    else if (d.severity === 'notice' && !/not yet acted on/.test(d.message)) log.info(formatDiagnostic(d));
  }
}

export function blocking(list: readonly Diagnostic[]): Diagnostic[] {
  return list.filter((d) => d.severity === 'error' || d.severity === 'security');
}

export function writeDump(path: string, text: string, log: Logger): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    log.error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * Run `stop` once on SIGTERM/SIGINT or when the parent goes away (keepalived's children get
 * SIGTERM from the kernel when their parent dies), `reload` on SIGHUP, never two at once.
 */
export function onLifecycleSignals(h: { stop: (why: string) => void; reload: () => Promise<void> }): void {
  let reloading = false;
  process.on('SIGTERM', () => h.stop('SIGTERM'));
  process.on('SIGINT', () => h.stop('SIGINT'));
  process.on('disconnect', () => h.stop('parent exited'));
  process.on('SIGHUP', () => {
    if (reloading) return;
    reloading = true;
    h.reload().finally(() => { reloading = false; });
  });
}
