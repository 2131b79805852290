// keepalived.conf text -> syntax tree: preprocess, tokenize, then the nearley grammar.
import { createHash } from 'node:crypto';
import nearley from 'nearley';
import grammar from './grammar.generated.js';
import { lexer, tokenize } from './lexer.js';
import { Diagnostics } from './diagnostics.js';
import { braceSplit, preprocessFile, preprocessText, type PreprocessOptions, type SourceLine } from './preprocess.js';
import type { Pos } from './diagnostics.js';
import type { Stmt, Token } from './tree.js';

const compiled = nearley.Grammar.fromCompiled(grammar);

export interface ParseResult {
  tree: Stmt[];
  files: string[];
  lines: number;
}

/** keepalived's deepest blocks are four levels (virtual_server > real_server > HTTP_GET > url). */
export const MAX_NESTING = 64;

/**
 * Blocks nested deeper than any keepalived keyword allows are reported once, and their braces
 * dropped so their lines are read at the deepest allowed level: the rest of the file is still
 * checked, and building the Config never recurses without bound.
 */
function limitNesting(tokens: Token[], diags: Diagnostics): Token[] {
  let depth = 0;
  let dropped = 0;
  let reported = false;
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.type === 'lbrace') {
      if (depth >= MAX_NESTING) {
        if (!reported) diags.error(`blocks nested more than ${MAX_NESTING} deep - the deeper braces are ignored`, t.pos);
        reported = true;
        dropped++;
        continue;
      }
      depth++;
    } else if (t.type === 'rbrace') {
      if (dropped > 0) {
        dropped--;
        continue;
      }
      depth--;
    }
    out.push(t);
  }
  return out;
}

/** A statement followed by '{' becomes one `open` token (see grammar/keepalived.ne). */
function joinOpenings(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.type === 'line' && next?.type === 'lbrace') {
      t.type = 'open';
      t.open = next.pos;
      out.push(t);
      i++;
    } else out.push(t);
  }
  return out;
}

/** Run the grammar over one run of tokens that forms whole top-level statements. */
function parseChunk(tokens: Token[], diags: Diagnostics): Stmt[] {
  lexer.load(tokens);
  const parser = new nearley.Parser(compiled);
  try {
    parser.feed('');
  } catch (e) {
    // tokenize() balances braces, so the grammar cannot fail; if it ever does, say where.
    const tok = (e as { token?: { pos?: { file: string; line: number } } }).token;
    diags.error(`syntax error: ${(e as Error).message.split('\n')[0]}`, tok?.pos);
    return [];
  }
  if (parser.results.length !== 1) {
    diags.error(`internal: the grammar produced ${parser.results.length} parses`, tokens[0]?.pos);
  }
  return (parser.results[0] as Stmt[] | undefined) ?? [];
}

/**
 * Parse already preprocessed lines into statements. The grammar runs over one top-level
 * statement group at a time: the result is the same as one run over the whole file, but the
 * Earley parser's working set stays small, which keeps a 200,000-line config fast.
 */
export function parseLines(lines: readonly SourceLine[], diags: Diagnostics, cache?: ParseCache): Stmt[] {
  if (cache) {
    const cached = cache.parse(lines, diags);
    if (cached) return cached;
  }
  return parseUncached(lines, diags);
}

function parseUncached(lines: readonly SourceLine[], diags: Diagnostics): Stmt[] {
  const tokens = joinOpenings(limitNesting(tokenize(lines, diags), diags));
  const out: Stmt[] = [];
  const CHUNK = 8000;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'open') depth++;
    else if (t.type === 'rbrace') depth--;
    // Cut only between top-level statements.
    if (depth === 0 && i + 1 - start >= CHUNK) {
      for (const s of parseChunk(tokens.slice(start, i + 1), diags)) out.push(s);
      start = i + 1;
    }
  }
  if (start < tokens.length) for (const s of parseChunk(tokens.slice(start), diags)) out.push(s);
  return out;
}

/** A top-level statement's lines: [from, to) in the preprocessed lines. */
interface Group { from: number; to: number; key: string }

interface Cached { stmt: Stmt; line: number }

/**
 * The syntax trees of the last parse's top-level statements, by their text, so that a reload
 * parses only the statements that changed (the grammar is most of a config load's time: 30,000
 * real servers take ~0.5 s of it on this machine). A hit whose statement moved (lines added
 * above it) is copied with its line numbers shifted. Only statements that parsed without any
 * message are kept; a file with a stray brace is parsed whole, as without a cache.
 */
export class ParseCache {
  private entries = new Map<string, Cached>();
  /** Statements found / parsed in the last parse (for tests and benchmarks). */
  hits = 0;
  misses = 0;

