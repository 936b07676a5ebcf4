import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, type Entry, MemoryStorage, SnapshotOutOfDateError, UnavailableError } from '../../src/raft/index.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: 0, data: new Uint8Array([index]) });

function storageWith(last: number, term = 1): MemoryStorage {
  const s = new MemoryStorage();
  s.append(Array.from({ length: last }, (_, i) => ent(i + 1, term)));
  return s;
}

test('memory storage: bounds, terms and entries', () => {
  const s = storageWith(5);
  assert.equal(s.firstIndex(), 1);
  assert.equal(s.lastIndex(), 5);
  assert.equal(s.term(0), 0);
  assert.equal(s.term(5), 1);
  assert.throws(() => s.term(6), UnavailableError);
  assert.deepEqual(s.entries(2, 4, Infinity).map((e) => e.index), [2, 3]);
  assert.deepEqual(s.entries(2, 6, 1).map((e) => e.index), [2], 'size limit still returns one entry');
});

test('memory storage: append truncates a conflicting suffix', () => {
  const s = storageWith(5);
  s.append([ent(3, 2), ent(4, 2)]);
  assert.equal(s.lastIndex(), 4);
  assert.equal(s.term(3), 2);
  assert.throws(() => s.append([ent(9, 2)]), /missing log entry/);
});

test('memory storage: compaction keeps the term of the compaction point', () => {
  const s = storageWith(10);
  s.compact(6);
  assert.equal(s.firstIndex(), 7);
  assert.equal(s.term(6), 1);
  assert.throws(() => s.term(5), CompactedError);
  assert.throws(() => s.entries(5, 8, Infinity), CompactedError);
  assert.throws(() => s.compact(6), CompactedError);
  s.append([ent(3, 1), ent(4, 1)]); // entirely before firstIndex: ignored
  assert.equal(s.lastIndex(), 10);
});

test('memory storage: snapshots', () => {
  const s = storageWith(10);
  const snap = s.createSnapshot(8, { voters: [1n], learners: [] }, new Uint8Array([1]));
  assert.equal(snap.metadata.term, 1);
  assert.throws(() => s.createSnapshot(7, { voters: [1n], learners: [] }, new Uint8Array()), SnapshotOutOfDateError);
  const f = new MemoryStorage();
  f.applySnapshot(snap);
  assert.equal(f.firstIndex(), 9);
  assert.equal(f.lastIndex(), 8);
  assert.deepEqual(f.initialState().confState.voters, [1n]);
  assert.throws(() => f.applySnapshot(snap), SnapshotOutOfDateError);
});

test('memory storage: fromPersisted rebuilds what was durable', () => {
  const s = storageWith(6);
  const snap = s.createSnapshot(3, { voters: [1n, 2n], learners: [3n] }, new Uint8Array([7]));
  const r = MemoryStorage.fromPersisted({ snapshot: snap, entries: [ent(2, 1), ent(3, 1), ent(4, 1), ent(5, 1)], hardState: { term: 4, vote: 2n, commit: 5 } });
  assert.equal(r.firstIndex(), 4);
  assert.equal(r.lastIndex(), 5);
  assert.deepEqual(r.initialState().hardState, { term: 4, vote: 2n, commit: 5 });
  assert.deepEqual(r.initialState().confState.learners, [3n]);
});
