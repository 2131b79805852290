// virtual_server, real_server, sorry_server and virtual_server_group, read as keepalived 2.2.7
// reads them, and the checks it makes once the file is read (messages and decisions checked
// against `keepalived -t`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig, loadConfigText, emptyConfig, type LoadResult } from '../../../src/config/build.js';
import { Args } from '../../../src/config/args.js';
import { Diagnostics, exitCodeFor } from '../../../src/config/diagnostics.js';
import { parseText } from '../../../src/config/parse.js';
import type { BuildContext } from '../../../src/config/schema.js';
import { parseVirtualServerHeader, readVirtualServerGroup, type VirtualServer } from '../../../src/config/blocks/lvs.js';
import { expectClean, expectDiag, failing } from '../../helpers/config.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
const load = (text: string): LoadResult => loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });

/** A virtual server (line 1) with protocol/lvs_sched/lvs_method (lines 2-4), `body` from line 5, then `rs`. */
function vs(body = '', rs = rsb(), head = '10.0.0.1 80', std = true): string {
  const lines = [`virtual_server ${head} {`];
  if (std) lines.push(' protocol TCP', ' lvs_sched rr', ' lvs_method NAT');
  if (body) lines.push(...body.split('\n').map((l) => ` ${l}`));
  if (rs) lines.push(...rs.split('\n').map((l) => ` ${l}`));
  lines.push('}');
  return lines.join('\n') + '\n';
}

function rsb(head = '10.0.1.1 80', body = ''): string {
  return [`real_server ${head} {`, ...(body ? body.split('\n').map((l) => ` ${l}`) : []), '}'].join('\n');
}


const only = (r: LoadResult): VirtualServer => {
  assert.equal(r.config.virtual_servers.length, 1, failing(r).join('\n'));
  return r.config.virtual_servers[0]!;
};

function ctxFor(): BuildContext {
  return { diags: new Diagnostics(), config: emptyConfig(), noticed: new Set(), interfaceExists: (n) => IFS.includes(n), scratch: {} };
}

/** The first statement of `text`, as the root block hands it to a handler. */
function firstStmt(text: string, ctx: BuildContext): Args {
  const p = parseText(text, ctx.diags, {}, 'k.conf');
  return new Args(p.tree[0]!, ctx.diags);
}

// ---------------------------------------------------------------------------------------------
// The virtual_server line.

test('virtual_server header: address and port, fwmark, group; addresses are canonical', () => {
  const ctx = ctxFor();
  const a = parseVirtualServerHeader(firstStmt('virtual_server 2001:0db8:0:0::0001 443 {\n}\n', ctx), ctx)!;
  assert.deepEqual([a.ip, a.port, a.ip_family], ['2001:db8::1', 443, 'inet6']);
  const f = parseVirtualServerHeader(firstStmt('virtual_server fwmark 7 {\n}\n', ctx), ctx)!;
  assert.equal(f.fwmark, 7);
  const g = parseVirtualServerHeader(firstStmt('virtual_server group G {\n}\n', ctx), ctx)!;
  assert.equal(g.group, 'G');
  const z = parseVirtualServerHeader(firstStmt('virtual_server 10.0.0.1 000 {\n}\n', ctx), ctx)!;
  assert.equal(z.port, 0);
  assert.deepEqual(ctx.diags.list, []);
});

test('virtual_server header: a bad address, port or fwmark rejects the service and skips its block', () => {
  let r = load(vs('lvs_sched foo', rsb(), '10.0.0.300 80'));
  expectDiag(r, 'error', 'Invalid virtual server IP address/port 10.0.0.300/80 - skipping', 1);
  assert.equal(r.diagnostics.list.some((d) => d.message.includes('lvs_scheduler')), false, 'the block is not read');
  assert.equal(r.config.virtual_servers.length, 0);
  r = load(vs('', rsb(), '10.0.0.1 70000'));
  expectDiag(r, 'error', 'Invalid virtual server IP address/port 10.0.0.1/70000 - skipping', 1);
  r = load(vs('', rsb(), 'fwmark 4294967296'));
  expectDiag(r, 'error', "virtual server fwmark '4294967296' must be in [0, 4294967295] - ignoring", 1);
  r = load(vs('', rsb(), '010.0.0.1 80'));
  expectDiag(r, 'error', 'Invalid virtual server IP address/port 010.0.0.1/80 - skipping', 1);
});

test('like keepalived, anything after - or / in an address is ignored', () => {
  const r = load(vs('', rsb('10.0.1.1/24 80'), '10.0.0.1-5 80'));
  expectClean(r);
  const v = only(r);
  assert.equal(v.ip, '10.0.0.1');
  assert.equal(v.real_servers[0]!.ip, '10.0.1.1');
});

// ---------------------------------------------------------------------------------------------
// virtual_server keywords.

