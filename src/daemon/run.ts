// Running the daemon: `keel [-n] [-l] [-D] [-P] -f FILE [-p PIDFILE]`. Forks into the background
// unless -n, writes the pid file, starts the VRRP engine on the kernel's ports, and stops cleanly
// on SIGTERM/SIGINT (priority-0 adverts, VIPs released, VMACs removed, pid file removed).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { loadConfigFile } from '../config/build.js';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { runLifecycleScript } from '../notify/lifecycle.js';
import { Notifier } from '../notify/notifier.js';
import { TrackerSet } from '../track/tracker-set.js';
import type { Config } from '../config/types.js';
import { realClock } from '../util/clock.js';
import { VrrpEngine, type NotifyEffect } from '../vrrp/engine.js';
import type { Flags } from './cli.js';
import { openKernelPorts } from './kernel-ports.js';
import { createLogger, type Logger } from './log.js';
import { formatDataDump, formatStatsDump } from './dumps.js';
import { closeControl, DEFAULT_CONTROL, serveControl, type DaemonStatus } from './control.js';
import type { Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { Metrics, parseListen, serveHttp } from './metrics.js';
import { LvsRunner } from './lvs.js';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
const DEFAULT_PID = '/run/keepalived.pid';
const DATA_DUMP = '/tmp/keepalived.data';
const STATS_DUMP = '/tmp/keepalived.stats';
/** How long a stop may take before the process gives up waiting for the kernel. */
const STOP_GRACE_MS = 5000;

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** keepalived refuses to start twice with the same pid file. */
function claimPidFile(path: string, log: Logger): boolean {
  if (existsSync(path)) {
    const old = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(old) && old > 0 && old !== process.pid && running(old)) {
      log.error(`daemon is already running (pid ${old} in ${path})`);
      return false;
    }
  }
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (e) {
    log.error(`cannot write pid file ${path}: ${(e as Error).message}`);
  }
  return true;
}

function removePidFile(path: string): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Without -n keepalived detaches; keel starts itself again in the background with -n. */
function daemonize(argv: readonly string[]): number {
  const child = spawn(process.execPath, [process.argv[1]!, ...argv, '--dont-fork'], { detached: true, stdio: 'ignore' });
  child.unref();
  return 0;
}

