// What the parent and both children share: the config they read, their pid files, their logger,
// how they report config problems and write dumps.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Config } from '../config/types.js';
import { keelNet } from '../net/native.js';
import { LoadCache, loadConfigFile } from '../config/build.js';
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

/**
 * Does the interface exist in this process's network namespace? Asked of the kernel (ioctl
 * through the addon): /sys/class/net shows the namespace sysfs was mounted in, which is not this
 * one after -s / net_namespace. Without the addon, /sys is all there is.
 */
function interfaceHere(name: string): boolean {
  let net: ReturnType<typeof keelNet>;
  try {
    net = keelNet();
  } catch {
    return existsSync(`/sys/class/net/${name}`);
  }
  try {
    net.interfaceInfo(name);
    return true;
  } catch {
    return false;
  }
}

export function loadOptions(flags: Flags): Parameters<typeof loadConfigFile>[1] {
  const opts: Parameters<typeof loadConfigFile>[1] = { interfaceExists: interfaceHere };
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
 * global_defs for this process, as keepalived applies them to each of its processes: the name
 * (process_name, vrrp_process_name, checker_process_name: what ps shows), the nice value
 * (vrrp_priority, checker_priority), real-time scheduling with its RLIMIT_RTTIME and CPU affinity
 * (through the addon: Node has no call for them). Applied at start on the main thread,
 * before any worker thread exists, so the threads inherit them. A setting that fails is logged and
 * the process runs without it.
 */
export function applyProcessSettings(kind: ProcessKind, c: Config, log: Logger): void {
  const g = c.global_defs;
  const name = kind === 'parent' ? g.process_name : kind === 'vrrp' ? g.vrrp_process_name : g.checker_process_name;
  if (name) process.title = name;
  if (kind === 'parent') return;
  const p = kind === 'vrrp'
    ? { what: 'vrrp', nice: g.vrrp_priority, rt: g.vrrp_rt_priority, rttime: g.vrrp_rlimit_rttime, cpus: g.vrrp_cpu_affinity, noSwap: g.vrrp_no_swap }
    : { what: 'checker', nice: g.checker_priority, rt: g.checker_rt_priority, rttime: g.checker_rlimit_rttime, cpus: g.checker_cpu_affinity, noSwap: g.checker_no_swap };
  const attempt = (setting: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      log.error(`cannot set ${p.what}_${setting}: ${(e as Error).message}`);
    }
  };
  if (p.nice) attempt('priority', () => setPriority(p.nice));
  // mlockall() under V8 aborts the process when V8 later changes its code pages' permissions.
  if (p.noSwap) log.info(`${p.what}_no_swap is not applied: Node's engine cannot run with its memory locked`);
  if (p.rt || p.cpus?.length) {
    let net: ReturnType<typeof keelNet>;
    try {
      net = keelNet();
    } catch (e) {
      log.error(`${p.what} process settings: ${(e as Error).message}`);
      return;
    }
    if (p.rt) {
      attempt('rlimit_rttime', () => net.setRlimitRttime(Math.max(1, Math.round(p.rttime * 1e6))));
      // The soft limit's SIGXCPU (repeated each second while it lasts) is a warning, not an end.
      let warned = 0;
      process.on('SIGXCPU', () => {
        if (Date.now() - warned < 60_000) return;
        warned = Date.now();
        log.info(`${p.what} process ran ${p.rttime} s of real-time CPU without blocking (${p.what}_rlimit_rttime)`);
      });
      attempt('rt_priority', () => net.setRealtime(p.rt!));
    }
    if (p.cpus?.length) attempt('cpu_affinity', () => net.setAffinity(p.cpus!));
  }
}

/**
 * -s NAME, or net_namespace NAME in the config: the parent enters /run/netns/NAME (as `ip netns
 * exec` would) before it opens anything or starts a child; the children inherit it. false when the
 * namespace cannot be entered (logged: keepalived exits then).
 */
