// Boots the IPVS test VM once (Debian's kernel with ip_vs, under qemu/TCG) and runs the guest
// tests (test/vm/*.guest.ts) inside it against the real kernel; each guest test is reported
// here as a test of its own.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildVm, REPO, runInVm, vmUnavailable, type VmResult } from './vm.js';

const GUEST_DIR = join(REPO, 'dist', 'test', 'vm');

interface TapResult {
  name: string;
  ok: boolean;
  skipped: boolean;
  detail: string;
}

/** The top-level results of node's TAP reporter (one per guest test). */
export function parseTap(tap: string): TapResult[] {
  const out: TapResult[] = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    // Subtests are indented; a file's tests sit at the top level under the TAP reporter.
    const m = /^(not ok|ok) \d+ - (.*?)( # SKIP.*)?$/.exec(lines[i]!);
    if (!m) continue;
    let detail = '';
    for (let j = i + 1; j < lines.length && /^\s/.test(lines[j]!); j++) detail += `${lines[j]}\n`;
    out.push({ name: m[2]!, ok: m[1] === 'ok', skipped: !!m[3], detail });
  }
  return out;
}

const unavailable = vmUnavailable();

describe('IPVS on a real kernel (test VM)', { skip: unavailable ?? false }, () => {
  let result: VmResult | undefined;
  let results: TapResult[] = [];
  let why: string | undefined;

  before(async () => {
    const b = buildVm();
    why = b.skip ?? b.error;
    if (why) return;
    const guests = readdirSync(GUEST_DIR).filter((f) => f.endsWith('.guest.js')).sort().map((f) => join(GUEST_DIR, f));
    result = await runInVm(['node', '--test', '--test-concurrency=1', '--test-reporter=tap', ...guests], { env: { KEEL_IN_VM: '1' }, timeoutMs: 600_000 });
    results = parseTap(result.stdout);
  });

  test('the VM boots and the guest tests run', (t) => {
    if (why?.startsWith('the kernel package')) return t.skip(why);
    assert.equal(why, undefined, why);
    assert.ok(result);
    assert.ok(results.length > 0, `no guest results (exit ${result.code})\n${result.stdout}\n${result.stderr}\n${result.console.slice(-2000)}`);
    assert.equal(results.filter((r) => r.skipped).length, 0, 'guest tests skipped inside the VM');
    process.stdout.write(`# VM run: ${(result.ms / 1000).toFixed(1)} s, ${results.length} guest results\n`);
    for (const r of results) process.stdout.write(`#   ${r.ok ? 'ok' : 'FAILED'} ${r.name} (${/duration_ms: ([0-9.]+)/.exec(r.detail)?.[1] ?? '?'} ms)\n`);
  });

  // One host test per guest test, so failures are named. They are created after the run, so
  // the names are listed by a final test that checks every one of them.
  test('every guest test passes', (t) => {
    if (why?.startsWith('the kernel package')) return t.skip(why);
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed.map((r) => `${r.name}\n${r.detail}`), []);
    assert.equal(result?.code, 0, result?.stderr);
  });
});
