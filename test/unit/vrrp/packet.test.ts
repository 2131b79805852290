// The VRRP codec: encoding every kind of advert keepalived sends, decoding them back, and one
// test per rejection reason (with keepalived's order of checks where a packet is wrong twice).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { finishSum, internetChecksum, onesSum } from '../../../src/vrrp/checksum.js';
import { canonicalAddress, formatIPv6, parseIPv4, parseIPv6 } from '../../../src/vrrp/ip.js';
import {
  AH_LEN, REJECT_REASONS, ahIcv, authKey, decodeIpPacket, decodeVrrp, encodeAdvert, encodeVrrp,
  type AdvertSpec, type DecodeResult, type ExpectedInstance, type RejectReason,
} from '../../../src/vrrp/packet.js';
import { advertSpecFromInstance, expectedFromInstance, maxAdvertAddresses } from '../../../src/vrrp/advert-config.js';
import { loadConfigText } from '../../../src/config/build.js';

// ------------------------------------------------------------------------------------------
// Helpers (an independent checksum, so fixing up a mutated packet does not use the code under test)

function csum(b: Uint8Array, start: number, end: number, init = 0): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >> 8;
  b[off + 1] = v & 0xff;
}

/** Recompute the IPv4 header checksum after a mutation. */
function fixIp(p: Uint8Array): Uint8Array {
  const ihl = (p[0]! & 0x0f) * 4;
  put16(p, 10, 0);
  put16(p, 10, csum(p, 0, ihl));
  return p;
}

/** Recompute a v2-over-IPv4 VRRP checksum (no pseudo-header) after a mutation. */
function fixV2(p: Uint8Array, vrrpOff = 20): Uint8Array {
  put16(p, vrrpOff + 6, 0);
  put16(p, vrrpOff + 6, csum(p, vrrpOff, p.length));
  return p;
}

/** Recompute a v3-over-IPv4 checksum with the pseudo-header. */
function fixV3(p: Uint8Array): Uint8Array {
  const len = p.length - 20;
  let s = 0;
  for (let i = 12; i < 20; i += 2) s += (p[i]! << 8) | p[i + 1]!;
  s += 112 + len;
  put16(p, 26, 0);
  put16(p, 26, csum(p, 20, p.length, s));
  return p;
}

function enc(spec: Partial<AdvertSpec>): Uint8Array {
  const r = encodeAdvert({ ...V2, ...spec });
  if (!r.ok) throw new Error(r.error);
  return r.bytes;
}

const V2: AdvertSpec = { version: 2, vrid: 51, priority: 100, intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'], src: '10.0.0.1' };
const V3: Partial<AdvertSpec> = { version: 3, intervalCs: 50 };
const V6: Partial<AdvertSpec> = { version: 3, src: 'fe80::1', addresses: ['fd00::100', '2001:db8::1'] };
const PASS: Partial<AdvertSpec> = { authType: 'PASS', authPass: 'secret12345' };
const AH: Partial<AdvertSpec> = { authType: 'AH', authPass: 'ahpass', ipId: 7, ahSeq: 9 };
const X2: ExpectedInstance = { version: 2, authType: 'none', intervalCs: 100, addresses: ['10.0.0.100', '10.0.0.101'] };

function ok(r: DecodeResult, why = ''): asserts r is Extract<DecodeResult, { ok: true }> {
  assert.ok(r.ok, r.ok ? '' : `${why} rejected: ${r.reason}: ${r.detail}`);
}

const covered = new Set<RejectReason>();
function rejects(r: DecodeResult, reason: RejectReason, detail?: RegExp): void {
  assert.equal(r.ok, false, `expected ${reason}, decoded fine`);
  if (r.ok) return;
  assert.equal(r.reason, reason, `expected ${reason}, got ${r.reason}: ${r.detail}`);
  assert.ok(r.detail.length > 0);
  if (detail) assert.match(r.detail, detail);
  covered.add(reason);
}

// ------------------------------------------------------------------------------------------

describe('checksum', () => {
  test('RFC 1071 example: words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(onesSum(b), 0xddf2);
    assert.equal(internetChecksum(b), 0x220d);
  });
  test('an odd trailing byte is padded with zero; a range holding its checksum sums to 0', () => {
    assert.equal(internetChecksum(new Uint8Array([0x12])), ~0x1200 & 0xffff);
    const b = new Uint8Array([0x45, 0x00, 0x00, 0x30, 0x12, 0x34, 0, 0]);
    const c = internetChecksum(b);
    put16(b, 6, c);
    assert.equal(internetChecksum(b), 0);
  });
  test('long inputs fold their carries (64 KiB of 0xff)', () => {
    const b = new Uint8Array(65536).fill(0xff);
    assert.equal(finishSum(onesSum(b)), 0);
  });
});

