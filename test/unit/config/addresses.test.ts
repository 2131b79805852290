// Address, route and rule lines, read as keepalived 2.2.7 reads them (messages and decisions
// checked against `keepalived -t`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText, emptyConfig, type LoadResult } from '../../../src/config/build.js';
import { Args } from '../../../src/config/args.js';
import { Diagnostics, type Severity } from '../../../src/config/diagnostics.js';
import type { BuildContext } from '../../../src/config/schema.js';
import {
  parseAddressLine, parseRouteLine, parseRuleLine, checkInstanceAddresses, shownAddress, nonExistentInterfaceSeen,
  readUnsigned, readIntC, readDecimalC, strtoul, type AddressEntry,
} from '../../../src/config/blocks/addresses.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];

function load(text: string): LoadResult {
  return loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });
}

function ctxFor(): BuildContext {
  return { diags: new Diagnostics(), config: emptyConfig(), noticed: new Set(), interfaceExists: (n) => IFS.includes(n), scratch: {} };
}

/** One line as the block walker hands it to the parsers. */
function line(text: string, ctx: BuildContext, lineNo = 7): Args {
  const words = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) words.push({ text: m[0], quoted: false, col: m.index + 1 });
  return new Args({ words, pos: { file: 'k.conf', line: lineNo }, raw: text }, ctx.diags);
}

function messages(d: Diagnostics, sev: Severity = 'error'): string[] {
  return d.list.filter((x) => x.severity === sev).map((x) => x.message);
}

function hasDiag(d: Diagnostics, sev: Severity, text: string, lineNo?: number): void {
  const found = d.list.some((x) => x.severity === sev && x.message.includes(text) && (lineNo === undefined || x.pos?.line === lineNo));
  assert.ok(found, `expected ${sev} '${text}'${lineNo ? ` at line ${lineNo}` : ''}; got ${JSON.stringify(d.list.map((x) => `${x.severity}@${x.pos?.line}: ${x.message}`))}`);
}

function addr(text: string, kind: 'static' | 'vip' | 'evip' = 'vip'): { e: AddressEntry | undefined; d: Diagnostics; ctx: BuildContext } {
  const ctx = ctxFor();
  return { e: parseAddressLine(line(text, ctx), kind, ctx), d: ctx.diags, ctx };
}

// ------------------------------------------------------------------------------------------
// Addresses

test('address: default prefix /32 and /128, family from the address', () => {
  assert.deepEqual([addr('10.0.0.1').e?.address, addr('10.0.0.1').e?.family], ['10.0.0.1/32', 'inet']);
  assert.deepEqual([addr('fd00::1').e?.address, addr('fd00::1').e?.family], ['fd00::1/128', 'inet6']);
  assert.equal(addr('10.0.0.1/24').e?.address, '10.0.0.1/24');
  // keepalived reads an empty prefix as 0.
  assert.equal(addr('10.0.0.1/').e?.address, '10.0.0.1/0');
});

test('address: every option of a VIP line', () => {
  const { e, d } = addr('10.0.0.1/24 dev eth1 brd + scope link label eth1:1 home -nodad mngtmpaddr noprefixroute autojoin preferred_lft 30 no_track use_vmac');
  assert.deepEqual(d.list, []);
  assert.deepEqual(e, {
    address: '10.0.0.1/24', family: 'inet', dev: 'eth1', broadcast: '10.0.0.255', scope: 253, label: 'eth1:1', home: true,
    dad: true, mngtmpaddr: true, noprefixroute: true, autojoin: true, preferred_lft: 30, no_track: true, use_vmac: true,
    pos: { file: 'k.conf', line: 7 },
  });
});

test('address: broadcast as written, +, -, and its limits', () => {
  assert.equal(addr('10.0.0.1/24 broadcast 10.0.0.200').e?.broadcast, '10.0.0.200');
  assert.equal(addr('10.1.2.3/16 brd -').e?.broadcast, '10.1.0.0');
  const long = addr('10.0.0.1/31 brd +');
  assert.equal(long.e?.broadcast, undefined);
  hasDiag(long.d, 'error', 'Address prefix length 31 too long for broadcast');
  const bad = addr('10.0.0.1/24 brd 1.2.3');
  assert.equal(bad.e, undefined);
  hasDiag(bad.d, 'error', 'VRRP is trying to assign invalid broadcast 1.2.3. skipping VIP...');
  const v6 = addr('fd00::1 brd +');
  assert.equal(v6.e, undefined);
  hasDiag(v6.d, 'error', 'to the IPv6 address fd00::1 !!?? WTF... skipping VIP...');
});

