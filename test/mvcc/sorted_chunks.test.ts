import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SortedChunks } from '../../src/mvcc/sorted_chunks.js';

interface Item {
  key: string;
}

/** Keys over a small alphabet with 0x00 and 0xff, so prefixes and byte extremes collide often. */
const keyArb = fc
  .array(fc.constantFrom('\u0000', 'a', 'b', '\u00ff'), { minLength: 1, maxLength: 7 })
  .map((cs) => cs.join(''));

test('SortedChunks matches a sorted array through inserts, deletes, splits and loads', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 4000, size: 'max' }),
      fc.array(keyArb, { maxLength: 3000, size: 'max' }),
      keyArb,
      keyArb,
      (ops, preload, from, to) => {
        const list = new SortedChunks<Item>();
        const model = new Set<string>([...new Set(preload)]);
        list.load([...model].sort().map((key) => ({ key })));
        for (const [ins, key] of ops) {
          if (ins && !model.has(key)) {
            list.insert({ key });
            model.add(key);
          } else if (!ins) {
            assert.equal(list.delete(key), model.delete(key));
          }
        }
        const sorted = [...model].sort();
        assert.equal(list.size, sorted.length);
        const all: string[] = [];
        list.forEachFrom('', (it) => void all.push(it.key));
        assert.deepEqual(all, sorted);
        const bounded: string[] = [];
        list.forEachFrom(from, (it) => void bounded.push(it.key), to);
        assert.deepEqual(bounded, sorted.filter((k) => k >= from && k < to));
        const firstThree: string[] = [];
        list.forEachFrom(from, (it) => (firstThree.push(it.key), firstThree.length < 3));
        assert.deepEqual(firstThree, sorted.filter((k) => k >= from).slice(0, 3));
      },
    ),
    { numRuns: 60 },
  );
});

test('SortedChunks splits large chunks and stays ordered with 20k sequential and reversed inserts', () => {
  const list = new SortedChunks<Item>();
  const keys: string[] = [];
  for (let i = 0; i < 10_000; i++) keys.push(Buffer.from([i >> 8, i & 0xff]).toString('latin1'));
  for (const k of keys) list.insert({ key: k });
  for (const k of [...keys].reverse()) list.insert({ key: `${k}\u00ff` });
  assert.throws(() => list.insert({ key: keys[5]! }), /duplicate/);
  const seen: string[] = [];
  list.forEachFrom('', (it) => void seen.push(it.key));
  assert.equal(seen.length, 20_000);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1]! < seen[i]!);
  for (const k of keys) assert.ok(list.delete(k));
  assert.equal(list.size, 10_000);
  assert.equal(list.delete(keys[0]!), false);
});
