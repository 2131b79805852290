// keel as a VRRP router on a real LAN of network namespaces, against keel and against real
// keepalived 2.2.7, in both role assignments: election, SIGTERM handover, preemption back,
// SIGKILL failover, nopreempt, VRRPv3 at advert_int 0.1, PASS auth (right and wrong), unicast
// peers, three routers, 1,000 VIPs, use_vmac, interface down/up.
// The bounds are keepalived's protocol bounds plus a margin for a loaded 2-core machine; the
// failover benchmark (test/bench/failover.bench.ts) measures the times themselves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { KEEL, keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { Lab } from '../helpers/lab.js';
import {
  addressesOn, globalDefs, hasAddress, instance, removeTempDirs, startRouter, waitFor,
  type Implementation, type Router,
} from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable();
const VIP = '10.77.0.100';
const labs: Lab[] = [];
const routers: Router[] = [];

after(() => {
  for (const r of routers) r.kill('SIGKILL');
  for (const l of labs) l.destroy();
  removeTempDirs();
});

function lab(prefix: string, hosts: number): Lab {
  const l = new Lab(prefix);
  labs.push(l);
  for (let i = 0; i < hosts; i++) l.addHost(String.fromCharCode(97 + i), [`10.77.0.${i + 1}/24`]);
  return l;
}

function start(impl: Implementation, l: Lab, label: string, conf: string, extra: string[] = []): Router {
  const r = startRouter(impl, l.host(label), globalDefs(`${impl}-${label}`) + conf, extra);
  routers.push(r);
  return r;
}

const other = (i: Implementation): Implementation => (i === 'keel' ? 'keepalived' : 'keel');

for (const master of ['keel', 'keepalived'] as const) {
  const backup = other(master);
  test(`${master} (150) and ${backup} (100): election, SIGTERM handover, preemption back, SIGKILL failover`, { skip, timeout: 90_000 }, async () => {
    const l = lab('vi', 2);
    const a = l.host('a');
    const b = l.host('b');
    let m = start(master, l, 'a', instance({ priority: 150 }));
    const s = start(backup, l, 'b', instance({ priority: 100 }));
    const all = (): Router[] => [m, s];
    await waitFor('election', () => m.state() === 'MASTER' && s.state() === 'BACKUP' && hasAddress(a, VIP) && !hasAddress(b, VIP), 15_000, all());
    // keel status answers on its control socket with what it is and whom it hears.
    const keel = m.impl === 'keel' ? m : s;
    const st = spawnSync(process.execPath, [KEEL, 'status', '--json', '--control', keel.control], { encoding: 'utf8' });
    assert.equal(st.status, 0, st.stderr);
    const vi = (JSON.parse(st.stdout) as { instances: { name: string; state: string; master?: { address: string; priority?: number }; lastTransition?: { to: string } }[] }).instances[0]!;
    assert.equal(vi.name, 'VI_1');
    assert.equal(vi.state, keel === m ? 'MASTER' : 'BACKUP');
    assert.deepEqual(vi.master, { address: '10.77.0.1', priority: 150 });
    assert.equal(vi.lastTransition?.to, vi.state);

    // SIGTERM: priority 0, so the backup takes over after its skew time (0.61 s for priority 100).
    let t0 = performance.now();
    m.kill('SIGTERM');
    assert.equal(await m.exited(), 0, 'clean exit on SIGTERM');
    await waitFor('handover', () => s.enteredAt('MASTER', t0) !== undefined && hasAddress(b, VIP), 5_000, all());
    const handover = s.enteredAt('MASTER', t0)! - t0;
    assert.ok(handover < 1_500, `SIGTERM handover took ${handover.toFixed(0)} ms (skew time 610 ms)`);
    assert.ok(!hasAddress(a, VIP), 'the stopped master released the VIP');

    // The higher priority comes back and preempts.
    m = start(master, l, 'a', instance({ priority: 150 }));
    t0 = performance.now();
    await waitFor('preemption', () => m.state() === 'MASTER' && s.enteredAt('BACKUP', t0) !== undefined && hasAddress(a, VIP) && !hasAddress(b, VIP), 15_000, all());

    // SIGKILL: no goodbye; the backup waits 3 adverts + skew (3.61 s).
    t0 = performance.now();
    m.crash();
    await m.exited();
    await waitFor('failover', () => s.enteredAt('MASTER', t0) !== undefined, 8_000, all());
    const failover = s.enteredAt('MASTER', t0)! - t0;
    assert.ok(failover > 2_600 && failover < 5_000, `SIGKILL failover took ${failover.toFixed(0)} ms (bound 3.61 s)`);
    s.kill('SIGTERM');
    await s.exited();
  });

  test(`VRRPv3 advert_int 0.1: ${master} master, ${backup} takes over within 0.4 s of a SIGKILL`, { skip, timeout: 60_000 }, async () => {
    const l = lab('v3', 2);
    const conf = (p: number): string => instance({ priority: p, version: 3, advertInt: 0.1 });
    const m = start(master, l, 'a', conf(150));
    const s = start(backup, l, 'b', conf(100));
    await waitFor('election', () => m.state() === 'MASTER' && s.state() === 'BACKUP', 10_000, [m, s]);
    const t0 = performance.now();
    m.crash();
    await waitFor('failover', () => s.enteredAt('MASTER', t0) !== undefined, 5_000, [m, s]);
    const failover = s.enteredAt('MASTER', t0)! - t0;
    // 3 x 100 ms + skew (156/256 x 100 ms = 61 ms) = 361 ms, plus scheduling on a busy machine.
    assert.ok(failover < 900, `v3 failover took ${failover.toFixed(0)} ms (bound 361 ms)`);
    s.kill('SIGTERM');
    await s.exited();
  });
}

