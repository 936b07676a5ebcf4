// Majority quorum arithmetic over a set of voters. Membership changes are made one voter
// at a time (any two majorities of configurations differing by one voter intersect), so a
// single majority configuration is all the core needs; there is no joint consensus.

import type { NodeId } from './types.js';

export enum VoteResult {
  /** Not enough votes either way yet. */
  Pending = 0,
  Lost = 1,
  Won = 2,
}

/** Size of a majority of n voters. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The largest index that a majority of voters has acknowledged: sort the voters' match
 * indexes descending and take the majority-th. Voters without a known match count as 0.
 * An empty configuration commits everything (there is nobody to disagree), as in etcd.
 */
export function committedIndex(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number | undefined): number {
  const n = voters.size;
  if (n === 0) return Number.MAX_SAFE_INTEGER;
  // Called on every ack: insertion sort (descending) of a handful of numbers beats
  // Array.prototype.sort with a comparator by a wide margin.
  const matches = new Array<number>(n);
  let len = 0;
  for (const id of voters) {
    const m = matchOf(id) ?? 0;
    let j = len++;
    while (j > 0 && matches[j - 1]! < m) {
      matches[j] = matches[j - 1]!;
      j--;
    }
    matches[j] = m;
  }
  return matches[majority(n) - 1]!;
}

/** Outcome of an election given the votes recorded so far (true = granted). */
export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = majority(voters.size);
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}
