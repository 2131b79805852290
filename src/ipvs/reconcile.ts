// Desired IPVS table vs the kernel's: the fewest commands that turn one into the other, and
// their application through an IpvsClient. Planning is pure; applying only sends the plan.
//
// Rules:
// - an entry that already matches is never touched; a changed weight (or method, thresholds,
//   tunnel) is one SET_DEST; a changed scheduler/flags/persistence one SET_SERVICE;
// - services in the kernel that keel does not own (not desired now and not in `owned`, what keel
//   programmed before) are left alone; inside a desired service keel owns every destination;
// - order: services are created first, then destinations added and edited, and only then the old
//   destinations and services removed, so that a service is never without destinations longer
//   than it has to be.
import type { Config } from '../config/types.js';
import type { IpvsClient, KernelTable } from './client.js';
import { IpvsError } from './client.js';
import type { KernelFwd, SyncDaemon } from './codec.js';
import { destKeyText, serviceKeyText, type IpvsDest, type IpvsService, type IpvsTable, type ServiceKey } from './table.js';

export type Op =
  | { op: 'addService'; service: Omit<IpvsService, 'dests'> }
  | { op: 'editService'; service: Omit<IpvsService, 'dests'> }
  | { op: 'delService'; key: ServiceKey }
  | { op: 'addDest'; key: ServiceKey; dest: IpvsDest }
  | { op: 'editDest'; key: ServiceKey; dest: IpvsDest }
  | { op: 'delDest'; key: ServiceKey; dest: Pick<IpvsDest, 'family' | 'address' | 'port'> };

/** The phases, in the order they are applied; the commands within one phase are independent. */
export const PHASES: Op['op'][][] = [['addService', 'editService'], ['addDest', 'editDest'], ['delDest'], ['delService']];

/** A service's identity as a map key (family matters for fwmarks; addresses are canonical). */
export function serviceId(k: ServiceKey): string {
  return k.kind === 'fwmark' ? `fwm|${k.family}|${k.fwmark}` : `${k.protocol}|${k.family}|${k.address}|${k.port}`;
}
function destId(d: Pick<IpvsDest, 'family' | 'address' | 'port'>): string {
  return `${d.family}|${d.address}|${d.port}`;
}

function serviceSame(a: Omit<IpvsService, 'dests'>, b: Omit<IpvsService, 'dests'>): boolean {
  return a.scheduler === b.scheduler && a.flags === b.flags && a.timeout === b.timeout && a.netmask === b.netmask && (a.pe ?? '') === (b.pe ?? '');
}

/**
 * The table as it is: a kernel dump, or — on a reload of a running keel — the table keel last
 * programmed (then no kernel read is needed to find the one changed server).
 */
export interface ActualTable {
  services: (Omit<IpvsService, 'dests'> & { dests: (Omit<IpvsDest, 'method'> & { method: KernelFwd })[] })[];
}
type ActualService = ActualTable['services'][number];
type ActualDest = ActualService['dests'][number];

function destSame(want: IpvsDest, have: ActualDest): boolean {
  return want.method === have.method && want.weight === have.weight && want.uthreshold === have.uthreshold && want.lthreshold === have.lthreshold
    && want.tunnelType === have.tunnelType && want.tunnelPort === have.tunnelPort && want.tunnelCsum === have.tunnelCsum;
}

function stripService(s: IpvsService | ActualService): Omit<IpvsService, 'dests'> {
  const o: Omit<IpvsService, 'dests'> = { key: s.key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask };
  if (s.pe) o.pe = s.pe;
  return o;
}

/**
 * The commands that turn `actual` into `desired`. `owned`: keys of services keel programmed
 * before (e.g. the previous config's table); those absent from `desired` are deleted.
 */
