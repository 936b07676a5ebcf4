// A min-heap of (lease id, time in ms) holding at most one entry per lease, with O(log n)
// insert, update and removal by id. The lessor keeps two: expiry deadlines (etcd's
// LeaseExpiredNotifier) and next checkpoint times (etcd's leaseCheckpointHeap). One entry per
// lease — rather than etcd's checkpoint heap, which can hold duplicates — bounds memory by the
// number of leases. Ties are broken by id so that every member orders equal deadlines the same
// way and tests are reproducible.

interface Entry {
  id: bigint;
  time: number;
  pos: number;
}

export class DeadlineQueue {
  private heap: Entry[] = [];
  private byId = new Map<bigint, Entry>();

  get size(): number {
    return this.heap.length;
  }

  /** Sets (inserting or moving) the deadline of `id`. */
  set(id: bigint, time: number): void {
    const e = this.byId.get(id);
    if (e === undefined) {
      const fresh: Entry = { id, time, pos: this.heap.length };
      this.heap.push(fresh);
      this.byId.set(id, fresh);
      this.up(fresh.pos);
      return;
    }
    const earlier = time < e.time;
    e.time = time;
    if (earlier) this.up(e.pos);
    else this.down(e.pos);
  }

  get(id: bigint): number | undefined {
    return this.byId.get(id)?.time;
  }

  delete(id: bigint): boolean {
    const e = this.byId.get(id);
    if (e === undefined) return false;
    this.byId.delete(id);
    const last = this.heap.pop()!;
    if (last !== e) {
      this.heap[e.pos] = last;
      last.pos = e.pos;
      this.up(last.pos);
      this.down(last.pos);
    }
    return true;
  }

  /** The earliest entry, without removing it. */
  peek(): { id: bigint; time: number } | undefined {
    const e = this.heap[0];
    return e === undefined ? undefined : { id: e.id, time: e.time };
  }

  clear(): void {
    this.heap = [];
    this.byId.clear();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.time < b.time || (a.time === b.time && a.id < b.id);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    a.pos = j;
    b.pos = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
