import assert from 'node:assert/strict';
import { it } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { LeaseSchema } from '../../src/gen/leasepb/lease_pb.js';
import { decodeLeaseRow, encodeLeaseRow, leaseIdFromKey, leaseKey } from '../../src/lease/codec.js';

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
// TTLs are JS numbers; anything an int64 TTL field can hold that is a safe integer.
const ttl = fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.maxSafeInteger(), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));

it('the hand-written row encoder writes exactly what the generated leasepb schema writes', () => {
  fc.assert(
    fc.property(int64, ttl, ttl, (id, t, r) => {
      const want = toBinary(LeaseSchema, create(LeaseSchema, { ID: id, TTL: BigInt(t), RemainingTTL: BigInt(r) }));
      const got = encodeLeaseRow({ id, ttl: t, remainingTtl: r });
      assert.deepEqual([...got], [...want]);
      assert.deepEqual(decodeLeaseRow(got), { id, ttl: t, remainingTtl: r });
    }),
    { numRuns: 2000 },
  );
});

it('row keys are 8-byte big-endian two’s complement ids', () => {
  fc.assert(
    fc.property(int64, (id) => {
      const k = leaseKey(id);
      assert.equal(k.length, 8);
      assert.equal(leaseIdFromKey(k), id);
      const view = new DataView(k.buffer, k.byteOffset, 8);
      assert.equal(view.getBigInt64(0, false), id);
    }),
  );
  // Positive ids sort in byte order as numbers: the bucket iterates in id order.
  assert.ok(Buffer.compare(leaseKey(255n), leaseKey(256n)) < 0);
});
