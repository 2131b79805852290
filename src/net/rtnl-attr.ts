// rtnetlink wire basics: message header framing, the TLV attribute writer and reader, and the
// kernel constants keel uses (linux/rtnetlink.h, if_link.h, if_addr.h, fib_rules.h, lwtunnel.h).
//
// Written here rather than taken from the `netlink` package's generated codecs: those decode
// every attribute they know and throw when a kernel sends one with a size they did not expect
// (a newer kernel than the typings), and they leave multipath, encap, metrics and rule ranges as
// raw buffers anyway. We need a handful of attributes, laid out exactly as keepalived sends them.
// The package still carries the socket (see rtnetlink.ts).

// Message types
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

// Header flags
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

// Multicast groups (RTNLGRP_*)
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;
export const RTNLGRP_IPV6_IFADDR = 9;
export const RTNLGRP_IPV6_ROUTE = 11;
export const RTNLGRP_IPV6_RULE = 19;

// Links
export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_LINKINFO = 18;
export const IFLA_AF_SPEC = 26;
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_MACVLAN_MODE = 1;
export const IFLA_VRF_TABLE = 1;
export const IFLA_INET6_ADDR_GEN_MODE = 8;
export const IN6_ADDR_GEN_MODE_NONE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

// Addresses
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_HOMEADDRESS = 0x10;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_MANAGETEMPADDR = 0x100;
export const IFA_F_NOPREFIXROUTE = 0x200;
export const IFA_F_MCAUTOJOIN = 0x400;
export const INFINITY_LIFE_TIME = 0xffffffff;

// Routes
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_FLOW = 11;
export const RTA_TABLE = 15;
export const RTA_VIA = 18;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_TTL_PROPAGATE = 26;
export const RTAX = {
  lock: 1, mtu: 2, window: 3, rtt: 4, rttvar: 5, ssthresh: 6, cwnd: 7, advmss: 8, reordering: 9,
  hoplimit: 10, initcwnd: 11, features: 12, rto_min: 13, initrwnd: 14, quickack: 15, congctl: 16,
  fastopen_no_cookie: 17,
} as const;
export const RTAX_FEATURE_ECN = 1;
export const RTNH_F_ONLINK = 4;
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_MAIN = 254;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_NOWHERE = 255;
export const RTPROT_KEEPALIVED = 18;
export const LWTUNNEL_ENCAP = { mpls: 1, ip: 2, ila: 3, ip6: 4 } as const;
// lwtunnel_ip_t / lwtunnel_ip6_t share their numbering for the fields keel sends.
export const LWTUNNEL_IP_ID = 1;
export const LWTUNNEL_IP_DST = 2;
export const LWTUNNEL_IP_SRC = 3;
export const LWTUNNEL_IP_TTL = 4;
export const LWTUNNEL_IP_TOS = 5;
export const LWTUNNEL_IP_FLAGS = 6;
export const MPLS_IPTUNNEL_DST = 1;
export const ILA_ATTR_LOCATOR = 1;
export const ICMPV6_ROUTER_PREF = { low: 3, medium: 0, high: 1 } as const;

// Rules
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_TUN_ID = 12;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_L3MDEV = 19;
export const FRA_UID_RANGE = 20;
export const FRA_PROTOCOL = 21;
export const FRA_IP_PROTO = 22;
export const FRA_SPORT_RANGE = 23;
export const FRA_DPORT_RANGE = 24;
export const FR_ACT = { table: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
export const FIB_RULE_INVERT = 0x2;

const NLA_F_NESTED = 0x8000;
const align4 = (n: number): number => (n + 3) & ~3;

/** Appends netlink attributes (4-byte aligned TLVs) to a growing buffer; nests by callback. */
export class AttrWriter {
  private buf = Buffer.alloc(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Raw bytes (a fixed header such as ifaddrmsg), padded to 4. */
  raw(data: Uint8Array): this {
    const padded = align4(data.length);
    this.ensure(padded);
    this.buf.set(data, this.len);
    this.buf.fill(0, this.len + data.length, this.len + padded);
    this.len += padded;
    return this;
  }

  bytes(type: number, data: Uint8Array): this {
    const total = 4 + data.length;
    if (total > 0xffff) throw new Error(`netlink attribute ${type} too long (${total} bytes)`);
    this.ensure(align4(total));
    this.buf.writeUInt16LE(total, this.len);
    this.buf.writeUInt16LE(type, this.len + 2);
    this.buf.set(data, this.len + 4);
    this.buf.fill(0, this.len + total, this.len + align4(total));
    this.len += align4(total);
    return this;
  }

  u8(type: number, v: number): this {
    return this.bytes(type, Uint8Array.of(v & 0xff));
  }

  u16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.bytes(type, b);
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.bytes(type, b);
  }

  /** A u64 in host (little-endian) order. */
  u64(type: number, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.bytes(type, b);
  }

  /** A u64 in network order (tunnel ids). */
  be64(type: number, v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, v));
    return this.bytes(type, b);
  }

  /** A NUL-terminated string. */
  str(type: number, s: string): this {
    return this.bytes(type, Buffer.from(s + '\0', 'utf8'));
  }

  /** A string without its NUL (IFLA_INFO_KIND, RTAX_CC_ALGO as keepalived sends them). */
  strNoNul(type: number, s: string): this {
    return this.bytes(type, Buffer.from(s, 'utf8'));
  }

  /** A nested attribute whose body `fill` writes. `flagged`: set NLA_F_NESTED. */
  nest(type: number, fill: (w: AttrWriter) => void, flagged = false): this {
    const inner = new AttrWriter();
    fill(inner);
    return this.bytes(flagged ? type | NLA_F_NESTED : type, inner.done());
  }

  get length(): number {
    return this.len;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** One netlink message: 16-byte header then `body`. */
export function frame(type: number, flags: number, seq: number, body: Uint8Array, port = 0): Buffer {
  const b = Buffer.alloc(16 + align4(body.length));
  b.writeUInt32LE(16 + body.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq >>> 0, 8);
  b.writeUInt32LE(port >>> 0, 12);
  b.set(body, 16);
  return b;
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  port: number;
  data: Buffer;
}

/** Split a datagram into messages; a truncated tail is dropped (the kernel never sends one). */
export function splitMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      port: buf.readUInt32LE(off + 12),
      data: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The (negative) error of an NLMSG_ERROR message; 0 for an ACK. */
export function errorCode(msg: NlMessage): number {
  return msg.data.length >= 4 ? msg.data.readInt32LE(0) : 0;
}

/** Attributes by type (the last of each type wins, as the kernel's nla_parse does). */
export function parseAttrs(buf: Buffer, off = 0): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & 0x3fff;
    if (len < 4 || off + len > buf.length) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** A NUL-terminated string attribute. */
export function attrString(b: Buffer | undefined): string | undefined {
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

export function attrU32(b: Buffer | undefined): number | undefined {
  return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
}
