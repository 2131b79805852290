// Hand-written scenarios in the simulator, with exact virtual times: every link has a fixed
// 500 us latency, so each failover time can be computed from keepalived's formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation } from '../../src/sim/simulator.js';
import type { SimRouterSpec, StepRecord } from '../../src/sim/router.js';
import { makeParams, type ParamSpec } from '../../src/vrrp/instance-params.js';
import { masterDownIntervalUs, skewUs } from '../../src/vrrp/timers.js';

const S = 1_000_000;
const LAT = 500;
const IF = { kind: 'interface', name: 'eth0', weight: 0, reverse: false } as const;

function inst(vrid: number, priority: number, src: string, extra: Partial<ParamSpec> = {}): ReturnType<typeof makeParams> {
  return makeParams({ name: `VI_${vrid}`, vrid, priority, srcAddress: src, vips: [`10.9.${vrid}.1/24`], interface: 'eth0', trackers: [IF], ...extra });
}

function router(i: number, instances: ReturnType<typeof makeParams>[], groups?: SimRouterSpec['groups'], trackers?: SimRouterSpec['trackers']): SimRouterSpec {
  return { name: `r${i}`, address: `10.0.0.${i}`, interface: 'eth0', instances, groups, trackers };
}

interface Seen {
  t: number;
  router: string;
  instance: string;
  from: string;
  to: string;
}

function world(routers: SimRouterSpec[]): { sim: Simulation; seen: Seen[]; logs: string[] } {
  const seen: Seen[] = [];
  const logs: string[] = [];
  const sim = new Simulation({
    seed: 1, routers, latency: () => ({ baseUs: LAT, jitterUs: 0 }),
    onStep: (r: StepRecord) => {
      for (const t of r.transitions) seen.push({ t: r.t, router: routers[r.router]!.name, instance: t.instance, from: t.from, to: t.to });
      for (const e of r.effects) if (e.type === 'log' && !e.detail) logs.push(`${routers[r.router]!.name} ${e.message}`);
    },
  });
  return { sim, seen, logs };
}

/** When `router/instance` last became `to` (before `by`). */
function became(seen: Seen[], router: string, instance: string, to: string, by = Infinity): number | undefined {
  return seen.filter((s) => s.router === router && s.instance === instance && s.to === to && s.t <= by).at(-1)?.t;
}

function masters(sim: Simulation, vrid: number): string[] {
  return sim.mastersOf(vrid).map((m) => sim.routers[m.router]!.name).sort();
}

const mdi = (prio: number, intUs = S, v: 2 | 3 = 2): number => masterDownIntervalUs(v, prio, intUs, 3);

test('two routers: the higher priority wins; SIGKILL fails over after Master_Down_Interval from the last advert; restart preempts back; SIGTERM fails over after Skew_Time', () => {
  const { sim, seen } = world([router(1, [inst(51, 200, '10.0.0.1')]), router(2, [inst(51, 100, '10.0.0.2')])]);
  sim.at(0, 'start', () => {
    sim.startRouter(0);
    sim.startRouter(1);
  });
  sim.runUntil(9.9 * S);
  assert.equal(became(seen, 'r1', 'VI_51', 'MASTER'), mdi(200));
  assert.deepEqual(masters(sim, 51), ['r1']);
  // r1 advertises at 3.21875 + k s; the last one before the kill leaves at 9.21875 s.
  sim.at(10 * S, 'kill r1', () => sim.killRouter(0));
  sim.runUntil(19 * S);
  const lastAdvert = mdi(200) + 6 * S;
  assert.equal(became(seen, 'r2', 'VI_51', 'MASTER'), lastAdvert + LAT + mdi(100));
  assert.ok(lastAdvert + LAT + mdi(100) - 10 * S <= mdi(100) + LAT, 'within Master_Down_Interval + latency of the kill');
  sim.at(20 * S, 'start r1', () => sim.startRouter(0));
  sim.runUntil(29 * S);
  assert.equal(became(seen, 'r1', 'VI_51', 'MASTER'), 20 * S + mdi(200), 'r1 discards r2\'s lower adverts and times out');
  assert.equal(became(seen, 'r2', 'VI_51', 'BACKUP'), 20 * S + mdi(200) + LAT);
  sim.at(30 * S, 'stop r1', () => sim.stopRouter(0));
  sim.runUntil(35 * S);
  assert.equal(became(seen, 'r2', 'VI_51', 'MASTER', 35 * S), 30 * S + LAT + skewUs(2, 100, S));
  assert.deepEqual(masters(sim, 51), ['r2']);
});

