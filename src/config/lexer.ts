// Tokens for the nearley grammar: one `line` token per statement (the words between braces or
// line ends), and `lbrace` / `rbrace`. Words are split by a moo lexer with keepalived's
// alloc_strvec() rules: a word starting with `"` runs to the next `"`, any other word ends at a
// blank or a `"`; no escapes (keywords that take escapes re-split `raw`, see words.ts).
import moo from 'moo';
import type { Diagnostics, Pos } from './diagnostics.js';
import type { SourceLine } from './preprocess.js';
import type { Token, Word, LineToken, BraceToken } from './tree.js';

const wordLexer = moo.compile({
  ws: /[ \t\r\v\f]+/,
  qstring: /"[^"\n]*"/,
  unterminated: /"[^"\n]*$/,
  lbrace: '{',
  rbrace: '}',
  word: /[^ \t\r\v\f\n"{}]+/,
});

function lineToken(words: Word[], raw: string, pos: Pos): LineToken {
  return { type: 'line', value: raw, words, raw, pos };
}

function braceToken(type: 'lbrace' | 'rbrace', pos: Pos): BraceToken {
  const value = type === 'lbrace' ? '{' : '}';
  return { type, value, pos };
}

/**
 * Split preprocessed lines into statement and brace tokens, then balance the braces the way
 * keepalived recovers: an extra `}` is reported and ignored; a `{` with no statement before it
 * is reported and its block's statements are read as if it were not there; blocks left open
 * at the end are reported and closed.
 */
export function tokenize(lines: readonly SourceLine[], diags: Diagnostics): Token[] {
  const raw: Token[] = [];
  for (const l of lines) {
    wordLexer.reset(l.text);
    let words: Word[] = [];
    let segStart = -1;
    let segEnd = 0;
    const flush = (): void => {
      if (words.length) {
        const pos: Pos = { file: l.file, line: l.line, col: words[0]!.col };
        raw.push(lineToken(words, l.text.slice(segStart, segEnd), pos));
      }
      words = [];
      segStart = -1;
    };
    for (let t = wordLexer.next(); t; t = wordLexer.next()) {
      switch (t.type) {
        case 'ws':
          break;
        case 'lbrace':
        case 'rbrace':
          flush();
          raw.push(braceToken(t.type, { file: l.file, line: l.line, col: t.col }));
          break;
        case 'unterminated':
          diags.error(`Unmatched quote: '${l.text}'`, { file: l.file, line: l.line, col: t.col });
          if (segStart < 0) segStart = t.offset;
          segEnd = t.offset + t.text.length;
          words.push({ text: t.text.slice(1), quoted: true, col: t.col });
          break;
        case 'qstring':
          if (segStart < 0) segStart = t.offset;
          segEnd = t.offset + t.text.length;
          words.push({ text: t.text.slice(1, -1), quoted: true, col: t.col });
          break;
        default:
          if (segStart < 0) segStart = t.offset;
          segEnd = t.offset + t.text.length;
          words.push({ text: t.text, quoted: false, col: t.col });
      }
    }
    flush();
  }

  const out: Token[] = [];
  // For each open block: true when it is a stray '{' whose braces are dropped.
  const open: { stray: boolean; pos: Pos }[] = [];
  let prev: Token | undefined;
  for (const t of raw) {
    if (t.type === 'lbrace') {
      if (!prev || prev.type !== 'line') {
        diags.error(`Unexpected '{' - ignoring`, t.pos);
        open.push({ stray: true, pos: t.pos });
      } else {
        open.push({ stray: false, pos: t.pos });
        out.push(t);
      }
    } else if (t.type === 'rbrace') {
      const o = open.pop();
      if (!o) {
        diags.error(`Extra '}' found`, t.pos);
      } else if (!o.stray) {
        out.push(t);
      }
    } else {
      out.push(t);
    }
    prev = t;
  }
  if (open.length) {
    const unclosed = open.filter((o) => !o.stray);
    diags.error(`There are ${open.length} missing '}'s or extra '{'s` +
      (open[0] ? ` (the block opened at line ${open[0].pos.line} is never closed)` : ''), open[0]?.pos);
    const end = lines.length ? lines[lines.length - 1]! : { file: '-', line: 0 };
    for (let i = 0; i < unclosed.length; i++) out.push(braceToken('rbrace', { file: end.file, line: end.line }));
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
    return name === 'line' || name === 'lbrace' || name === 'rbrace';
  }
}

export const lexer = new TokenStream();
