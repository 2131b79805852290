// Checker scale: N real servers (default 10,000) with HTTP_GET, delay_loop 1, against local HTTP
// responders on loopback, the engine in its worker thread. Measures checks/s, CPU, RSS and the
// timing error of a periodic timer on the main thread standing in for a VRRP instance's adverts
// (DESIGN.md principle 6: checks must never delay an advert). A second, shorter phase runs the
// same engine on the main thread to show what the worker buys.
//
//   node dist/test/bench/checkers.bench.js [--servers 10000] [--seconds 30] [--threads 2] [--interval-ms 100] [--no-inline]
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { loadConfigText } from '../../src/config/build.js';
import { CheckerEngine } from '../../src/check/engine.js';
import { CheckerWorker } from '../../src/check/worker.js';
import { checkersConfig as configText, pct, printTable, procCpu, RESPONDER_HOSTS, startResponder, benchArg, runBench } from '../helpers/check-load.js';

const SERVERS = benchArg('servers', 10000);
const SECONDS = benchArg('seconds', 30);
const INTERVAL = benchArg('interval-ms', 100);
const INLINE = !process.argv.includes('--no-inline');
const THREADS = benchArg('threads', 2);
const HOSTS = RESPONDER_HOSTS;

/** The same periodic timer in a separate, idle process: what the machine's own load does to it. */
const CONTROL = `
const INTERVAL = Number(process.argv[1]), ms = Number(process.argv[2]);
const errs = []; const start = performance.now(); let k = 1;
const tick = () => { errs.push(performance.now() - (start + k * INTERVAL)); k++;
  if (k * INTERVAL > ms) { console.log(JSON.stringify(errs)); return; }
  setTimeout(tick, Math.max(0, start + k * INTERVAL - performance.now())); };
setTimeout(tick, INTERVAL);
`;

function controlTimer(ms: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-e', CONTROL, String(INTERVAL), String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  return new Promise((resolve) => child.on('exit', () => resolve(out.trim() ? (JSON.parse(out) as number[]) : [])));
}

/** Lateness (ms) of a drift-free periodic timer over `ms`. */
function timerErrors(ms: number): Promise<number[]> {
  return new Promise((resolve) => {
    const errs: number[] = [];
    const start = performance.now();
    let k = 1;
    const tick = (): void => {
      const due = start + k * INTERVAL;
      errs.push(performance.now() - due);
      k++;
      // Stop on wall-clock time too: a starved loop must not stretch the run.
      if (k * INTERVAL > ms || performance.now() - start > ms) return resolve(errs);
      setTimeout(tick, Math.max(0, start + k * INTERVAL - performance.now()));
    };
    setTimeout(tick, INTERVAL);
  });
}

interface Row {
  phase: string;
  checksPerS: number;
  failures: number;
  engineCpu: number;
  responderCpu: number;
  rssMb: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** The same timer in a separate idle process at the same time: p50 / p99 / max. */
  control: string;
}

async function measure(
  phase: string,
  seconds: number,
  counters: () => Promise<{ attempts: number; failures: number }> | { attempts: number; failures: number },
  responderPid: number,
): Promise<Row> {
  const c0 = await counters();
  const cpu0 = process.cpuUsage();
  const r0 = procCpu(responderPid);
  const t0 = performance.now();
  const [errs, control] = await Promise.all([timerErrors(seconds * 1000), controlTimer(seconds * 1000)]);
  const dt = (performance.now() - t0) / 1000;
  const c1 = await counters();
  const cpu = process.cpuUsage(cpu0);
  return {
    phase,
    checksPerS: (c1.attempts - c0.attempts) / dt,
    failures: c1.failures - c0.failures,
    engineCpu: (cpu.user + cpu.system) / 1e6 / dt,
    responderCpu: (procCpu(responderPid) - r0) / dt,
    rssMb: process.memoryUsage().rss / 2 ** 20,
    p50: pct(errs, 50),
    p99: pct(errs, 99),
    max: Math.max(...errs),
    samples: errs.length,
    control: `${pct(control, 50).toFixed(2)} / ${pct(control, 99).toFixed(2)} / ${Math.max(...control).toFixed(2)}`,
  };
}

async function main(): Promise<void> {
  const responder = await startResponder();
  const rows: Row[] = [];
  try {
    const t = performance.now();
    const loaded = loadConfigText(configText(SERVERS, responder.targets));
    const errors = loaded.diagnostics.list.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(`generated config has errors: ${errors[0]!.message}`);
    const parseS = (performance.now() - t) / 1000;
    const base = await measure('baseline: no checkers', Math.min(10, SECONDS), () => ({ attempts: 0, failures: 0 }), responder.pid);
    rows.push(base);

    const worker = new CheckerWorker({ threads: THREADS });
    let downs = 0;
    worker.on('rs', (e: { up: boolean }) => { if (!e.up) downs++; });
    worker.on('error', (e: Error) => console.error('checker worker:', e.message));
    worker.start(loaded.config);
    // Bootstrap (1 s) plus warmup (up to delay_loop): let every checker start.
    await new Promise((r) => setTimeout(r, 3000));
    const elu0 = worker.utilization();
    const w = await measure(`${THREADS} worker thread${THREADS > 1 ? 's' : ''}`, SECONDS, () => worker.counters(), responder.pid);
    const elu = worker.utilization(elu0);
    rows.push(w);
    await worker.stop();

    let inlineRow: Row | undefined;
    if (INLINE) {
      const engine = new CheckerEngine({ effects: 'emit' });
      engine.start(loaded.config);
      await new Promise((r) => setTimeout(r, 3000));
      inlineRow = await measure('main thread (for comparison)', Math.min(5, SECONDS), () => engine.counters(), responder.pid);
      rows.push(inlineRow);
      engine.stop();
    }

    console.log(`\nkeel checker bench: ${SERVERS} real servers, HTTP_GET, delay_loop 1 s, ${HOSTS.length} local responders; advert stand-in timer every ${INTERVAL} ms`);
    console.log(`config parse+build: ${parseS.toFixed(1)} s; real servers taken down during the run: ${downs}; worker event-loop utilisation: ${elu.map((e) => `${(e.utilization * 100).toFixed(0)}%`).join(', ')}\n`);
    const head = ['phase', 'checks/s', 'failed', 'keel CPU (cores)', 'responder CPU', 'RSS MB', 'timer err p50 ms', 'p99 ms', 'max ms', 'samples', 'idle-process timer p50/p99/max ms'];
    const fmt = (r: Row): string[] => [r.phase, r.checksPerS.toFixed(0), String(r.failures), r.engineCpu.toFixed(2), r.responderCpu.toFixed(2), r.rssMb.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), r.max.toFixed(2), String(r.samples), r.control];
    printTable(head, rows.map(fmt));
    console.log(`\nmachine: ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other work shares these cores: the last column is the same timer in a separate idle process at the same time)`);
    console.log(`targets: 10000 checks/s on 2 cores; timer error p99 <= 5 ms with the checkers in their workers.`);
  } finally {
    responder.stop();
  }
}

runBench(main);
