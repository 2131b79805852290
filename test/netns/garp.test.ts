// Gratuitous ARP and unsolicited NA on a real kernel: host a announces, host b's neighbour cache
// and a tcpdump on b say what arrived. When keepalived is installed, its own announcements are
// captured on the same LAN and compared byte for byte with keel's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { Lab, type LabHost } from '../helpers/lab.js';
import { AgentError, NetAgent, sleep } from './net-agent.js';
import { gratuitousArp, parseArpFrame, parseMac, parseNaFrame, unsolicitedNa } from '../../src/net/arp-frame.js';
import { parseIPv4, parseIPv6 } from '../../src/vrrp/ip.js';
import { readCapture } from '../../src/capture/pcap.js';

const skip = netnsUnavailable() ?? (which('tcpdump') ? undefined : 'needs tcpdump');

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** tcpdump -w in a host, stopped (SIGINT, by pid) before the file is read. */
class Tcpdump {
  private readonly child: ChildProcess;
  private stderr = '';
  constructor(host: LabHost, readonly file: string, filter: string[]) {
    this.child = host.spawn('tcpdump', ['-i', 'eth0', '--immediate-mode', '-U', '-n', '-s', '0', '-w', file, ...filter]);
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  async started(): Promise<void> {
    for (let i = 0; i < 100 && !/listening on/.test(this.stderr); i++) await sleep(50);
    if (!/listening on/.test(this.stderr)) throw new Error(`tcpdump did not start: ${this.stderr}`);
  }

  async stop(): Promise<Uint8Array[]> {
    return (await this.stopTimed()).map((f) => f.data);
  }

  /** The frames with their capture times in milliseconds. */
  async stopTimed(): Promise<{ data: Uint8Array; ms: number }[]> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGINT');
    await exited;
    const r = readCapture(new Uint8Array(readFileSync(this.file)));
    if (!r.ok) throw new Error(r.error);
    return r.capture.frames.map((f) => ({ data: f.data, ms: f.tsSec * 1000 + f.tsNsec / 1e6 }));
  }
}

const ARP_FILTER = ['arp'];
const NA_FILTER = ['icmp6', 'and', 'ip6[40]', '==', '136'];

/** b's neighbour entry for `addr`: its MAC and whether it is flagged as a router. */
function neighbour(b: LabHost, addr: string): { mac?: string; router: boolean } {
  const out = b.ip(...(addr.includes(':') ? ['-6'] : []), 'neigh', 'show', addr, 'dev', 'eth0');
  const m = /lladdr ([0-9a-f:]{17})/.exec(out);
  return { ...(m ? { mac: m[1]! } : {}), router: /\brouter\b/.test(out) };
}

/**
 * Linux takes a gratuitous ARP or an unsolicited NA as an update of an entry it already has (it
 * creates none unless arp_accept / accept_untracked_na): plant a stale entry with another MAC.
 */
function plantNeighbour(b: LabHost, addr: string, mac: string): void {
  b.ip(...(addr.includes(':') ? ['-6'] : []), 'neigh', 'replace', addr, 'lladdr', mac, 'dev', 'eth0', 'nud', 'stale');
  assert.equal(neighbour(b, addr).mac, mac);
}

async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  for (let t = 0; t < ms; t += 50) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

