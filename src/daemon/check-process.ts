// The checker child (keepalived's Keepalived_healthcheckers): the checker engine (in this thread
// for up to 2,000 checkers, else in worker threads, as many as a large config needs) and the IPVS
// table it drives. It runs in its own process, so nothing it does can delay an advert of the VRRP
// child. SIGHUP reload, SIGTERM stop (lvs_flush_on_stop, omega scripts), SIGUSR1 writes
// keepalived_check.data in $TMPDIR or /tmp.
import type { Flags } from './cli.js';
import type { DaemonStatus } from './control.js';
import { dumpPath } from './dumps.js';
import { EXIT_FATAL, serveParent } from './ipc.js';
import { LvsRunner } from './lvs.js';
import { removePidFile, runChild, startChild, writeDump } from './process-common.js';


export async function runCheckProcess(flags: Flags): Promise<number> {
  const child = startChild('check', flags);
  const { log, pidFile } = child;
  const dryRun = !!flags['ipvs-dry-run'];
  const lvs = new LvsRunner(child.config, {
    dryRun, log,
    openIpvs: async () => (await import('../ipvs/client.js')).openIpvs(),
    // Up to 2,000 checkers the engine runs in this process's own thread (the process already
    // keeps checks apart from the adverts); beyond, in worker threads across the cores.
    newWorker: async () => new (await import('../check/worker.js')).CheckerWorker({ inThreadUpTo: 2000 }),
  });
  try {
    await lvs.start();
  } catch (e) {
    log.error(`cannot start the checkers: ${(e as Error).message}`);
    removePidFile(pidFile);
    return EXIT_FATAL;
  }
  serveParent({
    status: async () => checkStatus(lvs, dryRun),
    vrrpState: (instance, state) => lvs.syncState(instance, state),
  });

  process.on('SIGUSR1', () => {
    void (async () => {
      const snap = await lvs.snapshot().catch(() => undefined);
      const { renderDryRun } = await import('../check/dry-run.js');
      writeDump(dumpPath('keepalived_check.data'), snap ? renderDryRun(snap) : '', log);
    })();
  });
  return runChild('checker', child, {
    reload: async (config) => {
      await lvs.reload(config);
      return `${config.virtual_servers.length} virtual servers`;
    },
    stop: () => lvs.stop(),
  });
}

/** The checker half of `keel status`. */
async function checkStatus(lvs: LvsRunner, dryRun: boolean): Promise<Pick<DaemonStatus, 'virtualServers' | 'ipvs' | 'checks'> & { metricSets?: unknown[][] }> {
  const [snap, metricSets] = await Promise.all([lvs.snapshot(), lvs.metrics()]);
  if (!snap) return {};
  return {
    virtualServers: snap.virtualServers,
    ipvs: { dryRun, table: snap.table, operations: lvs.operations },
    checks: { attempts: snap.attempts, failures: snap.failures },
    // For the parent's /metrics only (not part of the status document).
    metricSets,
  };
}
