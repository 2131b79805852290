// The pure VRRP state machine, rule by rule. Each test names the keepalived 2.2.7 behaviour it
// reproduces (vrrp.c / vrrp_scheduler.c function in brackets). Times are virtual microseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Driver } from '../../../src/sim/driver.js';
import { makeParams, paramsFromConfig, compareAddresses, type ParamSpec } from '../../../src/vrrp/instance-params.js';
import { step, initialState, type Effect } from '../../../src/vrrp/state-machine.js';
import { masterDownIntervalUs, skewUs } from '../../../src/vrrp/timers.js';
import { loadConfigText } from '../../../src/config/build.js';

const S = 1_000_000;
const IF = { kind: 'interface', name: 'eth0', weight: 0, reverse: false } as const;
const CHK = { kind: 'script', name: 'chk', weight: 0, reverse: false } as const;

function P(extra: Partial<ParamSpec> = {}): ReturnType<typeof makeParams> {
  return makeParams({ name: 'VI_1', vrid: 51, priority: 100, srcAddress: '10.0.0.1', vips: ['10.0.0.100/24'], interface: 'eth0', trackers: [IF], ...extra });
}

function of<T extends Effect['type']>(effs: readonly Effect[], type: T): Extract<Effect, { type: T }>[] {
  return effs.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
}

/** Types of the effects, without timers and logs: the order keepalived does things in. */
function actions(effs: readonly Effect[]): string[] {
  return effs.filter((e) => e.type !== 'timer' && e.type !== 'log').map((e) => {
    if (e.type === 'advert') return `advert ${e.priority}`;
    if (e.type === 'addresses') return `addresses ${e.action}`;
    if (e.type === 'garp') return `garp ${e.reason} x${e.repeat}`;
    if (e.type === 'notify') return `notify ${e.state} ${e.priority}`;
    return e.type;
  });
}

/** A driver whose instance became MASTER by timing out (at 3.609375 s for priority 100). */
function masterDriver(extra: Partial<ParamSpec> = {}): Driver {
  const d = new Driver(P(extra));
  d.start();
  d.advanceTo(d.nextTimer()!.at);
  assert.equal(d.inst().state, 'MASTER');
  return d;
}

// ---------------------------------------------------------------------------------------------
// Start-up

test('start-up [vrrp_init_state]: an address owner (priority 255) wanting MASTER becomes MASTER at once: advert first, then VIPs, GARPs, notify', () => {
  const d = new Driver(P({ priority: 255 }));
  const eff = d.start();
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(actions(eff), ['advert 255', 'addresses add', 'garp master x5', 'notify MASTER 255']);
  assert.ok(d.logs().includes('(VI_1) Entering MASTER STATE'));
  assert.deepEqual(d.timer('VI_1'), { instance: 'VI_1', timer: 'advert', at: 1 * S });
  assert.equal(d.timer('VI_1', 'garp-delay')?.at, 5 * S);
});

test('start-up [vrrp_init_state]: a non-owner enters BACKUP (init) with a full Master_Down_Interval = 3 x advert_int + (256-prio)/256 s', () => {
  const d = new Driver(P());
  const eff = d.start();
  assert.equal(d.inst().state, 'BACKUP');
  assert.deepEqual(d.logs(), ['(VI_1) Entering BACKUP STATE (init)']);
  assert.deepEqual(actions(eff), ['notify BACKUP 100']);
  assert.deepEqual(d.timer('VI_1'), { instance: 'VI_1', timer: 'master-down', at: 3_609_375 });
  assert.deepEqual(d.advanceTo(3_609_374), []);
  const up = d.advanceTo(3_609_375);
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(actions(up), ['advert 100', 'addresses add', 'garp master x5', 'notify MASTER 100']);
  assert.ok(d.logs(true).includes('(VI_1) Receive advertisement timeout'));
});

test('start-up: `state MASTER` without priority 255 is only a hint - BACKUP first, with the full down timer', () => {
  const d = new Driver(P({ priority: 150, wantMaster: true }));
  d.start();
  assert.equal(d.inst().state, 'BACKUP');
  assert.equal(d.timer('VI_1')?.at, 3 * S + Math.trunc(106 * S / 256));
});

