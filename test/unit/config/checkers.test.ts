// Checker blocks (HTTP_GET, SSL_GET, TCP_CHECK, PING_CHECK, UDP_CHECK, SMTP_CHECK, DNS_CHECK,
// MISC_CHECK, FILE_CHECK, BFD_CHECK) and the SSL block, read as keepalived 2.2.7 reads them,
// with the defaults checkers take from their real and virtual servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadConfigText, type LoadResult } from '../../../src/config/build.js';
import { exitCodeFor } from '../../../src/config/diagnostics.js';
import type { Checker, DnsChecker, FileChecker, HttpChecker, MiscChecker, SmtpChecker, UdpChecker } from '../../../src/config/blocks/checkers.js';
import { hexString, ntop6, parseSockAddr, pton4, pton6 } from '../../../src/config/blocks/checkers.js';
import { expectClean, expectDiag, failing } from '../../helpers/config.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
const load = (text: string): LoadResult => loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });

/**
 * A service whose one real server (line 5, or `rsHead`) has `rsBody` and then the checker block
 * `kind` (opened on line 6 + rsBody lines) holding `body`.
 */
function conf(kind: string, body: string, rsBody = '', vsBody = '', rsHead = '10.0.1.1 80', prefix = ''): string {
  const lines = [`virtual_server 10.0.0.1 80 {`, ' protocol TCP', ' lvs_sched rr', ' lvs_method NAT'];
  if (vsBody) lines.splice(4, 0, ...vsBody.split('\n').map((l) => ` ${l}`));
  lines.push(` real_server ${rsHead} {`);
  if (rsBody) lines.push(...rsBody.split('\n').map((l) => `  ${l}`));
  lines.push(`  ${kind} {`, ...(body ? body.split('\n').map((l) => `   ${l}`) : []), '  }', ' }', '}');
  return prefix + lines.join('\n') + '\n';
}


/** The checkers of the only real server. */
function checkers(r: LoadResult): Checker[] {
  assert.equal(r.config.virtual_servers.length, 1, failing(r).join('\n'));
  return r.config.virtual_servers[0]!.real_servers[0]!.checkers;
}

function one<T extends Checker>(r: LoadResult): T {
  const c = checkers(r);
  assert.equal(c.length, 1, failing(r).join('\n'));
  return c[0] as T;
}

// ---------------------------------------------------------------------------------------------
// Common keywords and inherited defaults.

test('connection and timing keywords common to network checkers', () => {
  const r = load(conf('TCP_CHECK', [
    'connect_ip 10.0.1.2', 'connect_port 81', 'bindto 10.0.0.9', 'bind_port 5000', 'bind_if eth0', 'connect_timeout 2',
    'fwmark 7', 'retry 2', 'delay_before_retry 1.5', 'warmup 1', 'delay_loop 3', 'alpha', 'log_all_failures',
  ].join('\n')));
  expectClean(r);
  const c = one<Checker>(r);
  assert.deepEqual(c, {
    type: 'TCP_CHECK', alpha: true, retry: 2, delay_before_retry: 1.5, warmup: 1, delay_loop: 3, log_all_failures: true,
    connect_ip: '10.0.1.2', connect_port: 81, connect_timeout: 2, pos: c.pos,
    bindto: '10.0.0.9', bind_port: 5000, bind_if: 'eth0', fwmark: 7,
  });
});