test('nopreempt: a higher-priority keel started later stays BACKUP under a keepalived master', { skip, timeout: 60_000 }, async () => {
  const l = lab('np', 2);
  const k = start('keepalived', l, 'a', instance({ priority: 100 }));
  await waitFor('keepalived master', () => k.state() === 'MASTER', 10_000, [k]);
  const n = start('keel', l, 'b', instance({ priority: 150, extra: '  nopreempt' }));
  await waitFor('keel backup', () => n.state() === 'BACKUP', 10_000, [k, n]);
  await new Promise((r) => setTimeout(r, 5_000));
  assert.equal(n.state(), 'BACKUP');
  assert.equal(k.state(), 'MASTER');
  assert.ok(hasAddress(l.host('a'), VIP) && !hasAddress(l.host('b'), VIP));
});

test('PASS authentication: the same password elects; a wrong one is dropped and both become master, as keepalived', { skip, timeout: 60_000 }, async () => {
  const auth = (p: string): string => `  authentication {\n    auth_type PASS\n    auth_pass ${p}\n  }`;
  const l = lab('pw', 2);
  const n = start('keel', l, 'a', instance({ priority: 150, extra: auth('s3cret') }));
  const k = start('keepalived', l, 'b', instance({ priority: 100, extra: auth('s3cret') }));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 10_000, [n, k]);
  k.kill('SIGTERM');
  await k.exited();
  const k2 = start('keepalived', l, 'b', instance({ priority: 100, extra: auth('wrong') }));
  await waitFor('both master', () => k2.state() === 'MASTER' && n.state() === 'MASTER', 10_000, [n, k2]);
  await waitFor('keel drops', () => n.lines.some((x) => x.text === '(VI_1) received an invalid passwd!'), 5_000, [n, k2]);
  assert.ok(!n.lines.some((x) => x.text.includes('wrong')), 'the password is never logged');
});

