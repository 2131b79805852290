// Bad input never crashes or hangs keel's config reader, and every rejection names a line.
// Fixed seed and bounded counts, so a failure replays exactly (the case's seed is printed).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText, loadConfigFile } from '../../src/config/build.js';
import type { LoadResult } from '../../src/config/build.js';
import { ROOT, SHARED } from '../helpers/env.js';
import { seededRandom } from '../../src/util/random.js';

const SEED = 0x6b65656c; // "keel"
const MUTATIONS_PER_FILE = 60;
const RANDOM_CASES = 300;

const rng = seededRandom;

const opts = { interfaceExists: (n: string) => /^eth[0-3]$|^lo$/.test(n), configId: 'fuzz', randomSeed: 1 };

function corpus(): { name: string; text: string }[] {
  const dirs = [join(SHARED, 'corpus', 'keepalived-samples'), join(SHARED, 'corpus', 'seeds'), join(ROOT, 'samples')];
  const out: { name: string; text: string }[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) {
      if (!/keepalived|\.conf$/.test(f)) continue;
      out.push({ name: f, text: readFileSync(join(d, f), 'latin1') });
    }
  }
  return out;
}

const SPECIALS = ['{', '}', '"', "'", '#', '!', '$', '@', '~', '\\', '\n', ' ', '\t', '$A', '${', '~SEQ(i,3)', '@^x ', 'include ', '\x00', '\xff'];

function mutate(text: string, r: () => number): string {
  const lines = text.split('\n');
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(r() * lines.length);
    const l = lines[i] ?? '';
    switch (Math.floor(r() * 8)) {
      case 0: lines.splice(i, 1); break;
      case 1: lines.splice(i, 0, l); break;
      case 2: {
        const j = Math.floor(r() * (l.length + 1));
        lines[i] = l.slice(0, j) + SPECIALS[Math.floor(r() * SPECIALS.length)]! + l.slice(j);
        break;
      }
      case 3: {
        const j = Math.floor(r() * l.length);
        lines[i] = l.slice(0, j) + l.slice(j + 1);
        break;
      }
      case 4: lines[i] = l.replace(/\d+/, () => String([0, -1, 256, 4294967296, 1e30, 0.5][Math.floor(r() * 6)])); break;
      case 5: lines[i] = l.replace(/\S+/, (w) => w.split('').reverse().join('')); break;
      case 6: {
        const j = Math.floor(r() * lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', l];
        break;
      }
      default: lines[i] = l + ' ' + (lines[Math.floor(r() * lines.length)] ?? '');
    }
  }
  return lines.join('\n');
}

function check(res: LoadResult, label: string): void {
  for (const d of res.diagnostics.list) {
    if (d.severity === 'hint' || d.severity === 'notice') continue;
    assert.ok(d.pos && d.pos.line >= 1, `${label}: a rejection without a line number: ${d.message}`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, `${label}: empty message`);
  }
  // The config must serialise (--dump-json never throws).
  JSON.stringify(res.config);
}

function safeLoad(text: string, label: string): LoadResult {
  try {
    return loadConfigText(text, opts, `${label}.conf`);
  } catch (e) {
    assert.fail(`${label}: exception escaped: ${(e as Error).stack}`);
  }
}

test('mutated corpus configs: no exception, every rejection has a line', () => {
  const r = rng(SEED);
  const files = corpus();
  assert.ok(files.length > 0, 'no corpus to mutate');
  let cases = 0;
  for (const f of files) {
    for (let i = 0; i < MUTATIONS_PER_FILE; i++) {
      const seed = Math.floor(r() * 2 ** 32);
      const text = mutate(f.text, rng(seed));
      check(safeLoad(text, `${f.name}#${seed}`), `${f.name} mutation seed ${seed}`);
      cases++;
    }
  }
  process.stdout.write(`# fuzz: ${cases} mutated configs\n`);
});

test('random bytes', () => {
  const r = rng(SEED + 1);
  for (let i = 0; i < RANDOM_CASES; i++) {
    const len = Math.floor(r() * 4096);
    let s = '';
    for (let k = 0; k < len; k++) {
      s += r() < 0.3 ? SPECIALS[Math.floor(r() * SPECIALS.length)]! : String.fromCharCode(Math.floor(r() * 256));
    }
    check(safeLoad(s, `random${i}`), `random case ${i}`);
  }
});

test('deep nesting and unbalanced braces', () => {
  const deep = 'vrrp_instance X {\n'.repeat(20000) + '}\n'.repeat(20000);
  const res = safeLoad(deep, 'deep');
  check(res, 'deep nesting');
  assert.ok(res.diagnostics.failing);
  check(safeLoad('{'.repeat(50000), 'open'), 'only opening braces');
  check(safeLoad('}'.repeat(50000), 'close'), 'only closing braces');
  check(safeLoad('global_defs {{{{ }}}}} }', 'mixed'), 'mixed braces');
});

test('1 MB lines', () => {
  const big = 'x'.repeat(1024 * 1024);
  check(safeLoad(`vrrp_instance ${big} {\n interface eth0\n}\n`, 'bigname'), '1 MB instance name');
  check(safeLoad(`global_defs {\n router_id ${big}\n}\n`, 'bigvalue'), '1 MB value');
  check(safeLoad(`${big}\n`, 'bigword'), '1 MB unknown word');
  check(safeLoad(`"${big}\n`, 'bigquote'), '1 MB unterminated quote');
});

test('macro recursion terminates with an error', () => {
  for (const text of [
    '$A=$B\n$B=$A\nglobal_defs {\n router_id $A\n}\n',
    '$A=$A $A\nglobal_defs {\n router_id $A\n}\n',
    '$A=${A}x\nglobal_defs {\n router_id $A\n}\n',
    '$A=~SEQ(i, 1000000000) $A\n$A\n',
  ]) {
    const res = safeLoad(text, 'macro');
    check(res, `macro ${JSON.stringify(text.slice(0, 20))}`);
  }
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('include loops are detected', () => {
  const d = mkdtempSync(join(tmpdir(), 'keel-fuzz-'));
  dirs.push(d);
  writeFileSync(join(d, 'a.conf'), 'include b.conf\nglobal_defs {\n router_id a\n}\n');
  writeFileSync(join(d, 'b.conf'), 'include a.conf\ninclude *.conf\n');
  const res = loadConfigFile(join(d, 'a.conf'), opts);
  check(res, 'include loop');
  assert.ok(res.diagnostics.list.some((x) => /include loop/.test(x.message)), 'the loop is reported');
  assert.equal(res.config.global_defs.router_id, 'a');
});
