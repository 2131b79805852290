// Root-level blocks outside global_defs, VRRP and LVS: garp_group and bfd_instance (their
// keywords and the checks keepalived makes at the end of each block), the types of the other
// root-level settings root.ts reads, and the value readers global.ts shares.
import { isIP } from 'node:net';
import { readDecimal, readInt, trueFalse, type Args } from '../args.js';
import type { Pos } from '../diagnostics.js';
import { blockWords, defineBlock, type BlockDef, type BuildContext, type Keyword } from '../schema.js';
import type { Config } from '../types.js';

/** Root-level settings outside global_defs (read in root.ts). */
export interface RootExtras {
  net_namespace?: string;
  /** "" means the default namespace. */
  net_namespace_ipvs?: string;
  namespace_with_ipsets?: boolean;
  use_pid_dir?: boolean;
  instance?: string;
  child_wait_time?: number;
  linkbeat_use_polling?: boolean;
  linkbeat_interfaces?: { interface: string; type?: string }[];
  interface_up_down_delays?: { interface: string; down_delay: number; up_delay: number }[];
}

/** garp_group: GARP/NA spacing for a set of interfaces. Times in seconds. */
export interface GarpGroup {
  garp_interval?: number;
  gna_interval?: number;
  /** From `interface` lines and the `interfaces` block, in order; only those the group got. */
  interfaces?: string[];
  /** Set when the group has an `interfaces` block: 1 for the first such group, and so on. */
  aggregation_group?: number;
  pos?: Pos;
}

export interface TrackGroup {
  name: string;
  group: string[];
}

/** bfd_instance. Times in seconds (keepalived reads milliseconds). */
export interface BfdInstance {
  name: string;
  neighbor_ip?: string;
  source_ip?: string;
  min_rx?: number;
  min_tx?: number;
  idle_tx?: number;
  multiplier?: number;
  passive?: boolean;
  /** Defaults to 255 for IPv4, 64 (hop limit) for IPv6. */
  ttl?: number;
  /** 0..255 (-1 in the configuration is 255). */
  max_hops?: number;
  /** Weight for the VRRP instances tracking this BFD (track_bfd without a weight). */
  weight?: number;
  weight_reverse?: boolean;
  /** The VRRP process tracks this instance (the `vrrp` keyword, or neither `vrrp` nor `checker`). */
  vrrp?: boolean;
  /** The checker process tracks this instance (BFD_CHECK). */
  checker?: boolean;
  /** false when keepalived's BFD process drops the session (it may still be tracked by name). */
  enabled?: boolean;
  pos?: Pos;
}

// ---------------------------------------------------------------------------------------------
// Value readers shared with global.ts (candidates for args.ts): keepalived's own complaint and
// the reader's detail in one message.

/** keepalived's read_int/read_unsigned on word i (a missing word stops keepalived, as need() says). */
export function readNum(a: Args, i: number, min: number, max: number, fail?: (w: string) => string): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  let why = '';
  const v = readInt(w, min, max, 10, (m) => { why = m; });
  if (v === undefined) {
    if (min >= 0 && w.trimStart().startsWith('-')) why = `negative number '${w}'`;
    a.error(fail ? `${fail(w)} (${why})` : why, i);
  }
  return v;
}

/** keepalived's read_decimal_unsigned with `places` decimals; min/max and the result in units. */
export function readFrac(a: Args, i: number, min: number, max: number, places: number, fail?: (w: string) => string): number | undefined {
  const w = a.need(i);
  if (w === undefined) return undefined;
  const scale = 10 ** places;
  const why: string[] = [];
  const v = readDecimal(w, Math.round(min * scale), Math.round(max * scale), places, (m) => why.push(m));
  if (v === undefined) {
    a.error(fail ? `${fail(w)} (${why.join('; ')})` : why.join('; '), i);
    return undefined;
  }
  // Too many decimal places: keepalived complains, rounds and keeps the value.
  for (const m of why) a.error(m, i);
  return v / scale;
}

/** An optional true/false word after a flag keyword (absent: true), with keepalived's complaint. */
export function readBool(a: Args, fail: (w: string) => string): boolean | undefined {
  const w = a.word(1);
  if (w === undefined) return true;
  const v = trueFalse(w);
  if (v === undefined) a.error(fail(w), 1);
  return v;
}

/** keepalived's inet_stosockaddr: anything from a '-' or '/' on is ignored; ':' means IPv6. */
export function parseSockAddr(w: string): { ip: string; family: 4 | 6 } | undefined {
  const cut = w.search(/[-/]/);
  const ip = cut < 0 ? w : w.slice(0, cut);
  const family = w.includes(':') ? 6 : 4;
  return isIP(ip) === family ? { ip, family } : undefined;
}

