// Public data types of the WAL. Plain objects only: the node driver passes Raft's own
// Entry / HardState objects straight in (they are structurally the same), and the WAL
// hands plain objects back on open.

/** One Raft log entry as the WAL stores it. `type` is raftpb's EntryType number. */
export interface WalEntry {
  index: number;
  term: number;
  type: number;
  data: Uint8Array;
}

/**
 * Raft's hard state. `vote` is a member id: etcd member ids are full 64-bit unsigned
 * integers, hence bigint; term and commit are log positions and fit in a number.
 */
export interface HardState {
  term: number;
  vote: bigint;
  commit: number;
}

/** A snapshot marker: "a snapshot at {index, term} is durable elsewhere (snap/)". */
export interface SnapshotMarker {
  index: number;
  term: number;
}

/** What Wal.open read back: everything needed to restart Raft. */
export interface WalState {
  /** The opaque bytes given to Wal.create (e.g. member id and cluster id). */
  metadata: Uint8Array;
  /** The last hard state saved, or null if none was ever saved. */
  hardState: HardState | null;
  /** The last snapshot marker saved, or null if none. */
  snapshot: SnapshotMarker | null;
  /** Entries after the snapshot, with overwrites by later appends resolved. */
  entries: WalEntry[];
}

/** Minimal logger; pino's `logger.warn(obj, msg)` signature fits. */
export interface WalLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}