test('defaults: the real server, then the virtual server, then the checker kind', () => {
  let c = one<Checker & { retry: number }>(load(conf('TCP_CHECK', '')));
  assert.ok(c.type === 'TCP_CHECK');
  assert.deepEqual([c.connect_ip, c.connect_port, c.connect_timeout, c.delay_loop, c.warmup, c.retry, c.delay_before_retry, c.alpha], ['10.0.1.1', 80, 5, 60, 60, 1, 1, false]);
  c = one(load(conf('TCP_CHECK', '', 'retry 4\nwarmup 0\ndelay_before_retry 7\nconnect_timeout 9\ndelay_loop 2\nalpha')));
  assert.ok(c.type === 'TCP_CHECK');
  assert.deepEqual([c.connect_timeout, c.delay_loop, c.warmup, c.retry, c.delay_before_retry, c.alpha], [9, 2, 0, 4, 7, true]);
  c = one(load(conf('TCP_CHECK', '', '', 'delay_loop 6\nconnect_timeout 3')));
  assert.ok(c.type === 'TCP_CHECK');
  assert.deepEqual([c.connect_timeout, c.delay_loop, c.warmup], [3, 6, 6]);
  const h = one<HttpChecker>(load(conf('HTTP_GET', 'url {\n path /\n}')));
  assert.deepEqual([h.retry, h.delay_before_retry], [1, 3]);
  const d = one<DnsChecker>(load(conf('DNS_CHECK', 'delay_loop 9')));
  assert.deepEqual([d.retry, d.delay_before_retry], [3, 9], 'DNS: 3 retries, delay_before_retry = delay_loop');
  const m = one<MiscChecker>(load(conf('MISC_CHECK', 'misc_path "/bin/sh -c true"\nuser root', '', '', '10.0.1.1 80', SECURE)));
  assert.deepEqual([m.retry, m.delay_before_retry, m.misc_timeout], [0, 1, 60]);
});

test('common keyword errors', () => {
  const cases: [string, string][] = [
    ['connect_ip 10.0.1.300', 'Invalid connect_ip address 10.0.1.300 - ignoring'],
    ['connect_port 0', "Invalid checker connect_port '0'"],
    ['bindto 10.0.1', 'Invalid bindto address 10.0.1 - ignoring'],
    ['bindto 2001::1', 'bindto address 2001::1 does not match address family of connect_ip - skipping'],
    ['bindto 10.0.0.5\nconnect_ip 2001::1', 'connect_ip address 2001::1 does not match address family of bindto - skipping'],
    ['bind_port 70000', "Invalid checker bind_port '70000'"],
    ['bind_if abcdefghijklmnopq', 'Interface name abcdefghijklmnopq is too long - ignoring'],
    ['connect_timeout 0', 'connect_timeout 0 invalid - ignoring'],
    ['fwmark -1', "Invalid fwmark connection value '-1'"],
    ['retry x', "Invalid retry connection value 'x'"],
    ['delay_before_retry -1', "Invalid delay_before_retry connection value '-1'"],
    ['warmup x', "Invalid warmup connection value 'x'"],
    ['delay_loop 0', "delay_loop '0' is invalid - ignoring"],
    ['alpha 2', 'Invalid alpha parameter 2'],
    ['log_all_failures maybe', 'Invalid log_all_failures parameter maybe'],
    ['path /', "Unknown keyword 'path'"],
    ['nb_get_retry 3', "Unknown keyword 'nb_get_retry'"],
  ];
  for (const [body, msg] of cases) expectDiag(load(conf('TCP_CHECK', body)), 'error', msg);
  const c = one<Checker>(load(conf('TCP_CHECK', 'retry 0\ndelay_before_retry 0\nwarmup 0\nlog_all_failures no')));
  assert.ok(c.type === 'TCP_CHECK');
  assert.deepEqual([c.retry, c.delay_before_retry, c.warmup, c.log_all_failures], [0, 0, 0, false]);
});

test('an IPv6 link-local checker needs bind_if, else keepalived drops it', () => {
  const head = 'fe80::1 80';
  const v6 = (body: string): string => conf('TCP_CHECK', body, '', '', head).replace('10.0.0.1 80', '2001:db8::1 80');
  let r = load(v6(''));
  expectDiag(r, 'error', 'Checker link local address fe80::1 requires a bind_if', 7);
  assert.equal(checkers(r).length, 0);
  r = load(v6('bind_if eth0'));
  expectClean(r);
  assert.equal(checkers(r).length, 1);
});

test('PING_CHECK takes the common keywords', () => {
  const r = load(conf('PING_CHECK', 'retry 1\nconnect_ip 10.0.1.3'));
  expectClean(r);
  const c = one<Checker>(r);
  assert.ok(c.type === 'PING_CHECK');
  assert.equal(c.connect_ip, '10.0.1.3');
});

// ---------------------------------------------------------------------------------------------
// HTTP_GET / SSL_GET.

