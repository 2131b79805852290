// A simulated router: one keel/keepalived VRRP process with several instances and sync groups.
// It runs the pure machine and turns its effects into packets, timers and address changes
// through the World it lives in (simulator.ts). Killing it loses everything but the addresses;
// starting it again builds fresh instances from the same parameters.
import type { InstanceParams } from '../vrrp/instance-params.js';
import { stripPrefix } from '../vrrp/instance-params.js';
import { trackerKey, type TrackerKind, type TrackerValue } from '../vrrp/priority.js';
import { initialState, step, type Advert, type Effect, type InstanceState, type TimerName, type VrrpEvent, type VrrpState } from '../vrrp/state-machine.js';
import { initialGroupState, stepGroup, type GroupParams, type GroupState } from '../vrrp/sync-group.js';

export interface SimRouterSpec {
  name: string;
  /** The router's primary address (what its instances put in adverts unless they say otherwise). */
  address: string;
  /** The LAN interface (every instance tracks it with weight 0). */
  interface?: string;
  instances: readonly InstanceParams[];
  groups?: readonly GroupParams[];
  /** Initial status of tracked objects, by trackerKey(kind, name). */
  trackers?: Readonly<Record<string, TrackerValue>>;
}

export type Unit = { kind: 'instance'; state: InstanceState } | { kind: 'group'; state: GroupState };

export interface Transition {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  prioBefore: number;
  prioAfter: number;
}

export type Cause =
  | { kind: 'start' }
  | { kind: 'shutdown' }
  | { kind: 'advert'; instance: string; advert: Advert; receiverPrio: number; receiverSrc?: string; fromRouter: number }
  | { kind: 'timer'; instance: string; timer: TimerName }
  | { kind: 'tracker'; trackerKind: TrackerKind; name: string; value: TrackerValue };

export interface StepRecord {
  t: number;
  router: number;
  cause: Cause;
  /** Names of the instances stepped together (the instance, or every member of its group). */
  unit: readonly string[];
  transitions: Transition[];
  /** Effective priorities that changed in the step. */
  prioChanges: { instance: string; from: number; to: number }[];
  effects: readonly Effect[];
  /** The unit's instances after the step. */
  after: readonly InstanceState[];
}

/** Where a router's timers live: one slot per instance and timer kind (the main timer shares one). */
export interface TimerSlot {
  instance: string;
  slot: 'main' | 'garp-delay' | 'garp-lower-prio';
  /** The name last armed (master-down or advert share the main slot). */
  timer: TimerName;
  deadline: number | null;
  /** Generation of the queue entry that is valid for this slot. */
  gen: number;
  /** Time of the valid queue entry (null when none is queued). */
  queuedAt: number | null;
}

/** What a router needs from the world around it. */
export interface World {
  readonly now: number;
  /** Does anyone look at step records (a trace or an observer)? If not, none are built. */
  readonly observing: boolean;
  sendAdvert(router: SimRouter, params: InstanceParams, advert: Advert): void;
  armTimer(router: SimRouter, slot: TimerSlot): void;
  /** Every step that changed something (`record` only when observing). */
  stepped(record: StepRecord | undefined): void;
  effectsApplied(router: SimRouter, record: StepRecord): void;
}

export function unitInstances(u: Unit): readonly InstanceState[] {
  return u.kind === 'instance' ? [u.state] : u.state.members;
}

const advertCache = new WeakMap<InstanceParams, readonly string[]>();

/** The addresses an instance lists in its adverts (VIPs, not eVIPs). */
export function advertAddresses(p: InstanceParams): readonly string[] {
  let a = advertCache.get(p);
  if (!a) {
    a = p.vips.map(stripPrefix);
    advertCache.set(p, a);
  }
  return a;
}

