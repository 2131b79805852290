// Running the daemon: `keel [-n] [-l] [-D] [-P|-C] -f FILE [-p PID] [-r VRRP_PID] [-c CHECK_PID]`.
// As keepalived: a parent that reads the config, runs the startup/shutdown scripts and supervises
// a VRRP child and a checker child (each started only when the config has work for it, or with
// --all), respawning one that dies unless -R. The parent also serves the control socket and the
// optional HTTP endpoint, asking its children for their live state. Without -n it detaches first.
import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { loadConfigFile } from '../config/build.js';
import type { Config } from '../config/types.js';
import { runLifecycleScript } from '../notify/lifecycle.js';
import type { Flags } from './cli.js';
import { closeControl, DEFAULT_CONTROL, serveControl, type DaemonStatus } from './control.js';
import { ChildChannel, EXIT_FATAL, ROLE_ENV, type ChildRole, type FromChild } from './ipc.js';
import {
  applyProcessSettings, releaseParseMemory, enterNamespace, partFor, blocking, claimPidFile, configFile, DEFAULT_CONFIG, loadOptions, loggerFor, logDiagnostics, removePidFile, STOP_GRACE_MS,
} from './process-common.js';
import type { Logger } from './log.js';

export { DEFAULT_CONFIG };

/** Without -n keepalived detaches; keel starts itself again in the background with -n. */
function daemonize(argv: readonly string[]): number {
  const child = spawn(process.execPath, [process.argv[1]!, ...argv, '--dont-fork'], { detached: true, stdio: 'ignore' });
  child.unref();
  return 0;
}

export async function runDaemon(flags: Flags, argv: readonly string[]): Promise<number> {
  if (!flags['dont-fork']) return daemonize(argv);
  const role = process.env[ROLE_ENV];
  // Scripts the children run must not inherit the marker.
  delete process.env[ROLE_ENV];
  if (role === 'vrrp') return (await import('./vrrp-process.js')).runVrrpProcess(flags);
  if (role === 'check') return (await import('./check-process.js')).runCheckProcess(flags);
  return runParent(flags, argv);
}

const NAMES: Record<ChildRole, string> = { vrrp: 'VRRP', check: 'Healthcheck' };

interface Child {
  role: ChildRole;
  channel: ChildChannel;
  startedAt: number;
  restarts: number;
  exited: Promise<void>;
}

/** Which children a config needs (keepalived: -P / -C, or the config's content, or --all). */
function rolesFor(flags: Flags, c: Config): ChildRole[] {
  const roles: ChildRole[] = [];
  if (!flags.check && (flags.all || c.vrrp_instances.length > 0)) roles.push('vrrp');
  if (!flags.vrrp && (flags.all || c.virtual_servers.length > 0)) roles.push('check');
  return roles;
}

/**
 * keepalived's respawn back-off: a child that ran for a minute or more is restarted at once and
 * the back-off is reset; otherwise the delay is the one the previous quick death set (none the
 * first time), and the next one is 1 s, then doubled, up to 60 s.
 */
export function restartDelay(ranMs: number, next: number): { delay: number; next: number } {
  if (ranMs >= 60_000) return { delay: 0, next: 0 };
  return { delay: next, next: !next ? 1 : next > 30 ? 60 : next * 2 };
}