test('HTTP_GET with url blocks', () => {
  const r = load(conf('HTTP_GET', [
    'url {', ' path /health', ' status_code 200 301-302', ' digest 9B3A0C85A887A256D6939DA88AABD8CD', ' virtualhost a.example', '}',
    'url {', ' path /other', '}', 'virtualhost x.example', 'http_protocol 1.1', 'fast_recovery', 'enable_sni',
  ].join('\n')));
  expectClean(r);
  const h = one<HttpChecker>(r);
  assert.deepEqual([h.type, h.virtualhost, h.http_protocol, h.fast_recovery, h.enable_sni], ['HTTP_GET', 'x.example', '1.1', true, true]);
  assert.equal(h.url.length, 2);
  const u = h.url[0]!;
  assert.deepEqual([u.path, u.digest, u.virtualhost, u.status_code], ['/health', '9b3a0c85a887a256d6939da88aabd8cd', 'a.example', [[200, 200], [301, 302]]]);
  assert.deepEqual(h.url[1]!.status_code, [[200, 299]], 'default 200-299');
});

test('SSL_GET: same keywords, http_protocol 1.0C, nb_get_retry is deprecated', () => {
  const r = load(conf('SSL_GET', 'http_protocol 1.0c\nnb_get_retry 2\nurl {\n path /\n}'));
  expectDiag(r, 'warning', "nb_get_retry is deprecated - please use 'retry'", 8);
  assert.equal(exitCodeFor(r.diagnostics.list), 5);
  const h = one<HttpChecker>(r);
  assert.deepEqual([h.type, h.http_protocol, h.retry], ['SSL_GET', '1.0C', 2]);
});

test('HTTP_GET and url errors', () => {
  const cases: [string, string, number?][] = [
    ['http_protocol 2.0\nurl {\n path /\n}', 'Invalid http_protocol version 2.0', 7],
    ['http_protocol\nurl {\n path /\n}', 'Missing http_protocol version', 7],
    ['virtualhost\nurl {\n path /\n}', 'HTTP_GET virtualhost name missing', 7],
    ['enable_sni 3\nurl {\n path /\n}', 'Invalid enable_sni parameter 3', 7],
    ['fast_recovery x\nurl {\n path /\n}', 'Invalid fast_recovery parameter x', 7],
    ['url {\n path /\n status_code 99 600 300-200 abc\n}', "Invalid HTTP_GET status code '300-200'", 9],
    ['url {\n path /\n digest abc\n}', "digest 'abc' character length should be 32 rather than 3", 9],
    ['url {\n path /\n digest zz3a0c85a887a256d6939da88aabd8cd\n}', "Unable to interpret hex digit in 'zz3a0c85a887a256d6939da88aabd8cd' at offset 0/1", 9],
    ['url {\n path /\n digest 9b3a0c85a887a256d6939da88aabd8cd\n digest 9b3a0c85a887a256d6939da88aabd8cd\n}', "Digest '9b3a0c85a887a256d6939da88aabd8cd' is a duplicate", 10],
    ['url {\n path /\n virtualhost\n}', 'Missing HTTP_GET virtualhost name', 9],
    ['sni_name x\nurl {\n path /\n}', "Unknown keyword 'sni_name'", 7],
    ['tls_compliant\nurl {\n path /\n}', "Unknown keyword 'tls_compliant'", 7],
  ];
  for (const [body, msg, line] of cases) expectDiag(load(conf('HTTP_GET', body)), 'error', msg, line);
  let r = load(conf('HTTP_GET', 'connect_port 80'));
  expectDiag(r, 'error', 'HTTP/SSL_GET checker has no urls specified - ignoring', 8);
  assert.equal(checkers(r).length, 0);
  r = load(conf('HTTP_GET', 'url {\n status_code 200\n}'));
  expectDiag(r, 'error', 'HTTP/SSL_GET checker url has no path - ignoring', 9);
  expectDiag(r, 'error', 'HTTP/SSL_GET checker has no urls specified - ignoring', 10);
});

