// The properties a simulated run must keep, checked as it runs.
//
// election  After the LAN has been quiet (no change, no loss) for the scenario's settle bound,
//           in every partition component and for every VRID: an instance is FAULT exactly when
//           its router's cable is out or a weight-0 tracked object of it (or of a member of its
//           sync group on that router) fails; among the others ("eligible") exactly one is
//           MASTER and the rest BACKUP, or none when there are none. The master must be
//           legitimate, as keepalived decides: no eligible instance that preempts (no nopreempt;
//           preempt_delay long over) has a strictly higher effective priority. Equal priorities
//           do not preempt (a backup accepts an equal advert; the address only breaks a tie
//           between two masters), so any of them may be master. Every effective priority equals
//           base + weights clamped to 1..254 (255 for the owner), and only masters hold VIPs.
// stability Once settled, nothing changes state until the next scenario action.
// cause     Every transition has a cause that allows it: INIT only on start, STOP only on
//           shutdown, FAULT and back only on a tracker/interface event with the fault really
//           there (or gone), BACKUP -> MASTER only on the unit's own master-down timer (or, in a
//           sync group, a member's recovery), MASTER -> BACKUP only on an advert that beats us
//           (higher priority, or equal from a higher address) received by the unit; a priority
//           changes only on a tracker event (or the two-owner conflict).
// sync      After every step, the members of a sync group are never split between MASTER and
//           BACKUP/FAULT.
// failover  When the master of a VRID is killed, a new master appears within
//           Master_Down_Interval + the worst latency (the best backup's; in a sync group the
//           slowest member's); when it is stopped (priority 0), within Skew_Time + latency.
import { compareAddresses, type InstanceParams } from '../vrrp/instance-params.js';
import { PRIO_OWNER, trackerKey, type TrackerValue } from '../vrrp/priority.js';
import type { InstanceState } from '../vrrp/state-machine.js';
import { formatUs, masterDownIntervalUs, skewUs } from '../vrrp/timers.js';
import type { SimRouter, StepRecord } from './router.js';
import type { Scenario } from './scenario.js';
import { describeCause, type Simulation } from './simulator.js';

export type PropertyName = 'election' | 'stability' | 'cause' | 'failover' | 'priority' | 'vips' | 'sync';

export interface Violation {
  t: number;
  property: PropertyName;
  message: string;
}

interface Expectation {
  /** base + weights, clamped. */
  prio: number;
  /** A weight-0 object fails (own or, for a group member, any member's on that router). */
  fault: boolean;
}

interface Probe {
  vrid: number;
  dead: number;
  t0: number;
  bound: number;
  graceful: boolean;
  newMasterAt?: number;
  verified: boolean;
}

/**
 * The priority and fault keepalived must arrive at, restated independently of priority.ts:
 * weight 0 -> FAULT while failing (reverse: while up); a positive weight counts while up, a
 * negative one while down (reverse flips the sign); clamp to 1..254 unless the owner.
 */
export function expectedPriority(p: InstanceParams, values: Readonly<Record<string, TrackerValue>>): Expectation {
  let total = p.priority;
  let fault = false;
  for (const t of p.trackers) {
    const raw = values[trackerKey(t.kind, t.name)];
    const up = raw === undefined ? true : raw === true;
    const sign = t.reverse ? -1 : 1;
    if (t.weight === 0) {
      if (up === t.reverse) fault = true;
    } else if (up ? t.weight > 0 : t.weight < 0) total += t.weight * sign;
  }
  const prio = p.priority === PRIO_OWNER ? PRIO_OWNER : Math.min(254, Math.max(1, total));
  return { prio, fault };
}

export class PropertyChecker {
  readonly violations: Violation[] = [];
  private holdUntil: number | null = null;
  private readonly probes: Probe[] = [];
  private readonly names: string[];

  constructor(private readonly sim: Simulation, readonly scenario: Scenario) {
    this.names = scenario.routers.map((r) => r.name);
  }

