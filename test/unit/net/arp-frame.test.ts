// The frames keel announces addresses with, checked field by field against what keepalived 2.2.7
// builds (vrrp_arp.c send_gratuitous_arp_immediate, vrrp_ndisc.c ndisc_send_unsolicited_na_immediate).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARP_FRAME_LEN, NA_FRAME_LEN, announcementFrame, arpFrame, formatMac, gratuitousArp, neighbourAdvert,
  parseArpFrame, parseMac, parseNaFrame, unsolicitedNa,
} from '../../../src/net/arp-frame.js';
import { parseIPv4, parseIPv6 } from '../../../src/vrrp/ip.js';

const MAC = parseMac('52:54:00:12:34:56')!;
const VMAC = parseMac('00:00:5e:00:01:33')!;

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** An independent ICMPv6 checksum (RFC 1071 over pseudo-header + message), not the code under test. */
function icmp6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  const pseudo = new Uint8Array(40 + msg.length);
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  new DataView(pseudo.buffer).setUint32(32, msg.length);
  pseudo[39] = 58;
  pseudo.set(msg, 40);
  let s = 0;
  for (let i = 0; i < pseudo.length; i += 2) s += (pseudo[i]! << 8) | (pseudo[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

describe('MAC addresses', () => {
  test('parse and format', () => {
    assert.equal(formatMac(MAC), '52:54:00:12:34:56');
    assert.equal(formatMac(parseMac('0:0:5E:0:1:33')!), '00:00:5e:00:01:33');
    assert.equal(formatMac(parseMac('52-54-00-AB-cd-EF')!), '52:54:00:ab:cd:ef');
    for (const bad of ['', '52:54:00:12:34', '52:54:00:12:34:56:78', '52:54:00:12:34:5g', '152:54:00:12:34:56']) {
      assert.equal(parseMac(bad), undefined, bad);
    }
  });
});

describe('gratuitous ARP (keepalived: ARP request, broadcast, sender = target = VIP)', () => {
  const f = gratuitousArp(MAC, parseIPv4('10.0.0.100')!);

  test('is 42 bytes: Ethernet header and the ARP payload, no padding', () => {
    assert.equal(f.length, ARP_FRAME_LEN);
    assert.equal(f.length, 42);
  });

  test('field by field', () => {
    assert.equal(hex(f.subarray(0, 6)), 'ffffffffffff', 'Ethernet destination: broadcast');
    assert.equal(hex(f.subarray(6, 12)), '525400123456', 'Ethernet source: the interface MAC');
    assert.equal(hex(f.subarray(12, 14)), '0806', 'EtherType ARP');
    assert.equal(hex(f.subarray(14, 16)), '0001', 'hardware type Ethernet');
    assert.equal(hex(f.subarray(16, 18)), '0800', 'protocol type IPv4');
    assert.equal(f[18], 6, 'hardware address length');
    assert.equal(f[19], 4, 'protocol address length');
    assert.equal(hex(f.subarray(20, 22)), '0001', 'op: request, as keepalived sends');
    assert.equal(hex(f.subarray(22, 28)), '525400123456', 'sender MAC');
    assert.equal(hex(f.subarray(28, 32)), '0a000064', 'sender IP: the VIP');
    assert.equal(hex(f.subarray(32, 38)), 'ffffffffffff', 'target MAC: keepalived puts the broadcast address, not zeros');
    assert.equal(hex(f.subarray(38, 42)), '0a000064', 'target IP: the VIP');
  });

  test('the whole frame', () => {
    assert.equal(hex(f), 'ffffffffffff5254001234560806000108000604000152540012345' + '60a000064ffffffffffff0a000064');
  });

  test('a VMAC source goes in both the Ethernet header and the sender MAC', () => {
    const v = gratuitousArp(VMAC, parseIPv4('192.168.1.1')!);
    assert.equal(hex(v.subarray(6, 12)), '00005e000133');
    assert.equal(hex(v.subarray(22, 28)), '00005e000133');
  });

  test('parses back', () => {
    assert.deepEqual(parseArpFrame(f), {
      ethDst: 'ff:ff:ff:ff:ff:ff', ethSrc: '52:54:00:12:34:56', op: 1,
      senderMac: '52:54:00:12:34:56', senderIp: '10.0.0.100', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: '10.0.0.100',
    });
    assert.equal(parseArpFrame(f.subarray(0, 41)), undefined, 'truncated');
    const notArp = new Uint8Array(f);
    notArp[13] = 0x00;
    assert.equal(parseArpFrame(notArp), undefined, 'another EtherType');
  });

  test('an ARP reply can be built too (unicast, op 2)', () => {
    const peer = parseMac('02:00:00:00:00:02')!;
    const r = arpFrame({
      op: 2, ethSrc: MAC, ethDst: peer, senderMac: MAC, senderIp: parseIPv4('10.0.0.1')!, targetMac: peer, targetIp: parseIPv4('10.0.0.2')!,
    });
    assert.deepEqual(parseArpFrame(r), {
      ethDst: '02:00:00:00:00:02', ethSrc: '52:54:00:12:34:56', op: 2,
      senderMac: '52:54:00:12:34:56', senderIp: '10.0.0.1', targetMac: '02:00:00:00:00:02', targetIp: '10.0.0.2',
    });
  });
});

describe('unsolicited neighbour advertisement (keepalived: to ff02::1, override, target link-layer option)', () => {
  const vip = parseIPv6('2001:db8::10')!;
  const allNodes = parseIPv6('ff02::1')!;
  const f = unsolicitedNa(MAC, vip);

  test('is 86 bytes', () => {
    assert.equal(f.length, NA_FRAME_LEN);
    assert.equal(f.length, 86);
  });

  test('Ethernet header: 33:33:00:00:00:01 from the interface MAC, IPv6', () => {
    assert.equal(hex(f.subarray(0, 6)), '333300000001');
    assert.equal(hex(f.subarray(6, 12)), '525400123456');
    assert.equal(hex(f.subarray(12, 14)), '86dd');
  });

  test('IPv6 header: version 6, class 0, flow 0, length 32, ICMPv6, hop limit 255, from the VIP to ff02::1', () => {
    const ip = f.subarray(14, 54);
    assert.equal(hex(ip.subarray(0, 4)), '60000000');
    assert.equal(hex(ip.subarray(4, 6)), '0020');
    assert.equal(ip[6], 58);
    assert.equal(ip[7], 255);
    assert.equal(hex(ip.subarray(8, 24)), hex(vip), 'source: the address itself');
    assert.equal(hex(ip.subarray(24, 40)), hex(allNodes));
  });

  test('ICMPv6: type 136 code 0, flags Override only, target, option 2 length 1 with the MAC', () => {
    const m = f.subarray(54);
    assert.equal(m.length, 32);
    assert.equal(m[0], 136);
    assert.equal(m[1], 0);
    assert.equal(hex(m.subarray(4, 8)), '20000000', 'R=0 S=0 O=1');
    assert.equal(hex(m.subarray(8, 24)), hex(vip));
    assert.equal(m[24], 2, 'target link-layer address option');
    assert.equal(m[25], 1, 'length 1 (8 bytes)');
    assert.equal(hex(m.subarray(26, 32)), '525400123456');
  });

  test('the checksum is the ICMPv6 checksum over the pseudo-header', () => {
    const m = new Uint8Array(f.subarray(54));
    const sent = (m[2]! << 8) | m[3]!;
    m[2] = 0;
    m[3] = 0;
    assert.equal(sent, icmp6Checksum(vip, allNodes, m));
    assert.notEqual(sent, 0);
  });

  test('the router flag when the interface forwards IPv6', () => {
    const r = unsolicitedNa(MAC, vip, true);
    assert.equal(r[54 + 4], 0xa0, 'R=1 S=0 O=1');
    const m = new Uint8Array(r.subarray(54));
    const sent = (m[2]! << 8) | m[3]!;
    m[2] = 0;
    m[3] = 0;
    assert.equal(sent, icmp6Checksum(vip, allNodes, m));
  });

  test('parses back, checksum verified', () => {
    assert.deepEqual(parseNaFrame(f), {
      ethDst: '33:33:00:00:00:01', ethSrc: '52:54:00:12:34:56', src: '2001:db8::10', dst: 'ff02::1',
      hopLimit: 255, trafficClass: 0, flowLabel: 0, router: false, solicited: false, override: true,
      target: '2001:db8::10', targetMac: '52:54:00:12:34:56', checksumOk: true,
    });
    const bad = new Uint8Array(f);
    bad[60] ^= 0xff;
    assert.equal(parseNaFrame(bad)?.checksumOk, false);
  });

  test('solicited and non-override variants', () => {
    const s = neighbourAdvert({ mac: VMAC, target: vip, solicited: true, override: false });
    const p = parseNaFrame(s)!;
    assert.equal(p.solicited, true);
    assert.equal(p.override, false);
    assert.equal(p.checksumOk, true);
    assert.equal(p.ethSrc, '00:00:5e:00:01:33');
  });
});

describe('announcementFrame picks the family', () => {
  test('IPv4, IPv6, with and without a prefix', () => {
    const a = announcementFrame('10.0.0.1/24', MAC);
    assert.ok(a.ok && a.family === 'inet' && a.frame.length === 42);
    const b = announcementFrame('fe80::1', MAC);
    assert.ok(b.ok && b.family === 'inet6' && b.frame.length === 86);
    const c = announcementFrame('2001:db8::1/64', MAC, true);
    assert.ok(c.ok && parseNaFrame(c.frame)!.router);
  });

  test('anything else is an error sentence', () => {
    for (const bad of ['', 'eth0', '10.0.0.256', '1.2.3', 'fe80:::1']) {
      const r = announcementFrame(bad, MAC);
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.match(r.error, /is not an IPv4 or IPv6 address/);
    }
  });
});
