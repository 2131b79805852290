// vrrp_script, vrrp_track_process, track_file and script security, as keepalived 2.2.7 reads and
// checks them (messages and exit codes compared with `keepalived -t`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText, emptyConfig, type LoadResult } from '../../../src/config/build.js';
import { Diagnostics, exitCodeFor, type Severity } from '../../../src/config/diagnostics.js';
import type { BuildContext } from '../../../src/config/schema.js';
import {
  checkScriptSecurity, reportScriptSecurity, scriptRuns, trackScriptStatus, vrrpChecksRun,
  SC_EXECUTABLE, SC_INHIBIT, SC_INSECURE, SC_ISSCRIPT, SC_NOTFOUND, SC_SYSTEM,
} from '../../../src/config/blocks/trackers.js';
import { lookupUser } from '../../../src/config/blocks/global.js';

const IFS = ['eth0', 'eth1', 'eth2', 'eth3', 'lo'];
const isRoot = process.getuid?.() === 0;
const noKsUser = lookupUser('keepalived_script') === undefined;

function load(text: string): LoadResult {
  return loadConfigText(text, { interfaceExists: (n) => IFS.includes(n), configId: 'test' });
}

function hasDiag(d: Diagnostics, sev: Severity, text: string, line?: number): void {
  const found = d.list.some((x) => x.severity === sev && x.message.includes(text) && (line === undefined || x.pos?.line === line));
  assert.ok(found, `expected ${sev} '${text}'${line ? ` at line ${line}` : ''}; got ${JSON.stringify(d.list.map((x) => `${x.severity}@${x.pos?.line}: ${x.message}`))}`);
}

function noDiag(d: Diagnostics, text: string): void {
  assert.ok(!d.list.some((x) => x.message.includes(text)), `unexpected '${text}'`);
}

const failing = (d: Diagnostics): string[] => d.list.filter((x) => ['error', 'warning', 'security'].includes(x.severity)).map((x) => x.message);

