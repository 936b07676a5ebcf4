// etcd's HashKV: CRC-32C over the bucket name "key" and then, in revision order, the raw key and
// value bytes of every row with main revision <= rev, except rows at or below the compact
// revision that a compaction at `rev` would not keep (`keep`). Skipping those makes the hash
// independent of how far physical compaction has progressed, so members with equal history hash
// equal whatever their compaction timing. Quirk kept from etcd: an empty `keep` skips nothing.

import type { Backend } from '../backend/backend.js';
import { crc32cUpdate, crc32cUpdateRange } from '../backend/crc32c.js';
import { readUint64BE } from '../backend/uint64.js';
import { mainRevPrefix, revKey } from './revision.js';

const KEY_BUCKET_NAME = Buffer.from('key', 'latin1');

export function hashKeyBucket(backend: Backend, rev: number, compactRev: number, keep: Set<string>): number {
  let h = crc32cUpdate(0, KEY_BUCKET_NAME);
  // Zero-copy scan: the row key is hashed in place from LMDB's key buffer while deciding
  // whether the row counts; the value is then hashed from LMDB's value buffer.
  let counts = false;
  const readKey = (buf: Uint8Array, s: number, e: number): undefined => {
    const main = readUint64BE(buf, s);
    counts = !(main <= compactRev && keep.size > 0 && !keep.has(revKey(main, readUint64BE(buf, s + 9))));
    if (counts) h = crc32cUpdateRange(h, buf, s, e);
    return undefined;
  };
  backend.scan('key', undefined, mainRevPrefix(rev + 1), readKey, (_k, value) => {
    if (counts) h = crc32cUpdate(h, value);
  });
  return h;
}
