// The checker engine: schedules every checker of every real server, feeds outcomes through the
// retry sequencing (sequence.ts) into the verdict model (verdict.ts), and publishes the desired
// IPVS table, real-server up/down events and a state snapshot. It runs in a worker thread in
// production (worker.ts), away from the event loop that sends VRRP adverts.
import { EventEmitter } from 'node:events';
import type { Checker, DnsChecker, FileChecker, HttpChecker, MiscChecker, PingChecker, SmtpChecker, TcpChecker, UdpChecker } from '../config/blocks/checkers.js';
import type { RealServer, VirtualServer } from '../config/blocks/lvs.js';
import type { Config } from '../config/types.js';
import { desiredTable, realWeight } from '../ipvs/from-config.js';
import type { IpvsTable } from '../ipvs/table.js';
import { probeDns } from './dns.js';
import { EffectRunner, scriptAccount } from './effects.js';
import { fileVerdict, FileWatch, readTrackValue } from './file.js';
import { loadTlsMaterial, probeHttpUrl, type TlsMaterial } from './http.js';
import { probeMisc, signalNumber, type RunAs } from './misc.js';
import { CheckerMetrics } from './metrics.js';
import { fmtRs, rsKey, vsKey } from './names.js';
import { closePingers, probePing } from './ping.js';
import { nativeConnect, type ProbeResult } from './probe.js';
import {
  httpAfterReport, httpStep, initialHttpRunState, initialMiscRunState, initialRunState, miscRetryText, miscStep, tcpStep, udpStep,
  type HttpRunState, type MiscOutcome, type MiscRunState, type RunState, type Step,
} from './sequence.js';
import { probeSmtp } from './smtp.js';
import { probeTcp } from './tcp.js';
import { probeUdp } from './udp.js';
import { VerdictModel, type CheckerLink, type Effect, type RsState, type VsState } from './verdict.js';

