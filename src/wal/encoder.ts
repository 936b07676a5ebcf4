// Encodes records into a reusable in-memory buffer, carrying the CRC chain.
//
// save() on the hot path only copies bytes into this buffer and computes the CRC; the
// Wal later detaches the filled buffer and writes it with one syscall. Two buffers take
// turns (the one being written to disk and the one being filled), so steady state
// allocates nothing per record.

import { crc32 } from './crc32.js';
import {
  CRC_PAYLOAD_SIZE,
  ENTRY_PREFIX,
  HARD_STATE_SIZE,
  HEADER_SIZE,
  MAX_PAYLOAD,
  RecordType,
  SNAPSHOT_SIZE,
  frameSize,
  putU64,
} from './record.js';
import type { HardState, SnapshotMarker, WalEntry } from './types.js';

const INITIAL_CAPACITY = 256 * 1024;

export interface Detached {
  bytes: Buffer;
  backing: Buffer;
}

export class RecordEncoder {
  private buf: Buffer;
  private spare: Buffer | null = null;
  private len = 0;

  /** @param crc the chain value after the last record already on disk */
  constructor(private crc: number) {
    this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  }

  /** The chain value after the last encoded record. */
  get lastCrc(): number {
    return this.crc;
  }

  /** Bytes encoded and not yet detached. */
  get pending(): number {
    return this.len;
  }

  /**
   * Hands out the encoded bytes and starts filling another buffer. Once `bytes` is on disk
   * the caller gives `backing` back with recycle(), so the next detach can reuse it.
   */
  detach(): Detached {
    const backing = this.buf;
    const bytes = backing.subarray(0, this.len);
    this.buf = this.spare ?? Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, backing.length));
    this.spare = null;
    this.len = 0;
    return { bytes, backing };
  }

  recycle(backing: Buffer): void {
    if (this.spare === null || this.spare.length < backing.length) this.spare = backing;
  }

  /** Encodes an entry; call checkEntry first (encoding assumes valid input). */
  entry(e: WalEntry): void {
    const n = ENTRY_PREFIX + e.data.length;
    const start = this.begin(n);
    const p = start + HEADER_SIZE;
    const b = this.buf;
    putU64(b, p, e.index);
    putU64(b, p + 8, e.term);
    b.writeUInt32LE(e.type, p + 16);
    b.set(e.data, p + ENTRY_PREFIX);
    this.end(start, RecordType.Entry, n);
  }

  /** Encodes a hard state; call checkHardState first. */
  hardState(hs: HardState): void {
    const start = this.begin(HARD_STATE_SIZE);
    const p = start + HEADER_SIZE;
    putU64(this.buf, p, hs.term);
    this.buf.writeBigUInt64LE(hs.vote, p + 8);
    putU64(this.buf, p + 16, hs.commit);
    this.end(start, RecordType.HardState, HARD_STATE_SIZE);
  }

  /** Encodes a snapshot marker; call checkSnapshot first. */
  snapshot(s: SnapshotMarker): void {
    const start = this.begin(SNAPSHOT_SIZE);
    putU64(this.buf, start + HEADER_SIZE, s.index);
    putU64(this.buf, start + HEADER_SIZE + 8, s.term);
    this.end(start, RecordType.Snapshot, SNAPSHOT_SIZE);
  }

  metadata(m: Uint8Array): void {
    const start = this.begin(m.length);
    this.buf.set(m, start + HEADER_SIZE);
    this.end(start, RecordType.Metadata, m.length);
  }

  /**
   * The first frame of every segment: carries the chain value so a segment can be
   * verified on its own once older segments are released, and so a reader can check
   * that consecutive segments really follow each other.
   */
  crcRecord(): void {
    const start = this.begin(CRC_PAYLOAD_SIZE);
    this.buf.writeUInt32LE(this.crc, start + HEADER_SIZE);
    this.end(start, RecordType.Crc, CRC_PAYLOAD_SIZE);
  }

  /** Reserves a frame for `payloadLen` bytes; returns its start offset. */
  private begin(payloadLen: number): number {
    const need = this.len + frameSize(payloadLen);
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    return this.len;
  }

  private end(start: number, type: RecordType, payloadLen: number): void {
    const b = this.buf;
    const size = frameSize(payloadLen);
    const frameEnd = start + size;
    b.writeUInt32LE(payloadLen, start + 4);
    b[start + 8] = type;
    b[start + 9] = 0;
    b[start + 10] = 0;
    b[start + 11] = 0;
    // The buffer is reused, so stale bytes must not leak into the padding (at most 7
    // bytes: a loop is cheaper than Buffer#fill's call overhead).
    for (let i = start + HEADER_SIZE + payloadLen; i < frameEnd; i++) b[i] = 0;
    // A plain Uint8Array view: Buffer#subarray costs several times more, per record.
    this.crc = crc32(new Uint8Array(b.buffer, b.byteOffset + start + 4, size - 4), this.crc);
    b.writeUInt32LE(this.crc, start);
    this.len = frameEnd;
  }
}

// Validation is separate from encoding so that a batch is checked whole before any of it
// is encoded: a bad entry in the middle must not leave half a batch in the buffer.

export function checkEntry(e: WalEntry): void {
  checkIndex('entry index', e.index);
  checkIndex('entry term', e.term);
  if (!Number.isInteger(e.type) || e.type < 0 || e.type > 0xffffffff) {
    throw new RangeError(`wal: bad entry type ${e.type}`);
  }
  if (ENTRY_PREFIX + e.data.length > MAX_PAYLOAD) {
    throw new RangeError(`wal: entry ${e.index} of ${e.data.length} bytes is too large`);
  }
}

export function checkHardState(hs: HardState): void {
  checkIndex('hard state term', hs.term);
  checkIndex('hard state commit', hs.commit);
  if (hs.vote < 0n || hs.vote > 0xffffffffffffffffn) throw new RangeError('wal: vote out of range');
}

export function checkSnapshot(s: SnapshotMarker): void {
  checkIndex('snapshot index', s.index);
  checkIndex('snapshot term', s.term);
}

export function checkMetadata(m: Uint8Array): void {
  if (m.length > MAX_PAYLOAD) throw new RangeError(`wal: metadata of ${m.length} bytes is too large`);
}

function checkIndex(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wal: ${what} ${n} is not a safe non-negative integer`);
}
