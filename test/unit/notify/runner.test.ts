// The script runner: argv without a shell, uid/gid, process-group kills, keepalived's "</file" test,
// and startup/shutdown scripts.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigText } from '../../../src/config/build.js';
import { memoryLogger } from '../../../src/daemon/log.js';
import { runLifecycleScript } from '../../../src/notify/lifecycle.js';
import { ScriptRunner, cmdStr } from '../../../src/notify/runner.js';
import { isRoot } from '../../helpers/env.js';
import { script, tempDir, waitFor } from './helpers.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ScriptRunner', () => {
  const t = tempDir('runner');
  after(() => t.remove());

  it('passes arguments verbatim: no shell sees them', async () => {
    const out = join(t.dir, 'args');
    const s = script(join(t.dir, 'echo'), `printf '%s\\n' "$@" > '${out}'`);
    const r = await new ScriptRunner(memoryLogger()).run([s, '$(touch pwned)', '; rm -rf x', "it's"]);
    assert.deepEqual(r, { kind: 'exited', code: 0 });
    assert.deepEqual(readFileSync(out, 'utf8').split('\n').filter(Boolean), ['$(touch pwned)', '; rm -rf x', "it's"]);
    assert.equal(existsSync(join(t.dir, 'pwned')), false);
  });

  it('a timeout kills the script and everything it started (its process group)', async () => {
    const pidFile = join(t.dir, 'bg.pid');
    const s = script(join(t.dir, 'spawner'), `sleep 60 &\necho $! > '${pidFile}'\nwait`);
    const r = await new ScriptRunner(memoryLogger()).run([s], { timeoutMs: 300, killAfterMs: 2000 });
    assert.deepEqual(r, { kind: 'signaled', signal: 'SIGTERM', timedOut: true });
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('background child gone', () => !alive(bg));
  });

  it('SIGKILL follows SIGTERM for a script that ignores it', async () => {
    const s = script(join(t.dir, 'stubborn'), `trap '' TERM\nwhile :; do sleep 1; done`);
    const r = await new ScriptRunner(memoryLogger()).run([s], { timeoutMs: 200, killAfterMs: 500 });
    assert.deepEqual(r, { kind: 'signaled', signal: 'SIGKILL', timedOut: true });
  });

  it('answers keepalived\'s "</file" readability test without a shell', async () => {
    const runner = new ScriptRunner(memoryLogger());
    assert.deepEqual(await runner.run([`<${join(t.dir, 'echo')}`]), { kind: 'exited', code: 0 });
    assert.deepEqual(await runner.run([`<${join(t.dir, 'nope')}`]), { kind: 'exited', code: 1 });
  });

  it('runs as the given uid and gid', { skip: isRoot() ? false : 'needs root to switch user' }, async () => {
    const d = join(t.dir, 'open');
    mkdirSync(d);
    chmodSync(d, 0o777);
    const out = join(d, 'id');
    const s = script(join(t.dir, 'whoami'), `echo "$(id -u):$(id -g)" > '${out}'`);
    const r = await new ScriptRunner(memoryLogger()).run([s], { uid: 65534, gid: 65534 });
    assert.deepEqual(r, { kind: 'exited', code: 0 });
    assert.equal(readFileSync(out, 'utf8').trim(), '65534:65534');
  });

  it('quotes words as keepalived\'s cmd_str', () => {
    assert.equal(cmdStr(['/bin/x', 'a b']), "'/bin/x' 'a b'");
    assert.equal(cmdStr(['</etc/passwd']), '</etc/passwd');
  });
});

describe('startup_script / shutdown_script', () => {
  const t = tempDir('life');
  after(() => t.remove());
  it('logs a failure and a timeout in keepalived\'s words', async () => {
    const fail = script(join(t.dir, 'fail'), 'exit 3');
    const hang = script(join(t.dir, 'hang'), 'sleep 60');
    const r = loadConfigText(`
global_defs {
  enable_script_security
  script_user root
  startup_script ${fail}
  shutdown_script ${hang}
  shutdown_script_timeout 1
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 192.0.2.1/32 }
}
`);
    const log = memoryLogger();
    assert.deepEqual(await runLifecycleScript('startup', r.config, log), { kind: 'exited', code: 3 });
    assert.deepEqual(await runLifecycleScript('shutdown', r.config, log), { kind: 'signaled', signal: 'SIGTERM', timedOut: true });
    assert.deepEqual(log.lines.filter((l) => !l.startsWith('Running')), ['startup script script failed, status 3', 'shutdown script timed out']);
  });
});
