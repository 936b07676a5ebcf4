// Revisions and the row keys of the "key" bucket, byte for byte as etcd lays them out:
//   8-byte big-endian main | '_' | 8-byte big-endian sub [| 't' for a tombstone]
// Big-endian makes LMDB's byte order equal revision order, so a cursor walks history in order.
// Inside the process revisions are two plain numbers (safe integers): cheaper than bigint, and a
// store would need 2^53 writes before that is a limit.

import { readUint64BE, writeUint64BE } from '../backend/uint64.js';

export const REV_BYTES_LEN = 17;
export const MARKED_REV_BYTES_LEN = 18;
const SEPARATOR = 0x5f; // '_'
export const TOMBSTONE_MARK = 0x74; // 't'

export interface Revision {
  main: number;
  sub: number;
}

export function revToBytes(main: number, sub: number, tombstone = false): Buffer {
  const b = Buffer.allocUnsafe(tombstone ? MARKED_REV_BYTES_LEN : REV_BYTES_LEN);
  writeUint64BE(b, 0, main);
  b[8] = SEPARATOR;
  writeUint64BE(b, 9, sub);
  if (tombstone) b[17] = TOMBSTONE_MARK;
  return b;
}

// Scratch row keys for backend calls: lmdb copies a key into its own buffer before the call
// returns, so a put/get/delete can borrow these instead of allocating 17 bytes per operation.
const SCRATCH = Buffer.alloc(REV_BYTES_LEN);
const SCRATCH_MARKED = Buffer.alloc(MARKED_REV_BYTES_LEN);
SCRATCH[8] = SEPARATOR;
SCRATCH_MARKED[8] = SEPARATOR;
SCRATCH_MARKED[17] = TOMBSTONE_MARK;

/**
 * Like revToBytes but into a shared buffer: valid only until the next call. Use it only as an
 * argument to a synchronous backend call, never keep it.
 */
export function scratchRevBytes(main: number, sub: number, tombstone = false): Buffer {
  const b = tombstone ? SCRATCH_MARKED : SCRATCH;
  writeUint64BE(b, 0, main);
  writeUint64BE(b, 9, sub);
  return b;
}

/** The 8-byte exclusive upper bound "everything with main < main" (etcd uses it for compaction). */
export function mainRevPrefix(main: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeUint64BE(b, 0, main);
  return b;
}

export function rowMain(row: Uint8Array): number {
  return readUint64BE(row, 0);
}

export function rowSub(row: Uint8Array): number {
  return readUint64BE(row, 9);
}

export function isTombstoneRow(row: Uint8Array): boolean {
  return row.length === MARKED_REV_BYTES_LEN && row[17] === TOMBSTONE_MARK;
}

/** A compact, collision-free Set/Map key for a revision. */
export function revKey(main: number, sub: number): string {
  return `${main}_${sub}`;
}
