import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VoteResult, committedIndex, majority, voteResult } from '../../src/raft/index.js';

const ids = (n: number): Set<bigint> => new Set(Array.from({ length: n }, (_, i) => BigInt(i + 1)));

test('quorum: majority sizes', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(majority), [1, 2, 2, 3, 3, 4, 4]);
});

test('quorum: committed index is the highest index a majority has', () => {
  const match = new Map<bigint, number>([[1n, 10], [2n, 7], [3n, 3]]);
  assert.equal(committedIndex(ids(3), (id) => match.get(id)), 7);
  match.delete(2n); // unknown progress counts as 0
  assert.equal(committedIndex(ids(3), (id) => match.get(id)), 3);
  assert.equal(committedIndex(ids(1), () => 42), 42);
});

test('quorum: committed index property -- a majority has at least it, and no larger index has a majority', () => {
  fc.assert(
    fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 9 }), (matches) => {
      const voters = ids(matches.length);
      const c = committedIndex(voters, (id) => matches[Number(id) - 1]);
      const q = majority(matches.length);
      assert.ok(matches.filter((m) => m >= c).length >= q);
      assert.ok(matches.filter((m) => m >= c + 1).length < q);
    }),
  );
});

test('quorum: vote results', () => {
  const v = ids(5);
  const votes = new Map<bigint, boolean>([[1n, true], [2n, true]]);
  assert.equal(voteResult(v, votes), VoteResult.Pending);
  votes.set(3n, true);
  assert.equal(voteResult(v, votes), VoteResult.Won);
  const lost = new Map<bigint, boolean>([[1n, true], [2n, false], [3n, false], [4n, false]]);
  assert.equal(voteResult(v, lost), VoteResult.Lost);
  // Votes from non-voters do not count.
  assert.equal(voteResult(ids(1), new Map([[9n, true]])), VoteResult.Pending);
});
