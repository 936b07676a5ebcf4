import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, type Entry, MemoryStorage, RaftInvariantError, RaftLog } from '../../src/raft/index.js';

const ent = (index: number, term: number): Entry => ({ index, term, type: 0, data: new Uint8Array(0) });
const terms = (ents: Entry[]): number[] => ents.map((e) => e.term);

/** A log whose stable part holds entries 1..terms.length with the given terms. */
function logWith(...ts: number[]): RaftLog {
  const s = new MemoryStorage();
  s.append(ts.map((t, i) => ent(i + 1, t)));
  return new RaftLog(s);
}

test('log: findConflict finds the first new or conflicting entry', () => {
  const l = logWith(1, 2, 3);
  assert.equal(l.findConflict([ent(1, 1), ent(2, 2)]), 0, 'all present');
  assert.equal(l.findConflict([ent(2, 2), ent(3, 3), ent(4, 4)]), 4, 'new entry');
  assert.equal(l.findConflict([ent(2, 2), ent(3, 4)]), 3, 'term conflict');
});

test('log: maybeAppend checks the previous entry, truncates conflicts, advances commit', () => {
  const l = logWith(1, 2, 3);
  assert.equal(l.maybeAppend(3, 2, 3, [ent(4, 4)]), null, 'previous term mismatch');
  assert.equal(l.maybeAppend(4, 3, 3, []), null, 'previous entry missing');
  assert.equal(l.maybeAppend(2, 2, 3, [ent(3, 4), ent(4, 4)]), 4);
  assert.deepEqual(terms(l.allEntries()), [1, 2, 4, 4]);
  assert.equal(l.committed, 3, 'commit is capped by the leader commit');
  assert.equal(l.maybeAppend(4, 4, 10, []), 4);
  assert.equal(l.committed, 4, 'and by the last new entry');
  assert.throws(() => l.maybeAppend(1, 1, 4, [ent(2, 9)]), RaftInvariantError, 'never truncate committed entries');
});

test('log: findConflictByTerm skips whole terms for fast backtracking', () => {
  const l = logWith(1, 1, 2, 2, 2, 5, 5);
  assert.equal(l.findConflictByTerm(7, 3), 5, 'last index with term <= 3');
  assert.equal(l.findConflictByTerm(7, 5), 7);
  assert.equal(l.findConflictByTerm(4, 1), 2);
  assert.equal(l.findConflictByTerm(7, 0), 0);
});

test('log: only current-term entries are committed by counting', () => {
  const l = logWith(1, 2);
  assert.equal(l.maybeCommit(2, 3), false, 'entry 2 is from term 2, leader is in term 3');
  l.append([ent(3, 3)]);
  assert.equal(l.maybeCommit(3, 3), true);
  assert.equal(l.committed, 3, 'committing 3 commits 2 indirectly');
  assert.equal(l.maybeCommit(2, 3), false, 'commit never goes backwards');
});

test('log: election restriction compares last term, then length', () => {
  const l = logWith(1, 2, 2);
  assert.equal(l.isUpToDate(3, 2), true);
  assert.equal(l.isUpToDate(2, 2), false, 'same term, shorter');
  assert.equal(l.isUpToDate(1, 3), true, 'higher last term wins even if shorter');
  assert.equal(l.isUpToDate(10, 1), false, 'lower last term loses even if longer');
});

test('log: unstable entries are handed out until marked stable', () => {
  const l = logWith(1, 1);
  l.append([ent(3, 2), ent(4, 2)]);
  assert.deepEqual(l.unstableEntries().map((e) => e.index), [3, 4]);
  assert.equal(l.lastStableIndex(), 2);
  l.stableTo(3, 2);
  assert.deepEqual(l.unstableEntries().map((e) => e.index), [4]);
  l.stableTo(4, 9); // wrong term: a newer leader replaced it meanwhile, keep it unstable
  assert.deepEqual(l.unstableEntries().map((e) => e.index), [4]);
  l.append([ent(4, 3), ent(5, 3)]); // replaces unstable 4
  assert.deepEqual(terms(l.unstableEntries()), [3, 3]);
});

test('log: nextEnts hands out committed, unapplied entries once', () => {
  const l = logWith(1, 1, 1, 1);
  l.commitTo(3);
  assert.deepEqual(l.nextEnts().map((e) => e.index), [1, 2, 3]);
  l.appliedTo(3);
  assert.deepEqual(l.nextEnts(), []);
  assert.equal(l.hasNextEnts(), false);
  assert.throws(() => l.appliedTo(4), RaftInvariantError, 'cannot apply beyond commit');
});

test('log: restoring a snapshot resets the log to it', () => {
  const l = logWith(1, 1, 1);
  l.restore({ metadata: { index: 10, term: 4, confState: { voters: [1n], learners: [] } }, data: new Uint8Array() });
  assert.equal(l.firstIndex(), 11);
  assert.equal(l.lastIndex(), 10);
  assert.equal(l.committed, 10);
  assert.equal(l.term(10), 4);
  assert.equal(l.hasPendingSnapshot(), true);
  assert.throws(() => l.term(5), CompactedError);
});

test('log: slices honour the size limit and span storage and unstable', () => {
  const s = new MemoryStorage();
  s.append([1, 2, 3].map((i) => ({ index: i, term: 1, type: 0, data: new Uint8Array(10) })));
  const l = new RaftLog(s);
  l.append([4, 5].map((i) => ({ index: i, term: 1, type: 0, data: new Uint8Array(10) })));
  assert.deepEqual(l.slice(2, 6, Infinity).map((e) => e.index), [2, 3, 4, 5]);
  assert.deepEqual(l.slice(2, 6, 60).map((e) => e.index), [2, 3], 'each entry costs 26 bytes');
  assert.deepEqual(l.slice(2, 6, 0).map((e) => e.index), [2], 'always at least one');
});
