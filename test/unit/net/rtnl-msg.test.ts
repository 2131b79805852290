// rtnetlink messages built from real config lines, decoded field by field: what keepalived 2.2.7
// puts in each request (vrrp_ipaddress.c, vrrp_iproute.c, vrrp_iprule.c), without a kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/build.js';
import type { AddressEntry, RouteEntry, RuleEntry } from '../../../src/config/blocks/addresses.js';
import * as K from '../../../src/net/rtnl-attr.js';
import { AttrWriter, errorCode, frame, parseAttrs, splitMessages } from '../../../src/net/rtnl-attr.js';
import {
  addressRequest, macvlanRequest, parseAddressMessage, parseLinkMessage, routeInterfaces, routeRequest, ruleRequest,
  addrGenModeNoneRequest, linkSetUpRequest, parseRouteMessage, parseRuleMessage,
} from '../../../src/net/rtnl-msg.js';

function config(text: string) {
  const r = loadConfigText(text);
  const errors = r.diagnostics.list.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'the config lines are valid');
  return r.config;
}
const addresses = (...lines: string[]): AddressEntry[] => config(`static_ipaddress {\n${lines.join('\n')}\n}\n`).static_ipaddress;
const routes = (...lines: string[]): RouteEntry[] => config(`static_routes {\n${lines.join('\n')}\n}\n`).static_routes;
const rules = (...lines: string[]): RuleEntry[] => config(`static_rules {\n${lines.join('\n')}\n}\n`).static_rules;

const v4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
const u32 = (b: Buffer | undefined): number | undefined => b?.readUInt32LE(0);
const HDR = { addr: 8, route: 12, rule: 12, link: 16 };

test('an IPv6 address: NODAD unless -nodad, home, preferred_lft forever sends no cacheinfo', () => {
  const [a, b] = addresses('2001:db8::1/64 dev lo home', '2001:db8::2/64 dev lo -nodad mngtmpaddr noprefixroute autojoin');
  const r = addressRequest(a!, 7, 'add');
  assert.equal(r.type, K.RTM_NEWADDR);
  assert.equal(r.flags, 0, 'no CREATE/EXCL: keepalived sends REQUEST only');
  assert.deepEqual([...r.body.subarray(0, 4)], [K.AF_INET6, 64, 0, 0]);
  assert.equal(r.body.readUInt32LE(4), 7);
  const at = parseAttrs(r.body, HDR.addr);
  assert.equal(u32(at.get(K.IFA_FLAGS)), K.IFA_F_HOMEADDRESS | K.IFA_F_NODAD);
  assert.equal(at.get(K.IFA_LOCAL)?.length, 16);
  assert.equal(at.get(K.IFA_LOCAL)?.[15], 1);
  assert.equal(at.has(K.IFA_CACHEINFO), false);
  assert.equal(at.has(K.IFA_ADDRESS), false);
  const rb = parseAttrs(addressRequest(b!, 7, 'add').body, HDR.addr);
  assert.equal(u32(rb.get(K.IFA_FLAGS)), K.IFA_F_MANAGETEMPADDR | K.IFA_F_NOPREFIXROUTE | K.IFA_F_MCAUTOJOIN, '-nodad: no NODAD');
});

test('an IPv6 /128 VIP is added deprecated (preferred 0, valid forever); a set preferred_lft is sent', () => {
  const [a, b] = addresses('2001:db8::9 dev lo', '2001:db8::a/64 dev lo preferred_lft 120');
  const ci = parseAttrs(addressRequest(a!, 1, 'add').body, HDR.addr).get(K.IFA_CACHEINFO)!;
  assert.equal(ci.length, 16);
  assert.equal(ci.readUInt32LE(0), 0);
  assert.equal(ci.readUInt32LE(4), K.INFINITY_LIFE_TIME);
  assert.equal(parseAttrs(addressRequest(b!, 1, 'add').body, HDR.addr).get(K.IFA_CACHEINFO)!.readUInt32LE(0), 120);
  // Removal sends only what identifies the address.
  const del = addressRequest(a!, 1, 'del');
  assert.equal(del.type, K.RTM_DELADDR);
  assert.deepEqual([...parseAttrs(del.body, HDR.addr).keys()], [K.IFA_LOCAL]);
});