  private violate(property: PropertyName, message: string): void {
    this.violations.push({ t: this.sim.now, property, message });
    this.sim.trace.record(this.sim.now, -1, `VIOLATION ${property}: ${message}`);
  }

  // -------------------------------------------------------------------------------------------
  // The model: what each running router's instances should be.

  private expectations(r: SimRouter): Map<string, Expectation> {
    const out = new Map<string, Expectation>();
    for (const p of r.spec.instances) out.set(p.name, expectedPriority(p, r.trackers));
    for (const g of r.spec.groups ?? []) {
      if (g.members.some((m) => out.get(m)?.fault)) for (const m of g.members) out.set(m, { ...out.get(m)!, fault: true });
    }
    return out;
  }

  private eligible(r: SimRouter, name: string, exp: Map<string, Expectation>): boolean {
    return r.running && r.linkUp && !exp.get(name)!.fault;
  }

  // -------------------------------------------------------------------------------------------
  // Checks.

  /** The election must be settled now and hold until `until`. */
  checkSettled(until: number): void {
    this.verifyProbes();
    const before = this.violations.length;
    const sim = this.sim;
    const byVrid = new Map<number, { r: SimRouter; s: InstanceState; prio: number; eligible: boolean }[]>();
    for (const r of sim.routers) {
      if (!r.running) continue;
      const exp = this.expectations(r);
      for (const s of r.allInstances()) {
        const name = `${r.name}/${s.params.name}`;
        const e = exp.get(s.params.name)!;
        const ok = this.eligible(r, s.params.name, exp);
        if (!ok && s.state !== 'FAULT') this.violate('election', `${name} should be FAULT (${r.linkUp ? 'a weight-0 tracked object fails' : 'cable out'}) but is ${s.state}`);
        if (ok && s.state !== 'MASTER' && s.state !== 'BACKUP') this.violate('election', `${name} should be MASTER or BACKUP but is ${s.state}`);
        if (s.effectivePriority !== e.prio && !(s.params.priority === PRIO_OWNER && s.effectivePriority === PRIO_OWNER - 1)) {
          this.violate('priority', `${name} has effective priority ${s.effectivePriority}, expected ${e.prio}`);
        }
        if (r.vipsHeld.has(s.params.name) !== (s.state === 'MASTER')) {
          this.violate('vips', `${name} is ${s.state} but ${r.vipsHeld.has(s.params.name) ? 'holds' : 'does not hold'} its VIPs`);
        }
        const list = byVrid.get(s.params.vrid) ?? [];
        list.push({ r, s, prio: e.prio, eligible: ok });
        byVrid.set(s.params.vrid, list);
      }
    }
    for (const [vrid, list] of byVrid) {
      const comps = new Map<number, typeof list>();
      for (const x of list) {
        if (!x.r.linkUp) continue;
        const k = sim.lan.componentOf(x.r.index);
        comps.set(k, [...(comps.get(k) ?? []), x]);
      }
      for (const members of comps.values()) {
        const elig = members.filter((x) => x.eligible);
        const masters = members.filter((x) => x.s.state === 'MASTER');
        const who = (x: (typeof list)[number]): string => `${x.r.name}(${x.prio}${x.s.params.nopreempt ? ',nopreempt' : ''})`;
        if (!elig.length) {
          if (masters.length) this.violate('election', `VRID ${vrid}: no eligible instance but ${masters.map(who).join(', ')} MASTER`);
          continue;
        }
        if (masters.length !== 1) {
          this.violate('election', `VRID ${vrid}: ${masters.length} masters (${masters.map(who).join(', ') || 'none'}) among ${elig.map(who).join(', ')}`);
          continue;
        }
        const m = masters[0]!;
        for (const c of elig) {
          if (c === m) continue;
          if (!c.s.params.nopreempt && c.prio > m.prio) {
            this.violate('election', `VRID ${vrid}: ${who(m)} is MASTER but ${who(c)} has a higher priority and preempts`);
          }
        }
      }
    }
    if (this.violations.length === before) this.sim.trace.record(sim.now, -1, 'check: election settled');
    this.holdUntil = until;
  }