test('start-up [initialise_tracking_priorities]: a tracked interface down at start -> FAULT, logged, notified, no timer; adverts ignored', () => {
  const d = new Driver(P());
  const eff = d.start({ 'interface:eth0': false });
  assert.equal(d.inst().state, 'FAULT');
  assert.deepEqual(d.logs(), ['(VI_1): entering FAULT state (interface eth0 down)', '(VI_1) entering FAULT state']);
  assert.deepEqual(actions(eff), ['notify FAULT 100']);
  assert.equal(d.nextTimer(), undefined);
  assert.deepEqual(d.advert({ src: '10.0.0.2', priority: 200 }), []);
  d.now = 2 * S;
  const up = d.send({ type: 'interface', name: 'eth0', up: true });
  assert.equal(d.inst().state, 'BACKUP');
  assert.deepEqual(d.logs(), ['(VI_1) Entering BACKUP STATE']);
  assert.deepEqual(actions(up), ['notify BACKUP 100']);
  assert.equal(d.timer('VI_1')?.at, 2 * S + 3_609_375);
});

test('start-up [vrrp_init_state]: a weight-0 vrrp_script that has not run yet holds the instance in FAULT without a word, until its first result', () => {
  const d = new Driver(P({ trackers: [IF, CHK] }));
  const eff = d.start();
  assert.equal(d.inst().state, 'FAULT');
  assert.deepEqual(actions(eff), []);
  assert.deepEqual(d.logs(), []);
  d.now = 1 * S;
  const ok = d.tracker('script', 'chk', true);
  assert.equal(d.inst().state, 'BACKUP');
  assert.deepEqual(d.logs(), ['(VI_1) Entering BACKUP STATE']);
  assert.deepEqual(actions(ok), ['notify BACKUP 100']);

  const d2 = new Driver(P({ trackers: [IF, CHK] }));
  d2.start();
  const bad = d2.tracker('script', 'chk', false);
  assert.equal(d2.inst().state, 'FAULT');
  assert.deepEqual(actions(bad), ['notify FAULT 100']);
});

test('start-up [try_up_instance]: an owner whose weight-0 script has not run yet waits, then becomes MASTER at the first success (seen on the wire with keepalived 2.2.7)', () => {
  const d = new Driver(P({ priority: 255, trackers: [IF, CHK] }));
  d.start();
  assert.equal(d.inst().state, 'FAULT');
  const eff = d.tracker('script', 'chk', true);
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(d.logs(), ['(VI_1) Entering MASTER STATE']);
  assert.deepEqual(actions(eff), ['advert 255', 'addresses add', 'garp master x5', 'notify MASTER 255']);
});

test('start-up: a second start is refused with a reason and changes nothing', () => {
  const d = new Driver(P());
  d.start({ 'interface:eth0': false });
  const again = d.start({ 'interface:eth0': true });
  assert.deepEqual(d.logs(), ['(VI_1) already started - ignoring start']);
  assert.deepEqual(actions(again), []);
  assert.equal(d.inst().state, 'FAULT');
});

test('start-up [vrrp_init_instance_sands]: vrrp_startup_delay postpones the first timeout', () => {
  const d = new Driver(P({ startupDelayUs: 10 * S }));
  d.start();
  assert.equal(d.timer('VI_1')?.at, 10 * S + 3_609_375);
});

// ---------------------------------------------------------------------------------------------
// Timers

test('timers [VRRP_TIMER_SKEW]: VRRPv2 skew is (256-priority)/256 s whatever advert_int (RFC 3768)', () => {
  assert.equal(skewUs(2, 100, 1 * S), 609_375);
  assert.equal(skewUs(2, 100, 5 * S), 609_375);
  assert.equal(skewUs(2, 255, 1 * S), 3_906);
  assert.equal(masterDownIntervalUs(2, 100, 5 * S, 3), 15_609_375);
});

test('timers [VRRP_TIMER_SKEW]: VRRPv3 skew is (256-priority) x Master_Adver_Interval / 256, truncated like keepalived', () => {
  assert.equal(skewUs(3, 100, 1 * S), 609_375);
  assert.equal(skewUs(3, 100, 500_000), 304_687);
  assert.equal(skewUs(3, 200, 100_000), 21_875);
  assert.equal(masterDownIntervalUs(3, 100, 100_000, 3), 360_937);
});

