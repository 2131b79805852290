// In-memory implementations of the kernel ports, for unit tests of the engine. They behave like
// the kernel where the engine can tell: a raw socket sees only packets for its interface's LAN
// and not its own multicast (loop off); adding an address twice is "already present", removing
// an absent one is "not there"; a link can go down, come back, or be deleted and recreated.
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/blocks/addresses.js';
import { parseIpHeader, type Family } from '../vrrp/ip.js';
import type {
  AddressInfo, AddressManager, GarpSender, LinkEvent, LinkInfo, ReceivedPacket, VrrpSocket, VrrpSocketOptions, VrrpTransport,
} from './ports.js';

interface MemSocket {
  host: MemoryHost;
  options: VrrpSocketOptions;
  handlers: ((p: ReceivedPacket) => void)[];
  closed: boolean;
}

/** A LAN: every host's interface named in `attach` hears every other's packets (a hub). */
export class MemoryLan {
  readonly sockets: MemSocket[] = [];
  /** Every packet put on the wire, in order. */
  readonly wire: { from: string; ifname: string; family: Family; dst: string; data: Uint8Array }[] = [];
  /** Deliver asynchronously (as the kernel would) through this scheduler; default queueMicrotask. */
  constructor(private readonly schedule: (fn: () => void) => void = queueMicrotask) {}

  deliver(from: MemSocket, data: Uint8Array, dst: string, src: string | undefined, ttl: number): void {
    const fam = from.options.family;
    this.wire.push({ from: from.host.name, ifname: from.options.interface, family: fam, dst, data });
    if (!from.host.linkUp(from.options.interface)) return;
    let srcAddr = src ?? '';
    let dstAddr = dst;
    if (fam === 'inet') {
      const h = parseIpHeader(data);
      if (h.ok) {
        srcAddr = [...h.header.src].join('.');
        dstAddr = [...h.header.dst].join('.');
      }
    }
    for (const s of this.sockets) {
      if (s.closed || s === from || s.host === from.host || s.options.family !== fam) continue;
      if (!s.host.linkUp(s.options.interface)) continue;
      const multicast = fam === 'inet' ? Number(dstAddr.split('.')[0]) >= 224 : dstAddr.toLowerCase().startsWith('ff');
      if (multicast ? !s.options.groups.includes(dstAddr) : !s.host.hasAddress(dstAddr)) continue;
      const p: ReceivedPacket = {
        family: fam, data, withIpHeader: fam === 'inet', src: srcAddr, dst: dstAddr, ttl, ifindex: s.host.indexOf(s.options.interface),
      };
      this.schedule(() => { if (!s.closed) for (const h of s.handlers) h(p); });
    }
  }
}

/** One host: its links, addresses, and the ports bound to them. */
export class MemoryHost implements AddressManager, VrrpTransport, GarpSender {
  private readonly links_ = new Map<string, LinkInfo>();
  private readonly addrs = new Map<string, AddressInfo & { ifname: string }>();
  readonly routes: string[] = [];
  readonly rules: string[] = [];
  private readonly linkHandlers: ((e: LinkEvent) => void)[] = [];
  private nextIndex = 2;
  /** Every announce() call. */
  readonly garps: { iface: string; mac?: string; addresses: readonly string[]; repeat: number }[] = [];

  constructor(readonly name: string, private readonly lan: MemoryLan, interfaces: readonly string[] = ['eth0']) {
    for (const i of interfaces) this.addLink(i);
  }

  addLink(name: string, kind = 'veth', mac?: string): LinkInfo {
    const index = this.nextIndex++;
    const l: LinkInfo = {
      index, name, up: true, running: true, mtu: 1500, kind,
      mac: mac ?? `02:00:00:00:${(this.name.charCodeAt(0) & 0xff).toString(16).padStart(2, '0')}:${index.toString(16).padStart(2, '0')}`,
    };
    this.links_.set(name, l);
    this.emit({ type: 'new', link: { ...l } });
    return l;
  }

  setLink(name: string, up: boolean): void {
    const l = this.links_.get(name);
    if (!l) return;
    l.up = up;
    l.running = up;
    this.emit({ type: 'new', link: { ...l } });
  }

  removeLink(name: string): void {
    const l = this.links_.get(name);
    if (!l) return;
    this.links_.delete(name);
    for (const [k, a] of this.addrs) if (a.ifname === name) this.addrs.delete(k);
    this.emit({ type: 'del', link: { ...l } });
  }

  linkUp(name: string): boolean {
    const l = this.links_.get(name);
    return !!l && l.up && l.running;
  }

  indexOf(name: string): number {
    return this.links_.get(name)?.index ?? 0;
  }

  hasAddress(addr: string): boolean {
    return [...this.addrs.values()].some((a) => a.address === addr);
  }

  /** Addresses on an interface, as "ADDR/PREFIX". */
  addressesOn(ifname: string): string[] {
    return [...this.addrs.values()].filter((a) => a.ifname === ifname).map((a) => `${a.address}/${a.prefix}`);
  }

