// keepalived.conf text -> syntax tree: preprocess, tokenize, then the nearley grammar.
import nearley from 'nearley';
import grammar from './grammar.generated.js';
import { lexer, tokenize } from './lexer.js';
import { Diagnostics } from './diagnostics.js';
import { preprocessFile, preprocessText, type PreprocessOptions, type SourceLine } from './preprocess.js';
import type { Stmt } from './tree.js';

const compiled = nearley.Grammar.fromCompiled(grammar);

export interface ParseResult {
  tree: Stmt[];
  files: string[];
  lines: number;
}

/** Parse already preprocessed lines into statements. */
export function parseLines(lines: readonly SourceLine[], diags: Diagnostics): Stmt[] {
  const tokens = tokenize(lines, diags);
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
    diags.error(`internal: the grammar produced ${parser.results.length} parses`);
  }
  return (parser.results[0] as Stmt[] | undefined) ?? [];
}

export function parseFile(file: string, diags: Diagnostics, opts: PreprocessOptions = {}): ParseResult {
  const pre = preprocessFile(file, diags, opts);
  return { tree: parseLines(pre.lines, diags), files: pre.files, lines: pre.lines.length };
}

export function parseText(text: string, diags: Diagnostics, opts: PreprocessOptions = {}, name?: string): ParseResult {
  const pre = preprocessText(text, diags, opts, name);
  return { tree: parseLines(pre.lines, diags), files: pre.files, lines: pre.lines.length };
}
