// The IPVS generic-netlink payloads (Linux include/uapi/linux/ip_vs.h): keel's table types to
// attribute bytes and back. Pure; the socket lives in client.ts. Attributes are read with the
// `netlink` package's parser and framed here (see attr()); what goes inside each attribute (byte
// order, sizes) is written here because that package knows nothing of IPVS.
import { parseAttributes } from 'netlink';
import { parseInet } from '../config/blocks/checkers.js';
import type { Family } from '../config/blocks/addresses.js';
import type { FwdMethod, IpvsDest, IpvsProtocol, IpvsService, ServiceKey } from './table.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const CMD = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11,
  SET_CONFIG: 12, GET_CONFIG: 13, SET_INFO: 14, GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;
export type IpvsCmd = (typeof CMD)[keyof typeof CMD];

/** Top-level attributes (IPVS_CMD_ATTR_*). */
export const ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;
/** IPVS_SVC_ATTR_*. */
export const SVC = {
  AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9,
  STATS: 10, PE_NAME: 11, STATS64: 12,
} as const;
/** IPVS_DEST_ATTR_*. */
export const DEST = {
  ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8,
  PERSIST_CONNS: 9, STATS: 10, ADDR_FAMILY: 11, STATS64: 12, TUN_TYPE: 13, TUN_PORT: 14, TUN_FLAGS: 15,
} as const;
/** IPVS_DAEMON_ATTR_*. */
export const DAEMON = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;
/** IPVS_STATS_ATTR_*. */
export const STATS = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5, CPS: 6, INPPS: 7, OUTPPS: 8, INBPS: 9, OUTBPS: 10 } as const;
/** IPVS_INFO_ATTR_*. */
export const INFO = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
const PROTO: Record<IpvsProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
/** IP_VS_CONN_F_* forwarding methods. */
export const FWD = { NAT: 0, LOCAL: 1, TUN: 2, DR: 3, BYPASS: 4 } as const;
const TUN_TYPE = { ipip: 0, gue: 1, gre: 2 } as const;
const TUN_CSUM = { nocsum: 0, csum: 1, remcsum: 2 } as const;
const SVC_F_HASHED = 0x2;
export const STATE_MASTER = 1;
export const STATE_BACKUP = 2;

// ---------------------------------------------------------------------------------------------
// Scalars.

function u8(v: number): Buffer { const b = Buffer.alloc(1); b.writeUInt8(v); return b; }
function u16(v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }
function be16(v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; }
function u32(v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; }
function be32(v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; }
function str(s: string, max: number): Buffer {
  const b = Buffer.from(`${s}\0`, 'utf8');
  if (b.length > max) throw new Error(`"${s}" is longer than ${max - 1} bytes`);
  return b;
}
function getStr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z === -1 ? b.length : z).toString('utf8');
}

export function familyAf(f: Family): number {
  return f === 'inet6' ? AF_INET6 : AF_INET;
}
function afFamily(af: number): Family {
  if (af === AF_INET) return 'inet';
  if (af === AF_INET6) return 'inet6';
  throw new Error(`unknown address family ${af}`);
}

/** An address as the 16-byte nf_inet_addr union (IPv4 in the first four bytes). */
export function addrBytes(family: Family, address: string): Buffer {
  const a = parseInet(address);
  if (!a || a.family !== family) throw new Error(`invalid ${family === 'inet6' ? 'IPv6' : 'IPv4'} address ${address}`);
  const b = Buffer.alloc(16);
  if (family === 'inet') a.parts.forEach((p, i) => b.writeUInt8(p, i));
  else a.parts.forEach((p, i) => b.writeUInt16BE(p, i * 2));
  return b;
}

export function bytesAddr(family: Family, b: Buffer): string {
  if (family === 'inet') return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(i * 2).toString(16));
  return parseInet(groups.join(':'))!.ip;
}

