// The "lease" bucket's rows, as etcd writes them: key = the lease id as 8 bytes big-endian
// (two's complement, so a negative client-chosen id round-trips), value = a leasepb.Lease
// protobuf {ID, TTL, RemainingTTL}. Byte-identical rows keep bbolt snapshot import/export and
// the backend Hash RPC in step with real etcd.

import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { LeaseSchema } from '../gen/leasepb/lease_pb.js';

export interface LeaseRow {
  id: bigint;
  /** Granted TTL in seconds (after the minimum-TTL rule). */
  ttl: number;
  /** Last checkpointed remaining TTL in seconds; 0 = none, use the full TTL. */
  remainingTtl: number;
}

export function leaseKey(id: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, id));
  return b;
}

export function leaseIdFromKey(key: Uint8Array): bigint {
  if (key.length !== 8) throw new Error(`lease: bucket key of ${key.length} bytes, want 8`);
  return new DataView(key.buffer, key.byteOffset, 8).getBigInt64(0);
}

export function encodeLeaseRow(row: LeaseRow): Uint8Array {
  return toBinary(LeaseSchema, create(LeaseSchema, { ID: row.id, TTL: BigInt(row.ttl), RemainingTTL: BigInt(row.remainingTtl) }));
}

export function decodeLeaseRow(value: Uint8Array): LeaseRow {
  const pb = fromBinary(LeaseSchema, value);
  return { id: pb.ID, ttl: Number(pb.TTL), remainingTtl: Number(pb.RemainingTTL) };
}
