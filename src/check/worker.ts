// The checker engine in worker threads, so that ten thousand checks never delay a VRRP advert
// (DESIGN.md principle 6). `CheckerWorker` (main thread) has the engine's API; `runCheckerWorker`
// is a worker's side. Large configs are split by virtual server across several workers (a
// verdict never crosses virtual servers, so shards are independent) and their tables merged.
import { EventEmitter } from 'node:events';
import { readlinkSync } from 'node:fs';
import { availableParallelism, getPriority, setPriority } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type { Config } from '../config/types.js';
import { serviceKeysOf } from '../ipvs/from-config.js';
import { serviceKeyText, type IpvsService, type IpvsTable } from '../ipvs/table.js';
import { CheckerEngine, type EngineSnapshot } from './engine.js';
import { vsKey } from './names.js';

type ToWorker =
  | { op: 'start' | 'update'; config: Config }
  | { op: 'stop' | 'snapshot' | 'counters' | 'metrics'; id: number };

type FromWorker =
  | { ev: string; arg: unknown }
  | { reply: number; value: unknown }
  | { fatal: string };

/** How much nicer than the advert thread the checker threads run. */
const CHECKER_NICE = 10;

const EVENTS = ['log', 'rs', 'quorum', 'table', 'alert', 'script', 'fifo'] as const;

/**
 * Lower this thread's scheduling priority (Linux: setpriority on a thread id applies to that
 * thread only), so that under CPU contention the thread sending adverts runs first — what
 * keepalived gets from separate processes with their own priorities.
 */
function yieldToAdverts(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + nice));
  } catch { /* not Linux, or not permitted: run at the process's priority */ }
}

/** A worker's main: serve one engine until told to stop. */
export function runCheckerWorker(): void {
  if (isMainThread || !parentPort) throw new Error('runCheckerWorker() must run in a worker thread');
  const port = parentPort;
  yieldToAdverts(CHECKER_NICE);
  const engine = new CheckerEngine();
  for (const ev of EVENTS) engine.on(ev, (arg: unknown) => port.postMessage({ ev, arg } satisfies FromWorker));
  port.on('message', (m: ToWorker) => {
    try {
      if (m.op === 'start') engine.start(m.config);
      else if (m.op === 'update') engine.update(m.config);
      else if (m.op === 'snapshot') port.postMessage({ reply: m.id, value: engine.snapshot() } satisfies FromWorker);
      else if (m.op === 'counters') port.postMessage({ reply: m.id, value: engine.counters() } satisfies FromWorker);
      else if (m.op === 'metrics') {
        void engine.metrics.json().then((value) => port.postMessage({ reply: m.id, value } satisfies FromWorker));
      }
      else if (m.op === 'stop') {
        engine.stop();
        port.postMessage({ reply: m.id, value: null } satisfies FromWorker);
        port.close();
      }
    } catch (e) {
      port.postMessage({ fatal: (e as Error).message } satisfies FromWorker);
    }
  });
}

/** A part of the engine: in a worker thread, or in this thread. */
interface Shard {
  table: IpvsTable;
  exited: boolean;
  post(m: ToWorker): void;
  ask(op: 'snapshot' | 'counters' | 'metrics' | 'stop'): Promise<unknown>;
  utilization(prev?: EventLoopUtilization): EventLoopUtilization;
  terminate(): Promise<void>;
}

/**
 * The engine in this thread: for the daemon's checker process, whose own process already keeps
 * checks away from the adverts, a small config does not need a worker thread (each costs a
 * JavaScript heap of its own, ~10-20 MB).
 */
class InlineShard implements Shard {
  readonly engine = new CheckerEngine();
  table: IpvsTable = { services: [] };
  exited = false;

  constructor(onEvent: (ev: string, arg: unknown) => void) {
    yieldToAdverts(CHECKER_NICE);
    for (const ev of EVENTS) {
      this.engine.on(ev, (arg: unknown) => {
        if (ev === 'table') this.table = arg as IpvsTable;
        onEvent(ev, arg);
      });
    }
  }

