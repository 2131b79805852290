// VRRPv2 / VRRPv3 advertisements on the wire, as keepalived 2.2.7 builds and checks them
// (vrrp.c: vrrp_build_ip4, vrrp_build_vrrp_v2/v3, vrrp_build_ipsecah, vrrp_check_packet).
//
// Decoding never throws: every rejection is a typed reason plus a sentence. The checks run in
// keepalived's order, so a packet wrong in two ways is rejected for the reason keepalived logs.
// Without an expected instance the checks are the ones any receiver applies (the watcher's view);
// with one, they are the instance's (auth type and data, interval, address list, unicast mode).
import { createHmac } from 'node:crypto';
import { finishSum, internetChecksum, ipv4PseudoSum, ipv6PseudoSum, onesSum } from './checksum.js';
import {
  IPPROTO_AH, IPPROTO_VRRP, VRRP_GROUP4, VRRP_GROUP6, VRRP_TOS, VRRP_TTL,
  buildIPv4Header, buildIPv6Header, bytesEqual, formatAddress, isMulticast, parseAddress, parseIpHeader,
  type Family,
} from './ip.js';

export const VRRP_HEADER_LEN = 8;
export const VRRP_AUTH_LEN = 8;
/** keepalived's fixed AH header: next header, length, reserved, SPI, sequence, 96-bit ICV. */
export const AH_LEN = 24;
/** AH payload length field for a 96-bit ICV: (24 / 4) - 2. */
export const AH_PAYLOAD_LEN = 4;
const AH_ICV_LEN = 12;
export const VRRP_TYPE_ADVERT = 1;
export const AUTH_NONE = 0;
export const AUTH_PASS = 1;
export const AUTH_AH = 2;
/** CARP (OpenBSD/FreeBSD) shares protocol 112: a 36-byte header with authlen 7 in VRRP's count byte. */
const CARP_LEN = 36;
const CARP_AUTHLEN = 7;

export type AuthName = 'none' | 'PASS' | 'AH';

/** Why a packet is not a usable advert. */
export type RejectReason =
  | 'truncated' // the capture or buffer holds fewer bytes than a header declares
  | 'ip-header' // not IPv4/IPv6, impossible header length, bad extension header, bad address metadata
  | 'ip-checksum' // IPv4 header checksum wrong (the kernel drops these)
  | 'fragment' // an IP fragment (a raw socket only sees reassembled packets)
  | 'not-vrrp' // neither protocol 112 nor AH carrying 112
  | 'ah-mismatch' // AH header present but auth_type is not AH, or absent when it is
  | 'ah-header' // AH header not keepalived's 24-byte layout
  | 'too-short' // fewer than 8 bytes of VRRP header
  | 'carp' // a CARP advertisement on protocol 112
  | 'length' // VRRP length differs from what version and address count imply
  | 'ttl' // TTL / hop limit not 255 (multicast), or outside a unicast peer's min_ttl..max_ttl
  | 'version' // version neither 2 nor 3, or not the instance's
  | 'auth-type' // v2 auth type not 0/1/2, or not the instance's
  | 'auth-data' // simple password differs
  | 'ah-auth' // AH ICV, SPI or sequence number wrong
  | 'interval' // v2 interval differs from the instance's; interval 0 from anyone
  | 'type' // not an advertisement (type 1)
  | 'address-count' // address count differs from the instance's
  | 'checksum' // VRRP checksum wrong
  | 'destination' // multicast advert for a unicast instance or the reverse
  | 'address-list' // one of the instance's addresses is missing from the advert
  | 'unicast-source'; // check_unicast_src: the source is not a unicast peer

export const REJECT_REASONS: readonly RejectReason[] = [
  'truncated', 'ip-header', 'ip-checksum', 'fragment', 'not-vrrp', 'ah-mismatch', 'ah-header', 'too-short', 'carp',
  'length', 'ttl', 'version', 'auth-type', 'auth-data', 'ah-auth', 'interval', 'type', 'address-count', 'checksum',
  'destination', 'address-list', 'unicast-source',
];

