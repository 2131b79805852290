// Run a generated scenario in the simulator with the property checker watching, and report the
// violations. Replaying a failing seed: KEEL_SIM_SEED=<seed> node --test dist/test/sim/properties.test.js
import { PropertyChecker, type Violation } from './properties.js';
import { describeAction, generateScenario, type Action, type Scenario } from './scenario.js';
import { Simulation, type SimCounters } from './simulator.js';
import type { TraceRecorder } from './trace.js';

export interface ScenarioResult {
  scenario: Scenario;
  violations: Violation[];
  counters: SimCounters;
  trace: TraceRecorder;
}

export interface RunOptions {
  /** Record a trace (slower; the property test records one only to show a failure). */
  trace?: boolean;
  /** keepalived's log lines in the trace too. */
  traceLogs?: boolean;
}

export function runScenario(sc: Scenario, opts: RunOptions = {}): ScenarioResult {
  const names = sc.routers.map((r) => r.name);
  let checker: PropertyChecker | undefined;
  const sim = new Simulation({
    seed: sc.seed,
    routers: sc.routers,
    latency: (a, b) => sc.latency[a]![b]!,
    trace: opts.trace ?? false,
    traceLogs: opts.traceLogs ?? false,
    onStep: (r) => checker!.onStep(r),
  });
  const chk = new PropertyChecker(sim, sc);
  checker = chk;
  const apply = (a: Action): void => {
    switch (a.kind) {
      case 'start': sim.startRouter(a.router); break;
      case 'kill': sim.killRouter(a.router); break;
      case 'stop': sim.stopRouter(a.router); break;
      case 'link': sim.setLink(a.router, a.up); break;
      case 'tracker': sim.setTracker(a.router, 'script', a.name, a.value); break;
      case 'partition': sim.partition(a.groups); break;
      case 'heal': sim.heal(); break;
      case 'loss': sim.setLoss(a.p); break;
      case 'probe': chk.probe(a.graceful, a.pick); break;
      case 'check': chk.checkSettled(a.until); break;
    }
  };
  for (const { at, action } of sc.timeline) sim.at(at, describeAction(action, names), () => apply(action));
  sim.runUntil(sc.endUs);
  chk.finish();
  return { scenario: sc, violations: chk.violations, counters: sim.counters, trace: sim.trace };
}

export function runSeed(seed: number, opts: RunOptions = {}): ScenarioResult {
  return runScenario(generateScenario(seed), opts);
}

/** A human summary of a scenario's set-up (routers, instances, groups, links). */
export function describeScenario(sc: Scenario): string {
  const lines: string[] = [`seed ${sc.seed}: ${sc.routers.length} routers, settle bound ${(sc.settleUs / 1e6).toFixed(3)} s, ends at ${(sc.endUs / 1e6).toFixed(3)} s`];
  for (const r of sc.routers) {
    lines.push(`  ${r.name} ${r.address} scripts ${JSON.stringify(r.trackers)}`);
    for (const p of r.instances) {
      const flags = [
        `v${p.version}`, `prio ${p.priority}`, `int ${p.advertIntUs / 1e6}s`, p.wantMaster ? 'state MASTER' : '', p.nopreempt ? 'nopreempt' : '',
        p.preemptDelayUs ? `preempt_delay ${p.preemptDelayUs / 1e6}s` : '', p.downTimerAdverts !== 3 ? `down_timer_adverts ${p.downTimerAdverts}` : '',
        p.lowerPrioNoAdvert ? 'lower_prio_no_advert' : '',
      ].filter(Boolean).join(' ');
      const tr = p.trackers.filter((t) => t.kind !== 'interface').map((t) => `${t.name}${t.weight ? `:${t.weight}` : ':0'}${t.reverse ? 'r' : ''}${t.fromGroup ? 'g' : ''}`).join(',');
      lines.push(`    ${p.name} vrid ${p.vrid} ${flags}${tr ? ` track ${tr}` : ''}`);
    }
    for (const g of r.groups ?? []) lines.push(`    sync group ${g.name}: ${g.members.join(' ')}`);
  }
  lines.push('  links: ' + sc.latency.flatMap((row, a) => row.slice(a + 1).map((l, k) => `${names(sc)[a]}-${names(sc)[a + k + 1]} ${l.baseUs}+${l.jitterUs}us`)).join(', '));
  return lines.join('\n');
}

function names(sc: Scenario): string[] {
  return sc.routers.map((r) => r.name);
}
