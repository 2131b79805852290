// Turns the VRRP engine's notification effects into what keepalived 2.2.7 does for them
// (vrrp_notify.c): for a state change, the notify_STATE script, then the generic `notify` script
// with TYPE NAME STATE PRIORITY appended to its argv, then the FIFO line, then the e-mail alert.
//
// Ordering: like keepalived, every script is started (fork+exec) before handle() returns, in the
// order the effects arrive, so a transition's scripts are always started before the next
// transition's. Like keepalived they then run concurrently and are not waited for: a hung
// notify_master must never hold back the notify_backup of the next failover. STOP scripts get
// one second, then SIGKILL to their process group (keepalived's child_killed_thread).
import { hostname, userInfo } from 'node:os';
import type { SyncGroup, VrrpInstance } from '../config/blocks/vrrp.js';
import type { Config } from '../config/types.js';
import type { ScriptSpec } from '../config/words.js';
import type { Logger } from '../daemon/log.js';
import type { NotifyEffect } from '../vrrp/engine.js';
import { FifoWriter, fifoLine, type FifoState } from './fifo.js';
import { accountFor } from './identity.js';
import { ScriptRunner, type RunResult } from './runner.js';
import { sendMail, type Mail, type MailServer } from './smtp.js';

export interface NotifierOptions {
  runner?: ScriptRunner;
  /**
   * The instance's effective priority now, for the MASTER_RX_LOWER_PRI FIFO line (the effect does
   * not carry it). Without it, the last priority a notification carried.
   */
  priorityOf?: (instance: string) => number | undefined;
  /** The host name in mail (keepalived's local_name). */
  hostname?: string;
}

/** One script start the notifier made: what the lead's differential test compares. */
export interface ScriptCall {
  argv: string[];
  result: Promise<RunResult>;
}

type StateName = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

const INSTANCE_MAIL: Record<StateName, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  STOP: ['Stopping', '=> VRRP Instance stopping <='],
  DELETED: ['Deleted', '=> VRRP Deleted at reload <='],
};
const GROUP_MAIL: Partial<Record<StateName, [string, string]>> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
  STOP: ['Stopping', '=> All VRRP group instances are now stopping <='],
};

const STOP_KILL_MS = 1000;
/** A daemon flapping for months must not keep every call it ever made. */
const CALLS_KEPT = 256;

export class Notifier {
  readonly runner: ScriptRunner;
  private readonly instances = new Map<string, VrrpInstance>();
  private readonly groups = new Map<string, SyncGroup>();
  private readonly fifos: FifoWriter[] = [];
  private readonly lastPriority = new Map<string, number>();
  private readonly lastMail = new Map<string, string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly host: string;
  private opened = false;
  /** The last scripts started (at most CALLS_KEPT), oldest first: status, tests, differential comparison. */
  readonly calls: ScriptCall[] = [];

  constructor(private config: Config, private readonly log: Logger, private readonly opts: NotifierOptions = {}) {
    this.runner = opts.runner ?? new ScriptRunner(log);
    this.index(config);
    this.host = opts.hostname ?? hostname();
  }

  /**
   * SIGHUP: the new configuration's scripts, mail settings and instances from now on. The FIFOs
   * stay open as they are (keel, like keepalived, opens them at start-up).
   */
  reload(config: Config): void {
    this.config = config;
    this.index(config);
  }

  private index(config: Config): void {
    this.instances.clear();
    this.groups.clear();
    for (const v of config.vrrp_instances) this.instances.set(v.name, v);
    for (const g of config.vrrp_sync_groups) this.groups.set(g.name, g);
  }

  /** Create/open notify_fifo and vrrp_notify_fifo and start their reader scripts. Idempotent. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const g = this.config.global_defs;
    if (g.notify_fifo) {
      const w = FifoWriter.open(g.notify_fifo, g.notify_fifo_script, '', this.config, this.runner, this.log);
      if (w) this.fifos.push(w);
    }
    if (g.vrrp_notify_fifo) {
      const w = FifoWriter.open(g.vrrp_notify_fifo, g.vrrp_notify_fifo_script, 'vrrp_', this.config, this.runner, this.log);
      if (w) this.fifos.push(w);
    }
  }

  handle(e: NotifyEffect): void {
    if (!this.opened) this.open();
    switch (e.type) {
      case 'notify': return this.instanceState(e.instance, e.state as StateName, e.priority);
      case 'notify-group': return this.groupState(e.group, e.state as StateName);
      case 'notify-priority':
        this.lastPriority.set(e.instance, e.priority);
        return this.fifo('INSTANCE', e.instance, e.state === 'MASTER' ? 'MASTER_PRIORITY' : 'BACKUP_PRIORITY', e.priority);
      case 'notify-event': {
        const v = this.instances.get(e.instance);
        if (v?.notify_master_rx_lower_pri) this.exec(v.notify_master_rx_lower_pri, []);
        const prio = (e as { priority?: number }).priority ?? this.opts.priorityOf?.(e.instance) ?? this.lastPriority.get(e.instance) ?? v?.priority ?? 0;
        return this.fifo('INSTANCE', e.instance, 'MASTER_RX_LOWER_PRI', prio);
      }
    }
  }

  /**
   * The first step of a shutdown, before the engine's STOP notifications: keepalived SIGTERMs every
   * script still running (the FIFO readers too, which therefore never read the STOP lines), then
   * SIGKILLs them a second later. The STOP scripts started after this run normally.
   */
  terminateScripts(): void {
    this.track(this.runner.killAll(STOP_KILL_MS));
  }

