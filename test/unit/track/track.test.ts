// Trackers against real scripts, real files and real processes in /proc.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigText } from '../../../src/config/build.js';
import { memoryLogger } from '../../../src/daemon/log.js';
import { strtol0 } from '../../../src/track/track-file.js';
import { matches, paramsMatch, quorumOk } from '../../../src/track/track-process.js';
import { TrackerSet } from '../../../src/track/tracker-set.js';
import { RiseFall } from '../../../src/track/vrrp-script.js';
import type { TrackProcess } from '../../../src/config/blocks/trackers.js';
import { script, tempDir, waitFor } from '../notify/helpers.js';

const instance = (tracks: string): string => `
global_defs { enable_script_security
  script_user root }
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 192.0.2.1/32 }
  ${tracks}
}
`;

describe('rise/fall counter (keepalived\'s vscript->result)', () => {
  it('reports the first result at once, then needs rise successes / fall failures', () => {
    const c = new RiseFall(2, 3, false);
    assert.equal(c.initial, 'init');
    assert.equal(c.record(false), false); // first run decides, whatever rise/fall say
    assert.equal(c.record(true), undefined);
    assert.equal(c.record(true), true);
    assert.equal(c.record(false), undefined);
    assert.equal(c.record(false), undefined);
    assert.equal(c.record(true), undefined); // back to the top of the up band
    assert.equal(c.record(false), undefined);
    assert.equal(c.record(false), undefined);
    assert.equal(c.record(false), false);
    assert.equal(c.record(false), undefined);
  });
  it('init_fail starts down and needs rise successes', () => {
    const c = new RiseFall(2, 1, true);
    assert.equal(c.initial, false);
    assert.equal(c.record(true), undefined);
    assert.equal(c.record(true), true);
    assert.equal(c.record(false), false);
  });
  it('one success is enough for a fresh script', () => {
    assert.equal(new RiseFall(5, 5, false).record(true), true);
  });
});

describe('track_file numbers (strtol base 0)', () => {
  it('reads as C does', () => {
    assert.equal(strtol0('12\n'), 12);
    assert.equal(strtol0('  -3 rest'), -3);
    assert.equal(strtol0('0x10'), 16);
    assert.equal(strtol0('010'), 8);
    assert.equal(strtol0(''), 0);
    assert.equal(strtol0('abc'), 0);
    assert.equal(strtol0('+7'), 7);
  });
});

describe('track_process matching', () => {
  const p = (o: Partial<TrackProcess>): TrackProcess => ({ name: 'x', param_match: 'none', weight: 0, weight_reverse: false, quorum: 1, full_command: false, ...o });
  it('matches comm, or argv[0] and parameters', () => {
    assert.ok(matches(p({ process: 'nginx' }), { comm: 'nginx', zombie: false, argv: ['/usr/sbin/nginx'] }));
    assert.ok(!matches(p({ process: 'nginx' }), { comm: 'nginx', zombie: true, argv: [] }));
    const full = p({ process: '/usr/bin/app', params: ['-c', 'conf'], param_match: 'exact', full_command: true });
    assert.ok(matches(full, { comm: 'app', zombie: false, argv: ['/usr/bin/app', '-c', 'conf'] }));
    assert.ok(!matches(full, { comm: 'app', zombie: false, argv: ['/usr/bin/app', '-c', 'conf', '-v'] }));
    assert.ok(paramsMatch({ ...full, param_match: 'partial' }, ['-c', 'conf', '-v']));
    assert.ok(!paramsMatch({ ...full, param_match: 'partial' }, ['-c', 'con']));
    assert.ok(paramsMatch({ ...full, param_match: 'initial' }, ['-c', 'config.yml']));
    assert.ok(!paramsMatch({ ...full, param_match: 'initial' }, ['-d', 'config.yml']));
  });
  it('quorum and quorum_max', () => {
    assert.ok(!quorumOk(p({ quorum: 2 }), 1));
    assert.ok(quorumOk(p({ quorum: 2, quorum_max: 3 }), 3));
    assert.ok(!quorumOk(p({ quorum: 2, quorum_max: 3 }), 4));
    assert.ok(quorumOk(p({ quorum: 0, quorum_max: 0 }), 0));
  });
});