describe('addresses', () => {
  test('IPv6 text as inet_ntop and tcpdump print it', () => {
    const cases: [string, string][] = [
      ['::', '::'], ['::1', '::1'], ['fe80:0:0:0:d6ca:6dff:fe66:cf60', 'fe80::d6ca:6dff:fe66:cf60'],
      ['2001:0:0:0:0:0:abcd:a', '2001::abcd:a'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], ['1::', '1::'], ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['FF02::12', 'ff02::12'], ['fe80::1%eth0', 'fe80::1'],
    ];
    for (const [i, o] of cases) assert.equal(canonicalAddress(i), o, i);
  });
  test('bad address text is undefined, never an exception', () => {
    for (const t of ['', '1.2.3', '1.2.3.256', '1.2.3.4.5', ':::', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7']) {
      assert.equal(parseIPv4(t) ?? parseIPv6(t), undefined, t);
    }
  });
  test('round trip of formatIPv6 over random addresses', () => {
    let seed = 7;
    for (let k = 0; k < 2000; k++) {
      const b = new Uint8Array(16);
      for (let i = 0; i < 16; i++) { seed = (seed * 1103515245 + 12345) >>> 0; b[i] = (seed >>> 16) % 3 === 0 ? 0 : seed >>> 24; }
      assert.deepEqual(parseIPv6(formatIPv6(b)), b);
    }
  });
});

describe('encoding', () => {
  test('VRRPv2 without auth: layout, auth area zero, IPv4 header as keepalived builds it', () => {
    const p = enc({ ipId: 0x1234 });
    assert.equal(p.length, 20 + 8 + 8 + 8);
    assert.deepEqual([...p.subarray(0, 12)], [0x45, 0xc0, 0, 44, 0x12, 0x34, 0, 0, 255, 112, ...p.subarray(10, 12)]);
    assert.equal(csum(p, 0, 20), 0, 'IPv4 header checksum');
    assert.deepEqual([...p.subarray(20, 26)], [0x21, 51, 100, 2, 0, 1]);
    assert.deepEqual([...p.subarray(28, 36)], [10, 0, 0, 100, 10, 0, 0, 101]);
    assert.deepEqual([...p.subarray(36)], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(csum(p, 20, p.length), 0, 'VRRP checksum over the message alone');
    assert.deepEqual([...p.subarray(16, 20)], [224, 0, 0, 18]);
  });
  test('simple password: first 8 bytes of auth_pass, zero-padded', () => {
    assert.equal(Buffer.from(enc(PASS).subarray(-8)).toString('latin1'), 'secret12');
    assert.deepEqual([...authKey('ab')], [0x61, 0x62, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...authKey(undefined)], [0, 0, 0, 0, 0, 0, 0, 0]);
  });
  test('AH: protocol 51, 24-byte header with SPI = source, sequence, then the VRRP message', () => {
    const p = enc(AH);
    assert.equal(p[9], 51);
    assert.equal(p.length, 20 + AH_LEN + 8 + 8 + 8);
    assert.deepEqual([...p.subarray(20, 32)], [112, 4, 0, 0, 10, 0, 0, 1, 0, 0, 0, 9]);
    assert.equal(p[44 + 4], 2, 'VRRP auth type 2');
    assert.equal(csum(p, 44, p.length), 0);
    assert.deepEqual([...p.subarray(-8)], [0, 0, 0, 0, 0, 0, 0, 0], 'no password in the auth area');
  });
  test('VRRPv3 IPv4: 12-bit centisecond interval, pseudo-header checksum with the real destination', () => {
    const m = enc({ ...V3, dst: '10.0.0.2', intervalCs: 0xabc });
    assert.deepEqual([...m.subarray(20, 26)], [0x31, 51, 100, 2, 0x0a, 0xbc]);
    assert.equal(m.length, 20 + 8 + 8);
    const copy = fixV3(m.slice());
    assert.deepEqual(copy, m, 'checksum as computed independently');
  });
  test('old_unicast_checksum uses the multicast group in the pseudo-header; v3_checksum_as_v2 none', () => {
    const old = enc({ ...V3, dst: '10.0.0.2', checksum: 'old-unicast' });
    const std = enc({ ...V3, dst: '10.0.0.2' });
    const asV2 = enc({ ...V3, dst: '10.0.0.2', checksum: 'v3-as-v2' });
    assert.notDeepEqual(old.subarray(26, 28), std.subarray(26, 28));
    assert.equal(csum(asV2, 20, asV2.length), 0);
    const viaGroup = old.slice();
    viaGroup.set([224, 0, 0, 18], 16);
    assert.deepEqual(fixV3(viaGroup.slice()).subarray(26, 28), old.subarray(26, 28));
  });
  test('IPv6: 40-byte header (traffic class 0xc0, hop limit 255, ff02::12), checksum with the IPv6 pseudo-header', () => {
    const p = enc(V6);
    assert.equal(p.length, 40 + 8 + 32);
    assert.deepEqual([...p.subarray(0, 8)], [0x6c, 0, 0, 0, 0, 40, 112, 255]);
    assert.equal(canonicalAddress(formatIPv6(p, 24)), 'ff02::12');
    let s = 0;
    for (let i = 8; i < 40; i += 2) s += (p[i]! << 8) | p[i + 1]!;
    s += 40 + 112;
    assert.equal(csum(p, 40, p.length, s), 0);
  });
  test('VRRPv2 interval is whole seconds (keepalived truncates), encodeVrrp gives the message alone', () => {
    const r = encodeVrrp({ ...V2, intervalCs: 250 });
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.bytes[5], 2);
  });
  test('bad specs are reasons, not exceptions', () => {
    const bad: Partial<AdvertSpec>[] = [
      { src: 'nope' }, { dst: 'ff02::12' }, { vrid: 0 }, { vrid: 256 }, { priority: 256 }, { intervalCs: 0 },
      { intervalCs: 50 }, { version: 3, intervalCs: 4096 }, { addresses: ['fd00::1'] }, { addresses: Array(256).fill('10.0.0.9') },
      { version: 3, authType: 'PASS' }, { ...V6, version: 2, authType: 'AH' }, { version: 4 as 2 },
    ];
    for (const b of bad) {
      const r = encodeAdvert({ ...V2, ...b });
      assert.equal(r.ok, false, JSON.stringify(b));
    }
  });
});

describe('decoding what we encode', () => {
  const kinds: [string, Partial<AdvertSpec>, ExpectedInstance][] = [
    ['v2 none', {}, X2],
    ['v2 PASS', PASS, { ...X2, authType: 'PASS', authKey: authKey('secret12') }],
    ['v2 AH', AH, { ...X2, authType: 'AH', authKey: authKey('ahpass'), ahLastSeq: 8 }],
    ['v2 unicast AH, TTL 17 (zeroed in the ICV)', { ...AH, dst: '10.0.0.2', ttl: 17, unicast: true },
      { ...X2, authType: 'AH', authKey: authKey('ahpass'), unicast: true }],
    ['v3 IPv4', V3, { ...X2, version: 3, intervalCs: 50 }],
    ['v3 unicast', { ...V3, dst: '10.0.0.2' }, { ...X2, version: 3, unicast: true, intervalCs: 50 }],
    ['v3 unicast old checksum', { ...V3, dst: '10.0.0.2', checksum: 'old-unicast' }, { ...X2, version: 3, unicast: true, oldUnicastChecksum: 'on', intervalCs: 50 }],
    ['v3 as v2 checksum', { ...V3, checksum: 'v3-as-v2' }, { ...X2, version: 3, v3ChecksumAsV2: true, intervalCs: 50 }],
    ['v3 IPv6', V6, { version: 3, authType: 'none', intervalCs: 100, addresses: ['2001:db8::1', 'fd00::100'] }],
    ['v2 IPv6 (decodable though keepalived never sends it)', { ...V6, version: 2 }, { version: 2, authType: 'none', intervalCs: 100 }],
    ['no addresses', { addresses: [] }, { ...X2, addresses: [] }],
    ['255 addresses', { addresses: Array.from({ length: 255 }, (_, i) => `10.1.${i >> 8}.${i & 255}`) }, { ...X2, addresses: undefined }],
    ['priority 0', { priority: 0 }, X2],
  ];
  for (const [name, spec, x] of kinds) {
    test(name, () => {
      const p = enc(spec);
      const r = decodeIpPacket(p, { expect: x });
      ok(r);
      const s = { ...V2, ...spec };
      assert.equal(r.packet.version, s.version);
      assert.equal(r.packet.vrid, s.vrid);
      assert.equal(r.packet.priority, s.priority);
      assert.deepEqual(r.packet.addresses, s.addresses.map((a) => canonicalAddress(a)));
      assert.equal(r.packet.count, s.addresses.length);
      assert.equal(r.packet.checksumOk, true);
      assert.equal(r.packet.intervalCs, s.version === 2 ? Math.trunc(s.intervalCs / 100) * 100 : s.intervalCs);
      if (s.authType === 'AH') assert.equal(r.packet.ah?.seq, s.ahSeq);
      // Without an instance, the watcher's view: valid too, except a v3_checksum_as_v2 advert.
      const w = decodeIpPacket(p);
      if (s.checksum === 'v3-as-v2') rejects(w, 'checksum', /v3_checksum_as_v2/);
      else ok(w);
    });
  }

  test('the payload-plus-metadata form (IPv6 raw sockets strip the header)', () => {
    const p = enc(V6);
    ok(decodeVrrp(p.subarray(40), { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: 255 }));
    ok(decodeVrrp(p.subarray(40), { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: -1 }), 'unknown hop limit is not checked');
    rejects(decodeVrrp(p.subarray(40), { family: 'inet6', src: 'fe80::2', dst: 'ff02::12', ttl: 255 }), 'checksum');
    rejects(decodeVrrp(p.subarray(40), { family: 'inet', src: 'fe80::1', dst: 'ff02::12', ttl: 255 }), 'ip-header');
    const q = enc(PASS);
    const r = decodeVrrp(q.subarray(20), { family: 'inet', src: '10.0.0.1', dst: '224.0.0.18', ttl: 255 });
    ok(r);
    assert.equal(Buffer.from(r.packet.authData!).toString('latin1'), 'secret12');
  });

  test('Ethernet padding after the IP total length is ignored', () => {
    const p = enc({});
    const padded = new Uint8Array(p.length + 10);
    padded.set(p);
    ok(decodeIpPacket(padded, { expect: X2 }));
  });

  test('IPv4 options and IPv6 extension headers are stepped over', () => {
    const p = enc({});
    const q = new Uint8Array(p.length + 4);
    q.set(p.subarray(0, 20));
    q.set([1, 1, 1, 1], 20); // NOP options
    q.set(p.subarray(20), 24);
    q[0] = 0x46;
    put16(q, 2, q.length);
    ok(decodeIpPacket(fixIp(q), { expect: X2 }));

    const v6 = enc(V6);
    const h = new Uint8Array(v6.length + 8);
    h.set(v6.subarray(0, 40));
    h.set([112, 0, 1, 4, 0, 0, 0, 0], 40); // hop-by-hop: next header 112, PadN
    h.set(v6.subarray(40), 48);
    h[6] = 0;
    put16(h, 4, v6.length - 40 + 8);
    ok(decodeIpPacket(h));
    h.set([112, 0, 0, 0, 0, 0, 0, 0], 40);
    h[6] = 44; // a fragment header instead
    rejects(decodeIpPacket(h), 'fragment');
  });
});

describe('every rejection reason', () => {
  test('truncated: captured bytes fewer than the IP header declares', () => {
    rejects(decodeIpPacket(enc({}).subarray(0, 40)), 'truncated');
    rejects(decodeIpPacket(enc({}).subarray(0, 12)), 'truncated');
    rejects(decodeIpPacket(enc(V6).subarray(0, 60)), 'truncated');
    rejects(decodeIpPacket(new Uint8Array(0)), 'truncated');
    rejects(decodeIpPacket(enc(AH).subarray(0, 30)), 'truncated');
  });
  test('ip-header: not IPv4/IPv6, header length below 20, total below header', () => {
    const p = enc({});
    p[0] = 0x55;
    rejects(decodeIpPacket(p), 'ip-header', /version 5/);
    const q = enc({});
    q[0] = 0x44;
    rejects(decodeIpPacket(q), 'ip-header');
    const r = enc({});
    put16(r, 2, 16);
    rejects(decodeIpPacket(fixIp(r)), 'ip-header');
  });
  test('ip-checksum: the kernel drops these, but the VRRP fields are still read for the watcher', () => {
    const p = enc({});
    p[8] = 254;
    const r = decodeIpPacket(p);
    rejects(r, 'ip-checksum');
    assert.equal(r.ok ? 0 : r.packet?.vrid, 51);
  });
  test('fragment', () => {
    const p = enc({});
    p[6] = 0x20;
    rejects(decodeIpPacket(fixIp(p)), 'fragment');
  });
  test('not-vrrp: another protocol, or AH carrying one', () => {
    const p = enc({});
    p[9] = 17;
    rejects(decodeIpPacket(fixIp(p)), 'not-vrrp');
    const q = enc(AH);
    q[20] = 6;
    rejects(decodeIpPacket(q), 'not-vrrp');
  });
  test('ah-mismatch: AH present exactly when auth_type is AH', () => {
    rejects(decodeIpPacket(enc(PASS), { expect: { ...X2, authType: 'AH', authKey: authKey('ahpass') } }), 'ah-mismatch', /no AH header/);
    rejects(decodeIpPacket(enc(AH), { expect: { ...X2, authType: 'PASS' } }), 'ah-mismatch', /AH header received/);
  });
  test("ah-header: not keepalived's 24-byte AH", () => {
    const p = enc(AH);
    p[21] = 5;
    rejects(decodeIpPacket(p), 'ah-header');
  });
  test('too-short: less than the 8-byte VRRP header', () => {
    const p = enc({}).slice(0, 24);
    put16(p, 2, 24);
    rejects(decodeIpPacket(fixIp(p)), 'too-short');
  });
  test('carp: a CARP advertisement on protocol 112 is named as such', () => {
    const p = new Uint8Array(20 + 36);
    p.set(enc({}).subarray(0, 20));
    put16(p, 2, p.length);
    p.set([0x21, 7, 0, 7, 0, 1], 20); // version 2 advert, vhid 7, advskew 0, authlen 7, demote 0, advbase 1
    fixV2(fixIp(p));
    const r = decodeIpPacket(p);
    rejects(r, 'carp', /vhid 7/);
    assert.deepEqual(r.ok ? undefined : r.packet?.carp, { vhid: 7, advskew: 0, authlen: 7, demote: 0, advbase: 1 });
  });
  test('length: count and size disagree (too long or too short)', () => {
    const p = enc({});
    p[23] = 3;
    rejects(decodeIpPacket(fixV2(p)), 'length', /too short/);
    const q = new Uint8Array(enc({}).length + 4);
    q.set(enc({}));
    put16(q, 2, q.length);
    rejects(decodeIpPacket(fixV2(fixIp(q))), 'length', /too long/);
  });
  test('ttl: multicast adverts need 255; unicast peers their min_ttl..max_ttl', () => {
    const p = enc({});
    p[8] = 64;
    rejects(decodeIpPacket(fixIp(p)), 'ttl', /TTL 64/);
    const v6 = enc(V6);
    v6[7] = 1;
    rejects(decodeIpPacket(v6), 'ttl', /hop limit 1/);
    // Unicast: no 255 rule, but the peer's range with check_unicast_src.
    const u = enc({ dst: '10.0.0.2', ttl: 17 });
    ok(decodeIpPacket(u));
    ok(decodeIpPacket(u, { expect: { ...X2, unicast: true } }));
    rejects(decodeIpPacket(u, { expect: { ...X2, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '10.0.0.1', minTtl: 20, maxTtl: 255 }] } }), 'ttl', /outside 20-255/);
  });
  test('version: neither 2 nor 3, or not the instance\'s', () => {
    const p = enc(V3);
    p[20] = 0x41; // version 4 with the v3 layout: the length still fits
    rejects(decodeIpPacket(fixV3(p)), 'version', /version 4/);
    rejects(decodeIpPacket(enc(V3), { expect: X2 }), 'version', /instance uses 2/);
  });
  test('auth-type: invalid, or not the configured one', () => {
    const p = enc({});
    p[24] = 3;
    rejects(decodeIpPacket(fixV2(p)), 'auth-type', /invalid auth type 3/);
    rejects(decodeIpPacket(enc({}), { expect: { ...X2, authType: 'PASS', authKey: authKey('x') } }), 'auth-type', /expects simple/);
    // Without an instance: an AH header exactly when the auth type says AH.
    const ahNone = enc(AH);
    ahNone[44 + 4] = 0;
    rejects(decodeIpPacket(fixV2(ahNone, 44)), 'auth-type', /AH header but auth type none/);
    const noAh = enc({});
    noAh[24] = 2;
    rejects(decodeIpPacket(fixV2(noAh)), 'auth-type', /without an AH header/);
    ok(decodeVrrp(fixV2(noAh).subarray(20), { family: 'inet', src: '10.0.0.1', dst: '224.0.0.18', ttl: 255 }), 'no IP header to judge by');
  });
  test('auth-data: the password differs (8 bytes compared, so the 9th character does not count)', () => {
    const x: ExpectedInstance = { ...X2, authType: 'PASS', authKey: authKey('secret1') };
    rejects(decodeIpPacket(enc(PASS), { expect: x }), 'auth-data');
    ok(decodeIpPacket(enc(PASS), { expect: { ...x, authKey: authKey('secret12-other') } }));
  });
  test('ah-auth: wrong key, SPI not the source, replayed sequence number', () => {
    const x: ExpectedInstance = { ...X2, authType: 'AH', authKey: authKey('ahpass') };
    rejects(decodeIpPacket(enc(AH), { expect: { ...x, authKey: authKey('other') } }), 'ah-auth', /HMAC/);
    rejects(decodeIpPacket(enc(AH), { expect: { ...x, ahLastSeq: 9 } }), 'ah-auth', /sequence number 9/);
    // A TOS rewrite on the way is tolerated (zeroed in the ICV); the TTL is not, in multicast mode.
    const tos = enc(AH);
    tos[1] = 0;
    ok(decodeIpPacket(fixIp(tos), { expect: x }));
    const unicastTtl = enc({ ...AH, dst: '10.0.0.2', ttl: 17 });
    rejects(decodeIpPacket(unicastTtl, { expect: { ...x, unicast: true } }), 'ah-auth');
    ok(decodeIpPacket(enc({ ...AH, dst: '10.0.0.2', ttl: 17, unicast: true }), { expect: { ...x, unicast: true } }));
    // SPI: keepalived checks it after the ICV, so build an advert whose ICV covers a foreign SPI.
    const spi = enc(AH);
    spi.set([10, 9, 9, 9], 24);
    spi.set(ahIcv(spi.subarray(0, 20), spi.subarray(20, 44), spi.subarray(44), authKey('ahpass'), false), 32);
    rejects(decodeIpPacket(spi, { expect: x }), 'ah-auth', /SPI/);
  });
  test('interval: VRRPv2 drops a different interval; 0 is refused from anyone', () => {
    rejects(decodeIpPacket(enc({ intervalCs: 200 }), { expect: X2 }), 'interval', /2s, the instance's is 1s/);
    const p = enc({});
    p[25] = 0;
    rejects(decodeIpPacket(fixV2(p)), 'interval');
    // VRRPv3: a different interval is only logged by keepalived (the backup adopts it).
    ok(decodeIpPacket(enc({ ...V3, intervalCs: 300 }), { expect: { ...X2, version: 3, intervalCs: 100 } }));
  });
  test('type: only advertisements (type 1)', () => {
    const p = enc({});
    p[20] = 0x22;
    rejects(decodeIpPacket(fixV2(p)), 'type', /type 2/);
  });
  test('address-count: a different number of addresses than the instance', () => {
    rejects(decodeIpPacket(enc({}), { expect: { ...X2, addresses: ['10.0.0.100'] } }), 'address-count');
  });
  test('checksum: v2, v3 over IPv4, IPv6', () => {
    for (const spec of [{}, V3, V6]) {
      const p = enc(spec);
      const off = (spec as Partial<AdvertSpec>).src?.includes(':') ? 40 : 20;
      p[off + 7]! ^= 0x01;
      rejects(decodeIpPacket(p), 'checksum');
    }
    // A unicast v3 advert with the multicast-group checksum: refused only with old_unicast_checksum never.
    const old = enc({ ...V3, dst: '10.0.0.2', checksum: 'old-unicast' });
    const r = decodeIpPacket(old);
    ok(r);
    assert.equal(r.packet.checksumVariant, 'old-unicast');
    rejects(decodeIpPacket(old, { expect: { ...X2, version: 3, intervalCs: 50, unicast: true, oldUnicastChecksum: 'never' } }), 'checksum');
    ok(decodeIpPacket(old, { expect: { ...X2, version: 3, intervalCs: 50, unicast: true } }));
  });
  test('destination: multicast vs unicast must match the instance', () => {
    rejects(decodeIpPacket(enc({}), { expect: { ...X2, unicast: true } }), 'destination');
    rejects(decodeIpPacket(enc({ dst: '10.0.0.2' }), { expect: X2 }), 'destination');
  });
  test('address-list: one of ours missing from the advert', () => {
    rejects(decodeIpPacket(enc({}), { expect: { ...X2, addresses: ['10.0.0.100', '10.0.0.102'] } }), 'address-list', /10\.0\.0\.102/);
    ok(decodeIpPacket(enc({}), { expect: { ...X2, addresses: ['10.0.0.101', '10.0.0.100'] } }), 'order does not matter');
  });
  test('unicast-source: check_unicast_src and a source that is no peer', () => {
    const x: ExpectedInstance = { ...X2, unicast: true, checkUnicastSrc: true, unicastPeers: [{ address: '10.0.0.9' }] };
    rejects(decodeIpPacket(enc({ dst: '10.0.0.2' }), { expect: x }), 'unicast-source');
    ok(decodeIpPacket(enc({ dst: '10.0.0.2' }), { expect: { ...x, unicastPeers: [{ address: '10.0.0.1' }] } }));
  });
  test("keepalived's order: length, then TTL, then version, then checksum", () => {
    const p = enc({});
    p[8] = 1;
    p[27]! ^= 0xff;
    rejects(decodeIpPacket(fixIp(p)), 'ttl', /TTL 1/);
    p[23] = 3;
    rejects(decodeIpPacket(fixIp(p)), 'length');
    const q = enc(V3);
    q[20] = 0x41;
    q[27]! ^= 0xff;
    rejects(decodeIpPacket(q), 'version');
  });
  test('all reasons are covered by the tests above', () => {
    const missing = REJECT_REASONS.filter((r) => !covered.has(r));
    assert.deepEqual(missing, []);
  });
});