test('a minimal service: keepalived defaults', () => {
  const r = load(vs());
  expectClean(r);
  const v = only(r);
  assert.equal(v.protocol, 'TCP');
  assert.equal(v.lvs_sched, 'rr');
  assert.equal(v.lvs_method, 'NAT');
  assert.equal(v.delay_loop, 60);
  assert.equal(v.connect_timeout, 5);
  assert.equal(v.quorum, 1);
  assert.equal(v.hysteresis, 0);
  assert.equal(v.weight, 1);
  assert.equal(v.persistence_timeout, undefined);
  assert.equal(v.smtp_alert, false);
  assert.equal(v.ip_family, 'inet');
  const rs = v.real_servers[0]!;
  assert.deepEqual([rs.ip, rs.port, rs.weight, rs.lvs_method, rs.smtp_alert], ['10.0.1.1', 80, 1, 'NAT', true]);
});

test('protocol, scheduler and forwarding method missing: keepalived reports and defaults them', () => {
  const r = load(vs('', rsb(), '10.0.0.1 80', false));
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:none:80: no protocol set - defaulting to UDP', 1);
  expectDiag(r, 'error', "Virtual server [10.0.0.1]:udp:80: no scheduler set, setting default 'wlc'", 1);
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:udp:80: no forwarding method set, setting default NAT', 1);
  const v = only(r);
  assert.deepEqual([v.protocol, v.lvs_sched, v.lvs_method], ['UDP', 'wlc', 'NAT']);
});

test('lb_algo and lb_kind are the old names of lvs_sched and lvs_method', () => {
  const r = load(vs('protocol tcp\nlb_algo wrr\nlb_kind DR', rsb(), '10.0.0.1 80', false));
  expectClean(r);
  const v = only(r);
  assert.deepEqual([v.protocol, v.lvs_sched, v.lvs_method], ['TCP', 'wrr', 'DR']);
  assert.equal(v.real_servers[0]!.lvs_method, 'DR');
});

test('every scheduler keepalived knows; others are rejected', () => {
  for (const s of ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'sh', 'mh', 'dh', 'fo', 'ovf', 'lblcr', 'sed', 'nq', 'twos']) {
    const r = load(vs(`lvs_sched ${s}`));
    expectClean(r);
    assert.equal(only(r).lvs_sched, s);
  }
  expectDiag(load(vs('lvs_sched foo')), 'error', "Invalid lvs_scheduler 'foo' - ignoring", 5);
});

test('scheduler flags: ops, flag-1/2/3, and sh-/mh- flags only after that scheduler', () => {
  let r = load(vs('lvs_sched sh\nsh-port\nsh-fallback\nflag-1\nflag-2\nflag-3'));
  expectClean(r);
  let v = only(r);
  assert.deepEqual([v['sh-port'], v['sh-fallback'], v['flag-1'], v['flag-2'], v['flag-3']], [true, true, true, true, true]);
  r = load(vs('lvs_sched mh\nmh-port\nmh-fallback'));
  expectClean(r);
  v = only(r);
  assert.deepEqual([v['mh-port'], v['mh-fallback']], [true, true]);
  expectDiag(load(vs('sh-port')), 'error', 'sh-port only applies to sh scheduler - ignoring', 5);
  expectDiag(load(vs('mh-fallback')), 'error', 'mh-fallback only applies to sh scheduler - ignoring', 5);
  // With sh chosen, an mh flag is silently ignored, as keepalived does.
  r = load(vs('lvs_sched sh\nmh-port'));
  expectClean(r);
  assert.equal(only(r)['mh-port'], false);
  expectDiag(load(vs('hashed')), 'error', 'hashed only applies to sh scheduler - ignoring', 5);
  expectClean(load(vs('lvs_sched sh\nhashed')));
});

test('ops needs UDP on an address service, and is kept for fwmark services', () => {
  const r = load(vs('ops'));
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:tcp:80: one packet scheduling requires UDP - resetting', 1);
  assert.equal(only(r).ops, false);
  const u = load(vs('protocol UDP\nlvs_sched rr\nlvs_method NAT\nops', rsb(), '10.0.0.1 53', false));
  expectClean(u);
  assert.equal(only(u).ops, true);
  const f = load(vs('lvs_sched rr\nlvs_method DR\nops', rsb('10.0.1.1'), 'fwmark 5', false));
  expectClean(f);
  assert.equal(only(f).ops, true);
});