test('an IPv4 address: scope in the header, broadcast and label on add, IFA_ADDRESS on delete', () => {
  const [a] = addresses('10.0.0.1/24 brd + dev lo label lo:1 scope link');
  const add = addressRequest(a!, 3, 'add');
  assert.deepEqual([...add.body.subarray(0, 4)], [K.AF_INET, 24, 0, 253]);
  const at = parseAttrs(add.body, HDR.addr);
  assert.deepEqual(at.get(K.IFA_LOCAL), v4('10.0.0.1'));
  assert.deepEqual(at.get(K.IFA_BROADCAST), v4('10.0.0.255'));
  assert.equal(at.get(K.IFA_LABEL)?.toString(), 'lo:1\0');
  assert.equal(at.has(K.IFA_FLAGS), false, 'no flags for a plain IPv4 address');
  assert.equal(at.has(K.IFA_ADDRESS), false);
  const del = parseAttrs(addressRequest(a!, 3, 'del').body, HDR.addr);
  assert.deepEqual(del.get(K.IFA_ADDRESS), v4('10.0.0.1'));
  assert.equal(del.has(K.IFA_LABEL), false);
});

test('a peer address goes in IFA_ADDRESS, on add and on delete', () => {
  // keepalived 2.2.7 reads the peer without a prefix, so the prefix is the peer's /32.
  const [a] = addresses('10.1.2.1 peer 10.1.2.2 dev lo');
  const add = addressRequest(a!, 3, 'add');
  assert.equal(add.body[1], 32);
  assert.deepEqual(parseAttrs(add.body, HDR.addr).get(K.IFA_ADDRESS), v4('10.1.2.2'));
  assert.deepEqual(parseAttrs(addressRequest(a!, 3, 'del').body, HDR.addr).get(K.IFA_ADDRESS), v4('10.1.2.2'));
});

test('a route: table above 255 in RTA_TABLE, keepalived protocol, prepend by default, metrics with lock', () => {
  const [r] = routes('10.9.0.0/16 via 10.0.0.254 dev lo table 300 metric 4 mtu lock 1400 advmss 1360 src 10.0.0.1');
  assert.deepEqual(routeInterfaces(r!), ['lo']);
  const add = routeRequest(r!, 'add', (n) => (n === 'lo' ? 1 : -1));
  assert.equal(add.type, K.RTM_NEWROUTE);
  assert.equal(add.flags, K.NLM_F_CREATE);
  // family, dst_len, src_len, tos, table, protocol, scope, type
  assert.deepEqual([...add.body.subarray(0, 8)], [K.AF_INET, 16, 0, 0, K.RT_TABLE_UNSPEC, 18, K.RT_SCOPE_UNIVERSE, 1]);
  const at = parseAttrs(add.body, HDR.route);
  assert.equal(u32(at.get(K.RTA_TABLE)), 300);
  assert.deepEqual(at.get(K.RTA_DST), v4('10.9.0.0'));
  assert.deepEqual(at.get(K.RTA_GATEWAY), v4('10.0.0.254'));
  assert.deepEqual(at.get(K.RTA_PREFSRC), v4('10.0.0.1'));
  assert.equal(u32(at.get(K.RTA_OIF)), 1);
  assert.equal(u32(at.get(K.RTA_PRIORITY)), 4);
  const m = parseAttrs(at.get(K.RTA_METRICS)!);
  assert.equal(u32(m.get(K.RTAX.mtu)), 1400);
  assert.equal(u32(m.get(K.RTAX.advmss)), 1360);
  assert.equal(u32(m.get(K.RTAX.lock)), 1 << K.RTAX.mtu);
  const del = routeRequest(r!, 'del', () => 1);
  assert.equal(del.type, K.RTM_DELROUTE);
  assert.equal(del.flags, 0);
  assert.equal(del.body[6], K.RT_SCOPE_NOWHERE, 'delete matches any scope');
});

