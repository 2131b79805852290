// vrrp_instance and vrrp_sync_group: keywords, defaults and the post-parse checks keepalived
// 2.2.7 makes (each expectation below was checked against keepalived -t).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText, type LoadResult } from '../../../src/config/build.js';
import type { Severity } from '../../../src/config/diagnostics.js';
import { vrrpSysfs, type VrrpInstance, type SyncGroup } from '../../../src/config/blocks/vrrp.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
// The host's interfaces (MTU, flags) must not change the results: no sysfs in these tests.
vrrpSysfs.netDir = '/nonexistent/sys/class/net';

function load(text: string): LoadResult {
  return loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });
}

function show(r: LoadResult): string {
  return r.diagnostics.list.map((d) => `  ${d.pos?.line ?? '-'} ${d.severity}: ${d.message}`).join('\n');
}

/** The 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`'${needle}' not in text`);
}

function has(r: LoadResult, sev: Severity, sub: string, line?: number): void {
  const ok = r.diagnostics.list.some((d) => d.severity === sev && d.message.includes(sub) && (line === undefined || d.pos?.line === line));
  assert.ok(ok, `expected ${sev} '${sub}'${line !== undefined ? ` at line ${line}` : ''}; got:\n${show(r)}`);
}

function lacks(r: LoadResult, sub: string): void {
  const d = r.diagnostics.list.find((x) => x.message.includes(sub));
  assert.equal(d, undefined, `unexpected '${sub}'; got:\n${show(r)}`);
}

/** No error, warning or security problem (keepalived -t would exit 0). */
function clean(r: LoadResult): void {
  const bad = r.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'warning' || d.severity === 'security');
  assert.equal(bad.length, 0, `expected a clean config; got:\n${show(r)}`);
}

function failing(r: LoadResult): void {
  assert.ok(r.diagnostics.failing, `expected keepalived -t to fail; got:\n${show(r)}`);
}

interface InstOpts {
  name?: string;
  iface?: string | null;
  vrid?: number | null;
  vip?: string | null;
}

function inst(body = '', o: InstOpts = {}): string {
  const out = [`vrrp_instance ${o.name ?? 'VI_1'} {`];
  if (o.iface !== null) out.push(`  interface ${o.iface ?? 'eth0'}`);
  if (o.vrid !== null) out.push(`  virtual_router_id ${o.vrid ?? 51}`);
  for (const l of body.split('\n')) if (l.trim()) out.push(`  ${l}`);
  if (o.vip !== null) out.push(`  virtual_ipaddress {`, `    ${o.vip ?? '10.0.0.1/24'}`, `  }`);
  out.push('}');
  return out.join('\n') + '\n';
}

const SECURE = 'global_defs {\n  enable_script_security\n  script_user root\n}\n';
const SCRIPTS = 'vrrp_script chk {\n  script /bin/true\n}\nvrrp_script chk10 {\n  script /bin/true\n  weight 10\n}\n';
const group = (extra = '', members = 'VI_1 VI_2'): string => `vrrp_sync_group G {\n  group {\n    ${members}\n  }\n${extra}}\n`;
const second = (body = ''): string => inst(body, { name: 'VI_2', vrid: 52, vip: '10.0.0.2/24' });

function vi(r: LoadResult, name = 'VI_1'): VrrpInstance {
  const v = r.config.vrrp_instances.find((x) => x.name === name);
  assert.ok(v, `no instance ${name}`);
  return v;
}

function sg(r: LoadResult, name = 'G'): SyncGroup | undefined {
  return r.config.vrrp_sync_groups.find((g) => g.name === name);
}