/** Which checksum computation matched. */
export type ChecksumVariant =
  | 'standard' // v2: over the message; v3 IPv4: with the pseudo-header and the real destination; IPv6: pseudo-header
  | 'old-unicast' // v3 IPv4 unicast, pseudo-header with the multicast group (keepalived < 1.3.6, old_unicast_checksum)
  | 'v3-as-v2'; // v3 without the pseudo-header (v3_checksum_as_v2 in later keepalived)

export interface AhHeader {
  nextHeader: number;
  payloadLen: number;
  spi: number;
  seq: number;
  icv: Uint8Array;
}

export interface CarpHeader {
  vhid: number;
  advskew: number;
  authlen: number;
  demote: number;
  advbase: number;
}

/** An advert as read from the wire (fields as sent, whatever the verdict). */
export interface VrrpPacket {
  family: Family;
  src: string;
  dst: string;
  /** TTL / hop limit; -1 when not known (keepalived then skips the TTL check). */
  ttl: number;
  multicast: boolean;
  ah?: AhHeader;
  version: number;
  type: number;
  vrid: number;
  priority: number;
  /** The count field. */
  count: number;
  /** v2 auth type; null for other versions. */
  authType: number | null;
  /** v2 over IPv4: the 8 auth data bytes (when captured); null otherwise. */
  authData: Uint8Array | null;
  /** Advertisement interval in centiseconds (v2's seconds x 100; v3's 12 bits). */
  intervalCs: number;
  /** The addresses present (at most `count`; fewer when the packet is short). */
  addresses: string[];
  checksum: number;
  /** Whether a checksum rule keepalived 2.2.7 accepts matched; null when the message is incomplete. */
  checksumOk: boolean | null;
  /** The computation that matched (v3-as-v2 matching alone leaves checksumOk false). */
  checksumVariant: ChecksumVariant | null;
  /** Bytes of VRRP message. */
  length: number;
  carp?: CarpHeader;
}

export interface Rejection {
  reason: RejectReason;
  detail: string;
}

export type DecodeResult =
  | { ok: true; packet: VrrpPacket }
  | { ok: false; reason: RejectReason; detail: string; /** What was read before the rejection, when the VRRP header was whole. */ packet?: VrrpPacket };

/** What a configured instance expects of the adverts it receives. */
export interface ExpectedInstance {
  version: 2 | 3;
  authType: AuthName;
  /** The 8-byte key (auth_pass truncated / zero-padded) for PASS and AH. */
  authKey?: Uint8Array;
  /** The configured interval in centiseconds; VRRPv2 drops adverts whose interval differs. */
  intervalCs: number;
  /** The instance's VIPs: when given, the count must match and each must be present (check_vip_addr). */
  addresses?: readonly string[];
  /** Unicast mode: no TTL-255 rule, destination must be unicast. */
  unicast?: boolean;
  unicastPeers?: readonly { address: string; minTtl?: number; maxTtl?: number }[];
  /** check_unicast_src (per instance or global). */
  checkUnicastSrc?: boolean;
  /** old_unicast_checksum: 'on' computes with the group; 'never' refuses the old form; unset auto-detects. */
  oldUnicastChecksum?: 'on' | 'never';
  /** Later keepalived's v3_checksum_as_v2. */
  v3ChecksumAsV2?: boolean;
  /** vrrp_mcast_group4 (the address the old unicast checksum uses). */
  mcastGroup4?: string;
  /** AH replay protection: the last sequence number accepted. */
  ahLastSeq?: number;
}

export interface DecodeOptions {
  expect?: ExpectedInstance;
}

