// What keel costs when nothing happens: RSS, PSS and CPU of the whole daemon (parent, VRRP child,
// checker child and their threads) beside keepalived 2.2.7 with the same config, each in a network
// namespace, one after the other in the same run. Processes are listed parent first, then the VRRP
// child, then the checker child.
//   (a) one VRRP instance, master, advert_int 1;
//   (b) 100 VRRP instances (masters, advert_int 1) and 1,000 real servers with TCP_CHECK
//       (delay_loop 6) against listeners inside the namespace.
// This host has no ip_vs: keel runs (b) with --ipvs-dry-run; keepalived's checker cannot start
// without ip_vs, so its (b) row is its VRRP process alone (-P) and says so.
//
//   node dist/test/bench/idle.bench.js [--seconds 30] [--warmup 15]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Lab, type LabHost } from '../helpers/lab.js';
import { printTable, benchArg, runBench } from '../helpers/check-load.js';
import { globalDefs, instance, removeTempDirs, startRouter, waitFor, type Implementation, stopRouter } from '../helpers/vrrp-lab.js';

const SECONDS = benchArg('seconds', 30);
const WARMUP = benchArg('warmup', 15);
const PORT_BASE = 21000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process (all its threads), in clock ticks (1/100 s). */
function ticks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

function kb(pid: number, file: string, key: RegExp): number {
  try {
    const m = key.exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function pidFile(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function config(instances: number, realServers: number): string {
  let c = globalDefs('idle');
  for (let i = 0; i < instances; i++) {
    c += instance({ name: `VI_${i + 1}`, vrid: i + 1, priority: 150, vips: [`10.78.${i >> 8}.${(i & 255) + 1}/32`] });
  }
  if (realServers) {
    c += 'virtual_server 10.78.200.1 80 {\n delay_loop 6\n lvs_sched rr\n lvs_method NAT\n protocol TCP\n';
    for (let i = 0; i < realServers; i++) c += ` real_server 127.0.0.1 ${PORT_BASE + i} {\n  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n`;
    c += '}\n';
  }
  return c;
}

interface Row { cells: string[]; rssMb: number; cpu: number }

async function measure(a: LabHost, impl: Implementation, scenario: string, conf: string, instances: number, checkers: boolean): Promise<Row> {
  const extra = impl === 'keel' ? (checkers ? ['--ipvs-dry-run', '-G'] : ['-G']) : ['-G'];
  const r = startRouter(impl, a, conf, extra, { detail: false });
  // startRouter runs keepalived with -P (VRRP only), which is all it can run here.
  try {
    await waitFor('every instance master', () => {
      for (let i = 1; i <= instances; i++) if (r.state(`VI_${i}`) !== 'MASTER') return false;
      return true;
    }, 60_000, [r]);
    await sleep(WARMUP * 1000);
    const dir = dirname(r.file);
    const pids = [r.proc.pid!, pidFile(join(dir, 'vrrp.pid')), pidFile(join(dir, 'check.pid'))].filter((p) => p > 0 && !Number.isNaN(ticks(p)));
    const t0 = pids.map(ticks);
    const w0 = performance.now();
    await sleep(SECONDS * 1000);
    const wall = (performance.now() - w0) / 1000;
    const cpuBy = pids.map((p, i) => (ticks(p) - t0[i]!) / wall); // ticks/s = % of one core
    const cpu = cpuBy.reduce((s, x) => s + x, 0);
    const rss = pids.map((p) => kb(p, 'status', /VmRSS:\s+(\d+)/) / 1024);
    const pss = pids.map((p) => kb(p, 'smaps_rollup', /^Pss:\s+(\d+)/m) / 1024);
    const total = rss.reduce((s, x) => s + x, 0);
    return {
      rssMb: total, cpu,
      cells: [
        scenario, impl === 'keepalived' && checkers ? 'keepalived (VRRP only: no ip_vs here)' : impl, String(pids.length),
        total.toFixed(1), rss.map((x) => x.toFixed(1)).join(' + '), pss.reduce((s, x) => s + x, 0).toFixed(1), cpu.toFixed(2),
        cpuBy.map((x) => x.toFixed(2)).join(' + '),
      ],
    };
  } finally {
    await stopRouter(r);
  }
}

async function main(): Promise<void> {
  const lab = new Lab('id');
  try {
    const a = lab.addHost('a', ['10.78.250.1/16']);
    const listeners = a.spawn(process.execPath, ['-e',
      `for (let i = 0; i < 1000; i++) require('net').createServer((s) => s.end()).listen(${PORT_BASE} + i, '127.0.0.1');`]);
    try {
      const rows: Row[] = [];
      const one = config(1, 0);
      const big = config(100, 1000);
      rows.push(await measure(a, 'keepalived', '1 instance', one, 1, false));
      rows.push(await measure(a, 'keel', '1 instance', one, 1, false));
      rows.push(await measure(a, 'keepalived', '100 instances + 1,000 TCP_CHECK', big, 100, true));
      rows.push(await measure(a, 'keel', '100 instances + 1,000 TCP_CHECK', big, 100, true));
      console.log(`\nIdle cost: ${SECONDS} s window after ${WARMUP} s; every process of the daemon (threads included)`);
      console.log('CPU is the % of one core; RSS counts shared pages (the node binary) once per process, PSS shares them out\n');
      printTable(['scenario', 'daemon', 'processes', 'RSS total MB', 'RSS by process', 'PSS total MB', 'CPU %', 'CPU by process'], rows.map((r) => r.cells));
      const [ka1, k1, ka2, k2] = rows as [Row, Row, Row, Row];
      console.log(`\ntargets: RSS <= 80 MB; idle CPU <= keepalived's + 0.5 pp`);
      console.log(`  1 instance: RSS total ${k1.rssMb.toFixed(0)} MB; CPU ${k1.cpu.toFixed(2)} % vs ${ka1.cpu.toFixed(2)} % (+${(k1.cpu - ka1.cpu).toFixed(2)} pp)`);
      console.log(`  100 + 1,000: RSS total ${k2.rssMb.toFixed(0)} MB; CPU ${k2.cpu.toFixed(2)} % vs ${ka2.cpu.toFixed(2)} % (keepalived without its checker)`);
    } finally {
      listeners.kill('SIGKILL');
    }
  } finally {
    lab.destroy();
    removeTempDirs();
  }
}

runBench(main);
