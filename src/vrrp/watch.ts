// The wire watcher's pure core: IP packets in, one record per VRRP packet out, and a summary per
// virtual router: who advertised with which priority, who is master, and the conflicts a network
// engineer wants to hear about (two masters at once, routers that disagree on addresses, interval,
// auth or version, TTL not 255, CARP sharing protocol 112 and the same virtual MACs).
import { masterDownIntervalUs } from './timers.js';
import { IPPROTO_AH, IPPROTO_VRRP, formatAddress, isMulticast, parseAddress, type Family } from './ip.js';
import { authLabel, decodeIpPacket, type RejectReason, type VrrpPacket } from './packet.js';

/** An IP packet as the capture reader or a live socket hands it over. */
export interface WatchFrame {
  index: number;
  tsSec: number;
  tsNsec: number;
  /** Where it was seen when it matters ("if1", "vlan 10"); '' for the only segment. */
  segment: string;
  ip: Uint8Array;
}

/** One VRRP (or CARP) packet as the watcher reports it. */
export interface AdvertRecord {
  index: number;
  tsSec: number;
  tsNsec: number;
  segment: string;
  family: Family | null;
  src: string | null;
  dst: string | null;
  ttl: number | null;
  version: number | null;
  vrid: number | null;
  priority: number | null;
  count: number | null;
  /** v2: none / simple / ah / unknown(N); null for v3. */
  authType: string | null;
  /** The simple password as text (trailing zero bytes dropped); null otherwise. */
  authData: string | null;
  /** Seconds. */
  interval: number | null;
  addresses: string[];
  checksumOk: boolean | null;
  valid: boolean;
  reason: RejectReason | null;
  detail: string | null;
}

/** The keys of `--json` lines, in order. */
export const RECORD_JSON_KEYS = [
  'src', 'dst', 'ttl', 'version', 'vrid', 'priority', 'count', 'authType', 'authData', 'interval', 'addresses',
  'checksumOk', 'valid', 'reason',
] as const;

export function recordJson(r: AdvertRecord): Record<(typeof RECORD_JSON_KEYS)[number], unknown> {
  return {
    src: r.src, dst: r.dst, ttl: r.ttl, version: r.version, vrid: r.vrid, priority: r.priority, count: r.count,
    authType: r.authType, authData: r.authData, interval: r.interval, addresses: r.addresses,
    checksumOk: r.checksumOk, valid: r.valid, reason: r.reason,
  };
}

/**
 * The record for an IP packet, or undefined when it is not VRRP at all (another protocol, or too
 * damaged to tell). Packets whose IP layer is broken but whose protocol byte says 112 (or AH) are
 * reported, invalid, with what could be read.
 */
export function recordFromFrame(f: WatchFrame): AdvertRecord | undefined {
  const d = decodeIpPacket(f.ip);
  if (!d.ok && d.reason === 'not-vrrp') return undefined;
  const base = { index: f.index, tsSec: f.tsSec, tsNsec: f.tsNsec, segment: f.segment };
  if (d.packet) return fromPacket(base, d.packet, d.ok ? null : d.reason, d.ok ? null : d.detail);
  if (d.ok) return undefined; // unreachable: a decoded advert always has a packet
  const peek = peekIp(f.ip);
  if (!peek || (peek.protocol !== IPPROTO_VRRP && peek.protocol !== IPPROTO_AH)) return undefined;
  return {
    ...base, family: peek.family, src: peek.src ?? null, dst: peek.dst ?? null, ttl: peek.ttl ?? null,
    version: null, vrid: null, priority: null, count: null, authType: null, authData: null, interval: null,
    addresses: [], checksumOk: null, valid: false, reason: d.reason, detail: d.detail,
  };
}

function fromPacket(base: Pick<AdvertRecord, 'index' | 'tsSec' | 'tsNsec' | 'segment'>, p: VrrpPacket, reason: RejectReason | null, detail: string | null): AdvertRecord {
  const carp = p.carp;
  // Fields listed one by one: an object spread here made each record cost ~20 µs in V8.
  return {
    index: base.index,
    tsSec: base.tsSec,
    tsNsec: base.tsNsec,
    segment: base.segment,
    family: p.family,
    src: p.src,
    dst: p.dst,
    ttl: p.ttl,
    version: p.version,
    vrid: carp ? carp.vhid : p.vrid,
    priority: carp ? null : p.priority,
    count: carp ? null : p.count,
    authType: carp || p.authType === null ? null : authLabel(p.authType),
    authData: !carp && p.authType === 1 && p.authData ? authText(p.authData) : null,
    interval: carp ? carp.advbase + carp.advskew / 256 : p.intervalCs / 100,
    addresses: carp ? [] : p.addresses,
    checksumOk: p.checksumOk,
    valid: reason === null,
    reason,
    detail,
  };
}