export function planReconcile(desired: IpvsTable, actual: ActualTable | KernelTable, owned: Iterable<ServiceKey> = []): Op[] {
  const have = new Map<string, ActualService>();
  for (const s of actual.services) have.set(serviceId(s.key), s);
  const want = new Map<string, IpvsService>();
  for (const s of desired.services) {
    const id = serviceId(s.key);
    const prev = want.get(id);
    // Two config entries for one kernel service: the later destinations join the first's.
    if (prev) want.set(id, { ...prev, dests: mergeDests(prev.dests, s.dests) });
    else want.set(id, s);
  }
  const ops: Op[] = [];
  const dels: Op[] = [];
  for (const [id, w] of want) {
    const h = have.get(id);
    if (!h) {
      ops.push({ op: 'addService', service: stripService(w) });
      for (const d of w.dests) ops.push({ op: 'addDest', key: w.key, dest: d });
      continue;
    }
    if (!serviceSame(stripService(w), stripService(h))) ops.push({ op: 'editService', service: stripService(w) });
    // The destinations in the same order on both sides (a reload planned against the table keel
    // last programmed) are compared pair by pair; from the first difference on, by address.
    let i = 0;
    const n = Math.min(w.dests.length, h.dests.length);
    for (; i < n; i++) {
      const d = w.dests[i]!;
      const cur = h.dests[i]!;
      if (d.port !== cur.port || d.address !== cur.address || d.family !== cur.family) break;
      if (!destSame(d, cur)) ops.push({ op: 'editDest', key: w.key, dest: d });
    }
    if (i === w.dests.length && i === h.dests.length) continue;
    const hd = new Map<string, ActualDest>();
    for (let j = i; j < h.dests.length; j++) hd.set(destId(h.dests[j]!), h.dests[j]!);
    const wanted = new Set<string>();
    for (let j = i; j < w.dests.length; j++) {
      const d = w.dests[j]!;
      const id2 = destId(d);
      wanted.add(id2);
      const cur = hd.get(id2);
      if (!cur) ops.push({ op: 'addDest', key: w.key, dest: d });
      else if (!destSame(d, cur)) ops.push({ op: 'editDest', key: w.key, dest: d });
    }
    for (let j = i; j < h.dests.length; j++) {
      const d = h.dests[j]!;
      if (!wanted.has(destId(d))) dels.push({ op: 'delDest', key: w.key, dest: { family: d.family, address: d.address, port: d.port } });
    }
  }
  const ownedIds = new Set<string>();
  for (const k of owned) ownedIds.add(serviceId(k));
  for (const [id, h] of have) {
    if (!want.has(id) && ownedIds.has(id)) dels.push({ op: 'delService', key: h.key });
  }
  const all = [...ops, ...dels];
  return PHASES.flatMap((p) => all.filter((o) => p.includes(o.op)));
}

function mergeDests(a: IpvsDest[], b: IpvsDest[]): IpvsDest[] {
  const out = [...a];
  for (const d of b) {
    const i = out.findIndex((x) => destId(x) === destId(d));
    if (i === -1) out.push(d);
    else out[i] = d;
  }
  return out;
}

/** One line per command, for logs and --dry-run style output. */
export function describeOp(o: Op): string {
  switch (o.op) {
    case 'addService': return `add service ${serviceKeyText(o.service.key)} (${o.service.scheduler})`;
    case 'editService': return `edit service ${serviceKeyText(o.service.key)} (${o.service.scheduler})`;
    case 'delService': return `delete service ${serviceKeyText(o.key)}`;
    case 'addDest': return `add ${destKeyText(o.dest)} weight ${o.dest.weight} to ${serviceKeyText(o.key)}`;
    case 'editDest': return `set ${destKeyText(o.dest)} weight ${o.dest.weight} in ${serviceKeyText(o.key)}`;
    case 'delDest': return `delete ${destKeyText(o.dest)} from ${serviceKeyText(o.key)}`;
  }
}

export interface ApplyResult {
  /** Commands the kernel accepted (or found already done). */
  applied: number;
  /** Commands the kernel refused; the rest of the plan still ran. */
  errors: Error[];
}

function send(c: IpvsClient, o: Op): Promise<void> {
  switch (o.op) {
    case 'addService': return c.addService(o.service);
    case 'editService': return c.editService(o.service);
    case 'delService': return c.delService(o.key);
    case 'addDest': return c.addDest(o.key, o.dest);
    case 'editDest': return c.editDest(o.key, o.dest);
    case 'delDest': return c.delDest(o.key, o.dest);
  }
}

/** An add that finds the entry there, or a delete that finds it gone, has nothing left to do (as keepalived treats them). */
function alreadyDone(o: Op, e: unknown): boolean {
  if (!(e instanceof IpvsError)) return false;
  if (e.code === 'EEXIST') return o.op === 'addService' || o.op === 'addDest';
  if (e.code === 'ENOENT' || e.code === 'ESRCH') return o.op === 'delService' || o.op === 'delDest';
  return false;
}

/** Send the plan phase by phase; within a phase the commands are pipelined. */
export async function applyPlan(c: IpvsClient, ops: Op[]): Promise<ApplyResult> {
  const res: ApplyResult = { applied: 0, errors: [] };
  for (const phase of PHASES) {
    const batch = ops.filter((o) => phase.includes(o.op));
    if (!batch.length) continue;
    const errors = c.changeMany
      ? await c.changeMany(batch)
      : (await Promise.allSettled(batch.map((o) => send(c, o)))).map((s) => (s.status === 'fulfilled' ? undefined : s.reason instanceof Error ? s.reason : new Error(String(s.reason))));
    errors.forEach((e, i) => {
      if (!e || alreadyDone(batch[i]!, e)) res.applied++;
      else res.errors.push(e);
    });
  }
  return res;
}

