// Sync groups as keepalived's vrrp_sync.c runs them: all-or-nothing MASTER, BACKUP and FAULT
// propagation, group notifies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from '../../../src/sim/driver.js';
import { makeParams, type ParamSpec } from '../../../src/vrrp/instance-params.js';
import type { TrackerDef } from '../../../src/vrrp/priority.js';
import type { Effect } from '../../../src/vrrp/state-machine.js';

const S = 1_000_000;
const IF: TrackerDef = { kind: 'interface', name: 'eth0', weight: 0, reverse: false };
const chk = (name: string, fromGroup = false): TrackerDef => ({ kind: 'script', name, weight: 0, reverse: false, fromGroup });

function member(name: string, vrid: number, extra: Partial<ParamSpec> = {}): ReturnType<typeof makeParams> {
  return makeParams({ name, vrid, priority: 100, srcAddress: '10.0.0.1', vips: [`10.0.${vrid}.100/24`], interface: 'eth0', trackers: [IF], ...extra });
}

function group(a: Partial<ParamSpec> = {}, b: Partial<ParamSpec> = {}): Driver {
  return new Driver({ group: 'G', members: [member('VI_1', 51, a), member('VI_2', 52, b)] });
}

const states = (d: Driver): string => d.group.members.map((m) => `${m.params.name}=${m.state}`).join(' ');

function notifies(effs: readonly Effect[]): string[] {
  return effs.flatMap((e) => (e.type === 'notify' ? [`${e.instance} ${e.state}`] : e.type === 'notify-group' ? [`GROUP ${e.group} ${e.state}`] : []));
}

function zeroAdverts(effs: readonly Effect[], instance: string): number {
  return effs.filter((e) => e.type === 'advert' && e.instance === instance && e.priority === 0).length;
}

/** Both members MASTER (they time out together at 3.609375 s). */
function masters(a: Partial<ParamSpec> = {}, b: Partial<ParamSpec> = {}, trackers = {}): Driver {
  const d = group(a, b);
  d.start(trackers);
  d.advanceTo(3_609_375);
  assert.equal(states(d), 'VI_1=MASTER VI_2=MASTER');
  return d;
}

test('sync group [vrrp_init_state]: members start in BACKUP and the group notifies BACKUP', () => {
  const d = group();
  const eff = d.start();
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.equal(d.group.state, 'BACKUP');
  assert.deepEqual(notifies(eff), ['GROUP G BACKUP', 'VI_1 BACKUP', 'VI_2 BACKUP']);
});

test('sync group [vrrp_sync_can_goto_master]: a member that times out while another still hears its master waits in BACKUP (wanting MASTER) and re-arms a full down timer', () => {
  const d = group();
  d.start();
  for (let t = 1; t <= 3; t++) {
    d.advanceTo(t * S);
    d.advert({ src: '10.0.0.2', priority: 150 }, 'VI_2');
  }
  d.advanceTo(3_609_375);
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.equal(d.inst('VI_1').wantState, 'MASTER');
  assert.equal(d.timer('VI_1')?.at, 3_609_375 + 3_609_375);
  assert.equal(d.group.state, 'BACKUP');
});

test('sync group [vrrp_sync_master]: when the last member wants MASTER the whole group goes MASTER together', () => {
  const d = group();
  d.start();
  const eff = d.advanceTo(3_609_375);
  assert.equal(states(d), 'VI_1=MASTER VI_2=MASTER');
  assert.equal(d.group.state, 'MASTER');
  assert.ok(d.logs(false, eff).includes('VRRP_Group(G) Syncing instances to MASTER state'));
  assert.deepEqual(notifies(eff), ['VI_2 MASTER', 'VI_1 MASTER', 'GROUP G MASTER']);
});

test('sync group [vrrp_sync_backup]: a master member that hears a higher priority takes every member to BACKUP (no priority 0)', () => {
  const d = masters();
  const eff = d.advert({ src: '10.0.0.2', priority: 200 }, 'VI_1');
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.deepEqual(d.logs(), [
    '(VI_1) Master received advert from 10.0.0.2 with higher priority 200, ours 100',
    '(VI_1) Entering BACKUP STATE',
    'VRRP_Group(G) Syncing instances to BACKUP state',
    '(VI_2) Entering BACKUP STATE',
  ]);
  assert.equal(zeroAdverts(eff, 'VI_2'), 0);
  assert.deepEqual(notifies(eff), ['VI_1 BACKUP', 'VI_2 BACKUP', 'GROUP G BACKUP']);
  assert.ok(eff.some((e) => e.type === 'addresses' && e.instance === 'VI_2' && e.action === 'remove'));
});

