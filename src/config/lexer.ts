// Tokens for the nearley grammar: one `line` token per statement and `lbrace` / `rbrace`.
// keepalived's read_line() splits a line at every `{` and `}` outside double quotes (the
// preprocessor has done that already; doing it again here is harmless), and alloc_strvec()
// splits a statement into words (a moo lexer here): a word starting with `"` runs to the next
// `"` (no escapes), any other word ends at white space or a `"`. Keywords that take escapes
// re-split `raw` (words.ts).
import moo from 'moo';
import type { Diagnostics, Pos } from './diagnostics.js';
import { braceSplit, type SourceLine } from './preprocess.js';
import type { Token, Word, LineToken, BraceToken } from './tree.js';

/**
 * The moo lexer for the words of one statement, with alloc_strvec()'s rules: white space is
 * space, \t, \n, \v, \f, \r; a word starting with `"` runs to the next `"`; any other word ends
 * at white space or a `"`. Braces were split off already (braceSplit), so none is unquoted here.
 */
const wordLexer = moo.compile({
  // Each word carries the blanks after it, which halves the tokens moo makes per statement.
  ws: { match: /[ \t\n\v\f\r]+/, lineBreaks: true },
  qstring: { match: /"[^"]*"[ \t\n\v\f\r]*/, lineBreaks: true },
  unterminated: { match: /"[^"]*/, lineBreaks: true },
  word: { match: /[^ \t\n\v\f\r"]+[ \t\n\v\f\r]*/, lineBreaks: true },
});

const TRAILING_WHITE = /[ \t\n\v\f\r]+$/;

/**
 * Split one statement into words. An unmatched quote is reported and, as in keepalived,
 * ends the statement (the rest of the line is dropped).
 */
function splitWords(text: string, pos: Pos, col0: number, diags: Diagnostics): Word[] {
  const words: Word[] = [];
  wordLexer.reset(text);
  for (let t = wordLexer.next(); t; t = wordLexer.next()) {
    if (t.type === 'ws') continue;
    if (t.type === 'unterminated') {
      diags.error(`Unmatched quote: '${text}'`, { file: pos.file, line: pos.line, col: col0 + t.offset });
      break;
    }
    const v = TRAILING_WHITE.test(t.value) ? t.value.replace(TRAILING_WHITE, '') : t.value;
    if (t.type === 'qstring') words.push({ text: v.slice(1, -1), quoted: true, col: col0 + t.offset });
    else words.push({ text: v, quoted: false, col: col0 + t.offset });
  }
  return words;
}

/** Lines -> statement and brace tokens, in order, before balancing. */
function rawTokens(lines: readonly SourceLine[], diags: Diagnostics): Token[] {
  const out: Token[] = [];
  for (const l of lines) {
    let text = l.text;
    let col = l.col ?? 1;
    for (;;) {
      if (text === '{' || text === '}') {
        const t: BraceToken = { type: text === '{' ? 'lbrace' : 'rbrace', value: text, pos: { file: l.file, line: l.line, col } };
        out.push(t);
        break;
      }
      const sp = text.includes('{') || text.includes('}') ? braceSplit(text) : undefined;
      const head = sp ? sp.head : text;
      if (head === '{' || head === '}') {
        out.push({ type: head === '{' ? 'lbrace' : 'rbrace', value: head, pos: { file: l.file, line: l.line, col } });
      } else if (head.length) {
        const pos: Pos = { file: l.file, line: l.line, col };
        const words = splitWords(head, pos, col, diags);
        if (words.length) {
          pos.col = words[0]!.col;
          const t: LineToken = { type: 'line', value: head, words, raw: head, pos };
          out.push(t);
        }
      }
      if (!sp) break;
      text = sp.residue;
      col += sp.residueAt;
    }
  }
  return out;
}

/**
 * Split preprocessed lines into statement and brace tokens, and balance the braces the way
 * keepalived does. A `{` right after a statement opens that statement's block. Any other `{`
 * is reported ("Unexpected '{' - ignoring") and dropped, so what follows it stays in the
 * enclosing block, and the next `}` closes that block, as in keepalived's process_stream().
 * keepalived counts every brace for its "Extra '}' found" and "There are N missing '}'s"
 * messages (read_line()'s block_depth), stray ones included; a `}` with no block open is also
 * an unknown keyword to it. Blocks left open at the end are closed.
 */
export function tokenize(lines: readonly SourceLine[], diags: Diagnostics): Token[] {
  const raw = rawTokens(lines, diags);
  const out: Token[] = [];
  const open: Pos[] = [];
  let firstStray: Pos | undefined;
  let depth = 0;
  let prev: Token | undefined;
  for (const t of raw) {
    if (t.type === 'lbrace') {
      depth++;
      if (prev && prev.type === 'line') {
        open.push(t.pos);
        out.push(t);
      } else {
        diags.error(`Unexpected '{' - ignoring`, t.pos);
        firstStray ??= t.pos;
      }
    } else if (t.type === 'rbrace') {
      if (--depth < 0) {
        diags.error(`Extra '}' found`, t.pos);
        depth = 0;
      }
      if (open.length) {
        open.pop();
        out.push(t);
      } else {
        diags.error(`Unknown keyword '}'`, t.pos);
      }
    } else {
      out.push(t);
    }
    prev = t;
  }
  if (depth > 0) {
    const where = open[0] ?? firstStray;
    diags.error(`There are ${depth} missing '}'s or extra '{'s` +
      (open[0] ? ` (the block opened at line ${open[0].line} is never closed)` : ''), where);
  }
  if (open.length) {
    const last = lines.length ? lines[lines.length - 1]! : { file: '-', line: 0 };
    for (let i = 0; i < open.length; i++) out.push({ type: 'rbrace', value: '}', pos: { file: last.file, line: last.line } });
  }
  return out;
}

/** The nearley lexer interface over a prepared token list. */
class TokenStream {
  private tokens: Token[] = [];
  private i = 0;
  load(tokens: Token[]): void {
    this.tokens = tokens;
    this.i = 0;
  }
  reset(): void {
    this.i = 0;
  }
  next(): Token | undefined {
    return this.tokens[this.i++];
  }
  save(): Record<string, never> {
    return {};
  }
  formatError(token: Token, message?: string): string {
    return `${token.pos.file}:${token.pos.line}: ${message ?? "syntax error"}`;
  }
  has(name: string): boolean {
    return name === 'line' || name === 'open' || name === 'lbrace' || name === 'rbrace';
  }
}

export const lexer = new TokenStream();
