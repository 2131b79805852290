// The simulated LAN: every router hears every other one (multicast) unless a partition separates
// them; each link has its own latency (base + uniform jitter) and the whole LAN a loss rate, both
// drawn from the seeded PRNG. Like Ethernet, a link never reorders: jitter delays a packet but
// never lets it overtake one sent before it on the same link.
import type { Prng } from './prng.js';

export interface LinkLatency {
  baseUs: number;
  jitterUs: number;
}

export class Lan {
  /** Partition component of each router (all 0 when healed). */
  private component: number[];
  private links: LinkLatency[][];
  /** Arrival time of the last packet on each directed link (FIFO). */
  private lastArrival: number[][];
  loss = 0;

  constructor(readonly size: number, private readonly prng: Prng, latency: (a: number, b: number) => LinkLatency) {
    this.component = new Array<number>(size).fill(0);
    this.links = [];
    for (let a = 0; a < size; a++) {
      const row: LinkLatency[] = [];
      for (let b = 0; b < size; b++) row.push(latency(Math.min(a, b), Math.max(a, b)));
      this.links.push(row);
    }
    this.lastArrival = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  }

  /** Split the LAN: routers in the same list hear each other; a router in no list is alone. */
  partition(groups: readonly (readonly number[])[]): void {
    this.component = this.component.map((_, i) => 1000 + i);
    groups.forEach((g, k) => {
      for (const r of g) this.component[r] = k;
    });
  }

  heal(): void {
    this.component.fill(0);
  }

  connected(a: number, b: number): boolean {
    return this.component[a] === this.component[b];
  }

  componentOf(a: number): number {
    return this.component[a]!;
  }

  get partitioned(): boolean {
    return this.component.some((c) => c !== this.component[0]);
  }

  /** When a packet sent from a to b at `now` arrives, or undefined when it is lost. */
  arrival(a: number, b: number, now: number): number | undefined {
    if (this.loss > 0 && this.prng.chance(this.loss)) return undefined;
    const l = this.links[a]![b]!;
    const t = Math.max(now + l.baseUs + (l.jitterUs > 0 ? this.prng.int(0, l.jitterUs) : 0), this.lastArrival[a]![b]!);
    this.lastArrival[a]![b] = t;
    return t;
  }

  /** The worst one-way latency on any link. */
  maxLatencyUs(): number {
    let m = 0;
    for (const row of this.links) for (const l of row) m = Math.max(m, l.baseUs + l.jitterUs);
    return m;
  }
}
