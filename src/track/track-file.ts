// track_file: the number in a file (read as C's strtol with base 0: "12", " -3", "0x10", "010")
// is the tracker's value; a missing or empty file reads 0. The file's directory is watched
// (fs.watch, inotify underneath) so writes, replacements by rename, and deletions are all seen.
import { mkdirSync, readFileSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { TrackFile } from '../config/blocks/trackers.js';
import type { Logger } from '../daemon/log.js';

/** C strtol(s, NULL, 0) on the file's text, or undefined when it overflows a long. */
export function strtol0(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(text);
  const digits = m?.[2];
  if (!digits) return 0;
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (m![1] === '-') v = -v;
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return Number(v);
}

const INT32_MIN = -0x80000000;
const INT32_MAX_PLUS_1 = 0x80000000;

export class FileTracker {
  private watcher: FSWatcher | undefined;
  private value: number;

  constructor(readonly t: TrackFile, private readonly log: Logger, private readonly onChange: (value: number) => void) {
    this.initFile();
    this.value = this.read() ?? 0;
  }

  get current(): number {
    return this.value;
  }

  /** init_file: write the value when the file is absent (or always with overwrite). */
  private initFile(): void {
    const init = this.t.init_file;
    if (!init || !this.t.file) return;
    let exists = false;
    try {
      exists = statSync(this.t.file).isFile();
    } catch {
      // Absent.
    }
    if (exists && !init.overwrite) return;
    try {
      mkdirSync(dirname(this.t.file), { recursive: true });
      writeFileSync(this.t.file, `${init.value}\n`);
    } catch (e) {
      this.log.info(`Unable to initialise track file ${this.t.name} (${(e as Error).message})`);
    }
  }

  /** The file's number now; undefined (keep the old value) when it is out of range. */
  read(): number | undefined {
    let text = '';
    try {
      text = readFileSync(this.t.file!, 'utf8').slice(0, 127);
    } catch {
      return 0;
    }
    const v = strtol0(text);
    if (v === undefined || v < INT32_MIN || v > INT32_MAX_PLUS_1) {
      this.log.info(`Invalid number ${v ?? text.trim()} read from ${this.t.file} - ignoring`);
      return undefined;
    }
    return v;
  }

  start(): void {
    const file = this.t.file!;
    const name = basename(file);
    try {
      this.watcher = watch(dirname(file), { persistent: false }, (_ev, f) => {
        if (f === null || f === name) this.reread();
      });
      this.watcher.on('error', (e) => this.log.info(`Unable to monitor track file ${this.t.name}: ${e.message}`));
    } catch (e) {
      this.log.info(`Unable to monitor track files (${(e as Error).message})`);
    }
    // Anything written between construction and the watch.
    this.reread();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  private reread(): void {
    const v = this.read();
    if (v === undefined || v === this.value) return;
    this.value = v;
    this.onChange(v);
  }
}
