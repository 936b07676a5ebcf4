// Reads: the index says which revision holds each key at the requested revision, the backend row
// at that revision holds the KeyValue. Shared by read views and write txns (which read their own
// writes because the index is updated as they write).

import type { Backend } from '../backend/backend.js';
import type { KeyValue } from '../gen/mvccpb/kv_pb.js';
import { ErrCompacted, ErrFutureRev } from './errors.js';
import { decodeKv, toKeyValue, type Kv } from './kv_codec.js';
import { scratchRevBytes } from './revision.js';
import type { KeySpan, TreeIndex } from './tree_index.js';

export interface RangeOptions {
  /** Revision to read at; 0 or absent = the current revision. */
  rev?: number;
  /** Return at most this many kvs (0 or absent = all); `count` still counts every match. */
  limit?: number;
  /** Only count: kvs is empty. */
  countOnly?: boolean;
  /** Leave values empty (etcd's keys_only). */
  keysOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Number of keys matching at the revision, even when `limit` truncated kvs. */
  count: number;
  /** The store's revision as seen by the reader (not the revision read at), as in etcd. */
  rev: number;
}

/** Reads the row of revision (main, sub); a missing row means index and backend disagree. */
export function readRow(backend: Backend, main: number, sub: number): Kv {
  const row = backend.get('key', scratchRevBytes(main, sub));
  if (row === undefined) throw new Error(`mvcc: index points at missing row ${main}_${sub}`);
  return decodeKv(row);
}

/**
 * etcd's rangeKeys: curRev is the reader's current revision, compactRev the store's compaction
 * point. Reading exactly at compactRev is allowed (its state was kept); below it is not.
 */
export function rangeKeys(
  backend: Backend,
  index: TreeIndex,
  span: KeySpan,
  opts: RangeOptions,
  curRev: number,
  compactRev: number,
): RangeResult {
  let rev = opts.rev ?? 0;
  if (rev > curRev) throw new ErrFutureRev();
  if (rev <= 0) rev = curRev;
  if (rev < compactRev) throw new ErrCompacted();
  if (opts.countOnly) return { kvs: [], count: index.count(span, rev), rev: curRev };
  const { revs, total } = index.revisions(span, rev, opts.limit ?? 0);
  const kvs: KeyValue[] = new Array(revs.length);
  for (let i = 0; i < revs.length; i++) {
    const r = revs[i]!;
    kvs[i] = toKeyValue(readRow(backend, r.modMain, r.modSub), opts.keysOnly);
  }
  return { kvs, count: total, rev: curRev };
}