test('address: peer takes the prefix, rejects a mask and a second peer', () => {
  assert.deepEqual([addr('10.0.0.1 peer 10.0.0.2').e?.address, addr('10.0.0.1 peer 10.0.0.2').e?.peer], ['10.0.0.1/32', '10.0.0.2']);
  const masked = addr('10.0.0.1 peer 10.0.0.2/24');
  hasDiag(masked.d, 'error', 'VRRP parsed invalid IP 10.0.0.2/24. skipping IP...');
  hasDiag(masked.d, 'error', 'Invalid peer address 10.0.0.2/24');
  hasDiag(addr('10.0.0.1/24 peer 10.0.0.2').d, 'error', 'Cannot specify address prefix when specifying peer address - ignoring');
  const two = addr('10.0.0.1 peer 10.0.0.2 peer 10.0.0.3');
  assert.deepEqual(messages(two.d), [
    'Peer 10.0.0.3 - another peer has already been specified',
    "Unknown configuration entry '10.0.0.3' for ip address - ignoring",
  ]);
  hasDiag(addr('10.0.0.1 peer fd00::1').d, 'error', 'Peer address fd00::1 does not match address family');
  const both = addr('10.0.0.1 brd + peer 10.0.0.2');
  assert.equal(both.e?.broadcast, undefined);
  hasDiag(both.d, 'error', 'Cannot specify broadcast and peer addresses - ignoring broadcast address');
});

test('address: invalid addresses, prefixes and ranges are rejected as keepalived does', () => {
  for (const bad of ['10.0.0.1-5', '010.0.0.1', 'fe80::1%eth0', 'default', '1.2.3']) {
    const r = addr(bad);
    assert.equal(r.e, undefined, bad);
    hasDiag(r.d, 'error', `VRRP parsed invalid IP ${bad}. skipping IP...`);
  }
  const p = addr('10.0.0.1/33');
  assert.equal(p.e?.address, '10.0.0.1/32');
  assert.deepEqual(messages(p.d), ["number '33' outside range [0, 32]", 'Invalid address prefix len 33 for address 10.0.0.1/33 - using 32']);
  hasDiag(addr('10.0.0.1/abc').d, 'error', "invalid number 'abc'");
});

test('address: scope and label are IPv4 only; IPv6 preferred_lft defaults', () => {
  const r = addr('fd00::1 scope link label x');
  assert.equal(r.e?.scope, undefined);
  assert.equal(r.e?.label, undefined);
  hasDiag(r.d, 'error', 'Cannot specify scope for IPv6 addresses (fd00::1) - ignoring scope');
  hasDiag(r.d, 'error', 'Cannot specify label for IPv6 addresses (fd00::1) - ignoring label');
  assert.deepEqual(addr('fd00::1 scope global').d.list, []);
  assert.equal(addr('fd00::1').e?.preferred_lft, 0);
  assert.equal(addr('fd00::1/64').e?.preferred_lft, 'forever');
  assert.equal(addr('fd00::1 preferred_lft forever').e?.preferred_lft, 'forever');
  assert.equal(addr('10.0.0.1 scope 0x10').e?.scope, 16);
  hasDiag(addr('10.0.0.1 scope 300').d, 'error', "Invalid scope '300' specified for 10.0.0.1 - ignoring");
  const lft = addr('10.0.0.1 preferred_lft -1');
  assert.deepEqual(messages(lft.d), ["negative number '-1'", 'preferred_lft -1 is invalid']);
  const label = addr('10.0.0.1 label abcdefghijklmnop');
  assert.equal(label.e, undefined);
  hasDiag(label.d, 'error', 'Address label abcdefghijklmnop is longer than maximum length 15 - removing address');
  assert.equal(addr('10.0.0.1 label abcdefghijklmno').e?.label, 'abcdefghijklmno');
});

test('address: dev must exist, once; a missing parameter drops the address', () => {
  const r = addr('10.0.0.1 dev eth9');
  assert.equal(r.e, undefined);
  hasDiag(r.d, 'error', "WARNING - interface eth9 for ip address 10.0.0.1 doesn't exist");
  assert.ok(nonExistentInterfaceSeen(r.ctx));
  const twice = addr('10.0.0.1 dev eth1 dev eth2');
  assert.equal(twice.e, undefined);
  hasDiag(twice.d, 'error', 'Cannot specify ipaddress device more than once for 10.0.0.1');
  for (const kw of ['dev', 'scope', 'brd', 'label', 'peer', 'preferred_lft']) {
    const m = addr(`10.0.0.1 ${kw}`);
    assert.equal(m.e, undefined, kw);
    hasDiag(m.d, 'error', `No ${kw} parameter specified for 10.0.0.1`);
  }
});

test('address: dynamic_interfaces accepts interfaces that do not exist yet', () => {
  const ctx = ctxFor();
  ctx.config.global_defs.dynamic_interfaces = true;
  const e = parseAddressLine(line('10.0.0.1 dev eth9', ctx), 'vip', ctx);
  assert.equal(e?.dev, 'eth9');
  assert.equal(messages(ctx.diags).length, 0);
  assert.equal(nonExistentInterfaceSeen(ctx), false);
});

test('address: what is allowed where (use_vmac not static, track_group static only)', () => {
  const s = addr('10.0.0.1 use_vmac', 'static');
  assert.equal(s.e?.use_vmac, false);
  hasDiag(s.d, 'error', "Unknown configuration entry 'use_vmac' for ip address - ignoring");
  const v = addr('10.0.0.1 track_group g', 'vip');
  assert.deepEqual(messages(v.d), [
    "Unknown configuration entry 'track_group' for ip address - ignoring",
    "Unknown configuration entry 'g' for ip address - ignoring",
  ]);
  // use_vmac takes no name in 2.2.7.
  hasDiag(addr('10.0.0.1 use_vmac vrrp5', 'evip').d, 'error', "Unknown configuration entry 'vrrp5' for ip address - ignoring");
});