test('three routers: the next best backup (150, not 100) takes over from a killed master; a stopped one hands over to the last', () => {
  const { sim, seen } = world([
    router(1, [inst(51, 200, '10.0.0.1')]), router(2, [inst(51, 150, '10.0.0.2')]), router(3, [inst(51, 100, '10.0.0.3')]),
  ]);
  sim.at(0, 'start', () => [0, 1, 2].forEach((i) => sim.startRouter(i)));
  sim.at(10 * S, 'kill r1', () => sim.killRouter(0));
  sim.runUntil(20 * S);
  assert.equal(became(seen, 'r2', 'VI_51', 'MASTER'), mdi(200) + 6 * S + LAT + mdi(150));
  assert.equal(became(seen, 'r3', 'VI_51', 'MASTER'), undefined);
  sim.at(20 * S, 'stop r2', () => sim.stopRouter(1));
  sim.runUntil(25 * S);
  assert.equal(became(seen, 'r3', 'VI_51', 'MASTER'), 20 * S + LAT + skewUs(2, 100, S));
  assert.deepEqual(masters(sim, 51), ['r3']);
});

test('nopreempt: a higher-priority router that comes back stays BACKUP while the current master lives', () => {
  const { sim, seen } = world([
    router(1, [inst(51, 200, '10.0.0.1', { nopreempt: true })]), router(2, [inst(51, 100, '10.0.0.2', { nopreempt: true })]),
  ]);
  sim.at(0, 'start r2', () => sim.startRouter(1));
  sim.at(10 * S, 'start r1', () => sim.startRouter(0));
  sim.runUntil(40 * S);
  assert.deepEqual(masters(sim, 51), ['r2']);
  assert.equal(became(seen, 'r1', 'VI_51', 'MASTER'), undefined);
  sim.at(40 * S, 'kill r2', () => sim.killRouter(1));
  sim.at(50 * S, 'start r2', () => sim.startRouter(1));
  sim.runUntil(70 * S);
  assert.deepEqual(masters(sim, 51), ['r1']);
});

test('preempt_delay: the returning higher-priority router waits preempt_delay from the first lower advert, then one Master_Down_Interval', () => {
  const { sim, seen } = world([
    router(1, [inst(51, 200, '10.0.0.1', { preemptDelayUs: 5 * S })]), router(2, [inst(51, 100, '10.0.0.2')]),
  ]);
  sim.at(0, 'start r2', () => sim.startRouter(1));
  sim.at(10 * S, 'start r1', () => sim.startRouter(0));
  sim.runUntil(30 * S);
  // r2 advertises at 3.609375 + k s; r1 first hears one at 10.609875 s: the delay ends at 15.609875 s.
  const first = mdi(100) + 7 * S + LAT;
  const lastAccepted = first + 4 * S;
  assert.equal(became(seen, 'r1', 'VI_51', 'MASTER'), lastAccepted + mdi(200));
  assert.deepEqual(masters(sim, 51), ['r1']);
});