describe('gratuitous ARP and unsolicited NA on a real kernel', { skip }, () => {
  let lab: Lab;
  let a: LabHost;
  let b: LabHost;
  let agentA: NetAgent;
  let dir: string;
  let macA = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-garp-'));
    lab = new Lab('ga');
    a = lab.addHost('a', ['10.3.0.1/24']);
    b = lab.addHost('b', ['10.3.0.2/24']);
    agentA = new NetAgent(a.ns);
    await agentA.ready();
    macA = (await agentA.call<string>('mac', 'eth0'))!;
    assert.match(macA, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  });

  after(async () => {
    await agentA?.stop();
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a gratuitous ARP from a updates b\'s neighbour entry to a\'s MAC; the frame is keepalived\'s', async () => {
    plantNeighbour(b, '10.3.0.100', '02:00:00:00:00:99');
    const dump = new Tcpdump(b, join(dir, 'arp.pcap'), ARP_FILTER);
    await dump.started();
    const r = await agentA.call<{ sent: number }>('announce', 'eth0', null, ['10.3.0.100'], 1);
    assert.equal(r.sent, 1);
    assert.ok(await eventually(() => neighbour(b, '10.3.0.100').mac === macA), `b's entry: ${JSON.stringify(neighbour(b, '10.3.0.100'))}`);
    const frames = await dump.stop();
    const ours = frames.filter((f) => parseArpFrame(f)?.senderIp === '10.3.0.100');
    assert.equal(ours.length, 1);
    assert.equal(hex(ours[0]!), hex(gratuitousArp(parseMac(macA)!, parseIPv4('10.3.0.100')!)));
    assert.deepEqual(parseArpFrame(ours[0]!), {
      ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: macA, op: 1, senderMac: macA, senderIp: '10.3.0.100', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: '10.3.0.100',
    });
  });

  test('from a VMAC-like MAC, the frames carry it, b learns it, and `repeat` sends every address that many times in order', async () => {
    const vmac = '00:00:5e:00:01:33';
    plantNeighbour(b, '10.3.0.101', '02:00:00:00:00:98');
    const dump = new Tcpdump(b, join(dir, 'vmac.pcap'), ARP_FILTER);
    await dump.started();
    const r = await agentA.call<{ sent: number }>('announce', 'eth0', vmac, ['10.3.0.101', '10.3.0.102'], 3);
    assert.equal(r.sent, 6);
    assert.ok(await eventually(() => neighbour(b, '10.3.0.101').mac === vmac));
    await sleep(200);
    const frames = (await dump.stop()).map(parseArpFrame).filter((f) => f && f.senderIp.startsWith('10.3.0.10'));
    assert.deepEqual(frames.map((f) => f!.senderIp), ['10.3.0.101', '10.3.0.102', '10.3.0.101', '10.3.0.102', '10.3.0.101', '10.3.0.102'],
      'all addresses, then all again (keepalived\'s order)');
    for (const f of frames) {
      assert.equal(f!.ethSrc, vmac);
      assert.equal(f!.senderMac, vmac);
    }
  });

  test('on a VMAC interface (macvlan) with no MAC given, its own MAC goes out; NOARP on the base stops it, as keepalived', async () => {
    const vmac = '00:00:5e:00:01:34';
    a.ip('link', 'add', 'link', 'eth0', 'name', 'vm0', 'address', vmac, 'type', 'macvlan', 'mode', 'private');
    a.ip('link', 'set', 'vm0', 'up');
    try {
      plantNeighbour(b, '10.3.0.103', '02:00:00:00:00:95');
      assert.equal((await agentA.call<{ sent: number }>('announce', 'vm0', null, ['10.3.0.103'], 1)).sent, 1);
      assert.ok(await eventually(() => neighbour(b, '10.3.0.103').mac === vmac));
      a.ip('link', 'set', 'eth0', 'arp', 'off');
      assert.equal((await agentA.call<{ sent: number }>('announce', 'vm0', null, ['10.3.0.103'], 1)).sent, 0);
    } finally {
      a.ip('link', 'set', 'eth0', 'arp', 'on');
      a.ip('link', 'del', 'vm0');
    }
  });

  test('an unsolicited NA updates b\'s IPv6 neighbour entry; the frame is keepalived\'s', async () => {
    plantNeighbour(b, '2001:db8::10', '02:00:00:00:00:97');
    const dump = new Tcpdump(b, join(dir, 'na.pcap'), NA_FILTER);
    await dump.started();
    const r = await agentA.call<{ sent: number }>('announce', 'eth0', null, ['2001:db8::10/64'], 1);
    assert.equal(r.sent, 1);
    assert.ok(await eventually(() => neighbour(b, '2001:db8::10').mac === macA), `b's entry: ${JSON.stringify(neighbour(b, '2001:db8::10'))}`);
    assert.equal(neighbour(b, '2001:db8::10').router, false);
    const frames = (await dump.stop()).filter((f) => parseNaFrame(f)?.target === '2001:db8::10');
    assert.equal(frames.length, 1);
    assert.equal(hex(frames[0]!), hex(unsolicitedNa(parseMac(macA)!, parseIPv6('2001:db8::10')!)));
    const na = parseNaFrame(frames[0]!)!;
    assert.equal(na.checksumOk, true);
    assert.equal(na.override, true);
    assert.equal(na.solicited, false);
    assert.equal(na.hopLimit, 255);
    assert.equal(na.dst, 'ff02::1');
    assert.equal(na.ethDst, '33:33:00:00:00:01');
  });

  test('the router flag follows net.ipv6.conf.IF.forwarding, as keepalived\'s does', async () => {
    a.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.eth0.forwarding=1']);
    try {
      plantNeighbour(b, '2001:db8::11', '02:00:00:00:00:96');
      await agentA.call('announce', 'eth0', null, ['2001:db8::11'], 1);
      assert.ok(await eventually(() => neighbour(b, '2001:db8::11').mac === macA));
      assert.equal(neighbour(b, '2001:db8::11').router, true, 'b marks the entry as a router');
    } finally {
      a.exec('sysctl', ['-q', '-w', 'net.ipv6.conf.eth0.forwarding=0']);
    }
  });

  test('vrrp_garp_interval: gratuitous ARPs on an interface at least that far apart, across announcements', async () => {
    const dump = new Tcpdump(b, join(dir, 'interval.pcap'), ARP_FILTER);
    await dump.started();
    const opts = { garpIntervalMs: 150 };
    const r1 = await agentA.call<{ sent: number }>('announce', 'eth0', null, ['10.3.0.130', '10.3.0.131'], 1, opts);
    const r2 = await agentA.call<{ sent: number }>('announce', 'eth0', null, ['10.3.0.132'], 1, opts);
    assert.equal(r1.sent + r2.sent, 3);
    await sleep(200);
    const frames = (await dump.stopTimed()).filter((f) => parseArpFrame(f.data)?.senderIp.startsWith('10.3.0.13'));
    assert.deepEqual(frames.map((f) => parseArpFrame(f.data)!.senderIp), ['10.3.0.130', '10.3.0.131', '10.3.0.132']);
    for (let i = 1; i < frames.length; i++) {
      // A lower bound only: a slow machine makes the gaps longer, never shorter.
      assert.ok(frames[i]!.ms - frames[i - 1]!.ms >= 140, `gap ${i}: ${(frames[i]!.ms - frames[i - 1]!.ms).toFixed(1)} ms`);
    }
  });

  test('1,000 addresses x 5 in one announce(): one socket, every frame on the wire', async (t) => {
    const rx = (): number => Number(b.exec('cat', ['/sys/class/net/eth0/statistics/rx_packets']).stdout.trim());
    const before = rx();
    const r = await agentA.call<{ sent: number; ms: number }>('announceMany', 'eth0', '10.4.0.0', 1000, 5);
    assert.equal(r.sent, 5000);
    assert.ok(await eventually(() => rx() - before >= 5000), `b received ${rx() - before} frames`);
    t.diagnostic(`1000 addresses x 5: ${r.sent} frames in ${r.ms.toFixed(1)} ms`);
  });

  test('bad input is refused before anything is sent; errors name the interface', async () => {
    await assert.rejects(agentA.call('announce', 'nope0', null, ['10.3.0.1'], 1), (e: AgentError) => /nope0/.test(e.message) && /No such device|ENODEV/.test(e.message));
    await assert.rejects(agentA.call('announce', 'eth0', null, ['10.3.0.120', 'bogus'], 1), (e: AgentError) => /bogus is not an IPv4 or IPv6 address/.test(e.message));
    await assert.rejects(agentA.call('announce', 'eth0', 'zz:00:5e:00:01:01', ['10.3.0.120'], 1), (e: AgentError) => /zz:00:5e:00:01:01 is not a MAC address/.test(e.message));
    assert.equal((await agentA.call<{ sent: number }>('announce', 'eth0', null, [], 5)).sent, 0);
  });

  test('a link that is down: the errno and the interface; an interface without ARP: nothing sent, as keepalived', async () => {
    a.ip('link', 'add', 'y0', 'type', 'veth', 'peer', 'name', 'y1');
    await assert.rejects(agentA.call('announce', 'y0', null, ['10.5.0.1', '10.5.0.2'], 2),
      (e: AgentError) => /on y0/.test(e.message) && /ENETDOWN/.test(e.message) && /and 3 more/.test(e.message));
    a.ip('link', 'set', 'y0', 'up');
    a.ip('link', 'set', 'y0', 'arp', 'off');
    assert.equal((await agentA.call<{ sent: number }>('announce', 'y0', null, ['10.5.0.1'], 3)).sent, 0);
    a.ip('link', 'del', 'y0');
  });

  test('keepalived 2.2.7 sends the same bytes for the same address and MAC', { skip: keepalivedUnavailable() }, async () => {
    const conf = join(dir, 'keepalived.conf');
    writeFileSync(conf, [
      'global_defs {', '  router_id keel_garp_test', '}',
      'vrrp_instance G4 {', '  state MASTER', '  interface eth0', '  virtual_router_id 77', '  priority 255', '  advert_int 1',
      '  virtual_ipaddress {', '    10.3.0.77/24', '  }', '}',
      'vrrp_instance G6 {', '  state MASTER', '  interface eth0', '  virtual_router_id 78', '  priority 255', '  advert_int 1',
      '  virtual_ipaddress {', '    2001:db8::77/64', '  }', '}', '',
    ].join('\n'));
    const dump = new Tcpdump(b, join(dir, 'ka.pcap'), ['arp', 'or', '(', ...NA_FILTER, ')']);
    await dump.started();
    const ka = a.spawn('keepalived', ['-n', '-l', '-P', '-f', conf, '-p', join(dir, 'ka.pid'), '-r', join(dir, 'kv.pid'), '-c', join(dir, 'kc.pid')]);
    let log = '';
    ka.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    ka.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    try {
      // keepalived announces on becoming master; wait for both families' first frames.
      const haveBoth = (): boolean => /G4\) Entering MASTER/.test(log) && /G6\) Entering MASTER/.test(log);
      assert.ok(await eventually(haveBoth, 10_000), `keepalived did not become master:\n${log}`);
      await sleep(500);
    } finally {
      const exited = new Promise<void>((r) => ka.once('exit', () => r()));
      if (ka.exitCode === null && ka.pid) process.kill(ka.pid, 'SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    const frames = await dump.stop();
    const arp = frames.find((f) => parseArpFrame(f)?.senderIp === '10.3.0.77');
    const na = frames.find((f) => parseNaFrame(f)?.target === '2001:db8::77');
    assert.ok(arp, 'keepalived\'s gratuitous ARP captured');
    assert.ok(na, 'keepalived\'s unsolicited NA captured');
    assert.equal(hex(arp), hex(gratuitousArp(parseMac(macA)!, parseIPv4('10.3.0.77')!)));
    assert.equal(hex(na), hex(unsolicitedNa(parseMac(macA)!, parseIPv6('2001:db8::77')!)));
  });
});
