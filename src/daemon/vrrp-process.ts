// The VRRP child (keepalived's Keepalived_vrrp): the VRRP engine on the kernel's ports, its
// trackers, notify scripts and FIFOs. Its event loop does nothing else, so no health check can
// delay an advert. Signals as keepalived's child: SIGHUP reload, SIGTERM stop (priority 0),
// SIGUSR1 data dump, SIGUSR2 stats dump; it stops as well when the parent goes away.
import type { Config } from '../config/types.js';
import { Notifier } from '../notify/notifier.js';
import { TrackerSet } from '../track/tracker-set.js';
import { realClock } from '../util/clock.js';
import { VrrpEngine, type NotifyEffect } from '../vrrp/engine.js';
import type { Flags } from './cli.js';
import type { DaemonStatus } from './control.js';
import { dumpPath, formatDataDump, formatJsonDump, formatStatsDump } from './dumps.js';
import { EXIT_FATAL, serveParent, tell } from './ipc.js';
import { openKernelPorts } from './kernel-ports.js';
import { removePidFile, runChild, startChild, writeDump } from './process-common.js';


export async function runVrrpProcess(flags: Flags): Promise<number> {
  const child = startChild('vrrp', flags);
  const { log, pidFile } = child;
  let current: Config = child.config;

  let engine: VrrpEngine | undefined;
  let closePorts: (() => void) | undefined;
  let notifier: Notifier | undefined;
  let trackers: TrackerSet | undefined;
  const startTrackers = (c: Config): void => {
    trackers = new TrackerSet(c, log);
    for (const t of trackers.initial()) engine?.setTracker(t.kind, t.name, t.value);
  };
  try {
    const ports = await openKernelPorts();
    closePorts = ports.close;
    notifier = new Notifier(current, log, { priorityOf: (n) => engine?.instance(n)?.effectivePriority });
    engine = new VrrpEngine({
      ...ports, clock: realClock, log,
      onNotify: (e: NotifyEffect) => {
        log.detail(describeNotify(e));
        notifier?.handle(e);
      },
      onTransition: (t) => tell({ type: 'transition', instance: t.instance, from: t.from, to: t.to }),
      keepAddressesOnStop: !!flags['dont-release-vrrp'],
    });
    if (flags['address-monitoring']) {
      // keepalived's -a: every address change the kernel reports, in its wording.
      await ports.watchAddresses((c) => log.info(`Netlink reflector reports IP ${c.address} ${c.added ? 'added to' : 'removed from'} ${c.ifname}`));
    }
    notifier.open();
    startTrackers(current);
    await engine.start(current);
    trackers?.start((kind, name, value) => engine?.setTracker(kind, name, value));
  } catch (e) {
    log.error(`cannot start VRRP: ${(e as Error).message}`);
    closePorts?.();
    removePidFile(pidFile);
    return EXIT_FATAL;
  }
  const startedAt = new Date().toISOString();
  serveParent({ status: async () => vrrpStatus(engine, startedAt) });

  process.on('SIGUSR1', () => writeDump(dumpPath('keepalived.data'), formatDataDump(current, engine), log));
  process.on('SIGUSR2', () => {
    writeDump(dumpPath('keepalived.stats'), formatStatsDump(engine), log);
    writeDump(dumpPath('keepalived.json'), formatJsonDump(current, engine), log);
  });
  return runChild('VRRP', child, {
    reload: async (config) => {
      // Trackers restart for the new config (scripts added or gone); values carry over by name.
      await trackers?.stop();
      notifier?.reload(config);
      startTrackers(config);
      const r = await engine!.reload(config);
      trackers?.start((kind, name, value) => engine?.setTracker(kind, name, value));
      current = config;
      return `${r.kept.length} kept, ${r.updated.length} updated, ${r.removed.length} removed, ${r.added.length} added`;
    },
    // As keepalived's vrrp_terminate_phase1: every master sends priority 0 at once (first of all:
    // the rest of the stop has never run and costs hundreds of microseconds the backups need not
    // wait for); running scripts (FIFO readers included) are signalled, not waited for; then the
    // instances stop (VIPs removed, STOP notified).
    stop: async () => {
      engine?.releaseMasters();
      const tracking = trackers?.stop();
      notifier?.terminateScripts();
      await Promise.all([tracking, engine?.stop()]);
      await notifier?.close();
    },
    closed: () => closePorts?.(),
  });
}

/** The VRRP half of `keel status`. */
export function vrrpStatus(engine: VrrpEngine | undefined, startedAt: string): Pick<DaemonStatus, 'instances' | 'counters'> & { startedAt: string } {
  return {
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
        adverts: { sent: s.stats.advertSent, received: s.stats.advertRcvd },
      };
    }),
    ...(engine ? { counters: engine.counters } : {}),
  };
}

function describeNotify(e: NotifyEffect): string {
  switch (e.type) {
    case 'notify': return `(${e.instance}) notify ${e.state} priority ${e.priority}`;
    case 'notify-group': return `(${e.group}) group notify ${e.state}`;
    case 'notify-priority': return `(${e.instance}) priority now ${e.priority} (${e.state})`;
    case 'notify-event': return `(${e.instance}) ${e.event}`;
  }
}
