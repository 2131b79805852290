// The kernel's AddressManager: links, link events, addresses, routes, rules and VMAC macvlans
// over rtnetlink. Messages are built by rtnl-msg.ts (pure); this file owns the sockets.
//
// Requests are pipelined: every call queues its message, and the queue goes out as one datagram
// of many messages (a single sendmsg), with at most WINDOW awaiting their ACK so the ACKs never
// overflow the socket's receive buffer. Adding 1,000 VIPs is then a handful of system calls,
// not a process (or a round trip) per address. Call the methods concurrently (Promise.all) to
// benefit; each one still resolves or fails on its own.
import { getSystemErrorName } from 'node:util';
import { RawNetlinkSocket } from 'netlink';
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/blocks/addresses.js';
import type { AddressInfo, AddressManager, LinkEvent, LinkInfo } from './ports.js';
import * as K from './rtnl-attr.js';
import { errorCode, frame, splitMessages, type NlMessage } from './rtnl-attr.js';
import {
  addrGenModeNoneRequest, addressDumpRequest, addressRequest, addressText, linkByNameRequest, linkDeleteRequest,
  linkDumpRequest, linkSetUpRequest, macvlanRequest, parseAddressMessage, parseLinkMessage, parseRouteMessage,
  parseRuleMessage, routeInterfaces, routeRequest, routeText, ruleRequest, ruleText, type ParsedAddress, type ParsedLink,
  type ParsedRoute, type ParsedRule, type RtnlRequest,
} from './rtnl-msg.js';

/** An address notification; 'overrun' means some were lost: re-read what you track. */
export type AddressEvent = { type: 'new' | 'del'; address: ParsedAddress } | { type: 'overrun' };
export type RouteEvent = { type: 'new' | 'del'; route: ParsedRoute } | { type: 'overrun' };
export type RuleEvent = { type: 'new' | 'del'; rule: ParsedRule } | { type: 'overrun' };

const NETLINK_ROUTE = 0;
/** Requests awaiting an ACK at once: 128 ACKs (error ACKs echo the request) fit the default rcvbuf. */
const WINDOW = 128;
/**
 * Quiet requests (no ACK unless they fail) in flight at once: even if all fail, their error
 * answers (each echoing its request, ~100 bytes) stay far below the receive buffer.
 */
const QUIET_WINDOW = 2048;
const BUFFER_SIZE = 1 << 20;

/** A kernel error for one request: errno and its name (ENODEV, EEXIST...). */
export class RtnlError extends Error {
  readonly errno: number;
  readonly code: string;
  constructor(errno: number, context?: string) {
    const code = errnoName(errno);
    super(context ? `${context}: ${code}` : code);
    this.errno = errno;
    this.code = code;
  }
}

export function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-Math.abs(errno));
  } catch {
    return `errno ${errno}`;
  }
}

interface Pending {
  seq: number;
  buf: Buffer;
  dump: boolean;
  parts: NlMessage[];
  resolve: (parts: NlMessage[]) => void;
  reject: (e: Error) => void;
  /** Sent without NLM_F_ACK: the kernel answers only an error; success is known at the barrier. */
  quiet?: boolean;
  /** A barrier (NLMSG_NOOP with ACK) settles the quiet requests sent before it in its batch. */
  settles?: Pending[];
}

