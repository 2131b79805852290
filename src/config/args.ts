// Reading a statement's words as typed values, reporting problems as keepalived does
// (same conditions, same wording where operators know it) with the word's position.
import { isIP } from 'node:net';
import type { Diagnostics, Pos } from './diagnostics.js';
import type { Stmt } from './tree.js';

export class Args {
  readonly stmt: Stmt;
  readonly diags: Diagnostics;

  constructor(stmt: Stmt, diags: Diagnostics) {
    this.stmt = stmt;
    this.diags = diags;
  }

  /** The keyword (first word). */
  get keyword(): string {
    return this.stmt.words[0]!.text;
  }
  /** Number of words including the keyword. */
  get length(): number {
    return this.stmt.words.length;
  }
  get pos(): Pos {
    return this.stmt.pos;
  }
  /** Position of word i (falls back to the statement). */
  posOf(i: number): Pos {
    const w = this.stmt.words[i];
    return w ? { file: this.stmt.pos.file, line: this.stmt.pos.line, col: w.col } : this.stmt.pos;
  }
  has(i: number): boolean {
    return i < this.stmt.words.length;
  }
  word(i: number): string | undefined {
    return this.stmt.words[i]?.text;
  }
  /** Words from index i on. */
  rest(i: number): string[] {
    return this.stmt.words.slice(i).map((w) => w.text);
  }

  error(msg: string, i?: number): void {
    this.diags.error(msg, i === undefined ? this.pos : this.posOf(i));
  }
  warning(msg: string, i?: number): void {
    this.diags.warning(msg, i === undefined ? this.pos : this.posOf(i));
  }
  hint(msg: string, i?: number): void {
    this.diags.hint(msg, i === undefined ? this.pos : this.posOf(i));
  }

  /** A required word; keepalived stops with "missing a parameter" when it is absent. */
  need(i: number): string | undefined {
    const w = this.word(i);
    if (w === undefined) {
      this.diags.abort(`Configuration line starting '${this.keyword}' is missing a parameter at word position ${i + 1}`, this.pos);
    }
    return w;
  }

  /** A string value (word 1 by default); reports a missing one. */
  str(i = 1): string | undefined {
    return this.need(i);
  }

  /**
   * keepalived's read_int/read_unsigned: a whole number in [min, max]. `base` 0 accepts 0x.. and
   * 0.. like strtol. Returns undefined (and reports) when invalid or out of range.
   */
  int(i: number, min: number, max: number, base: 0 | 10 | 16 = 10): number | undefined {
    const w = this.need(i);
    if (w === undefined) return undefined;
    return readInt(w, min, max, base, (m) => this.error(m, i));
  }

  /** keepalived's read_decimal_unsigned: a decimal with up to `places` decimals, scaled. */
  decimal(i: number, min: number, max: number, places: number): number | undefined {
    const w = this.need(i);
    if (w === undefined) return undefined;
    return readDecimal(w, min, max, places, (m) => this.error(m, i));
  }

  /**
   * A time in seconds with microsecond resolution (keepalived's read_timer, TIMER_HZ digits).
   * min and max are in seconds. Returns seconds.
   */
  timer(i: number, min = 0, max = 1e9): number | undefined {
    const v = this.decimal(i, Math.round(min * 1e6), Math.round(max * 1e6), 6);
    return v === undefined ? undefined : v / 1e6;
  }

  /**
   * An optional boolean after a flag keyword: absent means true; otherwise
   * true/on/yes or false/off/no (keepalived's check_true_false).
   */
  optBool(i = 1): boolean | undefined {
    const w = this.word(i);
    if (w === undefined) return true;
    const v = trueFalse(w);
    if (v === undefined) {
      this.error(`Invalid value '${w}' for ${this.keyword} - expected true/on/yes or false/off/no`, i);
      return undefined;
    }
    return v;
  }

  /** An IP address (v4 or v6), optionally with /prefix when allowPrefix. */
  ip(i: number, what = 'IP address'): string | undefined {
    const w = this.need(i);
    if (w === undefined) return undefined;
    if (!isIP(w)) {
      this.error(`Invalid ${what} '${w}'`, i);
      return undefined;
    }
    return w;
  }

  /** One of a fixed set of words (case-sensitive unless `ci`). */
  oneOf<T extends string>(i: number, values: readonly T[], ci = false): T | undefined {
    const w = this.need(i);
    if (w === undefined) return undefined;
    const found = values.find((v) => (ci ? v.toLowerCase() === w.toLowerCase() : v === w));
    if (!found) this.error(`Invalid ${this.keyword} '${w}' - expected one of ${values.join(', ')}`, i);
    return found;
  }
}

export function trueFalse(w: string): boolean | undefined {
  if (w === 'true' || w === 'on' || w === 'yes') return true;
  if (w === 'false' || w === 'off' || w === 'no') return false;
  return undefined;
}

/** strtol()-like parse of a whole word; undefined when there are trailing characters. */
export function parseWholeInt(w: string, base: 0 | 10 | 16): number | undefined {
  let s = w.replace(/^[ \t]+/, '');
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  let radix: number = base === 0 ? 10 : base;
  if ((base === 0 || base === 16) && /^0x/i.test(s)) {
    radix = 16;
    s = s.slice(2);
  } else if (base === 0 && s.length > 1 && s[0] === '0') {
    radix = 8;
    s = s.slice(1);
  }
  const re = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(s)) return undefined;
  const v = parseInt(s, radix);
  return neg ? -v : v;
}

export function readInt(w: string, min: number, max: number, base: 0 | 10 | 16, report: (m: string) => void): number | undefined {
  const v = parseWholeInt(w, base);
  if (v === undefined) {
    report(`invalid number '${w}'`);
    return undefined;
  }
  if (v < min || v > max) {
    report(`number '${w}' outside range [${min}, ${max}]`);
    return undefined;
  }
  return v;
}

export function readDecimal(w: string, min: number, max: number, places: number, report: (m: string) => void): number | undefined {
  if (w.startsWith('-')) {
    report(`negative number '${w}'`);
    return undefined;
  }
  const m = /^\+?([0-9]*)(?:\.([0-9]*))?$/.exec(w);
  if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
    report(`invalid number '${w}'`);
    return undefined;
  }
  let frac = m[2] ?? '';
  let roundUp = false;
  if (frac.length > places) {
    report(`number '${w}' has too many decimal places`);
    roundUp = frac[places]! >= '5';
    frac = frac.slice(0, places);
  }
  let v = Number((m[1] || '0') + frac.padEnd(places, '0'));
  if (roundUp) v++;
  if (v < min || v > max) {
    const scale = 10 ** places;
    const fmt = (x: number): string => places ? `${Math.floor(x / scale)}.${String(x % scale).padStart(places, '0')}` : String(x);
    report(`number '${w}' outside range [${fmt(min)}, ${fmt(max)}]`);
    return undefined;
  }
  return v;
}
