// The preprocessor against keepalived 2.2.7's read_line(): every expectation here was checked
// against the real keepalived (virtual_ipaddress entries and error messages of `keepalived -t`).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Diagnostics, type Diagnostic } from '../../../src/config/diagnostics.js';
import {
  decomment, parseInclude, braceSplit, keepalivedGlob, preprocessText, preprocessFile,
  type PreprocessOptions, type SourceLine,
} from '../../../src/config/preprocess.js';

interface Run {
  lines: SourceLine[];
  texts: string[];
  diags: Diagnostic[];
  files: string[];
}

function pp(text: string, opts: PreprocessOptions = {}, name?: string): Run {
  const d = new Diagnostics();
  const r = preprocessText(text, d, { configId: 'test', randomSeed: 1, ...opts }, name);
  return { lines: r.lines, texts: r.lines.map((l) => l.text), diags: d.list, files: r.files };
}

function ppFile(file: string, opts: PreprocessOptions = {}): Run {
  const d = new Diagnostics();
  const r = preprocessFile(file, d, { configId: 'test', randomSeed: 1, ...opts });
  return { lines: r.lines, texts: r.lines.map((l) => l.text), diags: d.list, files: r.files };
}

const find = (r: Run, severity: string, text: string, line?: number): Diagnostic | undefined =>
  r.diags.find((d) => d.severity === severity && d.message.includes(text) && (line === undefined || d.pos?.line === line));
const failing = (r: Run): Diagnostic[] => r.diags.filter((d) => d.severity === 'error' || d.severity === 'warning');

function hasDiag(r: Run, severity: string, text: string, line?: number): void {
  const d = find(r, severity, text, line);
  assert.ok(d, `expected ${severity} containing "${text}"${line === undefined ? '' : ` at line ${line}`}, got:\n${r.diags.map((x) => `${x.severity} ${x.pos?.line}: ${x.message}`).join('\n')}`);
  if (line !== undefined) assert.equal(d.pos?.line, line, `line of "${text}"`);
}

const tmps: string[] = [];
function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-pp-'));
  tmps.push(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}
after(() => {
  for (const d of tmps) rmSync(d, { recursive: true, force: true });
});

describe('decomment()', () => {
  test('cuts # and ! comments outside quotes and trims blanks', () => {
    assert.equal(decomment('  a b # comment').text, 'a b');
    assert.equal(decomment('\ta b ! comment').text, 'a b');
    assert.equal(decomment('a "b # c" d # e').text, 'a "b # c" d');
    assert.equal(decomment('a "b ! c"').text, 'a "b ! c"');
    assert.equal(decomment('# whole line').text, '');
    assert.equal(decomment('   ').text, '');
    assert.equal(decomment('  a  ').lead, 2);
  });

  test('\\# and \\! outside quotes become the plain character; inside quotes they stay', () => {
    const d = decomment('a\\#b c\\!d "e\\#f"');
    assert.equal(d.text, 'a#b c!d "e\\#f"');
    assert.equal(d.unescaped, true);
    assert.equal(decomment('a\\\\#b').text, 'a\\\\', 'an escaped backslash does not escape the #');
  });

  test('a backslash at the very end is a continuation mark, even after a comment', () => {
    assert.deepEqual([decomment('a b \\').text, decomment('a b \\').cont], ['a b\\', true]);
    assert.deepEqual([decomment('k # comment \\').text, decomment('k # comment \\').cont], ['k\\', true]);
    assert.equal(decomment('a \\ ').cont, false, 'a backslash followed by a blank is not a continuation');
    assert.equal(decomment('a \\ ').text, 'a \\');
  });

  test('quotes: an escaped quote does not close, an open quote is reported', () => {
    assert.equal(decomment('"a \\" # b" c').text, '"a \\" # b" c');
    assert.equal(decomment('a "b').unterminated, true);
    assert.equal(decomment('a "b" # "').unterminated, false, 'quotes in a comment do not count');
  });
});

