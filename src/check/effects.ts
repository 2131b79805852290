// The checker's side effects on the host: notify_up/notify_down and quorum scripts (argv, never a
// shell, as their configured user) and the VS/RS lines keepalived writes to notify_fifo and
// lvs_notify_fifo. smtp_alert is left to the notify work: the engine emits 'alert' events.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { resolveUser } from '../config/blocks/trackers.js';
import type { Config } from '../config/types.js';
import type { ScriptSpec } from '../config/words.js';
import type { RunAs } from './misc.js';

/** Who a script runs as: its own user/group, else global script_user, else keel's own user. */
export function scriptAccount(config: Config, u: { user: string; group?: string } | undefined): RunAs | undefined {
  const who = u ?? config.global_defs.script_user;
  if (!who) return undefined;
  const a = resolveUser(who.user, who.group);
  return a ? { uid: a.uid, gid: a.gid } : undefined;
}

export class EffectRunner {
  private readonly fifos: number[] = [];

  constructor(private readonly config: Config, private readonly log: (m: string) => void) {
    const g = config.global_defs;
    for (const f of [g.notify_fifo, g.lvs_notify_fifo]) {
      if (f) this.openFifo(f.name);
    }
  }

  /** keepalived creates a missing FIFO and opens it read-write so writes never block on open. */
  private openFifo(name: string): void {
    try {
      let st;
      try {
        st = statSync(name);
      } catch {
        spawnSync('mkfifo', ['-m', '0600', name]);
        st = statSync(name);
      }
      if (!st.isFIFO()) {
        this.log(`${name} is not a FIFO - not writing checker notifications to it`);
        return;
      }
      this.fifos.push(openSync(name, constants.O_RDWR | constants.O_NONBLOCK));
    } catch (e) {
      this.log(`Unable to open notify FIFO ${name}: ${(e as Error).message}`);
    }
  }

  accountFor(u: { user: string; group?: string } | undefined): RunAs | undefined {
    return scriptAccount(this.config, u);
  }

  script(spec: ScriptSpec, why: string): void {
    const as = this.accountFor(spec.user !== undefined ? { user: spec.user, ...(spec.group !== undefined ? { group: spec.group } : {}) } : undefined);
    try {
      const child = spawn(spec.argv[0]!, spec.argv.slice(1), { stdio: 'ignore', ...as });
      child.on('error', (e) => this.log(`Failed to run ${why} script ${spec.command}: ${e.message}`));
      child.unref();
    } catch (e) {
      this.log(`Failed to run ${why} script ${spec.command}: ${(e as Error).message}`);
    }
  }

  fifo(line: string): void {
    for (const fd of this.fifos) {
      try {
        writeSync(fd, line);
      } catch { /* a full FIFO drops the line, as keepalived's non-blocking write does */ }
    }
  }

  close(): void {
    for (const fd of this.fifos.splice(0)) {
      try { closeSync(fd); } catch { /* already closed */ }
    }
  }
}
