// Capture files and link layers: pcap in both byte orders and both resolutions, pcapng with
// several interfaces, resolutions and block kinds, damaged files, and every link layer VRRP is
// seen on. Files are made here with keel's own writer; when tcpdump is installed it reads
// keel's pcapng (so the writer is checked against libpcap) and writes a nanosecond pcap for keel.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED, sharedUnavailable, which } from '../../helpers/env.js';
import {
  LINKTYPE_ETHERNET, LINKTYPE_FRELAY, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NULL, LINKTYPE_RAW, ipFromFrame, readCapture, writePcap, writePcapng, type Capture, type FrameToWrite,
} from '../../../src/capture/pcap.js';
import { encodeAdvert, decodeIpPacket } from '../../../src/vrrp/packet.js';
import { runWatch } from '../../../src/daemon/watch-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'keel-pcap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function advert(vrid: number, src = '10.0.0.1'): Uint8Array {
  const r = encodeAdvert({ version: src.includes(':') ? 3 : 2, vrid, priority: 100, intervalCs: 100, addresses: [src.includes(':') ? 'fd00::1' : '10.0.0.100'], src });
  if (!r.ok) throw new Error(r.error);
  return r.bytes;
}

const MAC = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x33];
const cat = (...p: (Uint8Array | number[])[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of p) { out.set(x, o); o += x.length; }
  return out;
};
const ether = (ip: Uint8Array, type = [0x08, 0x00]): Uint8Array => cat(MAC, type, ip);

function read(bytes: Uint8Array): Capture {
  const r = readCapture(bytes);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.capture;
}

const FRAMES: FrameToWrite[] = [
  { tsSec: 1394056506, tsNsec: 745865000, data: ether(advert(42)) },
  { tsSec: 1394056507, tsNsec: 123456789, data: ether(advert(43)), origLen: 200 },
  { tsSec: 4000000000, tsNsec: 999999999, data: ether(advert(44)) },
];

describe('pcap', () => {
  for (const bigEndian of [false, true]) {
    for (const nanosecond of [false, true]) {
      test(`${bigEndian ? 'big' : 'little'}-endian, ${nanosecond ? 'nano' : 'micro'}second`, () => {
        const c = read(writePcap(LINKTYPE_ETHERNET, FRAMES, { bigEndian, nanosecond }));
        assert.equal(c.format, 'pcap');
        assert.equal(c.nanosecond, nanosecond);
        assert.equal(c.error, undefined);
        assert.deepEqual(c.frames.map((f) => [f.index, f.tsSec, f.tsNsec, f.linkType, f.origLen, f.data.length]), FRAMES.map((f, i) => [
          i + 1, f.tsSec, nanosecond ? f.tsNsec : Math.floor(f.tsNsec / 1000) * 1000, 1, f.origLen ?? f.data.length, f.data.length,
        ]));
        assert.deepEqual(c.frames[0]!.data, FRAMES[0]!.data);
      });
    }
  }
  test("Kuznetzov's modified pcap (24-byte record headers)", () => {
    const std = writePcap(LINKTYPE_ETHERNET, FRAMES.slice(0, 1));
    const rec = std.subarray(24);
    const k = cat(std.subarray(0, 24), rec.subarray(0, 16), new Uint8Array(8), rec.subarray(16));
    new DataView(k.buffer).setUint32(0, 0xa1b2cd34, true);
    const c = read(k);
    assert.equal(c.frames.length, 1);
    assert.deepEqual(c.frames[0]!.data, FRAMES[0]!.data);
  });
  test('FCS bits in the link type field are ignored', () => {
    const f = writePcap(LINKTYPE_ETHERNET | 0x14000000, FRAMES.slice(0, 1));
    assert.equal(read(f).frames[0]!.linkType, LINKTYPE_ETHERNET);
  });
  test('an empty capture is a capture with no frames', () => {
    assert.deepEqual(read(writePcap(LINKTYPE_ETHERNET, [])).frames, []);
  });
  test('damage: the frames before it survive, with a sentence saying what is wrong', () => {
    const full = writePcap(LINKTYPE_ETHERNET, FRAMES);
    const cut = read(full.subarray(0, full.length - 10));
    assert.equal(cut.frames.length, 2);
    assert.match(cut.error!, /truncated packet 3/);
    const hdr = read(full.subarray(0, 24 + 16 + FRAMES[0]!.data.length + 5));
    assert.equal(hdr.frames.length, 1);
    assert.match(hdr.error!, /truncated record header/);
    const huge = full.slice();
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
    assert.match(read(huge).error!, /corrupt/);
  });
  test('not a capture: a reason, not an exception', () => {
    for (const b of [new Uint8Array(0), new Uint8Array([1, 2]), new TextEncoder().encode('hello world, not a capture'), writePcap(1, []).subarray(0, 20)]) {
      const r = readCapture(b);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.error.length > 0);
    }
    const v = writePcap(1, []);
    v[4] = 3;
    assert.match((readCapture(v) as { error: string }).error, /version 3/);
  });
});

