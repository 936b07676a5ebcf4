// Segment file names: `<seq>-<firstIndex>.wal`, both as 16 lowercase hex digits, like
// etcd's `%016x-%016x.wal`. seq counts segments from 0 with no gaps; firstIndex is the
// index the next entry was expected to have when the segment was started (entries in it
// may still be lower: a new leader can overwrite the log's tail). Names sort by seq.

import { readdir } from 'node:fs/promises';
import { WalCorruptionError } from './errors.js';

export interface SegmentName {
  seq: number;
  firstIndex: number;
  name: string;
}

const NAME_RE = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function segmentName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

export function parseSegmentName(name: string): SegmentName | null {
  const m = NAME_RE.exec(name);
  if (m === null) return null;
  const seq = Number.parseInt(m[1]!, 16);
  const firstIndex = Number.parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return null;
  return { seq, firstIndex, name };
}

/** Segments in `dir`, ordered by seq. Throws if the sequence has a gap (a lost file). */
export async function listSegments(dir: string): Promise<SegmentName[]> {
  const segs: SegmentName[] = [];
  for (const name of await readdir(dir)) {
    const s = parseSegmentName(name);
    if (s !== null) segs.push(s);
  }
  segs.sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < segs.length; i++) {
    if (segs[i]!.seq !== segs[i - 1]!.seq + 1) {
      throw new WalCorruptionError(segs[i]!.name, 0, `segment ${segs[i - 1]!.seq + 1} is missing before it`);
    }
  }
  return segs;
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}