async function runParent(flags: Flags, argv: readonly string[]): Promise<number> {
  const log = loggerFor(flags, 'parent');
  const file = configFile(flags);
  const pidFile = flags.pid ?? '/run/keepalived.pid';
  log.info('Starting keel (keepalived 2.2.7 compatible)');
  if (!existsSync(file)) {
    log.error(`Configuration file '${file}' does not exist`);
    return 1;
  }
  if (!claimPidFile(pidFile, log)) return 1;
  const startedAt = new Date().toISOString();
  let loaded = loadConfigFile(file, loadOptions(flags));
  if (flags.namespace || loaded.config.root.net_namespace) {
    if (!enterNamespace(flags, loaded.config, log)) {
      removePidFile(pidFile);
      return 1;
    }
    // Read again inside: interfaces are checked in the namespace keel runs in.
    loaded = loadConfigFile(file, loadOptions(flags));
  }
  logDiagnostics(loaded.diagnostics.list, log);
  let current = loaded.config;
  // An async function's locals live as long as it does: drop the parse result (the diagnostics
  // of a large config are large) so that only the slimmed config below stays.
  loaded = undefined as unknown as typeof loaded;
  applyProcessSettings('parent', current, log);
  if (flags['dump-conf']) {
    const { configToJson } = await import('../config/json.js');
    for (const line of configToJson(current).split('\n')) log.info(line);
  }

  // prom-client is loaded only when the endpoint is asked for (it costs the parent ~5 MB).
  const web = flags.http !== undefined ? await import('./metrics.js') : undefined;
  const listen = flags.http !== undefined ? web!.parseListen(flags.http) : undefined;
  if (flags.http !== undefined && !listen) {
    log.error(`--http '${flags.http}' is not [ADDR:]PORT`);
    removePidFile(pidFile);
    return 1;
  }

  const children = new Map<ChildRole, Child>();
  /** Each instance's last state, for a checker child started later (lvs_sync_daemon). */
  const vrrpStates = new Map<string, string>();
  const delays: Record<ChildRole, number> = { vrrp: 0, check: 0 };
  let stopping = false;
  let exitCode = 0;
  let stopAll: (why: string, code?: number) => void = () => undefined;
  const metrics = listen && web ? new web.Metrics() : undefined;

  const onEvent = (m: FromChild): void => {
    if (m.type !== 'transition') return;
    vrrpStates.set(m.instance, m.to);
    metrics?.transition(m.instance, m.to);
    children.get('check')?.channel.send({ type: 'vrrp-state', instance: m.instance, state: m.to });
  };

  const startChild = (role: ChildRole, restarts = 0): void => {
    const proc = fork(process.argv[1]!, [...argv], {
      env: { ...process.env, [ROLE_ENV]: role },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const channel = new ChildChannel(proc, onEvent);
    const child: Child = {
      role, channel, startedAt: Date.now(), restarts,
      exited: new Promise((resolve) => proc.once('exit', (code, signal) => {
        resolve();
        if (children.get(role)?.channel === channel) children.delete(role);
        if (!stopping) childDied(role, child, proc.pid ?? 0, code, signal);
      })),
    };
    children.set(role, child);
    log.info(`Starting ${NAMES[role]} child process, pid=${proc.pid}`);
    if (role === 'check') for (const [instance, state] of vrrpStates) channel.send({ type: 'vrrp-state', instance, state });
  };

  const childDied = (role: ChildRole, child: Child, pid: number, code: number | null, signal: NodeJS.Signals | null): void => {
    if (code === EXIT_FATAL) {
      log.error(`${NAMES[role]} child process(${pid}) exited with a fatal error: stopping`);
      stopAll('child failed', 1);
      return;
    }
    if (flags['dont-respawn']) {
      log.error(`${NAMES[role]} child process(${pid}) died: Exiting`);
      stopAll('child died');
      return;
    }
    // keepalived's wording (without its plea to report a bug: a crash here is keel's to fix).
    log.error(`${NAMES[role]} child process(${pid}) died: Respawning${signal ? ` (${signal})` : code !== null ? ` (exit ${code})` : ''}`);
    const { delay, next } = restartDelay(Date.now() - child.startedAt, delays[role]);
    delays[role] = next;
    if (!delay) {
      startChild(role, child.restarts + 1);
      return;
    }
    log.info(`Restart of ${NAMES[role]} process delayed ${delay} seconds to limit respawn rate`);
    setTimeout(() => { if (!stopping && !children.has(role)) startChild(role, child.restarts + 1); }, delay * 1000).unref();
  };

  const roles = rolesFor(flags, current);
  // The parent needs only global_defs from here on (scripts, names); the children hold the rest.
  current = partFor('parent', current);
  await runLifecycleScript('startup', current, log);
  for (const role of roles) startChild(role);
  releaseParseMemory();

  const gather = async (): Promise<{ st: DaemonStatus; metricSets: unknown[][] }> => {
    const ask = async (role: ChildRole): Promise<Record<string, unknown>> => {
      const c = children.get(role);
      if (!c) return {};
      try {
        return (await c.channel.request('status')) as Record<string, unknown>;
      } catch (e) {
        return { error: `${NAMES[role]} process: ${(e as Error).message}` };
      }
    };
    const [v, k] = await Promise.all([ask('vrrp'), ask('check')]);
    const st: DaemonStatus = {
      pid: process.pid, version: 'keel (keepalived 2.2.7 compatible)', config: file, startedAt,
      instances: (v.instances as DaemonStatus['instances'] | undefined) ?? [],
      processes: [...children.values()].map((c) => ({
        role: c.role, pid: c.channel.proc.pid ?? 0, startedAt: new Date(c.startedAt).toISOString(), restarts: c.restarts,
      })),
    };
    if (v.counters) st.counters = v.counters;
    if (k.virtualServers) st.virtualServers = k.virtualServers as unknown[];
    if (k.ipvs) st.ipvs = k.ipvs as DaemonStatus['ipvs'];
    if (k.checks) st.checks = k.checks as DaemonStatus['checks'];
    const errors = [v.error, k.error].filter((e): e is string => typeof e === 'string');
    if (errors.length) st.errors = errors;
    return { st, metricSets: (k.metricSets as unknown[][] | undefined) ?? [] };
  };
  const fullStatus = async (): Promise<DaemonStatus> => (await gather()).st;

  const controlPath = flags.control ?? DEFAULT_CONTROL;
  let control: Server | undefined;
  try {
    control = serveControl(controlPath, fullStatus, (m) => log.error(m));
  } catch (e) {
    log.error(`control socket ${controlPath}: ${(e as Error).message}`);
  }
  let http: HttpServer | undefined;
  if (listen && metrics && web) {
    http = web.serveHttp(listen, fullStatus, metrics, (m) => log.error(m), async () => {
      const g = await gather();
      metrics.update(g.st, g.metricSets);
    });
  }

  return new Promise<number>((resolve) => {
    // SIGHUP: each child reads the new config and, when it has no errors, applies its part as a
    // difference; with errors it keeps running the old one (each child sees the same file, so
    // both refuse). The children are told first, so that the parent's own read (to log the
    // problems with their lines once, and to start a child the new config needs) runs beside
    // theirs rather than before them.
    const reload = (): void => {
      log.info('Reloading');
      for (const c of children.values()) signalChild(c, 'SIGHUP');
      const next = loadConfigFile(file, loadOptions(flags));
      logDiagnostics(next.diagnostics.list, log);
      const bad = blocking(next.diagnostics.list);
      if (bad.length) {
        log.error(`Reload failed: ${bad.length} error${bad.length === 1 ? '' : 's'} in ${file}; keeping the running configuration`);
        return;
      }
      current = partFor('parent', next.config);
      for (const role of rolesFor(flags, next.config)) if (!children.has(role)) startChild(role);
    };
    stopAll = (why: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      // The children first (the VRRP child's priority-0 adverts should not wait for a log line).
      for (const c of children.values()) signalChild(c, 'SIGTERM');
      log.info(`Stopping (${why})`);
      const waits = [...children.values()].map((c) => {
        // A child that does not finish in time is killed; the kernel state it left is cleaned
        // at the next start.
        const kill = setTimeout(() => signalChild(c, 'SIGKILL'), STOP_GRACE_MS + 1000);
        return c.exited.finally(() => clearTimeout(kill));
      });
      void Promise.all(waits)
        .then(() => runLifecycleScript('shutdown', current, log))
        .catch((e: Error) => log.error(e.message))
        .finally(() => {
          if (control) closeControl(control, controlPath);
          http?.close();
          removePidFile(pidFile);
          log.info('Stopped keel');
          resolve(exitCode);
        });
    };
    process.on('SIGTERM', () => stopAll('SIGTERM'));
    process.on('SIGINT', () => stopAll('SIGINT'));
    process.on('SIGHUP', () => { if (!stopping) reload(); });
    for (const sig of ['SIGUSR1', 'SIGUSR2'] as const) {
      process.on(sig, () => { for (const c of children.values()) signalChild(c, sig); });
    }
    if (!children.size) log.info('Nothing to run: the configuration has no VRRP instances and no virtual servers');
  });
}

function signalChild(c: Child, signal: NodeJS.Signals): void {
  const p = c.channel.proc;
  if (p.exitCode !== null || p.signalCode !== null || !p.pid) return;
  try {
    p.kill(signal);
  } catch {
    // Exited meanwhile.
  }
}

export type { Logger };
