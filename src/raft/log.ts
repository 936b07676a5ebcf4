// The Raft log as the core sees it: a stable prefix in Storage followed by the unstable
// suffix, plus the commit and applied cursors. Invariant: applied <= committed <= lastIndex.

import type { Entry, Snapshot } from './types.js';
import type { Storage } from './storage.js';
import { limitSize } from './storage.js';
import { Unstable } from './unstable.js';
import { CompactedError, RaftInvariantError, UnavailableError } from './errors.js';

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: Unstable;
  /** Highest index known to be stored on a quorum. */
  committed: number;
  /** Highest index handed to the application (in a Ready's committedEntries). */
  applied: number;
  /** Byte budget for committed entries handed out in one Ready. */
  private readonly maxNextEntsSize: number;

  constructor(storage: Storage, maxNextEntsSize = Number.MAX_SAFE_INTEGER) {
    this.storage = storage;
    this.maxNextEntsSize = maxNextEntsSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1;
    this.applied = first - 1;
  }

  /**
   * Follower side of AppendEntries: if our entry at `index` has term `logTerm`, append `ents`
   * (truncating at the first conflict) and advance commit. Returns the new last index, or
   * null if the log does not match at `index`.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      }
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(`after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Index of the first entry of `ents` that is new or conflicts with our log (different term
   * at the same index), or 0 if all of them are already present.
   */
  findConflict(ents: Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`. The leader can
   * skip all entries after it in one round trip. Returns `index` itself when terms are unknown.
   */
  findConflictByTerm(index: number, term: number): number {
    for (; index > 0; index--) {
      const t = this.termOrNull(index);
      if (t === null || t <= term) break;
    }
    return index;
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries not yet handed to the application, up to the byte budget. */
  nextEnts(): Entry[] {
    const off = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed + 1 > off) return this.slice(off, this.committed + 1, this.maxNextEntsSize);
    return [];
  }

  hasNextEnts(): boolean {
    return this.committed + 1 > Math.max(this.applied + 1, this.firstIndex());
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== null && this.unstable.snapshot.metadata.index !== 0;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Last index the caller has made durable (everything not in the unstable suffix). */
  lastStableIndex(): number {
    if (this.unstable.snapshot !== null) return this.storage.lastIndex();
    return Math.min(this.lastIndex(), this.unstable.offset - 1);
  }

  commitTo(toCommit: number): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new RaftInvariantError(`tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]`);
      }
      this.committed = toCommit;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(`applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): number {
    const t = this.termOrNull(this.lastIndex());
    if (t === null) throw new RaftInvariantError('unexpected error when getting the last term');
    return t;
  }

  /** Term of entry i; throws CompactedError/UnavailableError when it is not available. */
  term(i: number): number {
    // The valid range is [index of dummy entry, last index].
    if (i < this.firstIndex() - 1) throw new CompactedError();
    if (i > this.lastIndex()) throw new UnavailableError();
    const ut = this.unstable.maybeTerm(i);
    if (ut !== null) return ut;
    return this.storage.term(i);
  }

  /**
   * Term of entry i, or null if it is compacted or beyond the log. Checks bounds first: this
   * is on the hot path (every append checks terms past the end) and exceptions are slow.
   */
  termOrNull(i: number): number | null {
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return null;
    const ut = this.unstable.maybeTerm(i);
    if (ut !== null) return ut;
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return null;
      throw e;
    }
  }

  /** Entries from i to the end, limited to maxSize bytes (at least one). */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Number.MAX_SAFE_INTEGER);
  }

  /** Raft's election restriction: is a log ending at (lasti, term) at least as up to date as ours? */
  isUpToDate(lasti: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lasti >= this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    return this.termOrNull(i) === term;
  }

  /**
   * Advances commit to maxIndex if the entry there is from `term` (the leader's current term).
   * Raft only commits entries of older terms indirectly (Figure 8 of the paper).
   * `allowOldTerm` exists only for the planted-bug tests.
   */
  maybeCommit(maxIndex: number, term: number, allowOldTerm = false): boolean {
    if (maxIndex > this.committed && (allowOldTerm || this.termOrNull(maxIndex) === term)) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi) from storage and/or unstable, limited to maxSize bytes. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    if (lo < this.unstable.offset) {
      const stored = this.storage.entries(lo, Math.min(hi, this.unstable.offset), maxSize);
      // Storage returned fewer than asked because of the size limit: stop there.
      if (stored.length < Math.min(hi, this.unstable.offset) - lo) return stored;
      ents = stored;
    }
    if (hi > this.unstable.offset) {
      const u = this.unstable.slice(Math.max(lo, this.unstable.offset), hi);
      ents = ents.length > 0 ? ents.concat(u) : u;
    }
    return limitSize(ents, maxSize);
  }

  private checkOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError();
    const length = this.lastIndex() + 1 - fi;
    if (hi > fi + length) throw new RaftInvariantError(`slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}
