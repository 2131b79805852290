// MISC_CHECK with real scripts: each exit-code class, misc_dynamic weights, a timeout, a signal.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Run, vsConfig } from './harness.js';

let dir = '';
const script = (name: string, body: string): string => {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keel-misc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const rs = (ip: string, checker: string): string => `
  real_server ${ip} 80 {
    weight 4
    MISC_CHECK {
      retry 0
      ${checker}
    }
  }`;

describe('MISC_CHECK', () => {
  it('exit 0 up, exit 1 down, exit 2..255 up with weight exit-2 under misc_dynamic, down otherwise', async () => {
    const ok = script('ok', 'exit 0');
    const fail = script('fail', 'exit 1');
    const seven = script('seven', 'exit 7');
    // An argument with a space reaches the script as one argv word (no shell in between).
    const args = script('args', '[ "$1" = "two words" ] && exit 0; exit 1');
    const run = new Run(vsConfig([
      rs('127.0.0.1', `misc_path "${ok}"`),
      rs('127.0.0.2', `misc_path "${fail}"`),
      rs('127.0.0.3', `misc_path "${seven}"\n misc_dynamic`),
      rs('127.0.0.4', `misc_path "${seven}"`),
      rs('127.0.0.5', `misc_path "${args} 'two words'"`),
    ].join('')));
    try {
      await run.until(() => !!run.event('[127.0.0.2]:tcp:80', false) && !!run.event('[127.0.0.4]:tcp:80', false), 3000, 'failing scripts down');
      assert.equal(run.event('[127.0.0.2]:tcp:80', false)!.cause, 'exited with status 1');
      assert.ok(run.logs.includes(`Misc check for [[127.0.0.2]:tcp:80 VS [10.255.0.1]:tcp:80] by [${fail}] failed with retry disabled (exited with status 1).`));
      await run.until(() => run.snapshot().virtualServers[0]!.realServers[2]!.weight === 5, 3000, 'dynamic weight 5');
      await new Promise((r) => setTimeout(r, 300));
      const dests = run.snapshot().table.services[0]!.dests.map((d) => `${d.address}/${d.weight}`);
      assert.deepEqual(dests, ['127.0.0.1/4', '127.0.0.3/5', '127.0.0.5/4']);
    } finally {
      run.stop();
    }
  });

  it('a script outliving misc_timeout is killed and counts as "timed out"; one killed by a signal fails', async () => {
    const slow = script('slow', 'sleep 30');
    const killed = script('killed', 'kill -9 $$');
    const run = new Run(vsConfig([
      rs('127.0.0.1', `misc_path "${slow}"\n misc_timeout 1`),
      rs('127.0.0.2', `misc_path "${killed}"`),
    ].join('')));
    try {
      await run.until(() => !!run.event('[127.0.0.1]:tcp:80', false) && !!run.event('[127.0.0.2]:tcp:80', false), 6000, 'both down');
      const t = run.event('[127.0.0.1]:tcp:80', false)!;
      assert.equal(t.cause, 'timed out');
      assert.ok(t.at >= 1000 && t.at < 4000, `timeout after misc_timeout (${t.at} ms)`);
      assert.ok(run.logs.includes(`Misc check for [[127.0.0.1]:tcp:80 VS [10.255.0.1]:tcp:80] by [${slow}] timed out with retry disabled.`));
      assert.equal(run.event('[127.0.0.2]:tcp:80', false)!.cause, 'due to signal 9');
      assert.ok(run.logs.includes(`Misc check for [[127.0.0.2]:tcp:80 VS [10.255.0.1]:tcp:80] by [${killed}] failed with retry disabled (due to signal 9).`));
    } finally {
      run.stop();
    }
  });
});
