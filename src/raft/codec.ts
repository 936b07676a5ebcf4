// A compact binary encoding of the Raft data types, for the WAL and the peer transport.
// Unsigned integers are LEB128 varints (terms and indexes up to 2^53-1, node ids up to
// 2^64-1), byte strings are length-prefixed, and a Message starts with a format version
// byte so the wire format can evolve. Decoding validates every length and throws
// CodecError on truncated or malformed input instead of reading garbage.

import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
  EMPTY_BYTES,
} from './types.js';

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

const MESSAGE_FORMAT_V1 = 1;
const MAX_ENTRY_TYPE = 1;
const MAX_MESSAGE_TYPE = 18;
const MAX_CONF_CHANGE_TYPE = 3;
const FLAG_REJECT = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_CONTEXT = 4;
const U64_MAX = (1n << 64n) - 1n;

/** Growable output buffer. */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialSize = 64) {
    this.buf = new Uint8Array(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  /** A non-negative safe integer as a varint. */
  uint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`not a non-negative safe integer: ${v}`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /**
   * An unsigned 64-bit id as a varint. Real member ids use all 64 bits, and every message
   * carries two, so the bigint is split once into two 32-bit halves and the varint is built
   * with number arithmetic (a bigint shift per 7 bits cost more than the rest of a message).
   */
  u64(v: bigint): void {
    if (v < 0n || v > U64_MAX) throw new CodecError(`not a u64: ${v}`);
    this.ensure(10);
    let lo = Number(v & 0xffffffffn);
    let hi = Number(v >> 32n);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi = hi >>> 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Overwrites 4 bytes at `at` with v, big-endian (a length prefix written after its body). */
  patchUint32BE(at: number, v: number): void {
    this.buf[at] = v >>> 24;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }

  /** Reserves n bytes (filled later with patchUint32BE) and returns their offset. */
  skip(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The bytes written, as a view of the internal buffer (no copy; the Writer must not be reused). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Cursor over input bytes; every read is bounds-checked. */
export class Reader {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CodecError('unexpected end of input');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  uint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) throw new CodecError('varint exceeds 2^53-1');
        return result;
      }
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  u64(): bigint {
    // Accumulated in two 32-bit halves (see Writer.u64), joined into a bigint once.
    let lo = 0;
    let hi = 0;
    for (let i = 0, shift = 0; i < 10; i++, shift += 7) {
      const b = this.u8();
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi = bits >>> 4;
      } else if (shift < 63) hi |= bits << (shift - 32);
      else if (bits > 1) throw new CodecError('varint exceeds 2^64-1');
      else hi |= bits << 31;
      if ((b & 0x80) === 0) {
        lo >>>= 0;
        hi >>>= 0;
        return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
      }
    }
    throw new CodecError('varint too long');
  }

  bytes(): Uint8Array {
    const n = this.uint();
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return n === 0 ? EMPTY_BYTES : out;
  }

  enumValue(max: number, what: string): number {
    const v = this.u8();
    if (v > max) throw new CodecError(`invalid ${what}: ${v}`);
    return v;
  }

  /** Callers decoding a whole buffer must consume all of it: trailing bytes mean corruption. */
  end(): void {
    if (this.pos !== this.buf.length) throw new CodecError(`${this.buf.length - this.pos} trailing bytes`);
  }
}

// ---- per-type writers/readers (composable) -------------------------------------------

export function writeEntry(w: Writer, e: Entry): void {
  w.uint(e.term);
  w.uint(e.index);
  w.u8(e.type);
  w.bytes(e.data);
}

export function readEntry(r: Reader): Entry {
  const term = r.uint();
  const index = r.uint();
  const type = r.enumValue(MAX_ENTRY_TYPE, 'entry type');
  const data = r.bytes();
  return { term, index, type, data };
}

function writeIds(w: Writer, ids: NodeId[]): void {
  w.uint(ids.length);
  for (const id of ids) w.u64(id);
}

function readIds(r: Reader): NodeId[] {
  const n = r.uint();
  const out: NodeId[] = [];
  for (let i = 0; i < n; i++) out.push(r.u64());
  return out;
}

export function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
}

export function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  const learners = readIds(r);
  return { voters, learners };
}

export function writeSnapshotMetadata(w: Writer, m: SnapshotMetadata): void {
  w.uint(m.index);
  w.uint(m.term);
  writeConfState(w, m.confState);
}

export function readSnapshotMetadata(r: Reader): SnapshotMetadata {
  const index = r.uint();
  const term = r.uint();
  const confState = readConfState(r);
  return { index, term, confState };
}

