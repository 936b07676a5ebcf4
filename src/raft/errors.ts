// Errors the Storage interface and the core use to signal expected conditions. They are
// classes so callers can tell them apart with instanceof; messages match etcd's wording.

/** The requested index is older than the storage's first index (it was compacted away). */
export class CompactedError extends Error {
  constructor() {
    super('requested index is unavailable due to compaction');
    this.name = 'CompactedError';
  }
}

/** The requested index is newer than the storage's last index. */
export class UnavailableError extends Error {
  constructor() {
    super('requested entry at index is unavailable');
    this.name = 'UnavailableError';
  }
}

/** An older snapshot than the one already held was offered. */
export class SnapshotOutOfDateError extends Error {
  constructor() {
    super('requested index is older than the existing snapshot');
    this.name = 'SnapshotOutOfDateError';
  }
}

/** The storage is producing a snapshot and cannot hand one out yet; the leader retries later. */
export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super('snapshot is temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** A proposal was dropped (no leader known, leader transfer in progress, node removed...). */
export class ProposalDroppedError extends Error {
  constructor(reason: string) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** The caller broke the API contract (e.g. an impossible index); a bug, never expected. */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}
