// One vrrp_script, run as keepalived's vrrp_script_thread / vrrp_script_child_thread do: first run
// at start, then every `interval` seconds; a run still going when the next is due is skipped; a
// run longer than `timeout` (default: the interval) gets SIGTERM, then SIGKILL 2 s later, and
// counts as failed ("timed_out"). rise/fall use keepalived's single counter: 0..rise-1 is down,
// rise..rise+fall-1 is up.
import { constants } from 'node:os';
import type { VrrpScript } from '../config/blocks/trackers.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../daemon/log.js';
import { accountFor } from '../notify/identity.js';
import type { RunResult, ScriptRunner } from '../notify/runner.js';

export type ScriptStatus = boolean | 'init';

/** The pure rise/fall counter (keepalived's vscript->result with init_state). */
export class RiseFall {
  result: number;
  private init: 'init' | 'failed' | 'done';

  constructor(private readonly rise: number, private readonly fall: number, initFail: boolean) {
    this.init = initFail ? 'failed' : 'init';
    // Not yet run: one success is enough to go up; init_fail: assume down.
    this.result = initFail ? 0 : rise - 1;
  }

  /** The status before any run: 'init' (weight-0 scripts hold the instance), or false with init_fail. */
  get initial(): ScriptStatus {
    return this.init === 'failed' ? false : 'init';
  }

  /** Feed one run's outcome; returns the new status when it changes (to report), else undefined. */
  record(ok: boolean): boolean | undefined {
    const { rise, fall } = this;
    const wasInit = this.init === 'init';
    this.init = 'done';
    if (ok) {
      if (this.result < rise - 1) {
        this.result++;
        return undefined;
      }
      if (this.result !== rise + fall - 1) {
        const report = this.result < rise;
        this.result = rise + fall - 1;
        return report ? true : undefined;
      }
      return undefined;
    }
    if (this.result > rise) {
      this.result--;
      return undefined;
    }
    const report = this.result === rise || wasInit;
    this.result = 0;
    return report ? false : undefined;
  }
}

export class ScriptTracker {
  private readonly counter: RiseFall;
  private lastStatus = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    readonly script: VrrpScript,
    private readonly config: Config,
    private readonly runner: ScriptRunner,
    private readonly log: Logger,
    private readonly onChange: (ok: boolean) => void,
  ) {
    this.counter = new RiseFall(script.rise, script.fall, script.init_fail);
  }

  get initial(): ScriptStatus {
    return this.counter.initial;
  }

  start(): void {
    this.stopped = false;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), this.script.interval * 1000);
    if (this.running) {
      this.log.info(`Track script ${this.script.name} is already running, expect idle - skipping run`);
      return;
    }
    const s = this.script;
    const a = s.user ? accountFor(this.config, s.user.user, s.user.group) : accountFor(this.config);
    this.running = true;
    void this.runner.run(s.script!.argv, { uid: a.uid, gid: a.gid, timeoutMs: (s.timeout ?? s.interval) * 1000, killAfterMs: 2000 })
      .then((r) => {
        this.running = false;
        if (!this.stopped) this.outcome(r);
      });
  }

  private outcome(r: RunResult): void {
    const name = this.script.name;
    let ok: boolean;
    let word: string;
    let reason: string | undefined;
    if (r.kind === 'exited') {
      if (r.code !== this.lastStatus) this.log.info(`Script \`${name}\` now returning ${r.code}`);
      this.lastStatus = r.code;
      ok = r.code === 0;
      word = ok ? 'succeeded' : 'failed';
      if (!ok) reason = `exited with status ${r.code}`;
    } else if (r.kind === 'signaled') {
      ok = false;
      if (r.timedOut) word = 'timed_out';
      else {
        word = 'failed';
        reason = `due to signal ${constants.signals[r.signal] ?? r.signal}`;
      }
    } else {
      // keepalived's child exits 0 when exec fails (its config check should have caught it); a
      // script deleted or made non-executable since start-up is a failure here, not a success.
      ok = false;
      word = 'failed';
      reason = `exited with status ${r.code === 'ENOENT' ? 127 : 126}`;
    }
    const changed = this.counter.record(ok);
    if (changed === undefined) return;
    this.log.info(`VRRP_Script(${name}) ${word}${changed ? '' : reason ? ` (${reason})` : ''}`);
    this.onChange(changed);
  }
}
