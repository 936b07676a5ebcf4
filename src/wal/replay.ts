// Turns the records of a WAL, in log order, into the state Raft restarts from.
//
// This is etcd's WAL ReadAll, with the start snapshot being the last snapshot marker in
// the log: metadata must be identical everywhere, the last hard state wins, and entries
// are resolved against the snapshot index `start` like this —
//   an entry at index <= start is ignored (the snapshot covers it);
//   an entry at index i > start truncates the list to the entries before i and is
//   appended: a later append at i replaces the earlier entry at i and drops all after it;
//   an entry that would leave a hole (i > start + 1 + number of entries) is an error.
// The snapshot is only known at the end, so entries are collected first and resolved
// once, which is exactly what etcd does with its start snapshot known up front.

import { WalCorruptionError, WalError } from './errors.js';
import {
  CRC_PAYLOAD_SIZE,
  ENTRY_PREFIX,
  HARD_STATE_SIZE,
  RecordType,
  SNAPSHOT_SIZE,
  getU32,
  getU64,
  getU64Big,
} from './record.js';
import type { HardState, SnapshotMarker, WalEntry } from './types.js';

interface Located {
  entry: WalEntry;
  file: string;
  offset: number;
}

export class Replay {
  metadata: Uint8Array | null = null;
  hardState: HardState | null = null;
  snapshot: SnapshotMarker | null = null;
  private readonly all: Located[] = [];

  /**
   * Applies one record. Returns the entry index for entry records (so the caller can
   * track the highest index per segment), else -1.
   */
  apply(type: RecordType, payload: Uint8Array, file: string, offset: number): number {
    const bad = (why: string): WalCorruptionError => new WalCorruptionError(file, offset, why);
    switch (type) {
      case RecordType.Metadata:
        if (this.metadata !== null && !sameBytes(this.metadata, payload)) {
          throw bad('metadata differs from the metadata of earlier segments');
        }
        this.metadata ??= payload;
        return -1;
      case RecordType.Entry: {
        if (payload.length < ENTRY_PREFIX) throw bad(`entry record of ${payload.length} bytes`);
        const index = getU64(payload, 0);
        const term = getU64(payload, 8);
        if (index < 0 || term < 0) throw bad('entry index or term beyond 2^53');
        const entry: WalEntry = { index, term, type: getU32(payload, 16), data: payload.subarray(ENTRY_PREFIX) };
        this.all.push({ entry, file, offset });
        return index;
      }
      case RecordType.HardState: {
        if (payload.length !== HARD_STATE_SIZE) throw bad(`hard state record of ${payload.length} bytes`);
        const term = getU64(payload, 0);
        const commit = getU64(payload, 16);
        if (term < 0 || commit < 0) throw bad('hard state term or commit beyond 2^53');
        this.hardState = { term, vote: getU64Big(payload, 8), commit };
        return -1;
      }
      case RecordType.Snapshot: {
        if (payload.length !== SNAPSHOT_SIZE) throw bad(`snapshot record of ${payload.length} bytes`);
        const index = getU64(payload, 0);
        const term = getU64(payload, 8);
        if (index < 0 || term < 0) throw bad('snapshot index or term beyond 2^53');
        this.snapshot = { index, term };
        return -1;
      }
      case RecordType.Crc:
        if (payload.length !== CRC_PAYLOAD_SIZE) throw bad(`crc record of ${payload.length} bytes`);
        return -1;
    }
  }

  /** The entries after the snapshot, overwrites resolved, data copied out of file buffers. */
  entries(): WalEntry[] {
    const start = this.snapshot?.index ?? 0;
    const out: WalEntry[] = [];
    for (const { entry, file, offset } of this.all) {
      if (entry.index <= start) continue;
      const up = entry.index - start - 1;
      if (up > out.length) {
        throw new WalError(
          `wal: slice bounds out of range: entry ${entry.index} in ${file} at offset ${offset} ` +
            `follows entry ${start + out.length} (the log has a hole)`,
        );
      }
      out.length = up;
      out.push(entry);
    }
    // Plain Uint8Array copies: the file buffers they came from can then be freed.
    return out.map((e) => ({ index: e.index, term: e.term, type: e.type, data: new Uint8Array(e.data) }));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
