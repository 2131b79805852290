// Address, route and rule lines: static_ipaddress / virtual_ipaddress / virtual_ipaddress_excluded,
// static_routes / virtual_routes, static_rules / virtual_rules.
//
// Each line is read word by word the way keepalived 2.2.7 reads it (alloc_ipaddress, alloc_route,
// alloc_rule), with the same messages, the same "drop the line" decisions and the same quirks that
// change whether `keepalived -t` passes (e.g. "inet"/"inet6" also swallow the following word).
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import type { Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import type { BuildContext } from '../schema.js';
import { strtoul } from '../cnum.js';

export type Family = 'inet' | 'inet6';

export interface AddressEntry {
  /** "ADDR/PREFIX" (prefix defaults to 32 / 128; with `peer` it is the peer's prefix). */
  address: string;
  family: Family;
  dev?: string;
  /** IPv4 broadcast to set: as written, or computed from `brd +` / `brd -`. */
  broadcast?: string;
  /** ifa_scope as a number (global 0, site 200, link 253, host 254, nowhere 255). IPv4 only. */
  scope?: number;
  /** IPv4 only, at most 15 characters. */
  label?: string;
  /** Point-to-point peer address. */
  peer?: string;
  home: boolean;
  /** `-nodad`: keep duplicate address detection (keepalived sets IFA_F_NODAD on IPv6 otherwise). */
  dad: boolean;
  mngtmpaddr: boolean;
  noprefixroute: boolean;
  autojoin: boolean;
  /** Seconds or 'forever'. IPv6 default: 0 (deprecated) for a /128, forever otherwise. */
  preferred_lft?: number | 'forever';
  no_track: boolean;
  /** VIP/eVIP only: put the address on a VMAC (keepalived's sanity checks: checkInstanceAddresses). */
  use_vmac: boolean;
  /** static_ipaddress only. */
  track_group?: string;
  pos?: Pos;
}

export type RouteType =
  | 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable'
  | 'prohibit' | 'throw' | 'nat' | 'xresolve';

export type RouteEncap =
  | { type: 'mpls'; labels: number[] }
  | { type: 'ip' | 'ip6'; id?: string; dst?: string; src?: string; tos?: number; ttl?: number; flags?: number }
  | { type: 'ila'; locator: string };

export interface RouteNexthop {
  via?: string;
  dev?: string;
  /** 1..256 as written. */
  weight?: number;
  onlink: boolean;
  realms?: number;
  encap?: RouteEncap;
}

export interface RouteEntry {
  /** Destination "ADDR/PREFIX" ("default" -> 0.0.0.0/0 or ::/0). */
  to: string;
  family: Family;
  /** Route type name, or its number when it has none. */
  type: RouteType | number;
  table: number;
  /** Source prefix ("from", IPv6 only). */
  from?: string;
  /** Preferred source address ("src"). */
  src?: string;
  via?: string;
  dev?: string;
  metric?: number;
  scope?: number;
  /** 18 (keepalived) whenever the route is tracked. */
  protocol?: number;
  tos?: number;
  onlink: boolean;
  encap?: RouteEncap;
  expires?: number;
  mtu?: number;
  hoplimit?: number;
  advmss?: number;
  /** Kernel units (1/8 ms), as keepalived sends it. */
  rtt?: number;
  /** Kernel units (1/4 ms). */
  rttvar?: number;
  reordering?: number;
  window?: number;
  cwnd?: number;
  ssthresh?: number;
  /** (FROM << 16) | TO. */
  realms?: number;
  /** Milliseconds. */
  rto_min?: number;
  initcwnd?: number;
  initrwnd?: number;
  features_ecn: boolean;
  quickack?: number;
  congctl?: string;
  /** IPv6 router preference: low, medium, high or a number. */
  pref?: 'low' | 'medium' | 'high' | number;
  ttl_propagate?: boolean;
  fastopen_no_cookie?: boolean;
  /** Metrics given with "lock" (mtu, advmss, rtt, rttvar, reordering, cwnd, ssthresh, rto_min, congctl). */
  lock: string[];
  /** How the route is added: keepalived's default is prepend. */
  mode: 'prepend' | 'add' | 'append';
  nexthops: RouteNexthop[];
  vrf?: string;
  no_track: boolean;
  track_group?: string;
  pos?: Pos;
}

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

export interface RuleEntry {
  family: Family;
  from?: string;
  to?: string;
  not: boolean;
  /** Always set: when not given keepalived assigns 16384, 16383, ... per family (and complains). */
  preference: number;
  action: RuleAction;
  table?: number;
  goto?: number;
  l3mdev: boolean;
  tos?: number;
  fwmark?: number;
  fwmask?: number;
  realms?: number;
  suppress_prefixlength?: number;
  suppress_ifgroup?: number;
  iif?: string;
  oif?: string;
  /** u64 as a decimal string. */
  tunnel_id?: string;
  uidrange?: { start: number; end: number };
  /** 18 (keepalived) whenever the rule is tracked. */
  protocol?: number;
  ipproto?: number;
  sport?: { start: number; end: number };
  dport?: { start: number; end: number };
  no_track: boolean;
  track_group?: string;
  pos?: Pos;
}

// ---------------------------------------------------------------------------------------------
// C number parsing as keepalived does it (strtoul/strtol and read_unsigned/read_int messages).
// Exported for trackers.ts; these belong in args.ts eventually.

const WS = ' \t\n\v\f\r';
const U32_MAX = 0xffffffff;
const INT_MAX = 0x7fffffff;
const INT_MIN = -0x80000000;

export { strtoul };

export type Report = (msg: string) => void;

/** keepalived's read_unsigned: returns the value, or undefined after reporting. */
export function readUnsigned(w: string, min: number, max: number, report: Report, base = 10): number | undefined {
  let off = 0;
  while (off < w.length && WS.includes(w[off]!)) off++;
  const r = strtoul(w.slice(off), base);
  const endChar = r.end === 0 ? w[off] : w[off + r.end];
  if (w[off] === '-') report(`negative number '${w}'`);
  else if (endChar !== undefined) report(`invalid number '${w}'`);
  else if (r.overflow || r.value > BigInt(U32_MAX)) report(`number '${w}' outside unsigned integer range`);
  else if (Number(r.value) < min || Number(r.value) > max) report(`number '${w}' outside range [${min}, ${max}]`);
  else return Number(r.value);
  return undefined;
}

/** keepalived's read_unsigned64; the value as a decimal string (JSON has no u64). */
export function readUnsigned64(w: string, report: Report): string | undefined {
  let off = 0;
  while (off < w.length && WS.includes(w[off]!)) off++;
  const r = strtoul(w.slice(off), 10);
  const endChar = r.end === 0 ? w[off] : w[off + r.end];
  if (w[off] === '-') report(`negative number '${w}'`);
  else if (endChar !== undefined) report(`invalid number '${w}'`);
  else if (r.overflow) report(`number '${w}' outside unsigned 64 bit range`);
  else return r.value.toString();
  return undefined;
}

const LONG_MAX = 0x7fffffffffffffffn;
const LONG_MIN = -0x8000000000000000n;

/** C's strtol (base 10): the value (clamped to long), whether it used the whole word, overflow. */
function strtol(w: string): { value: bigint; whole: boolean; overflow: boolean } {
  let i = 0;
  while (i < w.length && WS.includes(w[i]!)) i++;
  const m = /^[+-]?[0-9]+/.exec(w.slice(i));
  if (!m) return { value: 0n, whole: w.length === 0, overflow: false };
  let big = BigInt(m[0]);
  const overflow = big > LONG_MAX || big < LONG_MIN;
  if (big > LONG_MAX) big = LONG_MAX;
  if (big < LONG_MIN) big = LONG_MIN;
  return { value: big, whole: i + m[0].length === w.length, overflow };
}

/** keepalived's read_int (base 10). */
export function readIntC(w: string, min: number, max: number, report: Report): number | undefined {
  const r = strtol(w);
  const v = Number(r.value);
  if (!r.whole) report(`invalid number '${w}'`);
  else if (r.overflow || v < INT_MIN || v > INT_MAX) report(`number '${w}' outside integer range`);
  else if (v < min || v > max) report(`number '${w}' outside range [${min}, ${max}]`);
  else return v;
  return undefined;
}

/** The int keepalived keeps from read_int's strtol even when it rejected the value ((int) cast). */
export function intAsStored(w: string): number {
  return Number(BigInt.asIntN(32, strtol(w).value));
}

/**
 * keepalived's read_decimal_unsigned: a decimal with up to `shift` places, returned scaled by
 * 10^shift. Too many places is reported but the rounded value is still used.
 */
export function readDecimalC(w: string, min: number, max: number, shift: number, report: Report): number | undefined {
  if (w.startsWith('-')) {
    report(`negative number '${w}'`);
    return undefined;
  }
  const dp = w.indexOf('.');
  let numDp = dp >= 0 ? w.length - dp - 1 : 0;
  let roundUp = false;
  if (numDp > shift) {
    report(`number '${w}' has too many decimal places`);
    roundUp = (w[dp + shift + 1] ?? '') >= '5';
    numDp = shift;
  }
  const digits = (dp >= 0 ? w.slice(0, dp) + w.slice(dp + 1, dp + 1 + numDp) : w) + '0'.repeat(shift - numDp);
  const r = strtoul(digits, 10);
  const whole = r.end === 0 ? digits.length === 0 : r.end === digits.length;
  const v = r.value + (roundUp ? 1n : 0n);
  if (!whole) report(`invalid number '${w}'`);
  else if (r.overflow) {
    report(`number '${w}' outside unsigned decimal range`);
    return undefined;
  } else if (v < BigInt(min) || v > BigInt(max)) {
    const scale = 10 ** shift;
    const fmt = (x: number): string => `${Math.floor(x / scale)}.${shift ? String(x % scale).padStart(shift, '0') : ''}`;
    report(`number '${w}' outside range [${fmt(min)}, ${fmt(max)}]`);
  } else return Number(v);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// /etc/iproute2 name tables (keepalived's rttables.c): a number, or a name from the file, or a
// built-in default. Read once per process.

interface RtTable {
  file: string;
  max: number;
  defaults: readonly [number, string][];
  entries?: [number, string][];
}

const rtTables = {
  table: { file: 'rt_tables', max: U32_MAX, defaults: [[253, 'default'], [254, 'main'], [255, 'local']] } as RtTable,
  dsfield: { file: 'rt_dsfield', max: 255, defaults: [] } as RtTable,
  realms: { file: 'rt_realms', max: 255, defaults: [] } as RtTable,
  protos: {
    file: 'rt_protos', max: 255,
    defaults: [[0, 'none'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'], [9, 'ra'],
      [10, 'mrt'], [11, 'zebra'], [12, 'bird'], [42, 'babel'], [13, 'dnrouted'], [14, 'xorp'], [15, 'ntk'], [16, 'dhcp']],
  } as RtTable,
  group: { file: 'group', max: INT_MAX, defaults: [] } as RtTable,
  scopes: { file: 'rt_scopes', max: 255, defaults: [[0, 'global'], [255, 'nowhere'], [254, 'host'], [253, 'link'], [200, 'site']] } as RtTable,
};

/** Where keepalived 2.2.7 reads the tables (not configurable in 2.2.7). Tests may change it. */
export const iproute2 = { dir: '/etc/iproute2/' };

function loadRtTable(t: RtTable): [number, string][] {
  if (t.entries) return t.entries;
  const out: [number, string][] = [];
  let text = '';
  try {
    text = readFileSync(iproute2.dir + t.file, 'utf8');
  } catch {
    // keepalived silently uses only the defaults.
  }
  for (const line of text.split('\n')) {
    const words = line.split(/[ \t\r\f\v]+/).filter((x) => x !== '');
    if (words.length !== 2) continue;
    const num = words[0]!;
    const r = strtoul(num, 0);
    if (num.startsWith('-') || r.end === 0 || r.end !== num.length || r.value > BigInt(t.max)) continue;
    out.push([Number(r.value), words[1]!]);
  }
  for (const [id, name] of t.defaults) if (!out.some(([i]) => i === id)) out.push([id, name]);
  t.entries = out;
  return out;
}

/** keepalived's find_entry: a number (any C base) up to max, or a name in the table. */
function rtLookup(t: RtTable, name: string): number | undefined {
  const r = strtoul(name, 0);
  if (r.end !== 0 && r.end === name.length) {
    const id = Number(r.value & 0xffffffffn);
    return id <= t.max ? id : undefined;
  }
  return loadRtTable(t).find(([, n]) => n === name)?.[0];
}

const RTN_TYPES: readonly [string, number][] = [
  ['local', 2], ['nat', 10], ['broadcast', 3], ['brd', 3], ['anycast', 4], ['multicast', 5], ['prohibit', 8],
  ['unreachable', 7], ['blackhole', 6], ['xresolve', 11], ['unicast', 1], ['throw', 9],
];
const RTN_NAMES: Record<number, RouteType> = {
  1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast', 6: 'blackhole', 7: 'unreachable',
  8: 'prohibit', 9: 'throw', 10: 'nat', 11: 'xresolve',
};

/** keepalived's find_rttables_rtntype: a type name, or a number 0..255. */
function routeType(w: string): number | undefined {
  const named = RTN_TYPES.find(([n]) => n === w);
  if (named) return named[1];
  const r = strtoul(w, 0);
  const whole = r.end === 0 ? w.length === 0 : r.end === w.length;
  if (!whole || r.value > 255n || w.startsWith('-')) return undefined;
  return Number(r.value);
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** glibc inet_pton: strict dotted quad for IPv4, no zone id for IPv6. */
function pton(family: Family, s: string): boolean {
  return family === 'inet' ? isIPv4(s) : isIPv6(s) && !s.includes('%');
}

interface ParsedIp {
  family: Family;
  addr: string;
  prefix: number;
}

/** keepalived's parse_ipaddress: family from ':', optional /PREFIX, reported as keepalived does. */
function parseIp(a: Args, i: number, str: string, allowPrefix: boolean): ParsedIp | undefined {
  const family: Family = str.includes(':') ? 'inet6' : 'inet';
  const full = family === 'inet' ? 32 : 128;
  let prefix = full;
  let addr = str;
  const slash = allowPrefix ? str.indexOf('/') : -1;
  if (slash >= 0) {
    const p = str.slice(slash + 1);
    const v = readUnsigned(p, 0, full, (m) => a.error(m, i));
    if (v === undefined) a.error(`Invalid address prefix len ${p} for address ${str} - using ${full}`, i);
    else prefix = v;
    addr = str.slice(0, slash);
  }
  if (!pton(family, addr)) {
    a.error(`VRRP parsed invalid IP ${str}. skipping IP...`, i);
    return undefined;
  }
  return { family, addr, prefix };
}

/** keepalived's parse_route: parse_ipaddress plus default/any/all (family unknown) and default6. */
function parseRoutePrefix(a: Args, i: number, str: string): { family?: Family; addr?: string; prefix: number } | undefined {
  if (str === 'default' || str === 'any' || str === 'all') return { prefix: 0 };
  if (str === 'default6') {
    a.hint(`'default6' is deprecated - please replace with 'inet6 default'`, i);
    return { family: 'inet6', prefix: 0 };
  }
  return parseIp(a, i, str, true);
}

function prefixText(p: { family?: Family; addr?: string; prefix: number }, family: Family): string {
  if (p.addr === undefined) return family === 'inet' ? '0.0.0.0/0' : '::/0';
  return `${p.addr}/${p.prefix}`;
}

function dynamicInterfaces(ctx: BuildContext): boolean {
  return !!ctx.config.global_defs.dynamic_interfaces;
}

/**
 * keepalived's if_get_by_ifname(IF_CREATE_IF_DYNAMIC): an interface that does not exist is an
 * error unless global_defs has dynamic_interfaces. A missing one also makes keepalived stop
 * after reading the file ("Non-existent interface specified in configuration"), skipping every
 * post-parse check; that is recorded in ctx.scratch.nonExistentInterface.
 */
export function interfaceKnown(name: string, ctx: BuildContext, pos?: Pos): boolean {
  if (ctx.interfaceExists(name)) return true;
  if (dynamicInterfaces(ctx)) {
    // keepalived creates a placeholder on first mention, so it says this once per interface.
    const seen = (ctx.scratch.dynamicInterfacesNoted ??= new Set<string>()) as Set<string>;
    if (!seen.has(name)) {
      seen.add(name);
      ctx.diags.notice(`Configuration specifies interface ${name} which doesn't currently exist - will use if created`, pos);
    }
    return true;
  }
  markNonExistentInterface(ctx, pos);
  return false;
}

/** Record a missing interface; the first one's position is where keepalived's summary points. */
export function markNonExistentInterface(ctx: BuildContext, pos?: Pos): void {
  ctx.scratch.nonExistentInterface = true;
  if (pos && !ctx.scratch.nonExistentInterfacePos) ctx.scratch.nonExistentInterfacePos = pos;
}

/** Where the first missing interface was named (keepalived's summary line has none). */
export function nonExistentInterfacePos(ctx: BuildContext): Pos | undefined {
  return ctx.scratch.nonExistentInterfacePos as Pos | undefined;
}

/** True when keepalived would stop after parsing because an interface does not exist. */
export function nonExistentInterfaceSeen(ctx: BuildContext): boolean {
  return ctx.scratch.nonExistentInterface === true;
}

function ipv4ToInt(s: string): number {
  return s.split('.').reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}
function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A static track_group must be declared before the line that uses it (keepalived looks it up then). */
function trackGroupKnown(ctx: BuildContext, name: string): boolean {
  return ctx.config.track_groups.some((g) => g.name === name);
}

const IFNAMSIZ = 16;

/** Parse one address line; `kind` says where it appears (static, vip, evip). */
export function parseAddressLine(a: Args, kind: 'static' | 'vip' | 'evip', ctx: BuildContext): AddressEntry | undefined {
  const isStatic = kind === 'static';
  const first = a.word(0)!;
  const ip = parseIp(a, 0, first, true);
  if (!ip) return undefined;
  const e: AddressEntry = {
    address: '', family: ip.family, home: false, dad: false, mngtmpaddr: false, noprefixroute: false,
    autojoin: false, no_track: false, use_vmac: false, pos: a.pos,
  };
  let prefix = ip.prefix;
  let brd: '+' | '-' | undefined;
  let haveBroadcast = false;
  let peer: string | undefined;
  let missing: string | undefined;
  const n = a.length;
  let i = 1;
  for (; i < n; i++) {
    const w = a.word(i)!;
    const avail = i + 1 < n;
    if (w === 'dev') {
      if (!avail) { missing = w; break; }
      if (e.dev !== undefined) {
        a.error(`Cannot specify ipaddress device more than once for ${first}`, i);
        return undefined;
      }
      const d = a.word(++i)!;
      if (!interfaceKnown(d, ctx, a.posOf(i))) {
        a.error(`WARNING - interface ${d} for ip address ${first} doesn't exist`, i);
        return undefined;
      }
      e.dev = d;
    } else if (w === 'scope') {
      if (!avail) { missing = w; break; }
      const v = rtLookup(rtTables.scopes, a.word(++i)!);
      if (v === undefined) a.error(`Invalid scope '${a.word(i)}' specified for ${first} - ignoring`, i);
      else e.scope = v;
    } else if (w === 'broadcast' || w === 'brd') {
      if (!avail) { missing = w; break; }
      if (e.family === 'inet6') {
        a.error(`VRRP is trying to assign a broadcast ${w} to the IPv6 address ${first} !!?? WTF... skipping VIP...`, i);
        return undefined;
      }
      haveBroadcast = true;
      const p = a.word(++i)!;
      if (p === '-' || p === '+') brd = p;
      else if (!isIPv4(p)) {
        a.error(`VRRP is trying to assign invalid broadcast ${p}. skipping VIP...`, i);
        return undefined;
      } else e.broadcast = p;
    } else if (w === 'label') {
      if (!avail) { missing = w; break; }
      const l = a.word(++i)!;
      if (l.length >= IFNAMSIZ) {
        a.error(`Address label ${l} is longer than maximum length ${IFNAMSIZ - 1} - removing address`, i);
        return undefined;
      }
      e.label = l;
    } else if (w === 'peer') {
      if (!avail) { missing = w; break; }
      const p = a.word(++i)!;
      if (peer !== undefined) {
        // keepalived then reads the value again as an option (and reports it as unknown).
        a.error(`Peer ${p} - another peer has already been specified`, i);
        i--;
        continue;
      }
      const pp = parseIp(a, i, p, false);
      if (!pp) a.error(`Invalid peer address ${p}`, i);
      else if (pp.family !== e.family) a.error(`Peer address ${p} does not match address family`, i);
      else {
        if (prefix !== (e.family === 'inet' ? 32 : 128)) a.error('Cannot specify address prefix when specifying peer address - ignoring', i);
        peer = pp.addr;
        prefix = pp.prefix;
      }
    } else if (w === 'home') e.home = true;
    else if (w === '-nodad') e.dad = true;
    else if (w === 'mngtmpaddr') e.mngtmpaddr = true;
    else if (w === 'noprefixroute') e.noprefixroute = true;
    else if (w === 'autojoin') e.autojoin = true;
    else if (w === 'no_track') e.no_track = true;
    else if (w === 'preferred_lft') {
      if (!avail) { missing = w; break; }
      const v = a.word(++i)!;
      if (v === 'forever') e.preferred_lft = 'forever';
      else {
        const x = readUnsigned(v, 0, U32_MAX, (m) => a.error(m, i));
        if (x === undefined) a.error(`preferred_lft ${v} is invalid`, i);
        else e.preferred_lft = x;
      }
    } else if (isStatic && w === 'track_group') {
      if (!avail) { missing = w; break; }
      const g = a.word(++i)!;
      if (e.track_group !== undefined) {
        // keepalived stops reading the line here but keeps the address.
        a.error(`track_group ${g} is a duplicate`, i);
        break;
      }
      if (trackGroupKnown(ctx, g)) e.track_group = g;
      else a.error(`track_group ${g} not found`, i);
    } else if (!isStatic && w === 'use_vmac') e.use_vmac = true;
    else a.error(`Unknown configuration entry '${w}' for ip address - ignoring`, i);
  }
  if (missing !== undefined) {
    a.error(`No ${missing} parameter specified for ${first}`, i);
    return undefined;
  }

  if (haveBroadcast && peer !== undefined) {
    a.error('Cannot specify broadcast and peer addresses - ignoring broadcast address');
    delete e.broadcast;
  } else if (brd !== undefined && prefix <= 30) {
    const mask = prefix === 0 ? 0xffffffff : (0xffffffff >>> prefix);
    const base = ipv4ToInt(ip.addr);
    e.broadcast = intToIpv4(brd === '+' ? (base | mask) >>> 0 : (base & ~mask) >>> 0);
  } else if (brd !== undefined) a.error(`Address prefix length ${prefix} too long for broadcast`);

  if (isStatic && e.dev === undefined) {
    const ifname = ctx.config.global_defs.default_interface || 'eth0';
    if (!interfaceKnown(ifname, ctx, a.pos)) {
      ctx.diags.fatal(`Static address ${first} requires either an interface or default interface must exist`, a.pos);
      return undefined;
    }
    e.dev = ifname;
  }

  if (e.family === 'inet6') {
    if (e.scope) {
      a.error(`Cannot specify scope for IPv6 addresses (${first}) - ignoring scope`);
      delete e.scope;
    }
    if (e.label !== undefined) {
      a.error(`Cannot specify label for IPv6 addresses (${first}) - ignoring label`);
      delete e.label;
    }
    if (e.preferred_lft === undefined) e.preferred_lft = prefix === 128 ? 0 : 'forever';
  }
  e.address = `${ip.addr}/${prefix}`;
  if (peer !== undefined) e.peer = peer;
  return e;
}

/** The instance facts checkInstanceAddresses needs. */
export interface InstanceAddressContext {
  name: string;
  /** The instance's interface (undefined in unicast mode without one). */
  interface?: string;
  /** The instance's address family (from its first VIP). */
  family?: Family;
  use_vmac: boolean;
  use_vmac_addr: boolean;
}

/**
 * What keepalived checks on each VIP/eVIP once the enclosing instance is complete
 * (vrrp_complete_instance): use_vmac is dropped (with an error) when the instance itself uses a
 * VMAC for that address, or when use_vmac_addr is set; an address with no interface of its own
 * and none from the instance is removed. Returns the addresses kept; the vrrp helper calls it for
 * virtual_ipaddress ('vip') and virtual_ipaddress_excluded ('evip') from validateVrrp.
 */
export function checkInstanceAddresses(inst: InstanceAddressContext, list: AddressEntry[], kind: 'vip' | 'evip', ctx: BuildContext): AddressEntry[] {
  const kept: AddressEntry[] = [];
  for (const e of list) {
    const shown = shownAddress(e);
    if (e.use_vmac) {
      const sameIf = e.dev === undefined || e.dev === inst.interface;
      e.use_vmac = false;
      if (sameIf && inst.use_vmac && e.family === inst.family) {
        ctx.diags.error(`(${inst.name}) use_vmac specified for VIP/eVIP ${shown} and vrrp instance`, e.pos);
      } else if ((!sameIf || e.family !== inst.family) && inst.use_vmac_addr) {
        ctx.diags.error(`(${inst.name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP ${shown}`, e.pos);
      } else e.use_vmac = true;
    }
    if (e.dev === undefined && inst.interface === undefined) {
      ctx.diags.error(`(${inst.name}): no interface for ${kind === 'vip' ? '' : 'e'}vip ${shown} - removing`, e.pos);
      continue;
    }
    kept.push(e);
  }
  return kept;
}

/** An address as keepalived prints it (ipaddresstos): the prefix only when not a host address. */
export function shownAddress(e: AddressEntry): string {
  const [addr, prefix] = e.address.split('/');
  const full = e.family === 'inet' ? '32' : '128';
  return prefix === full ? addr! : e.address;
}

// ---------------------------------------------------------------------------------------------
// Routes and rules: a word cursor with keepalived's strvec_slot semantics.

/** keepalived stops reading the whole file when a line lacks a parameter; keel drops the line. */
class MissingParameter extends Error {}

class Words {
  readonly a: Args;
  readonly n: number;
  constructor(a: Args) {
    this.a = a;
    this.n = a.length;
  }
  /** Word i; a missing one is keepalived's fatal "missing a parameter". */
  at(i: number): string {
    const w = this.a.word(i);
    if (w !== undefined) return w;
    const after = i > 0 && i - 1 < this.n ? ` after keyword '${this.a.word(i - 1)}'` : '';
    this.a.diags.abort(`Configuration line starting '${this.a.word(0)}' is missing a parameter${after} at word position ${i + 1}`, this.a.pos);
    throw new MissingParameter();
  }
}

/** A line that keepalived drops (after its message was reported). */
class Drop extends Error {}

const RTT_MIN_MS = 200;
const RTT_MAX_MS = 120000;

/** keepalived's get_time_rtt: "N" (kernel units), "Ns", "Nms"; clamped to 0.2s..120s. */
function timeRtt(w: string, unit: number, report: Report): number | undefined {
  let s = w.replace(/^[ \t\n\v\f\r]+/, '');
  let raw = true;
  let shift = 0;
  const p = s.search(/[sS]/);
  if (p >= 0) {
    const tail = s.slice(p).toLowerCase();
    if (tail !== 's' && tail !== 'sec' && tail !== 'secs') return undefined;
    raw = false;
    let cut = p;
    if (p > 0 && s[p - 1]!.toLowerCase() === 'm') cut = p - 1;
    else shift = 3;
    if (cut === 0) return undefined;
    s = s.slice(0, cut);
  }
  if (/[eE]/.test(s)) return undefined;
  let v = readDecimalC(s, 0, RTT_MAX_MS * unit, shift, report);
  if (v === undefined) return undefined;
  if (!raw) v *= unit;
  if (v > RTT_MAX_MS * unit) v = RTT_MAX_MS * unit;
  else if (v < RTT_MIN_MS * unit) v = RTT_MIN_MS * unit;
  return v;
}

/** keepalived's get_realms: REALM or FROM/TO, each a number or an rt_realms name. */
function realms(w: string): number | undefined {
  const slash = w.indexOf('/');
  const a = rtLookup(rtTables.realms, slash >= 0 ? w.slice(0, slash) : w);
  if (a === undefined) return undefined;
  if (slash < 0) return a;
  const b = rtLookup(rtTables.realms, w.slice(slash + 1));
  return b === undefined ? undefined : ((a << 16) | b) >>> 0;
}

/** get_u8/get_u16/get_u32: read_unsigned's message, then the caller's. */
function getU(ws: Words, i: number, max: number, msg: string): number | undefined {
  const w = ws.at(i);
  const v = readUnsigned(w, 0, max, (m) => ws.a.error(m, i));
  if (v === undefined) ws.a.error(msg.replace('%s', w), i);
  return v;
}

/** keepalived's parse_mpls_address: up to 2 labels (< 2^20) separated by '/'. */
function mplsLabels(w: string): number[] | undefined {
  const out: number[] = [];
  let s = w.replace(/^[ \t\n\v\f\r]+/, '');
  for (let count = 0; count < 2; count++) {
    if (s.startsWith('-') || /^[ \t\n\v\f\r]/.test(s)) return undefined;
    const r = strtoul(s, 0);
    if (r.end === 0 || r.value > 0xfffffn) return undefined;
    out.push(Number(r.value));
    const rest = s.slice(r.end);
    if (rest === '') return out;
    if (rest[0] !== '/') return undefined;
    s = rest.slice(1);
  }
  return undefined;
}

/** keepalived's get_addr64: four ':'-separated hex groups (an ILA locator). */
function addr64(w: string): boolean {
  return /^[ \t\n\v\f\r]*[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{1,4}){3}$/.test(w) || /^[ \t\n\v\f\r]*(0*[0-9a-fA-F]{1,4}:){3}0*[0-9a-fA-F]{1,4}$/.test(w);
}

/** The ip / ip6 encapsulation options (keepalived's parse_encap_ip / parse_encap_ip6). */
function encapIp(ws: Words, i: number, type: 'ip' | 'ip6', set: (e: RouteEncap) => void): number {
  const a = ws.a;
  const six = type === 'ip6';
  const enc: RouteEncap = { type };
  set(enc);
  const fail = (msg: string, at: number): number => {
    a.error(msg, at);
    delete enc.dst;
    delete enc.src;
    return at - 2;
  };
  while (i + 1 < ws.n) {
    const k = ws.at(i);
    const v = ws.at(i + 1);
    if (k === 'id') {
      const x = readUnsigned64(v, (m) => a.error(m, i + 1));
      if (x === undefined) return fail(six ? `id ${v} value invalid for IPv6 encapsulation` : `encap id ${v} value is invalid`, i + 1);
      enc.id = x;
    } else if (k === 'dst' || k === 'src') {
      const p = parseIp(a, i + 1, v, false);
      if (!p) return fail(`Invalid encap ${type} ${k} ${v}`, i + 1);
      if (p.family !== (six ? 'inet6' : 'inet')) {
        return fail(six ? `IPv4 address ${v} not valid for ip6 encapsulation` : `IPv6 address ${v} not valid for ip encapsulation`, i + 1);
      }
      enc[k] = p.addr;
    } else if ((!six && k === 'tos') || (six && k === 'tc')) {
      const x = rtLookup(rtTables.dsfield, v);
      if (x === undefined) return fail(six ? `tc value ${k} is invalid for ip6 encapsulation` : `dsfield ${v} not valid for ip encapsulation`, i + 1);
      enc.tos = x;
    } else if ((!six && k === 'ttl') || (six && k === 'hoplimit')) {
      const x = readUnsigned(v, 0, 255, (m) => a.error(m, i + 1));
      if (x === undefined) return fail(six ? `Invalid hoplimit ${v} specified for ip6 encapsulation` : `ttl ${v} is not valid for ip encapsulation`, i + 1);
      enc.ttl = x;
    } else if (k === 'flags') {
      const x = readUnsigned(v, 0, 0xffff, (m) => a.error(m, i + 1));
      if (x === undefined) return fail(`flags ${v} is not valid for ${type} encapsulation`, i + 1);
      enc.flags = x;
    } else break;
    i += 2;
  }
  if (enc.dst === undefined && enc.id === undefined) a.error(`address or id missing for ${type} encapsulation`, i - 1);
  return i - 1;
}

/**
 * keepalived's parse_encap. `i` is at "encap"; returns the index of the last word used. After an
 * error in an ip/ip6 option keepalived goes on reading the line at that option, as a route (or
 * nexthop) word; returning the index before it does the same here.
 */
function parseEncap(ws: Words, i: number, set: (e: RouteEncap) => void): number {
  const a = ws.a;
  if (ws.n <= ++i) {
    a.error('Missing encap type', i - 1);
    return i;
  }
  const type = ws.at(i++);
  if (type === 'ip' || type === 'ip6') return encapIp(ws, i, type, set);
  if (type === 'mpls') {
    if (i >= ws.n) {
      a.error('missing address for MPLS encapsulation', i - 1);
      return i - 1;
    }
    const w = ws.at(i++);
    const labels = mplsLabels(w);
    if (!labels) a.error(`invalid mpls address ${w} for encapsulation`, i - 1);
    else set({ type: 'mpls', labels });
    return i - 1;
  }
  if (type === 'ila') {
    if (i >= ws.n) {
      a.error('missing locator for ILA encapsulation', i - 1);
      return i - 1;
    }
    const w = ws.at(i++);
    if (!addr64(w)) a.error(`invalid locator ${w} for ila encapsulation`, i - 1);
    else set({ type: 'ila', locator: w });
    return i - 1;
  }
  a.error(`Unknown encap type - ${type}`, i - 1);
  // keepalived does not step back here, so the word after the type is skipped too.
  return i;
}

/** keepalived's parse_nexthops: errors stop the nexthops but keep the route. */
function parseNexthops(ws: Words, i: number, r: { family?: Family; nexthops: RouteNexthop[] }, ctx: BuildContext): void {
  const a = ws.a;
  let family: Family | undefined;
  while (i < ws.n && ws.at(i) === 'nexthop') {
    i++;
    const nh: RouteNexthop = { onlink: false };
    let done = false;
    while (i < ws.n && !done) {
      const w = ws.at(i);
      if (w === 'via') {
        let s = ws.at(++i);
        if (s === 'inet' || s === 'inet6') {
          family = s;
          s = ws.at(++i);
        }
        if (family !== undefined) {
          if (r.family === undefined) r.family = family;
          else if (r.family !== family) {
            a.error('IPv4/6 mismatch for nexthop', i);
            return;
          }
        }
        const p = parseIp(a, i, s, false);
        if (!p) {
          a.error(`invalid nexthop address ${s}`, i);
          return;
        }
        if (r.family !== undefined && p.family !== r.family) {
          a.error('Address family mismatch for next hop', i);
          return;
        }
        r.family ??= p.family;
        nh.via = p.addr;
      } else if (w === 'dev') {
        const d = ws.at(++i);
        if (!interfaceKnown(d, ctx, a.posOf(i))) {
          a.error(`WARNING - interface ${d} for VROUTE nexthop doesn't exist`, i);
          return;
        }
        nh.dev = d;
      } else if (w === 'weight') {
        const v = getU(ws, ++i, 256, 'Invalid weight %s specified for route');
        if (v === undefined) return;
        if (v === 0) {
          a.error('Invalid weight 0 specified for route', i);
          return;
        }
        nh.weight = v;
      } else if (w === 'onlink') nh.onlink = true;
      else if (w === 'encap') i = parseEncap(ws, i, (e) => { nh.encap = e; });
      else if (w === 'realms') {
        const v = realms(ws.at(++i));
        if (v === undefined) {
          a.error(`Invalid realms ${ws.at(i)} for route`, i);
          return;
        }
        nh.realms = v;
        if (r.family === undefined) r.family = 'inet';
        else if (r.family !== 'inet') {
          a.error('realms are only supported for IPv4', i);
          return;
        }
      } else if (w === 'as') {
        if (ws.at(++i) === 'to') i++;
        a.error(`'as [to]' (nat) not supported`, i);
        return;
      } else {
        done = true;
        continue;
      }
      i++;
    }
    r.nexthops.push(nh);
  }
  if (i < ws.n) a.error(`Route has trailing nonsense after nexthops - ${ws.at(i)}`, i);
}

function familyMix(a: Args, i: number, cur: Family | undefined, next: Family | undefined, msg: string): Family | undefined {
  if (cur === undefined) return next;
  if (cur !== next) {
    a.error(msg, i);
    throw new Drop();
  }
  return cur;
}

const RTPROT_KEEPALIVED = 18;

/** Parse one route line (ip route syntax as keepalived 2.2.7 reads it). */
export function parseRouteLine(a: Args, kind: 'static' | 'virtual', ctx: BuildContext): RouteEntry | undefined {
  try {
    return readRoute(a, kind === 'static', ctx);
  } catch (e) {
    if (e instanceof Drop || e instanceof MissingParameter) return undefined;
    throw e;
  }
}

function readRoute(a: Args, allowTrackGroup: boolean, ctx: BuildContext): RouteEntry {
  const ws = new Words(a);
  const r: RouteEntry = {
    to: '', family: 'inet', type: 'unicast', table: 254, onlink: false, features_ecn: false, lock: [], mode: 'prepend',
    nexthops: [], no_track: false, pos: a.pos,
  };
  let family: Family | undefined;
  let dst: { family?: Family; addr?: string; prefix: number } | undefined;
  let dest = '';
  let from: { family?: Family; addr?: string; prefix: number } | undefined;
  let orVia: string | undefined;
  let doNexthop = false;
  let i = 0;
  const mix = 'Cannot mix IPv4 and IPv6 addresses for route';
  /** The "lock" prefix of a metric. */
  const lockable = (name: string): number => {
    if (ws.at(++i) === 'lock') {
      if (!r.lock.includes(name)) r.lock.push(name);
      i++;
    }
    return i;
  };
  const u32 = (name: keyof RouteEntry, msg: string, at: number): void => {
    const v = getU(ws, at, U32_MAX, msg);
    if (v === undefined) throw new Drop();
    (r as unknown as Record<string, number>)[name] = v;
  };
  /** The next word as a name from an iproute2 table (or a number); `%s` in msg is the word. */
  const named = (table: Parameters<typeof rtLookup>[0], msg: string): number => {
    const v = rtLookup(table, ws.at(++i));
    if (v === undefined) {
      a.error(msg.replace('%s', ws.at(i)), i);
      throw new Drop();
    }
    return v;
  };
  const rtt = (name: 'rtt' | 'rttvar' | 'rto_min', unit: number, msg: string): void => {
    lockable(name);
    const w = ws.at(i);
    const v = timeRtt(w, unit, (m) => a.error(m, i));
    if (v === undefined) {
      a.error(msg.replace('%s', w), i);
      throw new Drop();
    }
    r[name] = v;
  };

  loop: while (i < ws.n) {
    const str = ws.at(i);
    switch (str) {
      case 'inet6':
      case 'inet':
        if (family === undefined) family = str;
        else if (family !== str) {
          a.error(`${str} specified for ${str === 'inet' ? 'IPv6' : 'IPv4'} route`, i);
          throw new Drop();
        }
        // keepalived steps twice here, so the word after inet/inet6 is never read.
        i++;
        break;
      case 'src': {
        const w = ws.at(++i);
        const p = parseIp(a, i, w, false);
        if (!p) {
          a.error(`invalid route src address ${w}`, i);
          throw new Drop();
        }
        r.src = p.addr;
        family = familyMix(a, i, family, p.family, mix);
        break;
      }
      case 'as':
        if (ws.at(++i) === 'to') i++;
        a.error('"as to" for MPLS only - ignoring', i);
        break;
      case 'via':
      case 'gw': {
        if (str === 'gw') a.error('"gw" for routes is deprecated. Please use "via"', i);
        let w = ws.at(++i);
        let f: Family | undefined = family;
        if (w === 'inet' || w === 'inet6') {
          f = w;
          w = ws.at(++i);
        }
        family = familyMix(a, i, family, f, mix);
        const p = parseIp(a, i, w, false);
        if (!p) {
          a.error(`invalid route via address ${w}`, i);
          throw new Drop();
        }
        family = familyMix(a, i, family, p.family, mix);
        r.via = p.addr;
        orVia = p.addr;
        break;
      }
      case 'from': {
        const w = ws.at(++i);
        const p = parseRoutePrefix(a, i, w);
        if (!p) {
          a.error(`invalid route from address ${w}`, i);
          throw new Drop();
        }
        if (p.family !== 'inet6') {
          a.error(`route from address only supported with IPv6 (${w})`, i);
          throw new Drop();
        }
        family = familyMix(a, i, family, p.family, mix);
        from = p;
        break;
      }
      case 'tos':
      case 'dsfield':
        r.tos = named(rtTables.dsfield, 'TOS value %s is invalid');
        break;
      case 'table':
        r.table = named(rtTables.table, 'Routing table %s not found for route');
        break;
      case 'protocol':
        r.protocol = named(rtTables.protos, 'Protocol %s not found or invalid for route');
        break;
      case 'scope':
        r.scope = named(rtTables.scopes, 'Scope %s not found or invalid for route');
        break;
      case 'metric':
      case 'priority':
      case 'preference':
        u32('metric', 'Invalid metric %s specified for route', ++i);
        break;
      case 'dev':
      case 'oif': {
        const d = ws.at(++i);
        if (!interfaceKnown(d, ctx, a.posOf(i))) {
          a.error(`WARNING - interface ${d} for VROUTE nexthop doesn't exist`, i);
          throw new Drop();
        }
        r.dev = d;
        break;
      }
      case 'onlink':
        r.onlink = true;
        break;
      case 'encap':
        i = parseEncap(ws, i, (e) => { r.encap = e; });
        break;
      case 'expires':
        i++;
        if (family === 'inet') {
          a.error('expires is only valid for IPv6', i);
          throw new Drop();
        }
        family = 'inet6';
        u32('expires', 'Invalid expires time %s specified for route', i);
        break;
      case 'mtu':
        u32('mtu', 'Invalid MTU %s specified for route', lockable('mtu'));
        break;
      case 'hoplimit': {
        const v = getU(ws, ++i, 255, 'Invalid hoplimit %s specified for route');
        if (v === undefined) throw new Drop();
        r.hoplimit = v;
        break;
      }
      case 'advmss':
        u32('advmss', 'Invalid advmss %s specified for route', lockable('advmss'));
        break;
      case 'rtt':
        rtt('rtt', 8, 'Invalid rtt %s for route');
        break;
      case 'rttvar':
        rtt('rttvar', 4, 'Invalid rttvar %s for route');
        break;
      case 'reordering':
        u32('reordering', 'Invalid reordering value %s specified for route', lockable('reordering'));
        break;
      case 'window':
        u32('window', 'Invalid window value %s specified for route', ++i);
        break;
      case 'cwnd':
        u32('cwnd', 'Invalid cwnd value %s specified for route', lockable('cwnd'));
        break;
      case 'ssthresh':
        u32('ssthresh', 'Invalid ssthresh value %s specified for route', lockable('ssthresh'));
        break;
      case 'realms': {
        const v = realms(ws.at(++i));
        if (v === undefined) {
          a.error(`Invalid realms ${ws.at(i)} for route`, i);
          throw new Drop();
        }
        r.realms = v;
        if (family === 'inet6') {
          a.error('realms are only valid for IPv4', i);
          throw new Drop();
        }
        family = 'inet';
        break;
      }
      case 'rto_min':
        rtt('rto_min', 1, 'Invalid rto_min value %s specified for route');
        break;
      case 'initcwnd':
        u32('initcwnd', 'Invalid initcwnd value %s specified for route', ++i);
        break;
      case 'initrwnd':
        u32('initrwnd', 'Invalid initrwnd value %s specified for route', ++i);
        break;
      case 'features':
        if (ws.at(++i) === 'ecn') r.features_ecn = true;
        else a.error(`feature ${ws.at(i)} not supported`, i);
        break;
      case 'quickack': {
        const v = getU(ws, ++i, 1, 'Invalid quickack value %s specified for route');
        if (v === undefined) throw new Drop();
        r.quickack = v;
        break;
      }
      case 'congctl':
        i++;
        if (ws.at(i) === 'lock') {
          if (!r.lock.includes('congctl')) r.lock.push('congctl');
          i++;
        }
        r.congctl = ws.at(i);
        break;
      case 'pref': {
        i++;
        if (family === 'inet') {
          a.error('pref is only valid for IPv6', i);
          throw new Drop();
        }
        family = 'inet6';
        const w = ws.at(i);
        if (w === 'low' || w === 'medium' || w === 'high') r.pref = w;
        else {
          const v = getU(ws, i, 255, 'Invalid pref value %s specified for route');
          if (v === undefined) throw new Drop();
          r.pref = v;
        }
        break;
      }
      case 'ttl-propagate': {
        const w = ws.at(++i);
        if (w === 'enabled') r.ttl_propagate = true;
        else if (w === 'disabled') r.ttl_propagate = false;
        else {
          a.error(`ttl-propagate value ${w} not recognised`, i);
          r.ttl_propagate = false;
        }
        break;
      }
      case 'fastopen_no_cookie': {
        const v = getU(ws, ++i, 1, 'Invalid fastopen_no_cookie value %s specified for route');
        if (v === undefined) throw new Drop();
        r.fastopen_no_cookie = v === 1;
        break;
      }
      case 'add':
        r.mode = 'add';
        break;
      case 'prepend':
        r.mode = 'prepend';
        break;
      case 'append':
        r.mode = 'append';
        break;
      case 'or': {
        a.error('"or" for routes is deprecated. Please use "nexthop"', i);
        if (r.nexthops.length) {
          a.error('"or" route already specified - ignoring subsequent', i);
          i += 2;
          continue loop;
        }
        // The via address becomes the first nexthop, the "or" address the second.
        const first: RouteNexthop = { onlink: false };
        if (orVia !== undefined) first.via = orVia;
        delete r.via;
        orVia = undefined;
        const w = ws.at(++i);
        const p = parseIp(a, i, w, false);
        if (!p) {
          a.error(`Invalid "or" address ${w}`, i);
          throw new Drop();
        }
        r.nexthops.push(first, { onlink: false, via: p.addr });
        break;
      }
      case 'nexthop':
        if (r.nexthops.length) a.error('Cannot specify nexthops with "or" route', i);
        else doNexthop = true;
        break loop;
      case 'no_track':
        r.no_track = true;
        break;
      case 'vrf': {
        const v = ws.at(++i);
        if (!ctx.interfaceExists(v)) {
          a.error(`VRF ${v} not found for route`, i);
          throw new Drop();
        }
        if (!isVrf(v)) {
          a.error(`Route specified VRF ${v} is not a VRF`, i);
          throw new Drop();
        }
        r.vrf = v;
        break;
      }
      default: {
        if (allowTrackGroup && str === 'track_group') {
          const g = ws.at(++i);
          if (r.track_group !== undefined) {
            a.error(`track_group ${g} is a duplicate`, i);
            break loop;
          }
          if (trackGroupKnown(ctx, g)) r.track_group = g;
          else a.error(`track_group ${g} not found`, i);
          break;
        }
        if (str === 'to') i++;
        const t = routeType(str);
        if (t !== undefined) {
          r.type = RTN_NAMES[t] ?? t;
          i++;
        }
        dest = ws.at(i);
        const p = parseRoutePrefix(a, i, dest);
        if (!p) {
          a.error(`unknown route keyword ${dest}`, i);
          throw new Drop();
        }
        family = familyMix(a, i, family, p.family, `${mix} (${dest})`);
        dst = p;
      }
    }
    i++;
  }

  if (doNexthop) {
    const holder: { family?: Family; nexthops: RouteNexthop[] } = { nexthops: r.nexthops };
    if (family !== undefined) holder.family = family;
    parseNexthops(ws, i, holder, ctx);
    family = holder.family;
  } else if (i < ws.n) {
    a.error(`Route has trailing nonsense - ${ws.at(i)}`, i);
    throw new Drop();
  }
  if (!dst) {
    a.error('Route must have a destination');
    throw new Drop();
  }
  if (!r.no_track) {
    if (r.protocol !== undefined && r.protocol !== RTPROT_KEEPALIVED) {
      a.error(`Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`);
    }
    r.protocol = RTPROT_KEEPALIVED;
    if (r.dev === undefined) {
      a.error(`Warning - cannot track route ${dest} with no interface specified, not tracking`);
      r.no_track = true;
    }
  }
  if (r.track_group !== undefined && r.dev === undefined) {
    a.error('Static route cannot have track group if no oif specified');
    delete r.track_group;
  }
  r.family = family ?? 'inet';
  r.to = prefixText(dst, r.family);
  if (from) r.from = prefixText(from, r.family);
  return r;
}

/** A VRF device (the kernel reports DEVTYPE=vrf). */
function isVrf(name: string): boolean {
  try {
    return /^DEVTYPE=vrf$/m.test(readFileSync(`/sys/class/net/${name}/uevent`, 'utf8'));
  } catch {
    return false;
  }
}

/** /etc/protocols, for ipproto names (getprotobyname). */
let protocols: Map<string, number> | undefined;
function protocolNumber(name: string): number | undefined {
  if (!protocols) {
    protocols = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/protocols', 'utf8');
    } catch {
      // No names then; numbers still work.
    }
    for (const line of text.split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      if (words.length < 2 || !/^\d+$/.test(words[1]!)) continue;
      const num = Number(words[1]);
      for (const n of [words[0]!, ...words.slice(2)]) if (!protocols.has(n)) protocols.set(n, num);
    }
  }
  return protocols.get(name);
}

/** keepalived's inet_proto_a2n: a number up to 127, or a protocol name. */
function ipProto(w: string): number | undefined {
  const s = w.replace(/^[ \t\n\v\f\r]+/, '');
  if (s === '' || s.startsWith('-')) return undefined;
  const r = strtoul(s, 10);
  if (r.value > 127n) return undefined;
  if (r.end === s.length && r.end !== 0) return Number(r.value);
  return protocolNumber(s);
}

/** sscanf("%hu-%hu"): how many numbers matched, each wrapped to 16 bits. */
function portRange(w: string): { start: number; end: number; n: number } {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)(?:-[ \t\n\v\f\r]*([+-]?\d+))?/.exec(w);
  if (!m) return { start: 0, end: 0, n: 0 };
  const wrap = (x: string): number => Number(BigInt.asUintN(16, BigInt(x)));
  return m[2] === undefined ? { start: wrap(m[1]!), end: 0, n: 1 } : { start: wrap(m[1]!), end: wrap(m[2]), n: 2 };
}

/** The next priority keepalived gives a rule without one (16384, 16383, ... per family). */
function nextRulePriority(ctx: BuildContext, family: Family): number {
  const key = family === 'inet' ? 'nextRulePriority4' : 'nextRulePriority6';
  const v = typeof ctx.scratch[key] === 'number' ? (ctx.scratch[key] as number) : 16384;
  ctx.scratch[key] = v - 1;
  return v;
}

/** Parse one rule line (ip rule syntax as keepalived 2.2.7 reads it). */
export function parseRuleLine(a: Args, kind: 'static' | 'virtual', ctx: BuildContext): RuleEntry | undefined {
  try {
    return readRule(a, kind === 'static', ctx);
  } catch (e) {
    if (e instanceof Drop || e instanceof MissingParameter) return undefined;
    throw e;
  }
}

function readRule(a: Args, allowTrackGroup: boolean, ctx: BuildContext): RuleEntry {
  const ws = new Words(a);
  const r: Omit<RuleEntry, 'action' | 'preference'> & { action?: RuleAction; preference?: number } = {
    family: 'inet', not: false, l3mdev: false, no_track: false, pos: a.pos,
  };
  let family: Family | undefined;
  let from: { family?: Family; addr?: string; prefix: number } | undefined;
  let to: { family?: Family; addr?: string; prefix: number } | undefined;
  let tableOption = false;
  const drop = (msg: string, i: number): never => {
    a.error(msg, i);
    throw new Drop();
  };
  const action = (act: RuleAction, i: number, msg: string): void => {
    if (r.action !== undefined) drop(msg, i);
    r.action = act;
  };
  let i = 0;
  loop: while (i < ws.n) {
    const str = ws.at(i);
    switch (str) {
      case 'inet6':
      case 'inet':
        if (family === undefined) family = str;
        else if (family !== str) drop(`${str} specified for ${str === 'inet' ? 'IPv6' : 'IPv4'} rule`, i);
        // As for routes, the following word is skipped.
        i++;
        break;
      case 'from':
      case 'to': {
        const w = ws.at(++i);
        const p = parseRoutePrefix(a, i, w);
        if (!p) drop(`Invalid rule ${str} address ${w}`, i);
        if (family === undefined) family = p!.family;
        else if (p!.family !== family) drop('rule specification has mixed IPv4 and IPv6', i);
        if (str === 'from') from = p;
        else to = p;
        break;
      }
      case 'table':
      case 'lookup': {
        const v = rtLookup(rtTables.table, ws.at(++i));
        if (v === undefined) drop(`Routing table ${ws.at(i)} not found for rule`, i);
        if (v === 0) drop('Table 0 is not valid', i);
        r.table = v!;
        action('table', i, 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule');
        break;
      }
      case 'not':
        r.not = true;
        break;
      case 'preference':
      case 'order':
      case 'priority': {
        const v = readUnsigned(ws.at(++i), 0, U32_MAX, (m) => a.error(m, i), 0);
        if (v === undefined) drop(`Invalid rule preference ${str} specified`, i);
        r.preference = v!;
        break;
      }
      case 'tos':
      case 'dsfield': {
        const v = rtLookup(rtTables.dsfield, ws.at(++i));
        if (v === undefined) drop(`TOS value ${ws.at(i)} is invalid`, i);
        r.tos = v!;
        break;
      }
      case 'fwmark': {
        const w = ws.at(++i);
        const m = fwmark(w);
        if (!m) drop(`Invalid rule fwmark ${w.replace(/^[ \t\n\v\f\r]+/, '')} specified`, i);
        r.fwmark = m!.mark;
        if (m!.mask !== undefined) r.fwmask = m!.mask;
        break;
      }
      case 'realms': {
        const v = realms(ws.at(++i));
        if (v === undefined) drop(`invalid realms ${ws.at(i)} for rule`, i);
        r.realms = v!;
        tableOption = true;
        if (family === undefined) family = 'inet';
        else if (family !== 'inet') drop('realms is only valid for IPv4', i);
        break;
      }
      case 'suppress_prefixlength':
      case 'sup_pl': {
        const v = readUnsigned(ws.at(++i), 0, INT_MAX, (m) => a.error(m, i));
        if (v === undefined) drop(`Invalid suppress_prefixlength ${str} specified`, i);
        r.suppress_prefixlength = v!;
        tableOption = true;
        break;
      }
      case 'suppress_ifgroup':
      case 'sup_group': {
        const v = rtLookup(rtTables.group, ws.at(++i));
        if (v === undefined) drop(`suppress_group ${ws.at(i)} is invalid`, i);
        r.suppress_ifgroup = v!;
        tableOption = true;
        break;
      }
      case 'dev':
      case 'iif':
      case 'oif': {
        const d = ws.at(++i);
        if (!interfaceKnown(d, ctx, a.posOf(i))) drop(`WARNING - interface ${d} for rule doesn't exist`, i);
        if (str === 'oif') r.oif = d;
        else r.iif = d;
        break;
      }
      case 'tunnel-id': {
        const v = readUnsigned64(ws.at(++i), (m) => a.error(m, i));
        if (v === undefined) drop(`Invalid tunnel-id ${str} specified`, i);
        r.tunnel_id = v!;
        break;
      }
      case 'uidrange': {
        const m = /^[ \t\n\v\f\r]*([+-]?\d+)-[ \t\n\v\f\r]*([+-]?\d+)/.exec(ws.at(++i));
        if (!m) drop(`Invalid uidrange ${str} specified`, i);
        r.uidrange = { start: Number(BigInt.asUintN(32, BigInt(m![1]!))), end: Number(BigInt.asUintN(32, BigInt(m![2]!))) };
        break;
      }
      case 'l3mdev':
        r.l3mdev = true;
        if (r.action !== undefined) drop('Cannot specify l3mdev with other action', i);
        r.action = 'table';
        break;
      case 'protocol': {
        const v = readUnsigned(ws.at(++i), 0, 255, (m) => a.error(m, i));
        if (v === undefined) a.error(`Invalid protocol ${ws.at(i)}`, i);
        else r.protocol = v;
        break;
      }
      case 'ipproto': {
        const v = ipProto(ws.at(++i));
        if (v === undefined) a.error(`Invalid ipproto ${ws.at(i)}`, i);
        else r.ipproto = v;
        break;
      }
      case 'sport':
      case 'dport': {
        // keepalived 2.2.7 rejects a single port (sscanf returns 1, then "!= 2" fails).
        const p = portRange(ws.at(++i));
        if (p.n !== 2) a.error(`invalid ${str} range ${ws.at(i)}`, i);
        else r[str] = { start: p.start, end: p.end };
        break;
      }
      case 'no_track':
        r.no_track = true;
        break;
      default: {
        if (allowTrackGroup && str === 'track_group') {
          const g = ws.at(++i);
          if (r.track_group !== undefined) {
            // keepalived stops reading the line here, without complaining about the rest.
            a.error(`track_group ${g} is a duplicate`, i);
            break loop;
          }
          if (trackGroupKnown(ctx, g)) r.track_group = g;
          else a.error(`track_group ${g} not found`, i);
          break;
        }
        let s = str;
        if (s === 'type') s = ws.at(++i);
        let act: RuleAction;
        if (s === 'goto') {
          const v = readUnsigned(ws.at(++i), 0, U32_MAX, (m) => a.error(m, i));
          if (v === undefined) drop(`Invalid target ${s} specified`, i);
          r.goto = v!;
          act = 'goto';
        } else if (s === 'nop') act = 'nop';
        else {
          const t = routeType(s);
          if (t === undefined) drop(`Unknown rule option ${s}`, i);
          if (t === 6) act = 'blackhole';
          else if (t === 7) act = 'unreachable';
          else if (t === 8) act = 'prohibit';
          else return drop(`Invalid rule action ${s}`, i);
        }
        action(act, i, 'Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule');
      }
    }
    i++;
  }
  if (r.action === 'goto') {
    if (r.preference === undefined) drop(`Invalid rule - goto target ${r.goto} specified without preference`, 0);
    if (r.preference! >= r.goto!) drop(`Invalid rule - preference ${r.preference} >= goto target ${r.goto}`, 0);
  }
  if (r.action === undefined) drop('No action specified for rule - ignoring', 0);
  if (r.action !== 'table' && tableOption) drop('suppressor/realm specified for non table action - skipping', 0);
  if (!r.no_track) {
    if (r.protocol !== undefined && r.protocol !== RTPROT_KEEPALIVED) {
      a.error(`Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(${RTPROT_KEEPALIVED}), resetting protocol`);
    }
    r.protocol = RTPROT_KEEPALIVED;
  }
  if (r.track_group !== undefined && r.iif === undefined) {
    a.error('Static rule cannot have track_group if dev/iif not specified');
    delete r.track_group;
  }
  r.family = family ?? 'inet';
  if (from) r.from = prefixText(from, r.family);
  if (to) r.to = prefixText(to, r.family);
  if (r.preference === undefined) {
    r.preference = nextRulePriority(ctx, r.family);
    a.error(`Rule has no preference specified - setting to ${r.preference}. This is probably not what you want.`);
  }
  return r as RuleEntry;
}

/** keepalived's fwmark parsing: MARK[/MASK], each strtoul base 0, at most 32 bits. */
function fwmark(w: string): { mark: number; mask?: number } | undefined {
  const s = w.replace(/^[ \t\n\v\f\r]+/, '');
  if (s.startsWith('-')) return undefined;
  const a = strtoul(s, 0);
  if (a.value > BigInt(U32_MAX)) return undefined;
  const rest = s.slice(a.end);
  if (rest.startsWith('/')) {
    const t = rest.slice(1);
    if (/^[ \t\n\v\f\r]/.test(t) || t.startsWith('-')) return undefined;
    const b = strtoul(t, 0);
    if (b.value > BigInt(U32_MAX) || t.slice(b.end) !== '') return undefined;
    return { mark: Number(a.value), mask: Number(b.value) };
  }
  if (rest !== '') return undefined;
  return { mark: Number(a.value) };
}
