// The VRRP engine: the imperative shell around the pure state machine for one router. It reads
// the configured instances, resolves their interfaces through the AddressManager, opens one raw
// socket per interface/family/protocol, turns received packets into `advert` events, arms the
// machine's timers on a Clock, and applies its effects: adverts on the wire, VIPs / routes /
// rules through rtnetlink, gratuitous ARPs / unsolicited NAs, log lines in keepalived's wording,
// notifications handed to whoever listens. Every kernel operation goes through a port
// (src/net/ports.ts), so tests can wire in-memory ones.
import type { AddressEntry } from '../config/blocks/addresses.js';
import type { VrrpInstance } from '../config/blocks/vrrp.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../daemon/log.js';
import type { AddressManager, GarpSender, LinkEvent, LinkInfo, ReceivedPacket, VrrpSocket, VrrpTransport } from '../net/ports.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { advertSpecFromInstance, expectedFromInstance } from './advert-config.js';
import { internetChecksum } from './checksum.js';
import { paramsFromConfig, stripPrefix, type InstanceParams } from './instance-params.js';
import { VRRP_GROUP4, VRRP_GROUP6, type Family } from './ip.js';
import { decodeIpPacket, decodeVrrp, encodeAdvert, encodeVrrp, type DecodeResult, type ExpectedInstance, type RejectReason } from './packet.js';
import { trackerKey, type TrackerKind, type TrackerValue } from './priority.js';
import { evaluate } from './priority.js';
import {
  draft, initialState, step, type Advert, type Effect, type InstanceState, type TimerName, type VrrpEvent, type VrrpState,
} from './state-machine.js';
import { initialGroupState, stepGroup, type GroupState } from './sync-group.js';
import { setupVmac, teardownVmac, vmacSysctls, type VmacSysctls } from '../net/vmac.js';

const IPPROTO_AH = 51;
const IPPROTO_VRRP = 112;

export type NotifyEffect = Extract<Effect, { type: 'notify' | 'notify-group' | 'notify-priority' | 'notify-event' }>;

export interface EngineDeps {
  transport: VrrpTransport;
  addresses: AddressManager;
  garp: GarpSender;
  clock: Clock;
  log: Logger;
  /** Notifications (scripts, FIFOs) in the order the machine emitted them. */
  onNotify?: (e: NotifyEffect) => void;
  /** Every state change, for status and tests. */
  onTransition?: (t: TransitionRecord) => void;
  /** The /proc/sys writes VMACs need (tests root them in a temporary folder). */
  vmacSysctls?: VmacSysctls;
  /** -V / --dont-release-vrrp: leave VIPs, routes and rules in place on stop. */
  keepAddressesOnStop?: boolean;
}

export interface ReloadSummary {
  kept: string[];
  updated: string[];
  removed: string[];
  added: string[];
}

/** What must stay the same for an instance to keep its state across a reload. */
function identity(v: VrrpInstance, c: Config): string {
  const g = c.vrrp_sync_groups.find((x) => x.group.includes(v.name));
  return JSON.stringify([
    v.virtual_router_id, v.interface, v.family, v.version, v.use_vmac ?? null, v.vmac_xmit_base,
    v.unicast_peer.length > 0, v.authentication?.auth_type ?? 'none', v.mcast_dst_ip ?? null,
    v.unicast_src_ip ?? v.mcast_src_ip ?? null, g ? [g.name, ...g.group] : null,
  ]);
}

/** The same state under new parameters: the configured priority may have moved. */
function retune(s: InstanceState, params: InstanceParams): InstanceState {
  const d = draft(s);
  const view = evaluate(params.priority, params.trackers, d.trackers);
  return { ...d, params, basePriority: params.priority, effectivePriority: view.effective };
}

export interface TransitionRecord {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  priority: number;
  /** Wall-clock milliseconds. */
  at: number;
  cause: string;
}

/** Per-reason counts of packets dropped, plus the totals keepalived's stats dump shows. */
export interface EngineCounters {
  received: number;
  dropped: Partial<Record<RejectReason | 'unknown-vrid', number>>;
  sent: number;
  sendErrors: number;
}

type Unit = { kind: 'instance'; state: InstanceState } | { kind: 'group'; state: GroupState };

interface Runtime {
  readonly v: VrrpInstance;
  params: InstanceParams;
  /** Where adverts are sent and received (the VMAC unless vmac_xmit_base). */
  readonly xmitIf: string;
  /** Where VIPs without `dev` go (the VMAC when use_vmac). */
  readonly vipIf: string;
  readonly vmac?: { name: string; mac: string; parent: string };
  readonly socketKey: string;
  readonly expected: ExpectedInstance;
  ipId: number;
  ahSeq: number;
  /** Each VIP/eVIP address (no prefix) -> the interface it lives on. */
  readonly addrIf: Map<string, string>;
  readonly mtu: number;
  /** Built adverts by source, destination and priority (see advertBytes). */
  readonly adverts: Map<string, CachedAdvert>;
}

interface CachedAdvert {
  bytes: Uint8Array;
  to: string;
  ttl: number | undefined;
  ipv4: boolean;
}

interface SocketSlot {
  socket: VrrpSocket;
  family: Family;
  ifname: string;
}

const isNotify = (e: Effect): e is NotifyEffect =>
  e.type === 'notify' || e.type === 'notify-group' || e.type === 'notify-priority' || e.type === 'notify-event';

/** An instance's VIPs and eVIPs, in that order. */
function vipEntries(v: VrrpInstance): AddressEntry[] {
  return [...v.virtual_ipaddress, ...v.virtual_ipaddress_excluded];
}

function unitMembers(u: Unit): readonly InstanceState[] {
  return u.kind === 'instance' ? [u.state] : u.state.members;
}

