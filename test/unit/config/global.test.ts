// global_defs: every keyword read into the typed GlobalDefs with keepalived 2.2.7's types, ranges,
// defaults and messages, and the checks validateGlobal makes once the whole file is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText, type LoadResult } from '../../../src/config/build.js';
import type { Severity } from '../../../src/config/diagnostics.js';
import { globalDefsBlock, lookupUser, newGlobalDefs, type GlobalDefs } from '../../../src/config/blocks/global.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
const load = (text: string): LoadResult => loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });
/** A config whose global_defs is `body` (line 2 is the first line of the body). */
const gd = (body: string, extra = ''): LoadResult => load(`global_defs {\n${body}\n}\n${extra}`);

const VI = `vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  10.0.0.1
 }
}
`;

/** Diagnostics that change keel -t's verdict (errors, warnings, security), as "severity: message". */
function failing(r: LoadResult): string[] {
  return r.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'warning' || d.severity === 'security')
    .map((d) => `${d.severity}: ${d.message}`);
}

function expectDiag(r: LoadResult, severity: Severity, text: string, line?: number): void {
  const found = r.diagnostics.list.find((d) => d.severity === severity && d.message.includes(text) && (line === undefined || d.pos?.line === line));
  assert.ok(found, `expected ${severity} containing "${text}"${line ? ` on line ${line}` : ''}; got:\n${r.diagnostics.list.map((d) => `${d.pos?.line}: ${d.severity}: ${d.message}`).join('\n')}`);
}

function expectClean(r: LoadResult): void {
  assert.deepEqual(failing(r), []);
}

// ---------------------------------------------------------------------------------------------
// Every keyword with a valid value: the typed value it gives.