/** One NETLINK_ROUTE socket carrying requests: sequence numbers, batching, ACK matching. */
export class RtnlChannel {
  private readonly sock: RawNetlinkSocket;
  private seq = 1;
  private readonly waiting = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private flushScheduled = false;
  private dumps: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor() {
    this.sock = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: BUFFER_SIZE, sendBufferSize: BUFFER_SIZE });
    this.sock.on('message', (buf: Buffer) => this.receive(buf));
    // An overrun loses ACKs: fail what is waiting rather than hang it.
    this.sock.on('error', (e: Error) => this.failAll(e));
    this.sock.unref();
  }

  /** Send one request (REQUEST|ACK added); resolves with the data messages before the ACK. */
  request(req: RtnlRequest): Promise<NlMessage[]> {
    return this.enqueue(req.type, req.flags | K.NLM_F_REQUEST | K.NLM_F_ACK, req.body, false);
  }



  /**
   * Requests whose success needs no answer (bulk address changes), settled together: each one's
   * error (or undefined) in order. Sent without NLM_F_ACK, so the kernel replies only on error; a
   * NOOP with ACK closes each batch and, since the kernel handles a socket's messages in order, its
   * ACK settles every quiet request before it. This spares 1,000 VIPs 999 ACKs to parse in
   * JavaScript, and one promise serves the lot.
   */
  requestQuietMany(reqs: readonly RtnlRequest[]): Promise<(Error | undefined)[]> {
    if (this.closed) return Promise.reject(new Error('rtnetlink socket closed'));
    if (!reqs.length) return Promise.resolve([]);
    return new Promise((resolve) => {
      const out: (Error | undefined)[] = new Array(reqs.length).fill(undefined);
      let left = reqs.length;
      const settle = (): void => {
        if (--left === 0) resolve(out);
      };
      reqs.forEach((req, i) => {
        const seq = this.nextSeq();
        this.queue.push({
          seq, buf: frame(req.type, req.flags | K.NLM_F_REQUEST, seq, req.body), dump: false, parts: [], quiet: true,
          resolve: settle,
          reject: (e) => {
            out[i] = e;
            settle();
          },
        });
      });
      this.scheduleFlush();
    });
  }

  /** A dump (NLM_F_DUMP); the kernel runs one dump per socket at a time, so they queue. */
  dump(req: RtnlRequest): Promise<NlMessage[]> {
    const run = (): Promise<NlMessage[]> => this.enqueue(req.type, req.flags | K.NLM_F_REQUEST, req.body, true);
    const p = this.dumps.then(run, run);
    this.dumps = p.catch(() => undefined);
    return p;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('rtnetlink socket closed'));
    this.sock.close();
  }

  private enqueue(type: number, flags: number, body: Buffer, dump: boolean, quiet = false): Promise<NlMessage[]> {
    if (this.closed) return Promise.reject(new Error('rtnetlink socket closed'));
    return new Promise((resolve, reject) => {
      const seq = this.nextSeq();
      this.queue.push({ seq, buf: frame(type, flags, seq, body), dump, parts: [], resolve, reject, quiet });
      this.scheduleFlush();
    });
  }

  private nextSeq(): number {
    do this.seq = this.seq >= 0xfffffff0 ? 1 : this.seq + 1;
    while (this.waiting.has(this.seq));
    return this.seq;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a microtask: lets every caller of this turn add its message first.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed) return;
    if (!this.queue.length) return;
    // Quiet requests draw an answer only when they fail, so many more of them fit the window.
    let acked = 0;
    let quietN = 0;
    for (const p of this.waiting.values()) {
      if (p.quiet) quietN++;
      else acked++;
    }
    let n = 0;
    for (const p of this.queue) {
      if (p.quiet ? quietN >= QUIET_WINDOW : acked >= WINDOW) break;
      if (p.quiet) quietN++;
      else acked++;
      n++;
    }
    if (!n) return;
    const batch = this.queue.splice(0, n);
    const quiet = batch.filter((p) => p.quiet);
    if (quiet.length) {
      const seq = this.nextSeq();
      batch.push({
        seq, buf: frame(K.NLMSG_NOOP, K.NLM_F_REQUEST | K.NLM_F_ACK, seq, Buffer.alloc(0)), dump: false, parts: [],
        resolve: () => undefined, reject: () => undefined, settles: quiet,
      });
    }
    for (const p of batch) this.waiting.set(p.seq, p);
    this.sock.ref();
    this.sock.send(batch.map((p) => p.buf), { port: 0 }, (err?: Error) => {
      if (!err) return;
      for (const p of batch) this.finish(p, err);
    });
  }

  private receive(buf: Buffer): void {
    for (const m of splitMessages(buf)) {
      const p = this.waiting.get(m.seq);
      if (!p) continue;
      if (m.type === K.NLMSG_ERROR) {
        const code = errorCode(m);
        this.finish(p, code < 0 ? new RtnlError(-code) : undefined);
      } else if (m.type === K.NLMSG_DONE) {
        const code = m.data.length >= 4 ? m.data.readInt32LE(0) : 0;
        this.finish(p, code < 0 ? new RtnlError(-code) : undefined);
      } else if (m.type !== K.NLMSG_NOOP) p.parts.push(m);
    }
  }

  private finish(p: Pending, err?: Error): void {
    if (this.waiting.get(p.seq) !== p) return;
    this.waiting.delete(p.seq);
    if (err) p.reject(err);
    else p.resolve(p.parts);
    // The barrier's answer: the quiet requests before it that drew no error succeeded (or share
    // the barrier's failure when the socket itself failed).
    for (const q of p.settles ?? []) this.finish(q, err);
    if (this.queue.length && this.waiting.size <= WINDOW / 2) this.scheduleFlush();
    if (!this.waiting.size && !this.queue.length && !this.closed) this.sock.unref();
  }

  private failAll(e: Error): void {
    for (const p of [...this.waiting.values()]) this.finish(p, e);
    for (const p of this.queue.splice(0)) p.reject(e);
  }
}

