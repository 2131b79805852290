// Block syntax: how lines, braces and words become the statement tree, with positions and
// keepalived's brace messages (checked against keepalived 2.2.7's `-t` output).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics, type Diagnostic } from '../../../src/config/diagnostics.js';
import { parseText } from '../../../src/config/parse.js';
import { tokenize } from '../../../src/config/lexer.js';
import type { Stmt } from '../../../src/config/tree.js';
import { loadConfigText } from '../../../src/config/build.js';

interface Parsed {
  tree: Stmt[];
  diags: Diagnostic[];
}

function parse(text: string): Parsed {
  const d = new Diagnostics();
  const r = parseText(text, d, { configId: 'test' }, 'keepalived.conf');
  return { tree: r.tree, diags: d.list };
}

/** A compact picture of the tree: `a b` for a statement, `a b [ ... ]` for one with a block. */
function shape(stmts: Stmt[]): string {
  return stmts.map((s) => s.words.map((w) => w.text).join(' ') + (s.block ? ` [ ${shape(s.block)} ]` : '')).join(', ');
}

function errors(p: Parsed): string[] {
  return p.diags.filter((d) => d.severity === 'error').map((d) => `${d.pos?.line}: ${d.message}`);
}

describe('block shapes', () => {
  const cases: [string, string, string][] = [
    ['brace on the keyword line', 'a {\n  b 1\n  c\n}\nd\n', 'a [ b 1, c ], d'],
    ['brace on the next line', 'a\n{\n  b\n}\n', 'a [ b ]'],
    ['brace after blank and comment lines', 'a\n\n# c\n! d\n{\nb\n}\n', 'a [ b ]'],
    ['whole block on one line', 'a { b c }\nd\n', 'a [ b c ], d'],
    ['nested blocks on one line', 'a { b { c } d }\n', 'a [ b [ c ], d ]'],
    ['two blocks on one line', 'a { b } c { d }\n', 'a [ b ], c [ d ]'],
    ['statement after a closing brace', 'a {\n  b\n} e\n', 'a [ b ], e'],
    ['braces without blanks', 'a{b}c{d{e}}\n', 'a [ b ], c [ d [ e ] ]'],
    ['closing brace on the last statement line', 'a {\n  b }\nc\n', 'a [ b ], c'],
    ['empty block', 'a { }\nb {\n}\n', 'a [  ], b [  ]'],
    ['quoted braces are words', 'a "{" b "}"\nc "x { y" {\nd\n}\n', 'a { b }, c x { y [ d ]'],
    ['a multi-line definition inside a block', '$M=m1 \\\nm2\na {\n  $M\n  z\n}\n', 'a [ m1, m2, z ]'],
    ['~SEQ inside a block', 'a {\n~SEQ(i,1,3) v$i\n}\n', 'a [ v1, v2, v3 ]'],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      const p = parse(text);
      assert.equal(shape(p.tree), want);
      assert.deepEqual(errors(p), []);
    });
  }
});

describe('positions', () => {
  test('statements and words carry file, line and column', () => {
    const p = parse('global_defs {\n    router_id  r1\n}\n  vrrp_instance VI_1 { state MASTER\n}\n');
    const [g, v] = p.tree;
    assert.ok(g && v && g.block && v.block);
    assert.ok(g.pos.file.endsWith('keepalived.conf'));
    assert.deepEqual([g.pos.line, g.pos.col], [1, 1]);
    const r = g.block[0]!;
    assert.deepEqual([r.pos.line, r.pos.col], [2, 5]);
    assert.deepEqual(r.words.map((w) => [w.text, w.col]), [['router_id', 5], ['r1', 16]]);
    assert.deepEqual([g.open?.line, g.open?.col, g.close?.line, g.close?.col], [1, 13, 3, 1]);
    assert.deepEqual([v.pos.line, v.pos.col], [4, 3]);
    const s = v.block[0]!;
    assert.deepEqual([s.pos.line, s.pos.col, s.raw], [4, 24, 'state MASTER']);
    assert.deepEqual(s.words.map((w) => w.col), [24, 30]);
  });

  test('lines from an expansion carry the line of the expansion', () => {
    const p = parse('$M=x \\\ny\na {\n\n  $M\n}\n');
    assert.deepEqual(p.tree[0]!.block!.map((s) => s.pos.line), [5, 5]);
  });
});

