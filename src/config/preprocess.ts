// The keepalived.conf preprocessor: comments, includes, @conditionals, $definitions, ~SEQ/~LST.
// It follows keepalived's read_line() (lib/parser.c) step for step, because operators' configs
// rely on its exact quirks (where a comment starts, when $NAME is a definition, what a multi-line
// definition expands to). Every produced line carries the file and line it came from.
import { readFileSync, statSync, accessSync, constants as fsc } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { hostname } from 'node:os';
import { globSync } from 'glob';
import { Diagnostics, type Pos } from './diagnostics.js';

export interface SourceLine {
  text: string;
  file: string;
  line: number;
}

export interface PreprocessOptions {
  /** -i/--config-id; default: host name up to the first dot. */
  configId?: string;
  /** Seed for ${_RANDOM}; keepalived seeds from global_defs random_seed or the time. */
  randomSeed?: number;
  /** Environment for ${_ENV VAR}. */
  env?: NodeJS.ProcessEnv;
  /** Read a file (tests use an in-memory file system). */
  readFile?: (path: string) => string;
  /** Guards against runaway input: maximum produced lines (default 5,000,000). */
  maxLines?: number;
  /** Maximum include depth (default 64). */
  maxIncludeDepth?: number;
}

export interface PreprocessResult {
  lines: SourceLine[];
  files: string[];
}

export function defaultConfigId(): string {
  const h = hostname();
  const dot = h.indexOf('.');
  return dot >= 0 ? h.slice(0, dot) : h;
}

/** A parameter definition ($NAME=VALUE). Multi-line values are kept as separate lines. */
interface Definition {
  name: string;
  value: string[];
  multiline: boolean;
  /** Built-in definitions compute their value; params are the digits after the name. */
  fn?: (params: string | undefined) => string;
  maxParams: number;
}

/** A pending ~SEQ or ~LST expansion: the rest of the line repeated with variables set. */
interface Seq {
  text: string;
  pos: Pos;
  /** ~SEQ */
  variable?: string;
  next?: number;
  step?: number;
  last?: number;
  hex?: boolean;
  /** ~LST */
  params?: string[];
  valueSets?: string[][];
  setIndex?: number;
}

function trimBlanks(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum_ = (c: string | undefined): boolean => c !== undefined && /^[A-Za-z0-9_]$/.test(c);

/** Max line length keepalived uses for its line buffer; beyond it substitution stops. */
const MAXBUF = 1024 * 1024 * 4;

/**
 * keepalived's decomment(): drop leading blanks, cut the line at the first `#` or `!` outside
 * double quotes, turn `\#` and `\!` (outside quotes) into the plain character, and drop trailing
 * blanks. Returns the text and whether it ended with a continuation backslash.
 */
const SPECIAL = /[!#"\\]/;

export function decomment(input: string): { text: string; cont: boolean; unterminated: boolean } {
  // Fast path: most lines have nothing to strip but blanks.
  if (!SPECIAL.test(input)) return { text: trimBlanks(input), cont: false, unterminated: false };
  let s = input.replace(/^[ \t]+/, '');
  let quote = false;
  let cont = false;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') {
      quote = !quote;
      out += c;
      i++;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < s.length) {
        const n = s[i + 1]!;
        if (!quote && (n === '#' || n === '!')) {
          out += n;
        } else {
          out += c + n;
        }
        i += 2;
        continue;
      }
      cont = true;
      break;
    }
    if (!quote && (c === '!' || c === '#')) break;
    out += c;
    i++;
  }
  s = out.replace(/[ \t]+$/, '');
  if (cont) s += '\\';
  return { text: s, cont, unterminated: quote };
}

/** Does the line start an include (`include`, `includer`, `includem`, `includew`, `includeb`, `includea`)? */
export function parseInclude(buf: string): { kind: string; pattern: string } | undefined {
  if (!buf.startsWith('include') || buf.length <= 7) return undefined;
  const c7 = buf[7]!;
  if (isBlank(c7)) return { kind: 'include', pattern: buf.slice(8).replace(/^[ \t]+/, '') };
  if ('rmwba'.includes(c7) && isBlank(buf[8])) return { kind: 'include' + c7, pattern: buf.slice(9).replace(/^[ \t]+/, '') };
  return undefined;
}

