// The keepalived.conf preprocessor: comments, includes, @conditionals, $definitions, ~SEQ/~LST,
// and the splitting of lines at braces. It follows keepalived 2.2.7's read_line() (lib/parser.c)
// step for step, because operators' configs rely on its exact quirks (where a comment starts,
// when $NAME is a definition, what a multi-line definition expands to, in which order included
// files are read). Every produced line carries the file and line it came from.
//
// keepalived's VRRP and checker processes do not read the files themselves: the parent writes a
// decommented copy of the configuration with the included files inlined, and they read that
// copy (init_data(), write_conf_copy/read_conf_copy). Reading the copy decomments every line a
// second time, and a file included by a line that is not literally `include ...` (one that
// starts with @ID, comes from $NAME or ~SEQ) is read twice: once by the child from the disk and
// once from the copy. keel reads the configuration the way those processes see it (option
// `configCopy`, on by default) and adds a hint wherever that differs from a single reading.
import { readFileSync, statSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { hostname } from 'node:os';
import { minimatch } from 'minimatch';
import { seededRandom } from '../util/random.js';
import { strtol, strtoul } from './cnum.js';
import { Diagnostics, type Pos } from './diagnostics.js';

export interface SourceLine {
  text: string;
  file: string;
  line: number;
  /** Column (1-based) in the physical line where `text` starts; approximate after substitution. */
  col?: number;
}

export interface PreprocessOptions {
  /** -i/--config-id; default: host name up to the first dot. */
  configId?: string;
  /** Seed for ${_RANDOM}; keepalived seeds from global_defs random_seed or the time. */
  randomSeed?: number;
  /** Environment for ${_ENV VAR}. */
  env?: NodeJS.ProcessEnv;
  /** Read a file (latin1 text). Globbing and the file checks still use the real file system. */
  readFile?: (path: string) => string;
  /** Guards against runaway input: maximum produced lines (default 5,000,000). */
  maxLines?: number;
  /** Maximum include depth (default 64). */
  maxIncludeDepth?: number;
  /** -e/--all-config: every include problem is an error (include_check with no arguments). */
  includeCheck?: boolean;
  /** Read the configuration as keepalived's VRRP/checker processes do, from the parent's copy (default true). */
  configCopy?: boolean;
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

/** keepalived's line buffer (MAXBUF): fgets() returns at most 1023 bytes, substitution stops below 1024. */
const MAXBUF = 1024;
/** add_seq()'s buffer for the ~SEQ numbers: 3 longs with separators and the terminating nul. */
const SEQ_BUF = 64;

/** include_check bits (lib/parser.c include_t). */
const INCLUDE_R = 1;
const INCLUDE_M = 2;
const INCLUDE_W = 4;
const INCLUDE_B = 8;
const INCLUDE_ALL = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;
const INCLUDE_TYPES: Record<string, number> = {
  '': 0,
  r: INCLUDE_R,
  m: INCLUDE_R | INCLUDE_M,
  w: INCLUDE_R | INCLUDE_M | INCLUDE_W,
  b: INCLUDE_R | INCLUDE_B,
  a: INCLUDE_ALL,
};

// ---------------------------------------------------------------------------------------------
// Character classes (C locale, as keepalived's isalpha()/isspace()).

const isBlankCode = (c: number): boolean => c === 32 || c === 9;
/** isspace(): space, \t, \n, \v, \f, \r. */
const isSpaceCode = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const isAlphaCode = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum_Code = (c: number): boolean => isAlphaCode(c) || isDigitCode(c) || c === 95;

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isBlankCode(s.charCodeAt(i))) i++;
  return i;
}

function trimEndBlanks(s: string): string {
  let b = s.length;
  while (b > 0 && isBlankCode(s.charCodeAt(b - 1))) b--;
  return b === s.length ? s : s.slice(0, b);
}

/** strcspn(): the index of the first character of `set` at or after i (or the end). */
function cspan(s: string, i: number, set: string): number {
  while (i < s.length && !set.includes(s[i]!)) i++;
  return i;
}

// ---------------------------------------------------------------------------------------------
// decomment()

export interface Decommented {
  /** The line without leading/trailing blanks and comment; a continuation backslash is kept. */
  text: string;
  /** The line ends with a continuation backslash (kept at the end of `text`). */
  cont: boolean;
  /** A double quote was left open. */
  unterminated: boolean;
  /** An escaped `\#` or `\!` was turned into the plain character. */
  unescaped: boolean;
  /** Number of leading blanks removed. */
  lead: number;
}