export function writeSnapshot(w: Writer, s: Snapshot): void {
  writeSnapshotMetadata(w, s.metadata);
  w.bytes(s.data);
}

export function readSnapshot(r: Reader): Snapshot {
  const metadata = readSnapshotMetadata(r);
  const data = r.bytes();
  return { metadata, data };
}

export function writeHardState(w: Writer, hs: HardState): void {
  w.uint(hs.term);
  w.u64(hs.vote);
  w.uint(hs.commit);
}

export function readHardState(r: Reader): HardState {
  const term = r.uint();
  const vote = r.u64();
  const commit = r.uint();
  return { term, vote, commit };
}

export function writeConfChange(w: Writer, cc: ConfChange): void {
  w.u8(cc.type);
  w.u64(cc.nodeId);
  w.bytes(cc.context);
}

export function readConfChange(r: Reader): ConfChange {
  const type = r.enumValue(MAX_CONF_CHANGE_TYPE, 'conf change type');
  const nodeId = r.u64();
  const context = r.bytes();
  return { type, nodeId, context };
}

export function writeMessage(w: Writer, m: Message): void {
  w.u8(MESSAGE_FORMAT_V1);
  w.u8(m.type);
  w.u64(m.to);
  w.u64(m.from);
  w.uint(m.term);
  w.uint(m.logTerm);
  w.uint(m.index);
  w.uint(m.commit);
  w.uint(m.rejectHint);
  w.u8((m.reject ? FLAG_REJECT : 0) | (m.snapshot ? FLAG_SNAPSHOT : 0) | (m.context ? FLAG_CONTEXT : 0));
  w.uint(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot) writeSnapshot(w, m.snapshot);
  if (m.context) w.bytes(m.context);
}

export function readMessage(r: Reader): Message {
  const version = r.u8();
  if (version !== MESSAGE_FORMAT_V1) throw new CodecError(`unknown message format ${version}`);
  const type = r.enumValue(MAX_MESSAGE_TYPE, 'message type');
  const to = r.u64();
  const from = r.u64();
  const term = r.uint();
  const logTerm = r.uint();
  const index = r.uint();
  const commit = r.uint();
  const rejectHint = r.uint();
  const flags = r.u8();
  if (flags > 7) throw new CodecError(`invalid message flags ${flags}`);
  const n = r.uint();
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  const snapshot = (flags & FLAG_SNAPSHOT) !== 0 ? readSnapshot(r) : null;
  const context = (flags & FLAG_CONTEXT) !== 0 ? r.bytes() : null;
  return { type, to, from, term, logTerm, index, entries, commit, snapshot, reject: (flags & FLAG_REJECT) !== 0, rejectHint, context };
}

// ---- whole-buffer helpers --------------------------------------------------------------

function encodeWith<T>(write: (w: Writer, v: T) => void, v: T): Uint8Array {
  const w = new Writer();
  write(w, v);
  return w.finish();
}

function decodeWith<T>(read: (r: Reader) => T, b: Uint8Array): T {
  const r = new Reader(b);
  const v = read(r);
  r.end();
  return v;
}

export const encodeEntry = (e: Entry): Uint8Array => encodeWith(writeEntry, e);
export const decodeEntry = (b: Uint8Array): Entry => decodeWith(readEntry, b);
export const encodeHardState = (hs: HardState): Uint8Array => encodeWith(writeHardState, hs);
export const decodeHardState = (b: Uint8Array): HardState => decodeWith(readHardState, b);
export const encodeConfState = (cs: ConfState): Uint8Array => encodeWith(writeConfState, cs);
export const decodeConfState = (b: Uint8Array): ConfState => decodeWith(readConfState, b);
export const encodeSnapshotMetadata = (m: SnapshotMetadata): Uint8Array => encodeWith(writeSnapshotMetadata, m);
export const decodeSnapshotMetadata = (b: Uint8Array): SnapshotMetadata => decodeWith(readSnapshotMetadata, b);
export const encodeSnapshot = (s: Snapshot): Uint8Array => encodeWith(writeSnapshot, s);
export const decodeSnapshot = (b: Uint8Array): Snapshot => decodeWith(readSnapshot, b);
export const encodeConfChange = (cc: ConfChange): Uint8Array => encodeWith(writeConfChange, cc);
export const decodeConfChange = (b: Uint8Array): ConfChange => decodeWith(readConfChange, b);
export const encodeMessage = (m: Message): Uint8Array => encodeWith(writeMessage, m);
export const decodeMessage = (b: Uint8Array): Message => decodeWith(readMessage, b);