/** The IP facts a raw socket reports beside a VRRP payload (IPv6 sockets strip the header). */
export interface IpMeta {
  family: Family;
  src: string;
  dst: string;
  /** TTL / hop limit, -1 when unknown. */
  ttl: number;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decode a whole IPv4 or IPv6 packet (a raw IPv4 socket's buffer, or a frame's IP layer). */
export function decodeIpPacket(data: Uint8Array, opts: DecodeOptions = {}): DecodeResult {
  const ip = parseIpHeader(data);
  if (!ip.ok) return { ok: false, reason: ip.reason, detail: ip.detail };
  const h = ip.header;
  // The kernel drops these before a raw socket sees them; the VRRP fields are still read so a
  // watcher can say what the damaged packet claimed to be.
  let ipProblem: Rejection | undefined;
  if (!h.headerChecksumOk) {
    const want = internetChecksumWith(ip.packet, h.headerLength);
    ipProblem = { reason: 'ip-checksum', detail: `IPv4 header checksum 0x${hex4(h.headerChecksum)}, computed 0x${hex4(want)}` };
  } else if (h.fragment) {
    ipProblem = { reason: 'fragment', detail: 'IP fragment (the kernel reassembles before a raw socket sees it)' };
  }
  const withIpProblem = (r: DecodeResult): DecodeResult =>
    ipProblem ? { ok: false, ...ipProblem, ...(r.packet ? { packet: r.packet } : {}) } : r;
  let ah: AhHeader | undefined;
  let ahBytes: Uint8Array | undefined;
  let vrrp = ip.payload;
  if (h.family === 'inet' && h.protocol === IPPROTO_AH) {
    if (vrrp.length < AH_LEN) return withIpProblem({ ok: false, reason: 'truncated', detail: `AH header needs ${AH_LEN} bytes, have ${vrrp.length}` });
    ahBytes = vrrp.subarray(0, AH_LEN);
    ah = {
      nextHeader: vrrp[0]!,
      payloadLen: vrrp[1]!,
      spi: readU32(vrrp, 4),
      seq: readU32(vrrp, 8),
      icv: copyBytes(vrrp, 12, 24),
    };
    if (ah.nextHeader !== IPPROTO_VRRP) return withIpProblem({ ok: false, reason: 'not-vrrp', detail: `AH carrying protocol ${ah.nextHeader}` });
    if (ah.payloadLen !== AH_PAYLOAD_LEN) {
      return withIpProblem({ ok: false, reason: 'ah-header', detail: `AH payload length ${ah.payloadLen}, keepalived's layout has ${AH_PAYLOAD_LEN}` });
    }
    vrrp = vrrp.subarray(AH_LEN);
  } else if (h.protocol !== IPPROTO_VRRP) {
    return withIpProblem({ ok: false, reason: 'not-vrrp', detail: `IP protocol ${h.protocol}` });
  }
  return withIpProblem(decodeMessage(vrrp, {
    family: h.family, src: h.src, dst: h.dst, ttl: h.ttl, ah, ahBytes,
    ipHeader: ip.packet.subarray(0, h.headerLength),
  }, ipProblem ? undefined : opts.expect));
}

/** Decode a VRRP message given without its IP header, with the facts the socket reported. */
export function decodeVrrp(payload: Uint8Array, meta: IpMeta, opts: DecodeOptions = {}): DecodeResult {
  const src = parseAddress(meta.src);
  const dst = parseAddress(meta.dst);
  if (!src || !dst || src.family !== meta.family || dst.family !== meta.family) {
    return { ok: false, reason: 'ip-header', detail: `addresses ${meta.src} -> ${meta.dst} are not ${meta.family} addresses` };
  }
  return decodeMessage(payload, { family: meta.family, src: src.bytes, dst: dst.bytes, ttl: meta.ttl }, opts.expect);
}

interface Ctx {
  family: Family;
  src: Uint8Array;
  dst: Uint8Array;
  ttl: number;
  ah?: AhHeader;
  ahBytes?: Uint8Array;
  ipHeader?: Uint8Array;
}

function decodeMessage(m: Uint8Array, c: Ctx, x: ExpectedInstance | undefined): DecodeResult {
  const inet = c.family === 'inet';
  const src = formatAddress(c.family, c.src);
  const dst = formatAddress(c.family, c.dst);
  const fail = (reason: RejectReason, detail: string, packet?: VrrpPacket): DecodeResult => ({ ok: false, reason, detail, packet });

  // AH present exactly when the instance uses it (IPv4 only; IPv6 never carries keepalived's AH).
  if (x && inet && (c.ah !== undefined) !== (x.authType === 'AH')) {
    return fail('ah-mismatch', c.ah ? 'AH header received but auth_type is not AH' : 'no AH header but auth_type is AH');
  }
  if (m.length < VRRP_HEADER_LEN) return fail('too-short', `VRRP message of ${m.length} bytes, the header alone has ${VRRP_HEADER_LEN}`);

  const version = m[0]! >> 4;
  const type = m[0]! & 0x0f;
  const count = m[3]!;
  const addrLen = inet ? 4 : 16;
  const authLen = inet && version === 2 ? VRRP_AUTH_LEN : 0;
  const expectedLen = VRRP_HEADER_LEN + count * addrLen + authLen;
  const addresses: string[] = [];
  const avail = Math.min(count, Math.floor((m.length - VRRP_HEADER_LEN) / addrLen));
  for (let i = 0; i < avail; i++) addresses.push(formatAddress(c.family, m, VRRP_HEADER_LEN + i * addrLen));
  const authData = authLen && m.length >= expectedLen ? copyBytes(m, expectedLen - authLen, expectedLen) : null;
  const p: VrrpPacket = {
    family: c.family, src, dst, ttl: c.ttl, multicast: isMulticast(c.family, c.dst),
    version, type, vrid: m[1]!, priority: m[2]!, count,
    authType: version === 2 ? m[4]! : null,
    authData,
    intervalCs: version === 3 ? ((m[4]! << 8) | m[5]!) & 0x0fff : m[5]! * 100,
    addresses,
    checksum: (m[6]! << 8) | m[7]!,
    checksumOk: null,
    checksumVariant: null,
    length: m.length,
  };
  if (c.ah) p.ah = c.ah;

  // The checksum verdict is worth reporting whatever else is wrong, so compute it up front.
  if (m.length === expectedLen && (version === 2 || version === 3)) {
    const v = checkChecksum(m, c, version, x);
    p.checksumOk = v.ok;
    p.checksumVariant = v.variant;
  }

  if (version === 2 && type === VRRP_TYPE_ADVERT && m.length === CARP_LEN && count === CARP_AUTHLEN && m.length !== expectedLen) {
    p.carp = { vhid: m[1]!, advskew: m[2]!, authlen: m[3]!, demote: m[4]!, advbase: m[5]! };
    return fail('carp', `CARP advertisement (vhid ${p.carp.vhid}, advbase ${p.carp.advbase}, advskew ${p.carp.advskew})`, p);
  }
  if (m.length !== expectedLen) {
    return fail('length', `VRRP message too ${m.length > expectedLen ? 'long' : 'short'}: ${m.length} bytes, expected ${expectedLen} for ${count} address${count === 1 ? '' : 'es'}`, p);
  }
  // Multicast adverts must arrive with TTL 255 (never routed); unicast ones carry unicast_ttl.
  const unicastMode = x ? !!x.unicast : !p.multicast;
  if (!unicastMode && c.ttl !== -1 && c.ttl !== VRRP_TTL) return fail('ttl', `${inet ? 'TTL' : 'hop limit'} ${c.ttl}, must be ${VRRP_TTL}`, p);
  if (version !== 2 && version !== 3) return fail('version', `version ${version}`, p);
  if (x && version !== x.version) return fail('version', `version ${version}, the instance uses ${x.version}`, p);

  if (version === 2) {
    const at = m[4]!;
    if (at !== AUTH_NONE && at !== AUTH_PASS && at !== AUTH_AH) return fail('auth-type', `invalid auth type ${at}`, p);
    // Without an instance to compare with, the advert must at least agree with itself: an AH
    // header exactly when the auth type says AH (no sender, keepalived included, does otherwise).
    if (!x && inet && c.ipHeader && (at === AUTH_AH) !== !!c.ah) {
      return fail('auth-type', c.ah ? `AH header but auth type ${authLabel(at)}` : 'auth type AH without an AH header', p);
    }
    if (x) {
      const want = authNumber(x.authType);
      if (at !== want) return fail('auth-type', `auth type ${authLabel(at)}, the instance expects ${authLabel(want)}`, p);
      if (at === AUTH_PASS && inet) {
        const key = x.authKey ?? new Uint8Array(8);
        if (!authData || !bytesEqual(authData, 0, key, 0, VRRP_AUTH_LEN)) return fail('auth-data', 'password differs', p);
      }
      if (at === AUTH_AH && inet && c.ah) {
        const r = checkAh(m, c, x);
        if (r) return fail('ah-auth', r, p);
      }
      if (m[5]! * 100 !== x.intervalCs) {
        return fail('interval', `advert interval ${m[5]}s, the instance's is ${x.intervalCs / 100}s`, p);
      }
    }
  }
  if (!x && p.intervalCs === 0) return fail('interval', 'advert interval 0', p);
  if (type !== VRRP_TYPE_ADVERT) return fail('type', `packet type ${type}, adverts are type ${VRRP_TYPE_ADVERT}`, p);
  if (x?.addresses && count !== x.addresses.length) {
    return fail('address-count', `${count} address${count === 1 ? '' : 'es'}, the instance has ${x.addresses.length}`, p);
  }
  if (!p.checksumOk) {
    return fail('checksum', `checksum 0x${hex4(p.checksum)} wrong${p.checksumVariant === 'v3-as-v2' ? ' (computed without the pseudo-header: a v3_checksum_as_v2 peer)' : ''}`, p);
  }
  if (x && p.multicast === !!x.unicast) {
    return fail('destination', `expected a ${x.unicast ? 'unicast' : 'multicast'} advert, got one to ${dst}`, p);
  }
  if (x?.addresses) {
    for (const a of x.addresses) {
      const want = parseAddress(a);
      if (!want || want.family !== c.family || !containsAddress(m, count, addrLen, want.bytes)) {
        return fail('address-list', `address ${a} missing from the advert`, p);
      }
    }
  }
  if (x?.unicast && x.checkUnicastSrc) {
    const peer = (x.unicastPeers ?? []).find((q) => { const a = parseAddress(q.address); return a && a.family === c.family && bytesEqual(a.bytes, 0, c.src, 0, addrLen); });
    if (!peer) return fail('unicast-source', `unicast source ${src} is not a unicast peer`, p);
    const lo = peer.minTtl ?? 0;
    const hi = peer.maxTtl ?? 255;
    if (c.ttl !== -1 && (c.ttl < lo || c.ttl > hi)) return fail('ttl', `TTL ${c.ttl} outside ${lo}-${hi} for peer ${peer.address}`, p);
  }
  return { ok: true, packet: p };
}

function containsAddress(m: Uint8Array, count: number, addrLen: number, a: Uint8Array): boolean {
  for (let i = 0; i < count; i++) if (bytesEqual(m, VRRP_HEADER_LEN + i * addrLen, a, 0, addrLen)) return true;
  return false;
}

/**
 * Which checksum rule the message satisfies. IPv6 (both versions): the kernel's pseudo-header sum.
 * v2 over IPv4: the message alone. v3 over IPv4: pseudo-header with the real destination; a unicast
 * advert made with the multicast group (old_unicast_checksum) is accepted unless 'never', as
 * keepalived 2.2.7 switches to that mode by itself. The v3_checksum_as_v2 form is only accepted
 * when the instance says so; otherwise it is recognised so the rejection can name it.
 */
function checkChecksum(m: Uint8Array, c: Ctx, version: number, x: ExpectedInstance | undefined): { ok: boolean; variant: ChecksumVariant | null } {
  const len = m.length;
  if (c.family === 'inet6') {
    const ok = internetChecksum(m, 0, len, ipv6PseudoSum(c.src, c.dst, IPPROTO_VRRP, len)) === 0;
    return { ok, variant: ok ? 'standard' : null };
  }
  if (version === 2) {
    const ok = internetChecksum(m, 0, len) === 0;
    return { ok, variant: ok ? 'standard' : null };
  }
  const group = parseAddress(x?.mcastGroup4 ?? VRRP_GROUP4)?.bytes ?? new Uint8Array([224, 0, 0, 18]);
  const plain = internetChecksum(m, 0, len) === 0;
  if (x?.v3ChecksumAsV2) return { ok: plain, variant: plain ? 'v3-as-v2' : null };
  const withDst = (d: Uint8Array): boolean => internetChecksum(m, 0, len, ipv4PseudoSum(c.src, d, IPPROTO_VRRP, len)) === 0;
  const unicastDst = !isMulticast('inet', c.dst);
  if (x?.oldUnicastChecksum === 'on' && x.unicast) {
    const ok = withDst(group);
    return { ok, variant: ok ? 'old-unicast' : plain ? 'v3-as-v2' : null };
  }
  if (withDst(c.dst)) return { ok: true, variant: 'standard' };
  if (unicastDst && x?.oldUnicastChecksum !== 'never' && (!x || x.unicast) && withDst(group)) return { ok: true, variant: 'old-unicast' };
  return { ok: false, variant: plain ? 'v3-as-v2' : null };
}

/** keepalived's AH check: HMAC-MD5 over the IP and AH headers with mutable fields zeroed, then the message. */
function checkAh(m: Uint8Array, c: Ctx, x: ExpectedInstance): string | undefined {
  if (!c.ah || !c.ahBytes || !c.ipHeader) return 'no AH header';
  const icv = ahIcv(c.ipHeader, c.ahBytes, m, x.authKey ?? new Uint8Array(8), !!x.unicast);
  if (!bytesEqual(icv, 0, c.ah.icv, 0, AH_ICV_LEN)) return 'invalid IPSEC HMAC-MD5 value (fields mutated or wrong password)';
  if (c.ah.spi !== readU32(c.src, 0)) return `SPI 0x${c.ah.spi.toString(16)} is not the source address`;
  if (x.ahLastSeq !== undefined && c.ah.seq <= x.ahLastSeq) return `sequence number ${c.ah.seq} already seen (last ${x.ahLastSeq})`;
  return undefined;
}

/** The 96-bit ICV keepalived puts in its AH header (TOS, fragment field, checksum and, unicast, TTL zeroed). */
export function ahIcv(ipHeader: Uint8Array, ah: Uint8Array, vrrp: Uint8Array, key: Uint8Array, unicast: boolean): Uint8Array {
  const hdr = new Uint8Array(ipHeader.length + AH_LEN);
  hdr.set(ipHeader, 0);
  hdr.set(ah.subarray(0, AH_LEN), ipHeader.length);
  hdr[1] = 0; // TOS
  hdr[6] = 0; // flags + fragment offset
  hdr[7] = 0;
  hdr[10] = 0; // header checksum
  hdr[11] = 0;
  if (unicast) hdr[8] = 0;
  hdr.fill(0, ipHeader.length + 12, ipHeader.length + AH_LEN);
  const mac = createHmac('md5', key).update(hdr).update(vrrp).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, AH_ICV_LEN);
}

