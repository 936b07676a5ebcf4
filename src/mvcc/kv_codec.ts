// mvccpb.KeyValue <-> bytes, hand-rolled. A row of the "key" bucket IS an encoded KeyValue, so
// this codec sits on the hottest paths (every put encodes one, every range result decodes one,
// startup scans every row). A six-field message does not need protobuf-es's reflection: this
// writes the same canonical proto3 bytes (fields in number order, zero values omitted) that
// gogoproto writes in etcd, and reads any valid encoding (unknown fields are skipped).

import type { KeyValue } from '../gen/mvccpb/kv_pb.js';

/** A KeyValue with revisions as plain numbers: the store's internal currency. */
export interface Kv {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  lease: bigint;
}

const EMPTY = new Uint8Array(0);

function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** int64 as a proto varint: negative values take ten bytes (two's complement), as in Go. */
function int64VarintBytes(v: bigint): Uint8Array {
  let u = BigInt.asUintN(64, v);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Uint8Array.from(out);
}

export function encodeKv(kv: Kv): Buffer {
  const { key, value } = kv;
  const leaseBytes = kv.lease !== 0n ? int64VarintBytes(kv.lease) : EMPTY;
  let size = 0;
  if (key.length > 0) size += 1 + varintLen(key.length) + key.length;
  if (kv.createRevision !== 0) size += 1 + varintLen(kv.createRevision);
  if (kv.modRevision !== 0) size += 1 + varintLen(kv.modRevision);
  if (kv.version !== 0) size += 1 + varintLen(kv.version);
  if (value.length > 0) size += 1 + varintLen(value.length) + value.length;
  if (leaseBytes.length > 0) size += 1 + leaseBytes.length;
  const b = Buffer.allocUnsafe(size);
  let p = 0;
  if (key.length > 0) {
    b[p++] = 0x0a;
    p = writeVarint(b, p, key.length);
    b.set(key, p);
    p += key.length;
  }
  if (kv.createRevision !== 0) {
    b[p++] = 0x10;
    p = writeVarint(b, p, kv.createRevision);
  }
  if (kv.modRevision !== 0) {
    b[p++] = 0x18;
    p = writeVarint(b, p, kv.modRevision);
  }
  if (kv.version !== 0) {
    b[p++] = 0x20;
    p = writeVarint(b, p, kv.version);
  }
  if (value.length > 0) {
    b[p++] = 0x2a;
    p = writeVarint(b, p, value.length);
    b.set(value, p);
    p += value.length;
  }
  if (leaseBytes.length > 0) {
    b[p++] = 0x30;
    b.set(leaseBytes, p);
    p += leaseBytes.length;
  }
  return b;
}

/**
 * A cursor over one encoded message; methods throw on truncated or malformed input. One
 * module-level instance is reset per message: decoding never re-enters itself, and a fresh
 * cursor per row is measurable garbage at millions of rows.
 */
class Reader {
  pos = 0;
  buf: Uint8Array = EMPTY;

  reset(buf: Uint8Array): this {
    this.buf = buf;
    this.pos = 0;
    return this;
  }

  /** A varint as a number; fails if it does not fit a safe integer (revisions never do). */
  uint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error('kv codec: truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(result)) throw new Error('kv codec: varint exceeds 2^53');
        return result;
      }
      mul *= 128;
    }
    throw new Error('kv codec: varint too long');
  }

  int64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new Error('kv codec: truncated varint');
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, result);
      shift += 7n;
    }
    throw new Error('kv codec: varint too long');
  }

  /** Start and end offsets of a length-delimited field's payload. */
  span(): [number, number] {
    const len = this.uint();
    const start = this.pos;
    const end = start + len;
    if (end > this.buf.length) throw new Error('kv codec: truncated bytes field');
    this.pos = end;
    return [start, end];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.int64();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`kv codec: unsupported wire type ${wireType}`);
    }
    if (this.pos > this.buf.length) throw new Error('kv codec: truncated field');
  }
}

/** Decodes a row. key and value are views into `buf` (no copy): pass a buffer you own. */
const READER = new Reader();

export function decodeKv(buf: Uint8Array): Kv {
  const r = READER.reset(buf);
  const kv: Kv = { key: EMPTY, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0n };
  while (r.pos < buf.length) {
    const tag = r.uint();
    switch (tag) {
      case 0x0a: {
        const [s, e] = r.span();
        kv.key = buf.subarray(s, e);
        break;
      }
      case 0x10:
        kv.createRevision = r.uint();
        break;
      case 0x18:
        kv.modRevision = r.uint();
        break;
      case 0x20:
        kv.version = r.uint();
        break;
      case 0x2a: {
        const [s, e] = r.span();
        kv.value = buf.subarray(s, e);
        break;
      }
      case 0x30:
        kv.lease = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return kv;
}

/** What startup needs from a row: the key (as a latin1 string), create revision, version, lease. */
export interface RowSummary {
  key: string;
  createRevision: number;
  version: number;
  lease: bigint;
}

/**
 * Decodes only what rebuilding the index needs, skipping the value without touching it. The key
 * becomes a latin1 string straight from the row bytes (see key_index.ts for why latin1). Pass
 * `out` to reuse one object across millions of rows (startup is allocation-bound).
 */
export function summarizeKv(buf: Uint8Array, out: RowSummary = { key: '', createRevision: 0, version: 0, lease: 0n }): RowSummary {
  const r = READER.reset(buf);
  out.key = '';
  out.createRevision = 0;
  out.version = 0;
  out.lease = 0n;
  while (r.pos < buf.length) {
    const tag = r.uint();
    switch (tag) {
      case 0x0a: {
        const [s, e] = r.span();
        out.key = Buffer.isBuffer(buf)
          ? buf.toString('latin1', s, e)
          : Buffer.from(buf.buffer, buf.byteOffset + s, e - s).toString('latin1');
        break;
      }
      case 0x10:
        out.createRevision = r.uint();
        break;
      case 0x20:
        out.version = r.uint();
        break;
      case 0x30:
        out.lease = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

/** The protobuf-es message for the API layer (int64 fields become bigint only here). */
export function toKeyValue(kv: Kv, keysOnly = false): KeyValue {
  return {
    $typeName: 'mvccpb.KeyValue',
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: keysOnly ? EMPTY : kv.value,
    lease: kv.lease,
  };
}
