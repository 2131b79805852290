// Capture files: pcap (both byte orders, micro- and nanosecond, Kuznetzov's modified format) and
// pcapng (SHB / IDB / EPB / SPB and the obsolete PB, per-interface link types, if_tsresol and
// if_tsoffset), and the link layers VRRP is seen on, down to the IP packet. Pure: bytes in, frames
// out; a damaged file gives the frames read so far plus a sentence, never an exception.
// Writers for both formats serve tests and a later `watch --write`.

export interface CaptureFrame {
  /** 1-based position in the file, as tcpdump numbers packets. */
  index: number;
  /** Seconds since the epoch and nanoseconds within the second. */
  tsSec: number;
  tsNsec: number;
  linkType: number;
  /** pcapng interface (0 in pcap files). */
  interfaceId: number;
  data: Uint8Array;
  /** Length on the wire (data may be shorter: the snap length). */
  origLen: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  /** Timestamps finer than microseconds (nanosecond pcap, or an interface's if_tsresol). */
  nanosecond: boolean;
  frames: CaptureFrame[];
  /** Set when the file is damaged: the frames before the damage are still there. */
  error?: string;
}

export type CaptureRead = { ok: true; capture: Capture } | { ok: false; error: string };

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
/** A record larger than this is a corrupt length, not a packet. */
const MAX_RECORD = 0x4000000;

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_FRELAY = 107;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const LINK_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 12: 'RAW', 14: 'RAW', 101: 'RAW', 107: 'FRELAY', 108: 'LOOP', 113: 'LINUX_SLL',
  228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
};

export function linkTypeName(t: number): string {
  return LINK_NAMES[t] ?? `link type ${t}`;
}

/** Read a capture file of either format (the magic number decides). */
export function readCapture(bytes: Uint8Array): CaptureRead {
  if (bytes.length < 4) return { ok: false, error: `too short for a capture file (${bytes.length} bytes)` };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  if (be === PCAPNG_SHB) return readPcapng(bytes, dv);
  for (const [magic, little] of [[be, false], [le, true]] as const) {
    if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_KUZNETZOV) {
      return readPcap(bytes, dv, little, magic === PCAP_MAGIC_NS, magic === PCAP_MAGIC_KUZNETZOV);
    }
  }
  return { ok: false, error: `not a pcap or pcapng capture (magic 0x${be.toString(16).padStart(8, '0')})` };
}

function readPcap(bytes: Uint8Array, dv: DataView, le: boolean, nano: boolean, kuznetzov: boolean): CaptureRead {
  if (bytes.length < 24) return { ok: false, error: `pcap file header truncated (${bytes.length} of 24 bytes)` };
  const major = dv.getUint16(4, le);
  if (major !== 2) return { ok: false, error: `pcap version ${major}.${dv.getUint16(6, le)} (only 2.x exists)` };
  // The upper bits of the link type field carry FCS information.
  const linkType = dv.getUint32(20, le) & 0xffff;
  const recHdr = kuznetzov ? 24 : 16;
  const frames: CaptureFrame[] = [];
  const capture: Capture = { format: 'pcap', nanosecond: nano, frames };
  let off = 24;
  while (off < bytes.length) {
    if (off + recHdr > bytes.length) {
      capture.error = `truncated record header after packet ${frames.length} (${bytes.length - off} of ${recHdr} bytes)`;
      break;
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl > MAX_RECORD) {
      capture.error = `packet ${frames.length + 1} claims ${incl} captured bytes: the file is corrupt`;
      break;
    }
    if (off + recHdr + incl > bytes.length) {
      capture.error = `truncated packet ${frames.length + 1}: ${incl} bytes captured, only ${bytes.length - off - recHdr} in the file`;
      break;
    }
    frames.push({
      index: frames.length + 1,
      tsSec: sec,
      tsNsec: nano ? frac : frac * 1000,
      linkType,
      interfaceId: 0,
      data: bytes.subarray(off + recHdr, off + recHdr + incl),
      origLen: orig,
    });
    off += recHdr + incl;
  }
  return { ok: true, capture };
}

interface Iface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second and the offset in seconds. */
  unitsPerSec: bigint;
  offsetSec: bigint;
}

