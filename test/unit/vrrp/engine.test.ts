// The engine (the shell around the pure machine) wired to in-memory kernel ports and a manual
// clock: the effects reach the "kernel" in the right order and the right places. The same engine
// runs against the real kernel in test/netns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/build.js';
import { memoryLogger } from '../../../src/daemon/log.js';
import { MemoryHost, MemoryLan } from '../../../src/net/memory.js';
import { decodeIpPacket } from '../../../src/vrrp/packet.js';
import { VrrpEngine, type NotifyEffect } from '../../../src/vrrp/engine.js';
import { ManualClock } from '../../../src/util/clock.js';
import { Sysctl, VmacSysctls } from '../../../src/net/vmac.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const S = 1_000_000;

function conf(body: string): string {
  return `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  advert_int 1\n${body}\n}\n`;
}

function router(lan: MemoryLan, clock: ManualClock, name: string, addr: string, text: string, setup?: (h: MemoryHost) => void) {
  const host = new MemoryHost(name, lan);
  host.assign('eth0', addr);
  setup?.(host);
  const log = memoryLogger();
  const notes: NotifyEffect[] = [];
  // VMAC sysctls go to a private folder, never to this machine's /proc/sys.
  const sysDir = mkdtempSync(join(tmpdir(), 'keel-sysctl-'));
  process.on('exit', () => rmSync(sysDir, { recursive: true, force: true }));
  const engine = new VrrpEngine({
    transport: host, addresses: host, garp: host, clock, log, onNotify: (e) => notes.push(e), vmacSysctls: new VmacSysctls(new Sysctl(sysDir)),
  });
  const { config } = loadConfigText(text);
  return { host, log, engine, config, notes, start: () => engine.start(config) };
}

const stateOf = (e: VrrpEngine): string | undefined => e.instance('VI_1')?.state;

test('two routers elect, the master holds the VIP and announces it; SIGTERM hands over within the skew time', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const vip = 'virtual_ipaddress {\n    10.0.0.100/24\n  }';
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(`  state MASTER\n  priority 150\n  ${vip}`));
  const b = router(lan, clock, 'b', '10.0.0.2/24', conf(`  state BACKUP\n  priority 100\n  ${vip}`));
  await a.start();
  await b.start();
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(stateOf(b.engine), 'BACKUP');
  assert.deepEqual(a.host.addressesOn('eth0').sort(), ['10.0.0.1/24', '10.0.0.100/24']);
  assert.deepEqual(b.host.addressesOn('eth0'), ['10.0.0.2/24']);
  assert.ok(a.log.lines.includes('(VI_1) Entering MASTER STATE'), a.log.lines.join('\n'));
  assert.ok(b.log.lines.includes('(VI_1) Entering BACKUP STATE (init)') || b.log.lines.includes('(VI_1) Entering BACKUP STATE'), b.log.lines.join('\n'));
  assert.deepEqual(a.host.garps[0], { iface: 'eth0', mac: a.host.garps[0]!.mac, addresses: ['10.0.0.100'], repeat: 5 });
  // What a put on the wire decodes as keepalived's advert: priority 150, the VIP, TTL 255, ids 1, 2, ...
  const adverts = lan.wire.filter((w) => w.from === 'a').map((w) => decodeIpPacket(w.data));
  assert.ok(adverts.length >= 2, `${adverts.length} adverts: ${a.log.lines.join("\n")}`);
  const first = adverts[0]!;
  assert.ok(first.ok, JSON.stringify(first));
  assert.equal(first.packet.priority, 150);
  assert.deepEqual(first.packet.addresses, ['10.0.0.100']);
  assert.equal(first.packet.src, '10.0.0.1');
  assert.equal(first.packet.dst, '224.0.0.18');
  assert.deepEqual(a.notes.filter((n) => n.type === 'notify').map((n) => n.type === 'notify' && n.state), ['BACKUP', 'MASTER']);

  const before = lan.wire.length;
  await a.engine.stop();
  const last = decodeIpPacket(lan.wire[before]!.data);
  assert.ok(last.ok && last.packet.priority === 0, 'priority 0 on stop');
  assert.deepEqual(a.host.addressesOn('eth0'), ['10.0.0.1/24']);
  // Backup's skew time with priority 100: (256 - 100) / 256 s = 0.61 s.
  await clock.advance(0.7 * S);
  assert.equal(stateOf(b.engine), 'MASTER');
  assert.deepEqual(b.host.addressesOn('eth0').sort(), ['10.0.0.100/24', '10.0.0.2/24']);
  await b.engine.stop();
});