const VALID: [string, (g: GlobalDefs) => void][] = [
  ['process_names', (g) => { assert.equal(g.vrrp_process_name, 'keepalived_vrrp'); assert.equal(g.checker_process_name, 'keepalived_lvs'); assert.equal(g.bfd_process_name, 'keepalived_bfd'); }],
  ['process_name kp', (g) => assert.equal(g.process_name, 'kp')],
  ['vrrp_process_name kv', (g) => assert.equal(g.vrrp_process_name, 'kv')],
  ['checker_process_name kc', (g) => assert.equal(g.checker_process_name, 'kc')],
  ['lvs_process_name kl', (g) => assert.equal(g.checker_process_name, 'kl')],
  ['bfd_process_name kb', (g) => assert.equal(g.bfd_process_name, 'kb')],
  ['router_id R1', (g) => assert.equal(g.router_id, 'R1')],
  ['notification_email {\n a@b c@d\n e@f\n}', (g) => assert.deepEqual(g.notification_email, ['a@b', 'c@d', 'e@f'])],
  ['notification_email_from k@h', (g) => assert.equal(g.notification_email_from, 'k@h')],
  ['smtp_server 127.0.0.1', (g) => assert.deepEqual(g.smtp_server, { host: '127.0.0.1', port: 25 })],
  ['smtp_server ::1 2525', (g) => assert.deepEqual(g.smtp_server, { host: '::1', port: 2525 })],
  ['smtp_server localhost 26', (g) => assert.deepEqual(g.smtp_server, { host: 'localhost', port: 26 })],
  ['smtp_helo_name helo', (g) => assert.equal(g.smtp_helo_name, 'helo')],
  ['smtp_connect_timeout 4294', (g) => assert.equal(g.smtp_connect_timeout, 4294)],
  ['smtp_alert off', (g) => assert.equal(g.smtp_alert, false)],
  ['smtp_alert_vrrp', (g) => assert.equal(g.smtp_alert_vrrp, true)],
  ['smtp_alert_checker yes', (g) => assert.equal(g.smtp_alert_checker, true)],
  ['checker_log_all_failures on', (g) => assert.equal(g.checker_log_all_failures, true)],
  ['no_email_faults', (g) => assert.equal(g.no_email_faults, true)],
  ['no_checker_emails', (g) => assert.equal(g.no_checker_emails, true)],
  ['rs_init_notifies true', (g) => assert.equal(g.rs_init_notifies, true)],
  ['startup_script "/nonexistent/x arg" root', (g) => { assert.deepEqual(g.startup_script?.argv, ['/nonexistent/x', 'arg']); assert.equal(g.startup_script?.user, 'root'); assert.equal(g.startup_script_timeout, 10); }],
  ['startup_script_timeout 1000', (g) => assert.equal(g.startup_script_timeout, 1000)],
  ['shutdown_script /nonexistent/y\nshutdown_script_timeout 1', (g) => { assert.equal(g.shutdown_script?.command, '/nonexistent/y'); assert.equal(g.shutdown_script_timeout, 1); }],
  ['script_user root root', (g) => assert.deepEqual(g.script_user, { user: 'root', group: 'root' })],
  ['enable_script_security', (g) => assert.equal(g.enable_script_security, true)],
  ['notify_fifo /tmp/f', (g) => assert.deepEqual(g.notify_fifo, { name: '/tmp/f' })],
  ['notify_fifo /tmp/f\nnotify_fifo_script /nonexistent/s', (g) => assert.equal(g.notify_fifo_script?.command, '/nonexistent/s')],
  ['vrrp_notify_fifo /tmp/v root', (g) => assert.deepEqual(g.vrrp_notify_fifo, { name: '/tmp/v', user: 'root' })],
  ['vrrp_notify_fifo /tmp/v\nvrrp_notify_fifo_script /nonexistent/s root', (g) => assert.equal(g.vrrp_notify_fifo_script?.user, 'root')],
  ['vrrp_notify_priority_changes', (g) => assert.equal(g.vrrp_notify_priority_changes, true)],
  ['fifo_write_vrrp_states_on_reload', (g) => assert.equal(g.fifo_write_vrrp_states_on_reload, true)],
  ['lvs_notify_fifo /tmp/l root root', (g) => assert.deepEqual(g.lvs_notify_fifo, { name: '/tmp/l', user: 'root', group: 'root' })],
  ['lvs_notify_fifo /tmp/l\nlvs_notify_fifo_script /nonexistent/s', (g) => assert.equal(g.lvs_notify_fifo_script?.command, '/nonexistent/s')],
  ['max_auto_priority', (g) => assert.equal(g.max_auto_priority, 99)],
  ['max_auto_priority -1', (g) => assert.equal(g.max_auto_priority, -1)],
  ['min_auto_priority_delay 500000', (g) => assert.equal(g.min_auto_priority_delay, 0.5)],
  ['vrrp_priority -20', (g) => assert.equal(g.vrrp_priority, -20)],
  ['vrrp_no_swap', (g) => assert.equal(g.vrrp_no_swap, true)],
  ['vrrp_rt_priority 50', (g) => assert.equal(g.vrrp_rt_priority, 50)],
  ['vrrp_cpu_affinity 0', (g) => assert.deepEqual(g.vrrp_cpu_affinity, [0])],
  ['vrrp_rlimit_rttime 1', (g) => assert.equal(g.vrrp_rlimit_rttime, 0.000002)],
  ['vrrp_rlimit_rtime 5000', (g) => assert.equal(g.vrrp_rlimit_rttime, 0.005)],
  ['checker_priority 19', (g) => assert.equal(g.checker_priority, 19)],
  ['checker_no_swap', (g) => assert.equal(g.checker_no_swap, true)],
  ['checker_rt_priority 1', (g) => assert.equal(g.checker_rt_priority, 1)],
  ['checker_cpu_affinity 0', (g) => assert.deepEqual(g.checker_cpu_affinity, [0])],
  ['checker_rlimit_rttime 20000', (g) => assert.equal(g.checker_rlimit_rttime, 0.02)],
  ['checker_rlimit_rtime 20000', (g) => assert.equal(g.checker_rlimit_rttime, 0.02)],
  ['bfd_priority 1', (g) => assert.equal(g.bfd_priority, 1)],
  ['bfd_no_swap', (g) => assert.equal(g.bfd_no_swap, true)],
  ['bfd_rt_priority 99', (g) => assert.equal(g.bfd_rt_priority, 99)],
  ['bfd_cpu_affinity 0', (g) => assert.deepEqual(g.bfd_cpu_affinity, [0])],
  ['bfd_rlimit_rttime 3', (g) => assert.equal(g.bfd_rlimit_rttime, 0.000003)],
  ['bfd_rlimit_rtime 3', (g) => assert.equal(g.bfd_rlimit_rttime, 0.000003)],
  ['dynamic_interfaces', (g) => { assert.equal(g.dynamic_interfaces, true); assert.equal(g.allow_if_changes, false); }],
  ['dynamic_interfaces allow_if_changes', (g) => { assert.equal(g.dynamic_interfaces, true); assert.equal(g.allow_if_changes, true); }],
  ['default_interface eth1', (g) => assert.equal(g.default_interface, 'eth1')],
  ['lvs_timeouts tcp 900 tcpfin 120 udp 300', (g) => assert.deepEqual(g.lvs_timeouts, { tcp: 900, tcpfin: 120, udp: 300 })],
  ['lvs_flush', (g) => assert.equal(g.lvs_flush, true)],
  ['lvs_flush_on_stop', (g) => assert.equal(g.lvs_flush_on_stop, 'full')],
  ['lvs_flush_on_stop VS', (g) => assert.equal(g.lvs_flush_on_stop, 'VS')],
  ['lvs_flush_onstop', (g) => assert.equal(g.lvs_flush_on_stop, 'full')],
  ['lvs_sync_daemon eth0 id 5 maxlen 1400 port 8848 ttl 2 group 224.0.0.81', (g) => assert.deepEqual(g.lvs_sync_daemon, { interface: 'eth0', id: 5, maxlen: 1400, port: 8848, ttl: 2, group: '224.0.0.81' })],
  ['vrrp_mcast_group4 224.0.0.19/24', (g) => assert.equal(g.vrrp_mcast_group4, '224.0.0.19')],
  ['vrrp_mcast_group6 ff02::13', (g) => assert.equal(g.vrrp_mcast_group6, 'ff02::13')],
  ['vrrp_garp_master_delay 0', (g) => assert.equal(g.vrrp_garp_master_delay, 0)],
  ['vrrp_garp_master_repeat 3', (g) => assert.equal(g.vrrp_garp_master_repeat, 3)],
  ['vrrp_garp_master_refresh 60', (g) => assert.equal(g.vrrp_garp_master_refresh, 60)],
  ['vrrp_garp_master_refresh_repeat 2', (g) => assert.equal(g.vrrp_garp_master_refresh_repeat, 2)],
  ['vrrp_garp_lower_prio_delay 7', (g) => assert.equal(g.vrrp_garp_lower_prio_delay, 7)],
  ['vrrp_garp_lower_prio_repeat 0', (g) => assert.equal(g.vrrp_garp_lower_prio_repeat, 0)],
  ['vrrp_down_timer_adverts 100', (g) => assert.equal(g.vrrp_down_timer_adverts, 100)],
  ['vrrp_garp_interval 0.001', (g) => assert.equal(g.vrrp_garp_interval, 0.001)],
  ['vrrp_gna_interval 0.000001', (g) => assert.equal(g.vrrp_gna_interval, 0.000001)],
  ['vrrp_min_garp', (g) => { assert.equal(g.vrrp_min_garp, true); assert.equal(g.vrrp_garp_master_repeat, 1); assert.equal(g.vrrp_garp_master_delay, 0); assert.equal(g.vrrp_garp_master_refresh_repeat, 0); }],
  ['vrrp_garp_master_repeat 3\nvrrp_min_garp on', (g) => assert.equal(g.vrrp_garp_master_repeat, 3)],
  ['vrrp_min_garp false', (g) => { assert.equal(g.vrrp_min_garp, false); assert.equal(g.vrrp_garp_master_repeat, 5); }],
  ['vrrp_garp_extra_if all 10', (g) => assert.deepEqual(g.vrrp_garp_extra_if, { delay: 10, all: true })],
  ['vrrp_lower_prio_no_advert', (g) => assert.equal(g.vrrp_lower_prio_no_advert, true)],
  ['vrrp_higher_prio_send_advert true', (g) => assert.equal(g.vrrp_higher_prio_send_advert, true)],
  ['vrrp_version 3', (g) => assert.equal(g.vrrp_version, 3)],
  ['vrrp_check_unicast_src', (g) => assert.equal(g.vrrp_check_unicast_src, true)],
  ['vrrp_skip_check_adv_addr', (g) => assert.equal(g.vrrp_skip_check_adv_addr, true)],
  ['vrrp_strict', (g) => assert.equal(g.vrrp_strict, true)],
  ['vrrp_startup_delay 2.5', (g) => assert.equal(g.vrrp_startup_delay, 2.5)],
  ['log_unknown_vrids', (g) => assert.equal(g.log_unknown_vrids, true)],
  ['vmac_prefix vr', (g) => assert.equal(g.vmac_prefix, 'vr')],
  ['vmac_addr_prefix va', (g) => assert.equal(g.vmac_addr_prefix, 'va')],
  ['nftables', (g) => assert.equal(g.nftables, 'keepalived')],
  ['nftables mytable\nnftables_priority -5', (g) => { assert.equal(g.nftables, 'mytable'); assert.equal(g.nftables_priority, -5); }],
  ['nftables_ifindex', (g) => assert.equal(g.nftables_ifindex, true)],
  ['nftables_counters', (g) => assert.equal(g.nftables_counters, true)],
  ['nftables_ipvs_start_fwmark 5\nnftables_ipvs', (g) => { assert.equal(g.nftables_ipvs, 'keepalived_ipvs'); assert.equal(g.nftables_ipvs_start_fwmark, 1000); }],
  ['nftables_ipvs t\nnftables_ipvs_priority 3\nnftables_ipvs_start_fwmark 2000', (g) => { assert.equal(g.nftables_ipvs_priority, 3); assert.equal(g.nftables_ipvs_start_fwmark, 2000); }],
  ['snmp_socket tcp:localhost:705', (g) => assert.equal(g.snmp_socket, 'tcp:localhost:705')],
  ['enable_traps', (g) => assert.equal(g.enable_traps, true)],
  ['enable_snmp_vrrp', (g) => assert.equal(g.enable_snmp_vrrp, true)],
  ['enable_snmp_keepalived', (g) => assert.equal(g.enable_snmp_vrrp, true)],
  ['enable_snmp_rfc', (g) => { assert.equal(g.enable_snmp_rfcv2, true); assert.equal(g.enable_snmp_rfcv3, true); }],
  ['enable_snmp_rfcv2', (g) => { assert.equal(g.enable_snmp_rfcv2, true); assert.equal(g.enable_snmp_rfcv3, false); }],
  ['enable_snmp_rfcv3', (g) => assert.equal(g.enable_snmp_rfcv3, true)],
  ['enable_snmp_checker', (g) => assert.equal(g.enable_snmp_checker, true)],
  ['enable_dbus', (g) => assert.equal(g.enable_dbus, true)],
  ['dbus_service_name org.x', (g) => assert.equal(g.dbus_service_name, 'org.x')],
  ['vrrp_netlink_cmd_rcv_bufs 1048576', (g) => assert.equal(g.vrrp_netlink_cmd_rcv_bufs, 1048576)],
  ['vrrp_netlink_cmd_rcv_bufs 0', (g) => assert.equal(g.vrrp_netlink_cmd_rcv_bufs, undefined)],
  ['vrrp_netlink_cmd_rcv_bufs_force', (g) => assert.equal(g.vrrp_netlink_cmd_rcv_bufs_force, true)],
  ['vrrp_netlink_monitor_rcv_bufs 10', (g) => assert.equal(g.vrrp_netlink_monitor_rcv_bufs, 10)],
  ['vrrp_netlink_monitor_rcv_bufs_force off', (g) => assert.equal(g.vrrp_netlink_monitor_rcv_bufs_force, false)],
  ['process_monitor_rcv_bufs 20', (g) => assert.equal(g.process_monitor_rcv_bufs, 20)],
  ['process_monitor_rcv_bufs_force yes', (g) => assert.equal(g.process_monitor_rcv_bufs_force, true)],
  ['lvs_netlink_cmd_rcv_bufs 30', (g) => assert.equal(g.lvs_netlink_cmd_rcv_bufs, 30)],
  ['lvs_netlink_cmd_rcv_bufs_force', (g) => assert.equal(g.lvs_netlink_cmd_rcv_bufs_force, true)],
  ['lvs_netlink_monitor_rcv_bufs 40', (g) => assert.equal(g.lvs_netlink_monitor_rcv_bufs, 40)],
  ['lvs_netlink_monitor_rcv_bufs_force', (g) => assert.equal(g.lvs_netlink_monitor_rcv_bufs_force, true)],
  ['vrrp_rx_bufs_policy mtu', (g) => assert.equal(g.vrrp_rx_bufs_policy, 'MTU')],
  ['vrrp_rx_bufs_policy ADVERT', (g) => assert.equal(g.vrrp_rx_bufs_policy, 'ADVERT')],
  ['vrrp_rx_bufs_policy 65536', (g) => assert.equal(g.vrrp_rx_bufs_policy, 65536)],
  ['vrrp_rx_bufs_multiplier 4', (g) => assert.equal(g.vrrp_rx_bufs_multiplier, 4)],
  ['umask 027', (g) => assert.equal(g.umask, 0o27)],
  ['umask 0x1ff', (g) => assert.equal(g.umask, 0o777)],
  ['umask IRUSR|IWUSR | IXOTH', (g) => assert.equal(g.umask, 0o601)],
  ['random_seed 42', (g) => assert.equal(g.random_seed, 42)],
  ['reload_check_config', (g) => assert.equal(g.reload_check_config, '/dev/null')],
  ['reload_check_config /tmp/x.log', (g) => assert.equal(g.reload_check_config, '/tmp/x.log')],
  ['reload_time_file /tmp/rt', (g) => assert.equal(g.reload_time_file, '/tmp/rt')],
  ['reload_repeat', (g) => assert.equal(g.reload_repeat, true)],
  ['reload_file', (g) => assert.equal(g.reload_file, '')],
  ['reload_file /tmp/r', (g) => assert.equal(g.reload_file, '/tmp/r')],
  ['include_check', (g) => assert.deepEqual(g.include_check, ['read', 'match', 'wildcard_match', 'brace_match'])],
  ['include_check match\ninclude_check +wildcard_match -read', (g) => assert.deepEqual(g.include_check, ['match', 'wildcard_match'])],
  [`config_save_dir ${tmpdir()}/`, (g) => assert.equal(g.config_save_dir, tmpdir())],
  [`config_save_dir ${tmpdir()}/keel-not-yet-created`, (g) => assert.equal(g.config_save_dir, `${tmpdir()}/keel-not-yet-created`)],
  ['tmp_config_directory /tmp/cfg', (g) => assert.equal(g.tmp_config_directory, '/tmp/cfg')],
  ['data_use_instance', (g) => assert.equal(g.data_use_instance, true)],
];