const SPECIAL = /[!#"\\]/;

/** The result of the last decommentInto() (one object, so the per-line path allocates nothing). */
const DC: Decommented = { text: '', cont: false, unterminated: false, unescaped: false, lead: 0 };

/**
 * keepalived's decomment(): drop leading blanks, cut the line at the first `#` or `!` outside
 * double quotes, turn `\#` and `\!` outside quotes into the plain character, drop trailing blanks.
 * A backslash that is the very last character of the line (even inside a comment) is a
 * continuation mark: it is removed with the blanks before it and put back at the end.
 */
export function decomment(input: string): Decommented {
  return { ...decommentInto(input) };
}

function decommentInto(input: string): Decommented {
  // Fast path: most lines have nothing to strip but blanks.
  if (!SPECIAL.test(input)) {
    let a = 0;
    let b = input.length;
    while (a < b && isBlankCode(input.charCodeAt(a))) a++;
    while (b > a && isBlankCode(input.charCodeAt(b - 1))) b--;
    DC.text = a === 0 && b === input.length ? input : input.slice(a, b);
    DC.cont = false;
    DC.unterminated = false;
    DC.unescaped = false;
    DC.lead = a;
    return DC;
  }
  const lead = skipBlanks(input, 0);
  let quote = false;
  let cont = false;
  let unescaped = false;
  let out = '';
  let cut = -1; // length of `out` where the comment starts
  let i = lead;
  let from = lead;
  const n = input.length;
  while (i < n) {
    const c = input.charCodeAt(i);
    if (c === 34 /* " */) {
      if (cut < 0) quote = !quote;
      i++;
    } else if (c === 92 /* \ */) {
      if (i + 1 < n) {
        const d = input.charCodeAt(i + 1);
        if (!quote && (d === 35 || d === 33)) {
          out += input.slice(from, i);
          from = i + 1;
          unescaped = unescaped || cut < 0;
        }
        i += 2;
      } else {
        cont = true;
        break;
      }
    } else if (!quote && cut < 0 && (c === 33 || c === 35)) {
      out += input.slice(from, i);
      from = i;
      cut = out.length;
      i++;
    } else i++;
  }
  out += input.slice(from, cont ? n - 1 : n);
  let text = trimEndBlanks(cut >= 0 ? out.slice(0, cut) : out);
  if (cont) text += '\\';
  DC.text = text;
  DC.cont = cont;
  DC.unterminated = quote;
  DC.unescaped = unescaped;
  DC.lead = lead;
  return DC;
}

/** keepalived's is_include(): `include`, `includer`, `includem`, `includew`, `includeb`, `includea`. */
export function parseInclude(buf: string): { kind: string; pattern: string } | undefined {
  if (buf.charCodeAt(0) !== 105 /* i */ || !buf.startsWith('include') || buf.length <= 7) return undefined;
  const c7 = buf.charCodeAt(7);
  let start: number;
  let kind: string;
  if (isSpaceCode(c7)) {
    kind = 'include';
    start = 8;
  } else if ('rmwba'.includes(buf[7]!) && isSpaceCode(buf.charCodeAt(8))) {
    kind = 'include' + buf[7]!;
    start = 9;
  } else return undefined;
  return { kind, pattern: buf.slice(skipBlanks(buf, start)) };
}

/**
 * Where read_line() splits a line: at the first `{` or `}` outside double quotes. A brace at the
 * start stands alone and the rest (after blanks) is the residue; otherwise the text before the
 * brace is the line and the residue starts with the brace. Returns undefined when there is no split.
 */
export function braceSplit(buf: string): { head: string; residue: string; residueAt: number } | undefined {
  const c0 = buf.charCodeAt(0);
  let p = 0;
  if (c0 !== 123 && c0 !== 125) {
    let i = 0;
    for (;;) {
      while (i < buf.length) {
        const c = buf.charCodeAt(i);
        if (c === 123 || c === 125 || c === 34) break;
        i++;
      }
      if (i >= buf.length) return undefined;
      if (buf.charCodeAt(i) !== 34) break;
      const close = buf.indexOf('"', i + 1);
      if (close < 0) return undefined;
      i = close + 1;
    }
    p = i;
  }
  const skip = p === 0 ? skipBlanks(buf, 1) : p;
  if (skip >= buf.length) return undefined;
  return { head: trimEndBlanks(buf.slice(0, skip)), residue: trimEndBlanks(buf.slice(skip)), residueAt: skip };
}

// ---------------------------------------------------------------------------------------------
// Numbers the way C reads them.

/** strtoul(s + i, &end, 10) as a BigInt, saturating at ULONG_MAX. */
function strtoul10(s: string, i: number): { value: bigint; end: number } {
  const r = strtoul(s.slice(i), 10);
  return r.end === 0 ? { value: 0n, end: i } : { value: r.value, end: i + r.end };
}

/** A deterministic stand-in for random(): 31-bit values from a seeded PRNG. */
function makeRandom(seed: number): () => number {
  const next = seededRandom(seed);
  return () => Math.floor(next() * 0x80000000);
}

// ---------------------------------------------------------------------------------------------
// glob(pattern, GLOB_MARK | GLOB_BRACE | GLOB_ALTDIRFUNC) with glibc's semantics, with keepalived's
// gl_opendir/gl_lstat callbacks that count missing directories and files. Written here rather
// than with the npm `glob` package because keepalived's include rules depend on two things no
// glob library exposes: brace alternatives are globbed in the order written (each sorted on its
// own, not all together), and the count of missing files and directories decides whether a
// checked include fails. Matching a single path component is minimatch's.

interface GlobState {
  cwd: string;
  out: string[];
  missingFiles: number;
  missingDirs: number;
  haveWildcards: boolean;
}

/** glibc's next_brace_sub(): the index of the `,` or `}` ending the alternative at i, or -1. */
function nextBraceSub(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      if (++i >= s.length) break;
      i++;
    } else {
      if ((c === '}' && depth-- === 0) || (c === ',' && depth === 0)) break;
      if (s[i++] === '{') depth++;
    }
  }
  return i < s.length ? i : -1;
}

/** 1: has wildcards; 2: has backslashes only; 0: literal (glibc __glob_pattern_type). */
function patternType(p: string): number {
  let ret = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '?' || c === '*') return 1;
    if (c === '\\') {
      if (i + 1 < p.length) i++;
      ret |= 2;
    } else if (c === '[') ret |= 4;
    else if (c === ']' && ret & 4) return 1;
  }
  return ret & 2;
}

const unescapeGlob = (p: string): string => p.replace(/\\(.)/g, '$1');

const fnmatchCache = new Map<string, RegExp>();

/** fnmatch(pattern, name, FNM_PERIOD) for one path component, through minimatch. */
function fnmatchRegex(pat: string): RegExp {
  let re = fnmatchCache.get(pat);
  if (!re) {
    // Braces were expanded already; extglobs and comments are not glob(3) syntax.
    re = minimatch.makeRe(pat, { dot: false, nobrace: true, noext: true, nocomment: true, nonegate: true }) || /(?!)/;
    fnmatchCache.set(pat, re);
  }
  return re;
}