export function enterNamespace(flags: Flags, c: Config, log: Logger): boolean {
  const configured = c.root.net_namespace;
  const name = flags.namespace ?? configured;
  if (!name) return true;
  if (flags.namespace && configured && configured !== flags.namespace) {
    log.info(`Overriding config net_namespace '${configured}' with command line namespace '${flags.namespace}'`);
  }
  try {
    keelNet().enterNetns(name.includes('/') ? name : `/run/netns/${name}`);
    return true;
  } catch (e) {
    log.error(`Unable to set network namespace ${name} - exiting (${(e as Error).message})`);
    return false;
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

/**
 * Give back what parsing a large config took: the parse's garbage (a 10,000-server config is
 * hundreds of MB at its peak) would otherwise stay in the heap, and in RSS, until V8 decides to
 * collect it. Node exposes gc() only behind a V8 flag, which can be set at run time.
 */
export function releaseParseMemory(): void {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    gc?.();
  } catch {
    // Without it V8 collects in its own time.
  }
}

export interface ChildStart {
  log: Logger;
  file: string;
  pidFile: string;
  /** This child's part of the config. */
  config: Config;
  /** Read the file again for SIGHUP: this child's part, or undefined (logged) when it has errors. */
  reread(): Config | undefined;
}

/**
 * What both children do first: their logger, their pid file, their part of the config (the
 * parent logs the config's problems), their process settings, and the parse's memory returned.
 */
export function startChild(kind: 'vrrp' | 'check', flags: Flags): ChildStart {
  const log = loggerFor(flags, kind);
  const file = configFile(flags);
  const pidFile = (kind === 'vrrp' ? flags.vrrp_pid : flags.checkers_pid) ?? (kind === 'vrrp' ? DEFAULT_VRRP_PID : DEFAULT_CHECKERS_PID);
  writePidFile(pidFile, log);
  // The checker child keeps its last load (LoadCache) so that a reload parses and builds only what
  // changed, at the cost of the syntax trees' memory (~80 MB for 30,000 real servers); the parent
  // and the VRRP child do not keep them.
  const cache = kind === 'check' ? new LoadCache() : undefined;
  const options = (): Parameters<typeof loadConfigFile>[1] => ({ ...loadOptions(flags), ...(cache ? { cache } : {}) });
  const config = partFor(kind, loadConfigFile(file, options()).config);
  applyProcessSettings(kind, config, log);
  releaseParseMemory();
  return {
    log, file, pidFile, config,
    reread() {
      const loaded = loadConfigFile(file, options());
      if (blocking(loaded.diagnostics.list).length) {
        // The parent logs the problems with their lines.
        log.error(`Reload failed: ${file} has errors; keeping the running configuration`);
        return undefined;
      }
      return partFor(kind, loaded.config);
    },
  };
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

/** What a child does on SIGHUP and on stop; runChild() does the rest. */
export interface ChildLifecycle {
  /** Apply a config read again without errors; resolves with the "Reload finished: ..." detail. */
  reload(config: Config): Promise<string>;
  /** Stop. Its work up to its first await runs at once, before anything else of the stop. */
  stop(): Promise<void>;
  /** Last, after the stop finished or its grace time ran out. */
  closed?(): void;
}

/**
 * A child's life after start: SIGHUP re-reads the file (never two reloads at once; a file with
 * errors keeps the running config), SIGTERM/SIGINT or the parent going away (keepalived's
 * children get SIGTERM from the kernel when their parent dies) stop it once, within
 * STOP_GRACE_MS. Resolves with the exit code once stopped, its pid file removed.
 */
export function runChild(name: string, child: ChildStart, h: ChildLifecycle): Promise<number> {
  const { log } = child;
  return new Promise<number>((resolve) => {
    let stopping = false;
    let reloading = false;
    const reload = async (): Promise<void> => {
      const config = child.reread();
      if (!config) return;
      try {
        log.info(`Reload finished: ${await h.reload(config)}`);
      } catch (e) {
        log.error(`Reload failed: ${(e as Error).message}`);
      }
    };
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      const work = h.stop();
      log.detail(`${name} process stopping (${why})`);
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        h.closed?.();
        removePidFile(child.pidFile);
        resolve(0);
      };
      const force = setTimeout(done, STOP_GRACE_MS);
      work.catch((e: Error) => log.error(e.message)).finally(() => {
        clearTimeout(force);
        done();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('disconnect', () => stop('parent exited'));
    process.on('SIGHUP', () => {
      if (reloading || stopping) return;
      reloading = true;
      void reload().finally(() => { reloading = false; });
    });
  });
}
