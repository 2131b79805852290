// Benchmark: the deterministic simulator with 1,000 VRRP instances on each of 3 routers (VRIDs
// 1..250 on eth0..eth3, advert_int 1 s, masters spread over the routers), run for one hour of
// virtual time with a kill, a restart, a graceful stop and a tracker flap on the way. Prints wall
// time, virtual time, events processed, events per second and peak memory.
// Run: node dist/test/bench/sim.bench.js   (BENCH_INSTANCES, BENCH_ROUTERS, BENCH_HOURS override)
import { Simulation } from '../../src/sim/simulator.js';
import type { SimRouterSpec } from '../../src/sim/router.js';
import { makeParams, type InstanceParams } from '../../src/vrrp/instance-params.js';

const S = 1_000_000;
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1000);
const ROUTERS = Number(process.env.BENCH_ROUTERS ?? 3);
const HOURS = Number(process.env.BENCH_HOURS ?? 1);
const PRIOS = [200, 150, 100, 50, 25];

function routerSpec(r: number): SimRouterSpec {
  const instances: InstanceParams[] = [];
  for (let k = 0; k < INSTANCES; k++) {
    const iface = `eth${Math.floor(k / 250)}`;
    const vrid = (k % 250) + 1;
    // Rotate the priorities so every router is master of a third of the instances.
    const priority = PRIOS[(k + r) % ROUTERS]!;
    instances.push(makeParams({
      name: `VI_${k}`, vrid, priority, interface: iface, srcAddress: `10.${r}.${Math.floor(k / 250)}.${r + 1}`,
      vips: [`10.100.${k >> 8}.${k & 255}/16`], advertIntUs: S,
      trackers: [{ kind: 'interface', name: iface, weight: 0, reverse: false }, { kind: 'script', name: 'chk', weight: -60, reverse: false }],
    }));
  }
  return { name: `r${r + 1}`, address: `10.${r}.0.${r + 1}`, interface: 'eth0', instances, trackers: { 'script:chk': true } };
}

function main(): void {
  const tBuild = performance.now();
  const routers = Array.from({ length: ROUTERS }, (_, r) => routerSpec(r));
  const sim = new Simulation({ seed: 42, routers, latency: () => ({ baseUs: 200, jitterUs: 300 }), trace: false });
  const buildMs = performance.now() - tBuild;
  const end = HOURS * 3600 * S;
  for (let r = 0; r < ROUTERS; r++) sim.at(r * 100_000, `start r${r + 1}`, () => sim.startRouter(r));
  sim.at(end * 0.2, 'kill r1', () => sim.killRouter(0));
  sim.at(end * 0.3, 'restart r1', () => sim.startRouter(0));
  sim.at(end * 0.5, 'script chk fails on r2', () => sim.setTracker(1, 'script', 'chk', false));
  sim.at(end * 0.6, 'script chk recovers on r2', () => sim.setTracker(1, 'script', 'chk', true));
  sim.at(end * 0.8, 'stop r3', () => sim.stopRouter(2));
  sim.at(end * 0.9, 'restart r3', () => sim.startRouter(2));

  let peakHeap = 0;
  const sample = (): void => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const t0 = performance.now();
  // Advance in one-minute slices to sample the heap as it runs.
  for (let t = 60 * S; t <= end; t += 60 * S) {
    sim.runUntil(t);
    sample();
  }
  const wallMs = performance.now() - t0;
  const c = sim.counters;
  const masters = routers.map((_, r) => sim.routers[r]!.allInstances().filter((s) => s.state === 'MASTER').length);
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;

  const rows: [string, string][] = [
    ['instances x routers', `${INSTANCES} x ${ROUTERS}`],
    ['virtual time', `${HOURS * 3600} s`],
    ['set-up (params, routers)', `${buildMs.toFixed(0)} ms`],
    ['wall time', `${(wallMs / 1000).toFixed(2)} s`],
    ['events processed', c.events.toLocaleString('en')],
    ['machine steps', c.steps.toLocaleString('en')],
    ['adverts sent', c.advertsSent.toLocaleString('en')],
    ['packets delivered', c.packetsDelivered.toLocaleString('en')],
    ['superseded timer entries', c.staleTimers.toLocaleString('en')],
    ['events per second', Math.round(c.events / (wallMs / 1000)).toLocaleString('en')],
    ['virtual/wall speed-up', `${Math.round((HOURS * 3600 * 1000) / wallMs)}x`],
    ['peak heap used', `${(peakHeap / 1024 / 1024).toFixed(1)} MiB`],
    ['peak RSS', `${maxRssMiB.toFixed(1)} MiB`],
    ['masters at the end (per router)', masters.join(' / ')],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  console.log(`| ${'measure'.padEnd(w)} | ${'value'.padStart(v)} |`);
  console.log(`|${'-'.repeat(w + 2)}|${'-'.repeat(v + 2)}|`);
  for (const [k, x] of rows) console.log(`| ${k.padEnd(w)} | ${x.padStart(v)} |`);
  const total = masters.reduce((a, b) => a + b, 0);
  if (total !== INSTANCES) {
    console.error(`expected exactly one master per instance at the end, found ${total}`);
    process.exitCode = 1;
  }
}

main();
