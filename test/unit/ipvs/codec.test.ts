// The IPVS netlink payloads, byte by byte (layouts from include/uapi/linux/ip_vs.h).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addrBytes, bytesAddr, decodeDaemon, decodeDest, decodeInfo, decodeService, decodeStats, decodeTimeouts,
  encodeDaemon, encodeDest, encodeService, encodeServiceKey, encodeTimeouts, attrMap, ATTR,
} from '../../../src/ipvs/codec.js';

const hex = (b: Buffer): string => b.toString('hex');
/** An attribute as hex: length (LE u16, without padding), type, payload, padding. */
function a(type: number, payloadHex: string): string {
  const len = 4 + payloadHex.length / 2;
  const h = Buffer.alloc(4);
  h.writeUInt16LE(len, 0);
  h.writeUInt16LE(type, 2);
  const pad = '00'.repeat((4 - (len % 4)) % 4);
  return h.toString('hex') + payloadHex + pad;
}

test('an IPv4 TCP service with persistence, granularity and a persistence engine', () => {
  const b = encodeService({ key: { kind: 'addr', family: 'inet', protocol: 'TCP', address: '10.0.0.1', port: 80 }, scheduler: 'rr', flags: 0x1 | 0x2, timeout: 300, netmask: '255.255.255.0', pe: 'sip' });
  const inner =
    a(1, '0200') + // AF_INET, u16
    a(2, '0600') + // TCP
    a(3, '0a000001' + '00'.repeat(12)) + // 16-byte address union
    a(4, '0050') + // port 80, network order
    a(6, '727200') + // "rr\0"
    a(11, '73697000') + // "sip\0"
    a(7, '01000000' + 'ffffffff') + // flags (HASHED dropped), mask
    a(8, '2c010000') + // 300
    a(9, 'ffffff00'); // netmask octets in order
  assert.equal(hex(b), a(ATTR.SERVICE, inner));
});

test('an IPv6 fwmark service: AF_INET6, the mark, a prefix length as netmask', () => {
  const b = encodeService({ key: { kind: 'fwmark', family: 'inet6', fwmark: 0x01020304 }, scheduler: 'sh', flags: 0x18, timeout: 0, netmask: '64' });
  const inner = a(1, '0a00') + a(5, '04030201') + a(6, '736800') + a(7, '18000000ffffffff') + a(8, '00000000') + a(9, '40000000');
  assert.equal(hex(b), a(1, inner));
  // Only the identity for a DEL_SERVICE or a destination's service.
  assert.equal(hex(encodeServiceKey({ kind: 'fwmark', family: 'inet6', fwmark: 5 })), a(1, a(1, '0a00') + a(5, '05000000')));
});