test('url regex and its options (keepalived only logs regex problems: hints)', () => {
  let r = load(conf('HTTP_GET', 'url {\n path /\n regex "^OK\\\\d"\n regex_no_match\n regex_options caseless utf bogus\n regex_min_offset 1\n regex_max_offset 5\n regex_stack 10 20\n}'));
  expectClean(r);
  expectDiag(r, 'hint', "unknown regex option 'bogus'");
  const u = one<HttpChecker>(r).url[0]!;
  assert.deepEqual([u.regex, u.regex_no_match, u.regex_options, u.regex_min_offset, u.regex_max_offset, u.regex_stack], ['^OK\\d', true, ['caseless', 'utf'], 1, 5, { start: 10, max: 20 }]);
  r = load(conf('HTTP_GET', 'url {\n path /\n regex_no_match\n}'));
  expectClean(r);
  expectDiag(r, 'hint', 'regex parameters specified without regex');
  assert.equal(one<HttpChecker>(r).url[0]!.regex_no_match, false);
  r = load(conf('HTTP_GET', 'url {\n path /\n regex a b\n regex_stack 20 10\n}'));
  expectClean(r);
  expectDiag(r, 'hint', 'regex missing or too many fields');
  expectDiag(r, 'hint', 'invalid regex_stack');
  r = load(conf('HTTP_GET', 'url {\n path /\n regex x\n regex_min_offset 5\n regex_max_offset 1\n}'));
  expectDiag(r, 'hint', 'regex_min_offset is beyond regex_max_offset');
  assert.equal(one<HttpChecker>(r).url[0]!.regex_min_offset, undefined);
});

// ---------------------------------------------------------------------------------------------
// UDP_CHECK.

test('UDP_CHECK payload, require_reply with wildcards, reply lengths', () => {
  let r = load(conf('UDP_CHECK', 'payload 01 02 ab\nrequire_reply 0x 1X\nmin_reply_length 2\nmax_reply_length 10'));
  expectClean(r);
  let u = one<UdpChecker>(r);
  assert.deepEqual([u.payload, u.require_reply, u.reply, u.min_reply_length, u.max_reply_length], ['0102ab', true, '0x1x', 2, 10]);
  u = one<UdpChecker>(load(conf('UDP_CHECK', 'require_reply\npayload a bc d')));
  assert.deepEqual([u.payload, u.require_reply, u.reply, u.min_reply_length, u.max_reply_length], ['0abc0d', true, undefined, 0, 255]);
  expectDiag(load(conf('UDP_CHECK', 'payload zz')), 'error', 'Invalid hex string for UDP_CHECK payload', 7);
  expectDiag(load(conf('UDP_CHECK', 'payload 0x')), 'error', 'Invalid hex string for UDP_CHECK payload', 7);
  expectDiag(load(conf('UDP_CHECK', 'payload')), 'error', 'UDP_CHECK payload requires a payload', 7);
  expectDiag(load(conf('UDP_CHECK', 'require_reply gg')), 'error', 'Invalid hex string for UDP_CHECK reply', 7);
  expectDiag(load(conf('UDP_CHECK', 'max_reply_length 70000')), 'error', 'UDP_CHECK max length 70000 not valid - must be between 0 & 65535', 7);
  expectDiag(load(conf('UDP_CHECK', 'min_reply_length -1')), 'error', 'UDP_CHECK min length -1 not valid', 7);
  r = load(conf('UDP_CHECK', 'min_reply_length 20\nmax_reply_length 10'));
  expectDiag(r, 'error', 'UDP_CHECK min_reply length 20 > max_reply_length 10 - will always fail', 9);
  assert.equal(checkers(r).length, 1, 'kept');
});

test('hexString reads hex as keepalived read_hex_str does', () => {
  assert.equal(hexString('0102 ff', false), '0102ff');
  assert.equal(hexString('a b', false), '0a0b');
  assert.equal(hexString('x', true), '0x');
  assert.equal(hexString('x', false), undefined);
  assert.equal(hexString('', false), undefined);
});

// ---------------------------------------------------------------------------------------------
// SMTP_CHECK.

test('SMTP_CHECK helo_name and connection; defaults', () => {
  let s = one<SmtpChecker>(load(conf('SMTP_CHECK', '')));
  assert.deepEqual([s.helo_name, s.connect_ip, s.connect_port, s.connect_timeout], ['smtpchecker.keepalived.org', '10.0.1.1', 80, 5]);
  s = one<SmtpChecker>(load(conf('SMTP_CHECK', 'helo_name mail.example\nconnect_timeout 3\nretry 2')));
  assert.deepEqual([s.helo_name, s.connect_timeout, s.retry], ['mail.example', 3, 2]);
  expectDiag(load(conf('SMTP_CHECK', 'helo_name')), 'error', 'SMTP_CHECK helo name missing', 7);
});

