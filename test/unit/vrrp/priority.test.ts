// Tracking weights and keepalived's clamping (vrrp_track.c, track_file.c), alone and as the
// state machine applies them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from '../../../src/sim/driver.js';
import { makeParams, paramsFromConfig, type ParamSpec } from '../../../src/vrrp/instance-params.js';
import { clampPriority, contribution, evaluate, type TrackerDef } from '../../../src/vrrp/priority.js';
import { loadConfigText } from '../../../src/config/build.js';

const S = 1_000_000;
const IF = { kind: 'interface', name: 'eth0', weight: 0, reverse: false } as const;
const script = (weight: number, reverse = false, name = 'chk'): TrackerDef => ({ kind: 'script', name, weight, reverse });
const file = (weight: number, reverse = false): TrackerDef => ({ kind: 'file', name: 'f', weight, reverse });

function P(extra: Partial<ParamSpec> = {}): ReturnType<typeof makeParams> {
  return makeParams({ name: 'VI_1', vrid: 51, priority: 100, srcAddress: '10.0.0.1', vips: ['10.0.0.100/24'], interface: 'eth0', trackers: [IF], ...extra });
}

test('weights [process_script_update_priority]: a positive weight is added while the object is up, a negative one subtracted while it is down', () => {
  assert.equal(contribution(script(20), true).delta, 20);
  assert.equal(contribution(script(20), false).delta, 0);
  assert.equal(contribution(script(-30), true).delta, 0);
  assert.equal(contribution(script(-30), false).delta, -30);
  assert.equal(evaluate(100, [script(20, false, 'a'), script(-30, false, 'b')], { 'script:a': true, 'script:b': false }).effective, 90);
});

test('weights [weight_multiplier]: `reverse` inverts the sense of the weight', () => {
  assert.equal(contribution(script(20, true), true).delta, -20);
  assert.equal(contribution(script(-30, true), false).delta, 30);
  assert.equal(contribution(script(0, true), true).fault, true, 'reverse weight 0: up is the failure');
  assert.equal(contribution(script(0, true), false).fault, false);
});

test('weights: weight 0 (the default) puts the instance in FAULT when the object fails; a script that has not run yet is "init"', () => {
  assert.deepEqual(evaluate(100, [script(0)], { 'script:chk': false }), { total: 100, effective: 100, fault: 1, init: 0 });
  assert.deepEqual(evaluate(100, [script(0)], {}), { total: 100, effective: 100, fault: 0, init: 1 });
  assert.equal(evaluate(100, [IF], {}).fault, 0, 'interfaces default to up');
});

test('clamping [vrrp_set_effective_priority]: the effective priority stays within 1..254; the owner\'s 255 never moves', () => {
  assert.equal(clampPriority(100, 400), 254);
  assert.equal(clampPriority(100, 255), 254);
  assert.equal(clampPriority(100, -50), 1);
  assert.equal(clampPriority(100, 0), 1);
  assert.equal(clampPriority(255, 10), 255);
  assert.equal(evaluate(250, [script(50)], { 'script:chk': true }).effective, 254);
  assert.equal(evaluate(20, [script(-50)], { 'script:chk': false }).effective, 1);
  assert.equal(evaluate(255, [script(-50)], { 'script:chk': false }).effective, 255);
});

test('track_file [update_track_file_status]: status x weight (capped at 253); -254 or below is FAULT; weight 0: non-zero is FAULT', () => {
  assert.deepEqual(contribution(file(2), 5), { fault: false, init: false, delta: 10 });
  assert.equal(contribution(file(1), 300).delta, 253);
  assert.equal(contribution(file(2), -200).fault, true);
  assert.equal(contribution(file(-1), 254).fault, true);
  assert.equal(contribution(file(0), 0).fault, false);
  assert.equal(contribution(file(0), 7).fault, true);
  assert.equal(contribution(file(0, true), 0).fault, true, 'reverse weight 0: zero is the failure');
  assert.equal(contribution(file(3, true), 2).delta, -6);
});

test('priority change [vrrp_set_effective_priority]: logged, and a backup\'s deadline moves by the change of skew', () => {
  const d = new Driver(P({ trackers: [IF, script(-30)] }));
  d.start({ 'script:chk': true });
  assert.equal(d.timer('VI_1')?.at, 3_609_375);
  d.now = 1 * S;
  d.tracker('script', 'chk', false);
  assert.deepEqual(d.logs(), ['(VI_1) Changing effective priority from 100 to 70']);
  assert.equal(d.inst().effectivePriority, 70);
  // skew 186/256 s instead of 156/256 s: +117187 us (each truncated as keepalived does).
  assert.equal(d.timer('VI_1')?.at, 3_726_562);
});

test('priority change at start-up [initialise_tracking_priorities]: weights are applied before the first advert', () => {
  const d = new Driver(P({ priority: 255 - 155, trackers: [IF, script(20)] }));
  d.start({ 'script:chk': true });
  assert.deepEqual(d.logs(), ['(VI_1) Changing effective priority from 100 to 120', '(VI_1) Entering BACKUP STATE (init)']);
  d.advanceTo(d.nextTimer()!.at);
  assert.equal(d.inst().state, 'MASTER');
  assert.ok(d.all.some((e) => e.type === 'advert' && e.priority === 120));
});

