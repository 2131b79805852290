// Observers for timing VRRP on a Lab from outside the routers: tcpdump on a third host (kernel
// timestamps of adverts and ARP frames) and `ip -ts monitor address` inside a router's namespace.
// Every time here is wall clock in milliseconds since the epoch (what both tools print), so a
// kill recorded with wallNow() and a frame seen by tcpdump are on the same clock.
import type { ChildProcess } from 'node:child_process';
import type { LabHost } from './lab.js';
import { startRouter, type Implementation, type Router } from './vrrp-lab.js';

/** Wall-clock milliseconds with sub-millisecond resolution. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/** A monotonic time from Router.lines / enteredAt on the wall clock. */
export const perfToWall = (t: number): number => performance.timeOrigin + t;

export interface Advert { t: number; src: string; vrid: number; prio: number }
export interface Arp { t: number; sender: string; target: string }

/** tcpdump on `host`'s eth0, collecting VRRP adverts and ARP frames as they are seen. */
export class Observer {
  readonly adverts: Advert[] = [];
  readonly arps: Arp[] = [];
  private readonly proc: ChildProcess;
  private buf = '';
  private err = '';

  constructor(host: LabHost) {
    // -tt: epoch timestamps taken by the kernel; -l: line buffered, so frames arrive as they happen.
    this.proc = host.spawn('tcpdump', ['-tt', '-n', '-l', '-i', 'eth0', 'ip proto 112 or arp']);
    this.proc.stdout?.on('data', (d: Buffer) => this.take(d.toString('latin1')));
    this.proc.stderr?.on('data', (d: Buffer) => { this.err += d.toString(); });
  }

  private take(s: string): void {
    this.buf += s;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      const t = Number(line.slice(0, line.indexOf(' '))) * 1000;
      let m = /IP (\S+) > \S+: VRRPv\d, Advertisement, vrid (\d+), prio (\d+)/.exec(line);
      if (m) {
        this.adverts.push({ t, src: m[1]!, vrid: Number(m[2]), prio: Number(m[3]) });
        continue;
      }
      // keepalived and keel fill the target MAC with ff:ff:..., which tcpdump prints in brackets.
      m = /ARP, Request who-has (\S+)(?: \([0-9a-f:]+\))? tell (\S+),/.exec(line);
      if (m) {
        this.arps.push({ t, target: m[1]!, sender: m[2]! });
        continue;
      }
      m = /ARP, Reply (\S+) is-at/.exec(line);
      if (m) this.arps.push({ t, target: m[1]!, sender: m[1]! });
    }
  }

  /** Resolves once tcpdump is capturing. */
  async ready(timeoutMs = 5_000): Promise<void> {
    const start = Date.now();
    while (!/listening on/.test(this.err)) {
      if (Date.now() - start > timeoutMs) throw new Error(`tcpdump did not start: ${this.err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The first advert from `src` seen after wall time `since` (optionally with priority `prio`). */
  firstAdvert(src: string, since: number, prio?: number): Advert | undefined {
    return this.adverts.find((a) => a.src === src && a.t >= since && (prio === undefined || a.prio === prio));
  }

  /** The last advert from `src` seen before wall time `before`. */
  lastAdvert(src: string, before: number, prio?: number): Advert | undefined {
    for (let i = this.adverts.length - 1; i >= 0; i--) {
      const a = this.adverts[i]!;
      if (a.src === src && a.t < before && (prio === undefined || a.prio === prio)) return a;
    }
    return undefined;
  }

  /**
   * Gratuitous ARPs (sender = target) for addresses in `wanted` after `since`: how many distinct
   * addresses were announced, when the last of them was first announced, and the frame count.
   */
  garps(wanted: ReadonlySet<string>, since: number): { distinct: number; allAt?: number; frames: number } {
    const seen = new Set<string>();
    let allAt: number | undefined;
    let frames = 0;
    for (const a of this.arps) {
      if (a.t < since || a.sender !== a.target || !wanted.has(a.target)) continue;
      frames++;
      if (!seen.has(a.target)) {
        seen.add(a.target);
        if (seen.size === wanted.size) allAt = a.t;
      }
    }
    return { distinct: seen.size, ...(allAt !== undefined ? { allAt } : {}), frames };
  }

  /** Drop what was seen so far (between trials). */
  clear(): void {
    this.adverts.length = 0;
    this.arps.length = 0;
  }

  stop(): void {
    if (this.proc.pid && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

/** `ip -ts monitor address` on a host's eth0: when each IPv4 address was added or deleted. */
export class AddressMonitor {
  readonly events: { t: number; added: boolean; address: string }[] = [];
  private readonly proc: ChildProcess;
  private buf = '';

  constructor(host: LabHost, ifname = 'eth0') {
    this.proc = host.spawn('ip', ['-ts', '-o', '-4', 'monitor', 'address', 'dev', ifname]);
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        // "[2026-11-22T08:10:06.664304] [Deleted ]3: eth0    inet 10.9.9.9/32 ..." (local time)
        const m = /^\[(\S+)\] (Deleted )?\d+: \S+\s+inet (\S+)\//.exec(line);
        if (!m) continue;
        const [date, frac] = m[1]!.split('.');
        const t = new Date(date!).getTime() + Number(`0.${frac ?? '0'}`) * 1000;
        this.events.push({ t, added: !m[2], address: m[3]! });
      }
    });
  }

  /** When the last of `wanted` was added after `since` (undefined while some are missing). */
  allAddedAt(wanted: ReadonlySet<string>, since: number): { count: number; at?: number } {
    const seen = new Set<string>();
    let at: number | undefined;
    for (const e of this.events) {
      if (e.t < since || !e.added || !wanted.has(e.address) || seen.has(e.address)) continue;
      seen.add(e.address);
      if (seen.size === wanted.size) at = e.t;
    }
    return { count: seen.size, ...(at !== undefined ? { at } : {}) };
  }

  clear(): void {
    this.events.length = 0;
  }

  stop(): void {
    if (this.proc.pid && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

/** A router without -D (see startRouter's `detail`): the 1,000-VIP rows. */
export function startQuietRouter(impl: Implementation, host: LabHost, conf: string): Router {
  return startRouter(impl, host, conf, [], { detail: false });
}
