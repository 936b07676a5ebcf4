// The simulated disk of one member: exactly what survived fsync. A crash discards the
// member's memory (its RawNode and MemoryStorage, the "page cache") and it restarts from
// this. Writes reach it only at the simulated fsync point of a Ready, so an unsynced tail
// is lost on a crash, optionally leaving a torn prefix of the last batch of entries.

import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  MemoryStorage,
  bootstrapLog,
  emptyHardState,
} from '../../../src/raft/index.js';

export class Disk {
  snapshot: Snapshot;
  /** Contiguous entries following the snapshot. */
  entries: Entry[] = [];
  hardState: HardState = emptyHardState();

  /**
   * A fresh member. Founders get the bootstrap log (the initial membership as committed
   * conf change entries); members joining later start empty and learn everything from
   * the leader.
   */
  constructor(founders: ConfState | null) {
    this.snapshot = { metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } }, data: new Uint8Array(0) };
    if (founders !== null) {
      const b = bootstrapLog(founders.voters, founders.learners);
      this.entries = b.entries;
      this.hardState = b.hardState;
    }
  }

  /** A snapshot received from the leader replaces the whole log. */
  installSnapshot(s: Snapshot): void {
    if (s.metadata.index <= this.snapshot.metadata.index) return;
    this.snapshot = s;
    this.entries = [];
  }

  /** A snapshot the member took itself: entries after it stay. */
  saveLocalSnapshot(s: Snapshot): void {
    if (s.metadata.index <= this.snapshot.metadata.index) return;
    this.snapshot = s;
    this.entries = this.entries.filter((e) => e.index > s.metadata.index);
  }

  /** Appends entries, replacing any suffix from the first one's index on (a WAL replay does the same). */
  append(ents: Entry[]): void {
    const snapIndex = this.snapshot.metadata.index;
    for (const e of ents) {
      if (e.index <= snapIndex) continue;
      const pos = e.index - snapIndex - 1;
      if (pos > this.entries.length) throw new Error(`disk: gap appending at ${e.index}, have ${this.lastIndex()}`);
      if (pos < this.entries.length) this.entries.length = pos; // a conflicting suffix is replaced
      this.entries.push(e);
    }
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  lastIndex(): number {
    return this.snapshot.metadata.index + this.entries.length;
  }

  /** The storage a restarted member begins with. */
  load(): MemoryStorage {
    return MemoryStorage.fromPersisted({ snapshot: this.snapshot, entries: this.entries, hardState: this.hardState });
  }
}