/** A small deterministic PRNG for ${_RANDOM} so tests can fix the seed. */
function makeRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FileFrame {
  path: string;
  lines: string[];
  index: number;
  kind: string;
}

export class Preprocessor {
  private readonly diags: Diagnostics;
  private readonly opts: PreprocessOptions;
  private readonly configId: string;
  private readonly defs = new Map<string, Definition>();
  private readonly seqs: Seq[] = [];
  private readonly stack: FileFrame[] = [];
  private readonly readFile: (p: string) => string;
  private readonly files: string[] = [];
  private readonly random: () => number;
  /** Lines still to emit from a multi-line definition expansion, with the position they came from. */
  private pending: SourceLine[] = [];
  private readonly out: SourceLine[] = [];
  private readonly maxLines: number;

  constructor(diags: Diagnostics, opts: PreprocessOptions = {}) {
    this.diags = diags;
    this.opts = opts;
    this.configId = opts.configId ?? defaultConfigId();
    this.readFile = opts.readFile ?? ((p) => readFileSync(p, 'latin1'));
    this.random = makeRandom(opts.randomSeed ?? Date.now() & 0xffffffff);
    this.maxLines = opts.maxLines ?? 5_000_000;
    this.addBuiltins();
  }

  private addBuiltins(): void {
    const env = this.opts.env ?? process.env;
    const builtin = (name: string, maxParams: number, fn: (p: string | undefined) => string): void => {
      this.defs.set(name, { name, value: [''], multiline: false, fn, maxParams });
    };
    builtin('_PWD', 0, () => (this.stack.length ? dirname(this.stack[this.stack.length - 1]!.path) : process.cwd()));
    builtin('_INSTANCE', 0, () => this.configId);
    builtin('_RANDOM', 2, (p) => {
      let min = 0;
      let max = 32767;
      if (p) {
        const parts = p.trim().split(/\s+/).map((x) => parseInt(x, 10));
        if (parts.length >= 1 && !Number.isNaN(parts[0])) min = parts[0]!;
        if (parts.length >= 2 && !Number.isNaN(parts[1])) max = parts[1]!;
      }
      if (max < min) [min, max] = [max, min];
      return String(Math.floor(this.random() * (max - min + 1)) + min);
    });
    builtin('_HASH', 0, () => '#');
    builtin('_BANG', 0, () => '!');
    // ${_ENV VAR} (keepalived 2.3+): the name is a word, not digits, so it is parsed separately.
    this.defs.set('_ENV', {
      name: '_ENV', value: [''], multiline: false, maxParams: 1,
      fn: (p) => (p ? env[p.trim()] ?? '' : ''),
    });
  }

  run(file: string): PreprocessResult {
    const path = resolve(file);
    if (!this.openFiles([path], 'include', undefined, true)) {
      return { lines: this.out, files: this.files };
    }
    this.loop();
    return { lines: this.out, files: this.files };
  }

  /** Preprocess text given directly (tests and the fuzzer). */
  runText(text: string, name = 'keepalived.conf'): PreprocessResult {
    this.files.push(name);
    this.stack.push({ path: resolve(name), lines: splitLines(text), index: 0, kind: 'include' });
    this.loop();
    return { lines: this.out, files: this.files };
  }

  private loop(): void {
    for (;;) {
      const l = this.nextLine();
      if (!l) break;
      if (this.out.length >= this.maxLines) {
        this.diags.error(`configuration expands to more than ${this.maxLines} lines - stopping`, l);
        break;
      }
      this.out.push(l);
    }
  }

  private currentPos(): Pos {
    const f = this.stack[this.stack.length - 1];
    return f ? { file: f.path, line: f.index } : { file: '-', line: 0 };
  }

