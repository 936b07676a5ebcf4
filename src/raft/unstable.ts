// Entries (and possibly a snapshot) the core has accepted but the caller has not yet
// persisted. They live here until a Ready hands them out and advance() confirms them
// stable; only then are they read from Storage instead.

import type { Entry, Snapshot } from './types.js';
import { RaftInvariantError } from './errors.js';

export class Unstable {
  /** An incoming snapshot not yet persisted, if any. */
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];
  /** Index of entries[0] (or where the next entry would go if entries is empty). */
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** First index if a snapshot is pending (snapshot index + 1); otherwise unknown here. */
  maybeFirstIndex(): number | null {
    return this.snapshot ? this.snapshot.metadata.index + 1 : null;
  }

  maybeLastIndex(): number | null {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    if (this.snapshot) return this.snapshot.metadata.index;
    return null;
  }

  maybeTerm(i: number): number | null {
    if (i < this.offset) {
      if (this.snapshot && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return null;
    }
    const last = this.maybeLastIndex();
    if (last === null || i > last) return null;
    return this.entries[i - this.offset]!.term;
  }

  /** The caller persisted entries up to (i, t): drop them from here. */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i);
    if (gt === null) return;
    // Only if the entry at i still has term t: a newer leader may have replaced it meanwhile.
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = i + 1;
    }
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = null;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // The new entries replace everything unstable (and possibly some stable ones).
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.slice(this.offset, after).concat(ents);
    }
  }

  slice(lo: number, hi: number): Entry[] {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) {
      throw new RaftInvariantError(`unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
