// Physical compaction, in bounded chunks so a large store never blocks the event loop for long:
//  1. index: compact each KeyIndex at `rev`, a chunk of keys at a time, collecting the revisions
//     to keep (the newest <= rev of each key, unless it is a tombstone);
//  2. rows: delete rows with main <= rev that are not kept, a chunk per backend batch, in
//     revision order; the last chunk also writes meta finishedCompactRev (etcd's layout).
// Between chunks other work runs, including write txns: they only add revisions above rev, which
// neither phase touches, and reads below rev are already refused (the compact revision was
// raised before this started). A crash leaves scheduledCompactRev > finishedCompactRev, and the
// next open runs the whole thing again (every step is idempotent).

import type { Backend } from '../backend/backend.js';
import { META_FINISHED_COMPACT_REV } from '../backend/buckets.js';
import { mainRevPrefix, revKey, revToBytes, rowMain, rowSub } from './revision.js';
import type { TreeIndex } from './tree_index.js';

export interface CompactionTuning {
  /** Key indexes compacted per event-loop turn. */
  keysPerChunk: number;
  /** Rows examined per backend batch. */
  rowsPerChunk: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Returns false if cancelled (the store closed or rebuilt) before finishing. */
export async function runCompaction(
  backend: Backend,
  index: TreeIndex,
  rev: number,
  tuning: CompactionTuning,
  cancelled: () => boolean,
): Promise<boolean> {
  const keep = new Set<string>();
  let from: string | undefined = '';
  while (from !== undefined) {
    if (cancelled()) return false;
    from = index.compactChunk(rev, from, tuning.keysPerChunk, keep);
    if (from !== undefined) await nextTurn();
  }

  const end = mainRevPrefix(rev + 1);
  let start: Buffer | undefined;
  for (;;) {
    if (cancelled()) return false;
    const finished = backend.batch(() => {
      const rows: Buffer[] = [];
      for (const { key } of backend.range('key', start, end, { limit: tuning.rowsPerChunk })) rows.push(key);
      for (const row of rows) {
        if (!keep.has(revKey(rowMain(row), rowSub(row)))) backend.delete('key', row);
      }
      if (rows.length < tuning.rowsPerChunk) {
        backend.put('meta', META_FINISHED_COMPACT_REV, revToBytes(rev, 0));
        return true;
      }
      const last = rows[rows.length - 1]!;
      start = revToBytes(rowMain(last), rowSub(last) + 1);
      return false;
    });
    if (finished) return true;
    await nextTurn();
  }
}