  /** Open the files matched by an include pattern; returns false when nothing could be opened. */
  private openFiles(paths: string[], kind: string, from: Pos | undefined, top = false): boolean {
    const frames: FileFrame[] = [];
    for (const p of paths) {
      if (p.endsWith('/')) {
        this.diags.notice(`Configuration file '${p}' is a directory - skipping`, from);
        continue;
      }
      let st;
      try {
        st = statSync(p);
      } catch {
        if (top) {
          this.diags.fatal(`Unable to find configuration file ${p}`, from);
          return false;
        }
        continue;
      }
      if (!st.isFile() || (st.mode & 0o111) !== 0) {
        const msg = `Configuration file '${p}' is not a regular non-executable file - skipping`;
        if (top) this.diags.fatal(msg, from);
        else if (kind !== 'include') this.diags.error(msg, from);
        else this.diags.notice(msg, from);
        continue;
      }
      if (this.stack.some((f) => f.path === p)) {
        this.diags.error(`include loop: '${p}' is already being read (${this.stack.map((f) => f.path).join(' -> ')})`, from);
        continue;
      }
      if (this.stack.length + 1 > (this.opts.maxIncludeDepth ?? 64)) {
        this.diags.error(`includes nested more than ${this.opts.maxIncludeDepth ?? 64} deep at '${p}'`, from);
        continue;
      }
      let text: string;
      try {
        accessSync(p, fsc.R_OK);
        text = this.readFile(p);
      } catch (e) {
        const msg = `Configuration file '${p}' open problem (${(e as NodeJS.ErrnoException).code ?? String(e)}) - skipping`;
        if (top) this.diags.fatal(`Unable to read configuration file ${p}`, from);
        else if (kind === 'include') this.diags.notice(msg, from);
        else this.diags.error(msg, from);
        continue;
      }
      this.files.push(p);
      frames.push({ path: p, lines: splitLines(text), index: 0, kind });
    }
    // Push in reverse so the first match is read first.
    for (let i = frames.length - 1; i >= 0; i--) this.stack.push(frames[i]!);
    return frames.length > 0;
  }

