// Sync groups, pure: the members of a vrrp_sync_group step together, as keepalived's vrrp_sync.c
// makes them. A group goes MASTER only when every member wants MASTER (a member whose timer
// expires first waits in BACKUP and re-arms a full Master_Down_Interval); a member that leaves
// MASTER for BACKUP takes the others with it; the first member whose own tracked objects fail
// takes the whole group to FAULT, and the group comes back only when no member is failing.
//
// `stepGroup(group, event, instance?)`: adverts and timers go to one member (named, or for an
// advert found by VRID); tracker, interface, start, shutdown and remove events go to every member
// in configuration order, as keepalived walks its tracking lists.
import type { InstanceParams } from './instance-params.js';
import { PRIO_OWNER, type TrackerValues } from './priority.js';
import {
  draft, finishTimers, gotoMaster, handleEvent, initialState, initSands,
  isMainTimer, leaveFault, leaveMaster, lowerPrioGarps, msDownTimer, relevant, startFaultNotify,
  startInstance, startState, startTimeout, timerView,
  type GroupHooks, type InstanceState, type StepContext, type StepResult, type VrrpEvent, type VrrpState,
} from './state-machine.js';

export interface GroupParams {
  readonly name: string;
  /** Member instance names, in configuration order. */
  readonly members: readonly string[];
}

export interface GroupState {
  readonly params: GroupParams;
  /** INIT, BACKUP, MASTER, FAULT; STOP after shutdown. */
  state: VrrpState;
  members: readonly InstanceState[];
}

/** A group before `start`; `members` in the order of params.members. */
export function initialGroupState(name: string, members: readonly InstanceParams[]): GroupState {
  return {
    params: { name, members: members.map((m) => m.name) },
    state: 'INIT',
    members: members.map((m) => initialState(m, name)),
  };
}

/** Which member an advert or timer event is for. */
function target(g: GroupState, e: VrrpEvent, instance: string | undefined): number {
  if (instance !== undefined) return g.members.findIndex((m) => m.params.name === instance);
  if (e.type === 'advert') return g.members.findIndex((m) => m.params.vrid === e.advert.vrid);
  return -1;
}

export function stepGroup(g: GroupState, event: VrrpEvent, instance?: string): StepResult<GroupState> {
  const broadcast = event.type === 'tracker' || event.type === 'interface';
  if (broadcast && !g.members.some((m) => relevant(m, event))) return { state: g, effects: [] };
  if (g.state === 'STOP') return { state: g, effects: [] };
  const members = g.members.map(draft);
  const gs: { state: VrrpState } = { state: g.state };
  const ctx: StepContext = { now: event.now, effects: [], group: undefined };
  ctx.group = hooks(g.params.name, gs, members);
  const before = members.map(timerView);
  let fired = -1;
  switch (event.type) {
    case 'start': startGroup(gs, members, event.trackers ?? {}, ctx); break;
    case 'advert':
    case 'timer': {
      const i = target(g, event, instance);
      if (i < 0) {
        ctx.effects.push({ type: 'log', message: `VRRP_Group(${g.params.name}) no member ${instance ?? `with VRID ${event.type === 'advert' ? event.advert.vrid : '?'}`} - ignoring ${event.type}`, detail: false });
        break;
      }
      if (isMainTimer(event)) fired = i;
      handleEvent(members[i]!, event, ctx);
      break;
    }
    case 'tracker':
    case 'interface':
    case 'remove':
      for (const m of members) if (relevant(m, event)) handleEvent(m, event, ctx);
      break;
    case 'shutdown':
      for (const m of members) handleEvent(m, event, ctx);
      gs.state = 'STOP';
      ctx.effects.push({ type: 'notify-group', group: g.params.name, state: 'STOP' });
      break;
  }
  members.forEach((m, i) => finishTimers(m, before[i]!, ctx, i === fired));
  return { state: { params: g.params, state: gs.state, members }, effects: ctx.effects };
}

function groupLog(ctx: StepContext, message: string): void {
  ctx.effects.push({ type: 'log', message, detail: false });
}

function groupNotify(name: string, gs: { state: VrrpState }, ctx: StepContext): void {
  const st = gs.state;
  if (st === 'MASTER' || st === 'BACKUP' || st === 'FAULT' || st === 'STOP') ctx.effects.push({ type: 'notify-group', group: name, state: st });
}