test('SMTP_CHECK host blocks (deprecated) become checkers of their own', () => {
  let r = load(conf('SMTP_CHECK', 'retry 2\nhost {\n connect_ip 10.0.1.5\n connect_port 25\n connect_timeout 4\n}\nhost {\n connect_ip 10.0.1.6\n}'));
  expectClean(r);
  expectDiag(r, 'hint', 'The SMTP_CHECK host block is deprecated');
  expectDiag(r, 'hint', 'host block without connect_timeout', 13);
  let c = checkers(r) as SmtpChecker[];
  assert.deepEqual(c.map((x) => [x.connect_ip, x.connect_port, x.connect_timeout, x.retry]), [['10.0.1.5', 25, 4, 2], ['10.0.1.6', 80, 0, 2]]);
  // With its own connection keywords the checker also checks its own target.
  r = load(conf('SMTP_CHECK', 'connect_timeout 10\nhost {\n connect_ip 10.0.1.5\n}'));
  c = checkers(r) as SmtpChecker[];
  assert.deepEqual(c.map((x) => [x.connect_ip, x.connect_timeout]), [['10.0.1.1', 10], ['10.0.1.5', 0]]);
  r = load(conf('SMTP_CHECK', 'host {\n connect_ip 10.0.1.500\n}'));
  expectDiag(r, 'error', 'Invalid connect_ip address 10.0.1.500 - ignoring', 8);
});

// ---------------------------------------------------------------------------------------------
// DNS_CHECK.

test('DNS_CHECK type and name', () => {
  let d = one<DnsChecker>(load(conf('DNS_CHECK', '')));
  assert.deepEqual([d.dns_type, d.name], ['SOA', '']);
  d = one<DnsChecker>(load(conf('DNS_CHECK', 'type aaaa\nname example.com')));
  assert.deepEqual([d.dns_type, d.name], ['AAAA', 'example.com']);
  expectDiag(load(conf('DNS_CHECK', 'type PTR')), 'error', 'Unknown DNS check type PTR - ignoring', 7);
  expectDiag(load(conf('DNS_CHECK', 'name ab.com\nname cd.com')), 'error', 'DNS_CHECK name already specified - ignoring', 8);
  expectDiag(load(conf('DNS_CHECK', 'name ab..com')), 'error', "DNS_CHECK name 'ab..com' has empty label - ignoring", 7);
  expectDiag(load(conf('DNS_CHECK', 'name .com')), 'error', "DNS_CHECK name '.com' has empty label - ignoring", 7);
  // keepalived 2.2.7 also rejects a one-character first label.
  expectDiag(load(conf('DNS_CHECK', 'name a.b')), 'error', "DNS_CHECK name 'a.b' has empty label - ignoring", 7);
  expectClean(load(conf('DNS_CHECK', 'name .')));
});

// ---------------------------------------------------------------------------------------------
// MISC_CHECK.

const SECURE = 'global_defs {\n enable_script_security\n script_user root\n}\n';

test('MISC_CHECK keywords', () => {
  const r = load(conf('MISC_CHECK', 'misc_path "/bin/sh -c \\"exit 0\\""\nmisc_timeout 10\nmisc_dynamic\nretry 2\nalpha\nwarmup 1\ndelay_loop 3\ndelay_before_retry 1\nlog_all_failures\nuser root', '', '', '10.0.1.1 80', SECURE));
  expectClean(r);
  const m = one<MiscChecker>(r);
  assert.deepEqual([m.misc_path.argv, m.misc_timeout, m.misc_dynamic, m.retry, m.alpha, m.warmup, m.delay_loop, m.delay_before_retry, m.log_all_failures, m.user],
    [['/bin/sh', '-c', 'exit 0'], 10, true, 2, true, 1, 3, 1, true, { user: 'root' }]);
});

