// keepalived.conf text -> syntax tree: preprocess, tokenize, then the nearley grammar.
import nearley from 'nearley';
import grammar from './grammar.generated.js';
import { lexer, tokenize } from './lexer.js';
import { Diagnostics } from './diagnostics.js';
import { preprocessFile, preprocessText, type PreprocessOptions, type SourceLine } from './preprocess.js';
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
export function parseLines(lines: readonly SourceLine[], diags: Diagnostics): Stmt[] {
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

export function parseFile(file: string, diags: Diagnostics, opts: PreprocessOptions = {}): ParseResult {
  const pre = preprocessFile(file, diags, opts);
  return { tree: parseLines(pre.lines, diags), files: pre.files, lines: pre.lines.length };
}

export function parseText(text: string, diags: Diagnostics, opts: PreprocessOptions = {}, name?: string): ParseResult {
  const pre = preprocessText(text, diags, opts, name);
  return { tree: parseLines(pre.lines, diags), files: pre.files, lines: pre.lines.length };
}