test('lvs_method with tunnel options, and its errors', () => {
  let v = only(load(vs('lvs_method TUN type gue port 6080 csum')));
  assert.deepEqual([v.lvs_method, v.tunnel_type, v.tunnel_port, v.tunnel_csum], ['TUN', 'gue', 6080, 'csum']);
  assert.equal(v.real_servers[0]!.tunnel_type, 'gue', 'real servers take the service\'s tunnel');
  v = only(load(vs('lvs_method TUN type gre csum')));
  assert.deepEqual([v.tunnel_type, v.tunnel_csum], ['gre', 'csum']);
  v = only(load(vs('lvs_method TUN')));
  assert.deepEqual([v.tunnel_type, v.tunnel_port, v.tunnel_csum], ['ipip', undefined, undefined]);
  const cases: [string, string][] = [
    ['lvs_method TUN type gue', 'gue tunnels require port, otherwise cannot have port.'],
    ['lvs_method TUN port 5', 'gue tunnels require port, otherwise cannot have port.'],
    ['lvs_method TUN csum', 'ipip tunnels do not support checksum option.'],
    ['lvs_method TUN type gre remcsum', 'gre tunnels do not support remote checksum option.'],
    ['lvs_method TUN type vxlan', 'Unknown tunnel type vxlan for virtual server.'],
    ['lvs_method TUN type', 'Missing tunnel type for virtual server.'],
    ['lvs_method TUN type gue port', 'Missing port for virtual server gue tunnel.'],
    ['lvs_method TUN type gue port 70000', 'Invalid gue tunnel port 70000 for virtual server.'],
    ['lvs_method TUN foo', 'Invalid tunnel option foo for virtual server.'],
    ['lvs_method FOO', 'PARSER : unknown [FOO] routing method for virtual server.'],
  ];
  for (const [body, msg] of cases) expectDiag(load(vs(body)), 'error', msg, 5);
});

test('persistence: timeout (360 without a value), granularity, engine', () => {
  assert.equal(only(load(vs('persistence_timeout'))).persistence_timeout, 360);
  assert.equal(only(load(vs('persistence_timeout 600'))).persistence_timeout, 600);
  expectDiag(load(vs('persistence_timeout 0')), 'error', 'persistence_timeout invalid', 5);
  expectDiag(load(vs('persistence_timeout 2678401')), 'error', 'persistence_timeout invalid', 5);
  let v = only(load(vs('persistence_granularity 255.255.255.0')));
  assert.deepEqual([v.persistence_granularity, v.persistence_timeout], ['255.255.255.0', 360]);
  v = only(load(vs('persistence_granularity 0xffffff00')));
  assert.equal(v.persistence_granularity, '255.255.255.0', 'inet_aton forms, as getaddrinfo accepts them');
  expectDiag(load(vs('persistence_granularity 255.255.255.256')), 'error', 'Invalid IPv4 persistence_granularity specified - 255.255.255.256', 5);
  v = only(load(vs('persistence_granularity 64', rsb('2001:db8::2 80'), '2001:db8::1 80')));
  assert.equal(v.persistence_granularity, 64);
  expectDiag(load(vs('persistence_granularity 129', rsb('2001:db8::2 80'), '2001:db8::1 80')), 'error', 'Invalid IPv6 persistence_granularity specified - 129', 5);
  assert.equal(only(load(vs('persistence_engine sip'))).persistence_engine, 'sip');
  const r = load(vs('persistence_engine abcdefghijklmnopq'));
  expectDiag(r, 'error', 'persistence_name too long, truncating - abcdefghijklmnopq', 5);
  assert.equal(only(r).persistence_engine, 'abcdefghijklmnop');
});

test('persistence_granularity on a fwmark service chooses its family (a trap keepalived has too)', () => {
  const r = load(vs('lvs_sched rr\nlvs_method NAT\npersistence_granularity 24', rsb('10.0.1.1'), 'fwmark 3', false));
  expectDiag(r, 'error', "Address family of virtual server and real server 10.0.1.1 don't match - skipping real server.");
  expectDiag(r, 'error', 'Virtual server FWM 3 has no real servers - ignoring', 1);
});

test('protocol is case-insensitive; unknown ones are rejected', () => {
  assert.equal(only(load(vs('protocol sctp'))).protocol, 'SCTP');
  expectDiag(load(vs('protocol ICMP')), 'error', 'Unknown protocol ICMP - ignoring', 5);
});

test('flags without values: ha_suspend, alpha, omega, inhibit_on_failure ignore any argument', () => {
  const r = load(vs('ha_suspend yes\nalpha no\nomega\ninhibit_on_failure no'));
  expectClean(r);
  const v = only(r);
  assert.deepEqual([v.ha_suspend, v.alpha, v.omega, v.inhibit_on_failure], [true, true, true, true]);
  assert.equal(v.real_servers[0]!.alpha, true, 'inherited by the real server');
  assert.equal(v.real_servers[0]!.inhibit_on_failure, true);
});

