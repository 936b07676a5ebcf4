// Public surface of the Raft core. Nothing here performs I/O; see docs/raft.md.
export * from './types.js';
export * from './errors.js';
export { type RandomSource, Sfc32 } from './rand.js';
export { type Storage, type InitialState, MemoryStorage, limitSize } from './storage.js';
export { RaftLog } from './log.js';
export { Unstable } from './unstable.js';
export { Inflights } from './inflights.js';
export { Progress, ProgressState } from './progress.js';
export { ProgressTracker } from './tracker.js';
export { VoteResult, committedIndex, majority, voteResult } from './quorum.js';
export { applyConfChange } from './confchange.js';
export { Raft } from './raft.js';
export { type RaftConfig, type RaftMutations, CAMPAIGN_TRANSFER } from './config.js';
export { RawNode, type Ready, type Status, type ProgressStatus, confChange, sendableBeforePersist } from './rawnode.js';
export * from './codec.js';
export { bootstrapLog, type BootstrapLog } from './bootstrap.js';
