// Startup: rebuild the in-memory index from the "key" bucket, as etcd's store.restore does.
// Rows are read in revision order; for each we decode only the key, create_revision, version
// and lease (summarizeKv skips the value). The first surviving row of a key seeds its KeyIndex
// with that row's create revision and version (older rows may have been compacted away); later
// rows replay as puts and tombstones.

import type { Backend } from '../backend/backend.js';
import { META_FINISHED_COMPACT_REV, META_SCHEDULED_COMPACT_REV } from '../backend/buckets.js';
import { KeyIndex } from './key_index.js';
import { summarizeKv, type RowSummary } from './kv_codec.js';
import { readUint64BE } from '../backend/uint64.js';
import { MARKED_REV_BYTES_LEN, TOMBSTONE_MARK, rowMain } from './revision.js';
import type { TreeIndex } from './tree_index.js';

export interface RestoredState {
  /** Revision of the newest row, at least the compact revision, 1 for an empty store. */
  currentRev: number;
  /** Last finished compaction, -1 if none. */
  compactRev: number;
  /** A compaction that was scheduled but not finished (crash mid-compaction), or 0. */
  pendingCompactRev: number;
  /** Live keys attached to a lease (latin1 key -> lease id), for the lessor to re-attach. */
  keyLeases: Map<string, bigint>;
}

function readMetaRev(backend: Backend, key: Uint8Array): number | undefined {
  const b = backend.get('meta', key);
  return b !== undefined && b.length >= 8 ? rowMain(b) : undefined;
}

export function restoreIndex(backend: Backend, index: TreeIndex): RestoredState {
  index.clear();
  const compactRev = readMetaRev(backend, META_FINISHED_COMPACT_REV) ?? -1;
  let pending = readMetaRev(backend, META_SCHEDULED_COMPACT_REV) ?? 0;
  if (pending <= compactRev) pending = 0;

  const keyLeases = new Map<string, bigint>();
  let currentRev = 1;
  let main = 0;
  let sub = 0;
  let tomb = false;
  const readRowKey = (buf: Uint8Array, s: number, e: number): undefined => {
    main = readUint64BE(buf, s);
    sub = readUint64BE(buf, s + 9);
    tomb = e - s === MARKED_REV_BYTES_LEN && buf[s + 17] === TOMBSTONE_MARK;
    return undefined;
  };
  // Key indexes are collected in a Map (one hash probe per row), then ordered once by load().
  const all = new Map<string, KeyIndex>();
  const s: RowSummary = { key: '', createRevision: 0, version: 0, lease: 0n };
  backend.scan('key', undefined, undefined, readRowKey, (_k, value) => {
    summarizeKv(value, s);
    currentRev = main;
    if (tomb || s.lease === 0n) {
      if (keyLeases.size > 0) keyLeases.delete(s.key);
    } else {
      keyLeases.set(s.key, s.lease);
    }
    const ki = all.get(s.key);
    if (ki !== undefined) {
      if (tomb) ki.tombstone(main, sub);
      else ki.put(main, sub);
    } else if (!tomb) {
      const fresh = new KeyIndex(s.key);
      fresh.restore(s.createRevision, main, sub, s.version);
      all.set(s.key, fresh);
    }
  });
  index.load(all);

  // Compaction may have removed every row up to the compact revision.
  if (currentRev < compactRev) currentRev = compactRev;
  if (pending > currentRev) currentRev = pending;
  return { currentRev, compactRev, pendingCompactRev: pending, keyLeases };
}