describe('vrrp_instance: basic keywords and defaults', () => {
  test('a minimal instance gets keepalived defaults', () => {
    const r = load(inst());
    clean(r);
    const v = vi(r);
    assert.equal(v.state, 'BACKUP');
    assert.equal(v.priority, 100);
    assert.equal(v.advert_int, 1);
    assert.equal(v.version, 2);
    assert.equal(v.family, 'inet');
    assert.equal(v.interface, 'eth0');
    assert.equal(v.virtual_router_id, 51);
    assert.equal(v.nopreempt, false);
    assert.equal(v.accept, true);
    assert.equal(v.unicast_ttl, 255);
    assert.equal(v.garp_master_delay, 5);
    assert.equal(v.garp_master_repeat, 5);
    assert.equal(v.garp_master_refresh, 0);
    assert.equal(v.garp_master_refresh_repeat, 1);
    assert.equal(v.garp_lower_prio_delay, 5);
    assert.equal(v.garp_lower_prio_repeat, 5);
    assert.equal(v.down_timer_adverts, 3);
    assert.deepEqual(v.virtual_ipaddress.map((a) => a.address), ['10.0.0.1/24']);
  });

  test('state MASTER without priority means priority 255; priority 255 without state means MASTER', () => {
    const r = load(inst('state MASTER') + inst('priority 255', { name: 'VI_2', vrid: 52 }));
    clean(r);
    assert.equal(vi(r).priority, 255);
    assert.equal(vi(r, 'VI_2').state, 'MASTER');
  });

  test('state: unknown word defaults to BACKUP; BACKUP after MASTER is ignored', () => {
    const t = inst('state master') + inst('state MASTER\npriority 100\nstate BACKUP', { name: 'VI_2', vrid: 52 });
    const r = load(t);
    has(r, 'error', "(VI_1) unknown state 'master', defaulting to BACKUP", lineOf(t, 'state master'));
    has(r, 'error', '(VI_2) state previously set as MASTER - ignoring BACKUP', lineOf(t, 'state BACKUP'));
    assert.equal(vi(r, 'VI_2').state, 'MASTER');
  });

  test('virtual_router_id must be 1..255 and must be set', () => {
    const t = inst('', { vrid: 256 });
    const r = load(t);
    has(r, 'error', "number '256' outside range [1, 255]", lineOf(t, 'virtual_router_id'));
    has(r, 'error', "(VI_1): VRID '256' not valid - must be between 1 & 255");
    has(r, 'error', '(VI_1) the virtual router id must be set');
    has(load(inst('', { vrid: null })), 'error', '(VI_1) the virtual router id must be set');
  });

  test('priority out of range uses the default 100', () => {
    const r = load(inst('priority 0'));
    has(r, 'error', '(VI_1) Priority not valid! must be between 1 & 255. Using default 100');
    assert.equal(vi(r).priority, 100);
  });

  test('advert_int: VRRPv2 rounds to whole seconds, VRRPv3 to 10 ms', () => {
    const r = load(inst('advert_int 1.5') + inst('version 3\nadvert_int 0.015', { name: 'VI_2', vrid: 52 }) + inst('version 3\nadvert_int 0.25', { name: 'VI_3', vrid: 53 }));
    has(r, 'error', '(VI_1) VRRPv2 advertisement interval 1.500000s must be an integer. rounding');
    has(r, 'error', '(VI_2) VRRPv3 advertisement interval 0.015000s must be in units of 10ms - rounding');
    assert.equal(vi(r).advert_int, 2);
    assert.equal(vi(r, 'VI_2').advert_int, 0.02);
    assert.equal(vi(r, 'VI_3').advert_int, 0.25);
    lacks(r, '(VI_3) VRRPv3');
  });

  test('advert_int: out of range and VRRPv3 limit of 40.95 s', () => {
    const r = load(inst('advert_int 0') + inst('version 3\nadvert_int 41', { name: 'VI_2', vrid: 52 }));
    has(r, 'error', '(VI_1) Advert interval (0) not valid! Must be > 0 - ignoring');
    has(r, 'error', '(VI_2) VRRPv3 advertisement interval 41.00s is out of range. Must be less than 40.96s. Setting to 40.95s');
    assert.equal(vi(r).advert_int, 1);
    assert.equal(vi(r, 'VI_2').advert_int, 40.95);
  });

  test('version: 2 or 3, conflicts ignored; global vrrp_version is the default', () => {
    const r = load(inst('version 4') + inst('version 3\nversion 2', { name: 'VI_2', vrid: 52 }));
    has(r, 'error', '(VI_1): Version must be either 2 or 3');
    has(r, 'error', '(VI_2) vrrp_version 2 conflicts with configured or deduced version 3; ignoring.');
    assert.equal(vi(r, 'VI_2').version, 3);
    const g = load('global_defs {\n  vrrp_version 3\n}\n' + inst());
    clean(g);
    assert.equal(vi(g).version, 3);
  });

  test('no VIP: a failing warning in VRRPv2, an error that stops the checks in VRRPv3 or strict mode', () => {
    has(load(inst('', { vip: null })), 'error', '(VI_1) No VIP specified; at least one is sensible');
    has(load(inst('version 3', { vip: null })), 'error', '(VI_1) No VIP specified; at least one is required');
    has(load(inst('strict_mode', { vip: null })), 'error', '(VI_1) No VIP specified; at least one is required');
  });

  test('VIP families must match; IPv6 instances are VRRPv3', () => {
    const t = inst('', { vip: '10.0.0.1/24\n    2001:db8::1/64' });
    const r = load(t);
    has(r, 'error', '(VI_1): address family must match VRRP instance [2001:db8::1/64] - ignoring', lineOf(t, '2001:db8::1'));
    assert.equal(vi(r).virtual_ipaddress.length, 1);
    const v6 = load(inst('', { vip: 'fe80::10/64' }));
    clean(v6);
    assert.equal(vi(v6).family, 'inet6');
    assert.equal(vi(v6).version, 3);
    assert.equal(vi(v6).unicast_ttl, undefined);
  });

  test('virtual_ipaddress_excluded, virtual_routes, virtual_rules are read by the address parsers', () => {
    const r = load(inst('virtual_ipaddress_excluded {\n  10.9.9.9/24\n  fe80::1/64\n}\nvirtual_routes {\n  10.1.0.0/16 via 10.0.0.254 dev eth0\n}\nvirtual_rules {\n  from 10.0.0.1 table 100 preference 100\n}'));
    clean(r);
    assert.equal(vi(r).virtual_ipaddress_excluded.length, 2);
    assert.equal(vi(r).virtual_routes.length, 1);
    assert.equal(vi(r).virtual_rules.length, 1);
  });

  test('too many IPv6 VIPs for one advert are moved to the excluded addresses', () => {
    const vips = Array.from({ length: 94 }, (_, i) => `fe80::${(i + 1).toString(16)}/64`).join('\n    ');
    const r = load(inst('', { vip: vips }));
    has(r, 'error', '(VI_1) Number of VIPs (94) exceeds maximum/space available in packet (max 89 addresses) - excess moved to eVIPs');
    assert.equal(vi(r).virtual_ipaddress.length, 89);
    assert.equal(vi(r).virtual_ipaddress_excluded.length, 5);
  });

  test('flags and booleans', () => {
    const r = load(inst('dont_track_primary\ntrack_src_ip\nmcast_src_ip 10.0.0.5\npromote_secondaries\naccept\nskip_check_adv_addr\nlower_prio_no_advert\nhigher_prio_send_advert true\nnotify_priority_changes\nsmtp_alert no\nkernel_rx_buf_size 65536\npreempt_delay 2.5'));
    clean(r);
    const v = vi(r);
    assert.equal(v.dont_track_primary, true);
    assert.equal(v.track_src_ip, true);
    assert.equal(v.mcast_src_ip, '10.0.0.5');
    assert.equal(v.promote_secondaries, true);
    assert.equal(v.accept, true);
    assert.equal(v.skip_check_adv_addr, true);
    assert.equal(v.lower_prio_no_advert, true);
    assert.equal(v.higher_prio_send_advert, true);
    assert.equal(v.notify_priority_changes, true);
    assert.equal(v.smtp_alert, false);
    assert.equal(v.kernel_rx_buf_size, 65536);
    assert.equal(v.preempt_delay, 2.5);
  });

  test('invalid boolean words are reported with keepalived messages', () => {
    const r = load(inst('strict_mode maybe\nsmtp_alert perhaps\nlower_prio_no_advert x\nhigher_prio_send_advert y\nnotify_priority_changes z\nskip_check_adv_addr w'));
    has(r, 'error', '(VI_1) invalid strict_mode maybe specified');
    has(r, 'error', 'Invalid vrrp_instance smtp_alert parameter perhaps');
    has(r, 'error', '(VI_1) invalid lower_prio_no_advert x specified');
    has(r, 'error', '(VI_1) invalid higher_prio_send_advert y specified');
    has(r, 'error', "(VI_1) Invalid value 'z' for notify_priority_changes specified");
    has(r, 'error', '(VI_1) invalid skip_check_adv_addr w specified');
  });

  test('no_accept turns accept mode off', () => {
    const r = load(inst('no_accept'));
    clean(r);
    assert.equal(vi(r).accept, false);
  });

  test('skip_check_adv_addr false still sets the flag (keepalived 2.2.7), with a hint', () => {
    const r = load(inst('skip_check_adv_addr false'));
    clean(r);
    assert.equal(vi(r).skip_check_adv_addr, true);
    has(r, 'hint', "treats 'skip_check_adv_addr false' as true");
  });

  test('kernel_rx_buf_size, debug, preempt_delay ranges', () => {
    const r = load(inst('kernel_rx_buf_size 10 20\ndebug 9\npreempt_delay 1001'));
    has(r, 'error', '(VI_1) invalid kernel_rx_buf_size specified');
    has(r, 'error', "(VI_1) Debug value '9' not valid; must be between 0-4");
    has(r, 'error', '(VI_1) Preempt_delay not valid! must be between 0-1000');
    const ok = load(inst('debug 2'));
    clean(ok);
    assert.equal(vi(ok).debug, 2);
  });

  test('unknown keyword of later keepalived versions stays unknown', () => {
    for (const kw of ['timer_expired_backup', 'owner_ignore_adverts', 'v3_checksum_as_v2', 'no_virtual_ipaddress', 'auth_hmac']) {
      has(load(inst(kw)), 'error', `Unknown keyword '${kw}'`);
    }
  });
});