// ---------------------------------------------------------------------------------------------
// Encoding

export interface AdvertSpec {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Advert interval in centiseconds; v2 sends whole seconds (truncated, as keepalived does). */
  intervalCs: number;
  /** The VIPs, in configuration order, all of the family of `src`. */
  addresses: readonly string[];
  /** Source address: decides the family. */
  src: string;
  /** Destination: the VRRP group of the family unless given (a unicast peer, mcast_dst_ip). */
  dst?: string;
  authType?: AuthName;
  /** auth_pass: its first 8 bytes count, zero-padded. */
  authPass?: string;
  /** Default 255. */
  ttl?: number;
  /** IPv4 identification; keepalived counts from 1 and never sends 0 (the kernel would pick one). */
  ipId?: number;
  /** AH sequence number (keepalived's first advert carries 1). */
  ahSeq?: number;
  /** Unicast mode (AH zeroes the TTL in its ICV then). */
  unicast?: boolean;
  checksum?: ChecksumVariant;
  /** vrrp_mcast_group4, used by the old unicast checksum. */
  mcastGroup4?: string;
  /** IPv6 flow label of the header the kernel adds (0 unless the kernel picks one). */
  flowLabel?: number;
}

export type EncodeResult = { ok: true; bytes: Uint8Array } | { ok: false; error: string };

