// keel's VRRP sockets on a real kernel: two hosts on a bridged LAN of network namespaces, an agent
// process in each (test/netns/net-agent.ts) opening the sockets, tcpdump recording the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { Lab, type LabHost } from '../helpers/lab.js';
import { NetAgent, AgentError, sleep, type PacketEvent } from './net-agent.js';
import { authKey, decodeIpPacket, decodeVrrp, encodeAdvert, encodeVrrp, type AdvertSpec } from '../../src/vrrp/packet.js';
import { readCapture } from '../../src/capture/pcap.js';

const skip = netnsUnavailable() ?? (which('tcpdump') ? undefined : 'needs tcpdump');
/** How long a packet may take to show up, and how long to wait before saying one did not. */
const ARRIVE_MS = 4000;
const SETTLE_MS = 400;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function bytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

function encode(spec: AdvertSpec, whole = true): Uint8Array {
  const r = whole ? encodeAdvert(spec) : encodeVrrp(spec);
  if (!r.ok) throw new Error(r.error);
  return r.bytes;
}

function ifindex(h: LabHost, name: string): number {
  return Number(/^(\d+):/.exec(h.ip('-o', 'link', 'show', 'dev', name))![1]);
}

/** The interface's link-local address once DAD has finished (a tentative one cannot be a source). */
async function linkLocal(h: LabHost, dev: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const out = h.ip('-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link');
    const m = /inet6 (fe80::[0-9a-f:]+)\/64/.exec(out);
    if (m && !/tentative/.test(out)) return m[1]!;
    await sleep(100);
  }
  throw new Error(`no link-local address on ${h.label}:${dev}`);
}

/** tcpdump -w in a host, stopped (SIGINT, by pid) before the file is read. */
class Tcpdump {
  private readonly child: ChildProcess;
  private stderr = '';
  constructor(host: LabHost, readonly file: string, dev: string, filter: string[]) {
    this.child = host.spawn('tcpdump', ['-i', dev, '--immediate-mode', '-U', '-n', '-s', '0', '-w', file, ...filter]);
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  async started(): Promise<void> {
    for (let i = 0; i < 100 && !/listening on/.test(this.stderr); i++) await sleep(50);
    if (!/listening on/.test(this.stderr)) throw new Error(`tcpdump did not start: ${this.stderr}`);
  }

  /** The Ethernet frames captured. */
  async stop(): Promise<Uint8Array[]> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGINT');
    await exited;
    const r = readCapture(new Uint8Array(readFileSync(this.file)));
    if (!r.ok) throw new Error(r.error);
    return r.capture.frames.map((f) => f.data);
  }
}

