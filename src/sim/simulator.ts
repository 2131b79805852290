// The deterministic simulator: routers running the pure VRRP machine on a simulated LAN, driven
// by a virtual clock. Nothing here waits on real time or real sockets; the same options and seed
// give the same run, event for event.
import type { InstanceParams } from '../vrrp/instance-params.js';
import type { TrackerKind, TrackerValue } from '../vrrp/priority.js';
import type { Advert, Effect, InstanceState, VrrpState } from '../vrrp/state-machine.js';
import { EventQueue, type Scheduled } from './clock.js';
import { Lan, type LinkLatency } from './lan.js';
import { Prng } from './prng.js';
import { SimRouter, type SimRouterSpec, type StepRecord, type TimerSlot, type World } from './router.js';
import { TraceRecorder } from './trace.js';

export interface SimOptions {
  seed: number;
  routers: readonly SimRouterSpec[];
  /** Latency of the link between routers a < b (default: 200us + up to 300us jitter). */
  latency?: (a: number, b: number) => LinkLatency;
  loss?: number;
  /** Record a trace (default true). */
  trace?: boolean;
  /** Put keepalived's log lines in the trace too (default false; -D lines never). */
  traceLogs?: boolean;
  /** Called after every step of every router, before its effects are applied. */
  onStep?: (r: StepRecord) => void;
}

/**
 * One queue entry. A single class with every field (rather than a union of object literals) so
 * the heap compares objects of one shape: this loop runs millions of times.
 */
class Entry implements Scheduled {
  seq = 0;
  constructor(
    public at: number,
    readonly kind: 'packet' | 'timer' | 'action',
    // packet
    readonly to: number,
    readonly from: number,
    readonly iface: string,
    readonly advert: Advert | undefined,
    // timer
    readonly router: number,
    readonly epoch: number,
    readonly slot: TimerSlot | undefined,
    readonly gen: number,
    // action
    readonly label: string,
    readonly fn: (() => void) | undefined,
  ) {}
}

export interface SimCounters {
  /** Entries taken off the queue and acted on (packets delivered, timers fired, actions). */
  events: number;
  steps: number;
  advertsSent: number;
  packetsDelivered: number;
  packetsLost: number;
  /** Timer entries found superseded when popped. */
  staleTimers: number;
}

export class Simulation implements World {
  now = 0;
  readonly lan: Lan;
  readonly routers: SimRouter[];
  readonly trace: TraceRecorder;
  readonly counters: SimCounters = { events: 0, steps: 0, advertsSent: 0, packetsDelivered: 0, packetsLost: 0, staleTimers: 0 };
  private readonly queue = new EventQueue<Entry>();
  private readonly traceLogs: boolean;
  private readonly onStep?: (r: StepRecord) => void;
  readonly observing: boolean;

  constructor(opts: SimOptions) {
    const prng = new Prng(opts.seed);
    this.lan = new Lan(opts.routers.length, prng.fork(1), opts.latency ?? (() => ({ baseUs: 200, jitterUs: 300 })));
    this.lan.loss = opts.loss ?? 0;
    this.trace = new TraceRecorder(opts.trace ?? true, opts.routers.map((r) => r.name));
    this.traceLogs = opts.traceLogs ?? false;
    this.onStep = opts.onStep;
    this.observing = this.trace.enabled || this.onStep !== undefined;
    this.routers = opts.routers.map((spec, i) => new SimRouter(i, spec, this));
  }

  // -------------------------------------------------------------------------------------------
  // Driving the clock.

  /** Run `fn` at virtual time `t` (actions at equal times run in the order they were scheduled). */
  at(t: number, label: string, fn: () => void): void {
    this.queue.push(new Entry(Math.max(t, this.now), 'action', -1, -1, '', undefined, -1, 0, undefined, 0, label, fn));
  }

  /** Process every entry due up to and including `t`; the clock then reads `t`. */
  runUntil(t: number): void {
    for (;;) {
      const top = this.queue.peek();
      if (!top || top.at > t) break;
      this.queue.pop();
      this.now = top.at;
      this.dispatch(top);
    }
    this.now = Math.max(this.now, t);
  }