describe('TrackerSet', () => {
  const t = tempDir('track');
  const kids: ChildProcess[] = [];
  after(() => {
    for (const k of kids) if (k.exitCode === null && k.signalCode === null && k.pid) k.kill('SIGKILL');
    t.remove();
  });

  it('vrrp_script: init, success, failure with keepalived\'s log lines', async () => {
    const ctl = join(t.dir, 'ctl');
    writeFileSync(ctl, '0');
    const chk = script(join(t.dir, 'chk'), `exit $(cat '${ctl}')`);
    const r = loadConfigText(`vrrp_script chk_x {\n script ${chk}\n interval 1\n}\n${instance('track_script { chk_x }')}`);
    const log = memoryLogger();
    const set = new TrackerSet(r.config, log);
    assert.deepEqual(set.initialValues(), { 'script:chk_x': 'init' });
    const changes: unknown[] = [];
    set.start((kind, name, value) => changes.push([kind, name, value]));
    try {
      await waitFor('success', () => changes.length >= 1);
      assert.deepEqual(changes[0], ['script', 'chk_x', true]);
      writeFileSync(ctl, '1');
      await waitFor('failure', () => changes.length >= 2);
      assert.deepEqual(changes[1], ['script', 'chk_x', false]);
      assert.ok(log.lines.includes('VRRP_Script(chk_x) succeeded'), log.lines.join('\n'));
      assert.ok(log.lines.includes('Script `chk_x` now returning 1'), log.lines.join('\n'));
      assert.ok(log.lines.includes('VRRP_Script(chk_x) failed (exited with status 1)'), log.lines.join('\n'));
    } finally {
      await set.stop();
    }
  });

  it('vrrp_script: a hung script gets SIGTERM, then SIGKILL 2 s later, and counts as failed', async () => {
    const hang = script(join(t.dir, 'hang'), `trap '' TERM\nsleep 60`);
    const ok = script(join(t.dir, 'ok'), 'exit 0');
    const r = loadConfigText(`vrrp_script chk_h {\n script ${hang}\n interval 5\n timeout 1\n}\nvrrp_script chk_ok {\n script ${ok}\n interval 1\n}\n` +
      instance('track_script {\n chk_h\n chk_ok\n }'));
    const log = memoryLogger();
    const set = new TrackerSet(r.config, log);
    const changes: unknown[] = [];
    set.start((kind, name, value) => changes.push([kind, name, value]));
    try {
      await waitFor('timed out', () => changes.some((c) => (c as string[])[1] === 'chk_h'), 8000);
      // The other script reported while the hung one was still running.
      assert.deepEqual(changes, [['script', 'chk_ok', true], ['script', 'chk_h', false]]);
      assert.ok(log.lines.includes('VRRP_Script(chk_h) timed_out'), log.lines.join('\n'));
    } finally {
      await set.stop();
    }
  });

  it('track_file: the number in the file, followed as it changes', async () => {
    const f = join(t.dir, 'weight');
    writeFileSync(f, '3\n');
    const r = loadConfigText(`track_file tf {\n file ${f}\n}\n${instance('track_file { tf }')}`);
    const log = memoryLogger();
    const set = new TrackerSet(r.config, log);
    assert.deepEqual(set.initialValues(), { 'file:tf': 3 });
    const changes: unknown[] = [];
    set.start((kind, name, value) => changes.push([kind, name, value]));
    try {
      writeFileSync(f, '-7\n');
      await waitFor('new value', () => changes.length >= 1);
      assert.deepEqual(changes.at(-1), ['file', 'tf', -7]);
      // Replaced by rename (how tools write files atomically).
      writeFileSync(`${f}.new`, '0x10');
      const { renameSync } = await import('node:fs');
      renameSync(`${f}.new`, f);
      await waitFor('renamed value', () => JSON.stringify(changes.at(-1)) === JSON.stringify(['file', 'tf', 16]));
    } finally {
      await set.stop();
    }
  });

  it('vrrp_track_process: quorum from /proc', async () => {
    const name = `ksl${process.pid % 100000}`;
    const bin = join(t.dir, name);
    copyFileSync('/bin/sleep', bin);
    const { chmodSync } = await import('node:fs');
    chmodSync(bin, 0o755);
    const r = loadConfigText(`vrrp_track_process tp {\n process ${name}\n quorum 2\n}\n${instance('track_process { tp }')}`);
    const log = memoryLogger();
    const set = new TrackerSet(r.config, log, { processPollMs: 100 });
    assert.deepEqual(set.initialValues(), { 'process:tp': false });
    const changes: unknown[] = [];
    set.start((kind, n, value) => changes.push([kind, n, value]));
    try {
      kids.push(spawn(bin, ['60'], { stdio: 'ignore' }));
      kids.push(spawn(bin, ['60'], { stdio: 'ignore' }));
      await waitFor('quorum up', () => changes.length >= 1);
      assert.deepEqual(changes[0], ['process', 'tp', true]);
      const k = kids[0]!;
      process.kill(k.pid!, 'SIGKILL');
      await new Promise((res) => k.once('exit', res));
      await waitFor('quorum down', () => changes.length >= 2);
      assert.deepEqual(changes[1], ['process', 'tp', false]);
    } finally {
      await set.stop();
    }
  });

  it('vrrp_track_process: terminate_delay hides a restart within the delay', async () => {
    const name = `ksd${process.pid % 100000}`;
    const bin = join(t.dir, name);
    copyFileSync('/bin/sleep', bin);
    const r = loadConfigText(`vrrp_track_process tp2 {\n process ${bin} 60\n terminate_delay 1\n}\n${instance('track_process { tp2 }')}`);
    const first = spawn(bin, ['60'], { stdio: 'ignore' });
    kids.push(first);
    await waitFor('process visible', () => {
      try {
        return readFileSync(`/proc/${first.pid}/cmdline`, 'latin1').startsWith(bin);
      } catch {
        return false;
      }
    });
    const log = memoryLogger();
    const set = new TrackerSet(r.config, log, { processPollMs: 100 });
    assert.deepEqual(set.initialValues(), { 'process:tp2': true });
    const changes: unknown[] = [];
    set.start((kind, n, value) => changes.push([kind, n, value]));
    try {
      // Full command with parameters: a process with other parameters does not count.
      kids.push(spawn(bin, ['61'], { stdio: 'ignore' }));
      first.kill('SIGKILL');
      await new Promise((res) => first.once('exit', res));
      kids.push(spawn(bin, ['60'], { stdio: 'ignore' }));
      await new Promise((res) => setTimeout(res, 1500));
      assert.deepEqual(changes, []);
      for (const k of kids.slice(-2)) k.kill('SIGKILL');
      await waitFor('quorum lost after the delay', () => changes.length >= 1, 5000);
      assert.deepEqual(changes, [['process', 'tp2', false]]);
      assert.ok(log.lines.includes('quorum lost timer for tp2 expired'), log.lines.join('\n'));
    } finally {
      await set.stop();
    }
  });
});
