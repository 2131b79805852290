// Retry counting and scheduling, step by step, as keepalived's checkers do it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  httpAfterReport, httpStep, initialHttpRunState, initialMiscRunState, initialRunState, miscRetryText, miscStep, tcpStep, udpStep,
} from '../../../src/check/sequence.js';

const T = { retry: 2, delay_before_retry: 3, delay_loop: 10 };

describe('TCP_CHECK sequencing', () => {
  it('the first failure counts at once (no retries before the first verdict)', () => {
    const s = initialRunState(false, T.retry);
    const st = tcpStep(s, false, T);
    assert.equal(st.report, false);
    assert.equal(st.afterRetries, undefined, 'first run: "failed." without retries');
    assert.equal(st.delay, 10);
  });

  it('once up, a failure is retried `retry` times at delay_before_retry before it counts', () => {
    const s = initialRunState(false, T.retry);
    assert.equal(tcpStep(s, true, T).report, true);
    s.hasRun = true;
    const a = tcpStep(s, false, T);
    assert.deepEqual([a.report, a.delay], [undefined, 3]);
    const b = tcpStep(s, false, T);
    assert.deepEqual([b.report, b.delay], [undefined, 3]);
    const c = tcpStep(s, false, T);
    assert.deepEqual([c.report, c.afterRetries, c.delay], [false, 2, 10]);
  });

  it('a success in the middle of retries resets the count and says nothing when already up', () => {
    const s = { isUp: true, hasRun: true, retryIt: 0 };
    tcpStep(s, false, T);
    const ok = tcpStep(s, true, T);
    assert.deepEqual([ok.report, ok.delay, s.retryIt], [undefined, 10, 0]);
  });

  it('TCP keeps cycling retries while down; UDP-style checkers do not', () => {
    const tcp = { isUp: false, hasRun: true, retryIt: 0 };
    assert.equal(tcpStep(tcp, false, T).delay, 3);
    const udp = { isUp: false, hasRun: true, retryIt: 0 };
    const st = udpStep(udp, false, T);
    assert.deepEqual([st.report, st.delay, udp.retryIt], [undefined, 10, 0]);
  });

  it('alpha: starts down; the first success reports up', () => {
    const s = initialRunState(true, T.retry);
    assert.equal(s.isUp, false);
    assert.equal(udpStep(s, true, T).report, true);
  });
});

describe('HTTP_GET sequencing', () => {
  it('checks URLs one per delay_loop and reports up after the last one', () => {
    const s = initialHttpRunState(true, T.retry);
    const a = httpStep(s, true, 2, T);
    assert.deepEqual([a.report, a.delay, s.urlIt], [undefined, 10, 1]);
    httpAfterReport(s, a, true, T, false);
    const b = httpStep(s, true, 2, T);
    assert.deepEqual([b.report, s.urlIt], [true, 0]);
  });

  it('a failure when up retries the same URL, then fails after `retry` retries and polls that URL', () => {
    const s = { ...initialHttpRunState(false, T.retry), hasRun: true, retryIt: 0, urlIt: 1 };
    const r1 = httpStep(s, false, 2, T);
    assert.deepEqual([r1.report, r1.delay, s.urlIt], [undefined, 3, 1]);
    httpStep(s, false, 2, T);
    const r3 = httpStep(s, false, 2, T);
    assert.deepEqual([r3.report, r3.afterRetries, s.failedUrl], [false, 2, 1]);
    assert.equal(r3.delay, 10, 'max(delay_before_retry, delay_loop)');
    s.isUp = false;
    const again = httpStep(s, false, 2, T);
    assert.deepEqual([again.report, again.delay, s.urlIt], [undefined, 10, 1]);
    // The failed URL recovers: a full pass from the first URL follows before "up".
    const rec = httpStep(s, true, 2, T);
    assert.deepEqual([rec.report, s.urlIt, s.failedUrl], [undefined, 0, -1]);
    httpStep(s, true, 2, T);
    assert.equal(httpStep(s, true, 2, T).report, true);
  });

  it('the very first failure is final at once (retry_it starts at retry)', () => {
    const s = initialHttpRunState(false, T.retry);
    const st = httpStep(s, false, 1, T);
    assert.equal(st.report, false);
  });

  it('fast_recovery runs again at once while down with no failed URL', () => {
    const s = initialHttpRunState(true, T.retry);
    const st = httpStep(s, true, 2, T);
    httpAfterReport(s, st, true, T, true);
    assert.equal(st.immediate, true);
  });
});

describe('MISC_CHECK sequencing', () => {
  const M = { retry: 1, delay_before_retry: 2, delay_loop: 5 };

  it('exit 0 up, exit 1 down (after retries), retries at delay_before_retry', () => {
    const s = initialMiscRunState(false, M.retry);
    const first = miscStep(s, { kind: 'exit', code: 0 }, false, 1, M, false);
    assert.deepEqual([first.report, first.success, first.delay], [true, true, 5]);
    s.hasRun = true;
    const f1 = miscStep(s, { kind: 'exit', code: 1 }, false, 1, M, false);
    assert.deepEqual([f1.report, f1.exitType, f1.delay], [undefined, undefined, 2]);
    const f2 = miscStep(s, { kind: 'exit', code: 1 }, false, 1, M, false);
    assert.deepEqual([f2.report, f2.exitType, f2.delay], [false, 'failed', 5]);
    assert.equal(miscRetryText(s, M.retry, false), ' after 1 retry');
  });

  it('misc_dynamic: exit 2..255 is up with weight exit-2; 1 is down; without dynamic 2 is down', () => {
    const s = initialMiscRunState(false, 0);
    const st = miscStep(s, { kind: 'exit', code: 12 }, true, 3, { ...M, retry: 0 }, false);
    assert.equal(st.success, true);
    assert.equal(3 + st.weightDelta!, 10);
    const same = miscStep(s, { kind: 'exit', code: 12 }, true, 3, { ...M, retry: 0 }, false);
    assert.equal(same.weightDelta, undefined, 'unchanged status: no weight update');
    const back = miscStep(s, { kind: 'exit', code: 0 }, true, 3, { ...M, retry: 0 }, false);
    assert.equal(10 + back.weightDelta!, 3, 'exit 0 restores the configured weight');
    const t = initialMiscRunState(false, 0);
    assert.equal(miscStep(t, { kind: 'exit', code: 2 }, false, 1, { ...M, retry: 0 }, false).report, false);
  });

  it('a timeout and a signal are failures, worded "timed out" and "failed"', () => {
    const s = initialMiscRunState(false, 0);
    assert.equal(miscStep(s, { kind: 'timeout' }, false, 1, { ...M, retry: 0 }, false).exitType, 'timed out');
    const t = initialMiscRunState(false, 0);
    assert.equal(miscStep(t, { kind: 'signal', signal: 'SIGKILL' }, false, 1, { ...M, retry: 0 }, false).exitType, 'failed');
  });

  it('log_all_failures logs retried failures without a verdict', () => {
    const s = { ...initialMiscRunState(false, 2), retryIt: 0, hasRun: true };
    const st = miscStep(s, { kind: 'exit', code: 1 }, false, 1, { ...M, retry: 2 }, true);
    assert.deepEqual([st.messageOnly, st.report, miscRetryText(s, 2, false)], [true, undefined, ', will do 2 retries']);
  });
});
