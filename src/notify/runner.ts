// Runs scripts the way keepalived's system_call_script does: argv exec'd directly (never through a
// shell), as the script's uid/gid, in a process group of its own so a timeout kills the script and
// everything it started. A script that is missing, not executable, crashes or hangs is reported in
// the log and never throws: the caller (VRRP, trackers) carries on.
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import type { Logger } from '../daemon/log.js';

export interface RunOptions {
  /** After this, SIGTERM to the process group; undefined: no limit (keepalived's notify scripts). */
  timeoutMs?: number;
  /** After SIGTERM, how long before SIGKILL (keepalived: 2 s for vrrp_script). 0: SIGKILL at once. */
  killAfterMs?: number;
  uid?: number;
  gid?: number;
}

export type RunResult =
  | { kind: 'exited'; code: number }
  | { kind: 'signaled'; signal: NodeJS.Signals; timedOut: boolean }
  /** Could not start at all (ENOENT, EACCES, bad uid...): keepalived's child would exit 0 after logging. */
  | { kind: 'error'; code: string; message: string };

/** keepalived's cmd_str: each word in single quotes (a leading "<file" test stays bare). */
export function cmdStr(argv: readonly string[]): string {
  return argv.map((w, i) => (i === 0 && (w[0] === '<' || w[0] === '>') ? w : `'${w}'`)).join(' ');
}

const ourUid = (): number => process.geteuid?.() ?? 0;
const ourGid = (): number => process.getegid?.() ?? 0;

export class ScriptRunner {
  private readonly live = new Map<number, Promise<RunResult>>();

  constructor(private readonly log: Logger) {}

  /** Scripts still running (pid -> completion). */
  get running(): number {
    return this.live.size;
  }

  run(argv: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const file = argv[0];
    if (file === undefined) return Promise.resolve({ kind: 'error', code: 'EINVAL', message: 'empty command' });
    // "</path" is keepalived's file-readability test, which it hands to /bin/sh: answer it here
    // without a shell (exit 0 when the file can be opened for reading, 1 otherwise).
    if (file[0] === '<') return Promise.resolve(readableTest(file.slice(1).trim()));
    const opts: Parameters<typeof spawn>[2] = { stdio: 'ignore', detached: true };
    // Only switch identity when it differs: an unprivileged keel (tests) cannot setgid to itself.
    if (o.gid !== undefined && o.gid !== ourGid()) opts.gid = o.gid;
    if (o.uid !== undefined && o.uid !== ourUid()) opts.uid = o.uid;
    return new Promise<RunResult>((resolve) => {
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(file, argv.slice(1), opts);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        this.log.error(`Error exec-ing command '${file}', error ${err.code ?? '?'}: ${err.message}`);
        resolve({ kind: 'error', code: err.code ?? 'ERROR', message: err.message });
        return;
      }
      let timedOut = false;
      let termTimer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const done = (r: RunResult): void => {
        if (termTimer) clearTimeout(termTimer);
        if (killTimer) clearTimeout(killTimer);
        if (child.pid !== undefined) this.live.delete(child.pid);
        resolve(r);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.log.error(`Error exec-ing command '${file}', error ${err.code ?? '?'}: ${err.message}`);
        done({ kind: 'error', code: err.code ?? 'ERROR', message: err.message });
      });
      child.once('exit', (code, signal) => {
        // The script is gone; anything it left behind in its group goes with it when we timed it out.
        if (timedOut && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
        if (signal) done({ kind: 'signaled', signal, timedOut });
        else done({ kind: 'exited', code: code ?? 0 });
      });
      if (child.pid === undefined) return;
      const pid = child.pid;
      this.live.set(pid, new Promise<RunResult>((r) => child.once('exit', () => r({ kind: 'exited', code: 0 }))));
      if (o.timeoutMs !== undefined) {
        termTimer = setTimeout(() => {
          timedOut = true;
          const after = o.killAfterMs ?? 2000;
          if (after <= 0) {
            killGroup(pid, 'SIGKILL');
            return;
          }
          killGroup(pid, 'SIGTERM');
          killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), after);
        }, o.timeoutMs);
      }
    });
  }

  /** Signal every script still running (its whole group) and wait for them, SIGKILL after graceMs. */
  async killAll(graceMs = 1000): Promise<void> {
    if (!this.live.size) return;
    const pids = [...this.live.keys()];
    for (const pid of pids) killGroup(pid, 'SIGTERM');
    const all = Promise.all(pids.map((p) => this.live.get(p)));
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => { t = setTimeout(r, graceMs); });
    await Promise.race([all, timeout]);
    if (t) clearTimeout(t);
    // Only those signalled above: scripts started since (STOP notifications) keep their own limit.
    for (const pid of pids) if (this.live.has(pid)) killGroup(pid, 'SIGKILL');
    await all;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone (ESRCH): nothing to kill.
  }
}

function readableTest(path: string): RunResult {
  try {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    return { kind: 'exited', code: 0 };
  } catch {
    return { kind: 'exited', code: 1 };
  }
}

/** A short description of how a run ended, for log lines. */
export function describe(r: RunResult): string {
  if (r.kind === 'exited') return `exited with status ${r.code}`;
  if (r.kind === 'signaled') return r.timedOut ? 'timed out' : `killed by signal ${r.signal}`;
  return `could not be run (${r.code})`;
}