describe('vrrp_instance: interface', () => {
  test('a missing interface stops the checks with "Non-existent interface"', () => {
    const t = inst('', { iface: 'eth9' }) + inst('', { name: 'VI_2', vrid: null });
    const r = load(t);
    has(r, 'error', "WARNING - interface eth9 for vrrp_instance VI_1 doesn't exist", lineOf(t, 'interface eth9'));
    const fatal = r.diagnostics.list.filter((d) => d.message === 'Non-existent interface specified in configuration');
    assert.equal(fatal.length, 1);
    assert.equal(fatal[0]!.fatal, true);
    lacks(r, 'the virtual router id must be set');
  });

  test('dynamic_interfaces accepts a missing interface', () => {
    const r = load('global_defs {\n  dynamic_interfaces\n}\n' + inst('', { iface: 'eth9' }));
    clean(r);
    assert.equal(vi(r).interface, 'eth9');
  });

  test('loopback, too long a name and no interface at all give "Unknown interface!"', () => {
    has(load(inst('', { iface: 'lo' })), 'error', '(VI_1) cannot use a loopback interface (lo) for vrrp - ignoring');
    const r = load(inst('', { iface: 'abcdefghijklmnopq' }));
    has(r, 'error', "Interface name 'abcdefghijklmnopq' too long - ignoring");
    has(r, 'error', '(VI_1) Unknown interface!');
    // keepalived 2.2.7 needs an interface even for unicast, and default_interface does not give one.
    const u = load('global_defs {\n  default_interface eth1\n}\n' + inst('unicast_src_ip 10.0.0.2\nunicast_peer {\n  10.0.0.3\n}', { iface: null }));
    has(u, 'error', '(VI_1) Unknown interface!');
  });

  test('vrf: not with an interface; missing VRF interface', () => {
    has(load(inst('vrf eth1')), 'error', '(VI_1) Cannot specify VRF interface and interface - ignoring');
    const r = load(inst('vrf eth1', { iface: null }));
    has(r, 'error', '(VI_1) Unknown interface!');
    has(load(inst('vrf eth8', { iface: null })), 'error', "(VI_1) WARNING - VRF interface eth8 doesn't exist");
  });
});

describe('vrrp_instance: authentication', () => {
  test('PASS with an 8-character password', () => {
    const r = load(inst('authentication {\n  auth_type PASS\n  auth_pass secret\n}'));
    clean(r);
    assert.deepEqual(vi(r).authentication, { auth_type: 'PASS', auth_pass: 'secret' });
  });

  test('a longer password is truncated as keepalived does, with a hint', () => {
    const t = inst('authentication {\n  auth_type PASS\n  auth_pass 123456789\n}');
    const r = load(t);
    has(r, 'error', 'Truncating auth_pass to 8 characters', lineOf(t, 'auth_pass'));
    has(r, 'hint', "only the first 8 characters of auth_pass ('12345678')");
    assert.equal(vi(r).authentication?.auth_pass, '12345678');
  });

  test('bad type, no password, VRRPv3, strict mode, IPv6 AH', () => {
    has(load(inst('authentication {\n  auth_type FOO\n  auth_pass x\n}')), 'error', "(VI_1) unknown authentication type 'FOO'");
    const np = load(inst('authentication {\n  auth_type PASS\n}'));
    has(np, 'error', '(VI_1) Authentication specified but no password given. Ignoring');
    assert.equal(vi(np).authentication, undefined);
    has(load(inst('version 3\nauthentication {\n  auth_type PASS\n  auth_pass x\n}')), 'error', '(VI_1) VRRP version 3 does not support authentication. Ignoring.');
    has(load(inst('strict_mode\nauthentication {\n  auth_type PASS\n  auth_pass x\n}')), 'error', '(VI_1) Strict mode does not support authentication. Ignoring.');
    has(load(inst('version 2\nauthentication {\n  auth_type AH\n  auth_pass x\n}', { vip: 'fe80::1/64' })), 'error', '(VI_1) Cannot use AH authentication with IPv6. ignoring');
  });

  test('AH with initial state MASTER (not owner) starts as BACKUP', () => {
    const r = load(inst('state MASTER\npriority 100\nauthentication {\n  auth_type AH\n  auth_pass secret\n}'));
    has(r, 'error', '(VI_1) Initial state master is incompatible with AH authentication - clearing');
    assert.equal(vi(r).state, 'BACKUP');
    clean(load(inst('state MASTER\nauthentication {\n  auth_type AH\n  auth_pass secret\n}')));
  });
});

describe('vrrp_instance: preemption', () => {
  test('nopreempt with state MASTER is cleared (and hinted); with priority 255 too', () => {
    const t = inst('state MASTER\npriority 200\nnopreempt');
    const r = load(t);
    has(r, 'error', '(VI_1) Warning - nopreempt will not work with initial state MASTER - clearing', lineOf(t, 'nopreempt'));
    has(r, 'hint', 'nopreempt only works with state BACKUP');
    assert.equal(vi(r).nopreempt, false);
    has(load(inst('priority 255\nnopreempt')), 'error', '(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt');
    const ok = load(inst('state BACKUP\npriority 200\nnopreempt'));
    clean(ok);
    assert.equal(vi(ok).nopreempt, true);
  });

  test('preempt_delay: not with MASTER, nopreempt or strict mode; preempt clears nopreempt', () => {
    has(load(inst('state MASTER\npreempt_delay 5')), 'error', '(VI_1) Warning - preempt delay will not work with initial state MASTER - clearing');
    has(load(inst('nopreempt\npreempt_delay 10')), 'error', '(VI_1) preempt_delay is incompatible with nopreempt mode - resetting');
    has(load(inst('strict_mode\npreempt_delay 10')), 'error', '(VI_1) preempt_delay is incompatible with strict mode - resetting');
    const p = load(inst('nopreempt\npreempt'));
    clean(p);
    assert.equal(vi(p).nopreempt, false);
  });
});

