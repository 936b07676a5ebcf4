// Cluster membership plus the leader's per-member Progress and the votes of the current
// election. Membership is a set of voters and a disjoint set of learners.

import type { ConfState, NodeId } from './types.js';
import { Progress } from './progress.js';
import { VoteResult, committedIndex, voteResult } from './quorum.js';

export function compareIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ProgressTracker {
  voters = new Set<NodeId>();
  learners = new Set<NodeId>();
  progress = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();
  readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  confState(): ConfState {
    return { voters: [...this.voters].sort(compareIds), learners: [...this.learners].sort(compareIds) };
  }

  /** Voter ids, sorted so message order (and thus a simulation) is deterministic. */
  voterIds(): NodeId[] {
    return [...this.voters].sort(compareIds);
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id);
  }

  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  committed(): number {
    return committedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  /** Member ids in ascending order, cached until the membership changes. */
  private sortedIds: NodeId[] | null = null;

  /** Visits every member's progress in ascending id order (determinism again). */
  visit(f: (id: NodeId, pr: Progress) => void): void {
    if (this.sortedIds === null) this.sortedIds = [...this.progress.keys()].sort(compareIds);
    for (const id of this.sortedIds) f(id, this.progress.get(id)!);
  }

  /** Whether a quorum of voters has been heard from recently (check-quorum). */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    }
    return voteResult(this.voters, votes) === VoteResult.Won;
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voters) {
      const v = this.votes.get(id);
      if (v === true) granted++;
      else if (v === false) rejected++;
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) };
  }

  /** Replaces the membership with `cs`, creating progress for new members at `next`. */
  resetTo(cs: ConfState, next: number): void {
    this.voters = new Set(cs.voters);
    this.learners = new Set(cs.learners);
    this.sortedIds = null;
    const old = this.progress;
    this.progress = new Map();
    for (const id of cs.voters) this.progress.set(id, old.get(id) ?? new Progress(0, next, this.maxInflight, false));
    for (const id of cs.learners) this.progress.set(id, old.get(id) ?? new Progress(0, next, this.maxInflight, true));
    for (const [id, pr] of this.progress) pr.isLearner = this.learners.has(id);
  }
}