test('smtp_alert, virtualhost, snmp_name at the service', () => {
  let v = only(load(vs('smtp_alert\nvirtualhost www.example.com\nsnmp_name web')));
  assert.deepEqual([v.smtp_alert, v.virtualhost, v.snmp_name], [true, 'www.example.com', 'web']);
  v = only(load(vs('smtp_alert no')));
  assert.equal(v.smtp_alert, false);
  expectDiag(load(vs('smtp_alert maybe')), 'error', 'Invalid virtual_server smtp_alert parameter maybe', 5);
  expectDiag(load(vs('virtualhost')), 'error', 'virtual server virtualhost missing', 5);
  expectDiag(load(vs('snmp_name a b')), 'error', 'virtual server snmp_name missing or extra parameters', 5);
  const r = load(vs('snmp_name web'));
  expectDiag(r, 'notice', "'snmp_name' accepted, not yet acted on");
});

test('smtp_alert defaults follow global_defs smtp_alert_checker / smtp_alert', () => {
  const r = load('global_defs {\n smtp_alert_checker false\n}\n' + vs());
  const v = only(r);
  assert.equal(v.smtp_alert, false);
  assert.equal(v.real_servers[0]!.smtp_alert, false);
  const t = only(load('global_defs {\n smtp_alert true\n}\n' + vs()));
  assert.equal(t.smtp_alert, true);
});

test('timers and retry at the service are the defaults of its real servers and checkers', () => {
  const r = load(vs('retry 3\ndelay_before_retry 2\nwarmup 5\nconnect_timeout 3\ndelay_loop 10', rsb('10.0.1.1 80', 'TCP_CHECK {\n}')));
  expectClean(r);
  const v = only(r);
  assert.deepEqual([v.retry, v.delay_before_retry, v.warmup, v.connect_timeout, v.delay_loop], [3, 2, 5, 3, 10]);
  const rs = v.real_servers[0]!;
  assert.deepEqual([rs.retry, rs.delay_before_retry, rs.warmup, rs.connect_timeout, rs.delay_loop], [3, 2, 5, 3, 10]);
  const c = rs.checkers[0]!;
  assert.ok(c.type === 'TCP_CHECK');
  assert.deepEqual([c.retry, c.delay_before_retry, c.warmup, c.connect_timeout, c.delay_loop], [3, 2, 5, 3, 10]);
  expectDiag(load(vs('retry 0')), 'error', 'retry value invalid - 0', 5);
  expectDiag(load(vs('delay_loop 0')), 'error', "virtual server delay loop '0' invalid - ignoring", 5);
  expectDiag(load(vs('connect_timeout 0')), 'error', 'virtual server connect_timeout 0 invalid - ignoring', 5);
  expectDiag(load(vs('connect_timeout 5000')), 'error', 'virtual server connect_timeout 5000 invalid - ignoring', 5);
  expectDiag(load(vs('warmup -1')), 'error', "virtual server warmup '-1' invalid - ignoring", 5);
  expectDiag(load(vs('delay_before_retry x')), 'error', "virtual server delay before retry 'x' invalid - ignoring", 5);
  assert.equal(only(load(vs('delay_loop 1.5'))).delay_loop, 1.5);
  expectDiag(load(vs('delay_loop 1.1234567')), 'error', 'too many decimal places', 5);
});

test('ip_family: sets a fwmark service\'s family; conflicts and unknown families are errors', () => {
  const r = load(vs('lvs_sched rr\nlvs_method DR\nip_family inet6', rsb('2001:db8::5'), 'fwmark 1', false));
  expectClean(r);
  assert.equal(only(r).ip_family, 'inet6');
  expectDiag(load(vs('ip_family inet6')), 'error', 'Virtual server specified family inet6 conflicts with server family', 5);
  expectDiag(load(vs('ip_family ipx')), 'error', 'unknown address family ipx', 5);
});

test('quorum, hysteresis and the service weight', () => {
  let r = load(vs('quorum 1\nhysteresis 0\nweight 5'));
  expectClean(r);
  let v = only(r);
  assert.equal(v.weight, 5);
  assert.equal(v.real_servers[0]!.weight, 5, 'real servers take the service weight');
  r = load(vs('quorum 5'));
  expectDiag(r, 'error', 'Warning - quorum 5 for [10.0.0.1]:tcp:80 exceeds total weight of real servers 1, reducing quorum to 1', 1);
  assert.equal(only(r).quorum, 1);
  r = load(vs('quorum 0'));
  expectDiag(r, 'error', 'Quorum 0 must be in [1, 4294967295]. Setting to 1.', 5);
  r = load(vs('hysteresis 1'));
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:tcp:80: hysteresis 1 >= quorum 1; setting hysteresis to 0', 1);
  assert.equal(only(r).hysteresis, 0);
  expectDiag(load(vs('hysteresis -1')), 'error', 'Hysteresis -1 must be in [0, 4294967295] - ignoring', 5);
  expectDiag(load(vs('weight 0')), 'error', 'Virtual server weight 0 is outside range 1-2147483647', 5);
  // All weights 0: the quorum drops to 0 and keepalived's unsigned hysteresis wraps.
  r = load(vs('', rsb('10.0.1.1 80', 'weight 0')));
  expectDiag(r, 'error', 'reducing quorum to 0');
  expectDiag(r, 'error', 'hysteresis 0 >= quorum 0; setting hysteresis to 4294967295');
  v = only(r);
  assert.deepEqual([v.quorum, v.hysteresis], [0, 4294967295]);
});

