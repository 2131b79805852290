// A hand-cranked harness around one instance or one sync group: it keeps the state, arms the
// timers the machine asks for and fires them in order as virtual time advances. Unit tests and
// small scenarios use it to feed events one by one and look at the effects.
import type { InstanceParams } from '../vrrp/instance-params.js';
import { stripPrefix } from '../vrrp/instance-params.js';
import type { TrackerKind, TrackerValue, TrackerValues } from '../vrrp/priority.js';
import { initialState, step, type Advert, type Effect, type InstanceState, type TimerName, type VrrpEvent } from '../vrrp/state-machine.js';
import { initialGroupState, stepGroup, type GroupState } from '../vrrp/sync-group.js';

/** An event without its time (the driver adds its clock's). */
export type EventInput = VrrpEvent extends infer E ? (E extends VrrpEvent ? Omit<E, 'now'> & { now?: number } : never) : never;

export interface PendingTimer {
  instance: string;
  timer: TimerName;
  at: number;
}

export class Driver {
  now = 0;
  private unit: { kind: 'instance'; state: InstanceState } | { kind: 'group'; state: GroupState };
  /** Effects of every step so far, in order. */
  readonly all: Effect[] = [];
  /** Effects of the last call (start, advert, advance ...). */
  last: Effect[] = [];
  private readonly timers = new Map<string, PendingTimer>();

  constructor(what: InstanceParams | { group: string; members: readonly InstanceParams[] }) {
    this.unit = 'group' in what
      ? { kind: 'group', state: initialGroupState(what.group, what.members) }
      : { kind: 'instance', state: initialState(what) };
  }

  get group(): GroupState {
    if (this.unit.kind !== 'group') throw new TypeError('not a group driver');
    return this.unit.state;
  }

  /** The instance (by name for a group; the only one otherwise). */
  inst(name?: string): InstanceState {
    if (this.unit.kind === 'instance') return this.unit.state;
    const s = this.unit.state.members.find((m) => name === undefined || m.params.name === name);
    if (!s) throw new RangeError(`no member ${name}`);
    return s;
  }

  /** Feed one event at the current time (`instance`: the group member it is for). */
  send(ev: EventInput, instance?: string): Effect[] {
    const e = { ...ev, now: ev.now ?? this.now } as VrrpEvent;
    this.last = this.apply(e, instance);
    return this.last;
  }

  start(trackers?: TrackerValues): Effect[] {
    return this.send({ type: 'start', trackers });
  }

  /** An advert from `src` with our VRID, version, interval and VIPs unless overridden. */
  advert(a: Partial<Advert> & { src: string; priority: number }, instance?: string): Effect[] {
    const p = this.inst(instance).params;
    const advert: Advert = {
      vrid: p.vrid, version: p.version, intervalCs: p.advertIntUs / 10_000, addresses: p.vips.map(stripPrefix), ...a,
    };
    return this.send({ type: 'advert', advert }, instance ?? (this.unit.kind === 'group' ? p.name : undefined));
  }

  tracker(kind: TrackerKind, name: string, value: TrackerValue): Effect[] {
    return this.send({ type: 'tracker', kind, name, value });
  }

  /** The earliest armed timer. */
  nextTimer(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers.values()) if (!best || t.at < best.at) best = t;
    return best;
  }

  timer(instance: string, slot: 'main' | 'garp-delay' | 'garp-lower-prio' = 'main'): PendingTimer | undefined {
    return this.timers.get(`${instance}|${slot}`);
  }

  /** Advance virtual time to `t`, firing every timer due on the way; returns their effects. */
  advanceTo(t: number): Effect[] {
    const out: Effect[] = [];
    for (;;) {
      const n = this.nextTimer();
      if (!n || n.at > t) break;
      this.now = n.at;
      this.timers.delete(slotKey(n.instance, n.timer));
      out.push(...this.apply({ type: 'timer', now: n.at, timer: n.timer }, this.unit.kind === 'group' ? n.instance : undefined));
    }
    this.now = Math.max(this.now, t);
    this.last = out;
    return out;
  }

  advanceBy(us: number): Effect[] {
    return this.advanceTo(this.now + us);
  }

  /** Log lines (non-detail unless asked) of the last call. */
  logs(detail = false, from: readonly Effect[] = this.last): string[] {
    return from.flatMap((e) => (e.type === 'log' && (detail || !e.detail) ? [e.message] : []));
  }

  private apply(e: VrrpEvent, instance: string | undefined): Effect[] {
    let effects: Effect[];
    if (this.unit.kind === 'instance') {
      const r = step(this.unit.state, e);
      this.unit = { kind: 'instance', state: r.state };
      effects = r.effects;
    } else {
      const r = stepGroup(this.unit.state, e, instance);
      this.unit = { kind: 'group', state: r.state };
      effects = r.effects;
    }
    for (const f of effects) {
      if (f.type !== 'timer') continue;
      const key = slotKey(f.instance, f.timer);
      if (f.action === 'cancel') this.timers.delete(key);
      else this.timers.set(key, { instance: f.instance, timer: f.timer, at: f.at });
    }
    this.all.push(...effects);
    return effects;
  }
}

function slotKey(instance: string, timer: TimerName): string {
  return `${instance}|${timer === 'master-down' || timer === 'advert' ? 'main' : timer}`;
}