  post(m: ToWorker): void {
    if (m.op === 'start') this.engine.start(m.config);
    else if (m.op === 'update') this.engine.update(m.config);
  }

  async ask(op: 'snapshot' | 'counters' | 'metrics' | 'stop'): Promise<unknown> {
    if (this.exited) throw new Error('checker engine stopped');
    if (op === 'snapshot') return this.engine.snapshot();
    if (op === 'counters') return this.engine.counters();
    if (op === 'metrics') return this.engine.metrics.json();
    this.engine.stop();
    this.exited = true;
    return null;
  }

  utilization(prev?: EventLoopUtilization): EventLoopUtilization {
    return prev ? performance.eventLoopUtilization(prev) : performance.eventLoopUtilization();
  }

  async terminate(): Promise<void> {
    if (!this.exited) this.engine.stop();
    this.exited = true;
  }
}

/** One worker thread and its request/reply plumbing. */
class WorkerShard implements Shard {
  readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  table: IpvsTable = { services: [] };
  exited = false;

  constructor(onEvent: (ev: string, arg: unknown) => void, onError: (e: Error) => void) {
    this.worker = new Worker(new URL('./worker-main.js', import.meta.url));
    this.worker.on('message', (m: FromWorker) => {
      if ('ev' in m) {
        if (m.ev === 'table') this.table = m.arg as IpvsTable;
        onEvent(m.ev, m.arg);
      } else if ('reply' in m) {
        const w = this.waiting.get(m.reply);
        this.waiting.delete(m.reply);
        w?.resolve(m.value);
      } else onError(new Error(m.fatal));
    });
    this.worker.on('error', onError);
    this.worker.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new Error('checker worker exited'));
      this.waiting.clear();
    });
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  utilization(prev?: EventLoopUtilization): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization(prev);
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  ask(op: 'snapshot' | 'counters' | 'metrics' | 'stop'): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error('checker worker exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ op, id } satisfies ToWorker);
    });
  }
}

export interface CheckerWorkerOptions {
  /**
   * Worker threads. Default: one, or for configs with more than 2,000 checkers as many as the
   * machine has cores, up to 4.
   */
  threads?: number;
  /**
   * Run the engine in this thread, without a worker, when the config has at most this many
   * checkers (the daemon's checker process, which is already apart from the adverts). Default 0.
   */
  inThreadUpTo?: number;
}

function checkerCount(c: Config): number {
  let n = 0;
  for (const vs of c.virtual_servers) for (const rs of vs.real_servers) n += rs.checkers.length;
  return n;
}

/**
 * The engine, run in worker threads. Events: 'log' (message), 'rs' (RsEvent), 'quorum',
 * 'table' (the merged IpvsTable), 'alert', 'script', 'fifo', 'error' (a worker failed).
 */
export class CheckerWorker extends EventEmitter {
  private shards: Shard[] = [];
  /** Which shard runs each virtual server (kept across reloads so state stays where it is). */
  private placement = new Map<string, number>();
  private order = new Map<string, number>();
  private merged: IpvsTable = { services: [] };

  constructor(private readonly opts: CheckerWorkerOptions = {}) {
    super();
  }

  start(config: Config): void {
    if (this.shards.length) throw new Error('checker worker already started');
    const count = checkerCount(config);
    if (this.opts.threads === undefined && count <= (this.opts.inThreadUpTo ?? 0)) {
      this.shards.push(new InlineShard((ev, arg) => this.onEvent(ev, arg)));
      return this.distribute(config, 'start');
    }
    const n = this.opts.threads ?? (count > 2000 ? Math.max(1, Math.min(4, availableParallelism())) : 1);
    for (let i = 0; i < n; i++) {
      this.shards.push(new WorkerShard((ev, arg) => this.onEvent(ev, arg), (e) => this.emit('error', e)));
    }
    this.distribute(config, 'start');
  }

