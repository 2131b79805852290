// IPv4 / IPv6 addresses and headers as VRRP needs them: text <-> bytes, reading the IP header of
// a captured or raw-socket packet (never throwing: a reason for whatever does not parse), and
// building the header keepalived builds (IPv4, IP_HDRINCL) or the kernel builds for it (IPv6).
import { internetChecksum } from './checksum.js';

export type Family = 'inet' | 'inet6';

export const IPPROTO_AH = 51;
export const IPPROTO_VRRP = 112;
export const VRRP_GROUP4 = '224.0.0.18';
export const VRRP_GROUP6 = 'ff02::12';
/** keepalived sets TOS / traffic class to "internet network control" (CS6). */
export const VRRP_TOS = 0xc0;
export const VRRP_TTL = 255;

// ---------------------------------------------------------------------------------------------
// Addresses

export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  let t = text;
  const pct = t.indexOf('%'); // a zone (fe80::1%eth0) is not part of the address
  if (pct >= 0) t = t.slice(0, pct);
  if (t.length === 0 || t.length > 45) return undefined;
  const out = new Uint8Array(16);
  // A trailing dotted quad fills the last 32 bits.
  let tail: Uint8Array | undefined;
  const lastColon = t.lastIndexOf(':');
  if (t.indexOf('.', lastColon) >= 0) {
    tail = parseIPv4(t.slice(lastColon + 1));
    if (!tail) return undefined;
    t = t.slice(0, lastColon + 1) + '0:0';
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const group = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out2: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out2.push(parseInt(g, 16));
    }
    return out2;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return undefined;
  if (halves.length === 1 ? head.length !== 8 : head.length + rest.length > 7) return undefined;
  const words = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** An address of either family, from text; undefined when it is neither. */
export function parseAddress(text: string): { family: Family; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(text);
  if (v4) return { family: 'inet', bytes: v4 };
  const v6 = parseIPv6(text);
  return v6 ? { family: 'inet6', bytes: v6 } : undefined;
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text, as inet_ntop and tcpdump print it (longest run of two or more zero groups as ::). */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) keep their dotted tail.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    return (bestLen === 5 ? '::ffff:' : '::') + formatIPv4(b, off + 12);
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += w[i]!.toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

export function formatAddress(family: Family, b: Uint8Array, off = 0): string {
  return family === 'inet' ? formatIPv4(b, off) : formatIPv6(b, off);
}

/** The canonical text of an address given as text (undefined when it is not an address). */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text);
  return a && formatAddress(a.family, a.bytes);
}

export function isMulticast(family: Family, b: Uint8Array, off = 0): boolean {
  return family === 'inet' ? (b[off]! & 0xf0) === 0xe0 : b[off] === 0xff;
}

export function bytesEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reading an IP header

export interface IpHeader {
  family: Family;
  /** Source and destination, 4 or 16 bytes (views into the packet). */
  src: Uint8Array;
  dst: Uint8Array;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** TOS (IPv4) or traffic class (IPv6). */
  tos: number;
  /** The upper-layer protocol: IPv4's protocol, or IPv6's last next-header after the extension headers. */
  protocol: number;
  /** Bytes before the upper-layer payload (IPv4 header with options; IPv6 header and extension headers). */
  headerLength: number;
  /** IPv4 identification (0 for IPv6). */
  id: number;
  /** A fragment (IPv4 MF or offset, IPv6 fragment header): only the reassembled packet reaches a raw socket. */
  fragment: boolean;
  /** IPv4 header checksum correct (always true for IPv6, which has none). */
  headerChecksumOk: boolean;
  /** IPv4 header checksum as carried. */
  headerChecksum: number;
}

export type IpParse =
  | { ok: true; header: IpHeader; /** The IP packet up to the length its header declares (link padding dropped). */ packet: Uint8Array; payload: Uint8Array }
  | { ok: false; reason: 'truncated' | 'ip-header'; detail: string };

const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_DEST_OPTS = 60;

/** Read the IPv4 or IPv6 header at the start of `data` (the version nibble decides). */
export function parseIpHeader(data: Uint8Array): IpParse {
  if (data.length < 1) return { ok: false, reason: 'truncated', detail: 'empty packet' };
  const version = data[0]! >> 4;
  if (version === 4) return parseIPv4Header(data);
  if (version === 6) return parseIPv6Header(data);
  return { ok: false, reason: 'ip-header', detail: `IP version ${version} (neither 4 nor 6)` };
}