function toLinkInfo(l: ParsedLink): LinkInfo {
  const out: LinkInfo = { index: l.index, name: l.name, up: l.up, running: l.running, mac: l.mac, mtu: l.mtu, kind: l.kind };
  if (l.parentIndex !== undefined) out.parentIndex = l.parentIndex;
  return out;
}

function toAddressInfo(a: ParsedAddress): AddressInfo {
  const out: AddressInfo = { address: a.address, prefix: a.prefix, family: a.family, ifindex: a.ifindex, scope: a.scope };
  if (a.label !== undefined) out.label = a.label;
  return out;
}

const isErr = (e: unknown, ...codes: string[]): boolean => e instanceof RtnlError && codes.includes(e.code);

/** What the kernel said, for a message: the errno name, or the error's own text. */
const reason = (e: unknown): string => (e instanceof RtnlError ? e.code : e instanceof Error ? e.message : String(e));

/** One outcome of changeAddresses() as addAddress / removeAddress report it: a value, or thrown. */
function settled(o: boolean | Error): boolean {
  if (o instanceof Error) throw o;
  return o;
}

export class RtnetlinkAddressManager implements AddressManager {
  private readonly addressMessages = new WeakMap<AddressEntry, Map<string, RtnlRequest>>();
  private readonly chan = new RtnlChannel();
  private readonly resolving = new Map<string, Promise<number | undefined>>();
  private events?: RawNetlinkSocket;
  private readonly groups = new Set<number>();
  private readonly linkHandlers: ((e: LinkEvent) => void)[] = [];
  private readonly addressHandlers: ((e: AddressEvent) => void)[] = [];
  private readonly routeHandlers: ((e: RouteEvent) => void)[] = [];
  private readonly ruleHandlers: ((e: RuleEvent) => void)[] = [];
  /** Links as last reported, so an event overrun can be repaired by a fresh dump. */
  private readonly known = new Map<number, LinkInfo>();
  private closed = false;

  async links(): Promise<LinkInfo[]> {
    return (await this.parsedLinks()).map(toLinkInfo);
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    const l = await this.parsedLink(name);
    return l && toLinkInfo(l);
  }

