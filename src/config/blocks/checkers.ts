// Checker blocks of a real_server (HTTP_GET, SSL_GET, TCP_CHECK, PING_CHECK, UDP_CHECK, SMTP_CHECK,
// DNS_CHECK, MISC_CHECK, FILE_CHECK, BFD_CHECK), the top-level SSL block, and the value readers the
// LVS blocks share (keepalived's read_unsigned/read_timer/inet_stosockaddr semantics).
// Reference: keepalived 2.2.7 check_api.c, check_http.c, check_udp.c, check_smtp.c, check_dns.c,
// check_misc.c, check_file.c, check_bfd.c.
import type { Args } from '../args.js';
import { readDecimal, trueFalse } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { splitQuotedEscaped, type ScriptSpec } from '../words.js';
import type { RealServer, VirtualServer } from './lvs.js';
import { defaultScriptUser, resolveUser } from './trackers.js';

// ---------------------------------------------------------------------------------------------
// Which fields a handler set explicitly. Values start at keepalived's defaults so the typed
// Config is always complete; inheritance (checker <- real_server <- virtual_server) only applies
// to fields nobody set, which keepalived tracks with UINT_MAX/-1 sentinels.

// The marks live in a WeakMap beside the objects (one bit per field name), so the Config's own
// objects keep their plain shape (a hidden property would slow every access to them).
const explicit = new WeakMap<object, number>();
const bits = new Map<string, number>();

function bitOf(key: string): number {
  let b = bits.get(key);
  if (b === undefined) {
    if (bits.size >= 31) throw new Error('too many tracked field names');
    bits.set(key, (b = 1 << bits.size));
  }
  return b;
}

export function markSet(o: object, key: string): void {
  explicit.set(o, (explicit.get(o) ?? 0) | bitOf(key));
}

export function isSet(o: object, key: string): boolean {
  return ((explicit.get(o) ?? 0) & bitOf(key)) !== 0;
}

// ---------------------------------------------------------------------------------------------
// Number readers with keepalived's acceptance rules. They do not report: callers report the
// handler's own message, which is the one keepalived operators know.

export const UINT_MAX = 4294967295;
export const INT32_MAX = 2147483647;
/** keepalived's TIMER_MAXIMUM is ULONG_MAX - 1 us; the largest exact value here. */
const TIMER_MAX_US = Number.MAX_SAFE_INTEGER;

const LEADING_BLANKS = /^[ \t\n\r\f\v]+/;
const UNSIGNED = /^\+?[0-9]+$/;
const SIGNED = /^[+-]?[0-9]+$/;
const GROUP16 = /^[0-9a-fA-F]{1,4}$/;
const HEX_NIBBLE = /^[0-9a-fA-F]$/;

/**
 * read_unsigned(): strtoul base 10 after leading blanks; negative, junk and range are errors.
 * `why` receives keepalived's own description of the problem.
 */
export function unsignedWord(w: string, min: number, max: number, why?: (m: string) => void): number | undefined {
  const s = w.replace(LEADING_BLANKS, '');
  let v = 0;
  let problem: string | undefined;
  if (s.startsWith('-')) problem = `negative number '${w}'`;
  else if (s !== '' && !UNSIGNED.test(s)) problem = `invalid number '${w}'`;
  else {
    if (s !== '') v = Number(s.replace('+', ''));
    if (v > UINT_MAX) problem = `number '${w}' outside unsigned integer range`;
    else if (v < min || v > max) problem = `number '${w}' outside range [${min}, ${max}]`;
  }
  if (problem === undefined) return v;
  why?.(problem);
  return undefined;
}

/** read_int(): strtol base 10. */
export function intWord(w: string, min: number, max: number, why?: (m: string) => void): number | undefined {
  const s = w.replace(LEADING_BLANKS, '');
  let v = 0;
  let problem: string | undefined;
  if (s !== '' && !SIGNED.test(s)) problem = `invalid number '${w}'`;
  else {
    if (s !== '') v = Number(s);
    if (v < min || v > max) problem = `number '${w}' outside range [${min}, ${max}]`;
  }
  if (problem === undefined) return v;
  why?.(problem);
  return undefined;
}

/** keepalived reports the number's problem and then the keyword's message: keel says both at once. */
function withWhy(msg: string, why: string | undefined): string {
  return why === undefined ? msg : `${msg} (${why})`;
}

/** A required unsigned word; reports `msg` when invalid. */
export function uint(a: Args, i: number, min: number, max: number, msg: string): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  let why: string | undefined;
  const v = unsignedWord(w, min, max, (m) => { why = m; });
  if (v === undefined) a.error(withWhy(msg, why), i);
  return v;
}

/** A required signed word; reports `msg` when invalid. */
export function int(a: Args, i: number, min: number, max: number, msg: string): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  let why: string | undefined;
  const v = intWord(w, min, max, (m) => { why = m; });
  if (v === undefined) a.error(withWhy(msg, why), i);
  return v;
}

/**
 * read_timer(): seconds with up to 6 decimals, range in microseconds; returns seconds. Too many
 * decimals is reported but the rounded value is still used, as keepalived does.
 */
export function timer(a: Args, i: number, minUs: number, maxUs: number, msg: string): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  const problems: string[] = [];
  const v = readDecimal(w, minUs, maxUs === 0 ? TIMER_MAX_US : maxUs, 6, (m) => problems.push(m));
  if (v === undefined) {
    a.error(withWhy(msg, problems[0]), i);
    return undefined;
  }
  for (const p of problems) a.error(p, i);
  return v / 1e6;
}

/** An optional true/false word after a flag (check_true_false); absent means true. */
export function flag(a: Args, msg: string): boolean | undefined {
  const w = a.word(1);
  if (w === undefined) return true;
  const v = trueFalse(w);
  if (v === undefined) a.error(msg, 1);
  return v;
}

/** Word 1, or the `msg` error when the line has no value (keepalived's "... missing" checks). */
export function value(a: Args, msg: string): string | undefined {
  const w = a.word(1);
  if (w === undefined) a.error(msg);
  return w;
}

// ---------------------------------------------------------------------------------------------
// Addresses, as keepalived's inet_stosockaddr()/inet_pton()/inet_ntop() see them.

export type Family = 'inet' | 'inet6';

