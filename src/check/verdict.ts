// The verdict model: from checker verdicts to which real servers serve each virtual server, at
// what weight — keepalived's ipwrapper.c (update_svr_checker_state, perform_svr_state,
// update_quorum_state, update_svr_wgt, init_service_rs, clear_service_rs) as a pure state
// machine. It never touches the kernel or a clock: it mutates its own state and appends effects
// (log lines, notify scripts, FIFO lines, events) for the shell to carry out. The desired IPVS
// table is computed from this state by src/ipvs/from-config.ts.
import type { RealServer, VirtualServer } from '../config/blocks/lvs.js';
import type { ScriptSpec } from '../config/words.js';
import { realWeight } from '../ipvs/from-config.js';
import { fmtRs, fmtVs, rsKey, vsKey } from './names.js';
import type { RunState } from './sequence.js';

/** A checker as the model sees it: its run state (shared with the sequencer) and alpha. */
export interface CheckerLink {
  run: RunState;
  alpha: boolean;
}

export interface RsState {
  rs: RealServer;
  key: string;
  alive: boolean;
  /** Checkers currently failing (keepalived's num_failed_checkers). */
  numFailed: number;
  /** Configured weight plus dynamic adjustments (misc_dynamic, FILE_CHECK); may leave [0, INT32_MAX]. */
  effectiveWeight: number;
}

export interface VsState {
  vs: VirtualServer;
  key: string;
  name: string;
  quorumUp: boolean;
  /** The sorry server is in the pool (quorum lost). */
  sorryAlive: boolean;
  rss: RsState[];
}

export type Effect =
  | { kind: 'log'; msg: string }
  | { kind: 'script'; script: ScriptSpec; why: string }
  | { kind: 'fifo'; line: string }
  | { kind: 'rs'; vs: string; rs: string; up: boolean; cause: string }
  | { kind: 'quorum'; vs: string; up: boolean }
  | { kind: 'alert'; vs: string; rs?: string; state: 'UP' | 'DOWN'; message: string }
  | { kind: 'table' };

export class VerdictModel {
  readonly effects: Effect[] = [];

  constructor(private readonly opts: { lvsFlushOnStop?: boolean } = {}) {}

  /** Drain the effects produced so far. */
  take(): Effect[] {
    return this.effects.splice(0, this.effects.length);
  }

  private log(msg: string): void {
    this.effects.push({ kind: 'log', msg });
  }

  /**
   * A virtual server at start (init_service_rs + update_quorum_state(init)): `failing[i]` is how
   * many of real server i's checkers start failed (alpha, a tracked file already bad). `prev`
   * carries state across a reload: real servers and the quorum state it knows are kept.
   */
  initVs(vs: VirtualServer, failing: number[], prev?: VsState): VsState {
    const rss: RsState[] = vs.real_servers.map((rs, i) => {
      const key = rsKey(vs, rs);
      const old = prev?.rss.find((r) => r.key === key);
      const numFailed = failing[i] ?? 0;
      if (old) {
        // A reloaded server keeps its state: "do not re-add failed RS instantly on reload".
        const effectiveWeight = old.rs.weight === rs.weight ? old.effectiveWeight : rs.weight + (old.effectiveWeight - old.rs.weight);
        return { rs, key, alive: old.alive && numFailed === 0, numFailed, effectiveWeight };
      }
      return { rs, key, alive: numFailed === 0, numFailed, effectiveWeight: rs.weight };
    });
    const st: VsState = { vs, key: vsKey(vs), name: fmtVs(vs), quorumUp: false, sorryAlive: false, rss };
    if (prev) {
      st.quorumUp = prev.quorumUp;
      st.sorryAlive = prev.sorryAlive && !!vs.sorry_server;
    } else {
      st.quorumUp = this.liveWeight(st) >= vs.quorum + vs.hysteresis;
    }
    this.updateQuorum(st, true);
    this.effects.push({ kind: 'table' });
    return st;
  }

  /** weigh_live_realservers(). */
  liveWeight(st: VsState): number {
    let sum = 0;
    for (const r of st.rss) if (r.alive) sum += realWeight(r.effectiveWeight);
    return sum;
  }

  /** update_svr_checker_state(): a checker reports `alive` (only when it changed or on its first run). */
  checkerVerdict(st: VsState, r: RsState, c: CheckerLink, alive: boolean, cause: string): void {
    if (c.run.isUp === alive) {
      if (!c.run.hasRun) {
        if (c.alpha || !alive) this.rsNotifies(st, r, cause);
        c.run.hasRun = true;
      }
      return;
    }
    c.run.hasRun = true;
    if (alive) {
      if (r.numFailed <= 1) this.serverState(st, r, true, cause);
    } else if (r.numFailed === 0) {
      this.serverState(st, r, false, cause);
    }
    this.setCheckerState(r, c, alive);
  }

  /** set_checker_state(): keep num_failed_checkers in step with the checker's own view. */
  setCheckerState(r: RsState, c: CheckerLink, up: boolean): void {
    if (c.run.isUp === up) return;
    c.run.isUp = up;
    if (!up) r.numFailed++;
    else if (r.numFailed) r.numFailed--;
  }

  /** perform_svr_state(). */
  private serverState(st: VsState, r: RsState, alive: boolean, cause: string): void {
    if (r.alive === alive) return;
    const inhibit = r.rs.inhibit_on_failure;
    const verb = alive ? (inhibit ? 'Enabl' : 'Add') : inhibit ? 'Disabl' : 'Remov';
    const prep = inhibit ? 'of' : alive ? 'to' : 'from';
    this.log(`${verb}ing service ${fmtRs(st.vs, r.rs)} ${prep} VS ${st.name}`);
    r.alive = alive;
    this.rsNotifies(st, r, cause);
    this.effects.push({ kind: 'table' });
    this.updateQuorum(st, false);
  }