  private include(kind: string, pattern: string, pos: Pos): void {
    const base = dirname(pos.file);
    const abs = isAbsolute(pattern) ? pattern : resolve(base, pattern);
    let matches: string[] = [];
    const hasWild = /[*?[]/.test(pattern);
    const hasBrace = /(^|[^\\])\{/.test(pattern);
    try {
      matches = globSync(abs, { mark: true, dot: false, posix: true }).sort();
    } catch (e) {
      this.diags.error(`Error reading config file(s): glob("${pattern}") failed (${String(e)}), skipping.`, pos);
      return;
    }
    if (matches.length === 0) {
      // keepalived reports a missing include but does not fail on it unless asked to check.
      const strict = (kind === 'includeb' || kind === 'includea') && hasBrace
        || ((kind === 'includem' || kind === 'includew' || kind === 'includea') && !hasWild && !hasBrace)
        || ((kind === 'includew' || kind === 'includea') && hasWild);
      const msg = hasWild || hasBrace ? `No config files matched '${pattern}'.` : `Config files missing '${pattern}'.`;
      if (strict) this.diags.fatal(msg, pos);
      else this.diags.notice(msg, pos);
      return;
    }
    this.openFiles(matches, kind, pos);
  }

  /** keepalived's read_line(): the next logical line, or undefined at the end. */
  private nextLine(): SourceLine | undefined {
    for (;;) {
      let cur: SourceLine | undefined;
      const lastSeq = this.seqs[this.seqs.length - 1];
      if (this.pending.length) {
        cur = this.pending.shift()!;
      } else if (lastSeq) {
        cur = this.expandSeq(lastSeq);
      } else {
        cur = this.readPhysical();
        if (!cur) return undefined;
      }
      const processed = this.process(cur);
      if (processed === undefined) continue;
      const inc = processed.text.startsWith('include') ? parseInclude(processed.text) : undefined;
      if (inc) {
        this.include(inc.kind, inc.pattern, processed);
        continue;
      }
      return processed;
    }
  }

  private expandSeq(seq: Seq): SourceLine {
    if (seq.variable !== undefined) {
      const v = seq.next!;
      this.setDef(seq.variable, seq.hex ? v.toString(16) : String(v));
      seq.next = v + seq.step!;
      if ((seq.step! > 0 && seq.next > seq.last!) || (seq.step! < 0 && seq.next < seq.last!)) this.seqs.pop();
    } else {
      const set = seq.valueSets![seq.setIndex!]!;
      seq.params!.forEach((p, i) => this.setDef(p, set[i] ?? ''));
      seq.setIndex = seq.setIndex! + 1;
      if (seq.setIndex >= seq.valueSets!.length) this.seqs.pop();
    }
    return { text: seq.text, file: seq.pos.file, line: seq.pos.line };
  }

  /** The next non-blank decommented physical line. */
  private readPhysical(): SourceLine | undefined {
    for (;;) {
      const f = this.stack[this.stack.length - 1];
      if (!f) return undefined;
      if (f.index >= f.lines.length) {
        this.stack.pop();
        continue;
      }
      let raw = f.lines[f.index++]!;
      if (raw.endsWith('\r')) raw = raw.replace(/\r+$/, '');
      if (!raw.length) continue;
      const pos = { file: f.path, line: f.index };
      const dc = decomment(raw);
      if (dc.unterminated) this.diags.error(`Unterminated quote '${dc.text}'`, pos);
      if (!dc.text.length) continue;
      return { text: dc.text, ...pos };
    }
  }

  /** Conditionals, definitions, ~SEQ/~LST and substitution for one logical line. */
  private process(l: SourceLine): SourceLine | undefined {
    let buf = l.text;
    const c0 = buf.charCodeAt(0);
    // Fast path: not a conditional, definition or ~SEQ line, and nothing to substitute.
    if (c0 !== 64 /* @ */ && c0 !== 36 /* $ */ && c0 !== 126 /* ~ */ && !buf.includes('$')) return l;
    let guard = 0;
    for (;;) {
      if (buf[0] === '@') {
        const neg = buf[1] === '^';
        const ofs = neg ? 2 : 1;
        const m = /[ \t]/.exec(buf.slice(ofs));
        if (!m) return undefined;
        const id = buf.slice(ofs, ofs + m.index);
        if ((id === this.configId) === neg) return undefined;
        buf = buf.slice(ofs + m.index).replace(/^[ \t]+/, '');
      }
      if (buf[0] === '$') {
        const def = this.checkDefinition(buf);
        if (def) {
          if (def.multiline) {
            // The rest of the definition continues on following physical lines.
            this.collectMultiline(def);
          }
          return undefined;
        }
      }
      if (buf.startsWith('~SEQ') || buf.startsWith('~LST')) {
        const ok = buf[1] === 'S' ? this.addSeq(buf, l) : this.addLst(buf, l);
        if (!ok) this.diags.error(`Invalid ${buf.slice(0, 4)} specification '${buf}'`, l);
        return undefined;
      }
      if (buf[0] === '~') break;
      if (buf.includes('$')) {
        const r = this.replaceParams(buf, l);
        if (!r.changed) break;
        buf = decomment(r.text).text;
        if (++guard > 1000) {
          this.diags.error('parameter substitution does not terminate (a definition refers to itself?)', l);
          return undefined;
        }
        if (buf[0] === '@' || buf.includes('$')) continue;
      }
      break;
    }
    if (!buf.length) return undefined;
    return { text: buf, file: l.file, line: l.line };
  }

  private collectMultiline(def: Definition): void {
    for (;;) {
      const f = this.stack[this.stack.length - 1];
      if (!f || f.index >= f.lines.length) return;
      const raw = f.lines[f.index++]!.replace(/[\r\n]+$/, '');
      if (!raw.length) {
        if (def.value.length === 0) def.multiline = false;
        return;
      }
      let text = decomment(raw).text;
      if (text.endsWith('\\')) {
        text = text.slice(0, -1).replace(/[ \t]+$/, '');
        if (text.length) def.value.push(text);
      } else {
        if (text.length) def.value.push(text);
        return;
      }
    }
  }

  private setDef(name: string, value: string): void {
    const d = this.defs.get(name);
    if (d) {
      d.value = [value];
      d.multiline = false;
      delete d.fn;
    } else {
      this.defs.set(name, { name, value: [value], multiline: false, maxParams: 0 });
    }
  }

  /** keepalived's check_definition(): `$NAME=VALUE` (blanks allowed before `=`). */
  private checkDefinition(buf: string): Definition | undefined {
    if (buf[0] !== '$') return undefined;
    if (!isAlpha(buf[1]) && buf[1] !== '_') return undefined;
    let p = 2;
    while (p < buf.length && buf[p] !== '=') {
      if (!isAlnum_(buf[p])) break;
      p++;
    }
    const name = buf.slice(1, p);
    while (isBlank(buf[p])) p++;
    if (buf[p] !== '=') return undefined;
    let value = buf.slice(p + 1).replace(/^[ \t]+/, '');
    let multiline = false;
    if (value.endsWith('\\')) {
      multiline = true;
      value = value.slice(0, -1).replace(/[ \t]+$/, '');
    }
    const def: Definition = { name, value: value.length || !multiline ? [value] : [], multiline, maxParams: 0 };
    this.defs.set(name, def);
    return def;
  }

  /** Find a definition at `s` (just after a `$`): `NAME` or `{NAME}` or `{NAME params}`. */
  private findDef(s: string, atLineEnd: (len: number) => boolean): { def: Definition; len: number; params?: string } | undefined {
    let braces = false;
    let i = 0;
    if (s[0] === '{') {
      braces = true;
      i = 1;
    }
    if (!isAlpha(s[i]) && s[i] !== '_') return undefined;
    let j = i + 1;
    while (j < s.length && isAlnum_(s[j])) j++;
    const name = s.slice(i, j);
    let params: string | undefined;
    let end = j;
    if (braces) {
      if (name === '_ENV' && isBlank(s[j])) {
        const close = s.indexOf('}', j);
        if (close < 0) return undefined;
        params = s.slice(j, close).trim();
        end = close + 1;
      } else {
        let k = j;
        while (k < s.length && (s[k] === ' ' || /[0-9]/.test(s[k]!))) k++;
        const raw = s.slice(j, k);
        if (raw.trim().length) {
          if (raw.endsWith(' ')) return undefined;
          params = raw.trim();
        }
        if (s[k] !== '}') return undefined;
        end = k + 1;
      }
    } else {
      const c = s[j];
      if (c !== undefined && c !== ' ' && c !== '\t' && c !== ',' && c !== ')') return undefined;
    }
    const def = this.defs.get(name);
    if (!def) return undefined;
    if (def.multiline && !atLineEnd(end)) return undefined;
    if (params !== undefined && def.maxParams === 0) return undefined;
    return params === undefined ? { def, len: end } : { def, len: end, params };
  }

  /** keepalived's replace_param(): substitute definitions, rescanning the replaced text. */
  private replaceParams(buf: string, l: SourceLine): { text: string; changed: boolean } {
    let changed = false;
    let pos = 0;
    let count = 0;
    for (;;) {
      const at = buf.indexOf('$', pos);
      if (at < 0 || at + 1 >= buf.length) break;
      const rest = buf.slice(at + 1);
      const found = this.findDef(rest, (len) => at + 1 + len === buf.length);
      if (!found) {
        pos = at + 1;
        continue;
      }
      changed = true;
      if (++count > 10000) {
        this.diags.error('parameter substitution does not terminate (a definition refers to itself?)', l);
        return { text: '', changed: true };
      }
      const { def } = found;
      let value: string;
      if (def.fn) value = def.fn(found.params);
      else if (def.multiline) {
        value = def.value[0] ?? '';
        // The remaining lines of a multi-line definition follow as lines of their own.
        const more = def.value.slice(1).map((t) => ({ text: t, file: l.file, line: l.line }));
        this.pending.unshift(...more);
      } else value = def.value[0] ?? '';
      buf = buf.slice(0, at) + value + buf.slice(at + 1 + found.len);
      if (buf.length > MAXBUF) {
        this.diags.error('Parameter substitution on line would exceed maximum line length', l);
        return { text: buf.slice(0, MAXBUF), changed: true };
      }
      pos = at;
      if (value.replace(/^[ \t]+/, '').startsWith('~')) break;
    }
    return { text: buf, changed };
  }

  /** `~SEQ(var, start, step, end) text` and `~SEQx(...)`. */
  private addSeq(buf: string, l: SourceLine): boolean {
    let p = 4;
    let hex = false;
    if (buf[p] === 'x') {
      hex = true;
      p++;
    }
    while (isBlank(buf[p])) p++;
    if (buf[p++] !== '(') return false;
    while (isBlank(buf[p])) p++;
    const vs = p;
    while (p < buf.length && !' \t,)'.includes(buf[p]!)) p++;
    const variable = buf.slice(vs, p);
    while (isBlank(buf[p])) p++;
    if (p >= buf.length || buf[p] === ')' || !variable.length) return false;
    p++;
    const close = buf.indexOf(')', p);
    if (close < 0) return false;
    let args = buf.slice(p, close);
    if (args.includes('$')) args = this.replaceParams(args, l).text;
    const nums = args.split(',').map((x) => x.trim());
    const parse = (x: string): number | undefined => {
      if (!/^[-+]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(x)) return undefined;
      const neg = x.startsWith('-');
      const body = x.replace(/^[-+]/, '');
      const v = /^0x/i.test(body) ? parseInt(body, 16) : body.length > 1 && body.startsWith('0') ? parseInt(body, 8) : parseInt(body, 10);
      return neg ? -v : v;
    };
    const vals = nums.map(parse);
    if (vals.some((v) => v === undefined) || vals.length < 1 || vals.length > 3) return false;
    let start: number;
    let step: number;
    let end: number;
    if (vals.length === 1) {
      end = vals[0]!;
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else if (vals.length === 2) {
      start = vals[0]!;
      end = vals[1]!;
      step = start <= end ? 1 : -1;
    } else {
      [start, step, end] = vals as [number, number, number];
      if (!step || (start < end && step < 0) || (start > end && step > 0)) return false;
    }
    if (hex && (start < 0 || end < 0)) return false;
    const text = buf.slice(close + 1).replace(/^[ \t]+/, '');
    if (Math.abs((end - start) / step) > this.maxLines) {
      this.diags.error(`~SEQ would produce more than ${this.maxLines} lines`, l);
      return true;
    }
    this.seqs.push({ text, pos: l, variable, next: start, step, last: end, hex });
    return true;
  }

  /** `~LST(var, v1, v2, ...)` and `~LST({a,b},{1,2},{3,4})`. */
  private addLst(buf: string, l: SourceLine): boolean {
    let p = 4;
    const skipWs = (): void => {
      while (isBlank(buf[p])) p++;
    };
    skipWs();
    if (buf[p++] !== '(') return false;
    skipWs();
    const params: string[] = [];
    let endChar = ',';
    if (buf[p] === '{') {
      endChar = '}';
      p++;
      skipWs();
    }
    for (;;) {
      const s = p;
      while (p < buf.length && !' \t,}'.includes(buf[p]!)) p++;
      params.push(buf.slice(s, p));
      skipWs();
      if (buf[p] === endChar) break;
      if (buf[p] !== ',') return false;
      p++;
      skipWs();
    }
    if (buf[p] === '}') {
      p++;
      skipWs();
    }
    if (buf[p++] !== ',') return false;
    skipWs();
    const sets: string[][] = [];
    for (;;) {
      let end = ',';
      if (buf[p] === '{') {
        end = '}';
        p++;
        skipWs();
      }
      const values: string[] = [];
      for (;;) {
        const s = p;
        while (p < buf.length && !' \t,})'.includes(buf[p]!)) p++;
        values.push(buf.slice(s, p));
        skipWs();
        if (buf[p] === end || (buf[p] === ')' && end === ',')) break;
        if (buf[p] !== ',') return false;
        p++;
        skipWs();
        if (values.length > params.length) {
          this.diags.error(`~LST specification has too many values '${buf}'`, l);
          return true;
        }
      }
      while (values.length < params.length) values.push('');
      sets.push(values);
      if (buf[p] === '}' && end === '}') {
        p++;
        skipWs();
      }
      if (buf[p] === ')') break;
      if (buf[p] !== ',') return false;
      p++;
      skipWs();
    }
    if (!params.length || !sets.length) return false;
    p++;
    skipWs();
    this.seqs.push({ text: buf.slice(p), pos: l, params, valueSets: sets, setIndex: 0 });
    return true;
  }
}

export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function preprocessFile(file: string, diags: Diagnostics, opts: PreprocessOptions = {}): PreprocessResult {
  return new Preprocessor(diags, opts).run(file);
}

export function preprocessText(text: string, diags: Diagnostics, opts: PreprocessOptions = {}, name?: string): PreprocessResult {
  return new Preprocessor(diags, opts).runText(text, name);
}