function readPcapng(bytes: Uint8Array, dv: DataView): CaptureRead {
  const frames: CaptureFrame[] = [];
  const capture: Capture = { format: 'pcapng', nanosecond: false, frames };
  let ifaces: Iface[] = [];
  let le = true;
  let off = 0;
  let sections = 0;
  const damaged = (msg: string): CaptureRead => {
    if (sections === 0) return { ok: false, error: msg };
    capture.error = msg;
    return { ok: true, capture };
  };
  while (off < bytes.length) {
    if (off + 12 > bytes.length) return damaged(`truncated block header at byte ${off}`);
    const typeBe = dv.getUint32(off, false);
    if (typeBe === PCAPNG_SHB) {
      if (off + 28 > bytes.length) return damaged(`truncated section header at byte ${off}`);
      const bom = dv.getUint32(off + 8, false);
      if (bom === PCAPNG_BOM) le = false;
      else if (dv.getUint32(off + 8, true) === PCAPNG_BOM) le = true;
      else return damaged(`bad byte-order magic in the section header at byte ${off}`);
      const major = dv.getUint16(off + 12, le);
      if (major !== 1) return damaged(`pcapng version ${major} (only 1.x exists)`);
      sections++;
      ifaces = [];
    } else if (sections === 0) {
      return { ok: false, error: 'pcapng file does not start with a section header' };
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) return damaged(`block at byte ${off} has length ${len}`);
    if (off + len > bytes.length) return damaged(`truncated block at byte ${off} (${len} bytes declared, ${bytes.length - off} left)`);
    if (dv.getUint32(off + len - 4, le) !== len) return damaged(`block at byte ${off}: trailing length differs from ${len}`);
    const body = off + 8;
    const bodyEnd = off + len - 4;
    switch (type) {
      case 1: { // Interface Description Block
        if (bodyEnd - body < 8) return damaged(`interface block at byte ${off} too short`);
        const iface: Iface = { linkType: dv.getUint16(body, le), snapLen: dv.getUint32(body + 4, le), unitsPerSec: 1_000_000n, offsetSec: 0n };
        for (const o of options(dv, body + 8, bodyEnd, le)) {
          if (o.code === 9 && o.len >= 1) {
            const r = bytes[o.at]!;
            // Beyond 2^-64 or 10^-19 s is no clock anyone has: a corrupt option, not a resolution.
            if ((r & 0x80 ? r & 0x7f : r) > (r & 0x80 ? 64 : 19)) return damaged(`interface block at byte ${off}: timestamp resolution byte 0x${r.toString(16)}`);
            iface.unitsPerSec = unitsPerSec(r);
            if (iface.unitsPerSec > 1_000_000n) capture.nanosecond = true;
          } else if (o.code === 14 && o.len >= 8) {
            iface.offsetSec = dv.getBigInt64(o.at, le);
          }
        }
        ifaces.push(iface);
        break;
      }
      case 6: // Enhanced Packet Block
      case 2: { // Packet Block (obsolete)
        if (bodyEnd - body < 20) return damaged(`packet block at byte ${off} too short`);
        const ifId = type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = ifaces[ifId];
        if (!iface) return damaged(`packet block at byte ${off} names interface ${ifId}, which was not described`);
        const caplen = dv.getUint32(body + 12, le);
        if (body + 20 + caplen > bodyEnd) return damaged(`packet block at byte ${off}: ${caplen} captured bytes do not fit in the block`);
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        const [sec, nsec] = splitTime(ts, iface);
        frames.push({
          index: frames.length + 1, tsSec: sec, tsNsec: nsec, linkType: iface.linkType, interfaceId: ifId,
          data: bytes.subarray(body + 20, body + 20 + caplen), origLen: dv.getUint32(body + 16, le),
        });
        break;
      }
      case 3: { // Simple Packet Block: interface 0, no timestamp
        const iface = ifaces[0];
        if (!iface) return damaged(`simple packet block at byte ${off} before any interface`);
        if (bodyEnd - body < 4) return damaged(`simple packet block at byte ${off} too short`);
        const orig = dv.getUint32(body, le);
        let caplen = Math.min(orig, bodyEnd - body - 4);
        if (iface.snapLen) caplen = Math.min(caplen, iface.snapLen);
        frames.push({
          index: frames.length + 1, tsSec: 0, tsNsec: 0, linkType: iface.linkType, interfaceId: 0,
          data: bytes.subarray(body + 4, body + 4 + caplen), origLen: orig,
        });
        break;
      }
      default: // name resolution, statistics, custom and unknown blocks carry no packets
        break;
    }
    off += len;
  }
  return { ok: true, capture };
}

function splitTime(ts: bigint, iface: Iface): [number, number] {
  const sec = ts / iface.unitsPerSec;
  const frac = ts % iface.unitsPerSec;
  return [Number(sec + iface.offsetSec), Number((frac * 1_000_000_000n) / iface.unitsPerSec)];
}

function* options(dv: DataView, start: number, end: number, le: boolean): Generator<{ code: number; len: number; at: number }> {
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === 0) return; // opt_endofopt
    if (o + 4 + len > end) return;
    yield { code, len, at: o + 4 };
    o += 4 + ((len + 3) & ~3);
  }
}

// ---------------------------------------------------------------------------------------------
// Link layers

