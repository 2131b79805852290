// From the typed Config to the kernel's IPVS table, as keepalived 2.2.7 programs it
// (ipvswrapper.c ipvs_set_srule/ipvs_set_drule/ipvs_cmd/ipvs_group_cmd, ipwrapper.c
// init_service_vs/update_quorum_state). Pure: no kernel, no clock.
import type { Config } from '../config/types.js';
import type { Family } from '../config/blocks/addresses.js';
import type { Forwarding, RealServer, SorryServer, VirtualServer, VirtualServerGroup, VsgRange } from '../config/blocks/lvs.js';
import { parseInet } from '../config/blocks/checkers.js';
import type { IpvsDest, IpvsService, IpvsTable, ServiceKey } from './table.js';

/** IP_VS_SVC_F_* service flags. */
export const SVC_F = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** IPVS_WEIGHT_LIMIT: keepalived clamps effective weights into [0, INT32_MAX]. */
export const IPVS_WEIGHT_MAX = 2147483647;

/** keepalived's real_weight(): a (possibly negative, possibly huge) effective weight as the kernel takes it. */
export function realWeight(w: number): number {
  if (!(w > 0)) return 0;
  return w > IPVS_WEIGHT_MAX ? IPVS_WEIGHT_MAX : Math.floor(w);
}

function fullMask(f: Family): string {
  return f === 'inet6' ? '128' : '255.255.255.255';
}

function groupOf(config: Config, vs: VirtualServer): VirtualServerGroup | undefined {
  if (vs.group === undefined) return undefined;
  // keepalived uses the first group of that name.
  return config.virtual_server_groups.find((g) => g.name === vs.group);
}

/** The family keepalived gives a group's fwmark entries: the entry's, else the service's, else IPv4. */
function fwmarkFamily(vs: VirtualServer, fam: Family | undefined): Family {
  return fam ?? vs.ip_family ?? 'inet';
}

/**
 * The addresses of one range entry, as ipvs_group_range_cmd() walks them: only the last IPv4
 * octet (or last IPv6 16-bit group) is stepped, wrapping, until it equals the end's. A range
 * whose other parts differ never terminates in keepalived; here it stops after one full cycle.
 */
export function expandRange(r: VsgRange): string[] {
  const start = parseInet(r.ip);
  if (!start) throw new Error(`invalid virtual_server_group address ${r.ip}`);
  if (r.ip_end === undefined) return [start.ip];
  const end = parseInet(r.ip_end);
  if (!end || end.family !== start.family) throw new Error(`invalid virtual_server_group range ${r.ip}-${r.ip_end}`);
  const v6 = start.family === 'inet6';
  const modulo = v6 ? 0x10000 : 0x100;
  const lastIdx = start.parts.length - 1;
  const stop = end.parts[lastIdx]!;
  const parts = [...start.parts];
  const out: string[] = [];
  for (let n = 0; n < modulo; n++) {
    out.push(v6 ? parseInet(parts.map((p) => p.toString(16)).join(':'))!.ip : parts.join('.'));
    if (parts[lastIdx] === stop) break;
    parts[lastIdx] = (parts[lastIdx]! + 1) % modulo;
  }
  return out;
}

/**
 * The kernel services one virtual_server stands for: its address or fwmark, or for a group every
 * address of every range (in order) and then every fwmark.
 */
export function serviceKeysOf(config: Config, vs: VirtualServer): ServiceKey[] {
  if (vs.group !== undefined) {
    const g = groupOf(config, vs);
    if (!g) return [];
    const keys: ServiceKey[] = [];
    const protocol = vs.protocol ?? 'UDP';
    for (const r of g.ranges) {
      const family: Family = r.ip.includes(':') ? 'inet6' : 'inet';
      for (const address of expandRange(r)) keys.push({ kind: 'addr', family, protocol, address, port: r.port });
    }
    for (const m of g.fwmarks) keys.push({ kind: 'fwmark', family: fwmarkFamily(vs, m.family), fwmark: m.fwmark });
    return keys;
  }
  const family: Family = vs.ip_family ?? 'inet';
  if (vs.fwmark) return [{ kind: 'fwmark', family, fwmark: vs.fwmark }];
  if (vs.ip === undefined) return [];
  return [{ kind: 'addr', family: vs.ip.includes(':') ? 'inet6' : 'inet', protocol: vs.protocol ?? 'UDP', address: vs.ip, port: vs.port ?? 0 }];
}

/** The service's scheduler flags, as lbflags_handler() set them (sh/mh flags share SCHED1/SCHED2). */
export function schedFlagsOf(vs: VirtualServer): number {
  let f = 0;
  if (vs.ops) f |= SVC_F.ONEPACKET;
  if (vs['flag-1'] || vs['sh-fallback'] || vs['mh-fallback']) f |= SVC_F.SCHED1;
  if (vs['flag-2'] || vs['sh-port'] || vs['mh-port']) f |= SVC_F.SCHED2;
  if (vs['flag-3']) f |= SVC_F.SCHED3;
  return f;
}

/**
 * The service (without destinations) for one of the virtual server's keys. Group members always
 * get a full netmask: keepalived resets it per group entry, so persistence_granularity has no
 * effect there.
 */
export function serviceOf(vs: VirtualServer, key: ServiceKey): Omit<IpvsService, 'dests'> {
  let flags = schedFlagsOf(vs);
  let timeout = 0;
  let netmask = fullMask(key.family);
  let pe: string | undefined;
  if (vs.persistence_timeout) {
    timeout = vs.persistence_timeout;
    flags |= SVC_F.PERSISTENT;
    const gran = vs.persistence_granularity;
    if (gran !== undefined && vs.group === undefined) netmask = String(gran);
    if (vs.persistence_engine) pe = vs.persistence_engine;
  }
  const s: Omit<IpvsService, 'dests'> = { key, scheduler: vs.lvs_sched, flags, timeout, netmask };
  if (pe !== undefined) s.pe = pe;
  return s;
}