test('route modes, a table below 256, the fallback interface and a set scope', () => {
  const [add, app, sc] = routes('10.1.0.0/16 dev lo add', '10.2.0.0/16 dev lo append table 10', '10.3.0.0/16 scope link no_track');
  assert.equal(routeRequest(add!, 'add', () => 1).flags, K.NLM_F_CREATE | K.NLM_F_EXCL);
  const a = routeRequest(app!, 'add', () => 1);
  assert.equal(a.flags, K.NLM_F_CREATE | K.NLM_F_APPEND);
  assert.equal(a.body[4], 10);
  assert.equal(parseAttrs(a.body, HDR.route).has(K.RTA_TABLE), false);
  assert.deepEqual(routeInterfaces(sc!, 'eth3'), ['eth3']);
  const s = routeRequest(sc!, 'add', (n) => (n === 'eth3' ? 9 : -1), { fallbackDev: 'eth3' });
  assert.equal(u32(parseAttrs(s.body, HDR.route).get(K.RTA_OIF)), 9);
  assert.equal(s.body[6], 253);
  assert.equal(routeRequest(sc!, 'del', () => 9, { fallbackDev: 'eth3' }).body[6], 253, 'a set scope is kept on delete');
  // A route in a VRF goes to the VRF's table, whatever table the line named.
  const v = routeRequest(app!, 'add', () => 1, { table: 1234 });
  assert.equal(v.body[4], K.RT_TABLE_UNSPEC);
  assert.equal(u32(parseAttrs(v.body, HDR.route).get(K.RTA_TABLE)), 1234);
});

test('multipath nexthops: weight-1 in rtnh_hops, onlink flag, interface, gateway', () => {
  const [r] = routes('10.8.0.0/16 no_track nexthop via 10.0.0.1 dev lo weight 3 onlink nexthop via 10.0.0.2');
  const at = parseAttrs(routeRequest(r!, 'add', () => 1).body, HDR.route);
  const mp = at.get(K.RTA_MULTIPATH)!;
  const len1 = mp.readUInt16LE(0);
  assert.equal(len1, 8 + 8, 'rtnexthop + one RTA_GATEWAY');
  assert.equal(mp[2], K.RTNH_F_ONLINK);
  assert.equal(mp[3], 2);
  assert.equal(mp.readInt32LE(4), 1);
  assert.deepEqual(parseAttrs(mp.subarray(8, len1)).get(K.RTA_GATEWAY), v4('10.0.0.1'));
  const second = mp.subarray(len1);
  assert.equal(second[2], 0);
  assert.equal(second[3], 0, 'no weight given');
  assert.equal(second.readInt32LE(4), 0, 'no interface given');
});

test('encapsulation: MPLS labels with bottom of stack, ip with a network-order id', () => {
  const [m, i] = routes('10.7.0.0/16 dev lo encap mpls 100/200', '10.6.0.0/16 dev lo encap ip id 5 dst 192.0.2.1 ttl 9');
  const am = parseAttrs(routeRequest(m!, 'add', () => 1).body, HDR.route);
  assert.equal(am.get(K.RTA_ENCAP_TYPE)?.readUInt16LE(0), K.LWTUNNEL_ENCAP.mpls);
  const labels = parseAttrs(am.get(K.RTA_ENCAP)!).get(K.MPLS_IPTUNNEL_DST)!;
  assert.equal(labels.readUInt32BE(0), 100 << 12);
  assert.equal(labels.readUInt32BE(4), (200 << 12) | 0x100);
  const ai = parseAttrs(routeRequest(i!, 'add', () => 1).body, HDR.route);
  const e = parseAttrs(ai.get(K.RTA_ENCAP)!);
  assert.equal(e.get(K.LWTUNNEL_IP_ID)?.readBigUInt64BE(0), 5n);
  assert.deepEqual(e.get(K.LWTUNNEL_IP_DST), v4('192.0.2.1'));
  assert.equal(e.get(K.LWTUNNEL_IP_TTL)?.[0], 9);
});