test('each keyword reads its value as keepalived does', () => {
  for (const [line, check] of VALID) {
    const r = gd(line);
    assert.deepEqual(failing(r), [], `global_defs { ${line} } should be valid`);
    check(r.config.global_defs);
  }
});

test('disable_local_igmp follows the kernel sysctl', () => {
  const r = gd('disable_local_igmp');
  const ok = failing(r).length === 0;
  assert.equal(r.config.global_defs.disable_local_igmp, ok);
  if (!ok) expectDiag(r, 'error', 'kernel does not support /proc/sys/net/ipv4/igmp_link_local_mcast_reports', 2);
});

test('defaults are keepalived 2.2.7\'s', () => {
  const g = load('').config.global_defs;
  assert.equal(g.vrrp_mcast_group4, '224.0.0.18');
  assert.equal(g.vrrp_mcast_group6, 'ff02::12');
  assert.equal(g.vrrp_garp_master_delay, 5);
  assert.equal(g.vrrp_garp_master_repeat, 5);
  assert.equal(g.vrrp_garp_master_refresh, 0);
  assert.equal(g.vrrp_garp_master_refresh_repeat, 1);
  assert.equal(g.vrrp_down_timer_adverts, 3);
  assert.equal(g.vrrp_version, 2);
  assert.equal(g.vrrp_strict, false);
  assert.equal(g.smtp_connect_timeout, 30);
  assert.equal(g.default_interface, 'eth0');
  assert.equal(g.vrrp_rx_bufs_multiplier, 3);
  assert.equal(g.min_auto_priority_delay, 1);
  assert.equal(g.vrrp_rlimit_rttime, 0.01);
  assert.equal(g.max_auto_priority, 0);
  assert.equal(g.lvs_flush_on_stop, 'none');
  assert.equal(g.smtp_alert, undefined);
  assert.equal(g.router_id, undefined);
  assert.equal(g.startup_script_timeout, undefined);
  // Derived by validateGlobal from the master values.
  assert.equal(g.vrrp_garp_lower_prio_delay, 5);
  assert.equal(g.vrrp_garp_lower_prio_repeat, 5);
  assert.deepEqual(newGlobalDefs().notification_email, []);
});