test('address: static track_group must be declared before, and only once', () => {
  const ctx = ctxFor();
  ctx.config.track_groups.push({ name: 'tg', group: [] });
  assert.equal(parseAddressLine(line('10.0.0.1 dev eth1 track_group tg', ctx), 'static', ctx)?.track_group, 'tg');
  const dup = parseAddressLine(line('10.0.0.1 dev eth1 track_group tg track_group tg', ctx), 'static', ctx);
  assert.equal(dup?.track_group, 'tg');
  hasDiag(ctx.diags, 'error', 'track_group tg is a duplicate');
  parseAddressLine(line('10.0.0.1 dev eth1 track_group nosuch', ctx), 'static', ctx);
  hasDiag(ctx.diags, 'error', 'track_group nosuch not found');
});

test('static_ipaddress: the default interface, and its absence', () => {
  const r = load('static_ipaddress {\n  10.0.0.1/24\n  fd00::1/64 dev eth1\n}\n');
  assert.deepEqual(r.config.static_ipaddress.map((e) => [e.address, e.dev]), [['10.0.0.1/24', 'eth0'], ['fd00::1/64', 'eth1']]);
  const ctx = ctxFor();
  ctx.interfaceExists = (n) => n === 'eth1';
  assert.equal(parseAddressLine(line('10.0.0.1', ctx, 3), 'static', ctx), undefined);
  const fatal = ctx.diags.list.find((x) => x.message === 'Static address 10.0.0.1 requires either an interface or default interface must exist');
  assert.ok(fatal?.fatal);
  assert.equal(fatal?.pos?.line, 3);
});

test('static_ipaddress through the config: positions and the non-existent interface summary', () => {
  const r = load('static_ipaddress {\n  10.0.0.1 dev eth1\n  10.0.0.2 dev eth9\n}\n');
  assert.equal(r.config.static_ipaddress.length, 1);
  hasDiag(r.diagnostics, 'error', "WARNING - interface eth9 for ip address 10.0.0.2 doesn't exist", 3);
  assert.ok(r.diagnostics.list.some((x) => x.fatal && x.message === 'Non-existent interface specified in configuration'));
});

test('checkInstanceAddresses: use_vmac sanity and addresses without an interface', () => {
  const ctx = ctxFor();
  const list = ['10.0.0.1 use_vmac', '10.0.0.2 dev eth1 use_vmac', '10.0.0.3'].map((t) => parseAddressLine(line(t, ctx), 'vip', ctx)!);
  const kept = checkInstanceAddresses({ name: 'VI_1', interface: 'eth0', family: 'inet', use_vmac: true, use_vmac_addr: false }, list, 'vip', ctx);
  assert.equal(kept.length, 3);
  assert.deepEqual(kept.map((e) => e.use_vmac), [false, true, false]);
  hasDiag(ctx.diags, 'error', '(VI_1) use_vmac specified for VIP/eVIP 10.0.0.1 and vrrp instance');

  const ctx2 = ctxFor();
  const l2 = ['10.0.0.2 dev eth1 use_vmac', '10.0.0.3/24'].map((t) => parseAddressLine(line(t, ctx2), 'evip', ctx2)!);
  const k2 = checkInstanceAddresses({ name: 'VI_2', family: 'inet', use_vmac: false, use_vmac_addr: true }, l2, 'evip', ctx2);
  assert.deepEqual(k2.map((e) => e.address), ['10.0.0.2/32']);
  hasDiag(ctx2.diags, 'error', '(VI_2) use_vmac_addr specified and use_vmac specified for VIP/eVIP 10.0.0.2');
  hasDiag(ctx2.diags, 'error', '(VI_2): no interface for evip 10.0.0.3/24 - removing');
  assert.equal(shownAddress(l2[0]!), '10.0.0.2');
});

// ------------------------------------------------------------------------------------------
// Routes

function route(text: string, kind: 'static' | 'virtual' = 'virtual', setup?: (c: BuildContext) => void): { r: ReturnType<typeof parseRouteLine>; d: Diagnostics } {
  const ctx = ctxFor();
  setup?.(ctx);
  return { r: parseRouteLine(line(text, ctx), kind, ctx), d: ctx.diags };
}

test('route: a plain tracked route', () => {
  const { r, d } = route('10.1.0.0/16 via 10.0.0.254 dev eth0');
  assert.deepEqual(d.list, []);
  assert.deepEqual(r, {
    to: '10.1.0.0/16', family: 'inet', type: 'unicast', table: 254, via: '10.0.0.254', dev: 'eth0', protocol: 18, onlink: false,
    features_ecn: false, lock: [], mode: 'prepend', nexthops: [], no_track: false, pos: { file: 'k.conf', line: 7 },
  });
});