test('a rule: CREATE|EXCL, table in the header or FRA_TABLE, priority, selectors, keepalived protocol', () => {
  const [a, b, c] = rules(
    'from 10.0.0.0/8 table 100 priority 10',
    'not to 10.3.0.0/16 table 1000 priority 11 fwmark 0x10/0xff iif lo',
    'priority 12 goto 20',
  );
  const ra = ruleRequest(a!, 'add');
  assert.equal(ra.type, K.RTM_NEWRULE);
  assert.equal(ra.flags, K.NLM_F_CREATE | K.NLM_F_EXCL);
  // family, dst_len, src_len, tos, table, res1, res2, action
  assert.deepEqual([...ra.body.subarray(0, 8)], [K.AF_INET, 0, 8, 0, 100, 0, 0, K.FR_ACT.table]);
  const at = parseAttrs(ra.body, HDR.rule);
  assert.deepEqual(at.get(K.FRA_SRC), v4('10.0.0.0'));
  assert.equal(u32(at.get(K.FRA_PRIORITY)), 10);
  assert.equal(at.get(K.FRA_PROTOCOL)?.[0], 18);
  const rb = ruleRequest(b!, 'add');
  assert.equal(rb.body[4], K.RT_TABLE_UNSPEC);
  assert.equal(rb.body.readUInt32LE(8), K.FIB_RULE_INVERT);
  const bt = parseAttrs(rb.body, HDR.rule);
  assert.equal(u32(bt.get(K.FRA_TABLE)), 1000);
  assert.equal(u32(bt.get(K.FRA_FWMARK)), 0x10);
  assert.equal(u32(bt.get(K.FRA_FWMASK)), 0xff);
  assert.equal(bt.get(K.FRA_IIFNAME)?.toString(), 'lo\0');
  const l3: RuleEntry = { ...a!, action: 'table', l3mdev: true, table: undefined };
  const rl = ruleRequest(l3, 'add');
  assert.equal(rl.body[4], K.RT_TABLE_UNSPEC, 'l3mdev: no table');
  assert.equal(parseAttrs(rl.body, HDR.rule).get(K.FRA_L3MDEV)?.[0], 1);
  assert.equal(parseAttrs(rl.body, HDR.rule).has(K.FRA_TABLE), false);
  const rc = ruleRequest(c!, 'del');
  assert.equal(rc.type, K.RTM_DELRULE);
  assert.equal(rc.flags, 0);
  assert.equal(rc.body[7], K.FR_ACT.goto);
  assert.equal(u32(parseAttrs(rc.body, HDR.rule).get(K.FRA_GOTO)), 20);
});

test('a macvlan request: private mode nested in linkinfo, parent, name and MAC; an update names the index', () => {
  const r = macvlanRequest('vrrp.5', 2, '00:00:5e:00:01:05');
  assert.equal(r.flags, K.NLM_F_CREATE | K.NLM_F_EXCL);
  const at = parseAttrs(r.body, HDR.link);
  const li = parseAttrs(at.get(K.IFLA_LINKINFO)!);
  assert.equal(li.get(K.IFLA_INFO_KIND)?.toString(), 'macvlan');
  assert.equal(u32(parseAttrs(li.get(K.IFLA_INFO_DATA)!).get(K.IFLA_MACVLAN_MODE)), K.MACVLAN_MODE_PRIVATE);
  assert.equal(u32(at.get(K.IFLA_LINK)), 2);
  assert.equal(at.get(K.IFLA_IFNAME)?.toString(), 'vrrp.5\0');
  assert.deepEqual([...at.get(K.IFLA_ADDRESS)!], [0, 0, 0x5e, 0, 1, 5]);
  assert.equal(at.has(K.IFLA_MASTER), false, 'no VRF');
  assert.equal(u32(parseAttrs(macvlanRequest('vrrp.5', 2, '00:00:5e:00:01:05', undefined, 9).body, HDR.link).get(K.IFLA_MASTER)), 9);
  const u = macvlanRequest('vrrp.5', 2, '00:00:5e:00:01:05', 44, 0);
  assert.equal(u.flags, 0);
  assert.equal(u32(parseAttrs(u.body, HDR.link).get(K.IFLA_MASTER)), 0, 'an update leaves a VRF the parent left');
  assert.equal(u.body.readInt32LE(4), 44);
  assert.equal(parseAttrs(u.body, HDR.link).has(K.IFLA_IFNAME), false);
  const g = parseAttrs(addrGenModeNoneRequest(44).body, HDR.link).get(K.IFLA_AF_SPEC)!;
  assert.equal(parseAttrs(parseAttrs(g).get(K.AF_INET6)!).get(K.IFLA_INET6_ADDR_GEN_MODE)?.[0], K.IN6_ADDR_GEN_MODE_NONE);
  const up = linkSetUpRequest(44, true).body;
  assert.deepEqual([up.readUInt32LE(8), up.readUInt32LE(12)], [K.IFF_UP, K.IFF_UP]);
  assert.deepEqual([linkSetUpRequest(44, false).body.readUInt32LE(8)], [0]);
});

