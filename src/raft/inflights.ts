// Flow control for a follower in the Replicate state: the last index of each MsgApp sent
// but not yet acknowledged, in a ring buffer. When it is full the leader stops sending
// to that follower (the max-inflight window).

import { RaftInvariantError } from './errors.js';

export class Inflights {
  private start = 0;
  private count = 0;
  private readonly buffer: number[];
  readonly size: number;

  constructor(size: number) {
    if (size < 1) throw new RangeError('inflights size must be at least 1');
    this.size = size;
    this.buffer = new Array<number>(size).fill(0);
  }

  /** Records a MsgApp whose last entry is `index`. Indexes must be added in increasing order. */
  add(index: number): void {
    if (this.full()) throw new RaftInvariantError('cannot add into a full inflights');
    let next = this.start + this.count;
    if (next >= this.size) next -= this.size;
    this.buffer[next] = index;
    this.count++;
  }

  /** Frees every inflight message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.buffer[this.start]!) return;
    let idx = this.start;
    let i = 0;
    for (; i < this.count; i++) {
      if (to < this.buffer[idx]!) break;
      idx++;
      if (idx >= this.size) idx -= this.size;
    }
    this.count -= i;
    this.start = idx;
    if (this.count === 0) this.start = 0; // keep the buffer compact when idle
  }

  /** Frees the oldest inflight message (a heartbeat response proves the follower is alive). */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.freeLE(this.buffer[this.start]!);
  }

  full(): boolean {
    return this.count === this.size;
  }

  length(): number {
    return this.count;
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
  }
}