function parseIPv4Header(data: Uint8Array): IpParse {
  if (data.length < 20) return { ok: false, reason: 'truncated', detail: `IPv4 header needs 20 bytes, have ${data.length}` };
  const ihl = (data[0]! & 0x0f) * 4;
  if (ihl < 20) return { ok: false, reason: 'ip-header', detail: `IPv4 header length ${ihl} < 20` };
  const total = (data[2]! << 8) | data[3]!;
  if (total < ihl) return { ok: false, reason: 'ip-header', detail: `IPv4 total length ${total} < header length ${ihl}` };
  if (data.length < ihl) return { ok: false, reason: 'truncated', detail: `IPv4 header of ${ihl} bytes, have ${data.length}` };
  if (data.length < total) return { ok: false, reason: 'truncated', detail: `IPv4 total length ${total}, captured ${data.length}` };
  const fragField = (data[6]! << 8) | data[7]!;
  const packet = data.subarray(0, total);
  return {
    ok: true,
    packet,
    payload: packet.subarray(ihl),
    header: {
      family: 'inet',
      src: data.subarray(12, 16),
      dst: data.subarray(16, 20),
      ttl: data[8]!,
      tos: data[1]!,
      protocol: data[9]!,
      headerLength: ihl,
      id: (data[4]! << 8) | data[5]!,
      fragment: (fragField & 0x3fff) !== 0,
      headerChecksumOk: internetChecksum(data, 0, ihl) === 0,
      headerChecksum: (data[10]! << 8) | data[11]!,
    },
  };
}

function parseIPv6Header(data: Uint8Array): IpParse {
  if (data.length < 40) return { ok: false, reason: 'truncated', detail: `IPv6 header needs 40 bytes, have ${data.length}` };
  const payloadLength = (data[4]! << 8) | data[5]!;
  const total = 40 + payloadLength;
  if (payloadLength === 0) return { ok: false, reason: 'ip-header', detail: 'IPv6 payload length 0 (jumbogram or empty)' };
  if (data.length < total) return { ok: false, reason: 'truncated', detail: `IPv6 payload length ${payloadLength}, captured ${data.length - 40}` };
  const packet = data.subarray(0, total);
  let next = data[6]!;
  let off = 40;
  let fragment = false;
  // Walk the extension headers a VRRP packet might carry; anything else is the upper layer.
  for (;;) {
    if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS || next === EXT_FRAGMENT) {
      if (off + 8 > total) return { ok: false, reason: 'ip-header', detail: `IPv6 extension header ${next} runs past the payload` };
      const len = next === EXT_FRAGMENT ? 8 : (data[off + 1]! + 1) * 8;
      if (off + len > total) return { ok: false, reason: 'ip-header', detail: `IPv6 extension header ${next} runs past the payload` };
      if (next === EXT_FRAGMENT) fragment = true;
      next = data[off]!;
      off += len;
      continue;
    }
    break;
  }
  return {
    ok: true,
    packet,
    payload: packet.subarray(off),
    header: {
      family: 'inet6',
      src: data.subarray(8, 24),
      dst: data.subarray(24, 40),
      ttl: data[7]!,
      tos: ((data[0]! & 0x0f) << 4) | (data[1]! >> 4),
      protocol: next,
      headerLength: off,
      id: 0,
      fragment,
      headerChecksumOk: true,
      headerChecksum: 0,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Building IP headers

export interface Ipv4HeaderSpec {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** Bytes after the 20-byte header. */
  payloadLength: number;
  ttl: number;
  tos: number;
  id: number;
}

/**
 * The 20-byte IPv4 header keepalived writes with IP_HDRINCL (no options, no DF), with the header
 * checksum the kernel fills in on the way out.
 */
export function buildIPv4Header(s: Ipv4HeaderSpec): Uint8Array {
  const h = new Uint8Array(20);
  const total = 20 + s.payloadLength;
  h[0] = 0x45;
  h[1] = s.tos;
  h[2] = total >> 8;
  h[3] = total & 0xff;
  h[4] = (s.id >> 8) & 0xff;
  h[5] = s.id & 0xff;
  h[8] = s.ttl;
  h[9] = s.protocol;
  h.set(s.src, 12);
  h.set(s.dst, 16);
  const c = internetChecksum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return h;
}

export interface Ipv6HeaderSpec {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  payloadLength: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
}

/** The 40-byte IPv6 header the kernel puts in front of what keepalived sends on its raw socket. */
export function buildIPv6Header(s: Ipv6HeaderSpec): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60 | (s.trafficClass >> 4);
  h[1] = ((s.trafficClass & 0x0f) << 4) | ((s.flowLabel >> 16) & 0x0f);
  h[2] = (s.flowLabel >> 8) & 0xff;
  h[3] = s.flowLabel & 0xff;
  h[4] = s.payloadLength >> 8;
  h[5] = s.payloadLength & 0xff;
  h[6] = s.nextHeader;
  h[7] = s.hopLimit;
  h.set(s.src, 8);
  h.set(s.dst, 24);
  return h;
}