test('parses the kernel link and address messages', () => {
  const hdr = Buffer.alloc(16);
  hdr.writeInt32LE(12, 4);
  hdr.writeUInt32LE(K.IFF_UP | K.IFF_RUNNING, 8);
  const body = new AttrWriter().raw(hdr).str(K.IFLA_IFNAME, 'vrrp.9').bytes(K.IFLA_ADDRESS, Buffer.from([0, 0, 0x5e, 0, 1, 9]))
    .u32(K.IFLA_MTU, 1500).u32(K.IFLA_LINK, 3)
    .u32(999, 1) // an attribute this code has never heard of
    .nest(K.IFLA_LINKINFO, (li) => li.strNoNul(K.IFLA_INFO_KIND, 'macvlan').nest(K.IFLA_INFO_DATA, (d) => d.u32(K.IFLA_MACVLAN_MODE, 1)))
    .done();
  assert.deepEqual(parseLinkMessage(body), {
    index: 12, name: 'vrrp.9', up: true, running: true, mac: '00:00:5e:00:01:09', mtu: 1500, kind: 'macvlan', flags: K.IFF_UP | K.IFF_RUNNING,
    macvlanMode: 1, parentIndex: 3,
  });
  const ah = Buffer.from([K.AF_INET, 30, 0, 0, 5, 0, 0, 0]);
  const ab = new AttrWriter().raw(ah).bytes(K.IFA_ADDRESS, v4('10.0.0.2')).bytes(K.IFA_LOCAL, v4('10.0.0.1')).str(K.IFA_LABEL, 'eth0:x')
    .u32(K.IFA_FLAGS, K.IFA_F_NOPREFIXROUTE | K.IFA_F_PERMANENT).done();
  assert.deepEqual(parseAddressMessage(ab), {
    address: '10.0.0.1', prefix: 30, family: 'inet', ifindex: 5, scope: 0, flags: K.IFA_F_NOPREFIXROUTE | K.IFA_F_PERMANENT,
    peer: '10.0.0.2', label: 'eth0:x',
  });
  assert.equal(parseAddressMessage(Buffer.from([7, 0, 0, 0, 1, 0, 0, 0])), undefined, 'other families are skipped');
});

test('frames and splits messages, reading the error code of an ACK or error', () => {
  const a = frame(K.RTM_NEWADDR, K.NLM_F_REQUEST, 7, Buffer.from([1, 2, 3]));
  assert.equal(a.readUInt32LE(0), 19);
  assert.equal(a.length, 20, 'padded to 4');
  const err = Buffer.alloc(20);
  err.writeInt32LE(-17, 0);
  const both = Buffer.concat([a, frame(K.NLMSG_ERROR, 0, 8, err)]);
  const msgs = splitMessages(both);
  assert.deepEqual(msgs.map((m) => [m.type, m.seq, m.data.length]), [[K.RTM_NEWADDR, 7, 3], [K.NLMSG_ERROR, 8, 20]]);
  assert.equal(errorCode(msgs[1]!), -17);
  assert.deepEqual(splitMessages(both.subarray(0, 30)).length, 1, 'a truncated tail is dropped');
});

test('route and rule notifications parse back what a request carries (same rtmsg / fib_rule_hdr layout)', () => {
  const [r] = routes('2001:db8:5::/48 from 2001:db8:6::/64 via 2001:db8::1 dev lo table 1000 metric 9 src 2001:db8::2');
  assert.deepEqual(parseRouteMessage(routeRequest(r!, 'add', () => 4).body), {
    family: 'inet6', dst: '2001:db8:5::/48', table: 1000, protocol: 18, scope: 0, type: 1, tos: 0, oif: 4,
    gateway: '2001:db8::1', metric: 9, prefsrc: '2001:db8::2', src: '2001:db8:6::/64',
  });
  const [u] = rules('not from 10.0.0.0/8 to 192.168.0.0/16 fwmark 7 iif lo table 100 priority 42');
  assert.deepEqual(parseRuleMessage(ruleRequest(u!, 'add').body), {
    family: 'inet', priority: 42, table: 100, action: K.FR_ACT.table, invert: true, protocol: 18,
    from: '10.0.0.0/8', to: '192.168.0.0/16', fwmark: 7, iif: 'lo',
  });
});
