// garp_group and bfd_instance: their keywords, and the checks keepalived makes at the end of each
// block (run by validateGlobal once dynamic_interfaces is known).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText, type LoadResult } from '../../../src/config/build.js';
import type { Severity } from '../../../src/config/diagnostics.js';
import { bfdInstanceBlock, garpGroupBlock } from '../../../src/config/blocks/misc.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
const load = (text: string): LoadResult => loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });

function failing(r: LoadResult): string[] {
  return r.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'warning' || d.severity === 'security')
    .map((d) => `${d.pos?.line}: ${d.severity}: ${d.message}`);
}

function expectDiag(r: LoadResult, severity: Severity, text: string, line?: number): void {
  const found = r.diagnostics.list.find((d) => d.severity === severity && d.message.includes(text) && (line === undefined || d.pos?.line === line));
  assert.ok(found, `expected ${severity} "${text}"${line ? ` on line ${line}` : ''}; got:\n${r.diagnostics.list.map((d) => `${d.pos?.line}: ${d.severity}: ${d.message}`).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------
// garp_group

test('garp_group reads its intervals and interfaces', () => {
  const r = load('garp_group {\n garp_interval 0.1\n gna_interval 0.000002\n interface eth0\n interfaces {\n  eth1\n  eth2 eth3\n }\n}\n');
  assert.deepEqual(failing(r), []);
  assert.equal(r.config.garp_groups.length, 1);
  const g = r.config.garp_groups[0]!;
  assert.equal(g.garp_interval, 0.1);
  assert.equal(g.gna_interval, 0.000002);
  assert.deepEqual(g.interfaces, ['eth0', 'eth1', 'eth2', 'eth3']);
  assert.equal(g.aggregation_group, 1);
});

test('an interfaces block numbers aggregation groups in order; interface lines do not', () => {
  const r = load('garp_group {\n gna_interval 1\n interface eth0\n}\ngarp_group {\n gna_interval 1\n interfaces {\n eth1\n }\n}\ngarp_group {\n gna_interval 1\n interfaces {\n eth2\n }\n}\n');
  assert.deepEqual(r.config.garp_groups.map((g) => g.aggregation_group), [undefined, 1, 2]);
});

test('a garp_group without any interval is removed, and frees its interfaces', () => {
  const r = load('garp_group {\n interface eth0\n}\ngarp_group {\n gna_interval 0.1\n interface eth0\n}\n');
  expectDiag(r, 'error', 'garp group 0 does not have any delay set - removing', 1);
  assert.equal(r.config.garp_groups.length, 1);
  assert.deepEqual(r.config.garp_groups[0]!.interfaces, ['eth0']);
  assert.equal(failing(r).length, 1);
});

test('garp_interval 0 is an interval', () => {
  const r = load('garp_group {\n garp_interval 0\n interface eth0\n}\n');
  assert.deepEqual(failing(r), []);
  assert.equal(r.config.garp_groups[0]!.garp_interval, 0);
});

test('garp_group intervals: keepalived\'s range and messages', () => {
  expectDiag(load('garp_group {\n garp_interval x\n gna_interval 1\n}\n'), 'error', "garp_group garp_interval 'x' invalid", 2);
  expectDiag(load('garp_group {\n gna_interval 2147.483648\n garp_interval 1\n}\n'), 'error', "garp_group gna_interval '2147.483648' invalid (number '2147.483648' outside range [0.000000, 2147.483647])", 2);
  const r = load('garp_group {\n gna_interval 1.5\n interface eth0\n}\n');
  assert.deepEqual(failing(r), []);
  expectDiag(r, 'hint', 'The gna_interval is very large - 1.5 seconds', 2);
});

test('an interface in two garp groups is kept by the first', () => {
  const r = load('garp_group {\n gna_interval 0.1\n interface eth0\n}\ngarp_group {\n garp_interval 0.1\n interfaces {\n eth1 eth0\n }\n}\n');
  expectDiag(r, 'error', 'garp_group already specified for eth0 - ignoring', 8);
  assert.deepEqual(r.config.garp_groups[1]!.interfaces, ['eth1']);
});

test('a missing interface is an error, unless dynamic_interfaces (even given later)', () => {
  const r = load('garp_group {\n gna_interval 0.1\n interface eth9\n}\n');
  expectDiag(r, 'error', "WARNING - interface eth9 specified for garp_group doesn't exist", 3);
  assert.equal(r.config.garp_groups[0]!.interfaces, undefined);
  const d = load('garp_group {\n gna_interval 0.1\n interfaces {\n eth9\n }\n}\nglobal_defs {\n dynamic_interfaces\n}\n');
  assert.deepEqual(failing(d), []);
  expectDiag(d, 'hint', "Configuration specifies interface eth9 which doesn't currently exist - will use if created", 4);
  assert.deepEqual(d.config.garp_groups[0]!.interfaces, ['eth9']);
});

test('an empty interfaces block and unknown keywords are errors', () => {
  expectDiag(load('garp_group {\n gna_interval 0.1\n interfaces {\n }\n}\n'), 'error', 'Warning - empty garp_group interfaces block', 4);
  expectDiag(load('garp_group {\n gna_interval 0.1\n garp_repeat 3\n}\n'), 'error', "Unknown keyword 'garp_repeat'", 3);
  const missing = load('garp_group {\n gna_interval 0.1\n interface\n}\n').diagnostics.list.find((d) => d.message.includes('missing a parameter'));
  assert.ok(missing?.abort);
});

// ---------------------------------------------------------------------------------------------
// bfd_instance

test('bfd_instance reads every keyword; times are seconds', () => {
  const r = load('bfd_instance B {\n neighbour_ip fe80::1\n source_ip fe80::2\n min_rx 10\n min_tx 20.5\n idle_tx 2000\n multiplier 3\n passive\n hoplimit 5\n max_hops 4\n weight -20 reverse\n checker\n}\n');
  assert.deepEqual(failing(r), []);
  assert.deepEqual(r.config.bfd_instances.map(({ pos: _p, ...b }) => b), [{
    name: 'B', neighbor_ip: 'fe80::1', source_ip: 'fe80::2', min_rx: 0.01, min_tx: 0.0205, idle_tx: 2, multiplier: 3, passive: true,
    ttl: 5, max_hops: 4, weight: -20, weight_reverse: true, vrrp: false, checker: true, enabled: true,
  }]);
});

test('bfd_instance defaults', () => {
  const r = load('bfd_instance B {\n neighbor_ip 10.0.0.2/24\n}\nbfd_instance C {\n neighbor_ip ::1\n vrrp\n}\n');
  assert.deepEqual(failing(r), []);
  const [b, c] = r.config.bfd_instances;
  assert.deepEqual({ ...b, pos: undefined }, {
    name: 'B', neighbor_ip: '10.0.0.2', min_rx: 0.01, min_tx: 0.01, idle_tx: 1, multiplier: 5, passive: false, ttl: 255, max_hops: 0,
    weight: 0, weight_reverse: false, vrrp: true, checker: true, enabled: true, pos: undefined,
  });
  assert.equal(c!.ttl, 64);
  assert.equal(c!.vrrp, true);
  assert.equal(c!.checker, false);
});

test('bfd_instance end-of-block checks', () => {
  const none = load('bfd_instance B {\n min_rx 10\n}\n');
  expectDiag(none, 'error', 'Configuration error: BFD instance B has no neighbor address set, disabling instance', 1);
  assert.equal(none.config.bfd_instances[0]!.enabled, false);
  expectDiag(load('bfd_instance B {\n neighbor_ip 1.1.1.1\n source_ip ::1\n}\n'), 'error', 'source address ::1 and neighbor address 1.1.1.1 are not of the same family, disabling instance');
  const hops = load('bfd_instance B {\n neighbor_ip ::1\n max_hops 100\n}\n');
  expectDiag(hops, 'error', 'BFD instance B: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit');
  assert.equal(hops.config.bfd_instances[0]!.max_hops, 64);
  // -1 is 255 to keepalived: fine with IPv4's ttl 255, too many for IPv6's hop limit 64.
  assert.deepEqual(failing(load('bfd_instance B {\n neighbor_ip 1.1.1.1\n max_hops -1\n}\n')), []);
  expectDiag(load('bfd_instance B {\n neighbor_ip ::1\n max_hops -1\n}\n'), 'error', 'max_hops exceeds ttl/hoplimit');
});

test('duplicate BFD sessions: same neighbour unless both name different sources', () => {
  const dup = load('bfd_instance B {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.2\n}\nbfd_instance C {\n neighbor_ip 1.1.1.1\n}\n');
  expectDiag(dup, 'error', 'BFD instance C has duplicate neighbor address 1.1.1.1, ignoring instance', 5);
  assert.deepEqual(dup.config.bfd_instances.map((b) => b.enabled), [true, false]);
  const first = load('bfd_instance B {\n neighbor_ip 1.1.1.1\n}\nbfd_instance C {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.2\n}\n');
  expectDiag(first, 'error', 'BFD instance C has duplicate source/neighbor address 2.2.2.2/1.1.1.1, ignoring instance', 4);
  const src = load('bfd_instance B {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.2\n}\nbfd_instance C {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.2\n}\n');
  expectDiag(src, 'error', 'has duplicate source/neighbor address 2.2.2.2/1.1.1.1');
  assert.deepEqual(failing(load('bfd_instance B {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.2\n}\nbfd_instance C {\n neighbor_ip 1.1.1.1\n source_ip 2.2.2.3\n}\n')), []);
});

test('BFD names: unique and at most 31 characters', () => {
  const dup = load('bfd_instance B {\n neighbor_ip 1.1.1.1\n}\nbfd_instance B {\n neighbor_ip 1.1.1.2\n}\n');
  expectDiag(dup, 'error', 'Configuration error: BFD instance B already configured - ignoring', 4);
  assert.equal(dup.config.bfd_instances.length, 1);
  const long = load(`bfd_instance ${'A'.repeat(32)} {\n neighbor_ip 1.1.1.1\n}\n`);
  expectDiag(long, 'error', 'name too long (maximum length is 31 characters) - ignoring', 1);
  assert.equal(long.config.bfd_instances.length, 0);
  assert.deepEqual(failing(load(`bfd_instance ${'A'.repeat(31)} {\n neighbor_ip 1.1.1.1\n}\n`)), []);
});

test('bfd_instance bad values: keepalived\'s messages', () => {
  const cases: [string, string][] = [
    ['min_rx 0.5', 'BFD instance B min_rx value 0.5 is not valid (must be in range [1-4294967]), ignoring'],
    ['min_tx x', 'BFD instance B min_tx value x is not valid'],
    ['idle_tx 999.9', 'BFD instance B idle_tx value 999.9 is not valid (must be in range [1000-4294967]), ignoring'],
    ['multiplier 0', 'BFD instance B multiplier value 0 not valid (must be in range [1-255]), ignoring'],
    ['ttl 0', 'BFD instance B ttl/hoplimit value 0 not valid (must be in range [1-255]), ignoring'],
    ['max_hops -2', 'BFD instance B max_hops value -2 not valid (must be in range [-1-255]), ignoring'],
    ['weight 254', 'BFD instance B weight value 254 not valid (must be in range [-253-253]), ignoring'],
    ['weight 5 rev', 'BFD instance B unknown weight option rev'],
    ['source_ip foo', 'BFD instance B has malformed source address foo, ignoring'],
    ['multihop', "Unknown keyword 'multihop'"],
  ];
  for (const [line, msg] of cases) expectDiag(load(`bfd_instance B {\n neighbor_ip 1.1.1.1\n ${line}\n}\n`), 'error', msg, 3);
  const big = load('bfd_instance B {\n neighbor_ip 1.1.1.1\n min_tx 10000.001\n}\n');
  assert.deepEqual(failing(big), []);
  expectDiag(big, 'hint', 'larger than max sensible', 3);
});

test('a malformed neighbour disables the instance and skips the rest of its block', () => {
  const r = load('bfd_instance B {\n neighbor_ip 1.1.1.x\n min_rx 0\n}\n');
  expectDiag(r, 'error', 'BFD instance B has malformed neighbor address 1.1.1.x, ignoring instance', 2);
  assert.equal(failing(r).length, 1);
  assert.equal(r.config.bfd_instances[0]!.enabled, false);
});

test('every garp_group and bfd_instance keyword is declared once', () => {
  for (const b of [garpGroupBlock, bfdInstanceBlock]) {
    const names = b.keywords.map((k) => k.name);
    assert.equal(new Set(names).size, names.length);
  }
  assert.deepEqual(bfdInstanceBlock.keywords.map((k) => k.name).sort(),
    ['checker', 'hoplimit', 'idle_tx', 'max_hops', 'min_rx', 'min_tx', 'multiplier', 'neighbor_ip', 'neighbour_ip', 'passive', 'source_ip', 'ttl', 'vrrp', 'weight']);
  assert.deepEqual(garpGroupBlock.keywords.map((k) => k.name).sort(), ['garp_interval', 'gna_interval', 'interface', 'interfaces']);
});
