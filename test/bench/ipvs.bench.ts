// Benchmark: program 300 virtual servers x 100 real servers into the kernel's IPVS from empty,
// then apply a reload that changes one real server, keel beside keepalived 2.2.7 in the same
// test VM (Debian's kernel under qemu/TCG: absolute times are slow, the ratio is what counts).
// On the host this boots the VM and runs itself inside. Run: npm run bench:ipvs
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoadCache, loadConfigText } from '../../src/config/build.js';
import { desiredTable } from '../../src/ipvs/from-config.js';
import { openIpvs } from '../../src/ipvs/client.js';
import { planReconcile, applyPlan } from '../../src/ipvs/reconcile.js';

const VS = Number(process.env.BENCH_VS ?? 300);
const RS = Number(process.env.BENCH_RS ?? 100);

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

async function inGuest(): Promise<void> {
  const { setupNet, teardownNet, resetIpvs } = await import('../vm/guest.js');
  setupNet();
  resetIpvs();
  const total = VS * (RS + 1);
  const rows: string[][] = [];

  progress('keel: programming from empty');
  // keel: from empty.
  // The checker child keeps a LoadCache across reloads (src/daemon/process-common.ts).
  const cache = new LoadCache();
  let t0 = performance.now();
  const cfg = loadConfigText(genConfig(), { cache }).config;
  const tParse = performance.now() - t0;
  const c = await openIpvs();
  t0 = performance.now();
  const table = desiredTable(cfg);
  const plan = planReconcile(table, await c.dump());
  const r = await applyPlan(c, plan);
  const tProgram = performance.now() - t0;
  if (r.errors.length) throw r.errors[0];
  if (procEntries() !== total) throw new Error(`keel programmed ${procEntries()} entries, expected ${total}`);
  rows.push(['keel', 'program from empty', (tProgram / 1000).toFixed(2), String(c.changes), `(+ ${(tParse / 1000).toFixed(2)} s config load)`]);

  progress('keel: reload');
  // keel: reload with one real server's weight changed, as the daemon does it: plan against the
  // table it last programmed (no kernel read); then the same against a fresh kernel dump.
  let before = c.changes;
  t0 = performance.now();
  const cfg2 = loadConfigText(genConfig(5), { cache }).config;
  const tParse2 = performance.now() - t0;
  t0 = performance.now();
  const table2 = desiredTable(cfg2);
  const r2 = await applyPlan(c, planReconcile(table2, table));
  const tReload = performance.now() - t0;
  if (r2.errors.length) throw r2.errors[0];
  const changes = c.changes - before;
  rows.push(['keel', 'reload, one real server changed', (tReload / 1000).toFixed(2), String(changes), `(+ ${(tParse2 / 1000).toFixed(2)} s config load, ${cache.parse.misses} of ${cache.parse.hits + cache.parse.misses} statements parsed, ${cache.reused} virtual servers reused; plan against the last table)`]);
  before = c.changes;
  t0 = performance.now();
  const r3 = await applyPlan(c, planReconcile(desiredTable(cfg), await c.dump()));
  const tReloadDump = performance.now() - t0;
  if (r3.errors.length) throw r3.errors[0];
  const changesDump = c.changes - before;
  rows.push(['keel', 'reload back, against a kernel dump', (tReloadDump / 1000).toFixed(2), String(changesDump), '(dump 30k entries + plan + apply)']);
  c.close();
  if (changesDump !== 1) throw new Error(`the dump-based reload sent ${changesDump} changes, expected exactly 1`);
  if (changes !== 1) throw new Error(`the one-server reload sent ${changes} changes, expected exactly 1`);

  // keepalived: from empty (start until the kernel holds every entry), then the same reload (SIGHUP).
  resetIpvs();
  const dir = mkdtempSync('/tmp/keel-bench-');
  const conf = join(dir, 'keepalived.conf');
  writeFileSync(conf, genConfig());
  t0 = performance.now();
  const ka = spawn('keepalived', ['-n', '-l', '-C', '-f', conf, '-p', join(dir, 'a.pid'), '-c', join(dir, 'c.pid'), '-r', join(dir, 'r.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let kaLog = '';
  ka.stdout!.on('data', (b: Buffer) => { kaLog += b.toString(); });
  ka.stderr!.on('data', (b: Buffer) => { kaLog += b.toString(); });
  const kaExit = new Promise<void>((res) => ka.on('exit', () => res()));
  progress('keepalived: programming from empty');
  await waitFor(() => procEntries() >= total, Number(process.env.BENCH_KA_TIMEOUT_MS ?? 300_000));
  const tKa = procEntries() >= total ? performance.now() - t0 : NaN;
  if (Number.isNaN(tKa)) process.stderr.write(`keepalived did not program the table (${procEntries()} of ${total} entries):\n${kaLog.slice(-3000)}\n`);
  rows.push(['keepalived', 'program from empty', (tKa / 1000).toFixed(2), 'n/a', '(start until every entry is in the kernel; includes its config load)']);
  writeFileSync(conf, genConfig(5));
  // The changed server's line in /proc/net/ip_vs (hex address), now with weight 5.
  const last = RS - 1;
  const hexAddr = [10, 200 + Math.floor(last / 250), 0, (last % 250) + 1].map((x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');
  const changedLine = new RegExp(`-> ${hexAddr}:0050\\s+Route\\s+5\\s`);
  t0 = performance.now();
  process.kill(ka.pid!, 'SIGHUP');
  progress('keepalived: reload');
  const tKaReload = await waitFor(() => procHas(changedLine), Number(process.env.BENCH_KA_TIMEOUT_MS ?? 300_000));
  rows.push(['keepalived', 'reload, one real server changed', (tKaReload / 1000).toFixed(2), 'n/a', '(SIGHUP until the weight shows; includes its config load)']);
  process.kill(ka.pid!, 'SIGTERM');
  await Promise.race([kaExit, new Promise((res) => setTimeout(res, 60_000))]);
  rmSync(dir, { recursive: true, force: true });
  resetIpvs();
  teardownNet();

  const head = ['who', 'step', 'seconds', 'netlink changes', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`IPVS benchmark: ${VS} virtual servers x ${RS} real servers (${total} entries), Debian kernel under qemu TCG\n`);
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
}

async function onHost(): Promise<void> {
  const { buildVm, runInVm, vmUnavailable, REPO } = await import('../vm/vm.js');
  const unavailable = vmUnavailable();
  const b = unavailable ? {} : buildVm();
  const why = unavailable ?? b.skip ?? b.error;
  if (why) {
    process.stdout.write(`IPVS benchmark skipped: ${why}\n`);
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const r = await runInVm(['node', self], { cwd: REPO, env: { KEEL_IN_VM: '1', BENCH_VS: String(VS), BENCH_RS: String(RS) }, timeoutMs: 1_800_000, memMb: 3072 });
  process.stdout.write(r.stdout);
  if (r.code !== 0) {
    process.stderr.write(`${r.stderr}\n(exit ${r.code})\n${r.console.slice(-1500)}\n`);
    process.exitCode = 1;
  } else process.stdout.write(`(VM run ${(r.ms / 1000).toFixed(0)} s)\n`);
}

if (process.env.KEEL_IN_VM === '1') await inGuest();
else await onHost();
