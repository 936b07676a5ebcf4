// etcd's HashKV: CRC-32C over the bucket name "key" and then, in revision order, the raw key and
// value bytes of every row with main revision <= rev, except rows at or below the compact
// revision that a compaction at `rev` would not keep (`keep`). Skipping those makes the hash
// independent of how far physical compaction has progressed, so members with equal history hash
// equal whatever their compaction timing. Quirk kept from etcd: an empty `keep` skips nothing.

import type { Backend } from '../backend/backend.js';
import { crc32cUpdate } from '../backend/crc32c.js';
import { mainRevPrefix, revKey, rowMain, rowSub } from './revision.js';

const KEY_BUCKET_NAME = Buffer.from('key', 'latin1');

export function hashKeyBucket(backend: Backend, rev: number, compactRev: number, keep: Set<string>): number {
  let h = crc32cUpdate(0, KEY_BUCKET_NAME);
  for (const { key, value } of backend.range('key', undefined, mainRevPrefix(rev + 1))) {
    const main = rowMain(key);
    if (main <= compactRev && keep.size > 0 && !keep.has(revKey(main, rowSub(key)))) continue;
    h = crc32cUpdate(h, key);
    h = crc32cUpdate(h, value);
  }
  return h;
}