/** The NETMASK attribute: IPv4 mask octets in order (network order), IPv6 a prefix length. */
function netmaskBytes(family: Family, netmask: string): Buffer {
  if (family === 'inet6') {
    const n = Number(netmask);
    if (!Number.isInteger(n) || n < 1 || n > 128) throw new Error(`invalid IPv6 netmask ${netmask}`);
    return u32(n);
  }
  const a = parseInet(netmask);
  if (!a || a.family !== 'inet') throw new Error(`invalid IPv4 netmask ${netmask}`);
  return Buffer.from(a.parts);
}

/**
 * One attribute (struct nlattr: u16 length, u16 type, the data), padded to 4 bytes. Written
 * here rather than with the netlink package's formatAttribute(), which frames each attribute as a
 * list of buffers to concatenate: programming 30,000 destinations spent ~5 s of a 20 s table load
 * in the test VM on that; this allocates one buffer per attribute.
 */
function attr(type: number, data: Uint8Array | Uint8Array[]): Buffer {
  const parts = Array.isArray(data) ? data : [data];
  let len = 4;
  for (const p of parts) len += p.length;
  const b = Buffer.allocUnsafe((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  let off = 4;
  for (const p of parts) {
    b.set(p, off);
    off += p.length;
  }
  b.fill(0, off);
  return b;
}
function nest(type: number, parts: Buffer[]): Buffer {
  return attr(type, parts);
}

/** Attributes of a nest, by type (the last one of a type wins, as in the kernel's nla_parse). */
export function attrMap(b: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  parseAttributes(b, (a) => { m.set(a.type & 0x3fff, a.data); });
  return m;
}

// ---------------------------------------------------------------------------------------------
// Services.

/** The attributes that name a service (AF plus FWMARK, or PROTOCOL+ADDR+PORT). */
function serviceIdent(k: ServiceKey): Buffer[] {
  const out = [attr(SVC.AF, u16(familyAf(k.family)))];
  if (k.kind === 'fwmark') out.push(attr(SVC.FWMARK, u32(k.fwmark)));
  else out.push(attr(SVC.PROTOCOL, u16(PROTO[k.protocol])), attr(SVC.ADDR, addrBytes(k.family, k.address)), attr(SVC.PORT, be16(k.port)));
  return out;
}

/** A SERVICE nest: the identity, plus the settings for NEW/SET_SERVICE. */
export function encodeService(s: Omit<IpvsService, 'dests'>, full = true): Buffer {
  const parts = serviceIdent(s.key);
  if (full) {
    if (s.scheduler.length === 0) throw new Error('empty scheduler name');
    parts.push(attr(SVC.SCHED_NAME, str(s.scheduler, 16)));
    if (s.pe) parts.push(attr(SVC.PE_NAME, str(s.pe, 16)));
    // {flags, mask}: the mask says every flag is given (HASHED is the kernel's own).
    parts.push(attr(SVC.FLAGS, Buffer.concat([u32(s.flags & ~SVC_F_HASHED), u32(0xffffffff)])));
    parts.push(attr(SVC.TIMEOUT, u32(s.timeout)));
    parts.push(attr(SVC.NETMASK, netmaskBytes(s.key.family, s.netmask)));
  }
  return nest(ATTR.SERVICE, parts);
}

const keyNests = new WeakMap<ServiceKey, Buffer>();

/**
 * A SERVICE nest naming the service only (DEL_SERVICE, the service of a destination command,
 * GET_DEST). Kept per key object: a service's destinations share their key, and a table of
 * 100 destinations per service would otherwise encode it 100 times. Callers do not mutate keys.
 */
export function encodeServiceKey(k: ServiceKey): Buffer {
  let b = keyNests.get(k);
  if (!b) keyNests.set(k, (b = nest(ATTR.SERVICE, serviceIdent(k))));
  return b;
}

export interface IpvsStats {
  conns: bigint; inpkts: bigint; outpkts: bigint; inbytes: bigint; outbytes: bigint;
  cps: bigint; inpps: bigint; outpps: bigint; inbps: bigint; outbps: bigint;
}

/** A service as the kernel reports it. */
export interface KernelService extends Omit<IpvsService, 'dests'> {
  stats?: IpvsStats;
}

/** STATS (mixed u32/u64) or STATS64 (all u64): read each counter by its length. */
export function decodeStats(b: Buffer): IpvsStats {
  const m = attrMap(b);
  const get = (t: number): bigint => {
    const v = m.get(t);
    if (!v) return 0n;
    if (v.length >= 8) return v.readBigUInt64LE(0);
    if (v.length >= 4) return BigInt(v.readUInt32LE(0));
    return 0n;
  };
  return {
    conns: get(STATS.CONNS), inpkts: get(STATS.INPKTS), outpkts: get(STATS.OUTPKTS), inbytes: get(STATS.INBYTES), outbytes: get(STATS.OUTBYTES),
    cps: get(STATS.CPS), inpps: get(STATS.INPPS), outpps: get(STATS.OUTPPS), inbps: get(STATS.INBPS), outbps: get(STATS.OUTBPS),
  };
}

function need(m: Map<number, Buffer>, t: number, what: string): Buffer {
  const v = m.get(t);
  if (!v) throw new Error(`kernel reply without ${what}`);
  return v;
}

/** The contents of a SERVICE nest from a GET_SERVICE reply. */
export function decodeService(b: Buffer): KernelService {
  const m = attrMap(b);
  const family = afFamily(need(m, SVC.AF, 'service family').readUInt16LE(0));
  let key: ServiceKey;
  const fwm = m.get(SVC.FWMARK);
  const fwmark = fwm ? fwm.readUInt32LE(0) : 0;
  if (fwmark) key = { kind: 'fwmark', family, fwmark };
  else {
    const p = need(m, SVC.PROTOCOL, 'service protocol').readUInt16LE(0);
    const protocol = (Object.keys(PROTO) as IpvsProtocol[]).find((k) => PROTO[k] === p);
    if (!protocol) throw new Error(`unknown service protocol ${p}`);
    key = { kind: 'addr', family, protocol, address: bytesAddr(family, need(m, SVC.ADDR, 'service address')), port: need(m, SVC.PORT, 'service port').readUInt16BE(0) };
  }
  const flagsB = m.get(SVC.FLAGS);
  const nm = m.get(SVC.NETMASK);
  const s: KernelService = {
    key,
    scheduler: getStr(need(m, SVC.SCHED_NAME, 'scheduler')),
    flags: flagsB ? flagsB.readUInt32LE(0) & ~SVC_F_HASHED : 0,
    timeout: m.get(SVC.TIMEOUT)?.readUInt32LE(0) ?? 0,
    netmask: family === 'inet6' ? String(nm ? nm.readUInt32LE(0) : 128) : nm ? `${nm[0]}.${nm[1]}.${nm[2]}.${nm[3]}` : '255.255.255.255',
  };
  const pe = m.get(SVC.PE_NAME);
  if (pe && getStr(pe)) s.pe = getStr(pe);
  const st = m.get(SVC.STATS64) ?? m.get(SVC.STATS);
  if (st) s.stats = decodeStats(st);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Destinations.

/** A DEST nest for NEW/SET_DEST (`full`) or DEL_DEST (address and port only). */
export function encodeDest(d: IpvsDest, full = true): Buffer {
  const parts = [attr(DEST.ADDR, addrBytes(d.family, d.address)), attr(DEST.PORT, be16(d.port))];
  // The destination's own family: a tunnelled server may differ from its service's.
  parts.push(attr(DEST.ADDR_FAMILY, u16(familyAf(d.family))));
  if (full) {
    parts.push(attr(DEST.FWD_METHOD, u32(FWD[d.method])));
    parts.push(attr(DEST.WEIGHT, u32(d.weight)));
    parts.push(attr(DEST.U_THRESH, u32(d.uthreshold)));
    parts.push(attr(DEST.L_THRESH, u32(d.lthreshold)));
    if (d.method === 'TUN') {
      parts.push(attr(DEST.TUN_TYPE, u8(TUN_TYPE[d.tunnelType ?? 'ipip'])));
      parts.push(attr(DEST.TUN_PORT, be16(d.tunnelPort ?? 0)));
      parts.push(attr(DEST.TUN_FLAGS, u16(TUN_CSUM[d.tunnelCsum ?? 'nocsum'])));
    }
  }
  return nest(ATTR.DEST, parts);
}

export type KernelFwd = FwdMethod | 'LOCAL' | 'BYPASS';

/** A destination as the kernel reports it. */
export interface KernelDest extends Omit<IpvsDest, 'method'> {
  method: KernelFwd;
  activeConns: number;
  inactConns: number;
  persistConns: number;
  stats?: IpvsStats;
}

/** The contents of a DEST nest from a GET_DEST reply (the service's family is the default). */
export function decodeDest(b: Buffer, serviceFamily: Family): KernelDest {
  const m = attrMap(b);
  const afB = m.get(DEST.ADDR_FAMILY);
  const family = afB ? afFamily(afB.readUInt16LE(0)) : serviceFamily;
  const f = need(m, DEST.FWD_METHOD, 'forwarding method').readUInt32LE(0) & 0x7;
  const method = (Object.keys(FWD) as KernelFwd[]).find((k) => FWD[k] === f);
  if (!method) throw new Error(`unknown forwarding method ${f}`);
  const d: KernelDest = {
    family,
    address: bytesAddr(family, need(m, DEST.ADDR, 'destination address')),
    port: need(m, DEST.PORT, 'destination port').readUInt16BE(0),
    method,
    weight: m.get(DEST.WEIGHT)?.readUInt32LE(0) ?? 0,
    uthreshold: m.get(DEST.U_THRESH)?.readUInt32LE(0) ?? 0,
    lthreshold: m.get(DEST.L_THRESH)?.readUInt32LE(0) ?? 0,
    activeConns: m.get(DEST.ACTIVE_CONNS)?.readUInt32LE(0) ?? 0,
    inactConns: m.get(DEST.INACT_CONNS)?.readUInt32LE(0) ?? 0,
    persistConns: m.get(DEST.PERSIST_CONNS)?.readUInt32LE(0) ?? 0,
  };
  if (method === 'TUN') {
    // Normalised as from-config.ts writes them: a port only for gue, a checksum mode only for gue/gre.
    const t = m.get(DEST.TUN_TYPE)?.readUInt8(0) ?? 0;
    const type = (Object.keys(TUN_TYPE) as (keyof typeof TUN_TYPE)[]).find((k) => TUN_TYPE[k] === t) ?? 'ipip';
    d.tunnelType = type;
    if (type === 'gue') d.tunnelPort = m.get(DEST.TUN_PORT)?.readUInt16BE(0) ?? 0;
    if (type !== 'ipip') {
      const c = m.get(DEST.TUN_FLAGS)?.readUInt16LE(0) ?? 0;
      d.tunnelCsum = c & TUN_CSUM.remcsum ? 'remcsum' : c & TUN_CSUM.csum ? 'csum' : 'nocsum';
    }
  }
  const st = m.get(DEST.STATS64) ?? m.get(DEST.STATS);
  if (st) d.stats = decodeStats(st);
  return d;
}

// ---------------------------------------------------------------------------------------------
// The connection-sync daemon, timeouts, info.

export interface SyncDaemon {
  state: 'master' | 'backup';
  /** Multicast interface (NEW_DAEMON; the kernel reports it back). */
  interface: string;
  syncId: number;
  maxlen?: number;
  /** Multicast group, IPv4 or IPv6. */
  group?: string;
  port?: number;
  ttl?: number;
}

export function encodeDaemon(d: SyncDaemon, full = true): Buffer {
  const parts = [attr(DAEMON.STATE, u32(d.state === 'master' ? STATE_MASTER : STATE_BACKUP))];
  if (full) {
    parts.push(attr(DAEMON.MCAST_IFN, str(d.interface, 16)));
    parts.push(attr(DAEMON.SYNC_ID, u32(d.syncId)));
    if (d.maxlen) parts.push(attr(DAEMON.SYNC_MAXLEN, u16(d.maxlen)));
    if (d.group) {
      const a = parseInet(d.group);
      if (!a) throw new Error(`invalid sync daemon group ${d.group}`);
      if (a.family === 'inet') parts.push(attr(DAEMON.MCAST_GROUP, Buffer.from(a.parts)));
      else parts.push(attr(DAEMON.MCAST_GROUP6, addrBytes('inet6', d.group)));
    }
    if (d.port) parts.push(attr(DAEMON.MCAST_PORT, u16(d.port)));
    if (d.ttl) parts.push(attr(DAEMON.MCAST_TTL, u8(d.ttl)));
  } else {
    // DEL_DAEMON names the daemon by its state only.
  }
  return nest(ATTR.DAEMON, parts);
}

export function decodeDaemon(b: Buffer): SyncDaemon {
  const m = attrMap(b);
  const st = need(m, DAEMON.STATE, 'daemon state').readUInt32LE(0);
  const d: SyncDaemon = {
    state: st === STATE_MASTER ? 'master' : 'backup',
    interface: getStr(m.get(DAEMON.MCAST_IFN) ?? Buffer.alloc(0)),
    syncId: m.get(DAEMON.SYNC_ID)?.readUInt32LE(0) ?? 0,
  };
  const ml = m.get(DAEMON.SYNC_MAXLEN);
  if (ml) d.maxlen = ml.readUInt16LE(0);
  const g4 = m.get(DAEMON.MCAST_GROUP);
  const g6 = m.get(DAEMON.MCAST_GROUP6);
  if (g6 && g6.some((x) => x !== 0)) d.group = bytesAddr('inet6', g6);
  else if (g4 && g4.readUInt32BE(0) !== 0) d.group = bytesAddr('inet', g4);
  const p = m.get(DAEMON.MCAST_PORT);
  if (p) d.port = p.readUInt16LE(0);
  const t = m.get(DAEMON.MCAST_TTL);
  if (t) d.ttl = t.readUInt8(0);
  return d;
}

/** Connection timeouts in seconds (0 in SET_CONFIG: leave unchanged). */
export interface IpvsTimeouts {
  tcp: number;
  tcpfin: number;
  udp: number;
}

export function encodeTimeouts(t: Partial<IpvsTimeouts>): Buffer {
  const parts: Buffer[] = [];
  if (t.tcp !== undefined) parts.push(attr(ATTR.TIMEOUT_TCP, u32(t.tcp)));
  if (t.tcpfin !== undefined) parts.push(attr(ATTR.TIMEOUT_TCP_FIN, u32(t.tcpfin)));
  if (t.udp !== undefined) parts.push(attr(ATTR.TIMEOUT_UDP, u32(t.udp)));
  return Buffer.concat(parts);
}

export function decodeTimeouts(b: Buffer): IpvsTimeouts {
  const m = attrMap(b);
  return {
    tcp: m.get(ATTR.TIMEOUT_TCP)?.readUInt32LE(0) ?? 0,
    tcpfin: m.get(ATTR.TIMEOUT_TCP_FIN)?.readUInt32LE(0) ?? 0,
    udp: m.get(ATTR.TIMEOUT_UDP)?.readUInt32LE(0) ?? 0,
  };
}

export interface IpvsInfo {
  /** e.g. 0x010201 for 1.2.1. */
  version: number;
  connTabSize: number;
}

export function decodeInfo(b: Buffer): IpvsInfo {
  const m = attrMap(b);
  return { version: m.get(INFO.VERSION)?.readUInt32LE(0) ?? 0, connTabSize: m.get(INFO.CONN_TAB_SIZE)?.readUInt32LE(0) ?? 0 };
}