test('route: every metric and option keepalived 2.2.7 reads', () => {
  const { r, d } = route('10.2.0.0/16 dev eth0 table main mtu lock 1400 advmss 1300 rtt 300ms rttvar 1s reordering 3 window 1000 ' +
    'cwnd lock 10 ssthresh 5 rto_min 0.5s initcwnd 10 initrwnd 20 features ecn quickack 1 congctl lock cubic fastopen_no_cookie 1 ' +
    'hoplimit 64 realms 1/2 scope link tos 0x10 src 10.0.0.5 onlink append metric 7 protocol 18');
  assert.deepEqual(d.list, []);
  assert.ok(r);
  assert.deepEqual(
    [r.table, r.mtu, r.advmss, r.rtt, r.rttvar, r.reordering, r.window, r.cwnd, r.ssthresh, r.rto_min, r.initcwnd, r.initrwnd],
    [254, 1400, 1300, 2400, 4000, 3, 1000, 10, 5, 500, 10, 20],
  );
  assert.deepEqual(r.lock, ['mtu', 'cwnd', 'congctl']);
  assert.deepEqual([r.features_ecn, r.quickack, r.congctl, r.fastopen_no_cookie, r.hoplimit, r.realms, r.scope, r.tos, r.src, r.onlink, r.mode, r.metric],
    [true, 1, 'cubic', true, 64, (1 << 16) | 2, 253, 16, '10.0.0.5', true, 'append', 7]);
});

test('route: IPv6 options, from, pref, expires and mode keywords', () => {
  const { r, d } = route('fd00::/64 via fe80::1 dev eth1 from fd01::/64 pref high expires 30 table 100 no_track add');
  assert.deepEqual(d.list, []);
  assert.deepEqual([r?.family, r?.from, r?.pref, r?.expires, r?.table, r?.mode, r?.no_track, r?.protocol], ['inet6', 'fd01::/64', 'high', 30, 100, 'add', true, undefined]);
  hasDiag(route('10.5.0.0/16 dev eth0 from fd00::/64').d, 'error', 'Cannot mix IPv4 and IPv6 addresses for route');
  hasDiag(route('10.5.0.0/16 dev eth0 from 10.0.0.0/8').d, 'error', 'route from address only supported with IPv6 (10.0.0.0/8)');
  hasDiag(route('10.5.0.0/16 dev eth0 pref low').d, 'error', 'pref is only valid for IPv6');
  hasDiag(route('fd00::/64 dev eth0 realms 5').d, 'error', 'realms are only valid for IPv4');
  assert.equal(route('10.8.0.0/16 dev eth0 add prepend').r?.mode, 'prepend');
});

test('route: types and destinations (default, default6, to)', () => {
  assert.deepEqual([route('unreachable 10.1.0.0/16 dev eth0').r?.type, route('unreachable 10.1.0.0/16 dev eth0').r?.to], ['unreachable', '10.1.0.0/16']);
  assert.equal(route('blackhole default no_track').r?.to, '0.0.0.0/0');
  assert.equal(route('inet6 x default dev eth0 no_track').r, undefined);
  const d6 = route('default6 dev eth0');
  assert.equal(d6.r?.to, '::/0');
  hasDiag(d6.d, 'hint', "'default6' is deprecated");
  // "to TYPE PREFIX" does not work in 2.2.7.
  const to = route('to unreachable 10.1.0.0/16 dev eth0');
  assert.equal(to.r, undefined);
  assert.deepEqual(messages(to.d), ['VRRP parsed invalid IP unreachable. skipping IP...', 'unknown route keyword unreachable']);
  assert.equal(route('to 10.1.0.0/16 dev eth0').r?.to, '10.1.0.0/16');
});

test('route: inet / inet6 also skip the following word (keepalived steps twice)', () => {
  const r = route('inet6 fd00::/64 dev eth0');
  assert.equal(r.r, undefined);
  hasDiag(r.d, 'error', 'Route must have a destination');
});

test('route: deprecated gw and or, with keepalived messages', () => {
  const gw = route('10.1.0.0/16 gw 10.0.0.254 dev eth0');
  assert.equal(gw.r?.via, '10.0.0.254');
  hasDiag(gw.d, 'error', '"gw" for routes is deprecated. Please use "via"');
  const or = route('default via 10.0.0.254 dev eth0 or 10.0.0.253');
  hasDiag(or.d, 'error', '"or" for routes is deprecated. Please use "nexthop"');
  assert.deepEqual(or.r?.nexthops.map((n) => n.via), ['10.0.0.254', '10.0.0.253']);
  assert.equal(or.r?.via, undefined);
  const twice = route('10.8.0.0/16 dev eth0 via 10.0.0.1 or 10.0.0.2 or 10.0.0.3');
  hasDiag(twice.d, 'error', '"or" route already specified - ignoring subsequent');
  assert.equal(twice.r?.nexthops.length, 2);
  const mixed = route('10.8.0.0/16 dev eth0 via 10.0.0.1 or 10.0.0.2 nexthop via 10.0.0.3');
  assert.equal(mixed.r, undefined);
  hasDiag(mixed.d, 'error', 'Cannot specify nexthops with "or" route');
});