describe('helpers', () => {
  test('parseInclude() recognises the include kinds', () => {
    assert.deepEqual(parseInclude('include  a/*.conf'), { kind: 'include', pattern: 'a/*.conf' });
    assert.deepEqual(parseInclude('includer x'), { kind: 'includer', pattern: 'x' });
    for (const k of 'rmwba') assert.equal(parseInclude(`include${k}\tf`)?.kind, `include${k}`);
    assert.equal(parseInclude('includex f'), undefined);
    assert.equal(parseInclude('include'), undefined);
    assert.equal(parseInclude('includes f'), undefined);
    assert.equal(parseInclude('include_check'), undefined);
  });

  test('braceSplit() splits at the first brace outside quotes', () => {
    assert.deepEqual(braceSplit('a b { c }'), { head: 'a b', residue: '{ c }', residueAt: 4 });
    assert.deepEqual(braceSplit('{ c }'), { head: '{', residue: 'c }', residueAt: 2 });
    assert.deepEqual(braceSplit('} d'), { head: '}', residue: 'd', residueAt: 2 });
    assert.equal(braceSplit('{'), undefined);
    assert.equal(braceSplit('a "{" b'), undefined);
    assert.equal(braceSplit('a "b { c'), undefined, 'no split after an unterminated quote');
    assert.deepEqual(braceSplit('a "{" {'), { head: 'a "{"', residue: '{', residueAt: 6 });
  });
});

describe('comments and lines', () => {
  test('comments and blank lines are dropped, positions are kept', () => {
    const r = pp('# header\n\n  a 1 # x\n! bang\n\tb 2\n');
    assert.deepEqual(r.texts, ['a 1', 'b 2']);
    assert.deepEqual(r.lines.map((l) => [l.line, l.col]), [[3, 3], [5, 2]]);
  });

  test('CRLF line ends; a CR inside a line stays', () => {
    const r = pp('a 1\r\nb 2 \\\r\nc\rd\r\r\n');
    assert.deepEqual(r.texts, ['a 1', 'b 2\\', 'c\rd']);
  });

  test('a trailing backslash continues nothing on an ordinary line: it stays part of the word', () => {
    const r = pp('j \\\nk # comment \\\nl\n');
    assert.deepEqual(r.texts, ['j\\', 'k\\', 'l']);
  });

  test('an escaped # outside quotes starts a comment in keepalived\'s VRRP/checker processes', () => {
    const r = pp('auth_pass pa\\#ss\nx "q\\#r" s\n');
    assert.deepEqual(r.texts, ['auth_pass pa', 'x "q\\#r" s']);
    hasDiag(r, 'hint', 'quote the word instead', 1);
    assert.equal(failing(r).length, 0);
    // Read once (as keepalived's parent process does), the escape works.
    assert.deepEqual(pp('auth_pass pa\\#ss\n', { configCopy: false }).texts, ['auth_pass pa#ss']);
  });

  test('a line starting with \\! crashes keepalived; one starting with \\# is dropped', () => {
    const r = pp('a\n\\!foo\n\\#bar\nb\n');
    assert.deepEqual(r.texts, ['a', 'b']);
    hasDiag(r, 'error', 'crashes', 2);
    hasDiag(r, 'hint', 'file marker', 3);
  });

  test('unterminated quote is reported', () => {
    const r = pp('a "b c\n');
    hasDiag(r, 'error', 'Unterminated quote', 1);
  });

  test('a line longer than 1023 bytes is read in pieces, as fgets() into keepalived\'s 1024-byte buffer', () => {
    const long = 'x' + ' w'.repeat(750); // 1501 characters
    const r = pp(`${long}\nafter\n`);
    assert.equal(r.texts.length, 3);
    assert.equal(r.texts[0]!.length, 1023);
    assert.equal(r.texts[0]! + ' ' + r.texts[1]!, long.slice(0, 1023) + ' ' + long.slice(1023).trim());
    assert.deepEqual(r.lines.map((l) => l.line), [1, 1, 2]);
    hasDiag(r, 'hint', 'longer than 1023', 1);
  });

  test('a 1 MB line is processed quickly', () => {
    const big = 'virtual_ipaddress_entry ' + 'a'.repeat(1024 * 1024);
    const t0 = performance.now();
    const r = pp(`${big}\n$X=1\n~SEQ(i,1,2) v $i\n`);
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(r.texts.filter((t) => t.startsWith('a')).length, Math.ceil((big.length + 1) / 1023) - 1);
    assert.deepEqual(r.texts.slice(-2), ['v 1', 'v 2']);
  });
});

