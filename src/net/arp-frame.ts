// Ethernet frames announcing an address: gratuitous ARP (IPv4) and unsolicited neighbour
// advertisements (IPv6), byte for byte as keepalived 2.2.7 builds them
// (vrrp_arp.c send_gratuitous_arp_immediate, vrrp_ndisc.c ndisc_send_unsolicited_na_immediate):
//
//  - ARP: an ARP *request* (op 1) to the Ethernet broadcast, sender = target = the address,
//    sender MAC = the interface's (or the VMAC), target MAC = ff:ff:ff:ff:ff:ff (keepalived puts
//    the broadcast address there, not zeros). 42 bytes: no padding (the NIC pads on the wire).
//  - NA: to 33:33:00:00:00:01 / ff02::1 from the address itself, hop limit 255, traffic class 0,
//    flow label 0; ICMPv6 type 136 with the Override flag (and Router when the interface forwards
//    IPv6), Solicited clear, and a target link-layer address option. 86 bytes.
//
// Pure: no sockets here (src/net/garp.ts sends them). The parsers let tests and the watcher read
// captured frames back.
import { finishSum, internetChecksum, ipv6PseudoSum, onesSum } from '../vrrp/checksum.js';
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from '../vrrp/ip.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ARPHRD_ETHER = 1;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
export const IPPROTO_ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_OPT_TARGET_LINKADDR = 2;
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;
/** NDISC_HOPLIMIT: receivers drop neighbour discovery with any other hop limit (RFC 4861 7.1.2). */
export const NDISC_HOP_LIMIT = 255;

export const ETH_HEADER_LEN = 14;
export const ARP_FRAME_LEN = ETH_HEADER_LEN + 28;
export const NA_FRAME_LEN = ETH_HEADER_LEN + 40 + 24 + 8;

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** ff02::1, all nodes, and its Ethernet mapping 33:33:00:00:00:01 (RFC 2464 7). */
export const ALL_NODES = 'ff02::1';
export const ALL_NODES_MAC = new Uint8Array([0x33, 0x33, 0, 0, 0, 1]);

// ---------------------------------------------------------------------------------------------
// MAC addresses

/** "52:54:00:12:34:56" (also with '-') to 6 bytes; undefined when it is not one. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i]!)) return undefined;
    out[i] = parseInt(parts[i]!, 16);
  }
  return out;
}

export function formatMac(b: Uint8Array, off = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(b[off + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

// ---------------------------------------------------------------------------------------------
// Building

function ethernet(frame: Uint8Array, dst: Uint8Array, src: Uint8Array, type: number): void {
  frame.set(dst.subarray(0, 6), 0);
  frame.set(src.subarray(0, 6), 6);
  frame[12] = type >> 8;
  frame[13] = type & 0xff;
}

export interface ArpSpec {
  op: typeof ARPOP_REQUEST | typeof ARPOP_REPLY;
  /** Ethernet source and destination. */
  ethSrc: Uint8Array;
  ethDst: Uint8Array;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

/** An Ethernet ARP frame for IPv4 (42 bytes). */
export function arpFrame(s: ArpSpec): Uint8Array {
  const f = new Uint8Array(ARP_FRAME_LEN);
  ethernet(f, s.ethDst, s.ethSrc, ETHERTYPE_ARP);
  const a = ETH_HEADER_LEN;
  f[a] = ARPHRD_ETHER >> 8;
  f[a + 1] = ARPHRD_ETHER & 0xff;
  f[a + 2] = ETHERTYPE_IPV4 >> 8;
  f[a + 3] = ETHERTYPE_IPV4 & 0xff;
  f[a + 4] = 6; // hardware address length
  f[a + 5] = 4; // protocol address length
  f[a + 6] = s.op >> 8;
  f[a + 7] = s.op & 0xff;
  f.set(s.senderMac.subarray(0, 6), a + 8);
  f.set(s.senderIp.subarray(0, 4), a + 14);
  f.set(s.targetMac.subarray(0, 6), a + 18);
  f.set(s.targetIp.subarray(0, 4), a + 24);
  return f;
}

/** keepalived's gratuitous ARP for `address` from `mac`. */
export function gratuitousArp(mac: Uint8Array, address: Uint8Array): Uint8Array {
  return arpFrame({
    op: ARPOP_REQUEST, ethSrc: mac, ethDst: BROADCAST_MAC,
    senderMac: mac, senderIp: address, targetMac: BROADCAST_MAC, targetIp: address,
  });
}

export interface NaSpec {
  /** Ethernet source, and the target link-layer address option. */
  mac: Uint8Array;
  /** The address announced: IPv6 source and NA target. */
  target: Uint8Array;
  /** Router flag (keepalived: net.ipv6.conf.IF.forwarding is set). */
  router?: boolean;
  /** Default: Override only, as keepalived sends. */
  solicited?: boolean;
  override?: boolean;
  /** Default ff02::1 / 33:33:00:00:00:01. */
  dst?: Uint8Array;
  ethDst?: Uint8Array;
}

