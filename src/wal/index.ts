// The write-ahead log's public surface. See wal.ts for the API and record.ts for the
// on-disk format; docs/wal.md explains both for operators.

export { Wal, DEFAULT_SEGMENT_SIZE } from './wal.js';
export type { OpenOptions, OpenResult, WalMetrics, WalOptions } from './wal.js';
export type { HardState, SnapshotMarker, WalEntry, WalLogger, WalState } from './types.js';
export { WalCorruptionError, WalError, WalLockedError, WalTornTailError } from './errors.js';
