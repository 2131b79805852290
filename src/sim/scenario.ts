// Random scenarios for the property tests, from a seed: routers with several instances (v2/v3,
// IPv4/IPv6, owners, nopreempt, preempt_delay, weighted and weight-0 trackers, sync groups), a
// LAN with per-link latency, and a timeline of cycles:
//
//   chaos   kills, restarts, graceful stops, cable pulls, tracker flaps, partitions and heals,
//           with packet loss;
//   settle  no change and no loss for `settleUs`, then the election is checked, and must not
//           move until the window ends;
//   probe   the master of a VRID is killed (or stopped), the failover is timed against its
//           bound, and the election settles and is checked again.
//
// A scenario is plain data (JSON), so a failing one can be printed, saved and replayed.
import { makeParams, type InstanceParams } from '../vrrp/instance-params.js';
import type { TrackerDef } from '../vrrp/priority.js';
import { skewUs, US_PER_SECOND } from '../vrrp/timers.js';
import type { GroupParams } from '../vrrp/sync-group.js';
import type { LinkLatency } from './lan.js';
import { Prng } from './prng.js';
import type { SimRouterSpec } from './router.js';

const S = US_PER_SECOND;

export type Action =
  | { kind: 'start'; router: number }
  | { kind: 'kill'; router: number }
  | { kind: 'stop'; router: number }
  | { kind: 'link'; router: number; up: boolean }
  | { kind: 'tracker'; router: number; name: string; value: boolean }
  | { kind: 'partition'; groups: number[][] }
  | { kind: 'heal' }
  | { kind: 'loss'; p: number }
  /** Kill (or stop) the router mastering the `pick`-th VRID that has a master and a live backup. */
  | { kind: 'probe'; graceful: boolean; pick: number }
  /** The election must be settled now, and stay put until `until`. */
  | { kind: 'check'; until: number };

export interface TimedAction {
  at: number;
  action: Action;
}

export interface Scenario {
  seed: number;
  routers: SimRouterSpec[];
  /** latency[a][b] for a < b. */
  latency: LinkLatency[][];
  timeline: TimedAction[];
  endUs: number;
  /** How long after the last change the election must be settled. */
  settleUs: number;
}

export function describeAction(a: Action, names: readonly string[]): string {
  const n = (i: number): string => names[i] ?? `r${i}`;
  switch (a.kind) {
    case 'start': case 'kill': case 'stop': return `${a.kind} ${n(a.router)}`;
    case 'link': return `link ${n(a.router)} ${a.up ? 'up' : 'down'}`;
    case 'tracker': return `script ${a.name} on ${n(a.router)} ${a.value ? 'succeeds' : 'fails'}`;
    case 'partition': return `partition ${a.groups.map((g) => `{${g.map(n).join(',')}}`).join(' ')}`;
    case 'heal': return 'heal';
    case 'loss': return `loss ${a.p}`;
    case 'probe': return `probe: ${a.graceful ? 'stop' : 'kill'} the master of candidate #${a.pick}`;
    case 'check': return 'check the election';
  }
}

// ---------------------------------------------------------------------------------------------
// Generation.

interface VridPlan {
  vrid: number;
  version: 2 | 3;
  routers: number[];
  intervalUs: number;
  downTimerAdverts: number;
  /** Every router lists the same VIPs (a different list makes keepalived drop the adverts). */
  vips: string[];
  group?: string;
}

const PRIORITIES = [50, 100, 100, 150, 200, 254];
const SCRIPTS = ['s0', 's1', 's2'];

function v4(prng: Prng, used: Set<string>): string {
  for (;;) {
    const a = prng.pick([10, 172, 192, 200]);
    const s = `${a}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}`;
    if (!used.has(s)) {
      used.add(s);
      return s;
    }
  }
}

function v6(prng: Prng, used: Set<string>): string {
  for (;;) {
    const s = `fe80::${prng.int(0, 0xffff).toString(16)}:${prng.int(1, 0xffff).toString(16)}`;
    if (!used.has(s)) {
      used.add(s);
      return s;
    }
  }
}

function weightedScript(prng: Prng, fromGroup: boolean): TrackerDef {
  const weight = prng.pick([-200, -60, -30, -10, 10, 30, 60]);
  return { kind: 'script', name: prng.pick(SCRIPTS), weight, reverse: prng.chance(0.15), fromGroup };
}