describe('@ID conditionals', () => {
  test('@ID keeps the line for the config id, @^ID for any other', () => {
    const r = pp('@test a\n@other b\n@^test c\n@^other d\n@test\n@test\te\n@TEST f\n@^ g\n');
    assert.deepEqual(r.texts, ['a', 'd', 'e', 'g']);
  });

  test('a second @ is only looked at after a substitution', () => {
    const r = pp('$V=v\n@test @^other h\n@test @test p $V\n@$V x\n');
    assert.deepEqual(r.texts, ['@^other h', 'p v']);
  });

  test('a conditional after a brace applies to the rest of the line', () => {
    const r = pp('a { @test b\n@other c\nd } @other e\n');
    assert.deepEqual(r.texts, ['a', '{', 'b', 'd', '}']);
  });
});

describe('$definitions', () => {
  test('definition and substitution forms', () => {
    const r = pp('$A=aa\n$D=  dd\n$F_1=f1\nv $A ${A} $A, $A) $A. $A/24 ${A}x $Ax $D $F_1 ${F_1} $ $$A $1 $_x\n');
    assert.deepEqual(r.texts, ['v aa aa aa, aa) $A. $A/24 aax $Ax dd f1 f1 $ $aa $1 $_x']);
  });

  test('a blank before = is not a definition', () => {
    const r = pp('$B = bb\n$C =cc\nv $B $C\n');
    assert.deepEqual(r.texts, ['$B = bb', '$C =cc', 'v $B $C']);
  });

  test('undefined, used before defined, redefined', () => {
    const r = pp('v $G\n$G=gg\nv $G\n$G=hh\nv $G ${G}\n');
    assert.deepEqual(r.texts, ['v $G', 'v gg', 'v hh hh']);
  });

  test('values are substituted when used, not when defined; inside quotes too', () => {
    const r = pp('$A=aa\n$G=gg\n$H=$A $G\nv $H\n$A=zz\nv $H "$A" "a $A b"\n');
    assert.deepEqual(r.texts, ['v aa gg', 'v zz gg "$A" "a zz b"']);
  });

  test('a substituted # starts a comment; \\${_HASH} and quotes keep it', () => {
    const r = pp('v ${_INSTANCE} ${_HASH} gone\nv "${_HASH}" ${_BANG}x\nv \\${_HASH}y\n');
    assert.deepEqual(r.texts, ['v test', 'v "#"', 'v #y']);
  });

  test('${_PWD} is the directory of the file being read', () => {
    const dir = tmp({ 'sub/inc.conf': 'p ${_PWD}\n', 'main.conf': 'm ${_PWD}\ninclude sub/inc.conf\n' });
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, [`m ${dir}`, `p ${join(dir, 'sub')}`]);
  });

  test('${_RANDOM}: range, fixed value, and 2.2.7\'s garbling when text follows', () => {
    const r = pp('v ${_RANDOM 5 5}\nv ${_RANDOM  4  4}\nv $_RANDOM\n');
    assert.equal(r.texts[0], 'v 5');
    assert.equal(r.texts[1], 'v 4');
    const n = Number(r.texts[2]!.slice(2));
    assert.ok(Number.isInteger(n) && n >= 0 && n <= 32767);
    const g = pp('v ${_RANDOM 4 4} tail1 tail2\n');
    assert.deepEqual(g.texts, ['v 4 _RANDOM 4 4', '}', 'tail1 tail2']);
    hasDiag(g, 'hint', 'garbles', 1);
    hasDiag(pp('v ${_RANDOM 6 5}\n'), 'error', 'divides by zero', 1);
    // Only digits are parameters: this is no definition, and its braces split the line.
    assert.deepEqual(pp('v ${_RANDOM 1 x}\n').texts, ['v $', '{', '_RANDOM 1 x', '}']);
  });

  test('redefining a built-in keeps its parameters', () => {
    const r = pp('$_HASH=H\nv $_HASH ${_HASH}\n$_RANDOM=R\nv ${_RANDOM 1 1}\n');
    assert.deepEqual(r.texts, ['v H H', 'v R']);
  });

  test('${_ENV VAR} (keepalived 2.3) reads the environment', () => {
    const r = pp('v ${_ENV HOME_X} ${_ENV NOPE}x\nv ${_ENV A B}\n', { env: { HOME_X: '/h' } });
    assert.deepEqual(r.texts, ['v /h x', 'v $', '{', '_ENV A B', '}']);
    hasDiag(r, 'hint', 'added in 2.3', 1);
    hasDiag(r, 'error', 'between 1 and 1 parameters, 2 specified', 2);
  });

  test('definitions that refer to each other end with an error instead of hanging', () => {
    const t0 = performance.now();
    const r = pp('$A=$B\n$B=$A\nv $A\nw\n');
    assert.ok(performance.now() - t0 < 2000);
    hasDiag(r, 'error', 'does not terminate', 3);
    assert.deepEqual(r.texts, ['w']);
  });

  test('a growing definition stops below 1024 characters, as keepalived\'s buffer', () => {
    const r = pp('$A=x$A\nv $A\n');
    assert.ok(r.texts[0]!.length < 1024 && r.texts[0]!.endsWith('x$A'));
    hasDiag(r, 'hint', 'would exceed maximum line length', 2);
  });
});

