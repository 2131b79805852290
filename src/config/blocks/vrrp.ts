// vrrp_instance and vrrp_sync_group: the keywords keepalived 2.2.7 accepts (Debian build: VMAC,
// IPVLAN, VRF, BFD, track_process, linkbeat, firewall, old unicast checksum), read with its types,
// ranges and messages, and the checks its VRRP process makes once the whole file is read
// (vrrp_complete_init: minimal config, sync groups, per-instance defaults and strict mode,
// duplicate VRIDs, tracking weights, script security).
import { readFileSync, readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseWholeInt, trueFalse, type Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { blockLines, defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { readScript, type ScriptSpec } from '../words.js';
import {
  checkInstanceAddresses, interfaceKnown, nonExistentInterfacePos, nonExistentInterfaceSeen, parseAddressLine, parseRouteLine,
  parseRuleLine, type AddressEntry, type Family, type RouteEntry, type RuleEntry,
} from './addresses.js';
import { checkScriptSecurity, reportScriptSecurity, scriptRuns, trackScriptStatus } from './trackers.js';

/** A tracked interface (track_interface line). */
export interface TrackedInterface {
  name: string;
  weight: number;
  reverse: boolean;
  pos?: Pos;
}

/** A tracked vrrp_script / track_file / vrrp_track_process / bfd_instance. */
export interface TrackedObject {
  name: string;
  weight: number;
  reverse: boolean;
  pos?: Pos;
}

export interface UnicastPeer {
  address: string;
  min_ttl: number;
  max_ttl: number;
}

/** use_vmac [NAME] [MAC]: the macvlan keel creates for the instance. */
export interface VmacSettings {
  /** Interface name (keepalived makes one up, vrrp.VRID, when absent). */
  interface?: string;
  /** MAC address; a 5-octet MAC is completed with the VRID. */
  mac?: string;
}

/** use_ipvlan [NAME] [IP[/PREFIX]] [bridge|private|vepa]. */
export interface IpvlanSettings {
  interface?: string;
  address?: string;
  mode: 'bridge' | 'private' | 'vepa';
}

/** garp_extra_if [all] SECS: repeat gratuitous ARPs on the other interfaces of the VIPs. */
export interface GarpExtraIf {
  /** Seconds; 0 = off. */
  delay: number;
  all: boolean;
}

export interface VrrpInstance {
  name: string;
  state: 'MASTER' | 'BACKUP';
  interface?: string;
  vrf?: string;
  /** Address family of the instance: from its VIPs / peers / source address (IPv4 when none). */
  family: Family;
  use_vmac?: VmacSettings;
  use_vmac_addr: boolean;
  vmac_xmit_base: boolean;
  use_ipvlan?: IpvlanSettings;
  dont_track_primary: boolean;
  track_interface: TrackedInterface[];
  track_script: TrackedObject[];
  track_file: TrackedObject[];
  track_process: TrackedObject[];
  track_bfd: TrackedObject[];
  /** The source address (set by mcast_src_ip or unicast_src_ip; the last one written wins). */
  mcast_src_ip?: string;
  unicast_src_ip?: string;
  mcast_dst_ip?: string;
  track_src_ip: boolean;
  virtual_router_id?: number;
  /** TTL of unicast adverts (IPv4 default 255; IPv6 left to the kernel). */
  unicast_ttl?: number;
  version: 2 | 3;
  check_unicast_src: boolean;
  unicast_peer: UnicastPeer[];
  unicast_fault_no_peer: boolean;
  old_unicast_checksum?: 'on' | 'never';
  priority: number;
  /** Seconds (VRRPv2: whole seconds; VRRPv3: hundredths). */
  advert_int: number;
  authentication?: { auth_type: 'PASS' | 'AH'; auth_pass?: string };
  virtual_ipaddress: AddressEntry[];
  virtual_ipaddress_excluded: AddressEntry[];
  promote_secondaries: boolean;
  linkbeat_use_polling: boolean;
  virtual_routes: RouteEntry[];
  virtual_rules: RuleEntry[];
  accept: boolean;
  skip_check_adv_addr: boolean;
  strict_mode: boolean;
  nopreempt: boolean;
  /** Seconds. */
  preempt_delay: number;
  debug?: number;
  notify_master?: ScriptSpec;
  notify_backup?: ScriptSpec;
  notify_fault?: ScriptSpec;
  notify_stop?: ScriptSpec;
  notify?: ScriptSpec;
  notify_master_rx_lower_pri?: ScriptSpec;
  /** notify_deleted: report DELETED (not FAULT) when the instance is removed on reload. */
  notify_deleted: boolean;
  notify_deleted_script?: ScriptSpec;
  notify_priority_changes: boolean;
  smtp_alert: boolean;
  lvs_sync_daemon_interface?: string;
  /** Seconds. */
  garp_master_delay: number;
  /** Seconds; 0 = no refresh. */
  garp_master_refresh: number;
  garp_master_repeat: number;
  garp_master_refresh_repeat: number;
  /** Seconds. */
  garp_lower_prio_delay: number;
  garp_lower_prio_repeat: number;
  garp_extra_if: GarpExtraIf;
  down_timer_adverts: number;
  lower_prio_no_advert: boolean;
  higher_prio_send_advert: boolean;
  kernel_rx_buf_size?: number;
  pos?: Pos;
}

export function newVrrpInstance(name: string): VrrpInstance {
  // Keys set later are declared here (undefined is not shown) so --dump-json lists the main ones first.
  return {
    name, state: 'BACKUP', interface: undefined, virtual_router_id: undefined, priority: 100, advert_int: 1, version: 2,
    family: 'inet', nopreempt: false, authentication: undefined, virtual_ipaddress: [], virtual_ipaddress_excluded: [],
    virtual_routes: [], virtual_rules: [], unicast_src_ip: undefined, mcast_src_ip: undefined, unicast_peer: [],
    use_vmac: undefined, use_vmac_addr: false, vmac_xmit_base: false, dont_track_primary: false,
    track_interface: [], track_script: [], track_file: [], track_process: [], track_bfd: [],
    track_src_ip: false, check_unicast_src: false, unicast_fault_no_peer: false,
    promote_secondaries: false, linkbeat_use_polling: false,
    accept: true, skip_check_adv_addr: false, strict_mode: false, preempt_delay: 0,
    notify_deleted: false, notify_priority_changes: false, smtp_alert: false,
    garp_master_delay: 5, garp_master_refresh: 0, garp_master_repeat: 5, garp_master_refresh_repeat: 1,
    garp_lower_prio_delay: 5, garp_lower_prio_repeat: 5, garp_extra_if: { delay: 0, all: false },
    down_timer_adverts: 3, lower_prio_no_advert: false, higher_prio_send_advert: false,
  };
}

/**
 * A vrrp_sync_group. The optional settings are always present once the config is built (root.ts
 * creates groups as `{name, group}`; validateVrrp completes them).
 */
export interface SyncGroup {
  name: string;
  /** Members (after the checks: only the instances that exist and are in no other group). */
  group: string[];
  track_interface?: TrackedInterface[];
  track_script?: TrackedObject[];
  track_file?: TrackedObject[];
  track_process?: TrackedObject[];
  track_bfd?: TrackedObject[];
  notify_master?: ScriptSpec;
  notify_backup?: ScriptSpec;
  notify_fault?: ScriptSpec;
  notify_stop?: ScriptSpec;
  notify?: ScriptSpec;
  smtp_alert?: boolean;
  /** Members keep the weights of their own track_* (global_tracking is the old name). */
  sync_group_tracking_weight?: boolean;
  notify_priority_changes?: boolean;
  pos?: Pos;
}

type GroupDefaults = 'track_interface' | 'track_script' | 'track_file' | 'track_process' | 'track_bfd' | 'smtp_alert'
  | 'sync_group_tracking_weight' | 'notify_priority_changes';
/** A sync group with its defaults filled in. */
export type CompleteSyncGroup = SyncGroup & Required<Pick<SyncGroup, GroupDefaults>>;

export function newSyncGroup(name: string): CompleteSyncGroup {
  return {
    name, group: [], track_interface: [], track_script: [], track_file: [], track_process: [], track_bfd: [],
    smtp_alert: false, sync_group_tracking_weight: false, notify_priority_changes: false,
  };
}

/** root.ts builds sync groups as `{name, group}`: complete them with the defaults. */
function ensureGroup(g: SyncGroup): CompleteSyncGroup {
  if (!GROUP_RAW.has(g)) {
    const d = newSyncGroup(g.name) as unknown as Record<string, unknown>;
    const t = g as unknown as Record<string, unknown>;
    for (const k of Object.keys(d)) if (t[k] === undefined) t[k] = d[k];
    GROUP_RAW.set(g, { groupSeen: false });
  }
  return g as CompleteSyncGroup;
}

// ---------------------------------------------------------------------------------------------
// What keepalived keeps while parsing but the Config does not show ("not set" states, flags).

/** keepalived's TIMER_HZ: times are read in microseconds. */
const US = 1_000_000;
// Patterns used per statement, compiled once.
const SOCK_CUT = /[-/]/;
const DIGITS = /^[0-9]+$/;
const V4_TAIL = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const LEADING_WS = /^[ \t\n\r\f\v]+/;
const HEX_OCTET = /^[0-9a-fA-F]{1,2}$/;
const NOT_MAC_CHAR = /[^0-9A-Fa-f:]/;
const BAD_DEV_CHAR = /[/:\s]/;
const IFNAMSIZ = 16;
const PRIO_OWNER = 255;
const UINT_MAX = 4294967295;
const INT_MAX = 2147483647;

interface Raw {
  family?: Family;
  wantState?: 'MASTER' | 'BACKUP';
  prioritySet: boolean;
  version?: 2 | 3;
  advertUs?: number;
  strict?: boolean;
  accept?: boolean;
  unicastConfigured: boolean;
  saddrFromConfig: boolean;
  /** The instance's interface was accepted (it exists, or dynamic_interfaces is set). */
  ifOk: boolean;
  authType?: 'PASS' | 'AH';
  authPass?: string;
  vmac: boolean;
  vmacName?: string;
  macBytes?: number[];
  macUseVrid: boolean;
  ipvlan: boolean;
  ttl?: number;
  garpLowerPrioDelay?: number;
  garpLowerPrioRep?: number;
  lowerPrioNoAdvert?: boolean;
  higherPrioSendAdvert?: boolean;
  smtpAlert?: boolean;
  notifyPriorityChanges?: boolean;
  garpExtraIf?: number;
  garpAll: boolean;
  vrfSet: boolean;
  faultNoPeer: boolean;
  /** Keywords written in the instance (for defaults that come from global_defs). */
  explicit: Set<string>;
  /** Where some keywords were written, for the messages of the post-parse checks. */
  at: Map<string, Pos>;
  /** keel-only hints collected while parsing. */
  nopreemptAt?: Pos;
  skipFalse?: Pos;
  authPassLong?: { pos: Pos; used: string };
}

interface GroupRaw {
  groupSeen: boolean;
  smtpAlert?: boolean;
  notifyPriorityChanges?: boolean;
}

const RAW = new WeakMap<VrrpInstance, Raw>();
const GROUP_RAW = new WeakMap<SyncGroup, GroupRaw>();

function raw(v: VrrpInstance): Raw {
  let r = RAW.get(v);
  if (!r) {
    r = {
      prioritySet: false, unicastConfigured: false, saddrFromConfig: false, ifOk: false, vmac: false, macUseVrid: false,
      ipvlan: false, garpAll: false, vrfSet: false, faultNoPeer: false, explicit: new Set(), at: new Map(),
    };
    RAW.set(v, r);
  }
  return r;
}

function groupRaw(g: SyncGroup): GroupRaw {
  ensureGroup(g);
  return GROUP_RAW.get(g)!;
}

/** Per-build state (ctx.scratch is per build). */
interface Scratch {
  vmacNames: Map<string, string>;
  ifCache: Map<string, boolean>;
  sysCache: Map<string, string | undefined>;
  lvsSyncd?: string;
}

function scratch(ctx: BuildContext): Scratch {
  let s = ctx.scratch.vrrp as Scratch | undefined;
  if (!s) {
    s = { vmacNames: new Map(), ifCache: new Map(), sysCache: new Map() };
    ctx.scratch.vrrp = s;
  }
  return s;
}

function globals(ctx: BuildContext): Record<string, unknown> {
  return ctx.config.global_defs as unknown as Record<string, unknown>;
}

function gNum(ctx: BuildContext, key: string, dflt: number): number {
  const v = globals(ctx)[key];
  return typeof v === 'number' ? v : dflt;
}

function gBool(ctx: BuildContext, key: string): boolean | undefined {
  const v = globals(ctx)[key];
  return typeof v === 'boolean' ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Interfaces, as keepalived's if_get_by_ifname(IF_CREATE_IF_DYNAMIC) sees them.

function interfaceExists(ctx: BuildContext, name: string): boolean {
  const c = scratch(ctx).ifCache;
  let v = c.get(name);
  if (v === undefined) {
    v = ctx.interfaceExists(name);
    c.set(name, v);
  }
  return v;
}

/**
 * An interface keepalived will use (if_get_by_ifname with IF_CREATE_IF_DYNAMIC): it exists, or
 * dynamic_interfaces lets it be created. A missing one is recorded for validateVrrp.
 */
function usableInterface(ctx: BuildContext, name: string, pos?: Pos): boolean {
  return interfaceExists(ctx, name) || interfaceKnown(name, ctx, pos);
}

/** Where interface properties (MTU, flags, type, macvlan parent) are read; tests point it elsewhere. */
export const vrrpSysfs = { netDir: '/sys/class/net' };

/** A file of /sys/class/net/IF (undefined when unreadable). */
function sysNet(ctx: BuildContext, name: string, file: string): string | undefined {
  if (!name || name.includes('/') || name === '.' || name === '..') return undefined;
  const key = `${name}/${file}`;
  const c = scratch(ctx).sysCache;
  if (c.has(key)) return c.get(key);
  let v: string | undefined;
  try {
    v = readFileSync(`${vrrpSysfs.netDir}/${key}`, 'utf8').trim();
  } catch {
    v = undefined;
  }
  c.set(key, v);
  return v;
}

const ARPHRD_ETHER = '1';
const ARPHRD_LOOPBACK = '772';
const IFF_MULTICAST = 0x1000;

function isLoopback(ctx: BuildContext, name: string): boolean {
  return name === 'lo' || sysNet(ctx, name, 'type') === ARPHRD_LOOPBACK;
}

/** An existing macvlan/ipvlan has a lower_* link to its parent in sysfs. */
function isStackedInterface(name: string): boolean {
  try {
    return readdirSync(`${vrrpSysfs.netDir}/${name}`).some((f) => f.startsWith('lower_'));
  } catch {
    return false;
  }
}

/** The kernel's dev_valid_name(). */
function devNameValid(name: string): boolean {
  if (!name || name.length >= IFNAMSIZ || name === '.' || name === '..') return false;
  return !BAD_DEV_CHAR.test(name);
}

// ---------------------------------------------------------------------------------------------
// Addresses.

interface SockAddr {
  addr: string;
  family: Family;
}

/** keepalived's inet_stosockaddr: the family from a ':', anything after '-' or '/' dropped. */
function parseSockAddr(w: string): SockAddr | undefined {
  const family: Family = w.includes(':') ? 'inet6' : 'inet';
  const cut = w.search(SOCK_CUT);
  const ip = cut >= 0 ? w.slice(0, cut) : w;
  if (ip.includes('%') || isIP(ip) !== (family === 'inet' ? 4 : 6)) return undefined;
  return { addr: ip, family };
}

/** keepalived's check_valid_ipaddress(str, allow_subnet_mask = true). */
function validIpWithPrefix(w: string): SockAddr | undefined {
  if (!w.includes(':') && !w.includes('.')) return undefined;
  const family: Family = w.includes(':') ? 'inet6' : 'inet';
  const slash = w.indexOf('/');
  let ip = w;
  if (slash >= 0) {
    const p = w.slice(slash + 1);
    if (!DIGITS.test(p) || Number(p) > (family === 'inet6' ? 128 : 32)) return undefined;
    ip = w.slice(0, slash);
  }
  if (ip.includes('%') || isIP(ip) !== (family === 'inet' ? 4 : 6)) return undefined;
  return { addr: w, family };
}

/** The 16 bytes of an IPv6 address (already validated). */
function ipv6Bytes(addr: string): number[] {
  let s = addr;
  const tail: number[] = [];
  const v4 = V4_TAIL.exec(s);
  if (v4) {
    tail.push(Number(v4[1]), Number(v4[2]), Number(v4[3]), Number(v4[4]));
    s = s.slice(0, v4.index) + '0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const groups = (x: string): number[] => (x ? x.split(':').map((h) => parseInt(h, 16)) : []);
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const fill = rest === undefined ? [] : new Array<number>(8 - h.length - r.length).fill(0);
  const out: number[] = [];
  for (const g of [...h, ...fill, ...r]) out.push(g >> 8, g & 0xff);
  if (tail.length) out.splice(12, 4, ...tail);
  return out;
}

function isMulticast(a: SockAddr): boolean {
  if (a.family === 'inet') {
    const first = Number(a.addr.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  const b = ipv6Bytes(a.addr);
  return b[0] === 0xff && (b[1]! & 0x0f) === 2;
}

function isLinkLocal6(addr: string): boolean {
  const b = ipv6Bytes(addr.split('/')[0]!);
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** keepalived's read_unsigned (strtoul, base 10) with its messages. */
function uint(a: Args, i: number, min: number, max: number): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  const t = w.replace(LEADING_WS, '');
  const v = parseWholeInt(t, 10);
  if (t.startsWith('-')) a.error(`negative number '${w}'`, i);
  else if (v === undefined) a.error(`invalid number '${w}'`, i);
  else if (v > UINT_MAX) a.error(`number '${w}' outside unsigned integer range`, i);
  else if (v < min || v > max) a.error(`number '${w}' outside range [${min}, ${max}]`, i);
  else return v;
  return undefined;
}

/** keepalived's check_true_false on an optional word: absent = true, undefined = invalid. */
function optFlag(a: Args): boolean | undefined {
  const w = a.word(1);
  return w === undefined ? true : trueFalse(w);
}

// ---------------------------------------------------------------------------------------------
// Tracking (track_interface / track_script / track_file / track_process / track_bfd), shared by
// instances and sync groups. keepalived resolves names while parsing, so only the vrrp_scripts,
// track_files, ... defined above the instance are found.

interface Named {
  name: string;
}

const INDEX = new WeakMap<readonly Named[], { len: number; map: Map<string, Named> }>();

/** First item of `list` with this name, through an index kept up to date as the list grows. */
function lookup<T extends Named>(list: readonly T[], name: string): T | undefined {
  let ix = INDEX.get(list);
  if (!ix) {
    ix = { len: 0, map: new Map() };
    INDEX.set(list, ix);
  }
  if (ix.len > list.length) {
    ix.len = 0;
    ix.map.clear();
  }
  for (; ix.len < list.length; ix.len++) {
    const it = list[ix.len]!;
    if (!ix.map.has(it.name)) ix.map.set(it.name, it);
  }
  return ix.map.get(name) as T | undefined;
}

function numField(o: unknown, key: string, dflt: number): number {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : dflt;
}

function boolField(o: unknown, ...keys: string[]): boolean {
  for (const k of keys) if ((o as Record<string, unknown>)[k] === true) return true;
  return false;
}

function readTrackInterface(owner: string, list: TrackedInterface[], l: Args, ctx: BuildContext): void {
  const name = l.word(0)!;
  if (!usableInterface(ctx, name, l.pos)) {
    l.error(`(${owner}) tracked interface ${name} doesn't exist`);
    return;
  }
  if (list.some((t) => t.name === name)) {
    l.error(`(${owner}) duplicate track_interface ${name} - ignoring`);
    return;
  }
  let weight = 0;
  let reverse = false;
  if (l.length >= 2) {
    if (l.word(1) !== 'weight') {
      l.error(`(${owner}) unknown track_interface ${name} option ${l.word(1)} - ignoring`, 1);
      return;
    }
    if (l.length === 2) {
      l.error(`(${owner}) weight without value specified for track_interface ${name} - ignoring`);
      return;
    }
    const w = l.int(2, -254, 254);
    if (w === undefined) {
      l.error(`(${owner}) weight ${l.word(2)} for ${name} must be between [-253..253] inclusive. Ignoring...`, 2);
      weight = 0;
    } else if (Math.abs(w) === 254) {
      l.error(`(${owner}) weight for ${name} cannot be +/-254. Setting to +/-253`, 2);
      weight = w < 0 ? -253 : 253;
    } else weight = w;
    if (l.length >= 4) {
      if (l.word(3) === 'reverse') reverse = true;
      // keepalived's own spelling.
      else l.error(`(${owner}) unknown track_interace ${name} weight option ${l.word(3)} - ignoring`, 3);
    }
  }
  list.push({ name, weight, reverse, pos: l.pos });
}

interface TrackKind {
  keyword: string;
  /** The objects this kind refers to, defined so far. */
  defined(ctx: BuildContext): readonly Named[];
  what: string;
  min: number;
  max: number;
  notFound(owner: string, name: string): string;
  unknownOption(owner: string, name: string, opt: string): string;
  badWeight(owner: string, name: string, w: string): string;
  /** keepalived maps +/-254 to +/-253 for scripts. */
  clamp254: boolean;
  /** An unknown word after the weight drops the entry (files, bfd) or is only reported. */
  badReverseDrops: boolean;
  defaults(obj: Named): { weight: number; reverse: boolean };
}

const TRACK_SCRIPT: TrackKind = {
  keyword: 'track_script', what: 'track script', min: -254, max: 254, clamp254: true, badReverseDrops: false,
  defined: (ctx) => ctx.config.vrrp_scripts,
  notFound: (o, n) => `(${o}) track script ${n} not found, ignoring...`,
  unknownOption: (o, _n, opt) => `(${o}) unknown track script option ${opt} - ignoring`,
  badWeight: (o, n) => `(${o}) track script ${n}: weight must be between [-253..253] inclusive, ignoring...`,
  defaults: (s) => ({ weight: numField(s, 'weight', 0), reverse: boolField(s, 'weight_reverse') }),
};

const TRACK_FILE: TrackKind = {
  keyword: 'track_file', what: 'track file', min: -254, max: 254, clamp254: false, badReverseDrops: true,
  defined: (ctx) => ctx.config.track_files,
  notFound: (o, n) => `(${o}) track file ${n} not found, ignoring...`,
  unknownOption: (o, _n, opt) => `(${o}) unknown track file option ${opt} - ignoring`,
  badWeight: (o, n) => `(${o}) weight for track file ${n} must be in [-254..254] inclusive. Ignoring...`,
  defaults: (f) => ({ weight: numField(f, 'weight', 1), reverse: boolField(f, 'weight_reverse') }),
};

const TRACK_PROCESS: TrackKind = {
  keyword: 'track_process', what: 'track process', min: -254, max: 254, clamp254: false, badReverseDrops: false,
  defined: (ctx) => ctx.config.vrrp_track_processes,
  notFound: (o, n) => `(${o}) track process ${n} not found, ignoring...`,
  unknownOption: (o, _n, opt) => `(${o}) unknown track process option ${opt} - ignoring`,
  badWeight: (o, n) => `(${o}) weight for track process ${n} must be in [-254..254] inclusive. Ignoring...`,
  defaults: (p) => ({ weight: numField(p, 'weight', 0), reverse: boolField(p, 'weight_reverse', 'reverse') }),
};

const TRACK_BFD: TrackKind = {
  keyword: 'track_bfd', what: 'track bfd', min: -253, max: 253, clamp254: false, badReverseDrops: true,
  defined: (ctx) => ctx.config.bfd_instances,
  notFound: (o, n) => `(${o}) track bfd ${n} not found, ignoring...`,
  unknownOption: (o, n, opt) => `(${o}) unknown track bfd ${n} option ${opt} - ignoring`,
  badWeight: (o, n) => `(${o}) weight for track bfd ${n} must be in [-253..253] inclusive. Ignoring...`,
  defaults: (b) => ({ weight: numField(b, 'weight', 0), reverse: boolField(b, 'weight_reverse', 'reverse') }),
};

function readTracked(kind: TrackKind, owner: string, list: TrackedObject[], l: Args, ctx: BuildContext): void {
  const name = l.word(0)!;
  const obj = lookup(kind.defined(ctx), name);
  if (!obj) {
    l.error(kind.notFound(owner, name));
    return;
  }
  if (list.some((t) => t.name === name)) {
    l.error(`(${owner}) duplicate ${kind.keyword} ${name} - ignoring`);
    return;
  }
  let { weight, reverse } = kind.defaults(obj);
  if (l.length >= 2) {
    if (l.word(1) !== 'weight') {
      l.error(kind.unknownOption(owner, name, l.word(1)!), 1);
      return;
    }
    if (l.length === 2) {
      l.error(`(${owner}) weight without value specified for ${kind.what} ${name} - ignoring`);
      return;
    }
    const w = l.int(2, kind.min, kind.max);
    if (w === undefined) l.error(kind.badWeight(owner, name, l.word(2)!), 2);
    else if (kind.clamp254 && Math.abs(w) === 254) {
      l.error(`(${owner}) weight for ${name} cannot be +/-254. Setting to +/-253`, 2);
      weight = w < 0 ? -253 : 253;
    } else weight = w;
    if (l.length >= 4) {
      const opt = l.word(3)!;
      if (opt === 'reverse') reverse = true;
      else if (opt === 'noreverse') reverse = false;
      else {
        // keepalived spells it "track_script", "track_process", but "track file", "track bfd".
        const k = kind.keyword === 'track_bfd' || kind.keyword === 'track_file' ? kind.what : kind.keyword;
        l.error(`(${owner}) unknown ${k} ${name} weight option ${opt} - ignoring`, 3);
        if (kind.badReverseDrops) return;
      }
    }
  }
  list.push({ name, weight, reverse, pos: l.pos });
}

/** What instances and sync groups have in common: a name and the track_* lists. */
interface Tracking {
  name: string;
  track_interface: TrackedInterface[];
  track_script: TrackedObject[];
  track_file: TrackedObject[];
  track_process: TrackedObject[];
  track_bfd: TrackedObject[];
}

function trackKeywords<T>(prepare: (t: T) => Tracking): Keyword<T>[] {
  const tracked = (keyword: 'track_script' | 'track_file' | 'track_process' | 'track_bfd', kind: TrackKind, doc: string, extra: Partial<Keyword<T>> = {}): Keyword<T> => ({
    name: keyword, lines: true, args: '{ NAME [weight N [reverse|noreverse]] }', doc, ...extra,
    handle: (t, a, ctx) => {
      const o = prepare(t);
      for (const l of blockLines(a, ctx)) readTracked(kind, o.name, o[keyword], l, ctx);
    },
  });
  return [
    {
      name: 'track_interface', lines: true, args: '{ IFNAME [weight -253..253 [reverse]] }',
      doc: 'Interfaces whose state changes the priority (weight) or puts the instance in FAULT (no weight)',
      handle: (t, a, ctx) => {
        const o = prepare(t);
        for (const l of blockLines(a, ctx)) readTrackInterface(o.name, o.track_interface, l, ctx);
      },
    },
    tracked('track_script', TRACK_SCRIPT, 'vrrp_scripts to follow (defined above); weight 0 means FAULT on failure'),
    tracked('track_file', TRACK_FILE, 'track_files to follow (defined above)'),
    tracked('track_process', TRACK_PROCESS, 'vrrp_track_process entries to follow (defined above)'),
    tracked('track_bfd', TRACK_BFD, 'bfd_instances to follow', { support: 'not-yet', note: 'BFD' }),
  ];
}

// ---------------------------------------------------------------------------------------------
// vrrp_instance keywords.

type K = Keyword<VrrpInstance>;

function note(v: VrrpInstance, a: Args): Raw {
  const r = raw(v);
  r.at.set(a.keyword, a.pos);
  return r;
}

/** keepalived's family rule: the first address sets it, later ones must match. */
function claimFamily(v: VrrpInstance, f: Family): boolean {
  const r = raw(v);
  if (r.family === undefined) {
    r.family = f;
    v.family = f;
    return true;
  }
  return r.family === f;
}

function setSource(v: VrrpInstance, a: Args, field: 'mcast_src_ip' | 'unicast_src_ip'): void {
  const r = note(v, a);
  const w = a.need(1);
  if (w === undefined) return;
  const s = parseSockAddr(w);
  if (!s) {
    a.error(`Configuration error: VRRP instance[${v.name}] malformed src address[${w}]. Skipping...`, 1);
    return;
  }
  if (!claimFamily(v, s.family)) {
    a.error(`Configuration error: VRRP instance[${v.name}] and src address[${w}] MUST be of the same family !!! Skipping...`, 1);
    delete v.mcast_src_ip;
    delete v.unicast_src_ip;
    r.saddrFromConfig = false;
    return;
  }
  v.mcast_src_ip = undefined;
  v.unicast_src_ip = undefined;
  v[field] = s.addr;
  r.saddrFromConfig = true;
}

type NotifyField = 'notify_master' | 'notify_backup' | 'notify_fault' | 'notify_stop' | 'notify' | 'notify_master_rx_lower_pri';

type NotifyHolder = { name: string } & Partial<Record<NotifyField, ScriptSpec>>;

function notifyKeyword<T>(
  name: NotifyField, doc: string, already: (owner: string, kw: string, w: string) => string, prepare: (t: T) => NotifyHolder,
): Keyword<T> {
  return {
    name, args: 'SCRIPT [USER [GROUP]]', doc,
    handle: (t, a) => {
      const o = prepare(t);
      const r = RAW.get(t as unknown as VrrpInstance);
      r?.at.set(name, a.pos);
      // keepalived reads the word before anything else (a missing one stops it).
      const w = a.need(1);
      if (w === undefined) return;
      if (o[name]) {
        a.error(already(o.name, name, w));
        return;
      }
      const s = readScript(a);
      if (s) o[name] = s;
    },
  };
}

const instanceNotifyAlready = (o: string, kw: string, w: string): string => `(${o}) ${kw} script already specified - ignoring ${w}`;

/** A boolean keyword whose word is optional; keepalived's message for a bad word. */
function flagKeyword(name: string, doc: string, bad: (v: VrrpInstance, w: string) => string, set: (v: VrrpInstance, r: Raw, b: boolean, a: Args) => void): K {
  return {
    name, args: '[true|false]', doc,
    handle: (v, a) => {
      const r = note(v, a);
      const b = optFlag(a);
      if (b === undefined) a.error(bad(v, a.word(1)!), 1);
      else set(v, r, b, a);
    },
  };
}

/** keepalived reads a 5-octet MAC as the first five bytes, the VRID completing it. */
function parseVmacMac(w: string): { bytes: number[]; useVrid: boolean } | undefined {
  const parts = w.split(':');
  const octet = (p: string | undefined): boolean => p !== undefined && HEX_OCTET.test(p);
  if (parts.length < 5 || !parts.slice(0, 5).every(octet)) return undefined;
  const bytes = parts.slice(0, 5).map((p) => parseInt(p, 16));
  if (parts.length === 5 || (parts.length === 6 && parts[5] === '')) return { bytes: [...bytes, 0], useVrid: true };
  if (!octet(parts[5])) return undefined;
  return { bytes: [...bytes, parseInt(parts[5]!, 16)], useVrid: false };
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

function vmacHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  const r = note(v, a);
  r.vmac = true;
  v.use_vmac ??= {};
  for (let i = 1; i < a.length && i <= 2; i++) {
    const w = a.word(i)!;
    if (w.includes(':')) {
      if (r.macBytes) {
        a.error('VMAC interface address already specified', i);
        continue;
      }
      if (NOT_MAC_CHAR.test(w)) {
        a.error(`VMAC invalid MAC address ${w}`, i);
        continue;
      }
      const m = parseVmacMac(w);
      if (!m) a.error(`VMAC invalid MAC address ${w} - ignored`, i);
      else if (m.bytes[0]! & 1) a.error(`VMAC MAC address is multicast ${w} - ignoring`, i);
      else if (m.bytes[0] === 0 && m.bytes[1] === 0 && m.bytes[2] === 0x5e && m.bytes[3] === 0 && (m.bytes[4] === 1 || m.bytes[4] === 2)) {
        a.error(`VMAC MAC address not allowed to be RFC5798 address (${w}) - ignoring`, i);
      } else {
        r.macBytes = m.bytes;
        r.macUseVrid = m.useVrid;
        v.use_vmac.mac = m.bytes.map(hex2).join(':');
      }
      continue;
    }
    if (r.vmacName) {
      a.error('VMAC interface name already specified', i);
      continue;
    }
    if (!devNameValid(w)) {
      a.error(`VMAC interface name '${w}' too long or invalid characters - ignoring`, i);
      continue;
    }
    if (!claimVmacName(v, w, a, i, ctx)) continue;
    if (interfaceExists(ctx, w) && !isStackedInterface(w)) {
      a.error(`(${v.name}) interface ${w} already exists and is not a private macvlan; ignoring vmac if_name`, i);
      releaseVmacName(v, ctx);
      continue;
    }
  }
}

function claimVmacName(v: VrrpInstance, name: string, a: Args, i: number, ctx: BuildContext): boolean {
  const names = scratch(ctx).vmacNames;
  const other = names.get(name);
  if (other !== undefined) {
    a.error(`(${v.name}) VRRP instance ${other} is already using ${name} - ignoring name`, i);
    return false;
  }
  names.set(name, v.name);
  raw(v).vmacName = name;
  if (v.use_vmac && raw(v).vmac) v.use_vmac.interface = name;
  if (v.use_ipvlan && raw(v).ipvlan) v.use_ipvlan.interface = name;
  return true;
}

function releaseVmacName(v: VrrpInstance, ctx: BuildContext): void {
  const r = raw(v);
  if (r.vmacName) scratch(ctx).vmacNames.delete(r.vmacName);
  delete r.vmacName;
  if (v.use_vmac) delete v.use_vmac.interface;
  if (v.use_ipvlan) delete v.use_ipvlan.interface;
}

function ipvlanHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  const r = note(v, a);
  if (r.ipvlan) {
    a.error(`(${v.name}) use_ipvlan already specified`);
    return;
  }
  r.ipvlan = true;
  const ipv: IpvlanSettings = { mode: 'bridge' };
  v.use_ipvlan = ipv;
  let hadMode = false;
  for (let i = 1; i < a.length; i++) {
    const w = a.word(i)!;
    if (w === 'bridge' || w === 'private' || w === 'vepa') {
      if (hadMode) a.error(`(${v.name}) ipvlan type already specified - ignoring '${w}'`, i);
      else {
        ipv.mode = w;
        hadMode = true;
      }
      continue;
    }
    const ip = validIpWithPrefix(w);
    if (ip) {
      if (ipv.address !== undefined) {
        a.error(`(${v.name}) ipvlan address already specified - ignoring '${w}'`, i);
        continue;
      }
      if (!claimFamily(v, ip.family)) {
        a.error(`(${v.name}) ipvlan address[${w}] MUST match vrrp instance family !!! Skipping...`, i);
        continue;
      }
      ipv.address = w;
      // The ipvlan address is also the source address, unless one was given.
      if (!r.saddrFromConfig) r.saddrFromConfig = true;
      continue;
    }
    if (r.vmacName) {
      a.error(`(${v.name}) IPVLAN interface already specified - ignoring '${w}'`, i);
      continue;
    }
    if (w.length >= IFNAMSIZ) {
      a.error(`(${v.name}) IPVLAN interface name '${w}' too long - ignoring`, i);
      continue;
    }
    if (!claimVmacName(v, w, a, i, ctx)) continue;
    if (interfaceExists(ctx, w) && !isStackedInterface(w)) {
      a.error(`(${v.name}) interface ${w} already exists and is not an l2 ipvlan; ignoring ipvlan if_name`, i);
      releaseVmacName(v, ctx);
    }
  }
}

function interfaceHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  const r = note(v, a);
  const name = a.need(1);
  if (name === undefined) return;
  if (name.length >= IFNAMSIZ) {
    a.error(`Interface name '${name}' too long - ignoring`, 1);
    return;
  }
  r.ifOk = false;
  v.interface = undefined;
  if (!usableInterface(ctx, name, a.posOf(1))) {
    a.error(`WARNING - interface ${name} for vrrp_instance ${v.name} doesn't exist`, 1);
    return;
  }
  if (isLoopback(ctx, name)) {
    a.error(`(${v.name}) cannot use a loopback interface (${name}) for vrrp - ignoring`, 1);
    return;
  }
  r.ifOk = true;
  v.interface = name;
}

function vrfHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  const r = note(v, a);
  const name = a.need(1);
  if (name === undefined) return;
  if (name.length >= IFNAMSIZ) {
    a.error(`(${v.name}) VRF interface name '${name}' too long - ignoring`, 1);
    return;
  }
  if (r.ifOk) {
    a.error(`(${v.name}) Cannot specify VRF interface and interface - ignoring`);
    return;
  }
  if (r.vrfSet) {
    a.error(`(${v.name}) VRF interface already specified as '${v.vrf ?? ''}' - ignoring`);
    return;
  }
  if (!usableInterface(ctx, name, a.posOf(1))) {
    a.error(`(${v.name}) WARNING - VRF interface ${name} doesn't exist`, 1);
    return;
  }
  if (isLoopback(ctx, name)) {
    a.error(`(${v.name}) cannot use a loopback interface (${name}) for VRF - ignoring`, 1);
    return;
  }
  r.vrfSet = true;
  v.vrf = name;
}

function unicastPeerLine(v: VrrpInstance, l: Args): void {
  const w = l.word(0)!;
  const s = parseSockAddr(w);
  if (!s) {
    l.error(`Configuration error: VRRP instance[${v.name}] malformed unicast peer address[${w}]. Skipping...`);
    return;
  }
  if (!claimFamily(v, s.family)) {
    l.error(`Configuration error: VRRP instance[${v.name}] and unicast peer address[${w}] MUST be of the same family !!! Skipping...`);
    return;
  }
  const peer: UnicastPeer = { address: s.addr, min_ttl: 0, max_ttl: 255 };
  for (let i = 1; i < l.length; i += 2) {
    const opt = l.word(i)!;
    if (i + 1 >= l.length) {
      l.error(`(${v.name}) ${opt} is missing a value`, i);
      break;
    }
    const ttl = uint(l, i + 1, 0, 255);
    if (ttl === undefined) continue;
    if (opt === 'min_ttl') peer.min_ttl = ttl;
    else if (opt === 'max_ttl') peer.max_ttl = ttl;
    else {
      l.error(`(${v.name}) unknown unicast_peer option ${opt}`, i);
      break;
    }
    // A TTL window makes keepalived check the source of adverts.
    v.check_unicast_src = true;
  }
  if (peer.min_ttl > peer.max_ttl) {
    l.error(`(${v.name}) min_ttl ${peer.min_ttl} > max_ttl ${peer.max_ttl} - all packets will be discarded`);
  }
  v.unicast_peer.push(peer);
}

function vipHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  note(v, a);
  for (const l of blockLines(a, ctx)) {
    const e = parseAddressLine(l, 'vip', ctx);
    if (!e) continue;
    if (!claimFamily(v, e.family)) {
      l.error(`(${v.name}): address family must match VRRP instance [${l.word(0)}] - ignoring`);
      continue;
    }
    v.virtual_ipaddress.push(e);
  }
}

function stateHandler(v: VrrpInstance, a: Args): void {
  const r = note(v, a);
  const s = a.need(1);
  if (s === undefined) return;
  if (s === 'MASTER') r.wantState = 'MASTER';
  else if (s === 'BACKUP') {
    if (r.wantState === 'MASTER') a.error(`(${v.name}) state previously set as MASTER - ignoring BACKUP`, 1);
    else r.wantState = 'BACKUP';
  } else {
    a.error(`(${v.name}) unknown state '${s}', defaulting to BACKUP`, 1);
    r.wantState = 'BACKUP';
  }
  if (r.wantState) v.state = r.wantState;
}

function versionHandler(v: VrrpInstance, a: Args): void {
  const r = note(v, a);
  const n = a.int(1, 2, 3);
  if (n === undefined) {
    a.error(`(${v.name}): Version must be either 2 or 3`, 1);
    return;
  }
  if ((r.version !== undefined && r.version !== n) || (n === 2 && r.family === 'inet6')) {
    a.error(`(${v.name}) vrrp_version ${n} conflicts with configured or deduced version ${r.version ?? 0}; ignoring.`, 1);
    return;
  }
  r.version = n as 2 | 3;
  v.version = r.version;
}

function advertHandler(v: VrrpInstance, a: Args): void {
  const r = note(v, a);
  const us = a.decimal(1, US / 100, 255 * US, 6);
  if (us === undefined || us <= 0) {
    a.error(`(${v.name}) Advert interval (${a.word(1) ?? ''}) not valid! Must be > 0 - ignoring`, 1);
    return;
  }
  r.advertUs = us;
  v.advert_int = us / US;
}

/** A whole number of seconds or repeats with keepalived's message when invalid. */
function garpNumber(name: string, min: number, max: number, bad: (inst: string, w: string) => string, apply: (v: VrrpInstance, r: Raw, n: number, a: Args) => void, doc: string): K {
  return {
    name, args: name.endsWith('delay') || name.endsWith('refresh') ? 'SECS' : 'N', doc,
    handle: (v, a) => {
      const r = note(v, a);
      const n = uint(a, 1, min, max);
      if (n === undefined) {
        a.error(bad(v.name, a.word(1) ?? ''), 1);
        if (name === 'garp_master_refresh') {
          // keepalived sets the refresh to 0 even when the value is invalid.
          v.garp_master_refresh = 0;
          r.explicit.add(name);
        }
        return;
      }
      r.explicit.add(name);
      apply(v, r, n, a);
    },
  };
}

function garpExtraIfHandler(v: VrrpInstance, a: Args): void {
  const r = note(v, a);
  let delay: number | undefined;
  const cmd = a.keyword;
  for (let i = 1; i < a.length; i++) {
    if (a.word(i) === 'all') r.garpAll = true;
    else {
      const n = uint(a, i, 0, 86400);
      if (n === undefined) {
        a.error(`(${v.name}): ${cmd} '${a.word(i)}' invalid - ignoring`, i);
        return;
      }
      delay = n;
    }
  }
  if (delay === undefined) {
    a.error(`(${v.name}): ${cmd} specified without time - ignoring`);
    return;
  }
  r.garpExtraIf = delay;
}

function lvsSyncdHandler(v: VrrpInstance, a: Args, ctx: BuildContext): void {
  note(v, a);
  a.error(`(${v.name}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon`);
  const s = scratch(ctx);
  const global = globals(ctx).lvs_sync_daemon;
  const globalIf = typeof global === 'string' ? global
    : global && typeof global === 'object' ? (global as Record<string, unknown>).interface as string | undefined : undefined;
  const already = s.lvsSyncd ?? globalIf;
  if (already !== undefined) {
    a.error(`(${v.name}) lvs_sync_daemon_interface has already been specified as ${already} - ignoring`);
    return;
  }
  const w = a.need(1);
  if (w === undefined) return;
  s.lvsSyncd = w;
  v.lvs_sync_daemon_interface = w;
}

const authKeywords: Keyword<VrrpInstance>[] = [
  {
    name: 'auth_type', args: 'PASS|AH', doc: 'VRRPv2 authentication: PASS (clear text) or AH (IPsec AH); not with VRRPv3 or strict mode',
    handle: (v, a) => {
      const r = note(v, a);
      const t = a.need(1);
      if (t === undefined) return;
      if (t === 'AH' || t === 'PASS') r.authType = t;
      else a.error(`(${v.name}) unknown authentication type '${t}'`, 1);
    },
  },
  {
    name: 'auth_pass', args: 'PASSWORD', doc: 'Password; keepalived uses the first 8 characters',
    handle: (v, a) => {
      const r = note(v, a);
      const p = a.need(1);
      if (p === undefined) return;
      let used = p;
      // keepalived counts bytes; the password field of the packet has 8.
      if (Buffer.byteLength(p) > 8) {
        a.error('Truncating auth_pass to 8 characters', 1);
        used = Buffer.from(p).subarray(0, 8).toString('latin1');
        r.authPassLong = { pos: a.posOf(1), used };
      }
      r.authPass = used;
    },
  },
];

export const authenticationBlock: BlockDef<VrrpInstance> = defineBlock('authentication', authKeywords, 'VRRPv2 authentication');

const syncOf = new WeakMap<VrrpInstance, CompleteSyncGroup>();

const keywords: K[] = [
  { name: 'state', args: 'MASTER|BACKUP', default: 'BACKUP (MASTER when priority is 255)', doc: 'Initial state', handle: stateHandler },
  { name: 'interface', args: 'IFNAME', doc: 'Interface the adverts are sent and received on', handle: interfaceHandler },
  { name: 'vrf', args: 'IFNAME', doc: 'VRF of a unicast instance without interface', support: 'not-yet', note: 'VRF', handle: vrfHandler },
  {
    name: 'use_vmac', args: '[IFNAME] [MAC]', doc: 'Send and receive on a macvlan with the VRRP virtual MAC (00:00:5e:00:01:VRID)',
    handle: vmacHandler,
  },
  {
    name: 'use_vmac_addr', doc: 'Put VIPs on other interfaces on VMACs too', support: 'not-yet', note: 'VMACs for VIPs on other interfaces',
    handle: (v, a) => { note(v, a); v.use_vmac_addr = true; },
  },
  { name: 'vmac_xmit_base', doc: 'Send adverts from the base interface, not the VMAC', handle: (v, a) => { note(v, a); v.vmac_xmit_base = true; } },
  {
    name: 'use_ipvlan', args: '[IFNAME] [IP[/PREFIX]] [bridge|private|vepa]', doc: 'Use an ipvlan interface instead of a VMAC',
    support: 'not-yet', note: 'ipvlan', handle: ipvlanHandler,
  },
  {
    name: 'native_ipv6', doc: 'Force IPv6 (and VRRPv3); normally deduced from the VIPs',
    handle: (v, a) => {
      const r = note(v, a);
      if (r.family === 'inet') {
        a.error(`(${v.name}) Cannot specify native_ipv6 with IPv4 addresses`);
        return;
      }
      r.family = 'inet6';
      v.family = 'inet6';
      r.version = 3;
      v.version = 3;
    },
  },
  { name: 'dont_track_primary', doc: 'Ignore faults of the instance interface', handle: (v, a) => { note(v, a); v.dont_track_primary = true; } },
  ...trackKeywords<VrrpInstance>((v) => v),
  { name: 'mcast_src_ip', args: 'IP', doc: 'Source address of the adverts', handle: (v, a) => setSource(v, a, 'mcast_src_ip') },
  {
    name: 'unicast_src_ip', args: 'IP', doc: 'Source address of unicast adverts',
    handle: (v, a) => { raw(v).unicastConfigured = true; setSource(v, a, 'unicast_src_ip'); },
  },
  {
    name: 'mcast_dst_ip', args: 'IP', default: '224.0.0.18 / ff02::12 (global vrrp_mcast_group4/6)', doc: 'Multicast group of the adverts',
    handle: (v, a) => {
      note(v, a);
      const w = a.need(1);
      if (w === undefined) return;
      const s = parseSockAddr(w);
      if (!s) {
        a.error(`(${v.name}) malformed mcast dest address ${w}. Skipping...`, 1);
        return;
      }
      delete v.mcast_dst_ip;
      if (!claimFamily(v, s.family)) {
        a.error(`(${v.name}) mcast dest address ${w} MUST match VRRP instance family. Skipping...`, 1);
        return;
      }
      if (!isMulticast(s)) {
        a.error(`(${v.name}) mcast_dst_ip ${w} not${s.family === 'inet6' ? ' link-local' : ''} multicast. Skipping...`, 1);
        return;
      }
      v.mcast_dst_ip = s.addr;
    },
  },
  { name: 'track_src_ip', doc: 'Report the configured source address in adverts even if it is removed', handle: (v, a) => { note(v, a); v.track_src_ip = true; } },
  {
    name: 'virtual_router_id', args: '1..255', doc: 'VRID, the same on every router of the group (required)',
    handle: (v, a) => {
      note(v, a);
      const n = uint(a, 1, 1, 255);
      if (n === undefined) a.error(`(${v.name}): VRID '${a.word(1) ?? ''}' not valid - must be between 1 & 255`, 1);
      else v.virtual_router_id = n;
    },
  },
  {
    name: 'unicast_ttl', args: '0..255', default: '255 (IPv4)', doc: 'TTL of unicast adverts',
    handle: (v, a) => {
      const r = note(v, a);
      const n = uint(a, 1, 0, 255);
      if (n === undefined) a.error(`(${v.name}): TTL '${a.word(1) ?? ''}' not valid - must be between 0 & 255`, 1);
      else r.ttl = n;
    },
  },
  { name: 'version', args: '2|3', default: 'global vrrp_version (2; 3 for IPv6)', doc: 'VRRP protocol version', handle: versionHandler },
  {
    name: 'priority', args: '1..255', default: '100 (255 with state MASTER)', doc: 'Priority; 255 = address owner',
    handle: (v, a) => {
      const r = note(v, a);
      const n = uint(a, 1, 1, PRIO_OWNER);
      r.prioritySet = true;
      if (n === undefined) {
        a.error(`(${v.name}) Priority not valid! must be between 1 & ${PRIO_OWNER}. Using default 100`, 1);
        v.priority = 100;
      } else v.priority = n;
    },
  },
  {
    name: 'advert_int', args: 'SECS', default: '1', doc: 'Advert interval (VRRPv2 rounds to whole seconds, VRRPv3 to 10 ms)',
    handle: advertHandler,
  },
  {
    name: 'authentication', block: () => authenticationBlock as BlockDef<unknown>, doc: 'VRRPv2 authentication (auth_type, auth_pass)',
    handle: (v, a, ctx) => {
      const r = note(v, a);
      walkChild(a, authenticationBlock, v, ctx);
      if (r.authType) v.authentication = r.authPass !== undefined ? { auth_type: r.authType, auth_pass: r.authPass } : { auth_type: r.authType };
    },
  },
  { name: 'virtual_ipaddress', lines: true, args: '{ ADDRESS-LINE ... }', doc: 'Addresses owned by the master (advertised)', handle: vipHandler },
  {
    name: 'virtual_ipaddress_excluded', lines: true, args: '{ ADDRESS-LINE ... }', doc: 'Addresses owned by the master, not advertised',
    handle: (v, a, ctx) => {
      note(v, a);
      for (const l of blockLines(a, ctx)) {
        const e = parseAddressLine(l, 'evip', ctx);
        if (e) v.virtual_ipaddress_excluded.push(e);
      }
    },
  },
  { name: 'promote_secondaries', doc: 'Set promote_secondaries on the interface', handle: (v, a) => { note(v, a); v.promote_secondaries = true; } },
  {
    name: 'linkbeat_use_polling', support: 'never', note: 'keel follows link state through rtnetlink',
    doc: 'Deprecated: poll the link state (use the linkbeat_interfaces block)',
    handle: (v, a) => {
      note(v, a);
      v.linkbeat_use_polling = true;
      a.error(`(${v.name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`);
    },
  },
  {
    name: 'virtual_routes', lines: true, args: '{ ROUTE-LINE ... }', doc: 'Routes added by the master',
    handle: (v, a, ctx) => {
      note(v, a);
      for (const l of blockLines(a, ctx)) {
        const e = parseRouteLine(l, 'virtual', ctx);
        if (e) v.virtual_routes.push(e);
      }
    },
  },
  {
    name: 'virtual_rules', lines: true, args: '{ RULE-LINE ... }', doc: 'Policy rules added by the master',
    handle: (v, a, ctx) => {
      note(v, a);
      for (const l of blockLines(a, ctx)) {
        const e = parseRuleLine(l, 'virtual', ctx);
        if (e) v.virtual_rules.push(e);
      }
    },
  },
  { name: 'accept', doc: 'Accept packets to the VIPs when not address owner (default unless strict)', handle: (v, a) => { note(v, a).accept = true; } },
  {
    name: 'no_accept', doc: 'Drop packets to the VIPs unless address owner (RFC behaviour)', support: 'not-yet', note: 'needs the nftables rules',
    handle: (v, a) => { note(v, a).accept = false; },
  },
  flagKeyword('skip_check_adv_addr', 'Do not check the addresses of adverts from the current master',
    (v, w) => `(${v.name}) invalid skip_check_adv_addr ${w} specified`,
    (v, r, b, a) => {
      // keepalived 2.2.7 sets the flag for any valid word, even "false".
      v.skip_check_adv_addr = true;
      if (!b) r.skipFalse = a.posOf(1);
    }),
  flagKeyword('strict_mode', 'RFC-strict mode for this instance (default: global vrrp_strict)',
    (v, w) => `(${v.name}) invalid strict_mode ${w} specified`, (_v, r, b) => { r.strict = b; }),
  {
    name: 'preempt', doc: 'Legacy: preempt (the default)',
    handle: (v, a) => { delete note(v, a).nopreemptAt; v.nopreempt = false; },
  },
  {
    name: 'nopreempt', doc: 'A higher-priority backup does not take over from a master (needs state BACKUP)',
    handle: (v, a) => { note(v, a).nopreemptAt = a.pos; v.nopreempt = true; },
  },
  {
    name: 'preempt_delay', args: 'SECS (0..1000)', default: '0', doc: 'Delay before preempting a lower-priority master after start-up',
    handle: (v, a) => {
      note(v, a);
      const us = a.decimal(1, 0, 1000 * US, 6);
      if (us === undefined) {
        a.error(`(${v.name}) Preempt_delay not valid! must be between 0-1000`, 1);
        v.preempt_delay = 0;
      } else v.preempt_delay = us / US;
    },
  },
  {
    name: 'debug', args: '0..4', support: 'never', note: 'keepalived does not act on it either',
    handle: (v, a) => {
      note(v, a);
      const n = uint(a, 1, 0, 4);
      if (n === undefined) a.error(`(${v.name}) Debug value '${a.word(1) ?? ''}' not valid; must be between 0-4`, 1);
      else v.debug = n;
    },
  },
  notifyKeyword<VrrpInstance>('notify_backup', 'Script run on entering BACKUP', instanceNotifyAlready, (v) => v),
  notifyKeyword<VrrpInstance>('notify_master', 'Script run on entering MASTER', instanceNotifyAlready, (v) => v),
  notifyKeyword<VrrpInstance>('notify_fault', 'Script run on entering FAULT', instanceNotifyAlready, (v) => v),
  notifyKeyword<VrrpInstance>('notify_stop', 'Script run when the instance stops', instanceNotifyAlready, (v) => v),
  {
    name: 'notify_deleted', args: '[SCRIPT [USER [GROUP]]]', doc: 'Report DELETED instead of FAULT when removed on reload (and run SCRIPT)',
    handle: (v, a) => {
      note(v, a);
      if (v.notify_deleted) {
        a.error(`(${v.name}) notify_deleted already specified - ignoring ${a.word(1) ?? ''}`);
        return;
      }
      if (a.length > 1) {
        const s = readScript(a);
        if (s) v.notify_deleted_script = s;
      }
      v.notify_deleted = true;
    },
  },
  notifyKeyword<VrrpInstance>('notify', 'Script run on every state change (+ INSTANCE name state priority)', instanceNotifyAlready, (v) => v),
  notifyKeyword<VrrpInstance>('notify_master_rx_lower_pri', 'Script run when the master receives a lower-priority advert', instanceNotifyAlready, (v) => v),
  flagKeyword('smtp_alert', 'E-mail on state changes (default: global smtp_alert_vrrp / smtp_alert)',
    (_v, w) => `Invalid vrrp_instance smtp_alert parameter ${w}`, (v, r, b) => { r.smtpAlert = b; v.smtp_alert = b; }),
  flagKeyword('notify_priority_changes', 'Run notify scripts when the priority changes',
    (v, w) => `(${v.name}) Invalid value '${w}' for notify_priority_changes specified`, (v, r, b) => { r.notifyPriorityChanges = b; v.notify_priority_changes = b; }),
  {
    name: 'lvs_sync_daemon_interface', args: 'IFNAME', doc: 'Deprecated: use global_defs lvs_sync_daemon',
    support: 'not-yet', note: 'IPVS sync daemon', handle: lvsSyncdHandler,
  },
  garpNumber('garp_master_delay', 0, Math.floor(UINT_MAX / US), (n, w) => `(${n}): garp_master_delay '${w}' invalid - ignoring`,
    (v, _r, n) => { v.garp_master_delay = n; }, 'Delay of the second gratuitous ARP burst after becoming master (default: global)'),
  garpNumber('garp_master_refresh', 0, UINT_MAX, (n, w) => `(${n}): Invalid garp_master_refresh '${w}' - ignoring`,
    (v, _r, n) => { v.garp_master_refresh = n; }, 'Interval of gratuitous ARP refreshes while master (0 = none)'),
  garpNumber('garp_master_repeat', 0, UINT_MAX, (n, w) => `(${n}): garp_master_repeat '${w}' invalid - ignoring`,
    (v, _r, n, a) => {
      if (n === 0) a.error(`(${v.name}): garp_master_repeat must be greater than 0, setting to 1`, 1);
      v.garp_master_repeat = Math.max(1, n);
    }, 'Gratuitous ARPs per burst'),
  garpNumber('garp_master_refresh_repeat', 0, UINT_MAX, (n, w) => `(${n}): garp_master_refresh_repeat '${w}' invalid - ignoring`,
    (v, _r, n, a) => {
      if (n === 0) a.error(`(${v.name}): garp_master_refresh_repeat must be greater than 0, setting to 1`, 1);
      v.garp_master_refresh_repeat = Math.max(1, n);
    }, 'Gratuitous ARPs per refresh'),
  garpNumber('garp_lower_prio_delay', 0, Math.floor(UINT_MAX / US), (n, w) => `(${n}): garp_lower_prio_delay '${w}' invalid - ignoring`,
    (_v, r, n) => { r.garpLowerPrioDelay = n; }, 'Delay of gratuitous ARPs after a lower-priority advert'),
  garpNumber('garp_lower_prio_repeat', 0, INT_MAX, (n, w) => `(${n}): Invalid garp_lower_prio_repeat '${w}'`,
    (_v, r, n) => { r.garpLowerPrioRep = n; }, 'Gratuitous ARPs after a lower-priority advert'),
  garpNumber('down_timer_adverts', 1, 100, (n, w) => `(${n}): Invalid down_timer_adverts [1:100] '${w}'`,
    (v, _r, n) => { v.down_timer_adverts = n; }, 'Adverts missed before the master is declared down (RFC: 3)'),
  { name: 'garp_extra_if', args: '[all] SECS', doc: 'Repeat gratuitous ARPs on the other interfaces of the VIPs', handle: garpExtraIfHandler },
  {
    name: 'vmac_garp_intvl', aliasOf: 'garp_extra_if', args: '[all] SECS',
    deprecated: 'Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"', handle: garpExtraIfHandler,
  },
  flagKeyword('lower_prio_no_advert', 'Do not answer a lower-priority advert with an advert',
    (v, w) => `(${v.name}) invalid lower_prio_no_advert ${w} specified`, (_v, r, b) => { r.lowerPrioNoAdvert = b; }),
  flagKeyword('higher_prio_send_advert', 'Send an advert on receiving a higher-priority one',
    (v, w) => `(${v.name}) invalid higher_prio_send_advert ${w} specified`, (_v, r, b) => { r.higherPrioSendAdvert = b; }),
  {
    name: 'kernel_rx_buf_size', args: 'BYTES', support: 'not-yet', note: 'socket buffer sizes',
    handle: (v, a) => {
      note(v, a);
      if (a.length === 2) {
        const n = uint(a, 1, 0, UINT_MAX);
        if (n !== undefined) {
          v.kernel_rx_buf_size = n;
          return;
        }
      }
      a.error(`(${v.name}) invalid kernel_rx_buf_size specified`);
    },
  },
  {
    name: 'unicast_peer', lines: true, args: '{ IP [min_ttl N] [max_ttl N] ... }', doc: 'Send adverts to these addresses instead of multicast',
    handle: (v, a, ctx) => {
      note(v, a).unicastConfigured = true;
      for (const l of blockLines(a, ctx)) unicastPeerLine(v, l);
    },
  },
  {
    name: 'unicast_fault_no_peer', doc: 'Go to FAULT rather than multicast when there are no unicast peers',
    handle: (v, a) => {
      const r = note(v, a);
      r.unicastConfigured = true;
      r.faultNoPeer = true;
      v.unicast_fault_no_peer = true;
    },
  },
  {
    name: 'check_unicast_src', doc: 'Accept unicast adverts only from the unicast peers',
    handle: (v, a) => { note(v, a).unicastConfigured = true; v.check_unicast_src = true; },
  },
  {
    name: 'old_unicast_checksum', args: '[never]', support: 'not-yet', note: 'checksums of keepalived before 1.3.6',
    doc: 'Send unicast adverts with the pre-1.3.6 checksum',
    handle: (v, a) => {
      note(v, a).unicastConfigured = true;
      const w = a.word(1);
      if (w === undefined) v.old_unicast_checksum = 'on';
      else if (w === 'never') v.old_unicast_checksum = 'never';
      else a.error(`(${v.name}) Unknown old_unicast_chksum mode ${w} - ignoring`, 1);
    },
  },
];

export const vrrpInstanceBlock: BlockDef<VrrpInstance> = defineBlock('vrrp_instance', keywords, 'A VRRP instance (virtual router)');

// ---------------------------------------------------------------------------------------------
// vrrp_sync_group keywords.

const groupNotifyAlready = (o: string, kw: string, w: string): string => `vrrp group ${o}: ${kw} script already specified - ignoring ${w}`;

const syncKeywords: Keyword<SyncGroup>[] = [
  {
    name: 'group', lines: true, args: '{ INSTANCE ... }', doc: 'The vrrp_instances that change state together',
    handle: (g, a, ctx) => {
      const r = groupRaw(g);
      if (r.groupSeen) {
        a.error(`Group list already specified for sync group ${g.name}`);
        return;
      }
      r.groupSeen = true;
      for (const l of blockLines(a, ctx)) g.group.push(...l.rest(0));
      if (!g.group.length) a.error(`Warning - sync group ${g.name} has empty group block`);
    },
  },
  ...trackKeywords<SyncGroup>(ensureGroup),
  notifyKeyword<SyncGroup>('notify_backup', 'Script run when the group enters BACKUP', groupNotifyAlready, ensureGroup),
  notifyKeyword<SyncGroup>('notify_master', 'Script run when the group enters MASTER', groupNotifyAlready, ensureGroup),
  notifyKeyword<SyncGroup>('notify_fault', 'Script run when the group enters FAULT', groupNotifyAlready, ensureGroup),
  notifyKeyword<SyncGroup>('notify_stop', 'Script run when the group stops', groupNotifyAlready, ensureGroup),
  notifyKeyword<SyncGroup>('notify', 'Script run on every group state change (+ GROUP name state 0)', groupNotifyAlready, ensureGroup),
  {
    name: 'smtp_alert', args: '[true|false]', doc: 'E-mail on group state changes',
    handle: (g, a) => {
      const r = groupRaw(g);
      const b = optFlag(a);
      if (b === undefined) a.error(`Invalid vrrp_group smtp_alert parameter ${a.word(1)}`, 1);
      else {
        r.smtpAlert = b;
        g.smtp_alert = b;
      }
    },
  },
  {
    name: 'global_tracking', doc: 'Deprecated name of sync_group_tracking_weight',
    handle: (g, a) => {
      ensureGroup(g);
      a.error(`(${g.name}) global_tracking is deprecated. Use track_interface/script/file on the sync group`);
      g.sync_group_tracking_weight = true;
    },
  },
  {
    name: 'sync_group_tracking_weight', doc: 'Members keep the weights of their own track_* (otherwise ignored in a group)',
    handle: (g) => { ensureGroup(g).sync_group_tracking_weight = true; },
  },
  {
    name: 'notify_priority_changes', args: '[true|false]', doc: 'Default of notify_priority_changes for the members',
    handle: (g, a) => {
      const r = groupRaw(g);
      const b = optFlag(a);
      if (b === undefined) a.error(`(${g.name}) Invalid value '${a.word(1)}' for sync group notify_priority_changes specified`, 1);
      else {
        r.notifyPriorityChanges = b;
        g.notify_priority_changes = b;
      }
    },
  },
];
export const syncGroupBlock: BlockDef<SyncGroup> = defineBlock('vrrp_sync_group', syncKeywords, 'Instances that change state together');

// ---------------------------------------------------------------------------------------------
// After the whole file: keepalived's vrrp_end_handler, then (when every interface exists)
// vrrp_complete_init.

interface Reporter {
  error(msg: string, pos?: Pos): void;
  warning(msg: string, pos?: Pos): void;
  hint(msg: string, pos?: Pos): void;
}

function reporter(ctx: BuildContext, loud: boolean, dflt?: Pos): Reporter {
  return {
    error: (m, p) => { if (loud) ctx.diags.error(m, p ?? dflt); },
    warning: (m, p) => { if (loud) ctx.diags.warning(m, p ?? dflt); },
    hint: (m, p) => { if (loud) ctx.diags.hint(m, p ?? dflt); },
  };
}

/** The checks keepalived makes at the closing brace of each vrrp_instance. */
function endOfInstance(v: VrrpInstance, ctx: BuildContext): void {
  const r = raw(v);
  const rep = reporter(ctx, true, v.pos);
  if (r.unicastConfigured && (r.vmac || r.ipvlan)) {
    if (!r.ifOk) {
      rep.error(`(${v.name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac`);
      r.vmac = false;
      r.ipvlan = false;
      releaseVmacName(v, ctx);
      delete v.use_vmac;
      delete v.use_ipvlan;
    } else if (!v.vmac_xmit_base) {
      rep.error(`(${v.name}) unicast with use_vmac requires vmac_xmit_base - setting`);
      v.vmac_xmit_base = true;
    }
  }
  if (!v.unicast_peer.length && r.ttl !== undefined) {
    rep.error(`(${v.name}): Cannot use unicast_ttl without unicast peers - resetting`, r.at.get('unicast_ttl'));
    r.ttl = 0;
  }
  if (!r.ifOk) v.linkbeat_use_polling = false;
}

/** "VI_1 ..." at the instance's line, or at the keyword's line when known. */
function at(v: VrrpInstance, kw: string): Pos | undefined {
  return raw(v).at.get(kw) ?? v.pos;
}

function garpDefaults(v: VrrpInstance, ctx: BuildContext): void {
  const r = raw(v);
  const ex = r.explicit;
  if (!ex.has('garp_master_delay')) v.garp_master_delay = gNum(ctx, 'vrrp_garp_master_delay', 5);
  if (!ex.has('garp_master_repeat')) v.garp_master_repeat = gNum(ctx, 'vrrp_garp_master_repeat', 5);
  if (!ex.has('garp_master_refresh')) v.garp_master_refresh = gNum(ctx, 'vrrp_garp_master_refresh', 0);
  if (!ex.has('garp_master_refresh_repeat')) v.garp_master_refresh_repeat = gNum(ctx, 'vrrp_garp_master_refresh_repeat', 1);
  if (!ex.has('down_timer_adverts')) v.down_timer_adverts = gNum(ctx, 'vrrp_down_timer_adverts', 3);
  // The keyword can only set the flag, so the global default always applies.
  if (gBool(ctx, 'vrrp_skip_check_adv_addr')) v.skip_check_adv_addr = true;
}

/** vrrp_complete_instance: defaults that depend on other settings, strict mode, fixes. */
function completeInstance(v: VrrpInstance, ctx: BuildContext, loud: boolean): boolean {
  const r = raw(v);
  const rep = reporter(ctx, loud, v.pos);
  const sync = syncOf.get(v);
  garpDefaults(v, ctx);

  const strict = r.strict ?? (gBool(ctx, 'vrrp_strict') ?? false);
  v.strict_mode = strict;
  let version = r.version;
  if (r.family === 'inet6') {
    if (version === 2 && strict) {
      rep.error(`(${v.name}) cannot use IPv6 with VRRP version 2; setting version 3`, at(v, 'version'));
      version = 3;
    } else if (version === undefined) version = 3;
  }
  const family: Family = r.family ?? 'inet';
  v.family = family;
  if (version === undefined) version = family === 'inet6' ? 3 : (gNum(ctx, 'vrrp_version', 2) === 3 ? 3 : 2);
  v.version = version;
  if (family === 'inet' && r.ttl === undefined) v.unicast_ttl = 255;
  else if (r.ttl !== undefined) v.unicast_ttl = r.ttl;

  if (!v.virtual_ipaddress.length) {
    if (version === 3 || strict) {
      rep.error(`(${v.name}) No VIP specified; at least one is required`);
      return false;
    }
    rep.error(`(${v.name}) No VIP specified; at least one is sensible`);
  }

  if (!r.prioritySet) v.priority = r.wantState === 'MASTER' ? PRIO_OWNER : 100;
  let state: 'MASTER' | 'BACKUP';
  if (r.wantState === undefined) state = v.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';
  else {
    state = r.wantState;
    if (strict && (state === 'MASTER') !== (v.priority === PRIO_OWNER)) {
      rep.error(`(${v.name}) State MASTER must match being address owner`, at(v, 'state'));
      state = v.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';
    }
  }

  completeAuth(v, rep, strict, state, (s) => { state = s; });

  if (r.unicastConfigured && !v.unicast_peer.length) {
    if (!r.faultNoPeer) {
      rep.warning(`(${v.name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.`);
    } else rep.hint(`(${v.name}) Cannot use unicast without any peers - the instance will stay in FAULT state`);
  }
  const unicast = v.unicast_peer.length > 0;

  completeVmacFlags(v, ctx, rep, strict);

  if (v.interface && !unicast) {
    const flags = sysNet(ctx, v.interface, 'flags');
    if (flags !== undefined && !(parseInt(flags, 16) & IFF_MULTICAST)) {
      rep.error(`(${v.name}) interface ${v.interface} does not support multicast, specify unicast peers - disabling`);
    }
  }

  if (family === 'inet6' && !unicast && v.virtual_ipaddress.length && !isLinkLocal6(v.virtual_ipaddress[0]!.address)) {
    if (strict) rep.error(`(${v.name}) the first IPv6 VIP address must be link local`, at(v, 'virtual_ipaddress'));
    else rep.hint(`(${v.name}) the first IPv6 VIP address should be link local (RFC 5798)`, at(v, 'virtual_ipaddress'));
  }

  if (r.vrfSet && (r.ifOk || !unicast)) {
    rep.error(`(${v.name}) vrf can only be specified with${r.ifOk ? 'out interface' : ' unicast'} - clearing`, at(v, 'vrf'));
    delete v.vrf;
    r.vrfSet = false;
  }

  limitVips(v, ctx, rep, version);

  if (v.priority === PRIO_OWNER && v.nopreempt) {
    rep.error(`(${v.name}) nopreempt is incompatible with priority ${PRIO_OWNER}. resetting nopreempt`, at(v, 'nopreempt'));
    v.nopreempt = false;
  }
  if (state === 'MASTER') {
    if (v.nopreempt) {
      rep.error(`(${v.name}) Warning - nopreempt will not work with initial state MASTER - clearing`, at(v, 'nopreempt'));
      v.nopreempt = false;
    }
    if (v.preempt_delay) {
      rep.error(`(${v.name}) Warning - preempt delay will not work with initial state MASTER - clearing`, at(v, 'preempt_delay'));
      v.preempt_delay = 0;
    }
  }
  if (v.preempt_delay) {
    if (strict) {
      rep.error(`(${v.name}) preempt_delay is incompatible with strict mode - resetting`, at(v, 'preempt_delay'));
      v.preempt_delay = 0;
    }
    if (v.nopreempt) {
      rep.error(`(${v.name}) preempt_delay is incompatible with nopreempt mode - resetting`, at(v, 'preempt_delay'));
      v.preempt_delay = 0;
    }
  }
  if (v.down_timer_adverts !== 3 && strict) {
    rep.error(`(${v.name}) down_timer_adverts is incompatible with strict mode - resetting`, at(v, 'down_timer_adverts'));
    v.down_timer_adverts = 3;
  }
  v.state = state;

  let accept = r.accept ?? (v.priority === PRIO_OWNER ? true : !strict);
  if (accept && v.priority !== PRIO_OWNER && strict && version === 2) {
    rep.error(`(${v.name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting`, at(v, 'accept'));
    accept = false;
  }
  v.accept = accept;

  if (unicast && v.mcast_dst_ip !== undefined) {
    rep.error(`(${v.name}) multicast destination specified with unicast - ignoring`, at(v, 'mcast_dst_ip'));
    delete v.mcast_dst_ip;
  }

  completeGarpStrict(v, ctx, rep, strict);

  if (r.smtpAlert === undefined) v.smtp_alert = gBool(ctx, 'smtp_alert_vrrp') ?? gBool(ctx, 'smtp_alert') ?? false;
  if (r.notifyPriorityChanges === undefined) {
    const gr = sync ? groupRaw(sync).notifyPriorityChanges : undefined;
    v.notify_priority_changes = gr ?? gBool(ctx, 'vrrp_notify_priority_changes') ?? false;
  }

  completeAdvert(v, rep, version);

  if (!r.saddrFromConfig) v.track_src_ip = false;

  completeVmacInterfaces(v, rep, strict);
  if (loud) {
    const inst = { name: v.name, interface: v.interface, family: v.family, use_vmac: r.vmac, use_vmac_addr: v.use_vmac_addr };
    v.virtual_ipaddress = checkInstanceAddresses(inst, v.virtual_ipaddress, 'vip', ctx);
    v.virtual_ipaddress_excluded = checkInstanceAddresses(inst, v.virtual_ipaddress_excluded, 'evip', ctx);
  }
  completeTracking(v, rep, sync);
  return true;
}

function completeAuth(v: VrrpInstance, rep: Reporter, strict: boolean, state: 'MASTER' | 'BACKUP', setState: (s: 'BACKUP') => void): void {
  const r = raw(v);
  const t = r.authType;
  const pos = at(v, 'auth_type');
  let keep = t !== undefined;
  if (t === undefined) return;
  if (strict) {
    rep.error(`(${v.name}) Strict mode does not support authentication. Ignoring.`, pos);
    keep = false;
  } else if (v.version === 3) {
    rep.error(`(${v.name}) VRRP version 3 does not support authentication. Ignoring.`, pos);
    keep = false;
  } else if (!r.authPass) {
    rep.error(`(${v.name}) Authentication specified but no password given. Ignoring`, pos);
    keep = false;
  } else if (v.family === 'inet6' && t === 'AH') {
    rep.error(`(${v.name}) Cannot use AH authentication with IPv6. ignoring`, pos);
    keep = false;
  } else if (t === 'AH' && state === 'MASTER' && v.priority !== PRIO_OWNER) {
    rep.error(`(${v.name}) Initial state master is incompatible with AH authentication - clearing`, at(v, 'state'));
    setState('BACKUP');
  }
  v.authentication = keep ? { auth_type: t, auth_pass: r.authPass! } : undefined;
}

function completeVmacFlags(v: VrrpInstance, ctx: BuildContext, rep: Reporter, strict: boolean): void {
  const r = raw(v);
  if (strict && r.macBytes) {
    rep.error(`(${v.name}): cannot specify MAC address with strict mode - clearing`, at(v, 'use_vmac'));
    delete r.macBytes;
    if (v.use_vmac) delete v.use_vmac.mac;
  }
  if (r.vmac && r.macBytes && r.macUseVrid && v.use_vmac && v.virtual_router_id !== undefined) {
    r.macBytes[5] = v.virtual_router_id;
    v.use_vmac.mac = r.macBytes.map(hex2).join(':');
  }
  if ((r.vmac || r.ipvlan) && v.interface) {
    const type = sysNet(ctx, v.interface, 'type');
    if (type !== undefined && type !== ARPHRD_ETHER) {
      rep.error(`(${v.name}): vmacs are only supported on Ethernet type interfaces`, at(v, r.vmac ? 'use_vmac' : 'use_ipvlan'));
    }
  }
}

/** VIPs that do not fit in an advert are moved to the excluded addresses. */
function limitVips(v: VrrpInstance, ctx: BuildContext, rep: Reporter, version: 2 | 3): void {
  const mtuText = v.interface ? sysNet(ctx, v.interface, 'mtu') : undefined;
  const mtu = mtuText !== undefined && DIGITS.test(mtuText) ? Number(mtuText) : 1500;
  const ETH = 14;
  const VRRP_HDR = 8;
  let max: number;
  if (v.family === 'inet') {
    let hdr = ETH + 20 + VRRP_HDR;
    if (version === 2) hdr += 8 + (raw(v).authType === 'AH' && v.authentication ? 24 : 0);
    max = Math.floor((mtu - hdr) / 4);
  } else max = Math.floor((mtu - (ETH + 40 + VRRP_HDR)) / 16);
  max = Math.min(max, 255);
  const n = v.virtual_ipaddress.length;
  if (n > max) {
    rep.error(`(${v.name}) Number of VIPs (${n}) exceeds maximum/space available in packet (max ${max} addresses) - excess moved to eVIPs`, at(v, 'virtual_ipaddress'));
    v.virtual_ipaddress_excluded.push(...v.virtual_ipaddress.splice(max));
  }
}

function completeGarpStrict(v: VrrpInstance, ctx: BuildContext, rep: Reporter, strict: boolean): void {
  const r = raw(v);
  const gRep = gNum(ctx, 'vrrp_garp_master_repeat', 5);
  const gDelay = gNum(ctx, 'vrrp_garp_master_delay', 5);
  const globalLowerRep = gNum(ctx, 'vrrp_garp_lower_prio_repeat', gRep);
  const globalLowerDelay = gNum(ctx, 'vrrp_garp_lower_prio_delay', gDelay);
  if (r.garpLowerPrioRep === undefined) v.garp_lower_prio_repeat = strict ? 0 : globalLowerRep;
  else if (strict && r.garpLowerPrioRep) {
    rep.error(`(${v.name}) Strict mode requires no repeat garps. resetting`, at(v, 'garp_lower_prio_repeat'));
    v.garp_lower_prio_repeat = 0;
  } else v.garp_lower_prio_repeat = r.garpLowerPrioRep;
  if (r.garpLowerPrioDelay === undefined) v.garp_lower_prio_delay = strict ? 0 : globalLowerDelay;
  else if (strict && r.garpLowerPrioDelay) {
    rep.error(`(${v.name}) Strict mode requires no repeat garp delay. resetting`, at(v, 'garp_lower_prio_delay'));
    v.garp_lower_prio_delay = 0;
  } else v.garp_lower_prio_delay = r.garpLowerPrioDelay;
  if (r.lowerPrioNoAdvert === undefined) v.lower_prio_no_advert = strict ? true : (gBool(ctx, 'vrrp_lower_prio_no_advert') ?? false);
  else if (strict && !r.lowerPrioNoAdvert) {
    rep.error(`(${v.name}) Strict mode requires no lower priority advert. resetting`, at(v, 'lower_prio_no_advert'));
    v.lower_prio_no_advert = true;
  } else v.lower_prio_no_advert = r.lowerPrioNoAdvert;
  if (r.higherPrioSendAdvert === undefined) v.higher_prio_send_advert = strict ? false : (gBool(ctx, 'vrrp_higher_prio_send_advert') ?? false);
  else if (strict && r.higherPrioSendAdvert) {
    rep.error(`(${v.name}) strict mode requires higher_prio_send_advert to be clear. resetting`, at(v, 'higher_prio_send_advert'));
    v.higher_prio_send_advert = false;
  } else v.higher_prio_send_advert = r.higherPrioSendAdvert;
  v.garp_extra_if = r.garpExtraIf !== undefined
    ? { delay: r.garpExtraIf, all: r.garpAll }
    : globalGarpExtraIf(ctx);
}

function globalGarpExtraIf(ctx: BuildContext): GarpExtraIf {
  const g = globals(ctx).vrrp_garp_extra_if;
  if (typeof g === 'number') return { delay: g, all: false };
  if (g && typeof g === 'object') {
    const o = g as Record<string, unknown>;
    const d = [o.delay, o.interval, o.seconds].find((x) => typeof x === 'number') as number | undefined;
    return { delay: d ?? 0, all: o.all === true };
  }
  return { delay: 0, all: false };
}

/** VRRPv2 carries whole seconds, VRRPv3 hundredths: keepalived rounds and says so. */
function completeAdvert(v: VrrpInstance, rep: Reporter, version: 2 | 3): void {
  const r = raw(v);
  let us = r.advertUs ?? US;
  const pos = at(v, 'advert_int');
  const f6 = (x: number): string => (x / US).toFixed(6);
  if (version === 2) {
    if (us >= 256 * US) {
      rep.error(`(${v.name}) VRRPv2 advertisement interval ${(us / US).toFixed(2)}s is out of range. Must be less than 256s. Setting to 255s`, pos);
      us = 255 * US;
    } else if (us % US) {
      rep.error(`(${v.name}) VRRPv2 advertisement interval ${f6(us)}s must be an integer. rounding`, pos);
      us += US / 2;
      us -= us % US;
      if (us === 0) us = US;
    }
  } else {
    const centi = US / 100;
    if (us >= 4096 * centi) {
      rep.error(`(${v.name}) VRRPv3 advertisement interval ${(us / US).toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`, pos);
      us = 4095 * centi;
    } else if (us % centi) {
      rep.error(`(${v.name}) VRRPv3 advertisement interval ${f6(us)}s must be in units of 10ms - rounding`, pos);
      us += centi / 2;
      us -= us % centi;
      if (us === 0) us = centi;
    }
  }
  v.advert_int = us / US;
}

function completeVmacInterfaces(v: VrrpInstance, rep: Reporter, strict: boolean): void {
  const r = raw(v);
  if (r.vmac && strict && v.vmac_xmit_base) {
    rep.error(`(${v.name}) xmit_base is incompatible with strict mode - resetting`, at(v, 'vmac_xmit_base'));
    v.vmac_xmit_base = false;
  }
  if ((r.vmac || r.ipvlan) && v.promote_secondaries) {
    rep.error(`(${v.name}) promote_secondaries is automatically set for vmacs - ignoring`, at(v, 'promote_secondaries'));
    v.promote_secondaries = false;
  }
  if (r.ipvlan && v.use_ipvlan) {
    const addr = v.use_ipvlan.address;
    if (v.family === 'inet' && addr === undefined) {
      rep.error(`(${v.name}) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state`, at(v, 'use_ipvlan'));
    } else if (addr !== undefined && (addr.includes(':') ? 'inet6' : 'inet') !== v.family) {
      rep.error(`(${v.name}) IPv4 ipvlan address family does not match instance. setting instance to fault state`, at(v, 'use_ipvlan'));
    }
  }
  if (v.interface) {
    const own = v.interface;
    v.track_interface = v.track_interface.filter((t) => {
      if (t.name !== own) return true;
      rep.error(`(${v.name}) Ignoring track_interface ${own} since own interface`, t.pos);
      return false;
    });
  }
  if (v.vmac_xmit_base && !r.vmac) {
    rep.error(`(${v.name}) vmac_xmit_base is only valid with a vmac`, at(v, 'vmac_xmit_base'));
    v.vmac_xmit_base = false;
  }
}

/** In a sync group (without sync_group_tracking_weight) or as address owner, weights are dropped. */
function completeTracking(v: VrrpInstance, rep: Reporter, sync: CompleteSyncGroup | undefined): void {
  const syncNoWeight = !!sync && !sync.sync_group_tracking_weight;
  if (!syncNoWeight && v.priority !== PRIO_OWNER) return;
  const why = syncNoWeight ? 'SYNC group' : 'address owner';
  const why2 = syncNoWeight ? 'SYNC group' : 'address_owner';
  v.track_interface = v.track_interface.filter((t) => {
    if (!t.weight) return true;
    rep.error(`(${v.name}) ignoring ${t.name} tracked interface ${syncNoWeight ? 'weight ' : ''}due to ${why}`, t.pos);
    if (syncNoWeight) {
      t.weight = 0;
      return true;
    }
    return false;
  });
  v.track_script = v.track_script.filter((t) => {
    if (!t.weight) return true;
    rep.error(`(${v.name}) ignoring tracked script ${t.name} with weights due to ${why2}`, t.pos);
    return false;
  });
  v.track_file = v.track_file.filter((t) => {
    if (t.weight === 1) {
      rep.error(`(${v.name}) ignoring weight from tracked file ${t.name} due to ${why2}. specify weight 0`, t.pos);
      t.weight = 0;
      return true;
    }
    if (!t.weight) return true;
    rep.error(`(${v.name}) ignoring tracked file ${t.name} with weight ${t.weight} due to ${why2}`, t.pos);
    return false;
  });
  v.track_bfd = v.track_bfd.filter((t) => {
    if (!t.weight) return true;
    rep.error(`(${v.name}) ignoring tracked bfd ${t.name} with weight ${t.weight} due to ${why2}`, t.pos);
    return false;
  });
}

// ---------------------------------------------------------------------------------------------
// Sync groups: membership (vrrp_sync_set_group) and group tracking (sync_group_tracking_init).

function setUpSyncGroups(config: Config, ctx: BuildContext, byName: Map<string, VrrpInstance>): Set<SyncGroup> {
  const removed = new Set<SyncGroup>();
  for (const g0 of config.vrrp_sync_groups) {
    const g = ensureGroup(g0);
    const gr = groupRaw(g);
    const pos = g.pos;
    if (!gr.groupSeen || !g.group.length) {
      ctx.diags.error(`Sync group ${g.name} has no virtual router(s). removing`, pos);
      removed.add(g);
      continue;
    }
    const members: string[] = [];
    let state: 'INIT' | 'MASTER' | 'BACKUP' = 'INIT';
    for (const name of g.group) {
      const v = byName.get(name);
      if (!v) {
        ctx.diags.error(`Virtual router ${name} specified in sync group ${g.name} doesn't exist - ignoring`, pos);
        continue;
      }
      if (syncOf.has(v)) {
        ctx.diags.error(`Virtual router ${name} cannot exist in more than one sync group; ignoring ${g.name}`, pos);
        continue;
      }
      syncOf.set(v, g);
      members.push(name);
      const r = raw(v);
      if (state === 'MASTER' && r.wantState === 'BACKUP') {
        ctx.diags.error(`Sync group ${g.name} has some member(s) as address owner and some not as address owner. This won't work.`, pos);
      }
      if (state !== 'BACKUP') state = r.wantState === 'MASTER' && r.prioritySet && v.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';
    }
    g.group = members;
    if (!members.length) {
      ctx.diags.error(`Sync group ${g.name}, no matching virtual router found in group declaration - removing`, pos);
      removed.add(g);
      continue;
    }
    if (members.length === 1) ctx.diags.error(`Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`, pos);
  }
  return removed;
}

function syncGroupTracking(config: Config, ctx: BuildContext, byName: Map<string, VrrpInstance>, removed: Set<SyncGroup>): void {
  for (const g0 of config.vrrp_sync_groups) {
    if (removed.has(g0)) continue;
    const g = ensureGroup(g0);
    const owner = g.group.some((n) => byName.get(n)?.priority === PRIO_OWNER);
    const clear = (list: TrackedObject[] | TrackedInterface[], what: string, tail: string): void => {
      if (!owner) return;
      for (const t of list) {
        if (!t.weight) continue;
        ctx.diags.error(`(${g.name}) Cannot have weighted track ${what} '${t.name}' with member having priority ${PRIO_OWNER} - ${tail}`, t.pos ?? g.pos);
        t.weight = 0;
      }
    };
    clear(g.track_script, 'script', 'clearing weight');
    clear(g.track_file, 'file', 'setting weight 0');
    clear(g.track_process, 'process', 'setting weight 0');
    clear(g.track_bfd, 'bfd', 'setting weight 0');
    clear(g.track_interface, 'interface', 'clearing weight');
    const gr = groupRaw(g);
    if (gr.smtpAlert === undefined) g.smtp_alert = gBool(ctx, 'smtp_alert_vrrp') ?? gBool(ctx, 'smtp_alert') ?? false;
  }
}

function groupDefaults(config: Config, ctx: BuildContext): void {
  for (const g of config.vrrp_sync_groups) {
    const gr = groupRaw(g);
    if (gr.notifyPriorityChanges === undefined) g.notify_priority_changes = gBool(ctx, 'vrrp_notify_priority_changes') ?? false;
    if (gr.smtpAlert === undefined) g.smtp_alert = gBool(ctx, 'smtp_alert_vrrp') ?? gBool(ctx, 'smtp_alert') ?? false;
  }
}

// ---------------------------------------------------------------------------------------------
// Duplicate VRIDs (check_vrid_conflicts), indexed so 1,000s of instances stay linear.

function checkVridConflicts(instances: readonly VrrpInstance[], ctx: BuildContext): boolean {
  const mcast = new Map<string, VrrpInstance[]>();
  const ucast = new Map<string, VrrpInstance[]>();
  const g4 = typeof globals(ctx).vrrp_mcast_group4 === 'string' ? globals(ctx).vrrp_mcast_group4 as string : '224.0.0.18';
  const g6 = typeof globals(ctx).vrrp_mcast_group6 === 'string' ? globals(ctx).vrrp_mcast_group6 as string : 'ff02::12';
  let bad = false;
  for (const v of instances) {
    if (v.virtual_router_id === undefined || !v.interface) continue;
    const base = `${v.family}|${v.virtual_router_id}|${v.interface}`;
    if (v.unicast_peer.length) {
      // keel cannot see interface addresses: compare configured source addresses only.
      const src = v.unicast_src_ip ?? v.mcast_src_ip;
      if (src === undefined) continue;
      const key = `${base}|${src}`;
      const list = ucast.get(key) ?? [];
      for (const o of list) {
        if (o.unicast_peer.some((p) => v.unicast_peer.some((q) => q.address === p.address))) {
          ctx.diags.error(`(${o.name}) duplicate VRID conflict with ${v.name} VRID ${v.virtual_router_id}`, v.pos);
          bad = true;
        }
      }
      list.push(v);
      ucast.set(key, list);
      continue;
    }
    const group = (v.mcast_dst_ip ?? (v.family === 'inet' ? g4 : g6)).toLowerCase();
    const key = `${base}|${group}`;
    const list = mcast.get(key) ?? [];
    if (interfaceExists(ctx, v.interface)) {
      for (const o of list) {
        ctx.diags.error(`${o.name} and ${v.name} both use VRID ${v.virtual_router_id} with IPv${v.family === 'inet' ? 4 : 6} on interface ${v.interface}`, v.pos);
        bad = true;
      }
    }
    list.push(v);
    mcast.set(key, list);
  }
  return bad;
}

// ---------------------------------------------------------------------------------------------
// Script security (check_vrrp_script_security): the notify scripts of instances and sync groups,
// checked with the trackers' check_script_secure; vrrp_scripts are checked by validateTrackers.

type NotifyKey = NotifyField | 'notify_deleted_script';
const INSTANCE_SCRIPTS: NotifyKey[] = ['notify_backup', 'notify_master', 'notify_fault', 'notify_stop', 'notify_deleted_script', 'notify', 'notify_master_rx_lower_pri'];
const GROUP_SCRIPTS: NotifyField[] = ['notify_backup', 'notify_master', 'notify_fault', 'notify_stop', 'notify'];

function notifyScriptSecurity(config: Config, ctx: BuildContext): void {
  if (!config.vrrp_instances.length) return;
  let flags = 0;
  // The same script file is checked once (1,000 instances often share one notify script).
  const seen = new Map<string, number>();
  const check = (o: Partial<Record<NotifyKey, ScriptSpec>>, key: NotifyKey, owner: string, pos: Pos | undefined): void => {
    const s = o[key];
    if (!s) return;
    const id = `${s.argv[0] ?? ''}\0${s.user ?? ''}\0${s.group ?? ''}`;
    let f = seen.get(id);
    if (f === undefined) {
      f = checkScriptSecurity(s, ctx, pos, `${key === 'notify_deleted_script' ? 'notify_deleted' : key} of ${owner}`);
      seen.set(id, f);
    }
    flags |= f;
    // keepalived drops a notify script it will not run.
    if (!scriptRuns(f)) delete o[key];
  };
  for (const v of config.vrrp_instances) for (const k of INSTANCE_SCRIPTS) check(v, k, v.name, at(v, k === 'notify_deleted_script' ? 'notify_deleted' : k));
  for (const g of config.vrrp_sync_groups) for (const k of GROUP_SCRIPTS) check(g, k, g.name, g.pos);
  reportScriptSecurity(ctx, 'vrrp', flags);
}

/**
 * keepalived resolves track_* names while parsing, after each vrrp_script / track_file /
 * vrrp_track_process block has been checked; keel checks those blocks afterwards
 * (validateTrackers). Entries whose object was removed there are "not found" as keepalived would
 * have said; scripts disabled by the security checks are dropped silently, as keepalived does.
 */
function reresolveTracked(config: Config, ctx: BuildContext): void {
  const files = new Set(config.track_files.map((f) => f.name));
  const procs = new Set(config.vrrp_track_processes.map((p) => p.name));
  const status = new Map<string, ReturnType<typeof trackScriptStatus>>();
  const scriptStatus = (n: string): ReturnType<typeof trackScriptStatus> => {
    let st = status.get(n);
    if (st === undefined) {
      st = trackScriptStatus(config, ctx, n);
      status.set(n, st);
    }
    return st;
  };
  const keep = (owner: string, list: TrackedObject[], ok: (n: string) => boolean | 'silent', what: string): TrackedObject[] =>
    list.filter((t) => {
      const r = ok(t.name);
      if (r === true) return true;
      if (r === false) ctx.diags.error(`(${owner}) ${what} ${t.name} not found, ignoring...`, t.pos);
      return false;
    });
  const scripts = (n: string): boolean | 'silent' => {
    const st = scriptStatus(n);
    return st === 'ok' ? true : st === 'disabled' ? 'silent' : false;
  };
  const fix = (o: Tracking): void => {
    o.track_script = keep(o.name, o.track_script, scripts, 'track script');
    o.track_file = keep(o.name, o.track_file, (n) => files.has(n), 'track file');
    o.track_process = keep(o.name, o.track_process, (n) => procs.has(n), 'track process');
  };
  for (const v of config.vrrp_instances) fix(v);
  for (const g of config.vrrp_sync_groups) fix(ensureGroup(g));
}

// ---------------------------------------------------------------------------------------------
// keel-only hints: traps keepalived accepts silently.

function hints(config: Config, ctx: BuildContext): void {
  const h = (m: string, p?: Pos): void => ctx.diags.hint(m, p);
  // One hint per script for the weight-0 trap, however many instances track it.
  const zero = new Map<string, { owners: string[]; pos?: Pos }>();
  const collect = (owner: string, list: TrackedObject[]): void => {
    for (const t of list) {
      if (t.weight !== 0) continue;
      const z = zero.get(t.name);
      if (z) z.owners.push(owner);
      else zero.set(t.name, { owners: [owner], pos: t.pos });
    }
  };
  for (const v of config.vrrp_instances) {
    const r = raw(v);
    if (r.nopreemptAt && r.wantState === 'MASTER') {
      h(`(${v.name}) nopreempt only works with state BACKUP: configure every router as BACKUP and let priority choose the master`, r.nopreemptAt);
    }
    collect(v.name, v.track_script);
    if (r.authPassLong) {
      h(`(${v.name}) only the first 8 characters of auth_pass ('${r.authPassLong.used}') are used; the other routers must use the same 8`, r.authPassLong.pos);
    }
    if (r.skipFalse) h(`(${v.name}) keepalived 2.2.7 treats 'skip_check_adv_addr false' as true; remove the line to check advert addresses`, r.skipFalse);
  }
  for (const g of config.vrrp_sync_groups) collect(`sync group ${g.name}`, ensureGroup(g).track_script);
  for (const [name, z] of zero) {
    const who = z.owners.length === 1 ? z.owners[0]! : `${z.owners[0]} and ${z.owners.length - 1} more`;
    h(`(${z.owners[0]}) track_script ${name} has weight 0: when the script fails, ${who} ${z.owners.length === 1 ? 'goes' : 'go'} to FAULT (give it a weight to lower the priority instead)`, z.pos);
  }
}

function mixedVersionHints(config: Config, ctx: BuildContext, byName: Map<string, VrrpInstance>, removed: Set<SyncGroup>): void {
  for (const g of config.vrrp_sync_groups) {
    if (removed.has(g)) continue;
    const members = g.group.map((n) => byName.get(n)).filter((v): v is VrrpInstance => !!v);
    if (new Set(members.map((v) => v.version)).size > 1) {
      const list = members.map((v) => `${v.name} v${v.version}`).join(', ');
      ctx.diags.hint(`Sync group ${g.name} mixes VRRP versions (${list}): every router of each VRID must run the same version; make sure this is intended`, g.pos);
    }
  }
}

// ---------------------------------------------------------------------------------------------

const MISSING_IF_MSG = 'Non-existent interface specified in configuration';
const MISSING_IF_RE = /(?:^WARNING - interface \S+ for .* doesn't exist$)|(?:tracked interface \S+ doesn't exist$)|(?:WARNING - VRF interface \S+ doesn't exist$)/;

/** The first "interface ... doesn't exist" report, for the summary line's position. */
function firstMissingIfPos(ctx: BuildContext): Pos | undefined {
  return ctx.diags.list.find((d) => d.pos && MISSING_IF_RE.test(d.message))?.pos;
}

/** Did anything (here or in other blocks: VIP dev, routes) name an interface that is not there? */
function nonExistentInterface(ctx: BuildContext): { missing: boolean; reported: boolean } {
  let missing = nonExistentInterfaceSeen(ctx);
  let reported = false;
  for (const d of ctx.diags.list) {
    if (d.message === MISSING_IF_MSG) reported = true;
    else if (!missing && (d.severity === 'error' || d.severity === 'warning') && MISSING_IF_RE.test(d.message)) missing = true;
  }
  return { missing, reported };
}

/** Defaults without messages, so --dump-json is complete even when the checks stop early. */
function quietComplete(config: Config, ctx: BuildContext): void {
  for (const v of config.vrrp_instances) completeInstance(v, ctx, false);
}

export function validateVrrp(config: Config, ctx: BuildContext): void {
  for (const g of config.vrrp_sync_groups) ensureGroup(g);
  reresolveTracked(config, ctx);
  for (const v of config.vrrp_instances) endOfInstance(v, ctx);

  const nx = nonExistentInterface(ctx);
  if (nx.missing) {
    // keepalived stops before vrrp_complete_init.
    if (!nx.reported) ctx.diags.fatal(MISSING_IF_MSG, nonExistentInterfacePos(ctx) ?? firstMissingIfPos(ctx));
    groupDefaults(config, ctx);
    quietComplete(config, ctx);
    hints(config, ctx);
    return;
  }

  notifyScriptSecurity(config, ctx);

  const byName = new Map<string, VrrpInstance>();
  for (const v of config.vrrp_instances) if (!byName.has(v.name)) byName.set(v.name, v);

  let ok = true;
  for (const v of config.vrrp_instances) {
    if (v.virtual_router_id === undefined) {
      ctx.diags.error(`(${v.name}) the virtual router id must be set`, v.pos);
      ok = false;
      break;
    }
    if (!raw(v).ifOk) {
      ctx.diags.error(`(${v.name}) Unknown interface!`, v.pos);
      ok = false;
      break;
    }
  }

  let removed = new Set<SyncGroup>();
  if (ok) removed = setUpSyncGroups(config, ctx, byName);
  groupDefaults(config, ctx);

  for (const v of config.vrrp_instances) {
    if (!completeInstance(v, ctx, ok)) ok = false;
  }
  if (ok && checkVridConflicts(config.vrrp_instances, ctx)) ok = false;
  if (ok) syncGroupTracking(config, ctx, byName, removed);
  if (removed.size) config.vrrp_sync_groups = config.vrrp_sync_groups.filter((g) => !removed.has(g));

  hints(config, ctx);
  if (ok) mixedVersionHints(config, ctx, byName, removed);
}
