// rtnetlink request bodies and reply parsers: pure functions, no sockets. Each request carries
// the attributes keepalived 2.2.7 sends for the same config line (netlink_ipaddress,
// netlink_route, netlink_rule, netlink_link_add_vmac), so the kernel ends up in the same state.
import type { AddressEntry, RouteEncap, RouteEntry, RouteNexthop, RuleEntry } from '../config/blocks/addresses.js';
import type { Family } from '../vrrp/ip.js';
import { formatAddress, parseAddress } from '../vrrp/ip.js';
import type { AddressInfo, LinkInfo } from './ports.js';
import * as K from './rtnl-attr.js';
import { AttrWriter, attrString, attrU32, parseAttrs } from './rtnl-attr.js';

/** A request before framing: the message type, header flags (REQUEST/ACK are added later) and body. */
export interface RtnlRequest {
  type: number;
  flags: number;
  body: Buffer;
}

const familyCode = (f: Family): number => (f === 'inet' ? K.AF_INET : K.AF_INET6);

/** "ADDR/PREFIX" or "ADDR" -> bytes and prefix; throws on text the config could never produce. */
export function parsePrefix(text: string, family?: Family): { family: Family; bytes: Uint8Array; prefix: number } {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const p = parseAddress(addr);
  if (!p || (family && p.family !== family)) throw new Error(`invalid ${family ?? 'IP'} address ${text}`);
  const full = p.family === 'inet' ? 32 : 128;
  const prefix = slash >= 0 ? Number(text.slice(slash + 1)) : full;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > full) throw new Error(`invalid prefix length in ${text}`);
  return { family: p.family, bytes: p.bytes, prefix };
}

