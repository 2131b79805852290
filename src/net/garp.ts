// Gratuitous ARP and unsolicited neighbour advertisements over one AF_PACKET socket (the native
// addon's; raw-socket cannot open packet sockets). keepalived does the same with one shared
// socket per family (vrrp_arp.c gratuitous_arp_init, vrrp_ndisc.c ndisc_init): no process per
// address, so a thousand VIPs go out in a few milliseconds.
import { readFileSync, readdirSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import type { GarpSender } from './ports.js';
import { announcementFrame, formatMac, parseMac } from './arp-frame.js';
import { keelNet, type NativeError, type NativeHandle } from './native.js';

const IFF_NOARP = 0x80;
/** How long a full transmit queue may stall an announcement before it is given up. */
const STALL_LIMIT_MS = 2000;
const { EAGAIN, ENOBUFS } = osConstants.errno;

export interface InterfaceFacts {
  index: number;
  mac: Uint8Array | undefined;
  noArp: boolean;
}

/** Index, MAC and NOARP of an interface in this process's network namespace. */
export function interfaceFacts(name: string): InterfaceFacts {
  const info = keelNet().interfaceInfo(name);
  return { index: info.index, mac: info.mac ? new Uint8Array(info.mac) : undefined, noArp: (info.flags & IFF_NOARP) !== 0 };
}

function interfaceFactsOrUndefined(name: string): InterfaceFacts | undefined {
  try {
    return interfaceFacts(name);
  } catch {
    return undefined;
  }
}

/**
 * The interface whose IPv6 forwarding setting decides the NA router flag: keepalived reads it on
 * the base interface of a VMAC (vrrp_if_config.c set_ipv6_forwarding on IF_BASE_IFP).
 */
function baseInterface(name: string): string {
  try {
    const lower = readdirSync(`/sys/class/net/${name}`).find((f) => f.startsWith('lower_'));
    return lower ? lower.slice('lower_'.length) : name;
  } catch {
    return name;
  }
}

/** net.ipv6.conf.IF.forwarding, read afresh each time as keepalived rechecks it. */
export function ipv6Forwarding(name: string): boolean {
  try {
    return readFileSync(`/proc/sys/net/ipv6/conf/${baseInterface(name)}/forwarding`, 'utf8').trim() !== '0';
  } catch {
    return false;
  }
}

export interface AnnounceResult {
  /** Frames handed to the kernel. */
  sent: number;
}

/**
 * keepalived's vrrp_garp_interval / vrrp_gna_interval (global or per interface): the least time
 * between two gratuitous ARPs (two NAs) on one interface, kept across announcements.
 */
export interface AnnounceOptions {
  garpIntervalMs?: number;
  gnaIntervalMs?: number;
}

type Fam = 'inet' | 'inet6';
type Frame = { frame: Uint8Array; family: Fam; address: string };
const FRAME_CACHE_MAX = 65_536;

export class PacketGarpSender implements GarpSender {
  private socket: NativeHandle | undefined;
  private closed = false;
  /** When each interface last sent a frame of each family (for the intervals). */
  private readonly lastSent = new Map<string, Record<Fam, number>>();
  /** Frames by source MAC, router flag and address (they never change for those). */
  private readonly frameCache = new Map<string, Frame>();

  async announce(iface: string, mac: string | undefined, addresses: readonly string[], repeat: number, opts: AnnounceOptions = {}): Promise<void> {
    await this.send(iface, mac, addresses, repeat, opts);
  }

  /** announce(), saying how many frames went (the benchmark and tests count them). */
  async send(iface: string, mac: string | undefined, addresses: readonly string[], repeat: number, opts: AnnounceOptions = {}): Promise<AnnounceResult> {
    if (this.closed) throw new Error(`gratuitous ARP on ${iface}: the sender is closed`);
    if (!Number.isInteger(repeat) || repeat < 0) throw new Error(`gratuitous ARP on ${iface}: repeat ${repeat} is not a count`);
    if (addresses.length === 0 || repeat === 0) return { sent: 0 };
    let facts: InterfaceFacts;
    try {
      facts = interfaceFacts(iface);
    } catch (e) {
      const err = e as NativeError;
      throw new Error(`cannot send gratuitous ARP on ${iface}: ${err.code === 'ENODEV' ? 'no such interface' : err.detail ?? err.message} (${err.code ?? 'EIO'})`);
    }
    // keepalived sends nothing on an interface (or a VMAC's base) that does not do ARP /
    // neighbour discovery, nor on one without a hardware address.
    const base = baseInterface(iface);
    if (facts.noArp || (base !== iface && interfaceFactsOrUndefined(base)?.noArp)) return { sent: 0 };
    const src = mac === undefined ? facts.mac : parseMac(mac);
    if (mac !== undefined && !src) throw new Error(`gratuitous ARP on ${iface}: ${mac} is not a MAC address`);
    if (!src) return { sent: 0 };

    const once = this.frames(iface, src, addresses);
    // All addresses, then all again: keepalived's order (vrrp.c vrrp_send_link_update).
    const items: typeof once = [];
    for (let r = 0; r < repeat; r++) items.push(...once);

    const failures: string[] = [];
    const paced = (opts.garpIntervalMs ?? 0) > 0 || (opts.gnaIntervalMs ?? 0) > 0;
    if (!paced) {
      await this.sendRun(iface, facts.index, items.map((i) => i.frame), (k, errno) => failures.push(`${items[k]!.address}: ${errnoText(errno)}`));
      this.noteSent(iface, items);
    } else {
      for (const item of items) {
        const interval = (item.family === 'inet' ? opts.garpIntervalMs : opts.gnaIntervalMs) ?? 0;
        const wait = (this.lastSent.get(iface)?.[item.family] ?? 0) + interval - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await this.sendRun(iface, facts.index, [item.frame], (_k, errno) => failures.push(`${item.address}: ${errnoText(errno)}`));
        this.noteSent(iface, [item]);
      }
    }
    if (failures.length) {
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
      throw new Error(`sending gratuitous ARP/NA on ${iface} from ${formatMac(src)} failed for ${failures[0]}${more}`);
    }
    return { sent: items.length };
  }

  /**
   * Build the frames for `addresses` now (a VRRP instance's start), so that becoming master later
   * only sends them: building a thousand frames in code that has not run yet took ~5 ms.
   */
  prepare(iface: string, mac: string | undefined, addresses: readonly string[]): void {
    try {
      const src = mac === undefined ? interfaceFacts(iface).mac : parseMac(mac);
      if (src) this.frames(iface, src, addresses);
    } catch {
      // No such interface (yet) or a bad address: announce() will say so when it matters.
    }
  }

  /** The frames announcing `addresses` from `src`, from the cache or built (and kept). */
  private frames(iface: string, src: Uint8Array, addresses: readonly string[]): Frame[] {
    const router = addresses.some((a) => a.includes(':')) && ipv6Forwarding(iface);
    const prefix = `${formatMac(src)}|${router ? 'R' : ''}|`;
    // Bounded: a config's addresses times the MACs they are sent from; anything beyond is stale.
    if (this.frameCache.size > FRAME_CACHE_MAX) this.frameCache.clear();
    const out: Frame[] = [];
    for (const a of addresses) {
      const key = prefix + a;
      let f = this.frameCache.get(key);
      if (!f) {
        const built = announcementFrame(a, src, router);
        if (!built.ok) throw new Error(`gratuitous ARP on ${iface}: ${built.error}`);
        f = { frame: built.frame, family: built.family, address: a };
        this.frameCache.set(key, f);
      }
      out.push(f);
    }
    return out;
  }

  private noteSent(iface: string, items: readonly { family: Fam }[]): void {
    const now = Date.now();
    const t = this.lastSent.get(iface) ?? { inet: 0, inet6: 0 };
    for (const i of items) t[i.family] = now;
    this.lastSent.set(iface, t);
  }

  /** Send the frames in order; a frame the kernel refuses is reported and skipped, as keepalived does. */
  private async sendRun(iface: string, ifindex: number, frames: readonly Uint8Array[], failed: (index: number, errno: number) => void): Promise<void> {
    const net = keelNet();
    this.socket ??= net.packetOpen();
    let next = 0;
    let stalledSince = 0;
    while (next < frames.length) {
      if (this.closed || !this.socket) throw new Error(`gratuitous ARP on ${iface}: the sender was closed`);
      const [sent, errno] = net.packetSend(this.socket, ifindex, frames, next);
      next += sent;
      if (errno === 0) break;
      if (errno === EAGAIN || errno === ENOBUFS) {
        // The device queue is full: let it drain rather than drop announcements.
        const now = Date.now();
        if (sent > 0 || stalledSince === 0) stalledSince = now;
        else if (now - stalledSince > STALL_LIMIT_MS) {
          throw new Error(`gratuitous ARP on ${iface}: transmit queue full for ${STALL_LIMIT_MS} ms, ${frames.length - next} of ${frames.length} frames not sent`);
        }
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      failed(next, errno);
      next += 1;
    }
  }

  close(): void {
    this.closed = true;
    if (this.socket) keelNet().packetClose(this.socket);
    this.socket = undefined;
  }
}

function errnoText(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}
