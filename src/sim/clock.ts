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
    // Sift up by moving the hole, not by swapping.
    let i = h.length;
    h.push(it);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!less(it, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = it;
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
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r]!, h[l]!) ? r : l;
        if (!less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