// Script files with the permissions the security rules look at.
const dir = mkdtempSync(join(tmpdir(), 'keel-trackers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function script(name: string, mode: number): string {
  const p = join(dir, name);
  writeFileSync(p, '#!/bin/sh\nexit 0\n');
  chmodSync(p, mode);
  return p;
}
const ok = script('ok.sh', 0o755);
const worldWritable = script('ww.sh', 0o777);
const notExec = script('noexec.sh', 0o644);
const opendir = join(dir, 'open');
mkdirSync(opendir);
chmodSync(opendir, 0o777);
const inOpenDir = join(opendir, 'in.sh');
writeFileSync(inOpenDir, '#!/bin/sh\n');
chmodSync(inOpenDir, 0o755);
const link = join(dir, 'link.sh');
symlinkSync(worldWritable, link);

const INSTANCE = `
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    10.0.0.1
  }
}
`;
const SECURE = 'global_defs {\n  enable_script_security\n}\n';

function withScript(body: string, prefix = '', suffix = INSTANCE): LoadResult {
  return load(`${prefix}vrrp_script chk {\n${body}\n}\n${suffix}`);
}

// ------------------------------------------------------------------------------------------
// vrrp_script

test('vrrp_script: keepalived\'s defaults', () => {
  const r = withScript(`  script "${ok}"`);
  const { pos, ...s } = r.config.vrrp_scripts[0]!;
  assert.deepEqual(s, { name: 'chk', script: { command: ok, argv: [ok] }, interval: 1, weight: 0, weight_reverse: false, rise: 1, fall: 1, init_fail: false });
  assert.equal(pos?.line, 1);
});

test('vrrp_script: every keyword', () => {
  const r = withScript(`  script "${ok} arg1 'arg 2'" ignored\n  interval 5\n  timeout 3\n  weight -20 reverse\n  rise 2\n  fall 3\n  user root\n  init_fail`, SECURE);
  const s = r.config.vrrp_scripts[0]!;
  assert.deepEqual(s.script, { command: `${ok} arg1 'arg 2'`, argv: [ok, 'arg1', 'arg 2'] });
  assert.deepEqual([s.interval, s.timeout, s.weight, s.weight_reverse, s.rise, s.fall, s.user, s.init_fail], [5, 3, -20, true, 2, 3, { user: 'root' }, true]);
  if (isRoot) assert.deepEqual(failing(r.diagnostics), []);
});

test('vrrp_script: keepalived\'s complaints about values', () => {
  const r = withScript(`  script "${ok}"\n  interval 0\n  timeout 1.5\n  weight 300 rev\n  rise 0\n  fall abc`);
  const d = r.diagnostics;
  hasDiag(d, 'error', '(chk): vrrp script interval must be greater than 0, setting to 1', 3);
  hasDiag(d, 'error', "invalid number '1.5'", 4);
  hasDiag(d, 'error', "(chk): vrrp script timeout '1.5' invalid - ignoring", 4);
  hasDiag(d, 'error', "number '300' outside range [-253, 253]", 5);
  hasDiag(d, 'error', 'vrrp_script chk weight 300 must be in [-253, 253]', 5);
  hasDiag(d, 'error', 'vrrp_script chk unknown weight option rev', 5);
  hasDiag(d, 'error', "(chk): vrrp script rise value '0' invalid, defaulting to 1", 6);
  hasDiag(d, 'error', "(chk): vrrp script fall value 'abc' invalid, defaulting to 1", 7);
  const s = r.config.vrrp_scripts[0]!;
  // keepalived keeps the weight it read even though it complained.
  assert.deepEqual([s.interval, s.timeout, s.weight, s.weight_reverse, s.rise, s.fall], [1, undefined, 300, false, 1, 1]);
  hasDiag(withScript(`  script "${ok}"\n  interval 5000`).diagnostics, 'error', "(chk): vrrp script interval '5000' must be between 1 and 4294 - ignoring");
  hasDiag(withScript(`  script "${ok}"\n  timeout 0`).diagnostics, 'error', '(chk): vrrp script timeout must be greater than 0, setting to 1');
});

test('vrrp_script: no script means keepalived removes it', () => {
  const r = withScript('  interval 2', '', `${INSTANCE}`);
  assert.deepEqual(r.config.vrrp_scripts, []);
  hasDiag(r.diagnostics, 'error', 'No script set for vrrp_script chk - removing', 1);
  assert.equal(trackScriptStatus(r.config, { diags: r.diagnostics, config: r.config, noticed: new Set(), interfaceExists: () => true, scratch: {} }, 'chk'), 'missing');
});

test('vrrp_script: an unknown user removes the script', () => {
  const r = withScript(`  script "${ok} x"\n  user no-such-user-here`);
  assert.deepEqual(r.config.vrrp_scripts, []);
  hasDiag(r.diagnostics, 'error', `Unable to set uid/gid for script '${ok}' 'x'`, 3);
  const m = withScript(`  script "${ok}"\n  user`);
  assert.ok(m.diagnostics.list.some((x) => x.fatal && x.message.includes("missing a parameter after keyword 'user' at word position 2")));
});

test('vrrp_script: with script security and no keepalived_script user, scripts need a user', { skip: !noKsUser && 'keepalived_script exists here' }, () => {
  const r = withScript(`  script "${ok}"`, SECURE);
  assert.deepEqual(r.config.vrrp_scripts, []);
  hasDiag(r.diagnostics, 'error', 'Unable to set default user keepalived_script for script');
  hasDiag(r.diagnostics, 'error', 'Unable to set default user for vrrp script chk - removing');
  assert.equal(exitCodeFor(r.diagnostics.list), 5);
});

// ------------------------------------------------------------------------------------------
// Script security

test('security: a script without enable_script_security is keepalived\'s SECURITY VIOLATION (exit 6)', { skip: !noKsUser && 'keepalived_script exists here' }, () => {
  const r = withScript(`  script "${ok}"`);
  assert.deepEqual(failing(r.diagnostics), ['SECURITY VIOLATION - scripts are being executed but script_security not enabled.']);
  assert.ok(r.diagnostics.list.find((x) => x.severity === 'security')?.pos?.line, 'the violation points at the first script');
  assert.equal(exitCodeFor(r.diagnostics.list), 6);
  // Not executable: keepalived still counts it as a script (and drops it).
  const ne = withScript(`  script "${notExec}"`);
  assert.equal(exitCodeFor(ne.diagnostics.list), 6);
  assert.deepEqual(ne.config.vrrp_scripts, []);
});

test('security: no check without a vrrp_instance, or when an interface does not exist', () => {
  const none = withScript(`  script "${ok}"`, '', '');
  assert.deepEqual(failing(none.diagnostics), []);
  const badIf = withScript(`  script "${ok}"`, '', `static_ipaddress {\n  10.0.0.9 dev eth9\n}\n${INSTANCE}`);
  noDiag(badIf.diagnostics, 'SECURITY VIOLATION');
  hasDiag(badIf.diagnostics, 'error', 'Non-existent interface specified in configuration');
  assert.equal(exitCodeFor(badIf.diagnostics.list), 5);
});

test('security: "</file" tests are not scripts', () => {
  const r = withScript('  script "</dev/null"');
  assert.deepEqual(failing(r.diagnostics), []);
  assert.equal(r.config.vrrp_scripts.length, 1);
});

test('security: insecure scripts', { skip: !isRoot && 'needs root-owned files' }, () => {
  const plain = withScript(`  script "${worldWritable}"\n  user root`);
  assert.deepEqual(failing(plain.diagnostics), ['SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.']);
  for (const p of [worldWritable, inOpenDir, link]) {
    const r = withScript(`  script "${p}"\n  user root`, SECURE, `${INSTANCE.replace('}\n}', '}\n  track_script {\n    chk\n  }\n}')}`);
    assert.deepEqual(failing(r.diagnostics), ['Disabling track script chk due to insecure'], p);
    assert.deepEqual(r.config.vrrp_scripts, []);
  }
  const fine = withScript(`  script "${ok}"\n  user root`, SECURE);
  assert.deepEqual(failing(fine.diagnostics), []);
  assert.equal(fine.config.vrrp_scripts.length, 1);
});

test('security: scripts not found, or not executable, are disabled', { skip: !isRoot && 'needs root-owned files' }, () => {
  const missing = withScript(`  script "${join(dir, 'nope.sh')}"\n  user root`, SECURE);
  assert.deepEqual(failing(missing.diagnostics), ['Disabling track script chk since not found/accessible']);
  const bare = withScript('  script "no-such-command-keel"\n  user root', SECURE);
  assert.deepEqual(failing(bare.diagnostics), ['Disabling track script chk since not found/accessible']);
  // Not executable: dropped without a complaint (keepalived only logs it).
  const ne = withScript(`  script "${notExec}"\n  user root`, SECURE);
  assert.deepEqual(failing(ne.diagnostics), []);
  assert.deepEqual(ne.config.vrrp_scripts, []);
  hasDiag(ne.diagnostics, 'notice', 'is not executable for uid:gid 0:0 - disabling.');
});

test('checkScriptSecurity: flags as keepalived\'s check_script_secure', { skip: !isRoot && 'needs root-owned files' }, () => {
  const ctx: BuildContext = { diags: new Diagnostics(), config: emptyConfig(), noticed: new Set(), interfaceExists: () => true, scratch: {} };
  const root = { uid: 0, gid: 0 };
  const f = (cmd: string, as = root): number => checkScriptSecurity({ command: cmd, argv: [cmd] }, ctx, undefined, 'test', as);
  assert.equal(f(ok), SC_ISSCRIPT | SC_EXECUTABLE);
  assert.equal(f(worldWritable), SC_ISSCRIPT | SC_EXECUTABLE | SC_INSECURE);
  assert.equal(f(notExec), SC_ISSCRIPT);
  assert.equal(f(join(dir, 'nope.sh')), SC_NOTFOUND);
  assert.equal(f('< /etc/passwd'), SC_SYSTEM);
  assert.equal(f('sh') & (SC_ISSCRIPT | SC_EXECUTABLE), SC_ISSCRIPT | SC_EXECUTABLE);
  // keepalived's PATH search as another user never succeeds (setgroups fails after seteuid).
  assert.equal(f('sh', { uid: 65534, gid: 65534 }), SC_NOTFOUND);
  ctx.config.global_defs.enable_script_security = true;
  assert.equal(f(worldWritable), SC_ISSCRIPT | SC_EXECUTABLE | SC_INSECURE | SC_INHIBIT);
  assert.equal(scriptRuns(SC_ISSCRIPT | SC_EXECUTABLE), true);
  assert.equal(scriptRuns(SC_ISSCRIPT), false);
  assert.equal(scriptRuns(SC_SYSTEM), true);
});

test('reportScriptSecurity: one report per process kind, extended by later calls', () => {
  const ctx: BuildContext = { diags: new Diagnostics(), config: emptyConfig(), noticed: new Set(), interfaceExists: () => true, scratch: {} };
  reportScriptSecurity(ctx, 'vrrp', SC_SYSTEM);
  assert.equal(ctx.diags.list.length, 0);
  reportScriptSecurity(ctx, 'vrrp', SC_ISSCRIPT);
  reportScriptSecurity(ctx, 'vrrp', SC_ISSCRIPT | SC_INSECURE);
  reportScriptSecurity(ctx, 'check', SC_ISSCRIPT);
  assert.deepEqual(ctx.diags.list.map((x) => [x.severity, x.message]), [
    ['security', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.'],
    ['security', 'SECURITY VIOLATION - check scripts are being executed but script_security not enabled.'],
  ]);
  const secure: BuildContext = { ...ctx, diags: new Diagnostics(), scratch: {} };
  secure.config = emptyConfig();
  secure.config.global_defs.enable_script_security = true;
  reportScriptSecurity(secure, 'start/shutdown', SC_ISSCRIPT);
  assert.equal(secure.diags.list.length, 0);
});

test('vrrpChecksRun and trackScriptStatus', { skip: !isRoot && 'needs root-owned files' }, () => {
  const r = withScript(`  script "${worldWritable}"\n  user root`, SECURE);
  const ctx: BuildContext = { diags: r.diagnostics, config: r.config, noticed: new Set(), interfaceExists: () => true, scratch: { disabledVrrpScripts: new Set(['chk']) } };
  assert.equal(vrrpChecksRun(r.config, ctx), true);
  assert.equal(trackScriptStatus(r.config, ctx, 'chk'), 'disabled');
  assert.equal(trackScriptStatus(r.config, ctx, 'other'), 'missing');
});

// ------------------------------------------------------------------------------------------
// vrrp_track_process

test('vrrp_track_process: every keyword', () => {
  const r = load('vrrp_track_process p {\n  process keepalived --dont-fork\n  param_match partial\n  weight 10 reverse\n  quorum 2\n  quorum_max 3\n  delay 1.5\n  full_command\n}\n');
  assert.deepEqual(failing(r.diagnostics), []);
  const { pos, ...tp } = r.config.vrrp_track_processes[0]!;
  assert.equal(pos?.line, 1);
  assert.deepEqual(tp, {
    name: 'p', process: 'keepalived', params: ['--dont-fork'], param_match: 'partial', full_command: true,
    weight: 10, weight_reverse: true, quorum: 2, quorum_max: 3, terminate_delay: 1.5, fork_delay: 1.5,
  });
  const d = load('vrrp_track_process q {\n  process x\n  quorum_max 0\n  terminate_delay 2\n  fork_delay 0.5\n  param_match\n}\n');
  assert.deepEqual(failing(d.diagnostics), []);
  const q = d.config.vrrp_track_processes[0]!;
  assert.deepEqual([q.quorum, q.quorum_max, q.terminate_delay, q.fork_delay, q.param_match, q.full_command, q.weight], [0, 0, 2, 0.5, 'exact', true, 0]);
  const plain = load('vrrp_track_process q {\n  process x\n}\n').config.vrrp_track_processes[0]!;
  assert.deepEqual([plain.param_match, plain.quorum, plain.quorum_max, plain.full_command], ['none', 1, undefined, false]);
});

test('vrrp_track_process: keepalived\'s complaints', () => {
  const r = load('vrrp_track_process p {\n  weight 5\n  quorum 0\n  quorum_max 70000\n  delay 0\n  param_match bogus\n}\n');
  const d = r.diagnostics;
  hasDiag(d, 'error', 'Quorum (0) for vrrp_track_process p must be between [1..65535] inclusive. Ignoring...', 3);
  hasDiag(d, 'error', 'quorum_max (70000) for vrrp_track_process p must be between [0..65535] inclusive. Ignoring...', 4);
  hasDiag(d, 'error', "number '0' outside range [0.000001, 3600.000000]", 5);
  hasDiag(d, 'error', 'delay (0) for vrrp_track_process p must be between [0.000001..3600] inclusive. Ignoring...', 5);
  hasDiag(d, 'error', 'Invalid param_match type bogus - ignoring', 6);
  hasDiag(d, 'error', "track process 'p' process name not specified", 1);
  assert.deepEqual(r.config.vrrp_track_processes, []);

  const e = load('vrrp_track_process p {\n  process x a b\n  process y\n  weight 300\n  weight 5 rev\n  weight 6\n  quorum 5\n  quorum_max 3\n  weight\n  fork_delay 4000\n}\n');
  hasDiag(e.diagnostics, 'error', 'Process already set for track process p - ignoring y', 3);
  hasDiag(e.diagnostics, 'error', 'Weight (300) for vrrp_track_process p must be between [-254..254] inclusive. Ignoring...', 4);
  hasDiag(e.diagnostics, 'error', 'vrrp_track_process p unknown weight option rev', 5);
  hasDiag(e.diagnostics, 'error', 'Weight already set for track process p - ignoring 6', 6);
  hasDiag(e.diagnostics, 'error', 'quorum_max is less than quorum - ignoring', 8);
  hasDiag(e.diagnostics, 'error', 'No weight specified for track process p - ignoring', 9);
  hasDiag(e.diagnostics, 'error', 'fork_delay (4000) for vrrp_track_process p must be between', 10);
  const p = e.config.vrrp_track_processes[0]!;
  assert.deepEqual([p.process, p.params, p.param_match, p.weight, p.quorum, p.quorum_max], ['x', ['a', 'b'], 'exact', 5, 5, undefined]);
  hasDiag(load('vrrp_track_process p {\n  process x\n  quorum_max 3\n  quorum 5\n}\n').diagnostics, 'error', 'Quorum is greater than quorum_max - ignoring', 4);
  hasDiag(load('vrrp_track_process p {\n  process x\n  terminate_delay 0\n}\n').diagnostics, 'error', 'terminate_delay (0) for vrrp_track_process p');
});

// ------------------------------------------------------------------------------------------
// track_file

test('track_file: every keyword, and the deprecated vrrp_track_file', () => {
  const r = load('track_file a {\n  file /tmp/keel-tf\n  weight -3 reverse\n  init_file 5 overwrite\n}\nvrrp_track_file b {\n  file /tmp/keel-tf2\n}\n');
  assert.deepEqual(failing(r.diagnostics), []);
  assert.deepEqual(r.config.track_files.map(({ pos: _p, ...t }) => t), [
    { name: 'a', file: '/tmp/keel-tf', weight: -3, weight_reverse: true, init_file: { value: 5, overwrite: true } },
    { name: 'b', file: '/tmp/keel-tf2', weight: 1, weight_reverse: false },
  ]);
  assert.deepEqual(load('track_file a {\n  file /x\n  init_file\n}\n').config.track_files[0]!.init_file, { value: 0, overwrite: false });
});

test('track_file: keepalived\'s complaints', () => {
  const r = load('track_file a {\n  file /tmp/keel-tf\n  weight 5 noreverse\n  weight 6\n  init_file 300 overwrite bogus\n  file /other\n  init_file x1\n}\n');
  const d = r.diagnostics;
  hasDiag(d, 'error', 'track_file a unknown weight option noreverse', 3);
  hasDiag(d, 'error', 'Weight already set for track file a - ignoring 6', 4);
  hasDiag(d, 'error', 'Track file a init value 300 is outside sensible range [-254, 254]', 5);
  hasDiag(d, 'error', 'Unknown track file init option bogus', 5);
  hasDiag(d, 'error', 'File already set for track file a - ignoring /other', 6);
  hasDiag(d, 'error', 'Unknown track file init option x1', 7);
  assert.equal(r.config.track_files[0]!.weight, 5);
  const w = load('track_file a {\n  file /x\n  weight 300\n  weight\n  file\n  init_file -x\n}\n');
  hasDiag(w.diagnostics, 'error', 'Weight (300) for track_file a must be between [-254..254] inclusive. Ignoring...', 3);
  hasDiag(w.diagnostics, 'error', 'No weight specified for track file a - ignoring', 4);
  hasDiag(w.diagnostics, 'error', 'track file file name missing', 5);
  hasDiag(w.diagnostics, 'error', 'Track file a init value -x is invalid', 6);
  assert.equal(w.config.track_files[0]!.weight, 1);
  const none = load('track_file a {\n  weight 5\n}\n');
  hasDiag(none.diagnostics, 'error', 'No file set for track_file a - ignoring', 1);
  assert.deepEqual(none.config.track_files, []);
  const notFile = load(`track_file a {\n  file ${dir}\n  init_file overwrite\n}\n`);
  hasDiag(notFile.diagnostics, 'error', 'Cannot initialise track file a - it is not a regular file', 1);
  assert.deepEqual(failing(load(`track_file a {\n  file ${dir}\n  init_file\n}\n`).diagnostics), []);
});
