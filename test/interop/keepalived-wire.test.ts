// keel's encoder against real keepalived 2.2.7: run keepalived in a private network namespace for
// about three seconds with nine instances (v2 none / PASS / AH, v3, unicast with and without
// old_unicast_checksum, IPv6 multicast and unicast, unicast_ttl), capture the far end of a veth
// pair with tcpdump, and require every advert (priority 255 while master, priority 0 on SIGTERM)
// to be byte-identical to what encodeAdvert builds from the same config. keepalived numbers the
// IPv4 id and the AH sequence 1, 2, 3 ... per instance, so those are predicted, not copied; only
// the IPv6 flow label (chosen by the kernel) is taken from the capture.
// Also: keel's receive checks, configured like each instance, accept every one of them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { loadConfigText } from '../../src/config/build.js';
import { readCapture, ipFromFrame } from '../../src/capture/pcap.js';
import { decodeIpPacket, encodeAdvert } from '../../src/vrrp/packet.js';
import { parseIpHeader } from '../../src/vrrp/ip.js';
import { advertSpecFromInstance, expectedFromInstance } from '../../src/vrrp/advert-config.js';

const CONF = `
global_defs {
  router_id keelwire
}
vrrp_instance V2N {
  state MASTER
  interface va
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.123.1.1/32
    10.123.1.2/32
  }
}
vrrp_instance V2P {
  state MASTER
  interface va
  virtual_router_id 52
  priority 255
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret12345
  }
  virtual_ipaddress {
    10.123.2.1/32
  }
}
vrrp_instance V2A {
  state MASTER
  interface va
  virtual_router_id 53
  priority 255
  advert_int 1
  authentication {
    auth_type AH
    auth_pass ahpass
  }
  virtual_ipaddress {
    10.123.3.1/32
    10.123.3.2/32
    10.123.3.3/32
  }
}
vrrp_instance V3 {
  state MASTER
  interface va
  version 3
  virtual_router_id 54
  priority 255
  advert_int 0.5
  virtual_ipaddress {
    10.123.4.1/32
  }
}
vrrp_instance V3U {
  state MASTER
  interface va
  version 3
  virtual_router_id 55
  priority 255
  advert_int 1
  unicast_src_ip 10.123.0.1
  unicast_peer {
    10.123.0.2
  }
  virtual_ipaddress {
    10.123.5.1/32
  }
}
vrrp_instance V3O {
  state MASTER
  interface va
  version 3
  virtual_router_id 56
  priority 255
  advert_int 1
  old_unicast_checksum
  unicast_src_ip 10.123.0.1
  unicast_peer {
    10.123.0.2
  }
  virtual_ipaddress {
    10.123.6.1/32
  }
}
vrrp_instance V6 {
  state MASTER
  interface va
  virtual_router_id 57
  priority 255
  advert_int 1
  virtual_ipaddress {
    fd00::57/128
    fd00::58/128
  }
}
vrrp_instance V2U {
  state MASTER
  interface va
  virtual_router_id 58
  priority 255
  advert_int 2
  unicast_ttl 17
  unicast_src_ip 10.123.0.1
  unicast_peer {
    10.123.0.2
  }
  virtual_ipaddress {
    10.123.8.1/32
  }
}
vrrp_instance V6U {
  state MASTER
  interface va
  virtual_router_id 59
  priority 255
  advert_int 1
  unicast_src_ip fd00:1::1
  unicast_peer {
    fd00:1::2
  }
  virtual_ipaddress {
    fd00::59/128
  }
}
`;

/** The interface addresses keepalived takes as its source when none is configured. */
const PRIMARY = { inet: '10.123.0.1', inet6: 'fe80::a:1' };