  /** The tree, or undefined when the lines are not plain top-level statements (parse whole). */
  parse(lines: readonly SourceLine[], diags: Diagnostics): Stmt[] | undefined {
    const groups = topLevelGroups(lines);
    if (!groups) return undefined;
    const next = new Map<string, Cached>();
    const out: (Stmt | undefined)[] = new Array(groups.length);
    const missed: number[] = [];
    this.hits = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const c = this.entries.get(g.key) ?? next.get(g.key);
      if (!c) {
        missed.push(i);
        continue;
      }
      const line = lines[g.from]!.line;
      const stmt = line === c.line ? c.stmt : shiftStmt(c.stmt, line - c.line);
      out[i] = stmt;
      next.set(g.key, line === c.line ? c : { stmt, line });
      this.hits++;
    }
    this.misses = missed.length;
    // The statements not found, parsed in runs of neighbours (one grammar run per run).
    for (let k = 0; k < missed.length;) {
      let end = k + 1;
      while (end < missed.length && missed[end] === missed[end - 1]! + 1 && groups[missed[end]!]!.to - groups[missed[k]!]!.from < 40_000) end++;
      const first = groups[missed[k]!]!;
      const last = groups[missed[end - 1]!]!;
      const before = diags.list.length;
      const stmts = parseUncached(lines.slice(first.from, last.to), diags);
      const messages = diags.list.slice(before);
      if (stmts.length !== end - k) {
        // Not one statement per group (cannot happen for balanced lines): parse the file whole.
        this.entries = new Map();
        return undefined;
      }
      for (let j = k; j < end; j++) {
        const i = missed[j]!;
        out[i] = stmts[j - k]!;
        if (!messages.length || !messages.some((m) => !m.pos || concerns(lines, groups[i]!, m.pos))) {
          next.set(groups[i]!.key, { stmt: stmts[j - k]!, line: lines[groups[i]!.from]!.line });
        }
      }
      k = end;
    }
    this.entries = next;
    return out as Stmt[];
  }
}

/**
 * Split preprocessed lines into top-level statements (a line, and its block when a '{' follows).
 * The preprocessor has put every brace outside quotes on a line of its own. Undefined when the
 * braces are not plain: a '{' not after a statement, an extra '}', a block never closed.
 */
function topLevelGroups(lines: readonly SourceLine[]): Group[] | undefined {
  const groups: Group[] = [];
  let depth = 0;
  let start = 0;
  let prevIsStmt = false;
  let key = '';
  let file = '';
  let base = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const t = l.text;
    if (depth === 0 && t !== '{' && t !== '}') {
      if (i > start) groups.push({ from: start, to: i, key: digest(key) });
      start = i;
      file = l.file;
      base = l.line;
      key = file;
    }
    if (t === '{') {
      if (!prevIsStmt) return undefined;
      depth++;
      prevIsStmt = false;
    } else if (t === '}') {
      if (--depth < 0) return undefined;
      prevIsStmt = false;
    } else {
      if ((t.includes('{') || t.includes('}')) && braceSplit(t)) return undefined;
      prevIsStmt = true;
    }
    // The key: each line's text and where it is relative to the statement's first line.
    key += `\n${l.file === file ? '' : l.file}:${l.line - base}:${l.col ?? 1}:${t}`;
  }
  if (depth !== 0) return undefined;
  if (lines.length > start) groups.push({ from: start, to: lines.length, key: digest(key) });
  return groups;
}

/** The cache keeps a statement's SHA-1 rather than its text (a large config's text is many MB). */
function digest(key: string): string {
  return createHash('sha1').update(key).digest('base64');
}

/** Is a message about one of the group's lines? */
function concerns(lines: readonly SourceLine[], g: Group, pos: Pos): boolean {
  for (let i = g.from; i < g.to; i++) if (lines[i]!.line === pos.line && lines[i]!.file === pos.file) return true;
  return false;
}

function shiftPos(p: Pos, by: number): Pos {
  return { ...p, line: p.line + by };
}

/** A statement moved by `by` lines: a copy with every position shifted (words keep their columns). */
function shiftStmt(s: Stmt, by: number): Stmt {
  // Every field the token had (the tree's statements are its tokens), positions shifted.
  const o: Stmt = { ...s, pos: shiftPos(s.pos, by) };
  if (s.block) o.block = s.block.map((c) => shiftStmt(c, by));
  if (s.open) o.open = shiftPos(s.open, by);
  if (s.close) o.close = shiftPos(s.close, by);
  return o;
}

export function parseFile(file: string, diags: Diagnostics, opts: PreprocessOptions = {}, cache?: ParseCache): ParseResult {
  const pre = preprocessFile(file, diags, opts);
  return { tree: parseLines(pre.lines, diags, cache), files: pre.files, lines: pre.lines.length };
}

export function parseText(text: string, diags: Diagnostics, opts: PreprocessOptions = {}, name?: string, cache?: ParseCache): ParseResult {
  const pre = preprocessText(text, diags, opts, name);
  return { tree: parseLines(pre.lines, diags, cache), files: pre.files, lines: pre.lines.length };
}