test('lower-priority GARP settings follow the master ones unless set', () => {
  const g = gd('vrrp_garp_master_delay 9\nvrrp_garp_master_repeat 2').config.global_defs;
  assert.equal(g.vrrp_garp_lower_prio_delay, 9);
  assert.equal(g.vrrp_garp_lower_prio_repeat, 2);
  const h = gd('vrrp_garp_lower_prio_delay 1\nvrrp_garp_master_delay 9').config.global_defs;
  assert.equal(h.vrrp_garp_lower_prio_delay, 1);
});

// ---------------------------------------------------------------------------------------------
// Bad values: keepalived's complaint (error: `keepalived -t` exits 5), on the line.

const BAD: [string, string][] = [
  ['vrrp_version 4', 'VRRP Error: Version must be either 2 or 3'],
  ['smtp_connect_timeout 0', 'smtp_conect_timeout must be greater than 0, setting to 1'],
  ['smtp_connect_timeout 4295', "smtp_connect_timeout '4295' must be in [0, 4294] - ignoring"],
  ['smtp_connect_timeout 1.5', "invalid number '1.5'"],
  ['smtp_server 10.0.0.1 99999', 'Invalid smtp server 10.0.0.1 99999'],
  ['smtp_server 10.0.0.1/24', 'Invalid smtp server 10.0.0.1/24 25'],
  ['smtp_server no-such-host.invalid', 'Invalid smtp server no-such-host.invalid 25'],
  ['smtp_alert maybe', "Invalid value 'maybe' for global smtp_alert specified"],
  ['smtp_alert_vrrp 1', "Invalid value '1' for global smtp_alert_vrrp specified"],
  ['checker_log_all_failures x', 'Invalid value for checker_log_all_failures specified'],
  ['router_id', 'routerid name missing - ignoring'],
  ['notification_email_from', 'emailfrom missing - ignoring'],
  ['notification_email {\n}', 'Warning - empty notification_email block'],
  ['process_name abcdefghijklmnopq', 'Process name abcdefghijklmnopq more than 15 characters, truncating'],
  ['startup_script', 'startup script missing'],
  ['startup_script /nonexistent/a\nstartup_script /nonexistent/b', 'startup script already specified'],
  ['startup_script /bin/true nosuchuser-keel', 'Invalid startup script'],
  ['startup_script_timeout', 'startup_script_timeout requires value'],
  ['shutdown_script_timeout 1001', "shutdown_script_timeout '1001' must be in [1, 1000] - ignoring"],
  ['script_user', 'No script username specified'],
  ['script_user nosuchuser-keel', 'Error setting global script uid/gid'],
  ['script_user root nosuchgroup-keel', 'Error setting global script uid/gid'],
  // A uid or gid is not a name: keepalived looks names up only (getent would take 0 as root).
  ['script_user 0', 'Error setting global script uid/gid'],
  ['script_user root 0', 'Error setting global script uid/gid'],
  ['notify_fifo', 'No notify_fifo name specified'],
  ['vrrp_notify_fifo /a\nvrrp_notify_fifo /b', 'vrrp_notify_fifo already specified - ignoring /b'],
  ['lvs_notify_fifo_script', 'No lvs_notify_fifo_script specified'],
  ['notify_fifo_script /nonexistent/a\nnotify_fifo_script /nonexistent/b', 'notify_fifo_script already specified - ignoring /nonexistent/b'],
  ['vrrp_notify_priority_changes maybe', "Invalid value 'maybe' for global vrrp_notify_priority_changes specified"],
  ['max_auto_priority 100', "max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring"],
  ['min_auto_priority_delay', 'min_auto_priority_delay requires delay time'],
  ['min_auto_priority_delay 10000001', "min_auto_priority_delay '10000001' must be in [1, 10000000] - ignoring"],
  ['vrrp_priority', 'No vrrp process priority specified'],
  ['checker_priority 20', 'Invalid checker process priority specified'],
  ['bfd_rt_priority 0', 'bfd process real-time priority 0 less than minimum 1 - setting to minimum'],
  ['vrrp_rt_priority 100', 'vrrp process real-time priority 100 greater than maximum 99 - setting to maximum'],
  ['checker_rt_priority x', "checker process real-time priority 'x' invalid"],
  ['vrrp_rt_priority', 'No vrrp process real-time priority specified'],
  ['vrrp_cpu_affinity', 'No vrrp cpu_id set specified'],
  ['bfd_cpu_affinity 0 4096', 'Invalid cpu_id:4096 specified for bfd process'],
  ['checker_rlimit_rttime 0', 'Invalid checker real-time limit - 0'],
  ['dynamic_interfaces yes', "Unknown dynamic_interfaces option 'yes'"],
  ['default_interface', 'default_interface requires interface name'],
  ['lvs_timeouts tcp', 'lvs_timeouts requires at least one option'],
  ['lvs_timeouts tcp 1 udp', 'No value specified for lvs_timeout udp - ignoring'],
  ['lvs_timeouts tcp 2678401', 'Invalid lvs_timeout tcp (2678401) - ignoring'],
  ['lvs_timeouts tcp 1 icmp 2', 'Unknown option icmp specified for lvs_timeouts'],
  ['lvs_flush_on_stop ALL', 'Unknown lvs_flush_on_stop type ALL'],
  ['lvs_sync_daemon', 'lvs_sync_daemon requires interface'],
  ['lvs_sync_daemon averyveryverylongif', "lvs_sync_daemon interface name 'averyveryverylongif' too long - ignoring"],
  ['lvs_sync_daemon eth0\nlvs_sync_daemon eth1', 'lvs_sync_daemon has already been specified as eth0'],
  ['lvs_sync_daemon eth0 group 10.1.1.1', 'lvs_sync_daemon group address 10.1.1.1 is not multicast - ignoring'],
  ['lvs_sync_daemon eth0 group x', 'Invalid lvs_sync_daemon group (x) - ignoring'],
  ['lvs_sync_daemon eth0 id 256', 'Invalid syncid (256) - defaulting to vrid'],
  ['lvs_sync_daemon eth0 port', 'No value specified for lvs_sync_daemon port - ignoring'],
  ['lvs_sync_daemon eth0 maxlen 65508', 'Invalid lvs_sync_daemon maxlen (65508) - ignoring'],
  ['lvs_sync_daemon eth0 VI_1 7', 'Please use keyword "id" before lvs_sync_daemon SYNCID'],
  ['lvs_sync_daemon eth0 VI_1 x', 'Invalid syncid (x) - defaulting to vrid'],
  ['lvs_sync_daemon eth0 VI_1 7 extra', 'Unknown option extra specified for lvs_sync_daemon'],
  ['lvs_sync_daemon eth0 inst A inst B', 'lvs_sync_daemon vrrp instance has already been specified as A - ignoring'],
  ['vrrp_mcast_group4 10.0.0.1', 'vrrp_mcast_group4 [10.0.0.1] is not multicast. Skipping'],
  ['vrrp_mcast_group4 ff02::1', 'vrrp_mcast_group4 [ff02::1] is not IPv4. Skipping'],
  ['vrrp_mcast_group6 foo', "Can't parse vrrp_mcast_group6 [foo]. Skipping"],
  ['vrrp_garp_master_delay 4295', "vrrp_garp_master_delay '4295' invalid - ignoring"],
  ['vrrp_garp_master_repeat 0', 'vrrp_garp_master_repeat must be greater than 0, setting to 1'],
  ['vrrp_garp_master_refresh -1', "Invalid vrrp_garp_master_refresh '-1' - ignoring (negative number '-1')"],
  ['vrrp_garp_master_refresh_repeat 0', 'vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1'],
  ['vrrp_garp_lower_prio_delay x', "vrrp_garp_lower_prio_delay 'x' invalid - ignoring"],
  ['vrrp_garp_lower_prio_repeat -1', "Invalid vrrp_garp_lower_prio_repeat '-1'"],
  ['vrrp_down_timer_adverts 0', "Invalid vrrp_down_timer_adverts [1:100] '0'"],
  ['vrrp_garp_interval 0', "vrrp_garp_interval '0' is invalid"],
  ['vrrp_gna_interval 0.0000001', "number '0.0000001' has too many decimal places"],
  ['vrrp_min_garp xyz', 'Invalid value for vrrp_min_garp specified'],
  ['vrrp_garp_extra_if all', 'vrrp_garp_extra_if specified without time - ignoring'],
  ['vrrp_garp_extra_if 86401', "vrrp_garp_extra_if '86401' invalid - ignoring"],
  ['vrrp_lower_prio_no_advert x', 'Invalid value for vrrp_lower_prio_no_advert specified'],
  ['vrrp_higher_prio_send_advert x', 'Invalid value for vrrp_higher_prio_send_advert specified'],
  ['vrrp_startup_delay 0.0005', "vrrp_startup_delay '0.0005' is invalid"],
  ['vmac_prefix a\nvmac_prefix b', 'vmac prefix has already been specified - ignoring b'],
  ['vmac_addr_prefix a\nvmac_addr_prefix b', 'vmac_addr prefix has already been specified - ignoring b'],
  ['vrrp_iptables', "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option"],
  ['vrrp_iptables\nnftables', 'nftables already specified - ignoring'],
  ['nftables abcdefghijklmnopqrstuvwxyz0123456', 'nftables table name too long - ignoring'],
  ['nftables_priority x', "invalid nftables chain priority 'x'"],
  ['nftables_ipvs\nnftables_ipvs', 'ipvs nftables already specified - ignoring'],
  ['nftables_ipvs_priority 1.5', "invalid ipvs nftables chain priority '1.5'"],
  ['nftables_ipvs_start_fwmark 0', "invalid ipvs nftables start_fwmark priority '0'"],
  ['snmp_socket a b', 'Too many parameters specified for snmp_socket - ignoring'],
  ['snmp_socket', 'SNMP error : snmp socket name missing'],
  ['snmp_socket a\nsnmp_socket b', 'SNMP socket already set to a - ignoring'],
  ['dbus_service_name', 'dbus_service_name missing - ignoring'],
  ['vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs size missing'],
  ['lvs_netlink_monitor_rcv_bufs x', 'lvs_netlink_monitor_rcv_bufs size (x) invalid'],
  ['process_monitor_rcv_bufs_force x', "Invalid value 'x' for global process_monitor_rcv_bufs_force specified"],
  ['vrrp_rx_bufs_policy', 'vrrp_rx_bufs_policy missing'],
  ['vrrp_rx_bufs_policy MTU ADVERT', 'Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT'],
  ['vrrp_rx_bufs_policy 100\nvrrp_rx_bufs_policy MTU', 'Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy'],
  ['vrrp_rx_bufs_policy MTU x', 'Invalid vrrp_rx_bufs_policy x'],
  ['vrrp_rx_bufs_multiplier 2 3', 'Invalid vrrp_rx_bufs_multiplier'],
  ['vrrp_rx_bufs_multiplier 0', 'Invalid vrrp_rx_bufs_multiplier 0'],
  ['umask 0777x', 'invalid umask value 0777x'],
  ['umask 01000', 'invalid umask value 01000'],
  ['umask 022 x', 'Extra parameter(s) to umask option'],
  ['umask IRUSR IWUSR', 'Invalid umask syntax IWUSR'],
  ['umask IRUSR|IWXYZ', 'Unknown umask bit IWXYZ'],
  ['umask IRUSR|', 'umask missing bit value'],
  ['random_seed -1', 'random_seed -1 invalid'],
  ['reload_time_file', 'reload_time_file invalid'],
  ['include_check read wildcard_match', "Duplicate include_check 'wildcard_match' specified - ignoring"],
  ['include_check foo', "Unknown include_check type 'foo' - ignoring"],
  ['config_save_dir /etc/hostname', 'config_save_dir /etc/hostname exists and is not a directory'],
  ['config_save_dir /nonexistent-keel/dir', 'Unable to create config_save_dir /nonexistent-keel/dir'],
  ['tmp_config_directory', 'tmp_config_directory missing directory name'],
  ['tmp_config_directory /a\ntmp_config_directory /b', 'tmp_config_directory already specified - ignoring'],
  ['data_use_instance maybe', "Invalid value 'maybe' for global date_use_instance specified"],
];