test('quorum_up / quorum_down scripts, once each', () => {
  const v = only(load(vs('quorum_up "/bin/echo up"\nquorum_down /bin/echo')));
  assert.deepEqual(v.quorum_up?.argv, ['/bin/echo', 'up']);
  assert.deepEqual(v.quorum_down?.argv, ['/bin/echo']);
  expectDiag(load(vs('quorum_up /bin/echo\nquorum_up /bin/true')), 'error', 'quorum_up script already specified - ignoring /bin/true', 6);
});

test('check scripts without enable_script_security are a security violation (exit 6)', () => {
  const r = load(vs('quorum_up /bin/echo'));
  expectDiag(r, 'security', 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.');
  assert.equal(exitCodeFor(r.diagnostics.list), 6);
});

test('sorry_server with sorry_server_inhibit and sorry_server_lvs_method', () => {
  let r = load(vs('sorry_server 10.0.2.1 80\nsorry_server_inhibit\nsorry_server_lvs_method NAT'));
  expectClean(r);
  assert.deepEqual(only(r).sorry_server, { ip: '10.0.2.1', port: 80, inhibit: true, lvs_method: 'NAT' });
  expectDiag(load(vs('sorry_server_inhibit')), 'error', 'Ignoring sorry_server inhibit used before or without sorry_server', 5);
  expectDiag(load(vs('sorry_server_lvs_method DR')), 'error', 'sorry_server forwarding used without sorry_server', 5);
  expectDiag(load(vs('sorry_server 10.0.2.300 80')), 'error', 'Invalid sorry server IP address 10.0.2.300 - skipping', 5);
  r = load(vs('sorry_server 2001::1 80'));
  expectDiag(r, 'error', "Address family of virtual server and sorry server 2001::1 don't match - skipping sorry server.");
  assert.equal(only(r).sorry_server, undefined);
  expectClean(load(vs('sorry_server 2001::1 80\nsorry_server_lvs_method TUN')));
  r = load(vs('sorry_server 10.0.2.1 8080\nsorry_server_lvs_method DR'));
  expectDiag(r, 'error', "WARNING - virtual server [10.0.0.1]:tcp:80 and sorry server ports don't match - resetting");
  assert.equal(only(r).sorry_server?.port, 80);
  r = load(vs('sorry_server 10.0.1.1 80\nsorry_server_inhibit'));
  expectDiag(r, 'error', 'real server [10.0.1.1]:tcp:80 matches sorry server, but inhibit setting differs, clearing on sorry server');
  assert.equal(only(r).sorry_server?.inhibit, false);
});

// ---------------------------------------------------------------------------------------------
// real_server.

test('real_server keywords', () => {
  const r = load(vs('', rsb('10.0.1.1 80', [
    'weight 3', 'lvs_method DR', 'uthreshold 100', 'lthreshold 10', 'inhibit_on_failure', 'notify_up /bin/echo',
    'notify_down "/bin/echo down"', 'alpha', 'retry 2', 'delay_before_retry 1', 'warmup 2', 'connect_timeout 2',
    'delay_loop 5', 'smtp_alert off', 'virtualhost foo', 'snmp_name rs1',
  ].join('\n'))));
  const rs = only(r).real_servers[0]!;
  assert.deepEqual(
    [rs.weight, rs.lvs_method, rs.uthreshold, rs.lthreshold, rs.inhibit_on_failure, rs.alpha, rs.retry, rs.delay_before_retry, rs.warmup, rs.connect_timeout, rs.delay_loop, rs.smtp_alert, rs.virtualhost, rs.snmp_name],
    [3, 'DR', 100, 10, true, true, 2, 1, 2, 2, 5, false, 'foo', 'rs1'],
  );
  assert.deepEqual(rs.notify_up?.argv, ['/bin/echo']);
  assert.deepEqual(rs.notify_down?.argv, ['/bin/echo', 'down']);
});

test('real_server value errors', () => {
  const cases: [string, string][] = [
    ['weight -1', 'Real server weight -1 is outside range 0-2147483647'],
    ['weight 2147483648', 'Real server weight 2147483648 is outside range 0-2147483647'],
    ['alpha sure', 'Invalid alpha parameter sure'],
    ['inhibit_on_failure maybe', 'Invalid inhibit_on_failure parameter maybe'],
    ['smtp_alert x', 'Invalid real_server smtp_alert parameter x'],
    ['retry 0', 'retry value invalid - 0'],
    ['uthreshold x', "Invalid real_server uthreshold 'x' - ignoring"],
    ['lthreshold -3', "Invalid real_server lthreshold '-3' - ignoring"],
    ['delay_loop 0', "real server delay_loop '0' invalid - ignoring"],
    ['connect_timeout 0', 'real server connect_timeout 0 invalid - ignoring'],
    ['warmup -1', "real server warmup '-1' invalid - ignoring"],
    ['delay_before_retry x', "real server delay_before_retry 'x' invalid - ignoring"],
    ['virtualhost', 'real server virtualhost missing'],
    ['snmp_name', 'real server snmp_name missing or extra parameters'],
    ['notify_up /bin/echo\nnotify_up /bin/true', 'notify_up script already specified - ignoring /bin/true'],
    ['notify_down /bin/echo\nnotify_down /bin/true', 'notify_down script already specified - ignoring /bin/true'],
    ['lvs_method TUN type gue', 'gue tunnels require port'],
    ['frobnicate 1', "Unknown keyword 'frobnicate'"],
  ];
  for (const [body, msg] of cases) expectDiag(load(vs('', rsb('10.0.1.1 80', body))), 'error', msg);
});

test('real_server line: bad address skips the block; address families must match unless tunnelled', () => {
  let r = load(vs('', rsb('10.0.1.300 80', 'weight foo')));
  expectDiag(r, 'error', 'Invalid real server ip address/port 10.0.1.300/80 - skipping', 5);
  assert.equal(r.diagnostics.list.some((d) => d.message.includes('weight')), false, 'the block is not read');
  r = load(vs('', rsb('2001::5 80')));
  expectDiag(r, 'error', "Address family of virtual server and real server 2001::5 don't match - skipping real server.", 6);
  expectClean(load(vs('lvs_method TUN', rsb('2001::5 80'))));
});

test('a fwmark service of tunnelled servers takes their family, IPv4 when mixed', () => {
  let r = load(vs('lvs_sched rr\nlvs_method TUN', `${rsb('2001::1')}\n${rsb('2001::2')}`, 'fwmark 3', false));
  expectClean(r);
  assert.equal(only(r).ip_family, 'inet6');
  r = load(vs('lvs_sched rr\nlvs_method TUN', `${rsb('2001::1')}\n${rsb('10.0.0.2')}`, 'fwmark 3', false));
  expectClean(r);
  assert.equal(only(r).ip_family, 'inet');
});

test('a real server takes the forwarding method the service had when it was declared', () => {
  const r = load(vs('', `${rsb()}\nlvs_method DR`, '10.0.0.1 80', false).replace(' real_server', ' protocol TCP\n lvs_sched rr\n real_server'));
  expectClean(r);
  const v = only(r);
  assert.equal(v.lvs_method, 'DR');
  assert.equal(v.real_servers[0]!.lvs_method, 'DR', 'unset at declaration: the final method');
});

test('no real servers, duplicates', () => {
  let r = load(vs('', ''));
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:tcp:80 has no real servers - ignoring', 1);
  assert.equal(r.config.virtual_servers.length, 0);
  r = load(vs('', `${rsb()}\n${rsb()}`));
  expectDiag(r, 'error', 'VS [10.0.0.1]:tcp:80: real server [10.0.1.1]:tcp:80 is duplicated - removing second rs', 7);
  assert.equal(only(r).real_servers.length, 1);
  // The same address with and without a port is not a duplicate (compared as written).
  r = load(vs('', `${rsb()}\n${rsb('10.0.1.1')}`));
  expectClean(r);
  assert.equal(only(r).real_servers.length, 2);
});

test('real server ports: NAT fills the service port; DR/TUN must match; fwmark clears them', () => {
  let r = load(vs('', rsb('10.0.1.1')));
  assert.equal(only(r).real_servers[0]!.port, 80);
  r = load(vs('', rsb('10.0.1.1 8080')));
  expectClean(r);
  assert.equal(only(r).real_servers[0]!.port, 8080, 'NAT may change the port');
  r = load(vs('lvs_method DR', rsb('10.0.1.1 8080')));
  expectDiag(r, 'error', "WARNING - virtual server [10.0.0.1]:tcp:80 and real server [10.0.1.1]:tcp:8080 ports don't match - resetting");
  assert.equal(only(r).real_servers[0]!.port, 80);
  r = load(vs('lvs_sched rr\nlvs_method DR', rsb('10.0.1.1 80'), 'fwmark 1', false));
  expectDiag(r, 'error', 'WARNING - fwmark virtual server FWM 1, real server [10.0.1.1]:none:80 has port specified - clearing');
  assert.equal(only(r).real_servers[0]!.port, 0);
});

test('zero port only for persistent services', () => {
  const r = load(vs('', rsb('10.0.1.1'), '10.0.0.1'));
  expectDiag(r, 'error', 'Virtual server [10.0.0.1]:tcp:0: zero port only valid for persistent services - setting', 1);
  assert.equal(only(r).persistence_timeout, 360);
  expectClean(load(vs('persistence_timeout 50', rsb('10.0.1.1'), '10.0.0.1')));
});

test('fwmark services: protocol is ignored with a warning, ha_suspend is cleared', () => {
  let r = load(vs('', rsb('10.0.1.1'), 'fwmark 1'));
  expectDiag(r, 'error', 'Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored', 1);
  assert.equal(only(r).protocol, undefined);
  r = load(vs('lvs_sched rr\nlvs_method NAT\nha_suspend', rsb('10.0.1.1'), 'fwmark 3', false));
  expectDiag(r, 'error', 'Virtual server FWM 3: cannot use ha_suspend with fwmarks - clearing ha_suspend', 1);
  assert.equal(only(r).ha_suspend, false);
});

test('a checker that would connect to port 0 gets a hint, not an error', () => {
  const r = load(vs('', rsb('10.0.1.1', 'TCP_CHECK {\n}')));
  expectClean(r);
  expectDiag(r, 'hint', 'TCP_CHECK has no connect_port and its real server line has no port');
});

// ---------------------------------------------------------------------------------------------
// virtual_server_group.

test('virtual_server_group entries: addresses, ranges, masks, ports, fwmarks', () => {
  const ctx = ctxFor();
  const g = readVirtualServerGroup(firstStmt([
    'virtual_server_group G {', ' 10.0.0.1 80', ' 10.0.0.10-20 80', ' 10.0.1.0/24 80', ' 10.0.2.1-10.0.2.5 80',
    ' 10.0.3.1 0', ' 2001:db8::1-ff 443', ' 2001:db8::/120', ' fwmark 1 inet', ' fwmark 2 inet6', '}', '',
  ].join('\n'), ctx), ctx)!;
  assert.deepEqual(ctx.diags.list, []);
  assert.deepEqual(g.ranges, [
    { ip: '10.0.0.1', port: 80 },
    { ip: '10.0.0.10', port: 80, ip_end: '10.0.0.20' },
    { ip: '10.0.1.0', port: 80, ip_end: '10.0.1.255' },
    { ip: '10.0.2.1', port: 80, ip_end: '10.0.2.5' },
    { ip: '10.0.3.1', port: 0 },
    { ip: '2001:db8::1', port: 443, ip_end: '2001:db8::ff' },
    { ip: '2001:db8::', port: 0, ip_end: '2001:db8::ff' },
  ]);
  assert.deepEqual(g.fwmarks, [{ fwmark: 1, family: 'inet' }, { fwmark: 2, family: 'inet6' }]);
});

test('virtual_server_group entry errors', () => {
  const cases: [string, string][] = [
    ['10.0.0.1/24 80', 'Address mask bits not empty - 10.0.0.1/24 - skipping'],
    ['10.0.0.0/0 80', 'Invalid netmask - 10.0.0.0/0 - skipping'],
    ['10.0.0.0/33 80', 'Invalid netmask - 10.0.0.0/33 - skipping'],
    ['10.0.0.10-5 80', 'Address range end is not greater than address range start - 10.0.0.10-5 - skipping'],
    ['10.0.0.10-300 80', "Virtual server group range '10.0.0.10-300' end '300' too large"],
    ['10.0.0.10-20x 80', "Virtual server group range '10.0.0.10-20x' has extra characters at end 'x'"],
    ['10.0.0.9-10.0.0.5 80', 'Address range end is less than address range start - 10.0.0.9-10.0.0.5 - skipping'],
    ['10.0.0.9-10.0.0.300 80', 'Invalid range end 10.0.0.9-10.0.0.300 - skipping'],
    ['10.0.0.300 80', 'Invalid virtual server group IP address 10.0.0.300'],
    ['fwmark x', "(G): fwmark 'x' must be in [0, 4294967295] - ignoring"],
    ['fwmark 1 ipx', "(G): fwmark '1' family ipx unknown - ignoring"],
  ];
  for (const [entry, msg] of cases) {
    const ctx = ctxFor();
    readVirtualServerGroup(firstStmt(`virtual_server_group G {\n ${entry}\n 10.0.0.100 80\n}\n`, ctx), ctx);
    assert.ok(ctx.diags.list.some((d) => d.severity === 'error' && d.message.includes(msg) && d.pos?.line === 2), `${entry}: ${JSON.stringify(ctx.diags.list)}`);
  }
});

test('virtual_server_group: empty, or IPv4 + IPv6 + family-less fwmark, is removed', () => {
  let ctx = ctxFor();
  assert.equal(readVirtualServerGroup(firstStmt('virtual_server_group G {\n}\n', ctx), ctx), undefined);
  assert.ok(ctx.diags.list.some((d) => d.message === 'virtual server group G has no entries - removing'));
  ctx = ctxFor();
  assert.equal(readVirtualServerGroup(firstStmt('virtual_server_group G {\n 10.0.0.1 80\n 2001::1 80\n fwmark 3\n}\n', ctx), ctx), undefined);
  assert.ok(ctx.diags.list.some((d) => d.message === 'virtual server group G cannot have IPv4, IPv6 and fwmark without family - removing'));
});

const VSG = 'virtual_server_group G {\n 10.0.0.1 80\n 10.0.0.10-20 80\n}\n';

test('a group service: family from the group, members numbered in messages', () => {
  let r = load(VSG + vs('', rsb(), 'group G'));
  expectClean(r);
  assert.equal(only(r).ip_family, 'inet');
  assert.deepEqual(r.config.virtual_server_groups[0]!.ranges.length, 2);
  r = load(VSG + vs('', rsb(), 'group G') + vs('', '', 'group G'));
  expectDiag(r, 'error', 'Virtual server [G]:1 has no real servers - ignoring', 12);
});

test('a group service: undefined group and family mismatches are only logged by keepalived (hints)', () => {
  let r = load(vs('', rsb(), 'group NOPE'));
  expectClean(r);
  expectDiag(r, 'hint', 'Virtual server group NOPE specified but not configured');
  assert.equal(r.config.virtual_servers.length, 0);
  r = load('virtual_server_group G {\n 2001:db8::1 80\n}\n' + vs('', rsb(), 'group G'));
  expectDiag(r, 'hint', "G: address family doesn't match virtual server");
  assert.equal(r.config.virtual_servers.length, 0);
});

test('a group service: fwmark-only groups ignore protocol; ports of DR servers must match', () => {
  let r = load('virtual_server_group G {\n fwmark 1\n}\n' + vs('', rsb(), 'group G'));
  expectDiag(r, 'error', 'Warning: Virtual server [G]:0: protocol specified for fwmark - protocol will be ignored');
  r = load('virtual_server_group G {\n 10.0.0.1 80\n}\n' + vs('lvs_method DR', rsb('10.0.1.1 8080'), 'group G'));
  expectDiag(r, 'error', "virtual server [G]:0:[10.0.0.1,80] and real server [10.0.1.1]:tcp:8080 ports don't match");
  r = load('virtual_server_group G {\n fwmark 9\n}\n' + vs('lvs_sched rr\nlvs_method DR', rsb('10.0.1.1 80'), 'group G', false));
  expectDiag(r, 'error', 'WARNING - fwmark virtual server [G]:0, real server [10.0.1.1]:none:80 has port specified - port will be ignored');
  r = load('virtual_server_group G {\n 10.0.0.1 0\n}\n' + vs('', rsb(), 'group G'));
  expectDiag(r, 'error', 'Virtual server [G]:0: zero port only valid for persistent services - setting');
  r = load('virtual_server_group G {\n fwmark 9\n 10.0.0.1 80\n}\n' + vs('ha_suspend', rsb(), 'group G'));
  expectDiag(r, 'error', 'cannot use ha_suspend with fwmarks - clearing ha_suspend');
});

test('a group defined twice: keepalived silently uses the first (a hint)', () => {
  const r = load(VSG + 'virtual_server_group G {\n 2001::1 80\n}\n' + vs('', rsb(), 'group G'));
  expectClean(r);
  expectDiag(r, 'hint', 'virtual_server_group G is defined again', 5);
  assert.equal(only(r).ip_family, 'inet');
});

test('a group may be defined after the services using it', () => {
  expectClean(load(vs('', rsb(), 'group G') + 'virtual_server_group G {\n 10.0.0.1 80\n}\n'));
});

// ---------------------------------------------------------------------------------------------
// Scale: 1,000 services of 30 real servers each.

test('30,000 real servers build quickly', () => {
  const parts: string[] = [];
  for (let v = 0; v < 1000; v++) {
    parts.push(`virtual_server 10.${v >> 8}.${v & 255}.1 80 {\n protocol TCP\n lvs_sched rr\n lvs_method NAT\n`);
    for (let r = 1; r <= 30; r++) parts.push(` real_server 172.16.${v & 255}.${r} 80 {\n  weight 1\n  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n`);
    parts.push('}\n');
  }
  const diags = new Diagnostics();
  const tree = parseText(parts.join(''), diags, {}, 'big.conf').tree;
  const t0 = performance.now();
  const config = buildConfig(tree, diags, { interfaceExists: (n) => IFS.includes(n) });
  const ms = performance.now() - t0;
  assert.equal(config.virtual_servers.length, 1000);
  assert.equal(config.virtual_servers.reduce((n, v) => n + v.real_servers.length, 0), 30000);
  // Building (not parsing) the tree: about 0.3 s here; generous for slow machines.
  assert.ok(ms < 2000, `took ${ms} ms`);
});
