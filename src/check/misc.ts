// MISC_CHECK: run misc_path as argv (never a shell) in its own process group; misc_timeout kills
// the group (SIGTERM, then SIGKILL), as check_misc.c does. The exit status is judged in
// sequence.ts (0 up, 1 down, 2..255 up with weight status-2 under misc_dynamic).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { MiscChecker } from '../config/blocks/checkers.js';
import type { MiscOutcome } from './sequence.js';

/** Grace between SIGTERM and SIGKILL for a script that outlives misc_timeout. */
const KILL_GRACE_MS = 2000;

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** Run a script as argv within `timeoutS` seconds; resolves with how it ended. */
export function runScript(argv: readonly string[], timeoutS: number, as: RunAs = {}): Promise<MiscOutcome> {
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const settle = (o: MiscOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killer);
      resolve(o);
    };
    let killer: NodeJS.Timeout | undefined;
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore', detached: true, ...as });
    const group = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch { /* already gone */ }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      group('SIGTERM');
      killer = setTimeout(() => group('SIGKILL'), KILL_GRACE_MS);
    }, Math.max(1, timeoutS * 1000));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // keepalived's forked child exits 127 when exec fails; the verdict is the same: failure.
      settle(e.code === 'ENOENT' || e.code === 'EACCES' ? { kind: 'exit', code: 127 } : { kind: 'error', message: e.message });
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        // Children the script left behind go with it, as keepalived kills the whole group.
        if (timedOut) group('SIGKILL');
        settle(timedOut ? { kind: 'timeout' } : { kind: 'signal', signal });
      } else settle({ kind: 'exit', code: code ?? 0 });
    });
  });
}

export function probeMisc(c: MiscChecker, as?: RunAs): Promise<MiscOutcome> {
  return runScript(c.misc_path.argv, c.misc_timeout, as);
}

/** Signal names as keepalived prints numbers ("due to signal 9"). */
export function signalNumber(sig: string): number {
  return (constants.signals as Record<string, number>)[sig] ?? 0;
}
