// The VRRP state machine of one instance, pure: `step(state, event) -> { state, effects }`.
//
// It reproduces keepalived 2.2.7 (vrrp.c, vrrp_scheduler.c, vrrp_track.c): the same states, the
// same timers to the microsecond, the same decisions on every advert and the same log lines.
// It never reads a clock or a socket. Every event carries the current time (`now`, integer
// microseconds); timers are effects the caller arms and feeds back as `timer` events.
//
// Timers. An instance has one main timer, as keepalived has one `sands` per instance: named
// 'master-down' while BACKUP and 'advert' while MASTER. A `timer set` effect for either name
// replaces the pending main timer; `timer cancel` disarms it. 'garp-delay' (the second GARP batch
// after garp_master_delay) and 'garp-lower-prio' (the delayed batch after a lower-priority
// advert) are separate one-shot timers. preempt_delay arms no timer: as in keepalived it is a
// deadline compared with the arrival time of adverts.
//
// Sync groups (sync-group.ts) step their members together through the same functions, passing a
// GroupHooks that plays keepalived's vrrp_sync.c.
import { addressKey, compareAddresses, type InstanceParams } from './instance-params.js';
import {
  evaluate, faultReason, invalidTrackerValue, PRIO_OWNER, PRIO_STOP, trackerKey, valueOf,
  type TrackerKind, type TrackerValue, type TrackerValues,
} from './priority.js';
import { masterDownIntervalUs, skewUs, US_PER_CENTI, US_PER_SECOND } from './timers.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP' | 'DELETED';
export type WantState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** An advert as the packet codec decodes it, already validated on the wire (length, TTL, checksum, auth). */
export interface Advert {
  vrid: number;
  version: 2 | 3;
  priority: number;
  /** The advert interval in centiseconds (VRRPv2's seconds x 100). */
  intervalCs: number;
  /** Source address of the IP packet. */
  src: string;
  /** The addresses listed in the advert. */
  addresses: readonly string[];
}

export type TimerName = 'master-down' | 'advert' | 'garp-delay' | 'garp-lower-prio';

export type VrrpEvent =
  /** Start the instance: tracked objects' current status (the rest take their defaults). */
  | { type: 'start'; now: number; trackers?: TrackerValues }
  | { type: 'advert'; now: number; advert: Advert }
  | { type: 'timer'; now: number; timer: TimerName }
  | { type: 'tracker'; now: number; kind: TrackerKind; name: string; value: TrackerValue }
  | { type: 'interface'; now: number; name: string; up: boolean }
  /** SIGTERM: priority-0 advert if MASTER, addresses released, STOP notified. */
  | { type: 'shutdown'; now: number }
  /** The instance disappeared from the config on reload. */
  | { type: 'remove'; now: number };

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

export type GarpReason = 'master' | 'master-delay' | 'refresh' | 'lower-prio' | 'lower-prio-delay' | 'unicast-source';

export type Effect =
  /** Send an advert with this priority (the rest of the packet comes from the instance's params). */
  | { type: 'advert'; instance: string; vrid: number; priority: number }
  | { type: 'addresses'; instance: string; action: 'add' | 'remove'; vips: readonly string[]; evips: readonly string[] }
  | { type: 'routes'; instance: string; action: 'add' | 'remove' }
  | { type: 'rules'; instance: string; action: 'add' | 'remove' }
  /** A batch of gratuitous ARPs / unsolicited NAs: `repeat` for each address. */
  | { type: 'garp'; instance: string; addresses: readonly string[]; repeat: number; reason: GarpReason }
  | { type: 'timer'; instance: string; action: 'set'; timer: TimerName; delayUs: number; at: number }
  | { type: 'timer'; instance: string; action: 'cancel'; timer: TimerName }
  /** notify / notify_STATE scripts, FIFO, SNMP: the generic script gets INSTANCE name state priority. */
  | { type: 'notify'; instance: string; state: NotifyState; priority: number }
  | { type: 'notify-group'; group: string; state: NotifyState }
  /** notify_priority_changes (FIFO MASTER_PRIORITY / BACKUP_PRIORITY). */
  | { type: 'notify-priority'; instance: string; state: 'MASTER' | 'BACKUP'; priority: number }
  /** notify_master_rx_lower_pri. */
  | { type: 'notify-event'; instance: string; event: 'master-rx-lower-pri' }
  /** A log line in keepalived's wording; `detail`: keepalived writes it only with -D. */
  | { type: 'log'; instance?: string; message: string; detail: boolean };

export interface InstanceStats {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  addrListErr: number;
  advertIntervalErr: number;
  versionErr: number;
  priZeroRcvd: number;
  priZeroSent: number;
}