describe('pcapng', () => {
  const ifaces = [
    { linkType: LINKTYPE_ETHERNET },
    { linkType: LINKTYPE_RAW, tsResol: 9 },
    { linkType: LINKTYPE_LINUX_SLL, tsResol: 0x80 | 20, tsOffsetSec: 1000 },
  ];
  const frames = [
    { tsSec: 1700000000, tsNsec: 123456000, data: ether(advert(1)) },
    { tsSec: 1700000001, tsNsec: 987654321, data: advert(2), interfaceId: 1 },
    { tsSec: 1700000002, tsNsec: 500000000, data: cat([0, 0, 0, 1, 0, 6, ...MAC.slice(6), 0, 0, 0x08, 0x00], advert(3)), interfaceId: 2 },
    { tsSec: 0, tsNsec: 0, data: ether(advert(4)), simple: true },
  ];
  for (const bigEndian of [false, true]) {
    test(`SHB / IDB / EPB / SPB, per-interface link types, if_tsresol (10^-9, 2^-20), if_tsoffset, ${bigEndian ? 'big' : 'little'}-endian`, () => {
      const c = read(writePcapng(ifaces, frames, { bigEndian }));
      assert.equal(c.format, 'pcapng');
      assert.equal(c.nanosecond, true);
      assert.equal(c.error, undefined);
      assert.deepEqual(c.frames.map((f) => [f.linkType, f.interfaceId, f.tsSec]), [[1, 0, 1700000000], [101, 1, 1700000001], [113, 2, 1700000002], [1, 0, 0]]);
      assert.equal(c.frames[0]!.tsNsec, 123456000);
      assert.equal(c.frames[1]!.tsNsec, 987654321);
      assert.ok(Math.abs(c.frames[2]!.tsNsec - 500000000) < 1000, `2^-20 resolution: ${c.frames[2]!.tsNsec}`);
      for (const [i, f] of c.frames.entries()) {
        const l = ipFromFrame(f.linkType, f.data);
        assert.ok(l.ok, `frame ${i + 1}`);
        const d = decodeIpPacket(l.ip);
        assert.ok(d.ok && d.packet.vrid === i + 1);
      }
    });
  }
  test('an obsolete Packet Block (type 2) and blocks without packets are read or stepped over', () => {
    const base = writePcapng([{ linkType: LINKTYPE_ETHERNET }], []);
    const data = ether(advert(9));
    const pad = (4 - (data.length % 4)) % 4;
    const len = 12 + 20 + data.length + pad;
    const pb = new Uint8Array(len);
    const dv = new DataView(pb.buffer);
    dv.setUint32(0, 2, true);
    dv.setUint32(4, len, true);
    dv.setUint16(8, 0, true);
    dv.setUint32(12, 1, true);
    dv.setUint32(16, 5, true);
    dv.setUint32(20, data.length, true);
    dv.setUint32(24, data.length, true);
    pb.set(data, 28);
    dv.setUint32(len - 4, len, true);
    const isb = new Uint8Array(12 + 12); // an Interface Statistics Block: skipped
    new DataView(isb.buffer).setUint32(0, 5, true);
    new DataView(isb.buffer).setUint32(4, 24, true);
    new DataView(isb.buffer).setUint32(20, 24, true);
    const c = read(cat(base, isb, pb));
    assert.equal(c.frames.length, 1);
    assert.equal(c.frames[0]!.tsSec, Math.floor(((1 * 2 ** 32) + 5) / 1e6));
  });
  test('damage: bad trailing length, truncated block, unknown interface, missing section header', () => {
    const good = writePcapng([{ linkType: LINKTYPE_ETHERNET }], frames.slice(0, 1));
    const t = good.slice();
    t[t.length - 1] = 0x7f;
    assert.match(read(t).error!, /trailing length/);
    assert.match(read(good.subarray(0, good.length - 8)).error!, /truncated block/);
    const ghost = writePcapng([{ linkType: LINKTYPE_ETHERNET }], [{ ...frames[0]!, interfaceId: 3 }]);
    assert.match(read(ghost).error!, /interface 3/);
    const noShb = good.subarray(28);
    const r = readCapture(noShb);
    assert.equal(r.ok, false);
    const badRes = writePcapng([{ linkType: 1, tsResol: 99 }], []);
    assert.match(read(badRes).error!, /resolution/);
  });
  test('tcpdump (libpcap) reads keel-written pcapng with the same timestamps', { skip: which('tcpdump') ? undefined : 'needs tcpdump' }, () => {
    const f = join(dir, 'keel.pcapng');
    writeFileSync(f, writePcapng([{ linkType: LINKTYPE_ETHERNET, tsResol: 9 }], [
      { tsSec: 1700000000, tsNsec: 123456789, data: ether(advert(61)) },
      { tsSec: 1700000001, tsNsec: 5, data: ether(advert(62, 'fe80::1'), [0x86, 0xdd]) },
    ]));
    const r = spawnSync('tcpdump', ['-r', f, '-n', '-tt', '--nano'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^1700000000\.123456789 IP 10\.0\.0\.1 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 61, prio 100/);
    assert.match(lines[1]!, /^1700000001\.000000005 IP6 fe80::1 > ff02::12: VRRPv3, Advertisement, vrid 62/);
  });
  test('keel reads the nanosecond pcap tcpdump writes (--time-stamp-precision=nano -w)', { skip: which('tcpdump') ? sharedUnavailable() : 'needs tcpdump' }, () => {
    const f = join(dir, 'nano.pcap');
    const r = spawnSync('tcpdump', ['-r', join(SHARED, 'corpus', 'pcap', 'vrrp.pcap'), '--time-stamp-precision=nano', '-w', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const nano = read(readFileSync(f));
    const micro = read(readFileSync(join(SHARED, 'corpus', 'pcap', 'vrrp.pcap')));
    assert.equal(nano.nanosecond, true);
    assert.equal(nano.frames.length, 165);
    assert.deepEqual(nano.frames.map((x) => [x.tsSec, x.tsNsec, x.data.length]), micro.frames.map((x) => [x.tsSec, x.tsNsec, x.data.length]));
  });
});

describe('link layers', () => {
  const ip4 = advert(5);
  const ip6 = advert(6, 'fe80::1');
  const cases: [string, number, Uint8Array, Uint8Array, number[]][] = [
    ['Ethernet', LINKTYPE_ETHERNET, ether(ip4), ip4, []],
    ['Ethernet IPv6', LINKTYPE_ETHERNET, ether(ip6, [0x86, 0xdd]), ip6, []],
    ['802.1Q', LINKTYPE_ETHERNET, cat(MAC, [0x81, 0x00, 0x20, 0x0a, 0x08, 0x00], ip4), ip4, [10]],
    ['802.1ad + 802.1Q (QinQ)', LINKTYPE_ETHERNET, cat(MAC, [0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0b, 0x86, 0xdd], ip6), ip6, [100, 11]],
    ['802.3 + LLC/SNAP', LINKTYPE_ETHERNET, cat(MAC, [0x00, 0x40, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], ip4), ip4, []],
    ['Linux cooked (SLL)', LINKTYPE_LINUX_SLL, cat([0, 0, 0, 1, 0, 6, ...MAC.slice(6), 0, 0, 0x08, 0x00], ip4), ip4, []],
    ['Linux cooked with a VLAN tag', LINKTYPE_LINUX_SLL, cat([0, 0, 0, 1, 0, 6, ...MAC.slice(6), 0, 0, 0x81, 0x00, 0, 7, 0x08, 0x00], ip4), ip4, [7]],
    ['Linux cooked v2 (SLL2)', LINKTYPE_LINUX_SLL2, cat([0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, ...MAC.slice(6), 0, 0], ip6), ip6, []],
    ['raw (101)', LINKTYPE_RAW, ip4, ip4, []],
    ['raw (DLT 12)', 12, ip6, ip6, []],
    ['IPv4 (228)', LINKTYPE_IPV4, ip4, ip4, []],
    ['IPv6 (229)', LINKTYPE_IPV6, ip6, ip6, []],
    ['null, little-endian AF_INET', LINKTYPE_NULL, cat([2, 0, 0, 0], ip4), ip4, []],
    ['null, big-endian AF_INET6 (BSD 24)', LINKTYPE_NULL, cat([0, 0, 0, 24], ip6), ip6, []],
    ['loop (network order, 30)', LINKTYPE_LOOP, cat([0, 0, 0, 30], ip6), ip6, []],
    ['frame relay, Cisco ethertype', LINKTYPE_FRELAY, cat([0x80, 0xea, 0x9d, 0x08, 0x00], ip4), ip4, []],
    ['frame relay, RFC 2427 NLPID', LINKTYPE_FRELAY, cat([0x18, 0x41, 0x03, 0xcc], ip4), ip4, []],
  ];
  for (const [name, lt, frame, want, vlans] of cases) {
    test(name, () => {
      const r = ipFromFrame(lt, frame);
      assert.ok(r.ok, r.ok ? '' : r.reason);
      assert.deepEqual(r.ip, want);
      assert.deepEqual(r.vlans, vlans);
    });
  }
  test('not IP (ARP, loopback family 7): nothing to report; unknown link types and truncated headers: a reason', () => {
    const arp = ipFromFrame(LINKTYPE_ETHERNET, ether(new Uint8Array(28), [0x08, 0x06]));
    assert.deepEqual(arp, { ok: false, notIp: true, reason: 'ethertype 0x0806' });
    assert.equal((ipFromFrame(LINKTYPE_NULL, cat([7, 0, 0, 0], ip4)) as { notIp: boolean }).notIp, true);
    const u = ipFromFrame(147, ip4);
    assert.equal(u.ok, false);
    if (!u.ok) assert.match(u.reason, /unsupported link type 147/);
    for (const lt of [LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL, LINKTYPE_FRELAY, LINKTYPE_RAW]) {
      const s = ipFromFrame(lt, new Uint8Array(0));
      assert.equal(s.ok, false);
      if (!s.ok) assert.equal(s.notIp, false);
    }
    const vlanCut = ipFromFrame(LINKTYPE_ETHERNET, cat(MAC, [0x81, 0x00, 0x00]));
    assert.equal(vlanCut.ok, false);
  });
});

describe('keel watch on captures made here', () => {
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { out: (s: string) => { o.out += s; return true; }, err: (s: string) => { o.err += s; } } };
  };
  test('pcapng with VLANs and two interfaces: segments kept apart in the summary', async () => {
    const f = join(dir, 'seg.pcapng');
    writeFileSync(f, writePcapng([{ linkType: LINKTYPE_ETHERNET }, { linkType: LINKTYPE_RAW }], [
      { tsSec: 100, tsNsec: 0, data: cat(MAC, [0x81, 0x00, 0, 10, 0x08, 0x00], advert(7)) },
      { tsSec: 101, tsNsec: 0, data: cat(MAC, [0x81, 0x00, 0, 20, 0x08, 0x00], advert(7, '10.0.0.2')) },
      { tsSec: 102, tsNsec: 0, data: advert(7, '10.0.0.3'), interfaceId: 1 },
      { tsSec: 103, tsNsec: 0, data: ether(new Uint8Array(28), [0x08, 0x06]) },
    ]));
    const { o, io: w } = io();
    assert.equal(await runWatch(['--pcap', f, '--json'], w), 0, o.err);
    const lines = o.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 4);
    const s = lines[3]!.summary as { skipped: number; vrids: { vrid: number; segment: string | null; master: string }[] };
    assert.equal(s.skipped, 1);
    assert.deepEqual(s.vrids.map((v) => [v.vrid, v.segment, v.master]), [[7, 'if1', '10.0.0.3'], [7, 'vlan 10', '10.0.0.1'], [7, 'vlan 20', '10.0.0.2']]);
  });
  test('a truncated capture: adverts before the damage, the reason, exit 1', async () => {
    const f = join(dir, 'cut.pcap');
    const full = writePcap(LINKTYPE_ETHERNET, FRAMES);
    writeFileSync(f, full.subarray(0, full.length - 7));
    const { o, io: w } = io();
    assert.equal(await runWatch(['--pcap', f], w), 1);
    assert.equal(o.out.split('\n').filter((l) => / v2 vrid /.test(l)).length, 2);
    assert.match(o.err, /cut\.pcap: truncated packet 3/);
    assert.doesNotMatch(o.err, /\n\s+at /, 'no stack trace');
  });
  test('unsupported link types are named; the file still counts as read', async () => {
    const f = join(dir, 'odd.pcap');
    writeFileSync(f, writePcap(147, FRAMES.slice(0, 2)));
    const { o, io: w } = io();
    assert.equal(await runWatch(['--pcap', f], w), 0);
    assert.match(o.err, /2 frames on link type 147/);
    assert.match(o.out, /No VRRP virtual routers seen/);
  });
});
