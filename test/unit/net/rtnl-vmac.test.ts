// VMAC naming, MACs and sysctl bookkeeping (src/net/vmac.ts) without a kernel: the sysctls are
// written under a temporary directory laid out like /proc/sys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseVmacName, findExistingVmac, linkLocalFromMac, Sysctl, vmacMac, vmacNameCandidates, VmacSysctls,
} from '../../../src/net/vmac.js';

const first = (g: Generator<string>, n: number): string[] => Array.from({ length: n }, () => g.next().value as string);

test('the VRRP MAC per family (RFC 5798 7.3)', () => {
  assert.equal(vmacMac('inet', 1), '00:00:5e:00:01:01');
  assert.equal(vmacMac('inet', 255), '00:00:5e:00:01:ff');
  assert.equal(vmacMac('inet6', 51), '00:00:5e:00:02:33');
});

test('names in keepalived order: vrrp.VRID, then vrrpN.VRID; IPv6 tries vrrp6 second and skips it later', () => {
  assert.deepEqual(first(vmacNameCandidates(51, 'inet'), 4), ['vrrp.51', 'vrrp1.51', 'vrrp2.51', 'vrrp3.51']);
  assert.deepEqual(first(vmacNameCandidates(51, 'inet6'), 8),
    ['vrrp.51', 'vrrp6.51', 'vrrp1.51', 'vrrp2.51', 'vrrp3.51', 'vrrp4.51', 'vrrp5.51', 'vrrp7.51']);
  assert.deepEqual(first(vmacNameCandidates(7, 'inet', 'vmac'), 2), ['vmac.7', 'vmac1.7']);
});

test('a long vmac_prefix is cut so the name fits 15 characters', () => {
  const [a, b] = first(vmacNameCandidates(200, 'inet', 'averyverylongprefix'), 2);
  assert.equal(a, 'averyverylo.200');
  assert.equal(b, 'averyveryl1.200');
  assert.ok(a!.length <= 15 && b!.length <= 15);
});

test('the first free name is chosen', () => {
  const taken = new Set(['vrrp.9', 'vrrp6.9']);
  assert.equal(chooseVmacName(9, 'inet', (n) => taken.has(n)), 'vrrp1.9');
  assert.equal(chooseVmacName(9, 'inet6', (n) => taken.has(n)), 'vrrp1.9');
  assert.equal(chooseVmacName(9, 'inet6', () => false), 'vrrp.9');
});

test('an existing macvlan with the VRRP MAC on the same parent is found', () => {
  const base = { up: true, running: true, mtu: 1500 };
  const links = [
    { ...base, index: 2, name: 'eth0', mac: '52:54:00:00:00:01', kind: 'veth' },
    { ...base, index: 5, name: 'other', mac: '00:00:5e:00:01:0a', kind: 'macvlan', parentIndex: 3 },
    { ...base, index: 6, name: 'old', mac: '00:00:5e:00:01:0a', kind: 'macvlan', parentIndex: 2 },
  ];
  assert.equal(findExistingVmac(links, 2, '00:00:5E:00:01:0A')?.name, 'old');
  assert.equal(findExistingVmac(links, 2, '00:00:5e:00:01:0b'), undefined);
});

test('the EUI-64 link-local of a MAC', () => {
  assert.equal(linkLocalFromMac('52:54:00:12:34:56'), 'fe80::5054:ff:fe12:3456');
  assert.equal(linkLocalFromMac('00:00:5e:00:01:0a'), 'fe80::200:5eff:fe00:10a');
});

function fakeProc(ifaces: Record<string, Record<string, number>>): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-sysctl-'));
  for (const [n, params] of Object.entries(ifaces)) {
    mkdirSync(join(root, 'net/ipv4/conf', n), { recursive: true });
    for (const [p, v] of Object.entries(params)) writeFileSync(join(root, 'net/ipv4/conf', n, p), `${v}\n`);
  }
  return root;
}

test('IPv4 VMAC sysctls: set on the VMAC and base, rp_filter cleared, all restored after the last VMAC', () => {
  const root = fakeProc({
    all: { rp_filter: 2 }, default: { rp_filter: 1 },
    eth0: { arp_ignore: 0, arp_filter: 1, rp_filter: 0 }, eth1: { arp_ignore: 2, arp_filter: 0, rp_filter: 2 },
    'vrrp.1': { arp_ignore: 0, accept_local: 0, rp_filter: 1, promote_secondaries: 0 },
    'vrrp.2': { arp_ignore: 0, accept_local: 0, rp_filter: 1, promote_secondaries: 0 },
  });
  try {
    const s = new VmacSysctls(new Sysctl(root));
    const get = (n: string, p: string): string => readFileSync(join(root, 'net/ipv4/conf', n, p), 'utf8').trim();
    s.applyIPv4('vrrp.1', 'eth0', ['lo', 'eth0', 'eth1', 'vrrp.1']);
    assert.deepEqual(['arp_ignore', 'accept_local', 'rp_filter', 'promote_secondaries'].map((p) => get('vrrp.1', p)), ['1', '1', '0', '1']);
    assert.deepEqual([get('eth0', 'arp_ignore'), get('eth0', 'arp_filter')], ['1', '1']);
    assert.deepEqual([get('all', 'rp_filter'), get('default', 'rp_filter'), get('eth0', 'rp_filter'), get('eth1', 'rp_filter')], ['0', '2', '2', '2']);
    s.applyIPv4('vrrp.2', 'eth0', ['lo', 'eth0', 'eth1', 'vrrp.1', 'vrrp.2']);
    s.releaseIPv4('eth0');
    assert.equal(get('eth0', 'arp_ignore'), '1', 'still used by vrrp.2');
    assert.equal(get('all', 'rp_filter'), '0');
    s.releaseIPv4('eth0');
    assert.deepEqual([get('eth0', 'arp_ignore'), get('eth0', 'arp_filter')], ['0', '1'], 'only what was changed is put back');
    assert.deepEqual([get('all', 'rp_filter'), get('default', 'rp_filter'), get('eth0', 'rp_filter'), get('eth1', 'rp_filter')], ['2', '1', '0', '2']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a sysctl that cannot be written is an error naming it', () => {
  const s = new Sysctl('/nonexistent-keel-root');
  assert.throws(() => s.set('ipv4', 'eth0', 'arp_ignore', 1), { message: 'cannot set net.ipv4.conf.eth0.arp_ignore=1: ENOENT' });
  assert.equal(s.get('ipv4', 'eth0', 'arp_ignore'), undefined);
});
