// Benchmark: program 300 virtual servers x 100 real servers into the kernel's IPVS from empty,
// then apply a reload that changes one real server, keel beside keepalived 2.2.7 in the same
// test VM (Debian's kernel under qemu/TCG: absolute times are slow, the ratio is what counts).
// On the host this boots the VM once per trial and side (BENCH_TRIALS, default 3) and runs itself
// inside; the table gives medians. Run: npm run bench:ipvs
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadCache, loadConfigFile } from '../../src/config/build.js';
import { desiredTable } from '../../src/ipvs/from-config.js';
import { openIpvs } from '../../src/ipvs/client.js';
import { planReconcile, applyPlan } from '../../src/ipvs/reconcile.js';

const VS = Number(process.env.BENCH_VS ?? 300);
const RS = Number(process.env.BENCH_RS ?? 100);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);

function genConfig(changedWeight = 1): string {
  const out: string[] = [];
  for (let v = 0; v < VS; v++) {
    out.push(`virtual_server 10.100.${Math.floor(v / 250)}.${v % 250} 80 {`, '  lvs_sched wlc', '  lvs_method DR', '  protocol TCP');
    for (let r = 0; r < RS; r++) {
      out.push(`  real_server 10.${200 + Math.floor(r / 250)}.${v % 250}.${(r % 250) + 1} 80 {`);
      // The reload changes one weight: the last real server of the first virtual server.
      if (v === 0 && r === RS - 1) out.push(`    weight ${changedWeight}`);
      out.push('  }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

/** Entries in /proc/net/ip_vs (services + destinations): cheap to poll, unlike ipvsadm. */
function procEntries(): number {
  const t = readFileSync('/proc/net/ip_vs', 'utf8').split('\n');
  return t.filter((l) => /^(TCP|UDP|SCTP|FWM)\s/.test(l) || /^\s+->\s+[0-9A-F]/.test(l)).length;
}

function procHas(re: RegExp): boolean {
  return re.test(readFileSync('/proc/net/ip_vs', 'utf8'));
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) return NaN;
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - t0;
}

function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Empties the VM kernel's table (test/vm/guest.ts, loaded only inside the VM). */
let resetIpvs: () => void = () => undefined;

interface KeelTrial { load: number; program: number; changes: number; reloadLoad: number; reload: number; reloadChanges: number; parsed: string; reused: number; dump?: number; dumpChanges?: number }

/** keel from empty, then the one-server reload, as the daemon's checker child does them. */
async function keelTrial(conf: string, total: number, withDump: boolean): Promise<KeelTrial> {
  resetIpvs();
  // The file is written before the clock starts, as keepalived's is; keel reads it as the checker
  // child does, keeping a LoadCache across reloads (src/daemon/process-common.ts).
  writeFileSync(conf, genConfig());
  const cache = new LoadCache();
  let t0 = performance.now();
  const cfg = loadConfigFile(conf, { cache }).config;
  const load = performance.now() - t0;
  const c = await openIpvs();
  try {
    t0 = performance.now();
    const table = desiredTable(cfg);
    const r = await applyPlan(c, planReconcile(table, await c.dump()));
    const program = performance.now() - t0;
    if (r.errors.length) throw r.errors[0];
    if (procEntries() !== total) throw new Error(`keel programmed ${procEntries()} entries, expected ${total}`);
    const changes = c.changes;
    // The reload: one real server's weight changed, planned against the table keel last programmed.
    writeFileSync(conf, genConfig(5));
    t0 = performance.now();
    const cfg2 = loadConfigFile(conf, { cache }).config;
    const reloadLoad = performance.now() - t0;
    t0 = performance.now();
    const r2 = await applyPlan(c, planReconcile(desiredTable(cfg2), table));
    const reload = performance.now() - t0;
    if (r2.errors.length) throw r2.errors[0];
    const out: KeelTrial = {
      load, program, changes, reloadLoad, reload, reloadChanges: c.changes - changes,
      parsed: `${cache.parse.misses} of ${cache.parse.hits + cache.parse.misses}`, reused: cache.reused,
    };
    if (out.reloadChanges !== 1) throw new Error(`the one-server reload sent ${out.reloadChanges} changes, expected exactly 1`);
    if (withDump) {
      // The same reload back, planned against a fresh kernel dump (start-up and recovery).
      const before = c.changes;
      t0 = performance.now();
      const r3 = await applyPlan(c, planReconcile(desiredTable(cfg), await c.dump()));
      out.dump = performance.now() - t0;
      if (r3.errors.length) throw r3.errors[0];
      out.dumpChanges = c.changes - before;
      if (out.dumpChanges !== 1) throw new Error(`the dump-based reload sent ${out.dumpChanges} changes, expected exactly 1`);
    }
    return out;
  } finally {
    c.close();
  }
}

/** keepalived from empty (start until the kernel holds every entry), then the same reload (SIGHUP). */
async function keepalivedTrial(conf: string, dir: string, total: number): Promise<{ program: number; reload: number }> {
  resetIpvs();
  writeFileSync(conf, genConfig());
  const timeout = Number(process.env.BENCH_KA_TIMEOUT_MS ?? 300_000);
  const t0 = performance.now();
  const ka = spawn('keepalived', ['-n', '-l', '-C', '-f', conf, '-p', join(dir, 'a.pid'), '-c', join(dir, 'c.pid'), '-r', join(dir, 'r.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let kaLog = '';
  ka.stdout!.on('data', (b: Buffer) => { kaLog += b.toString(); });
  ka.stderr!.on('data', (b: Buffer) => { kaLog += b.toString(); });
  const kaExit = new Promise<void>((res) => ka.on('exit', () => res()));
  try {
    await waitFor(() => procEntries() >= total, timeout);
    const program = procEntries() >= total ? performance.now() - t0 : NaN;
    if (Number.isNaN(program)) process.stderr.write(`keepalived did not program the table (${procEntries()} of ${total} entries):\n${kaLog.slice(-3000)}\n`);
    writeFileSync(conf, genConfig(5));
    // The changed server's line in /proc/net/ip_vs (hex address), now with weight 5.
    const last = RS - 1;
    const hexAddr = [10, 200 + Math.floor(last / 250), 0, (last % 250) + 1].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
    const changedLine = new RegExp(`-> ${hexAddr}:0050\\s+Route\\s+5\\s`);
    process.kill(ka.pid!, 'SIGHUP');
    const reload = await waitFor(() => procHas(changedLine), timeout);
    return { program, reload };
  } finally {
    process.kill(ka.pid!, 'SIGTERM');
    await Promise.race([kaExit, new Promise((res) => setTimeout(res, 60_000))]);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (xs: number[]): string => `${(median(xs) / 1000).toFixed(2)} (${(Math.min(...xs) / 1000).toFixed(2)}-${(Math.max(...xs) / 1000).toFixed(2)})`;

type KeepalivedTrial = { program: number; reload: number };
const RESULT = 'BENCH_RESULT ';

/** One trial of one side in a freshly booted kernel: the result as a JSON line. */
async function inGuest(): Promise<void> {
  const guest = await import('../vm/guest.js');
  resetIpvs = guest.resetIpvs;
  guest.setupNet();
  const total = VS * (RS + 1);
  const dir = mkdtempSync('/tmp/keel-bench-');
  const conf = join(dir, 'keepalived.conf');
  try {
    const r = process.env.BENCH_SIDE === 'keepalived' ? await keepalivedTrial(conf, dir, total) : await keelTrial(conf, total, true);
    process.stdout.write(`${RESULT}${JSON.stringify(r)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    resetIpvs();
    guest.teardownNet();
  }
}

async function onHost(): Promise<void> {
  const { runInVm, vmNotReady, REPO } = await import('../vm/vm.js');
  const why = vmNotReady();
  if (why) {
    process.stdout.write(`IPVS benchmark skipped: ${why}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  // Every trial boots its own VM: IPVS keeps deleted destinations in a trash list for minutes and
  // scans it on every add, so a table programmed after another one's flush measures the trash.
  const keel: KeelTrial[] = [];
  const ka: KeepalivedTrial[] = [];
  const t0 = Date.now();
  for (let i = 0; i < TRIALS; i++) {
    for (const side of ['keel', 'keepalived'] as const) {
      process.stderr.write(`[bench] trial ${i + 1}/${TRIALS}: ${side}\n`);
      const r = await runInVm(['node', self], { cwd: REPO, env: { KEEL_IN_VM: '1', BENCH_SIDE: side, BENCH_VS: String(VS), BENCH_RS: String(RS) }, timeoutMs: 900_000, memMb: 3072 });
      const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT));
      if (r.code !== 0 || !line) {
        process.stderr.write(`${r.stdout}\n${r.stderr}\n(exit ${r.code})\n${r.console.slice(-1500)}\n`);
        process.exitCode = 1;
        return;
      }
      const v = JSON.parse(line.slice(RESULT.length)) as KeelTrial & KeepalivedTrial;
      if (side === 'keel') keel.push(v);
      else ka.push(v);
    }
  }
  const total = VS * (RS + 1);
  const k0 = keel[0]!;
  const rows: string[][] = [
    ['keel', 'config load', secs(keel.map((k) => k.load)), '', ''],
    ['keel', 'program from empty', secs(keel.map((k) => k.program)), String(k0.changes), ''],
    ['keel', 'from empty, config load included', secs(keel.map((k) => k.load + k.program)), '', ''],
    ['keel', 'reload: config load', secs(keel.map((k) => k.reloadLoad)), '', `${k0.parsed} statements parsed, ${k0.reused} virtual servers reused`],
    ['keel', 'reload: plan against the last table and apply', secs(keel.map((k) => k.reload)), String(k0.reloadChanges), ''],
    ['keel', 'reload, config load included', secs(keel.map((k) => k.reloadLoad + k.reload)), '', ''],
    ['keel', 'reload back, against a kernel dump', secs(keel.map((k) => k.dump!)), String(k0.dumpChanges), 'dump 30k entries + plan + apply'],
    ['keepalived', 'from empty (start until every entry is in the kernel)', secs(ka.map((k) => k.program)), 'n/a', 'its config load included'],
    ['keepalived', 'reload (SIGHUP until the weight shows)', secs(ka.map((k) => k.reload)), 'n/a', 'its config load included'],
  ];
  const head = ['who', 'step', `seconds: median (min-max) of ${TRIALS}`, 'netlink changes', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`IPVS benchmark: ${VS} virtual servers x ${RS} real servers (${total} entries), Debian kernel under qemu TCG, each trial in a freshly booted VM\n`);
  process.stdout.write(`${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(fmt).join('\n')}\n`);
  // The targets: keel's config load plus its programming against keepalived's whole time.
  const ratio = (k: number[], a: number[]): string => (median(k) / median(a)).toFixed(2);
  process.stdout.write(`keel/keepalived (medians, config load included): from empty ${ratio(keel.map((k) => k.load + k.program), ka.map((k) => k.program))}, one-server reload ${ratio(keel.map((k) => k.reloadLoad + k.reload), ka.map((k) => k.reload))}\n`);
  process.stdout.write(`(VM runs ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}

if (process.env.KEEL_IN_VM === '1') await inGuest();
else await onHost();
