// Lease ids the server picks when a client grants with ID 0. etcd takes its request-id
// generator's next value masked to 63 bits (v3_server.go LeaseGrant): positive, non-zero. We
// draw 63 random bits instead — ids are chosen on the proposing member before the log orders
// them, so they need only be unlikely to collide, and the randomness is injected so tests and
// simulations replay exactly.

import { randomBytes } from 'node:crypto';

/** Returns 64 uniformly random bits as an unsigned bigint. */
export type RandomSource = () => bigint;

export const cryptoRandom64: RandomSource = () => randomBytes(8).readBigUInt64BE(0);

/** Enough that exhausting it means a broken random source, not bad luck (2^-63 per draw). */
const MAX_ATTEMPTS = 64;

/** A positive int64 lease id for which `inUse` is false. */
export function generateLeaseId(inUse: (id: bigint) => boolean, random: RandomSource = cryptoRandom64): bigint {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const id = BigInt.asUintN(63, random());
    if (id !== 0n && !inUse(id)) return id;
  }
  throw new Error('lease: random source keeps producing ids in use');
}
