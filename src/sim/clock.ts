// The virtual clock: a priority queue of timed entries (binary heap ordered by time, then by the
// order they were scheduled), so runs are deterministic and nothing waits on real time.

export interface Scheduled {
  /** Virtual time in microseconds. */
  at: number;
  /** Insertion order: breaks ties so equal times pop in the order they were pushed. */
  seq: number;
}

export class EventQueue<T extends Scheduled> {
  private heap: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedule an entry (its seq is assigned here, whatever it was). */
  push(item: T): T {
    const it = item;
    it.seq = this.nextSeq++;
    const h = this.heap;
    h.push(it);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
    return it;
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  pop(): T | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < n && less(h[l]!, h[m]!)) m = l;
        if (r < n && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