test('unicast peers: keel and keepalived elect with no multicast on the wire', { skip: skip ?? (which('tcpdump') ? undefined : 'needs tcpdump'), timeout: 60_000 }, async () => {
  const l = lab('uc', 2);
  const uc = (src: string, peer: string): string => `  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }`;
  const dump = l.host('a').spawn('tcpdump', ['-n', '-l', '-i', 'eth0', 'ip proto 112']);
  let seen = '';
  dump.stdout?.on('data', (d: Buffer) => { seen += d.toString(); });
  await new Promise((r) => setTimeout(r, 500));
  const n = start('keel', l, 'a', instance({ priority: 150, extra: uc('10.77.0.1', '10.77.0.2') }));
  const k = start('keepalived', l, 'b', instance({ priority: 100, extra: uc('10.77.0.2', '10.77.0.1') }));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 10_000, [n, k]);
  await new Promise((r) => setTimeout(r, 1_500));
  dump.kill('SIGTERM');
  const lines = seen.split('\n').filter((x) => x.includes('VRRP'));
  assert.ok(lines.length >= 2, `adverts captured:\n${seen}`);
  assert.ok(lines.every((x) => !x.includes('224.0.0.18')), `multicast seen:\n${lines.join('\n')}`);
  assert.ok(lines.some((x) => x.includes('10.77.0.1 > 10.77.0.2')), 'keel sends to its peer');
});

test('three routers: keel 150, keepalived 120, keel 100 — the master dies and keepalived takes over', { skip, timeout: 60_000 }, async () => {
  const l = lab('tri', 3);
  const r1 = start('keel', l, 'a', instance({ priority: 150 }));
  const r2 = start('keepalived', l, 'b', instance({ priority: 120 }));
  const r3 = start('keel', l, 'c', instance({ priority: 100 }));
  const all = [r1, r2, r3];
  await waitFor('election', () => r1.state() === 'MASTER' && r2.state() === 'BACKUP' && r3.state() === 'BACKUP', 15_000, all);
  const t0 = performance.now();
  r1.crash();
  await waitFor('keepalived takes over', () => r2.enteredAt('MASTER', t0) !== undefined, 8_000, all);
  await new Promise((r) => setTimeout(r, 2_000));
  assert.equal(r3.state(), 'BACKUP');
  assert.ok(r3.enteredAt('MASTER', t0) === undefined, 'the lowest priority never became master');
  assert.ok(hasAddress(l.host('b'), VIP));
});

test('1,000 VIPs: keel adds them all as master, keepalived accepts its adverts, all leave on SIGTERM', { skip, timeout: 90_000 }, async () => {
  const l = lab('k1', 2);
  const vips: string[] = [];
  for (let i = 0; i < 1000; i++) vips.push(`10.78.${Math.floor(i / 250)}.${(i % 250) + 1}/32`);
  const n = start('keel', l, 'a', instance({ priority: 150, vips }));
  const k = start('keepalived', l, 'b', instance({ priority: 100, vips }));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 20_000, [n, k]);
  await waitFor('1,000 addresses', () => addressesOn(l.host('a')).length === 1001, 10_000, [n]);
  assert.ok(n.lines.some((x) => x.text.includes('excess moved to eVIPs')), 'keepalived\'s message about the 255 that fit in an advert');
  // keepalived may have been master for a moment before keel (slower to start) preempted it:
  // its 1,000 VIPs leave as it goes back to BACKUP.
  await waitFor('the backup holds none', () => addressesOn(l.host('b')).length === 1, 10_000, [n, k]);
  n.kill('SIGTERM');
  assert.equal(await n.exited(), 0);
  assert.deepEqual(addressesOn(l.host('a')), ['10.77.0.1']);
  await waitFor('keepalived master', () => k.state() === 'MASTER', 5_000, [n, k]);
});

