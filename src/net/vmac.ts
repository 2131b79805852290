// use_vmac as keepalived 2.2.7 does it (vrrp.c create_vmac_name, vrrp_vmac.c
// netlink_link_add_vmac, vrrp_if_config.c): the interface name, the VRRP MAC, the macvlan (private
// mode) on the base interface, the sysctls that make ARP and reverse-path filtering work with it,
// and for IPv6 the link-local address adverts are sent from.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Family } from '../vrrp/ip.js';
import { parseAddress } from '../vrrp/ip.js';
import type { AddressManager, LinkInfo } from './ports.js';

const IFNAMSIZ = 16;

/** The VRRP virtual MAC: 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), RFC 5798 7.3. */
export function vmacMac(family: Family, vrid: number): string {
  return `00:00:5e:00:0${family === 'inet' ? 1 : 2}:${(vrid & 0xff).toString(16).padStart(2, '0')}`;
}

/** "PREFIX[NUM].VRID", the prefix cut so the name fits IFNAMSIZ (15 characters). */
function nameWith(prefix: string, num: string, vrid: number): string {
  const tail = `${num}.${vrid}`;
  const room = IFNAMSIZ - 1 - tail.length;
  return prefix.slice(0, Math.max(0, room)) + tail;
}

/**
 * The names keepalived tries, in order: vrrp.VRID, then vrrp1.VRID, vrrp2.VRID...; for IPv6
 * vrrp6.VRID comes second (and is skipped later). `prefix` is global_defs vmac_prefix.
 */
export function* vmacNameCandidates(vrid: number, family: Family, prefix = 'vrrp'): Generator<string> {
  yield nameWith(prefix, '', vrid);
  let num = 0;
  for (let tries = 0; tries < 1000; tries++) {
    if (family === 'inet6') {
      if (num === 0) num = 6;
      else if (num === 6) num = 1;
      else if (++num === 6) num++;
    } else num++;
    yield nameWith(prefix, String(num), vrid);
  }
}

/** The first candidate that is neither an existing interface nor another instance's VMAC. */
export function chooseVmacName(vrid: number, family: Family, taken: (name: string) => boolean, prefix = 'vrrp'): string {
  for (const n of vmacNameCandidates(vrid, family, prefix)) if (!taken(n)) return n;
  throw new Error(`no free VMAC name for VRID ${vrid}`);
}

/**
 * An existing macvlan on `parentIndex` carrying this instance's MAC: keepalived reuses it (left
 * by a previous run) whatever its name.
 */
export function findExistingVmac(links: readonly LinkInfo[], parentIndex: number, mac: string): LinkInfo | undefined {
  return links.find((l) => l.kind === 'macvlan' && l.parentIndex === parentIndex && l.mac === mac.toLowerCase());
}

/** fe80::/64 EUI-64 from a MAC (keepalived's make_link_local_address). */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const g = (hi: number, lo: number): string => ((hi << 8) | lo).toString(16);
  return `fe80::${g(b[0]! ^ 0x02, b[1]!)}:${g(b[2]!, 0xff)}:${g(0xfe, b[3]!)}:${g(b[4]!, b[5]!)}`;
}

// ---------------------------------------------------------------------------------------------
// sysctls (keepalived writes the same values, through IPV4_DEVCONF or /proc/sys)

/** Values set on an IPv4 VMAC itself. */
export const VMAC_SYSCTLS: readonly [string, number][] = [
  ['arp_ignore', 1], ['accept_local', 1], ['rp_filter', 0], ['promote_secondaries', 1],
];
/** Values set on the base interface while it carries an IPv4 VMAC (restored after the last one). */
export const BASE_SYSCTLS: readonly [string, number][] = [['arp_ignore', 1], ['arp_filter', 1]];

/** Reads and writes /proc/sys (a different root in unit tests). */
export class Sysctl {
  constructor(readonly root = '/proc/sys') {}

  path(family: 'ipv4' | 'ipv6', ifname: string, param: string): string {
    return `${this.root}/net/${family}/conf/${ifname}/${param}`;
  }

  get(family: 'ipv4' | 'ipv6', ifname: string, param: string): number | undefined {
    try {
      const v = Number(readFileSync(this.path(family, ifname, param), 'utf8').trim());
      return Number.isFinite(v) ? v : undefined;
    } catch {
      return undefined;
    }
  }