test('sync group [down_instance, vrrp_sync_fault]: one member\'s failing weight-0 tracker puts every member in FAULT; each master sends priority 0', () => {
  const d = masters({ trackers: [IF, chk('c1')] }, {}, { 'script:c1': true });
  const eff = d.tracker('script', 'c1', false);
  assert.equal(states(d), 'VI_1=FAULT VI_2=FAULT');
  assert.equal(d.group.state, 'FAULT');
  assert.ok(d.logs().includes('VRRP_Group(G) Syncing instances to FAULT state'));
  assert.equal(zeroAdverts(eff, 'VI_1'), 2, 'leave_master(FAULT) and restore_interface each send one');
  assert.equal(zeroAdverts(eff, 'VI_2'), 1);
  assert.deepEqual(notifies(eff), ['VI_1 FAULT', 'VI_2 FAULT', 'GROUP G FAULT']);
  assert.equal(d.nextTimer()?.timer.startsWith('garp') ?? true, true, 'no main timer runs in FAULT');
});

test('sync group [try_up_instance]: the group leaves FAULT only when no member is failing any more', () => {
  const d = group({ trackers: [IF, chk('c1')] }, { trackers: [IF, chk('c2')] });
  d.start({ 'script:c1': true, 'script:c2': true });
  d.tracker('script', 'c1', false);
  d.tracker('script', 'c2', false);
  assert.equal(states(d), 'VI_1=FAULT VI_2=FAULT');
  d.now = 2 * S;
  const first = d.tracker('script', 'c1', true);
  assert.equal(states(d), 'VI_1=FAULT VI_2=FAULT', 'VI_2 still fails: the whole group stays in FAULT');
  assert.deepEqual(notifies(first), []);
  d.now = 3 * S;
  const second = d.tracker('script', 'c2', true);
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.equal(d.group.state, 'BACKUP');
  assert.deepEqual(notifies(second), ['VI_2 BACKUP', 'VI_1 BACKUP', 'GROUP G BACKUP']);
  assert.equal(d.timer('VI_1')?.at, 3 * S + 3_609_375);
});

test('sync group [sync_group_tracking_init]: a group track_script applies to every member; each member and the group notify FAULT once', () => {
  const g = chk('gchk', true);
  const d = masters({ trackers: [IF, g] }, { trackers: [IF, g] }, { 'script:gchk': true });
  const eff = d.tracker('script', 'gchk', false);
  assert.equal(states(d), 'VI_1=FAULT VI_2=FAULT');
  assert.deepEqual(notifies(eff), ['VI_1 FAULT', 'VI_2 FAULT', 'GROUP G FAULT']);
  const back = d.tracker('script', 'gchk', true);
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.deepEqual(notifies(back), ['VI_2 BACKUP', 'VI_1 BACKUP', 'GROUP G BACKUP']);
});

test('sync group [vrrp_init_state]: members that are all owners start MASTER at once, and keepalived sends no group MASTER notify at start', () => {
  const d = group({ priority: 255 }, { priority: 255 });
  const eff = d.start();
  assert.equal(states(d), 'VI_1=MASTER VI_2=MASTER');
  assert.deepEqual(notifies(eff), ['VI_1 MASTER', 'VI_2 MASTER']);
});

test('sync group [vrrp_complete_init]: an owner grouped with a non-owner does not start MASTER; the group elects like the others', () => {
  const d = group({ priority: 255 }, { priority: 100 });
  d.start();
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP');
  assert.equal(d.inst('VI_1').wantState, 'BACKUP');
  d.advanceTo(3_003_906);
  assert.equal(states(d), 'VI_1=BACKUP VI_2=BACKUP', 'VI_1 timed out first and waits for VI_2');
  d.advanceTo(3_609_375);
  assert.equal(states(d), 'VI_1=MASTER VI_2=MASTER');
});

test('sync group [vrrp_state_master_rx]: a lower-priority advert to one master member also sends the other members\' lower-priority GARPs', () => {
  const d = masters();
  const eff = d.advert({ src: '10.0.0.2', priority: 50 }, 'VI_1');
  const garps = eff.filter((e) => e.type === 'garp' && e.reason === 'lower-prio').map((e) => (e.type === 'garp' ? e.instance : ''));
  assert.deepEqual(garps, ['VI_1', 'VI_2']);
  assert.equal(states(d), 'VI_1=MASTER VI_2=MASTER');
});

test('sync group: shutdown stops every member (priority 0 from masters) and notifies the group STOP', () => {
  const d = masters();
  const eff = d.send({ type: 'shutdown' });
  assert.equal(zeroAdverts(eff, 'VI_1') + zeroAdverts(eff, 'VI_2'), 2);
  assert.deepEqual(notifies(eff), ['VI_1 STOP', 'VI_2 STOP', 'GROUP G STOP']);
  assert.equal(d.group.state, 'STOP');
});
