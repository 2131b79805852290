// The rtnetlink AddressManager against the real kernel, inside a network namespace: every
// address option, routes, rules, idempotence, errors, links and link events, 1,000 VIPs.
// What the kernel holds is read back with iproute2 (`ip -j`), not with our own parser.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddressEntry, RouteEntry, RuleEntry } from '../../src/config/blocks/addresses.js';
import type { LinkInfo } from '../../src/net/ports.js';
import { netnsUnavailable } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';
import { Agent } from './rtnl-agent.js';

const skip = netnsUnavailable();

function addr(address: string, extra: Partial<AddressEntry> = {}): AddressEntry {
  const family = address.includes(':') ? 'inet6' : 'inet';
  const e: AddressEntry = {
    address, family, home: false, dad: false, mngtmpaddr: false, noprefixroute: false, autojoin: false,
    no_track: false, use_vmac: false, ...extra,
  };
  // What the config builds for IPv6 when preferred_lft is not given.
  if (family === 'inet6' && e.preferred_lft === undefined) e.preferred_lft = address.endsWith('/128') ? 0 : 'forever';
  return e;
}

function route(to: string, extra: Partial<RouteEntry> = {}): RouteEntry {
  return {
    to, family: to.includes(':') ? 'inet6' : 'inet', type: 'unicast', table: 254, onlink: false, features_ecn: false,
    lock: [], mode: 'prepend', nexthops: [], no_track: false, protocol: 18, ...extra,
  };
}

function rule(preference: number, extra: Partial<RuleEntry> = {}): RuleEntry {
  return { family: 'inet', not: false, preference, action: 'table', l3mdev: false, no_track: false, protocol: 18, ...extra };
}

interface IpAddr {
  family: string;
  local: string;
  address?: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  label?: string;
  preferred_life_time: number;
  valid_life_time: number;
  nodad?: boolean;
  home?: boolean;
  mngtmpaddr?: boolean;
  noprefixroute?: boolean;
  autojoin?: boolean;
  deprecated?: boolean;
}

