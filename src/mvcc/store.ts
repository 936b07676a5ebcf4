// The MVCC key-value store (etcd's mvcc.store): revisions, ranges at any uncompacted revision,
// write txns, compaction, and HashKV, over a Backend.
//
// Life of a write (the server's apply loop):
//   backend.batch(() => {
//     const txn = store.write();          // one writer at a time
//     txn.put(k, v, lease); txn.deleteRange(k, end); txn.range(...);
//     const { rev, events } = txn.end();  // events go to watchers
//     backend.setConsistentIndex(index, term);
//   });
// If the batch throws, LMDB discards its writes and the store rebuilds its index from the
// backend (rare, and correct by construction), so memory never runs ahead of disk.

import type { Backend } from '../backend/backend.js';
import { META_SCHEDULED_COMPACT_REV } from '../backend/buckets.js';
import { runCompaction, type CompactionTuning } from './compactor.js';
import { ErrClosed, ErrCompacted, ErrFutureRev } from './errors.js';
import type { Event } from '../gen/mvccpb/kv_pb.js';
import { hashKeyBucket } from './hash.js';
import { readEvents, type HistoryOptions } from './history.js';
import { rangeKeys, type RangeOptions, type RangeResult } from './reader.js';
import { restoreIndex } from './restore.js';
import { revToBytes } from './revision.js';
import { fromLatin1, toSpan } from './span.js';
import { TreeIndex } from './tree_index.js';
import { WriteTxn, type TxnHost } from './write_txn.js';

export type StoreOptions = Partial<CompactionTuning>;

/** A consistent read-only view at the revision current when it was taken (etcd's ReadView). */
export interface ReadView {
  readonly rev: number;
  /** etcd's FirstRev: the compact revision (-1 if never compacted); reads below it fail. */
  readonly firstRev: number;
  range(key: Uint8Array, rangeEnd: Uint8Array | undefined, opts?: RangeOptions): RangeResult;
}

export interface HashKVResult {
  hash: number;
  /** The revision hashed up to (the requested one, or current when 0 was asked). */
  hashRevision: number;
  compactRevision: number;
  /** The store's revision when hashing (etcd puts it in the response header). */
  currentRevision: number;
}

export class MvccStore implements TxnHost {
  readonly index = new TreeIndex();
  private _rev = 1;
  private _compactRev = -1;
  private writer: WriteTxn | undefined;
  private keyLeases = new Map<string, bigint>();
  /** Bumped to cancel in-flight compaction (close, or rebuild after rollback). */
  private epoch = 0;
  private compactionChain: Promise<void> = Promise.resolve();
  private readonly tuning: CompactionTuning;
  private readonly unhookRollback: () => void;
  private closed = false;

  private constructor(
    readonly backend: Backend,
    opts: StoreOptions,
  ) {
    this.tuning = { keysPerChunk: opts.keysPerChunk ?? 10_000, rowsPerChunk: opts.rowsPerChunk ?? 10_000 };
    this.unhookRollback = backend.onRollback(() => this.rebuild());
  }

  /**
   * Opens the store over a backend: rebuilds the index from the key bucket, restores the
   * current and compact revisions, and resumes a compaction that a crash interrupted.
   */
  static open(backend: Backend, opts: StoreOptions = {}): MvccStore {
    const s = new MvccStore(backend, opts);
    s.rebuild();
    return s;
  }

  private rebuild(): void {
    this.epoch++;
    this.writer?.abandon();
    this.writer = undefined;
    const st = restoreIndex(this.backend, this.index);
    this._rev = st.currentRev;
    this._compactRev = st.compactRev;
    this.keyLeases = st.keyLeases;
    if (st.pendingCompactRev > 0) {
      this._compactRev = st.pendingCompactRev;
      this.scheduleCompaction(st.pendingCompactRev);
    }
  }

  /** Current revision: 1 on an empty store, +1 per txn that changed something. */
  get rev(): number {
    return this._rev;
  }

  /** Revision of the last compaction (scheduled or finished), -1 if never compacted. */
  get compactRev(): number {
    return this._compactRev;
  }

  get firstRev(): number {
    return this._compactRev;
  }

  private checkOpen(): void {
    if (this.closed) throw new ErrClosed();
  }

  /** Range at opts.rev (0 = current); see RangeOptions and etcd's key/range_end rules. */
  range(key: Uint8Array, rangeEnd: Uint8Array | undefined, opts: RangeOptions = {}): RangeResult {
    this.checkOpen();
    return rangeKeys(this.backend, this.index, toSpan(key, rangeEnd), opts, this._rev, this._compactRev);
  }