test('route: nexthops', () => {
  const { r, d } = route('10.3.0.0/16 dev eth0 nexthop via 10.0.0.1 dev eth1 weight 2 nexthop via inet 10.0.0.2 dev eth2 weight 3 onlink realms 4');
  assert.deepEqual(d.list, []);
  assert.deepEqual(r?.nexthops, [
    { via: '10.0.0.1', dev: 'eth1', weight: 2, onlink: false },
    { via: '10.0.0.2', dev: 'eth2', weight: 3, onlink: true, realms: 4 },
  ]);
  hasDiag(route('10.3.0.0/16 dev eth0 nexthop via 10.0.0.1 weight 0').d, 'error', 'Invalid weight 0 specified for route');
  hasDiag(route('10.7.0.0/16 dev eth0 nexthop dev eth1 nexthop via fd00::1').d, 'error', 'Address family mismatch for next hop');
  const trailing = route('10.7.0.0/16 dev eth0 nexthop via 10.0.0.1 bogus');
  hasDiag(trailing.d, 'error', 'Route has trailing nonsense after nexthops - bogus');
  assert.equal(trailing.r?.nexthops.length, 1);
  hasDiag(route('10.7.0.0/16 dev eth0 nexthop dev eth9').d, 'error', "WARNING - interface eth9 for VROUTE nexthop doesn't exist");
  hasDiag(route('10.7.0.0/16 dev eth0 nexthop as to 1.2.3.4').d, 'error', "'as [to]' (nat) not supported");
});

test('route: encapsulations', () => {
  assert.deepEqual(route('10.4.0.0/16 dev eth0 encap mpls 100/200 via 10.0.0.1').r?.encap, { type: 'mpls', labels: [100, 200] });
  assert.deepEqual(route('10.4.0.0/16 dev eth0 encap ip id 5 dst 10.9.9.9 ttl 10 via 10.0.0.1').r?.encap, { type: 'ip', id: '5', dst: '10.9.9.9', ttl: 10 });
  assert.deepEqual(route('fd00::/64 dev eth0 encap ip6 dst fd01::1 hoplimit 3 tc 0x10').r?.encap, { type: 'ip6', dst: 'fd01::1', ttl: 3, tos: 16 });
  assert.deepEqual(route('10.4.0.0/16 dev eth0 encap ila 1:2:3:4').r?.encap, { type: 'ila', locator: '1:2:3:4' });
  const noDst = route('10.4.0.0/16 dev eth0 encap ip ttl 10 via 10.0.0.1');
  assert.equal(noDst.r?.via, '10.0.0.1');
  hasDiag(noDst.d, 'error', 'address or id missing for ip encapsulation');
  // keepalived skips the word after an unknown type.
  const unknown = route('10.4.0.0/16 dev eth0 encap foo 1.2.3.4 via 10.0.0.1');
  hasDiag(unknown.d, 'error', 'Unknown encap type - foo');
  assert.equal(unknown.r?.via, '10.0.0.1');
  // After a bad ip/ip6 option keepalived reads on from that option, as a route or nexthop word.
  const reread = route('10.4.0.0/16 dev eth0 encap ip dst fd00::1');
  assert.equal(reread.r, undefined);
  assert.deepEqual(messages(reread.d), ['IPv6 address fd00::1 not valid for ip encapsulation', 'VRRP parsed invalid IP dst. skipping IP...', 'unknown route keyword dst']);
  const asSrc = route('fd00::/64 dev eth0 encap ip src fd00::2');
  assert.equal(asSrc.r?.src, 'fd00::2');
  const nh = route('10.3.0.0/16 dev eth0 nexthop via 10.0.0.1 encap ip ttl 300 dev eth1');
  assert.deepEqual(messages(nh.d), ["number '300' outside range [0, 255]", 'ttl 300 is not valid for ip encapsulation', 'Route has trailing nonsense after nexthops - ttl']);
  assert.deepEqual(nh.r?.nexthops, [{ via: '10.0.0.1', onlink: false, encap: { type: 'ip' } }]);
  hasDiag(route('10.4.0.0/16 dev eth0 encap mpls 1/2/3').d, 'error', 'invalid mpls address 1/2/3 for encapsulation');
  hasDiag(route('10.4.0.0/16 dev eth0 encap ila 1:2:3').d, 'error', 'invalid locator 1:2:3 for ila encapsulation');
});

test('route: tracking needs an interface and keepalived\'s protocol', () => {
  const noIf = route('10.1.0.0/16 via 10.0.0.254');
  assert.equal(noIf.r?.no_track, true);
  hasDiag(noIf.d, 'error', 'Warning - cannot track route 10.1.0.0/16 with no interface specified, not tracking');
  const proto = route('10.5.0.0/16 dev eth0 protocol boot');
  assert.equal(proto.r?.protocol, 18);
  hasDiag(proto.d, 'error', 'Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol');
  assert.equal(route('10.5.0.0/16 dev eth0 no_track protocol boot').r?.protocol, 3);
  assert.deepEqual(route('10.5.0.0/16 dev eth0 no_track protocol boot').d.list, []);
});

