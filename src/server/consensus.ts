// The seam between the server and consensus. The server proposes opaque entries and applies what
// comes back committed, in log order. Today a single member commits on its own fsync
// (SingleMemberLog); the multi-member Raft node driver implements the same interface.

export interface CommittedEntry {
  index: number;
  term: number;
  data: Uint8Array;
  /** The proposer's decoded request, when it was proposed by this process (saves a decode). */
  local?: unknown;
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
  /** The log failed (e.g. fsync error): these proposals will never commit. */
  fail: (entries: CommittedEntry[], error: Error) => void;
}

export interface Consensus {
  start(handlers: ConsensusHandlers): Promise<void>;
  /** Queues an entry; it comes back through ApplyBatch once durable (and, in a cluster, committed). */
  propose(data: Uint8Array, local?: unknown): void;
  status(): ConsensusStatus;
  stop(): Promise<void>;
}
