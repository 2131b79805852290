// use_vmac against the real kernel in a network namespace: the macvlan (private mode, VRRP MAC),
// reuse and repair of an existing one, deletion, the names keepalived picks, the sysctls on the
// VMAC and its base interface (and their restoration), and the IPv6 link-local.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LinkInfo } from '../../src/net/ports.js';
import type { VmacResult } from '../../src/net/vmac.js';
import { netnsUnavailable } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';
import { Agent } from './rtnl-agent.js';

const skip = netnsUnavailable();

interface IpLinkD {
  ifindex: number;
  ifname: string;
  address: string;
  link?: string;
  flags: string[];
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
  inet6_addr_gen_mode?: string;
}

describe('VMAC (use_vmac) in a network namespace', { skip }, () => {
  let ns: Netns;
  let agent: Agent;
  const linkD = (name: string): IpLinkD | undefined => {
    const r = ns.exec('ip', ['-j', '-d', 'link', 'show', name]);
    return r.status === 0 ? (JSON.parse(r.stdout) as IpLinkD[])[0] : undefined;
  };
  const ip = (...args: string[]): string => {
    const r = ns.exec('ip', args);
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const sysctl = (path: string): string => {
    const r = ns.exec('cat', [`/proc/sys/net/${path}`]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  const setSysctl = (path: string, v: number): void => {
    const r = ns.exec('sh', ['-c', `echo ${v} > /proc/sys/net/${path}`]);
    assert.equal(r.status, 0, r.stderr);
  };

  before(() => {
    ns = new Netns('kvmac').create(2);
    agent = new Agent(ns.name);
  });
  after(async () => {
    await agent?.stop();
    ns?.destroy();
  });

  it('creates a private macvlan with the VRRP MAC, reuses it, and deletes it', async () => {
    const l = await agent.call<LinkInfo>('createMacvlan', 'vrrp.51', 'eth0', '00:00:5e:00:01:33');
    const d = linkD('vrrp.51')!;
    assert.equal(d.address, '00:00:5e:00:01:33');
    assert.equal(d.linkinfo?.info_kind, 'macvlan');
    assert.equal(d.linkinfo?.info_data?.mode, 'private');
    assert.equal(d.link, 'eth0');
    assert.equal(d.inet6_addr_gen_mode, 'none', 'no EUI-64 link-local from the VRRP MAC');
    assert.equal(l.index, d.ifindex);
    assert.equal(l.kind, 'macvlan');
    assert.equal(l.parentIndex, linkD('eth0')!.ifindex);
    assert.match(ip('-d', 'link', 'show', 'vrrp.51'), /macvlan mode private/);

    const again = await agent.call<LinkInfo>('createMacvlan', 'vrrp.51', 'eth0', '00:00:5e:00:01:33');
    assert.equal(again.index, l.index, 'reused, not recreated');

    assert.equal(await agent.call('deleteLink', 'vrrp.51'), true);
    assert.equal(linkD('vrrp.51'), undefined);
    assert.equal(await agent.call('deleteLink', 'vrrp.51'), false, 'already gone');
  });

  it('repairs a macvlan with the wrong MAC or mode in place, and replaces one on another parent', async () => {
    ip('link', 'add', 'vrrp.52', 'link', 'eth0', 'address', '02:11:22:33:44:55', 'type', 'macvlan', 'mode', 'bridge');
    const index = linkD('vrrp.52')!.ifindex;
    const l = await agent.call<LinkInfo>('createMacvlan', 'vrrp.52', 'eth0', '00:00:5e:00:01:34');
    assert.equal(l.index, index);
    assert.equal(linkD('vrrp.52')!.address, '00:00:5e:00:01:34');
    assert.equal(linkD('vrrp.52')!.linkinfo?.info_data?.mode, 'private');

    const moved = await agent.call<LinkInfo>('createMacvlan', 'vrrp.52', 'eth1', '00:00:5e:00:01:34');
    assert.equal(linkD('vrrp.52')!.link, 'eth1');
    assert.equal(moved.parentIndex, linkD('eth1')!.ifindex);
    await agent.call('deleteLink', 'vrrp.52');
  });

  it('refuses to take over an interface that is not a macvlan', async () => {
    await assert.rejects(agent.call('createMacvlan', 'eth1', 'eth0', '00:00:5e:00:01:35'),
      { message: 'cannot create macvlan eth1 on eth0: eth1 exists and is not a macvlan' });
    await assert.rejects(agent.call('createMacvlan', 'vrrp.53', 'eth7', '00:00:5e:00:01:35'),
      { message: 'cannot create macvlan vrrp.53 on eth7: ENODEV' });
  });

  it('sets up an IPv4 VMAC as keepalived does and restores the base interface after', async () => {
    setSysctl('ipv4/conf/eth0/arp_ignore', 0);
    setSysctl('ipv4/conf/eth0/arp_filter', 0);
    setSysctl('ipv4/conf/all/rp_filter', 1);
    setSysctl('ipv4/conf/default/rp_filter', 0);
    setSysctl('ipv4/conf/eth1/rp_filter', 0);
    const r = await agent.call<VmacResult>('setupVmac', { vrid: 10, family: 'inet', parent: 'eth0' });
    assert.equal(r.name, 'vrrp.10');
    assert.equal(r.mac, '00:00:5e:00:01:0a');
    assert.deepEqual(r.warnings, []);
    const d = linkD('vrrp.10')!;
    assert.equal(d.address, '00:00:5e:00:01:0a');
    assert.ok(d.flags.includes('UP'));
    assert.equal(sysctl('ipv4/conf/vrrp.10/arp_ignore'), '1');
    assert.equal(sysctl('ipv4/conf/vrrp.10/accept_local'), '1');
    assert.equal(sysctl('ipv4/conf/vrrp.10/rp_filter'), '0');
    assert.equal(sysctl('ipv4/conf/vrrp.10/promote_secondaries'), '1');
    assert.equal(sysctl('ipv6/conf/vrrp.10/disable_ipv6'), '1');
    assert.equal(sysctl('ipv4/conf/eth0/arp_ignore'), '1');
    assert.equal(sysctl('ipv4/conf/eth0/arp_filter'), '1');
    // all.rp_filter cleared; every other interface keeps its effective value through its own.
    assert.equal(sysctl('ipv4/conf/all/rp_filter'), '0');
    assert.equal(sysctl('ipv4/conf/default/rp_filter'), '1');
    assert.equal(sysctl('ipv4/conf/eth1/rp_filter'), '1');

    // A second instance on the same VRID's name: the next name is picked; a configured MAC is used.
    const r2 = await agent.call<VmacResult>('setupVmac', { vrid: 10, family: 'inet', parent: 'eth1', namesInUse: ['vrrp.10'], mac: '02:00:5E:10:00:0A' });
    assert.equal(r2.name, 'vrrp1.10');
    assert.equal(linkD('vrrp1.10')!.address, '02:00:5e:10:00:0a');

    assert.equal(await agent.call('teardownVmac', { name: 'vrrp1.10', family: 'inet', parent: 'eth1' }), true);
    assert.equal(sysctl('ipv4/conf/all/rp_filter'), '0', 'still one IPv4 VMAC');
    assert.equal(await agent.call('teardownVmac', { name: 'vrrp.10', family: 'inet', parent: 'eth0' }), true);
    assert.equal(linkD('vrrp.10'), undefined);
    assert.equal(sysctl('ipv4/conf/eth0/arp_ignore'), '0');
    assert.equal(sysctl('ipv4/conf/eth0/arp_filter'), '0');
    assert.equal(sysctl('ipv4/conf/all/rp_filter'), '1');
    assert.equal(sysctl('ipv4/conf/default/rp_filter'), '0');
    assert.equal(sysctl('ipv4/conf/eth1/rp_filter'), '0');
  });

  it('adopts a VMAC left by a previous run, whatever its name', async () => {
    ip('link', 'add', 'oldvmac', 'link', 'eth0', 'address', '00:00:5e:00:01:0c', 'type', 'macvlan', 'mode', 'private');
    const index = linkD('oldvmac')!.ifindex;
    const r = await agent.call<VmacResult>('setupVmac', { vrid: 12, family: 'inet', parent: 'eth0', name: 'vmac12' });
    assert.equal(r.name, 'oldvmac');
    assert.equal(r.link.index, index);
    assert.deepEqual(r.warnings, ['vmac name mismatch vmac12 <=> oldvmac. changing to oldvmac.']);
    assert.equal(linkD('vmac12'), undefined);
    await agent.call('teardownVmac', { name: 'oldvmac', family: 'inet', parent: 'eth0' });
  });

  it('sets up an IPv6 VMAC with the base interface link-local, skipping a taken name', async () => {
    ip('link', 'add', 'vrrp.20', 'type', 'veth', 'peer', 'name', 'vrrpx20');
    const r = await agent.call<VmacResult>('setupVmac', { vrid: 20, family: 'inet6', parent: 'eth0', name: 'eth1' });
    assert.equal(r.name, 'vrrp6.20', 'IPv6 tries vrrp6.VRID second');
    assert.deepEqual(r.warnings, ['VMAC interface name eth1 already exists as a non VMAC interface. ignoring configured name']);
    assert.equal(linkD('vrrp6.20')!.address, '00:00:5e:00:02:14');
    assert.equal(sysctl('ipv6/conf/vrrp6.20/disable_ipv6'), '0');
    const base = JSON.parse(ip('-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link')) as { addr_info: { local: string }[] }[];
    const baseLl = base[0]!.addr_info[0]!.local;
    assert.equal(r.linkLocal, baseLl);
    const mine = JSON.parse(ip('-j', '-6', 'addr', 'show', 'dev', 'vrrp6.20')) as { addr_info: { local: string; prefixlen: number; nodad?: boolean }[] }[];
    assert.deepEqual(mine[0]!.addr_info.map((a) => [a.local, a.prefixlen, a.nodad]), [[baseLl, 64, true]], 'only that link-local, no EUI-64 one');
    assert.equal(await agent.call('teardownVmac', { name: 'vrrp6.20', family: 'inet6', parent: 'eth0' }), true);
    ip('link', 'del', 'vrrp.20');
  });
});