test('timers [VRRP_MS_DOWN_TIMER]: down_timer_adverts multiplies the advert interval', () => {
  const d = new Driver(P({ downTimerAdverts: 5 }));
  d.start();
  assert.equal(d.timer('VI_1')?.at, 5 * S + 609_375);
});

test('timers [vrrp_state_master_tx]: a master advertises every advert_int with its effective priority', () => {
  const d = new Driver(P({ priority: 255 }));
  d.start();
  const eff = d.advanceTo(3 * S);
  assert.deepEqual(of(eff, 'advert').map((a) => a.priority), [255, 255, 255]);
  assert.equal(d.timer('VI_1')?.at, 4 * S);
});

// ---------------------------------------------------------------------------------------------
// Backup receiving adverts

test('backup [vrrp_state_backup]: an advert with priority >= ours resets the down timer and records the master', () => {
  const d = new Driver(P());
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150 });
  assert.equal(d.timer('VI_1')?.at, 1 * S + 3_609_375);
  assert.equal(d.inst().masterAddr, '10.0.0.2');
  assert.equal(d.inst().masterPriority, 150);
  d.now = 2 * S;
  d.advert({ src: '10.0.0.2', priority: 100 });
  assert.equal(d.timer('VI_1')?.at, 2 * S + 3_609_375);
});

test('backup [vrrp_state_backup]: a lower-priority advert is discarded ("received lower priority (50) advert ... - discarding") and the timer runs on', () => {
  const d = new Driver(P());
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 50 });
  assert.deepEqual(d.logs(), ['(VI_1) received lower priority (50) advert from 10.0.0.2 - discarding']);
  assert.equal(d.timer('VI_1')?.at, 3_609_375);
  d.advanceTo(3_609_375);
  assert.equal(d.inst().state, 'MASTER');
});

test('backup [vrrp_state_backup]: nopreempt accepts lower-priority adverts and never takes over from a live master', () => {
  const d = new Driver(P({ nopreempt: true }));
  d.start();
  for (let t = 1; t <= 20; t++) {
    d.advanceTo(t * S);
    d.advert({ src: '10.0.0.2', priority: 50 });
    assert.deepEqual(d.logs(), []);
  }
  assert.equal(d.inst().state, 'BACKUP');
  assert.equal(d.timer('VI_1')?.at, 20 * S + 3_609_375);
});

test('backup [vrrp_state_backup]: preempt_delay starts at the first lower-priority advert; lower adverts are accepted until it ends, then discarded', () => {
  const d = new Driver(P({ preemptDelayUs: 5 * S }));
  d.start();
  const seen: string[] = [];
  for (let t = 1; t <= 8; t++) {
    d.advanceTo(t * S);
    assert.equal(d.inst().state, 'BACKUP', `still BACKUP at ${t}s`);
    d.advert({ src: '10.0.0.2', priority: 50 });
    seen.push(...d.logs(true));
  }
  assert.ok(seen.includes('(VI_1) start preempt delay (5.000000)'));
  assert.equal(d.inst().preemptTime, 6 * S);
  // Accepted at 1..5 s (the timer follows), discarded from 6 s (the delay ended).
  assert.equal(seen.filter((l) => l.includes('received lower priority')).length, 3);
  assert.equal(d.timer('VI_1')?.at, 5 * S + 3_609_375);
  d.advanceTo(5 * S + 3_609_375);
  assert.equal(d.inst().state, 'MASTER');
});

test('backup [vrrp_state_backup]: a priority-0 advert sets the down timer to Skew_Time', () => {
  const d = new Driver(P());
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150 });
  d.now = 1_500_000;
  d.advert({ src: '10.0.0.2', priority: 0 });
  assert.equal(d.timer('VI_1')?.at, 1_500_000 + 609_375);
  assert.equal(d.inst().stats.priZeroRcvd, 1);
  d.advanceTo(1_500_000 + 609_375);
  assert.equal(d.inst().state, 'MASTER');
});

test('backup v3 [vrrp_state_backup, RFC 5798]: adopts the master\'s advertised interval for Master_Down_Interval; as master it uses its own', () => {
  const d = new Driver(P({ version: 3, advertIntUs: 1 * S }));
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150, intervalCs: 50 });
  assert.equal(d.inst().masterAdverIntUs, 500_000);
  assert.ok(d.logs(true).includes('(VI_1) advertisement interval updated from 1000ms to 500ms by master'));
  assert.equal(d.timer('VI_1')?.at, 1 * S + 1_500_000 + 304_687);
  d.advanceTo(1 * S + 1_804_687);
  assert.equal(d.inst().state, 'MASTER');
  assert.ok(d.logs(true).includes('(VI_1) changing advert interval from 500ms to locally configured 1000ms'));
  assert.equal(d.timer('VI_1')?.at, 1 * S + 1_804_687 + 1 * S);
});