test('a VIP left behind by a killed router is removed at start; it comes back only as master', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const vip = 'virtual_ipaddress {\n    10.0.0.100/24\n  }';
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(`  priority 200\n  ${vip}`));
  const b = router(lan, clock, 'b', '10.0.0.2/24', conf(`  priority 100\n  ${vip}`), (h) => h.assign('eth0', '10.0.0.100/24'));
  await a.start();
  await clock.advance(4 * S);
  await b.start();
  await clock.advance(1000);
  assert.deepEqual(b.host.addressesOn('eth0'), ['10.0.0.2/24']);
  assert.ok(b.log.lines.some((l) => l.includes('removed leftover address 10.0.0.100/24')), b.log.lines.join('\n'));
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(stateOf(b.engine), 'BACKUP');
  await a.engine.stop();
  await b.engine.stop();
});

test('interface down takes the master to FAULT and its VIP away; up brings it back to preempt', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const vip = 'virtual_ipaddress {\n    10.0.0.100/24\n  }';
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(`  priority 200\n  ${vip}`));
  const b = router(lan, clock, 'b', '10.0.0.2/24', conf(`  priority 100\n  ${vip}`));
  await a.start();
  await b.start();
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  a.host.setLink('eth0', false);
  await clock.advance(10_000);
  assert.equal(stateOf(a.engine), 'FAULT');
  assert.ok(a.log.lines.includes('(VI_1) Entering FAULT STATE'), a.log.lines.join('\n'));
  assert.deepEqual(a.host.addressesOn('eth0'), ['10.0.0.1/24']);
  await clock.advance(4 * S);
  assert.equal(stateOf(b.engine), 'MASTER');
  a.host.setLink('eth0', true);
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(stateOf(b.engine), 'BACKUP');
  await a.engine.stop();
  await b.engine.stop();
});

test('a wrong password: both drop the other\'s adverts and both become master, as keepalived', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const body = (pass: string, prio: number): string =>
    `  priority ${prio}\n  authentication {\n    auth_type PASS\n    auth_pass ${pass}\n  }\n  virtual_ipaddress {\n    10.0.0.100/24\n  }`;
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(body('secret', 200)));
  const b = router(lan, clock, 'b', '10.0.0.2/24', conf(body('other', 100)));
  await a.start();
  await b.start();
  await clock.advance(6 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(stateOf(b.engine), 'MASTER');
  assert.ok((b.engine.counters.dropped['auth-data'] ?? 0) > 0);
  assert.ok(b.log.lines.includes('(VI_1) received an invalid passwd!'));
  await a.engine.stop();
  await b.engine.stop();
});

test('unicast peers: adverts go to each peer, never to the group', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const body = (src: string, peer: string, prio: number): string =>
    `  priority ${prio}\n  unicast_src_ip ${src}\n  unicast_peer {\n    ${peer}\n  }\n  virtual_ipaddress {\n    10.0.0.100/24\n  }`;
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(body('10.0.0.1', '10.0.0.2', 200)));
  const b = router(lan, clock, 'b', '10.0.0.2/24', conf(body('10.0.0.2', '10.0.0.1', 100)));
  await a.start();
  await b.start();
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(stateOf(b.engine), 'BACKUP');
  assert.ok(lan.wire.length > 0);
  assert.ok(lan.wire.every((w) => w.dst === (w.from === 'a' ? '10.0.0.2' : '10.0.0.1')), 'no multicast');
  await a.engine.stop();
  await b.engine.stop();
});

test('use_vmac: the VIP lives on a macvlan with the VRRP MAC, announced from that MAC, removed on stop', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf('  priority 200\n  use_vmac\n  virtual_ipaddress {\n    10.0.0.100/24\n  }'));
  await a.start();
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  const vmac = await a.host.link('vrrp.51');
  assert.ok(vmac, 'vrrp.51 exists');
  assert.equal(vmac.mac, '00:00:5e:00:01:33');
  assert.equal(vmac.kind, 'macvlan');
  assert.deepEqual(a.host.addressesOn('vrrp.51'), ['10.0.0.100/24']);
  assert.equal(a.host.garps[0]!.mac, '00:00:5e:00:01:33');
  await a.engine.stop();
  assert.equal(await a.host.link('vrrp.51'), undefined);
});