  /** Kill or stop the master of a VRID and expect the failover within its bound. */
  probe(graceful: boolean, pick: number): void {
    const sim = this.sim;
    const L = sim.lan.maxLatencyUs();
    const cands: { router: SimRouter; s: InstanceState }[] = [];
    for (const r of sim.routers) {
      if (!r.running || !r.linkUp) continue;
      for (const s of r.allInstances()) {
        if (s.state !== 'MASTER') continue;
        if (this.backups(r, s).length) cands.push({ router: r, s });
      }
    }
    if (!cands.length) {
      sim.trace.record(sim.now, -1, 'probe: no master with a live backup - skipped');
      return;
    }
    const dead = cands[pick % cands.length]!.router;
    const grouped = new Set((dead.spec.groups ?? []).flatMap((g) => g.members));
    const perVrid: { vrid: number; vals: number[]; grouped: boolean }[] = [];
    for (const s of dead.allInstances()) {
      if (s.state !== 'MASTER') continue;
      const vals = this.backups(dead, s).map(({ c, prio }) => {
        const masterInt = c.params.version === 3 ? s.params.advertIntUs : c.params.advertIntUs;
        return graceful
          ? skewUs(c.params.version, prio, masterInt)
          : masterDownIntervalUs(c.params.version, prio, masterInt, c.params.downTimerAdverts);
      });
      if (vals.length) perVrid.push({ vrid: s.params.vrid, vals, grouped: grouped.has(s.params.name) });
    }
    const groupMax = Math.max(0, ...perVrid.filter((v) => v.grouped).flatMap((v) => v.vals));
    for (const v of perVrid) {
      const bound = L + (v.grouped ? groupMax : Math.min(...v.vals));
      this.probes.push({ vrid: v.vrid, dead: dead.index, t0: sim.now, bound, graceful, verified: false });
      sim.trace.record(sim.now, -1, `probe: ${graceful ? 'stop' : 'kill'} ${dead.name}, master of VRID ${v.vrid}: new master expected within ${formatUs(bound)} s`);
    }
    if (graceful) sim.stopRouter(dead.index);
    else sim.killRouter(dead.index);
  }

  /** The eligible instances of `s`'s VRID on other routers of its component, with their expected priority. */
  private backups(r: SimRouter, s: InstanceState): { c: InstanceState; prio: number }[] {
    const out: { c: InstanceState; prio: number }[] = [];
    for (const o of this.sim.routers) {
      if (o === r || !o.running || !o.linkUp || !this.sim.lan.connected(o.index, r.index)) continue;
      const exp = this.expectations(o);
      for (const c of o.allInstances()) {
        if (c.params.vrid === s.params.vrid && !exp.get(c.params.name)!.fault) out.push({ c, prio: exp.get(c.params.name)!.prio });
      }
    }
    return out;
  }

  private verifyProbes(): void {
    for (const p of this.probes) {
      if (p.verified || this.sim.now < p.t0 + p.bound) continue;
      p.verified = true;
      const what = `${p.graceful ? 'stopping' : 'killing'} ${this.names[p.dead]} at ${formatUs(p.t0)}`;
      if (p.newMasterAt === undefined || p.newMasterAt > p.t0 + p.bound) {
        const took = p.newMasterAt === undefined ? 'no new master yet' : `new master after ${formatUs(p.newMasterAt - p.t0)} s`;
        this.violate('failover', `VRID ${p.vrid}: ${took} after ${what}; bound ${formatUs(p.bound)} s`);
      }
    }
  }

  finish(): void {
    this.verifyProbes();
  }

  // -------------------------------------------------------------------------------------------
  // Every step.