function authText(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** What can be read of an IP header that did not parse: family, addresses, TTL, protocol. */
function peekIp(d: Uint8Array): { family: Family; src?: string; dst?: string; ttl?: number; protocol?: number } | undefined {
  const v = d.length ? d[0]! >> 4 : 0;
  if (v === 4) {
    return {
      family: 'inet',
      ttl: d.length > 8 ? d[8] : undefined,
      protocol: d.length > 9 ? d[9] : undefined,
      src: d.length >= 16 ? formatAddress('inet', d, 12) : undefined,
      dst: d.length >= 20 ? formatAddress('inet', d, 16) : undefined,
    };
  }
  if (v === 6) {
    return {
      family: 'inet6',
      protocol: d.length > 6 ? d[6] : undefined,
      ttl: d.length > 7 ? d[7] : undefined,
      src: d.length >= 24 ? formatAddress('inet6', d, 8) : undefined,
      dst: d.length >= 40 ? formatAddress('inet6', d, 24) : undefined,
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Summary

export type ConflictKind = 'two-masters' | 'addresses' | 'interval' | 'auth' | 'version' | 'ttl' | 'carp' | 'owners';

export interface Conflict {
  kind: ConflictKind;
  routers: string[];
  message: string;
}

export interface RouterSummary {
  address: string;
  /** The last priority advertised. */
  priority: number;
  /** Every priority seen, ascending. */
  priorities: number[];
  adverts: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  version: number;
  /** Seconds, as last advertised. */
  interval: number;
  authType: string | null;
  addresses: string[];
  /** Still advertising at the end of the capture (within its Master_Down_Interval, priority not 0). */
  advertising: boolean;
}

export interface VridSummary {
  family: Family;
  vrid: number;
  segment: string;
  master: string | null;
  routers: RouterSummary[];
  /** Invalid packets for this VRID by reason. */
  invalid: Partial<Record<RejectReason, number>>;
  conflicts: Conflict[];
}

export interface WatchSummary {
  /** VRRP (and CARP) packets reported. */
  packets: number;
  valid: number;
  vrids: VridSummary[];
  /** Invalid packets too damaged to name a VRID, by reason. */
  unattributed: Partial<Record<RejectReason, number>>;
}

interface Run {
  startUs: number;
  lastUs: number;
}

interface RouterState {
  address: string;
  bytes: Uint8Array;
  adverts: number;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  lastUs: number;
  /** When it last advertised a priority other than 0. */
  lastNonZeroUs: number;
  priority: number;
  priorities: Set<number>;
  version: number;
  intervalCs: number;
  authType: string | null;
  authKey: string;
  addresses: string[];
  addrKey: string;
  /** The current stretch of adverts no longer apart than Master_Down_Interval (undefined after priority 0). */
  run?: Run;
}

interface PairState {
  /** Adverts each sent while the other was still advertising (index 0: the lower-sorted address). */
  counts: [number, number];
  startUs: number;
  endUs: number;
  reported: boolean;
}

interface GroupState {
  family: Family;
  vrid: number;
  segment: string;
  routers: Map<string, RouterState>;
  invalid: Map<RejectReason, number>;
  ttlBad: Map<string, Set<number>>;
  carp: Map<string, number>;
  pairs: Map<string, PairState>;
  twoMasters: { a: string; b: string; startUs: number; endUs: number; pair: PairState }[];
}

export interface WatchState {
  groups: Map<string, GroupState>;
  packets: number;
  valid: number;
  unattributed: Map<RejectReason, number>;
  endUs: number;
}

export function newWatch(): WatchState {
  return { groups: new Map(), packets: 0, valid: 0, unattributed: new Map(), endUs: 0 };
}

/** Unicast adverts carry unicast_ttl; only multicast ones must have TTL 255. */
function multicastDst(r: AdvertRecord): boolean {
  const d = r.dst === null ? undefined : parseAddress(r.dst);
  return !!d && isMulticast(d.family, d.bytes);
}

const IP_LEVEL = new Set<RejectReason>(['truncated', 'ip-header', 'ip-checksum', 'fragment']);

const timeUs = (sec: number, nsec: number): number => sec * 1_000_000 + Math.floor(nsec / 1000);

/** Fold one record into the running summary. */
export function observe(w: WatchState, r: AdvertRecord): void {
  w.packets++;
  const t = timeUs(r.tsSec, r.tsNsec);
  if (t > w.endUs) w.endUs = t;
  if (r.vrid === null || r.family === null) {
    if (r.reason) bump(w.unattributed, r.reason);
    return;
  }
  const key = `${r.segment}|${r.family}|${r.vrid}`;
  let g = w.groups.get(key);
  if (!g) {
    g = { family: r.family, vrid: r.vrid, segment: r.segment, routers: new Map(), invalid: new Map(), ttlBad: new Map(), carp: new Map(), pairs: new Map(), twoMasters: [] };
    w.groups.set(key, g);
  }
  const src = r.src ?? '?';
  if (r.reason === 'carp') g.carp.set(src, (g.carp.get(src) ?? 0) + 1);
  // A packet the IP layer already rejects says nothing reliable about its sender's TTL.
  const ipBroken = r.reason !== null && IP_LEVEL.has(r.reason);
  if (r.ttl !== null && r.ttl !== 255 && r.reason !== 'carp' && !ipBroken && multicastDst(r)) {
    let s = g.ttlBad.get(src);
    if (!s) g.ttlBad.set(src, (s = new Set()));
    s.add(r.ttl);
  }
  if (!r.valid) {
    if (r.reason) bump(g.invalid, r.reason);
    return;
  }
  w.valid++;
  let s = g.routers.get(src);
  if (!s) {
    s = {
      address: src, bytes: parseAddress(src)?.bytes ?? new Uint8Array(0), adverts: 0,
      firstSec: r.tsSec, firstNsec: r.tsNsec, lastSec: 0, lastNsec: 0, lastUs: 0, lastNonZeroUs: -1,
      priority: 0, priorities: new Set(), version: 0, intervalCs: 0, authType: null, authKey: '', addresses: [], addrKey: '',
    };
    g.routers.set(src, s);
  }
  s.adverts++;
  s.lastSec = r.tsSec;
  s.lastNsec = r.tsNsec;
  s.priority = r.priority ?? 0;
  s.priorities.add(s.priority);
  s.version = r.version ?? 0;
  s.intervalCs = Math.round((r.interval ?? 0) * 100);
  s.authType = r.authType;
  s.authKey = r.version === 2 ? `${r.authType}:${r.authData ?? ''}` : '';
  s.addresses = r.addresses;
  s.addrKey = [...r.addresses].sort().join(',');
  trackRuns(g, s, t);
  s.lastUs = t;
  if (s.priority > 0) s.lastNonZeroUs = t;
}

function mdiUs(s: RouterState): number {
  const version = s.version === 3 ? 3 : 2;
  const intervalUs = Math.max(s.intervalCs, 1) * 10_000;
  return masterDownIntervalUs(version, Math.max(1, s.priority), intervalUs, 3);
}

const alive = (s: RouterState, t: number): boolean => !!s.run && t - s.run.lastUs <= mdiUs(s);

/**
 * Master runs and the two-masters rule. Only a master sends adverts, so a router is master from
 * its first advert while the next keeps coming within Master_Down_Interval; priority 0 ends it.
 * A hand-over overlaps by at most one advert of the loser (it answers once, then yields); two
 * masters is when each sent at least two adverts while the other was still advertising.
 */
function trackRuns(g: GroupState, s: RouterState, t: number): void {
  if (s.priority === 0) {
    s.run = undefined;
    return;
  }
  if (s.run && t - s.run.lastUs <= mdiUs(s)) s.run.lastUs = t;
  else s.run = { startUs: t, lastUs: t };
  for (const o of g.routers.values()) {
    if (o === s || !alive(o, t) || o.run!.startUs > t) continue;
    const [a, b] = s.address < o.address ? [s, o] : [o, s];
    const key = `${a.address}|${b.address}`;
    let p = g.pairs.get(key);
    const overlapStart = Math.max(s.run.startUs, o.run!.startUs);
    if (!p || p.endUs < overlapStart) {
      p = { counts: [0, 0], startUs: t, endUs: t, reported: false };
      g.pairs.set(key, p);
    }
    p.counts[s === a ? 0 : 1]++;
    p.endUs = t;
    if (!p.reported && p.counts[0] >= 2 && p.counts[1] >= 2) {
      p.reported = true;
      g.twoMasters.push({ a: a.address, b: b.address, startUs: p.startUs, endUs: t, pair: p });
    }
  }
}

function bump<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The summary at the end of the capture (or now, for a live watch). */
export function summarize(w: WatchState): WatchSummary {
  const vrids: VridSummary[] = [];
  const groups = [...w.groups.values()].sort((x, y) =>
    (x.family === y.family ? 0 : x.family === 'inet' ? -1 : 1) || x.vrid - y.vrid || x.segment.localeCompare(y.segment));
  for (const g of groups) {
    const routers = [...g.routers.values()].sort((a, b) => compareBytes(a.bytes, b.bytes));
    const advertising = (s: RouterState): boolean => s.priority > 0 && !!s.run && w.endUs - s.run.lastUs <= mdiUs(s);
    vrids.push({
      family: g.family,
      vrid: g.vrid,
      segment: g.segment,
      master: masterOf(routers, advertising),
      routers: routers.map((s) => ({
        address: s.address, priority: s.priority, priorities: [...s.priorities].sort((a, b) => a - b), adverts: s.adverts,
        firstSec: s.firstSec, firstNsec: s.firstNsec, lastSec: s.lastSec, lastNsec: s.lastNsec, version: s.version,
        interval: s.intervalCs / 100, authType: s.authType, addresses: s.addresses, advertising: advertising(s),
      })),
      invalid: Object.fromEntries(g.invalid) as Partial<Record<RejectReason, number>>,
      conflicts: conflictsOf(g, routers),
    });
  }
  return { packets: w.packets, valid: w.valid, vrids, unattributed: Object.fromEntries(w.unattributed) as Partial<Record<RejectReason, number>> };
}

/** The highest priority still advertising (ties: the higher address, as VRRP breaks them); else the last to advertise a non-zero priority. */
function masterOf(routers: RouterState[], advertising: (s: RouterState) => boolean): string | null {
  let best: RouterState | undefined;
  for (const s of routers) {
    if (!advertising(s)) continue;
    if (!best || s.priority > best.priority || (s.priority === best.priority && compareBytes(s.bytes, best.bytes) > 0)) best = s;
  }
  if (best) return best.address;
  let last: RouterState | undefined;
  for (const s of routers) if (s.lastNonZeroUs >= 0 && (!last || s.lastNonZeroUs > last.lastNonZeroUs)) last = s;
  return last?.address ?? null;
}

function conflictsOf(g: GroupState, routers: RouterState[]): Conflict[] {
  const out: Conflict[] = [];
  const name = `VRID ${g.vrid}`;
  for (const m of g.twoMasters) {
    out.push({ kind: 'two-masters', routers: [m.a, m.b], message: `${m.a} and ${m.b} both advertise as master for ${name} (${fmtSpan(m.startUs, m.pair.endUs)})` });
  }
  const differing = (what: ConflictKind, label: string, key: (s: RouterState) => string, show: (s: RouterState) => string): void => {
    const by = new Map<string, RouterState[]>();
    for (const s of routers) {
      const k = key(s);
      by.set(k, [...(by.get(k) ?? []), s]);
    }
    if (by.size < 2) return;
    const parts = [...by.values()].map((ss) => `${ss.map((s) => s.address).join(', ')}: ${show(ss[0]!)}`);
    out.push({ kind: what, routers: routers.map((s) => s.address), message: `routers on ${name} differ in ${label}: ${parts.join('; ')}` });
  };
  differing('version', 'version', (s) => String(s.version), (s) => `v${s.version}`);
  differing('addresses', 'address lists', (s) => s.addrKey, (s) => s.addresses.join(',') || '(none)');
  differing('interval', 'advert interval', (s) => String(s.intervalCs), (s) => `${s.intervalCs / 100}s`);
  differing('auth', 'authentication', (s) => s.authKey, (s) => s.version === 2 ? (s.authType ?? 'none') + (s.authKey.endsWith(':') ? '' : ' (other data)') : 'none (v3)');
  const owners = routers.filter((s) => s.priorities.has(255));
  if (owners.length > 1) {
    out.push({ kind: 'owners', routers: owners.map((s) => s.address), message: `${owners.map((s) => s.address).join(' and ')} all claim to own the addresses of ${name} (priority 255)` });
  }
  if (g.ttlBad.size) {
    const parts = [...g.ttlBad].map(([a, t]) => `${a} (TTL ${[...t].sort((x, y) => x - y).join(', ')})`);
    out.push({ kind: 'ttl', routers: [...g.ttlBad.keys()], message: `multicast adverts for ${name} with TTL/hop limit not 255 (sent from off-link or through a router): ${parts.join('; ')}` });
  }
  if (g.carp.size) {
    const parts = [...g.carp].map(([a, n]) => `${a} (${n})`);
    out.push({ kind: 'carp', routers: [...g.carp.keys()], message: `CARP packets on protocol 112 with vhid ${g.vrid}, which shares VRRP's virtual MAC: ${parts.join(', ')}` });
  }
  return out;
}

function fmtSpan(a: number, b: number): string {
  const t = (us: number): string => formatTime(Math.floor(us / 1e6), (us % 1e6) * 1000, false);
  return `${t(a)} to ${t(b)}`;
}

/** UTC "YYYY-MM-DD HH:MM:SS.ffffff" (nine digits for nanosecond captures). */
export function formatTime(sec: number, nsec: number, nano: boolean): string {
  const d = new Date(sec * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const frac = nano ? p(nsec, 9) : p(Math.floor(nsec / 1000), 6);
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${frac}`;
}

/** ISO 8601 UTC with microseconds (or nanoseconds). */
export function isoTime(sec: number, nsec: number, nano: boolean): string {
  return formatTime(sec, nsec, nano).replace(' ', 'T') + 'Z';
}