export function generateScenario(seed: number): Scenario {
  const prng = new Prng(seed);
  const nRouters = prng.int(2, 5);
  const ipv6 = prng.chance(0.2);
  const used = new Set<string>();
  const addrs = Array.from({ length: nRouters }, () => (ipv6 ? v6(prng, used) : v4(prng, used)));

  // VRIDs, each on a set of routers (a sync group's VRIDs share theirs).
  const plans: VridPlan[] = [];
  const nVrids = prng.int(1, 5);
  const vrids = new Set<number>();
  const wantGroup = nVrids >= 2 && prng.chance(0.4);
  const groupSize = nVrids >= 3 && prng.chance(0.3) ? 3 : 2;
  let groupRouters: number[] | undefined;
  for (let k = 0; k < nVrids; k++) {
    let vrid = prng.int(1, 255);
    while (vrids.has(vrid)) vrid = prng.int(1, 255);
    vrids.add(vrid);
    const version: 2 | 3 = ipv6 ? 3 : prng.chance(0.4) ? 3 : 2;
    let routers: number[];
    const inGroup = wantGroup && k < groupSize;
    if (inGroup && groupRouters) routers = groupRouters;
    else {
      routers = Array.from({ length: nRouters }, (_, i) => i).filter(() => nRouters === 2 || prng.chance(0.8));
      if (routers.length < 2) routers = [0, 1];
      if (inGroup) groupRouters = routers;
    }
    const intervalUs = version === 2 ? prng.pick([1, 1, 2]) * S : prng.pick([50, 100, 100, 200]) * 10_000;
    const vips = [ipv6 ? `fe80::${vrid.toString(16)}:1/64` : `10.255.${vrid}.1/24`];
    if (prng.chance(0.3)) vips.push(ipv6 ? `2001:db8::${vrid.toString(16)}/64` : `10.254.${vrid}.1/24`);
    plans.push({ vrid, version, routers, intervalUs, downTimerAdverts: prng.chance(0.8) ? 3 : prng.int(2, 5), vips, group: inGroup ? 'G' : undefined });
  }

  // Per router: the instances, with per-VRID priority and flags; group members share them.
  const routers: SimRouterSpec[] = [];
  for (let r = 0; r < nRouters; r++) {
    const instances: InstanceParams[] = [];
    let groupShared: { priority: number; nopreempt: boolean; preemptDelayUs: number; wantMaster: boolean; trackers: TrackerDef[] } | undefined;
    for (const plan of plans) {
      if (!plan.routers.includes(r)) continue;
      const owner = plan.routers[0] === r && prng.chance(0.1);
      let priority = owner ? 255 : prng.chance(0.7) ? prng.pick(PRIORITIES) : prng.int(1, 254);
      let nopreempt = !owner && prng.chance(0.2);
      let preemptDelayUs = !owner && !nopreempt && prng.chance(0.2) ? prng.int(1, 5) * S : 0;
      let wantMaster = !owner && prng.chance(0.1);
      // keepalived clears nopreempt and preempt_delay for `state MASTER`.
      if (wantMaster) {
        nopreempt = false;
        preemptDelayUs = 0;
      }
      const trackers: TrackerDef[] = [{ kind: 'interface', name: 'eth0', weight: 0, reverse: false }];
      let weighted: TrackerDef[] = [];
      if (!owner) {
        const n = prng.int(0, 2);
        for (let i = 0; i < n; i++) weighted.push(weightedScript(prng, false));
      }
      if (plan.group) {
        if (!groupShared) groupShared = { priority, nopreempt, preemptDelayUs, wantMaster, trackers: weighted.map((t) => ({ ...t, fromGroup: true })) };
        ({ priority, nopreempt, preemptDelayUs, wantMaster } = groupShared);
        weighted = priority === 255 ? [] : groupShared.trackers;
      }
      trackers.push(...weighted);
      // Weight-0 scripts: FAULT while failing (in a group, the whole group).
      if (prng.chance(0.25)) trackers.push({ kind: 'script', name: prng.pick(SCRIPTS), weight: 0, reverse: prng.chance(0.1) });
      const intervalUs = plan.version === 3 && prng.chance(0.2) ? prng.pick([50, 100, 200]) * 10_000 : plan.intervalUs;
      instances.push(makeParams({
        name: `VI_${plan.vrid}`, vrid: plan.vrid, version: plan.version, family: ipv6 ? 'inet6' : 'inet', interface: 'eth0',
        priority, wantMaster, nopreempt, preemptDelayUs, srcAddress: addrs[r], vips: plan.vips, advertIntUs: intervalUs,
        downTimerAdverts: plan.downTimerAdverts, trackers, garpMasterDelayUs: prng.pick([0, 5 * S]),
        lowerPrioNoAdvert: prng.chance(0.1), higherPrioSendAdvert: prng.chance(0.1), skipCheckAdvAddr: prng.chance(0.1),
      }));
    }
    const members = instances.filter((p) => plans.find((pl) => pl.vrid === p.vrid)?.group).map((p) => p.name);
    const groups: GroupParams[] = members.length >= 2 ? [{ name: 'G', members }] : [];
    const trackerValues: Record<string, boolean> = {};
    for (const s of SCRIPTS) trackerValues[`script:${s}`] = prng.chance(0.85);
    routers.push({ name: `r${r + 1}`, address: addrs[r]!, interface: 'eth0', instances, groups, trackers: trackerValues });
  }

  const latency: LinkLatency[][] = [];
  for (let a = 0; a < nRouters; a++) {
    const row: LinkLatency[] = [];
    for (let b = 0; b < nRouters; b++) row.push({ baseUs: prng.int(50, 5_000), jitterUs: prng.int(0, 2_000) });
    latency.push(row);
  }
  const settleUs = settleBound(routers, latency);

  // The timeline.
  const timeline: TimedAction[] = [];
  const add = (at: number, action: Action): void => {
    timeline.push({ at, action });
  };
  const running = new Array<boolean>(nRouters).fill(false);
  const linkUp = new Array<boolean>(nRouters).fill(true);
  const scriptOk = routers.map((r) => ({ ...(r.trackers as Record<string, boolean>) }));
  let t = 0;
  for (let r = 0; r < nRouters; r++) {
    if (prng.chance(0.85)) {
      add(prng.int(0, 2 * S), { kind: 'start', router: r });
      running[r] = true;
    }
  }
  let partitioned = false;
  const cycles = prng.int(2, 3);
  for (let c = 0; c < cycles; c++) {
    const chaosStart = t + prng.int(1 * S, 3 * S);
    const chaosLen = prng.int(5 * S, 25 * S);
    const loss = prng.pick([0, 0, 0.05, 0.2]);
    add(chaosStart, { kind: 'loss', p: loss });
    const n = prng.int(1, 8);
    const times = Array.from({ length: n }, () => chaosStart + prng.int(0, chaosLen)).sort((x, y) => x - y);
    for (const at of times) {
      const r = prng.int(0, nRouters - 1);
      const roll = prng.float();
      if (!running[r] && roll < 0.6) {
        add(at, { kind: 'start', router: r });
        running[r] = true;
      } else if (running[r] && roll < 0.2) {
        add(at, { kind: prng.chance(0.5) ? 'kill' : 'stop', router: r });
        running[r] = false;
      } else if (roll < 0.35) {
        linkUp[r] = !linkUp[r];
        add(at, { kind: 'link', router: r, up: linkUp[r]! });
      } else if (roll < 0.75) {
        const s = prng.pick(SCRIPTS);
        const key = `script:${s}`;
        scriptOk[r]![key] = !scriptOk[r]![key];
        add(at, { kind: 'tracker', router: r, name: s, value: scriptOk[r]![key]! });
      } else if (!partitioned && nRouters >= 2) {
        const side = Array.from({ length: nRouters }, () => prng.chance(0.5));
        const a = side.flatMap((x, i) => (x ? [i] : []));
        const b = side.flatMap((x, i) => (x ? [] : [i]));
        add(at, { kind: 'partition', groups: [a, b].filter((g) => g.length) });
        partitioned = true;
      } else {
        add(at, { kind: 'heal' });
        partitioned = false;
      }
    }
    // Bring most things back so the next phases have something to elect.
    const restore = chaosStart + chaosLen + 1;
    for (let r = 0; r < nRouters; r++) {
      if (!running[r] && prng.chance(0.7)) {
        add(restore, { kind: 'start', router: r });
        running[r] = true;
      }
      if (!linkUp[r] && prng.chance(0.7)) {
        linkUp[r] = true;
        add(restore, { kind: 'link', router: r, up: true });
      }
    }
    if (partitioned && prng.chance(0.6)) {
      add(restore, { kind: 'heal' });
      partitioned = false;
    }
    add(restore, { kind: 'loss', p: 0 });
    // Settle, check, hold.
    const check = restore + settleUs;
    const hold = check + prng.int(2 * S, 6 * S);
    add(check, { kind: 'check', until: hold });
    // Probe a failover, settle, check, hold.
    const graceful = prng.chance(0.4);
    add(hold, { kind: 'probe', graceful, pick: prng.int(0, 15) });
    const check2 = hold + settleUs;
    const hold2 = check2 + prng.int(2 * S, 6 * S);
    add(check2, { kind: 'check', until: hold2 });
    t = hold2;
  }
  return { seed, routers, latency, timeline: timeline.sort((x, y) => x.at - y.at), endUs: t + 1, settleUs };
}

/**
 * How long a quiet, loss-free LAN may take to settle after the last change: up to three rounds
 * of (Master_Down_Interval + an advert interval + latency) - a backup timing out, a sync-group
 * member waiting for its peers and re-arming, the loser of a master/master meeting stepping
 * down - plus the longest preempt_delay.
 */
export function settleBound(routers: readonly SimRouterSpec[], latency: readonly LinkLatency[][]): number {
  let maxInt = 0;
  let maxDta = 0;
  let maxDelay = 0;
  for (const r of routers) {
    for (const p of r.instances) {
      maxInt = Math.max(maxInt, p.advertIntUs);
      maxDta = Math.max(maxDta, p.downTimerAdverts);
      maxDelay = Math.max(maxDelay, p.preemptDelayUs);
    }
  }
  let maxLat = 0;
  for (const row of latency) for (const l of row) maxLat = Math.max(maxLat, l.baseUs + l.jitterUs);
  const worstSkew = Math.max(skewUs(2, 1, maxInt), skewUs(3, 1, maxInt));
  const mdi = maxDta * maxInt + worstSkew;
  return maxDelay + 3 * (mdi + maxInt + maxLat) + S;
}