describe('VRRP sockets on a real kernel', { skip }, () => {
  let lab: Lab;
  let a: LabHost;
  let b: LabHost;
  let agentA: NetAgent;
  let agentB: NetAgent;
  let dir: string;
  let llA = '';
  let llB0 = '';
  let llB1 = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-vrrp-socket-'));
    lab = new Lab('vs');
    a = lab.addHost('a', ['10.1.0.1/24']);
    b = lab.addHost('b', ['10.1.0.2/24'], 2);
    b.ip('addr', 'add', '10.1.0.3/24', 'dev', 'eth1');
    // b answers ARP for an address only on the interface holding it, so unicast to 10.1.0.3
    // arrives on eth1 and unicast to 10.1.0.2 on eth0 (for the SO_BINDTODEVICE test).
    b.exec('sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=1']);
    agentA = new NetAgent(a.ns);
    agentB = new NetAgent(b.ns);
    await Promise.all([agentA.ready(), agentB.ready()]);
    [llA, llB0, llB1] = await Promise.all([linkLocal(a, 'eth0'), linkLocal(b, 'eth0'), linkLocal(b, 'eth1')]);
  });

  after(async () => {
    await agentA?.stop();
    await agentB?.stop();
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sameHex = (h: string) => (e: { event: string; hex?: string }): e is PacketEvent => e.event === 'packet' && e.hex === h;

  describe('IPv4', () => {
    test('a multicast advert from a reaches b with TTL 255, its addresses, the bytes sent, as the wire carries them', async () => {
      await agentB.call('open', 'm4', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'] });
      await agentA.call('open', 's4', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'] });
      await agentA.call('open', 'l4', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'] });
      const dump = new Tcpdump(b, join(dir, 'v4.pcap'), 'eth0', ['ip', 'proto', '112']);
      await dump.started();
      const sent = encode({ version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.1.0.100', '10.1.0.101'], src: '10.1.0.1', ipId: 7 });
      await agentA.call('send', 's4', hex(sent), '224.0.0.18');
      const got = await agentB.waitFor(sameHex(hex(sent)), ARRIVE_MS, 'advert on b');
      assert.equal(got.socket, 'm4');
      assert.equal(got.family, 'inet');
      assert.equal(got.withIpHeader, true);
      assert.equal(got.src, '10.1.0.1');
      assert.equal(got.dst, '224.0.0.18');
      assert.equal(got.ttl, 255);
      assert.equal(got.ifindex, ifindex(b, 'eth0'));
      const d = decodeIpPacket(bytes(got.hex), { expect: { version: 2, authType: 'none', intervalCs: 100, addresses: ['10.1.0.100', '10.1.0.101'] } });
      assert.ok(d.ok, d.ok ? '' : d.detail);
      assert.equal(d.packet.vrid, 51);
      assert.equal(d.packet.priority, 100);

      await sleep(SETTLE_MS);
      const frames = await dump.stop();
      const ours = frames.filter((f) => hex(f.subarray(14)) === hex(sent));
      assert.equal(ours.length, 1, 'tcpdump saw exactly the bytes sent, once');
      assert.equal(hex(ours[0]!.subarray(0, 6)), '01005e000012', 'to the group\'s multicast MAC');
      // b's eth1 is on the same LAN: the copy arriving there is not for a socket bound to eth0.
      assert.equal(agentB.packets('m4').filter((p) => p.hex === hex(sent)).length, 1, 'one copy, from eth0 only');
      // IP_MULTICAST_LOOP 0: neither the sender nor another socket of host a sees it.
      assert.equal(agentA.packets('s4').length, 0, 'the sending socket does not receive its own advert');
      assert.equal(agentA.packets('l4').length, 0, 'nor does another socket of the sender');
    });

    test('a unicast advert to a peer on the same socket', async () => {
      await agentB.call('open', 'u4', { family: 'inet', interface: 'eth0', groups: [] });
      const sent = encode({ version: 3, vrid: 52, priority: 150, intervalCs: 100, addresses: ['10.1.0.200'], src: '10.1.0.1', dst: '10.1.0.2', unicast: true, ipId: 9 });
      await agentA.call('send', 's4', hex(sent), '10.1.0.2');
      const got = await agentB.waitPacket((e) => e.hex === hex(sent) && e.socket === 'u4', ARRIVE_MS, 'unicast advert on b');
      assert.equal(got.dst, '10.1.0.2');
      assert.equal(got.src, '10.1.0.1');
      const d = decodeIpPacket(bytes(got.hex), {
        expect: { version: 3, authType: 'none', intervalCs: 100, unicast: true, addresses: ['10.1.0.200'], unicastPeers: [{ address: '10.1.0.1' }], checkUnicastSrc: true },
      });
      assert.ok(d.ok, d.ok ? '' : d.detail);
      assert.equal(d.packet.multicast, false);
    });

    test('SO_BINDTODEVICE: a socket sees only what arrives on its interface', async () => {
      await agentB.call('open', 'e0', { family: 'inet', interface: 'eth0', groups: [] });
      await agentB.call('open', 'e1', { family: 'inet', interface: 'eth1', groups: [] });
      const toEth1 = encode({ version: 3, vrid: 53, priority: 100, intervalCs: 100, addresses: ['10.1.0.201'], src: '10.1.0.1', dst: '10.1.0.3', ipId: 11 });
      const toEth0 = encode({ version: 3, vrid: 54, priority: 100, intervalCs: 100, addresses: ['10.1.0.202'], src: '10.1.0.1', dst: '10.1.0.2', ipId: 12 });
      await agentA.call('send', 's4', hex(toEth1), '10.1.0.3');
      await agentA.call('send', 's4', hex(toEth0), '10.1.0.2');
      const on1 = await agentB.waitPacket((e) => e.hex === hex(toEth1) && e.socket === 'e1', ARRIVE_MS, 'advert on eth1');
      assert.equal(on1.ifindex, ifindex(b, 'eth1'));
      await agentB.waitPacket((e) => e.hex === hex(toEth0) && e.socket === 'e0', ARRIVE_MS, 'advert on eth0');
      await sleep(SETTLE_MS);
      assert.deepEqual(agentB.packets('e0').map((p) => p.hex), [hex(toEth0)], 'eth0 socket: only what came in on eth0');
      assert.deepEqual(agentB.packets('e1').map((p) => p.hex), [hex(toEth1)], 'eth1 socket: only what came in on eth1');
      assert.equal(agentB.packets('u4').filter((p) => p.hex === hex(toEth1)).length, 0);
    });

    test('AH instances: protocol 51 sockets carry keepalived\'s AH adverts, VRRP sockets do not see them', async () => {
      await agentB.call('open', 'ah', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'], protocol: 51 });
      await agentA.call('open', 'ahs', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'], protocol: 51 });
      const sent = encode({ version: 2, vrid: 55, priority: 100, intervalCs: 100, addresses: ['10.1.0.210'], src: '10.1.0.1', authType: 'AH', authPass: 'secret', ipId: 13, ahSeq: 1 });
      await agentA.call('send', 'ahs', hex(sent), '224.0.0.18');
      const got = await agentB.waitPacket((e) => e.hex === hex(sent) && e.socket === 'ah', ARRIVE_MS, 'AH advert');
      const d = decodeIpPacket(bytes(got.hex), { expect: { version: 2, authType: 'AH', authKey: authKey('secret'), intervalCs: 100 } });
      assert.ok(d.ok, d.ok ? '' : d.detail);
      await sleep(SETTLE_MS);
      assert.equal(agentB.packets('m4').filter((p) => p.hex === hex(sent)).length, 0, 'not on the protocol 112 socket');
    });
  });

  describe('IPv6 (VRRPv3)', () => {
    test('an advert from a link-local source reaches b with hop limit 255, source and destination, and decodes', async () => {
      await agentB.call('open', 'm6', { family: 'inet6', interface: 'eth0', groups: ['ff02::12'] });
      await agentA.call('open', 's6', { family: 'inet6', interface: 'eth0', groups: ['ff02::12'] });
      await agentA.call('open', 'l6', { family: 'inet6', interface: 'eth0', groups: ['ff02::12'] });
      const dump = new Tcpdump(b, join(dir, 'v6.pcap'), 'eth0', ['ip6', 'proto', '112']);
      await dump.started();
      const spec: AdvertSpec = { version: 3, vrid: 61, priority: 120, intervalCs: 100, addresses: ['fe80::100', '2001:db8::100'], src: llA };
      const sent = encode(spec, false);
      await agentA.call('send', 's6', hex(sent), 'ff02::12', { src: llA });
      const got = await agentB.waitFor(sameHex(hex(sent)), ARRIVE_MS, 'IPv6 advert on b');
      assert.equal(got.socket, 'm6');
      assert.equal(got.family, 'inet6');
      assert.equal(got.withIpHeader, false);
      assert.equal(got.src, llA);
      assert.equal(got.dst, 'ff02::12');
      assert.equal(got.ttl, 255);
      assert.equal(got.ifindex, ifindex(b, 'eth0'));
      const d = decodeVrrp(bytes(got.hex), { family: 'inet6', src: got.src, dst: got.dst, ttl: got.ttl }, {
        expect: { version: 3, authType: 'none', intervalCs: 100, addresses: ['fe80::100', '2001:db8::100'] },
      });
      assert.ok(d.ok, d.ok ? '' : d.detail);

      await sleep(SETTLE_MS);
      const frames = await dump.stop();
      const ours = frames.filter((f) => hex(f.subarray(54)) === hex(sent));
      assert.equal(ours.length, 1, 'tcpdump saw exactly the message sent, once');
      const ip = ours[0]!.subarray(14, 54);
      assert.equal(hex(ours[0]!.subarray(0, 6)), '333300000012', 'to ff02::12\'s multicast MAC');
      assert.equal(ip[0]! >> 4, 6);
      assert.equal(((ip[0]! & 0x0f) << 4) | (ip[1]! >> 4), 0xc0, 'traffic class 0xc0');
      assert.equal(ip[6], 112, 'next header VRRP');
      assert.equal(ip[7], 255, 'hop limit 255');
      assert.equal((ip[4]! << 8) | ip[5]!, sent.length, 'payload length');
      assert.equal(hex(ip.subarray(24, 40)), 'ff020000000000000000000000000012');
      assert.equal(agentA.packets('s6').length, 0, 'IPV6_MULTICAST_LOOP 0: not the sender');
      assert.equal(agentA.packets('l6').length, 0, 'nor another socket of host a');
    });

    test('the kernel fills the checksum (IPV6_CHECKSUM 6): a message sent with 0 there arrives with the right one', async () => {
      const right = encode({ version: 3, vrid: 62, priority: 100, intervalCs: 100, addresses: ['fe80::101'], src: llA }, false);
      const zeroed = new Uint8Array(right);
      zeroed[6] = 0;
      zeroed[7] = 0;
      assert.notEqual(hex(zeroed), hex(right));
      await agentA.call('send', 's6', hex(zeroed), 'ff02::12', { src: llA });
      await agentB.waitFor(sameHex(hex(right)), ARRIVE_MS, 'advert with the kernel\'s checksum');
    });

    test('unicast to a peer: hop limit as given (unicast_ttl), else the kernel\'s default', async () => {
      await agentB.call('open', 'u6', { family: 'inet6', interface: 'eth0', groups: [] });
      const m1 = encode({ version: 3, vrid: 63, priority: 100, intervalCs: 100, addresses: ['fe80::102'], src: llA, dst: llB0 }, false);
      await agentA.call('send', 's6', hex(m1), llB0, { src: llA, ttl: 200 });
      const g1 = await agentB.waitPacket((e) => e.hex === hex(m1) && e.socket === 'u6', ARRIVE_MS, 'unicast IPv6 advert');
      assert.equal(g1.ttl, 200);
      assert.equal(g1.dst, llB0);
      assert.equal(g1.src, llA);
      const d = decodeVrrp(bytes(g1.hex), { family: 'inet6', src: g1.src, dst: g1.dst, ttl: g1.ttl }, {
        expect: { version: 3, authType: 'none', intervalCs: 100, unicast: true, addresses: ['fe80::102'] },
      });
      assert.ok(d.ok, d.ok ? '' : d.detail);

      const m2 = encode({ version: 3, vrid: 64, priority: 100, intervalCs: 100, addresses: ['fe80::103'], src: llA, dst: llB0 }, false);
      await agentA.call('send', 's6', hex(m2), llB0, { src: llA });
      const g2 = await agentB.waitPacket((e) => e.hex === hex(m2) && e.socket === 'u6', ARRIVE_MS, 'unicast IPv6 advert, default hops');
      const def = Number(a.exec('sysctl', ['-n', 'net.ipv6.conf.eth0.hop_limit']).stdout.trim());
      assert.equal(g2.ttl, def);
    });

    test('SO_BINDTODEVICE: a socket sees only what arrives on its interface', async () => {
      await agentB.call('open', 'e0v6', { family: 'inet6', interface: 'eth0', groups: [] });
      await agentB.call('open', 'e1v6', { family: 'inet6', interface: 'eth1', groups: [] });
      const m = encode({ version: 3, vrid: 65, priority: 100, intervalCs: 100, addresses: ['fe80::104'], src: llA, dst: llB1 }, false);
      await agentA.call('send', 's6', hex(m), llB1, { src: llA });
      const got = await agentB.waitPacket((e) => e.hex === hex(m) && e.socket === 'e1v6', ARRIVE_MS, 'advert on eth1');
      assert.equal(got.ifindex, ifindex(b, 'eth1'));
      await sleep(SETTLE_MS);
      assert.equal(agentB.packets('e0v6').length, 0);
      assert.equal(agentB.packets('u6').filter((p) => p.hex === hex(m)).length, 0);
    });
  });

  test('the same adverts as keepalived 2.2.7, byte for byte on the wire (IPv4 v2 and IPv6 v3)', { skip: keepalivedUnavailable() }, async () => {
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, [
      'global_defs {', '  router_id keel_socket_test', '}',
      'vrrp_instance K4 {', '  state MASTER', '  interface eth0', '  virtual_router_id 82', '  priority 255', '  advert_int 1',
      '  virtual_ipaddress {', '    10.1.0.82/24', '  }', '}',
      'vrrp_instance K6 {', '  state MASTER', '  interface eth0', '  virtual_router_id 81', '  priority 255', '  advert_int 1', '  version 3',
      '  virtual_ipaddress {', '    2001:db8::81/64', '  }', '}', '',
    ].join('\n'));
    await agentB.call('open', 'k6', { family: 'inet6', interface: 'eth0', groups: ['ff02::12'] });
    await agentB.call('open', 'k4', { family: 'inet', interface: 'eth0', groups: ['224.0.0.18'] });
    const dump = new Tcpdump(b, join(dir, 'ka.pcap'), 'eth0', ['ip', 'proto', '112', 'or', 'ip6', 'proto', '112']);
    await dump.started();
    const ka = a.spawn('keepalived', ['-n', '-l', '-P', '-f', conf, '-p', join(dir, 'ka.pid'), '-r', join(dir, 'kv.pid'), '-c', join(dir, 'kc.pid')]);
    const isKa = (vrid: number, socket: string) => (e: PacketEvent): boolean => e.socket === socket && e.ttl === 255 &&
      (e.family === 'inet' ? decodeIpPacket(bytes(e.hex)) : decodeVrrp(bytes(e.hex), { family: 'inet6', src: e.src, dst: e.dst, ttl: e.ttl })).packet?.vrid === vrid;
    let ka4: PacketEvent;
    try {
      ka4 = await agentB.waitPacket(isKa(82, 'k4'), 10_000, 'keepalived\'s IPv4 advert');
      await agentB.waitPacket(isKa(81, 'k6'), 10_000, 'keepalived\'s IPv6 advert');
    } finally {
      const exited = new Promise<void>((r) => ka.once('exit', () => r()));
      if (ka.exitCode === null && ka.pid) process.kill(ka.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    // keel's encoder and sockets, the same instances: the IP id is the only field keepalived
    // counts, so take the one its first advert carried.
    const ipId = (bytes(ka4.hex)[4]! << 8) | bytes(ka4.hex)[5]!;
    const v4 = encode({ version: 2, vrid: 82, priority: 255, intervalCs: 100, addresses: ['10.1.0.82'], src: '10.1.0.1', ipId });
    const v6 = encode({ version: 3, vrid: 81, priority: 255, intervalCs: 100, addresses: ['2001:db8::81'], src: llA }, false);
    await agentA.call('send', 's4', hex(v4), '224.0.0.18');
    await agentA.call('send', 's6', hex(v6), 'ff02::12', { src: llA });
    await agentB.waitPacket((e) => e.hex === hex(v6), ARRIVE_MS, 'keel\'s IPv6 advert');
    await sleep(SETTLE_MS);
    const frames = await dump.stop();
    const v4Frames = frames.filter((f) => f[12] === 0x08 && f[13] === 0x00 && decodeIpPacket(f.subarray(14)).packet?.vrid === 82 && f[14 + 20 + 2] === 255);
    const v6Frames = frames.filter((f) => f[12] === 0x86 && f[13] === 0xdd && decodeIpPacket(f.subarray(14)).packet?.vrid === 81 && f[14 + 40 + 2] === 255);
    assert.ok(v4Frames.length >= 2 && v6Frames.length >= 2, `captured ${v4Frames.length} IPv4 and ${v6Frames.length} IPv6 adverts`);
    assert.equal(hex(v4Frames.at(-1)!), hex(v4Frames[0]!), 'keel\'s IPv4 frame equals keepalived\'s first');
    assert.equal(hex(v6Frames.at(-1)!), hex(v6Frames[0]!), 'keel\'s IPv6 frame equals keepalived\'s first (header, flow label and checksum included)');
  });

  describe('errors name the interface and never end the agent', () => {
    test('opening on a missing interface, or with a group that is not multicast', async () => {
      await assert.rejects(agentA.call('open', 'x', { family: 'inet', interface: 'nope0', groups: ['224.0.0.18'] }),
        (e: AgentError) => e.code === 'ENODEV' && /nope0/.test(e.message));
      await assert.rejects(agentA.call('open', 'x', { family: 'inet6', interface: 'nope0', groups: ['ff02::12'] }),
        (e: AgentError) => e.code === 'ENODEV' && /nope0/.test(e.message));
      await assert.rejects(agentA.call('open', 'x', { family: 'inet', interface: 'eth0', groups: ['10.1.0.5'] }),
        (e: AgentError) => e.code === 'EINVAL' && /10\.1\.0\.5 is not an IPv4 multicast group/.test(e.message));
    });

    test('sending on a link that is down fails with the errno and the interface; it works again once up', async () => {
      a.ip('link', 'add', 'x0', 'type', 'veth', 'peer', 'name', 'x1');
      a.ip('link', 'set', 'x1', 'up');
      a.ip('link', 'set', 'x0', 'up');
      a.ip('addr', 'add', '10.2.0.1/24', 'dev', 'x0');
      await agentA.call('open', 'x4', { family: 'inet', interface: 'x0', groups: ['224.0.0.18'] });
      await agentA.call('open', 'x6', { family: 'inet6', interface: 'x0', groups: ['ff02::12'] });
      const ll = await linkLocal(a, 'x0');
      const v4 = encode({ version: 2, vrid: 71, priority: 100, intervalCs: 100, addresses: ['10.2.0.100'], src: '10.2.0.1' });
      const v6 = encode({ version: 3, vrid: 71, priority: 100, intervalCs: 100, addresses: ['fe80::171'], src: ll }, false);
      await agentA.call('send', 'x4', hex(v4), '224.0.0.18');
      await agentA.call('send', 'x6', hex(v6), 'ff02::12', { src: ll });
      a.ip('link', 'set', 'x0', 'down');
      await assert.rejects(agentA.call('send', 'x4', hex(v4), '224.0.0.18'),
        (e: AgentError) => /x0/.test(e.message) && /^E[A-Z]+$/.test(e.code ?? '') && e.code !== 'EIO');
      await assert.rejects(agentA.call('send', 'x6', hex(v6), 'ff02::12', { src: ll }),
        (e: AgentError) => /x0/.test(e.message) && /^E[A-Z]+$/.test(e.code ?? ''));
      a.ip('link', 'set', 'x0', 'up');
      await agentA.call('send', 'x4', hex(v4), '224.0.0.18');
      // The interface vanishing under an open socket: an error, not a crash.
      a.ip('link', 'del', 'x0');
      await assert.rejects(agentA.call('send', 'x4', hex(v4), '224.0.0.18'), (e: AgentError) => /x0/.test(e.message));
      await assert.rejects(agentA.call('send', 'x6', hex(v6), 'ff02::12', { src: ll }), (e: AgentError) => /x0/.test(e.message));
      await agentA.call('close', 'x4');
      await agentA.call('close', 'x6');
      // The agent (and its other sockets) carry on.
      const again = encode({ version: 2, vrid: 72, priority: 100, intervalCs: 100, addresses: ['10.1.0.172'], src: '10.1.0.1', ipId: 21 });
      await agentA.call('send', 's4', hex(again), '224.0.0.18');
      await agentB.waitFor(sameHex(hex(again)), ARRIVE_MS, 'advert after the errors');
    });
  });
});