test('route: invalid values drop the route with keepalived\'s messages', () => {
  const cases: [string, string[]][] = [
    ['10.6.0.0/16 dev eth0 metric -1', ["negative number '-1'", 'Invalid metric -1 specified for route']],
    ['10.6.0.0/16 dev eth0 metric 4294967296', ["number '4294967296' outside unsigned integer range", 'Invalid metric 4294967296 specified for route']],
    ['10.6.0.0/16 dev eth0 rtt 1e3', ['Invalid rtt 1e3 for route']],
    ['10.6.0.0/16 dev eth0 rtt 5x', ["invalid number '5x'", 'Invalid rtt 5x for route']],
    ['10.6.0.0/16 dev eth0 table nosuch', ['Routing table nosuch not found for route']],
    ['10.6.0.0/16 dev eth0 tos nosuch', ['TOS value nosuch is invalid']],
    ['10.6.0.0/16 dev eth0 protocol 300', ['Protocol 300 not found or invalid for route']],
    ['10.6.0.0/16 dev eth0 scope nosuch', ['Scope nosuch not found or invalid for route']],
    ['10.6.0.0/16 dev eth0 hoplimit 256', ["number '256' outside range [0, 255]", 'Invalid hoplimit 256 specified for route']],
    ['10.6.0.0/16 dev eth0 quickack 2', ["number '2' outside range [0, 1]", 'Invalid quickack value 2 specified for route']],
    ['10.6.0.0/16 dev eth9', ["WARNING - interface eth9 for VROUTE nexthop doesn't exist"]],
    ['10.6.0.0/16 dev eth0 vrf eth1', ['Route specified VRF eth1 is not a VRF']],
    ['10.6.0.0/16 dev eth0 vrf nosuch', ['VRF nosuch not found for route']],
    ['10.7.0.0/16 via inet6 fe80::1 dev eth0', ['Cannot mix IPv4 and IPv6 addresses for route']],
    ['10.7.0.0/16 via 10.0.0.x dev eth0', ['VRRP parsed invalid IP 10.0.0.x. skipping IP...', 'invalid route via address 10.0.0.x']],
    ['10.7.0.0/16 src fd00::1 dev eth0', ['Cannot mix IPv4 and IPv6 addresses for route']],
    ['fd00::/64 dev eth0 expires 3 inet x', ['inet specified for IPv6 route']],
    ['10.8.0.0/16 dev eth0 expires 3', ['expires is only valid for IPv6']],
    ['dev eth0', ['Route must have a destination']],
  ];
  for (const [text, msgs] of cases) {
    const { r, d } = route(text);
    assert.equal(r, undefined, text);
    assert.deepEqual(messages(d), msgs, text);
  }
});

test('route: complaints that keep the route', () => {
  const cases: [string, string][] = [
    ['10.6.0.0/16 dev eth0 as to 1.2.3.4', '"as to" for MPLS only - ignoring'],
    ['10.7.0.0/16 dev eth0 ttl-propagate maybe', 'ttl-propagate value maybe not recognised'],
    ['10.7.0.0/16 dev eth0 features sack', 'feature sack not supported'],
    ['10.8.0.0/33 dev eth0', 'Invalid address prefix len 33 for address 10.8.0.0/33 - using 32'],
  ];
  for (const [text, msg] of cases) {
    const { r, d } = route(text);
    assert.ok(r, text);
    hasDiag(d, 'error', msg);
  }
  assert.equal(route('10.7.0.0/16 dev eth0 ttl-propagate enabled').r?.ttl_propagate, true);
  assert.equal(route('10.7.0.0/16 dev eth0 rtt 500s').r?.rtt, 960000);
  assert.equal(route('10.7.0.0/16 dev eth0 rtt 1').r?.rtt, 1600);
});

test('route: track_group only on static routes, with an interface', () => {
  const setup = (c: BuildContext): void => { c.config.track_groups.push({ name: 'tg', group: [] }); };
  assert.equal(route('10.5.0.0/16 dev eth0 track_group tg', 'static', setup).r?.track_group, 'tg');
  hasDiag(route('10.5.0.0/16 dev eth0 track_group foo', 'static', setup).d, 'error', 'track_group foo not found');
  const noIf = route('10.5.0.0/16 no_track track_group tg', 'static', setup);
  assert.equal(noIf.r?.track_group, undefined);
  hasDiag(noIf.d, 'error', 'Static route cannot have track group if no oif specified');
  const dup = route('10.5.0.0/16 dev eth0 track_group tg track_group tg', 'static', setup);
  assert.equal(dup.r, undefined);
  hasDiag(dup.d, 'error', 'Route has trailing nonsense - tg');
  const virt = route('10.5.0.0/16 dev eth0 track_group tg', 'virtual', setup);
  assert.equal(virt.r, undefined);
  hasDiag(virt.d, 'error', 'unknown route keyword track_group');
});

test('route: a missing parameter is keepalived\'s fatal error', () => {
  const { r, d } = route('10.1.0.0/16 via');
  assert.equal(r, undefined);
  const m = d.list.find((x) => x.fatal);
  assert.equal(m?.message, "Configuration line starting '10.1.0.0/16' is missing a parameter after keyword 'via' at word position 3");
});

test('static_routes and static_rules through the config', () => {
  const r = load('static_routes {\n  10.1.0.0/16 via 10.0.0.254 dev eth0\n  bogus\n}\nstatic_rules {\n  from 10.0.0.0/8 table 100 preference 5\n}\n');
  assert.deepEqual(r.config.static_routes.map((x) => x.to), ['10.1.0.0/16']);
  hasDiag(r.diagnostics, 'error', 'unknown route keyword bogus', 3);
  assert.deepEqual(r.config.static_rules.map((x) => [x.from, x.table, x.preference]), [['10.0.0.0/8', 100, 5]]);
});

