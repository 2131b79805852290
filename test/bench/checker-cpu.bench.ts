// Benchmark: CPU per HTTP_GET check, keel's checker process beside keepalived 2.2.7's, same config,
// same kernel. keepalived's checker needs ip_vs, which the host lacks, so both run in the test VM
// (Debian's kernel under qemu/TCG: the absolute CPU is an emulated CPU's; compare the two rows).
// N real servers with HTTP_GET at delay_loop 1 against the C responder on the VM's loopback, which
// counts the requests it answers: checks/s for both daemons, keepalived reporting none itself.
//   npm run bench:checker-cpu   [BENCH_SERVERS=300 BENCH_SECONDS=20 BENCH_WARMUP=10]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEEL } from '../helpers/env.js';
import { checkersConfig, printTable, procCpu, responderKind, startResponder } from '../helpers/check-load.js';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 300);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Row { who: string; checks: number; checker: number; parent: number; rssMb: number }

async function waitForFile(path: string, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (existsSync(path)) {
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await sleep(100);
  }
  throw new Error(`no pid file ${path} after ${ms} ms`);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Run one daemon with the checker only (-C) and measure its checker process. */
async function measure(who: string, cmd: string[], dir: string, conf: string, served: () => Promise<number>): Promise<Row> {
  const pids = { p: join(dir, `${who}.pid`), c: join(dir, `${who}-c.pid`), r: join(dir, `${who}-r.pid`) };
  const child: ChildProcess = spawn(cmd[0]!, [...cmd.slice(1), '-n', '-l', '-C', '-f', conf, '-p', pids.p, '-c', pids.c, '-r', pids.r], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const checker = await waitForFile(pids.c, 120_000);
    await sleep(WARMUP * 1000);
    const c0 = procCpu(checker);
    const p0 = procCpu(child.pid!);
    const s0 = await served();
    await sleep(SECONDS * 1000);
    const s1 = await served();
    const row: Row = {
      who,
      checks: (s1 - s0) / SECONDS,
      checker: (procCpu(checker) - c0) / SECONDS,
      parent: (procCpu(child.pid!) - p0) / SECONDS,
      rssMb: rssMb(checker),
    };
    if (!(row.checks > 0)) throw new Error(`${who}: no checks reached the responder\n${err.slice(-2000)}`);
    return row;
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
  }
}

async function inGuest(): Promise<void> {
  const { resetIpvs } = await import('../vm/guest.js');
  const dir = mkdtempSync('/tmp/keel-bench-');
  const responder = await startResponder();
  try {
    if (!responder.served) throw new Error('the C responder (which counts requests) could not be built');
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, `${checkersConfig(SERVERS, responder.targets)}\n`);
    const rows: Row[] = [];
    for (const [who, cmd] of [['keepalived', ['keepalived']], ['keel', [process.execPath, KEEL]]] as const) {
      resetIpvs();
      rows.push(await measure(who, [...cmd], dir, conf, responder.served));
    }
    const f = (x: number, d = 2): string => x.toFixed(d);
    process.stdout.write(`Checker CPU: ${SERVERS} real servers with HTTP_GET (delay_loop 1) against a ${responderKind()} responder on loopback, in the test VM (qemu TCG); ${SECONDS} s after ${WARMUP} s\n`);
    printTable(['daemon', 'checks/s', 'checker CPU (cores)', 'CPU per check (µs, emulated)', 'parent CPU (cores)', 'checker RSS MB'],
      rows.map((r) => [r.who, f(r.checks, 0), f(r.checker, 3), f((r.checker / r.checks) * 1e6, 0), f(r.parent, 3), f(r.rssMb, 1)]));
    const [ka, keel] = rows;
    process.stdout.write(`keel/keepalived CPU per check: ${f((keel!.checker / keel!.checks) / (ka!.checker / ka!.checks))}\n`);
  } finally {
    responder.stop();
    rmSync(dir, { recursive: true, force: true });
    resetIpvs();
  }
}

async function onHost(): Promise<void> {
  const { runInVm, vmNotReady, REPO } = await import('../vm/vm.js');
  const why = vmNotReady();
  if (why) {
    process.stdout.write(`checker CPU benchmark skipped: ${why}\n`);
    return;
  }
  const r = await runInVm(['node', fileURLToPath(import.meta.url)], {
    cwd: REPO, timeoutMs: 1_200_000, memMb: 2048,
    env: { KEEL_IN_VM: '1', BENCH_SERVERS: String(SERVERS), BENCH_SECONDS: String(SECONDS), BENCH_WARMUP: String(WARMUP) },
  });
  process.stdout.write(r.stdout);
  if (r.code !== 0) {
    process.stderr.write(`${r.stderr}\n(exit ${r.code})\n${r.console.slice(-1500)}\n`);
    process.exitCode = 1;
  }
}

if (process.env.KEEL_IN_VM === '1') await inGuest();
else await onHost();
