// The parent's respawn back-off, as keepalived's: at once the first time or after a minute's
// running, then 1, 2, 4 ... 32, 60 seconds while the child keeps dying quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDelay } from '../../../src/daemon/run.js';

test('quick deaths back off 0, 1, 2, 4 ... 32, 60, 60 seconds', () => {
  const delays: number[] = [];
  let next = 0;
  for (let i = 0; i < 9; i++) {
    const r = restartDelay(5_000, next);
    delays.push(r.delay);
    next = r.next;
  }
  assert.deepEqual(delays, [0, 1, 2, 4, 8, 16, 32, 60, 60]);
});

test('a child that ran for a minute is restarted at once and the back-off resets', () => {
  assert.deepEqual(restartDelay(60_000, 16), { delay: 0, next: 0 });
  assert.deepEqual(restartDelay(59_999, 16), { delay: 16, next: 32 });
});