export interface InstanceState {
  readonly params: InstanceParams;
  /** The sync group this instance belongs to (then step it with stepGroup). */
  readonly group?: string;
  state: VrrpState;
  /** What the instance would be in, disregarding its sync group (keepalived's wantstate). */
  wantState: WantState;
  basePriority: number;
  effectivePriority: number;
  trackers: TrackerValues;
  /** Weight-0 tracked objects failing (num_script_if_fault). */
  numFault: number;
  /** Weight-0 scripts that have not reported yet (num_script_init). */
  numInit: number;
  masterAdverIntUs: number;
  msDownTimerUs: number;
  /** The main timer's deadline (keepalived's sands); null when disabled. */
  sands: number | null;
  /** When a running preempt delay ends; null when none runs. */
  preemptTime: number | null;
  masterAddr?: string;
  masterPriority?: number;
  /** Source of the last advert received (pkt_saddr). */
  lastAdvertSrc?: string;
  vipSet: boolean;
  notifiesSent: boolean;
  garpRefreshAt: number | null;
  garpDelayPending: boolean;
  garpLowerPrioPending: boolean;
  delayedStartUntil: number | null;
  lastTransition: number;
  stats: InstanceStats;
}

export interface StepResult<S = InstanceState> {
  state: S;
  effects: Effect[];
}

/**
 * What a sync group lends its members while they step (keepalived's vrrp_sync.c and the sync
 * counters). Implemented by sync-group.ts.
 */
export interface GroupHooks {
  readonly name: string;
  /** The group's state (INIT, BACKUP, MASTER, FAULT, STOP). */
  state(): VrrpState;
  /** vrrp_sync_can_goto_master. */
  canGotoMaster(s: InstanceState, ctx: StepContext): boolean;
  /** Members whose own tracked objects hold them in FAULT (num_member_fault). */
  membersFaulted(): number;
  /** Members still waiting for a script's first result (num_member_init). */
  membersInInit(): number;
  /** try_up_instance: a member left FAULT but still waits for scripts. */
  setInit(): void;
  syncMaster(s: InstanceState, ctx: StepContext): void;
  syncBackup(s: InstanceState, ctx: StepContext): void;
  syncFault(s: InstanceState, ctx: StepContext): void;
  /** A master member answered a lower-priority advert: the other members send their lower-priority GARPs. */
  lowerPrioGarps(s: InstanceState, ctx: StepContext): void;
}

export interface StepContext {
  now: number;
  effects: Effect[];
  group?: GroupHooks;
}

// ---------------------------------------------------------------------------------------------
// Construction.

const ZERO_STATS: InstanceStats = {
  advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, addrListErr: 0,
  advertIntervalErr: 0, versionErr: 0, priZeroRcvd: 0, priZeroSent: 0,
};

/** An instance before `start`: INIT, its configured priority, no timers. */
export function initialState(params: InstanceParams, group?: string): InstanceState {
  return {
    params, group, state: 'INIT', wantState: params.wantMaster ? 'MASTER' : 'BACKUP',
    basePriority: params.priority, effectivePriority: params.priority, trackers: {},
    numFault: 0, numInit: 0, masterAdverIntUs: params.advertIntUs, msDownTimerUs: 0, sands: null,
    preemptTime: null, masterAddr: undefined, masterPriority: undefined, lastAdvertSrc: undefined,
    vipSet: false, notifiesSent: false, garpRefreshAt: null,
    garpDelayPending: false, garpLowerPrioPending: false, delayedStartUntil: null, lastTransition: 0,
    stats: ZERO_STATS,
  };
}

/**
 * A copy the step can change. Written out field by field (not a spread) so every state object
 * has the same shape: the simulator copies millions of them.
 */