describe('words', () => {
  test('quotes group words and are removed; a quote also ends a word', () => {
    const p = parse('k "a b" c"d e"f "g"h "" x\n');
    const w = p.tree[0]!.words;
    assert.deepEqual(w.map((x) => x.text), ['k', 'a b', 'c', 'd e', 'f', 'g', 'h', '', 'x']);
    assert.deepEqual(w.map((x) => x.quoted), [false, true, false, true, false, true, false, true, false]);
    assert.equal(p.tree[0]!.raw, 'k "a b" c"d e"f "g"h "" x');
  });

  test('tabs and other white space separate words', () => {
    assert.deepEqual(parse('k\ta\vb\fc\rd\n').tree[0]!.words.map((x) => x.text), ['k', 'a', 'b', 'c', 'd']);
  });

  test('an unmatched quote is reported and the rest of the line dropped', () => {
    const p = parse('k a "b c\nnext\n');
    assert.deepEqual(p.tree[0]!.words.map((x) => x.text), ['k', 'a']);
    assert.deepEqual(errors(p), [`1: Unterminated quote 'k a "b c'`, `1: Unmatched quote: 'k a "b c'`]);
    assert.equal(shape(p.tree), 'k a, next');
  });

  test('an unterminated quote also hides the braces after it', () => {
    const p = parse('k "b { c\n');
    assert.equal(shape(p.tree), 'k');
  });
});

describe('brace errors', () => {
  test("an extra '}' is reported at its line and dropped", () => {
    const p = parse('global_defs {\n  router_id x\n}\n}}\nb\n');
    assert.equal(shape(p.tree), 'global_defs [ router_id x ], b');
    assert.deepEqual(errors(p), [
      "4: Extra '}' found", "4: Unknown keyword '}'", "4: Extra '}' found", "4: Unknown keyword '}'",
    ]);
  });

  test("a '{' not after a statement is ignored: what follows stays in the enclosing block", () => {
    const p = parse('global_defs {\n{\nrouter_id x\n}\nrouter_id y\n}\n}\n');
    // As keepalived: the stray block's '}' closes global_defs, and the last two '}' are extra.
    assert.equal(shape(p.tree), 'global_defs [ router_id x ], router_id y');
    assert.deepEqual(errors(p), [
      "2: Unexpected '{' - ignoring", "6: Unknown keyword '}'", "7: Extra '}' found", "7: Unknown keyword '}'",
    ]);
  });

  test("a '{' at the start of the file", () => {
    const p = parse('{\n}\n');
    assert.deepEqual(errors(p), ["1: Unexpected '{' - ignoring", "2: Unknown keyword '}'"]);
  });

  test("missing '}'s are counted with stray '{'s, reported at the first open block, and closed", () => {
    const p = parse('a {\n  b {\n    c\n  }\n\n{\n  d\n');
    assert.equal(shape(p.tree), 'a [ b [ c ], d ]');
    const e = errors(p);
    assert.equal(e.length, 2);
    assert.equal(e[0], "6: Unexpected '{' - ignoring");
    assert.match(e[1]!, /^1: There are 2 missing '\}'s or extra '\{'s \(the block opened at line 1 is never closed\)$/);
  });

  test('a block left open by a stray brace only', () => {
    const p = parse('a\n}\n{\n');
    assert.deepEqual(errors(p), ["2: Extra '}' found", "2: Unknown keyword '}'", "3: Unexpected '{' - ignoring", "3: There are 1 missing '}'s or extra '{'s"]);
  });

  test('tokenize() also splits lines that were not split by the preprocessor', () => {
    const d = new Diagnostics();
    const toks = tokenize([{ text: 'a { b } c', file: 'f', line: 7 }], d);
    assert.deepEqual(toks.map((t) => (t.type === 'line' ? t.words.map((w) => w.text).join(' ') : t.value)), ['a', '{', 'b', '}', 'c']);
    assert.deepEqual(toks.map((t) => t.pos.col), [1, 3, 5, 7, 9]);
    assert.equal(d.list.length, 0);
  });
});