  /** The kernel's full view of an interface (macvlan mode, VRF table, flags). */
  async parsedLink(name: string): Promise<ParsedLink | undefined> {
    // No interface can have a longer name (IFNAMSIZ); the kernel would answer EINVAL, not ENODEV.
    if (name.length === 0 || Buffer.byteLength(name) > 15) return undefined;
    try {
      const parts = await this.chan.request(linkByNameRequest(name));
      const m = parts.find((p) => p.type === K.RTM_NEWLINK);
      return m && parseLinkMessage(m.data);
    } catch (e) {
      if (isErr(e, 'ENODEV')) return undefined;
      throw e;
    }
  }

  private async parsedLinks(): Promise<ParsedLink[]> {
    const parts = await this.chan.dump(linkDumpRequest());
    const out: ParsedLink[] = [];
    for (const m of parts) {
      if (m.type !== K.RTM_NEWLINK) continue;
      const l = parseLinkMessage(m.data);
      if (l) out.push(l);
    }
    return out;
  }

  async addresses(ifname?: string): Promise<AddressInfo[]> {
    return (await this.addressDetails(ifname)).map(toAddressInfo);
  }

  /** Addresses with their flags, peer, broadcast and lifetimes. */
  async addressDetails(ifname?: string): Promise<ParsedAddress[]> {
    let index: number | undefined;
    if (ifname !== undefined) {
      index = await this.index(ifname);
      if (index === undefined) return [];
    }
    const parts = await this.chan.dump(addressDumpRequest());
    const out: ParsedAddress[] = [];
    for (const m of parts) {
      if (m.type !== K.RTM_NEWADDR) continue;
      const a = parseAddressMessage(m.data);
      if (a && (index === undefined || a.ifindex === index)) out.push(a);
    }
    return out;
  }

  /** An interface's index; concurrent lookups of one name share a single request. */
  private index(name: string): Promise<number | undefined> {
    let p = this.resolving.get(name);
    if (!p) {
      p = this.parsedLink(name).then((l) => l?.index);
      this.resolving.set(name, p);
      const forget = (): void => {
        if (this.resolving.get(name) === p) this.resolving.delete(name);
      };
      p.then(forget, forget);
    }
    return p;
  }

  private async mustIndex(name: string, what: string): Promise<number> {
    const i = await this.index(name);
    if (i === undefined) throw new Error(`${what}: ENODEV`);
    return i;
  }