  read(): ReadView {
    this.checkOpen();
    const rev = this._rev;
    const firstRev = this._compactRev;
    return {
      rev,
      firstRev,
      // The store's compact revision is re-read on each range: a compaction after the view was
      // taken may already have dropped what the view's revision needs.
      range: (key, rangeEnd, opts = {}) =>
        rangeKeys(this.backend, this.index, toSpan(key, rangeEnd), opts, rev, this._compactRev),
    };
  }

  /** Starts the (single) write txn. Must be called, used and ended inside backend.batch(). */
  write(): WriteTxn {
    this.checkOpen();
    if (!this.backend.inBatch) throw new Error('mvcc: write() outside backend.batch()');
    if (this.writer !== undefined && !this.writer.isEnded) throw new Error('mvcc: a write txn is already open');
    this.writer = new WriteTxn(this);
    return this.writer;
  }

  /** @internal TxnHost: called by WriteTxn.end(). */
  finishTxn(txn: WriteTxn, newRev: number): void {
    if (txn !== this.writer) return;
    this._rev = newRev;
    this.writer = undefined;
  }

  /**
   * Compacts history at `rev`: afterwards reads below rev fail with ErrCompacted. The compact
   * revision is recorded (meta scheduledCompactRev, in the caller's batch if one is open) and the
   * index and rows are pruned in the background in bounded chunks; physicalDone resolves when
   * the rows are gone (meta finishedCompactRev written). A crash before then resumes on open.
   */
  compact(rev: number): { physicalDone: Promise<void> } {
    this.checkOpen();
    if (rev <= this._compactRev) throw new ErrCompacted();
    if (rev > this._rev) throw new ErrFutureRev();
    this.backend.batch(() => this.backend.put('meta', META_SCHEDULED_COMPACT_REV, revToBytes(rev, 0)));
    this._compactRev = rev;
    return { physicalDone: this.scheduleCompaction(rev) };
  }

  private scheduleCompaction(rev: number): Promise<void> {
    const epoch = this.epoch;
    const p = this.compactionChain.then(async () => {
      await runCompaction(this.backend, this.index, rev, this.tuning, () => this.epoch !== epoch || this.closed);
    });
    // The chain must survive a failed job; callers still see the failure through `p`.
    this.compactionChain = p.catch(() => undefined);
    p.catch(() => undefined); // a caller that ignores physicalDone must not crash the process
    return p;
  }

  /** Resolves when every compaction scheduled so far has finished (or was cancelled). */
  compactionsDone(): Promise<void> {
    return this.compactionChain;
  }

  /**
   * The events of revisions fromRev .. toRev-1 (toRev defaults to current + 1), read back from
   * the rows: how a watcher that starts in the past catches up. As in etcd, fromRev below the
   * compact revision is refused (ErrCompacted): compaction removed part of that history.
   */
  events(fromRev: number, toRev: number = this._rev + 1, opts: HistoryOptions = {}): Event[] {
    this.checkOpen();
    if (fromRev < this._compactRev) throw new ErrCompacted();
    return readEvents(this.backend, fromRev, Math.min(toRev, this._rev + 1), opts);
  }

  /** etcd's HashKV at `rev` (0 = current). */
  hashKV(rev: number): HashKVResult {
    this.checkOpen();
    const compactRev = this._compactRev;
    const currentRev = this._rev;
    // etcd 3.4 (our reference) rejects rev == compactRev too; 3.5 later accepted it.
    if (rev > 0 && rev <= compactRev) throw new ErrCompacted();
    if (rev > 0 && rev > currentRev) throw new ErrFutureRev();
    const at = rev > 0 ? rev : currentRev;
    // Only rows at or below the compact revision consult `keep`; never compacted, none do.
    const keep = compactRev >= 1 ? this.index.keep(at) : new Set<string>();
    return { hash: hashKeyBucket(this.backend, at, compactRev, keep), hashRevision: at, compactRevision: compactRev, currentRevision: currentRev };
  }

  /** etcd's Hash RPC: the backend hash of every bucket (raft bookkeeping keys ignored). */
  hash(): number {
    this.checkOpen();
    return this.backend.hash();
  }

  /** Live keys attached to leases as found at open (for the lessor to re-attach), key as bytes. */
  restoredKeyLeases(): Array<{ key: Uint8Array; lease: bigint }> {
    return [...this.keyLeases].map(([k, lease]) => ({ key: fromLatin1(k), lease }));
  }

  /** Stops background compaction (it resumes on the next open). Does not close the backend. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unhookRollback();
    await this.compactionChain;
  }
}
