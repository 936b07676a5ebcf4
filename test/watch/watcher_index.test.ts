import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KEY_INFINITY, rangeContains, toKeyRange, type KeyRange } from '../../src/watch/key_range.js';
import { WatcherIndex } from '../../src/watch/watcher_index.js';

interface W {
  range: KeyRange;
  n: number;
}

const keyArb = fc.string({ unit: fc.constantFrom('\0', 'a', 'b', 'c', '\xff'), maxLength: 3 });
const rangeArb: fc.Arbitrary<KeyRange> = fc.oneof(
  keyArb.map((k) => ({ start: k, end: undefined })),
  keyArb.map((k) => ({ start: k, end: KEY_INFINITY })),
  fc.tuple(keyArb, keyArb).filter(([x, y]) => x < y).map(([x, y]) => ({ start: x, end: y })),
);

test('the index finds exactly the watchers whose range contains the key, through adds and deletes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(rangeArb, fc.boolean()), { maxLength: 60 }),
      fc.array(keyArb, { minLength: 1, maxLength: 20 }),
      (ops, keys) => {
        const idx = new WatcherIndex<W>();
        const live: W[] = [];
        let n = 0;
        for (const [range, removeOne] of ops) {
          if (removeOne && live.length > 0) {
            const w = live.splice(n % live.length, 1)[0]!;
            assert.equal(idx.delete(w), true);
            assert.equal(idx.delete(w), false, 'a second delete finds nothing');
          } else {
            const w = { range, n: n++ };
            idx.add(w);
            live.push(w);
          }
          // query between changes too, so lazy rebuilds are exercised
          const k = keys[n % keys.length]!;
          const got: number[] = [];
          idx.forEachMatch(k, (w) => got.push(w.n));
          const want = live.filter((w) => rangeContains(w.range, k)).map((w) => w.n);
          assert.deepEqual(got.sort((a, b) => a - b), want.sort((a, b) => a - b));
          assert.equal(idx.hasMatch(k), want.length > 0);
        }
        assert.equal(idx.size, live.length);
        assert.equal([...idx].length, live.length);
      },
    ),
    { numRuns: 300, seed: 4 },
  );
});

test('10,000 watchers of one prefix are one range entry', () => {
  const idx = new WatcherIndex<W>();
  const r = toKeyRange(Buffer.from('pods/'), Buffer.from('pods0'))!;
  for (let i = 0; i < 10_000; i++) idx.add({ range: r, n: i });
  assert.equal(idx.distinctRanges, 1);
  let c = 0;
  idx.forEachMatch('pods/x', () => c++);
  assert.equal(c, 10_000);
  idx.forEachMatch('pods0', () => c++);
  assert.equal(c, 10_000);
});

test('toKeyRange follows etcd: empty key is \\0, range_end \\0 is from-key, key >= end is empty', () => {
  const u = (s: string): Uint8Array => Buffer.from(s, 'latin1');
  assert.deepEqual(toKeyRange(u(''), u('')), { start: '\0', end: undefined });
  assert.deepEqual(toKeyRange(u('a'), u('\0')), { start: 'a', end: KEY_INFINITY });
  assert.deepEqual(toKeyRange(u('a'), u('b')), { start: 'a', end: 'b' });
  assert.equal(toKeyRange(u('b'), u('a')), undefined);
  assert.equal(toKeyRange(u('a'), u('a')), undefined);
  assert.ok(rangeContains({ start: 'a', end: KEY_INFINITY }, '\xff\xff\xff'));
});