export class SimRouter {
  running = false;
  linkUp = true;
  /** Incremented on every kill/stop/start: timers of a previous life are ignored. */
  epoch = 0;
  readonly trackers: Record<string, TrackerValue>;
  units: Unit[] = [];
  readonly unitOf = new Map<string, number>();
  readonly params = new Map<string, InstanceParams>();
  /** `${interface}|${vrid}` -> instance name (keepalived's per-socket VRID lookup). */
  readonly channels = new Map<string, string>();
  slots = new Map<string, TimerSlot[]>();
  /** Instances whose VIPs are on this router's interface (kill -9 leaves them there). */
  readonly vipsHeld = new Set<string>();
  readonly iface: string;

  constructor(readonly index: number, readonly spec: SimRouterSpec, private readonly world: World) {
    this.iface = spec.interface ?? 'eth0';
    this.trackers = { ...(spec.trackers ?? {}) };
    this.trackers[trackerKey('interface', this.iface)] = true;
    for (const p of spec.instances) {
      this.params.set(p.name, p);
      this.channels.set(`${p.interface ?? this.iface}|${p.vrid}`, p.name);
    }
    this.build();
  }

  get name(): string {
    return this.spec.name;
  }

  /** Fresh instances and groups, in configuration order (a group sits where its first member is). */
  private build(): void {
    this.units = [];
    this.unitOf.clear();
    const groupOf = new Map<string, GroupParams>();
    for (const g of this.spec.groups ?? []) for (const m of g.members) groupOf.set(m, g);
    const placed = new Set<string>();
    for (const p of this.spec.instances) {
      const g = groupOf.get(p.name);
      if (!g) {
        this.unitOf.set(p.name, this.units.length);
        this.units.push({ kind: 'instance', state: initialState(p) });
        continue;
      }
      if (placed.has(g.name)) continue;
      placed.add(g.name);
      const members = g.members.map((n) => this.params.get(n)).filter((x): x is InstanceParams => !!x);
      for (const m of members) this.unitOf.set(m.name, this.units.length);
      this.units.push({ kind: 'group', state: initialGroupState(g.name, members) });
    }
  }

  instance(name: string): InstanceState | undefined {
    const i = this.unitOf.get(name);
    if (i === undefined) return undefined;
    return unitInstances(this.units[i]!).find((s) => s.params.name === name);
  }

  allInstances(): InstanceState[] {
    return this.units.flatMap((u) => [...unitInstances(u)]);
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle.

  start(): void {
    if (this.running) return;
    this.epoch++;
    this.slots = new Map();
    this.running = true;
    // A restarted daemon reconciles: whatever it left on the interface is removed first.
    this.vipsHeld.clear();
    this.build();
    const ev: VrrpEvent = { type: 'start', now: this.world.now, trackers: { ...this.trackers } };
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, ev, { kind: 'start' });
  }

  /** SIGKILL: no priority-0 advert, timers gone, VIPs stay on the interface. */
  kill(): void {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    this.slots = new Map();
  }

