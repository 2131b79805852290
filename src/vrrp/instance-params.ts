// The parameters of one VRRP instance as the state machine needs them: derived from a built
// config (VrrpInstance + global_defs + its sync group), or written directly by tests and the
// simulator with keepalived's defaults. Also the address arithmetic the machine needs: keepalived
// compares addresses as unsigned host-order 32-bit words (IPv6: four of them in turn).
import type { GlobalDefs } from '../config/blocks/global.js';
import type { SyncGroup, TrackedInterface, TrackedObject, VrrpInstance } from '../config/blocks/vrrp.js';
import { PRIO_OWNER, type TrackerDef, type TrackerKind } from './priority.js';
import { secondsToUs, US_PER_CENTI, US_PER_SECOND } from './timers.js';

export type Family = 'inet' | 'inet6';

export interface InstanceParams {
  readonly name: string;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly family: Family;
  readonly interface?: string;
  /** Configured (base) priority, 1..255. */
  readonly priority: number;
  /** `state MASTER` (after keepalived's start-up adjustments). */
  readonly wantMaster: boolean;
  readonly advertIntUs: number;
  readonly downTimerAdverts: number;
  readonly nopreempt: boolean;
  readonly preemptDelayUs: number;
  /** Our address in adverts and in the tie-break: unicast_src_ip / mcast_src_ip / the interface's primary. */
  readonly srcAddress?: string;
  /** "ADDR/PREFIX" of each VIP and eVIP. */
  readonly vips: readonly string[];
  readonly evips: readonly string[];
  readonly routes: number;
  readonly rules: number;
  readonly garpMasterRepeat: number;
  readonly garpMasterDelayUs: number;
  readonly garpMasterRefreshUs: number;
  readonly garpMasterRefreshRepeat: number;
  readonly garpLowerPrioRepeat: number;
  readonly garpLowerPrioDelayUs: number;
  readonly lowerPrioNoAdvert: boolean;
  readonly higherPrioSendAdvert: boolean;
  readonly skipCheckAdvAddr: boolean;
  readonly unicast: boolean;
  /** Tracked objects: the instance's own, its sync group's, its interface and its VIPs' interfaces. */
  readonly trackers: readonly TrackerDef[];
  readonly notifyPriorityChanges: boolean;
  readonly notifyDeleted: boolean;
  /** vrrp_startup_delay: backups do not time out before this long after start. */
  readonly startupDelayUs: number;
  /**
   * keel option, off by default: accept adverts whose address list differs from ours.
   * keepalived 2.2.7 drops them (verified on the wire: both routers then stay MASTER).
   */
  readonly acceptAddressMismatch: boolean;
  /** Canonical text of each VIP address (no prefix), for the advert address check. */
  readonly vipKeys: readonly string[];
  /** VIP and eVIP addresses without prefix: what GARP / unsolicited NA batches announce. */
  readonly garpAddresses: readonly string[];
}

/** Everything but name and VRID is optional; the rest takes keepalived's defaults. */
export type ParamSpec = { name: string; vrid: number } & Partial<Omit<InstanceParams, 'vipKeys' | 'garpAddresses'>>;

/** Build parameters with keepalived's defaults for whatever is not given. */
export function makeParams(spec: ParamSpec): InstanceParams {
  const vips = spec.vips ?? [];
  const evips = spec.evips ?? [];
  const version = spec.version ?? 2;
  const family: Family = spec.family ?? (spec.srcAddress?.includes(':') ? 'inet6' : 'inet');
  const priority = spec.priority ?? (spec.wantMaster ? PRIO_OWNER : 100);
  const p: InstanceParams = {
    name: spec.name,
    vrid: spec.vrid,
    version,
    family,
    interface: spec.interface,
    priority,
    wantMaster: spec.wantMaster ?? priority === PRIO_OWNER,
    advertIntUs: spec.advertIntUs ?? US_PER_SECOND,
    downTimerAdverts: spec.downTimerAdverts ?? 3,
    nopreempt: spec.nopreempt ?? false,
    preemptDelayUs: spec.preemptDelayUs ?? 0,
    srcAddress: spec.srcAddress,
    vips,
    evips,
    routes: spec.routes ?? 0,
    rules: spec.rules ?? 0,
    garpMasterRepeat: spec.garpMasterRepeat ?? 5,
    garpMasterDelayUs: spec.garpMasterDelayUs ?? 5 * US_PER_SECOND,
    garpMasterRefreshUs: spec.garpMasterRefreshUs ?? 0,
    garpMasterRefreshRepeat: spec.garpMasterRefreshRepeat ?? 1,
    garpLowerPrioRepeat: spec.garpLowerPrioRepeat ?? spec.garpMasterRepeat ?? 5,
    garpLowerPrioDelayUs: spec.garpLowerPrioDelayUs ?? spec.garpMasterDelayUs ?? 5 * US_PER_SECOND,
    lowerPrioNoAdvert: spec.lowerPrioNoAdvert ?? false,
    higherPrioSendAdvert: spec.higherPrioSendAdvert ?? false,
    skipCheckAdvAddr: spec.skipCheckAdvAddr ?? false,
    unicast: spec.unicast ?? false,
    trackers: spec.trackers ?? [],
    notifyPriorityChanges: spec.notifyPriorityChanges ?? false,
    notifyDeleted: spec.notifyDeleted ?? false,
    startupDelayUs: spec.startupDelayUs ?? 0,
    acceptAddressMismatch: spec.acceptAddressMismatch ?? false,
    vipKeys: vips.map((a) => addressKey(stripPrefix(a)) ?? stripPrefix(a)),
    garpAddresses: [...vips, ...evips].map(stripPrefix),
  };
  return p;
}