/** Read the kernel's table, plan, apply. */
export async function reconcile(c: IpvsClient, desired: IpvsTable, owned: Iterable<ServiceKey> = []): Promise<ApplyResult & { plan: Op[] }> {
  const actual = await c.dump();
  const plan = planReconcile(desired, actual, owned);
  return { plan, ...(await applyPlan(c, plan)) };
}

// ---------------------------------------------------------------------------------------------
// Start-up, stop and the global_defs lvs_* settings.

/**
 * Start-up: lvs_flush empties the table first (keepalived does it on start, not on reload);
 * lvs_timeouts are set when any is given; then the table is reconciled.
 */
export async function startIpvs(c: IpvsClient, config: Config, desired: IpvsTable, opts: { reload?: boolean; owned?: Iterable<ServiceKey> } = {}): Promise<ApplyResult & { plan: Op[] }> {
  const g = config.global_defs;
  const errors: Error[] = [];
  if (!opts.reload && g.lvs_flush) {
    try { await c.flush(); } catch (e) { errors.push(e as Error); }
  }
  const t = g.lvs_timeouts;
  if (t && (t.tcp || t.tcpfin || t.udp)) {
    try { await c.setTimeouts({ tcp: t.tcp ?? 0, tcpfin: t.tcpfin ?? 0, udp: t.udp ?? 0 }); } catch (e) { errors.push(e as Error); }
  }
  const r = await reconcile(c, desired, opts.owned ?? []);
  return { ...r, errors: [...errors, ...r.errors] };
}

/**
 * Stop: lvs_flush_on_stop full flushes the whole table; VS deletes keel's services; none
 * (keepalived's default) removes keel's destinations and then its services, one by one.
 */
export async function stopIpvs(c: IpvsClient, config: Config, programmed: IpvsTable): Promise<ApplyResult> {
  const mode = config.global_defs.lvs_flush_on_stop;
  if (mode === 'full') {
    try { await c.flush(); return { applied: 1, errors: [] }; } catch (e) { return { applied: 0, errors: [e as Error] }; }
  }
  const ops: Op[] = [];
  if (mode === 'none') {
    for (const s of programmed.services) for (const d of s.dests) ops.push({ op: 'delDest', key: s.key, dest: d });
  }
  const seen = new Set<string>();
  for (const s of programmed.services) {
    const id = serviceId(s.key);
    if (!seen.has(id)) { seen.add(id); ops.push({ op: 'delService', key: s.key }); }
  }
  return applyPlan(c, ops);
}

/** The sync daemon lvs_sync_daemon asks for in this VRRP state (undefined: none configured). */
export function syncDaemonOf(config: Config, state: SyncDaemon['state']): SyncDaemon | undefined {
  const d = config.global_defs.lvs_sync_daemon;
  if (!d) return undefined;
  const s: SyncDaemon = { state, interface: d.interface, syncId: d.id ?? 0 };
  if (d.maxlen !== undefined) s.maxlen = d.maxlen;
  if (d.group !== undefined) s.group = d.group;
  if (d.port !== undefined) s.port = d.port;
  if (d.ttl !== undefined) s.ttl = d.ttl;
  return s;
}

/**
 * On a VRRP transition of the sync daemon's instance: stop the daemon of the other role and
 * start this one (keepalived's ipvs_syncd_master/backup). A daemon not running is not an error.
 */
export async function setSyncDaemonState(c: IpvsClient, config: Config, state: SyncDaemon['state']): Promise<Error[]> {
  const d = syncDaemonOf(config, state);
  if (!d) return [];
  const errors: Error[] = [];
  const other: SyncDaemon['state'] = state === 'master' ? 'backup' : 'master';
  const running = await c.listDaemons().catch(() => [] as SyncDaemon[]);
  if (running.some((r) => r.state === other)) {
    try { await c.stopDaemon(other); } catch (e) { errors.push(e as Error); }
  }
  const cur = running.find((r) => r.state === state);
  if (cur && (cur.interface !== d.interface || cur.syncId !== d.syncId)) {
    try { await c.stopDaemon(state); } catch (e) { errors.push(e as Error); }
  } else if (cur) {
    return errors;
  }
  try { await c.startDaemon(d); } catch (e) { errors.push(e as Error); }
  return errors;
}

/** Stop both sync daemons (keel stopping). */
export async function stopSyncDaemons(c: IpvsClient): Promise<Error[]> {
  const errors: Error[] = [];
  for (const r of await c.listDaemons().catch(() => [] as SyncDaemon[])) {
    try { await c.stopDaemon(r.state); } catch (e) { errors.push(e as Error); }
  }
  return errors;
}