describe('multi-line definitions', () => {
  test('expanded where the use ends a line; the lines follow in order with the use\'s position', () => {
    const r = pp('$M=m1 a \\\n   m2 b \\\n m3\nblock {\n  x $M\n  y\n}\n');
    assert.deepEqual(r.texts, ['block', '{', 'x m1 a', 'm2 b', 'm3', 'y', '}']);
    assert.deepEqual(r.lines.slice(2, 5).map((l) => l.line), [5, 5, 5]);
  });

  test('not expanded in the middle of a line', () => {
    assert.deepEqual(pp('$M=m1 \\\nm2\nv $M b\n').texts, ['v $M b']);
  });

  test('a blank or comment-only line ends it (the comment is a blank line in keepalived\'s copy)', () => {
    const r = pp('$M=a \\\nb \\\n# comment\nc\n$N=d \\\n\ne\nv $M\nw $N\n');
    assert.deepEqual(r.texts, ['c', 'e', 'v a', 'b', 'w d']);
    // Read once, the comment line is skipped and c belongs to the definition.
    assert.deepEqual(pp('$M=a \\\nb \\\n# comment\nc\nv $M\n', { configCopy: false }).texts, ['v a', 'b', 'c']);
  });

  test('a definition starting with only a backslash', () => {
    const r = pp('$X=\\\nxb\n$Y=\\\n\\\nyb \\\nyc\nv $X\nw $X z\nu $Y\n');
    assert.deepEqual(r.texts, ['v xb', 'w xb z', 'u yb', 'yc']);
  });

  test('nested multi-line definitions and ~SEQ inside one', () => {
    const r = pp('$M=m1 \\\nm2\n$U=u1 \\\n$M \\\nu2\n$T=t1 \\\n~SEQ(j,1,2) tj$j \\\nt2\n$U\n$T\n');
    assert.deepEqual(r.texts, ['u1', 'm1', 'm2', 'u2', 't1', 'tj1', 'tj2', 't2']);
  });

  test('a ~SEQ whose text is a multi-line definition', () => {
    const r = pp('$M=m1 \\\nm2\n~SEQ(k,1,2) k$k $M\n');
    assert.deepEqual(r.texts, ['k1 m1', 'm2', 'k2 m1', 'm2']);
  });
});

