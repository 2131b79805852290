// The optional HTTP endpoint (off unless --http is given; 127.0.0.1 unless an address is named):
// GET /status is the control socket's JSON, GET /metrics the Prometheus text from prom-client.
// Metrics are collected when scraped (see Metrics below).
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, Counter, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { DaemonStatus } from './control.js';

const STATE_CODE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 4, DELETED: 5 };

type RsView = { rs: string; alive: boolean; weight: number };
type VsView = { vs: string; quorumUp: boolean; realServers: RsView[] };

/** One gauge whose values are recomputed from the latest status at each scrape. */
function gauge<L extends string>(r: Registry, name: string, help: string, labelNames: readonly L[], values: () => [Partial<Record<L, string>>, number][]): void {
  new Gauge({
    name, help, labelNames, registers: [r],
    collect() {
      this.reset();
      for (const [labels, v] of values()) this.set(labels, v);
    },
  });
}

/**
 * The parent's metrics. VRRP and IPVS figures come from the children's status (fetched for each
 * scrape); transitions are counted here as the VRRP child reports them (so they survive a
 * respawn); checker results and latencies are the checker workers' own prom-client metrics,
 * merged by AggregatorRegistry.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly transitions: Counter<'instance' | 'to'>;
  private snap?: DaemonStatus;
  private checkerSets: unknown[][] = [];

  constructor() {
    const r = this.registry;
    const inst = (): DaemonStatus['instances'] => this.snap?.instances ?? [];
    const vss = (): VsView[] => (this.snap?.virtualServers ?? []) as VsView[];
    gauge(r, 'keel_vrrp_state', 'VRRP instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 4 STOP, 5 DELETED', ['instance'],
      () => inst().map((i) => [{ instance: i.name }, STATE_CODE[i.state] ?? -1]));
    gauge(r, 'keel_vrrp_priority', 'Configured (base) priority', ['instance'], () => inst().map((i) => [{ instance: i.name }, i.priority]));
    gauge(r, 'keel_vrrp_effective_priority', 'Priority after tracking weights', ['instance'],
      () => inst().map((i) => [{ instance: i.name }, i.effectivePriority]));
    gauge(r, 'keel_vrrp_adverts_sent', 'Adverts sent since the VRRP process started', ['instance'],
      () => inst().map((i) => [{ instance: i.name }, i.adverts?.sent ?? 0]));
    gauge(r, 'keel_vrrp_adverts_received', 'Valid adverts received since the VRRP process started', ['instance'],
      () => inst().map((i) => [{ instance: i.name }, i.adverts?.received ?? 0]));
    gauge(r, 'keel_vrrp_packets_dropped', 'VRRP packets dropped since the VRRP process started, by reason', ['reason'],
      () => Object.entries((this.snap?.counters as { dropped?: Record<string, number> } | undefined)?.dropped ?? {}).map(([reason, n]) => [{ reason }, n]));
    this.transitions = new Counter({
      name: 'keel_vrrp_transitions_total', help: 'State transitions', labelNames: ['instance', 'to'] as const, registers: [r],
    });
    gauge(r, 'keel_real_server_up', 'Real server alive (1) or down (0) by its checkers', ['virtual_server', 'real_server'],
      () => vss().flatMap((v) => v.realServers.map((s): [Record<string, string>, number] => [{ virtual_server: v.vs, real_server: s.rs }, s.alive ? 1 : 0])));
    gauge(r, 'keel_real_server_weight', 'Real server weight in the computed table', ['virtual_server', 'real_server'],
      () => vss().flatMap((v) => v.realServers.map((s): [Record<string, string>, number] => [{ virtual_server: v.vs, real_server: s.rs }, s.weight])));
    gauge(r, 'keel_virtual_server_quorum_up', 'Virtual server quorum met (1) or lost (0)', ['virtual_server'],
      () => vss().map((v) => [{ virtual_server: v.vs }, v.quorumUp ? 1 : 0]));
    gauge(r, 'keel_ipvs_operations', 'IPVS netlink changes applied since the checker process started', [],
      () => (this.snap?.ipvs ? [[{}, this.snap.ipvs.operations]] : []));
    gauge(r, 'keel_child_restarts', 'Times a child process was respawned', ['process'],
      () => (this.snap?.processes ?? []).map((p) => [{ process: p.role }, p.restarts]));
  }

  transition(instance: string, to: string): void {
    this.transitions.inc({ instance, to });
  }

  /** The latest status and the checker workers' metric sets, before a scrape. */
  update(st: DaemonStatus, checkerSets: unknown[][] = []): void {
    this.snap = st;
    this.checkerSets = checkerSets;
  }

  async text(): Promise<string> {
    const parts = [this.registry];
    if (this.checkerSets.length) parts.push(AggregatorRegistry.aggregate(this.checkerSets as MetricObjectWithValues<MetricValue<string>>[][]));
    return Registry.merge(parts).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** "PORT", "ADDR:PORT" or "[V6]:PORT"; loopback when no address is given. */
export function parseListen(spec: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d{1,5})$/.exec(spec);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

export function serveHttp(
  listen: { host: string; port: number }, status: () => Promise<DaemonStatus>, metrics: Metrics, onError: (m: string) => void,
  refresh: () => Promise<void> = async () => metrics.update(await status()),
): Server {
  const server = createServer((req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/status') {
      status().then(
        (st) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(st) + '\n'),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
    } else if (path === '/metrics') {
      refresh().then(() => metrics.text()).then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('keel: /status or /metrics\n');
    }
  });
  server.on('error', (e) => onError(`HTTP endpoint ${listen.host}:${listen.port}: ${e.message}`));
  server.listen(listen.port, listen.host);
  return server;
}