  set(family: 'ipv4' | 'ipv6', ifname: string, param: string, value: number): void {
    try {
      writeFileSync(this.path(family, ifname, param), `${value}\n`);
    } catch (e) {
      throw new Error(`cannot set net.${family}.conf.${ifname}.${param}=${value}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
  }
}

interface BaseSaved {
  users: number;
  saved: [string, number][];
}

/**
 * The sysctl changes VMACs need, with what to put back: the base interface's arp_ignore and
 * arp_filter (counted per base, restored when its last VMAC goes) and all.rp_filter (cleared
 * while any IPv4 VMAC exists; a VMAC needs rp_filter 0 and the kernel uses max(all, iface)).
 */
export class VmacSysctls {
  private readonly bases = new Map<string, BaseSaved>();
  private vmacs = 0;
  /** all.rp_filter and default.rp_filter before we cleared all (undefined: untouched). */
  private allRpFilter?: number;
  private defaultRpFilter?: number;
  private readonly raised: [string, number][] = [];

  constructor(readonly sysctl = new Sysctl()) {}

  /**
   * Everything an IPv4 VMAC needs; `otherIfaces` are the interfaces whose rp_filter may need
   * raising. A value that cannot be written is reported in the returned list (keepalived logs
   * and carries on: the VMAC works, less well).
   */
  applyIPv4(vmac: string, base: string, otherIfaces: readonly string[]): string[] {
    const warnings: string[] = [];
    const set = (ifname: string, p: string, v: number): boolean => {
      try {
        this.sysctl.set('ipv4', ifname, p, v);
        return true;
      } catch (e) {
        warnings.push((e as Error).message);
        return false;
      }
    };
    if (this.vmacs++ === 0) this.clearRpFilter(otherIfaces.filter((n) => n !== vmac), set);
    for (const [p, v] of VMAC_SYSCTLS) set(vmac, p, v);
    const b = this.bases.get(base);
    if (b) {
      b.users++;
      return warnings;
    }
    const saved: [string, number][] = [];
    for (const [p, v] of BASE_SYSCTLS) {
      const old = this.sysctl.get('ipv4', base, p);
      if (old !== undefined && old !== v && set(base, p, v)) saved.push([p, old]);
    }
    this.bases.set(base, { users: 1, saved });
    return warnings;
  }

  /** Undo applyIPv4 for one VMAC (the VMAC's own values go with the interface). */
  releaseIPv4(base: string): void {
    const b = this.bases.get(base);
    if (b && --b.users === 0) {
      this.bases.delete(base);
      for (const [p, v] of b.saved) {
        try {
          this.sysctl.set('ipv4', base, p, v);
        } catch {
          // The base interface may be gone; nothing left to restore.
        }
      }
    }
    if (this.vmacs > 0 && --this.vmacs === 0) this.restoreRpFilter();
  }

  /**
   * all.rp_filter > 0 would override rp_filter 0 on the VMAC. Keep every interface's effective
   * value by raising default and each interface to the old `all`, then set all to 0.
   */
  private clearRpFilter(ifaces: readonly string[], set: (n: string, p: string, v: number) => boolean): void {
    const all = this.sysctl.get('ipv4', 'all', 'rp_filter');
    if (!all) return;
    const def = this.sysctl.get('ipv4', 'default', 'rp_filter');
    if (def !== undefined && def < all && set('default', 'rp_filter', all)) this.defaultRpFilter = def;
    for (const n of ifaces) {
      const v = this.sysctl.get('ipv4', n, 'rp_filter');
      if (v !== undefined && v < all && set(n, 'rp_filter', all)) this.raised.push([n, v]);
    }
    if (set('all', 'rp_filter', 0)) this.allRpFilter = all;
  }

  /** Put rp_filter back, but only where it still holds the value we set. */
  private restoreRpFilter(): void {
    const all = this.allRpFilter;
    if (all === undefined) return;
    this.allRpFilter = undefined;
    const tryRestore = (n: string, expect: number, v: number): void => {
      if (this.sysctl.get('ipv4', n, 'rp_filter') !== expect) return;
      try {
        this.sysctl.set('ipv4', n, 'rp_filter', v);
      } catch {
        // Interface gone.
      }
    };
    tryRestore('all', 0, all);
    if (this.defaultRpFilter !== undefined) tryRestore('default', all, this.defaultRpFilter);
    this.defaultRpFilter = undefined;
    for (const [n, v] of this.raised.splice(0)) tryRestore(n, all, v);
  }
}

/** One per process, as keepalived keeps one view of its interfaces. */
export const vmacSysctls = new VmacSysctls();

// ---------------------------------------------------------------------------------------------
// Bringing a VMAC up and down

export interface VmacOptions {
  vrid: number;
  family: Family;
  /** The instance's interface (the macvlan's parent). */
  parent: string;
  /** use_vmac NAME; when absent (or naming a non-macvlan interface) a name is chosen. */
  name?: string;
  /** global_defs vmac_prefix. */
  prefix?: string;
  /** Names other instances already use for their VMACs. */
  namesInUse?: readonly string[];
  /** vmac_xmit_base: adverts go out of the base interface, so no link-local on the VMAC. */
  xmitBase?: boolean;
  /** An IPv4 instance with IPv6 eVIPs keeps IPv6 enabled on the VMAC. */
  evipOtherFamily?: boolean;
  /** IPv6: the instance's unicast_src_ip / mcast_src_ip, used as the VMAC's link-local. */
  sourceAddress?: string;
  /** use_vmac's configured MAC, instead of the VRRP MAC for the VRID. */
  mac?: string;
}

export interface VmacResult {
  name: string;
  link: LinkInfo;
  mac: string;
  /** The link-local put on an IPv6 VMAC, if any. */
  linkLocal?: string;
  /** For the log: a configured name not used, settings that could not be made (sysctls). The VMAC is up regardless. */
  warnings: string[];
}

/** Create (or adopt) the VMAC for an instance, configure it as keepalived does, and bring it up. */
export async function setupVmac(mgr: AddressManager, o: VmacOptions, sysctls: VmacSysctls = vmacSysctls): Promise<VmacResult> {
  const mac = (o.mac ?? vmacMac(o.family, o.vrid)).toLowerCase();
  const links = await mgr.links();
  const parent = links.find((l) => l.name === o.parent);
  if (!parent) throw new Error(`cannot create VMAC for VRID ${o.vrid}: interface ${o.parent} does not exist`);
  const inUse = new Set(o.namesInUse ?? []);
  let name: string | undefined;
  const notes: string[] = [];
  const existing = findExistingVmac(links, parent.index, mac);
  if (existing && !inUse.has(existing.name)) {
    // keepalived adopts a matching VMAC even under another name than the configured one.
    if (o.name !== undefined && o.name !== existing.name) notes.push(`vmac name mismatch ${o.name} <=> ${existing.name}. changing to ${existing.name}.`);
    name = existing.name;
  } else if (o.name !== undefined) {
    const other = links.find((l) => l.name === o.name);
    // A configured name held by a non-macvlan interface is ignored, as keepalived does.
    if (!other || other.kind === 'macvlan') name = o.name;
    else notes.push(`VMAC interface name ${o.name} already exists as a non VMAC interface. ignoring configured name`);
  }
  name ??= chooseVmacName(o.vrid, o.family, (n) => inUse.has(n) || links.some((l) => l.name === n), o.prefix);

  const link = await mgr.createMacvlan(name, o.parent, mac);
  const warnings = [...notes, ...(o.family === 'inet' ? sysctls.applyIPv4(name, o.parent, links.map((l) => l.name)) : [])];
  // No IPv6 on an IPv4 VMAC unless it carries IPv6 eVIPs.
  const noIPv6 = o.family === 'inet' && !o.evipOtherFamily;
  try {
    sysctls.sysctl.set('ipv6', name, 'disable_ipv6', noIPv6 ? 1 : 0);
  } catch (e) {
    // A kernel without IPv6 has no such file, and nothing to disable.
    if (!noIPv6 || sysctls.sysctl.get('ipv6', 'all', 'disable_ipv6') !== undefined) warnings.push((e as Error).message);
  }
  await mgr.setLinkUp(name, true);
  const result: VmacResult = { name, link: (await mgr.link(name)) ?? link, mac, warnings };
  if (o.family === 'inet6' && !o.xmitBase) {
    const ll = o.sourceAddress ?? (await baseLinkLocal(mgr, o.parent)) ?? linkLocalFromMac(parent.mac);
    // keepalived adds it like a VIP with an unset lifetime: nodad, preferred 0.
    await mgr.addAddress({
      address: `${ll}/64`, family: 'inet6', home: false, dad: false, mngtmpaddr: false, noprefixroute: false,
      autojoin: false, no_track: true, use_vmac: false, preferred_lft: 0,
    }, name);
    result.linkLocal = ll;
  }
  return result;
}

async function baseLinkLocal(mgr: AddressManager, parent: string): Promise<string | undefined> {
  const addrs = await mgr.addresses(parent);
  return addrs.find((a) => {
    if (a.family !== 'inet6') return false;
    const b = parseAddress(a.address)?.bytes;
    return b !== undefined && b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
  })?.address;
}

/** Remove a VMAC this process created and put the base interface's sysctls back. */
export async function teardownVmac(
  mgr: AddressManager, o: { name: string; family: Family; parent: string }, sysctls: VmacSysctls = vmacSysctls,
): Promise<boolean> {
  if (o.family === 'inet') sysctls.releaseIPv4(o.parent);
  return mgr.deleteLink(o.name);
}