test('backup v2 [vrrp_check_packet]: a different advert_int drops the advert ("advertisement interval mismatch mine=1 sec rcv\'d=2 sec")', () => {
  const d = new Driver(P());
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150, intervalCs: 200 });
  assert.deepEqual(d.logs(), ["(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec"]);
  assert.equal(d.timer('VI_1')?.at, 3_609_375);
});

test('backup [vrrp_check_packet]: an advert of another VRRP version is rejected ("wrong version")', () => {
  const d = new Driver(P());
  d.start();
  d.advert({ src: '10.0.0.2', priority: 150, version: 3 });
  assert.deepEqual(d.logs(), ['(VI_1) wrong version. Received 3 and expect 2']);
  assert.equal(d.timer('VI_1')?.at, 3_609_375);
});

test('backup [vrrp_check_packet]: an address list different from ours is logged, counted and DROPPED, as keepalived 2.2.7 does on the wire', () => {
  const d = new Driver(P({ vips: ['10.0.0.100/24', '10.0.0.101/24'] }));
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150, addresses: ['10.0.0.100'] });
  assert.deepEqual(d.logs(), ['(VI_1) received an unexpected ip number count 1, expected 2!']);
  d.advert({ src: '10.0.0.2', priority: 150, addresses: ['10.0.0.100', '10.0.0.102'] });
  assert.deepEqual(d.logs(), ['(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.0.0.101']);
  assert.equal(d.inst().stats.addrListErr, 2);
  assert.equal(d.timer('VI_1')?.at, 3_609_375, 'the dropped adverts did not reset the timer');
});

test('backup (keel option acceptAddressMismatch): a different address list is logged and counted but accepted', () => {
  const d = new Driver(P({ vips: ['10.0.0.100/24', '10.0.0.101/24'], acceptAddressMismatch: true }));
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150, addresses: ['10.0.0.100'] });
  assert.equal(d.inst().stats.addrListErr, 2);
  assert.equal(d.timer('VI_1')?.at, 1 * S + 3_609_375);
});

test('backup [vrrp_state_backup]: skip_check_adv_addr checks the address list only when the advert comes from a new master', () => {
  const d = new Driver(P({ skipCheckAdvAddr: true }));
  d.start();
  d.now = 1 * S;
  d.advert({ src: '10.0.0.2', priority: 150 });
  d.now = 2 * S;
  d.advert({ src: '10.0.0.2', priority: 150, addresses: ['10.9.9.9'] });
  assert.equal(d.timer('VI_1')?.at, 2 * S + 3_609_375, 'same master: not checked, accepted');
  d.now = 3 * S;
  d.advert({ src: '10.0.0.3', priority: 150, addresses: ['10.9.9.9'] });
  assert.equal(d.inst().stats.addrListErr, 1);
  assert.equal(d.timer('VI_1')?.at, 2 * S + 3_609_375, 'new master: checked, dropped');
});

// ---------------------------------------------------------------------------------------------
// Master receiving adverts

test('master [vrrp_state_master_rx]: a higher-priority advert -> BACKUP, VIPs removed, no priority-0 advert, full down timer', () => {
  const d = masterDriver();
  const t = d.now;
  const eff = d.advert({ src: '10.0.0.2', priority: 150 });
  assert.equal(d.inst().state, 'BACKUP');
  assert.deepEqual(d.logs(), ['(VI_1) Master received advert from 10.0.0.2 with higher priority 150, ours 100', '(VI_1) Entering BACKUP STATE']);
  assert.deepEqual(actions(eff), ['addresses remove', 'notify BACKUP 100']);
  assert.equal(d.timer('VI_1')?.at, t + 3_609_375);
  assert.equal(d.inst().stats.releaseMaster, 1);
});