test('use_vmac: ARP for the VIP is answered with the virtual MAC; the macvlan goes on stop', { skip: skip ?? (which('tcpdump') ? undefined : 'needs tcpdump'), timeout: 60_000 }, async () => {
  const l = lab('vm', 3);
  const n = start('keel', l, 'a', instance({ priority: 150, extra: '  use_vmac' }));
  await waitFor('master', () => n.state() === 'MASTER', 20_000, [n]);
  const a = l.host('a');
  await waitFor('vmac', () => hasAddress(a, VIP, 'vrrp.51'), 5_000, [n]);
  assert.match(a.ip('-d', 'link', 'show', 'vrrp.51'), /link\/ether 00:00:5e:00:01:33.*\n.*macvlan/s);
  // The client's ARP request is answered from the VMAC. (Its neighbour entry then moves to eth0's
  // MAC when the host answers from eth0, with keepalived exactly the same: so the reply is checked.)
  const c = l.host('c');
  const dump = c.spawn('tcpdump', ['-n', '-e', '-l', '-i', 'eth0', 'arp']);
  let seen = '';
  dump.stdout?.on('data', (d: Buffer) => { seen += d.toString(); });
  await new Promise((r) => setTimeout(r, 700));
  c.exec('timeout', ['2', 'bash', '-c', `echo > /dev/tcp/${VIP}/9`]);
  await waitFor('ARP reply', () => seen.includes(`Reply ${VIP} is-at`), 3_000, [n]);
  dump.kill('SIGTERM');
  assert.match(seen, new RegExp(`Reply ${VIP.replace(/\./g, '\\.')} is-at 00:00:5e:00:01:33`), seen);
  assert.doesNotMatch(seen, new RegExp(`Reply ${VIP.replace(/\./g, '\\.')} is-at (?!00:00:5e:00:01:33)`), seen);
  n.kill('SIGTERM');
  await n.exited();
  assert.equal(a.exec('ip', ['link', 'show', 'vrrp.51']).status, 1, 'the VMAC is removed');
});

test('interface down: keel goes FAULT and keepalived takes over; up again: keel preempts back', { skip, timeout: 60_000 }, async () => {
  const l = lab('if', 2);
  const n = start('keel', l, 'a', instance({ priority: 150 }));
  const k = start('keepalived', l, 'b', instance({ priority: 100 }));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 15_000, [n, k]);
  const a = l.host('a');
  let t0 = performance.now();
  a.ip('link', 'set', 'eth0', 'down');
  await waitFor('fault', () => n.enteredAt('FAULT', t0) !== undefined, 3_000, [n, k]);
  await waitFor('keepalived master', () => k.enteredAt('MASTER', t0) !== undefined, 8_000, [n, k]);
  assert.ok(!hasAddress(a, VIP), 'no VIP in FAULT');
  t0 = performance.now();
  a.ip('link', 'set', 'eth0', 'up');
  await waitFor('keel back', () => n.enteredAt('MASTER', t0) !== undefined && k.enteredAt('BACKUP', t0) !== undefined, 10_000, [n, k]);
  assert.ok(hasAddress(a, VIP));
});

test('VRRPv3 over IPv6 (link-local sources): keel and keepalived elect and hand over', { skip, timeout: 60_000 }, async () => {
  const l = lab('v6', 2);
  const conf = (p: number): string => instance({ priority: p, version: 3, vips: ['fd00:77::100/64'] });
  const n = start('keel', l, 'a', conf(150));
  const k = start('keepalived', l, 'b', conf(100));
  await waitFor('election', () => n.state() === 'MASTER' && k.state() === 'BACKUP', 20_000, [n, k]);
  await waitFor('the IPv6 VIP', () => addressesOn(l.host('a'), 'eth0', 'inet6').includes('fd00:77::100'), 5_000, [n]);
  assert.ok(!addressesOn(l.host('b'), 'eth0', 'inet6').includes('fd00:77::100'));
  const t0 = performance.now();
  n.kill('SIGTERM');
  assert.equal(await n.exited(), 0);
  await waitFor('handover', () => k.enteredAt('MASTER', t0) !== undefined, 5_000, [n, k]);
  assert.ok(!addressesOn(l.host('a'), 'eth0', 'inet6').includes('fd00:77::100'));
});