export function isMulticast(ip: string): boolean {
  if (isIP(ip) === 4) {
    const o = Number(ip.split('.')[0]);
    return o >= 224 && o <= 239;
  }
  const first = ip.startsWith('::') ? 0 : parseInt(ip.split(':')[0]!, 16);
  return first >> 8 === 0xff;
}

// ---------------------------------------------------------------------------------------------
// garp_group

/** Interfaces as written, with where, for the checks made once dynamic_interfaces is known. */
interface GarpEntry {
  name: string;
  pos: Pos;
}
const garpEntries = new WeakMap<GarpGroup, GarpEntry[]>();
const garpHasBlock = new WeakSet<GarpGroup>();

function addGarpEntry(g: GarpGroup, name: string, pos: Pos): void {
  let list = garpEntries.get(g);
  if (!list) {
    list = [];
    garpEntries.set(g, list);
  }
  list.push({ name, pos });
}

/** Maximum of keepalived's garp_group intervals: INT_MAX microseconds. */
const GARP_GROUP_MAX = 0x7fffffff / 1e6;

function garpInterval(name: 'garp_interval' | 'gna_interval'): Keyword<GarpGroup> {
  return {
    name, args: 'SECS', doc: `Minimum time between ${name === 'garp_interval' ? 'gratuitous ARPs' : 'unsolicited NAs'} on these interfaces`,
    handle: (g, a) => {
      const v = readFrac(a, 1, 0, GARP_GROUP_MAX, 6, (w) => `garp_group ${name} '${w}' invalid`);
      if (v === undefined) return;
      g[name] = v;
      if (v >= 1) a.hint(`The ${name} is very large - ${a.word(1)} seconds`, 1);
    },
  };
}

const garpKeywords: Keyword<GarpGroup>[] = [
  garpInterval('garp_interval'),
  garpInterval('gna_interval'),
  {
    name: 'interface', args: 'IFNAME', doc: 'An interface of the group',
    handle: (g, a) => { const n = a.need(1); if (n !== undefined) addGarpEntry(g, n, a.posOf(1)); },
  },
  {
    name: 'interfaces', lines: true, doc: 'Interfaces of the group (an aggregation group)',
    handle: (g, a, ctx) => {
      const words = blockWords(a, ctx);
      if (!words.length) {
        ctx.diags.error('Warning - empty garp_group interfaces block', a.stmt.close ?? a.pos);
        return;
      }
      garpHasBlock.add(g);
      for (const w of words) addGarpEntry(g, w.word, w.a.pos);
    },
  },
];

export const garpGroupBlock: BlockDef<GarpGroup> = defineBlock('garp_group', garpKeywords, 'GARP/NA spacing for a group of interfaces');

/**
 * keepalived reads garp_group after global_defs, so interfaces are checked here, with
 * dynamic_interfaces known: a missing interface is an error (or, with dynamic_interfaces,
 * expected later), an interface belongs to one group, and a group without any interval is removed.
 */
export function validateGarpGroups(config: Config, ctx: BuildContext): void {
  const owner = new Map<string, GarpGroup>();
  const dynamic = config.global_defs.dynamic_interfaces;
  let aggregation = 0;
  const kept: GarpGroup[] = [];
  for (const g of config.garp_groups) {
    if (garpHasBlock.has(g)) g.aggregation_group = ++aggregation;
    const mine: string[] = [];
    for (const e of garpEntries.get(g) ?? []) {
      if (!ctx.interfaceExists(e.name)) {
        if (!dynamic) {
          ctx.diags.error(`WARNING - interface ${e.name} specified for garp_group doesn't exist`, e.pos);
          continue;
        }
        ctx.diags.hint(`Configuration specifies interface ${e.name} which doesn't currently exist - will use if created`, e.pos);
      }
      if (owner.has(e.name)) {
        ctx.diags.error(`garp_group already specified for ${e.name} - ignoring`, e.pos);
        continue;
      }
      owner.set(e.name, g);
      mine.push(e.name);
    }
    if (g.garp_interval === undefined && g.gna_interval === undefined) {
      ctx.diags.error(`garp group ${g.aggregation_group ?? 0} does not have any delay set - removing`, g.pos);
      for (const n of mine) owner.delete(n);
      if (g.aggregation_group) aggregation--;
      continue;
    }
    if (mine.length) g.interfaces = mine;
    else delete g.interfaces;
    kept.push(g);
  }
  config.garp_groups = kept;
}

// ---------------------------------------------------------------------------------------------
// bfd_instance