test('master [vrrp_saddr_cmp]: equal priority from a higher address -> BACKUP; addresses compare as unsigned integers (192.168.0.1 > 10.0.0.1)', () => {
  const d = masterDriver();
  d.advert({ src: '192.168.0.1', priority: 100 });
  assert.equal(d.inst().state, 'BACKUP');
  assert.deepEqual(d.logs(), ['(VI_1) Master received advert from 192.168.0.1 with same priority 100 but higher IP address than ours', '(VI_1) Entering BACKUP STATE']);
  // 200.0.0.1 has its top bit set: a signed compare would rank it below 10.0.0.2.
  const d2 = masterDriver({ srcAddress: '200.0.0.1' });
  d2.advert({ src: '10.0.0.2', priority: 100 });
  assert.equal(d2.inst().state, 'MASTER');
});

test('master [vrrp_state_master_rx]: a lower-priority advert is answered with an advert at once, garp_lower_prio_repeat GARPs now and after garp_lower_prio_delay, and notify_master_rx_lower_pri', () => {
  const d = masterDriver({ garpLowerPrioRepeat: 3, garpLowerPrioDelayUs: 2 * S });
  const t = d.now + 300_000;
  d.now = t;
  const eff = d.advert({ src: '10.0.0.2', priority: 50 });
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(d.logs(), ['(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100, forcing new election']);
  assert.deepEqual(actions(eff), ['advert 100', 'garp lower-prio x3', 'notify-event']);
  assert.equal(d.timer('VI_1')?.at, t + 1 * S, 'the advert timer restarts after the answer');
  assert.equal(d.timer('VI_1', 'garp-lower-prio')?.at, t + 2 * S);
  const later = d.advanceTo(t + 2 * S);
  assert.ok(of(later, 'garp').some((g) => g.reason === 'lower-prio-delay' && g.repeat === 3));
});

test('master [vrrp_state_master_rx]: equal priority from a lower address is a lower-priority advert', () => {
  const d = masterDriver({ srcAddress: '10.0.0.5' });
  d.advert({ src: '10.0.0.4', priority: 100 });
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(d.logs(), ['(VI_1) Received advert from 10.0.0.4 with lower priority 100, ours 100, forcing new election']);
});

test('master [vrrp_state_master_rx]: lower_prio_no_advert keeps quiet (no advert, timer not restarted); garp_lower_prio_repeat 0 sends no GARP', () => {
  const d = masterDriver({ lowerPrioNoAdvert: true, garpLowerPrioRepeat: 0 });
  const before = d.timer('VI_1')!.at;
  d.now += 300_000;
  const eff = d.advert({ src: '10.0.0.2', priority: 50 });
  assert.deepEqual(d.logs(), ['(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100']);
  assert.deepEqual(actions(eff), ['notify-event']);
  assert.equal(d.timer('VI_1')?.at, before);
});

test('master [inet_inaddrcmp]: the IPv6 tie-break compares the address as unsigned 32-bit words', () => {
  assert.equal(compareAddresses('fe80::8000:0:0:0', 'fe80::7fff:ffff:ffff:ffff'), 1);
  assert.equal(compareAddresses('fe80::1', 'FE80:0:0::1'), 0);
  assert.equal(compareAddresses('10.0.0.1', 'fe80::1'), -2);
  const d = masterDriver({ version: 3, srcAddress: 'fe80::1', vips: ['fe80::100/64'], family: 'inet6' });
  d.advert({ src: 'fe80::8000:0:0:1', priority: 100 });
  assert.equal(d.inst().state, 'BACKUP');
  const d2 = masterDriver({ version: 3, srcAddress: 'fe80::8000:0:0:1', vips: ['fe80::100/64'], family: 'inet6' });
  d2.advert({ src: 'fe80::7fff:ffff:ffff:ffff', priority: 100 });
  assert.equal(d2.inst().state, 'MASTER');
});

test('master [vrrp_state_master_rx]: a priority-0 advert is answered with an advert at once and the master stays', () => {
  const d = masterDriver();
  const eff = d.advert({ src: '10.0.0.2', priority: 0 });
  assert.equal(d.inst().state, 'MASTER');
  assert.deepEqual(actions(eff), ['advert 100']);
  assert.ok(d.logs(true).includes('(VI_1) Master received priority 0 message'));
});

