import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CodecError,
  Reader,
  Writer,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type Snapshot,
  decodeConfChange,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeConfChange,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from '../../src/raft/index.js';

/** Records with a normal prototype, so deepEqual against decoded objects works. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model as never, { noNullPrototype: true }) as fc.Arbitrary<T>;
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const index = fc.maxSafeNat();
const bytes = fc.uint8Array({ maxLength: 64 });
const entry: fc.Arbitrary<Entry> = rec({ term: index, index, type: fc.constantFrom(0, 1), data: bytes });
const confState = rec({ voters: fc.array(u64, { maxLength: 5 }), learners: fc.array(u64, { maxLength: 3 }) });
const snapshot: fc.Arbitrary<Snapshot> = rec({ metadata: rec({ index, term: index, confState }), data: bytes });
const message: fc.Arbitrary<Message> = rec({
  type: fc.integer({ min: 0, max: 18 }),
  to: u64,
  from: u64,
  term: index,
  logTerm: index,
  index,
  entries: fc.array(entry, { maxLength: 4 }),
  commit: index,
  snapshot: fc.option(snapshot, { nil: null }),
  reject: fc.boolean(),
  rejectHint: index,
  context: fc.option(bytes, { nil: null }),
});

test('codec: every type round-trips', () => {
  fc.assert(fc.property(entry, (e) => assert.deepEqual(decodeEntry(encodeEntry(e)), e)));
  fc.assert(fc.property(snapshot, (s) => assert.deepEqual(decodeSnapshot(encodeSnapshot(s)), s)));
  fc.assert(fc.property(message, (m) => assert.deepEqual(decodeMessage(encodeMessage(m)), m)));
  fc.assert(
    fc.property(rec({ term: index, vote: u64, commit: index }), (hs: HardState) =>
      assert.deepEqual(decodeHardState(encodeHardState(hs)), hs),
    ),
  );
  fc.assert(
    fc.property(rec({ type: fc.constantFrom(0, 1, 2, 3), nodeId: u64, context: bytes }), (cc: ConfChange) =>
      assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc),
    ),
  );
});

test('codec: every strict prefix of an encoding is rejected, never misread', () => {
  fc.assert(
    fc.property(message, (m) => {
      const b = encodeMessage(m);
      for (let n = 0; n < b.length; n++) assert.throws(() => decodeMessage(b.subarray(0, n)), CodecError);
    }),
    { numRuns: 50 },
  );
});

test('codec: trailing bytes, bad enums and bad versions are rejected', () => {
  const e = encodeEntry({ term: 1, index: 2, type: 0, data: new Uint8Array([1]) });
  assert.throws(() => decodeEntry(new Uint8Array([...e, 0])), /trailing/);
  const badType = encodeEntry({ term: 1, index: 2, type: 0, data: new Uint8Array() });
  badType[2] = 7;
  assert.throws(() => decodeEntry(badType), /entry type/);
  const m = encodeMessage({ type: 3, to: 1n, from: 2n, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, snapshot: null, reject: false, rejectHint: 0, context: null });
  m[0] = 99;
  assert.throws(() => decodeMessage(m), /format/);
  assert.throws(() => encodeHardState({ term: -1, vote: 0n, commit: 0 }), CodecError);
  assert.throws(() => encodeHardState({ term: 0, vote: 1n << 64n, commit: 0 }), CodecError);
});

test('codec: small messages stay small', () => {
  const hb = encodeMessage({ type: 8, to: 2n, from: 1n, term: 5, logTerm: 0, index: 0, entries: [], commit: 100, snapshot: null, reject: false, rejectHint: 0, context: null });
  assert.ok(hb.length <= 12, `heartbeat is ${hb.length} bytes`);
});

test('codec: 64-bit ids are plain LEB128 varints (the split-halves fast path matches a bigint reference)', () => {
  const reference = (v: bigint): number[] => {
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return out;
  };
  const edges = [0n, 0x7fn, 0x80n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];
  fc.assert(
    fc.property(fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), (v) => {
      const w = new Writer();
      w.u64(v);
      assert.deepEqual([...w.view()], reference(v));
      assert.equal(new Reader(w.view()).u64(), v);
    }),
    { numRuns: 2000 },
  );
  // 2^64 as a 10-byte varint is refused, as is an 11-byte one.
  assert.throws(() => new Reader(new Uint8Array([...reference((1n << 64n) - 1n).slice(0, 9), 0x02])).u64(), /2\^64-1/);
  assert.throws(() => new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01])).u64(), /too long/);
});
