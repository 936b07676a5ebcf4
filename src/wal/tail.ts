// Decides whether a bad frame in the LAST segment is a torn write (safe to cut off) or
// corruption of acknowledged data (must stop the server).
//
// A write is acknowledged only after its fdatasync returns, and later writes only go
// after it. So when a write was interrupted — by kill -9 (a prefix of it reached the page
// cache) or by power loss (any subset of its sectors reached the disk) — everything from
// the first damaged frame onwards belongs to writes that were never acknowledged. What
// must never happen is cutting off acknowledged records because one frame among them
// rotted. The rules, in order:
//
//  1. A chain break or a misplaced crc record is never a torn write.
//  2. If the frame's bytes up to the end of its disk sector are all zero, that sector was
//     never written: torn.
//  3. If no intact record follows the bad frame, it is the last record: torn.
//  4. If an intact record follows at or after the bad frame's own end, and one whole
//     sector of the bad frame is zero, the frame was caught half-written by a power loss
//     while later sectors of the same write landed: torn (the same rule as etcd's
//     decoder.isTornEntry).
//  5. Otherwise an intact record follows a damaged one: corruption.
//
// "An intact record follows" is checked by scanning every 8-byte-aligned offset after the
// bad frame for a frame whose CRC verifies when seeded with a chain value we can trust:
// the bad frame's stored crc (its payload was hit), the crc recomputed over the bad frame
// (its crc field was hit), or the stored crc of a plausible frame ending right there (the
// bad frame's length was hit, so its successor is found by the successor's successor).

import { crc32 } from './crc32.js';
import { checkHeader, isZero, type BadFrame } from './decoder.js';
import { HEADER_SIZE, RecordType, frameSize, getU32 } from './record.js';

/** Sector size assumed for atomic writes, as in etcd (minSectorSize). */
export const SECTOR = 512;

export type TailVerdict = { torn: true; why: string } | { torn: false; why: string };

export function classifyBadFrame(buf: Uint8Array, bad: BadFrame, crcBefore: number): TailVerdict {
  if (bad.fatal) return { torn: false, why: bad.reason };
  const x = bad.offset;
  const n = buf.length;
  const sectorEnd = Math.min(n, (Math.floor(x / SECTOR) + 1) * SECTOR);
  if (isZero(buf, x, sectorEnd)) return { torn: true, why: `${bad.reason}; the rest of its sector was never written` };

  let frameEnd: number | null = null;
  const seeds: number[] = [];
  if (n - x >= 4) seeds.push(getU32(buf, x));
  if (n - x >= HEADER_SIZE) {
    const len = getU32(buf, x + 4);
    if (checkHeader(buf, x, len, buf[x + 8]!) === null && x + frameSize(len) <= n) {
      frameEnd = x + frameSize(len);
      seeds.push(crc32(buf.subarray(x + 4, frameEnd), crcBefore));
    }
  }
  const next = findIntactFrame(buf, x + 8, seeds);
  if (next === null) return { torn: true, why: `${bad.reason}; it is the last record` };
  if (frameEnd !== null && next >= frameEnd && hasZeroSector(buf, x, frameEnd)) {
    return { torn: true, why: `${bad.reason}; a whole sector of it was never written` };
  }
  return {
    torn: false,
    why: `${bad.reason}; an intact record follows at offset ${next}, so this is not a torn write`,
  };
}

/** Offset of the first frame at or after `from` whose crc verifies with a trusted seed. */
export function findIntactFrame(buf: Uint8Array, from: number, seeds: readonly number[]): number | null {
  const n = buf.length;
  const endingAt = new Map<number, number>(); // frame end offset → that frame's stored crc
  for (let y = from; y + HEADER_SIZE <= n; y += 8) {
    const type = buf[y + 8]!;
    if (type === 0 || type === RecordType.Crc) continue;
    const len = getU32(buf, y + 4);
    if (checkHeader(buf, y, len, type) !== null) continue;
    const end = y + frameSize(len);
    if (end > n) continue;
    const stored = getU32(buf, y);
    const body = buf.subarray(y + 4, end);
    const chained = endingAt.get(y);
    for (const s of chained === undefined ? seeds : [...seeds, chained]) {
      if (crc32(body, s) === stored) return y;
    }
    if (!endingAt.has(end)) endingAt.set(end, stored);
  }
  return null;
}

/** True if some disk sector overlapping [from, to) is all zero from `from` to its end. */
function hasZeroSector(buf: Uint8Array, from: number, to: number): boolean {
  for (let s = Math.floor(from / SECTOR) * SECTOR; s < to; s += SECTOR) {
    const a = Math.max(s, from);
    const b = Math.min(s + SECTOR, buf.length);
    if (a < b && isZero(buf, a, b)) return true;
  }
  return false;
}