describe('vrrp_instance: strict mode', () => {
  test('global vrrp_strict applies; accept mode is off by default', () => {
    const r = load('global_defs {\n  vrrp_strict\n}\n' + inst());
    clean(r);
    assert.equal(vi(r).strict_mode, true);
    assert.equal(vi(r).accept, false);
    assert.equal(vi(r).lower_prio_no_advert, true);
    assert.equal(vi(r).garp_lower_prio_repeat, 0);
  });

  test('what strict mode resets', () => {
    has(load(inst('strict_mode\nstate MASTER\npriority 100')), 'error', '(VI_1) State MASTER must match being address owner');
    has(load(inst('strict_mode\naccept')), 'error', '(VI_1) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting');
    clean(load(inst('strict_mode\nversion 3\naccept')));
    has(load(inst('strict_mode\ngarp_lower_prio_repeat 2')), 'error', '(VI_1) Strict mode requires no repeat garps. resetting');
    has(load(inst('strict_mode\ngarp_lower_prio_delay 2')), 'error', '(VI_1) Strict mode requires no repeat garp delay. resetting');
    has(load(inst('strict_mode\nlower_prio_no_advert false')), 'error', '(VI_1) Strict mode requires no lower priority advert. resetting');
    has(load(inst('strict_mode\nhigher_prio_send_advert')), 'error', '(VI_1) strict mode requires higher_prio_send_advert to be clear. resetting');
    has(load(inst('strict_mode\ndown_timer_adverts 5')), 'error', '(VI_1) down_timer_adverts is incompatible with strict mode - resetting');
    has(load(inst('version 2\nstrict_mode', { vip: 'fe80::10/64' })), 'error', '(VI_1) cannot use IPv6 with VRRP version 2; setting version 3');
    has(load(inst('strict_mode', { vip: '2001:db8::1/64' })), 'error', '(VI_1) the first IPv6 VIP address must be link local');
    has(load(inst('strict_mode\nuse_vmac 02:11:22:33:44:55')), 'error', '(VI_1): cannot specify MAC address with strict mode - clearing');
    has(load(inst('strict_mode\nuse_vmac\nvmac_xmit_base')), 'error', '(VI_1) xmit_base is incompatible with strict mode - resetting');
  });

  test('strict mode with unicast peers passes (keepalived 2.2.7 checks it too early)', () => {
    clean(load(inst('strict_mode\nunicast_peer {\n  10.0.0.9\n}')));
  });

  test('a non link-local first IPv6 VIP is only a hint outside strict mode', () => {
    const r = load(inst('', { vip: '2001:db8::1/64' }));
    clean(r);
    has(r, 'hint', 'the first IPv6 VIP address should be link local');
  });
});

describe('vrrp_instance: addresses and unicast', () => {
  test('unicast peers with TTL windows', () => {
    const r = load(inst('unicast_src_ip 10.0.0.2\nunicast_ttl 10\nunicast_peer {\n  10.0.0.3\n  10.0.0.4 min_ttl 10 max_ttl 20\n}'));
    clean(r);
    const v = vi(r);
    assert.equal(v.unicast_src_ip, '10.0.0.2');
    assert.equal(v.unicast_ttl, 10);
    assert.deepEqual(v.unicast_peer, [{ address: '10.0.0.3', min_ttl: 0, max_ttl: 255 }, { address: '10.0.0.4', min_ttl: 10, max_ttl: 20 }]);
    assert.equal(v.check_unicast_src, true);
  });

  test('unicast peer errors', () => {
    const t = inst('unicast_peer {\n  10.0.0.2\n  10.0.0.300\n  fe80::3\n  10.0.0.3 min_ttl 30 max_ttl 20\n  10.0.0.4 foo 5\n  10.0.0.5 min_ttl\n}');
    const r = load(t);
    has(r, 'error', 'Configuration error: VRRP instance[VI_1] malformed unicast peer address[10.0.0.300]. Skipping...', lineOf(t, '10.0.0.300'));
    has(r, 'error', 'Configuration error: VRRP instance[VI_1] and unicast peer address[fe80::3] MUST be of the same family !!! Skipping...');
    has(r, 'error', '(VI_1) min_ttl 30 > max_ttl 20 - all packets will be discarded');
    has(r, 'error', '(VI_1) unknown unicast_peer option foo');
    has(r, 'error', '(VI_1) min_ttl is missing a value');
  });

  test('unicast keywords without peers: deprecated fallback to multicast; unicast_ttl reset', () => {
    has(load(inst('unicast_src_ip 10.0.0.2')), 'warning', '(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast.');
    has(load(inst('check_unicast_src')), 'warning', 'A unicast keyword has been specified without any unicast peers');
    has(load(inst('old_unicast_checksum')), 'warning', 'A unicast keyword has been specified without any unicast peers');
    has(load(inst('unicast_ttl 10')), 'error', '(VI_1): Cannot use unicast_ttl without unicast peers - resetting');
    const f = load(inst('unicast_fault_no_peer'));
    clean(f);
    has(f, 'hint', 'Cannot use unicast without any peers');
    assert.equal(vi(f).unicast_fault_no_peer, true);
  });

  test('old_unicast_checksum modes', () => {
    const r = load(inst('old_unicast_checksum never\nunicast_peer {\n  10.0.0.3\n}'));
    clean(r);
    assert.equal(vi(r).old_unicast_checksum, 'never');
    has(load(inst('old_unicast_checksum always\nunicast_peer {\n  10.0.0.3\n}')), 'error', '(VI_1) Unknown old_unicast_chksum mode always - ignoring');
  });

  test('source and multicast addresses', () => {
    has(load(inst('mcast_src_ip 10.0.0.300')), 'error', 'Configuration error: VRRP instance[VI_1] malformed src address[10.0.0.300]. Skipping...');
    const fam = load(inst('mcast_src_ip fe80::1'));
    // The source sets the family first; the IPv4 VIP is then refused.
    has(fam, 'error', '(VI_1): address family must match VRRP instance [10.0.0.1/24] - ignoring');
    has(load(inst('mcast_dst_ip 10.1.1.1')), 'error', '(VI_1) mcast_dst_ip 10.1.1.1 not multicast. Skipping...');
    has(load(inst('mcast_dst_ip ff05::1', { vip: 'fe80::1/64' })), 'error', '(VI_1) mcast_dst_ip ff05::1 not link-local multicast. Skipping...');
    const ok = load(inst('mcast_dst_ip ff02::99', { vip: 'fe80::1/64' }));
    clean(ok);
    assert.equal(vi(ok).mcast_dst_ip, 'ff02::99');
    has(load(inst('mcast_dst_ip 224.0.0.20\nunicast_peer {\n  10.0.0.3\n}')), 'error', '(VI_1) multicast destination specified with unicast - ignoring');
  });

  test('native_ipv6 sets IPv6 and VRRPv3, not after IPv4 addresses', () => {
    const r = load(inst('native_ipv6', { vip: 'fe80::5/64' }));
    clean(r);
    assert.equal(vi(r).family, 'inet6');
    has(load(inst('mcast_src_ip 10.0.0.2\nnative_ipv6')), 'error', '(VI_1) Cannot specify native_ipv6 with IPv4 addresses');
  });
});