  /** do_rs_notifies(): notify_up/notify_down, the FIFO line and the up/down event. */
  private rsNotifies(st: VsState, r: RsState, cause: string): void {
    const script = r.alive ? r.rs.notify_up : r.rs.notify_down;
    const rsName = fmtRs(st.vs, r.rs);
    if (script) this.effects.push({ kind: 'script', script, why: `${r.alive ? 'notify_up' : 'notify_down'} for ${rsName}` });
    this.effects.push({ kind: 'fifo', line: `RS ${rsName} ${st.name} ${r.alive ? 'UP' : 'DOWN'}\n` });
    this.effects.push({ kind: 'rs', vs: st.name, rs: rsName, up: r.alive, cause });
  }

  /** do_vs_notifies(). */
  private vsNotifies(st: VsState, init: boolean, threshold: number, sum: number, stopping: boolean): void {
    if (stopping && !st.vs.omega) return;
    const script = st.quorumUp ? st.vs.quorum_up : st.vs.quorum_down;
    if (script) this.effects.push({ kind: 'script', script, why: `${st.quorumUp ? 'quorum_up' : 'quorum_down'} for VS ${st.name}` });
    this.effects.push({ kind: 'fifo', line: `VS ${st.name} ${st.quorumUp ? 'UP' : 'DOWN'}\n` });
    this.effects.push({ kind: 'quorum', vs: st.name, up: st.quorumUp });
    if (st.vs.smtp_alert) {
      const what = st.quorumUp ? (init ? 'Starting with quorum up' : 'Gained quorum') : init ? 'Starting with quorum down' : 'Lost quorum';
      const message = stopping ? '=> Shutting down <=' : `=> ${what} ${st.vs.quorum}+${st.vs.hysteresis}=${threshold} <= ${sum} <=`;
      this.effects.push({ kind: 'alert', vs: st.name, state: st.quorumUp ? 'UP' : 'DOWN', message });
    }
  }

  /** update_quorum_state(): gain or lose quorum, swapping the sorry server in or out. */
  updateQuorum(st: VsState, init: boolean): void {
    const vs = st.vs;
    const sum = this.liveWeight(st);
    const threshold = vs.quorum + (st.quorumUp ? -1 : 1) * vs.hysteresis;
    const ss = vs.sorry_server;
    if (!st.quorumUp && sum >= threshold) {
      st.quorumUp = true;
      this.log(`Gained quorum ${vs.quorum}+${vs.hysteresis}=${threshold} <= ${sum} for VS ${st.name}`);
      if (ss && st.sorryAlive) {
        this.log(`${ss.inhibit ? 'Disabling' : 'Removing'} sorry server ${fmtRs(vs, ss)} from VS ${st.name}`);
        st.sorryAlive = false;
        this.log(`Adding alive servers to the pool for VS ${st.name}`);
        this.effects.push({ kind: 'table' });
      }
      this.vsNotifies(st, init, threshold, sum, false);
      return;
    }
    if ((st.quorumUp && (!sum || sum < threshold)) || (init && !st.quorumUp && ss && !st.sorryAlive)) {
      st.quorumUp = false;
      this.log(`${init ? 'Starting with quorum down' : 'Lost quorum'} ${vs.quorum}-${vs.hysteresis}=${threshold} > ${sum} for VS ${st.name}`);
      if (ss && !st.sorryAlive) {
        this.log(`${ss.inhibit ? 'Enabling' : 'Adding'} sorry server ${fmtRs(vs, ss)} to VS ${st.name}`);
        this.log(`Removing alive servers from the pool for VS ${st.name}`);
        st.sorryAlive = true;
        this.effects.push({ kind: 'table' });
      }
      this.vsNotifies(st, init, threshold, sum, false);
    }
  }

  /** update_svr_wgt(): a new effective weight (misc_dynamic, FILE_CHECK). */
  setWeight(st: VsState, r: RsState, weight: number, updateQuorum: boolean): void {
    const next = realWeight(weight);
    const old = realWeight(r.effectiveWeight);
    r.effectiveWeight = weight;
    if (next === old) return;
    this.log(`Changing weight from ${old} to ${next} for ${r.alive ? '' : 'in'}active service ${fmtRs(st.vs, r.rs)} of VS ${st.name}`);
    this.effects.push({ kind: 'table' });
    if (updateQuorum) this.updateQuorum(st, false);
  }

  /**
   * Shutting down (clear_service_vs with stopping): live servers are marked down; only with
   * omega do their notify_down scripts and FIFO lines (and the quorum_down ones, when the table
   * is flushed on stop) still run.
   */
  stopVs(st: VsState): void {
    for (const r of st.rss) {
      const inTable = (r.alive && !st.sorryAlive) || r.rs.inhibit_on_failure;
      if (inTable) this.log(`Shutting down ${r.rs.inhibit_on_failure && !r.alive ? '(inhibited) ' : ''}service ${fmtRs(st.vs, r.rs)} from VS ${st.name}`);
      if (!inTable || !r.alive) continue;
      r.alive = false;
      if (!st.vs.omega) continue;
      this.rsNotifies(st, r, 'shutdown');
      if (r.rs.smtp_alert) this.effects.push({ kind: 'alert', vs: st.name, rs: fmtRs(st.vs, r.rs), state: 'DOWN', message: '=> Shutting down <=' });
    }
    if (this.opts.lvsFlushOnStop) {
      st.quorumUp = false;
      this.vsNotifies(st, false, st.vs.quorum - st.vs.hysteresis, this.liveWeight(st), true);
    }
    this.effects.push({ kind: 'table' });
  }
}