/** The auth data / AH key keepalived keeps: auth_pass's first 8 bytes, zero-padded. */
export function authKey(pass: string | undefined): Uint8Array {
  const out = new Uint8Array(VRRP_AUTH_LEN);
  if (pass) out.set(new TextEncoder().encode(pass).subarray(0, VRRP_AUTH_LEN));
  return out;
}

interface Resolved {
  family: Family;
  src: Uint8Array;
  dst: Uint8Array;
  addrs: Uint8Array[];
  auth: number;
}

function resolve(s: AdvertSpec): { ok: true; r: Resolved } | { ok: false; error: string } {
  const src = parseAddress(s.src);
  if (!src) return { ok: false, error: `source ${s.src} is not an IP address` };
  const family = src.family;
  const dstText = s.dst ?? (family === 'inet' ? VRRP_GROUP4 : VRRP_GROUP6);
  const dst = parseAddress(dstText);
  if (!dst || dst.family !== family) return { ok: false, error: `destination ${dstText} is not an ${family} address` };
  if (s.version !== 2 && s.version !== 3) return { ok: false, error: `version ${String(s.version)}` };
  if (!isByte(s.vrid) || s.vrid === 0) return { ok: false, error: `VRID ${s.vrid} outside 1..255` };
  if (!isByte(s.priority)) return { ok: false, error: `priority ${s.priority} outside 0..255` };
  if (s.addresses.length > 255) return { ok: false, error: `${s.addresses.length} addresses, the count field holds 255` };
  const addrs: Uint8Array[] = [];
  for (const a of s.addresses) {
    const b = parseAddress(a.replace(/\/\d+$/, ''));
    if (!b || b.family !== family) return { ok: false, error: `address ${a} is not an ${family} address` };
    addrs.push(b.bytes);
  }
  const auth = authNumber(s.authType ?? 'none');
  if (auth !== AUTH_NONE && (s.version !== 2 || family !== 'inet')) return { ok: false, error: 'authentication exists only in VRRPv2 over IPv4' };
  if (!Number.isInteger(s.intervalCs) || s.intervalCs < 1) return { ok: false, error: `interval ${s.intervalCs} cs` };
  if (s.version === 2 && (s.intervalCs < 100 || s.intervalCs >= 25600)) return { ok: false, error: `VRRPv2 interval ${s.intervalCs / 100}s outside 1..255 s` };
  if (s.version === 3 && s.intervalCs > 0x0fff) return { ok: false, error: `VRRPv3 interval ${s.intervalCs} cs above 4095` };
  return { ok: true, r: { family, src: src.bytes, dst: dst.bytes, addrs, auth } };
}

