// Adverts under checker load, the daemon as deployed: keel (parent, VRRP child, checker child) in
// a network namespace, a VRRPv3 instance at advert_int 0.1 s as master, and N real servers with
// HTTP_GET (delay_loop 1) against local responders, with --ipvs-dry-run (this host has no ip_vs).
// A second namespace captures the adverts with tcpdump; the error of each gap from the interval
// is what a backup sees. Rows: keepalived with the instance alone (the machine's own noise), keel
// alone, keel with the checkers. keepalived's checker needs ip_vs, so it is not run here.
//
//   node dist/test/bench/advert-under-load.bench.js [--servers 10000] [--seconds 20] [--warmup 12]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { KEEL } from '../helpers/env.js';
import { Lab, type LabHost } from '../helpers/lab.js';
import { checkersConfig, pct, printTable, procCpu, responderKind, startResponder, benchArg, runBench } from '../helpers/check-load.js';
import { globalDefs, instance, removeTempDirs, startRouter, waitFor, type Implementation, type Router, stopRouter } from '../helpers/vrrp-lab.js';

const SERVERS = benchArg('servers', 10000);
const SECONDS = benchArg('seconds', 20);
// V8's memory reducer runs a few full collections (2-4 ms each) in the first ~10 s of a process:
// the default warm-up measures the steady state after them.
const WARMUP = benchArg('warmup', 12);
const INTERVAL_MS = 100;
const execFileP = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Advert arrival times (s) from 10.77.0.1 seen on `host`'s eth0, until stopped. */
function capture(host: LabHost): { stop: () => Promise<number[]> } {
  const p = host.spawn('tcpdump', ['-i', 'eth0', '-n', '-tt', '-l', '-Q', 'in', 'ip proto 112 and src 10.77.0.1']);
  let out = '';
  p.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  return {
    stop: async () => {
      p.kill('SIGINT');
      await new Promise((r) => p.once('exit', r));
      return out.split('\n').map((l) => Number(l.split(' ')[0])).filter((t) => t > 0);
    },
  };
}

/**
 * The daemon's status, asked without blocking this process: keel logs to our pipe, and a reader
 * stuck in spawnSync would fill it and stall the daemon's writes. 10,000 real servers make a
 * status document of several MB.
 */
async function status(r: Router): Promise<{ checks?: { attempts: number } } | undefined> {
  try {
    const { stdout } = await execFileP(process.execPath, [KEEL, 'status', '--json', '--control', r.control], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(stdout) as { checks?: { attempts: number } };
  } catch {
    return undefined;
  }
}

async function attempts(r: Router): Promise<number> {
  return (await status(r))?.checks?.attempts ?? 0;
}

function pidOf(r: Router, which: string): number {
  try {
    return Number(readFileSync(join(dirname(r.file), `${which}.pid`), 'utf8').trim());
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

interface Row { name: string; cells: string[] }

async function phase(a: LabHost, b: LabHost, name: string, impl: Implementation, conf: string, withCheckers: boolean): Promise<Row> {
  const r = startRouter(impl, a, conf, impl === 'keel' && withCheckers ? ['--ipvs-dry-run'] : [], { detail: false });
  try {
    await waitFor('master', () => r.state() === 'MASTER', 60_000, [r]);
    if (withCheckers) {
      const until = performance.now() + 60_000;
      while (await attempts(r) <= SERVERS) {
        if (performance.now() > until) throw new Error('the checks did not start within 60 s');
        await sleep(500);
      }
    }
    await sleep(WARMUP * 1000);
    const all = impl === 'keel' ? { parent: r.proc.pid!, vrrp: pidOf(r, 'vrrp'), check: pidOf(r, 'check') } : { vrrp: pidOf(r, 'vrrp') };
    const pids = Object.fromEntries(Object.entries(all).filter(([, p]) => p > 0));
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, procCpu(p)]));
    const a0 = withCheckers ? await attempts(r) : 0;
    const cap = capture(b);
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const dt = (performance.now() - t0) / 1000;
    const a1 = withCheckers ? await attempts(r) : 0;
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, (procCpu(p) - cpu0[k]!) / dt]));
    const rss = Object.values(pids).map(rssMb);
    const times = await cap.stop();
    const errs: number[] = [];
    for (let i = 1; i < times.length; i++) errs.push(Math.abs((times[i]! - times[i - 1]!) * 1000 - INTERVAL_MS));
    return {
      name,
      cells: [
        name, String(errs.length), pct(errs, 50).toFixed(2), pct(errs, 99).toFixed(2), Math.max(...errs).toFixed(2),
        withCheckers ? ((a1 - a0) / dt).toFixed(0) : '-',
        Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '),
        rss.map((x) => x.toFixed(0)).join(' + '),
      ],
    };
  } finally {
    await stopRouter(r);
  }
}

async function main(): Promise<void> {
  const lab = new Lab('au');
  try {
    const a = lab.addHost('a', ['10.77.0.1/24']);
    const b = lab.addHost('b', ['10.77.0.2/24']);
    const responder = await startResponder((cmd, args) => a.spawn(cmd, args));
    try {
      const vrrp = globalDefs('a') + instance({ priority: 150, version: 3, advertInt: 0.1 });
      const rows: Row[] = [];
      rows.push(await phase(a, b, 'keepalived, instance alone', 'keepalived', vrrp, false));
      rows.push(await phase(a, b, 'keel, instance alone', 'keel', vrrp, false));
      const r0 = procCpu(responder.pid);
      const t0 = performance.now();
      rows.push(await phase(a, b, `keel + ${SERVERS} HTTP_GET checkers`, 'keel', vrrp + checkersConfig(SERVERS, responder.targets), true));
      const responderCpu = (procCpu(responder.pid) - r0) / ((performance.now() - t0) / 1000);
      console.log(`\nAdverts under checker load: VRRPv3 advert_int ${INTERVAL_MS} ms captured by tcpdump in a second namespace; ${SECONDS} s per row after ${WARMUP} s`);
      console.log('gap error = |gap between consecutive adverts - interval|\n');
      printTable(['row', 'gaps', 'err p50 ms', 'p99 ms', 'max ms', 'checks/s', 'CPU (cores) by process', 'RSS MB by process'], rows.map((r) => r.cells));
      console.log(`\nresponder (${responderKind()}) CPU during the checker row (whole row incl. start): ${responderCpu.toFixed(2)} cores`);
      console.log(`machine: ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
      console.log('targets (issue 6): 10000 HTTP checks/s on 2 cores; advert timing error p99 <= 5 ms.');
    } finally {
      responder.stop();
    }
  } finally {
    lab.destroy();
    removeTempDirs();
  }
}

runBench(main);