export function draft(s: InstanceState): InstanceState {
  const t = s.stats;
  return {
    params: s.params, group: s.group, state: s.state, wantState: s.wantState,
    basePriority: s.basePriority, effectivePriority: s.effectivePriority, trackers: s.trackers,
    numFault: s.numFault, numInit: s.numInit, masterAdverIntUs: s.masterAdverIntUs, msDownTimerUs: s.msDownTimerUs,
    sands: s.sands, preemptTime: s.preemptTime, masterAddr: s.masterAddr, masterPriority: s.masterPriority,
    lastAdvertSrc: s.lastAdvertSrc, vipSet: s.vipSet, notifiesSent: s.notifiesSent, garpRefreshAt: s.garpRefreshAt,
    garpDelayPending: s.garpDelayPending, garpLowerPrioPending: s.garpLowerPrioPending,
    delayedStartUntil: s.delayedStartUntil, lastTransition: s.lastTransition,
    stats: {
      advertRcvd: t.advertRcvd, advertSent: t.advertSent, becomeMaster: t.becomeMaster, releaseMaster: t.releaseMaster,
      addrListErr: t.addrListErr, advertIntervalErr: t.advertIntervalErr, versionErr: t.versionErr,
      priZeroRcvd: t.priZeroRcvd, priZeroSent: t.priZeroSent,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The public step for an instance outside any sync group.

export function step(state: InstanceState, event: VrrpEvent): StepResult {
  if (!relevant(state, event)) return { state, effects: [] };
  const ctx: StepContext = { now: event.now, effects: [] };
  const s = draft(state);
  const before = timerView(s);
  handleEvent(s, event, ctx);
  finishTimers(s, before, ctx, isMainTimer(event));
  return { state: s, effects: ctx.effects };
}

const keyCache = new WeakMap<InstanceParams, ReadonlySet<string>>();

function trackedKeys(p: InstanceParams): ReadonlySet<string> {
  let k = keyCache.get(p);
  if (!k) {
    k = new Set(p.trackers.map((t) => trackerKey(t.kind, t.name)));
    keyCache.set(p, k);
  }
  return k;
}

/** Does this event concern the instance at all? (Lets callers broadcast tracker events cheaply.) */
export function relevant(s: InstanceState, e: VrrpEvent): boolean {
  if (e.type === 'tracker') return trackedKeys(s.params).has(trackerKey(e.kind, e.name));
  if (e.type === 'interface') return trackedKeys(s.params).has(trackerKey('interface', e.name));
  return true;
}

export function isMainTimer(e: VrrpEvent): boolean {
  return e.type === 'timer' && (e.timer === 'master-down' || e.timer === 'advert');
}

/** Dispatch one event to one instance (inside a group step, with ctx.group set). */
export function handleEvent(s: InstanceState, e: VrrpEvent, ctx: StepContext): void {
  if (s.state === 'STOP' || s.state === 'DELETED') return;
  switch (e.type) {
    case 'start':
      if (startInstance(s, e.trackers ?? {}, ctx)) finishStart(s, ctx);
      return;
    case 'advert': onAdvert(s, e.advert, ctx); return;
    case 'timer': onTimer(s, e.timer, ctx); return;
    case 'tracker': onTracker(s, e.kind, e.name, e.value, ctx); return;
    case 'interface': onTracker(s, 'interface', e.name, e.up, ctx); return;
    case 'shutdown': onShutdown(s, ctx); return;
    case 'remove': onRemove(s, ctx); return;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function log(ctx: StepContext, s: InstanceState, message: string, detail = false): void {
  ctx.effects.push({ type: 'log', instance: s.params.name, message, detail });
}

export function msDownTimer(s: InstanceState): number {
  return masterDownIntervalUs(s.params.version, s.effectivePriority, s.masterAdverIntUs, s.params.downTimerAdverts);
}

function skew(s: InstanceState): number {
  return skewUs(s.params.version, s.effectivePriority, s.masterAdverIntUs);
}

/** vrrp_init_instance_sands: arm the main timer for the current state. */
export function initSands(s: InstanceState, ctx: StepContext): void {
  const now = ctx.now;
  if (s.state === 'MASTER') s.sands = now + s.params.advertIntUs;
  else if (s.state === 'BACKUP') {
    if (s.delayedStartUntil !== null && now < s.delayedStartUntil) s.sands = s.delayedStartUntil + s.msDownTimerUs;
    else {
      s.delayedStartUntil = null;
      s.sands = now + s.msDownTimerUs;
    }
  } else s.sands = null;
}

function sendAdvert(s: InstanceState, priority: number, ctx: StepContext): void {
  ctx.effects.push({ type: 'advert', instance: s.params.name, vrid: s.params.vrid, priority });
  s.stats.advertSent++;
}

/** send_instance_notifies. */
export function sendInstanceNotifies(s: InstanceState, ctx: StepContext): void {
  // A member already in its group's state said so when the group changed.
  if (s.notifiesSent && ctx.group && ctx.group.state() === s.state) return;
  if (s.state === 'INIT') return;
  s.notifiesSent = true;
  const state: NotifyState = s.state === 'DELETED' && !s.params.notifyDeleted ? 'FAULT' : s.state;
  ctx.effects.push({ type: 'notify', instance: s.params.name, state, priority: s.effectivePriority });
}

/** vrrp_send_link_update: `repeat` GARPs / NAs for every VIP and eVIP, only while they are set. */
export function sendLinkUpdate(s: InstanceState, repeat: number, reason: GarpReason, ctx: StepContext): void {
  if (!s.vipSet || repeat <= 0 || !s.params.garpAddresses.length) return;
  ctx.effects.push({ type: 'garp', instance: s.params.name, addresses: s.params.garpAddresses, repeat, reason });
}

function setTimer(s: InstanceState, timer: TimerName, delayUs: number, ctx: StepContext): void {
  ctx.effects.push({ type: 'timer', instance: s.params.name, action: 'set', timer, delayUs, at: ctx.now + delayUs });
}

function cancelTimer(s: InstanceState, timer: TimerName, ctx: StepContext): void {
  ctx.effects.push({ type: 'timer', instance: s.params.name, action: 'cancel', timer });
}

/** A lower-priority advert on a master member: its own lower-priority GARPs now and after the delay. */
export function lowerPrioGarps(s: InstanceState, ctx: StepContext): void {
  if (!s.params.garpLowerPrioRepeat) return;
  sendLinkUpdate(s, s.params.garpLowerPrioRepeat, 'lower-prio', ctx);
  if (s.params.garpLowerPrioDelayUs) {
    s.garpLowerPrioPending = true;
    setTimer(s, 'garp-lower-prio', s.params.garpLowerPrioDelayUs, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// The main timer, reconciled once per step: the effect says where the timer stands at the end.

export interface TimerView {
  role: 'master-down' | 'advert' | undefined;
  sands: number | null;
}

export function timerView(s: InstanceState): TimerView {
  const role = s.sands === null ? undefined : s.state === 'MASTER' ? 'advert' : s.state === 'BACKUP' ? 'master-down' : undefined;
  return { role, sands: s.sands };
}

/** Emit the main timer's change; `force` after the timer fired (the caller's slot is now empty). */
export function finishTimers(s: InstanceState, before: TimerView, ctx: StepContext, force: boolean): void {
  const after = timerView(s);
  if (after.role === undefined) {
    if (before.role !== undefined) cancelTimer(s, before.role, ctx);
    return;
  }
  if (force || after.role !== before.role || after.sands !== before.sands) {
    const at = after.sands!;
    ctx.effects.push({ type: 'timer', instance: s.params.name, action: 'set', timer: after.role, delayUs: Math.max(0, at - ctx.now), at: Math.max(at, ctx.now) });
  }
}

// ---------------------------------------------------------------------------------------------
// Transitions (vrrp.c).

/** vrrp_state_become_master. */
function becomeMaster(s: InstanceState, ctx: StepContext): void {
  const p = s.params;
  s.stats.becomeMaster++;
  if (p.version === 3 && s.masterAdverIntUs !== p.advertIntUs) {
    log(ctx, s, `(${p.name}) changing advert interval from ${s.masterAdverIntUs / 1000}ms to locally configured ${p.advertIntUs / 1000}ms`, true);
    s.masterAdverIntUs = p.advertIntUs;
  }
  if (p.vips.length) log(ctx, s, `(${p.name}) setting VIPs.`, true);
  if (p.evips.length) log(ctx, s, `(${p.name}) setting E-VIPs.`, true);
  if (p.vips.length || p.evips.length) ctx.effects.push({ type: 'addresses', instance: p.name, action: 'add', vips: p.vips, evips: p.evips });
  s.vipSet = true;
  if (p.routes) {
    log(ctx, s, `(${p.name}) setting Virtual Routes`, true);
    ctx.effects.push({ type: 'routes', instance: p.name, action: 'add' });
  }
  if (p.rules) {
    log(ctx, s, `(${p.name}) setting Virtual Rules`, true);
    ctx.effects.push({ type: 'rules', instance: p.name, action: 'add' });
  }
  sendLinkUpdate(s, p.garpMasterRepeat, 'master', ctx);
  if (p.garpMasterRefreshUs) s.garpRefreshAt = ctx.now + p.garpMasterRefreshUs;
  sendInstanceNotifies(s, ctx);
  s.lastTransition = ctx.now;
}

/** vrrp_state_master_tx: the advert first (so the old master drops the VIPs before our GARPs). */
export function masterTx(s: InstanceState, ctx: StepContext): void {
  const p = s.params;
  sendAdvert(s, s.effectivePriority, ctx);
  if (!s.vipSet) {
    log(ctx, s, `(${p.name}) Entering MASTER STATE`);
    becomeMaster(s, ctx);
    if (p.garpMasterDelayUs) {
      s.garpDelayPending = true;
      setTimer(s, 'garp-delay', p.garpMasterDelayUs, ctx);
    }
  } else if (p.garpMasterRefreshUs && s.garpRefreshAt !== null && ctx.now > s.garpRefreshAt) {
    sendLinkUpdate(s, p.garpMasterRefreshRepeat, 'refresh', ctx);
    s.garpRefreshAt = ctx.now + p.garpMasterRefreshUs;
  }
}

/** vrrp_state_goto_master. */
export function gotoMaster(s: InstanceState, ctx: StepContext): void {
  if (ctx.group && !ctx.group.canGotoMaster(s, ctx)) {
    s.wantState = 'MASTER';
    return;
  }
  s.state = 'MASTER';
  initSands(s, ctx);
  masterTx(s, ctx);
}

/** vrrp_restore_interface: priority 0 if asked, then routes, rules, pending GARPs and addresses go. */
function restoreInterface(s: InstanceState, advF: boolean, ctx: StepContext): void {
  const p = s.params;
  if (advF) {
    sendAdvert(s, PRIO_STOP, ctx);
    s.stats.priZeroSent++;
    log(ctx, s, `(${p.name}) sent 0 priority`, true);
  }
  if (s.vipSet && p.rules) {
    log(ctx, s, `(${p.name}) removing Virtual Rules`, true);
    ctx.effects.push({ type: 'rules', instance: p.name, action: 'remove' });
  }
  if (s.vipSet && p.routes) {
    log(ctx, s, `(${p.name}) removing Virtual Routes`, true);
    ctx.effects.push({ type: 'routes', instance: p.name, action: 'remove' });
  }
  if (s.garpDelayPending) {
    s.garpDelayPending = false;
    cancelTimer(s, 'garp-delay', ctx);
  }
  if (s.garpLowerPrioPending) {
    s.garpLowerPrioPending = false;
    cancelTimer(s, 'garp-lower-prio', ctx);
  }
  if (s.vipSet) {
    if (p.vips.length) log(ctx, s, `(${p.name}) removing VIPs.`, true);
    if (p.evips.length) log(ctx, s, `(${p.name}) removing E-VIPs.`, true);
    if (p.vips.length || p.evips.length) ctx.effects.push({ type: 'addresses', instance: p.name, action: 'remove', vips: p.vips, evips: p.evips });
    s.vipSet = false;
  }
  s.garpRefreshAt = null;
}

/** vrrp_state_leave_master: to wantState (BACKUP, or FAULT with a priority-0 advert). */
export function leaveMaster(s: InstanceState, advF: boolean, ctx: StepContext): void {
  const p = s.params;
  if (s.wantState === 'BACKUP') {
    log(ctx, s, `(${p.name}) Entering BACKUP STATE`);
    s.preemptTime = null;
  } else if (s.wantState === 'FAULT') {
    log(ctx, s, `(${p.name}) Entering FAULT STATE`);
    sendAdvert(s, PRIO_STOP, ctx);
  } else {
    log(ctx, s, `(${p.name}) vrrp_state_leave_master called with invalid wantstate ${s.wantState}`);
    return;
  }
  restoreInterface(s, advF, ctx);
  s.state = s.wantState;
  sendInstanceNotifies(s, ctx);
  s.msDownTimerUs = msDownTimer(s);
  initSands(s, ctx);
  s.stats.releaseMaster++;
  s.lastTransition = ctx.now;
}

/** vrrp_state_leave_fault: to wantState (MASTER goes through goto_master). */
export function leaveFault(s: InstanceState, ctx: StepContext): void {
  const p = s.params;
  if (s.wantState === 'MASTER') gotoMaster(s, ctx);
  else {
    if (s.state !== s.wantState) log(ctx, s, `(${p.name}) Entering ${s.wantState === 'BACKUP' ? 'BACKUP' : 'FAULT'} STATE`);
    if (s.wantState === 'FAULT' && s.state === 'MASTER') {
      sendAdvert(s, PRIO_STOP, ctx);
      restoreInterface(s, false, ctx);
    }
    s.state = s.wantState;
    sendInstanceNotifies(s, ctx);
    if (s.state === 'BACKUP') s.preemptTime = null;
  }
  s.masterAdverIntUs = p.advertIntUs;
  s.msDownTimerUs = msDownTimer(s);
  initSands(s, ctx);
  s.lastTransition = ctx.now;
}

// ---------------------------------------------------------------------------------------------
// Start-up (vrrp_complete_init, initialise_tracking_priorities, vrrp_init_state, vrrp_init_sands).

/** Phase 1: tracked objects decide the priority and whether the instance starts in FAULT. False if already started. */
export function startInstance(s: InstanceState, given: TrackerValues, ctx: StepContext): boolean {
  const p = s.params;
  if (s.state !== 'INIT') {
    log(ctx, s, `(${p.name}) already started - ignoring start`);
    return false;
  }
  const values: Record<string, TrackerValue> = { ...s.trackers };
  for (const t of p.trackers) {
    const k = trackerKey(t.kind, t.name);
    const v = given[k];
    if (v === undefined) continue;
    const why = invalidTrackerValue(t.kind, v);
    if (why) log(ctx, s, `(${p.name}) ignoring initial status of ${t.kind} ${t.name}: ${why}`);
    else values[k] = v;
  }
  s.trackers = values;
  const view = evaluate(s.basePriority, p.trackers, values);
  for (const t of p.trackers) {
    const v = valueOf(values, t);
    if (t.weight === 0 || t.kind === 'file') {
      const c = evaluate(s.basePriority, [t], { [trackerKey(t.kind, t.name)]: v });
      if (c.fault) log(ctx, s, faultReason(p.name, t, v, p.family));
    }
  }
  s.numFault = view.fault;
  s.numInit = view.init;
  if (s.numFault) s.state = 'FAULT';
  setEffectivePriority(s, view.effective, ctx);
  if (p.startupDelayUs) s.delayedStartUntil = ctx.now + p.startupDelayUs;
  return true;
}

/** Phase 2: "entering FAULT state" for instances in FAULT (or whose group is). */
export function startFaultNotify(s: InstanceState, groupFault: boolean, ctx: StepContext): void {
  if (s.state === 'FAULT' || groupFault) {
    s.state = 'FAULT';
    log(ctx, s, `(${s.params.name}) entering FAULT state`);
    sendInstanceNotifies(s, ctx);
  }
}

/**
 * Phase 3 (vrrp_init_state): the owner that wants MASTER times out at once; the others enter
 * BACKUP with a full Master_Down_Interval, or stay in FAULT. Returns true when the instance must
 * take its immediate timeout (the caller runs `startTimeout` after every member has been set up).
 */
export function startState(s: InstanceState, groupState: VrrpState | undefined, groupInit: number, ctx: StepContext): boolean {
  const p = s.params;
  const begin = s.state;
  if (s.state === 'FAULT') s.wantState = 'FAULT';
  const newState = groupState ?? s.wantState;
  const up = s.numFault === 0;
  const initDone = s.numInit === 0 && groupInit === 0;
  let immediate = false;
  if (up && newState === 'MASTER' && initDone && s.basePriority === PRIO_OWNER && s.wantState === 'MASTER') {
    // keepalived times out of BACKUP after 1us; keel does it in the same step.
    s.state = 'BACKUP';
    s.msDownTimerUs = 0;
    immediate = true;
  } else {
    s.msDownTimerUs = newState === 'BACKUP' && s.wantState === 'MASTER'
      ? s.masterAdverIntUs + skewUs(p.version, 255, s.masterAdverIntUs)
      : msDownTimer(s);
    restoreInterface(s, false, ctx);
    if (up && newState !== 'FAULT' && initDone) {
      if (s.state !== 'BACKUP') {
        log(ctx, s, `(${p.name}) Entering BACKUP STATE (init)`);
        s.state = 'BACKUP';
      }
    } else {
      // keepalived compares the state with itself here, so it never logs "Entering FAULT STATE (init)".
      s.state = 'FAULT';
    }
    if (begin !== s.state) s.lastTransition = ctx.now;
    if (begin !== s.state && (s.state !== 'FAULT' || s.numFault)) sendInstanceNotifies(s, ctx);
  }
  return immediate;
}

/** The owner's immediate timeout at start-up. */
export function startTimeout(s: InstanceState, ctx: StepContext): void {
  mainTimeout(s, ctx);
}

/** Phases 2-4 for an instance outside a group. */
function finishStart(s: InstanceState, ctx: StepContext): void {
  startFaultNotify(s, false, ctx);
  const immediate = startState(s, undefined, 0, ctx);
  initSands(s, ctx);
  if (immediate) startTimeout(s, ctx);
}

// ---------------------------------------------------------------------------------------------
// Adverts (vrrp_dispatcher_read, vrrp_check_packet, vrrp_state_backup, vrrp_state_master_rx).

type PacketVerdict = 'ok' | 'ko' | 'drop';

/** The checks of vrrp_check_packet that depend on the instance (the codec did the wire checks). */
function checkPacket(s: InstanceState, a: Advert, checkAddr: boolean, ctx: StepContext): PacketVerdict {
  const p = s.params;
  if (a.version !== p.version) {
    log(ctx, s, `(${p.name}) wrong version. Received ${a.version} and expect ${p.version}`);
    s.stats.versionErr++;
    return 'ko';
  }
  if (p.version === 2 && a.intervalCs * US_PER_CENTI !== p.advertIntUs) {
    log(ctx, s, `(${p.name}) advertisement interval mismatch mine=${p.advertIntUs / US_PER_SECOND} sec rcv'd=${a.intervalCs / 100} sec`);
    s.stats.advertIntervalErr++;
    return 'drop';
  }
  if (checkAddr && a.addresses.length !== p.vipKeys.length) {
    log(ctx, s, `(${p.name}) received an unexpected ip number count ${a.addresses.length}, expected ${p.vipKeys.length}!`);
    s.stats.addrListErr++;
    if (!p.acceptAddressMismatch) return 'ko';
  }
  s.stats.advertRcvd++;
  if (checkAddr) {
    let got: string[] | undefined;
    for (let i = 0; i < p.vipKeys.length; i++) {
      const key = p.vipKeys[i]!;
      // The same text needs no parsing (the common case); otherwise compare canonical forms.
      if (a.addresses.includes(key)) continue;
      got ??= a.addresses.map((x) => addressKey(x) ?? x);
      if (got.includes(key)) continue;
      log(ctx, s, `(${p.name}) ip address associated with VRID ${p.vrid} not present in MASTER advert: ${p.garpAddresses[i]}`);
      s.stats.addrListErr++;
      if (!p.acceptAddressMismatch) return 'ko';
    }
  }
  if (a.priority === PRIO_STOP) s.stats.priZeroRcvd++;
  return 'ok';
}

function adoptInterval(s: InstanceState, a: Advert, ctx: StepContext): void {
  if (s.params.version !== 3) return;
  const us = (a.intervalCs & 0x0fff) * US_PER_CENTI;
  if (us === s.masterAdverIntUs) return;
  log(ctx, s, `(${s.params.name}) advertisement interval updated from ${s.masterAdverIntUs / 1000}ms to ${us / 1000}ms by master`, true);
  s.masterAdverIntUs = us;
}

/** vrrp_state_backup. */
function backupRx(s: InstanceState, a: Advert, ctx: StepContext): void {
  const p = s.params;
  const checkAddr = !p.skipCheckAdvAddr || s.masterAddr === undefined || compareAddresses(a.src, s.masterAddr) !== 0;
  let ignore = false;
  if (checkPacket(s, a, checkAddr, ctx) !== 'ok') ignore = true;
  else if (a.priority === PRIO_STOP) {
    log(ctx, s, `(${p.name}) Backup received priority 0 advertisement`, true);
    s.msDownTimerUs = skew(s);
  } else if (p.nopreempt || a.priority >= s.effectivePriority
    || (p.preemptDelayUs > 0 && (s.preemptTime === null || s.preemptTime > ctx.now))) {
    adoptInterval(s, a, ctx);
    s.msDownTimerUs = msDownTimer(s);
    s.masterAddr = a.src;
    s.masterPriority = a.priority;
    if (p.preemptDelayUs > 0) {
      if (a.priority >= s.effectivePriority) {
        if (s.preemptTime !== null) {
          log(ctx, s, `(${p.name}) stop preempt delay`, true);
          s.preemptTime = null;
        }
      } else if (s.preemptTime === null) {
        log(ctx, s, `(${p.name}) start preempt delay (${(p.preemptDelayUs / US_PER_SECOND).toFixed(6)})`, true);
        s.preemptTime = ctx.now + p.preemptDelayUs;
      }
    }
    // Held in BACKUP by the group or not, an advert means this instance wants BACKUP.
    s.wantState = 'BACKUP';
  } else {
    log(ctx, s, `(${p.name}) received lower priority (${a.priority}) advert from ${a.src} - discarding`);
    ignore = true;
    s.masterAddr = a.src;
  }
  // An ignored advert leaves the deadline where it was.
  if (ignore) s.msDownTimerUs = s.sands === null ? 0 : Math.max(0, s.sands - ctx.now);
}

/** vrrp_state_master_rx: true when the instance must leave MASTER for BACKUP. */
function masterRx(s: InstanceState, a: Advert, ctx: StepContext): boolean {
  const p = s.params;
  if (checkPacket(s, a, true, ctx) !== 'ok') return false;
  const ours = p.srcAddress;
  const cmp = ours === undefined ? 0 : compareAddresses(a.src, ours);
  const higher = a.priority > s.effectivePriority || (a.priority === s.effectivePriority && cmp > 0);
  if (a.priority === PRIO_STOP || (p.higherPrioSendAdvert && higher)) {
    sendAdvert(s, s.effectivePriority, ctx);
    if (a.priority === PRIO_STOP) {
      log(ctx, s, `(${p.name}) Master received priority 0 message`, true);
      return false;
    }
  }
  if (a.priority === s.effectivePriority) {
    if (cmp === 0) log(ctx, s, `(${p.name}) WARNING - equal priority advert received from remote host with our IP address.`);
    else if (s.effectivePriority === PRIO_OWNER) {
      log(ctx, s, `(${p.name}) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority`);
      s.effectivePriority = PRIO_OWNER - 1;
      s.basePriority = PRIO_OWNER - 1;
    }
  }
  if (a.priority < s.effectivePriority || (a.priority === s.effectivePriority && cmp < 0)) {
    log(ctx, s, `(${p.name}) Received advert from ${a.src} with lower priority ${a.priority}, ours ${s.effectivePriority}${p.lowerPrioNoAdvert ? '' : ', forcing new election'}`);
    if (!p.lowerPrioNoAdvert) sendAdvert(s, s.effectivePriority, ctx);
    lowerPrioGarps(s, ctx);
    ctx.group?.lowerPrioGarps(s, ctx);
    ctx.effects.push({ type: 'notify-event', instance: p.name, event: 'master-rx-lower-pri' });
    return false;
  }
  if (a.priority > s.effectivePriority || (a.priority === s.effectivePriority && cmp > 0)) {
    if (a.priority > s.effectivePriority) {
      log(ctx, s, `(${p.name}) Master received advert from ${a.src} with higher priority ${a.priority}, ours ${s.effectivePriority}`);
    } else {
      log(ctx, s, `(${p.name}) Master received advert from ${a.src} with same priority ${a.priority} but higher IP address than ours`);
    }
    adoptInterval(s, a, ctx);
    s.msDownTimerUs = msDownTimer(s);
    s.masterPriority = a.priority;
    s.masterAddr = a.src;
    s.wantState = 'BACKUP';
    s.state = 'BACKUP';
    return true;
  }
  return false;
}

function onAdvert(s: InstanceState, a: Advert, ctx: StepContext): void {
  const p = s.params;
  if (a.vrid !== p.vrid) {
    log(ctx, s, `(${p.name}) advert for VRID ${a.vrid} ignored: instance has VRID ${p.vrid}`);
    return;
  }
  // keepalived ignores adverts until the instance is up, and while it is in FAULT.
  if (s.state !== 'BACKUP' && s.state !== 'MASTER') return;
  s.lastAdvertSrc = a.src;
  const prev = s.state;
  if (s.state === 'BACKUP') backupRx(s, a, ctx);
  else if (masterRx(s, a, ctx)) {
    // master_rx already moved state to BACKUP; leave_master does the rest.
    s.state = 'MASTER';
    leaveMaster(s, false, ctx);
  }
  afterTransition(prev, s, ctx);
  if (s.state !== 'MASTER' || !p.lowerPrioNoAdvert) initSands(s, ctx);
}

/** VRRP_TSM_HANDLE: the sync group follows a member's transition. */
export function afterTransition(prev: VrrpState, s: InstanceState, ctx: StepContext): void {
  const g = ctx.group;
  if (!g) return;
  if (s.state === 'MASTER' && (prev === 'BACKUP' || prev === 'MASTER' || prev === 'FAULT')) g.syncMaster(s, ctx);
  else if (prev === 'MASTER' && s.state === 'BACKUP') g.syncBackup(s, ctx);
}

// ---------------------------------------------------------------------------------------------
// Timers (vrrp_dispatcher_read_timeout, the GARP threads).

function mainTimeout(s: InstanceState, ctx: StepContext): void {
  const prev = s.state;
  if (s.state === 'BACKUP') {
    log(ctx, s, `(${s.params.name}) Receive advertisement timeout`, true);
    s.wantState = 'MASTER';
    gotoMaster(s, ctx);
  } else if (s.state === 'MASTER') masterTx(s, ctx);
  afterTransition(prev, s, ctx);
  initSands(s, ctx);
}

function onTimer(s: InstanceState, timer: TimerName, ctx: StepContext): void {
  if (timer === 'garp-delay') {
    if (!s.garpDelayPending) return;
    s.garpDelayPending = false;
    sendLinkUpdate(s, s.params.garpMasterRepeat, 'master-delay', ctx);
    return;
  }
  if (timer === 'garp-lower-prio') {
    if (!s.garpLowerPrioPending) return;
    s.garpLowerPrioPending = false;
    sendLinkUpdate(s, s.params.garpLowerPrioRepeat, 'lower-prio-delay', ctx);
    return;
  }
  // A stale or early firing changes nothing; the step re-arms the timer where it belongs.
  if (s.sands === null || ctx.now < s.sands) return;
  mainTimeout(s, ctx);
}

// ---------------------------------------------------------------------------------------------
// Tracked objects (down_instance, try_up_instance, vrrp_set_effective_priority).

/** vrrp_set_effective_priority: a changed priority moves a backup's deadline by the skew change. */
export function setEffectivePriority(s: InstanceState, prio: number, ctx: StepContext): void {
  if (s.basePriority === PRIO_OWNER || s.effectivePriority === prio) return;
  log(ctx, s, `(${s.params.name}) Changing effective priority from ${s.effectivePriority} to ${prio}`);
  s.effectivePriority = prio;
  const old = s.msDownTimerUs;
  s.msDownTimerUs = msDownTimer(s);
  if (s.state === 'BACKUP' && s.sands !== null) s.sands += s.msDownTimerUs - old;
  if (s.params.notifyPriorityChanges) {
    ctx.effects.push({ type: 'notify-priority', instance: s.params.name, state: s.state === 'MASTER' ? 'MASTER' : 'BACKUP', priority: prio });
  }
}

/** down_instance. */
export function downInstance(s: InstanceState, ctx: StepContext): void {
  s.wantState = 'FAULT';
  if (s.state === 'MASTER') leaveMaster(s, true, ctx);
  else leaveFault(s, ctx);
  // The first member to fault takes the whole group with it.
  if (ctx.group && ctx.group.membersFaulted() === 1) ctx.group.syncFault(s, ctx);
}

/** try_up_instance. */
export function tryUpInstance(s: InstanceState, leavingInit: boolean, ctx: StepContext): void {
  const p = s.params;
  const g = ctx.group;
  if (s.numFault > 0) return;
  if (s.numInit > 0 || (g && g.membersInInit() > 0)) {
    if (!leavingInit && g) g.setInit();
    s.wantState = 'BACKUP';
    return;
  }
  const owner = s.wantState === 'MASTER' && s.basePriority === PRIO_OWNER;
  if (!owner) s.wantState = 'BACKUP';
  s.masterAdverIntUs = p.advertIntUs;
  s.msDownTimerUs = owner ? s.masterAdverIntUs + skew(s) : msDownTimer(s);
  if (g && g.membersFaulted() > 0) return;
  const want = s.wantState;
  if (g && s.wantState === 'MASTER' && !g.canGotoMaster(s, ctx)) s.wantState = 'BACKUP';
  leaveFault(s, ctx);
  // In unicast the master may have lost us from its ARP cache: tell it where we are.
  if (p.unicast && p.srcAddress !== undefined) {
    log(ctx, s, `${p.name}: sending gratuitous ${p.family === 'inet' ? 'ARP' : 'NA'} for ${p.srcAddress}`, true);
    ctx.effects.push({ type: 'garp', instance: p.name, addresses: [p.srcAddress], repeat: 1, reason: 'unicast-source' });
  }
  initSands(s, ctx);
  s.wantState = want;
  if (g) {
    if (s.state === 'MASTER') g.syncMaster(s, ctx);
    else g.syncBackup(s, ctx);
  }
}

function onTracker(s: InstanceState, kind: TrackerKind, name: string, value: TrackerValue, ctx: StepContext): void {
  const p = s.params;
  const key = trackerKey(kind, name);
  if (!trackedKeys(p).has(key)) return;
  const why = invalidTrackerValue(kind, value);
  if (why) {
    log(ctx, s, `(${p.name}) ignoring status of ${kind} ${name}: ${why}`);
    return;
  }
  if (s.trackers[key] === value) return;
  s.trackers = { ...s.trackers, [key]: value };
  // Before start-up (INIT) the new status only waits for `start`; afterwards INIT is never seen.
  if (s.state === 'INIT') return;
  const view = evaluate(s.basePriority, p.trackers, s.trackers);
  const oldFault = s.numFault;
  const oldInit = s.numInit;
  s.numFault = view.fault;
  s.numInit = view.init;
  setEffectivePriority(s, view.effective, ctx);
  const leftInit = oldInit > 0 && view.init === 0;
  if (view.fault > oldFault) {
    if (oldFault === 0) downInstance(s, ctx);
  } else if ((view.fault < oldFault && view.fault === 0) || (leftInit && view.fault === 0)) {
    tryUpInstance(s, leftInit && view.fault === oldFault, ctx);
  }
}

// ---------------------------------------------------------------------------------------------
// Shutdown and removal.

function onShutdown(s: InstanceState, ctx: StepContext): void {
  if (s.state === 'MASTER') restoreInterface(s, true, ctx);
  else restoreInterface(s, false, ctx);
  s.state = 'STOP';
  s.sands = null;
  sendInstanceNotifies(s, ctx);
}

function onRemove(s: InstanceState, ctx: StepContext): void {
  const was = s.state;
  restoreInterface(s, was === 'MASTER', ctx);
  s.state = 'DELETED';
  s.sands = null;
  if (s.params.notifyDeleted || was !== 'FAULT') sendInstanceNotifies(s, ctx);
}