/** The destination port keepalived sends: NAT keeps the server's own; DR/TUN take the service's (0 for fwmark). */
function destPort(vs: VirtualServer, t: Forwarding & { port: number }, key: ServiceKey | undefined): number {
  if (t.lvs_method === 'NAT') return t.port;
  if (key) return key.kind === 'fwmark' ? 0 : key.port;
  if (vs.group !== undefined) return t.port;
  return vs.fwmark ? 0 : vs.port ?? t.port;
}

function forwardingDest(vs: VirtualServer, t: Forwarding & { ip: string; port: number }, weight: number, key: ServiceKey | undefined): IpvsDest {
  const d: IpvsDest = {
    family: t.ip.includes(':') ? 'inet6' : 'inet',
    address: t.ip,
    port: destPort(vs, t, key),
    method: t.lvs_method,
    weight: realWeight(weight),
    uthreshold: 0,
    lthreshold: 0,
  };
  if (t.lvs_method === 'TUN') {
    d.tunnelType = t.tunnel_type ?? 'ipip';
    if (d.tunnelType === 'gue') d.tunnelPort = t.tunnel_port ?? 0;
    if (d.tunnelType !== 'ipip') d.tunnelCsum = t.tunnel_csum ?? 'nocsum';
  }
  return d;
}

/**
 * A real server as a destination of the virtual server's service `key` (for a group the port of
 * a DR/TUN destination depends on the entry; without `key` the virtual server's own is used).
 */
export function destOf(vs: VirtualServer, rs: RealServer, weight: number, key?: ServiceKey): IpvsDest {
  const d = forwardingDest(vs, rs, weight, key);
  d.uthreshold = rs.uthreshold ?? 0;
  d.lthreshold = rs.lthreshold ?? 0;
  return d;
}

/** The sorry server as a destination (keepalived adds it with weight 1, or 0 while inhibited). */
export function sorryDestOf(vs: VirtualServer, weight: number, key?: ServiceKey): IpvsDest {
  const ss = vs.sorry_server as SorryServer;
  if (!ss) throw new Error('virtual server has no sorry_server');
  return forwardingDest(vs, ss, weight, key);
}

/** A real server's verdict: its effective weight when up, undefined when down. */
export type RsVerdict = (vs: VirtualServer, rs: RealServer) => { weight: number } | undefined;

export interface DesiredOptions {
  /**
   * Whether the virtual server has quorum. Default: as at start-up, the live weight reaches
   * quorum + hysteresis (the checker engine, which tracks the state over time, passes its own).
   */
  quorumUp?: (vs: VirtualServer, liveWeight: number) => boolean;
}

/**
 * The table keepalived programs for these verdicts (default: every real server up with its
 * configured weight — what it programs with all checks passing or no checkers):
 * - an up server is a destination with its effective weight;
 * - a down server is absent, or weight 0 with inhibit_on_failure;
 * - without quorum and with a sorry server, the live servers leave (or go to weight 0 when
 *   inhibited) and the sorry server comes in with weight 1;
 * - a sorry_server_inhibit sorry server is otherwise present with weight 0.
 */
export function desiredTable(config: Config, isUp?: RsVerdict, opts: DesiredOptions = {}): IpvsTable {
  const verdict: RsVerdict = isUp ?? ((_vs, rs) => ({ weight: rs.weight }));
  const services: IpvsService[] = [];
  // Services by key, and each one's destinations by address and port: a table of 30,000
  // destinations is rebuilt on every verdict, so no list is searched.
  const byKey = new Map<string, { svc: IpvsService; at: Map<string, number> }>();
  for (const vs of config.virtual_servers) {
    const live = vs.real_servers.map((rs) => ({ rs, v: verdict(vs, rs) }));
    // weigh_live_realservers() sums effective weights of live servers.
    const liveWeight = live.reduce((s, x) => s + (x.v ? Math.max(0, x.v.weight) : 0), 0);
    const quorumUp = opts.quorumUp ? opts.quorumUp(vs, liveWeight) : liveWeight >= vs.quorum + vs.hysteresis;
    const ss = vs.sorry_server;
    const sorryActive = !!ss && !quorumUp;
    for (const key of serviceKeysOf(config, vs)) {
      const id = keyId(key);
      // A key already programmed by an earlier virtual server: keepalived's ADD gets EEXIST
      // and its destinations join that service.
      let entry = byKey.get(id);
      if (!entry) {
        entry = { svc: { ...serviceOf(vs, key), dests: [] }, at: new Map() };
        byKey.set(id, entry);
        services.push(entry.svc);
      }
      const { svc, at } = entry;
      const put = (d: IpvsDest): void => {
        const did = `${d.family}|${d.address}|${d.port}`;
        const i = at.get(did);
        if (i === undefined) {
          at.set(did, svc.dests.length);
          svc.dests.push(d);
        } else svc.dests[i] = d;
      };
      for (const { rs, v } of live) {
        if (v && !sorryActive) put(destOf(vs, rs, v.weight, key));
        else if (rs.inhibit_on_failure) put(destOf(vs, rs, 0, key));
      }
      if (ss) {
        if (sorryActive) put(sorryDestOf(vs, 1, key));
        else if (ss.inhibit && !vs.real_servers.some((rs) => rs.ip === ss.ip && rs.port === ss.port)) put(sorryDestOf(vs, 0, key));
      }
    }
  }
  return { services };
}

function keyId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `f|${k.family}|${k.fwmark}` : `a|${k.protocol}|${k.address}|${k.port}`;
}