export type LinkResult =
  | { ok: true; ip: Uint8Array; /** 802.1Q / 802.1ad VLAN IDs, outermost first. */ vlans: number[] }
  | { ok: false; /** Not IP at all (ARP, LLDP ...): nothing to report. */ notIp: boolean; reason: string };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TYPES = new Set([0x8100, 0x88a8, 0x9100]);

/** The IP packet inside a frame of the given link type. */
export function ipFromFrame(linkType: number, d: Uint8Array): LinkResult {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (d.length < 14) return short('Ethernet', d.length);
      return fromEthertype(d, 12, []);
    case LINKTYPE_LINUX_SLL:
      if (d.length < 16) return short('Linux cooked', d.length);
      return fromEthertype(d, 14, []);
    case LINKTYPE_LINUX_SLL2:
      if (d.length < 20) return short('Linux cooked v2', d.length);
      return afterType(d, (d[0]! << 8) | d[1]!, 20, []);
    case 12: case 14: case LINKTYPE_RAW: case LINKTYPE_IPV4: case LINKTYPE_IPV6:
      return d.length ? { ok: true, ip: d, vlans: [] } : short('raw IP', 0);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (d.length < 4) return short('loopback', d.length);
      // NULL holds the family in the capturing host's byte order, LOOP in network order.
      const v = linkType === LINKTYPE_LOOP ? readU32(d, 0, false) : Math.min(readU32(d, 0, true), readU32(d, 0, false));
      if (v === 2 || v === 10 || v === 24 || v === 28 || v === 30) return { ok: true, ip: d.subarray(4), vlans: [] };
      return { ok: false, notIp: true, reason: `loopback family ${v}` };
    }
    case LINKTYPE_FRELAY:
      return fromFrameRelay(d);
    default:
      return { ok: false, notIp: false, reason: `unsupported link type ${linkType} (${linkTypeName(linkType)})` };
  }
}

function short(what: string, n: number): LinkResult {
  return { ok: false, notIp: false, reason: `truncated ${what} header (${n} bytes)` };
}

function fromEthertype(d: Uint8Array, at: number, vlans: number[]): LinkResult {
  return afterType(d, (d[at]! << 8) | d[at + 1]!, at + 2, vlans);
}

/** Given an ethertype and the offset of what follows it: peel VLAN tags and LLC/SNAP down to IP. */
function afterType(d: Uint8Array, ethertype: number, at: number, vlans: number[]): LinkResult {
  let type = ethertype;
  let off = at;
  while (VLAN_TYPES.has(type)) {
    if (off + 4 > d.length) return short('VLAN', d.length - off);
    vlans.push(((d[off]! << 8) | d[off + 1]!) & 0x0fff);
    type = (d[off + 2]! << 8) | d[off + 3]!;
    off += 4;
  }
  if (type <= 1500) {
    // 802.3 length field: only LLC/SNAP can carry IP.
    if (off + 8 <= d.length && d[off] === 0xaa && d[off + 1] === 0xaa && d[off + 2] === 0x03) {
      return afterType(d, (d[off + 6]! << 8) | d[off + 7]!, off + 8, vlans);
    }
    return { ok: false, notIp: true, reason: '802.3 frame without SNAP' };
  }
  if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return { ok: true, ip: d.subarray(off), vlans };
  return { ok: false, notIp: true, reason: `ethertype 0x${type.toString(16).padStart(4, '0')}` };
}

/** Frame relay (RFC 2427 NLPID, or Cisco's ethertype after the Q.922 address). */
function fromFrameRelay(d: Uint8Array): LinkResult {
  let off = 0;
  // Q.922 address: 2 to 4 bytes, the last with the EA bit set.
  while (off < d.length && off < 4 && !(d[off]! & 1)) off++;
  off++;
  if (off < 2 || off > d.length) return short('frame relay', d.length);
  if (off + 2 > d.length) return short('frame relay', d.length);
  if (d[off] !== 0x03) return afterType(d, (d[off]! << 8) | d[off + 1]!, off + 2, []);
  off++;
  if (d[off] === 0x00) off++; // optional pad
  const nlpid = d[off];
  if (nlpid === 0xcc || nlpid === 0x8e) return off + 1 <= d.length ? { ok: true, ip: d.subarray(off + 1), vlans: [] } : short('frame relay', d.length);
  if (nlpid === 0x80 && off + 6 <= d.length) return afterType(d, (d[off + 4]! << 8) | d[off + 5]!, off + 6, []);
  return { ok: false, notIp: true, reason: `frame relay NLPID 0x${(nlpid ?? 0).toString(16)}` };
}

