// Trace recorder and replayer. Every run of the simulator can record what happened (actions,
// state transitions with their causes, adverts, notifies and, optionally, keepalived's log lines)
// as timestamped lines. A run is a pure function of its scenario, so replaying the scenario must
// give the same lines: `compareTraces` finds the first divergence, and a digest identifies a run.
import { formatUs } from '../vrrp/timers.js';

export interface TraceEntry {
  /** Virtual time, microseconds. */
  t: number;
  /** Router index, or -1 for the world (actions, checks). */
  router: number;
  text: string;
}

export class TraceRecorder {
  readonly entries: TraceEntry[] = [];

  constructor(readonly enabled = true, readonly routerNames: readonly string[] = []) {}

  record(t: number, router: number, text: string): void {
    if (this.enabled) this.entries.push({ t, router, text });
  }

  /** The trace as text, one entry a line (the last `last` entries when given). */
  format(last?: number): string {
    const list = last !== undefined && this.entries.length > last ? this.entries.slice(-last) : this.entries;
    const skipped = this.entries.length - list.length;
    const head = skipped ? [`... ${skipped} earlier entries omitted ...`] : [];
    return head.concat(list.map((e) => formatEntry(e, this.routerNames))).join('\n');
  }

  digest(): string {
    return digestEntries(this.entries);
  }
}

export function formatEntry(e: TraceEntry, names: readonly string[] = []): string {
  const who = e.router < 0 ? 'world' : names[e.router] ?? `r${e.router}`;
  return `[${formatUs(e.t).padStart(12)}] ${who.padEnd(6)} ${e.text}`;
}

/** FNV-1a over the entries: equal digests mean equal runs (with overwhelming probability). */
export function digestEntries(entries: readonly TraceEntry[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  for (const e of entries) {
    mix(String(e.t));
    mix('|');
    mix(String(e.router));
    mix('|');
    mix(e.text);
    mix('\n');
  }
  return h.toString(16).padStart(8, '0') + ':' + entries.length;
}

export interface TraceDivergence {
  index: number;
  recorded?: TraceEntry;
  replayed?: TraceEntry;
}

/** The first place where a replay differs from the recording, or undefined when identical. */
export function compareTraces(recorded: readonly TraceEntry[], replayed: readonly TraceEntry[]): TraceDivergence | undefined {
  const n = Math.max(recorded.length, replayed.length);
  for (let i = 0; i < n; i++) {
    const a = recorded[i];
    const b = replayed[i];
    if (!a || !b || a.t !== b.t || a.router !== b.router || a.text !== b.text) return { index: i, recorded: a, replayed: b };
  }
  return undefined;
}

/** Replay: run the same thing again and say where it differs from the recording. */
export function replay(recorded: readonly TraceEntry[], run: () => readonly TraceEntry[]): TraceDivergence | undefined {
  return compareTraces(recorded, run());
}