  /** SIGTERM: priority 0 from every master, addresses released, STOP notified. */
  stop(): void {
    if (!this.running) return;
    const ev: VrrpEvent = { type: 'shutdown', now: this.world.now };
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, ev, { kind: 'shutdown' });
    this.running = false;
    this.epoch++;
    this.slots = new Map();
  }

  setTracker(kind: TrackerKind, name: string, value: TrackerValue): void {
    const key = trackerKey(kind, name);
    this.trackers[key] = value;
    if (!this.running) return;
    const ev: VrrpEvent = { type: 'tracker', now: this.world.now, kind, name, value };
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, ev, { kind: 'tracker', trackerKind: kind, name, value });
  }

  /** Cable pulled or plugged: no traffic while down, and the instances see their interface go. */
  setLink(up: boolean): void {
    this.linkUp = up;
    this.setTracker('interface', this.iface, up);
  }

  // -------------------------------------------------------------------------------------------
  // Inputs from the world.

  receive(advert: Advert, fromRouter: number, iface: string): void {
    if (!this.running || !this.linkUp) return;
    const name = this.channels.get(`${iface}|${advert.vrid}`);
    if (name === undefined) return;
    const ui = this.unitOf.get(name)!;
    const u = this.units[ui]!;
    const s = u.kind === 'instance' ? u.state : u.state.members.find((m) => m.params.name === name)!;
    this.stepUnit(ui, { type: 'advert', now: this.world.now, advert }, {
      kind: 'advert', instance: name, advert, receiverPrio: s.effectivePriority, receiverSrc: s.params.srcAddress, fromRouter,
    }, name);
  }

  fireTimer(slot: TimerSlot): void {
    const ui = this.unitOf.get(slot.instance);
    if (ui === undefined) return;
    this.stepUnit(ui, { type: 'timer', now: this.world.now, timer: slot.timer }, { kind: 'timer', instance: slot.instance, timer: slot.timer }, slot.instance);
  }

  // -------------------------------------------------------------------------------------------

  private stepUnit(ui: number, ev: VrrpEvent, cause: Cause, instance?: string): void {
    const u = this.units[ui]!;
    const before = unitInstances(u);
    let effects: readonly Effect[];
    if (u.kind === 'instance') {
      const r = step(u.state, ev);
      if (r.state === u.state && !r.effects.length) return;
      this.units[ui] = { kind: 'instance', state: r.state };
      effects = r.effects;
    } else {
      const r = stepGroup(u.state, ev, instance);
      if (r.state === u.state && !r.effects.length) return;
      this.units[ui] = { kind: 'group', state: r.state };
      effects = r.effects;
    }
    if (!this.world.observing) {
      this.world.stepped(undefined);
      this.apply(effects);
      return;
    }
    const after = unitInstances(this.units[ui]!);
    const transitions: Transition[] = [];
    const prioChanges: { instance: string; from: number; to: number }[] = [];
    for (let i = 0; i < after.length; i++) {
      const a = before[i]!;
      const b = after[i]!;
      if (a.effectivePriority !== b.effectivePriority) prioChanges.push({ instance: b.params.name, from: a.effectivePriority, to: b.effectivePriority });
      if (a.state !== b.state) {
        transitions.push({ instance: b.params.name, from: a.state, to: b.state, prioBefore: a.effectivePriority, prioAfter: b.effectivePriority });
      }
    }
    const record: StepRecord = { t: this.world.now, router: this.index, cause, unit: after.map((s) => s.params.name), transitions, prioChanges, effects, after };
    this.world.stepped(record);
    this.apply(effects);
    this.world.effectsApplied(this, record);
  }

  private slot(instance: string, timer: TimerName): TimerSlot {
    const kind = timer === 'master-down' || timer === 'advert' ? 'main' : timer;
    const idx = kind === 'main' ? 0 : kind === 'garp-delay' ? 1 : 2;
    let list = this.slots.get(instance);
    if (!list) {
      list = [];
      this.slots.set(instance, list);
    }
    let s = list[idx];
    if (!s) {
      s = { instance, slot: kind, timer, deadline: null, gen: 0, queuedAt: null };
      list[idx] = s;
    }
    return s;
  }

  private apply(effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'advert': {
          const p = this.params.get(e.instance)!;
          this.world.sendAdvert(this, p, {
            vrid: p.vrid, version: p.version, priority: e.priority, intervalCs: p.advertIntUs / 10_000,
            src: p.srcAddress ?? this.spec.address, addresses: advertAddresses(p),
          });
          break;
        }
        case 'timer': {
          const s = this.slot(e.instance, e.timer);
          if (e.action === 'cancel') s.deadline = null;
          else {
            s.timer = e.timer;
            s.deadline = e.at;
            this.world.armTimer(this, s);
          }
          break;
        }
        case 'addresses':
          if (e.action === 'add') this.vipsHeld.add(e.instance);
          else this.vipsHeld.delete(e.instance);
          break;
        default:
          break;
      }
    }
  }
}