function buildMessage(s: AdvertSpec, r: Resolved): Uint8Array {
  const inet = r.family === 'inet';
  const addrLen = inet ? 4 : 16;
  const authLen = inet && s.version === 2 ? VRRP_AUTH_LEN : 0;
  const len = VRRP_HEADER_LEN + r.addrs.length * addrLen + authLen;
  const m = new Uint8Array(len);
  m[0] = (s.version << 4) | VRRP_TYPE_ADVERT;
  m[1] = s.vrid;
  m[2] = s.priority;
  m[3] = r.addrs.length;
  if (s.version === 2) {
    m[4] = r.auth;
    m[5] = Math.trunc(s.intervalCs / 100);
  } else {
    m[4] = (s.intervalCs >> 8) & 0x0f;
    m[5] = s.intervalCs & 0xff;
  }
  r.addrs.forEach((a, i) => m.set(a, VRRP_HEADER_LEN + i * addrLen));
  if (r.auth === AUTH_PASS) m.set(authKey(s.authPass), len - VRRP_AUTH_LEN);
  let sum: number;
  if (!inet) sum = ipv6PseudoSum(r.src, r.dst, IPPROTO_VRRP, len);
  else if (s.version === 2 || s.checksum === 'v3-as-v2') sum = 0;
  else {
    const group = parseAddress(s.mcastGroup4 ?? VRRP_GROUP4)?.bytes ?? r.dst;
    sum = ipv4PseudoSum(r.src, s.checksum === 'old-unicast' ? group : r.dst, IPPROTO_VRRP, len);
  }
  const c = finishSum(onesSum(m, 0, len, sum));
  m[6] = c >> 8;
  m[7] = c & 0xff;
  return m;
}

