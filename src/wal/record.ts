// On-disk record framing and the payload codecs, shared by the encoder and the decoder.
//
// A segment is a sequence of frames, each starting at a multiple of 8 bytes:
//
//   offset  size  field
//        0     4  crc     CRC-32 of bytes [4, frameEnd) of this frame, seeded with the crc
//                         of the previous frame (the chain spans all segments)
//        4     4  length  payload bytes (u32 LE)
//        8     1  type    RecordType
//        9     3  zero    reserved, must be 0
//       12     n  payload
//   12 + n   0-7  zero padding up to the next multiple of 8 (covered by the crc)
//
// The crc covers length and type too, so a flipped bit anywhere in a frame is caught.
// Twelve zero bytes where a frame should start mean "end of log" (a preallocated,
// zero-filled tail), which is why type 0 is never a valid type.
//
// Payloads (all integers little-endian; u64 written as two u32 halves so index and term
// stay plain numbers — they must be safe integers):
//   metadata  opaque bytes given to Wal.create
//   entry     index u64 | term u64 | entry type u32 | data
//   hardState term u64 | vote u64 | commit u64
//   crc       u32: the chain value before this segment (first frame of every segment)
//   snapshot  index u64 | term u64

export const RecordType = {
  Metadata: 1,
  Entry: 2,
  HardState: 3,
  Crc: 4,
  Snapshot: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export function isRecordType(t: number): t is RecordType {
  return t >= RecordType.Metadata && t <= RecordType.Snapshot;
}

export const HEADER_SIZE = 12;
export const ENTRY_PREFIX = 20;
export const HARD_STATE_SIZE = 24;
export const SNAPSHOT_SIZE = 16;
export const CRC_PAYLOAD_SIZE = 4;

/**
 * Upper bound on one payload. Raft entries are bounded by --max-request-bytes (1.5 MiB by
 * default, etcd warns above 10 MiB); the bound lets the decoder reject a garbage length
 * without trying to read gigabytes.
 */
export const MAX_PAYLOAD = 256 * 1024 * 1024;

/** Total bytes a frame with `payloadLen` bytes of payload occupies on disk. */
export function frameSize(payloadLen: number): number {
  return Math.ceil((HEADER_SIZE + payloadLen) / 8) * 8;
}

const TWO_32 = 4294967296;

export function putU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32LE(n >>> 0, off);
  buf.writeUInt32LE(Math.floor(n / TWO_32), off + 4);
}

/** Reads a u64 written by putU64; returns -1 if it is not a safe integer (corrupt data). */
export function getU64(buf: Uint8Array, off: number): number {
  const lo = (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
  const hi =
    (buf[off + 4]! | (buf[off + 5]! << 8) | (buf[off + 6]! << 16) | (buf[off + 7]! << 24)) >>> 0;
  if (hi >= 0x200000) return -1;
  return hi * TWO_32 + lo;
}

export function getU32(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

export function getU64Big(buf: Uint8Array, off: number): bigint {
  return (BigInt(getU32(buf, off + 4)) << 32n) | BigInt(getU32(buf, off));
}
