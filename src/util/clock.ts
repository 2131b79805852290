// Time for the imperative shell: a monotonic clock in integer microseconds (the unit the pure VRRP
// machine works in) and one-shot timers at absolute deadlines. The simulator has its own virtual
// clock (src/sim/clock.ts); production uses this one.
import { keelNet, type KeelNet, type NativeHandle } from '../net/native.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic time in integer microseconds. */
  nowUs(): number;
  /** Wall-clock time in milliseconds since the epoch (for logs and status). */
  wallMs(): number;
  /**
   * Run `fn` once at monotonic time `atUs` (at once if that has passed). `punctual`: for the rare
   * deadline that must not be late (a backup's takeover), wake a little early and wait out the
   * rest, paying a few hundred microseconds of CPU for it.
   */
  at(atUs: number, fn: () => void, punctual?: boolean): TimerHandle;
}

/**
 * How early a punctual deadline wakes: a timerfd wake-up reaches JavaScript 0.1-0.2 ms after the
 * deadline at the median and rarely over 0.4 ms later (measured on the development VM).
 */
export const PUNCTUAL_LEAD_US = 400;

// The kernel's CLOCK_MONOTONIC in microseconds (process.hrtime reads it): the clock the addon's
// timerfd is armed on.
function monotonicUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1_000_000 + Math.floor(ns / 1000);
}

// Without the addon: setTimeout has millisecond resolution and fires a little late, never early:
// the timer is set for the whole milliseconds left minus one, and the last stretch is finished on
// setImmediate turns, so a deadline fires within a few tens of microseconds after it is due (an
// advert timer late by milliseconds would show on the wire). The cost is a busy millisecond per
// deadline, which the timerfd clock below does not pay.
const SPIN_US = 1000;

export const spinClock: Clock = {
  nowUs: monotonicUs,
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
      const left = atUs - monotonicUs();
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

interface Pending { at: number; wake: number; seq: number; fn: () => void; cancelled: boolean }

/**
 * Deadlines on one timerfd (the addon), armed for the earliest: the kernel wakes Node's loop when
 * it is due, to within tens of microseconds, with no busy waiting. A binary heap keeps the
 * deadlines; cancelled ones are dropped when they reach the top.
 */
export class TimerfdClock implements Clock {
  private readonly heap: Pending[] = [];
  private seq = 0;
  private armedFor = 0;
  private readonly handle: NativeHandle;

  constructor(private readonly net: KeelNet) {
    this.handle = net.timerOpen(() => this.fire());
  }

  nowUs(): number {
    return monotonicUs();
  }

  wallMs(): number {
    return Date.now();
  }

  at(atUs: number, fn: () => void, punctual = false): TimerHandle {
    const at = Math.max(1, atUs);
    const p: Pending = { at, wake: punctual ? Math.max(1, at - PUNCTUAL_LEAD_US) : at, seq: this.seq++, fn, cancelled: false };
    this.push(p);
    // Never calls back synchronously, even when the deadline has passed: the kernel fires an
    // absolute timer in the past at once, through the loop.
    if (this.heap[0] === p) this.arm(p.wake);
    return {
      cancel: () => {
        p.cancelled = true;
        // The armed deadline gone (a backup's master-down, moved by every advert heard): re-arm
        // for the next one now rather than wake the loop for nothing.
        if (this.heap[0] !== p) return;
        while (this.heap[0]?.cancelled) this.pop();
        if (this.heap[0]) this.arm(this.heap[0].wake);
        else this.disarm();
      },
    };
  }

  private arm(at: number): void {
    if (this.armedFor === at) return;
    this.armedFor = at;
    this.net.timerArm(this.handle, at);
  }

  private fire(): void {
    this.armedFor = 0;
    // Run what is due in deadline order; a callback may add deadlines, due ones included.
    next: for (;;) {
      while (this.heap[0]?.cancelled) this.pop();
      const now = monotonicUs();
      if (!this.heap[0] || this.heap[0].wake > now) break;
      // Of the deadlines woken, the earliest runs first (a punctual one wakes before its time).
      const woken: Pending[] = [];
      for (let h = this.heap[0]; h && h.wake <= now; h = this.heap[0]) {
        this.pop();
        if (!h.cancelled) woken.push(h);
      }
      if (!woken.length) continue;
      let p = woken[0]!;
      for (const w of woken) if (w.at < p.at || (w.at === p.at && w.seq < p.seq)) p = w;
      for (const w of woken) if (w !== p) this.push(w);
      // Woken early: wait out the rest, unless another deadline falls due before it meanwhile.
      for (let t = monotonicUs(); t < p.at; t = monotonicUs()) {
        const h = this.heap[0];
        if (h && h.wake <= t && h.at < p.at) {
          this.push(p);
          continue next;
        }
      }
      p.fn();
    }
    if (this.heap[0]) this.arm(this.heap[0].wake);
    else this.disarm();
  }

  private disarm(): void {
    this.armedFor = 0;
    this.net.timerArm(this.handle, 0);
  }

  private less(a: Pending, b: Pending): boolean {
    return a.wake < b.wake || (a.wake === b.wake && a.seq < b.seq);
  }

  private push(p: Pending): void {
    const h = this.heap;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.less(h[i]!, h[up]!)) break;
      [h[i], h[up]] = [h[up]!, h[i]!];
      i = up;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

let precise: Clock | undefined;

/** The production clock: timerfd deadlines when the addon loads, else setTimeout plus a spin. */
export const realClock: Clock = {
  nowUs: monotonicUs,
  wallMs: () => Date.now(),
  at(atUs, fn, punctual) {
    if (!precise) {
      try {
        precise = new TimerfdClock(keelNet());
      } catch {
        precise = spinClock;
      }
    }
    return precise.at(atUs, fn, punctual);
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
