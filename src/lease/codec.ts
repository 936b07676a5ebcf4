// The "lease" bucket's rows, as etcd writes them: key = the lease id as 8 bytes big-endian
// (two's complement, so a negative client-chosen id round-trips), value = a leasepb.Lease
// protobuf {ID, TTL, RemainingTTL}. Byte-identical rows keep bbolt snapshot import/export and
// the backend Hash RPC in step with real etcd.
//
// Rows are encoded by hand: three int64 varint fields, each omitted when zero (proto3), as the
// generated LeaseSchema would encode them (a test holds the two equal) at a fraction of the
// cost; grants and checkpoints write one row each on every member. Decoding happens only at
// restore and uses the generated schema.

import { fromBinary } from '@bufbuild/protobuf';
import { LeaseSchema } from '../gen/leasepb/lease_pb.js';

export interface LeaseRow {
  id: bigint;
  /** Granted TTL in seconds (after the minimum-TTL rule). */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds; 0 = none, use the full TTL. */
  remainingTtl: number;
}

export function leaseKey(id: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, id));
  return b;
}

export function leaseIdFromKey(key: Uint8Array): bigint {
  if (key.length !== 8) throw new Error(`lease: bucket key of ${key.length} bytes, want 8`);
  return Buffer.from(key.buffer, key.byteOffset, 8).readBigInt64BE(0);
}

/** Largest encoding: three tags plus three 10-byte varints (negative int64s). */
const MAX_ROW_BYTES = 3 * 11;

export function encodeLeaseRow(row: LeaseRow): Buffer {
  const out = Buffer.allocUnsafe(MAX_ROW_BYTES);
  let p = writeField(out, 0, 1, row.id);
  p = writeField(out, p, 2, BigInt(row.ttl));
  p = writeField(out, p, 3, BigInt(row.remainingTtl));
  return out.subarray(0, p);
}

function writeField(out: Buffer, p: number, field: number, v: bigint): number {
  if (v === 0n) return p;
  out[p++] = field << 3; // wire type 0: varint
  // int64 varints carry the two's complement: a negative value takes all 10 bytes.
  let u = BigInt.asUintN(64, v);
  // Below 2^31 the number path is exact and much cheaper than bigint shifts.
  if (u < 0x8000_0000n) {
    let n = Number(u);
    while (n >= 0x80) {
      out[p++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    out[p++] = n;
    return p;
  }
  while (u >= 0x80n) {
    out[p++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  out[p++] = Number(u);
  return p;
}

export function decodeLeaseRow(value: Uint8Array): LeaseRow {
  const pb = fromBinary(LeaseSchema, value);
  return { id: pb.ID, ttl: Number(pb.TTL), remainingTtl: Number(pb.RemainingTTL) };
}
