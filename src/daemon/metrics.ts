// The optional HTTP endpoint (off unless --http is given; 127.0.0.1 unless an address is named):
// GET /status is the control socket's JSON, GET /metrics the Prometheus text from prom-client.
// Metrics are collected when scraped, from the same status the control socket serves, plus the
// counters the engine keeps (adverts by instance, drops by reason, transitions).
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DaemonStatus } from './control.js';

const STATE_CODE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 4, DELETED: 5 };

export interface MetricsSource {
  status(): DaemonStatus;
  /** Per-instance advert counts from the machine's stats. */
  adverts(): { instance: string; sent: number; received: number }[];
  dropped(): Record<string, number>;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly transitions: Counter<'instance' | 'to'>;

  constructor(src: MetricsSource) {
    const r = this.registry;
    const state = new Gauge({
      name: 'keel_vrrp_state', help: 'VRRP instance state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 4 STOP, 5 DELETED',
      labelNames: ['instance'] as const, registers: [r],
      collect() {
        this.reset();
        for (const i of src.status().instances) this.set({ instance: i.name }, STATE_CODE[i.state] ?? -1);
      },
    });
    new Gauge({
      name: 'keel_vrrp_priority', help: 'Configured (base) priority', labelNames: ['instance'] as const, registers: [r],
      collect() {
        this.reset();
        for (const i of src.status().instances) this.set({ instance: i.name }, i.priority);
      },
    });
    new Gauge({
      name: 'keel_vrrp_effective_priority', help: 'Priority after tracking weights', labelNames: ['instance'] as const, registers: [r],
      collect() {
        this.reset();
        for (const i of src.status().instances) this.set({ instance: i.name }, i.effectivePriority);
      },
    });
    new Gauge({
      name: 'keel_vrrp_adverts_sent', help: 'Adverts sent since start', labelNames: ['instance'] as const, registers: [r],
      collect() {
        this.reset();
        for (const a of src.adverts()) this.set({ instance: a.instance }, a.sent);
      },
    });
    new Gauge({
      name: 'keel_vrrp_adverts_received', help: 'Valid adverts received since start', labelNames: ['instance'] as const, registers: [r],
      collect() {
        this.reset();
        for (const a of src.adverts()) this.set({ instance: a.instance }, a.received);
      },
    });
    new Gauge({
      name: 'keel_vrrp_packets_dropped', help: 'VRRP packets dropped since start, by reason', labelNames: ['reason'] as const, registers: [r],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(src.dropped())) this.set({ reason }, n);
      },
    });
    this.transitions = new Counter({
      name: 'keel_vrrp_transitions_total', help: 'State transitions', labelNames: ['instance', 'to'] as const, registers: [r],
    });
    void state;
  }

  transition(instance: string, to: string): void {
    this.transitions.inc({ instance, to });
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

export function serveHttp(listen: { host: string; port: number }, status: () => Promise<DaemonStatus>, metrics: Metrics, onError: (m: string) => void): Server {
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
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
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