test('reload: a VIP added to a master is added alone; nothing else moves, no transition', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const vips = (...v: string[]): string => `virtual_ipaddress {\n    ${v.join('\n    ')}\n  }`;
  const a = router(lan, clock, 'a', '10.0.0.1/24', conf(`  priority 200\n  ${vips('10.0.0.100/24')}`));
  await a.start();
  await clock.advance(5 * S);
  assert.equal(stateOf(a.engine), 'MASTER');
  const transitions = a.engine.lastTransition.get('VI_1');
  const garps = a.host.garps.length;
  const r = await a.engine.reload(loadConfigText(conf(`  priority 200\n  ${vips('10.0.0.100/24', '10.0.0.101/24')}`)).config);
  await clock.advance(2 * S);
  assert.deepEqual(r, { kept: [], updated: ['VI_1'], removed: [], added: [] });
  assert.equal(stateOf(a.engine), 'MASTER');
  assert.equal(a.engine.lastTransition.get('VI_1'), transitions, 'no transition');
  assert.deepEqual(a.host.addressesOn('eth0').sort(), ['10.0.0.1/24', '10.0.0.100/24', '10.0.0.101/24']);
  assert.deepEqual(a.host.garps.slice(garps).map((g) => g.addresses), [['10.0.0.101']], 'only the new VIP is announced');
  // The adverts now list both VIPs.
  const lastAdvert = decodeIpPacket(lan.wire.at(-1)!.data);
  assert.ok(lastAdvert.ok && lastAdvert.packet.addresses.length === 2);

  // Removing one: removed alone.
  await a.engine.reload(loadConfigText(conf(`  priority 200\n  ${vips('10.0.0.101/24')}`)).config);
  await clock.advance(1 * S);
  assert.deepEqual(a.host.addressesOn('eth0').sort(), ['10.0.0.1/24', '10.0.0.101/24']);
  assert.equal(stateOf(a.engine), 'MASTER');
  await a.engine.stop();
});

test('reload: an unchanged instance is kept; a removed one releases its VIPs; a new one starts; a priority change keeps the state', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const inst = (name: string, vrid: number, prio: number, vip: string): string =>
    `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id ${vrid}\n  priority ${prio}\n  advert_int 1\n  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
  const a = router(lan, clock, 'a', '10.0.0.1/24', inst('VI_1', 51, 200, '10.0.0.100/24') + inst('VI_2', 52, 200, '10.0.0.102/24'));
  await a.start();
  await clock.advance(5 * S);
  assert.equal(a.engine.instance('VI_2')?.state, 'MASTER');
  const r = await a.engine.reload(loadConfigText(inst('VI_1', 51, 180, '10.0.0.100/24') + inst('VI_3', 53, 200, '10.0.0.103/24')).config);
  assert.deepEqual(r, { kept: [], updated: ['VI_1'], removed: ['VI_2'], added: ['VI_3'] });
  assert.equal(a.engine.instance('VI_1')?.state, 'MASTER');
  assert.equal(a.engine.instance('VI_1')?.effectivePriority, 180);
  assert.equal(a.engine.instance('VI_2'), undefined);
  await clock.advance(5 * S);
  assert.equal(a.engine.instance('VI_3')?.state, 'MASTER');
  assert.deepEqual(a.host.addressesOn('eth0').sort(), ['10.0.0.1/24', '10.0.0.100/24', '10.0.0.103/24']);
  const r2 = await a.engine.reload(loadConfigText(inst('VI_1', 51, 180, '10.0.0.100/24') + inst('VI_3', 53, 200, '10.0.0.103/24')).config);
  assert.deepEqual(r2, { kept: ['VI_1', 'VI_3'], updated: [], removed: [], added: [] });
  await a.engine.stop();
});

test('-V (keepAddressesOnStop): a stopping master sends no priority 0 and leaves its VIPs, as keepalived', async () => {
  const lan = new MemoryLan();
  const clock = new ManualClock();
  const host = new MemoryHost('a', lan);
  host.assign('eth0', '10.0.0.1/24');
  const engine = new VrrpEngine({ transport: host, addresses: host, garp: host, clock, log: memoryLogger(), keepAddressesOnStop: true });
  await engine.start(loadConfigText(conf('  priority 200\n  virtual_ipaddress {\n    10.0.0.100/24\n  }')).config);
  await clock.advance(5 * S);
  assert.equal(stateOf(engine), 'MASTER');
  const before = lan.wire.length;
  await engine.stop();
  const zero = lan.wire.slice(before).map((f) => decodeIpPacket(f.data)).filter((d) => d.ok && d.packet.priority === 0);
  assert.equal(zero.length, 0);
  assert.deepEqual(host.addressesOn('eth0').sort(), ['10.0.0.1/24', '10.0.0.100/24']);
});

test('stop: a master sends exactly one priority-0 advert, releaseMasters() first or not', async () => {
  for (const early of [false, true]) {
    const lan = new MemoryLan();
    const clock = new ManualClock();
    const host = new MemoryHost('a', lan);
    host.assign('eth0', '10.0.0.1/24');
    const engine = new VrrpEngine({ transport: host, addresses: host, garp: host, clock, log: memoryLogger() });
    await engine.start(loadConfigText(conf('  priority 200\n  virtual_ipaddress {\n    10.0.0.100/24\n  }')).config);
    await clock.advance(5 * S);
    assert.equal(stateOf(engine), 'MASTER');
    const before = lan.wire.length;
    if (early) engine.releaseMasters();
    await engine.stop();
    const sent = lan.wire.slice(before).map((f) => decodeIpPacket(f.data)).filter((d) => d.ok);
    assert.deepEqual(sent.map((d) => d.ok && d.packet.priority), [0], `early=${early}`);
    assert.deepEqual(host.addressesOn('eth0').sort(), ['10.0.0.1/24']);
  }
});