test('bad values are reported with keepalived\'s message, on their line', () => {
  for (const [body, message] of BAD) {
    const r = gd(body);
    const line = 2 + body.split('\n').length - 1;
    const d = r.diagnostics.list.find((x) => x.severity === 'error' && x.message.includes(message));
    assert.ok(d, `global_defs { ${body} }: expected error "${message}"; got ${JSON.stringify(failing(r))}`);
    assert.ok(d.pos && d.pos.line >= 2 && d.pos.line <= line + 1, `"${message}" reported on line ${d.pos?.line}`);
  }
});

test('bad values leave the previous or default value', () => {
  const g = gd('vrrp_version 4\nsmtp_connect_timeout 0\nvrrp_garp_master_repeat 0\nvrrp_garp_master_refresh 10\nvrrp_garp_master_refresh x\nvrrp_rt_priority 500\nvrrp_priority 30\nvrrp_cpu_affinity 0\nvrrp_cpu_affinity 0 999').config.global_defs;
  assert.equal(g.vrrp_version, 2);
  assert.equal(g.smtp_connect_timeout, 1); // 0 is raised to 1
  assert.equal(g.vrrp_garp_master_repeat, 1);
  assert.equal(g.vrrp_garp_master_refresh, 0); // a bad refresh switches refreshes off
  assert.equal(g.vrrp_rt_priority, 99); // clamped
  assert.equal(g.vrrp_priority, 0); // keepalived stores 0 after a bad priority
  assert.equal(g.vrrp_cpu_affinity, undefined); // the whole set is cleared
  const h = gd('process_name abcdefghijklmnopq\ncheckers_rlimit_rttime 5').config.global_defs;
  assert.equal(h.process_name, 'abcdefghijklmno');
});

