// The production clock's timerfd deadlines (the addon): order, never early, cancellation, and
// punctual deadlines (woken early, the rest waited out) that still never fire before their time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keelNet } from '../../../src/net/native.js';
import { TimerfdClock } from '../../../src/util/clock.js';

test('timerfd clock: deadlines fire in order, never early; cancelled ones never', async () => {
  const clock = new TimerfdClock(keelNet());
  const t0 = clock.nowUs();
  const fired: { name: string; at: number; now: number }[] = [];
  const plan = [
    { name: 'c', offset: 30_000, punctual: false },
    { name: 'a', offset: 10_000, punctual: true },
    { name: 'x', offset: 15_000, punctual: true },
    { name: 'b', offset: 20_000, punctual: false },
    { name: 'd', offset: 30_200, punctual: true },
  ];
  const handles = new Map<string, { cancel(): void }>();
  await new Promise<void>((done) => {
    let left = plan.length - 1;
    for (const p of plan) {
      const at = t0 + p.offset;
      handles.set(p.name, clock.at(at, () => {
        fired.push({ name: p.name, at, now: clock.nowUs() });
        if (--left === 0) done();
      }, p.punctual));
    }
    handles.get('x')!.cancel();
  });
  assert.deepEqual(fired.map((f) => f.name), ['a', 'b', 'c', 'd']);
  for (const f of fired) assert.ok(f.now >= f.at, `${f.name} fired ${f.at - f.now} µs early`);
});

test('timerfd clock: a deadline already past fires through the loop, not synchronously', async () => {
  const clock = new TimerfdClock(keelNet());
  let fired = false;
  await new Promise<void>((done) => {
    clock.at(clock.nowUs() - 1000, () => { fired = true; done(); }, true);
    assert.equal(fired, false);
  });
  assert.equal(fired, true);
});