/** Join a directory (as glob reports it) and a name. */
const joinGlob = (dir: string, name: string): string => (dir === '' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`);
const absGlob = (st: GlobState, p: string): string => (isAbsolute(p) ? p : resolve(st.cwd, p));

function isDir(st: GlobState, p: string): boolean {
  try {
    return statSync(absGlob(st, p)).isDirectory();
  } catch {
    return false;
  }
}

/** Matches of one component pattern in a directory (glob_in_dir). */
function globInDir(st: GlobState, pat: string, dir: string, onlyDir: boolean): string[] {
  const type = patternType(pat);
  if (type !== 1) {
    const name = joinGlob(dir, unescapeGlob(pat));
    try {
      lstatSync(absGlob(st, name));
    } catch {
      st.missingFiles++;
      return [];
    }
    return onlyDir && !isDir(st, name) ? [] : [name];
  }
  st.haveWildcards = true;
  let names: string[];
  try {
    names = readdirSync(absGlob(st, dir === '' ? '.' : dir));
  } catch {
    st.missingDirs++;
    return [];
  }
  if (pat.startsWith('.') || pat.startsWith('\\.')) names.push('.', '..');
  const re = fnmatchRegex(pat);
  const out: string[] = [];
  for (const n of names) {
    // FNM_PERIOD: a leading dot is only matched by a literal dot.
    if (n.startsWith('.') && !(pat.startsWith('.') || pat.startsWith('\\.'))) continue;
    if (!re.test(n)) continue;
    const full = joinGlob(dir, n);
    if (onlyDir && !isDir(st, full)) continue;
    out.push(full);
  }
  return out;
}

/** glob() without braces: the directory part may itself have wildcards. */
function globPlain(st: GlobState, pattern: string, onlyDir: boolean): string[] {
  const slash = pattern.lastIndexOf('/');
  if (slash < 0) return globInDir(st, pattern, '', onlyDir).sort(byBytes);
  const dirPart = slash === 0 ? '/' : pattern.slice(0, slash);
  const file = pattern.slice(slash + 1);
  let dirs: string[];
  if (patternType(dirPart) === 1) dirs = globPlain(st, dirPart, true);
  else dirs = [unescapeGlob(dirPart)];
  if (file === '') return dirs.filter((d) => isDir(st, d)).map((d) => (d.endsWith('/') ? d : d + '/'));
  const out: string[] = [];
  for (const d of dirs) for (const m of globInDir(st, file, d, onlyDir)) out.push(m);
  return out.sort(byBytes);
}

const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** glob() with GLOB_BRACE: each alternative is globbed in turn and its (sorted) results appended. */
function globBrace(st: GlobState, pattern: string): void {
  let begin = -1;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) i++;
    else if (pattern[i] === '{') {
      begin = i;
      break;
    }
  }
  if (begin >= 0) {
    let next = nextBraceSub(pattern, begin + 1);
    let rest = next;
    while (rest >= 0 && pattern[rest] !== '}') rest = nextBraceSub(pattern, rest + 1);
    if (next >= 0 && rest >= 0) {
      const tail = pattern.slice(rest + 1);
      let p = begin + 1;
      for (;;) {
        globBrace(st, pattern.slice(0, begin) + pattern.slice(p, next) + tail);
        if (pattern[next] === '}') break;
        p = next + 1;
        next = nextBraceSub(pattern, p);
      }
      return;
    }
  }
  // GLOB_MARK: directories get a trailing slash.
  for (const m of globPlain(st, pattern, false)) st.out.push(!m.endsWith('/') && isDir(st, m) ? m + '/' : m);
}

/** keepalived's have_brace(): an unescaped `{`. */
function haveBrace(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++;
    else if (p[i] === '{') return true;
  }
  return false;
}

export function keepalivedGlob(pattern: string, cwd: string): GlobState {
  const st: GlobState = { cwd, out: [], missingFiles: 0, missingDirs: 0, haveWildcards: false };
  if (pattern.length) globBrace(st, pattern);
  return st;
}

const STRERROR: Record<string, string> = {
  EACCES: 'Permission denied', ENOENT: 'No such file or directory', EISDIR: 'Is a directory', ELOOP: 'Too many levels of symbolic links',
  EMFILE: 'Too many open files', ENFILE: 'Too many open files in system', ENOTDIR: 'Not a directory', EIO: 'Input/output error',
};

// ---------------------------------------------------------------------------------------------
// The preprocessor.

/** A parameter definition ($NAME=VALUE). Multi-line values are kept as separate lines. */
interface Definition {
  value: string[];
  multiline: boolean;
  /** Built-in definitions compute their value; params is the text between the name and `}`. */
  fn?: (params: string | undefined, at: Pos) => string | undefined;
  maxParams: number;
  /** Copy reading: literal include lines that ended this multi-line definition (read at each use). */
  includes?: { text: string; pos: Pos }[];
}

/** A pending ~SEQ or ~LST expansion: the rest of the line repeated with variables set. */
interface Seq {
  text: string;
  pos: SourceLine;
  variable?: string;
  next?: number;
  step?: number;
  last?: number;
  hex?: boolean;
  params?: string[];
  valueSets?: string[][];
  setIndex?: number;
}

/** The remaining lines of a multi-line definition being expanded (keepalived's next_ptr). */
interface MultilinePtr {
  lines: string[];
  i: number;
  pos: SourceLine;
}

/**
 * plain: read once (configCopy off); copy: a file as the VRRP/checker processes read it from
 * the parent's copy; disk: a file those processes read again from the disk themselves, where a
 * line starting with `#` or `!` is taken as a file marker of the copy.
 */
type FrameKind = 'plain' | 'copy' | 'disk';

interface Frame {
  path: string;
  lines: string[];
  /** The last line had no newline (matters for the 1023-byte read limit). */
  lastUnterminated: boolean;
  /** The text has NUL bytes (a C string ends there). */
  hasNul: boolean;
  index: number;
  chunks: string[];
  kind: FrameKind;
  started: boolean;
  /** disk frames: marker lines (`#...`) pushed onto keepalived's include stack. */
  fakes: number;
  /** include_check when the include was opened; restored when the file ends. */
  savedCheck: number;
}

/** A logical line on its way through read_line(). */
interface Cur extends SourceLine {
  /** A physical line of the copy that is literally an include (the copy has it inlined). */
  literal?: boolean;
}

export class Preprocessor {
  private readonly diags: Diagnostics;
  private readonly opts: PreprocessOptions;
  private readonly configId: string;
  private readonly copyMode: boolean;
  private readonly defs = new Map<string, Definition>();
  private readonly seqs: Seq[] = [];
  private stack: Frame[] = [];
  private readonly readFile: (p: string) => string;
  private readonly files: string[] = [];
  private readonly fileSet = new Set<string>();
  private readonly random: () => number;
  private readonly out: SourceLine[] = [];
  private readonly maxLines: number;
  private residue: Cur | undefined;
  private mlNext: MultilinePtr | undefined;
  private readonly mlStack: { ptr: MultilinePtr | undefined; seqDepth: number }[] = [];
  private mlSeqDepth = 0;
  /** The multi-line definition being collected (keepalived's multiline_param_def). */
  private mlDef: Definition | undefined;
  private includeCheck: number;
  /** Block tracking for include_check inside global_defs. */
  private depth = 0;
  private lastTopWord = '';
  private inGlobalDefs = false;
  private readonly hinted = new Set<string>();

  constructor(diags: Diagnostics, opts: PreprocessOptions = {}) {
    this.diags = diags;
    this.opts = opts;
    this.configId = opts.configId ?? defaultConfigId();
    this.copyMode = opts.configCopy ?? true;
    this.readFile = opts.readFile ?? ((p) => readFileSync(p, 'latin1'));
    this.random = makeRandom(opts.randomSeed ?? Date.now() & 0xffffffff);
    this.maxLines = opts.maxLines ?? 5_000_000;
    this.includeCheck = opts.includeCheck ? INCLUDE_ALL : 0;
    this.addBuiltins();
  }

  private addBuiltins(): void {
    const env = this.opts.env ?? process.env;
    const builtin = (name: string, maxParams: number, fn: Definition['fn'], value = ''): void => {
      const d: Definition = { value: [value], multiline: false, maxParams };
      if (fn) d.fn = fn;
      this.defs.set(name, d);
    };
    builtin('_PWD', 0, () => this.cwd());
    builtin('_INSTANCE', 0, () => this.configId);
    builtin('_RANDOM', 2, (p, at) => this.randomValue(p, at));
    builtin('_HASH', 0, undefined, '#');
    builtin('_BANG', 0, undefined, '!');
    // ${_ENV VAR} comes from keepalived 2.3; 2.2.7 leaves the text as it is.
    builtin('_ENV', 1, (p, at) => {
      this.hintOnce(`env:${at.file}:${at.line}`, 'keepalived 2.2.7 does not know ${_ENV VAR} (added in 2.3) and leaves the text as it is', at);
      return p === undefined ? undefined : env[p];
    });
  }

  /** keepalived's cwd: the directory of the file opened last. */
  private cwd(): string {
    const f = this.stack[this.stack.length - 1];
    return f ? dirname(f.path) : process.cwd();
  }

  /** get_random() of 2.2.7, including its unsigned arithmetic and its field width. */
  private randomValue(params: string | undefined, at: Pos): string | undefined {
    let min = 0n;
    let max = 32767n;
    if (params !== undefined) {
      const a = strtoul10(params, 0);
      min = a.value;
      if (a.end < params.length - 1) {
        const b = strtoul10(params, a.end);
        max = b.value;
        if (b.end !== params.length) this.diags.hint(`Too many parameters or extra text for \${_RANDOM ${params}}`, at);
      }
    }
    const ULONG = (1n << 64n) - 1n;
    const modulus = (max - min + 1n) & ULONG;
    if (modulus === 0n) {
      this.diags.error(`\${_RANDOM ${params ?? ''}}: keepalived 2.2.7 divides by zero here and crashes`, at);
      return '0';
    }
    const val = (BigInt(this.random()) % modulus + min) & ULONG;
    const signed = val > (1n << 63n) - 1n ? val - (1n << 64n) : val;
    const width = max.toString().length;
    return signed.toString().slice(0, width);
  }

  run(file: string): PreprocessResult {
    this.openTop(file);
    this.loop();
    return { lines: this.out, files: this.files };
  }

  /** Preprocess text given directly (tests and the fuzzer); includes are relative to `name`. */
  runText(text: string, name = 'keepalived.conf'): PreprocessResult {
    const path = resolve(name);
    this.noteFile(path);
    this.stack.push(this.frame(path, text, this.copyMode ? 'copy' : 'plain'));
    this.loop();
    return { lines: this.out, files: this.files };
  }

  private frame(path: string, text: string, kind: FrameKind): Frame {
    const lines = text.split('\n');
    let lastUnterminated = true;
    if (lines.length && lines[lines.length - 1] === '') {
      lines.pop();
      lastUnterminated = false;
    }
    return { path, lines, lastUnterminated, hasNul: text.includes('\0'), index: 0, chunks: [], kind, started: false, fakes: 0, savedCheck: this.includeCheck };
  }

  private noteFile(p: string): void {
    if (this.fileSet.has(p)) return;
    this.fileSet.add(p);
    this.files.push(p);
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

  private hintOnce(key: string, msg: string, pos: Pos): void {
    if (this.hinted.has(key)) return;
    this.hinted.add(key);
    this.diags.hint(msg, pos);
  }

  // ---- files ----------------------------------------------------------------------------------

  /** The configuration file itself: a glob too (keepalived's check_conf_file() and init_data()). */
  private openTop(file: string): void {
    const cwd = process.cwd();
    const st = keepalivedGlob(file, cwd);
    const ok: string[] = [];
    for (const m of st.out) {
      const abs = absGlob(st, m);
      if (m.endsWith('/')) {
        this.diags.fatal(`Configuration file '${m}' is a directory - skipping`, { file: abs, line: 0 });
        continue;
      }
      if (!this.regularFile(abs)) {
        this.diags.fatal(`Configuration file '${m}' is not a regular non-executable file - skipping`, { file: abs, line: 0 });
        continue;
      }
      ok.push(abs);
    }
    if (!st.out.length) {
      this.diags.fatal(`Unable to find configuration file ${file}`, { file: resolve(file), line: 0 });
      return;
    }
    if (ok.length > 1) {
      this.diags.warning(`WARNING, multiple configuration file matches of ${file}, starting with ${st.out[0]!}`, { file: ok[0]!, line: 0 });
    }
    const frames: Frame[] = [];
    for (const abs of ok) {
      let text: string;
      try {
        text = this.readFile(abs);
      } catch {
        this.diags.fatal(`Unable to read configuration file ${abs}`, { file: abs, line: 0 });
        continue;
      }
      this.noteFile(abs);
      frames.push(this.frame(abs, text, this.copyMode ? 'copy' : 'plain'));
    }
    for (let i = frames.length - 1; i >= 0; i--) this.stack.push(frames[i]!);
  }

  private regularFile(abs: string): boolean {
    try {
      const s = statSync(abs);
      return s.isFile() && (s.mode & 0o111) === 0;
    } catch {
      return false;
    }
  }

  /** file_config_error(): an error when the include type or include_check asks for it, else a notice. */
  private fileError(type: number, check: number, msg: string, pos: Pos): void {
    if (check & type) this.diags.noConfig(msg, pos);
    else this.diags.notice(msg, pos);
  }

  /**
   * An include line: glob the pattern relative to the current directory and stack the files so
   * the first match is read first. `how` tells where the line came from, for the copy reading.
   */
  private include(kind: string, pattern: string, pos: Cur, from: FrameKind, literal: boolean): void {
    const type = INCLUDE_TYPES[kind.slice(7)] ?? 0;
    const check = this.includeCheck | type;
    const st = keepalivedGlob(pattern, this.cwd());
    const quiet = from === 'disk';
    if (!st.out.length) {
      if (quiet) return;
      if (st.missingFiles || st.missingDirs) this.fileError(haveBrace(pattern) ? INCLUDE_B : INCLUDE_M, check, `Config files missing '${pattern}'.`, pos);
      else if (st.haveWildcards && check & INCLUDE_W) this.fileError(INCLUDE_W, check, `No config files matched '${pattern}'.`, pos);
      if (!isAbsolute(pattern) && st.cwd !== dirname(pos.file)) {
        this.diags.hint(`'${pattern}' was looked for in ${st.cwd}: keepalived resolves a relative include from the directory of the file it opened last`, pos);
      }
      return;
    }
    if (st.missingFiles || st.missingDirs) {
      if (!quiet) this.fileError(INCLUDE_B, check, `Some config files missing: "${pattern}".`, pos);
      if (check & INCLUDE_B) return;
    }
    const files: { abs: string; text: string }[] = [];
    for (const m of st.out) {
      const abs = absGlob(st, m);
      if (m.endsWith('/')) {
        if (!quiet) this.fileError(INCLUDE_R, check, `Configuration file '${m}' is a directory - skipping`, pos);
        continue;
      }
      if (!this.regularFile(abs)) {
        if (!quiet) this.fileError(INCLUDE_R, check, `Configuration file '${m}' is not a regular non-executable file - skipping`, pos);
        continue;
      }
      // keepalived has no loop check: it nests until it runs out of file descriptors.
      if (this.stack.some((f) => f.started && f.path === abs)) {
        if (!quiet) this.diags.error(`include loop: '${m}' is already being read`, pos);
        continue;
      }
      if (this.stack.filter((f) => f.started).length >= (this.opts.maxIncludeDepth ?? 64)) {
        if (!quiet) this.diags.error(`includes nested more than ${this.opts.maxIncludeDepth ?? 64} deep at '${m}'`, pos);
        continue;
      }
      let text: string;
      try {
        text = this.readFile(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (!quiet) this.fileError(INCLUDE_R, check, `Configuration file '${m}' open problem (${STRERROR[code] ?? code}) - skipping`, pos);
        continue;
      }
      this.noteFile(abs);
      files.push({ abs, text });
    }
    if (!files.length) return;
    const make = (k: FrameKind): Frame[] => files.map((f) => this.frame(f.abs, f.text, k)).reverse();
    if (from === 'copy' && !literal) {
      // The child reads the files from the disk now, then again where the copy has them inlined.
      this.hintOnce(`twice:${pos.file}:${pos.line}`, 'keepalived 2.2.7 reads files included by a line that is not a plain include line twice in its VRRP and checker processes (its configuration copy has them inlined too): their contents are duplicated', pos);
      this.insertCopyFrames(make('copy'));
      for (const f of make('disk')) this.stack.push(f);
    } else {
      for (const f of make(from === 'plain' ? 'plain' : from)) this.stack.push(f);
    }
  }

  /** Copy frames go above the file being read, below the disk frames stacked since its last line. */
  private insertCopyFrames(frames: Frame[]): void {
    let i = this.stack.length;
    while (i > 0 && !this.stack[i - 1]!.started) i--;
    while (i < this.stack.length && this.stack[i]!.kind === 'copy') i++;
    this.stack.splice(i, 0, ...frames);
  }

  private popFrame(): void {
    const f = this.stack.pop()!;
    this.includeCheck = f.savedCheck;
  }

  // ---- read_line() ---------------------------------------------------------------------------

  /** keepalived's read_line(): the next logical line, or undefined at the end. */
  private nextLine(): SourceLine | undefined {
    for (;;) {
      let cur: Cur | undefined;
      if (this.residue) {
        cur = this.residue;
        this.residue = undefined;
      } else if (this.seqs.length > this.mlSeqDepth) {
        cur = this.expandSeq(this.seqs[this.seqs.length - 1]!);
      } else if (this.mlNext) {
        cur = this.nextMultiline(this.mlNext);
      } else {
        cur = this.readPhysical();
        if (!cur) return undefined;
      }
      if (this.mlDef) {
        this.addToDefinition(this.mlDef, cur.text);
        continue;
      }
      if (!cur.text.length) continue;
      const text = this.process(cur);
      if (!text.length) continue;
      if (text.charCodeAt(0) === 105 /* i */) {
        const inc = parseInclude(text);
        if (inc) {
          this.include(inc.kind, inc.pattern, cur, this.sourceKind(), cur.literal === true);
          continue;
        }
      }
      // The current line object becomes the output line (one allocation per line).
      const line: SourceLine = cur;
      line.text = text;
      if (text.includes('{') || text.includes('}')) {
        const sp = braceSplit(text);
        if (sp) {
          line.text = sp.head;
          this.residue = { text: sp.residue, file: cur.file, line: cur.line, col: (cur.col ?? 1) + sp.residueAt };
        }
      }
      if (this.depth === 0 || this.inGlobalDefs || line.text.length === 1) this.trackBlocks(line.text);
      return line;
    }
  }

  /** How the file the current line came from is read: the innermost file already being read. */
  private sourceKind(): FrameKind {
    for (let i = this.stack.length - 1; i >= 0; i--) if (this.stack[i]!.started) return this.stack[i]!.kind;
    return this.copyMode ? 'copy' : 'plain';
  }

  /** Apply `include_check` inside global_defs at once: it governs the includes that follow. */
  private trackBlocks(text: string): void {
    if (text === '{') {
      if (this.depth++ === 0 && this.lastTopWord === 'global_defs') this.inGlobalDefs = true;
    } else if (text === '}') {
      if (this.depth > 0 && --this.depth === 0) this.inGlobalDefs = false;
    } else if (this.depth === 0) {
      const m = /^\S+/.exec(text);
      this.lastTopWord = m ? m[0] : '';
    } else if (this.inGlobalDefs && this.depth === 1 && text.startsWith('include_check')) {
      const words = text.split(/[ \t]+/);
      if (words[0] === 'include_check') this.setIncludeCheck(words.slice(1).map((w) => w.replace(/^"(.*)"$/, '$1')));
    }
  }

  /** include_check_set(): errors about its words are the keyword's business, not reported here. */
  private setIncludeCheck(words: string[]): void {
    if (!words.length) {
      this.includeCheck = INCLUDE_ALL;
      return;
    }
    const names: Record<string, number> = { read: INCLUDE_R, match: INCLUDE_M, wildcard_match: INCLUDE_W, brace_match: INCLUDE_B };
    words.forEach((w, i) => {
      const op = w[0] === '-' ? -1 : w[0] === '+' ? 1 : 0;
      const name = op ? w.slice(1) : w;
      if (!op) {
        if (i !== 0) return;
        this.includeCheck = 0;
      }
      const flag = names[name] ?? 0;
      if (!flag) return;
      if (!op) this.includeCheck = INCLUDE_R | flag;
      else if (op > 0) this.includeCheck |= flag;
      else this.includeCheck &= ~flag;
    });
  }

  private expandSeq(seq: Seq): Cur {
    if (seq.variable !== undefined) {
      const v = seq.next!;
      this.setDefinition(seq.variable, seq.hex ? v.toString(16) : String(v));
      seq.next = v + seq.step!;
      if ((seq.step! > 0 && seq.next > seq.last!) || (seq.step! < 0 && seq.next < seq.last!)) this.seqs.pop();
    } else {
      const set = seq.valueSets![seq.setIndex!]!;
      seq.params!.forEach((p, i) => this.setDefinition(p, set[i] ?? ''));
      seq.setIndex = seq.setIndex! + 1;
      if (seq.setIndex >= seq.valueSets!.length) this.seqs.pop();
    }
    return { text: seq.text, file: seq.pos.file, line: seq.pos.line, col: seq.pos.col ?? 1 };
  }

  private nextMultiline(ptr: MultilinePtr): Cur {
    const text = ptr.lines[ptr.i++] ?? '';
    if (ptr.i >= ptr.lines.length) {
      const e = this.mlStack.pop();
      if (e) {
        this.mlNext = e.ptr;
        this.mlSeqDepth = e.seqDepth;
      } else {
        this.mlNext = undefined;
        this.mlSeqDepth = 0;
      }
    }
    return { text, file: ptr.pos.file, line: ptr.pos.line, col: ptr.pos.col ?? 1 };
  }

  /** A line of a multi-line definition; a line without a trailing backslash is its last. */
  private addToDefinition(def: Definition, text: string): void {
    let t = text;
    if (t.endsWith('\\')) t = trimEndBlanks(t.slice(0, -1));
    else this.endDefinition();
    if (t.length) def.value.push(t);
  }

  private endDefinition(): void {
    const def = this.mlDef;
    this.mlDef = undefined;
    if (def && !def.value.length) def.multiline = false;
  }

  /** The next non-blank decommented physical line. */
  private readPhysical(): Cur | undefined {
    for (;;) {
      const f = this.stack[this.stack.length - 1];
      if (!f) return undefined;
      let raw: string;
      let lineNo: number;
      if (f.chunks.length) {
        raw = f.chunks.shift()!;
        lineNo = f.index;
      } else {
        if (f.index >= f.lines.length) {
          if (f.kind === 'disk' && f.fakes > 0) {
            this.diags.error('keepalived 2.2.7 is likely to crash at the end of this file: it reads it a second time from the disk and takes lines starting with \'#\' for markers of its configuration copy', { file: f.path, line: f.lines.length });
          }
          this.popFrame();
          continue;
        }
        raw = f.lines[f.index++]!;
        lineNo = f.index;
        f.started = true;
        // fgets() reads at most 1023 bytes, so a longer line arrives in pieces (the newline counts).
        const bytes = raw.length + (f.index === f.lines.length && f.lastUnterminated ? 0 : 1);
        if (bytes > MAXBUF - 1) raw = this.chunkLine(f, raw);
      }
      if (f.hasNul && raw.includes('\0')) raw = raw.slice(0, raw.indexOf('\0'));
      if (f.kind === 'disk') {
        // The child takes `#...` for a copy marker that opens a file and `!...` for one that ends it.
        if (raw.charCodeAt(0) === 35) {
          if (raw[1] !== '!') f.fakes++;
          continue;
        }
        if (raw.charCodeAt(0) === 33) {
          if (f.fakes > 0) f.fakes--;
          else f.index = f.lines.length;
          continue;
        }
      }
      if (raw.endsWith('\r')) raw = raw.replace(/[\r\n]+$/, '');
      if (!raw.length) {
        if (this.mlDef) this.endDefinition();
        continue;
      }
      const d1 = decommentInto(raw);
      if (d1.unterminated) this.diags.error(`Unterminated quote '${raw.slice(d1.lead).replace(/\\$/, '')}'`, { file: f.path, line: lineNo });
      const t = d1.text;
      const col = d1.lead + 1;
      if (f.kind !== 'copy') {
        if (!t.length) continue;
        return { text: t, file: f.path, line: lineNo, col };
      }
      // The copy has this line decommented once; the child decomments it again.
      if (!t.length) {
        if (this.mlDef) this.endDefinition();
        continue;
      }
      const c0 = t.charCodeAt(0);
      if (c0 === 35 || c0 === 33 || (c0 === 105 && parseInclude(t)) || d1.unescaped) {
        const r = this.copyLine(t, d1.unescaped, { file: f.path, line: lineNo });
        if (r === undefined) continue;
        if (r.literal) return { text: r.text, file: f.path, line: lineNo, col, literal: true };
        return { text: r.text, file: f.path, line: lineNo, col };
      }
      return { text: t, file: f.path, line: lineNo, col };
    }
  }

  /** The less common lines of the copy: markers, literal includes, escapes. */
  private copyLine(t: string, unescaped: boolean, pos: Pos): { text: string; literal: boolean } | undefined {
    const c0 = t.charCodeAt(0);
    if (c0 === 35) {
      this.hintOnce(`mark:${pos.file}:${pos.line}`, 'keepalived 2.2.7 drops this line in its VRRP and checker processes: starting with \\#, it reads as a file marker in its configuration copy', pos);
      return undefined;
    }
    if (c0 === 33) {
      this.diags.error('keepalived 2.2.7 crashes on this line: starting with \\!, it reads as an end-of-file marker in its configuration copy', pos);
      return undefined;
    }
    if (c0 === 105 && parseInclude(t)) {
      // The copy has the include line blank (the included text follows it).
      if (this.mlDef) {
        const text = t.endsWith('\\') ? trimEndBlanks(t.slice(0, -1)) : t;
        (this.mlDef.includes ??= []).push({ text, pos });
        this.endDefinition();
        return undefined;
      }
      return { text: t, literal: true };
    }
    if (!unescaped) return { text: t, literal: false };
    const d2 = decommentInto(t).text;
    if (d2 !== t) {
      this.hintOnce(`esc:${pos.file}:${pos.line}`, 'keepalived 2.2.7 reads this line twice (once more from its configuration copy), so an escaped \\# or \\! outside quotes starts a comment in its VRRP and checker processes; quote the word instead', pos);
    }
    return d2.length ? { text: d2, literal: false } : undefined;
  }

  /** Split an over-long physical line into the pieces fgets() returns; the first is returned. */
  private chunkLine(f: Frame, raw: string): string {
    const data = f.index === f.lines.length && f.lastUnterminated ? raw : raw + '\n';
    this.hintOnce(`long:${f.path}:${f.index}`, `line longer than ${MAXBUF - 1} characters: keepalived 2.2.7 reads it as several lines`, { file: f.path, line: f.index });
    for (let i = 0; i < data.length; i += MAXBUF - 1) f.chunks.push(data.slice(i, i + MAXBUF - 1).replace(/[\r\n]+$/, ''));
    return f.chunks.shift()!;
  }

  /** Conditionals, definitions, ~SEQ/~LST and substitution for one logical line ('' drops it). */
  private process(l: Cur): string {
    let buf = l.text;
    const c0 = buf.charCodeAt(0);
    // Fast path: not a conditional, definition or ~SEQ line, and nothing to substitute.
    if (c0 !== 64 /* @ */ && c0 !== 36 /* $ */ && c0 !== 126 /* ~ */ && !buf.includes('$')) return buf;
    for (let rounds = 0; ; rounds++) {
      if (rounds > 10000) {
        this.diags.error('parameter substitution does not terminate here (keepalived 2.2.7 would loop)', l);
        return '';
      }
      let recheck = false;
      if (buf.charCodeAt(0) === 64) {
        const ofs = buf[1] === '^' ? 2 : 1;
        let end = ofs;
        while (end < buf.length && !isBlankCode(buf.charCodeAt(end))) end++;
        if (end >= buf.length) return '';
        if ((buf.slice(ofs, end) === this.configId) !== (ofs === 1)) return '';
        buf = buf.slice(skipBlanks(buf, end));
      }
      if (buf.charCodeAt(0) === 36 && this.checkDefinition(buf)) return '';
      if (buf.startsWith('~SEQ') || buf.startsWith('~LST')) {
        const seq = buf[1] === 'S';
        if (!(seq ? this.addSeq(buf, l) : this.addLst(buf, l))) this.diags.error(`Invalid ${seq ? '~SEQ' : '~LST'} specification '${buf}'`, l);
        return '';
      }
      if (buf.charCodeAt(0) === 126) break;
      if (buf.includes('$')) {
        const r = this.replaceParams(buf, MAXBUF, l);
        buf = r.text;
        if (!r.changed) break;
        const d = decommentInto(buf);
        if (d.unterminated) this.diags.error(`Unterminated quote '${buf}'`, l);
        buf = d.text;
        if (buf.charCodeAt(0) === 64 || buf.includes('$')) recheck = true;
      }
      if (!recheck) break;
    }
    return buf;
  }

  private setDefinition(name: string, value: string): void {
    const d = this.defs.get(name);
    if (d) {
      d.value = [value];
      d.multiline = false;
      delete d.fn;
    } else {
      this.defs.set(name, { value: [value], multiline: false, maxParams: 0 });
    }
  }

  /** keepalived's check_definition(): `$NAME=VALUE`; a trailing backslash starts a multi-line one. */
  private checkDefinition(buf: string): boolean {
    if (!isAlphaCode(buf.charCodeAt(1)) && buf.charCodeAt(1) !== 95) return false;
    let p = 2;
    for (; p < buf.length; p++) {
      const c = buf.charCodeAt(p);
      if (c === 61 /* = */) break;
      if (!isAlnum_Code(c)) return false;
    }
    if (p >= buf.length) return false;
    const name = buf.slice(1, p);
    let def = this.defs.get(name);
    if (def) delete def.fn;
    else {
      def = { value: [], multiline: false, maxParams: 0 };
      this.defs.set(name, def);
    }
    delete def.includes;
    let value = buf.slice(skipBlanks(buf, p + 1));
    if (value.endsWith('\\')) {
      value = trimEndBlanks(value.slice(0, -1));
      def.value = value.length ? [value] : [];
      def.multiline = true;
      this.mlDef = def;
    } else {
      def.value = [value];
      def.multiline = false;
    }
    return true;
  }

  /** find_definition() for a use at `at` (just after a `$`): `NAME`, `{NAME}` or `{NAME params}`. */
  private findDefinition(buf: string, at: number, l: SourceLine): { name: string; def: Definition; end: number; params?: string } | undefined {
    const braces = buf.charCodeAt(at) === 123;
    const i = braces ? at + 1 : at;
    const c = buf.charCodeAt(i);
    if (!isAlphaCode(c) && c !== 95) return undefined;
    let j = i + 1;
    while (j < buf.length && isAlnum_Code(buf.charCodeAt(j))) j++;
    const name = buf.slice(i, j);
    let end = j;
    let params: string | undefined;
    let count = 0;
    if (braces) {
      // 2.2.7 allows only digits and spaces; 2.3's ${_ENV VAR} takes a name.
      const env = name === '_ENV';
      let p = j;
      let ps = -1;
      let pe = -1;
      let inParam = false;
      for (; p < buf.length; p++) {
        const d = buf.charCodeAt(p);
        const sep = d === 32 || (env && d === 9);
        if (!sep && !(env ? isAlnum_Code(d) : isDigitCode(d))) break;
        if (!sep) {
          if (ps < 0) ps = p;
          pe = p;
          if (!inParam) count++;
          inParam = true;
        } else inParam = false;
      }
      if (ps >= 0 && pe + 1 !== p) return undefined;
      if (buf.charCodeAt(p) !== 125) return undefined;
      if (ps >= 0) params = buf.slice(ps, pe + 1);
      end = p + 1;
    } else if (j < buf.length) {
      const d = buf.charCodeAt(j);
      if (d !== 32 && d !== 9 && d !== 44 && d !== 41) return undefined;
    }
    const def = this.defs.get(name);
    if (!def) return undefined;
    const atEnd = braces ? j + 1 === buf.length : j === buf.length;
    if (def.multiline && !atEnd) return undefined;
    if (params !== undefined) {
      if (!def.maxParams) return undefined;
      if (name === '_ENV' && def.fn && count > 1) {
        this.diags.error(`Definition _ENV requires between 1 and 1 parameters, ${count} specified.`, l);
        return undefined;
      }
      return { name, def, end, params };
    }
    return { name, def, end };
  }

  /**
   * keepalived's replace_param(): substitute definitions left to right, rescanning each
   * replacement. It stops at a value starting with `~` (a ~SEQ in a definition) and, like
   * keepalived, gives up (reporting no change) when the line would reach `max` characters.
   */
  private replaceParams(input: string, max: number, l: Cur): { text: string; changed: boolean } {
    let buf = input;
    let lenUsed = buf.length;
    let changed = false;
    let pos = 0;
    let count = 0;
    let mlPtr = this.mlNext;
    let nextPtr: MultilinePtr | undefined;
    for (;;) {
      const at = buf.indexOf('$', pos);
      if (at < 0 || at + 1 >= buf.length) break;
      const found = this.findDefinition(buf, at + 1, l);
      if (!found) {
        pos = at + 1;
        continue;
      }
      if (++count > 100000) {
        this.diags.error('parameter substitution does not terminate here (a definition refers to itself; keepalived 2.2.7 would hang)', l);
        return { text: '', changed: true };
      }
      changed = true;
      const { def } = found;
      nextPtr = mlPtr;
      let value: string;
      if (def.fn) {
        value = def.fn(found.params, l) ?? '';
        def.value = [value];
      } else value = def.value[0] ?? '';
      let replacing = value;
      if (def.multiline) {
        if (mlPtr) this.mlStack.push({ ptr: mlPtr, seqDepth: this.mlSeqDepth });
        this.mlSeqDepth = this.seqs.length;
        nextPtr = { lines: def.value.slice(1), i: 0, pos: l };
        mlPtr = nextPtr;
        for (const inc of def.includes ?? []) {
          const p = parseInclude(inc.text)!;
          this.include(p.kind, p.pattern, { ...l, text: inc.text }, 'copy', true);
        }
      }
      const span = found.end - at;
      if (lenUsed + replacing.length - span >= max) {
        this.diags.hint(`Parameter substitution on line '${buf}' would exceed maximum line length (keepalived 2.2.7 stops substituting here)`, l);
        return { text: buf, changed: false };
      }
      lenUsed += replacing.length - span;
      if (found.params !== undefined && replacing.length < span && found.end < buf.length && found.name !== '_ENV') {
        // 2.2.7 moves only the character after `}` when a ${NAME params} shrinks, garbling the rest.
        this.hintOnce(`rnd:${l.file}:${l.line}`, 'keepalived 2.2.7 garbles the rest of a line after ${_RANDOM MIN MAX} (fixed in later versions); put it at the end of the line', l);
        buf = buf.slice(0, at) + replacing + buf[found.end]! + buf.slice(at + replacing.length + 1);
      } else {
        buf = buf.slice(0, at) + replacing + buf.slice(found.end);
      }
      pos = at;
      const first = def.value[0] ?? '';
      if (first.charCodeAt(skipBlanks(first, 0)) === 126 /* ~ */) break;
    }
    if (changed) this.mlNext = nextPtr;
    return { text: buf, changed };
  }

  /** `~SEQ(var, [start,] [step,] end) text` and `~SEQx(...)` (hex values). */
  private addSeq(buf: string, l: Cur): boolean {
    let p = 4;
    let hex = false;
    if (buf[p] === 'x') {
      hex = true;
      p++;
    }
    p = skipBlanks(buf, p);
    if (buf[p++] !== '(') return false;
    p = skipBlanks(buf, p);
    const vs = p;
    p = cspan(buf, p, ' \t,)');
    const variable = buf.slice(vs, p);
    p = skipBlanks(buf, p);
    if (p >= buf.length || buf[p] === ')' || p === vs) {
      this.diags.error(`Invalid ~SEQ definition '${buf}'`, l);
      return false;
    }
    p = skipBlanks(buf, p + 1);
    const close = buf.indexOf(')', p);
    if (close < 0 || close + 1 - p + 1 > SEQ_BUF) {
      this.diags.error(`~SEQ parameter strings too long '${buf}'`, l);
      return false;
    }
    const saved = this.mlNext;
    const numbers = this.replaceParams(buf.slice(p, close + 1), SEQ_BUF, l).text;
    this.mlNext = saved;
    const invalid = (): boolean => {
      this.diags.error(`Invalid ~SEQ definition '${buf}'`, l);
      return false;
    };
    let q = 0;
    const one = strtol(numbers, q);
    q = skipBlanks(numbers, one.end);
    let start: number;
    let step: number;
    let end: number;
    if (numbers[q] === ')') {
      end = one.value;
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else {
      if (numbers[q] !== ',') return invalid();
      const two = strtol(numbers, q + 1);
      q = skipBlanks(numbers, two.end);
      if (numbers[q] === ')') {
        start = one.value;
        end = two.value;
        step = start <= end ? 1 : -1;
      } else {
        if (numbers[q] !== ',') return invalid();
        const three = strtol(numbers, q + 1);
        q = skipBlanks(numbers, three.end);
        if (numbers[q] !== ')') return invalid();
        start = one.value;
        step = two.value;
        end = three.value;
        if (!step || (start < end && step < 0) || (start > end && step > 0)) {
          this.diags.error(`Invalid ~SEQ values '${buf}'`, l);
          return false;
        }
      }
    }
    if (hex && (start < 0 || end < 0)) {
      this.diags.error(`~SEQx is only valid for positive numbers '${buf}'`, l);
      return false;
    }
    if (Math.abs((end - start) / step) >= this.maxLines) {
      this.diags.error(`~SEQ would produce more than ${this.maxLines} lines '${buf}'`, l);
      return true;
    }
    const text = buf.slice(skipBlanks(buf, close + 1));
    this.seqs.push({ text, pos: { text: '', file: l.file, line: l.line, col: l.col ?? 1 }, variable, next: start, step, last: end, hex });
    return true;
  }

  /** `~LST(var, v1, v2, ...)` and `~LST({a,b}, {1,2}, {3,4})`; missing values are empty. */
  private addLst(buf: string, l: Cur): boolean {
    let p = skipBlanks(buf, 4);
    if (buf[p++] !== '(') return false;
    p = skipBlanks(buf, p);
    const params: string[] = [];
    let endChar = ',';
    if (buf[p] === '{') {
      endChar = '}';
      p = skipBlanks(buf, p + 1);
    }
    let numVars = 0;
    for (;;) {
      const s = p;
      p = cspan(buf, p, ' \t,}');
      params.push(buf.slice(s, p));
      p = skipBlanks(buf, p);
      if (buf[p] === endChar) break;
      if (buf[p] !== ',') return false;
      p = skipBlanks(buf, p + 1);
      numVars++;
    }
    if (buf[p] === '}') p = skipBlanks(buf, p + 1);
    if (buf[p++] !== ',') return false;
    p = skipBlanks(buf, p);
    const sets: string[][] = [];
    for (;;) {
      let end = ',';
      if (buf[p] === '{') {
        end = '}';
        p = skipBlanks(buf, p + 1);
      }
      const values: string[] = [];
      let numValues = 0;
      for (;;) {
        const s = p;
        p = cspan(buf, p, ' \t,})');
        values.push(buf.slice(s, p));
        p = skipBlanks(buf, p);
        if (buf[p] === end || (buf[p] === ')' && end === ',')) break;
        if (buf[p] !== ',') return false;
        p = skipBlanks(buf, p + 1);
        if (++numValues > numVars) {
          this.diags.error(`~LST specification has too many values '${buf}'`, l);
          return false;
        }
      }
      for (; numValues < numVars; numValues++) values.push('');
      sets.push(values);
      if (buf[p] === '}' && end === '}') p = skipBlanks(buf, p + 1);
      if (buf[p] === ')') break;
      if (buf[p] !== ',') return false;
      p = skipBlanks(buf, p + 1);
    }
    if (!params.length || !sets.length) return false;
    const text = buf.slice(skipBlanks(buf, p + 1));
    this.seqs.push({ text, pos: { text: '', file: l.file, line: l.line, col: l.col ?? 1 }, params, valueSets: sets, setIndex: 0 });
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
