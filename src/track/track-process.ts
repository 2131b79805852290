// vrrp_track_process by polling /proc (keepalived listens to the kernel's process events; a poll
// needs no CAP_NET_ADMIN netlink connector and sees the same processes, at most one poll interval
// late — 1 s by default, well under any VRRP failover time that matters for a process tracker).
// A process counts when its name matches: /proc/PID/stat's comm (15 characters, as `ps`), or with
// full_command/parameters argv[0] from /proc/PID/cmdline and the parameters as param_match says.
// Zombies never count. Quorum: quorum <= count <= quorum_max. fork_delay / terminate_delay hold a
// change back that long; a change that reverts within the delay is never reported.
import { readdirSync, readFileSync } from 'node:fs';
import type { TrackProcess } from '../config/blocks/trackers.js';
import type { Logger } from '../daemon/log.js';

export interface ProcEntry {
  comm: string;
  zombie: boolean;
  /** argv from cmdline (empty for kernel threads). */
  argv: string[];
}

/** Read every process from a /proc-like tree. */
export function readProcs(root = '/proc', withCmdline = true): ProcEntry[] {
  const out: ProcEntry[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^[1-9][0-9]*$/.test(n)) continue;
    try {
      const stat = readFileSync(`${root}/${n}/stat`, 'latin1');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      if (open < 0 || close < open) continue;
      const comm = stat.slice(open + 1, close);
      const zombie = stat[close + 2] === 'Z';
      let argv: string[] = [];
      if (withCmdline) {
        const cmd = readFileSync(`${root}/${n}/cmdline`, 'latin1');
        argv = cmd.split('\0');
        if (argv.length && argv[argv.length - 1] === '') argv.pop();
      }
      out.push({ comm, zombie, argv });
    } catch {
      // Gone between readdir and read.
    }
  }
  return out;
}

/** keepalived's check_params on whole words. */
export function paramsMatch(p: TrackProcess, actual: readonly string[]): boolean {
  const want = p.params ?? [];
  switch (p.param_match) {
    case 'none': return true;
    case 'exact': return actual.length === want.length && want.every((w, i) => actual[i] === w);
    case 'partial': return actual.length >= want.length && want.every((w, i) => actual[i] === w);
    case 'initial': {
      if (!want.length) return true;
      if (actual.length < want.length) return false;
      const last = want.length - 1;
      return want.every((w, i) => (i < last ? actual[i] === w : actual[i]!.startsWith(w)));
    }
  }
}

export function matches(p: TrackProcess, e: ProcEntry): boolean {
  if (e.zombie || p.process === undefined) return false;
  const name = p.full_command ? e.argv[0] : e.comm;
  if (name !== p.process) return false;
  return p.param_match === 'none' || paramsMatch(p, e.argv.slice(1));
}

export function quorumOk(p: TrackProcess, count: number): boolean {
  return count >= p.quorum && count <= (p.quorum_max ?? Number.MAX_SAFE_INTEGER);
}

export class ProcessTrackers {
  private timer: NodeJS.Timeout | undefined;
  private readonly status = new Map<string, boolean>();
  private readonly counts = new Map<string, number>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly list: readonly TrackProcess[],
    private readonly log: Logger,
    private readonly onChange: (name: string, up: boolean) => void,
    private readonly o: { root?: string; pollMs?: number } = {},
  ) {
    this.scan(true);
  }

  /** Quorum status per tracker name (true: achieved). */
  get current(): ReadonlyMap<string, boolean> {
    return this.status;
  }

  start(): void {
    if (!this.list.length) return;
    this.timer = setInterval(() => this.scan(false), this.o.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
  }

  /** One pass over /proc. At start-up the status is taken as found, without delays. */
  scan(initial = false): void {
    if (!this.list.length) return;
    const procs = readProcs(this.o.root, this.list.some((p) => p.full_command));
    for (const p of this.list) {
      const n = procs.filter((e) => matches(p, e)).length;
      const before = this.counts.get(p.name);
      this.counts.set(p.name, n);
      const up = quorumOk(p, n);
      if (initial) {
        this.status.set(p.name, up);
        continue;
      }
      if (before !== undefined && before !== n) {
        this.log.detail(`Process ${p.name}, number of current processes changed from ${before} to ${n}${up !== quorumOk(p, before) ? `, quorum ${up ? 'up' : 'down'}` : ''}`);
      }
      this.settle(p, up);
    }
  }

  private settle(p: TrackProcess, up: boolean): void {
    const pending = this.delayed.get(p.name);
    if (up === this.status.get(p.name)) {
      // Back where it was before the delay ran out: nothing to report.
      if (pending) {
        clearTimeout(pending);
        this.delayed.delete(p.name);
      }
      return;
    }
    if (pending) return;
    const delay = up ? p.fork_delay : p.terminate_delay;
    if (!delay) {
      this.report(p, up);
      return;
    }
    this.delayed.set(p.name, setTimeout(() => {
      this.delayed.delete(p.name);
      this.log.info(`quorum ${up ? 'gained' : 'lost'} timer for ${p.name} expired`);
      this.report(p, up);
    }, delay * 1000));
  }

  private report(p: TrackProcess, up: boolean): void {
    this.status.set(p.name, up);
    this.onChange(p.name, up);
  }
}