  onStep(r: StepRecord): void {
    const router = this.names[r.router] ?? `r${r.router}`;
    if (this.holdUntil !== null && r.t < this.holdUntil && r.transitions.length) {
      const tr = r.transitions[0]!;
      this.violate('stability', `${router}/${tr.instance} ${tr.from} -> ${tr.to} after the election had settled`);
      this.holdUntil = null;
    }
    for (const tr of r.transitions) {
      if (tr.to !== 'MASTER') continue;
      const s = r.after.find((x) => x.params.name === tr.instance)!;
      for (const p of this.probes) {
        if (p.vrid === s.params.vrid && p.dead !== r.router && p.newMasterAt === undefined && r.t >= p.t0) p.newMasterAt = r.t;
      }
    }
    this.checkCause(r, router);
    if (r.unit.length > 1) {
      const masters = r.after.filter((s) => s.state === 'MASTER').length;
      const others = r.after.filter((s) => s.state === 'BACKUP' || s.state === 'FAULT').length;
      if (masters && others) this.violate('sync', `${router}: sync group split (${r.after.map((s) => `${s.params.name}=${s.state}`).join(' ')}) after ${describeCause(r)}`);
    }
  }

  private checkCause(r: StepRecord, router: string): void {
    const c = r.cause;
    const grouped = r.unit.length > 1;
    const faulted = r.after.some((s) => s.numFault > 0);
    const beats = (): boolean => {
      if (c.kind !== 'advert') return false;
      if (c.advert.priority > c.receiverPrio) return true;
      // Two owners: the receiver drops itself to 254 first.
      if (c.advert.priority === PRIO_OWNER && c.receiverPrio === PRIO_OWNER) return true;
      return c.advert.priority === c.receiverPrio && c.receiverSrc !== undefined && compareAddresses(c.advert.src, c.receiverSrc) > 0;
    };
    const targetLost = c.kind === 'advert' && r.transitions.some((t) => t.instance === c.instance && t.from === 'MASTER' && t.to === 'BACKUP');
    for (const t of r.transitions) {
      let ok: boolean;
      let why = '';
      if (t.from === 'INIT') ok = c.kind === 'start';
      else if (t.to === 'STOP') ok = c.kind === 'shutdown';
      else if (t.to === 'FAULT') {
        ok = c.kind === 'tracker' && (grouped ? faulted : (r.after.find((s) => s.params.name === t.instance)?.numFault ?? 0) > 0);
        why = 'FAULT needs a failing weight-0 tracked object';
      } else if (t.from === 'FAULT') {
        ok = c.kind === 'tracker' && !faulted;
        why = 'leaving FAULT needs every weight-0 tracked object back';
      } else if (t.from === 'BACKUP' && t.to === 'MASTER') {
        ok = (c.kind === 'timer' && (c.timer === 'master-down' || c.timer === 'advert') && r.unit.includes(c.instance)) || (grouped && c.kind === 'tracker');
        why = 'BACKUP -> MASTER needs the master-down timer';
      } else if (t.from === 'MASTER' && t.to === 'BACKUP') {
        ok = (c.kind === 'advert' && beats() && targetLost) || (grouped && c.kind === 'tracker');
        why = 'MASTER -> BACKUP needs an advert that beats ours';
      } else {
        ok = false;
        why = 'no such transition in keepalived';
      }
      if (!ok) this.violate('cause', `${router}/${t.instance} ${t.from} -> ${t.to} caused by ${describeCause(r)}: ${why}`);
    }
    for (const ch of r.prioChanges) {
      const ownerConflict = c.kind === 'advert' && ch.from === PRIO_OWNER && ch.to === PRIO_OWNER - 1;
      if (c.kind !== 'tracker' && c.kind !== 'start' && !ownerConflict) {
        this.violate('cause', `${router}/${ch.instance} priority ${ch.from} -> ${ch.to} caused by ${describeCause(r)}`);
      }
    }
  }
}