test('MISC_CHECK errors', () => {
  const cases: [string, string, number][] = [
    ['misc_timeout 5', 'No script path has been specified for MISC_CHECKER - skipping', 12],
    ['misc_path /bin/true\nmisc_timeout 1.5', "Invalid misc_timeout value '1.5'", 12],
    ['misc_path /bin/true\nuser', 'No user specified for misc checker script /bin/true', 12],
    ['misc_path /bin/true\nuser no-such-user-keel', 'Failed to set uid/gid for misc checker script /bin/true - removing', 12],
    ['misc_path /bin/true\nconnect_port 80', "Unknown keyword 'connect_port'", 12],
  ];
  for (const [body, msg, line] of cases) expectDiag(load(conf('MISC_CHECK', body, '', '', '10.0.1.1 80', SECURE)), 'error', msg, line);
  // A checker removed by `user` ignores the rest of its block.
  const r = load(conf('MISC_CHECK', 'misc_path /bin/true\nuser no-such-user-keel\nmisc_timeout abc', '', '', '10.0.1.1 80', SECURE));
  assert.equal(r.diagnostics.list.some((d) => d.message.includes('misc_timeout')), false);
  assert.equal(checkers(r).length, 0);
});

test('MISC_CHECK script security: violation without enable_script_security, missing scripts dropped', () => {
  let r = load(conf('MISC_CHECK', 'misc_path /bin/true'));
  expectDiag(r, 'security', 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.');
  assert.equal(exitCodeFor(r.diagnostics.list), 6);
  r = load(conf('MISC_CHECK', 'misc_path /nonexistent/keel-check.sh'));
  expectClean(r);
  expectDiag(r, 'hint', 'Disabling misc script /nonexistent/keel-check.sh since not found/accessible');
  assert.equal(checkers(r).length, 0);
});

const hasKeepalivedScriptUser = readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith('keepalived_script:'));

test('MISC_CHECK without a user under script security needs the keepalived_script user', { skip: hasKeepalivedScriptUser ? 'keepalived_script exists here' : false }, () => {
  const r = load(conf('MISC_CHECK', 'misc_path /bin/true', '', '', '10.0.1.1 80', 'global_defs {\n enable_script_security\n}\n'));
  expectDiag(r, 'error', 'Unable to set default user keepalived_script for script');
  expectDiag(r, 'error', 'Unable to set default user for misc script /bin/true - removing', 11);
});

// ---------------------------------------------------------------------------------------------
// FILE_CHECK and BFD_CHECK.

const TF = 'track_file tf1 {\n file /tmp/keel-test-tf1\n weight 2 reverse\n}\n';

test('FILE_CHECK: a track_file defined earlier; weight defaults to the file\'s', () => {
  let f = one<FileChecker>(load(conf('FILE_CHECK', 'track_file tf1', '', '', '10.0.1.1 80', TF)));
  assert.deepEqual([f.track_file, f.weight, f.weight_reverse], ['tf1', 2, true]);
  f = one<FileChecker>(load(conf('FILE_CHECK', 'weight 5\ntrack_file tf1', '', '', '10.0.1.1 80', TF)));
  assert.deepEqual([f.weight, f.weight_reverse], [5, false]);
  f = one<FileChecker>(load(conf('FILE_CHECK', 'track_file tf1\nweight -3 noreverse', '', '', '10.0.1.1 80', TF)));
  assert.deepEqual([f.weight, f.weight_reverse], [-3, false]);
});

test('FILE_CHECK errors', () => {
  let r = load(conf('FILE_CHECK', 'track_file nope'));
  expectDiag(r, 'error', 'track_file nope not found', 7);
  expectDiag(r, 'error', 'FILE_CHECK has no track_file specified - ignoring', 8);
  assert.equal(checkers(r).length, 0);
  r = load(conf('FILE_CHECK', 'track_file tf1') + TF);
  expectDiag(r, 'error', 'track_file tf1 not found', 7);
  const pre = (body: string): LoadResult => load(conf('FILE_CHECK', body, '', '', '10.0.1.1 80', TF));
  expectDiag(pre('track_file tf1\nweight 3 sideways'), 'error', 'unknown track file weight option sideways - ignoring', 12);
  expectDiag(pre('track_file tf1\nweight -2147483648'), 'error', 'weight for track file must be in [-2147483647..2147483647] inclusive. Ignoring...', 12);
  expectDiag(pre('track_file tf1\nweight'), 'error', 'track file weight missing', 12);
  expectDiag(pre('track_file tf1\nretry 3'), 'error', "Unknown keyword 'retry'", 12);
});

const BFD = 'bfd_instance b1 {\n neighbor_ip 10.0.1.1\n}\nbfd_instance b2 {\n neighbor_ip 10.0.1.2\n}\n';

