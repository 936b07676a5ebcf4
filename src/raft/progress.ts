// The leader's view of one follower's log, and the state machine that decides how it
// sends to it: Probe (one MsgApp at a time until we find where logs match), Replicate
// (optimistic pipelining within the inflight window), Snapshot (log too far behind; wait
// for a snapshot to land).

import { Inflights } from './inflights.js';

export enum ProgressState {
  Probe = 0,
  Replicate = 1,
  Snapshot = 2,
}

export const PROGRESS_STATE_NAMES: readonly string[] = ['StateProbe', 'StateReplicate', 'StateSnapshot'];

export class Progress {
  /** Highest index known to be replicated on the follower. */
  match: number;
  /** Index of the next entry to send. */
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from this follower since the last check-quorum round. */
  recentActive = false;
  /** In Probe state: a probe is outstanding, so do not send another until acked or heartbeat. */
  probeSent = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(match: number, next: number, maxInflight: number, isLearner: boolean) {
    this.match = match;
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (or after match if that is further).
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An ack for index n arrived. Returns false if it was stale (n <= match). */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Pipelining: assume entries up to n will land, send the next ones without waiting. */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /**
   * A rejection of the MsgApp at index `rejected` arrived; `matchHint` is where the follower
   * suggests probing next. Returns false if the rejection is stale and should be ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // Stale if it rejects something we already know matches.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe: only the rejection of our latest probe (at next-1) is meaningful.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.probeSent = false;
    return true;
  }

  /** Whether sending to this follower is throttled right now. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  toString(): string {
    return `${PROGRESS_STATE_NAMES[this.state]} match=${this.match} next=${this.next}` +
      (this.isLearner ? ' learner' : '') +
      (this.pendingSnapshot > 0 ? ` pendingSnap=${this.pendingSnapshot}` : '') +
      (this.probeSent ? ' paused' : '') +
      (this.inflights.length() > 0 ? ` inflight=${this.inflights.length()}` : '');
  }
}
