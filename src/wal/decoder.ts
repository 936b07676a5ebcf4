// Walks the frames of one segment held in memory, verifying the CRC chain.
//
// The decoder only says where the valid records end and why the next frame is bad; it
// does not decide whether a bad frame is a torn write or corruption — tail.ts does, since
// that depends on where in the log the segment sits.

import { crc32 } from './crc32.js';
import { HEADER_SIZE, MAX_PAYLOAD, RecordType, frameSize, getU32, isRecordType } from './record.js';

export type RecordVisitor = (type: RecordType, payload: Uint8Array, offset: number) => void;

export interface BadFrame {
  offset: number;
  reason: string;
  /** True when the frame cannot be a torn write whatever follows it (e.g. chain mismatch). */
  fatal: boolean;
}

export interface SegmentScan {
  /** Offset just past the last valid frame. */
  validEnd: number;
  /** Chain value after the last valid frame. */
  crc: number;
  /** Why decoding stopped before the end of the data, or null if it reached the end cleanly. */
  bad: BadFrame | null;
  /** True if the data after validEnd is a zero-filled (preallocated) tail. */
  zeroTail: boolean;
}

/**
 * @param seed the chain value the previous segment ended with, or null when this is the
 *   oldest segment on disk (its leading crc record then supplies the seed)
 */
export function scanSegment(buf: Uint8Array, seed: number | null, visit: RecordVisitor): SegmentScan {
  let off = 0;
  let crc = seed ?? 0;
  const n = buf.length;
  const stop = (reason: string, fatal = false): SegmentScan => ({
    validEnd: off,
    crc,
    bad: { offset: off, reason, fatal },
    zeroTail: false,
  });
  while (off < n) {
    if (n - off < HEADER_SIZE) {
      return isZero(buf, off, n) && off > 0
        ? { validEnd: off, crc, bad: null, zeroTail: true }
        : stop(`frame header cut short (${n - off} of ${HEADER_SIZE} bytes before end of file)`);
    }
    const stored = getU32(buf, off);
    const len = getU32(buf, off + 4);
    const type = buf[off + 8]!;
    if (stored === 0 && len === 0 && type === 0 && off > 0) {
      // Preallocated space never written is the end of the log; zeros followed by data are not.
      if (isZero(buf, off, n)) return { validEnd: off, crc, bad: null, zeroTail: true };
      return stop('zero-filled frame header followed by non-zero bytes');
    }
    const bad = checkHeader(buf, off, len, type);
    if (bad !== null) return stop(bad);
    const size = frameSize(len);
    if (off + size > n) return stop(`frame of ${size} bytes runs past end of file (${n - off} bytes left)`);
    const payload = buf.subarray(off + HEADER_SIZE, off + HEADER_SIZE + len);
    if (off === 0) {
      if (type !== RecordType.Crc || len !== 4) return stop('segment does not start with a crc record', true);
      const carried = getU32(payload, 0);
      if (seed !== null && carried !== seed) {
        return stop(
          `crc chain broken: segment starts from ${hex(carried)} but the previous segment ended at ${hex(seed)}`,
          true,
        );
      }
      crc = carried;
    } else if (type === RecordType.Crc) {
      return stop('crc record in the middle of a segment', true);
    }
    const computed = crc32(buf.subarray(off + 4, off + size), crc);
    if (computed !== stored) return stop(`crc mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
    crc = computed;
    visit(type as RecordType, payload, off);
    off += size;
  }
  return { validEnd: off, crc, bad: null, zeroTail: false };
}

/** A frame header's fields are plausible; returns why not, or null. */
export function checkHeader(buf: Uint8Array, off: number, len: number, type: number): string | null {
  if (!isRecordType(type)) return `unknown record type ${type}`;
  if (buf[off + 9] !== 0 || buf[off + 10] !== 0 || buf[off + 11] !== 0) return 'reserved header bytes are not zero';
  if (len > MAX_PAYLOAD) return `record length ${len} exceeds the limit`;
  return null;
}

export function isZero(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

export function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