describe('rtnetlink AddressManager in a network namespace', { skip }, () => {
  let ns: Netns;
  let agent: Agent;

  const ipj = <T>(...args: string[]): T => {
    const r = ns.exec('ip', ['-j', ...args]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout || '[]') as T;
  };
  const ip = (...args: string[]): string => {
    const r = ns.exec('ip', args);
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const addrsOf = (dev: string): IpAddr[] => ipj<{ addr_info: IpAddr[] }[]>('addr', 'show', 'dev', dev)[0]!.addr_info;
  const find = (dev: string, local: string): IpAddr | undefined => addrsOf(dev).find((a) => a.local === local);

  before(() => {
    ns = new Netns('krtnl').create(3);
    agent = new Agent(ns.name);
  });
  after(async () => {
    await agent?.stop();
    ns?.destroy();
  });

  it('adds and removes an IPv4 address with brd, scope and label, idempotently', async () => {
    const a = addr('10.1.1.1/24', { broadcast: '10.1.1.255', scope: 253, label: 'eth0:vip' });
    assert.equal(await agent.call('addAddress', a, 'eth0'), true);
    assert.equal(await agent.call('addAddress', a, 'eth0'), false, 'a second add is success without change');
    const got = find('eth0', '10.1.1.1');
    assert.ok(got, 'address present');
    assert.equal(got.prefixlen, 24);
    assert.equal(got.broadcast, '10.1.1.255');
    assert.equal(got.scope, 'link');
    assert.equal(got.label, 'eth0:vip');
    assert.match(ip('-d', 'addr', 'show', 'dev', 'eth0'), /inet 10\.1\.1\.1\/24 brd 10\.1\.1\.255 scope link eth0:vip/);
    assert.equal(await agent.call('removeAddress', a, 'eth0'), true);
    assert.equal(await agent.call('removeAddress', a, 'eth0'), false, 'a second remove is success without change');
    assert.equal(find('eth0', '10.1.1.1'), undefined);
  });

  it('carries peer, noprefixroute and autojoin for IPv4', async () => {
    const p = addr('10.1.2.1/32', { peer: '10.1.2.2' });
    const n = addr('10.1.3.1/24', { noprefixroute: true });
    const m = addr('239.1.2.3/32', { autojoin: true });
    for (const x of [p, n, m]) assert.equal(await agent.call('addAddress', x, 'eth0'), true);
    const gp = find('eth0', '10.1.2.1')!;
    assert.equal(gp.address, '10.1.2.2');
    assert.equal(gp.prefixlen, 32);
    assert.equal(find('eth0', '10.1.3.1')?.noprefixroute, true);
    assert.doesNotMatch(ip('route', 'show', 'dev', 'eth0'), /10\.1\.3\.0\/24/, 'no prefix route');
    assert.equal(find('eth0', '239.1.2.3')?.autojoin, true);
    // The peer address is removed by its own description (IFA_ADDRESS is the peer).
    for (const x of [p, n, m]) assert.equal(await agent.call('removeAddress', x, 'eth0'), true);
    for (const l of ['10.1.2.1', '10.1.3.1', '239.1.2.3']) assert.equal(find('eth0', l), undefined, l);
  });

  it('sets nodad on IPv6 VIPs unless -nodad, with home, mngtmpaddr, noprefixroute and preferred_lft', async () => {
    const v = addr('2001:db8::10/64', { home: true, mngtmpaddr: true, noprefixroute: true, preferred_lft: 300 });
    const vip = addr('2001:db8::20/128');
    const dad = addr('2001:db8::30/64', { dad: true });
    for (const x of [v, vip, dad]) assert.equal(await agent.call('addAddress', x, 'eth1'), true);
    const gv = find('eth1', '2001:db8::10')!;
    assert.equal(gv.nodad, true);
    assert.equal(gv.home, true);
    assert.equal(gv.mngtmpaddr, true);
    assert.equal(gv.noprefixroute, true);
    assert.ok(gv.preferred_life_time <= 300 && gv.preferred_life_time > 200, `preferred ${gv.preferred_life_time}`);
    assert.equal(gv.valid_life_time, 4294967295);
    // A /128 VIP defaults to preferred_lft 0: deprecated, so never picked as a source.
    const gvip = find('eth1', '2001:db8::20')!;
    assert.equal(gvip.nodad, true);
    assert.equal(gvip.deprecated, true);
    assert.equal(gvip.preferred_life_time, 0);
    assert.equal(find('eth1', '2001:db8::30')?.nodad, undefined, '-nodad keeps DAD');
    assert.equal(await agent.call('addAddress', vip, 'eth1'), false);
    for (const x of [v, vip, dad]) assert.equal(await agent.call('removeAddress', x, 'eth1'), true);
    for (const x of [v, vip, dad]) assert.equal(await agent.call('removeAddress', x, 'eth1'), false);
    for (const l of ['2001:db8::10', '2001:db8::20', '2001:db8::30']) assert.equal(find('eth1', l), undefined, l);
  });

  it('carries an IPv6 peer', async () => {
    const p = addr('2001:db8:1::1/128', { peer: '2001:db8:1::2' });
    assert.equal(await agent.call('addAddress', p, 'eth1'), true);
    const g = find('eth1', '2001:db8:1::1')!;
    assert.equal(g.address, '2001:db8:1::2');
    assert.equal(await agent.call('removeAddress', p, 'eth1'), true);
    assert.equal(find('eth1', '2001:db8:1::1'), undefined);
  });

  it('names the interface, the address and the errno when the kernel refuses', async () => {
    await assert.rejects(agent.call('addAddress', addr('10.0.0.5/32'), 'eth9'), { message: 'cannot add 10.0.0.5/32 to eth9: ENODEV' });
    // autojoin on a unicast address: the kernel cannot join it as a group.
    await assert.rejects(agent.call('addAddress', addr('10.9.9.9/32', { autojoin: true }), 'eth0'),
      (e: Error) => /^cannot add 10\.9\.9\.9\/32 to eth0: E[A-Z]+$/.test(e.message));
    assert.equal(await agent.call('removeAddress', addr('10.0.0.5/32'), 'eth9'), false, 'no interface, no address');
    await assert.rejects(agent.call('addAddress', addr('10.0.0.5/32'), 'averyveryverylongname'), { message: 'cannot add 10.0.0.5/32 to averyveryverylongname: ENODEV' });
  });

  it('lists addresses as the kernel has them', async () => {
    const a = addr('10.1.4.1/24', { label: 'eth2:x' });
    await agent.call('addAddress', a, 'eth2');
    const list = await agent.call<{ address: string; prefix: number; label?: string; ifindex: number }[]>('addresses', 'eth2');
    const mine = list.find((x) => x.address === '10.1.4.1');
    assert.ok(mine);
    assert.equal(mine.prefix, 24);
    assert.equal(mine.label, 'eth2:x');
    assert.equal(mine.ifindex, ipj<{ ifindex: number }[]>('link', 'show', 'eth2')[0]!.ifindex);
    assert.ok(list.every((x) => x.ifindex === mine.ifindex), 'only eth2');
    await agent.call('removeAddress', a, 'eth2');
  });

  it('adds and removes routes with table, metric, src, via, scope, protocol, type and metrics', async () => {
    await agent.call('addAddress', addr('10.2.0.1/24'), 'eth0');
    const r1 = route('10.50.0.0/24', { table: 100, via: '10.2.0.254', dev: 'eth0', metric: 5, src: '10.2.0.1', mtu: 1400, lock: ['mtu'], advmss: 1300 });
    const r2 = route('10.51.0.0/16', { table: 1000, type: 'blackhole' });
    const r3 = route('10.52.0.0/24', { scope: 253 });
    const r4 = route('10.53.0.0/24', { table: 100, nexthops: [{ via: '10.2.0.253', dev: 'eth0', weight: 2, onlink: false }, { via: '10.2.0.252', onlink: false, weight: 1 }] });
    for (const r of [r1, r2, r4]) assert.equal(await agent.call('addRoute', r), true, JSON.stringify(r));
    assert.equal(await agent.call('addRoute', r3, 'eth0'), true, 'the instance interface when the route has none');
    assert.equal(await agent.call('addRoute', r1), false, 'a second add is success without change');

    type IpRoute = { dst: string; gateway?: string; dev?: string; metric?: number; prefsrc?: string; protocol?: string; scope?: string; type?: string; metrics?: Record<string, unknown>[]; nexthops?: { gateway: string; weight: number }[] };
    const t100 = ipj<IpRoute[]>('route', 'show', 'table', '100');
    const g1 = t100.find((r) => r.dst === '10.50.0.0/24')!;
    assert.equal(g1.gateway, '10.2.0.254');
    assert.equal(g1.dev, 'eth0');
    assert.equal(g1.metric, 5);
    assert.equal(g1.prefsrc, '10.2.0.1');
    assert.equal(g1.protocol, 'keepalived');
    assert.match(ip('route', 'show', 'table', '100', '10.50.0.0/24'), /mtu lock 1400 advmss 1300/);
    const g4 = t100.find((r) => r.dst === '10.53.0.0/24')!;
    assert.deepEqual(g4.nexthops?.map((n) => [n.gateway, n.weight]), [['10.2.0.253', 2], ['10.2.0.252', 1]]);
    assert.equal(ipj<IpRoute[]>('route', 'show', 'table', '1000').find((r) => r.dst === '10.51.0.0/16')?.type, 'blackhole');
    const g3 = ipj<IpRoute[]>('route', 'show', 'table', 'main').find((r) => r.dst === '10.52.0.0/24')!;
    assert.equal(g3.scope, 'link');
    assert.equal(g3.dev, 'eth0');

    for (const r of [r1, r2, r4]) assert.equal(await agent.call('removeRoute', r), true);
    assert.equal(await agent.call('removeRoute', r3, 'eth0'), true);
    for (const r of [r1, r2, r4]) assert.equal(await agent.call('removeRoute', r), false, 'already gone');
    assert.equal(ip('route', 'show', 'table', '100').trim(), '');
    assert.equal(ip('route', 'show', 'table', '1000').trim(), '');
    assert.doesNotMatch(ip('route', 'show'), /10\.52\.0\.0/);
    await agent.call('removeAddress', addr('10.2.0.1/24'), 'eth0');
  });

  it('adds an IPv6 route with pref and expires', async () => {
    await agent.call('addAddress', addr('2001:db8:2::1/64'), 'eth1');
    const r = route('2001:db8:99::/48', { via: '2001:db8:2::fe', dev: 'eth1', pref: 'high', metric: 7, expires: 600 });
    assert.equal(await agent.call('addRoute', r), true);
    const out = ip('-6', 'route', 'show', '2001:db8:99::/48');
    assert.match(out, /via 2001:db8:2::fe dev eth1 proto keepalived metric 7 expires \d+sec pref high/);
    assert.equal(await agent.call('removeRoute', r), true);
    assert.equal(ip('-6', 'route', 'show', '2001:db8:99::/48').trim(), '');
    await agent.call('removeAddress', addr('2001:db8:2::1/64'), 'eth1');
  });

  it('reports a refused route with its errno', async () => {
    // A gateway that is not on any connected network.
    await assert.rejects(agent.call('addRoute', route('10.60.0.0/24', { via: '192.0.2.1', dev: 'eth0' })),
      (e: Error) => /^cannot add route 10\.60\.0\.0\/24 via 192\.0\.2\.1 dev eth0: ENETUNREACH$/.test(e.message));
  });

  it('adds and removes rules with every selector', async () => {
    const rules: RuleEntry[] = [
      rule(1000, { from: '10.1.0.0/16', table: 100 }),
      rule(1001, { to: '10.3.0.0/16', not: true, table: 1000 }),
      rule(1002, { fwmark: 0x10, fwmask: 0xff, iif: 'eth0', oif: 'eth1', table: 101 }),
      rule(1003, { uidrange: { start: 10, end: 20 }, ipproto: 6, sport: { start: 1000, end: 2000 }, dport: { start: 80, end: 80 }, table: 102 }),
      rule(1004, { action: 'goto', goto: 2000 }),
      rule(1005, { action: 'blackhole', tos: 0x10 }),
      rule(1006, { table: 103, suppress_prefixlength: 0 }),
      rule(1007, { family: 'inet6', from: '2001:db8::/32', table: 104 }),
    ];
    for (const r of rules) assert.equal(await agent.call('addRule', r), true, JSON.stringify(r));
    assert.equal(await agent.call('addRule', rules[0]), false, 'a second add is success without change');
    type IpRule = { priority: number; src?: string; srclen?: number; dst?: string; not?: null | boolean; table?: string; fwmark?: string; fwmask?: string; iif?: string; oif?: string; uid_start?: number; ipproto?: string; sport_start?: number; dport_start?: number; dport?: number; action?: string; goto?: number; tos?: string; suppress_prefixlen?: number; protocol?: string };
    const v4 = ipj<IpRule[]>('rule', 'show');
    const byPref = (p: number): IpRule => v4.find((r) => r.priority === p)!;
    assert.equal(byPref(1000).src, '10.1.0.0');
    assert.equal(byPref(1000).srclen, 16);
    assert.equal(byPref(1000).table, '100');
    assert.equal(byPref(1000).protocol, 'keepalived');
    assert.equal(byPref(1001).dst, '10.3.0.0');
    assert.ok('not' in byPref(1001), 'not');
    assert.equal(byPref(1001).table, '1000');
    assert.equal(byPref(1002).fwmark, '0x10');
    assert.equal(byPref(1002).fwmask, '0xff');
    assert.equal(byPref(1002).iif, 'eth0');
    assert.equal(byPref(1002).oif, 'eth1');
    assert.equal(byPref(1003).uid_start, 10);
    assert.equal(byPref(1003).ipproto, 'tcp');
    assert.equal(byPref(1003).sport_start, 1000);
    assert.equal(byPref(1003).dport, 80, 'a one-port range prints as a port');
    assert.equal(byPref(1004).goto, 2000);
    assert.equal(byPref(1005).action, 'blackhole');
    assert.equal(byPref(1005).tos, '0x10');
    assert.equal(byPref(1006).suppress_prefixlen, 0);
    assert.equal(ipj<IpRule[]>('-6', 'rule', 'show').find((r) => r.priority === 1007)?.src, '2001:db8::');
    for (const r of rules) assert.equal(await agent.call('removeRule', r), true, JSON.stringify(r));
    for (const r of rules) assert.equal(await agent.call('removeRule', r), false, 'already gone');
    const left = [...ipj<IpRule[]>('rule', 'show'), ...ipj<IpRule[]>('-6', 'rule', 'show')].filter((r) => r.priority >= 1000 && r.priority <= 1007);
    assert.deepEqual(left, []);
  });

  it('lists links as ip -j link does', async () => {
    type IpLink = { ifindex: number; ifname: string; flags: string[]; mtu: number; address: string; link_index?: number };
    const want = ipj<IpLink[]>('-d', 'link', 'show');
    const got = await agent.call<LinkInfo[]>('links');
    assert.deepEqual(got.map((l) => l.name).sort(), want.map((l) => l.ifname).sort());
    for (const w of want) {
      const g = got.find((l) => l.index === w.ifindex)!;
      assert.equal(g.name, w.ifname);
      assert.equal(g.mtu, w.mtu);
      assert.equal(g.mac, w.address);
      assert.equal(g.up, w.flags.includes('UP'), `${w.ifname} up`);
      assert.equal(g.running, w.flags.includes('LOWER_UP'), `${w.ifname} running`);
    }
    const one = await agent.call<LinkInfo>('link', 'eth2');
    assert.deepEqual(one, got.find((l) => l.name === 'eth2'));
    assert.equal(one.kind, 'veth');
    assert.equal(await agent.call('link', 'nosuch0'), null);
  });

  it('reports link down, up, and an interface deleted then recreated', async () => {
    await agent.call('subscribe');
    const before = await agent.call<LinkInfo>('link', 'eth2');
    ip('link', 'set', 'eth2', 'down');
    const down = await agent.waitEvent((e) => e.link.name === 'eth2' && e.type === 'new' && !e.link.up);
    assert.equal(down.link.running, false);
    assert.equal(down.link.index, before.index);
    ip('link', 'set', 'eth2', 'up');
    await agent.waitEvent((e) => e.link.name === 'eth2' && e.type === 'new' && e.link.up && e.link.running);

    const mark = agent.events.length;
    ip('link', 'del', 'eth2');
    ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'peer2');
    ip('link', 'set', 'peer2', 'up');
    ip('link', 'set', 'eth2', 'up');
    const created = await agent.waitEvent((e) => e.link.name === 'eth2' && e.type === 'new' && e.link.index !== before.index);
    const del = agent.events.slice(mark).findIndex((e) => e.type === 'del' && e.link.name === 'eth2' && e.link.index === before.index);
    assert.ok(del >= 0, 'a del event for the old eth2');
    assert.ok(del < agent.events.slice(mark).indexOf(created), 'del before new');
  });

  it('reports addresses, routes and rules removed behind its back', async () => {
    await agent.call('subscribeChanges');
    const vip = addr('10.1.9.9/32');
    await agent.call('addAddress', vip, 'eth0');
    await agent.waitChange((c) => c.kind === 'address' && c.type === 'new' && c.address.address === '10.1.9.9');
    ip('addr', 'del', '10.1.9.9/32', 'dev', 'eth0');
    const gone = await agent.waitChange((c) => c.kind === 'address' && c.type === 'del' && c.address.address === '10.1.9.9');
    assert.ok(gone.kind === 'address' && gone.type === 'del');
    assert.equal(gone.address.ifindex, ipj<{ ifindex: number }[]>('link', 'show', 'eth0')[0]!.ifindex);

    const r = route('10.70.0.0/24', { dev: 'eth0', table: 200, metric: 3 });
    await agent.call('addRoute', r);
    ip('route', 'del', '10.70.0.0/24', 'table', '200');
    const rd = await agent.waitChange((c) => c.kind === 'route' && c.type === 'del' && c.route.dst === '10.70.0.0/24');
    assert.ok(rd.kind === 'route' && rd.type === 'del');
    assert.deepEqual([rd.route.table, rd.route.protocol, rd.route.metric], [200, 18, 3]);

    const ru = rule(1500, { from: '10.70.0.0/24', table: 200 });
    await agent.call('addRule', ru);
    ip('rule', 'del', 'pref', '1500');
    const ud = await agent.waitChange((c) => c.kind === 'rule' && c.type === 'del' && c.rule.priority === 1500);
    assert.ok(ud.kind === 'rule' && ud.type === 'del');
    assert.deepEqual([ud.rule.table, ud.rule.protocol, ud.rule.from], [200, 18, '10.70.0.0/24']);
  });

  it('adds and removes 1,000 VIPs on one interface, pipelined', async () => {
    const add = await agent.call<{ ms: number; changed: number }>('bulk', 'add', 1000, 'eth0');
    assert.equal(add.changed, 1000);
    const present = addrsOf('eth0').filter((a) => a.local.startsWith('10.200.'));
    assert.equal(present.length, 1000);
    assert.ok(present.every((a) => a.prefixlen === 32));
    assert.equal((await agent.call<{ changed: number }>('bulk', 'add', 1000, 'eth0')).changed, 0, 'all already present');
    const rm = await agent.call<{ ms: number; changed: number }>('bulk', 'remove', 1000, 'eth0');
    assert.equal(rm.changed, 1000);
    assert.equal(addrsOf('eth0').filter((a) => a.local.startsWith('10.200.')).length, 0);
    assert.equal((await agent.call<{ changed: number }>('bulk', 'remove', 1000, 'eth0')).changed, 0, 'all already absent');
  });
});