describe('vrrp_instance: duplicate VRIDs', () => {
  test('same VRID, family and interface', () => {
    const r = load(inst() + inst('', { name: 'VI_2', vip: '10.0.0.2/24' }) + inst('', { name: 'VI_3', vip: '10.0.0.3/24' }));
    has(r, 'error', 'VI_1 and VI_2 both use VRID 51 with IPv4 on interface eth0');
    has(r, 'error', 'VI_1 and VI_3 both use VRID 51 with IPv4 on interface eth0');
    has(r, 'error', 'VI_2 and VI_3 both use VRID 51 with IPv4 on interface eth0');
  });

  test('no conflict on another interface, family, multicast group, or not yet existing interface', () => {
    clean(load(inst() + inst('', { name: 'VI_2', iface: 'eth1', vip: '10.0.0.2/24' })));
    clean(load(inst() + inst('', { name: 'VI_2', vip: 'fe80::1/64' })));
    clean(load(inst() + inst('mcast_dst_ip 224.0.0.19', { name: 'VI_2', vip: '10.0.0.2/24' })));
    clean(load('global_defs {\n  dynamic_interfaces\n}\n' + inst('', { iface: 'eth9' }) + inst('', { name: 'VI_2', iface: 'eth9', vip: '10.0.0.2/24' })));
  });

  test('unicast: same source and a common peer', () => {
    const u = (peer: string): string => `unicast_src_ip 10.0.0.2\nunicast_peer {\n  ${peer}\n}`;
    has(load(inst(u('10.0.0.3')) + inst(u('10.0.0.3'), { name: 'VI_2', vip: '10.0.0.2/24' })), 'error', '(VI_1) duplicate VRID conflict with VI_2 VRID 51');
    clean(load(inst(u('10.0.0.3')) + inst(u('10.0.0.4'), { name: 'VI_2', vip: '10.0.0.2/24' })));
  });
});

describe('vrrp_instance: tracking', () => {
  test('track_interface with weights and reverse', () => {
    const r = load(inst('track_interface {\n  eth1\n  eth2 weight -20\n  eth3 weight 10 reverse\n}'));
    clean(r);
    assert.deepEqual(vi(r).track_interface.map(({ name, weight, reverse }) => ({ name, weight, reverse })), [
      { name: 'eth1', weight: 0, reverse: false },
      { name: 'eth2', weight: -20, reverse: false },
      { name: 'eth3', weight: 10, reverse: true },
    ]);
  });

  test('track_interface errors', () => {
    const t = inst('track_interface {\n  eth1 weight 254\n  eth1\n  eth2 wait 10\n  eth3 weight\n}');
    const r = load(t);
    has(r, 'error', '(VI_1) weight for eth1 cannot be +/-254. Setting to +/-253', lineOf(t, 'eth1 weight 254'));
    has(r, 'error', '(VI_1) duplicate track_interface eth1 - ignoring');
    has(r, 'error', '(VI_1) unknown track_interface eth2 option wait - ignoring');
    has(r, 'error', '(VI_1) weight without value specified for track_interface eth3 - ignoring');
    assert.equal(vi(r).track_interface[0]!.weight, 253);
    has(load(inst('track_interface {\n  eth0\n}')), 'error', '(VI_1) Ignoring track_interface eth0 since own interface');
    const m = load(inst('track_interface {\n  eth7\n}'));
    has(m, 'error', "(VI_1) tracked interface eth7 doesn't exist");
    has(m, 'error', 'Non-existent interface specified in configuration');
  });

  test('track_script: defined above, weights default to the script, +/-254, reverse/noreverse', () => {
    const t = SECURE + SCRIPTS + inst('track_script {\n  chk10\n  chk weight -254 noreverse\n}');
    const r = load(t);
    has(r, 'error', '(VI_1) weight for chk cannot be +/-254. Setting to +/-253');
    assert.deepEqual(vi(r).track_script.map(({ name, weight, reverse }) => ({ name, weight, reverse })), [
      { name: 'chk10', weight: 10, reverse: false },
      { name: 'chk', weight: -253, reverse: false },
    ]);
  });

  test('track_script errors: unknown (or defined below), duplicate, bad weight, bad option', () => {
    const below = load(inst('track_script {\n  chk\n}') + 'vrrp_script chk {\n  script /bin/true\n}\n');
    has(below, 'error', '(VI_1) track script chk not found, ignoring...');
    const r = load(SECURE + SCRIPTS + inst('track_script {\n  chk\n  chk weight 2\n  chk10 weight 300\n}') + inst('track_script {\n  chk weight 5 backwards\n  chk10 wait 1\n}', { name: 'VI_2', vrid: 52 }));
    has(r, 'error', '(VI_1) duplicate track_script chk - ignoring');
    has(r, 'error', '(VI_1) track script chk10: weight must be between [-253..253] inclusive, ignoring...');
    has(r, 'error', '(VI_2) unknown track_script chk weight option backwards - ignoring');
    has(r, 'error', '(VI_2) unknown track script option wait - ignoring');
    assert.equal(vi(r, 'VI_2').track_script.length, 1);
  });

  test('track_script with weight 0 gets a FAULT hint', () => {
    const r = load(SECURE + SCRIPTS + inst('track_script {\n  chk\n}'));
    clean(r);
    has(r, 'hint', 'track_script chk has weight 0: when the script fails, VI_1 goes to FAULT');
    // One hint for all the instances tracking the script.
    const many = load(SECURE + SCRIPTS + inst('track_script {\n  chk\n}') + second('track_script {\n  chk\n}'));
    assert.equal(many.diagnostics.list.filter((d) => d.message.includes('has weight 0')).length, 1);
    has(many, 'hint', 'when the script fails, VI_1 and 1 more go to FAULT');
  });

  test('a disabled vrrp_script (not found) is dropped from track_script', () => {
    const r = load('vrrp_script chk {\n  script /nonexistent/chk\n}\n' + inst('track_script {\n  chk\n}'));
    has(r, 'error', 'Disabling track script chk since not found/accessible');
    assert.equal(vi(r).track_script.length, 0);
  });

  test('track_file and track_process', () => {
    const r = load('track_file tf {\n  file /tmp/keel-vrrp-test-tf\n}\nvrrp_track_process P {\n  process foo\n  weight 5\n}\n'
      + inst('track_file {\n  tf weight 5 reverse\n}\ntrack_process {\n  P\n  Q\n}'));
    has(r, 'error', '(VI_1) track process Q not found, ignoring...');
    assert.deepEqual(vi(r).track_file.map(({ name, weight, reverse }) => ({ name, weight, reverse })), [{ name: 'tf', weight: 5, reverse: true }]);
    assert.equal(vi(r).track_process.length, 1);
    has(load(inst('track_file {\n  nosuch\n}')), 'error', '(VI_1) track file nosuch not found, ignoring...');
    const bad = load('track_file tf {\n  file /tmp/keel-vrrp-test-tf\n}\n' + inst('track_file {\n  tf weight 5 backwards\n}'));
    has(bad, 'error', '(VI_1) unknown track file tf weight option backwards - ignoring');
    assert.equal(vi(bad).track_file.length, 0);
  });

  test('a vrrp_script, track_file or vrrp_track_process removed by its own checks is not found', () => {
    const t = 'vrrp_script chk {\n  interval 2\n}\ntrack_file tf {\n  weight 3\n}\nvrrp_track_process P {\n  weight 2\n}\n'
      + inst('track_script {\n  chk\n}\ntrack_file {\n  tf\n}\ntrack_process {\n  P\n}');
    const r = load(t);
    has(r, 'error', '(VI_1) track script chk not found, ignoring...', lineOf(t, 'chk', lineOf(t, 'track_script')));
    has(r, 'error', '(VI_1) track file tf not found, ignoring...');
    has(r, 'error', '(VI_1) track process P not found, ignoring...');
    assert.equal(vi(r).track_script.length + vi(r).track_file.length + vi(r).track_process.length, 0);
  });

  test('track_bfd refers to bfd_instance blocks', () => {
    const r = load('bfd_instance B {\n  neighbor_ip 10.0.0.7\n}\n' + inst('track_bfd {\n  B weight 10\n  C\n}'));
    has(r, 'error', '(VI_1) track bfd C not found, ignoring...');
    assert.deepEqual(vi(r).track_bfd.map((t) => t.name), ['B']);
  });

  test('address owner: weights are dropped', () => {
    has(load(inst('priority 255\ntrack_interface {\n  eth1 weight 10\n}')), 'error', '(VI_1) ignoring eth1 tracked interface due to address owner');
    const s = load(SECURE + SCRIPTS + inst('priority 255\ntrack_script {\n  chk10\n}'));
    has(s, 'error', '(VI_1) ignoring tracked script chk10 with weights due to address_owner');
    assert.equal(vi(s).track_script.length, 0);
    const f = load('track_file tf {\n  file /tmp/keel-vrrp-test-tf\n}\n' + inst('priority 255\ntrack_file {\n  tf\n}'));
    has(f, 'error', '(VI_1) ignoring weight from tracked file tf due to address_owner. specify weight 0');
    assert.equal(vi(f).track_file[0]!.weight, 0);
    has(load('bfd_instance B {\n  neighbor_ip 10.0.0.7\n}\n' + inst('priority 255\ntrack_bfd {\n  B weight 10\n}')), 'error', '(VI_1) ignoring tracked bfd B with weight 10 due to address_owner');
  });
});