  update(config: Config): void {
    if (!this.shards.length) return this.start(config);
    this.distribute(config, 'update');
  }

  /** The last desired table the workers published, merged in config order. */
  table(): IpvsTable {
    return this.merged;
  }

  async snapshot(): Promise<EngineSnapshot> {
    const parts = (await Promise.all(this.shards.map((s) => s.ask('snapshot')))) as EngineSnapshot[];
    return {
      virtualServers: parts.flatMap((p) => p.virtualServers),
      table: this.merge(parts.map((p) => p.table)),
      attempts: parts.reduce((a, p) => a + p.attempts, 0),
      failures: parts.reduce((a, p) => a + p.failures, 0),
    };
  }

  async counters(): Promise<{ attempts: number; failures: number }> {
    const parts = (await Promise.all(this.shards.map((s) => s.ask('counters')))) as { attempts: number; failures: number }[];
    return { attempts: parts.reduce((a, p) => a + p.attempts, 0), failures: parts.reduce((a, p) => a + p.failures, 0) };
  }

  /** Each worker's checker metrics (prom-client JSON), for AggregatorRegistry.aggregate(). */
  async metrics(): Promise<unknown[][]> {
    return (await Promise.all(this.shards.map((s) => s.ask('metrics')))) as unknown[][];
  }

  /** Event-loop utilisation of each worker (see perf_hooks eventLoopUtilization). */
  utilization(prev?: EventLoopUtilization[]): EventLoopUtilization[] {
    return this.shards.map((s, i) => s.utilization(prev?.[i]));
  }

  /** Stop the checkers (omega notifies run) and end the workers. */
  async stop(): Promise<void> {
    const shards = this.shards;
    this.shards = [];
    await Promise.all(shards.map(async (s) => {
      const t = setTimeout(() => void s.terminate(), 5000);
      try {
        await s.ask('stop');
      } catch { /* already gone */ } finally {
        clearTimeout(t);
        await s.terminate();
      }
    }));
  }

  /** Split the virtual servers over the shards, balancing checkers; known ones stay put. */
  private distribute(config: Config, op: 'start' | 'update'): void {
    const load = this.shards.map(() => 0);
    const parts: Config['virtual_servers'][] = this.shards.map(() => []);
    const placement = new Map<string, number>();
    this.order = new Map();
    config.virtual_servers.forEach((vs, i) => {
      for (const k of serviceKeysOf(config, vs)) {
        const t = serviceKeyText(k);
        if (!this.order.has(t)) this.order.set(t, i);
      }
      const key = vsKey(vs);
      let s = this.placement.get(key);
      if (s === undefined || s >= this.shards.length) s = load.indexOf(Math.min(...load));
      placement.set(key, s);
      parts[s]!.push(vs);
      load[s]! += vs.real_servers.reduce((a, rs) => a + rs.checkers.length, 0);
    });
    this.placement = placement;
    this.shards.forEach((s, i) => s.post({ op, config: { ...config, virtual_servers: parts[i]! } }));
  }

  private onEvent(ev: string, arg: unknown): void {
    if (ev === 'table') {
      this.merged = this.merge(this.shards.map((s) => s.table));
      this.emit('table', this.merged);
      return;
    }
    this.emit(ev, arg);
  }

  /** Services of all shards in config order; a service two shards both program gets both's destinations. */
  private merge(tables: IpvsTable[]): IpvsTable {
    if (tables.length === 1) return tables[0]!;
    const byKey = new Map<string, IpvsService>();
    for (const t of tables) {
      for (const s of t.services) {
        const k = serviceKeyText(s.key);
        const have = byKey.get(k);
        if (have) have.dests.push(...s.dests);
        else byKey.set(k, { ...s, dests: [...s.dests] });
      }
    }
    const rank = (s: IpvsService): number => this.order.get(serviceKeyText(s.key)) ?? Number.MAX_SAFE_INTEGER;
    return { services: [...byKey.values()].sort((a, b) => rank(a) - rank(b)) };
  }
}