const BFD_NOTE = 'keel has no BFD';
const BFD_NAME_MAX = 31;
const UINT32_MS = Math.floor(0xffffffff / 1000);
/** Instances whose neighbor_ip was malformed: keepalived skips the rest of their block. */
const bfdSkipped = new WeakSet<BfdInstance>();

/** min_rx, min_tx, idle_tx: milliseconds with up to 3 decimals, stored in seconds. */
function bfdInterval(name: 'min_rx' | 'min_tx' | 'idle_tx', min: number, dflt: string): Keyword<BfdInstance> {
  return {
    name, args: 'MS', doc: `BFD ${name} interval (milliseconds)`, default: dflt, support: 'not-yet', note: BFD_NOTE,
    handle: (b, a) => {
      if (bfdSkipped.has(b)) return;
      const ms = readFrac(a, 1, min, UINT32_MS, 3, (w) => `Configuration error: BFD instance ${b.name} ${name} value ${w} is not valid (must be in range [${min}-${UINT32_MS}]), ignoring`);
      if (ms === undefined) return;
      b[name] = ms / 1000;
      if (ms > 10000) a.hint(`BFD instance ${b.name} ${name} value ${a.word(1)} is larger than max sensible (10000)`, 1);
    },
  };
}

function bfdAddress(name: 'neighbor_ip' | 'source_ip', b: BfdInstance, a: Args): void {
  if (bfdSkipped.has(b)) return;
  const w = a.need(1);
  if (w === undefined) return;
  const addr = parseSockAddr(w);
  if (addr) {
    b[name] = addr.ip;
    return;
  }
  if (name === 'source_ip') return a.error(`Configuration error: BFD instance ${b.name} has malformed source address ${w}, ignoring`, 1);
  a.error(`Configuration error: BFD instance ${b.name} has malformed neighbor address ${w}, ignoring instance`, 1);
  b.enabled = false;
  bfdSkipped.add(b);
}

function bfdTtl(b: BfdInstance, a: Args): void {
  if (bfdSkipped.has(b)) return;
  const v = readNum(a, 1, 1, 255, (w) => `Configuration error: BFD instance ${b.name} ttl/hoplimit value ${w} not valid (must be in range [1-255]), ignoring`);
  if (v !== undefined) b.ttl = v;
}

const bfdKeywords: Keyword<BfdInstance>[] = [
  { name: 'neighbor_ip', args: 'IP', doc: 'Address of the BFD peer', support: 'not-yet', note: BFD_NOTE, handle: (b, a) => bfdAddress('neighbor_ip', b, a) },
  { name: 'neighbour_ip', args: 'IP', aliasOf: 'neighbor_ip', handle: () => undefined },
  { name: 'source_ip', args: 'IP', doc: 'Local address of the session', support: 'not-yet', note: BFD_NOTE, handle: (b, a) => bfdAddress('source_ip', b, a) },
  bfdInterval('min_rx', 1, '10'),
  bfdInterval('min_tx', 1, '10'),
  bfdInterval('idle_tx', 1000, '1000'),
  {
    name: 'multiplier', args: '1..255', doc: 'Detection multiplier', default: '5', support: 'not-yet', note: BFD_NOTE,
    handle: (b, a) => {
      if (bfdSkipped.has(b)) return;
      const v = readNum(a, 1, 1, 255, (w) => `Configuration error: BFD instance ${b.name} multiplier value ${w} not valid (must be in range [1-255]), ignoring`);
      if (v !== undefined) b.multiplier = v;
    },
  },
  { name: 'passive', doc: 'Wait for the peer to start the session', support: 'not-yet', note: BFD_NOTE, handle: (b) => { if (!bfdSkipped.has(b)) b.passive = true; } },
  { name: 'ttl', args: '1..255', doc: 'TTL of sent packets (IPv4)', default: '255', support: 'not-yet', note: BFD_NOTE, handle: bfdTtl },
  { name: 'hoplimit', args: '1..255', aliasOf: 'ttl', doc: 'Hop limit of sent packets (IPv6)', default: '64', handle: () => undefined },
  {
    name: 'max_hops', args: '-1..255', doc: 'Maximum hops of received packets (-1: any)', default: '0', support: 'not-yet', note: BFD_NOTE,
    handle: (b, a) => {
      if (bfdSkipped.has(b)) return;
      const v = readNum(a, 1, -1, 255, (w) => `Configuration error: BFD instance ${b.name} max_hops value ${w} not valid (must be in range [-1-255]), ignoring`);
      // keepalived keeps it in 8 bits: -1 is 255, more than any ttl below 255.
      if (v !== undefined) b.max_hops = v & 0xff;
    },
  },
  {
    name: 'weight', args: '-253..253 [reverse]', doc: 'Weight for VRRP instances tracking this BFD', default: '0', support: 'not-yet', note: BFD_NOTE,
    handle: (b, a) => {
      const v = readNum(a, 1, -253, 253, (w) => `Configuration error: BFD instance ${b.name} weight value ${w} not valid (must be in range [-253-253]), ignoring`);
      if (v !== undefined) b.weight = v;
      const opt = a.word(2);
      if (opt === undefined) return;
      if (opt === 'reverse') b.weight_reverse = true;
      else a.error(`Configuration error: BFD instance ${b.name} unknown weight option ${opt}`, 2);
    },
  },
  { name: 'vrrp', doc: 'Report to the VRRP process (default: both, unless checker is given)', support: 'not-yet', note: BFD_NOTE, handle: (b) => { b.vrrp = true; } },
  { name: 'checker', doc: 'Report to the checker process (default: both, unless vrrp is given)', support: 'not-yet', note: BFD_NOTE, handle: (b) => { b.checker = true; } },
];