/** Why parameters cannot drive the machine (each a sentence), empty when they can. */
export function checkParams(p: InstanceParams): string[] {
  const out: string[] = [];
  const who = `(${p.name})`;
  if (!Number.isInteger(p.vrid) || p.vrid < 1 || p.vrid > 255) out.push(`${who} virtual_router_id ${p.vrid} is not 1..255`);
  if (!Number.isInteger(p.priority) || p.priority < 1 || p.priority > 255) out.push(`${who} priority ${p.priority} is not 1..255`);
  if (!Number.isInteger(p.advertIntUs) || p.advertIntUs <= 0) out.push(`${who} advert interval must be a positive number of microseconds`);
  else if (p.version === 3 && p.advertIntUs % US_PER_CENTI) out.push(`${who} VRRPv3 advert interval must be whole centiseconds`);
  else if (p.version === 2 && p.advertIntUs % US_PER_SECOND) out.push(`${who} VRRPv2 advert interval must be whole seconds`);
  if (!Number.isInteger(p.downTimerAdverts) || p.downTimerAdverts < 1) out.push(`${who} down_timer_adverts must be at least 1`);
  if (p.srcAddress !== undefined && addressKey(p.srcAddress) === undefined) out.push(`${who} source address ${p.srcAddress} is not an IP address`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// From the built config.

export interface ParamsOptions {
  /** The sync group the instance belongs to (its trackers apply to every member). */
  sync?: SyncGroup;
  /**
   * The primary address of an interface (the shell reads it from the kernel). Without one, and
   * without unicast_src_ip / mcast_src_ip, the instance waits in FAULT as keepalived does.
   */
  primaryAddress?: (ifname: string, family: Family) => string | undefined;
  acceptAddressMismatch?: boolean;
}

const trackerOf = (kind: TrackerKind, t: TrackedObject | TrackedInterface, fromGroup: boolean): TrackerDef =>
  ({ kind, name: t.name, weight: t.weight, reverse: t.reverse, fromGroup });

/**
 * Interface trackers as keepalived's add_vrrp_to_interface merges them: one entry per interface;
 * the instance's own interface and the VIPs' interfaces are weight 0, and a weight-0 entry for an
 * interface also tracked with a weight replaces that weight.
 */
function interfaceTrackers(v: VrrpInstance, sync: SyncGroup | undefined): TrackerDef[] {
  const byName = new Map<string, TrackerDef>();
  const add = (name: string, weight: number, reverse: boolean, fromGroup: boolean, notTracked = false): void => {
    const prev = byName.get(name);
    if (!prev) {
      if (!notTracked) byName.set(name, { kind: 'interface', name, weight, reverse, fromGroup });
      return;
    }
    if (prev.weight !== 0 && !notTracked) byName.set(name, { ...prev, weight, reverse });
  };
  for (const t of v.track_interface) add(t.name, t.weight, t.reverse, false);
  if (v.interface) add(v.interface, 0, false, false, v.dont_track_primary);
  for (const a of [...v.virtual_ipaddress, ...v.virtual_ipaddress_excluded]) {
    if (!a.dev || a.no_track) continue;
    if (v.dont_track_primary && a.dev === v.interface) continue;
    add(a.dev, 0, false, false);
  }
  for (const t of sync?.track_interface ?? []) add(t.name, t.weight, t.reverse, true);
  return [...byName.values()];
}

/** Parameters of a configured instance (config already validated by build.ts). */
export function paramsFromConfig(v: VrrpInstance, g: GlobalDefs, opts: ParamsOptions = {}): { params?: InstanceParams; problems: string[] } {
  if (v.virtual_router_id === undefined) return { problems: [`(${v.name}) has no virtual_router_id`] };
  const sync = opts.sync;
  const trackers: TrackerDef[] = [];
  const objs = (kind: TrackerKind, own: readonly TrackedObject[], group: readonly TrackedObject[] | undefined): void => {
    for (const t of own) trackers.push(trackerOf(kind, t, false));
    for (const t of group ?? []) trackers.push(trackerOf(kind, t, true));
  };
  trackers.push(...interfaceTrackers(v, sync));
  objs('script', v.track_script, sync?.track_script);
  objs('file', v.track_file, sync?.track_file);
  objs('process', v.track_process, sync?.track_process);
  objs('bfd', v.track_bfd, sync?.track_bfd);
  const src = v.unicast_src_ip ?? v.mcast_src_ip ?? (v.interface ? opts.primaryAddress?.(v.interface, v.family) : undefined);
  // keepalived: no source address -> FAULT until the interface has one.
  if (src === undefined) trackers.push({ kind: 'address', name: v.interface ?? v.name, weight: 0, reverse: false });
  const params = makeParams({
    name: v.name,
    vrid: v.virtual_router_id,
    version: v.version,
    family: v.family,
    interface: v.interface,
    priority: v.priority,
    wantMaster: v.state === 'MASTER',
    advertIntUs: secondsToUs(v.advert_int),
    downTimerAdverts: v.down_timer_adverts,
    nopreempt: v.nopreempt,
    preemptDelayUs: secondsToUs(v.preempt_delay),
    srcAddress: src,
    vips: v.virtual_ipaddress.map((a) => a.address),
    evips: v.virtual_ipaddress_excluded.map((a) => a.address),
    routes: v.virtual_routes.length,
    rules: v.virtual_rules.length,
    garpMasterRepeat: v.garp_master_repeat,
    garpMasterDelayUs: secondsToUs(v.garp_master_delay),
    garpMasterRefreshUs: secondsToUs(v.garp_master_refresh),
    garpMasterRefreshRepeat: v.garp_master_refresh_repeat,
    garpLowerPrioRepeat: v.garp_lower_prio_repeat,
    garpLowerPrioDelayUs: secondsToUs(v.garp_lower_prio_delay),
    lowerPrioNoAdvert: v.lower_prio_no_advert,
    higherPrioSendAdvert: v.higher_prio_send_advert,
    skipCheckAdvAddr: v.skip_check_adv_addr,
    unicast: v.unicast_peer.length > 0,
    trackers,
    notifyPriorityChanges: v.notify_priority_changes,
    notifyDeleted: v.notify_deleted,
    startupDelayUs: secondsToUs(g.vrrp_startup_delay),
    acceptAddressMismatch: opts.acceptAddressMismatch ?? false,
  });
  const problems = checkParams(params);
  return problems.length ? { problems } : { params, problems };
}

// ---------------------------------------------------------------------------------------------
// Addresses.

/** "10.0.0.1/24" -> "10.0.0.1". */
export function stripPrefix(a: string): string {
  const i = a.indexOf('/');
  return i < 0 ? a : a.slice(0, i);
}

interface ParsedIp {
  v6: boolean;
  /** Host-order unsigned 32-bit words: one for IPv4, four for IPv6. */
  words: number[];
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX = /^[0-9a-fA-F]{1,4}$/;

function parseV4(s: string): number | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

function parseV6(s0: string): number[] | undefined {
  const s = s0.includes('%') ? s0.slice(0, s0.indexOf('%')) : s0;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(Math.trunc(v4 / 65536), v4 % 65536);
      } else if (HEX.test(it)) out.push(parseInt(it, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else all = head;
  if (all.length !== 8) return undefined;
  return [0, 2, 4, 6].map((i) => all[i]! * 65536 + all[i + 1]!);
}

const parsedCache = new Map<string, ParsedIp | null>();

function parseIp(s: string): ParsedIp | undefined {
  const hit = parsedCache.get(s);
  if (hit !== undefined) return hit ?? undefined;
  let p: ParsedIp | null = null;
  const v4 = parseV4(s);
  if (v4 !== undefined) p = { v6: false, words: [v4] };
  else if (s.includes(':')) {
    const w = parseV6(s);
    if (w) p = { v6: true, words: w };
  }
  // A bounded cache: adverts come from a handful of routers, so this stays tiny in practice.
  if (parsedCache.size > 4096) parsedCache.clear();
  parsedCache.set(s, p);
  return p ?? undefined;
}

/** A canonical text for equality (IPv6 fully expanded, lower case), or undefined if not an address. */
export function addressKey(s: string): string | undefined {
  const p = parseIp(s);
  if (!p) return undefined;
  if (!p.v6) return s;
  return p.words.map((w) => `${Math.trunc(w / 65536).toString(16)}:${(w % 65536).toString(16)}`).join(':');
}

/**
 * keepalived's inet_sockaddrcmp: 1 if a > b, -1 if a < b, 0 if equal, compared as unsigned
 * host-order words; -2 when the families differ or either is not an address.
 */
export function compareAddresses(a: string, b: string): -2 | -1 | 0 | 1 {
  const pa = parseIp(a);
  const pb = parseIp(b);
  if (!pa || !pb || pa.v6 !== pb.v6) return -2;
  for (let i = 0; i < pa.words.length; i++) {
    const d = pa.words[i]! - pb.words[i]!;
    if (d > 0) return 1;
    if (d < 0) return -1;
  }
  return 0;
}