describe('from a keepalived.conf instance', () => {
  const conf = `
vrrp_instance A {
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 3
  authentication {
    auth_type PASS
    auth_pass longpassword
  }
  virtual_ipaddress {
    192.168.1.10/24
    192.168.1.11
  }
}
vrrp_instance B {
  interface eth0
  version 3
  virtual_router_id 8
  advert_int 0.25
  unicast_src_ip 10.0.0.1
  old_unicast_checksum
  unicast_peer {
    10.0.0.2
    10.0.0.3
  }
  virtual_ipaddress {
    192.168.2.10
  }
}
vrrp_instance C {
  interface eth0
  virtual_router_id 9
  unicast_src_ip fd00::1
  unicast_peer {
    fd00::2
  }
  virtual_ipaddress {
    fd00::10/64
  }
}`;
  const { config } = loadConfigText(conf, { interfaceExists: () => true });
  const [a, b, c] = config.vrrp_instances;
  test('v2 with PASS: whole seconds, 8-byte password, the group, TTL 255', () => {
    const s = advertSpecFromInstance(a!, { src: '192.168.1.1' });
    assert.deepEqual(
      { ...s },
      { version: 2, vrid: 7, priority: 150, intervalCs: 300, addresses: ['192.168.1.10', '192.168.1.11'], src: '192.168.1.1', dst: '224.0.0.18', ttl: 255, unicast: false, authType: 'PASS', authPass: 'longpass' },
    );
    const x = expectedFromInstance(a!);
    assert.equal(Buffer.from(x.authKey!).toString('latin1'), 'longpass');
    const e = encodeAdvert(s);
    assert.ok(e.ok);
    if (e.ok) ok(decodeIpPacket(e.bytes, { expect: x }));
  });
  test('v3 unicast: first peer, centiseconds, old checksum; each peer can be the destination', () => {
    const s = advertSpecFromInstance(b!, { src: '10.0.0.1', priority: 0 });
    assert.equal(s.dst, '10.0.0.2');
    assert.equal(s.intervalCs, 25);
    assert.equal(s.checksum, 'old-unicast');
    assert.equal(s.priority, 0);
    assert.equal(advertSpecFromInstance(b!, { src: '10.0.0.1', dst: '10.0.0.3' }).dst, '10.0.0.3');
    const x = expectedFromInstance(b!);
    assert.equal(x.unicast, true);
    assert.equal(x.oldUnicastChecksum, 'on');
    const e = encodeAdvert(s);
    assert.ok(e.ok);
    if (e.ok) ok(decodeIpPacket(e.bytes, { expect: x }));
  });
  test('IPv6 unicast: version 3, hop limit left to the kernel (64)', () => {
    const s = advertSpecFromInstance(c!, { src: 'fd00::1' });
    assert.equal(s.version, 3);
    assert.equal(s.ttl, 64);
    assert.deepEqual(s.addresses, ['fd00::10']);
  });
  test('how many VIPs fit in an advert (vrrp_complete_instance)', () => {
    assert.equal(maxAdvertAddresses('inet', 2, 'none'), 255);
    assert.equal(maxAdvertAddresses('inet6', 3, 'none'), 89);
    assert.equal(maxAdvertAddresses('inet', 2, 'AH', 576), 125);
    assert.equal(maxAdvertAddresses('inet', 3, 'none', 576), 133);
    assert.equal(maxAdvertAddresses('inet6', 3, 'none', 100), 2);
  });
});
