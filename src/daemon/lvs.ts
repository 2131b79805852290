// The daemon's LVS side: the checker engine (in worker threads, so no check can delay an advert)
// publishes the desired IPVS table; this applies it to the kernel through the reconciler, one
// reconcile at a time, coalescing bursts (only the latest table matters). With --ipvs-dry-run the
// kernel is never touched: the computed table is kept for the dumps and status.
import type { EngineSnapshot } from '../check/engine.js';
import type { CheckerWorker } from '../check/worker.js';
import type { Config } from '../config/types.js';
import type { IpvsClient } from '../ipvs/client.js';
import { serviceKeyText, type IpvsTable, type ServiceKey } from '../ipvs/table.js';
import type { Logger } from './log.js';

export interface LvsOptions {
  dryRun: boolean;
  log: Logger;
  /** The kernel client (not opened in dry-run mode). */
  openIpvs: () => Promise<IpvsClient>;
  /** The checker worker factory (dynamic import keeps VRRP-only runs light). */
  newWorker: () => Promise<CheckerWorker>;
}

export class LvsRunner {
  private worker?: CheckerWorker;
  private client?: IpvsClient;
  private config: Config;
  /** What keel programmed (its services, for ownership and stop). */
  private programmed: IpvsTable = { services: [] };
  private owned: ServiceKey[] = [];
  private pending?: IpvsTable;
  private busy = false;
  private started = false;
  /** The last table computed (dry run or not). */
  table: IpvsTable = { services: [] };
  operations = 0;

  constructor(config: Config, private readonly o: LvsOptions) {
    this.config = config;
  }

  async start(): Promise<void> {
    const { log } = this.o;
    if (!this.o.dryRun) {
      try {
        this.client = await this.o.openIpvs();
      } catch (e) {
        log.error(`IPVS: ${(e as Error).message}; checkers run, the table is not programmed (use --ipvs-dry-run to say so)`);
      }
    }
    this.worker = await this.o.newWorker();
    this.worker.on('log', (m: string) => log.info(m));
    this.worker.on('error', (e: Error) => log.error(`checker: ${e.message}`));
    this.worker.on('table', (t: IpvsTable) => this.apply(t));
    this.worker.start(this.config);
  }

  async reload(config: Config): Promise<void> {
    this.config = config;
    this.worker?.update(config);
  }

  async snapshot(): Promise<EngineSnapshot | undefined> {
    return this.worker?.snapshot();
  }

  /** The checker workers' metrics (prom-client JSON, one set per worker). */
  async metrics(): Promise<unknown[][]> {
    return (await this.worker?.metrics()) ?? [];
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    if (this.client && !this.o.dryRun) {
      const { stopIpvs, stopSyncDaemons } = await import('../ipvs/reconcile.js');
      const r = await stopIpvs(this.client, this.config, this.programmed);
      for (const e of r.errors) this.o.log.error(e.message);
      if (this.config.global_defs.lvs_sync_daemon) for (const e of await stopSyncDaemons(this.client)) this.o.log.error(e.message);
      this.client.close();
    }
  }

  private apply(t: IpvsTable): void {
    this.table = t;
    if (this.o.dryRun || !this.client) {
      this.o.log.detail(`IPVS (dry run): ${t.services.length} services, ${t.services.reduce((n, s) => n + s.dests.length, 0)} destinations`);
      return;
    }
    this.pending = t;
    if (!this.busy) void this.drain();
  }

  /** lvs_sync_daemon follows its VRRP instance: master -> the master daemon, else backup. */
  syncState(instance: string, state: string): void {
    const d = this.config.global_defs.lvs_sync_daemon;
    if (!d || d.instance !== instance || !this.client || this.o.dryRun) return;
    const role = state === 'MASTER' ? 'master' : 'backup';
    const client = this.client;
    void import('../ipvs/reconcile.js').then(async ({ setSyncDaemonState }) => {
      for (const e of await setSyncDaemonState(client, this.config, role)) this.o.log.error(e.message);
    });
  }

  private async drain(): Promise<void> {
    const { startIpvs, planReconcile, applyPlan } = await import('../ipvs/reconcile.js');
    this.busy = true;
    try {
      while (this.pending) {
        const t = this.pending;
        this.pending = undefined;
        // After the first (which reads the kernel), plan against what keel programmed last: a
        // checker verdict then costs exactly the netlink changes it implies, no table dump.
        const r = this.started
          ? await applyPlan(this.client!, planReconcile(t, this.programmed, this.owned))
          : await startIpvs(this.client!, this.config, t, { owned: this.owned });
        this.started = true;
        this.programmed = t;
        const known = new Set(this.owned.map(serviceKeyText));
        for (const s of t.services) if (!known.has(serviceKeyText(s.key))) this.owned.push(s.key);
        this.operations += r.applied;
        for (const e of r.errors) this.o.log.error(e.message);
      }
    } finally {
      this.busy = false;
    }
  }
}