/** keepalived's vrrp_sync.c over the members being stepped. */
function hooks(name: string, gs: { state: VrrpState }, members: InstanceState[]): GroupHooks {
  const h: GroupHooks = {
    name,
    state: () => gs.state,
    canGotoMaster(s: InstanceState, ctx: StepContext): boolean {
      if (gs.state === 'MASTER') return true;
      for (const o of members) {
        if (o !== s && o.wantState !== 'MASTER') {
          // Give the other members time to want MASTER too.
          s.msDownTimerUs = msDownTimer(s);
          initSands(s, ctx);
          return false;
        }
      }
      return true;
    },
    membersFaulted: () => members.reduce((n, m) => n + (m.numFault > 0 ? 1 : 0), 0),
    membersInInit: () => members.reduce((n, m) => n + (m.numInit > 0 ? 1 : 0), 0),
    setInit(): void {
      gs.state = 'INIT';
    },
    syncMaster(s: InstanceState, ctx: StepContext): void {
      if (gs.state === 'MASTER' || !h.canGotoMaster(s, ctx)) return;
      groupLog(ctx, `VRRP_Group(${name}) Syncing instances to MASTER state`);
      for (const o of members) {
        if (o === s || o.state === 'MASTER') continue;
        o.wantState = 'MASTER';
        gotoMaster(o, ctx);
      }
      gs.state = 'MASTER';
      groupNotify(name, gs, ctx);
    },
    syncBackup(s: InstanceState, ctx: StepContext): void {
      if (gs.state === 'BACKUP') return;
      groupLog(ctx, `VRRP_Group(${name}) Syncing instances to BACKUP state`);
      for (const o of members) {
        if (o === s || o.state === 'BACKUP') continue;
        o.wantState = 'BACKUP';
        if (o.state === 'FAULT' || o.state === 'INIT') leaveFault(o, ctx);
        else leaveMaster(o, false, ctx);
      }
      gs.state = 'BACKUP';
      groupNotify(name, gs, ctx);
    },
    syncFault(s: InstanceState, ctx: StepContext): void {
      if (gs.state === 'FAULT') return;
      groupLog(ctx, `VRRP_Group(${name}) Syncing instances to FAULT state`);
      for (const o of members) {
        if (o === s || o.state === 'FAULT') continue;
        o.wantState = 'FAULT';
        if (o.state === 'MASTER') leaveMaster(o, false, ctx);
        else if (o.state === 'BACKUP' || o.state === 'INIT') {
          // As keepalived: mark it FAULT first, so leave_fault neither logs nor sends priority 0.
          o.state = 'FAULT';
          leaveFault(o, ctx);
        }
      }
      gs.state = 'FAULT';
      groupNotify(name, gs, ctx);
    },
    lowerPrioGarps(s: InstanceState, ctx: StepContext): void {
      for (const o of members) if (o !== s) lowerPrioGarps(o, ctx);
    },
  };
  return h;
}

/**
 * Start-up of a group, in keepalived's order: the group's initial state from its members
 * (vrrp_sync_set_group), tracking (initialise_tracking_priorities), mixed MASTER/BACKUP wishes
 * reset to BACKUP, FAULT for everyone if the group is in FAULT, vrrp_init_state, vrrp_init_sands,
 * then the owners' immediate timeouts.
 */
function startGroup(gs: { state: VrrpState }, members: InstanceState[], trackers: TrackerValues, ctx: StepContext): void {
  const g = ctx.group!;
  if (gs.state !== 'INIT' || members.some((m) => m.state !== 'INIT')) {
    groupLog(ctx, `VRRP_Group(${g.name}) already started - ignoring start`);
    return;
  }
  gs.state = members.every((m) => m.wantState === 'MASTER' && m.basePriority === PRIO_OWNER) ? 'MASTER' : 'BACKUP';
  for (const m of members) {
    startInstance(m, trackers, ctx);
    if (m.state === 'FAULT' && gs.state !== 'FAULT') {
      gs.state = 'FAULT';
      groupLog(ctx, `VRRP_Group(${g.name}): Syncing ${m.params.name} to FAULT state`);
    }
    if (m.numInit && gs.state !== 'FAULT') gs.state = 'INIT';
  }
  const mixed = members.some((m) => m.wantState === 'BACKUP' || m.basePriority !== PRIO_OWNER)
    && members.some((m) => m.wantState === 'MASTER');
  if (mixed) for (const m of members) if (m.wantState === 'MASTER') m.wantState = 'BACKUP';
  for (const m of members) startFaultNotify(m, gs.state === 'FAULT', ctx);
  if (gs.state === 'FAULT' || gs.state === 'BACKUP') groupNotify(g.name, gs, ctx);
  const inInit = g.membersInInit();
  const immediate = members.map((m) => startState(m, gs.state, inInit, ctx));
  for (const m of members) initSands(m, ctx);
  members.forEach((m, i) => {
    if (immediate[i]) startTimeout(m, ctx);
  });
}