/** glibc inet_pton(AF_INET): exactly four decimal octets, no leading zeros. */
export function pton4(s: string): number[] | undefined {
  const out: number[] = [];
  let v = 0;
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a final '.' closes the last octet
    if (c >= 48 && c <= 57) {
      if (digits === 1 && v === 0) return undefined; // leading zero
      v = v * 10 + (c - 48);
      if (v > 255) return undefined;
      digits++;
    } else if (c === 46 && digits > 0 && out.length < 4) {
      out.push(v);
      v = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return out.length === 4 ? out : undefined;
}

/** glibc inet_pton(AF_INET6): eight 16-bit groups (one '::' allowed, dotted quad at the end). */
export function pton6(s: string): number[] | undefined {
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const side = (part: string, v4ok: boolean): number[] | undefined => {
    if (part === '') return [];
    const items = part.split(':');
    const out: number[] = [];
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      if (v4ok && k === items.length - 1 && it.includes('.')) {
        const q = pton4(it);
        if (!q) return undefined;
        out.push((q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!);
      } else if (GROUP16.test(it)) {
        out.push(parseInt(it, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  if (dbl === -1) {
    const g = side(s, true);
    return g && g.length === 8 ? g : undefined;
  }
  const head = side(s.slice(0, dbl), false);
  const tail = side(s.slice(dbl + 2), true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** glibc inet_ntop(AF_INET6): longest run of two or more zero groups compressed. */
export function ntop6(g: readonly number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) best = -1;
  const v4tail = best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff));
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best !== -1 && i >= best && i < best + bestLen) {
      if (i === best) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    if (v4tail && i === 6) {
      out += `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
      break;
    }
    out += g[i]!.toString(16);
  }
  if (best !== -1 && best + bestLen === 8) out += ':';
  return out;
}

export interface InetAddr {
  family: Family;
  /** Canonical text (inet_ntop). */
  ip: string;
  /** Four octets (inet) or eight 16-bit groups (inet6). */
  parts: number[];
}

/** inet_pton of an address; the family is chosen by the presence of ':' as keepalived does. */
export function parseInet(s: string): InetAddr | undefined {
  if (s.includes(':')) {
    const g = pton6(s);
    return g ? { family: 'inet6', ip: ntop6(g), parts: g } : undefined;
  }
  const q = pton4(s);
  return q ? { family: 'inet', ip: q.join('.'), parts: q } : undefined;
}

export interface SockAddr extends InetAddr {
  port: number;
}

/**
 * inet_stosockaddr(): "IP" with an optional port word; anything from the first '-' (else '/') of
 * the address is ignored. A port of 0 (any number of zeros) means "no port", as keepalived
 * allows since 2.0.7. Returns undefined when keepalived's call fails.
 */
export function parseSockAddr(ip: string, port: string | undefined): SockAddr | undefined {
  let p = 0;
  if (port !== undefined && !allZeros(port)) {
    const v = unsignedWord(port, 1, 65535);
    if (v === undefined) return undefined;
    p = v;
  }
  let cut = ip.indexOf('-');
  if (cut === -1) cut = ip.indexOf('/');
  const a = parseInet(cut === -1 ? ip : ip.slice(0, cut));
  return a ? { family: a.family, ip: a.ip, parts: a.parts, port: p } : undefined;
}

/** keepalived treats a port of only zeros as "no port". */
export function allZeros(w: string): boolean {
  for (let i = 0; i < w.length; i++) if (w.charCodeAt(i) !== 48) return false;
  return true;
}

export function isLinkLocal6(a: InetAddr): boolean {
  return a.family === 'inet6' && (a.parts[0]! & 0xffc0) === 0xfe80;
}

/** keepalived's "[ip]:proto:port" (inet_sockaddrtotrio). */
export function trio(ip: string, proto: string | undefined, port: number): string {
  return `[${ip}]:${proto ? proto.toLowerCase() : 'none'}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// The typed checkers.

export type CheckerType = 'HTTP_GET' | 'SSL_GET' | 'TCP_CHECK' | 'MISC_CHECK' | 'SMTP_CHECK' | 'DNS_CHECK' | 'UDP_CHECK' | 'PING_CHECK' | 'FILE_CHECK' | 'BFD_CHECK';

/** Timing shared by the checkers keepalived schedules (all but FILE_CHECK and BFD_CHECK). */
export interface CheckerTiming {
  /** Start as failed until the first success. Inherited from the real server. */
  alpha: boolean;
  /** Retries before a failure counts. Default: real server's, else 1 (DNS 3, MISC 0). */
  retry: number;
  /** Seconds between retries. Default: real server's, else 1 (HTTP/SSL 3, DNS delay_loop). */
  delay_before_retry: number;
  /** Maximum random delay before the first check, seconds. Default: real server's, else delay_loop. */
  warmup: number;
  /** Seconds between checks. Default: real server's (itself the virtual server's, 60). */
  delay_loop: number;
  log_all_failures: boolean;
}

/** Where a network checker connects (checker-common connection keywords). */
export interface Connection {
  /** Default: the real server's address. */
  connect_ip: string;
  /** Default: the real server's port as written on its line (0 when it has none). */
  connect_port: number;
  bindto?: string;
  bind_port?: number;
  bind_if?: string;
  /** Seconds. Default: real server's, else virtual server's (5). */
  connect_timeout: number;
  /** SO_MARK for the check's socket. */
  fwmark?: number;
}

interface CheckerBase {
  type: CheckerType;
  pos?: Pos;
}

export interface HttpUrl {
  path: string;
  /** MD5 of the body, 32 lowercase hex digits. */
  digest?: string;
  /** Accepted status codes as inclusive ranges; default [[200, 299]]. */
  status_code: [number, number][];
  virtualhost?: string;
  regex?: string;
  regex_no_match: boolean;
  regex_options: string[];
  regex_min_offset?: number;
  regex_max_offset?: number;
  regex_stack?: { start: number; max: number };
  pos?: Pos;
}

export interface HttpChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'HTTP_GET' | 'SSL_GET';
  virtualhost?: string;
  http_protocol: '1.0' | '1.0C' | '1.1';
  enable_sni: boolean;
  fast_recovery: boolean;
  url: HttpUrl[];
}

export interface TcpChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'TCP_CHECK';
}

export interface PingChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'PING_CHECK';
}

export interface UdpChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'UDP_CHECK';
  /** Bytes to send, lowercase hex. */
  payload?: string;
  require_reply: boolean;
  /** Expected reply, lowercase hex with 'x' for wildcard nibbles. */
  reply?: string;
  min_reply_length: number;
  max_reply_length: number;
}

export interface SmtpChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'SMTP_CHECK';
  helo_name: string;
}

export const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA', 'RRSIG', 'DNSKEY'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsChecker extends CheckerBase, CheckerTiming, Connection {
  type: 'DNS_CHECK';
  /** The DNS_CHECK `type` keyword (the query type); default SOA. */
  dns_type: DnsType;
  /** The DNS_CHECK `name` keyword; default '' (the root). */
  name: string;
}

export interface MiscChecker extends CheckerBase, CheckerTiming {
  type: 'MISC_CHECK';
  misc_path: ScriptSpec;
  /** Seconds; default delay_loop. */
  misc_timeout: number;
  misc_dynamic: boolean;
  user?: { user: string; group?: string };
}

export interface FileChecker extends CheckerBase {
  type: 'FILE_CHECK';
  track_file: string;
  /** Default: the track_file's weight. */
  weight: number;
  weight_reverse: boolean;
}

export interface BfdChecker extends CheckerBase {
  type: 'BFD_CHECK';
  name: string;
  alpha: boolean;
}

export type Checker = HttpChecker | TcpChecker | PingChecker | UdpChecker | SmtpChecker | DnsChecker | MiscChecker | FileChecker | BfdChecker;

export interface SslConfig {
  password?: string;
  ca?: string;
  certificate?: string;
  key?: string;
}

// ---------------------------------------------------------------------------------------------
// Parse state. The real_server and virtual_server being walked come from lvs.ts through
// ctx.scratch; an SMTP_CHECK's deprecated `host` blocks are collected beside the checker.

export interface LvsScratch {
  vs: VirtualServer;
  rs: RealServer;
}

export function lvsScratch(ctx: BuildContext): LvsScratch {
  return ctx.scratch.lvs as LvsScratch;
}

type Draft<C> = C & { hosts?: Connection[] };

const timingDefaults = (): CheckerTiming => ({ alpha: false, retry: 1, delay_before_retry: 1, warmup: 0, delay_loop: 60, log_all_failures: false });

function connection(rs: RealServer): Connection {
  return { connect_ip: rs.ip, connect_port: rs.port, connect_timeout: 5 };
}

/** The checker family: keepalived's default retry and delay_before_retry (0: delay_loop). */
export function checkerDefaults(c: Checker): { retry: number; delay_before_retry: number } {
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') return { retry: 1, delay_before_retry: 3 };
  if (c.type === 'DNS_CHECK') return { retry: 3, delay_before_retry: 0 };
  if (c.type === 'MISC_CHECK') return { retry: 0, delay_before_retry: 1 };
  return { retry: 1, delay_before_retry: 1 };
}

// ---------------------------------------------------------------------------------------------
// Common keywords (install_checker_common_keywords).

type Timed = CheckerTiming & object;

function timingKeywords<T extends Timed>(): Keyword<T>[] {
  return [
    {
      name: 'retry', args: 'N', doc: 'Retries before the check is declared failed',
      handle: (c, a) => { const v = uint(a, 1, 0, UINT_MAX, `Invalid retry connection value '${a.word(1)}'`); if (v !== undefined) { c.retry = v; markSet(c, 'retry'); } },
    },
    {
      name: 'delay_before_retry', args: 'SECS', doc: 'Delay between retries',
      handle: (c, a) => { const v = timer(a, 1, 0, 0, `Invalid delay_before_retry connection value '${a.word(1)}'`); if (v !== undefined) { c.delay_before_retry = v; markSet(c, 'delay_before_retry'); } },
    },
    {
      name: 'warmup', args: 'SECS', doc: 'Maximum random delay before the first check',
      handle: (c, a) => { const v = timer(a, 1, 0, 0, `Invalid warmup connection value '${a.word(1)}'`); if (v !== undefined) { c.warmup = v; markSet(c, 'warmup'); } },
    },
    {
      name: 'delay_loop', args: 'SECS', doc: 'Interval between checks',
      handle: (c, a) => { const v = timer(a, 1, 1, 0, `delay_loop '${a.word(1)}' is invalid - ignoring`); if (v !== undefined) { c.delay_loop = v; markSet(c, 'delay_loop'); } },
    },
    {
      name: 'alpha', args: '[BOOL]', doc: 'Start in the failed state until the first success',
      handle: (c, a) => { const v = flag(a, `Invalid alpha parameter ${a.word(1)}`); if (v !== undefined) { c.alpha = v; markSet(c, 'alpha'); } },
    },
    {
      name: 'log_all_failures', args: '[BOOL]', doc: 'Log every failed check, not only state changes',
      handle: (c, a) => { const v = flag(a, `Invalid log_all_failures parameter ${a.word(1)}`); if (v !== undefined) c.log_all_failures = v; },
    },
  ];
}

type Conn = Connection & object;

function connectionKeywords<T extends Conn>(): Keyword<T>[] {
  return [
    {
      name: 'connect_ip', args: 'IP', doc: 'Address to check (default: the real server)',
      handle: (c, a) => {
        const w = a.need(1);
        if (w === undefined) return;
        const s = parseSockAddr(w, undefined);
        if (!s) return a.error(`Invalid connect_ip address ${w} - ignoring`, 1);
        if (c.bindto !== undefined && familyOf(c.bindto) !== s.family) {
          return a.error(`connect_ip address ${w} does not match address family of bindto - skipping`, 1);
        }
        c.connect_ip = s.ip;
        markSet(c, 'connect_ip');
      },
    },
    {
      name: 'connect_port', args: 'PORT', doc: 'Port to check (default: the real server\'s)',
      handle: (c, a) => { const v = uint(a, 1, 1, 65535, `Invalid checker connect_port '${a.word(1)}'`); if (v !== undefined) c.connect_port = v; },
    },
    {
      name: 'bindto', args: 'IP', doc: 'Source address of the check',
      handle: (c, a) => {
        const w = a.need(1);
        if (w === undefined) return;
        const s = parseSockAddr(w, undefined);
        if (!s) return a.error(`Invalid bindto address ${w} - ignoring`, 1);
        // SMTP_CHECK has no destination until connect_ip (or its end) sets one.
        const noDst = (c as { type?: string }).type === 'SMTP_CHECK' && !isSet(c, 'connect_ip');
        if (!noDst && familyOf(c.connect_ip) !== s.family) {
          return a.error(`bindto address ${w} does not match address family of connect_ip - skipping`, 1);
        }
        c.bindto = s.ip;
      },
    },
    {
      name: 'bind_port', args: 'PORT', doc: 'Source port of the check',
      handle: (c, a) => { const v = uint(a, 1, 1, 65535, `Invalid checker bind_port '${a.word(1)}'`); if (v !== undefined) c.bind_port = v; },
    },
    {
      name: 'bind_if', args: 'IFNAME', doc: 'Interface to send the check from (needed for IPv6 link-local)',
      handle: (c, a) => {
        const w = a.need(1);
        if (w === undefined) return;
        if (w.length > 15) return a.error(`Interface name ${w} is too long - ignoring`, 1);
        c.bind_if = w;
      },
    },
    {
      name: 'connect_timeout', args: 'SECS', doc: 'Connection timeout (default: real server\'s, else virtual server\'s 5)',
      handle: (c, a) => { const v = timer(a, 1, 1, UINT_MAX, `connect_timeout ${a.word(1)} invalid - ignoring`); if (v !== undefined) { c.connect_timeout = v; markSet(c, 'connect_timeout'); } },
    },
    {
      name: 'fwmark', args: 'N', doc: 'Firewall mark (SO_MARK) for the check\'s socket',
      handle: (c, a) => { const v = uint(a, 1, 0, UINT_MAX, `Invalid fwmark connection value '${a.word(1)}'`); if (v !== undefined) c.fwmark = v; },
    },
  ];
}

function familyOf(ip: string): Family {
  return ip.includes(':') ? 'inet6' : 'inet';
}

/** check_conn_opts(): an IPv6 link-local destination needs bind_if. */
function connectionOk(c: Connection, a: Args): boolean {
  const dst = parseInet(c.connect_ip);
  if (dst && isLinkLocal6(dst) && c.bind_if === undefined) {
    a.diags.error(`Checker link local address ${dst.ip} requires a bind_if`, closePos(a));
    return false;
  }
  return true;
}

/** Where keepalived reports a block's end-handler problems: its closing brace. */
export function closePos(a: Args): Pos {
  return a.stmt.close ?? a.pos;
}

// ---------------------------------------------------------------------------------------------
// HTTP_GET / SSL_GET and their url blocks.

const REGEX_OPTIONS = new Set([
  'allow_empty_class', 'alt_bsux', 'auto_callout', 'caseless', 'dollar_endonly', 'dotall', 'dupnames', 'extended',
  'firstline', 'match_unset_backref', 'multiline', 'never_ucp', 'never_utf', 'no_auto_capture', 'no_auto_possess',
  'no_dotstar_anchor', 'no_start_optimize', 'ucp', 'ungreedy', 'utf', 'never_backslash_c', 'alt_circumflex',
  'alt_verbnames', 'use_offset_limit',
]);

type UrlDraft = Omit<HttpUrl, 'path' | 'status_code'> & { path?: string; codes: Set<number> };

function strtoulPrefix(s: string): { v: number; rest: string } {
  const m = /^[ \t\n\r\f\v]*([+-]?)([0-9]*)/.exec(s)!;
  if (m[2] === '') return { v: 0, rest: s };
  const v = Number(m[2]);
  return { v: m[1] === '-' ? -v : v, rest: s.slice(m[0].length) };
}

/** One status_code word: N or N-M within 100..599. */
function statusRange(w: string): [number, number] | undefined {
  const lo = strtoulPrefix(w);
  let hi = lo;
  if (lo.rest.startsWith('-')) hi = strtoulPrefix(lo.rest.slice(1));
  const ok = (v: number): boolean => v >= 100 && v <= 599;
  if (hi.rest !== '' || !ok(lo.v) || !ok(hi.v) || lo.v > hi.v) return undefined;
  return [lo.v, hi.v];
}

/** Regex offsets and stack sizes: strtoul, keepalived only logs when they are bad. */
function looseUnsigned(w: string | undefined): number | undefined {
  if (w === undefined) return undefined;
  const r = strtoulPrefix(w);
  return r.rest === '' ? r.v : undefined;
}

const urlKeywords: Keyword<UrlDraft>[] = [
  { name: 'path', args: 'PATH', doc: 'URL path to fetch', handle: (u, a) => { const v = a.str(); if (v !== undefined) u.path = v; } },
  {
    name: 'digest', args: 'MD5HEX', doc: 'Expected MD5 of the body (see genhash)',
    handle: (u, a) => {
      const d = a.need(1);
      if (d === undefined) return;
      if (u.digest !== undefined) return a.error(`Digest '${d}' is a duplicate`, 1);
      if (d.length !== 32) return a.error(`digest '${d}' character length should be 32 rather than ${d.length}`, 1);
      for (let i = 15; i >= 0; i--) {
        if (!/^[0-9a-fA-F]{2}$/.test(d.slice(2 * i, 2 * i + 2))) {
          return a.error(`Unable to interpret hex digit in '${d}' at offset ${2 * i}/${2 * i + 1}`, 1);
        }
      }
      u.digest = d.toLowerCase();
    },
  },
  {
    name: 'status_code', args: 'N|N-M ...', doc: 'Accepted HTTP status codes', default: '200-299',
    handle: (u, a) => {
      for (let i = 1; i < a.length; i++) {
        const r = statusRange(a.word(i)!);
        if (!r) { a.error(`Invalid HTTP_GET status code '${a.word(i)}'`, i); continue; }
        for (let c = r[0]; c <= r[1]; c++) u.codes.add(c);
      }
    },
  },
  { name: 'virtualhost', args: 'HOST', doc: 'Host header for this url', handle: (u, a) => { const v = value(a, 'Missing HTTP_GET virtualhost name'); if (v !== undefined) u.virtualhost = v; } },
  {
    name: 'regex', args: 'PCRE2', doc: 'The body must match this regular expression',
    handle: (u, a) => {
      const w = splitQuotedEscaped(a.stmt.raw);
      if (w.words.length !== 2) return a.hint('regex missing or too many fields - keepalived ignores this line');
      u.regex = w.words[1]!;
    },
  },
  { name: 'regex_no_match', doc: 'The body must not match the regex', handle: (u) => { u.regex_no_match = true; } },
  {
    name: 'regex_options', args: 'OPTION ...', doc: 'PCRE2 options',
    handle: (u, a) => {
      for (let i = 1; i < a.length; i++) {
        const o = a.word(i)!;
        if (REGEX_OPTIONS.has(o)) { if (!u.regex_options.includes(o)) u.regex_options.push(o); }
        else a.hint(`unknown regex option '${o}' - keepalived ignores it`, i);
      }
    },
  },
  {
    name: 'regex_min_offset', args: 'N', doc: 'First body offset the match may start at',
    handle: (u, a) => { const v = a.length === 2 ? looseUnsigned(a.word(1)) : undefined; if (v === undefined) a.hint('invalid regex_min_offset - keepalived ignores it'); else u.regex_min_offset = v; },
  },
  {
    name: 'regex_max_offset', args: 'N', doc: 'Last body offset the match may start at',
    handle: (u, a) => { const v = a.length === 2 ? looseUnsigned(a.word(1)) : undefined; if (v === undefined) a.hint('invalid regex_max_offset - keepalived ignores it'); else u.regex_max_offset = v; },
  },
  {
    name: 'regex_stack', args: 'START MAX', doc: 'PCRE2 JIT stack sizes',
    handle: (u, a) => {
      const s = a.length === 3 ? looseUnsigned(a.word(1)) : undefined;
      const m = a.length === 3 ? looseUnsigned(a.word(2)) : undefined;
      if (s === undefined || m === undefined || s > m) return a.hint('invalid regex_stack - keepalived ignores it');
      u.regex_stack = { start: s, max: m };
    },
  },
];
export const urlBlock: BlockDef<UrlDraft> = defineBlock('url', urlKeywords, 'One URL an HTTP_GET/SSL_GET checker fetches');

/** keepalived's url_check(): path required, default status codes, regex options need a regex. */
function finishUrl(u: UrlDraft, a: Args): HttpUrl | undefined {
  if (u.path === undefined) {
    a.diags.error('HTTP/SSL_GET checker url has no path - ignoring', closePos(a));
    return undefined;
  }
  const codes = u.codes.size ? [...u.codes].sort((x, y) => x - y) : [];
  const status_code: [number, number][] = [];
  for (const c of codes) {
    const last = status_code[status_code.length - 1];
    if (last && last[1] === c - 1) last[1] = c;
    else status_code.push([c, c]);
  }
  const url: HttpUrl = { path: u.path, status_code: status_code.length ? status_code : [[200, 299]], regex_no_match: false, regex_options: [], pos: a.pos };
  if (u.digest !== undefined) url.digest = u.digest;
  if (u.virtualhost !== undefined) url.virtualhost = u.virtualhost;
  if (u.regex !== undefined) {
    url.regex = u.regex;
    url.regex_no_match = u.regex_no_match;
    url.regex_options = u.regex_options;
    if (u.regex_stack) url.regex_stack = u.regex_stack;
    const max = u.regex_max_offset;
    if (max !== undefined && (u.regex_min_offset ?? 0) > max) {
      a.hint('regex_min_offset is beyond regex_max_offset - keepalived ignores both');
    } else {
      if (u.regex_min_offset !== undefined) url.regex_min_offset = u.regex_min_offset;
      if (max !== undefined) url.regex_max_offset = max;
    }
  } else if (u.regex_no_match || u.regex_options.length || u.regex_min_offset !== undefined || u.regex_max_offset !== undefined || u.regex_stack) {
    a.hint('regex parameters specified without regex - keepalived ignores them');
  }
  return url;
}

type HttpDraft = Draft<HttpChecker>;

const httpKeywords: Keyword<HttpDraft>[] = [
  ...connectionKeywords<HttpDraft>(),
  ...timingKeywords<HttpDraft>(),
  { name: 'nb_get_retry', args: 'N', aliasOf: 'retry', deprecated: "nb_get_retry is deprecated - please use 'retry'", handle: () => {} },
  { name: 'virtualhost', args: 'HOST', doc: 'Host header (default: the real server\'s virtualhost)', handle: (c, a) => { const v = value(a, 'HTTP_GET virtualhost name missing'); if (v !== undefined) c.virtualhost = v; } },
  {
    name: 'http_protocol', args: '1.0|1.0C|1.1', doc: 'HTTP version of the request (1.0C: 1.0 with Connection: close)', default: '1.0',
    handle: (c, a) => {
      const v = value(a, 'Missing http_protocol version');
      if (v === undefined) return;
      if (v === '1.0' || v === '1.1') c.http_protocol = v;
      else if (v === '1.0C' || v === '1.0c') c.http_protocol = '1.0C';
      else a.error(`Invalid http_protocol version ${v}`, 1);
    },
  },
  { name: 'enable_sni', args: '[BOOL]', doc: 'Send the virtualhost as TLS SNI', handle: (c, a) => { const v = flag(a, `Invalid enable_sni parameter ${a.word(1)}`); if (v !== undefined) c.enable_sni = v; } },
  { name: 'fast_recovery', args: '[BOOL]', doc: 'One success brings the server back, whatever retry says', handle: (c, a) => { const v = flag(a, `Invalid fast_recovery parameter ${a.word(1)}`); if (v !== undefined) c.fast_recovery = v; } },
  {
    name: 'url', block: () => urlBlock as BlockDef<unknown>, doc: 'A URL to fetch (several allowed)',
    handle: (c, a, ctx) => {
      const u = walkChild(a, urlBlock, { codes: new Set<number>(), regex_no_match: false, regex_options: [] }, ctx);
      const url = finishUrl(u, a);
      if (url) c.url.push(url);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// UDP_CHECK.

/** read_hex_str(): pairs of hex digits, blanks between octets; 'x' wildcards when allowed. */
export function hexString(s: string, wildcards: boolean): string | undefined {
  let out = '';
  let i = 0;
  const nib = (c: string | undefined): string | undefined => {
    if (c === undefined) return undefined;
    if (HEX_NIBBLE.test(c)) return c.toLowerCase();
    if (wildcards && (c === 'x' || c === 'X')) return 'x';
    return undefined;
  };
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i >= s.length) break;
    const hi = nib(s[i++]);
    if (hi === undefined) return undefined;
    if (i < s.length && s[i] !== ' ') {
      const lo = nib(s[i++]);
      if (lo === undefined) return undefined;
      out += hi + lo;
    } else {
      out += '0' + hi;
    }
  }
  return out === '' ? undefined : out;
}

type UdpDraft = Draft<UdpChecker>;

const udpKeywords: Keyword<UdpDraft>[] = [
  ...connectionKeywords<UdpDraft>(),
  ...timingKeywords<UdpDraft>(),
  {
    name: 'payload', args: 'HEX ...', doc: 'Bytes to send',
    handle: (c, a) => {
      if (a.length === 1) return a.error('UDP_CHECK payload requires a payload');
      const h = hexString(a.rest(1).join(' '), false);
      if (h === undefined) a.error('Invalid hex string for UDP_CHECK payload');
      else c.payload = h;
    },
  },
  {
    name: 'require_reply', args: '[HEX ...]', doc: 'A reply is required; with HEX it must match (x: any nibble)',
    handle: (c, a) => {
      c.require_reply = true;
      if (a.length === 1) return;
      const h = hexString(a.rest(1).join(' '), true);
      if (h === undefined) a.error('Invalid hex string for UDP_CHECK reply');
      else c.reply = h;
    },
  },
  {
    name: 'min_reply_length', args: 'N', doc: 'Shortest acceptable reply', default: '0',
    handle: (c, a) => { const v = uint(a, 1, 0, 65535, `UDP_CHECK min length ${a.word(1)} not valid - must be between 0 & 65535`); if (v !== undefined) c.min_reply_length = v; },
  },
  {
    name: 'max_reply_length', args: 'N', doc: 'Longest acceptable reply', default: '255',
    handle: (c, a) => { const v = uint(a, 1, 0, 65535, `UDP_CHECK max length ${a.word(1)} not valid - must be between 0 & 65535`); if (v !== undefined) c.max_reply_length = v; },
  },
];

// ---------------------------------------------------------------------------------------------
// SMTP_CHECK, with the deprecated `host` sub-blocks (each becomes its own SMTP checker).

type SmtpDraft = Draft<SmtpChecker>;
type HostDraft = Connection & { touched?: boolean };

const hostKeywords: Keyword<HostDraft>[] = connectionKeywords<HostDraft>();
export const smtpHostBlock: BlockDef<HostDraft> = defineBlock('host', hostKeywords, 'Deprecated: one more server for an SMTP_CHECK');

const smtpKeywords: Keyword<SmtpDraft>[] = [
  { name: 'helo_name', args: 'NAME', doc: 'Name sent in HELO', default: 'smtpchecker.keepalived.org', handle: (c, a) => { const v = value(a, 'SMTP_CHECK helo name missing'); if (v !== undefined) c.helo_name = v; } },
  ...connectionKeywords<SmtpDraft>().map((k) => ({ ...k, handle: (c: SmtpDraft, a: Args, ctx: BuildContext) => { markSet(c, 'connection'); k.handle(c, a, ctx); } })),
  ...timingKeywords<SmtpDraft>(),
  {
    name: 'host', block: () => smtpHostBlock as BlockDef<unknown>, doc: 'Deprecated: use several SMTP_CHECK blocks',
    handle: (c, a, ctx) => {
      const { rs } = lvsScratch(ctx);
      // keepalived allocates a host's connection zeroed: without connect_timeout it is 0.
      const h = walkChild(a, smtpHostBlock, { ...connection(rs), connect_timeout: 0 }, ctx);
      if (!isSet(h, 'connect_timeout')) a.hint('host block without connect_timeout: keepalived 2.2.7 checks this host with a connect timeout of 0');
      markSet(h, 'connect_timeout');
      if (connectionOk(h, a)) (c.hosts ??= []).push(h);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// DNS_CHECK.

type DnsDraft = Draft<DnsChecker>;

/** keepalived rejects a leading '.' (other than "."), '..', and a dot as the second character. */
function dnsNameHasEmptyLabel(name: string): boolean {
  if (name[0] === '.' && name.length > 1) return true;
  for (let p = 0; p !== -1; p = name.indexOf('.', p + 1)) if (name[p + 1] === '.') return true;
  return false;
}

const dnsKeywords: Keyword<DnsDraft>[] = [
  ...connectionKeywords<DnsDraft>(),
  ...timingKeywords<DnsDraft>(),
  {
    name: 'type', args: DNS_TYPES.join('|'), doc: 'Query type', default: 'SOA',
    handle: (c, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      const t = DNS_TYPES.find((x) => x === w.toUpperCase());
      if (t) c.dns_type = t;
      else a.error(`Unknown DNS check type ${w} - ignoring`, 1);
    },
  },
  {
    name: 'name', args: 'DOMAIN', doc: 'Name to query', default: '(the root)',
    handle: (c, a) => {
      if (isSet(c, 'name')) return a.error('DNS_CHECK name already specified - ignoring');
      const w = a.need(1);
      if (w === undefined) return;
      if (dnsNameHasEmptyLabel(w)) return a.error(`DNS_CHECK name '${w}' has empty label - ignoring`, 1);
      c.name = w;
      markSet(c, 'name');
    },
  },
];

// ---------------------------------------------------------------------------------------------
// MISC_CHECK. A checker removed by `user` ignores the rest of its block, as keepalived does.

type MiscDraft = Omit<MiscChecker, 'misc_path'> & { misc_path?: ScriptSpec; removed?: boolean };

function unlessRemoved(k: Keyword<MiscDraft>): Keyword<MiscDraft> {
  return { ...k, handle: (c, a, ctx) => { if (!c.removed) k.handle(c, a, ctx); } };
}

const miscOwnKeywords: Keyword<MiscDraft>[] = [
  ...timingKeywords<MiscDraft>(),
  {
    name: 'misc_path', args: 'SCRIPT', doc: 'Script to run: exit 0 up, 1 down (2..255 with misc_dynamic: up, weight = code - 2)',
    handle: (c, a) => {
      const line = splitQuotedEscaped(a.stmt.raw);
      if (line.error) return a.error(line.error);
      const cmd = line.words[1];
      if (cmd === undefined) return;
      const argv = splitQuotedEscaped(cmd);
      if (argv.error) return a.error(argv.error);
      if (argv.words.length) c.misc_path = { command: cmd, argv: argv.words };
    },
  },
  {
    name: 'misc_timeout', args: 'SECS', doc: 'Script timeout in whole seconds (default: delay_loop)',
    handle: (c, a) => { const v = uint(a, 1, 0, Math.floor(UINT_MAX / 1e6), `Invalid misc_timeout value '${a.word(1)}'`); if (v !== undefined) { c.misc_timeout = v; markSet(c, 'misc_timeout'); } },
  },
  { name: 'misc_dynamic', doc: 'Exit codes 2..255 set the weight to code - 2', handle: (c) => { c.misc_dynamic = true; } },
  {
    name: 'user', args: 'USER [GROUP]', doc: 'Run the script as this user',
    handle: (c, a) => {
      if (a.length < 2) return a.error(`No user specified for misc checker script ${c.misc_path?.command ?? ''}`);
      const user = a.word(1)!;
      const group = a.word(2);
      if (!resolveUser(user, group)) {
        a.error(`Failed to set uid/gid for misc checker script ${c.misc_path?.command ?? ''} - removing`);
        c.removed = true;
        return;
      }
      c.user = group === undefined ? { user } : { user, group };
    },
  },
];
const miscKeywords = miscOwnKeywords.map(unlessRemoved);

// ---------------------------------------------------------------------------------------------
// FILE_CHECK and BFD_CHECK: their own small keyword sets.

type FileDraft = Omit<FileChecker, 'track_file'> & { track_file?: string };

const fileKeywords: Keyword<FileDraft>[] = [
  {
    name: 'track_file', args: 'NAME', doc: 'A track_file defined earlier in the configuration',
    handle: (c, a, ctx) => {
      const n = a.need(1);
      if (n === undefined) return;
      const t = ctx.config.track_files.find((f) => f.name === n);
      if (!t) return a.error(`track_file ${n} not found`, 1);
      c.track_file = n;
      if (!isSet(c, 'weight')) { c.weight = t.weight; c.weight_reverse = t.weight_reverse; }
    },
  },
  {
    name: 'weight', args: 'N [reverse|noreverse]', doc: 'Multiplier of the file\'s value (default: the track_file\'s)',
    handle: (c, a) => {
      if (a.length < 2) return a.error('track file weight missing');
      const w = int(a, 1, -INT32_MAX, INT32_MAX, `weight for track file must be in [${-INT32_MAX}..${INT32_MAX}] inclusive. Ignoring...`);
      if (w === undefined) return;
      let reverse = false;
      const opt = a.word(2);
      if (opt === 'reverse') reverse = true;
      else if (opt !== undefined && opt !== 'noreverse') return a.error(`unknown track file weight option ${opt} - ignoring`, 2);
      c.weight = w;
      c.weight_reverse = reverse;
      markSet(c, 'weight');
    },
  },
];

type BfdDraft = Omit<BfdChecker, 'name'> & { name?: string; removed?: boolean };

const bfdKeywords: Keyword<BfdDraft>[] = [
  {
    name: 'name', args: 'BFD_INSTANCE', doc: 'A bfd_instance defined earlier in the configuration',
    handle: (c, a, ctx) => {
      if (c.removed) return;
      const { vs, rs } = lvsScratch(ctx);
      const who = trio(rs.ip, vs.protocol, rs.port);
      const n = a.word(1);
      const fail = (m: string): void => { a.error(`(${who}) BFD_CHECK - ${m}`); c.removed = true; };
      if (a.length !== 2 || n === undefined) return fail('No or too many names specified - skipping checker');
      if (!ctx.config.bfd_instances.some((b) => b.name === n)) return fail(`BFD ${n} not configured`);
      if (c.name !== undefined) return fail(`BFD ${n} already specified as ${c.name}`);
      if (n.length >= 32) return fail(`BFD name ${n} too long`);
      if (rs.checkers.some((x) => x.type === 'BFD_CHECK' && x.name === n)) return fail(`RS already monitoring ${n}`);
      c.name = n;
    },
  },
  {
    name: 'alpha', args: '[BOOL]', doc: 'Start in the failed state until BFD reports up',
    handle: (c, a) => { if (c.removed) return; const v = flag(a, `Invalid alpha parameter ${a.word(1)}`); if (v !== undefined) { c.alpha = v; markSet(c, 'alpha'); } },
  },
];

// ---------------------------------------------------------------------------------------------
// The checker block table and the end-of-block handling (keepalived's *_end_handler).

export const checkerBlocks = {
  HTTP_GET: defineBlock<HttpDraft>('HTTP_GET', httpKeywords, 'HTTP health check'),
  SSL_GET: defineBlock<HttpDraft>('SSL_GET', httpKeywords, 'HTTPS health check'),
  TCP_CHECK: defineBlock<Draft<TcpChecker>>('TCP_CHECK', [...connectionKeywords<Draft<TcpChecker>>(), ...timingKeywords<Draft<TcpChecker>>()], 'TCP connect check'),
  PING_CHECK: defineBlock<Draft<PingChecker>>('PING_CHECK', [...connectionKeywords<Draft<PingChecker>>(), ...timingKeywords<Draft<PingChecker>>()], 'ICMP echo check'),
  UDP_CHECK: defineBlock<UdpDraft>('UDP_CHECK', udpKeywords, 'UDP request/reply check'),
  SMTP_CHECK: defineBlock<SmtpDraft>('SMTP_CHECK', smtpKeywords, 'SMTP HELO check'),
  DNS_CHECK: defineBlock<DnsDraft>('DNS_CHECK', dnsKeywords, 'DNS query check'),
  MISC_CHECK: defineBlock<MiscDraft>('MISC_CHECK', miscKeywords, 'Script check'),
  FILE_CHECK: defineBlock<FileDraft>('FILE_CHECK', fileKeywords, 'Weight from a track_file'),
  BFD_CHECK: defineBlock<BfdDraft>('BFD_CHECK', bfdKeywords, 'State from a BFD session'),
} satisfies Record<CheckerType, BlockDef<never>>;

/** A network checker's starting values (a literal: this runs once per checker). */
function netDraft(type: CheckerType, rs: RealServer, pos: Pos): Record<string, unknown> {
  return {
    type, alpha: false, retry: 1, delay_before_retry: 1, warmup: 0, delay_loop: 60, log_all_failures: false,
    connect_ip: rs.ip, connect_port: rs.port, connect_timeout: 5, pos,
  };
}

function newDraft(type: CheckerType, rs: RealServer, pos: Pos): Record<string, unknown> {
  switch (type) {
    case 'HTTP_GET':
    case 'SSL_GET': {
      const d = netDraft(type, rs, pos);
      d.http_protocol = '1.0';
      d.enable_sni = false;
      d.fast_recovery = false;
      d.url = [];
      return d;
    }
    case 'UDP_CHECK': {
      const d = netDraft(type, rs, pos);
      d.require_reply = false;
      d.min_reply_length = 0;
      d.max_reply_length = 255;
      return d;
    }
    case 'SMTP_CHECK': {
      const d = netDraft(type, rs, pos);
      d.helo_name = 'smtpchecker.keepalived.org';
      return d;
    }
    case 'DNS_CHECK': {
      const d = netDraft(type, rs, pos);
      d.dns_type = 'SOA';
      d.name = '';
      return d;
    }
    case 'MISC_CHECK':
      return { type, ...timingDefaults(), misc_timeout: 0, misc_dynamic: false, pos };
    case 'FILE_CHECK':
      return { type, weight: 0, weight_reverse: false, pos };
    case 'BFD_CHECK':
      return { type, alpha: false, pos };
    default:
      return netDraft(type, rs, pos);
  }
}

/** Finish a checker block; returns the checkers it yields (none when keepalived drops it). */
function finishChecker(d: Record<string, unknown>, a: Args, ctx: BuildContext): Checker[] {
  const c = d as unknown as Checker;
  const end = closePos(a);
  switch (c.type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      if (!c.url.length) {
        ctx.diags.error('HTTP/SSL_GET checker has no urls specified - ignoring', end);
        return [];
      }
      return connectionOk(c, a) ? [c] : [];
    case 'UDP_CHECK':
      if (!connectionOk(c, a)) return [];
      if (c.min_reply_length > c.max_reply_length) {
        ctx.diags.error(`UDP_CHECK min_reply length ${c.min_reply_length} > max_reply_length ${c.max_reply_length} - will always fail`, end);
      }
      return [c];
    case 'SMTP_CHECK':
      return finishSmtp(c as SmtpDraft, a, ctx);
    case 'DNS_CHECK':
    case 'TCP_CHECK':
    case 'PING_CHECK':
      return connectionOk(c, a) ? [c] : [];
    case 'MISC_CHECK': {
      const m = d as unknown as MiscDraft;
      if (m.removed) return [];
      if (!m.misc_path) {
        ctx.diags.error('No script path has been specified for MISC_CHECKER - skipping', end);
        return [];
      }
      if (!m.user && !defaultScriptUser(ctx, end)) {
        ctx.diags.error(`Unable to set default user for misc script ${m.misc_path.command} - removing`, end);
        return [];
      }
      return [c];
    }
    case 'FILE_CHECK':
      if (c.track_file === undefined) {
        ctx.diags.error('FILE_CHECK has no track_file specified - ignoring', end);
        return [];
      }
      return [c];
    case 'BFD_CHECK': {
      const b = d as unknown as BfdDraft;
      if (b.removed) return [];
      if (b.name === undefined) {
        const { vs, rs } = lvsScratch(ctx);
        ctx.diags.error(`(${trio(rs.ip, vs.protocol, rs.port)}) No name has been specified for BFD_CHECKER - skipping`, end);
        return [];
      }
      return [c];
    }
  }
}

/**
 * smtp_check_end_handler(): without connection keywords but with host blocks, the first host
 * replaces the checker's own connection; every other host becomes a copy of the checker.
 * connect_timeout is settled here from what the real/virtual server said so far.
 */
function finishSmtp(c: SmtpDraft, a: Args, ctx: BuildContext): Checker[] {
  const { vs, rs } = lvsScratch(ctx);
  const hosts = c.hosts ?? [];
  delete c.hosts;
  if (hosts.length) a.hint('The SMTP_CHECK host block is deprecated. Please define additional checkers.');
  const conns: Connection[] = [];
  if (isSet(c, 'connection') || !hosts.length) {
    if (!connectionOk(c, a)) return [];
    conns.push(c);
  }
  conns.push(...hosts);
  const timeout = isSet(rs, 'connect_timeout') ? rs.connect_timeout : vs.connect_timeout;
  const out: Checker[] = [];
  for (const conn of conns) {
    const copy: SmtpChecker = { ...c, ...pickConnection(conn) };
    if (!isSet(conn, 'connect_timeout')) copy.connect_timeout = timeout; // only the checker's own
    markSet(copy, 'connect_timeout');
    for (const k of ['alpha', 'retry', 'delay_before_retry', 'warmup', 'delay_loop']) if (isSet(c, k)) markSet(copy, k);
    out.push(copy);
  }
  return out;
}

function pickConnection(c: Connection): Connection {
  const o: Connection = { connect_ip: c.connect_ip, connect_port: c.connect_port, connect_timeout: c.connect_timeout };
  if (c.bindto !== undefined) o.bindto = c.bindto;
  if (c.bind_port !== undefined) o.bind_port = c.bind_port;
  if (c.bind_if !== undefined) o.bind_if = c.bind_if;
  if (c.fwmark !== undefined) o.fwmark = c.fwmark;
  return o;
}

/** The real_server keywords that open checker blocks. */
export function checkerKeywords(): Keyword<RealServer>[] {
  return (Object.keys(checkerBlocks) as CheckerType[]).map((type): Keyword<RealServer> => {
    const block = checkerBlocks[type] as BlockDef<Record<string, unknown>>;
    return {
      name: type,
      block: () => block as BlockDef<unknown>,
      doc: block.doc,
      ...(type === 'BFD_CHECK' ? { support: 'not-yet' as const, note: 'BFD' } : {}),
      handle: (rs, a, ctx) => {
        const d = walkChild(a, block, newDraft(type, rs, a.pos), ctx);
        rs.checkers.push(...finishChecker(d, a, ctx));
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The top-level SSL block (the context SSL_GET checkers use).

type SslKey = keyof SslConfig;

function sslFile(key: SslKey, what: string): Keyword<SslConfig> {
  return {
    name: key, args: key === 'password' ? 'STRING' : 'FILE',
    handle: (s, a) => {
      if (a.length < 2) return a.error(`SSL ${what} missing`);
      if (s[key] !== undefined) a.error(`SSL ${what} already specified - replacing`);
      s[key] = a.word(1)!;
    },
  };
}

export const sslBlock: BlockDef<SslConfig> = defineBlock('SSL', [
  { ...sslFile('password', 'password'), doc: 'Password of the private key' },
  { ...sslFile('ca', 'cafile'), doc: 'CA certificate file' },
  { ...sslFile('certificate', 'certfile'), doc: 'Client certificate file' },
  { ...sslFile('key', 'keyfile'), doc: 'Private key file' },
], 'TLS context for SSL_GET checkers');

/** The SSL root keyword: a second SSL block replaces the first, as keepalived does. */
export function readSslBlock(config: Config, a: Args, ctx: BuildContext): void {
  if (config.ssl) a.error('SSL context already specified - replacing');
  config.ssl = walkChild(a, sslBlock, {}, ctx);
}

// ---------------------------------------------------------------------------------------------
// Defaults that depend on the real server, settled once the whole file is read.

export function resolveCheckerDefaults(c: Checker, rs: RealServer): void {
  if (c.type === 'FILE_CHECK') return;
  if (!isSet(c, 'alpha')) c.alpha = rs.alpha;
  if (c.type === 'BFD_CHECK') return;
  const d = checkerDefaults(c);
  if (!isSet(c, 'retry')) c.retry = rs.retry ?? d.retry;
  if ('connect_timeout' in c && !isSet(c, 'connect_timeout')) c.connect_timeout = rs.connect_timeout;
  if (!isSet(c, 'delay_loop')) c.delay_loop = rs.delay_loop;
  if (!isSet(c, 'warmup')) c.warmup = rs.warmup ?? c.delay_loop;
  if (!isSet(c, 'delay_before_retry')) c.delay_before_retry = rs.delay_before_retry ?? (d.delay_before_retry || c.delay_loop);
  if (c.type === 'MISC_CHECK' && !isSet(c, 'misc_timeout')) c.misc_timeout = c.delay_loop;
}
