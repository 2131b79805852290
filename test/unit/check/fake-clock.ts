// A virtual clock for the checker engine: timers fire only when the test advances time.
import type { Clock } from '../../../src/check/engine.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const tm = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(tm);
    return tm;
  }

  clearTimer(h: unknown): void {
    this.timers = this.timers.filter((x) => x !== h);
  }

  /** Run every timer due within `ms`, letting the probes' promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
  }

  pending(): number {
    return this.timers.length;
  }
}

/** Let resolved promises run (several hops of async functions). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