// ------------------------------------------------------------------------------------------
// Rules

function rule(text: string, ctx: BuildContext = ctxFor(), kind: 'static' | 'virtual' = 'virtual'): { r: ReturnType<typeof parseRuleLine>; d: Diagnostics } {
  return { r: parseRuleLine(line(text, ctx), kind, ctx), d: ctx.diags };
}

test('rule: every selector and action', () => {
  const { r, d } = rule('from 10.0.0.0/8 to 10.1.0.0/16 table 100 preference 0x20 sup_pl 5 sup_group default iif eth1 oif eth2 not tos 0x10 ' +
    'fwmark 0x10/0xff tunnel-id 5 uidrange 1-5 protocol 18 ipproto tcp sport 80-90 dport 1-2');
  assert.deepEqual(d.list, []);
  assert.deepEqual(r, {
    family: 'inet', from: '10.0.0.0/8', to: '10.1.0.0/16', not: true, preference: 32, action: 'table', table: 100, l3mdev: false,
    tos: 16, fwmark: 16, fwmask: 255, suppress_prefixlength: 5, suppress_ifgroup: 0, iif: 'eth1', oif: 'eth2', tunnel_id: '5',
    uidrange: { start: 1, end: 5 }, protocol: 18, ipproto: 6, sport: { start: 80, end: 90 }, dport: { start: 1, end: 2 },
    no_track: false, pos: { file: 'k.conf', line: 7 },
  });
  assert.equal(rule('from 10.0.0.0/8 goto 300 preference 200').r?.goto, 300);
  assert.equal(rule('from 10.0.0.0/8 type blackhole priority 3').r?.action, 'blackhole');
  assert.equal(rule('from 10.0.0.0/8 6 order 3').r?.action, 'blackhole');
  assert.equal(rule('from 10.0.0.0/8 unreachable priority 3').r?.action, 'unreachable');
  assert.equal(rule('from 10.0.0.0/8 prohibit priority 3').r?.action, 'prohibit');
  assert.equal(rule('from 10.0.0.0/8 nop priority 3').r?.action, 'nop');
  assert.deepEqual([rule('l3mdev preference 5').r?.l3mdev, rule('l3mdev preference 5').r?.action], [true, 'table']);
  assert.equal(rule('from 10.0.0.0/8 lookup main realms 1/2 preference 3 dev eth1').r?.realms, (1 << 16) | 2);
  assert.equal(rule('to fd00::/8 table 100 preference 5 no_track').r?.protocol, undefined);
});

test('rule: a missing preference is numbered from 16384 down, per family, with keepalived\'s complaint', () => {
  const ctx = ctxFor();
  const a = rule('from 1.0.0.0/8 table 100', ctx).r;
  const b = rule('from fd00::/8 table 100', ctx).r;
  const c = rule('from 2.0.0.0/8 table 100', ctx).r;
  assert.deepEqual([a?.preference, b?.preference, c?.preference], [16384, 16384, 16383]);
  hasDiag(ctx.diags, 'error', 'Rule has no preference specified - setting to 16383. This is probably not what you want.');
  const r = load('static_rules {\n from 1.0.0.0/8 table 100\n from 2.0.0.0/8 table 100\n}\n');
  assert.deepEqual(r.config.static_rules.map((x) => x.preference), [16384, 16383]);
  hasDiag(r.diagnostics, 'error', 'Rule has no preference specified - setting to 16384', 2);
});

test('rule: keepalived\'s rejections', () => {
  const cases: [string, string[]][] = [
    ['from 10.0.0.0/8 goto 100 preference 200', ['Invalid rule - preference 200 >= goto target 100']],
    ['from 10.0.0.0/8 goto 300', ['Invalid rule - goto target 300 specified without preference']],
    ['from 10.0.0.0/8 unicast priority 3', ['Invalid rule action unicast']],
    ['from 10.0.0.0/8 pref 3', ['Unknown rule option pref']],
    ['inet from all table 100 preference 5', ['Unknown rule option all']],
    ['from 10.0.0.0/8 to all table 100 preference 5', ['rule specification has mixed IPv4 and IPv6']],
    ['from 10.0.0.0/8 nop realms 5 priority 3', ['suppressor/realm specified for non table action - skipping']],
    ['from 10.0.0.0/8 table 0 priority 3', ['Table 0 is not valid']],
    ['from 10.0.0.0/8 table main lookup 100 priority 3', ['Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable for rule']],
    ['from 10.0.0.0/8 nop prohibit priority 3', ['Cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule']],
    ['from 10.0.0.0/8 table 100 l3mdev priority 3', ['Cannot specify l3mdev with other action']],
    ['from 10.0.0.0/8 priority 3', ['No action specified for rule - ignoring']],
    ['from 10.0.0.0/8 table 100 preference 5 fwmark -1', ['Invalid rule fwmark -1 specified']],
    ['from 10.0.0.0/8 table 100 preference 5 dev eth7', ["WARNING - interface eth7 for rule doesn't exist"]],
    ['from fd00::/8 realms 3 table 100 preference 5', ['realms is only valid for IPv4']],
    ['from 10.0.0.0/8 preference 5 uidrange 5', ['Invalid uidrange uidrange specified']],
    ['from 10.0.0.0/8 preference 5 tunnel-id abc table 5', ["invalid number 'abc'", 'Invalid tunnel-id tunnel-id specified']],
    ['from 10.0.0.0/8 table 5 preference x', ["invalid number 'x'", 'Invalid rule preference preference specified']],
    ['from 10.0.0.0/8 table 5 preference 5 sup_group nosuchgroup', ['suppress_group nosuchgroup is invalid']],
    ['from 10.0.0.0/8 table 5 preference 5 sup_pl -1', ["negative number '-1'", 'Invalid suppress_prefixlength sup_pl specified']],
    ['from 10.0.0.0/8 table 5 preference 5 tos xx', ['TOS value xx is invalid']],
    ['from 10.0.0.x table 5 preference 5', ['VRRP parsed invalid IP 10.0.0.x. skipping IP...', 'Invalid rule from address 10.0.0.x']],
    ['inet6 x inet y table 5 preference 5', ['inet specified for IPv6 rule']],
  ];
  for (const [text, msgs] of cases) {
    const { r, d } = rule(text);
    assert.equal(r, undefined, text);
    assert.deepEqual(messages(d), msgs, text);
  }
});