test('a missing value where keepalived reads it unchecked stops it (exit 2)', () => {
  for (const kw of ['vrrp_version', 'smtp_server', 'vrrp_mcast_group4', 'vrrp_garp_interval', 'umask', 'vmac_prefix', 'config_save_dir', 'process_name']) {
    const r = gd(kw);
    const d = r.diagnostics.list.find((x) => x.severity === 'error' && x.message.includes('is missing a parameter'));
    assert.ok(d?.abort, `${kw} without a value`);
  }
});

test('a non-link-local IPv6 group is a warning, and kept', () => {
  const r = gd('vrrp_mcast_group6 ff05::12');
  expectDiag(r, 'warning', 'vrrp_mcast_group6 [ff05::12] should be link-local multicast.', 2);
  assert.equal(r.config.global_defs.vrrp_mcast_group6, 'ff05::12');
});

// ---------------------------------------------------------------------------------------------
// Unknown, newer and deprecated keywords.

test('keywords keepalived 2.2.7 does not know stay unknown', () => {
  for (const kw of ['json_version 2', 'vrrp_ipsets a', 'vrrp_owner_ignore_adverts', 'use_symlink_paths', 'state_dump_file /x', 'v3_checksum_as_v2',
    'vrrp_delay_after_boot 5', 'dbus_no_interface_name x', 'snmp_vs_stats_update_interval 5', 'iproute_usr_dir /x', 'set_supplementary_groups', 'router_idd x']) {
    expectDiag(gd(kw), 'error', `Unknown keyword '${kw.split(' ')[0]}'`, 2);
  }
});