  /**
   * The message adding or removing `a` on interface `index`, built once and kept with the config
   * entry: a takeover sends the same thousand messages again, and building them in code that has
   * not run yet took ~24 ms of a new master's first 1,000-VIP takeover.
   */
  private addressMessage(a: AddressEntry, index: number, op: 'add' | 'del'): RtnlRequest {
    let byKey = this.addressMessages.get(a);
    if (!byKey) this.addressMessages.set(a, (byKey = new Map()));
    const key = `${op}${index}`;
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = addressRequest(a, index, op)));
    return m;
  }

  prepareAddresses(entries: readonly AddressEntry[], ifname: string): void {
    this.index(ifname).then((index) => {
      if (index === undefined) return;
      for (const a of entries) {
        this.addressMessage(a, index, 'add');
        this.addressMessage(a, index, 'del');
      }
    }, () => undefined);
  }

  /**
   * Add or remove many addresses on one interface in one go: what addAddress / removeAddress
   * would each do, with one promise for the lot. Each entry's outcome in order: true (changed),
   * false (already so), or the error.
   */
  async changeAddresses(entries: readonly AddressEntry[], ifname: string, op: 'add' | 'del'): Promise<(boolean | Error)[]> {
    const index = await this.index(ifname);
    // An interface that is gone has taken its addresses with it (keepalived does not complain either).
    if (index === undefined) {
      return entries.map((a) => (op === 'add' ? new Error(`cannot add ${addressText(a)} to ${ifname}: ENODEV`) : false));
    }
    const errs = await this.chan.requestQuietMany(entries.map((a) => this.addressMessage(a, index, op)));
    return errs.map((e, i) => {
      if (!e) return true;
      if (op === 'add' && isErr(e, 'EEXIST')) return false;
      if (op === 'del' && isErr(e, 'EADDRNOTAVAIL', 'ENOENT', 'ENODEV')) return false;
      const a = entries[i]!;
      return new Error(op === 'add' ? `cannot add ${addressText(a)} to ${ifname}: ${reason(e)}` : `cannot remove ${addressText(a)} from ${ifname}: ${reason(e)}`);
    });
  }

  async addAddress(a: AddressEntry, ifname: string): Promise<boolean> {
    return settled((await this.changeAddresses([a], ifname, 'add'))[0]!);
  }

  async removeAddress(a: AddressEntry, ifname: string): Promise<boolean> {
    return settled((await this.changeAddresses([a], ifname, 'del'))[0]!);
  }


  private async routeMessage(r: RouteEntry, op: 'add' | 'del', ifname: string | undefined, what: string): Promise<RtnlRequest | undefined> {
    const names = routeInterfaces(r, ifname);
    if (r.vrf !== undefined) names.push(r.vrf);
    const indexes = new Map<string, number>();
    for (const n of names) {
      const i = await this.index(n);
      if (i === undefined) {
        if (op === 'del') return undefined;
        throw new Error(`${what} (interface ${n}): ENODEV`);
      }
      indexes.set(n, i);
    }
    let table: number | undefined;
    if (r.vrf !== undefined) {
      const vrf = await this.parsedLink(r.vrf);
      if (vrf?.vrfTable === undefined) throw new Error(`${what}: ${r.vrf} is not a VRF`);
      table = vrf.vrfTable;
    }
    const opts: { fallbackDev?: string; table?: number } = {};
    if (ifname !== undefined) opts.fallbackDev = ifname;
    if (table !== undefined) opts.table = table;
    return routeRequest(r, op, (n) => indexes.get(n)!, opts);
  }

  async addRoute(r: RouteEntry, ifname?: string): Promise<boolean> {
    const what = `cannot add route ${routeText(r)}`;
    const req = (await this.routeMessage(r, 'add', ifname, what))!;
    try {
      await this.chan.request(req);
      return true;
    } catch (e) {
      if (isErr(e, 'EEXIST')) return false;
      throw new Error(`${what}${r.dev || !ifname ? '' : ` dev ${ifname}`}: ${reason(e)}`);
    }
  }

  async removeRoute(r: RouteEntry, ifname?: string): Promise<boolean> {
    const what = `cannot remove route ${routeText(r)}`;
    const req = await this.routeMessage(r, 'del', ifname, what);
    if (!req) return false;
    try {
      await this.chan.request(req);
      return true;
    } catch (e) {
      if (isErr(e, 'ESRCH', 'ENOENT', 'ENODEV')) return false;
      throw new Error(`${what}: ${reason(e)}`);
    }
  }

  async addRule(r: RuleEntry): Promise<boolean> {
    try {
      await this.chan.request(ruleRequest(r, 'add'));
      return true;
    } catch (e) {
      if (isErr(e, 'EEXIST')) return false;
      throw new Error(`cannot add rule ${ruleText(r)}: ${reason(e)}`);
    }
  }

  async removeRule(r: RuleEntry): Promise<boolean> {
    try {
      await this.chan.request(ruleRequest(r, 'del'));
      return true;
    } catch (e) {
      if (isErr(e, 'ENOENT', 'ESRCH')) return false;
      throw new Error(`cannot remove rule ${ruleText(r)}: ${reason(e)}`);
    }
  }

  onLink(handler: (e: LinkEvent) => void): void {
    this.linkHandlers.push(handler);
    if (this.join([K.RTNLGRP_LINK])) void this.resync(true);
  }

  /** Addresses added or removed by anyone (keepalived drops to backup when a VIP is deleted). */
  onAddress(handler: (e: AddressEvent) => void): void {
    this.addressHandlers.push(handler);
    this.join([K.RTNLGRP_IPV4_IFADDR, K.RTNLGRP_IPV6_IFADDR]);
  }

  /** Routes added or removed by anyone (keepalived reinstates a deleted static route). */
  onRoute(handler: (e: RouteEvent) => void): void {
    this.routeHandlers.push(handler);
    this.join([K.RTNLGRP_IPV4_ROUTE, K.RTNLGRP_IPV6_ROUTE]);
  }

  /** Rules added or removed by anyone. */
  onRule(handler: (e: RuleEvent) => void): void {
    this.ruleHandlers.push(handler);
    this.join([K.RTNLGRP_IPV4_RULE, K.RTNLGRP_IPV6_RULE]);
  }

  /** Join multicast groups on the notification socket (opened on first use); true when new. */
  private join(groups: number[]): boolean {
    if (this.closed) return false;
    if (!this.events) {
      const sock = new RawNetlinkSocket(NETLINK_ROUTE, { recvBufferSize: BUFFER_SIZE, sendBufferSize: 0 });
      // The daemon's own timers keep it alive; a watcher alone should not.
      sock.unref();
      sock.on('message', (buf: Buffer) => {
        for (const m of splitMessages(buf)) this.notification(m);
      });
      sock.on('error', (e: Error & { code?: string }) => {
        // ENOBUFS: notifications were lost while the process was busy. Links are re-read;
        // address, route and rule watchers are told to re-read what they track.
        if (e.code !== 'ENOBUFS') return;
        if (this.groups.has(K.RTNLGRP_LINK)) void this.resync();
        this.emitAll(this.addressHandlers, { type: 'overrun' });
        this.emitAll(this.routeHandlers, { type: 'overrun' });
        this.emitAll(this.ruleHandlers, { type: 'overrun' });
      });
      this.events = sock;
    }
    let added = false;
    for (const g of groups) {
      if (this.groups.has(g)) continue;
      this.events.addMembership(g);
      this.groups.add(g);
      added = true;
    }
    return added;
  }

  private notification(m: NlMessage): void {
    switch (m.type) {
      case K.RTM_NEWLINK:
      case K.RTM_DELLINK:
        if (this.groups.has(K.RTNLGRP_LINK)) this.linkMessage(m);
        return;
      case K.RTM_NEWADDR:
      case K.RTM_DELADDR: {
        const address = parseAddressMessage(m.data);
        if (address) this.emitAll(this.addressHandlers, { type: m.type === K.RTM_NEWADDR ? 'new' : 'del', address });
        return;
      }
      case K.RTM_NEWROUTE:
      case K.RTM_DELROUTE: {
        const route = parseRouteMessage(m.data);
        if (route) this.emitAll(this.routeHandlers, { type: m.type === K.RTM_NEWROUTE ? 'new' : 'del', route });
        return;
      }
      case K.RTM_NEWRULE:
      case K.RTM_DELRULE: {
        const rule = parseRuleMessage(m.data);
        if (rule) this.emitAll(this.ruleHandlers, { type: m.type === K.RTM_NEWRULE ? 'new' : 'del', rule });
      }
    }
  }

  private linkMessage(m: NlMessage): void {
    if (m.type !== K.RTM_NEWLINK && m.type !== K.RTM_DELLINK) return;
    // Bridge port notifications (family AF_BRIDGE) share the group; they are not link changes.
    if (m.data.length < 16 || m.data[0] !== K.AF_UNSPEC) return;
    const l = parseLinkMessage(m.data);
    if (!l) return;
    const link = toLinkInfo(l);
    if (m.type === K.RTM_DELLINK) {
      this.known.delete(link.index);
      this.emit({ type: 'del', link });
    } else {
      this.known.set(link.index, link);
      this.emit({ type: 'new', link });
    }
  }

  /** Compare a fresh dump with what we knew: `del` for the vanished, `new` for the rest. */
  private async resync(initial = false): Promise<void> {
    let now: LinkInfo[];
    try {
      now = await this.links();
    } catch {
      return;
    }
    if (initial) {
      for (const l of now) if (!this.known.has(l.index)) this.known.set(l.index, l);
      return;
    }
    const present = new Set(now.map((l) => l.index));
    for (const [index, link] of [...this.known]) {
      if (present.has(index)) continue;
      this.known.delete(index);
      this.emit({ type: 'del', link });
    }
    for (const l of now) {
      this.known.set(l.index, l);
      this.emit({ type: 'new', link: l });
    }
  }

  private emit(e: LinkEvent): void {
    this.emitAll(this.linkHandlers, e);
  }

  private emitAll<E>(handlers: readonly ((e: E) => void)[], e: E): void {
    for (const h of handlers) {
      try {
        h(e);
      } catch {
        // A consumer's bug must not stop the other consumers from hearing about the change.
      }
    }
  }

  async createMacvlan(name: string, parent: string, mac: string): Promise<LinkInfo> {
    const what = `cannot create macvlan ${name} on ${parent}`;
    const p = await this.parsedLink(parent);
    if (!p) throw new Error(`${what}: ENODEV`);
    const existing = await this.parsedLink(name);
    // A parent enslaved to a VRF puts its VMAC in the same VRF (keepalived sets IFLA_MASTER too).
    let vrf: number | undefined;
    if (p.master) vrf = (await this.parsedLinks()).find((l) => l.index === p.master && l.kind === 'vrf')?.index;
    let req: RtnlRequest | undefined = macvlanRequest(name, p.index, mac, undefined, vrf);
    if (existing) {
      if (existing.kind !== 'macvlan') throw new Error(`${what}: ${name} exists and is not a macvlan`);
      if (existing.parentIndex !== p.index) {
        // Same name on another parent: replace it, as keepalived does with a conflicting VMAC.
        await this.deleteLink(name);
      } else if (existing.mac !== mac.toLowerCase() || existing.macvlanMode !== K.MACVLAN_MODE_PRIVATE || (existing.master ?? 0) !== (vrf ?? 0)) {
        req = macvlanRequest(name, p.index, mac, existing.index, vrf ?? 0);
      } else req = undefined;
    }
    if (req) {
      try {
        await this.chan.request(req);
      } catch (e) {
        throw new Error(`${what}: ${reason(e)}`);
      }
    }
    const l = await this.parsedLink(name);
    if (!l) throw new Error(`${what}: it vanished after creation`);
    try {
      await this.chan.request(addrGenModeNoneRequest(l.index));
    } catch (e) {
      // Kernels without IPv6 refuse the IFLA_AF_SPEC for AF_INET6; the VMAC still works for IPv4.
      if (!isErr(e, 'EAFNOSUPPORT', 'EOPNOTSUPP')) throw new Error(`cannot set addr_gen_mode none on ${name}: ${reason(e)}`);
    }
    return toLinkInfo(l);
  }

  async deleteLink(name: string): Promise<boolean> {
    const index = await this.index(name);
    if (index === undefined) return false;
    try {
      await this.chan.request(linkDeleteRequest(index));
      return true;
    } catch (e) {
      if (isErr(e, 'ENODEV')) return false;
      throw new Error(`cannot delete ${name}: ${reason(e)}`);
    }
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    const what = `cannot set ${name} ${up ? 'up' : 'down'}`;
    const index = await this.mustIndex(name, what);
    try {
      await this.chan.request(linkSetUpRequest(index, up));
    } catch (e) {
      throw new Error(`${what}: ${reason(e)}`);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chan.close();
    this.events?.close();
    this.events = undefined;
    this.groups.clear();
  }
}

/** The production AddressManager. */
export function openAddressManager(): RtnetlinkAddressManager {
  return new RtnetlinkAddressManager();
}