test('rule: complaints that keep the rule (single ports, protocols)', () => {
  const cases: [string, string[]][] = [
    // keepalived 2.2.7 rejects a single port: sscanf returns 1.
    ['from 10.0.0.0/8 table 100 priority 100 sport 80', ['invalid sport range 80']],
    ['from 10.0.0.0/8 table 100 priority 100 dport x', ['invalid dport range x']],
    ['from 10.0.0.0/8 table 100 priority 3 ipproto 132', ['Invalid ipproto 132']],
    ['from 10.0.0.0/8 table 100 priority 3 protocol 300', ["number '300' outside range [0, 255]", 'Invalid protocol 300']],
    ['from 10.0.0.0/8 table 100 priority 3 protocol 99', ['Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol']],
  ];
  for (const [text, msgs] of cases) {
    const { r, d } = rule(text);
    assert.ok(r, text);
    assert.deepEqual(messages(d), msgs, text);
  }
  assert.equal(rule('from 10.0.0.0/8 table 100 priority 3 ipproto sctp').r?.ipproto, 132);
});

test('rule: track_group is static only and needs dev/iif', () => {
  const ctx = ctxFor();
  ctx.config.track_groups.push({ name: 'tg', group: [] });
  assert.equal(rule('from 10.0.0.0/8 table 100 preference 3 iif eth1 track_group tg', ctx, 'static').r?.track_group, 'tg');
  const noIif = rule('from 10.0.0.0/8 table 100 preference 3 track_group tg', ctx, 'static');
  assert.equal(noIif.r?.track_group, undefined);
  hasDiag(ctx.diags, 'error', 'Static rule cannot have track_group if dev/iif not specified');
  const virt = rule('from 10.0.0.0/8 table 100 track_group tg preference 3');
  assert.equal(virt.r, undefined);
  hasDiag(virt.d, 'error', 'Unknown rule option track_group');
});

// ------------------------------------------------------------------------------------------
// The C number readers.

test('C number readers behave like strtoul/strtol with keepalived\'s messages', () => {
  const got: string[] = [];
  const rep = (m: string): void => { got.push(m); };
  assert.equal(readUnsigned('0x10', 0, 100, rep, 0), 16);
  assert.equal(readUnsigned('010', 0, 100, rep, 0), 8);
  assert.equal(readUnsigned('', 0, 100, rep), 0);
  assert.equal(readUnsigned('12abc', 0, 100, rep), undefined);
  assert.equal(readIntC('-254', -254, 254, rep), -254);
  assert.equal(readIntC('99999999999', -254, 254, rep), undefined);
  assert.equal(readDecimalC('1.5', 0, 10_000_000, 6, rep), 1_500_000);
  assert.equal(readDecimalC('0.0000015', 0, 10_000_000, 6, rep), 2);
  assert.deepEqual(got, ["invalid number '12abc'", "number '99999999999' outside integer range", "number '0.0000015' has too many decimal places"]);
  assert.equal(strtoul('18446744073709551616', 10).overflow, true);
});

test('a thousand instances\' worth of lines parse quickly', () => {
  const ctx = ctxFor();
  const start = process.hrtime.bigint();
  for (let i = 0; i < 10_000; i++) {
    parseAddressLine(line(`10.${(i >> 8) & 255}.${i & 255}.1/24 dev eth1 brd + label eth1:1`, ctx), 'vip', ctx);
    parseRouteLine(line(`10.${(i >> 8) & 255}.${i & 255}.0/24 via 10.0.0.1 dev eth0 table 100 metric 5`, ctx), 'virtual', ctx);
    parseRuleLine(line(`from 10.${(i >> 8) & 255}.${i & 255}.0/24 table 100 preference ${i + 1}`, ctx), 'virtual', ctx);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.equal(messages(ctx.diags).length, 0);
  assert.ok(ms < 1500, `30,000 lines took ${ms} ms`);
});