test('master [vrrp_state_master_rx]: two owners - the one that first hears the other logs a CONFIGURATION ERROR, drops to 254 and steps back', () => {
  const d = new Driver(P({ priority: 255, srcAddress: '10.0.0.9' }));
  d.start();
  d.advert({ src: '10.0.0.2', priority: 255 });
  assert.deepEqual(d.logs(), [
    '(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority',
    '(VI_1) Master received advert from 10.0.0.2 with higher priority 255, ours 254',
    '(VI_1) Entering BACKUP STATE',
  ]);
  assert.equal(d.inst().state, 'BACKUP');
  assert.equal(d.inst().effectivePriority, 254);
  assert.equal(d.inst().basePriority, 254);
});

test('master [vrrp_state_master_rx]: higher_prio_send_advert answers a higher-priority advert before stepping down', () => {
  const d = masterDriver({ higherPrioSendAdvert: true });
  const eff = d.advert({ src: '10.0.0.2', priority: 150 });
  assert.deepEqual(actions(eff), ['advert 100', 'addresses remove', 'notify BACKUP 100']);
});

test('master [vrrp_state_master_tx]: garp_master_delay sends a second batch; garp_master_refresh repeats at the first advert after each period', () => {
  const d = new Driver(P({ priority: 255, garpMasterRefreshUs: 10 * S, garpMasterRefreshRepeat: 2 }));
  d.start();
  const eff = d.advanceTo(25 * S);
  const garps = of(eff, 'garp');
  assert.deepEqual(garps.map((g) => g.reason), ['master-delay', 'refresh', 'refresh']);
  assert.equal(garps[1]!.repeat, 2);
  const d2 = new Driver(P({ priority: 255, garpMasterDelayUs: 0 }));
  d2.start();
  assert.equal(d2.timer('VI_1', 'garp-delay'), undefined);
});

// ---------------------------------------------------------------------------------------------
// Priority 0: stop, fault, removal

test('shutdown [restore_vrrp_interfaces, notify_shutdown]: a master sends priority 0, removes its VIPs, notifies STOP', () => {
  const d = masterDriver();
  const eff = d.send({ type: 'shutdown' });
  assert.deepEqual(actions(eff), ['advert 0', 'addresses remove', 'notify STOP 100']);
  assert.equal(d.inst().state, 'STOP');
  assert.equal(d.inst().stats.priZeroSent, 1);
  assert.equal(d.nextTimer(), undefined);
  assert.deepEqual(d.advert({ src: '10.0.0.2', priority: 200 }), [], 'a stopped instance ignores everything');
});

test('shutdown: a backup notifies STOP without an advert', () => {
  const d = new Driver(P());
  d.start();
  assert.deepEqual(actions(d.send({ type: 'shutdown' })), ['notify STOP 100']);
  assert.equal(d.nextTimer(), undefined);
});

test('fault [down_instance, vrrp_state_leave_master]: a master whose weight-0 tracker fails sends priority 0 twice (as keepalived 2.2.7 does on the wire), drops its VIPs, enters FAULT', () => {
  const d = new Driver(P({ trackers: [IF, CHK] }));
  d.start({ 'script:chk': true });
  d.advanceTo(d.nextTimer()!.at);
  const eff = d.tracker('script', 'chk', false);
  assert.equal(d.inst().state, 'FAULT');
  assert.deepEqual(d.logs(), ['(VI_1) Entering FAULT STATE']);
  assert.deepEqual(actions(eff), ['advert 0', 'advert 0', 'addresses remove', 'notify FAULT 100']);
  assert.equal(d.timer('VI_1'), undefined);
  assert.deepEqual(d.advert({ src: '10.0.0.2', priority: 200 }), [], 'adverts are ignored in FAULT');
});

test('fault [try_up_instance]: recovery -> BACKUP with a full down timer - even the owner, since down_instance replaced its wantstate with FAULT (seen on the wire)', () => {
  const d = new Driver(P({ trackers: [IF, CHK] }));
  d.start({ 'script:chk': false });
  d.now = 5 * S;
  d.tracker('script', 'chk', true);
  assert.equal(d.inst().state, 'BACKUP');
  assert.equal(d.timer('VI_1')?.at, 5 * S + 3_609_375);
  const o = new Driver(P({ priority: 255, trackers: [IF, CHK] }));
  o.start({ 'script:chk': true });
  assert.equal(o.inst().state, 'MASTER');
  o.now = 2 * S;
  o.tracker('script', 'chk', false);
  assert.equal(o.inst().state, 'FAULT');
  o.now = 3 * S;
  const eff = o.tracker('script', 'chk', true);
  assert.equal(o.inst().state, 'BACKUP');
  assert.deepEqual(actions(eff), ['notify BACKUP 255']);
  assert.equal(o.timer('VI_1')?.at, 3 * S + 3 * S + 3_906);
  o.advanceTo(6 * S + 3_906);
  assert.equal(o.inst().state, 'MASTER');
});