describe('~SEQ', () => {
  const seq = (spec: string): string[] => pp(`~SEQ${spec} v$i\n`).texts;
  test('one, two and three numbers', () => {
    assert.deepEqual(seq('(i,3)'), ['v1', 'v2', 'v3']);
    assert.deepEqual(seq('(i,-3)'), ['v-1', 'v-2', 'v-3']);
    assert.deepEqual(seq('(i,0)'), ['v1', 'v0']);
    assert.deepEqual(seq('(i,1,3)'), ['v1', 'v2', 'v3']);
    assert.deepEqual(seq('(i,3,1)'), ['v3', 'v2', 'v1']);
    assert.deepEqual(seq('(i,1,2,7)'), ['v1', 'v3', 'v5', 'v7']);
    assert.deepEqual(seq('(i,1,1)'), ['v1']);
    assert.deepEqual(seq('(i,1,3,2)'), ['v1']);
  });

  test('negative step, hex output, C number syntax, blanks', () => {
    assert.deepEqual(seq('(i,5,-2,1)'), ['v5', 'v3', 'v1']);
    assert.deepEqual(seq('x(i,8,2,16)'), ['v8', 'va', 'vc', 've', 'v10']);
    assert.deepEqual(seq('(i,0x10,0x11)'), ['v16', 'v17']);
    assert.deepEqual(seq('(i,010,011)'), ['v8', 'v9']);
    assert.deepEqual(seq('(i,+1,2)'), ['v1', 'v2']);
    assert.deepEqual(seq('( i , 1 , 2 )'), ['v1', 'v2']);
    assert.deepEqual(seq(' (i,1,2)'), ['v1', 'v2']);
    assert.deepEqual(pp('~SEQ(i,1,2)v$i\n').texts, ['v1', 'v2']);
  });

  test('numbers from definitions; the variable keeps its last value', () => {
    assert.deepEqual(pp('$N=3\n~SEQ(i,1,$N) v$i\nw $i\n').texts, ['v1', 'v2', 'v3', 'w 3']);
  });

  test('keepalived\'s reading of odd specifications', () => {
    // The character after the variable is skipped whatever it is; a missing number is 0.
    assert.deepEqual(pp('~SEQ(i j,1,2) v$i\n').texts, ['v0', 'v1', 'v2']);
    assert.deepEqual(pp('~SEQ(i,1,2) ~SEQ(j,1,2) v$i.$j\n').texts, ['v$i.1', 'v$i.2', 'v$i.1', 'v$i.2']);
    assert.deepEqual(pp('~SEQ(i,1,2) v${i}x $ix\n').texts, ['v1x $ix', 'v2x $ix']);
    assert.deepEqual(pp('~SEQ(i,1,2) @test a$i\n~SEQ(i,1,2) @other b$i\n').texts, ['a1', 'a2']);
  });

  test('invalid specifications are reported with keepalived\'s messages', () => {
    const cases: [string, string][] = [
      ['~SEQ(i,1,0,3) o', 'Invalid ~SEQ values'],
      ['~SEQ(i,1,-1,3) p', 'Invalid ~SEQ values'],
      ['~SEQx(i,-1,3) q', '~SEQx is only valid for positive numbers'],
      ['~SEQ(i,a,2) s', 'Invalid ~SEQ definition'],
      ['~SEQ(i) t', 'Invalid ~SEQ definition'],
      ['~SEQ(i,1,2,3,4) z', 'Invalid ~SEQ definition'],
      ['~SEQ(i,1,2', '~SEQ parameter strings too long'],
      ['~SEQ(,1,2) A', 'Invalid ~SEQ definition'],
      ['~SEQUENCE(i,1,2) x', 'Invalid ~SEQ specification'],
    ];
    for (const [line, msg] of cases) {
      const r = pp(`${line}\n`);
      assert.deepEqual(r.texts, [], line);
      hasDiag(r, 'error', msg, 1);
      hasDiag(r, 'error', 'Invalid ~SEQ specification', 1);
    }
  });

  test('a sequence too long for the line limit is refused', () => {
    const r = pp('~SEQ(i,1,100000) v$i\n', { maxLines: 1000 });
    hasDiag(r, 'error', 'more than 1000 lines', 1);
    assert.equal(r.texts.length, 0);
  });

  test('~SEQ after a brace', () => {
    assert.deepEqual(pp('vips { ~SEQ(i,1,2) 10.0.0.$i\n}\n').texts, ['vips', '{', '10.0.0.1', '10.0.0.2', '}']);
  });
});

