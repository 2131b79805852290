// keepalived's notify FIFOs: created (mode 0644, owned by the configured user) when absent, their
// reader script started with the FIFO's name as its last argument, then opened read-write and
// non-blocking so a writer never waits for a reader. A full FIFO drops the line, as keepalived
// ignores the write error.
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import type { NotifyFifo } from '../config/blocks/global.js';
import type { ScriptSpec } from '../config/words.js';
import type { Logger } from '../daemon/log.js';
import type { Config } from '../config/types.js';
import { accountFor } from './identity.js';
import type { ScriptRunner } from './runner.js';

/** The states and events a FIFO line can carry. */
export type FifoState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED' | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

/** One line exactly as keepalived writes it: `INSTANCE "VI_1" MASTER 100\n` (groups: priority 0). */
export function fifoLine(kind: 'INSTANCE' | 'GROUP', name: string, state: FifoState, priority: number): string {
  return `${kind} "${name}" ${state} ${priority}\n`;
}

export class FifoWriter {
  private fd = -1;
  private created = false;

  private constructor(readonly path: string) {}

  /**
   * Create/open the FIFO and start its reader script. `type` is "" or "vrrp_" for messages.
   * Returns undefined (after logging) when the FIFO cannot be used; VRRP goes on without it.
   */
  static open(fifo: NotifyFifo, script: ScriptSpec | undefined, type: string, config: Config, runner: ScriptRunner, log: Logger): FifoWriter | undefined {
    const w = new FifoWriter(fifo.name);
    let exists = false;
    try {
      exists = lstatSync(fifo.name) !== undefined;
    } catch {
      // Absent: create it.
    }
    if (!exists) {
      // Node has no mkfifo(3); coreutils' mkfifo is run as argv (no shell).
      const r = spawnSync('mkfifo', ['-m', '0644', fifo.name], { stdio: 'ignore' });
      if (r.status !== 0) {
        log.info(`Unable to create ${type}notify fifo ${fifo.name}`);
        return undefined;
      }
      w.created = true;
      if (fifo.user !== undefined) {
        const a = accountFor(config, fifo.user, fifo.group);
        try {
          chownSync(fifo.name, a.uid, a.gid);
        } catch {
          log.info(`Failed to set uid:gid for fifo ${fifo.name}`);
        }
      }
    }
    if (script) {
      const a = accountFor(config, script.user, script.group);
      void runner.run([...script.argv, fifo.name], { uid: a.uid, gid: a.gid }).then(() => {
        log.info(`${type === 'vrrp_' ? 'vrrp ' : ''}notify fifo script terminated`);
      });
    }
    try {
      w.fd = openSync(fifo.name, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (e) {
      log.info(`Unable to open ${type}notify fifo ${fifo.name} - errno ${(e as NodeJS.ErrnoException).errno ?? '?'}`);
      if (w.created) w.unlink();
      return undefined;
    }
    return w;
  }

  write(line: string): void {
    if (this.fd < 0) return;
    try {
      writeSync(this.fd, line);
    } catch {
      // EAGAIN (no reader keeping up): keepalived drops the line too.
    }
  }

  /** Unlink first (a reader looping on reopen must not find it again), then close. */
  close(): void {
    if (this.created) this.unlink();
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed.
      }
      this.fd = -1;
    }
  }

  private unlink(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // Already removed.
    }
    this.created = false;
  }
}