test('reload removal [clear_diff_vrrp]: a removed master sends priority 0; DELETED is reported as FAULT unless notify_deleted', () => {
  const d = masterDriver();
  assert.deepEqual(actions(d.send({ type: 'remove' })), ['advert 0', 'addresses remove', 'notify FAULT 100']);
  assert.equal(d.inst().state, 'DELETED');
  const d2 = masterDriver({ notifyDeleted: true });
  assert.deepEqual(actions(d2.send({ type: 'remove' })), ['advert 0', 'addresses remove', 'notify DELETED 100']);
  const d3 = new Driver(P());
  d3.start({ 'interface:eth0': false });
  assert.deepEqual(actions(d3.send({ type: 'remove' })), [], 'a FAULT instance leaves silently');
});

// ---------------------------------------------------------------------------------------------
// Robustness and purity

test('purity: step never changes its input state and a stale timer changes nothing', () => {
  const s0 = initialState(P());
  const frozen = JSON.stringify(s0);
  const r = step(s0, { type: 'start', now: 0 });
  assert.equal(JSON.stringify(s0), frozen);
  const early = step(r.state, { type: 'timer', now: 1 * S, timer: 'master-down' });
  assert.equal(early.state.state, 'BACKUP');
  assert.deepEqual(early.effects.filter((e) => e.type !== 'timer'), []);
  assert.ok(early.effects.some((e) => e.type === 'timer' && e.action === 'set' && e.at === 3_609_375), 'an early firing re-arms the timer');
});

test('bad input: a wrong tracker value or a foreign VRID gives a reason in the log, never an exception', () => {
  const d = new Driver(P({ trackers: [IF, { kind: 'file', name: 'f', weight: 1, reverse: false }] }));
  d.start();
  d.tracker('file', 'f', true);
  assert.deepEqual(d.logs(), ['(VI_1) ignoring status of file f: track_file status must be an integer, got true']);
  d.advert({ src: '10.0.0.2', priority: 200, vrid: 52 });
  assert.deepEqual(d.logs(), ['(VI_1) advert for VRID 52 ignored: instance has VRID 51']);
  assert.equal(d.inst().state, 'BACKUP');
});

test('params [vrrp_complete_instance]: a config instance becomes machine parameters with keepalived\'s defaults and tracking', () => {
  const conf = `
global_defs { vrrp_garp_master_repeat 3 }
vrrp_script chk { script "/bin/true" }
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 2
  preempt_delay 7
  unicast_src_ip 10.0.0.1
  track_interface { eth1 weight -20 }
  track_script { chk weight 10 }
  virtual_ipaddress { 10.0.0.100/24 }
}`;
  const r = loadConfigText(conf, { interfaceExists: (n) => ['eth0', 'eth1'].includes(n), configId: 'test' });
  const v = r.config.vrrp_instances[0]!;
  const { params, problems } = paramsFromConfig(v, r.config.global_defs);
  assert.deepEqual(problems, []);
  assert.ok(params);
  assert.equal(params.vrid, 51);
  assert.equal(params.advertIntUs, 2 * S);
  assert.equal(params.preemptDelayUs, 7 * S);
  assert.equal(params.garpMasterRepeat, 3);
  assert.equal(params.srcAddress, '10.0.0.1');
  assert.deepEqual(params.trackers.map((t) => `${t.kind}:${t.name}:${t.weight}`), ['interface:eth1:-20', 'interface:eth0:0', 'script:chk:10']);
  const noSrc = paramsFromConfig({ ...v, unicast_src_ip: undefined }, r.config.global_defs);
  assert.ok(noSrc.params?.trackers.some((t) => t.kind === 'address'), 'no source address: FAULT until the interface has one');
  const withIf = paramsFromConfig({ ...v, unicast_src_ip: undefined }, r.config.global_defs, { primaryAddress: () => '10.0.0.7' });
  assert.equal(withIf.params?.srcAddress, '10.0.0.7');
});