describe('~LST', () => {
  test('single and multiple variables', () => {
    assert.deepEqual(pp('~LST(i,a,b,c) v$i\n').texts, ['va', 'vb', 'vc']);
    assert.deepEqual(pp('~LST({i,j},{1,2},{3,4}) v$i,$j\n').texts, ['v1,2', 'v3,4']);
    assert.deepEqual(pp('~LST({ i , j } , { 1 , 2 } , { 3 , 4 } ) v$i,$j\n').texts, ['v1,2', 'v3,4']);
    assert.deepEqual(pp('~LST( i , x , y ) v$i\n').texts, ['vx', 'vy']);
    assert.deepEqual(pp('~LST(i,a,b)v$i\n').texts, ['va', 'vb']);
  });

  test('missing values are empty', () => {
    assert.deepEqual(pp('~LST({i,j},{1},{3,4}) v$i,$j\n').texts, ['v1,', 'v3,4']);
    assert.deepEqual(pp('~LST({i,j},1,2) v$i,$j\n').texts, ['v1,', 'v2,']);
    assert.deepEqual(pp('~LST({i,j},{,2},{3,}) v$i,$j\n').texts, ['v,2', 'v3,']);
    assert.deepEqual(pp('~LST(i,,b) v$i\n').texts, ['v', 'vb']);
  });

  test('nested with ~SEQ', () => {
    assert.deepEqual(pp('~LST(i,a,b) ~SEQ(j,1,2) v$i,$j\n').texts, ['va,1', 'va,2', 'vb,1', 'vb,2']);
  });

  test('invalid specifications', () => {
    for (const line of ['~LST(i) l', '~LST(i,a b) o', '~LST({i,j},{1,2},{3,4} p']) {
      const r = pp(`${line}\n`);
      assert.deepEqual(r.texts, []);
      hasDiag(r, 'error', 'Invalid ~LST specification', 1);
    }
    for (const line of ['~LST({i,j},{1,2,3},{3,4}) d', '~LST(i,{a,b}) s']) {
      const r = pp(`${line}\n`);
      assert.deepEqual(r.texts, []);
      hasDiag(r, 'error', '~LST specification has too many values', 1);
      hasDiag(r, 'error', 'Invalid ~LST specification', 1);
    }
  });
});

describe('braces', () => {
  test('lines are split at braces outside quotes; residues keep their columns', () => {
    const r = pp('a b { c "d { e" } f\n');
    assert.deepEqual(r.texts, ['a b', '{', 'c "d { e"', '}', 'f']);
    assert.deepEqual(r.lines.map((l) => l.col), [1, 5, 7, 17, 19]);
  });
});