  /** Wait for STOP scripts (they are killed after 1 s), close the FIFOs, end the FIFO readers. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
    for (const f of this.fifos.splice(0)) f.close();
    // The STOP notifications just started get their second to finish (a signal now could land
    // before a script has done its work); then, as keepalived's scripts die with it
    // (PR_SET_PDEATHSIG SIGTERM), whatever still runs is ended.
    const until = Date.now() + STOP_KILL_MS;
    while (this.runner.running > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await this.runner.killAll(STOP_KILL_MS);
  }

  private instanceState(name: string, state: StateName, priority: number): void {
    this.lastPriority.set(name, priority);
    const v = this.instances.get(name);
    if (v) {
      const script = state === 'MASTER' ? v.notify_master : state === 'BACKUP' ? v.notify_backup : state === 'FAULT' ? v.notify_fault
        : state === 'STOP' ? v.notify_stop : v.notify_deleted_script;
      const stop = state === 'STOP';
      if (script) this.exec(script, [], stop);
      if (v.notify) this.exec(v.notify, ['INSTANCE', name, state, String(priority)], stop);
    }
    this.fifo('INSTANCE', name, state, priority);
    if (v?.smtp_alert) this.mail(`i:${name}`, state, `VRRP Instance ${name}`, INSTANCE_MAIL[state]);
  }

  private groupState(name: string, state: StateName): void {
    const g = this.groups.get(name);
    if (g) {
      const script = state === 'MASTER' ? g.notify_master : state === 'BACKUP' ? g.notify_backup : state === 'FAULT' ? g.notify_fault
        : state === 'STOP' ? g.notify_stop : undefined;
      if (script) this.exec(script, []);
      // A group's generic notify always gets priority 0.
      if (g.notify) this.exec(g.notify, ['GROUP', name, state, '0']);
    }
    this.fifo('GROUP', name, state, 0);
    const m = GROUP_MAIL[state];
    if (g?.smtp_alert && m) this.mail(`g:${name}`, state, `VRRP Group ${name}`, m);
  }

  private exec(spec: ScriptSpec, extra: string[], stop = false): void {
    const argv = [...spec.argv, ...extra];
    const a = accountFor(this.config, spec.user, spec.group);
    const result = this.runner.run(argv, stop ? { uid: a.uid, gid: a.gid, timeoutMs: STOP_KILL_MS, killAfterMs: 0 } : { uid: a.uid, gid: a.gid });
    this.calls.push({ argv, result });
    if (this.calls.length > CALLS_KEPT) this.calls.splice(0, this.calls.length - CALLS_KEPT);
    if (stop) this.track(result);
  }

  private fifo(kind: 'INSTANCE' | 'GROUP', name: string, state: FifoState, priority: number): void {
    if (!this.fifos.length) return;
    const line = fifoLine(kind, name, state, priority);
    for (const f of this.fifos) f.write(line);
  }

  private mail(key: string, state: StateName, what: string, text: [string, string]): void {
    const g = this.config.global_defs;
    if (g.no_email_faults && state === 'FAULT') return;
    if (this.lastMail.get(key) === state) return;
    this.lastMail.set(key, state);
    if (!g.smtp_server || !g.notification_email.length) return;
    const server: MailServer = {
      host: g.smtp_server.host, port: g.smtp_server.port, helo: g.smtp_helo_name ?? this.host, timeout: g.smtp_connect_timeout,
    };
    const m: Mail = {
      from: g.notification_email_from ?? `${userName()}@${this.host}`,
      to: g.notification_email,
      subject: `[${g.router_id ?? this.host}] ${what} - ${text[0]}`,
      body: text[1],
    };
    this.track(sendMail(server, m, this.log));
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}