export async function runDaemon(flags: Flags, argv: readonly string[]): Promise<number> {
  if (!flags['dont-fork']) return daemonize(argv);
  const log = createLogger({ console: !!flags['log-console'], detail: !!flags['log-detail'], file: flags['log-file'] });
  const file = flags['use-file'] ?? DEFAULT_CONFIG;
  const pidFile = flags.pid ?? DEFAULT_PID;
  log.info('Starting keel (keepalived 2.2.7 compatible)');
  if (!claimPidFile(pidFile, log)) return 1;
  if (flags.vrrp_pid) claimPidFile(flags.vrrp_pid, log);

  const startedAt = new Date().toISOString();
  const opts: Parameters<typeof loadConfigFile>[1] = {};
  if (flags['config-id'] !== undefined) opts.configId = flags['config-id'];
  const { config, diagnostics } = loadConfigFile(file, opts);
  logDiagnostics(diagnostics.list, log);
  if (diagnostics.list.some((d) => d.severity === 'error' && /not exist|cannot open|No such file/i.test(d.message)) && !existsSync(file)) {
    log.error(`Configuration file '${file}' does not exist`);
    removePidFile(pidFile);
    return 1;
  }

  let engine: VrrpEngine | undefined;
  let lvs: LvsRunner | undefined;
  let metrics: Metrics | undefined;
  let http: HttpServer | undefined;
  const listen = flags.http !== undefined ? parseListen(flags.http) : undefined;
  if (flags.http !== undefined && !listen) {
    log.error(`--http '${flags.http}' is not [ADDR:]PORT`);
    removePidFile(pidFile);
    return 1;
  }
  if (listen) {
    metrics = new Metrics({
      status: () => statusOf(engine, file, startedAt),
      adverts: () => (engine?.instances ?? []).map((s) => ({ instance: s.params.name, sent: s.stats.advertSent, received: s.stats.advertRcvd })),
      dropped: () => ({ ...(engine?.counters.dropped ?? {}) }) as Record<string, number>,
    });
  }
  let closePorts: (() => void) | undefined;
  // Notify scripts, FIFOs and mail for VRRP transitions; tracked scripts, files and processes.
  let notifier: Notifier | undefined;
  let trackers: TrackerSet | undefined;
  const startTrackers = (c: Config): void => {
    trackers = new TrackerSet(c, log);
    for (const t of trackers.initial()) engine?.setTracker(t.kind, t.name, t.value);
  };
  const startVrrp = async (c: Config): Promise<void> => {
    const ports = await openKernelPorts();
    closePorts = ports.close;
    notifier = new Notifier(c, log, { priorityOf: (n) => engine?.instance(n)?.effectivePriority });
    engine = new VrrpEngine({
      ...ports, clock: realClock, log,
      onNotify: (e: NotifyEffect) => {
        log.detail(describeNotify(e));
        notifier?.handle(e);
      },
      onTransition: (t) => {
        metrics?.transition(t.instance, t.to);
        lvs?.syncState(t.instance, t.to);
      },
      keepAddressesOnStop: !!flags['dont-release-vrrp'],
    });
    notifier.open();
    startTrackers(c);
    await engine.start(c);
    trackers?.start((kind, name, value) => engine?.setTracker(kind, name, value));
  };
  await runLifecycleScript('startup', config, log);
  if (!flags.check && config.vrrp_instances.length > 0) {
    try {
      await startVrrp(config);
    } catch (e) {
      log.error(`cannot start VRRP: ${(e as Error).message}`);
      removePidFile(pidFile);
      return 1;
    }
  }

  let current: Config = config;
  // Virtual servers: checkers in worker threads, their table to IPVS (or kept, with --ipvs-dry-run).
  if (!flags.vrrp && config.virtual_servers.length > 0) {
    lvs = new LvsRunner(config, {
      dryRun: !!flags['ipvs-dry-run'], log,
      openIpvs: async () => (await import('../ipvs/client.js')).openIpvs(),
      newWorker: async () => new (await import('../check/worker.js')).CheckerWorker(),
    });
    try {
      await lvs.start();
    } catch (e) {
      log.error(`cannot start the checkers: ${(e as Error).message}`);
    }
  }
  const fullStatus = async (): Promise<DaemonStatus> => {
    const st = statusOf(engine, file, startedAt);
    const snap = await lvs?.snapshot();
    if (snap) {
      st.virtualServers = snap.virtualServers;
      st.ipvs = { dryRun: !!flags['ipvs-dry-run'], table: snap.table, operations: lvs!.operations };
    }
    return st;
  };
  const controlPath = flags.control ?? DEFAULT_CONTROL;
  let control: Server | undefined;
  try {
    control = serveControl(controlPath, () => fullStatus(), (m) => log.error(m));
  } catch (e) {
    log.error(`control socket ${controlPath}: ${(e as Error).message}`);
  }

  if (listen && metrics) http = serveHttp(listen, () => fullStatus(), metrics, (m) => log.error(m));

  return new Promise<number>((resolve) => {
    let stopping = false;
    // SIGHUP: a config with errors is logged and ignored (the running one stays); a valid one is
    // applied as a difference (VrrpEngine.reload).
    const reload = async (): Promise<void> => {
      log.info('Reloading');
      const next = loadConfigFile(file, opts);
      const bad = next.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'security');
      logDiagnostics(next.diagnostics.list, log);
      if (bad.length) {
        log.error(`Reload failed: ${bad.length} error${bad.length === 1 ? '' : 's'} in ${file}; keeping the running configuration`);
        return;
      }
      try {
        if (engine) {
          // Trackers restart for the new config (scripts added or gone); values carry over by name.
          await trackers?.stop();
          notifier?.reload(next.config);
          startTrackers(next.config);
          const r = await engine.reload(next.config);
          trackers?.start((kind, name, value) => engine?.setTracker(kind, name, value));
          log.info(`Reload finished: ${r.kept.length} kept, ${r.updated.length} updated, ${r.removed.length} removed, ${r.added.length} added`);
        } else if (!flags.check && next.config.vrrp_instances.length > 0) {
          await startVrrp(next.config);
          log.info('Reload finished: VRRP started');
        }
        if (lvs) await lvs.reload(next.config);
        current = next.config;
      } catch (e) {
        log.error(`Reload failed: ${(e as Error).message}`);
      }
    };
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`Stopping (${signal})`);
      const done = (): void => {
        if (control) closeControl(control, controlPath);
        http?.close();
        closePorts?.();
        removePidFile(pidFile);
        if (flags.vrrp_pid) removePidFile(flags.vrrp_pid);
        log.info('Stopped keel');
        resolve(0);
      };
      const force = setTimeout(done, STOP_GRACE_MS);
      // As keepalived: running scripts (FIFO readers included) are stopped first, then the
      // instances send priority 0 and notify STOP, then the shutdown script.
      const vrrpStop = async (): Promise<void> => {
        const tracking = trackers?.stop();
        notifier?.terminateScripts();
        await tracking;
        await engine?.stop();
        await notifier?.close();
      };
      Promise.all([
        vrrpStop().catch((e: Error) => log.error(e.message)),
        (lvs ? lvs.stop() : Promise.resolve()).catch((e: Error) => log.error(e.message)),
      ]).then(() => runLifecycleScript('shutdown', current, log)).catch((e: Error) => log.error(e.message)).finally(() => {
        clearTimeout(force);
        done();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    let reloading = false;
    process.on('SIGHUP', () => {
      if (reloading || stopping) return;
      reloading = true;
      reload().finally(() => { reloading = false; });
    });
    process.on('SIGUSR1', () => {
      void (async () => {
        const snap = await lvs?.snapshot().catch(() => undefined);
        const extra = snap ? (await import('../check/dry-run.js')).renderDryRun(snap) : '';
        writeDump(DATA_DUMP, formatDataDump(current, engine) + extra, log);
      })();
    });
    process.on('SIGUSR2', () => writeDump(STATS_DUMP, formatStatsDump(engine), log));
  });
}