/** An unsolicited neighbour advertisement frame (86 bytes) with its ICMPv6 checksum. */
export function neighbourAdvert(s: NaSpec): Uint8Array {
  const f = new Uint8Array(NA_FRAME_LEN);
  const dst = s.dst ?? parseIPv6(ALL_NODES)!;
  ethernet(f, s.ethDst ?? ALL_NODES_MAC, s.mac, ETHERTYPE_IPV6);
  const ip = ETH_HEADER_LEN;
  const payloadLen = 24 + 8;
  f[ip] = 0x60; // version 6, traffic class 0, flow label 0
  f[ip + 4] = payloadLen >> 8;
  f[ip + 5] = payloadLen & 0xff;
  f[ip + 6] = IPPROTO_ICMPV6;
  f[ip + 7] = NDISC_HOP_LIMIT;
  f.set(s.target.subarray(0, 16), ip + 8);
  f.set(dst.subarray(0, 16), ip + 24);
  const icmp = ip + 40;
  f[icmp] = ND_NEIGHBOR_ADVERT;
  f[icmp + 1] = 0; // code
  f[icmp + 4] = (s.router ? NA_FLAG_ROUTER : 0) | (s.solicited ? NA_FLAG_SOLICITED : 0) | (s.override === false ? 0 : NA_FLAG_OVERRIDE);
  f.set(s.target.subarray(0, 16), icmp + 8);
  f[icmp + 24] = ND_OPT_TARGET_LINKADDR;
  f[icmp + 25] = 1; // option length in units of 8 bytes
  f.set(s.mac.subarray(0, 6), icmp + 26);
  const sum = finishSum(onesSum(f, icmp, payloadLen, ipv6PseudoSum(s.target, dst, IPPROTO_ICMPV6, payloadLen)));
  f[icmp + 2] = sum >> 8;
  f[icmp + 3] = sum & 0xff;
  return f;
}

/** keepalived's unsolicited NA for `address` from `mac`. */
export function unsolicitedNa(mac: Uint8Array, address: Uint8Array, router = false): Uint8Array {
  return neighbourAdvert({ mac, target: address, router });
}

/**
 * The frame announcing `address` (IPv4 or IPv6 text, an optional /prefix ignored) from `mac`,
 * or an error sentence when the address is not one.
 */
export function announcementFrame(address: string, mac: Uint8Array, router = false): { ok: true; frame: Uint8Array; family: 'inet' | 'inet6' } | { ok: false; error: string } {
  const text = address.replace(/\/\d+$/, '');
  const v4 = parseIPv4(text);
  if (v4) return { ok: true, frame: gratuitousArp(mac, v4), family: 'inet' };
  const v6 = text.includes(':') ? parseIPv6(text) : undefined;
  if (v6) return { ok: true, frame: unsolicitedNa(mac, v6, router), family: 'inet6' };
  return { ok: false, error: `${address} is not an IPv4 or IPv6 address` };
}

// ---------------------------------------------------------------------------------------------
// Reading captured frames back

export interface ArpFrameInfo {
  ethDst: string;
  ethSrc: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function parseArpFrame(f: Uint8Array): ArpFrameInfo | undefined {
  if (f.length < ARP_FRAME_LEN || ((f[12]! << 8) | f[13]!) !== ETHERTYPE_ARP) return undefined;
  const a = ETH_HEADER_LEN;
  if (((f[a]! << 8) | f[a + 1]!) !== ARPHRD_ETHER || ((f[a + 2]! << 8) | f[a + 3]!) !== ETHERTYPE_IPV4 || f[a + 4] !== 6 || f[a + 5] !== 4) return undefined;
  return {
    ethDst: formatMac(f, 0),
    ethSrc: formatMac(f, 6),
    op: (f[a + 6]! << 8) | f[a + 7]!,
    senderMac: formatMac(f, a + 8),
    senderIp: formatIPv4(f, a + 14),
    targetMac: formatMac(f, a + 18),
    targetIp: formatIPv4(f, a + 24),
  };
}

export interface NaFrameInfo {
  ethDst: string;
  ethSrc: string;
  src: string;
  dst: string;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
  /** The target link-layer address option, when present. */
  targetMac?: string;
  checksumOk: boolean;
}

export function parseNaFrame(f: Uint8Array): NaFrameInfo | undefined {
  const ip = ETH_HEADER_LEN;
  if (f.length < ip + 40 + 24 || ((f[12]! << 8) | f[13]!) !== ETHERTYPE_IPV6 || f[ip]! >> 4 !== 6) return undefined;
  if (f[ip + 6] !== IPPROTO_ICMPV6) return undefined;
  const icmp = ip + 40;
  if (f[icmp] !== ND_NEIGHBOR_ADVERT) return undefined;
  const payloadLen = (f[ip + 4]! << 8) | f[ip + 5]!;
  if (f.length < icmp + payloadLen) return undefined;
  const src = f.subarray(ip + 8, ip + 24);
  const dst = f.subarray(ip + 24, ip + 40);
  let targetMac: string | undefined;
  for (let o = icmp + 24; o + 8 <= icmp + payloadLen;) {
    const len = f[o + 1]! * 8;
    if (len === 0) break;
    if (f[o] === ND_OPT_TARGET_LINKADDR && len >= 8) targetMac = formatMac(f, o + 2);
    o += len;
  }
  const flags = f[icmp + 4]!;
  const info: NaFrameInfo = {
    ethDst: formatMac(f, 0),
    ethSrc: formatMac(f, 6),
    src: formatIPv6(f, ip + 8),
    dst: formatIPv6(f, ip + 24),
    hopLimit: f[ip + 7]!,
    trafficClass: ((f[ip]! & 0x0f) << 4) | (f[ip + 1]! >> 4),
    flowLabel: ((f[ip + 1]! & 0x0f) << 16) | (f[ip + 2]! << 8) | f[ip + 3]!,
    router: (flags & NA_FLAG_ROUTER) !== 0,
    solicited: (flags & NA_FLAG_SOLICITED) !== 0,
    override: (flags & NA_FLAG_OVERRIDE) !== 0,
    target: formatIPv6(f, icmp + 8),
    checksumOk: internetChecksum(f, icmp, payloadLen, ipv6PseudoSum(src, dst, IPPROTO_ICMPV6, payloadLen)) === 0,
  };
  if (targetMac !== undefined) info.targetMac = targetMac;
  return info;
}