function ipBytes(text: string, family?: Family): Uint8Array {
  return parsePrefix(text, family).bytes;
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** The IFA_F_* flags keepalived sets when adding `a` (IPv6 gets NODAD unless -nodad). */
export function addressFlags(a: AddressEntry): number {
  let f = 0;
  if (a.home) f |= K.IFA_F_HOMEADDRESS;
  if (a.mngtmpaddr) f |= K.IFA_F_MANAGETEMPADDR;
  if (a.noprefixroute) f |= K.IFA_F_NOPREFIXROUTE;
  if (a.autojoin) f |= K.IFA_F_MCAUTOJOIN;
  if (a.family === 'inet6' && !a.dad) f |= K.IFA_F_NODAD;
  return f;
}

/** RTM_NEWADDR / RTM_DELADDR for `a` on interface `ifindex`. */
export function addressRequest(a: AddressEntry, ifindex: number, op: 'add' | 'del'): RtnlRequest {
  const p = parsePrefix(a.address, a.family);
  const hdr = Buffer.alloc(8);
  hdr[0] = familyCode(a.family);
  hdr[1] = p.prefix;
  hdr[2] = 0;
  hdr[3] = a.family === 'inet' ? (a.scope ?? 0) : 0;
  hdr.writeUInt32LE(ifindex, 4);
  const w = new AttrWriter().raw(hdr);
  const add = op === 'add';
  if (a.family === 'inet6' && add && a.preferred_lft !== undefined && a.preferred_lft !== 'forever') {
    // A preferred lifetime of 0 deprecates the VIP so it is not picked as a source address.
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(a.preferred_lft >>> 0, 0);
    ci.writeUInt32LE(K.INFINITY_LIFE_TIME, 4);
    w.bytes(K.IFA_CACHEINFO, ci);
  }
  w.bytes(K.IFA_LOCAL, p.bytes);
  if (a.family === 'inet') {
    if (add) {
      if (a.broadcast && a.broadcast !== '0.0.0.0') w.bytes(K.IFA_BROADCAST, ipBytes(a.broadcast, 'inet'));
    } else {
      // The kernel matches IFA_ADDRESS against the stored prefix address: the peer's when there
      // is one (keepalived sends the local address, which fails to match a peer in another subnet).
      w.bytes(K.IFA_ADDRESS, a.peer ? ipBytes(a.peer, 'inet') : p.bytes);
    }
  }
  if (add) {
    const flags = addressFlags(a);
    if (flags) w.u32(K.IFA_FLAGS, flags);
    if (a.label !== undefined && a.family === 'inet') w.str(K.IFA_LABEL, a.label);
    if (a.peer) w.bytes(K.IFA_ADDRESS, ipBytes(a.peer, a.family));
  } else if (a.family === 'inet6' && a.peer) {
    w.bytes(K.IFA_ADDRESS, ipBytes(a.peer, 'inet6'));
  }
  return { type: add ? K.RTM_NEWADDR : K.RTM_DELADDR, flags: 0, body: w.done() };
}

/** RTM_GETADDR dump for one family (or both). */
export function addressDumpRequest(family?: Family): RtnlRequest {
  const hdr = Buffer.alloc(8);
  hdr[0] = family ? familyCode(family) : K.AF_UNSPEC;
  return { type: K.RTM_GETADDR, flags: K.NLM_F_DUMP, body: hdr };
}

export interface ParsedAddress extends AddressInfo {
  /** IFA_F_* (IFA_FLAGS when present, else the header's byte). */
  flags: number;
  peer?: string;
  broadcast?: string;
  /** Seconds; 0xffffffff is forever. */
  preferred?: number;
  valid?: number;
}

/** An RTM_NEWADDR body; undefined for families other than IPv4/IPv6. */
export function parseAddressMessage(body: Buffer): ParsedAddress | undefined {
  if (body.length < 8) return undefined;
  const fam = body[0];
  if (fam !== K.AF_INET && fam !== K.AF_INET6) return undefined;
  const family: Family = fam === K.AF_INET ? 'inet' : 'inet6';
  const attrs = parseAttrs(body, 8);
  const local = attrs.get(K.IFA_LOCAL);
  const address = attrs.get(K.IFA_ADDRESS);
  const main = local ?? address;
  if (!main) return undefined;
  const out: ParsedAddress = {
    address: formatAddress(family, main),
    prefix: body[1]!,
    family,
    ifindex: body.readUInt32LE(4),
    scope: body[3]!,
    flags: attrU32(attrs.get(K.IFA_FLAGS)) ?? body[2]!,
  };
  if (local && address && !local.equals(address)) out.peer = formatAddress(family, address);
  const label = attrString(attrs.get(K.IFA_LABEL));
  if (label !== undefined) out.label = label;
  const brd = attrs.get(K.IFA_BROADCAST);
  if (brd) out.broadcast = formatAddress(family, brd);
  const ci = attrs.get(K.IFA_CACHEINFO);
  if (ci && ci.length >= 8) {
    out.preferred = ci.readUInt32LE(0);
    out.valid = ci.readUInt32LE(4);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Links

/** A macvlan link's mode (IFLA_MACVLAN_MODE) and a VRF's table, when the kernel says. */
export interface ParsedLink extends LinkInfo {
  flags: number;
  macvlanMode?: number;
  vrfTable?: number;
  master?: number;
}

export function parseLinkMessage(body: Buffer): ParsedLink | undefined {
  if (body.length < 16) return undefined;
  const index = body.readInt32LE(4);
  const flags = body.readUInt32LE(8);
  const attrs = parseAttrs(body, 16);
  const mac = attrs.get(K.IFLA_ADDRESS);
  const out: ParsedLink = {
    index,
    name: attrString(attrs.get(K.IFLA_IFNAME)) ?? '',
    up: (flags & K.IFF_UP) !== 0,
    running: (flags & K.IFF_RUNNING) !== 0,
    mac: mac ? formatMac(mac) : '',
    mtu: attrU32(attrs.get(K.IFLA_MTU)) ?? 0,
    kind: '',
    flags,
  };
  const master = attrU32(attrs.get(K.IFLA_MASTER));
  if (master) out.master = master;
  const li = attrs.get(K.IFLA_LINKINFO);
  if (li) {
    const info = parseAttrs(li);
    out.kind = attrString(info.get(K.IFLA_INFO_KIND)) ?? '';
    const data = info.get(K.IFLA_INFO_DATA);
    if (data && out.kind === 'macvlan') out.macvlanMode = attrU32(parseAttrs(data).get(K.IFLA_MACVLAN_MODE));
    if (data && out.kind === 'vrf') out.vrfTable = attrU32(parseAttrs(data).get(K.IFLA_VRF_TABLE));
  }
  // IFLA_LINK is the lower device for macvlan/vlan/ipvlan; for a veth it is the peer, not a parent.
  const parent = attrU32(attrs.get(K.IFLA_LINK));
  if (parent !== undefined && parent !== index && parent !== 0 && out.kind !== 'veth') out.parentIndex = parent;
  return out;
}

function ifinfo(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b[0] = K.AF_UNSPEC;
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

export function linkDumpRequest(): RtnlRequest {
  return { type: K.RTM_GETLINK, flags: K.NLM_F_DUMP, body: ifinfo(0) };
}

/** RTM_GETLINK for one interface by name. */
export function linkByNameRequest(name: string): RtnlRequest {
  return { type: K.RTM_GETLINK, flags: 0, body: new AttrWriter().raw(ifinfo(0)).str(K.IFLA_IFNAME, name).done() };
}

export function linkSetUpRequest(index: number, up: boolean): RtnlRequest {
  return { type: K.RTM_NEWLINK, flags: 0, body: ifinfo(index, up ? K.IFF_UP : 0, K.IFF_UP) };
}

export function linkDeleteRequest(index: number): RtnlRequest {
  return { type: K.RTM_DELLINK, flags: 0, body: ifinfo(index) };
}

/**
 * A private-mode macvlan named `name` on `parentIndex` with `mac` (keepalived's VMAC). With
 * `updateIndex` the existing link of that index is changed in place (wrong MAC or mode).
 * `master`: the VRF the parent is enslaved to (0 on an update takes the VMAC out of one).
 */
export function macvlanRequest(name: string, parentIndex: number, mac: string, updateIndex?: number, master?: number): RtnlRequest {
  const w = new AttrWriter().raw(ifinfo(updateIndex ?? 0));
  w.nest(K.IFLA_LINKINFO, (li) => {
    li.strNoNul(K.IFLA_INFO_KIND, 'macvlan');
    li.nest(K.IFLA_INFO_DATA, (d) => d.u32(K.IFLA_MACVLAN_MODE, K.MACVLAN_MODE_PRIVATE));
  });
  if (updateIndex === undefined) {
    w.u32(K.IFLA_LINK, parentIndex);
    w.str(K.IFLA_IFNAME, name);
  }
  w.bytes(K.IFLA_ADDRESS, parseMac(mac));
  if (master !== undefined) w.u32(K.IFLA_MASTER, master);
  const flags = updateIndex === undefined ? K.NLM_F_CREATE | K.NLM_F_EXCL : 0;
  return { type: K.RTM_NEWLINK, flags, body: w.done() };
}

/** IPv6 addr_gen_mode none: no automatic link-local from the VRRP MAC (RFC 5798 7.4). */
export function addrGenModeNoneRequest(index: number): RtnlRequest {
  const w = new AttrWriter().raw(ifinfo(index));
  w.nest(K.IFLA_AF_SPEC, (s) => s.nest(K.AF_INET6, (i6) => i6.u8(K.IFLA_INET6_ADDR_GEN_MODE, K.IN6_ADDR_GEN_MODE_NONE)));
  return { type: K.RTM_NEWLINK, flags: 0, body: w.done() };
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`invalid MAC address ${s}`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

// ---------------------------------------------------------------------------------------------
// Routes

/** Interface names a route needs resolved to indexes (its dev or `fallbackDev`, nexthop devs). */
export function routeInterfaces(r: RouteEntry, fallbackDev?: string): string[] {
  const names = new Set<string>();
  const dev = r.dev ?? fallbackDev;
  if (dev) names.add(dev);
  for (const nh of r.nexthops) if (nh.dev) names.add(nh.dev);
  return [...names];
}

function encapAttrs(w: AttrWriter, e: RouteEncap): void {
  w.nest(K.RTA_ENCAP, (n) => {
    if (e.type === 'mpls') {
      const b = Buffer.alloc(4 * e.labels.length);
      e.labels.forEach((label, i) => {
        const bos = i === e.labels.length - 1 ? 1 << 8 : 0;
        b.writeUInt32BE(((label << 12) | bos) >>> 0, 4 * i);
      });
      n.bytes(K.MPLS_IPTUNNEL_DST, b);
    } else if (e.type === 'ila') {
      const b = Buffer.alloc(8);
      e.locator.trim().split(':').forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 2 * i));
      n.bytes(K.ILA_ATTR_LOCATOR, b);
    } else {
      const fam: Family = e.type === 'ip' ? 'inet' : 'inet6';
      if (e.id !== undefined) n.be64(K.LWTUNNEL_IP_ID, BigInt(e.id));
      if (e.dst !== undefined) n.bytes(K.LWTUNNEL_IP_DST, ipBytes(e.dst, fam));
      if (e.src !== undefined) n.bytes(K.LWTUNNEL_IP_SRC, ipBytes(e.src, fam));
      // ip: TOS then TTL; ip6: TC then HOPLIMIT (the kernel's numbering swaps the two).
      if (fam === 'inet') {
        if (e.tos !== undefined) n.u8(K.LWTUNNEL_IP_TOS, e.tos);
        if (e.ttl !== undefined) n.u8(K.LWTUNNEL_IP_TTL, e.ttl);
      } else {
        if (e.tos !== undefined) n.u8(5 /* LWTUNNEL_IP6_TC */, e.tos);
        if (e.ttl !== undefined) n.u8(4 /* LWTUNNEL_IP6_HOPLIMIT */, e.ttl);
      }
      if (e.flags !== undefined) n.u16(K.LWTUNNEL_IP_FLAGS, e.flags);
    }
  });
  w.u16(K.RTA_ENCAP_TYPE, K.LWTUNNEL_ENCAP[e.type]);
}

/** RTA_GATEWAY for the route's own family, RTA_VIA (family + address) for the other one. */
function gatewayAttr(w: AttrWriter, routeFamily: Family, via: string): void {
  const p = parsePrefix(via);
  if (p.family === routeFamily) w.bytes(K.RTA_GATEWAY, p.bytes);
  else {
    const b = Buffer.alloc(2 + p.bytes.length);
    b.writeUInt16LE(familyCode(p.family));
    b.set(p.bytes, 2);
    w.bytes(K.RTA_VIA, b);
  }
}

function nexthopBytes(nh: RouteNexthop, routeFamily: Family, ifindex: (n: string) => number): Buffer {
  const attrs = new AttrWriter();
  if (nh.via) gatewayAttr(attrs, routeFamily, nh.via);
  if (nh.realms) attrs.u32(K.RTA_FLOW, nh.realms);
  if (nh.encap) encapAttrs(attrs, nh.encap);
  const body = attrs.done();
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt16LE(8 + body.length, 0);
  b[2] = nh.onlink ? K.RTNH_F_ONLINK : 0;
  // rtnh_hops is the weight minus one (keepalived stores it that way).
  b[3] = nh.weight !== undefined ? (nh.weight - 1) & 0xff : 0;
  b.writeInt32LE(nh.dev ? ifindex(nh.dev) : 0, 4);
  b.set(body, 8);
  return b;
}

const RTN_TYPE: Record<string, number> = {
  unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8,
  throw: 9, nat: 10, xresolve: 11,
};

/**
 * RTM_NEWROUTE / RTM_DELROUTE. `ifindex` maps the names routeInterfaces() listed; `fallbackDev`
 * is the interface used when the route names none; `table` overrides r.table (a VRF's table).
 */
export function routeRequest(
  r: RouteEntry, op: 'add' | 'del', ifindex: (name: string) => number, opts: { fallbackDev?: string; table?: number } = {},
): RtnlRequest {
  const add = op === 'add';
  const table = opts.table ?? r.table;
  const hdr = Buffer.alloc(12);
  const dst = parsePrefix(r.to, r.family);
  hdr[0] = familyCode(r.family);
  hdr[1] = dst.prefix;
  const from = r.from !== undefined ? parsePrefix(r.from, r.family) : undefined;
  hdr[2] = from?.prefix ?? 0;
  hdr[3] = r.tos ?? 0;
  hdr[4] = table < 256 ? table : K.RT_TABLE_UNSPEC;
  hdr[5] = r.protocol ?? K.RTPROT_KEEPALIVED;
  hdr[6] = r.scope ?? (add ? K.RT_SCOPE_UNIVERSE : K.RT_SCOPE_NOWHERE);
  hdr[7] = typeof r.type === 'number' ? r.type : RTN_TYPE[r.type]!;
  hdr.writeUInt32LE(r.onlink ? K.RTNH_F_ONLINK : 0, 8);
  const w = new AttrWriter().raw(hdr);
  if (table >= 256) w.u32(K.RTA_TABLE, table);
  w.bytes(K.RTA_DST, dst.bytes);
  if (from) w.bytes(K.RTA_SRC, from.bytes);
  if (r.src !== undefined) w.bytes(K.RTA_PREFSRC, ipBytes(r.src, r.family));
  if (r.via !== undefined) gatewayAttr(w, r.family, r.via);
  if (r.encap) encapAttrs(w, r.encap);
  const dev = r.dev ?? opts.fallbackDev;
  if (dev) w.u32(K.RTA_OIF, ifindex(dev));
  if (r.metric !== undefined) w.u32(K.RTA_PRIORITY, r.metric);
  if (r.realms) w.u32(K.RTA_FLOW, r.realms);
  if (r.expires !== undefined) w.u32(K.RTA_EXPIRES, r.expires);
  const metrics = routeMetrics(r);
  if (r.pref !== undefined) w.u8(K.RTA_PREF, typeof r.pref === 'number' ? r.pref : K.ICMPV6_ROUTER_PREF[r.pref]);
  if (r.ttl_propagate !== undefined) w.u8(K.RTA_TTL_PROPAGATE, r.ttl_propagate ? 1 : 0);
  if (metrics.length) w.bytes(K.RTA_METRICS, metrics);
  if (r.nexthops.length) {
    w.bytes(K.RTA_MULTIPATH, Buffer.concat(r.nexthops.map((nh) => nexthopBytes(nh, r.family, ifindex))));
  }
  let flags = 0;
  if (add) {
    // keepalived's default is `ip route prepend` (CREATE without EXCL).
    flags = K.NLM_F_CREATE;
    if (r.mode === 'add') flags |= K.NLM_F_EXCL;
    else if (r.mode === 'append') flags |= K.NLM_F_APPEND;
  }
  return { type: add ? K.RTM_NEWROUTE : K.RTM_DELROUTE, flags, body: w.done() };
}

/** The RTA_METRICS body (RTAX_* attributes), empty when the route sets none. */
function routeMetrics(r: RouteEntry): Buffer {
  const m = new AttrWriter();
  if (r.congctl !== undefined) m.strNoNul(K.RTAX.congctl, r.congctl);
  const u32s: [keyof typeof K.RTAX, number | undefined][] = [
    ['rtt', r.rtt], ['rttvar', r.rttvar], ['rto_min', r.rto_min], ['features', r.features_ecn ? K.RTAX_FEATURE_ECN : undefined],
    ['mtu', r.mtu], ['window', r.window], ['ssthresh', r.ssthresh], ['cwnd', r.cwnd], ['advmss', r.advmss],
    ['reordering', r.reordering], ['hoplimit', r.hoplimit], ['initcwnd', r.initcwnd], ['initrwnd', r.initrwnd],
    ['quickack', r.quickack],
    ['fastopen_no_cookie', r.fastopen_no_cookie === undefined ? undefined : r.fastopen_no_cookie ? 1 : 0],
  ];
  for (const [name, v] of u32s) if (v !== undefined) m.u32(K.RTAX[name], v);
  if (m.length) {
    let lock = 0;
    for (const name of r.lock) {
      const bit = K.RTAX[name as keyof typeof K.RTAX];
      if (bit !== undefined) lock |= 1 << bit;
    }
    if (lock) m.u32(K.RTAX.lock, lock);
  }
  return m.done();
}

// ---------------------------------------------------------------------------------------------
// Rules

/** RTM_NEWRULE (CREATE|EXCL, as keepalived) / RTM_DELRULE. */
export function ruleRequest(r: RuleEntry, op: 'add' | 'del'): RtnlRequest {
  const add = op === 'add';
  const hdr = Buffer.alloc(12);
  hdr[0] = familyCode(r.family);
  const from = r.from !== undefined ? parsePrefix(r.from, r.family) : undefined;
  const to = r.to !== undefined ? parsePrefix(r.to, r.family) : undefined;
  hdr[1] = to?.prefix ?? 0;
  hdr[2] = from?.prefix ?? 0;
  hdr[3] = r.tos ?? 0;
  hdr[4] = K.RT_TABLE_UNSPEC;
  hdr[7] = K.FR_ACT[r.action];
  hdr.writeUInt32LE(r.not ? K.FIB_RULE_INVERT : 0, 8);
  const w = new AttrWriter();
  if (r.action === 'table' && !r.l3mdev) {
    const t = r.table ?? 0;
    if (t < 256) hdr[4] = t ? t : K.RT_TABLE_MAIN;
    else w.u32(K.FRA_TABLE, t);
  }
  if (from) w.bytes(K.FRA_SRC, from.bytes);
  if (to) w.bytes(K.FRA_DST, to.bytes);
  w.u32(K.FRA_PRIORITY, r.preference);
  if (r.fwmark !== undefined) w.u32(K.FRA_FWMARK, r.fwmark);
  if (r.fwmask !== undefined) w.u32(K.FRA_FWMASK, r.fwmask);
  if (r.realms) w.u32(K.FRA_FLOW, r.realms);
  if (r.suppress_prefixlength !== undefined) w.u32(K.FRA_SUPPRESS_PREFIXLEN, r.suppress_prefixlength);
  if (r.suppress_ifgroup !== undefined) w.u32(K.FRA_SUPPRESS_IFGROUP, r.suppress_ifgroup);
  if (r.iif !== undefined) w.str(K.FRA_IIFNAME, r.iif);
  if (r.oif !== undefined) w.str(K.FRA_OIFNAME, r.oif);
  if (r.tunnel_id !== undefined && r.tunnel_id !== '0') w.be64(K.FRA_TUN_ID, BigInt(r.tunnel_id));
  if (r.uidrange) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(r.uidrange.start >>> 0, 0);
    b.writeUInt32LE(r.uidrange.end >>> 0, 4);
    w.bytes(K.FRA_UID_RANGE, b);
  }
  if (r.l3mdev) w.u8(K.FRA_L3MDEV, 1);
  if (r.protocol !== undefined) w.u8(K.FRA_PROTOCOL, r.protocol);
  if (r.ipproto !== undefined) w.u8(K.FRA_IP_PROTO, r.ipproto);
  for (const [type, range] of [[K.FRA_SPORT_RANGE, r.sport], [K.FRA_DPORT_RANGE, r.dport]] as const) {
    if (!range) continue;
    const b = Buffer.alloc(4);
    b.writeUInt16LE(range.start, 0);
    b.writeUInt16LE(range.end, 2);
    w.bytes(type, b);
  }
  if (r.action === 'goto' && r.goto !== undefined) w.u32(K.FRA_GOTO, r.goto);
  const body = Buffer.concat([hdr, w.done()]);
  return { type: add ? K.RTM_NEWRULE : K.RTM_DELRULE, flags: add ? K.NLM_F_CREATE | K.NLM_F_EXCL : 0, body };
}

// ---------------------------------------------------------------------------------------------
// Messages for people

/** How an address is named in messages: "10.0.0.5/32", "2001:db8::1/128 peer ...". */
export function addressText(a: AddressEntry): string {
  return a.peer ? `${a.address.split('/')[0]} peer ${a.peer}/${a.address.split('/')[1]}` : a.address;
}

export function routeText(r: RouteEntry): string {
  let s = r.to;
  if (r.via) s += ` via ${r.via}`;
  if (r.dev) s += ` dev ${r.dev}`;
  if (r.table !== 254) s += ` table ${r.table}`;
  if (r.metric !== undefined) s += ` metric ${r.metric}`;
  return s;
}

export function ruleText(r: RuleEntry): string {
  let s = `${r.family === 'inet6' ? 'inet6 ' : ''}pref ${r.preference}`;
  if (r.not) s += ' not';
  if (r.from) s += ` from ${r.from}`;
  if (r.to) s += ` to ${r.to}`;
  if (r.fwmark !== undefined) s += ` fwmark ${r.fwmark}`;
  if (r.iif) s += ` iif ${r.iif}`;
  if (r.oif) s += ` oif ${r.oif}`;
  s += r.action === 'table' ? (r.l3mdev ? ' l3mdev' : ` table ${r.table ?? 254}`) : r.action === 'goto' ? ` goto ${r.goto}` : ` ${r.action}`;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Route and rule notifications (keepalived reinstates static routes/rules and drops to backup
// when a tracked one is deleted behind its back)

export interface ParsedRoute {
  family: Family;
  /** "ADDR/PREFIX". */
  dst: string;
  /** From RTA_TABLE when present, else the header's byte. */
  table: number;
  protocol: number;
  scope: number;
  /** RTN_* number (1 unicast, 6 blackhole...). */
  type: number;
  tos: number;
  oif?: number;
  gateway?: string;
  metric?: number;
  prefsrc?: string;
  /** "ADDR/PREFIX" of RTA_SRC (IPv6 from). */
  src?: string;
}

export function parseRouteMessage(body: Buffer): ParsedRoute | undefined {
  if (body.length < 12) return undefined;
  const fam = body[0];
  if (fam !== K.AF_INET && fam !== K.AF_INET6) return undefined;
  const family: Family = fam === K.AF_INET ? 'inet' : 'inet6';
  const attrs = parseAttrs(body, 12);
  const dst = attrs.get(K.RTA_DST);
  const out: ParsedRoute = {
    family,
    dst: `${dst ? formatAddress(family, dst) : family === 'inet' ? '0.0.0.0' : '::'}/${body[1]}`,
    table: attrU32(attrs.get(K.RTA_TABLE)) ?? body[4]!,
    protocol: body[5]!,
    scope: body[6]!,
    type: body[7]!,
    tos: body[3]!,
  };
  const oif = attrU32(attrs.get(K.RTA_OIF));
  if (oif !== undefined) out.oif = oif;
  const gw = attrs.get(K.RTA_GATEWAY);
  if (gw) out.gateway = formatAddress(family, gw);
  const metric = attrU32(attrs.get(K.RTA_PRIORITY));
  if (metric !== undefined) out.metric = metric;
  const prefsrc = attrs.get(K.RTA_PREFSRC);
  if (prefsrc) out.prefsrc = formatAddress(family, prefsrc);
  const src = attrs.get(K.RTA_SRC);
  if (src) out.src = `${formatAddress(family, src)}/${body[2]}`;
  return out;
}

export interface ParsedRule {
  family: Family;
  priority: number;
  /** FRA_TABLE when present, else the header's byte. */
  table: number;
  /** FR_ACT_* number. */
  action: number;
  invert: boolean;
  protocol?: number;
  from?: string;
  to?: string;
  fwmark?: number;
  iif?: string;
  oif?: string;
  goto?: number;
}

export function parseRuleMessage(body: Buffer): ParsedRule | undefined {
  if (body.length < 12) return undefined;
  const fam = body[0];
  if (fam !== K.AF_INET && fam !== K.AF_INET6) return undefined;
  const family: Family = fam === K.AF_INET ? 'inet' : 'inet6';
  const attrs = parseAttrs(body, 12);
  const out: ParsedRule = {
    family,
    priority: attrU32(attrs.get(K.FRA_PRIORITY)) ?? 0,
    table: attrU32(attrs.get(K.FRA_TABLE)) ?? body[4]!,
    action: body[7]!,
    invert: (body.readUInt32LE(8) & K.FIB_RULE_INVERT) !== 0,
  };
  const proto = attrs.get(K.FRA_PROTOCOL);
  if (proto) out.protocol = proto[0]!;
  const src = attrs.get(K.FRA_SRC);
  if (src) out.from = `${formatAddress(family, src)}/${body[2]}`;
  const dst = attrs.get(K.FRA_DST);
  if (dst) out.to = `${formatAddress(family, dst)}/${body[1]}`;
  const mark = attrU32(attrs.get(K.FRA_FWMARK));
  if (mark !== undefined) out.fwmark = mark;
  const iif = attrString(attrs.get(K.FRA_IIFNAME));
  if (iif !== undefined) out.iif = iif;
  const oif = attrString(attrs.get(K.FRA_OIFNAME));
  if (oif !== undefined) out.oif = oif;
  const gt = attrU32(attrs.get(K.FRA_GOTO));
  if (gt !== undefined) out.goto = gt;
  return out;
}