test('vrrp_vmac_garp_intvl is a failing deprecation; the others keepalived only logs', () => {
  const r = gd('vrrp_vmac_garp_intvl 5');
  expectDiag(r, 'warning', 'Keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"', 2);
  assert.deepEqual(r.config.global_defs.vrrp_garp_extra_if, { delay: 5, all: false });
  for (const [line, msg] of [['lvs_process_name x', "'lvs_process_name' is deprecated"], ['vrrp_rlimit_rtime 5', "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'"]]) {
    const s = gd(line!);
    expectClean(s);
    expectDiag(s, 'hint', msg!, 2);
  }
  expectClean(gd('lvs_flush_onstop\nenable_snmp_keepalived'));
});

test('every keyword is declared once and covered here', () => {
  const names = globalDefsBlock.keywords.map((k) => k.name);
  assert.equal(new Set(names).size, names.length);
  const covered = new Set([...VALID.map(([l]) => l), ...BAD.map(([l]) => l), 'disable_local_igmp', 'vrrp_vmac_garp_intvl'].flatMap((l) => l.split('\n').map((x) => x.split(' ')[0])));
  assert.deepEqual(names.filter((n) => !covered.has(n)), []);
  for (const k of globalDefsBlock.keywords) if (k.support === 'never') assert.ok(k.note, `${k.name} needs a note`);
});

test('not-yet keywords say so once', () => {
  const r = gd('enable_traps\nsnmp_socket x\nenable_traps');
  const notices = r.diagnostics.list.filter((d) => d.severity === 'notice');
  assert.equal(notices.filter((d) => d.message.includes("'enable_traps' accepted, not yet acted on")).length, 1);
  assert.ok(notices.some((d) => d.message.includes("'snmp_socket' accepted, not yet acted on")));
  expectClean(r);
});

// ---------------------------------------------------------------------------------------------
// Checks once the whole file is read.

test('lvs_sync_daemon: id defaults to the instance VRID, else 0', () => {
  assert.equal(gd('lvs_sync_daemon eth0 inst VI_1', VI).config.global_defs.lvs_sync_daemon?.id, 51);
  assert.equal(gd('lvs_sync_daemon eth0 VI_1 id 9', VI).config.global_defs.lvs_sync_daemon?.id, 9);
  assert.equal(gd('lvs_sync_daemon eth0').config.global_defs.lvs_sync_daemon?.id, 0);
  // global_defs after the instance: the same.
  assert.equal(load(`${VI}global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n`).config.global_defs.lvs_sync_daemon?.id, 51);
});

test('lvs_sync_daemon naming a missing instance: keepalived -t passes, start-up drops it', () => {
  const r = gd('lvs_sync_daemon eth0 inst VI_9', VI);
  expectClean(r);
  expectDiag(r, 'hint', 'Unable to find vrrp instance VI_9 for lvs_syncd', 2);
  assert.equal(r.config.global_defs.lvs_sync_daemon, undefined);
});

test('lvs_sync_daemon on a missing interface: a hint (keepalived does not look)', () => {
  const r = gd('lvs_sync_daemon eth7');
  expectClean(r);
  expectDiag(r, 'hint', 'lvs_sync_daemon interface eth7 does not exist', 2);
  expectClean(gd('dynamic_interfaces\nlvs_sync_daemon eth7'));
  assert.ok(!gd('dynamic_interfaces\nlvs_sync_daemon eth7').diagnostics.list.some((d) => d.message.includes('eth7 does not exist')));
});

