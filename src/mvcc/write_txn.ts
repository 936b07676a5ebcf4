// A write transaction: etcd's storeTxnWrite. All its changes share one main revision
// (current + 1) with sub revisions 0, 1, 2, ... in order; the store's revision advances at
// end() only if something changed. Rows go to the backend batch the caller opened, and the index
// is updated at once, so the txn's own ranges see its earlier writes.

import type { Backend } from '../backend/backend.js';
import { Event_EventType, type Event, type KeyValue } from '../gen/mvccpb/kv_pb.js';
import { ErrClosed } from './errors.js';
import { encodeKv, toKeyValue, type Kv } from './kv_codec.js';
import { rangeKeys, readRow, type RangeOptions, type RangeResult } from './reader.js';
import { scratchRevBytes } from './revision.js';
import { fromLatin1, latin1, toSpan } from './span.js';
import { KeyIndex } from './key_index.js';
import type { TreeIndex } from './tree_index.js';

const EMPTY = new Uint8Array(0);

/** What a write txn needs from its store (kept narrow so the txn cannot reach anything else). */
export interface TxnHost {
  readonly backend: Backend;
  readonly index: TreeIndex;
  readonly rev: number;
  readonly compactRev: number;
  /** Called by end(): publishes the new revision (or just releases the writer slot). */
  finishTxn(txn: WriteTxn, newRev: number): void;
}

export interface TxnResult {
  /** The store's revision after the txn (unchanged if the txn wrote nothing). */
  rev: number;
  /** One event per change, in order: PUT with kv, DELETE with kv {key, mod_revision} (and
   *  prevKv when deleteRange was asked for prev kvs). What watchers will be fed; like etcd's
   *  watch server, a watcher wanting prev_kv reads it at mod_revision - 1. */
  events: Event[];
}

export class WriteTxn {
  private readonly beginRev: number;
  private changes = 0;
  private readonly events: Event[] = [];
  private ended = false;

  constructor(private readonly host: TxnHost) {
    this.beginRev = host.rev;
  }

  /** The revision this txn reads at: its own revision once it has changed something. */
  get rev(): number {
    return this.changes > 0 ? this.beginRev + 1 : this.beginRev;
  }

  /** Oldest readable revision (etcd's FirstRev: the compact revision, -1 if never compacted). */
  get firstRev(): number {
    return this.host.compactRev;
  }

  private check(): void {
    if (this.ended) throw new ErrClosed('mvcc: write txn already ended');
    if (!this.host.backend.inBatch) throw new Error('mvcc: write txn used outside backend.batch()');
  }

  range(key: Uint8Array, rangeEnd: Uint8Array | undefined, opts: RangeOptions = {}): RangeResult {
    this.check();
    return rangeKeys(this.host.backend, this.host.index, toSpan(key, rangeEnd), opts, this.rev, this.host.compactRev);
  }

  /** Puts key=value with a lease (0n = none); returns the revision of the write. */
  put(key: Uint8Array, value: Uint8Array, lease: bigint = 0n): number {
    this.check();
    const { backend, index } = this.host;
    const main = this.beginRev + 1;
    const sub = this.changes;
    const k = latin1(key);
    // One tree lookup serves both the read of the previous state and the index update.
    let ki = index.keyIndex(k);
    const prev = ki?.get(main);
    const kv: Kv = {
      key,
      createRevision: prev ? prev.createdMain : main,
      modRevision: main,
      version: prev ? prev.version + 1 : 1,
      value,
      lease,
    };
    backend.put('key', scratchRevBytes(main, sub), encodeKv(kv));
    if (ki === undefined) {
      ki = new KeyIndex(k);
      index.insert(ki);
    }
    ki.put(main, sub);
    this.changes++;
    this.events.push({ $typeName: 'mvccpb.Event', type: Event_EventType.PUT, kv: toKeyValue(kv) });
    return main;
  }

  /**
   * Deletes every live key in the range (etcd's key/range_end rules). Deleting nothing writes
   * nothing. Returns the count and the revision; with `withPrevKvs`, also the deleted kvs as
   * they were (read from their rows, so only when asked), which then also go into the events.
   */
  deleteRange(
    key: Uint8Array,
    rangeEnd: Uint8Array | undefined,
    withPrevKvs = false,
  ): { deleted: number; rev: number; prevKvs: KeyValue[] } {
    this.check();
    const { backend, index } = this.host;
    const { revs } = index.revisions(toSpan(key, rangeEnd), this.rev, 0);
    const prevKvs: KeyValue[] = [];
    const main = this.beginRev + 1;
    for (const r of revs) {
      const prevKv = withPrevKvs ? toKeyValue(readRow(backend, r.modMain, r.modSub)) : undefined;
      if (prevKv !== undefined) prevKvs.push(prevKv);
      const sub = this.changes;
      const keyBytes = fromLatin1(r.key);
      // etcd's tombstone row: the revision with a 't' mark, holding a KeyValue with only the key.
      backend.put('key', scratchRevBytes(main, sub, true), encodeKv({ key: keyBytes, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0n }));
      index.tombstone(r.key, main, sub);
      this.changes++;
      const kv: KeyValue = {
        $typeName: 'mvccpb.KeyValue',
        key: keyBytes,
        createRevision: 0n,
        modRevision: BigInt(main),
        version: 0n,
        value: EMPTY,
        lease: 0n,
      };
      this.events.push({ $typeName: 'mvccpb.Event', type: Event_EventType.DELETE, kv, prevKv });
    }
    return { deleted: revs.length, rev: this.rev, prevKvs };
  }

  /** Ends the txn; the store's revision advances iff something changed. */
  end(): TxnResult {
    if (this.ended) throw new ErrClosed('mvcc: write txn already ended');
    this.ended = true;
    const rev = this.changes > 0 ? this.beginRev + 1 : this.beginRev;
    this.host.finishTxn(this, rev);
    return { rev, events: this.events };
  }

  /** Marks the txn unusable (its batch was rolled back). */
  abandon(): void {
    this.ended = true;
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
