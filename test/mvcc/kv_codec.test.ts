import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { KeyValueSchema } from '../../src/gen/mvccpb/kv_pb.js';
import { decodeKv, encodeKv, summarizeKv, type Kv } from '../../src/mvcc/kv_codec.js';

const kvArb: fc.Arbitrary<Kv> = fc.record({
  key: fc.uint8Array({ maxLength: 40 }),
  createRevision: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
  modRevision: fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat()),
  version: fc.oneof(fc.constant(0), fc.nat({ max: 1000 })),
  value: fc.uint8Array({ maxLength: 300 }),
  lease: fc.oneof(fc.constant(0n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
});

const toMessage = (kv: Kv) =>
  create(KeyValueSchema, {
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: kv.value,
    lease: kv.lease,
  });

test('encodeKv writes exactly the bytes protobuf-es writes, and decodeKv reads them back', () => {
  fc.assert(
    fc.property(kvArb, (kv) => {
      const ours = encodeKv(kv);
      const theirs = toBinary(KeyValueSchema, toMessage(kv));
      assert.deepEqual(new Uint8Array(ours), theirs);
      const back = decodeKv(theirs);
      assert.deepEqual(
        { ...back, key: [...back.key], value: [...back.value] },
        { ...kv, key: [...kv.key], value: [...kv.value] },
      );
      const sum = summarizeKv(Buffer.from(theirs));
      assert.deepEqual([sum.key, sum.createRevision, sum.version, sum.lease], [Buffer.from(kv.key).toString('latin1'), kv.createRevision, kv.version, kv.lease]);
      assert.deepEqual(fromBinary(KeyValueSchema, new Uint8Array(ours)), toMessage(kv));
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
});

test('decodeKv skips unknown fields and rejects truncated input', () => {
  const kv: Kv = { key: Buffer.from('k'), createRevision: 2, modRevision: 3, version: 1, value: Buffer.from('v'), lease: 0n };
  const withUnknown = Buffer.concat([encodeKv(kv), Buffer.from([0x38, 0x05, 0x42, 0x02, 0x61, 0x62])]); // field 7 varint, field 8 bytes
  assert.equal(decodeKv(withUnknown).modRevision, 3);
  const enc = encodeKv(kv);
  assert.throws(() => decodeKv(enc.subarray(0, enc.length - 1)), /truncated/);
});