test('startup/shutdown scripts found without script security are a violation (exit 6)', () => {
  const r = gd('startup_script /bin/true');
  expectDiag(r, 'security', 'SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.');
  assert.equal(r.config.global_defs.startup_script_timeout, 10);
  // Not found: keepalived will not run it, and -t passes.
  const s = gd('shutdown_script /nonexistent/keel-script');
  expectClean(s);
  expectDiag(s, 'hint', 'cannot be found', 2);
  // With script security and a user: fine.
  expectClean(gd('enable_script_security\nscript_user root\nstartup_script /bin/true'));
  expectClean(gd('enable_script_security\nstartup_script /bin/true root'));
});

test('a bare command name is looked up in PATH', () => {
  expectDiag(gd('startup_script true'), 'security', 'start/shutdown scripts are being executed');
  expectClean(gd('startup_script keel-no-such-command-anywhere'));
});

test('an insecure start-up script is flagged in the violation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-global-'));
  const script = join(dir, 's.sh');
  writeFileSync(script, '#!/bin/sh\n');
  chmodSync(script, 0o777);
  const r = gd(`startup_script ${script} root`);
  // Under a temporary directory the path is only insecure when it is writable by others, which
  // depends on the test machine; the violation itself is certain.
  expectDiag(r, 'security', 'start/shutdown scripts are being executed but script_security not enabled.');
});

test('global FIFO scripts count with the subsystem that has configuration', () => {
  // No vrrp instance and no virtual server: keepalived does not check them.
  expectClean(gd('notify_fifo /tmp/f\nnotify_fifo_script /bin/true'));
  const r = gd('notify_fifo /tmp/f\nnotify_fifo_script /bin/true', VI);
  expectDiag(r, 'security', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled.');
  expectClean(gd('vrrp_notify_fifo /tmp/f\nvrrp_notify_fifo_script /bin/true root\nenable_script_security', VI));
});

const noKeepalivedScript = lookupUser('keepalived_script') !== undefined ? 'the keepalived_script user exists here' : false;

test('the default script user: keepalived_script must exist once script security is on', { skip: noKeepalivedScript }, () => {
  const r = gd('enable_script_security\nshutdown_script /bin/true');
  expectDiag(r, 'error', 'Unable to set default user keepalived_script for script', 3);
  expectDiag(r, 'error', 'Invalid shutdown script', 3);
  // The default user is settled by the first script needing it: before script security, root.
  expectClean(gd('startup_script /bin/true\nenable_script_security'));
  expectClean(gd('notify_fifo /tmp/f\nenable_script_security\nnotify_fifo_script /bin/true'));
  // ... and reported only once.
  const t = gd('enable_script_security\nnotify_fifo /tmp/f\nvrrp_notify_fifo /tmp/g');
  assert.equal(t.diagnostics.list.filter((d) => d.message.includes('Unable to set default user')).length, 1);
  assert.equal(t.config.global_defs.notify_fifo, undefined);
  // script_user settles it, but cannot undo an earlier failure.
  expectClean(gd('enable_script_security\nscript_user root\nshutdown_script /bin/true'));
  expectDiag(gd('enable_script_security\nstartup_script /bin/true\nscript_user root'), 'error', 'Error setting global script uid/gid', 4);
});

test('a FIFO or FIFO script with an unknown user is ignored, as keepalived only logs it', () => {
  const r = gd('notify_fifo /tmp/f nosuchuser-keel\nnotify_fifo_script /bin/true nosuchuser-keel');
  expectClean(r);
  assert.equal(r.config.global_defs.notify_fifo, undefined);
  assert.equal(r.config.global_defs.notify_fifo_script, undefined);
  expectDiag(r, 'hint', 'Invalid user/group', 2);
});

test('FIFO hints: a script without its FIFO, one FIFO used twice', () => {
  expectDiag(gd('vrrp_notify_fifo_script /nonexistent/s'), 'hint', 'vrrp_notify_fifo_script without vrrp_notify_fifo is never run');
  expectDiag(gd('notify_fifo /tmp/f\nlvs_notify_fifo /tmp/f'), 'hint', 'notify FIFO /tmp/f is both notify_fifo and lvs_notify_fifo');
});

test('large GARP intervals and start-up delays get keepalived\'s note, not a failure', () => {
  const r = gd('vrrp_garp_interval 1.5\nvrrp_startup_delay 61');
  expectClean(r);
  expectDiag(r, 'hint', 'The vrrp_garp_interval is very large - 1.5 seconds', 2);
  expectDiag(r, 'hint', 'The vrrp_startup_delay is very large - 61 seconds', 3);
});

test('several global_defs blocks add up', () => {
  const g = load('global_defs {\n notification_email {\n a@b\n }\n}\nglobal_defs {\n notification_email {\n c@d\n }\n router_id X\n}\n').config.global_defs;
  assert.deepEqual(g.notification_email, ['a@b', 'c@d']);
  assert.equal(g.router_id, 'X');
});

test('e-mail alerts without a server or recipients get a hint', () => {
  const r = gd('smtp_alert');
  expectClean(r);
  expectDiag(r, 'hint', 'smtp_alert is on but there is no smtp_server', 2);
  expectDiag(gd('smtp_server 127.0.0.1\nsmtp_alert_vrrp'), 'hint', 'smtp_alert_vrrp is on but there is no notification_email', 3);
  assert.ok(!gd('smtp_server 127.0.0.1\nnotification_email {\n a@b\n}\nsmtp_alert').diagnostics.list.some((d) => d.severity === 'hint'));
});
