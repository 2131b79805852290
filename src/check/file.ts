// FILE_CHECK: a real server follows a track_file's value (check_file.c): with weight 0 any
// non-zero value means down; otherwise value * weight (negated by weight_reverse) is added to the
// server's weight, and a result at or below -2^31 (IPVS_WEIGHT_FAULT) means down. The file is
// watched with fs.watch (inotify), plus a slow poll in case the directory is replaced.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export const IPVS_WEIGHT_FAULT = -2147483648;

/** The file's value as keepalived reads it: a leading integer, 0 when missing or unreadable. */
export function readTrackValue(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch {
    return 0;
  }
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const v = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, v));
}

/** What a value means for the checker: up or down, and its weight contribution. */
export function fileVerdict(value: number, weight: number, reverse: boolean): { up: boolean; weight: number } {
  if (!weight) return { up: value === 0, weight: 0 };
  const w = value * weight * (reverse ? -1 : 1);
  return w <= IPVS_WEIGHT_FAULT ? { up: false, weight: 0 } : { up: true, weight: w };
}

/** Calls `onChange(value)` whenever the file's value changes. */
export class FileWatch {
  private watcher: FSWatcher | undefined;
  private readonly poll: NodeJS.Timeout;
  value: number;

  constructor(private readonly path: string, private readonly onChange: (v: number) => void, pollMs = 5000) {
    this.value = readTrackValue(path);
    try {
      this.watcher = watch(dirname(path), (_ev, name) => {
        if (name === null || name === basename(path)) this.check();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
    this.poll = setInterval(() => this.check(), pollMs);
    this.poll.unref?.();
  }

  private check(): void {
    const v = readTrackValue(this.path);
    if (v === this.value) return;
    this.value = v;
    this.onChange(v);
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.poll);
  }
}