describe('vrrp_instance: VMAC and ipvlan', () => {
  test('use_vmac forms', () => {
    const r = load(inst('use_vmac') + inst('use_vmac vrrp52 02:11:22:33:44', { name: 'VI_2', vrid: 52, vip: '10.0.0.2/24' }));
    clean(r);
    assert.deepEqual(vi(r).use_vmac, {});
    assert.deepEqual(vi(r, 'VI_2').use_vmac, { interface: 'vrrp52', mac: '02:11:22:33:44:34' });
  });

  test('use_vmac errors', () => {
    has(load(inst('use_vmac 01:11:22:33:44:55')), 'error', 'VMAC MAC address is multicast 01:11:22:33:44:55 - ignoring');
    has(load(inst('use_vmac 00:00:5e:00:01:33')), 'error', 'VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:33) - ignoring');
    has(load(inst('use_vmac 02:11:22:33')), 'error', 'VMAC invalid MAC address 02:11:22:33 - ignored');
    has(load(inst('use_vmac 02:11:22:zz:44:55')), 'error', 'VMAC invalid MAC address 02:11:22:zz:44:55');
    has(load(inst('use_vmac vm0 vm1')), 'error', 'VMAC interface name already specified');
    has(load(inst('use_vmac a/b')), 'error', "VMAC interface name 'a/b' too long or invalid characters - ignoring");
    has(load(inst('use_vmac eth1')), 'error', '(VI_1) interface eth1 already exists and is not a private macvlan; ignoring vmac if_name');
    has(load(inst('use_vmac vm1') + inst('use_vmac vm1', { name: 'VI_2', vrid: 52, vip: '10.0.0.2/24' })), 'error', '(VI_2) VRRP instance VI_1 is already using vm1 - ignoring name');
  });

  test('VMAC and unicast, xmit_base, promote_secondaries', () => {
    const u = load(inst('use_vmac\nunicast_peer {\n  10.0.0.3\n}'));
    has(u, 'error', '(VI_1) unicast with use_vmac requires vmac_xmit_base - setting');
    assert.equal(vi(u).vmac_xmit_base, true);
    has(load(inst('vmac_xmit_base')), 'error', '(VI_1) vmac_xmit_base is only valid with a vmac');
    has(load(inst('use_vmac\npromote_secondaries')), 'error', '(VI_1) promote_secondaries is automatically set for vmacs - ignoring');
    clean(load(inst('use_vmac\nuse_vmac_addr\nvmac_xmit_base')));
  });

  test('VMAC with unicast needs an interface', () => {
    const r = load(inst('use_vmac\nunicast_peer {\n  10.0.0.3\n}', { iface: null }));
    has(r, 'error', '(VI_1): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac');
    assert.equal(vi(r).use_vmac, undefined);
  });

  test('use_vmac on a VIP of a VMAC instance', () => {
    has(load(inst('use_vmac', { vip: '10.0.0.1/24 use_vmac' })), 'error', '(VI_1) use_vmac specified for VIP/eVIP 10.0.0.1/24 and vrrp instance');
  });

  test('use_ipvlan', () => {
    const r = load(inst('use_ipvlan ipv1 10.0.0.9/24 private'));
    clean(r);
    assert.deepEqual(vi(r).use_ipvlan, { mode: 'private', interface: 'ipv1', address: '10.0.0.9/24' });
    has(load(inst('use_ipvlan')), 'error', '(VI_1) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state');
    has(load(inst('use_ipvlan 10.0.0.9/24\nuse_ipvlan')), 'error', '(VI_1) use_ipvlan already specified');
    has(load(inst('use_ipvlan 10.0.0.9 bridge vepa')), 'error', "(VI_1) ipvlan type already specified - ignoring 'vepa'");
  });
});

