// virtual_server, real_server, sorry_server and virtual_server_group, and the checks keepalived
// 2.2.7 makes once the file is read (check_parser.c, check_data.c alloc_* and
// validate_check_config, ipwrapper.c link_vsg_to_vs).
import type { Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { blockLines, defineBlock, walkChild, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';
import { readScript, type ScriptSpec } from '../words.js';
import { checkScriptSecurity, defaultScriptUser, reportScriptSecurity, resolveUser, scriptRuns, SC_EXECUTABLE, SC_INHIBIT, SC_NOTFOUND } from './trackers.js';
import {
  allZeros, checkerKeywords, closePos, flag, INT32_MAX, isSet, markSet, parseInet, parseSockAddr, resolveCheckerDefaults,
  timer, trio, uint, UINT_MAX, unsignedWord, value, type Checker, type Family, type InetAddr, type LvsScratch,
} from './checkers.js';

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos'] as const;
export type Scheduler = (typeof SCHEDULERS)[number];
export type LvsMethod = 'NAT' | 'DR' | 'TUN';
export type TunnelType = 'ipip' | 'gue' | 'gre';
export type TunnelCsum = 'nocsum' | 'csum' | 'remcsum';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** lvs_method and, for TUN, its tunnel options. */
export interface Forwarding {
  lvs_method: LvsMethod;
  /** TUN only; ipip when not given. */
  tunnel_type?: TunnelType;
  /** gue tunnels only (required there). */
  tunnel_port?: number;
  /** gue/gre tunnels only; nocsum when not given. */
  tunnel_csum?: TunnelCsum;
}

export interface SorryServer extends Forwarding {
  ip: string;
  port: number;
  /** sorry_server_inhibit: set the weight to 0 rather than remove it. */
  inhibit: boolean;
}

export interface RealServer extends Forwarding {
  ip: string;
  /** As written; for NAT (and DR/TUN without fwmark) keepalived fills in the virtual server's port. */
  port: number;
  /** Default: the virtual server's `weight` (1). */
  weight: number;
  uthreshold?: number;
  lthreshold?: number;
  inhibit_on_failure: boolean;
  alpha: boolean;
  /** Default for its checkers; inherited from the virtual server when set there. */
  retry?: number;
  delay_before_retry?: number;
  warmup?: number;
  connect_timeout: number;
  delay_loop: number;
  smtp_alert: boolean;
  virtualhost?: string;
  snmp_name?: string;
  notify_up?: ScriptSpec;
  notify_down?: ScriptSpec;
  checkers: Checker[];
  pos?: Pos;
}

export interface VirtualServer extends Forwarding {
  /** One of ip (+port), fwmark or group identifies the service. */
  ip?: string;
  port?: number;
  fwmark?: number;
  group?: string;
  /** Address family of the service (header, ip_family, or the real servers). */
  ip_family?: Family;
  /** Absent for fwmark services: keepalived ignores it there. */
  protocol?: Protocol;
  lvs_sched: Scheduler;
  /** One-packet scheduling (UDP only). */
  ops: boolean;
  'flag-1': boolean;
  'flag-2': boolean;
  'flag-3': boolean;
  'sh-port': boolean;
  'sh-fallback': boolean;
  'mh-port': boolean;
  'mh-fallback': boolean;
  /** Seconds; absent when the service is not persistent. */
  persistence_timeout?: number;
  /** IPv4 netmask (dotted) or IPv6 prefix length. */
  persistence_granularity?: string | number;
  persistence_engine?: string;
  ha_suspend: boolean;
  virtualhost?: string;
  snmp_name?: string;
  alpha: boolean;
  omega: boolean;
  quorum: number;
  hysteresis: number;
  quorum_up?: ScriptSpec;
  quorum_down?: ScriptSpec;
  /** Default weight of its real servers. */
  weight: number;
  inhibit_on_failure: boolean;
  retry?: number;
  delay_before_retry?: number;
  warmup?: number;
  connect_timeout: number;
  delay_loop: number;
  smtp_alert: boolean;
  sorry_server?: SorryServer;
  real_servers: RealServer[];
  pos?: Pos;
}

/** An address entry of a virtual_server_group: one address, or a range. */
export interface VsgRange {
  ip: string;
  /** Last address of a range (A-B, A-N or A/NN). */
  ip_end?: string;
  /** 0: no port (the service then needs persistence). */
  port: number;
}

export interface VsgFwmark {
  fwmark: number;
  family?: Family;
}

export interface VirtualServerGroup {
  name: string;
  ranges: VsgRange[];
  fwmarks: VsgFwmark[];
  pos?: Pos;
}

/** A virtual server with keepalived's defaults; `id` (ip/port, fwmark or group) comes first. */
export function newVirtualServer(id: Pick<VirtualServer, 'ip' | 'port' | 'fwmark' | 'group' | 'ip_family'> = {}): VirtualServer {
  return {
    ...id,
    lvs_sched: 'wlc', lvs_method: 'NAT',
    ops: false, 'flag-1': false, 'flag-2': false, 'flag-3': false, 'sh-port': false, 'sh-fallback': false, 'mh-port': false, 'mh-fallback': false,
    ha_suspend: false, alpha: false, omega: false, quorum: 1, hysteresis: 0, weight: 1, inhibit_on_failure: false,
    connect_timeout: 5, delay_loop: 60, smtp_alert: false, real_servers: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/** keepalived's FMT_VS: "[NAME]:N" for a group member, "FWM N", or "[ip]:proto:port". */
function vsName(vs: VirtualServer): string {
  if (vs.group !== undefined) return `[${vs.group}]:${groupSeq.get(vs) ?? 0}`;
  if (vs.fwmark) return `FWM ${vs.fwmark}`;
  return trio(vs.ip ?? '', vs.protocol, vs.port ?? 0);
}

/** The position of a VS in its group (keepalived numbers the members for its messages). */
const groupSeq = new WeakMap<VirtualServer, number>();

function familyOfIp(ip: string): Family {
  return ip.includes(':') ? 'inet6' : 'inet';
}

/** svr_forwarding_handler(): METHOD [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]. */
function readForwarding(t: Forwarding, a: Args, who: 'virtual' | 'real' | 'sorry'): boolean {
  const m = a.need(1);
  if (m === undefined) return false;
  if (m !== 'NAT' && m !== 'DR' && m !== 'TUN') {
    a.error(`PARSER : unknown [${m}] routing method for ${who} server.`, 1);
    return false;
  }
  t.lvs_method = m;
  let type: TunnelType = 'ipip';
  let port = 0;
  let csum: TunnelCsum = 'nocsum';
  for (let i = 2; i < a.length; i++) {
    const w = a.word(i)!;
    if (w === 'type') {
      const v = a.word(i + 1);
      if (v === undefined) { a.error(`Missing tunnel type for ${who} server.`, i); return true; }
      if (v !== 'ipip' && v !== 'gue' && v !== 'gre') { a.error(`Unknown tunnel type ${v} for ${who} server.`, i + 1); return true; }
      type = v;
      i++;
    } else if (w === 'port') {
      const v = a.word(i + 1);
      if (v === undefined) { a.error(`Missing port for ${who} server gue tunnel.`, i); return true; }
      let why = '';
      const p = unsignedWord(v, 1, 65535, (m) => { why = ` (${m})`; });
      if (p === undefined) { a.error(`Invalid gue tunnel port ${v} for ${who} server.${why}`, i + 1); return true; }
      port = p;
      i++;
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') {
      csum = w;
    } else {
      a.error(`Invalid tunnel option ${w} for ${who} server.`, i);
      return true;
    }
  }
  if ((type === 'gue') !== (port !== 0)) { a.error('gue tunnels require port, otherwise cannot have port.'); return true; }
  if (type === 'ipip' && csum !== 'nocsum') { a.error('ipip tunnels do not support checksum option.'); return true; }
  if (type === 'gre' && csum === 'remcsum') { a.error('gre tunnels do not support remote checksum option.'); return true; }
  delete t.tunnel_type;
  delete t.tunnel_port;
  delete t.tunnel_csum;
  if (m === 'TUN') {
    t.tunnel_type = type;
    if (type === 'gue') t.tunnel_port = port;
    if (type !== 'ipip') t.tunnel_csum = csum;
  }
  return true;
}

function copyForwarding(to: Forwarding, from: Forwarding): void {
  to.lvs_method = from.lvs_method;
  delete to.tunnel_type;
  delete to.tunnel_port;
  delete to.tunnel_csum;
  if (from.tunnel_type !== undefined) to.tunnel_type = from.tunnel_type;
  if (from.tunnel_port !== undefined) to.tunnel_port = from.tunnel_port;
  if (from.tunnel_csum !== undefined) to.tunnel_csum = from.tunnel_csum;
}

/** A script keyword (notify_up, quorum_up, ...) that may be given once. */
function scriptOnce<T>(key: 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down', owner: (t: T, ctx: BuildContext) => string): Keyword<T> {
  return {
    name: key, args: 'SCRIPT [USER [GROUP]]',
    handle: (t, a, ctx) => {
      const o = t as Partial<Record<typeof key, ScriptSpec>>;
      if (o[key]) return a.error(`(${owner(t, ctx)}) ${key} script already specified - ignoring ${a.word(1) ?? ''}`);
      const s = readScript(a);
      if (!s) return;
      o[key] = s;
      scriptPos.set(s, a.pos);
    },
  };
}

/** Where each notify/quorum script was written, for the checks made after parsing. */
const scriptPos = new WeakMap<ScriptSpec, Pos>();

// ---------------------------------------------------------------------------------------------
// real_server.

function setRs<K extends keyof RealServer>(rs: RealServer, key: K, v: RealServer[K] | undefined): void {
  if (v === undefined) return;
  rs[key] = v;
  markSet(rs, key);
}

const rsKeywords: Keyword<RealServer>[] = [
  {
    name: 'weight', args: 'N', doc: 'IPVS weight (default: the virtual server\'s weight)', default: '1',
    handle: (r, a) => setRs(r, 'weight', uint(a, 1, 0, INT32_MAX, `Real server weight ${a.word(1)} is outside range 0-${INT32_MAX}`)),
  },
  { name: 'lvs_method', args: 'NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]', doc: 'Forwarding method (default: the virtual server\'s)', handle: (r, a) => { if (readForwarding(r, a, 'real')) markSet(r, 'lvs_method'); } },
  { name: 'uthreshold', args: 'N', doc: 'Upper connection limit', handle: (r, a) => setRs(r, 'uthreshold', uint(a, 1, 0, UINT_MAX, `Invalid real_server uthreshold '${a.word(1)}' - ignoring`)) },
  { name: 'lthreshold', args: 'N', doc: 'Lower connection limit', handle: (r, a) => setRs(r, 'lthreshold', uint(a, 1, 0, UINT_MAX, `Invalid real_server lthreshold '${a.word(1)}' - ignoring`)) },
  { name: 'inhibit_on_failure', args: '[BOOL]', doc: 'On failure set the weight to 0 rather than remove the server', handle: (r, a) => setRs(r, 'inhibit_on_failure', flag(a, `Invalid inhibit_on_failure parameter ${a.word(1)}`)) },
  scriptOnce<RealServer>('notify_up', (_r, ctx) => vsName(lvsOf(ctx).vs)),
  scriptOnce<RealServer>('notify_down', (_r, ctx) => vsName(lvsOf(ctx).vs)),
  { name: 'alpha', args: '[BOOL]', doc: 'Checkers start failed until their first success', handle: (r, a) => setRs(r, 'alpha', flag(a, `Invalid alpha parameter ${a.word(1)}`)) },
  { name: 'retry', args: 'N', doc: 'Default retry of its checkers', handle: (r, a) => setRs(r, 'retry', uint(a, 1, 1, UINT_MAX, `retry value invalid - ${a.word(1)}`)) },
  { name: 'delay_before_retry', args: 'SECS', doc: 'Default delay_before_retry of its checkers', handle: (r, a) => setRs(r, 'delay_before_retry', timer(a, 1, 0, 0, `real server delay_before_retry '${a.word(1)}' invalid - ignoring`)) },
  { name: 'warmup', args: 'SECS', doc: 'Default warmup of its checkers', handle: (r, a) => setRs(r, 'warmup', timer(a, 1, 0, 0, `real server warmup '${a.word(1)}' invalid - ignoring`)) },
  { name: 'connect_timeout', args: 'SECS', doc: 'Default connect_timeout of its checkers', handle: (r, a) => setRs(r, 'connect_timeout', timer(a, 1, 1, UINT_MAX, `real server connect_timeout ${a.word(1)} invalid - ignoring`)) },
  { name: 'delay_loop', args: 'SECS', doc: 'Default delay_loop of its checkers', handle: (r, a) => setRs(r, 'delay_loop', timer(a, 1, 1, 0, `real server delay_loop '${a.word(1)}' invalid - ignoring`)) },
  { name: 'smtp_alert', args: '[BOOL]', doc: 'Send e-mail on state changes', handle: (r, a) => setRs(r, 'smtp_alert', flag(a, `Invalid real_server smtp_alert parameter ${a.word(1)}`)) },
  { name: 'virtualhost', args: 'HOST', doc: 'Default Host header of its HTTP checks', handle: (r, a) => setRs(r, 'virtualhost', value(a, 'real server virtualhost missing')) },
  {
    name: 'snmp_name', args: 'NAME', support: 'not-yet', note: 'SNMP',
    handle: (r, a) => { if (a.length !== 2) return a.error('real server snmp_name missing or extra parameters'); r.snmp_name = a.word(1)!; },
  },
  ...checkerKeywords(),
];
export const realServerBlock: BlockDef<RealServer> = defineBlock('real_server', rsKeywords, 'A real server of a virtual server');

function lvsOf(ctx: BuildContext): LvsScratch {
  return ctx.scratch.lvs as LvsScratch;
}

/** alloc_rs(): the real server line; undefined when keepalived skips the block. */
function newRealServer(vs: VirtualServer, a: Args): RealServer | undefined {
  const ip = a.need(1);
  if (ip === undefined) return undefined;
  const port = a.word(2);
  const s = parseSockAddr(ip, port);
  if (!s) {
    a.error(`Invalid real server ip address/port ${ip}/${port ?? '(null)'} - skipping`);
    return undefined;
  }
  const rs: RealServer = {
    ip: s.ip, port: s.port, weight: vs.weight, lvs_method: 'NAT', inhibit_on_failure: false, alpha: false,
    connect_timeout: vs.connect_timeout, delay_loop: vs.delay_loop, smtp_alert: true, checkers: [], pos: a.pos,
  };
  // keepalived copies the forwarding method the virtual server has so far.
  if (isSet(vs, 'lvs_method')) {
    copyForwarding(rs, vs);
    markSet(rs, 'lvs_method');
  }
  return rs;
}

/** rs_end_handler(): non-tunnelled real servers must match the service's address family. */
function finishRealServer(vs: VirtualServer, rs: RealServer, a: Args, ctx: BuildContext): boolean {
  if (isSet(rs, 'lvs_method') && rs.lvs_method === 'TUN') return true;
  const fam = familyOfIp(rs.ip);
  if (vs.ip_family === undefined) vs.ip_family = fam;
  else if (vs.ip_family !== fam) {
    ctx.diags.error(`Address family of virtual server and real server ${rs.ip} don't match - skipping real server.`, closePos(a));
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// virtual_server.

function setVs<K extends keyof VirtualServer>(v: VirtualServer, key: K, val: VirtualServer[K] | undefined): void {
  if (val === undefined) return;
  v[key] = val;
  markSet(v, key);
}

type SchedFlag = 'ops' | 'flag-1' | 'flag-2' | 'flag-3' | 'sh-port' | 'sh-fallback' | 'mh-port' | 'mh-fallback' | 'hashed';

/** lbflags_handler(): the sh and mh flags only count with that scheduler chosen (earlier in the block). */
function schedFlag(name: SchedFlag, doc: string): Keyword<VirtualServer> {
  return {
    name, doc,
    handle: (v, a) => {
      if (name === 'ops' || name === 'flag-1' || name === 'flag-2' || name === 'flag-3') { v[name] = true; return; }
      const sched = isSet(v, 'lvs_sched') ? v.lvs_sched : undefined;
      if (sched === 'sh') { if (name === 'sh-port' || name === 'sh-fallback') v[name] = true; }
      else if (sched === 'mh') { if (name === 'mh-port' || name === 'mh-fallback') v[name] = true; }
      else a.error(`${name} only applies to sh scheduler - ignoring`);
    },
  };
}

/** glibc inet_aton() as getaddrinfo(AI_NUMERICHOST) accepts it: 1-4 parts, 0x/0 prefixes. */
function inetAton(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const vals: number[] = [];
  for (const p of parts) {
    const m = /^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$/.exec(p);
    if (!m) return undefined;
    vals.push(/^0[xX]/.test(p) ? (p.length > 2 ? parseInt(p.slice(2), 16) : 0) : p.length > 1 && p[0] === '0' ? parseInt(p, 8) : Number(p));
  }
  const last = vals.pop()!;
  if (vals.some((x) => x > 255) || last >= 2 ** (8 * (4 - vals.length))) return undefined;
  let n = last;
  vals.forEach((x, i) => { n += x * 2 ** (8 * (3 - i)); });
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const vsKeywords: Keyword<VirtualServer>[] = [
  {
    name: 'ip_family', args: 'inet|inet6', doc: 'Address family of a fwmark or group service',
    handle: (v, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      if (w !== 'inet' && w !== 'inet6') return a.error(`unknown address family ${w}`, 1);
      if (v.ip_family !== undefined && v.ip_family !== w) return a.error(`Virtual server specified family ${w} conflicts with server family`, 1);
      v.ip_family = w;
    },
  },
  { name: 'retry', args: 'N', doc: 'Default retry of the checkers', handle: (v, a) => setVs(v, 'retry', uint(a, 1, 1, UINT_MAX, `retry value invalid - ${a.word(1)}`)) },
  { name: 'delay_before_retry', args: 'SECS', doc: 'Default delay_before_retry of the checkers', handle: (v, a) => setVs(v, 'delay_before_retry', timer(a, 1, 0, 0, `virtual server delay before retry '${a.word(1)}' invalid - ignoring`)) },
  { name: 'warmup', args: 'SECS', doc: 'Default warmup of the checkers', handle: (v, a) => setVs(v, 'warmup', timer(a, 1, 0, 0, `virtual server warmup '${a.word(1)}' invalid - ignoring`)) },
  { name: 'connect_timeout', args: 'SECS', doc: 'Default connect_timeout of the checkers', default: '5', handle: (v, a) => setVs(v, 'connect_timeout', timer(a, 1, 1, UINT_MAX, `virtual server connect_timeout ${a.word(1)} invalid - ignoring`)) },
  { name: 'delay_loop', args: 'SECS', doc: 'Default delay_loop of the checkers', default: '60', handle: (v, a) => setVs(v, 'delay_loop', timer(a, 1, 1, 0, `virtual server delay loop '${a.word(1)}' invalid - ignoring`)) },
  { name: 'inhibit_on_failure', doc: 'Default inhibit_on_failure of the real servers', handle: (v) => setVs(v, 'inhibit_on_failure', true) },
  {
    name: 'lvs_sched', args: SCHEDULERS.join('|'), doc: 'IPVS scheduler', default: 'wlc (with an error)',
    handle: (v, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      const s = SCHEDULERS.find((x) => x === w);
      if (!s) return a.error(`Invalid lvs_scheduler '${w}' - ignoring`, 1);
      setVs(v, 'lvs_sched', s);
    },
  },
  { name: 'lb_algo', aliasOf: 'lvs_sched', handle: () => {} },
  schedFlag('hashed', 'Legacy; no effect (an error unless lvs_sched is sh or mh)'),
  schedFlag('ops', 'One-packet scheduling (UDP)'),
  schedFlag('flag-1', 'IPVS scheduler flag 1'),
  schedFlag('flag-2', 'IPVS scheduler flag 2'),
  schedFlag('flag-3', 'IPVS scheduler flag 3'),
  schedFlag('sh-port', 'sh: include the source port in the hash (after lvs_sched sh)'),
  schedFlag('sh-fallback', 'sh: fall back to another server when the chosen one is unavailable'),
  schedFlag('mh-port', 'mh: include the source port in the hash (after lvs_sched mh)'),
  schedFlag('mh-fallback', 'mh: fall back to another server when the chosen one is unavailable'),
  {
    name: 'lvs_method', args: 'NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]', doc: 'Default forwarding method of the real servers', default: 'NAT (with an error)',
    handle: (v, a) => { if (readForwarding(v, a, 'virtual')) markSet(v, 'lvs_method'); },
  },
  { name: 'lb_kind', aliasOf: 'lvs_method', handle: () => {} },
  {
    name: 'persistence_engine', args: 'NAME', doc: 'IPVS persistence engine (sip)',
    handle: (v, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      if (w.length > 16) a.error(`persistence_name too long, truncating - ${w}`, 1);
      v.persistence_engine = w.slice(0, 16);
    },
  },
  {
    name: 'persistence_timeout', args: '[SECS]', doc: 'Make the service persistent', default: '360 when given without a value',
    handle: (v, a) => {
      if (a.length < 2) { v.persistence_timeout = 360; return; }
      const t = uint(a, 1, 1, 86400 * 31, 'persistence_timeout invalid');
      if (t !== undefined) v.persistence_timeout = t;
    },
  },
  {
    name: 'persistence_granularity', args: 'NETMASK|PREFIXLEN', doc: 'Persistence granularity (IPv4 netmask, IPv6 prefix length)',
    handle: (v, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      const fam = v.ip_family ?? (w.includes('.') ? 'inet' : 'inet6');
      if (fam === 'inet6') {
        const n = uint(a, 1, 1, 128, `Invalid IPv6 persistence_granularity specified - ${w}`);
        if (n === undefined) return;
        v.persistence_granularity = n;
      } else {
        const m = inetAton(w);
        if (m === undefined) return a.error(`Invalid IPv4 persistence_granularity specified - ${w}`, 1);
        v.persistence_granularity = m;
      }
      v.ip_family ??= fam;
      v.persistence_timeout ??= 360;
    },
  },
  {
    name: 'protocol', args: 'TCP|UDP|SCTP', doc: 'Service protocol (an error when missing on an address service)',
    handle: (v, a) => {
      const w = a.need(1);
      if (w === undefined) return;
      const p = (['TCP', 'UDP', 'SCTP'] as const).find((x) => x === w.toUpperCase());
      if (p) v.protocol = p;
      else a.error(`Unknown protocol ${w} - ignoring`, 1);
    },
  },
  { name: 'ha_suspend', doc: 'Suspend the checkers while the service address is not configured here', handle: (v) => { v.ha_suspend = true; } },
  { name: 'smtp_alert', args: '[BOOL]', doc: 'Send e-mail on quorum changes', handle: (v, a) => setVs(v, 'smtp_alert', flag(a, `Invalid virtual_server smtp_alert parameter ${a.word(1)}`)) },
  { name: 'virtualhost', args: 'HOST', doc: 'Default Host header of the HTTP checks', handle: (v, a) => { const w = value(a, 'virtual server virtualhost missing'); if (w !== undefined) v.virtualhost = w; } },
  {
    name: 'snmp_name', args: 'NAME', support: 'not-yet', note: 'SNMP',
    handle: (v, a) => { if (a.length !== 2) return a.error('virtual server snmp_name missing or extra parameters'); v.snmp_name = a.word(1)!; },
  },
  { name: 'alpha', doc: 'Default alpha of the real servers', handle: (v) => { v.alpha = true; } },
  { name: 'omega', doc: 'Run quorum_down when keel stops', handle: (v) => { v.omega = true; } },
  scriptOnce<VirtualServer>('quorum_up', (v) => vsName(v)),
  scriptOnce<VirtualServer>('quorum_down', (v) => vsName(v)),
  {
    name: 'quorum', args: 'N', doc: 'Minimum total weight of live real servers', default: '1',
    handle: (v, a) => {
      if (!a.has(1)) return void a.need(1);
      v.quorum = uint(a, 1, 1, UINT_MAX, `Quorum ${a.word(1)} must be in [1, ${UINT_MAX}]. Setting to 1.`) ?? 1;
    },
  },
  { name: 'hysteresis', args: 'N', doc: 'Quorum hysteresis', default: '0', handle: (v, a) => setVs(v, 'hysteresis', uint(a, 1, 0, UINT_MAX, `Hysteresis ${a.word(1)} must be in [0, ${UINT_MAX}] - ignoring`)) },
  { name: 'weight', args: 'N', doc: 'Default weight of the real servers', default: '1', handle: (v, a) => setVs(v, 'weight', uint(a, 1, 1, INT32_MAX, `Virtual server weight ${a.word(1)} is outside range 1-${INT32_MAX}`)) },
  {
    name: 'sorry_server', args: 'IP [PORT]', doc: 'Server used when quorum is lost',
    handle: (v, a) => {
      const ip = a.need(1);
      if (ip === undefined) return;
      const s = parseSockAddr(ip, a.word(2));
      if (!s) return a.error(`Invalid sorry server IP address ${ip} - skipping`, 1);
      const ss: SorryServer = { ip: s.ip, port: s.port, inhibit: false, lvs_method: 'NAT' };
      if (isSet(v, 'lvs_method')) { copyForwarding(ss, v); markSet(ss, 'lvs_method'); }
      v.sorry_server = ss;
    },
  },
  {
    name: 'sorry_server_inhibit', doc: 'Inhibit the sorry server (weight 0) rather than remove it',
    handle: (v, a) => { if (v.sorry_server) v.sorry_server.inhibit = true; else a.error('Ignoring sorry_server inhibit used before or without sorry_server'); },
  },
  {
    name: 'sorry_server_lvs_method', args: 'NAT|DR|TUN ...', doc: 'Forwarding method of the sorry server',
    handle: (v, a) => {
      if (!v.sorry_server) return a.error('sorry_server forwarding used without sorry_server');
      if (readForwarding(v.sorry_server, a, 'sorry')) markSet(v.sorry_server, 'lvs_method');
    },
  },
  {
    name: 'real_server', args: 'IP [PORT]', block: () => realServerBlock as BlockDef<unknown>, doc: 'A real server',
    handle: (v, a, ctx) => {
      const rs = newRealServer(v, a);
      if (!rs) return;
      const prev = ctx.scratch.lvs;
      ctx.scratch.lvs = { vs: v, rs } satisfies LvsScratch;
      walkChild(a, realServerBlock, rs, ctx);
      ctx.scratch.lvs = prev;
      if (finishRealServer(v, rs, a, ctx)) v.real_servers.push(rs);
    },
  },
];
export const virtualServerBlock: BlockDef<VirtualServer> = defineBlock('virtual_server', vsKeywords, 'An IPVS service and its real servers');

/**
 * The `virtual_server IP [PORT] | fwmark N | group NAME` line (keepalived's alloc_vs()).
 * Returns undefined when keepalived rejects it; the block must then be skipped unread.
 */
export function parseVirtualServerHeader(a: Args, _ctx: BuildContext): VirtualServer | undefined {
  const w1 = a.need(1);
  if (w1 === undefined) return undefined;
  let id: Pick<VirtualServer, 'ip' | 'port' | 'fwmark' | 'group' | 'ip_family'>;
  if (w1 === 'group') {
    const g = a.need(2);
    if (g === undefined) return undefined;
    id = { group: g };
  } else if (w1 === 'fwmark') {
    if (!a.has(2)) return void a.need(2);
    const m = uint(a, 2, 0, UINT_MAX, `virtual server fwmark '${a.word(2)}' must be in [0, ${UINT_MAX}] - ignoring`);
    if (m === undefined) return undefined;
    id = { fwmark: m };
  } else {
    const port = a.word(2);
    const s = parseSockAddr(w1, port);
    if (!s) {
      const p = port !== undefined && !allZeros(port);
      a.error(`Invalid virtual server IP address${p ? '/port' : ''} ${w1}${p ? `/${port}` : ''} - skipping`, 1);
      return undefined;
    }
    id = { ip: s.ip, port: s.port, ip_family: s.family };
  }
  const vs = newVirtualServer(id);
  vs.pos = a.pos;
  vsClose.set(vs, closePos(a));
  return vs;
}

/** Where a virtual_server block ends (keepalived's end-of-block checks report there). */
const vsClose = new WeakMap<VirtualServer, Pos>();

// ---------------------------------------------------------------------------------------------
// virtual_server_group: a block of address lines and `fwmark N [inet|inet6]` lines.

interface GroupState {
  g: VirtualServerGroup;
  v4: boolean;
  v6: boolean;
  fwmarkNoFamily: boolean;
}

/** One entry line (keepalived's alloc_vsg_entry()). */
function readGroupEntry(st: GroupState, l: Args): void {
  const first = l.word(0)!;
  if (first === 'fwmark') {
    if (!l.has(1)) return void l.need(1);
    const m = uint(l, 1, 0, UINT_MAX, `(${st.g.name}): fwmark '${l.word(1)}' must be in [0, ${UINT_MAX}] - ignoring`);
    if (m === undefined) return;
    const fam = l.word(2);
    if (fam !== undefined && fam !== 'inet' && fam !== 'inet6') return l.error(`(${st.g.name}): fwmark '${m}' family ${fam} unknown - ignoring`, 2);
    if (fam === 'inet') st.v4 = true;
    else if (fam === 'inet6') st.v6 = true;
    else st.fwmarkNoFamily = true;
    st.g.fwmarks.push(fam === undefined ? { fwmark: m } : { fwmark: m, family: fam });
    return;
  }
  const port = l.word(1);
  const hasPort = port !== undefined && !allZeros(port);
  const start = parseSockAddr(first, hasPort ? port : undefined);
  if (!start) return l.error(`Invalid virtual server group IP address ${first} ${hasPort ? `/port/${port}` : ''} - skipping`, 0);
  const end = groupRangeEnd(first, start, l);
  if (end === null) return;
  const e: VsgRange = { ip: start.ip, port: start.port };
  if (end !== undefined && end.ip !== start.ip) e.ip_end = end.ip;
  st.g.ranges.push(e);
  if (start.family === 'inet') st.v4 = true;
  else st.v6 = true;
}

/** The last address of A/NN, A-B or A-N; undefined: a single address; null: reported error. */
function groupRangeEnd(text: string, start: InetAddr, l: Args): InetAddr | undefined | null {
  const slash = text.indexOf('/');
  const v6 = start.family === 'inet6';
  if (slash !== -1) {
    const ms = text.slice(slash + 1);
    const mask = /^[0-9]+$/.test(ms) ? Number(ms) : NaN;
    if (!(mask > 0) || mask > (v6 ? 128 : 32)) { l.error(`Invalid netmask - ${text} - skipping`, 0); return null; }
    const end = maskEnd(start, mask);
    if (!end) { l.error(`Address mask bits not empty - ${text} - skipping`, 0); return null; }
    return end;
  }
  const dash = text.indexOf('-');
  if (dash === -1) return undefined;
  const tail = text.slice(dash + 1);
  if (tail.includes(v6 ? ':' : '.')) {
    const end = parseInet(tail);
    if (!end) { l.error(`Invalid range end ${text} - skipping`, 0); return null; }
    if (end.family !== start.family) { l.error(`Range address families do not match ${text} - skipping`, 0); return null; }
    if (compareParts(start.parts, end.parts) > 0) { l.error(`Address range end is less than address range start - ${text} - skipping`, 0); return null; }
    return end;
  }
  // A-N: N replaces the last octet (IPv4, decimal) or the last group (IPv6, hex).
  const m = /^[0-9a-fA-F]*/.exec(tail)![0];
  const digits = v6 ? m : /^[0-9]*/.exec(tail)![0];
  if (digits.length !== tail.length) {
    l.error(`Virtual server group range '${text}' has extra characters at end '${tail.slice(digits.length)}'`, 0);
    return null;
  }
  const n = digits === '' ? 0 : parseInt(digits, v6 ? 16 : 10);
  if (n > (v6 ? 0xffff : 255)) { l.error(`Virtual server group range '${text}' end '${tail}' too large`, 0); return null; }
  const parts = [...start.parts];
  const last = parts.length - 1;
  if (parts[last]! >= n) { l.error(`Address range end is not greater than address range start - ${text} - skipping`, 0); return null; }
  parts[last] = n;
  return v6 ? parseInet(parts.map((p) => p.toString(16)).join(':'))! : parseInet(parts.join('.'))!;
}

function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The end of A/NN, or undefined when A has host bits set. */
function maskEnd(start: InetAddr, mask: number): InetAddr | undefined {
  const width = start.family === 'inet' ? 8 : 16;
  const parts = [...start.parts];
  for (let i = 0; i < parts.length; i++) {
    const hostBits = Math.min(width, Math.max(0, (i + 1) * width - mask));
    const hostMask = (1 << hostBits) - 1;
    if (parts[i]! & hostMask) return undefined;
    parts[i] = parts[i]! | hostMask;
  }
  return start.family === 'inet' ? parseInet(parts.join('.'))! : parseInet(parts.map((p) => p.toString(16)).join(':'))!;
}

/**
 * The `virtual_server_group NAME { ... }` block (keepalived's vsg_handler()). Returns undefined
 * when keepalived removes the group (no entries; IPv4, IPv6 and a family-less fwmark together).
 */
export function readVirtualServerGroup(a: Args, ctx: BuildContext): VirtualServerGroup | undefined {
  const name = a.need(1);
  if (name === undefined) return undefined;
  if (a.length > 2) {
    // keepalived's value-block reader then reads a missing keyword and stops.
    a.diags.add('error', `Block virtual_server_group has extra parameters ${a.word(2)} ...`, a.posOf(2), true);
    return undefined;
  }
  const st: GroupState = { g: { name, ranges: [], fwmarks: [], pos: a.pos }, v4: false, v6: false, fwmarkNoFamily: false };
  for (const l of blockLines(a, ctx)) readGroupEntry(st, l);
  if (!st.g.ranges.length && !st.g.fwmarks.length) {
    a.error(`virtual server group ${name} has no entries - removing`);
    return undefined;
  }
  if (st.v4 && st.v6 && st.fwmarkNoFamily) {
    a.error(`virtual server group ${name} cannot have IPv4, IPv6 and fwmark without family - removing`);
    return undefined;
  }
  groupFamilies.set(st.g, { v4: st.v4, v6: st.v6, fwmarkNoFamily: st.fwmarkNoFamily });
  return st.g;
}

const groupFamilies = new WeakMap<VirtualServerGroup, { v4: boolean; v6: boolean; fwmarkNoFamily: boolean }>();

/** The vsg's families, for groups built by readVirtualServerGroup or by hand. */
function familiesOf(g: VirtualServerGroup): { v4: boolean; v6: boolean; fwmarkNoFamily: boolean } {
  let f = groupFamilies.get(g);
  if (!f) {
    f = { v4: false, v6: false, fwmarkNoFamily: false };
    for (const r of g.ranges) if (familyOfIp(r.ip) === 'inet') f.v4 = true; else f.v6 = true;
    for (const m of g.fwmarks) if (m.family === 'inet') f.v4 = true; else if (m.family === 'inet6') f.v6 = true; else f.fwmarkNoFamily = true;
    groupFamilies.set(g, f);
  }
  return f;
}

/** Placeholder block so the keyword table lists the group's one keyword (entries are lines). */
export const virtualServerGroupBlock: BlockDef<VirtualServerGroup> = defineBlock('virtual_server_group', [
  {
    name: 'fwmark', args: 'N [inet|inet6]', doc: 'A firewall-mark member of the group (other lines: IP[-END|/NN] [PORT])',
    handle: (g, a) => {
      const st: GroupState = { g, v4: false, v6: false, fwmarkNoFamily: false };
      readGroupEntry(st, a);
    },
  },
], 'Services sharing one set of real servers: lines of IP[-END|/NN] [PORT] or fwmark N [inet|inet6]');

// ---------------------------------------------------------------------------------------------
// After the whole file: vs_end_handler, link_vsg_to_vs, validate_check_config.

/** global_defs smtp_alert_checker, else smtp_alert; undefined when neither is given. */
function globalSmtpAlert(config: Config): boolean | undefined {
  return config.global_defs.smtp_alert_checker ?? config.global_defs.smtp_alert;
}

/** vs_end_handler(): settle the family from the sorry server and real servers. */
function finishVirtualServer(vs: VirtualServer, ctx: BuildContext): void {
  const ss = vs.sorry_server;
  if (ss && !(isSet(ss, 'lvs_method') && ss.lvs_method === 'TUN')) {
    const fam = familyOfIp(ss.ip);
    if (vs.ip_family === undefined) vs.ip_family = fam;
    else if (vs.ip_family !== fam) {
      ctx.diags.error(`Address family of virtual server and sorry server ${ss.ip} don't match - skipping sorry server.`, vsClose.get(vs) ?? vs.pos);
      delete vs.sorry_server;
    }
  }
  if (vs.ip_family === undefined && vs.group === undefined) {
    // Only tunnelled servers: take their family when they all agree, else IPv4.
    const fams = new Set<Family>();
    if (vs.sorry_server) fams.add(familyOfIp(vs.sorry_server.ip));
    for (const rs of vs.real_servers) fams.add(familyOfIp(rs.ip));
    vs.ip_family = fams.size === 1 ? [...fams][0]! : 'inet';
  }
}

/** link_vsg_to_vs(): keepalived only logs these, so they are hints; the service is dropped. */
function linkGroup(vs: VirtualServer, groups: Map<string, VirtualServerGroup>, ctx: BuildContext): VirtualServerGroup | undefined {
  const g = groups.get(vs.group!);
  const where = vs.pos;
  if (!g) {
    ctx.diags.hint(`Virtual server group ${vs.group} specified but not configured - keepalived ignores this virtual server`, where);
    return undefined;
  }
  const f = familiesOf(g);
  const gFam: Family | undefined = f.v4 === f.v6 ? undefined : f.v4 ? 'inet' : 'inet6';
  if (f.v4 && f.v6 && vs.ip_family !== undefined) {
    ctx.diags.hint(`${g.name}: virtual server group with IPv4 & IPv6 doesn't match virtual server - keepalived ignores this virtual server`, where);
    return undefined;
  }
  if ((f.v4 && vs.ip_family === 'inet6') || (f.v6 && vs.ip_family === 'inet')) {
    ctx.diags.hint(`${g.name}: address family doesn't match virtual server - keepalived ignores this virtual server`, where);
    return undefined;
  }
  if (gFam !== undefined) vs.ip_family ??= gFam;
  else if (vs.ip_family === undefined && f.fwmarkNoFamily) vs.ip_family = 'inet';
  return g;
}

/** Keys identifying a real server for duplicate detection: address and port as written. */
function rsKey(ip: string, port: number): string {
  return `${ip}|${port}`;
}

function setDefaultForwarding(vs: VirtualServer, t: Forwarding, ctx: BuildContext): void {
  if (isSet(t, 'lvs_method')) return;
  if (!isSet(vs, 'lvs_method')) {
    ctx.diags.error(`Virtual server ${vsName(vs)}: no forwarding method set, setting default NAT`, vs.pos);
    vs.lvs_method = 'NAT';
    markSet(vs, 'lvs_method');
  }
  copyForwarding(t, vs);
  markSet(t, 'lvs_method');
}

/** validate_check_config() for one service; false when keepalived drops it. */
function validateVirtualServer(vs: VirtualServer, g: VirtualServerGroup | undefined, config: Config, ctx: BuildContext): boolean {
  const err = (m: string): void => ctx.diags.error(m, vs.pos);
  if (!vs.real_servers.length) {
    err(`Virtual server ${vsName(vs)} has no real servers - ignoring`);
    return false;
  }
  const fwmarkOnly = g ? !g.ranges.length && g.fwmarks.length > 0 : !!vs.fwmark;
  if (vs.ha_suspend && (vs.fwmark || (g && g.fwmarks.length))) {
    err(`Virtual server ${vsName(vs)}: cannot use ha_suspend with fwmarks - clearing ha_suspend`);
    vs.ha_suspend = false;
  }
  if ((g && g.ranges.length) || (!g && !vs.fwmark)) {
    if (!vs.protocol) {
      err(`Virtual server ${vsName(vs)}: no protocol set - defaulting to UDP`);
      vs.protocol = 'UDP';
    }
    if (vs.ops && vs.protocol !== 'UDP') {
      err(`Virtual server ${vsName(vs)}: one packet scheduling requires UDP - resetting`);
      vs.ops = false;
    }
    if (!vs.persistence_timeout && !g && !vs.fwmark && !vs.port) {
      err(`Virtual server ${vsName(vs)}: zero port only valid for persistent services - setting`);
      vs.persistence_timeout = 360;
    }
  }
  if (!vs.persistence_timeout && g && g.ranges.some((r) => !r.port)) {
    err(`Virtual server ${vsName(vs)}: zero port only valid for persistent services - setting`);
    vs.persistence_timeout = 360;
  }
  if (vs.protocol && fwmarkOnly) {
    err(`Warning: Virtual server ${vsName(vs)}: protocol specified for fwmark - protocol will be ignored`);
    delete vs.protocol;
  }
  if (!isSet(vs, 'lvs_sched')) {
    err(`Virtual server ${vsName(vs)}: no scheduler set, setting default 'wlc'`);
    vs.lvs_sched = 'wlc';
  }
  if (!isSet(vs, 'smtp_alert')) vs.smtp_alert = globalSmtpAlert(config) ?? false;

  const seen = new Set<string>();
  const kept: RealServer[] = [];
  let weightSum = 0;
  for (const rs of vs.real_servers) {
    const key = rsKey(rs.ip, rs.port);
    if (seen.has(key)) {
      ctx.diags.error(`VS ${vsName(vs)}: real server ${trio(rs.ip, vs.protocol, rs.port)} is duplicated - removing second rs`, rs.pos ?? vs.pos);
      continue;
    }
    seen.add(key);
    kept.push(rs);
    setDefaultForwarding(vs, rs, ctx);
    inheritFromVs(vs, rs, config);
    weightSum = (weightSum + rs.weight) % 2 ** 32;
    const ss = vs.sorry_server;
    if (ss && ss.ip === rs.ip && ss.port === rs.port && ss.inhibit !== rs.inhibit_on_failure) {
      err(`Virtual server ${vsName(vs)}: real server ${trio(rs.ip, vs.protocol, rs.port)} matches sorry server, but inhibit setting differs, ${rs.inhibit_on_failure ? 'sett' : 'clear'}ing on sorry server`);
      ss.inhibit = rs.inhibit_on_failure;
    }
  }
  vs.real_servers = kept;
  if (vs.sorry_server) setDefaultForwarding(vs, vs.sorry_server, ctx);

  if (vs.quorum > weightSum) {
    err(`Warning - quorum ${vs.quorum} for ${vsName(vs)} exceeds total weight of real servers ${weightSum}, reducing quorum to ${weightSum}`);
    vs.quorum = weightSum;
  }
  if (vs.hysteresis >= vs.quorum) {
    const h = (vs.quorum - 1) >>> 0;
    err(`Virtual server ${vsName(vs)}: hysteresis ${vs.hysteresis} >= quorum ${vs.quorum}; setting hysteresis to ${h}`);
    vs.hysteresis = h;
  }
  if (g) checkGroupPorts(vs, g, ctx);
  else fixPorts(vs, ctx);
  return true;
}

/** Take the real server's unset values from its virtual server (and global smtp_alert). */
function inheritFromVs(vs: VirtualServer, rs: RealServer, config: Config): void {
  if (!isSet(rs, 'alpha')) rs.alpha = vs.alpha;
  if (!isSet(rs, 'inhibit_on_failure')) rs.inhibit_on_failure = vs.inhibit_on_failure;
  if (!isSet(rs, 'retry') && vs.retry !== undefined) rs.retry = vs.retry;
  if (!isSet(rs, 'connect_timeout')) rs.connect_timeout = vs.connect_timeout;
  if (!isSet(rs, 'delay_loop')) rs.delay_loop = vs.delay_loop;
  if (!isSet(rs, 'warmup') && vs.warmup !== undefined) rs.warmup = vs.warmup;
  if (!isSet(rs, 'delay_before_retry') && vs.delay_before_retry !== undefined) rs.delay_before_retry = vs.delay_before_retry;
  if (!isSet(rs, 'weight')) rs.weight = vs.weight;
  // keepalived defaults a real server's smtp_alert to on (unlike the virtual server's).
  if (!isSet(rs, 'smtp_alert')) rs.smtp_alert = globalSmtpAlert(config) ?? true;
}

/** Ports of real/sorry servers of a group service must match unless NAT. */
function checkGroupPorts(vs: VirtualServer, g: VirtualServerGroup, ctx: BuildContext): void {
  const nonNat = vs.real_servers.filter((rs) => rs.lvs_method !== 'NAT' && rs.port);
  const ss = vs.sorry_server && vs.sorry_server.lvs_method !== 'NAT' && vs.sorry_server.port ? vs.sorry_server : undefined;
  if (g.fwmarks.length) {
    for (const rs of nonNat) ctx.diags.error(`WARNING - fwmark virtual server ${vsName(vs)}, real server ${trio(rs.ip, vs.protocol, rs.port)} has port specified - port will be ignored`, rs.pos ?? vs.pos);
    if (ss) ctx.diags.error(`WARNING - fwmark virtual server ${vsName(vs)}, sorry server has port specified - port will be ignored`, vs.pos);
  }
  for (const r of g.ranges) {
    for (const rs of nonNat) {
      if (r.port !== rs.port) ctx.diags.error(`virtual server ${vsName(vs)}:[${r.ip_end ? `${r.ip}-${r.ip_end}` : r.ip},${r.port}] and real server ${trio(rs.ip, vs.protocol, rs.port)} ports don't match`, rs.pos ?? vs.pos);
    }
    if (ss && r.port !== ss.port) ctx.diags.error(`WARNING - virtual server ${vsName(vs)}, sorry server has port specified - port will be ignored`, vs.pos);
  }
}

/** Real/sorry server ports of an address or fwmark service, corrected as keepalived does. */
function fixPorts(vs: VirtualServer, ctx: BuildContext): void {
  const vport = vs.port ?? 0;
  const fix = (t: { port: number; lvs_method: LvsMethod }, what: string, pos: Pos | undefined): void => {
    if (t.lvs_method === 'NAT') {
      if (!vs.fwmark && !t.port) t.port = vport;
      return;
    }
    if (vs.fwmark) {
      if (t.port) {
        ctx.diags.error(`WARNING - fwmark virtual server ${vsName(vs)}, ${what} has port specified - clearing`, pos);
        t.port = 0;
      }
    } else if (!t.port) {
      t.port = vport;
    } else if (t.port !== vport) {
      ctx.diags.error(`WARNING - virtual server ${vsName(vs)} and ${what} ports don't match - resetting`, pos);
      t.port = vport;
    }
  };
  for (const rs of vs.real_servers) fix(rs, `real server ${trio(rs.ip, vs.protocol, rs.port)}`, rs.pos ?? vs.pos);
  if (vs.sorry_server) fix(vs.sorry_server, 'sorry server', vs.pos);
}

/** A checker that will connect to port 0 (no connect_port, real server without a port). */
function hintPortZero(c: Checker, ctx: BuildContext): void {
  if (c.type === 'PING_CHECK' || !('connect_port' in c) || c.connect_port !== 0) return;
  ctx.diags.hint(`${c.type} has no connect_port and its real server line has no port: keepalived checks port 0`, c.pos);
}

export function validateLvs(config: Config, ctx: BuildContext): void {
  const groups = new Map<string, VirtualServerGroup>();
  for (const g of config.virtual_server_groups) {
    if (!groups.has(g.name)) groups.set(g.name, g);
    else ctx.diags.hint(`virtual_server_group ${g.name} is defined again: keepalived uses the first definition`, g.pos);
  }

  // Virtual servers reused whole from the last load were finished and validated then.
  const taken = ctx.reuse?.taken;
  const clean = ctx.reuse?.clean;
  /** Any message while finishing or validating `vs` keeps it from being reused next time. */
  const watch = (vs: VirtualServer, step: () => void): void => {
    const before = ctx.diags.list.length;
    step();
    if (clean && ctx.diags.list.length !== before) clean.delete(vs);
  };
  for (const vs of config.virtual_servers) if (!taken?.has(vs)) watch(vs, () => finishVirtualServer(vs, ctx));

  const linked = new Map<VirtualServer, VirtualServerGroup>();
  const members = new Map<string, number>();
  const afterLink: VirtualServer[] = [];
  for (const vs of config.virtual_servers) {
    if (vs.group === undefined) { afterLink.push(vs); continue; }
    clean?.delete(vs); // a group member depends on the group's definition
    const g = linkGroup(vs, groups, ctx);
    if (!g) continue;
    linked.set(vs, g);
    const n = members.get(g.name) ?? 0;
    groupSeq.set(vs, n);
    members.set(g.name, n + 1);
    afterLink.push(vs);
  }

  const valid: VirtualServer[] = [];
  for (const vs of afterLink) {
    if (taken?.has(vs)) { valid.push(vs); continue; }
    let ok = false;
    watch(vs, () => { ok = validateVirtualServer(vs, linked.get(vs), config, ctx); });
    if (ok) valid.push(vs);
    else clean?.delete(vs);
  }
  config.virtual_servers = valid;

  for (const vs of valid) {
    if (taken?.has(vs)) continue;
    watch(vs, () => {
      for (const rs of vs.real_servers) {
        for (const c of rs.checkers) {
          resolveCheckerDefaults(c, rs);
          hintPortZero(c, ctx);
        }
      }
    });
    // Scripts are checked on the file system at every load: those virtual servers are rebuilt.
    if (clean && hasScripts(vs)) clean.delete(vs);
  }
  checkScripts(config, ctx);
}

/** Does a virtual server run scripts (notify_up/down, quorum_up/down, MISC_CHECK)? */
function hasScripts(vs: VirtualServer): boolean {
  if (vs.quorum_up || vs.quorum_down) return true;
  return vs.real_servers.some((rs) => rs.notify_up || rs.notify_down || rs.checkers.some((c) => c.type === 'MISC_CHECK'));
}

type ScriptKey = 'notify_up' | 'notify_down' | 'quorum_up' | 'quorum_down';

/**
 * notify_script_init()'s user check (keepalived logs and drops the script, so a hint here) and
 * check_notify_script_secure(): a script that is insecure, missing or not executable is dropped.
 */
function checkNotifyScript(o: Partial<Record<ScriptKey, ScriptSpec>>, key: ScriptKey, fallback: Pos | undefined, ctx: BuildContext): number {
  const spec = o[key];
  if (!spec) return 0;
  const pos = scriptPos.get(spec) ?? fallback;
  const type = key.startsWith('quorum') ? 'quorum' : 'notify';
  const userOk = spec.user !== undefined ? resolveUser(spec.user, spec.group) !== undefined : defaultScriptUser(ctx, pos) !== undefined;
  if (!userOk) {
    ctx.diags.hint(`${spec.user !== undefined ? 'Invalid user/group' : 'Failed to set default user'} for ${type} script ${spec.argv[0]} - keepalived ignores the script`, pos);
    delete o[key];
    return 0;
  }
  const f = checkScriptSecurity(spec, ctx, pos, `${key} script`);
  if (f & (SC_INHIBIT | SC_NOTFOUND) || !(f & SC_EXECUTABLE)) delete o[key];
  return f;
}

/** check_check_script_security(): MISC_CHECK, notify and quorum scripts, the LVS notify FIFO scripts. */
function checkScripts(config: Config, ctx: BuildContext): void {
  if (!config.virtual_servers.length) return;
  let flags = 0;
  for (const vs of config.virtual_servers) {
    if (ctx.reuse?.taken.has(vs)) continue; // reused only when it has no scripts
    for (const rs of vs.real_servers) {
      rs.checkers = rs.checkers.filter((c) => {
        if (c.type !== 'MISC_CHECK') return true;
        const f = checkScriptSecurity(c.user ? { ...c.misc_path, ...c.user } : c.misc_path, ctx, c.pos, 'MISC_CHECK script');
        flags |= f;
        if (f & SC_INHIBIT) ctx.diags.hint(`Disabling misc script ${c.misc_path.command} due to insecure`, c.pos);
        else if (f & SC_NOTFOUND) ctx.diags.hint(`Disabling misc script ${c.misc_path.command} since not found/accessible`, c.pos);
        return scriptRuns(f);
      });
    }
  }
  for (const vs of config.virtual_servers) {
    flags |= checkNotifyScript(vs, 'quorum_up', vs.pos, ctx) | checkNotifyScript(vs, 'quorum_down', vs.pos, ctx);
    for (const rs of vs.real_servers) flags |= checkNotifyScript(rs, 'notify_up', rs.pos, ctx) | checkNotifyScript(rs, 'notify_down', rs.pos, ctx);
  }
  const g = config.global_defs;
  if (g.notify_fifo_script) flags |= checkScriptSecurity(g.notify_fifo_script, ctx, undefined, 'notify_fifo_script');
  if (g.lvs_notify_fifo_script) flags |= checkScriptSecurity(g.lvs_notify_fifo_script, ctx, undefined, 'lvs_notify_fifo_script');
  reportScriptSecurity(ctx, 'check', flags);
}