  private dispatch(e: Entry): void {
    switch (e.kind) {
      case 'action':
        this.counters.events++;
        this.trace.record(this.now, -1, `action ${e.label}`);
        e.fn!();
        return;
      case 'packet': {
        this.counters.events++;
        this.counters.packetsDelivered++;
        this.routers[e.to]!.receive(e.advert!, e.from, e.iface);
        return;
      }
      case 'timer': {
        const r = this.routers[e.router]!;
        const s = e.slot!;
        if (e.epoch !== r.epoch || e.gen !== s.gen) {
          this.counters.staleTimers++;
          return;
        }
        // This was the slot's queued entry: nothing is queued for it any more.
        s.queuedAt = null;
        if (s.deadline === null) {
          this.counters.staleTimers++;
          return;
        }
        // The deadline moved later since this entry was queued: queue it again (cheaper than
        // queueing on every advert a backup receives).
        if (s.deadline > e.at) {
          this.armTimer(r, s);
          return;
        }
        this.counters.events++;
        r.fireTimer(s);
        return;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // World, as seen by the routers.

  sendAdvert(router: SimRouter, p: InstanceParams, advert: Advert): void {
    this.counters.advertsSent++;
    this.trace.record(this.now, router.index, `advert ${p.name} vrid ${advert.vrid} prio ${advert.priority}`);
    if (!router.linkUp) return;
    const iface = p.interface ?? router.iface;
    for (const to of this.routers) {
      if (to === router || !to.running || !to.linkUp || !this.lan.connected(router.index, to.index)) continue;
      const at = this.lan.arrival(router.index, to.index, this.now);
      if (at === undefined) {
        this.counters.packetsLost++;
        continue;
      }
      this.queue.push(new Entry(at, 'packet', to.index, router.index, iface, advert, -1, 0, undefined, 0, '', undefined));
    }
  }

  armTimer(router: SimRouter, slot: TimerSlot): void {
    if (slot.deadline === null) return;
    // An entry already queued at or before the deadline will find the new deadline when it pops.
    if (slot.queuedAt !== null && slot.queuedAt <= slot.deadline) return;
    slot.gen++;
    slot.queuedAt = slot.deadline;
    this.queue.push(new Entry(slot.deadline, 'timer', -1, -1, '', undefined, router.index, router.epoch, slot, slot.gen, '', undefined));
  }

  stepped(r: StepRecord | undefined): void {
    this.counters.steps++;
    if (r) this.onStep?.(r);
  }

  effectsApplied(router: SimRouter, r: StepRecord): void {
    if (!this.trace.enabled) return;
    const cause = describeCause(r);
    for (const t of r.transitions) {
      this.trace.record(this.now, router.index, `${t.instance} ${t.from} -> ${t.to} (prio ${t.prioBefore}${t.prioAfter !== t.prioBefore ? `->${t.prioAfter}` : ''}) cause: ${cause}`);
    }
    for (const e of r.effects) {
      const line = describeEffect(e, this.traceLogs);
      if (line) this.trace.record(this.now, router.index, line);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Actions (immediate; schedule them with `at`).

  startRouter(i: number): void {
    this.routers[i]!.start();
  }

  killRouter(i: number): void {
    this.routers[i]!.kill();
  }

  stopRouter(i: number): void {
    this.routers[i]!.stop();
  }

  setLink(i: number, up: boolean): void {
    this.routers[i]!.setLink(up);
  }

  setTracker(i: number, kind: TrackerKind, name: string, value: TrackerValue): void {
    this.routers[i]!.setTracker(kind, name, value);
  }

  partition(groups: readonly (readonly number[])[]): void {
    this.lan.partition(groups);
  }

  heal(): void {
    this.lan.heal();
  }

  setLoss(p: number): void {
    this.lan.loss = p;
  }

  // -------------------------------------------------------------------------------------------
  // Views.

  instance(router: number, name: string): InstanceState | undefined {
    return this.routers[router]!.instance(name);
  }

  stateOf(router: number, name: string): VrrpState | undefined {
    const r = this.routers[router]!;
    return r.running ? r.instance(name)?.state : undefined;
  }

  /** Running routers whose instance for `vrid` is MASTER. */
  mastersOf(vrid: number): { router: number; instance: InstanceState }[] {
    const out: { router: number; instance: InstanceState }[] = [];
    for (const r of this.routers) {
      if (!r.running) continue;
      for (const s of r.allInstances()) if (s.params.vrid === vrid && s.state === 'MASTER') out.push({ router: r.index, instance: s });
    }
    return out;
  }
}

export function describeCause(r: StepRecord): string {
  const c = r.cause;
  switch (c.kind) {
    case 'advert': return `advert to ${c.instance} from ${c.advert.src} prio ${c.advert.priority} (ours ${c.receiverPrio})`;
    case 'timer': return `timer ${c.timer} of ${c.instance}`;
    case 'tracker': return `${c.trackerKind} ${c.name} = ${String(c.value)}`;
    default: return c.kind;
  }
}

function describeEffect(e: Effect, logs: boolean): string | undefined {
  switch (e.type) {
    case 'notify': return `notify INSTANCE ${e.instance} ${e.state} ${e.priority}`;
    case 'notify-group': return `notify GROUP ${e.group} ${e.state}`;
    case 'addresses': return `${e.action === 'add' ? 'add' : 'remove'} VIPs of ${e.instance}: ${[...e.vips, ...e.evips].join(' ')}`;
    case 'garp': return `garp ${e.instance} x${e.repeat} (${e.reason})`;
    case 'log': return logs && !e.detail ? `log ${e.message}` : undefined;
    default: return undefined;
  }
}