describe('vrrp_instance: gratuitous ARP settings', () => {
  test('per-instance values', () => {
    const r = load(inst('garp_master_delay 10\ngarp_master_repeat 3\ngarp_master_refresh 60\ngarp_master_refresh_repeat 2\ngarp_lower_prio_delay 3\ngarp_lower_prio_repeat 1\ndown_timer_adverts 4\ngarp_extra_if all 30'));
    clean(r);
    const v = vi(r);
    assert.deepEqual(
      [v.garp_master_delay, v.garp_master_repeat, v.garp_master_refresh, v.garp_master_refresh_repeat, v.garp_lower_prio_delay, v.garp_lower_prio_repeat, v.down_timer_adverts],
      [10, 3, 60, 2, 3, 1, 4],
    );
    assert.deepEqual(v.garp_extra_if, { delay: 30, all: true });
  });

  test('global_defs defaults apply; lower_prio defaults follow the master values', () => {
    const r = load('global_defs {\n  vrrp_garp_master_delay 2\n  vrrp_garp_master_repeat 3\n  vrrp_garp_master_refresh 30\n}\n' + inst());
    clean(r);
    const v = vi(r);
    assert.equal(v.garp_master_delay, 2);
    assert.equal(v.garp_master_repeat, 3);
    assert.equal(v.garp_master_refresh, 30);
    assert.equal(v.garp_lower_prio_delay, 2);
    assert.equal(v.garp_lower_prio_repeat, 3);
  });

  test('errors and deprecations', () => {
    const r = load(inst('garp_master_repeat 0\ngarp_master_delay -1\ngarp_master_refresh x\ndown_timer_adverts 0\ngarp_extra_if all'));
    has(r, 'error', '(VI_1): garp_master_repeat must be greater than 0, setting to 1');
    has(r, 'error', "negative number '-1'");
    has(r, 'error', "(VI_1): garp_master_delay '-1' invalid - ignoring");
    has(r, 'error', "(VI_1): Invalid garp_master_refresh 'x' - ignoring");
    has(r, 'error', "(VI_1): Invalid down_timer_adverts [1:100] '0'");
    has(r, 'error', '(VI_1): garp_extra_if specified without time - ignoring');
    assert.equal(vi(r).garp_master_repeat, 1);
    const d = load(inst('vmac_garp_intvl 30'));
    has(d, 'warning', 'Keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"');
    assert.equal(vi(d).garp_extra_if.delay, 30);
  });
});