export const bfdInstanceBlock: BlockDef<BfdInstance> = defineBlock('bfd_instance', bfdKeywords, 'A BFD session');

/** keepalived's find_bfd_by_addr: the same neighbour without telling the sessions apart by source. */
function sameSession(x: BfdInstance, y: BfdInstance): boolean {
  return x.neighbor_ip === y.neighbor_ip && (!x.source_ip || !y.source_ip || x.source_ip === y.source_ip);
}

/** The end-of-block checks of keepalived's BFD process, and the defaults they settle. */
function finishBfd(b: BfdInstance, enabled: Map<string, BfdInstance[]>, ctx: BuildContext): boolean {
  if (bfdSkipped.has(b)) return false;
  if (!b.neighbor_ip) {
    ctx.diags.error(`Configuration error: BFD instance ${b.name} has no neighbor address set, disabling instance`, b.pos);
    return false;
  }
  if (b.source_ip && isIP(b.source_ip) !== isIP(b.neighbor_ip)) {
    ctx.diags.error(`Configuration error: BFD instance ${b.name} source address ${b.source_ip} and neighbor address ${b.neighbor_ip} are not of the same family, disabling instance`, b.pos);
    return false;
  }
  if (enabled.get(b.neighbor_ip)?.some((o) => sameSession(o, b))) {
    const what = b.source_ip ? `source/neighbor address ${b.source_ip}/${b.neighbor_ip}` : `neighbor address ${b.neighbor_ip}`;
    ctx.diags.error(`Configuration error: BFD instance ${b.name} has duplicate ${what}, ignoring instance`, b.pos);
    return false;
  }
  b.ttl ??= isIP(b.neighbor_ip) === 4 ? 255 : 64;
  if ((b.max_hops ?? 0) > b.ttl) {
    ctx.diags.error(`BFD instance ${b.name}: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit`, b.pos);
    b.max_hops = b.ttl;
  }
  return true;
}

/**
 * Names must be unique and short; each instance gets its defaults, whether the BFD process runs
 * the session (`enabled`) and which processes follow it (`vrrp`, `checker`: VRRP's track_bfd and
 * BFD_CHECK resolve names against instances with their flag set, enabled or not).
 */
export function validateBfdInstances(config: Config, ctx: BuildContext): void {
  const names = new Set<string>();
  const kept: BfdInstance[] = [];
  const enabled = new Map<string, BfdInstance[]>(); // by neighbour
  for (const b of config.bfd_instances) {
    if (b.name.length > BFD_NAME_MAX) {
      ctx.diags.error(`Configuration error: BFD instance ${b.name} name too long (maximum length is ${BFD_NAME_MAX} characters) - ignoring`, b.pos);
      continue;
    }
    if (names.has(b.name)) {
      ctx.diags.error(`Configuration error: BFD instance ${b.name} already configured - ignoring`, b.pos);
      continue;
    }
    names.add(b.name);
    const both = !b.vrrp && !b.checker;
    b.vrrp = both || !!b.vrrp;
    b.checker = both || !!b.checker;
    b.min_rx ??= 0.01;
    b.min_tx ??= 0.01;
    b.idle_tx ??= 1;
    b.multiplier ??= 5;
    b.max_hops ??= 0;
    b.passive ??= false;
    b.weight ??= 0;
    b.weight_reverse ??= false;
    b.enabled = finishBfd(b, enabled, ctx);
    if (b.enabled) {
      const same = enabled.get(b.neighbor_ip!);
      if (same) same.push(b);
      else enabled.set(b.neighbor_ip!, [b]);
    }
    kept.push(b);
  }
  config.bfd_instances = kept;
}