function readU32(b: Uint8Array, off: number, le: boolean): number {
  return le
    ? (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
    : ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Writers

export interface FrameToWrite {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
  /** pcapng interface (default 0). */
  interfaceId?: number;
}

/** A pcap file: little-endian unless told, microsecond unless nanosecond. */
export function writePcap(linkType: number, frames: readonly FrameToWrite[], opts: { nanosecond?: boolean; bigEndian?: boolean; snapLen?: number } = {}): Uint8Array {
  const le = !opts.bigEndian;
  const size = 24 + frames.reduce((n, f) => n + 16 + f.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, le);
  dv.setUint16(4, 2, le);
  dv.setUint16(6, 4, le);
  dv.setUint32(16, opts.snapLen ?? 262144, le);
  dv.setUint32(20, linkType, le);
  let off = 24;
  for (const f of frames) {
    dv.setUint32(off, f.tsSec, le);
    dv.setUint32(off + 4, opts.nanosecond ? f.tsNsec : Math.floor(f.tsNsec / 1000), le);
    dv.setUint32(off + 8, f.data.length, le);
    dv.setUint32(off + 12, f.origLen ?? f.data.length, le);
    out.set(f.data, off + 16);
    off += 16 + f.data.length;
  }
  return out;
}

export interface PcapngInterface {
  linkType: number;
  snapLen?: number;
  /** The if_tsresol byte: 10^-n seconds, or 2^-n with bit 7 set (default 6: microseconds). */
  tsResol?: number;
  /** if_tsoffset: seconds added to every timestamp of the interface. */
  tsOffsetSec?: number;
}

function unitsPerSec(tsResol: number): bigint {
  return tsResol & 0x80 ? 2n ** BigInt(tsResol & 0x7f) : 10n ** BigInt(tsResol);
}

/**
 * A pcapng file: one section, the given interfaces, one EPB per frame (an SPB when `simple` is
 * set, which carries no timestamp and belongs to interface 0).
 */
export function writePcapng(
  interfaces: readonly PcapngInterface[],
  frames: readonly (FrameToWrite & { simple?: boolean })[],
  opts: { bigEndian?: boolean } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const blocks: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array): void => {
    const len = 12 + ((body.length + 3) & ~3);
    const b = new Uint8Array(len);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, type, le);
    dv.setUint32(4, len, le);
    b.set(body, 8);
    dv.setUint32(len - 4, len, le);
    blocks.push(b);
  };
  const shb = new Uint8Array(16);
  const sdv = new DataView(shb.buffer);
  sdv.setUint32(0, PCAPNG_BOM, le);
  sdv.setUint16(4, 1, le);
  sdv.setUint16(6, 0, le);
  sdv.setBigInt64(8, -1n, le);
  block(PCAPNG_SHB, shb);
  for (const i of interfaces) {
    const opts: Uint8Array[] = [];
    const opt = (code: number, value: Uint8Array): void => {
      const o = new Uint8Array(4 + ((value.length + 3) & ~3));
      const dv = new DataView(o.buffer);
      dv.setUint16(0, code, le);
      dv.setUint16(2, value.length, le);
      o.set(value, 4);
      opts.push(o);
    };
    if (i.tsResol !== undefined && i.tsResol !== 6) opt(9, new Uint8Array([i.tsResol]));
    if (i.tsOffsetSec) {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setBigInt64(0, BigInt(i.tsOffsetSec), le);
      opt(14, v);
    }
    if (opts.length) opts.push(new Uint8Array(4)); // opt_endofopt
    const body = new Uint8Array(8 + opts.reduce((n, o) => n + o.length, 0));
    const dv = new DataView(body.buffer);
    dv.setUint16(0, i.linkType, le);
    dv.setUint32(4, i.snapLen ?? 0, le);
    let o = 8;
    for (const x of opts) { body.set(x, o); o += x.length; }
    block(1, body);
  }
  for (const f of frames) {
    if (f.simple) {
      const body = new Uint8Array(4 + f.data.length);
      new DataView(body.buffer).setUint32(0, f.origLen ?? f.data.length, le);
      body.set(f.data, 4);
      block(3, body);
      continue;
    }
    const ifId = f.interfaceId ?? 0;
    const iface = interfaces[ifId];
    const units = unitsPerSec(iface?.tsResol ?? 6);
    const sec = BigInt(f.tsSec - (iface?.tsOffsetSec ?? 0));
    const ts = sec * units + (BigInt(f.tsNsec) * units) / 1_000_000_000n;
    const body = new Uint8Array(20 + f.data.length);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, ifId, le);
    dv.setUint32(4, Number(ts >> 32n), le);
    dv.setUint32(8, Number(ts & 0xffffffffn), le);
    dv.setUint32(12, f.data.length, le);
    dv.setUint32(16, f.origLen ?? f.data.length, le);
    body.set(f.data, 20);
    block(6, body);
  }
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of blocks) { out.set(b, o); o += b.length; }
  return out;
}