describe('vrrp_instance: notify scripts and deprecated keywords', () => {
  test('notify scripts with user and group', () => {
    const r = load(SECURE + inst('notify_master "/bin/true master" root root\nnotify_backup /bin/true\nnotify_fault /bin/true\nnotify_stop /bin/true\nnotify /bin/true\nnotify_deleted /bin/true\nnotify_master_rx_lower_pri /bin/true'));
    clean(r);
    const v = vi(r);
    assert.deepEqual(v.notify_master?.argv, ['/bin/true', 'master']);
    assert.equal(v.notify_master?.user, 'root');
    for (const k of ['notify_backup', 'notify_fault', 'notify_stop', 'notify', 'notify_master_rx_lower_pri', 'notify_deleted_script'] as const) {
      assert.ok(v[k], `${k} set`);
    }
    assert.equal(v.notify_deleted, true);
  });

  test('a second notify script is ignored', () => {
    const r = load(SECURE + inst('notify_master /bin/true\nnotify_master /bin/false\nnotify_deleted\nnotify_deleted /bin/true'));
    has(r, 'error', '(VI_1) notify_master script already specified - ignoring /bin/false');
    has(r, 'error', '(VI_1) notify_deleted already specified - ignoring /bin/true');
    has(load(SECURE + inst('notify_master')), 'error', "Configuration line starting 'notify_master' is missing a parameter");
  });

  test('an empty notify script (an unset template variable) is dropped without failing -t', () => {
    const r = load(SECURE + inst('notify_master ""\nnotify_backup "/bin/true backup"'));
    clean(r);
    has(r, 'hint', "Unable to parse script '' - ignoring");
    assert.equal(vi(r).notify_master, undefined);
    assert.deepEqual(vi(r).notify_backup?.argv, ['/bin/true', 'backup']);
    // A quote left open inside the script is keepalived's config error.
    has(load(SECURE + inst('notify_master "/bin/true \\"abc"')), 'error', `String '/bin/true "abc': missing terminating "`);
  });

  test('scripts without enable_script_security are a security violation', () => {
    has(load(inst('notify_master /bin/true')), 'security', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
    // A script that does not exist is not run, so it is no violation.
    clean(load(inst('notify_master /nonexistent/script')));
  });

  test('smtp_alert and notify_priority_changes defaults', () => {
    const r = load('global_defs {\n  smtp_alert\n  vrrp_notify_priority_changes\n}\n' + inst());
    assert.equal(vi(r).smtp_alert, true);
    assert.equal(vi(r).notify_priority_changes, true);
  });

  test('deprecated lvs_sync_daemon_interface and linkbeat_use_polling', () => {
    const r = load(inst('lvs_sync_daemon_interface eth0\nlinkbeat_use_polling'));
    has(r, 'error', '(VI_1) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.');
    has(r, 'error', "(VI_1) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block");
    assert.equal(vi(r).lvs_sync_daemon_interface, 'eth0');
    has(load(inst('lvs_sync_daemon_interface eth0') + inst('lvs_sync_daemon_interface eth1', { name: 'VI_2', vrid: 52 })), 'error', '(VI_2) lvs_sync_daemon_interface has already been specified as eth0 - ignoring');
  });
});

describe('vrrp_sync_group', () => {
  test('a group of two instances with its settings', () => {
    const r = load(SECURE + group('  notify_master /bin/true\n  notify_backup /bin/true\n  notify_fault /bin/true\n  notify_stop /bin/true\n  notify /bin/true\n  smtp_alert\n  notify_priority_changes\n  sync_group_tracking_weight\n  track_interface {\n    eth2\n  }\n') + inst() + second());
    clean(r);
    const g = sg(r)!;
    assert.deepEqual(g.group, ['VI_1', 'VI_2']);
    assert.equal(g.smtp_alert, true);
    assert.equal(g.sync_group_tracking_weight, true);
    assert.equal(g.notify_priority_changes, true);
    assert.ok(g.notify_master && g.notify_backup && g.notify_fault && g.notify_stop && g.notify);
    assert.deepEqual(g.track_interface?.map((t) => t.name), ['eth2']);
    // Members take the group's notify_priority_changes.
    assert.equal(vi(r).notify_priority_changes, true);
  });

  test('members that do not exist, one member, no members, two groups', () => {
    const r = load(group('', 'VI_1 VI_9') + inst() + second());
    has(r, 'error', "Virtual router VI_9 specified in sync group G doesn't exist - ignoring");
    has(r, 'error', "Sync group G has only 1 virtual router(s) - this probably isn't what you want");
    const two = load(group() + 'vrrp_sync_group H {\n  group {\n    VI_1 VI_2\n  }\n}\n' + inst() + second());
    has(two, 'error', 'Virtual router VI_1 cannot exist in more than one sync group; ignoring H');
    has(two, 'error', 'Sync group H, no matching virtual router found in group declaration - removing');
    assert.equal(sg(two, 'H'), undefined);
    const empty = load('vrrp_sync_group G {\n  group {\n  }\n}\n' + inst());
    has(empty, 'error', 'Warning - sync group G has empty group block');
    has(empty, 'error', 'Sync group G has no virtual router(s). removing');
    has(load('vrrp_sync_group G {\n  smtp_alert\n}\n' + inst()), 'error', 'Sync group G has no virtual router(s). removing');
    has(load('vrrp_sync_group G {\n  group {\n    VI_1 VI_2\n  }\n  group {\n    VI_1\n  }\n}\n' + inst() + second()), 'error', 'Group list already specified for sync group G');
  });

  test('address owners and non-owners mixed', () => {
    const r = load(group() + inst('state MASTER\npriority 255') + second('state BACKUP'));
    has(r, 'error', "Sync group G has some member(s) as address owner and some not as address owner. This won't work.");
  });

  test('member weights are dropped unless sync_group_tracking_weight', () => {
    const t = group() + inst('track_interface {\n  eth1 weight 10\n}') + second();
    const r = load(t);
    has(r, 'error', '(VI_1) ignoring eth1 tracked interface weight due to SYNC group', lineOf(t, 'eth1 weight 10'));
    assert.equal(vi(r).track_interface[0]!.weight, 0);
    clean(load(group('  sync_group_tracking_weight\n') + inst('track_interface {\n  eth1 weight 10\n}') + second()));
    const f = load('track_file tf {\n  file /tmp/keel-vrrp-test-tf\n}\n' + group() + inst('track_file {\n  tf weight 5\n}') + second());
    has(f, 'error', '(VI_1) ignoring tracked file tf with weight 5 due to SYNC group');
  });

  test('group tracking with an address owner member loses its weight', () => {
    const r = load(SECURE + SCRIPTS + group('  track_script {\n    chk10\n  }\n  track_interface {\n    eth2 weight 10\n  }\n') + inst('priority 255') + second());
    has(r, 'error', "(G) Cannot have weighted track script 'chk10' with member having priority 255 - clearing weight");
    has(r, 'error', "(G) Cannot have weighted track interface 'eth2' with member having priority 255 - clearing weight");
  });

  test('group keyword errors and deprecations', () => {
    const r = load(SECURE + group('  smtp_alert maybe\n  notify_priority_changes x\n  global_tracking\n  notify_master /bin/true\n  notify_master /bin/false\n  track_script {\n    nosuch\n  }\n') + inst() + second());
    has(r, 'error', 'Invalid vrrp_group smtp_alert parameter maybe');
    has(r, 'error', "(G) Invalid value 'x' for sync group notify_priority_changes specified");
    has(r, 'error', '(G) global_tracking is deprecated. Use track_interface/script/file on the sync group');
    has(r, 'error', 'vrrp group G: notify_master script already specified - ignoring /bin/false');
    has(r, 'error', '(G) track script nosuch not found, ignoring...');
    assert.equal(sg(r)!.sync_group_tracking_weight, true);
  });

  test('track_file, track_process, track_bfd in a group', () => {
    const r = load('track_file tf {\n  file /tmp/keel-vrrp-test-tf\n}\nvrrp_track_process P {\n  process foo\n}\nbfd_instance B {\n  neighbor_ip 10.0.0.7\n}\n'
      + group('  track_file {\n    tf weight 0\n  }\n  track_process {\n    P\n  }\n  track_bfd {\n    B\n  }\n') + inst() + second());
    clean(r);
    const g = sg(r)!;
    assert.equal(g.track_file?.length, 1);
    assert.equal(g.track_process?.length, 1);
    assert.equal(g.track_bfd?.length, 1);
  });

  test('mixed VRRP versions in a group get a hint', () => {
    const r = load(group() + inst() + inst('', { name: 'VI_2', vrid: 52, vip: 'fe80::2/64' }));
    clean(r);
    has(r, 'hint', 'Sync group G mixes VRRP versions (VI_1 v2, VI_2 v3)');
  });
});

describe('vrrp: order of keepalived checks and scale', () => {
  test('the first instance missing its VRID stops the other checks', () => {
    const r = load(inst('', { vrid: null }) + inst('', { name: 'VI_2', vip: null }));
    has(r, 'error', '(VI_1) the virtual router id must be set');
    lacks(r, 'No VIP specified');
  });

  test('1,000 instances build quickly', () => {
    let t = '';
    for (let i = 0; i < 1000; i++) {
      t += inst(`priority ${1 + (i % 250)}\ntrack_interface {\n  eth1 weight 5\n}`, { name: `VI_${i}`, iface: `eth${i % 4}`, vrid: 1 + (i % 250), vip: `10.${i >> 8}.${i & 255}.1/24` });
    }
    const start = process.hrtime.bigint();
    const r = load(t);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(r.config.vrrp_instances.length, 1000);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });
});

describe('vrrp_instance: interface properties (sysfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-vrrp-sysfs-'));
  const iface = (name: string, files: Record<string, string>): void => {
    mkdirSync(join(dir, name), { recursive: true });
    for (const [f, v] of Object.entries(files)) {
      if (f.startsWith('lower_')) mkdirSync(join(dir, name, f));
      else writeFileSync(join(dir, name, f), `${v}\n`);
    }
  };
  iface('eth1', { flags: '0x3', type: '1', mtu: '1500' });
  iface('eth2', { flags: '0x1003', type: '512', mtu: '1500' });
  iface('eth3', { flags: '0x1003', type: '1', mtu: '9000', lower_eth0: '' });
  const withSysfs = <T>(fn: () => T): T => {
    const old = vrrpSysfs.netDir;
    vrrpSysfs.netDir = dir;
    try {
      return fn();
    } finally {
      vrrpSysfs.netDir = old;
    }
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an interface without multicast needs unicast peers', () => {
    has(withSysfs(() => load(inst('', { iface: 'eth1' }))), 'error', '(VI_1) interface eth1 does not support multicast, specify unicast peers - disabling');
    clean(withSysfs(() => load(inst('unicast_peer {\n  10.0.0.3\n}', { iface: 'eth1' }))));
  });

  test('VMACs need an Ethernet interface', () => {
    has(withSysfs(() => load(inst('use_vmac', { iface: 'eth2' }))), 'error', '(VI_1): vmacs are only supported on Ethernet type interfaces');
  });

  test('the MTU limits the VIPs of an advert', () => {
    const vips = Array.from({ length: 94 }, (_, i) => `fe80::${(i + 1).toString(16)}/64`).join('\n    ');
    const r = withSysfs(() => load(inst('', { iface: 'eth3', vip: vips })));
    clean(r);
    assert.equal(vi(r).virtual_ipaddress.length, 94);
  });

  test('an existing macvlan can be named in use_vmac', () => {
    const r = withSysfs(() => load(inst('use_vmac eth3')));
    clean(r);
    assert.equal(vi(r).use_vmac?.interface, 'eth3');
  });
});