/** The VRID byte of a received packet (after the IPv4 header and any AH header), if it is there. */
function vridOf(p: ReceivedPacket): number | undefined {
  const b = p.data;
  let off = 0;
  if (p.withIpHeader) {
    if (b.length < 20 || b[0]! >> 4 !== 4) return undefined;
    off = (b[0]! & 0x0f) * 4;
    if (b[9] === IPPROTO_AH) off += 24;
  }
  return off + 1 < b.length ? b[off + 1] : undefined;
}

/** keepalived's complaint for a dropped advert, where operators know its wording. */
function rejectMessage(name: string, r: Extract<DecodeResult, { ok: false }>, x: ExpectedInstance): string {
  const p = r.packet;
  switch (r.reason) {
    case 'auth-data': return `(${name}) received an invalid passwd!`;
    case 'ttl': return p && !x.unicast ? `(${name}) invalid TTL/HL. Received ${p.ttl} and expect 255` : `(${name}) ${r.detail}`;
    case 'version': return p ? `(${name}) wrong version. Received ${p.version} and expect ${x.version}` : `(${name}) ${r.detail}`;
    case 'interval':
      return p ? `(${name}) advertisement interval mismatch mine=${Math.trunc(x.intervalCs / 100)} sec rcv'd=${Math.trunc(p.intervalCs / 100)} sec` : `(${name}) ${r.detail}`;
    case 'address-count':
      return p ? `(${name}) received an unexpected ip number count ${p.count}, expected ${x.addresses?.length ?? 0}!` : `(${name}) ${r.detail}`;
    case 'address-list': {
      const missing = (x.addresses ?? []).find((a) => !p?.addresses.includes(a));
      return `(${name}) ip address associated with VRID ${p?.vrid ?? '?'} not present in MASTER advert : ${missing ?? '?'}`;
    }
    case 'unicast-source': return `(${name}) unicast source address ${p?.src ?? '?'} not a unicast peer`;
    default: return `(${name}) ${r.detail}`;
  }
}

export class VrrpEngine {
  private config!: Config;
  private units: Unit[] = [];
  private readonly unitOf = new Map<string, number>();
  private readonly rt = new Map<string, Runtime>();
  private readonly sockets = new Map<string, SocketSlot>();
  /** `${socketKey}|${vrid}` -> instance name. */
  private readonly channels = new Map<string, string>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly linkState = new Map<string, LinkInfo>();
  private running = false;
  private stopping = false;
  /** Masters whose priority-0 advert releaseMasters() already sent. */
  private readonly releasedEarly = new Set<string>();
  /** Tracker values set before or after start (scripts, files, processes). */
  private readonly trackerValues: Record<string, TrackerValue> = {};
  /** Effects are applied in order; kernel work is chained so a removal never overtakes an add. */
  private kernelQueue: Promise<unknown> = Promise.resolve();
  readonly counters: EngineCounters = { received: 0, dropped: {}, sent: 0, sendErrors: 0 };
  readonly lastTransition = new Map<string, TransitionRecord>();

  constructor(private readonly deps: EngineDeps) {}

  get instances(): readonly InstanceState[] {
    return this.units.flatMap((u) => [...unitMembers(u)]);
  }

  instance(name: string): InstanceState | undefined {
    return this.instances.find((s) => s.params.name === name);
  }

