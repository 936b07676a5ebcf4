// The read side of the persisted log that the core consults, and an in-memory
// implementation. The core never writes to Storage: the caller writes what a Ready
// hands it (entries, hard state, snapshot) and then calls advance(). See docs/raft.md.

import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  emptyHardState,
  emptySnapshot,
  entrySize,
} from './types.js';
import { CompactedError, RaftInvariantError, SnapshotOutOfDateError, UnavailableError } from './errors.js';

export interface InitialState {
  hardState: HardState;
  confState: ConfState;
}

export interface Storage {
  /** The persisted hard state and membership to restart from. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), at least one if any exist, then as many as fit in maxSize bytes.
   * Throws CompactedError if lo < firstIndex(), UnavailableError if hi > lastIndex()+1.
   */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. Throws CompactedError / UnavailableError. */
  term(i: number): number;
  lastIndex(): number;
  /** Index of the first entry still available (the snapshot index + 1). */
  firstIndex(): number;
  /** The most recent snapshot. May throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

/** Returns the longest prefix of `ents` whose total size is at most maxSize (never empty if ents is not). */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]!);
    if (size > maxSize) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

/**
 * Storage held in memory, like etcd's MemoryStorage. ents[0] is a dummy entry carrying the
 * index and term of the last compacted entry (the snapshot point), so term(firstIndex-1) works.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  private ents: Entry[] = [{ term: 0, index: 0, type: 0, data: new Uint8Array(0) }];

  /**
   * Rebuilds storage from what was durable: a snapshot (index 0 for a fresh node, whose
   * confState then bootstraps the membership), the entries after it, and the hard state.
   */
  static fromPersisted(p: { snapshot: Snapshot; entries: Entry[]; hardState: HardState }): MemoryStorage {
    const ms = new MemoryStorage();
    const meta = p.snapshot.metadata;
    ms.snap = { metadata: { index: meta.index, term: meta.term, confState: cloneConfState(meta.confState) }, data: p.snapshot.data };
    ms.ents = [{ term: meta.term, index: meta.index, type: 0, data: new Uint8Array(0) }];
    ms.append(p.entries.filter((e) => e.index > meta.index));
    ms.hardState = { ...p.hardState };
    return ms;
  }

  initialState(): InitialState {
    return { hardState: { ...this.hardState }, confState: cloneConfState(this.snap.metadata.confState) };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  hardStateNow(): HardState {
    return { ...this.hardState };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError();
    if (hi > this.lastIndex() + 1) throw new UnavailableError();
    if (this.ents.length === 1) throw new UnavailableError(); // only the dummy entry
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError();
    if (i - offset >= this.ents.length) throw new UnavailableError();
    return this.ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing one from its leader). */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw new SnapshotOutOfDateError();
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 0, data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the state machine at applied index i (i <= lastIndex). Entries are
   * kept; call compact() to release them.
   */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError();
    const offset = this.ents[0]!.index;
    if (i > this.lastIndex()) throw new RaftInvariantError(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    this.snap = { metadata: { index: i, term: this.ents[i - offset]!.term, confState: cloneConfState(confState) }, data };
    return this.snap;
  }

  /** Discards entries up to and including compactIndex. compactIndex must be <= the applied index. */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError();
    if (compactIndex > this.lastIndex()) {
      throw new RaftInvariantError(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const dummy: Entry = { term: this.ents[i]!.term, index: this.ents[i]!.index, type: 0, data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  /**
   * Appends entries, truncating any existing suffix they conflict with. Entries older than the
   * first index are ignored (already covered by the snapshot).
   */
  append(entries: Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    if (first > entries[0]!.index) entries = entries.slice(first - entries[0]!.index);
    const offset = entries[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new RaftInvariantError(`missing log entry [last: ${this.lastIndex()}, append at: ${entries[0]!.index}]`);
    }
    if (offset === this.ents.length) {
      for (const e of entries) this.ents.push(e);
    } else {
      this.ents = this.ents.slice(0, offset).concat(entries);
    }
  }
}

export function cloneConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}