test('BFD_CHECK: name of a bfd_instance, alpha; accepted, not yet acted on', () => {
  const r = load(conf('BFD_CHECK', 'name b1\nalpha', '', '', '10.0.1.1 80', BFD));
  expectClean(r);
  expectDiag(r, 'notice', "'BFD_CHECK' accepted, not yet acted on");
  const c = one<Checker>(r);
  assert.deepEqual(c.type === 'BFD_CHECK' ? [c.name, c.alpha] : [], ['b1', true]);
});

test('BFD_CHECK errors', () => {
  const pre = (body: string, twice = false): LoadResult => {
    const text = conf('BFD_CHECK', body, '', '', '10.0.1.1 80', BFD);
    return load(twice ? text.replace('  BFD_CHECK {', '  BFD_CHECK {\n   name b1\n  }\n  BFD_CHECK {') : text);
  };
  expectDiag(load(conf('BFD_CHECK', 'name b1')), 'error', '([10.0.1.1]:tcp:80) BFD_CHECK - BFD b1 not configured', 7);
  expectDiag(pre('alpha'), 'error', '([10.0.1.1]:tcp:80) No name has been specified for BFD_CHECKER - skipping', 14);
  expectDiag(pre('name b1 extra'), 'error', 'BFD_CHECK - No or too many names specified - skipping checker', 13);
  expectDiag(pre('name b1\nname b2'), 'error', 'BFD_CHECK - BFD b2 already specified as b1', 14);
  expectDiag(pre('name b1', true), 'error', 'BFD_CHECK - RS already monitoring b1', 16);
  expectDiag(pre('alpha x\nname b1'), 'error', 'Invalid alpha parameter x', 13);
});

// ---------------------------------------------------------------------------------------------
// The SSL block.

test('SSL block: password, ca, certificate, key', () => {
  const r = load('SSL {\n password secret\n ca /etc/ca.pem\n certificate /etc/c.pem\n key /etc/k.pem\n}\n');
  expectClean(r);
  assert.deepEqual(r.config.ssl, { password: 'secret', ca: '/etc/ca.pem', certificate: '/etc/c.pem', key: '/etc/k.pem' });
});

test('SSL block errors: missing values, repeats, a second SSL block replaces the first', () => {
  let r = load('SSL {\n key\n ca /a\n ca /b\n}\n');
  expectDiag(r, 'error', 'SSL keyfile missing', 2);
  expectDiag(r, 'error', 'SSL cafile already specified - replacing', 4);
  assert.equal(r.config.ssl?.ca, '/b');
  r = load('SSL {\n ca /a\n}\nSSL {\n key /k\n}\n');
  expectDiag(r, 'error', 'SSL context already specified - replacing', 4);
  assert.deepEqual(r.config.ssl, { key: '/k' });
});

// ---------------------------------------------------------------------------------------------
// Address helpers.

test('addresses as glibc reads and writes them', () => {
  assert.deepEqual(pton4('10.0.0.1'), [10, 0, 0, 1]);
  for (const bad of ['010.0.0.1', '10.0.0', '10.0.0.256', '10..0.1', '10.0.0.1.', ' 10.0.0.1']) assert.equal(pton4(bad), undefined, bad);
  assert.equal(ntop6(pton6('2001:0db8:0:0:0:0:0:0001')!), '2001:db8::1');
  assert.equal(ntop6(pton6('::ffff:10.0.0.1')!), '::ffff:10.0.0.1');
  assert.equal(ntop6(pton6('1:0:0:2:0:0:0:3')!), '1:0:0:2::3');
  assert.equal(ntop6(pton6('1:0:2:3:4:5:6:7')!), '1:0:2:3:4:5:6:7');
  for (const bad of ['1::2::3', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '12345::', ':1:2:3:4:5:6:7']) assert.equal(pton6(bad), undefined, bad);
  assert.deepEqual(parseSockAddr('10.0.0.1', '0080'), { family: 'inet', ip: '10.0.0.1', parts: [10, 0, 0, 1], port: 80 });
  assert.equal(parseSockAddr('10.0.0.1', '00')!.port, 0);
  assert.equal(parseSockAddr('10.0.0.1', '65536'), undefined);
});