describe('include', () => {
  test('relative to the including file, nested directories', () => {
    const dir = tmp({
      'main.conf': 'start\ninclude i/sub/s.conf\nend\n',
      'i/sub/s.conf': 'sub1\ninclude deeper/d.conf\ninclude ../g/a.conf\nsub2\n',
      'i/sub/deeper/d.conf': 'deep $X\n',
      'i/g/a.conf': 'ga\n',
    });
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, ['start', 'sub1', 'deep $X', 'ga', 'sub2', 'end']);
    assert.deepEqual(r.lines.map((l) => [l.file.slice(dir.length + 1), l.line]),
      [['main.conf', 1], ['i/sub/s.conf', 1], ['i/sub/deeper/d.conf', 1], ['i/g/a.conf', 1], ['i/sub/s.conf', 4], ['main.conf', 3]]);
    assert.equal(r.files.length, 4);
  });

  test('globs match several files in byte order, hidden files excluded', () => {
    const dir = tmp({
      'main.conf': 'include g/*.conf\ninclude g/?.conf\ninclude g/[ab].conf\n',
      'g/b.conf': 'b\n', 'g/a.conf': 'a\n', 'g/B.conf': 'B\n', 'g/10.conf': '10\n', 'g/9.conf': '9\n', 'g/.h.conf': 'hidden\n',
    });
    assert.deepEqual(ppFile(join(dir, 'main.conf')).texts, ['10', '9', 'B', 'a', 'b', '9', 'B', 'a', 'b', 'a', 'b']);
  });

  test('brace expansion keeps the order of the alternatives', () => {
    const dir = tmp({
      'main.conf': 'include g/{c,a}.conf\ninclude {x,g}/*.conf\ninclude g/{a,{c,b}}.conf\ninclude g/\\{a,b\\}.conf\n',
      'g/a.conf': 'a\n', 'g/b.conf': 'b\n', 'g/c.conf': 'c\n', 'x/z.conf': 'z\n',
    });
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, ['c', 'a', 'z', 'a', 'b', 'c', 'a', 'c', 'b']);
    hasDiag(r, 'notice', "Config files missing 'g/\\{a,b\\}.conf'", 4);
  });

  test('missing files: a notice for include, an error for the checked kinds', () => {
    const dir = tmp({
      'main.conf': [
        'include nonexist.conf', 'include nonexist*.conf', 'include nodir/*.conf', 'include g/{a,zz}.conf',
        'includem nonexist.conf', 'includew g/*.nomatch', 'includeb g/{a,zz}.conf', 'includer g', 'include g', 'include exe.conf',
      ].join('\n') + '\n',
      'g/a.conf': 'a\n',
      'exe.conf': 'exe\n',
    });
    chmodSync(join(dir, 'exe.conf'), 0o755);
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, ['a']);
    hasDiag(r, 'notice', "Config files missing 'nonexist.conf'.", 1);
    assert.equal(r.diags.filter((d) => d.pos?.line === 2).length, 0, 'a wildcard matching nothing is fine');
    hasDiag(r, 'notice', "Config files missing 'nodir/*.conf'.", 3);
    hasDiag(r, 'notice', 'Some config files missing: "g/{a,zz}.conf".', 4);
    hasDiag(r, 'error', "Config files missing 'nonexist.conf'.", 5);
    hasDiag(r, 'error', "No config files matched 'g/*.nomatch'.", 6);
    hasDiag(r, 'error', 'Some config files missing: "g/{a,zz}.conf".', 7);
    hasDiag(r, 'error', "Configuration file 'g/' is a directory - skipping", 8);
    hasDiag(r, 'notice', "Configuration file 'g/' is a directory - skipping", 9);
    hasDiag(r, 'notice', "Configuration file 'exe.conf' is not a regular non-executable file - skipping", 10);
    assert.ok(r.diags.filter((d) => d.severity === 'error').every((d) => d.fatal));
  });

  test('include_check in global_defs and -e make include problems errors; it ends with the file', () => {
    const dir = tmp({
      'main.conf': 'global_defs {\n include_check\n}\ninclude nonexist.conf\ninclude inc.conf\ninclude nonexist2.conf\n',
      'inc.conf': 'global_defs {\n include_check -match\n}\ninclude nonexist3.conf\n',
      'plain.conf': 'include nonexist.conf\n',
    });
    const r = ppFile(join(dir, 'main.conf'));
    hasDiag(r, 'error', 'nonexist.conf', 4);
    hasDiag(r, 'notice', 'nonexist3.conf', 4);
    hasDiag(r, 'error', 'nonexist2.conf', 6);
    hasDiag(ppFile(join(dir, 'plain.conf')), 'notice', 'nonexist.conf', 1);
    hasDiag(ppFile(join(dir, 'plain.conf'), { includeCheck: true }), 'error', 'nonexist.conf', 1);
  });

  test('an include loop is reported and does not hang', () => {
    const dir = tmp({ 'main.conf': 'include loop.conf\n', 'loop.conf': 'l\ninclude loop.conf\n' });
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, ['l']);
    hasDiag(r, 'error', 'include loop', 2);
  });

  test('definitions and ~SEQ inside an included file', () => {
    const dir = tmp({ 'main.conf': 'include defs.conf\nv $X\n', 'defs.conf': '$X=xx\n~SEQ(i,1,2) s$i $X\n' });
    assert.deepEqual(ppFile(join(dir, 'main.conf')).texts, ['s1 xx', 's2 xx', 'v xx']);
  });

  test('includes from a ~SEQ resolve from the directory of the file opened last, as keepalived\'s chdir()', () => {
    const dir = tmp({ 'main.conf': '~SEQ(i,1,2) include d${i}/x.conf\n', 'd1/x.conf': 'k1\n', 'd2/x.conf': 'k2\n', 'd1/d2/x.conf': 'nested\n' });
    const r = ppFile(join(dir, 'main.conf'));
    // The first include moves into d1, so d2/x.conf is found under d1; each is read twice (see below).
    assert.deepEqual(r.texts, ['nested', 'k1', 'nested', 'k1']);
  });

  test('a file included by a line that is not a plain include line is read twice', () => {
    const dir = tmp({ 'main.conf': '$INC=include v.conf\n@test include v.conf\nsep\n$INC\nsep\ninclude v.conf\n', 'v.conf': 'vip\n' });
    const r = ppFile(join(dir, 'main.conf'));
    assert.deepEqual(r.texts, ['vip', 'vip', 'sep', 'vip', 'vip', 'sep', 'vip']);
    hasDiag(r, 'hint', 'twice', 2);
    hasDiag(r, 'hint', 'twice', 4);
    assert.deepEqual(ppFile(join(dir, 'main.conf'), { configCopy: false }).texts, ['vip', 'sep', 'vip', 'sep', 'vip']);
  });

  test('keepalived takes # and ! lines of such a file for markers of its copy', () => {
    const crash = tmp({ 'main.conf': '@test include v.conf\n', 'v.conf': '# comment\nvip\n' });
    hasDiag(ppFile(join(crash, 'main.conf')), 'error', 'likely to crash');
    const balanced = tmp({ 'main.conf': '@test include v.conf\n', 'v.conf': '# c\nv5\n! c\nv6\n' });
    assert.deepEqual(ppFile(join(balanced, 'main.conf')).texts, ['v5', 'v6', 'v5', 'v6']);
    const ended = tmp({ 'main.conf': '@test include v.conf\n', 'v.conf': '! c\nv5\n' });
    assert.deepEqual(ppFile(join(ended, 'main.conf')).texts, ['v5']);
    const indented = tmp({ 'main.conf': '@test include v.conf\n', 'v.conf': '  # c\nv5\n' });
    const r = ppFile(join(indented, 'main.conf'));
    assert.deepEqual(r.texts, ['v5', 'v5']);
    assert.equal(failing(r).length, 0);
  });

  test('a plain include line inside a multi-line definition ends it, the file comes with each use', () => {
    const dir = tmp({ 'main.conf': '$M=m1 \\\ninclude x.conf \\\nm2\nsep\n$M\n', 'x.conf': 'k2\n' });
    assert.deepEqual(ppFile(join(dir, 'main.conf')).texts, ['m2', 'sep', 'm1', 'k2']);
    assert.deepEqual(ppFile(join(dir, 'main.conf'), { configCopy: false }).texts, ['sep', 'm1', 'm2', 'k2']);
  });

  test('the configuration file itself may be a glob; several matches are a warning', () => {
    const dir = tmp({ 'a.conf': 'a\n', 'b.conf': 'b\n' });
    const r = ppFile(join(dir, '*.conf'));
    assert.deepEqual(r.texts, ['a', 'b']);
    hasDiag(r, 'warning', 'multiple configuration file matches');
    const missing = ppFile(join(dir, 'nope.conf'));
    assert.ok(missing.diags.some((d) => d.fatal && d.message.includes('Unable to find configuration file')));
  });

  test('keepalivedGlob() counts missing files and directories as keepalived\'s callbacks do', () => {
    const dir = tmp({ 'a/x.conf': '', 'b/y.conf': '' });
    const st = keepalivedGlob('*/x.conf', dir);
    assert.deepEqual(st.out, ['a/x.conf']);
    assert.equal(st.missingFiles, 1);
    assert.equal(st.haveWildcards, true);
    const nd = keepalivedGlob('nodir/*', dir);
    assert.deepEqual([nd.out.length, nd.missingDirs], [0, 1]);
    assert.deepEqual(keepalivedGlob('a', dir).out, ['a/']);
  });
});
