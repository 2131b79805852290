// Time for the imperative shell: a monotonic clock in integer microseconds (the unit the pure VRRP
// machine works in) and one-shot timers at absolute deadlines. The simulator has its own virtual
// clock (src/sim/clock.ts); production uses this one.
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic time in integer microseconds. */
  nowUs(): number;
  /** Wall-clock time in milliseconds since the epoch (for logs and status). */
  wallMs(): number;
  /** Run `fn` once at monotonic time `atUs` (at once if that has passed). */
  at(atUs: number, fn: () => void): TimerHandle;
}

// setTimeout has millisecond resolution and fires a little late, never early: the timer is set
// for the whole milliseconds left minus one, and the last stretch is finished on setImmediate
// turns, so a deadline fires within a few tens of microseconds after it is due (an advert timer
// late by milliseconds would show on the wire).
const SPIN_US = 1000;

export const realClock: Clock = {
  nowUs: () => Math.floor(performance.now() * 1000),
  wallMs: () => Date.now(),
  at(atUs, fn) {
    let t: NodeJS.Timeout | undefined;
    let im: NodeJS.Immediate | undefined;
    let cancelled = false;
    // Never calls back synchronously: the caller may be in the middle of applying effects.
    const arm = (): void => {
      t = undefined;
      im = undefined;
      if (cancelled) return;
      const left = atUs - realClock.nowUs();
      if (left <= 0) fn();
      else if (left <= SPIN_US) im = setImmediate(arm);
      else t = setTimeout(arm, Math.floor((left - SPIN_US) / 1000) + 1);
    };
    im = setImmediate(arm);
    return {
      cancel() {
        cancelled = true;
        if (t) clearTimeout(t);
        if (im) clearImmediate(im);
      },
    };
  },
};

/**
 * A clock that moves only when told (unit tests of the shell). `advance` runs the timers that fall
 * due in deadline order, letting pending promise jobs (packet delivery, kernel calls) settle
 * after each one, as the event loop would between timers.
 */
export class ManualClock implements Clock {
  private now = 0;
  private seq = 0;
  private readonly queue: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];

  constructor(private readonly wallStartMs = 1_700_000_000_000) {}

  nowUs(): number {
    return this.now;
  }

  wallMs(): number {
    return this.wallStartMs + Math.floor(this.now / 1000);
  }

  at(atUs: number, fn: () => void): TimerHandle {
    const t = { at: Math.max(atUs, this.now), seq: this.seq++, fn, cancelled: false };
    this.queue.push(t);
    return { cancel: () => { t.cancelled = true; } };
  }

  async advance(us: number): Promise<void> {
    const end = this.now + us;
    await settle();
    for (;;) {
      let next: (typeof this.queue)[number] | undefined;
      for (const t of this.queue) {
        if (t.cancelled || t.at > end) continue;
        if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
      }
      if (!next) break;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.now = next.at;
      next.fn();
      await settle();
    }
    this.now = end;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.cancelled) this.queue.splice(i, 1);
  }
}

/** Let queued microtasks and immediates run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
