// From a configured vrrp_instance to what the codec needs: the advert it sends (AdvertSpec) and
// what it accepts (ExpectedInstance), with keepalived's rules for the interval fields, the
// 8-byte auth data and how many VIPs fit in one advert.
import type { GlobalDefs } from '../config/blocks/global.js';
import type { VrrpInstance } from '../config/blocks/vrrp.js';
import { VRRP_GROUP4, VRRP_GROUP6, type Family } from './ip.js';
import { AH_LEN, VRRP_AUTH_LEN, VRRP_HEADER_LEN, authKey, type AdvertSpec, type ExpectedInstance } from './packet.js';

const ETHER_HEADER = 14;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const MAX_COUNT = 255;

/**
 * How many VIPs keepalived puts in an advert on an interface of this MTU (vrrp_complete_instance):
 * what fits in a frame, at most 255. The rest become eVIPs, held but not advertised.
 */
export function maxAdvertAddresses(family: Family, version: 2 | 3, auth: 'none' | 'PASS' | 'AH', mtu = 1500): number {
  let n: number;
  if (family === 'inet') {
    let hdr = ETHER_HEADER + IPV4_HEADER + VRRP_HEADER_LEN;
    if (version === 2) hdr += VRRP_AUTH_LEN + (auth === 'AH' ? AH_LEN : 0);
    n = Math.floor((mtu - hdr) / 4);
  } else {
    n = Math.floor((mtu - ETHER_HEADER - IPV6_HEADER - VRRP_HEADER_LEN) / 16);
  }
  return Math.max(0, Math.min(MAX_COUNT, n));
}

const stripPrefix = (a: string): string => a.replace(/\/\d+$/, '');

/** The advertised VIPs of an instance (its family only, in order, as many as fit). */
export function advertisedAddresses(v: VrrpInstance, mtu = 1500): string[] {
  const auth = v.version === 2 ? v.authentication?.auth_type ?? 'none' : 'none';
  const own = v.virtual_ipaddress.filter((a) => a.family === v.family).map((a) => stripPrefix(a.address));
  return own.slice(0, maxAdvertAddresses(v.family, v.version, auth, mtu));
}

/** The advert interval field in centiseconds (v2 keeps whole seconds, as keepalived truncates). */
export function intervalCsOf(v: VrrpInstance): number {
  const cs = Math.round(v.advert_int * 100);
  return v.version === 2 ? Math.trunc(cs / 100) * 100 : cs;
}

export interface AdvertContext {
  /** Our address: unicast_src_ip / mcast_src_ip, else the interface's primary address. */
  src: string;
  /** Effective priority (default: the configured one); 0 on stop. */
  priority?: number;
  /** Destination: a unicast peer (default the first), else mcast_dst_ip or the VRRP group. */
  dst?: string;
  ipId?: number;
  ahSeq?: number;
  mtu?: number;
  global?: Pick<GlobalDefs, 'vrrp_mcast_group4' | 'vrrp_mcast_group6'>;
}

/** The advert keepalived would send for this instance. */
export function advertSpecFromInstance(v: VrrpInstance, ctx: AdvertContext): AdvertSpec {
  const unicast = v.unicast_peer.length > 0;
  const group = v.family === 'inet' ? ctx.global?.vrrp_mcast_group4 ?? VRRP_GROUP4 : ctx.global?.vrrp_mcast_group6 ?? VRRP_GROUP6;
  const dst = ctx.dst ?? (unicast ? v.unicast_peer[0]!.address : v.mcast_dst_ip ?? group);
  // Unicast adverts carry unicast_ttl (IPv4 default 255); IPv6 leaves it to the kernel's default 64.
  const ttl = unicast ? v.unicast_ttl ?? (v.family === 'inet' ? 255 : 64) : 255;
  const spec: AdvertSpec = {
    version: v.version,
    vrid: v.virtual_router_id ?? 0,
    priority: ctx.priority ?? v.priority,
    intervalCs: intervalCsOf(v),
    addresses: advertisedAddresses(v, ctx.mtu),
    src: ctx.src,
    dst,
    ttl,
    unicast,
  };
  if (v.version === 2 && v.family === 'inet' && v.authentication) {
    spec.authType = v.authentication.auth_type;
    spec.authPass = v.authentication.auth_pass ?? '';
  }
  if (ctx.ipId !== undefined) spec.ipId = ctx.ipId;
  if (ctx.ahSeq !== undefined) spec.ahSeq = ctx.ahSeq;
  if (unicast && v.old_unicast_checksum === 'on') spec.checksum = 'old-unicast';
  if (ctx.global?.vrrp_mcast_group4) spec.mcastGroup4 = ctx.global.vrrp_mcast_group4;
  return spec;
}

/** What the instance checks on a received advert (check_vip_addr on: the address list is compared). */
export function expectedFromInstance(
  v: VrrpInstance,
  g?: Pick<GlobalDefs, 'vrrp_check_unicast_src' | 'vrrp_mcast_group4'>,
  mtu = 1500,
): ExpectedInstance {
  const auth = v.version === 2 && v.family === 'inet' ? v.authentication?.auth_type ?? 'none' : 'none';
  const x: ExpectedInstance = {
    version: v.version,
    authType: auth,
    intervalCs: intervalCsOf(v),
    addresses: advertisedAddresses(v, mtu),
    unicast: v.unicast_peer.length > 0,
    unicastPeers: v.unicast_peer.map((p) => ({ address: p.address, minTtl: p.min_ttl, maxTtl: p.max_ttl })),
    checkUnicastSrc: v.check_unicast_src || !!g?.vrrp_check_unicast_src,
  };
  if (auth !== 'none') x.authKey = authKey(v.authentication?.auth_pass);
  if (v.old_unicast_checksum) x.oldUnicastChecksum = v.old_unicast_checksum;
  if (g?.vrrp_mcast_group4) x.mcastGroup4 = g.vrrp_mcast_group4;
  return x;
}
