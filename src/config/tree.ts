// The syntax tree the grammar produces: statements with their words and optional block.
import type { Pos } from './diagnostics.js';

export interface Word {
  text: string;
  /** True when the word was written in double quotes. */
  quoted: boolean;
  col: number;
}

export interface Stmt {
  words: Word[];
  pos: Pos;
  /** The statement's text after preprocessing (for keywords that re-split with escapes). */
  raw: string;
  block?: Stmt[];
  open?: Pos;
  close?: Pos;
}

export interface LineToken {
  /** 'open' when the statement and the '{' after it are one token: see grammar/keepalived.ne. */
  type: 'line' | 'open';
  /** For 'open': where the '{' is. */
  open?: Pos;
  value: string;
  words: Word[];
  raw: string;
  pos: Pos;
}

export interface BraceToken {
  type: 'lbrace' | 'rbrace';
  value: string;
  pos: Pos;
}

export type Token = LineToken | BraceToken;