const skip = netnsUnavailable() ?? keepalivedUnavailable() ?? (which('tcpdump') ? undefined : 'needs tcpdump');
const tag = `${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
const nsA = `kwa${tag}`;
const nsB = `kwb${tag}`;
const created: string[] = [];
const children: ChildProcess[] = [];
let dir: string | undefined;

function sh(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const ns of created) spawnSync('ip', ['netns', 'del', ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    c.once('exit', () => { clearTimeout(t); res(true); });
  });
}

test('keepalived 2.2.7 adverts are byte-identical to encodeAdvert for the same config', { skip, timeout: 60_000 }, async (t) => {
  dir = mkdtempSync(join(tmpdir(), 'keel-wire-'));
  const conf = join(dir, 'keepalived.conf');
  const pcap = join(dir, 'adverts.pcap');
  writeFileSync(conf, CONF);

  for (const ns of [nsA, nsB]) {
    sh(['ip', 'netns', 'add', ns]);
    created.push(ns);
    sh(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  sh(['ip', '-n', nsA, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', nsB]);
  // No kernel-made link-local addresses: keepalived's IPv6 source must be the one we set.
  sh(['ip', '-n', nsA, 'link', 'set', 'va', 'addrgenmode', 'none']);
  sh(['ip', '-n', nsB, 'link', 'set', 'vb', 'addrgenmode', 'none']);
  for (const [ns, dev, v4, ll, g6] of [[nsA, 'va', '10.123.0.1/24', 'fe80::a:1/64', 'fd00:1::1/64'], [nsB, 'vb', '10.123.0.2/24', 'fe80::b:2/64', 'fd00:1::2/64']] as const) {
    sh(['ip', '-n', ns, 'addr', 'add', v4, 'dev', dev]);
    sh(['ip', '-n', ns, 'addr', 'add', ll, 'dev', dev, 'nodad']);
    sh(['ip', '-n', ns, 'addr', 'add', g6, 'dev', dev, 'nodad']);
    sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }

  const td = spawn('ip', ['netns', 'exec', nsB, 'tcpdump', '-i', 'vb', '-U', '-n', '-w', pcap, 'ip proto 112 or ip6 proto 112 or ip proto 51'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(td);
  let tdErr = '';
  td.stderr!.on('data', (d: Buffer) => { tdErr += d.toString(); });
  for (let i = 0; i < 100 && !/listening on/.test(tdErr); i++) await sleep(50);
  assert.match(tdErr, /listening on/, `tcpdump did not start: ${tdErr}`);

  const ka = spawn('ip', ['netns', 'exec', nsA, 'keepalived', '-n', '-l', '-P', '-f', conf,
    '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid'), '-c', join(dir, 'c.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(ka);
  let kaLog = '';
  ka.stdout!.on('data', (d: Buffer) => { kaLog += d.toString(); });
  ka.stderr!.on('data', (d: Buffer) => { kaLog += d.toString(); });
  await sleep(3000);
  ka.kill('SIGTERM'); // priority-0 adverts on the way out
  assert.ok(await exited(ka, 10_000), 'keepalived did not stop on SIGTERM');
  await sleep(500);
  td.kill('SIGINT');
  assert.ok(await exited(td, 5_000), 'tcpdump did not stop');

  const { config, diagnostics } = loadConfigText(CONF, { interfaceExists: () => true });
  assert.deepEqual(diagnostics.list.filter((d) => d.fatal), [], 'config builds');
  const byVrid = new Map(config.vrrp_instances.map((v) => [v.virtual_router_id!, v]));

  const read = readCapture(readFileSync(pcap));
  assert.ok(read.ok, read.ok ? '' : read.error);
  const counters = new Map<number, number>();
  const seen = new Map<number, { master: number; stop: number }>();
  for (const f of read.capture.frames) {
    const link = ipFromFrame(f.linkType, f.data);
    assert.ok(link.ok, `frame ${f.index}: ${link.ok ? '' : link.reason}`);
    const got = decodeIpPacket(link.ip);
    assert.ok(got.ok, `frame ${f.index}: ${got.ok ? '' : `${got.reason}: ${got.detail}`}`);
    const inst = byVrid.get(got.packet.vrid);
    assert.ok(inst, `frame ${f.index}: unexpected VRID ${got.packet.vrid}`);
    const n = (counters.get(inst.virtual_router_id!) ?? 0) + 1;
    counters.set(inst.virtual_router_id!, n);
    const s = seen.get(inst.virtual_router_id!) ?? { master: 0, stop: 0 };
    if (got.packet.priority === 255) s.master++;
    else if (got.packet.priority === 0) s.stop++;
    seen.set(inst.virtual_router_id!, s);

    const src = inst.unicast_src_ip ?? PRIMARY[inst.family];
    const spec = advertSpecFromInstance(inst, { src, priority: got.packet.priority, ipId: n, ahSeq: n });
    const ip = parseIpHeader(link.ip);
    if (ip.ok && ip.header.family === 'inet6') spec.flowLabel = ((link.ip[1]! & 0x0f) << 16) | (link.ip[2]! << 8) | link.ip[3]!;
    const mine = encodeAdvert(spec);
    assert.ok(mine.ok, mine.ok ? '' : mine.error);
    const wire = Buffer.from(ip.ok ? ip.packet : link.ip).toString('hex');
    assert.equal(Buffer.from(mine.bytes).toString('hex'), wire, `${inst.name} advert ${n} (priority ${got.packet.priority})`);

    const rx = decodeIpPacket(link.ip, { expect: expectedFromInstance(inst) });
    assert.ok(rx.ok, `${inst.name} advert ${n} refused by keel configured the same: ${rx.ok ? '' : `${rx.reason}: ${rx.detail}`}`);
  }
  for (const v of config.vrrp_instances) {
    const s = seen.get(v.virtual_router_id!);
    assert.ok(s && s.master >= 1, `${v.name}: no advert captured (keepalived log:\n${kaLog.slice(-3000)})`);
    assert.equal(s.stop, 1, `${v.name}: one priority-0 advert on SIGTERM`);
  }
  t.diagnostic(`compared ${read.capture.frames.length} keepalived adverts from ${config.vrrp_instances.length} instances byte for byte`);
});