test('sync group of two: one member\'s failing script puts both in FAULT; the peer group takes both VIDs after Skew_Time; recovery preempts back together', () => {
  const chk = { kind: 'script', name: 'chk', weight: 0, reverse: false } as const;
  const g = [{ name: 'G', members: ['VI_51', 'VI_52'] }];
  const { sim, seen, logs } = world([
    router(1, [inst(51, 200, '10.0.0.1', { trackers: [IF, chk] }), inst(52, 200, '10.0.0.1')], g, { 'script:chk': true }),
    router(2, [inst(51, 100, '10.0.0.2'), inst(52, 100, '10.0.0.2')], g),
  ]);
  sim.at(0, 'start', () => [0, 1].forEach((i) => sim.startRouter(i)));
  sim.runUntil(10 * S);
  assert.deepEqual([masters(sim, 51), masters(sim, 52)], [['r1'], ['r1']]);
  sim.at(10 * S, 'chk fails on r1', () => sim.setTracker(0, 'script', 'chk', false));
  sim.runUntil(15 * S);
  assert.equal(sim.stateOf(0, 'VI_51'), 'FAULT');
  assert.equal(sim.stateOf(0, 'VI_52'), 'FAULT', 'FAULT propagates to the other member');
  assert.ok(logs.includes('r1 VRRP_Group(G) Syncing instances to FAULT state'));
  const takeover = 10 * S + LAT + skewUs(2, 100, S);
  assert.equal(became(seen, 'r2', 'VI_51', 'MASTER'), takeover);
  assert.equal(became(seen, 'r2', 'VI_52', 'MASTER'), takeover);
  sim.at(20 * S, 'chk recovers on r1', () => sim.setTracker(0, 'script', 'chk', true));
  sim.runUntil(30 * S);
  assert.equal(became(seen, 'r1', 'VI_51', 'MASTER'), 20 * S + mdi(200));
  assert.equal(became(seen, 'r1', 'VI_52', 'MASTER'), 20 * S + mdi(200));
  assert.deepEqual([masters(sim, 51), masters(sim, 52)], [['r1'], ['r1']]);
});

test('VRRPv3: a backup adopts the master\'s 0.5 s interval, so it fails over in 3 x 0.5 s + skew, not 3 x 2 s', () => {
  const { sim, seen } = world([
    router(1, [inst(51, 200, '10.0.0.1', { version: 3, advertIntUs: 500_000 })]),
    router(2, [inst(51, 100, '10.0.0.2', { version: 3, advertIntUs: 2 * S })]),
  ]);
  sim.at(0, 'start', () => [0, 1].forEach((i) => sim.startRouter(i)));
  sim.runUntil(9.9 * S);
  assert.equal(sim.instance(1, 'VI_51')?.masterAdverIntUs, 500_000);
  sim.at(10 * S, 'kill r1', () => sim.killRouter(0));
  sim.runUntil(20 * S);
  const took = became(seen, 'r2', 'VI_51', 'MASTER')! - 10 * S;
  assert.ok(took <= mdi(100, 500_000, 3) + LAT, `failover took ${took} us`);
  assert.ok(took < 2 * S);
});

test('two owners (priority 255): the first to hear the other reports a configuration error, drops to 254 and steps back; one master remains', () => {
  const { sim, logs } = world([router(1, [inst(51, 255, '10.0.0.1')]), router(2, [inst(51, 255, '10.0.0.2')])]);
  sim.at(0, 'start r1', () => sim.startRouter(0));
  sim.at(1.3 * S, 'start r2', () => sim.startRouter(1));
  sim.runUntil(15 * S);
  assert.deepEqual(masters(sim, 51), ['r2']);
  assert.ok(logs.some((l) => l.startsWith('r1') && l.includes('CONFIGURATION ERROR')));
  assert.equal(sim.instance(0, 'VI_51')?.effectivePriority, 254);
});

test('partition and heal: both sides elect a master; after the heal the lower one steps down within an advert interval', () => {
  const { sim } = world([router(1, [inst(51, 200, '10.0.0.1')]), router(2, [inst(51, 100, '10.0.0.2')])]);
  sim.at(0, 'start', () => [0, 1].forEach((i) => sim.startRouter(i)));
  sim.at(10 * S, 'partition', () => sim.partition([[0], [1]]));
  sim.runUntil(20 * S);
  assert.deepEqual(masters(sim, 51), ['r1', 'r2']);
  sim.at(30 * S, 'heal', () => sim.heal());
  sim.runUntil(30 * S + S + LAT);
  assert.deepEqual(masters(sim, 51), ['r1']);
});