  /** Resolve interfaces, open sockets, clean up leftovers, and start every instance. */
  async start(config: Config): Promise<void> {
    this.config = config;
    const { addresses } = this.deps;
    for (const l of await addresses.links()) this.linkState.set(l.name, l);
    addresses.onLink((e) => this.onLink(e));
    for (const r of await this.prepare(config, config.vrrp_instances, [])) this.install(r);
    await this.openSockets();
    await this.removeLeftovers();
    this.buildUnits();
    this.running = true;
    const trackers = this.trackerSnapshot();
    const now = this.deps.clock.nowUs();
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, { type: 'start', now, trackers }, 'start');
    this.rehearse();
  }

  /**
   * V8 compiles a function the first time it runs. A backup's takeover runs code that has never
   * run in its process (the machine's master-down path, building its first advert), and on the
   * development VM compiling it put the new master's first advert ~1 ms behind keepalived's. So
   * the paths a transition takes are rehearsed at start and after a reload: on copies of the
   * states (the machine is pure), with the effects thrown away; and each instance's adverts, at
   * its priority and at 0, are built (and kept, as they would be on first use).
   */
  private rehearse(): void {
    // Hours on: a timer event before the deadline it is for is ignored as stale.
    const now = this.deps.clock.nowUs() + 3_600_000_000;
    const later = now + 3_600_000_000;
    const run = (u: Unit, events: readonly VrrpEvent[], instance: string): void => {
      let cur = u;
      for (const ev of events) {
        cur = cur.kind === 'instance'
          ? { kind: 'instance', state: step(cur.state, ev).state }
          : { kind: 'group', state: stepGroup(cur.state, ev, instance).state };
      }
    };
    for (const u of this.units) {
      for (const m of unitMembers(u)) {
        const p = m.params;
        const heard = (priority: number): VrrpEvent => ({
          type: 'advert', now,
          advert: { vrid: p.vrid, version: p.version, priority, intervalCs: Math.round(p.advertIntUs / 10_000), src: '0.0.0.0', addresses: [] },
        });
        // A few times over: V8 moves code that keeps running to its faster tiers.
        for (let i = 0; i < 3; i++) {
          run(u, [{ type: 'timer', now, timer: 'master-down' }, heard(255), { type: 'shutdown', now }], p.name);
          run(u, [heard(0), { type: 'timer', now: later, timer: 'master-down' }], p.name);
        }
        const r = this.rt.get(p.name);
        if (!r) continue;
        this.sendAdvert(p.name, m.effectivePriority, true);
        this.sendAdvert(p.name, 0, true);
        for (const [ifname, list] of this.garpByInterface(r, p.garpAddresses)) this.deps.garp.prepare?.(ifname, this.garpMac(r, ifname), list);
        for (const [dev, list] of this.byDevice(r, vipEntries(r.v))) this.deps.addresses.prepareAddresses?.(list, dev);
      }
    }
  }

  /**
   * Runtimes for `instances`: VMACs created first (nothing can bind to them before), source
   * addresses read, parameters built. `vmacsInUse`: VMAC names other instances keep.
   */
  private async prepare(config: Config, instances: readonly VrrpInstance[], vmacsInUse: readonly string[]): Promise<Runtime[]> {
    const { addresses, log } = this.deps;
    const primary = new Map<string, string | undefined>();
    const pending: { v: VrrpInstance; xmitIf: string; vipIf: string; vmac?: Runtime['vmac'] }[] = [];
    const vmacNamesInUse = [...vmacsInUse];
    for (const v of instances) {
      if (!v.interface || v.virtual_router_id === undefined) continue;
      let xmitIf = v.interface;
      let vipIf = v.interface;
      let vmac: Runtime['vmac'];
      if (v.use_vmac) {
        try {
          const made = await setupVmac(addresses, {
            vrid: v.virtual_router_id, family: v.family, parent: v.interface, name: v.use_vmac.interface,
            prefix: config.global_defs.vmac_prefix, namesInUse: vmacNamesInUse, xmitBase: v.vmac_xmit_base,
            evipOtherFamily: v.virtual_ipaddress_excluded.some((a) => a.family !== v.family),
            sourceAddress: v.unicast_src_ip ?? v.mcast_src_ip, mac: v.use_vmac.mac,
          }, this.deps.vmacSysctls ?? vmacSysctls);
          for (const w of made.warnings) log.info(`(${v.name}) ${w}`);
          vmacNamesInUse.push(made.name);
          this.linkState.set(made.name, made.link);
          vmac = { name: made.name, mac: made.mac, parent: v.interface };
          vipIf = made.name;
          if (!v.vmac_xmit_base) xmitIf = made.name;
        } catch (e) {
          log.error(`(${v.name}) cannot create VMAC on ${v.interface}: ${(e as Error).message}`);
        }
      }
      pending.push({ v, xmitIf, vipIf, vmac });
    }
    // A VMAC has no address of its own: IPv4 adverts carry the base interface's (as keepalived).
    const srcIf = (v: VrrpInstance, xmitIf: string): string => (v.family === 'inet' ? v.interface! : xmitIf);
    for (const { v, xmitIf } of pending) {
      const key = `${srcIf(v, xmitIf)}|${v.family}`;
      if (!primary.has(key)) primary.set(key, await this.primaryAddress(srcIf(v, xmitIf), v.family));
    }
    const out: Runtime[] = [];
    for (const { v, xmitIf, vipIf, vmac } of pending) {
      const sync = config.vrrp_sync_groups.find((g) => g.group.includes(v.name));
      const { params, problems } = paramsFromConfig(v, config.global_defs, {
        sync,
        primaryAddress: (_ifname, family) => primary.get(`${srcIf(v, xmitIf)}|${family}`),
      });
      for (const p of problems) log.error(p);
      if (!params) continue;
      const proto = v.version === 2 && v.family === 'inet' && v.authentication?.auth_type === 'AH' ? IPPROTO_AH : IPPROTO_VRRP;
      const socketKey = `${xmitIf}|${v.family}|${proto}`;
      const addrIf = new Map<string, string>();
      const entries: AddressEntry[] = vipEntries(v);
      for (const a of entries) addrIf.set(stripPrefix(a.address), a.dev ?? vipIf);
      const mtu = this.linkState.get(xmitIf)?.mtu ?? 1500;
      out.push({
        v, params, xmitIf, vipIf, vmac, socketKey, expected: expectedFromInstance(v, config.global_defs, mtu),
        ipId: 0, ahSeq: 0, addrIf, mtu, adverts: new Map(),
      });
    }
    return out;
  }

  private install(r: Runtime): void {
    this.rt.set(r.v.name, r);
    this.channels.set(`${r.socketKey}|${r.params.vrid}`, r.v.name);
  }

  /**
   * SIGHUP with a valid config: apply only the difference. An instance whose identity (VRID,
   * interface, family, version, VMAC, unicast/multicast, auth kind, sync group) is unchanged keeps
   * its state, timers and addresses; only VIPs, eVIPs, routes and rules that left or arrived are
   * touched (and only while it holds them). Removed instances go as keepalived removes them;
   * new ones start; changed identities are removed and started afresh.
   */
  async reload(config: Config): Promise<ReloadSummary> {
    const { log } = this.deps;
    const old = this.config;
    const summary: ReloadSummary = { kept: [], updated: [], removed: [], added: [] };
    const newByName = new Map(config.vrrp_instances.filter((v) => v.interface && v.virtual_router_id !== undefined).map((v) => [v.name, v]));
    const goes = new Set<string>();
    const now = (): number => this.deps.clock.nowUs();
    for (const [name, r] of this.rt) {
      const v = newByName.get(name);
      if (!v || identity(v, config) !== identity(r.v, old)) goes.add(name);
    }
    // A sync group goes and comes back whole when any member does.
    for (const name of [...goes]) {
      const g = this.unitFor(name);
      if (g?.kind === 'group') for (const m of g.state.members) goes.add(m.params.name);
    }
    for (const name of goes) {
      const ui = this.unitOf.get(name);
      if (ui === undefined) continue;
      const u = this.units[ui]!;
      if (u.kind === 'group' && u.state.members[0]!.params.name !== name) continue;
      this.stepUnit(ui, { type: 'remove', now: now() }, 'removed from the configuration');
    }
    for (const name of goes) {
      const r = this.rt.get(name)!;
      for (const k of [...this.timers.keys()]) if (k.startsWith(`${name}|`)) { this.timers.get(k)!.cancel(); this.timers.delete(k); }
      this.channels.delete(`${r.socketKey}|${r.params.vrid}`);
      this.rt.delete(name);
      if (r.vmac) {
        const vm = r.vmac;
        this.kernel(async () => {
          await teardownVmac(this.deps.addresses, { name: vm.name, family: r.v.family, parent: vm.parent }, this.deps.vmacSysctls ?? vmacSysctls);
        });
      }
      if (newByName.has(name)) summary.updated.push(name);
      else summary.removed.push(name);
    }
    await this.kernelQueue;

    // Kept instances: new parameters, the same state; only the address difference is applied.
    const states = new Map<string, InstanceState>();
    for (const u of this.units) for (const m of unitMembers(u)) if (this.rt.has(m.params.name)) states.set(m.params.name, m);
    this.config = config;
    for (const [name, r] of [...this.rt]) {
      const v = newByName.get(name)!;
      const next = this.rebuild(r, v, config);
      const st = states.get(name)!;
      const changed = this.applyDifference(r, next, st);
      this.rt.set(name, next);
      states.set(name, retune(st, next.params));
      if (changed) {
        summary.updated.push(name);
        log.info(`(${name}) configuration changed: ${changed}`);
      } else summary.kept.push(name);
    }
    const fresh = config.vrrp_instances.filter((v) => newByName.has(v.name) && !this.rt.has(v.name));
    const vmacsKept = [...this.rt.values()].flatMap((r) => (r.vmac ? [r.vmac.name] : []));
    const made = await this.prepare(config, fresh, vmacsKept);
    for (const r of made) {
      this.install(r);
      if (!summary.updated.includes(r.v.name)) summary.added.push(r.v.name);
    }
    await this.openSockets();
    this.closeUnusedSockets();
    this.buildUnits(states);
    const trackers = this.trackerSnapshot();
    for (let i = 0; i < this.units.length; i++) {
      const members = unitMembers(this.units[i]!);
      if (members.every((m) => m.state === 'INIT' && made.some((r) => r.v.name === m.params.name))) {
        this.stepUnit(i, { type: 'start', now: now(), trackers }, 'start (reload)');
      }
    }
    this.rehearse();
    return summary;
  }

  /** The kept instance's runtime for its new config (same interfaces, VMAC and socket). */
  private rebuild(r: Runtime, v: VrrpInstance, config: Config): Runtime {
    const sync = config.vrrp_sync_groups.find((g) => g.group.includes(v.name));
    const src = r.params.srcAddress;
    const { params } = paramsFromConfig(v, config.global_defs, { sync, primaryAddress: () => src });
    const addrIf = new Map<string, string>();
    for (const a of vipEntries(v)) addrIf.set(stripPrefix(a.address), a.dev ?? r.vipIf);
    const expected = expectedFromInstance(v, config.global_defs, r.mtu);
    if (r.expected.ahLastSeq !== undefined) expected.ahLastSeq = r.expected.ahLastSeq;
    return { ...r, v, params: params ?? r.params, expected, addrIf, adverts: new Map() };
  }

  /**
   * Apply what changed for an instance that keeps its state: while it holds its addresses (MASTER),
   * add the new ones (and announce them), remove the ones gone; routes and rules alike. Returns a
   * description of the change, or '' when nothing did.
   */
  private applyDifference(before: Runtime, after: Runtime, st: InstanceState): string {
    const key = (x: { pos?: unknown }): string => JSON.stringify({ ...x, pos: undefined });
    const diff = <T extends { pos?: unknown }>(a: readonly T[], b: readonly T[]): { added: T[]; removed: T[] } => {
      const ka = new Set(a.map(key));
      const kb = new Set(b.map(key));
      return { added: b.filter((x) => !ka.has(key(x))), removed: a.filter((x) => !kb.has(key(x))) };
    };
    const addrs = diff([...before.v.virtual_ipaddress, ...before.v.virtual_ipaddress_excluded], [...after.v.virtual_ipaddress, ...after.v.virtual_ipaddress_excluded]);
    const routes = diff(before.v.virtual_routes, after.v.virtual_routes);
    const rules = diff(before.v.virtual_rules, after.v.virtual_rules);
    const parts: string[] = [];
    if (addrs.added.length || addrs.removed.length) parts.push(`addresses +${addrs.added.length} -${addrs.removed.length}`);
    if (routes.added.length || routes.removed.length) parts.push(`routes +${routes.added.length} -${routes.removed.length}`);
    if (rules.added.length || rules.removed.length) parts.push(`rules +${rules.added.length} -${rules.removed.length}`);
    if (before.params.priority !== after.params.priority) parts.push(`priority ${before.params.priority} -> ${after.params.priority}`);
    if (key(before.v) !== key(after.v) && !parts.length) parts.push('settings');
    if (st.state !== 'MASTER' || !st.vipSet) return parts.join(', ');
    const { addresses, log } = this.deps;
    const name = after.v.name;
    this.kernel(async () => {
      const jobs: Promise<unknown>[] = [
        ...addrs.removed.map((a) => addresses.removeAddress(a, a.dev ?? before.vipIf)),
        ...addrs.added.map((a) => addresses.addAddress(a, a.dev ?? after.vipIf)),
      ];
      for (const res of await Promise.allSettled(jobs)) if (res.status === 'rejected') log.error(`(${name}) ${(res.reason as Error).message}`);
      for (const rt of routes.removed) await addresses.removeRoute(rt, rt.dev ?? before.vipIf).catch((e: Error) => log.error(`(${name}) ${e.message}`));
      for (const rt of routes.added) await addresses.addRoute(rt, rt.dev ?? after.vipIf).catch((e: Error) => log.error(`(${name}) ${e.message}`));
      for (const ru of rules.removed) await addresses.removeRule(ru).catch((e: Error) => log.error(`(${name}) ${e.message}`));
      for (const ru of rules.added) await addresses.addRule(ru).catch((e: Error) => log.error(`(${name}) ${e.message}`));
    });
    if (addrs.added.length) this.garp(name, addrs.added.map((a) => stripPrefix(a.address)), after.params.garpMasterRepeat);
    return parts.join(', ');
  }

  private unitFor(name: string): Unit | undefined {
    const ui = this.unitOf.get(name);
    return ui === undefined ? undefined : this.units[ui];
  }

  private closeUnusedSockets(): void {
    const used = new Set([...this.rt.values()].map((r) => r.socketKey));
    for (const [k, s] of this.sockets) {
      if (used.has(k)) continue;
      s.socket.close();
      this.sockets.delete(k);
    }
  }

  /**
   * SIGTERM's first act, as keepalived's restore_vrrp_interfaces(): every master sends priority 0
   * now, from bytes built ahead (rehearse), ahead of the rest of the stop (whose code has
   * never run yet and costs hundreds of microseconds the backups need not wait for). The shutdown
   * step's own priority-0 adverts are then not sent again. With -V (dont_release_vrrp) keepalived
   * releases nothing, priority 0 included; neither does keel.
   */
  releaseMasters(): void {
    if (!this.running || this.stopping) return;
    this.stopping = true;
    if (this.deps.keepAddressesOnStop) return;
    for (const u of this.units) {
      for (const m of unitMembers(u)) {
        if (m.state !== 'MASTER') continue;
        this.sendAdvert(m.params.name, 0);
        this.releasedEarly.add(m.params.name);
      }
    }
  }

  /** SIGTERM: priority 0 from every master, addresses released, STOP notified; then sockets closed. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const now = this.deps.clock.nowUs();
    this.releaseMasters();
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, { type: 'shutdown', now }, 'shutdown');
    this.running = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.kernelQueue.catch(() => undefined);
    for (const r of this.rt.values()) {
      if (r.vmac) {
        try {
          await teardownVmac(this.deps.addresses, { name: r.vmac.name, family: r.v.family, parent: r.vmac.parent }, this.deps.vmacSysctls ?? vmacSysctls);
        } catch (e) {
          this.deps.log.error(`(${r.v.name}) cannot remove VMAC ${r.vmac.name}: ${(e as Error).message}`);
        }
      }
    }
    for (const s of this.sockets.values()) s.socket.close();
    this.sockets.clear();
  }

  /** A tracked script, file, process (or BFD) changed: every instance tracking it re-evaluates. */
  setTracker(kind: TrackerKind, name: string, value: TrackerValue): void {
    this.trackerValues[trackerKey(kind, name)] = value;
    if (!this.running) return;
    const now = this.deps.clock.nowUs();
    const cause = `${kind} ${name} ${value === true ? 'up' : value === false ? 'down' : String(value)}`;
    for (let i = 0; i < this.units.length; i++) this.stepUnit(i, { type: 'tracker', now, kind, name, value }, cause);
  }

  // -------------------------------------------------------------------------------------------
  // Set-up.

  /** The address adverts carry: the interface's first IPv4 address, or its IPv6 link-local. */
  private async primaryAddress(ifname: string, family: Family): Promise<string | undefined> {
    try {
      const list = await this.deps.addresses.addresses(ifname);
      const mine = list.filter((a) => a.family === family);
      if (family === 'inet') return mine[0]?.address;
      return mine.find((a) => a.address.toLowerCase().startsWith('fe80'))?.address;
    } catch {
      return undefined;
    }
  }

  private async openSockets(): Promise<void> {
    const { transport, log } = this.deps;
    const g = this.config.global_defs;
    const wanted = new Map<string, { family: Family; ifname: string; protocol: number; groups: Set<string> }>();
    for (const r of this.rt.values()) {
      const [ifname, family, proto] = r.socketKey.split('|') as [string, Family, string];
      let w = wanted.get(r.socketKey);
      if (!w) {
        w = { family, ifname, protocol: Number(proto), groups: new Set() };
        wanted.set(r.socketKey, w);
      }
      if (r.v.unicast_peer.length === 0) {
        w.groups.add(r.v.mcast_dst_ip ?? (family === 'inet' ? g.vrrp_mcast_group4 ?? VRRP_GROUP4 : g.vrrp_mcast_group6 ?? VRRP_GROUP6));
      }
    }
    for (const [key, w] of wanted) {
      if (this.sockets.has(key)) continue;
      try {
        const socket = await transport.open({ family: w.family, interface: w.ifname, groups: [...w.groups], protocol: w.protocol });
        socket.onPacket((p) => this.onPacket(key, p));
        socket.onError((e) => log.detail(`VRRP socket on ${w.ifname}: ${e.message}`));
        this.sockets.set(key, { socket, family: w.family, ifname: w.ifname });
      } catch (e) {
        log.error(`cannot open VRRP socket on ${w.ifname}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * A keel killed with SIGKILL leaves its VIPs behind. Every instance starts as BACKUP (or INIT),
   * so whatever of its addresses is on an interface now is stale and would answer ARP for a master
   * elsewhere: remove it. An instance that becomes MASTER adds them back.
   */
  private async removeLeftovers(): Promise<void> {
    const { addresses, log } = this.deps;
    let present: Set<string>;
    try {
      present = new Set((await addresses.addresses()).map((a) => `${a.ifindex}|${a.address}`));
    } catch {
      return;
    }
    for (const r of this.rt.values()) {
      for (const a of vipEntries(r.v)) {
        const ifname = a.dev ?? r.vipIf;
        const idx = this.linkState.get(ifname)?.index;
        if (idx === undefined || !present.has(`${idx}|${stripPrefix(a.address)}`)) continue;
        try {
          await addresses.removeAddress(a, ifname);
          log.info(`(${r.v.name}) removed leftover address ${a.address} from ${ifname}`);
        } catch (e) {
          log.error(`(${r.v.name}) ${(e as Error).message}`);
        }
      }
    }
  }

  /** Units in configuration order; `kept` carries the states of instances a reload keeps. */
  private buildUnits(kept?: Map<string, InstanceState>): void {
    const oldGroups = new Map<string, GroupState>();
    for (const u of this.units) if (u.kind === 'group') oldGroups.set(u.state.params.name, u.state);
    this.units = [];
    this.unitOf.clear();
    const placed = new Set<string>();
    for (const v of this.config.vrrp_instances) {
      const r = this.rt.get(v.name);
      if (!r) continue;
      const g = this.config.vrrp_sync_groups.find((sg) => sg.group.includes(v.name));
      if (!g) {
        this.unitOf.set(v.name, this.units.length);
        this.units.push({ kind: 'instance', state: kept?.get(v.name) ?? initialState(r.params) });
        continue;
      }
      if (placed.has(g.name)) continue;
      placed.add(g.name);
      const members = g.group.map((n) => this.rt.get(n)?.params).filter((p): p is InstanceParams => !!p);
      for (const m of members) this.unitOf.set(m.name, this.units.length);
      const prev = oldGroups.get(g.name);
      const states = members.map((m) => kept?.get(m.name));
      if (prev && states.every((x) => x !== undefined)) {
        this.units.push({ kind: 'group', state: { ...prev, members: states as InstanceState[] } });
      } else {
        this.units.push({ kind: 'group', state: initialGroupState(g.name, members) });
      }
    }
  }

  /** The current value of every interface tracker (address trackers: no source address yet). */
  private trackerSnapshot(): Record<string, TrackerValue> {
    const out: Record<string, TrackerValue> = { ...this.trackerValues };
    for (const r of this.rt.values()) {
      for (const t of r.params.trackers) {
        if (t.kind === 'interface') out[trackerKey('interface', t.name)] = this.linkUp(t.name);
        else if (t.kind === 'address') out[trackerKey('address', t.name)] = false;
      }
    }
    return out;
  }

  private linkUp(name: string): boolean {
    const l = this.linkState.get(name);
    return !!l && l.up && l.running;
  }

  // -------------------------------------------------------------------------------------------
  // Inputs.

  private onPacket(socketKey: string, p: ReceivedPacket): void {
    if (!this.running) return;
    // The advert's time is its arrival, before decoding: a master-down timer starts from it, as
    // keepalived's starts from the time its loop woke.
    const arrived = this.deps.clock.nowUs();
    this.counters.received++;
    // The VRID is read straight from the bytes to pick the instance; the packet is then decoded
    // once, with that instance's expectations (a packet too short for a VRID is decoded plainly
    // only to name why).
    const meta = { family: p.family, src: p.src, dst: p.dst, ttl: p.ttl };
    const decode = (opts?: { expect: ExpectedInstance }): DecodeResult => (p.withIpHeader ? decodeIpPacket(p.data, opts) : decodeVrrp(p.data, meta, opts));
    const vrid = vridOf(p);
    if (vrid === undefined) {
      const d = decode();
      this.drop(d.ok ? 'truncated' : d.reason);
      return;
    }
    const name = this.channels.get(`${socketKey}|${vrid}`);
    if (name === undefined) {
      this.drop('unknown-vrid');
      return;
    }
    const r = this.rt.get(name)!;
    const d = decode({ expect: r.expected });
    if (!d.ok) {
      this.drop(d.reason);
      this.deps.log.info(rejectMessage(name, d, r.expected));
      return;
    }
    const pkt = d.packet;
    if (pkt.ah) r.expected.ahLastSeq = pkt.ah.seq;
    const advert: Advert = {
      vrid: pkt.vrid, version: pkt.version as 2 | 3, priority: pkt.priority, intervalCs: pkt.intervalCs,
      src: pkt.src, addresses: pkt.addresses,
    };
    const ui = this.unitOf.get(name);
    if (ui !== undefined) this.stepUnit(ui, { type: 'advert', now: arrived, advert }, `advert from ${pkt.src} priority ${pkt.priority}`, name);
  }

  private drop(reason: RejectReason | 'unknown-vrid'): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
  }

  private onLink(e: LinkEvent): void {
    const before = this.linkUp(e.link.name);
    const oldIndex = this.linkState.get(e.link.name)?.index;
    if (e.type === 'del') this.linkState.delete(e.link.name);
    else this.linkState.set(e.link.name, e.link);
    const after = this.linkUp(e.link.name);
    if (!this.running) return;
    // Recreated under the same name: sockets bound to the old index are dead; open them again.
    if (e.type === 'new' && oldIndex !== undefined && oldIndex !== e.link.index) void this.reopen(e.link.name);
    if (e.type === 'new' && oldIndex === undefined) void this.reopen(e.link.name);
    if (before === after) return;
    this.deps.log.info(`Netlink reports ${e.link.name} ${after ? 'up' : 'down'}`);
    const now = this.deps.clock.nowUs();
    for (let i = 0; i < this.units.length; i++) {
      this.stepUnit(i, { type: 'interface', now, name: e.link.name, up: after }, `interface ${e.link.name} ${after ? 'up' : 'down'}`);
    }
  }

  private async reopen(ifname: string): Promise<void> {
    const stale = [...this.sockets.entries()].filter(([, s]) => s.ifname === ifname);
    if (!stale.length && ![...this.rt.values()].some((r) => r.xmitIf === ifname)) return;
    for (const [k, s] of stale) {
      s.socket.close();
      this.sockets.delete(k);
    }
    await this.openSockets();
  }

  // -------------------------------------------------------------------------------------------
  // Stepping and effects.

  private stepUnit(ui: number, ev: VrrpEvent, cause: string, instance?: string): void {
    const u = this.units[ui]!;
    const before = unitMembers(u).map((s) => ({ name: s.params.name, state: s.state }));
    let effects: readonly Effect[];
    if (u.kind === 'instance') {
      const r = step(u.state, ev);
      this.units[ui] = { kind: 'instance', state: r.state };
      effects = r.effects;
    } else {
      const r = stepGroup(u.state, ev, instance);
      this.units[ui] = { kind: 'group', state: r.state };
      effects = r.effects;
    }
    // Adverts leave first: the moment a new master announces itself (or a stopping one gives up)
    // is what the peers time, and logging, status messages and kernel work can follow it.
    for (const e of effects) {
      if (e.type !== 'advert') continue;
      if (e.priority === 0 && this.stopping && (this.deps.keepAddressesOnStop || this.releasedEarly.delete(e.instance))) continue;
      this.sendAdvert(e.instance, e.priority);
    }
    const after = unitMembers(this.units[ui]!);
    for (let i = 0; i < after.length; i++) {
      const a = before[i]!;
      const b = after[i]!;
      if (a.state === b.state) continue;
      const rec: TransitionRecord = { instance: a.name, from: a.state, to: b.state, priority: b.effectivePriority, at: this.deps.clock.wallMs(), cause };
      this.lastTransition.set(a.name, rec);
      this.deps.onTransition?.(rec);
    }
    this.apply(effects);
  }

  private apply(effects: readonly Effect[]): void {
    const { log } = this.deps;
    for (const e of effects) {
      switch (e.type) {
        case 'log':
          if (e.detail) log.detail(e.message);
          else log.info(e.message);
          break;
        case 'advert':
          break; // sent first, in stepUnit
        case 'timer':
          this.timer(e.instance, e.timer, e.action === 'set' ? e.at : null);
          break;
        case 'addresses':
        case 'routes':
        case 'rules':
          if (this.stopping && this.deps.keepAddressesOnStop && e.action === 'remove') break;
          if (e.type === 'addresses') this.addresses(e.instance, e.action);
          else if (e.type === 'routes') this.routes(e.instance, e.action);
          else this.rules(e.instance, e.action);
          break;
        case 'garp':
          this.garp(e.instance, e.addresses, e.repeat);
          break;
        default:
          if (isNotify(e)) this.deps.onNotify?.(e);
      }
    }
  }

  private timer(instance: string, name: TimerName, at: number | null): void {
    const slot = name === 'master-down' || name === 'advert' ? 'main' : name;
    const key = `${instance}|${slot}`;
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
    if (at === null || !this.running) return;
    // A backup's master-down deadline is the takeover the peers and the protocol bound time; it
    // rarely fires (each advert heard moves it), so it can afford to be punctual.
    this.timers.set(key, this.deps.clock.at(at, () => {
      this.timers.delete(key);
      if (!this.running) return;
      const ui = this.unitOf.get(instance);
      if (ui !== undefined) this.stepUnit(ui, { type: 'timer', now: this.deps.clock.nowUs(), timer: name }, `timer ${name}`, instance);
    }, name === 'master-down'));
  }

  /** `rehearsal`: build the adverts (and have V8 compile this) without sending or counting. */
  private sendAdvert(instance: string, priority: number, rehearsal = false): void {
    const r = this.rt.get(instance);
    const slot = r && this.sockets.get(r.socketKey);
    if (!r || !slot) return;
    const src = r.params.srcAddress;
    if (!src) {
      if (!rehearsal) this.deps.log.info(`No address yet for ${r.xmitIf}`);
      return;
    }
    const dsts = r.v.unicast_peer.length ? r.v.unicast_peer.map((p) => p.address) : [undefined];
    if (rehearsal) {
      for (const dst of dsts) this.advertBytes(r, instance, src, priority, dst);
      return;
    }
    // keepalived numbers IPv4 ids (never 0) and AH sequence numbers per instance, once per advert.
    r.ipId = (r.ipId % 0xffff) + 1;
    r.ahSeq++;
    for (const dst of dsts) {
      const a = this.advertBytes(r, instance, src, priority, dst);
      if (!a) return;
      this.counters.sent++;
      slot.socket.send(a.bytes, a.to, { src, ...(a.ttl !== undefined ? { ttl: a.ttl } : {}) }).catch((e: Error) => {
        this.counters.sendErrors++;
        this.deps.log.info(`(${instance}) Cant send advert to ${a.to} (${e.message})`);
      });
    }
  }

  /**
   * The advert to send. Built once per instance, source, destination and priority and kept (a
   * master sends the same bytes every interval): only the IPv4 id changes, patched in place with
   * the header checksum. AH adverts are built every time (the sequence number and ICV change).
   * The cache lives on the Runtime, which a reload replaces.
   */
  private advertBytes(r: Runtime, instance: string, src: string, priority: number, dst: string | undefined): CachedAdvert | undefined {
    const key = `${src}|${dst ?? ''}|${priority}`;
    const ah = r.v.authentication?.auth_type === 'AH';
    let a = ah ? undefined : r.adverts.get(key);
    if (!a) {
      const spec = advertSpecFromInstance(r.v, {
        src, priority, dst, ipId: r.ipId, ahSeq: r.ahSeq, mtu: r.mtu, global: this.config.global_defs,
      });
      const enc = r.v.family === 'inet' ? encodeAdvert(spec) : encodeVrrp(spec);
      if (!enc.ok) {
        this.deps.log.error(`(${instance}) cannot build advert: ${enc.error}`);
        return undefined;
      }
      // IPv6 unicast without unicast_ttl: the kernel's default hop limit, as keepalived leaves it.
      const ttl = r.v.family === 'inet6' && r.v.unicast_peer.length && r.v.unicast_ttl === undefined ? undefined : spec.ttl;
      a = { bytes: enc.bytes, to: spec.dst ?? (r.v.family === 'inet' ? VRRP_GROUP4 : VRRP_GROUP6), ttl, ipv4: r.v.family === 'inet' };
      if (!ah) r.adverts.set(key, a);
      return a;
    }
    if (a.ipv4) {
      const b = a.bytes;
      b[4] = (r.ipId >> 8) & 0xff;
      b[5] = r.ipId & 0xff;
      b[10] = 0;
      b[11] = 0;
      const c = internetChecksum(b, 0, (b[0]! & 0x0f) * 4);
      b[10] = c >> 8;
      b[11] = c & 0xff;
    }
    return a;
  }

  /** Kernel work runs in order, one change after another, never blocking the timers. */
  private kernel(job: () => Promise<void>): void {
    this.kernelQueue = this.kernelQueue.then(job).catch((e: Error) => this.deps.log.error(e.message));
  }

  private addresses(instance: string, action: 'add' | 'remove'): void {
    const r = this.rt.get(instance);
    if (!r) return;
    const { addresses, log } = this.deps;
    const entries = vipEntries(r.v);
    this.kernel(async () => {
      // One call per interface: the netlink socket sends the lot at once (1,000 VIPs must not take
      // 1,000 round trips in series).
      const byDev = this.byDevice(r, entries);
      const outcomes = await Promise.all([...byDev].map(([dev, list]) => addresses.changeAddresses(list, dev, action === 'add' ? 'add' : 'del')));
      for (const o of outcomes.flat()) if (o instanceof Error) log.error(`(${instance}) ${o.message}`);
    });
  }

  /** Address entries grouped by the interface they go on: their `dev`, else the instance's. */
  private byDevice(r: Runtime, entries: readonly AddressEntry[]): Map<string, AddressEntry[]> {
    const byDev = new Map<string, AddressEntry[]>();
    for (const a of entries) {
      const dev = a.dev ?? r.vipIf;
      const l = byDev.get(dev);
      if (l) l.push(a);
      else byDev.set(dev, [a]);
    }
    return byDev;
  }

  private routes(instance: string, action: 'add' | 'remove'): void {
    const r = this.rt.get(instance);
    if (!r) return;
    const { addresses, log } = this.deps;
    this.kernel(async () => {
      for (const rt of r.v.virtual_routes) {
        try {
          if (action === 'add') await addresses.addRoute(rt, rt.dev ?? r.vipIf);
          else await addresses.removeRoute(rt, rt.dev ?? r.vipIf);
        } catch (e) {
          log.error(`(${instance}) ${(e as Error).message}`);
        }
      }
    });
  }

  private rules(instance: string, action: 'add' | 'remove'): void {
    const r = this.rt.get(instance);
    if (!r) return;
    const { addresses, log } = this.deps;
    this.kernel(async () => {
      for (const rule of r.v.virtual_rules) {
        try {
          if (action === 'add') await addresses.addRule(rule);
          else await addresses.removeRule(rule);
        } catch (e) {
          log.error(`(${instance}) ${(e as Error).message}`);
        }
      }
    });
  }

  /** vrrp_garp_interval / vrrp_gna_interval, or the garp_group naming the interface. */
  private garpSpacing(ifname: string): { garpIntervalMs?: number; gnaIntervalMs?: number } {
    const g = this.config.global_defs;
    const grp = this.config.garp_groups.find((x) => x.interfaces?.includes(ifname));
    const garp = grp?.garp_interval ?? g.vrrp_garp_interval;
    const gna = grp?.gna_interval ?? g.vrrp_gna_interval;
    return { ...(garp ? { garpIntervalMs: garp * 1000 } : {}), ...(gna ? { gnaIntervalMs: gna * 1000 } : {}) };
  }

  /** The addresses to announce grouped by the interface they are announced on. */
  private garpByInterface(r: Runtime, addrs: readonly string[]): Map<string, string[]> {
    const byIf = new Map<string, string[]>();
    for (const a of addrs) {
      const ifname = r.addrIf.get(a) ?? r.vipIf;
      let l = byIf.get(ifname);
      if (!l) byIf.set(ifname, (l = []));
      l.push(a);
    }
    return byIf;
  }

  /** Announcements go from the VMAC's MAC on a VMAC, else the interface's. */
  private garpMac(r: Runtime, ifname: string): string | undefined {
    return r.vmac && ifname === r.vmac.name ? r.vmac.mac : this.linkState.get(ifname)?.mac;
  }

  private garp(instance: string, addrs: readonly string[], repeat: number): void {
    const r = this.rt.get(instance);
    if (!r || repeat <= 0 || !addrs.length) return;
    const byIf = this.garpByInterface(r, addrs);
    for (const [ifname, list] of byIf) {
      for (const a of list) {
        const kind = a.includes(':') ? 'Unsolicited Neighbour Adverts' : 'gratuitous ARPs';
        this.deps.log.detail(`(${instance}) Sending/queueing ${kind} on ${ifname} for ${a}`);
      }
    }
    // Sent once the addresses are in place (after the kernel work queued so far); later kernel
    // work does not wait for a slow, spaced-out announcement.
    void this.kernelQueue.then(async () => {
      for (const [ifname, list] of byIf) {
        const mac = this.garpMac(r, ifname);
        try {
          await this.deps.garp.announce(ifname, mac, list, repeat, this.garpSpacing(ifname));
        } catch (e) {
          this.deps.log.error(`(${instance}) cannot send gratuitous ARPs on ${ifname}: ${(e as Error).message}`);
        }
      }
    });
  }
}
