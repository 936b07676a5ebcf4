// The seam between the server and consensus. The server proposes opaque entries and applies what
// comes back committed, in log order. RaftNode (src/server/raft-node.ts) drives the Raft core
// for every member, a lone one included.

import type { ConfChange } from '../raft/index.js';

export interface CommittedEntry {
  index: number;
  term: number;
  data: Uint8Array;
  /** The proposer's decoded request, when it was proposed by this process (saves a decode). */
  local?: unknown;
  /** Set for a membership change entry (data is then empty). */
  confChange?: ConfChange;
}

export interface ConsensusStatus {
  term: number;
  leader: bigint; // 0n: no leader known
  commitIndex: number;
  appliedIndex: number;
  isLearner: boolean;
}

/** Called with each committed batch; must apply it completely before returning. */
export type ApplyBatch = (entries: CommittedEntry[]) => void;

export interface ConsensusHandlers {
  apply: ApplyBatch;
  /** The log failed (e.g. an fsync error): nothing pending will commit any more. */
  fail: (error: Error) => void;
}

export interface Consensus {
  start(handlers: ConsensusHandlers): Promise<void>;
  /** Queues an entry; it comes back through ApplyBatch once durable (and, in a cluster, committed). */
  propose(data: Uint8Array, local?: unknown): void;
  status(): ConsensusStatus;
  /** Resolves once this member has applied everything committed when it was called. */
  readIndex(): Promise<void>;
  stop(): Promise<void>;
}