test('priority change: a backup whose priority rises above the master\'s discards its adverts and takes over', () => {
  const d = new Driver(P({ trackers: [IF, script(20)] }));
  d.start({ 'script:chk': false });
  let t = 0;
  const tick = (): void => {
    t += S;
    d.advanceTo(t);
    d.advert({ src: '10.0.0.2', priority: 110 });
  };
  for (let i = 0; i < 5; i++) tick();
  assert.equal(d.inst().state, 'BACKUP');
  d.tracker('script', 'chk', true);
  assert.equal(d.inst().effectivePriority, 120);
  for (let i = 0; i < 5 && d.inst().state === 'BACKUP'; i++) tick();
  assert.equal(d.inst().state, 'MASTER');
});

test('priority change: a master whose priority drops keeps MASTER until a preempting backup appears; its adverts carry the new priority', () => {
  const d = new Driver(P({ priority: 200, trackers: [IF, script(-150)] }));
  d.start({ 'script:chk': true });
  d.advanceTo(d.nextTimer()!.at);
  d.tracker('script', 'chk', false);
  assert.equal(d.inst().state, 'MASTER');
  const eff = d.advanceBy(1 * S);
  assert.deepEqual(eff.filter((e) => e.type === 'advert').map((e) => (e.type === 'advert' ? e.priority : 0)), [50]);
  d.advert({ src: '10.0.0.2', priority: 100 });
  assert.equal(d.inst().state, 'BACKUP');
});

test('notify_priority_changes [send_instance_priority_notifies]: every change of effective priority is notified with the state', () => {
  const d = new Driver(P({ notifyPriorityChanges: true, trackers: [IF, script(-10)] }));
  d.start({ 'script:chk': true });
  const eff = d.tracker('script', 'chk', false);
  assert.deepEqual(eff.filter((e) => e.type === 'notify-priority'), [{ type: 'notify-priority', instance: 'VI_1', state: 'BACKUP', priority: 90 }]);
});

test('owner [vrrp_set_effective_priority]: the address owner\'s priority is never changed by weights', () => {
  const d = new Driver(P({ priority: 255, trackers: [IF, script(-100)] }));
  d.start({ 'script:chk': false });
  assert.equal(d.inst().effectivePriority, 255);
  assert.equal(d.inst().state, 'MASTER');
});

test('tracking setup [add_vrrp_to_interface]: the own interface and the VIPs\' interfaces are tracked with weight 0, which replaces a weighted track_interface; dont_track_primary untracks the own one', () => {
  const conf = (extra: string): string => `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.0.0.1
  track_interface { eth1 weight 10
    eth2 weight 5 }
  ${extra}
  virtual_ipaddress { 10.0.0.100/24
    10.0.1.100/24 dev eth2 }
}`;
  const load = (extra: string): TrackerDef[] => {
    const r = loadConfigText(conf(extra), { interfaceExists: (n) => ['eth0', 'eth1', 'eth2'].includes(n), configId: 'test' });
    return [...paramsFromConfig(r.config.vrrp_instances[0]!, r.config.global_defs).params!.trackers];
  };
  assert.deepEqual(load('').map((t) => `${t.name}:${t.weight}`), ['eth1:10', 'eth2:0', 'eth0:0']);
  assert.deepEqual(load('dont_track_primary').map((t) => `${t.name}:${t.weight}`), ['eth1:10', 'eth2:0']);
});

test('sync_group_tracking_weight [vrrp_complete_instance]: without it a member\'s weighted trackers do not count; with it they do', () => {
  const conf = (flag: string): string => `
vrrp_script chk { script "/bin/true" }
vrrp_sync_group G { group { VI_1 VI_2 }
  ${flag} }
vrrp_instance VI_1 { interface eth0
  virtual_router_id 51
  priority 100
  unicast_src_ip 10.0.0.1
  track_script { chk weight 10 }
  virtual_ipaddress { 10.0.0.100/24 } }
vrrp_instance VI_2 { interface eth0
  virtual_router_id 52
  priority 100
  unicast_src_ip 10.0.0.1
  virtual_ipaddress { 10.0.0.101/24 } }`;
  const weights = (flag: string): string[] => {
    const r = loadConfigText(conf(flag), { interfaceExists: (n) => n === 'eth0', configId: 'test' });
    const g = r.config.vrrp_sync_groups[0]!;
    const p = paramsFromConfig(r.config.vrrp_instances[0]!, r.config.global_defs, { sync: g }).params!;
    return p.trackers.filter((t) => t.kind === 'script').map((t) => `${t.name}:${t.weight}`);
  };
  assert.deepEqual(weights(''), []);
  assert.deepEqual(weights('sync_group_tracking_weight'), ['chk:10']);
});
