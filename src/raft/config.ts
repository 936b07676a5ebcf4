// Configuration of one Raft member, and the TEST-ONLY planted-bug switches.

import type { NodeId } from './types.js';
import type { Storage } from './storage.js';
import type { RandomSource } from './rand.js';

/**
 * Planted bugs, for the tests that prove the simulator's checkers catch real safety
 * violations. TEST-ONLY: production code must never set any of these.
 */
export interface RaftMutations {
  /** Commit an entry of an older term once a majority stores it (the Figure 8 bug). */
  commitOldTermByCounting?: boolean;
  /** Grant a vote to any up-to-date candidate even after voting for another in this term. */
  voteTwiceInTerm?: boolean;
  /** Grant votes without checking that the candidate's log is at least as up to date. */
  skipLogUpToDateCheck?: boolean;
  /** Answer ReadIndex at once, without confirming leadership through a heartbeat quorum. */
  readIndexWithoutQuorum?: boolean;
}

export interface RaftConfig {
  /** This member's id; never 0. */
  id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomized in [n, 2n)). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last index already applied to the state machine (on restart). */
  applied?: number;
  /** Max bytes of entries per MsgApp (at least one entry is always sent). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Max bytes of committed entries per Ready. Default: unlimited. */
  maxCommittedSizePerReady?: number;
  /** Max MsgApp in flight per follower in Replicate state. Default 256. */
  maxInflightMsgs?: number;
  /** Leader steps down when it has not heard from a quorum in an election timeout. */
  checkQuorum?: boolean;
  /** Run a pre-vote round (without bumping the term) before a real election. */
  preVote?: boolean;
  /** Source of the election-timeout jitter. */
  rand: RandomSource;
  /** TEST-ONLY planted bugs. */
  mutations?: RaftMutations;
}

/** Vote context marking an election forced by leader transfer (bypasses the leader lease). */
export const CAMPAIGN_TRANSFER: Uint8Array = Uint8Array.from('CampaignTransfer', (ch) => ch.charCodeAt(0));