  /** Put an address on an interface directly (the operator's `ip addr add`). */
  assign(ifname: string, cidr: string): void {
    const [address, prefix] = cidr.split('/') as [string, string | undefined];
    const family: Family = address.includes(':') ? 'inet6' : 'inet';
    const l = this.links_.get(ifname);
    if (!l) throw new Error(`no interface ${ifname}`);
    this.addrs.set(`${ifname}|${address}`, { address, prefix: Number(prefix ?? (family === 'inet' ? 32 : 128)), family, ifindex: l.index, scope: 0, ifname });
  }

  private emit(e: LinkEvent): void {
    for (const h of this.linkHandlers) h(e);
  }

  // AddressManager ------------------------------------------------------------------------------

  async links(): Promise<LinkInfo[]> {
    return [...this.links_.values()].map((l) => ({ ...l }));
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    const l = this.links_.get(name);
    return l && { ...l };
  }

  async addresses(ifname?: string): Promise<AddressInfo[]> {
    return [...this.addrs.values()].filter((a) => ifname === undefined || a.ifname === ifname).map(({ ifname: _i, ...a }) => a);
  }

  async addAddress(a: AddressEntry, ifname: string): Promise<boolean> {
    const l = this.links_.get(ifname);
    if (!l) throw new Error(`cannot add ${a.address} to ${ifname}: ENODEV`);
    const [address, prefix] = a.address.split('/') as [string, string];
    const key = `${ifname}|${address}`;
    if (this.addrs.has(key)) return false;
    this.addrs.set(key, { address, prefix: Number(prefix), family: a.family, ifindex: l.index, scope: a.scope ?? 0, label: a.label, ifname });
    return true;
  }

  async removeAddress(a: AddressEntry, ifname: string): Promise<boolean> {
    const address = a.address.split('/')[0]!;
    return this.addrs.delete(`${ifname}|${address}`);
  }

  async changeAddresses(entries: readonly AddressEntry[], ifname: string, op: 'add' | 'del'): Promise<(boolean | Error)[]> {
    return Promise.all(entries.map((a) => (op === 'add' ? this.addAddress(a, ifname) : this.removeAddress(a, ifname)).catch((e: Error) => e)));
  }

  async addRoute(r: RouteEntry, ifname?: string): Promise<boolean> {
    const k = `${r.to} ${r.dev ?? ifname ?? ''} ${r.table}`;
    if (this.routes.includes(k)) return false;
    this.routes.push(k);
    return true;
  }

  async removeRoute(r: RouteEntry, ifname?: string): Promise<boolean> {
    const i = this.routes.indexOf(`${r.to} ${r.dev ?? ifname ?? ''} ${r.table}`);
    if (i < 0) return false;
    this.routes.splice(i, 1);
    return true;
  }

  async addRule(r: RuleEntry): Promise<boolean> {
    const k = `${r.preference} ${r.from ?? 'all'} ${r.to ?? 'all'} ${r.table ?? ''}`;
    if (this.rules.includes(k)) return false;
    this.rules.push(k);
    return true;
  }

  async removeRule(r: RuleEntry): Promise<boolean> {
    const i = this.rules.indexOf(`${r.preference} ${r.from ?? 'all'} ${r.to ?? 'all'} ${r.table ?? ''}`);
    if (i < 0) return false;
    this.rules.splice(i, 1);
    return true;
  }

  onLink(handler: (e: LinkEvent) => void): void {
    this.linkHandlers.push(handler);
  }

  async createMacvlan(name: string, parent: string, mac: string): Promise<LinkInfo> {
    const p = this.links_.get(parent);
    if (!p) throw new Error(`cannot create ${name} on ${parent}: ENODEV`);
    const existing = this.links_.get(name);
    if (existing) return { ...existing };
    const l = this.addLink(name, 'macvlan', mac);
    l.parentIndex = p.index;
    return { ...l };
  }

  async deleteLink(name: string): Promise<boolean> {
    if (!this.links_.has(name)) return false;
    this.removeLink(name);
    return true;
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    this.setLink(name, up);
  }

  // VrrpTransport -------------------------------------------------------------------------------

  async open(options: VrrpSocketOptions): Promise<VrrpSocket> {
    if (!this.links_.has(options.interface)) throw new Error(`cannot bind to ${options.interface}: ENODEV`);
    const ms: MemSocket = { host: this, options, handlers: [], closed: false };
    this.lan.sockets.push(ms);
    const lan = this.lan;
    return {
      options,
      async send(packet, dst, opts) {
        if (ms.closed) throw new Error('socket closed');
        lan.deliver(ms, packet, dst, opts?.src, opts?.ttl ?? 255);
      },
      onPacket(h) { ms.handlers.push(h); },
      onError() { /* the memory LAN reports no asynchronous errors */ },
      close() { ms.closed = true; },
    };
  }

  // GarpSender ----------------------------------------------------------------------------------

  async announce(iface: string, mac: string | undefined, addresses: readonly string[], repeat: number): Promise<void> {
    this.garps.push({ iface, mac, addresses: [...addresses], repeat });
  }

  close(): void {
    for (const s of this.lan.sockets) if (s.host === this) s.closed = true;
  }
}
