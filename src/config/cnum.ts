// Numbers read the way C's strtoul() reads them: keepalived's parsers use it (and strtol) for
// most values, and operators' configs depend on its leading blanks, signs, 0x/0 prefixes and
// saturation.

const WS = ' \t\n\v\f\r';
export const U64_MAX = (1n << 64n) - 1n;

export interface Strto {
  /** Magnitude, already negated modulo 2^64 when the word had '-'. */
  value: bigint;
  /** Index of the first character not used. 0 when no digits were found. */
  end: number;
  overflow: boolean;
  negative: boolean;
}

function digitValue(c: string): number {
  const x = c.charCodeAt(0);
  if (x >= 48 && x <= 57) return x - 48;
  if (x >= 97 && x <= 122) return x - 87;
  if (x >= 65 && x <= 90) return x - 55;
  return 99;
}

/** C's strtoul/strtoull (unsigned long is 64 bits here). */
export function strtoul(s: string, base: number): Strto {
  let i = 0;
  while (i < s.length && WS.includes(s[i]!)) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2] ?? '') < 16) {
    base = 16;
    i += 2;
  } else if (base === 0) base = s[i] === '0' ? 8 : 10;
  const start = i;
  let v = 0n;
  let overflow = false;
  const b = BigInt(base);
  while (i < s.length && digitValue(s[i]!) < base) {
    v = v * b + BigInt(digitValue(s[i]!));
    if (v > U64_MAX) overflow = true;
    i++;
  }
  if (i === start) return { value: 0n, end: 0, overflow: false, negative: false };
  if (overflow) v = U64_MAX;
  else if (negative && v !== 0n) v = (1n << 64n) - v;
  return { value: v, end: i, overflow, negative };
}

/** strtol(s + i, &end, 0) (long is 64 bits): the value as a number; no digits gives 0 with end = i. */
export function strtol(s: string, i: number): { value: number; end: number } {
  const r = strtoul(s.slice(i), 0);
  if (r.end === 0) return { value: 0, end: i };
  const magnitude = r.overflow ? U64_MAX : r.negative && r.value !== 0n ? (1n << 64n) - r.value : r.value;
  const LONG_MAX = (1n << 63n) - 1n;
  const v = Number(magnitude > LONG_MAX ? LONG_MAX : magnitude);
  return { value: r.negative ? -v : v, end: i + r.end };
}