/** The VRRP message alone (what follows the IP header, or the AH header), checksum as on the wire. */
export function encodeVrrp(spec: AdvertSpec): EncodeResult {
  const r = resolve(spec);
  if (!r.ok) return r;
  return { ok: true, bytes: buildMessage(spec, r.r) };
}

/** The whole IP packet as it goes on the wire (IPv4 header checksum and IPv6 header as the kernel fills them). */
export function encodeAdvert(spec: AdvertSpec): EncodeResult {
  const res = resolve(spec);
  if (!res.ok) return res;
  const r = res.r;
  const m = buildMessage(spec, r);
  const ttl = spec.ttl ?? VRRP_TTL;
  if (r.family === 'inet6') {
    const h = buildIPv6Header({ src: r.src, dst: r.dst, nextHeader: IPPROTO_VRRP, payloadLength: m.length, hopLimit: ttl, trafficClass: VRRP_TOS, flowLabel: spec.flowLabel ?? 0 });
    return { ok: true, bytes: concat(h, m) };
  }
  const ipId = spec.ipId ?? 1;
  if (r.auth !== AUTH_AH) {
    const h = buildIPv4Header({ src: r.src, dst: r.dst, protocol: IPPROTO_VRRP, payloadLength: m.length, ttl, tos: VRRP_TOS, id: ipId });
    return { ok: true, bytes: concat(h, m) };
  }
  const h = buildIPv4Header({ src: r.src, dst: r.dst, protocol: IPPROTO_AH, payloadLength: AH_LEN + m.length, ttl, tos: VRRP_TOS, id: ipId });
  const ah = new Uint8Array(AH_LEN);
  ah[0] = IPPROTO_VRRP;
  ah[1] = AH_PAYLOAD_LEN;
  ah.set(r.src, 4); // SPI: keepalived uses the source address
  writeU32(ah, 8, spec.ahSeq ?? 1);
  ah.set(ahIcv(h, ah, m, authKey(spec.authPass), !!spec.unicast), 12);
  return { ok: true, bytes: concat(h, ah, m) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function authNumber(a: AuthName): number {
  return a === 'PASS' ? AUTH_PASS : a === 'AH' ? AUTH_AH : AUTH_NONE;
}

/** tcpdump's words for a v2 auth type. */
export function authLabel(n: number): string {
  return n === AUTH_NONE ? 'none' : n === AUTH_PASS ? 'simple' : n === AUTH_AH ? 'ah' : `unknown(${n})`;
}

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

function internetChecksumWith(packet: Uint8Array, ihl: number): number {
  const h = copyBytes(packet, 0, ihl);
  h[10] = 0;
  h[11] = 0;
  return internetChecksum(h);
}

/** A copy (a Buffer's slice() would be a view into the caller's bytes). */
function copyBytes(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.subarray(start, end));
}

function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) >>> 0) + ((b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!);
}

function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