/** The engine's only source of time (a fake one in unit tests). Milliseconds. */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(h: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The I/O of one attempt per checker type; tests may replace any of them. */
export interface Probes {
  tcp(c: TcpChecker): Promise<ProbeResult>;
  http(c: HttpChecker, url: number, rsVhost: string | undefined, vsVhost: string | undefined, tls: TlsMaterial | undefined): Promise<ProbeResult>;
  misc(c: MiscChecker, as?: RunAs): Promise<MiscOutcome>;
  smtp(c: SmtpChecker): Promise<ProbeResult>;
  dns(c: DnsChecker): Promise<ProbeResult>;
  udp(c: UdpChecker): Promise<ProbeResult>;
  ping(c: PingChecker): Promise<ProbeResult>;
}

export const realProbes: Probes = { tcp: probeTcp, http: probeHttpUrl, misc: probeMisc, smtp: probeSmtp, dns: probeDns, udp: probeUdp, ping: probePing };

export interface EngineOptions {
  clock?: Clock;
  probes?: Partial<Probes>;
  /** [0,1) for warmup spreading; Math.random by default. */
  random?: () => number;
  /** 'run': run notify scripts and write FIFO lines here; 'emit': only emit 'script'/'fifo' events. */
  effects?: 'run' | 'emit';
  /** Seconds before the first check (keepalived's BOOTSTRAP_DELAY, 1 s). */
  bootstrapDelay?: number;
}

export interface CheckerSnapshot {
  type: string;
  target: string;
  up: boolean;
  hasRun: boolean;
  retryIt: number;
  attempts: number;
  failures: number;
  last?: string;
}

export interface RsSnapshot {
  rs: string;
  alive: boolean;
  weight: number;
  failedCheckers: number;
  checkers: CheckerSnapshot[];
}

export interface VsSnapshot {
  vs: string;
  quorumUp: boolean;
  sorryActive: boolean;
  liveWeight: number;
  quorum: number;
  hysteresis: number;
  realServers: RsSnapshot[];
}

export interface EngineSnapshot {
  virtualServers: VsSnapshot[];
  table: IpvsTable;
  attempts: number;
  failures: number;
}

export interface RsEvent {
  vs: string;
  rs: string;
  up: boolean;
  cause: string;
}

type Kind = 'simple' | 'http' | 'misc' | 'file' | 'none';

interface Slot {
  key: string;
  kind: Kind;
  checker: Checker;
  vs: VsState;
  rs: RsState;
  link: CheckerLink;
  timer?: unknown;
  busy: boolean;
  dead: boolean;
  attempts: number;
  failures: number;
  last?: string;
  /** FILE_CHECK: the watch and its weight contribution. */
  watch?: FileWatch;
  fileWeight: number;
}

function kindOf(c: Checker): Kind {
  switch (c.type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      return 'http';
    case 'MISC_CHECK':
      return 'misc';
    case 'FILE_CHECK':
      return 'file';
    case 'BFD_CHECK':
      return 'none';
    default:
      return 'simple';
  }
}

/** Config identity of a checker: its fields without source positions. */
function checkerId(c: Checker): string {
  return JSON.stringify(c, (k, v: unknown) => (k === 'pos' ? undefined : v));
}

function targetOf(c: Checker): string {
  if (c.type === 'MISC_CHECK') return c.misc_path.command;
  if (c.type === 'FILE_CHECK') return c.track_file;
  if (c.type === 'BFD_CHECK') return c.name;
  const ip = c.connect_ip.includes(':') ? `[${c.connect_ip}]` : c.connect_ip;
  return c.type === 'PING_CHECK' ? ip : `${ip}:${c.connect_port}`;
}

export class CheckerEngine extends EventEmitter {
  private readonly clock: Clock;
  private readonly probes: Probes;
  private readonly random: () => number;
  private readonly bootstrap: number;
  private readonly effectMode: 'run' | 'emit';
  private config: Config | undefined;
  private model = new VerdictModel();
  private vss: VsState[] = [];
  private slots = new Map<string, Slot>();
  private tls: TlsMaterial | undefined;
  private runner: EffectRunner | undefined;
  private running = false;
  private tableDirty = false;
  private publishTimer: unknown;
  private lastTable: IpvsTable = { services: [] };
  private attempts = 0;
  private failures = 0;
  /** Results and latencies for the daemon's /metrics. */
  readonly metrics = new CheckerMetrics();

  constructor(opts: EngineOptions = {}) {
    super();
    this.clock = opts.clock ?? realClock;
    this.probes = { ...realProbes, ...opts.probes };
    this.random = opts.random ?? Math.random;
    this.bootstrap = opts.bootstrapDelay ?? 1;
    this.effectMode = opts.effects ?? 'run';
  }

  /** Start checking every real server of `config`. */
  start(config: Config): void {
    if (this.running) throw new Error('checker engine already started');
    this.running = true;
    this.install(config, false);
  }

  /** Reload: unchanged checkers keep their state and schedule; new ones start; gone ones stop. */
  update(config: Config): void {
    if (!this.running) return this.start(config);
    this.install(config, true);
  }

  /** Stop all checkers; with omega, notify scripts still say the servers are going down. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const s of this.slots.values()) this.kill(s);
    this.slots.clear();
    for (const st of this.vss) this.model.stopVs(st);
    for (const e of this.model.take()) this.effect(e);
    if (this.publishTimer !== undefined) this.clock.clearTimer(this.publishTimer);
    this.publishTimer = undefined;
    closePingers();
    this.runner?.close();
  }

  /** The desired IPVS table for the current verdicts. */
  table(): IpvsTable {
    if (this.tableDirty) {
      this.tableDirty = false;
      this.lastTable = this.computeTable();
    }
    return this.lastTable;
  }

  /** Attempts and failures so far (cheap, for rates). */
  counters(): { attempts: number; failures: number } {
    return { attempts: this.attempts, failures: this.failures };
  }

  snapshot(): EngineSnapshot {
    const bySlotRs = new Map<RsState, Slot[]>();
    for (const s of this.slots.values()) {
      const l = bySlotRs.get(s.rs);
      if (l) l.push(s);
      else bySlotRs.set(s.rs, [s]);
    }
    return {
      attempts: this.attempts,
      failures: this.failures,
      table: this.table(),
      virtualServers: this.vss.map((st) => ({
        vs: st.name,
        quorumUp: st.quorumUp,
        sorryActive: st.sorryAlive,
        liveWeight: this.model.liveWeight(st),
        quorum: st.vs.quorum,
        hysteresis: st.vs.hysteresis,
        realServers: st.rss.map((r) => ({
          rs: fmtRs(st.vs, r.rs),
          alive: r.alive,
          weight: realWeight(r.effectiveWeight),
          failedCheckers: r.numFailed,
          checkers: (bySlotRs.get(r) ?? []).map((s) => {
            const c: CheckerSnapshot = {
              type: s.checker.type, target: targetOf(s.checker), up: s.link.run.isUp, hasRun: s.link.run.hasRun,
              retryIt: s.link.run.retryIt, attempts: s.attempts, failures: s.failures,
            };
            if (s.last !== undefined) c.last = s.last;
            return c;
          }),
        })),
      })),
    };
  }

  // -------------------------------------------------------------------------------------------

  private install(config: Config, reload: boolean): void {
    this.config = config;
    this.tls = undefined;
    if (config.ssl) {
      try {
        this.tls = loadTlsMaterial(config.ssl);
      } catch (e) {
        this.log(`SSL: cannot read the SSL block's files: ${(e as Error).message}`);
      }
    }
    if (this.effectMode === 'run') {
      this.runner?.close();
      this.runner = new EffectRunner(config, (m) => this.log(m));
    }
    this.model = new VerdictModel({ lvsFlushOnStop: config.global_defs.lvs_flush_on_stop !== 'none' });
    const prevVs = new Map(this.vss.map((st) => [st.key, st]));
    const old = this.slots;
    this.slots = new Map();
    const fresh: Slot[] = [];
    const isFresh = new Set<Slot>();
    const vss: VsState[] = [];
    let warnedMark = false;
    for (const vs of config.virtual_servers) {
      const made: { rs: RealServer; slots: Slot[] }[] = [];
      for (const rs of vs.real_servers) {
        const seen = new Map<string, number>();
        const list: Slot[] = [];
        for (const c of rs.checkers) {
          const id = `${rsKey(vs, rs)}|${checkerId(c)}`;
          const n = seen.get(id) ?? 0;
          seen.set(id, n + 1);
          const key = `${id}#${n}`;
          const prev = old.get(key);
          if (prev) {
            old.delete(key);
            prev.checker = c;
            list.push(prev);
            this.slots.set(key, prev);
            continue;
          }
          const s = this.newSlot(key, c);
          if (!warnedMark && 'fwmark' in c && c.fwmark !== undefined && !((c.type === 'TCP_CHECK' || c.type === 'HTTP_GET') && nativeConnect())) {
            warnedMark = true;
            this.log('Checker fwmark (SO_MARK) cannot be set from Node.js - checks are sent unmarked');
          }
          list.push(s);
          fresh.push(s);
          isFresh.add(s);
          this.slots.set(key, s);
        }
        made.push({ rs, slots: list });
      }
      const failing = made.map((m) => m.slots.filter((s) => !s.link.run.isUp).length);
      const st = this.model.initVs(vs, failing, reload ? prevVs.get(vsKey(vs)) : undefined);
      made.forEach((m, i) => {
        const r = st.rss[i]!;
        for (const s of m.slots) {
          s.vs = st;
          s.rs = r;
          // A new FILE_CHECK's weight joins the server's (a kept one's is already in it).
          if (s.fileWeight && isFresh.has(s)) r.effectiveWeight += s.fileWeight;
        }
      });
      vss.push(st);
    }
    for (const s of old.values()) this.kill(s);
    this.vss = vss;
    for (const s of fresh) {
      if (s.kind === 'none') {
        this.log(`BFD_CHECK is not supported by keel - ignoring it for service ${fmtRs(s.vs.vs, s.rs.rs)}`);
        continue;
      }
      this.log(`Activating healthchecker for service ${fmtRs(s.vs.vs, s.rs.rs)} for VS ${s.vs.name}`);
      if (s.kind === 'file') this.watchFile(s);
      else {
        const warmup = 'warmup' in s.checker ? (s.checker as { warmup: number }).warmup : 0;
        this.schedule(s, this.bootstrap + (warmup ? warmup * this.random() : 0));
      }
    }
    this.tableDirty = true;
    this.flush();
  }

  private newSlot(key: string, c: Checker): Slot {
    const kind = kindOf(c);
    let run: RunState;
    const alpha = 'alpha' in c ? c.alpha : false;
    if (kind === 'http') run = initialHttpRunState(alpha, (c as HttpChecker).retry);
    else if (kind === 'misc') run = initialMiscRunState(alpha, (c as MiscChecker).retry);
    else if (kind === 'simple') run = initialRunState(alpha, (c as TcpChecker).retry);
    else run = initialRunState(false, 0);
    const s = { key, kind, checker: c, link: { run, alpha }, busy: false, dead: false, attempts: 0, failures: 0, fileWeight: 0 } as Slot;
    if (kind === 'file') {
      const f = c as FileChecker;
      const v = fileVerdict(readTrackValue(this.trackPath(f)), f.weight, f.weight_reverse);
      run.isUp = v.up;
      s.fileWeight = v.weight;
    }
    return s;
  }

  private trackPath(f: FileChecker): string {
    const tf = this.config?.track_files.find((t) => t.name === f.track_file);
    return tf?.file ?? f.track_file;
  }

  private kill(s: Slot): void {
    s.dead = true;
    if (s.timer !== undefined) this.clock.clearTimer(s.timer);
    s.timer = undefined;
    s.watch?.close();
  }

  private schedule(s: Slot, seconds: number): void {
    if (s.dead) return;
    s.timer = this.clock.setTimer(() => {
      s.timer = undefined;
      void this.fire(s);
    }, Math.max(0, seconds * 1000));
  }

  private async fire(s: Slot): Promise<void> {
    if (s.dead || s.busy) return;
    s.busy = true;
    const started = performance.now();
    try {
      if (s.kind === 'http') await this.attemptHttp(s);
      else if (s.kind === 'misc') await this.attemptMisc(s);
      else await this.attemptSimple(s);
    } catch (e) {
      this.log(`Checker error for service ${fmtRs(s.vs.vs, s.rs.rs)}: ${(e as Error).message}`);
      if (!s.dead) this.schedule(s, (s.checker as TcpChecker).delay_loop);
    } finally {
      s.busy = false;
      this.metrics.observe(s.checker.type, (performance.now() - started) / 1000);
    }
  }

  private count(s: Slot, ok: boolean, msg: string): void {
    s.attempts++;
    this.attempts++;
    this.metrics.result(s.checker.type, ok);
    if (!ok) {
      s.failures++;
      this.failures++;
    }
    s.last = msg;
  }

  private logAll(c: { log_all_failures: boolean }): boolean {
    return c.log_all_failures || !!this.config?.global_defs.checker_log_all_failures;
  }

  private async attemptSimple(s: Slot): Promise<void> {
    const c = s.checker as TcpChecker | UdpChecker | PingChecker | DnsChecker | SmtpChecker;
    let r: ProbeResult;
    switch (c.type) {
      case 'TCP_CHECK': r = await this.probes.tcp(c); break;
      case 'UDP_CHECK': r = await this.probes.udp(c); break;
      case 'PING_CHECK': r = await this.probes.ping(c); break;
      case 'DNS_CHECK': r = await this.probes.dns(c); break;
      default: r = await this.probes.smtp(c); break;
    }
    if (s.dead) return;
    this.count(s, r.ok, r.msg);
    const run = s.link.run;
    const rsName = fmtRs(s.vs.vs, s.rs.rs);
    if (!r.ok && this.logAll(c) && (run.isUp || !run.hasRun)) this.log(failureLine(c.type, r.msg, rsName));
    // TCP and SMTP count retries whatever the state (check_tcp.c, smtp_final); UDP, PING and DNS
    // only while up.
    const step: Step = c.type === 'TCP_CHECK' || c.type === 'SMTP_CHECK' ? tcpStep(run, r.ok, c) : udpStep(run, r.ok, c);
    if (step.report === true) this.log(successLine(c.type, rsName));
    else if (step.report === false) this.log(downLine(c.type, rsName, s.vs.name, r.msg, step.afterRetries));
    if (step.report !== undefined) this.verdict(s, step.report, r.msg, `${SHORT[c.type] ?? c.type} CHECK`);
    run.hasRun = true;
    this.flush();
    this.schedule(s, step.delay);
  }

  private async attemptHttp(s: Slot): Promise<void> {
    const c = s.checker as HttpChecker;
    const run = s.link.run as HttpRunState;
    const i = run.urlIt;
    const r = await this.probes.http(c, i, s.rs.rs.virtualhost, s.vs.vs.virtualhost, this.tls);
    if (s.dead) return;
    this.count(s, r.ok, r.msg);
    const rsName = fmtRs(s.vs.vs, s.rs.rs);
    const live = run.isUp || !run.hasRun;
    if (!r.ok && live && this.logAll(c)) this.log(`${r.msg} server ${rsName}.`);
    if (r.ok && !run.isUp) this.log(`${r.msg} success to ${rsName} url(${c.url[i]?.path ?? ''})`);
    const step = httpStep(run, r.ok, c.url.length, c);
    if (step.report === true) this.log(`Remote Web server ${rsName} succeed on service.`);
    else if (step.report === false) this.log(`HTTP_CHECK on service ${rsName} failed${step.afterRetries !== undefined ? ` after ${step.afterRetries} retries` : ''}.`);
    if (step.report !== undefined) this.verdict(s, step.report, r.msg, 'CHECK');
    httpAfterReport(run, step, r.ok, c, c.fast_recovery);
    this.flush();
    this.schedule(s, step.immediate ? 0 : step.delay);
  }

  private async attemptMisc(s: Slot): Promise<void> {
    const c = s.checker as MiscChecker;
    const run = s.link.run as MiscRunState;
    const started = this.clock.now();
    const o = await this.probes.misc(c, this.config ? scriptAccount(this.config, c.user) : undefined);
    if (s.dead) return;
    const ok = o.kind === 'exit' && (o.code === 0 || (c.misc_dynamic && o.code >= 2 && o.code <= 255));
    const detail = o.kind === 'exit' ? `exited with status ${o.code}` : o.kind === 'signal' ? `due to signal ${signalNumber(o.signal)}` : o.kind === 'timeout' ? 'timed out' : o.message;
    this.count(s, ok, detail);
    const step = miscStep(run, o, c.misc_dynamic, s.rs.rs.weight, c, this.logAll(c));
    if (step.weightDelta) this.model.setWeight(s.vs, s.rs, s.rs.effectiveWeight + step.weightDelta, true);
    if (step.weightDrop) s.rs.effectiveWeight -= step.weightDrop;
    if (step.exitType !== undefined) {
      const rsName = fmtRs(s.vs.vs, s.rs.rs);
      const retryText = miscRetryText(run, c.retry, step.success);
      const reason = o.kind === 'exit' && !step.success ? ` (exited with status ${o.code})` : o.kind === 'signal' ? ` (due to signal ${signalNumber(o.signal)})` : '';
      this.log(`Misc check for [${rsName} VS ${s.vs.name}] by [${c.misc_path.argv[0]}] ${step.exitType}${retryText}${reason}.`);
    }
    if (step.report !== undefined) this.verdict(s, step.success, detail, 'MISC CHECK');
    run.hasRun = true;
    this.flush();
    // keepalived times the next run from when this one started.
    const next = (started + step.delay * 1000 - this.clock.now()) / 1000;
    this.schedule(s, Math.max(0.001, next));
  }

  private watchFile(s: Slot): void {
    const f = s.checker as FileChecker;
    const path = this.trackPath(f);
    s.watch = new FileWatch(path, (value) => {
      if (s.dead) return;
      const v = fileVerdict(value, f.weight, f.weight_reverse);
      this.count(s, v.up, `track file ${f.track_file} value ${value}`);
      if (v.weight !== s.fileWeight) {
        const delta = v.weight - s.fileWeight;
        s.fileWeight = v.weight;
        this.model.setWeight(s.vs, s.rs, s.rs.effectiveWeight + delta, true);
      }
      if (v.up !== s.link.run.isUp) this.verdict(s, v.up, `track file ${f.track_file} value ${value}`, 'FILE CHECK');
      this.flush();
    });
    s.link.run.hasRun = true;
  }

  /**
   * Report a checker's verdict to the model, and the smtp_alert keepalived's checkers send with it
   * (when the server's state changed, or on every checker change unless no_checker_emails).
   */
  private verdict(s: Slot, up: boolean, cause: string, what: string): void {
    const wasUp = s.link.run.isUp;
    const wasAlive = s.rs.alive;
    this.model.checkerVerdict(s.vs, s.rs, s.link, up, cause);
    if (!s.rs.rs.smtp_alert || wasUp === up) return;
    if (wasAlive === s.rs.alive && this.config?.global_defs.no_checker_emails) return;
    this.emit('alert', { kind: 'alert', vs: s.vs.name, rs: fmtRs(s.vs.vs, s.rs.rs), state: up ? 'UP' : 'DOWN', message: `=> ${what} ${up ? 'succeed' : 'failed'} on service <=` } satisfies Effect);
  }

  private log(msg: string): void {
    this.emit('log', msg);
  }

  /**
   * Carry out the model's effects. The table is recomputed lazily and published once per burst
   * of verdicts (a zero-delay timer), not once per verdict: computing it walks every server.
   */
  private flush(): void {
    for (const e of this.model.take()) this.effect(e);
    if (!this.tableDirty || this.publishTimer !== undefined || !this.running) return;
    this.publishTimer = this.clock.setTimer(() => {
      this.publishTimer = undefined;
      if (this.tableDirty) this.emit('table', this.table());
    }, 0);
  }

  private computeTable(): IpvsTable {
    if (!this.config) return { services: [] };
    const byRs = new Map<RealServer, RsState>();
    const byVs = new Map<VirtualServer, VsState>();
    for (const st of this.vss) {
      byVs.set(st.vs, st);
      for (const r of st.rss) byRs.set(r.rs, r);
    }
    return desiredTable(this.config, (_vs, rs) => {
      const r = byRs.get(rs);
      return r && r.alive ? { weight: r.effectiveWeight } : undefined;
    }, { quorumUp: (vs) => !(byVs.get(vs)?.sorryAlive ?? false) });
  }

  private effect(e: Effect): void {
    switch (e.kind) {
      case 'log': this.log(e.msg); break;
      case 'table': this.tableDirty = true; break;
      case 'rs': this.emit('rs', { vs: e.vs, rs: e.rs, up: e.up, cause: e.cause } satisfies RsEvent); break;
      case 'quorum': this.emit('quorum', { vs: e.vs, up: e.up }); break;
      case 'alert': this.emit('alert', e); break;
      case 'script':
        this.emit('script', e);
        this.runner?.script(e.script, e.why);
        break;
      case 'fifo':
        this.emit('fifo', e.line);
        this.runner?.fifo(e.line);
        break;
    }
  }
}

const SHORT: Record<string, string> = { TCP_CHECK: 'TCP', UDP_CHECK: 'UDP', PING_CHECK: 'ICMP', SMTP_CHECK: 'SMTP', DNS_CHECK: 'DNS' };

function successLine(type: string, rs: string): string {
  if (type === 'SMTP_CHECK') return `Remote SMTP server ${rs} succeed on service.`;
  if (type === 'DNS_CHECK') return `DNS_CHECK (${rs}) succeed on service.`;
  return `${SHORT[type]} connection to ${rs} success.`;
}

function failureLine(type: string, msg: string, rs: string): string {
  if (type === 'DNS_CHECK') return `DNS_CHECK (${rs}) ${msg}`;
  if (type === 'SMTP_CHECK') return `SMTP_CHECK ${msg} ${rs}`;
  return `${msg} to ${rs}.`;
}

function downLine(type: string, rs: string, vs: string, msg: string, retries: number | undefined): string {
  const after = retries !== undefined ? ` after ${retries} retries` : '';
  if (type === 'DNS_CHECK') return `DNS_CHECK (${rs}) ${msg}${after}`;
  if (type === 'SMTP_CHECK') return `SMTP_CHECK ${msg} ${rs}${after}`;
  if (type === 'PING_CHECK') return retries !== undefined ? `ICMP CHECK on service ${rs} of ${vs} failed${after}.` : `ICMP CHECK on service ${rs} failed.`;
  return `${type} on service ${rs} failed${after}.`;
}