function statusOf(engine: VrrpEngine | undefined, config: string, startedAt: string): DaemonStatus {
  return {
    pid: process.pid,
    version: 'keel (keepalived 2.2.7 compatible)',
    config,
    startedAt,
    instances: (engine?.instances ?? []).map((s) => {
      const t = engine?.lastTransition.get(s.params.name);
      const master = s.state === 'MASTER'
        ? { address: s.params.srcAddress ?? '', priority: s.effectivePriority }
        : s.masterAddr ? { address: s.masterAddr, priority: s.masterPriority } : undefined;
      return {
        name: s.params.name, state: s.state, interface: s.params.interface, vrid: s.params.vrid,
        priority: s.basePriority, effectivePriority: s.effectivePriority,
        ...(master ? { master } : {}),
        ...(t ? { lastTransition: { from: t.from, to: t.to, at: new Date(t.at).toISOString(), cause: t.cause } } : {}),
        trackers: { ...s.trackers },
        vips: [...s.params.vips],
      };
    }),
    ...(engine ? { counters: engine.counters } : {}),
  };
}

/** Problems as errors; notices (e.g. a script disabled by script security) as information. */
function logDiagnostics(list: readonly Diagnostic[], log: Logger): void {
  for (const d of list) {
    if (d.severity === 'error' || d.severity === 'warning' || d.severity === 'security') log.error(formatDiagnostic(d));
    else if (d.severity === 'notice' && !/not yet acted on/.test(d.message)) log.info(formatDiagnostic(d));
  }
}

function writeDump(path: string, text: string, log: Logger): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    log.error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

function describeNotify(e: NotifyEffect): string {
  switch (e.type) {
    case 'notify': return `(${e.instance}) notify ${e.state} priority ${e.priority}`;
    case 'notify-group': return `(${e.group}) group notify ${e.state}`;
    case 'notify-priority': return `(${e.instance}) priority now ${e.priority} (${e.state})`;
    case 'notify-event': return `(${e.instance}) ${e.event}`;
  }
}

export type { Config };