test('destinations: NAT, and TUN with gue port and checksum flags; DEL carries the address only', () => {
  const nat = encodeDest({ family: 'inet', address: '192.0.2.7', port: 8080, method: 'NAT', weight: 3, uthreshold: 100, lthreshold: 10 });
  assert.equal(hex(nat), a(2,
    a(1, 'c0000207' + '00'.repeat(12)) + a(2, '1f90') + a(11, '0200') + a(3, '00000000') + a(4, '03000000') + a(5, '64000000') + a(6, '0a000000')));
  const tun = encodeDest({ family: 'inet6', address: '2001:db8::1', port: 0, method: 'TUN', weight: 1, uthreshold: 0, lthreshold: 0, tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' });
  assert.equal(hex(tun), a(2,
    a(1, '20010db8000000000000000000000001') + a(2, '0000') + a(11, '0a00') + a(3, '02000000') + a(4, '01000000') + a(5, '00000000') + a(6, '00000000')
    + a(13, '01') + a(14, '17c0') + a(15, '0200')));
  const del = encodeDest({ family: 'inet', address: '10.0.0.2', port: 80, method: 'DR', weight: 1, uthreshold: 0, lthreshold: 0 }, false);
  assert.equal(hex(del), a(2, a(1, '0a000002' + '00'.repeat(12)) + a(2, '0050') + a(11, '0200')));
});

test('decoding a service and a destination as the kernel sends them', () => {
  const svc = Buffer.from(
    a(1, '0200') + a(2, '1100') + a(3, '0a000001' + '00'.repeat(12)) + a(4, '0035') + a(6, '776c6300') + a(7, '07000000ffffffff')
    + a(8, '3c000000') + a(9, 'ffff0000') + a(11, '73697000')
    + a(12, a(1, '0500000000000000') + a(4, '0001000000000000')), 'hex');
  const s = decodeService(svc);
  assert.deepEqual({ ...s, stats: undefined }, {
    key: { kind: 'addr', family: 'inet', protocol: 'UDP', address: '10.0.0.1', port: 53 },
    scheduler: 'wlc', flags: 0x5, timeout: 60, netmask: '255.255.0.0', pe: 'sip', stats: undefined,
  });
  assert.equal(s.stats!.conns, 5n);
  assert.equal(s.stats!.inbytes, 256n);

  const dst = Buffer.from(
    a(1, '0a000105' + '00'.repeat(12)) + a(2, '0050') + a(3, '02000000') + a(4, '09000000') + a(5, '00000000') + a(6, '00000000')
    + a(7, '03000000') + a(8, '04000000') + a(9, '01000000') + a(11, '0200') + a(13, '02') + a(14, '0000') + a(15, '0100'), 'hex');
  const d = decodeDest(dst, 'inet6');
  assert.deepEqual(d, {
    family: 'inet', address: '10.0.1.5', port: 80, method: 'TUN', weight: 9, uthreshold: 0, lthreshold: 0,
    activeConns: 3, inactConns: 4, persistConns: 1, tunnelType: 'gre', tunnelCsum: 'csum',
  });
  // A NAT destination reported with zeroed tunnel attributes keeps none of them.
  const nat = decodeDest(Buffer.from(a(1, '0a000105' + '00'.repeat(12)) + a(2, '0050') + a(3, '00000000') + a(13, '00') + a(14, '0000') + a(15, '0000'), 'hex'), 'inet');
  assert.equal(nat.tunnelType, undefined);
  assert.equal(nat.method, 'NAT');
});

test('the old STATS nest mixes u32 and u64 counters', () => {
  const st = decodeStats(Buffer.from(a(1, '07000000') + a(4, '0000000001000000') + a(6, '02000000'), 'hex'));
  assert.equal(st.conns, 7n);
  assert.equal(st.inbytes, 1n << 32n);
  assert.equal(st.cps, 2n);
});

test('the sync daemon: every option on NEW_DAEMON, the state only on DEL_DAEMON, and back', () => {
  const d = { state: 'backup' as const, interface: 'eth0', syncId: 9, maxlen: 1400, group: '224.0.0.81', port: 8848, ttl: 2 };
  const b = encodeDaemon(d);
  assert.equal(hex(b), a(3, a(1, '02000000') + a(2, Buffer.from('eth0\0').toString('hex')) + a(3, '09000000') + a(4, '7805')
    + a(5, 'e0000051') + a(7, '9022') + a(8, '02')));
  assert.deepEqual(decodeDaemon(attrMap(b).get(3)!), d);
  assert.equal(hex(encodeDaemon({ state: 'master', interface: '', syncId: 0 }, false)), a(3, a(1, '01000000')));
  const v6 = encodeDaemon({ state: 'master', interface: 'lo', syncId: 1, group: 'ff02::1' });
  assert.equal(decodeDaemon(attrMap(v6).get(3)!).group, 'ff02::1');
});

test('timeouts and info', () => {
  assert.equal(hex(encodeTimeouts({ tcp: 900, tcpfin: 120, udp: 300 })), a(4, '84030000') + a(5, '78000000') + a(6, '2c010000'));
  assert.deepEqual(decodeTimeouts(encodeTimeouts({ tcp: 1, udp: 2 })), { tcp: 1, tcpfin: 0, udp: 2 });
  assert.deepEqual(decodeInfo(Buffer.from(a(1, '01020100') + a(2, '00100000'), 'hex')), { version: 0x010201, connTabSize: 4096 });
});

test('addresses: the 16-byte union both ways; bad input is refused with a message', () => {
  assert.equal(hex(addrBytes('inet6', '::ffff:1.2.3.4')), '00000000000000000000ffff01020304');
  assert.equal(bytesAddr('inet6', addrBytes('inet6', '2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(bytesAddr('inet', addrBytes('inet', '255.0.7.1')), '255.0.7.1');
  assert.throws(() => addrBytes('inet', '2001:db8::1'), /invalid IPv4 address 2001:db8::1/);
  assert.throws(() => encodeService({ key: { kind: 'fwmark', family: 'inet', fwmark: 1 }, scheduler: 'averyveryverylongname', flags: 0, timeout: 0, netmask: '255.255.255.255' }), /longer than 15 bytes/);
  assert.throws(() => encodeService({ key: { kind: 'fwmark', family: 'inet6', fwmark: 1 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: '129' }), /invalid IPv6 netmask 129/);
});
