// Reads a WAL directory back on open: verifies every segment, resolves the records into
// the state Raft restarts from, and cuts off a torn tail of the last segment (see tail.ts
// for how a torn write is told apart from corruption).

import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { scanSegment } from './decoder.js';
import { WalCorruptionError, WalError, WalTornTailError } from './errors.js';
import { RecordType } from './record.js';
import { Replay } from './replay.js';
import { listSegments, type SegmentName } from './segments.js';
import { classifyBadFrame } from './tail.js';
import type { HardState, SnapshotMarker, WalLogger, WalState } from './types.js';

/** A segment on disk, with what release decisions need to know about it. */
export interface SegmentInfo extends SegmentName {
  /** Highest entry index stored in the segment (0 if none). */
  maxIndex: number;
}

export interface ReadOptions {
  repairTornTail: boolean;
  logger: WalLogger;
  datasync: (fh: FileHandle) => Promise<void>;
}

export interface ReadResult {
  state: WalState;
  segments: SegmentInfo[];
  /** Where the valid data of the last segment ends: appends continue here. */
  tailOffset: number;
  /** The crc chain value after the last valid record. */
  crc: number;
  /** Private copies of the last hard state and snapshot, for the writer. */
  hardState: HardState | null;
  snapshot: SnapshotMarker | null;
}

export async function readWal(dir: string, opts: ReadOptions): Promise<ReadResult> {
  const names = await listSegments(dir);
  if (names.length === 0) throw new WalError(`wal: no segment files in ${dir}`);
  const replay = new Replay();
  const segments: SegmentInfo[] = [];
  let crc: number | null = null;
  let tailOffset = 0;
  for (let i = 0; i < names.length; i++) {
    const { name } = names[i]!;
    const path = join(dir, name);
    const buf = await readFile(path);
    let maxIndex = 0;
    let sawMetadata = false;
    const scan = scanSegment(buf, crc, (type, payload, offset) => {
      const idx = replay.apply(type, payload, name, offset);
      if (idx > maxIndex) maxIndex = idx;
      if (type === RecordType.Metadata) sawMetadata = true;
    });
    if (scan.bad !== null) {
      const { offset, reason } = scan.bad;
      // Every segment but the last was synced whole before its successor was created.
      if (i !== names.length - 1) throw new WalCorruptionError(name, offset, reason);
      const verdict = classifyBadFrame(buf, scan.bad, scan.crc);
      if (!verdict.torn) throw new WalCorruptionError(name, offset, verdict.why);
      if (!sawMetadata) throw new WalCorruptionError(name, offset, `segment header damaged: ${verdict.why}`);
      if (!opts.repairTornTail) throw new WalTornTailError(name, offset, verdict.why);
      await truncate(path, offset, opts.datasync);
      opts.logger.warn(
        { file: path, offset, bytesCut: buf.length - offset, reason: verdict.why },
        'wal: repaired torn tail by truncating the last segment',
      );
    }
    crc = scan.crc;
    tailOffset = scan.validEnd;
    segments.push({ ...names[i]!, maxIndex });
  }
  if (replay.metadata === null) throw new WalCorruptionError(names[0]!.name, 0, 'no metadata record');
  const state: WalState = {
    metadata: new Uint8Array(replay.metadata),
    hardState: replay.hardState,
    snapshot: replay.snapshot,
    entries: replay.entries(),
  };
  return {
    state,
    segments,
    tailOffset,
    crc: crc!,
    hardState: replay.hardState === null ? null : { ...replay.hardState },
    snapshot: replay.snapshot === null ? null : { ...replay.snapshot },
  };
}

async function truncate(path: string, offset: number, datasync: (fh: FileHandle) => Promise<void>): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(offset);
    await datasync(fh);
  } finally {
    await fh.close();
  }
}