describe("a '{' after a keyword that takes no block (as keepalived 2.2.7 -t)", () => {
  const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
  const build = (text: string) => loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });
  const problems = (text: string): string[] => build(text).diagnostics.list
    .filter((d) => d.severity === 'error' || d.severity === 'warning')
    .map((d) => `${d.pos?.line}: ${d.message.replace(/ - did you mean.*| here \(in .*/, '')}`);

  test("a misspelt block keyword: its '}' ends the vrrp_instance, the rest is read at the top", () => {
    const text = 'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 5\n  priority 100\n' +
      '  virtual_ipaddres {\n    10.1.1.1\n  }\n  advert_int 1\n}\n';
    assert.deepEqual(problems(text), [
      "6: Unknown keyword 'virtual_ipaddres'", "6: Unexpected '{' - ignoring", "7: Unknown keyword '10.1.1.1'",
      "9: Unknown keyword 'advert_int'", "10: Unknown keyword '}'", '1: (VI_1) No VIP specified; at least one is sensible',
    ]);
  });

  test("'${NAME}' left by a template: the '}' after it closes the instance, so its VIPs are lost", () => {
    const text = 'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 5\n  priority ${PRIO}\n' +
      '  virtual_ipaddress {\n    10.1.1.1\n  }\n}\n';
    const r = build(text);
    assert.deepEqual(r.config.vrrp_instances[0]!.virtual_ipaddress, []);
    assert.deepEqual(problems(text).filter((m) => /Unknown|Unexpected|No VIP/.test(m)), [
      "5: Unexpected '{' - ignoring", "5: Unknown keyword 'PRIO'", "6: Unknown keyword 'virtual_ipaddress'",
      "6: Unexpected '{' - ignoring", "7: Unknown keyword '10.1.1.1'", "8: Unknown keyword '}'", "9: Unknown keyword '}'",
      '1: (VI_1) No VIP specified; at least one is sensible',
    ]);
  });

  test("a block keyword without '{' inside a stray block takes the stray block's '}'", () => {
    const text = 'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 5\n  priority 100\n' +
      '  foo {\n    authentication\n    auth_type PASS\n  }\n  virtual_ipaddress {\n    10.1.1.1\n  }\n}\n';
    const r = build(text);
    assert.deepEqual(problems(text).filter((m) => /Unknown|Unexpected|No VIP/.test(m)), [
      "6: Unknown keyword 'foo'", "6: Unexpected '{' - ignoring",
    ]);
    assert.equal(r.config.vrrp_instances[0]!.virtual_ipaddress.length, 1);
  });

  test("a whole instance on one line closes early at the first value block's '}'", () => {
    const text = 'vrrp_instance VI_1 { state MASTER interface eth0 virtual_router_id 51 priority 100 virtual_ipaddress { 10.1.1.1 } track_script { chk } }\n';
    assert.deepEqual(problems(text).filter((m) => /Unknown|Unexpected/.test(m)), [
      "1: Unexpected '{' - ignoring", "1: Unknown keyword '10.1.1.1'", "1: Unknown keyword 'track_script'",
      "1: Unexpected '{' - ignoring", "1: Unknown keyword 'chk'", "1: Unknown keyword '}'", "1: Unknown keyword '}'",
    ]);
  });
});
