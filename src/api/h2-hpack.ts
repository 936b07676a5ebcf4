// Just enough HPACK (RFC 7541) to follow a client's header blocks: integers, Huffman strings, the
// static and dynamic tables, and the four field representations. It never re-compresses; it walks
// a block, keeps the decoder's dynamic table in step with the peer's (same entries, same sizes),
// and lets a caller replace one literal value by another of the SAME decoded length, re-emitted
// as a raw (non-Huffman) literal of the same kind. Used by h2-authority.ts.
//
// Why not an npm package: hpack.js (2016) and hpack (2016) are unmaintained; this is ~250 lines.

export class HpackError extends Error {}

/** RFC 7541 Appendix A: the static table's names (index 1..61); values only where defined. */
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  ['', ''], // index 0 is not used
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_COUNT = STATIC_TABLE.length - 1; // 61

/**
 * RFC 7541 Appendix B, code lengths in bits for symbols 0..255 and EOS (256). The code is
 * canonical (codes are assigned in order of length, then symbol), so the lengths define it; the
 * unit tests check the derived codes against the RFC's listed ones and the code's completeness.
 */
// prettier-ignore
export const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/** The canonical codes for HUFFMAN_LENGTHS (right-aligned, as the RFC prints them). */
export const HUFFMAN_CODES: readonly number[] = (() => {
  const order = HUFFMAN_LENGTHS.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym);
  const codes = new Array<number>(HUFFMAN_LENGTHS.length).fill(0);
  let code = 0;
  let prevLen = order[0]!.len;
  for (const { len, sym } of order) {
    code *= 2 ** (len - prevLen); // shift left without 32-bit overflow
    prevLen = len;
    codes[sym] = code;
    code += 1;
  }
  return codes;
})();

// Decoding tree as flat arrays: node n has children child[2n] (bit 0) and child[2n+1] (bit 1);
// a child value >= 0 is an inner node, -1 - sym is a leaf, and 0 at a non-root child means absent.
const TREE: Int32Array = (() => {
  const child = new Int32Array(2 * 512);
  let nodes = 1;
  for (let sym = 0; sym < HUFFMAN_LENGTHS.length; sym++) {
    const len = HUFFMAN_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let n = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = 2 * n + bit;
      if (i === 0) child[slot] = -1 - sym;
      else {
        if (child[slot] === 0) child[slot] = nodes++;
        n = child[slot]!;
      }
    }
  }
  return child;
})();

/** Decodes a Huffman-coded string (RFC 7541 §5.2): padding must be < 8 bits of 1s, no EOS. */
export function huffmanDecode(src: Uint8Array): Buffer {
  const out: number[] = [];
  let n = 0; // current node
  let depth = 0; // bits consumed since the last symbol
  let allOnes = true; // those bits were all 1s
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = TREE[2 * n + bit]!;
      if (next < 0) {
        const sym = -1 - next;
        if (sym === 256) throw new HpackError('Huffman string contains EOS');
        out.push(sym);
        n = 0;
        depth = 0;
        allOnes = true;
      } else {
        if (next === 0) throw new HpackError('invalid Huffman code');
        n = next;
        depth++;
        if (bit === 0) allOnes = false;
      }
    }
  }
  if (depth > 7 || !allOnes) throw new HpackError('invalid Huffman padding');
  return Buffer.from(out);
}

/** Huffman-encodes bytes (tests and tools; the shim itself never Huffman-encodes). */
export function huffmanEncode(src: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const sym of src) {
    const len = HUFFMAN_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) & 1);
      if (++bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | (0xff >> bits)) & 0xff);
  return Buffer.from(out);
}

/** Reads an N-bit-prefix integer at pos; returns [value, next pos]. */
export function decodeInt(buf: Uint8Array, pos: number, prefixBits: number): [number, number] {
  if (pos >= buf.length) throw new HpackError('truncated integer');
  const max = (1 << prefixBits) - 1;
  let v = buf[pos]! & max;
  pos++;
  if (v < max) return [v, pos];
  let m = 0;
  for (;;) {
    if (pos >= buf.length) throw new HpackError('truncated integer');
    const b = buf[pos++]!;
    v += (b & 0x7f) * 2 ** m;
    m += 7;
    if (v > 0x7fffffff) throw new HpackError('integer overflow');
    if ((b & 0x80) === 0) return [v, pos];
  }
}

/** Encodes an N-bit-prefix integer; `first` holds the representation's flag bits. */
export function encodeInt(v: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (v < max) return Buffer.from([first | v]);
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

function readString(buf: Uint8Array, pos: number): [Buffer, number] {
  if (pos >= buf.length) throw new HpackError('truncated string');
  const huffman = (buf[pos]! & 0x80) !== 0;
  const [len, p] = decodeInt(buf, pos, 7);
  if (p + len > buf.length) throw new HpackError('truncated string');
  const raw = buf.subarray(p, p + len);
  return [huffman ? huffmanDecode(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), p + len];
}

/** One decoded field, with where its representation sits in the block. */
export interface HpackField {
  name: string; // latin1
  value: Buffer;
  /** Literal representations only: 0x40 incremental indexing, 0x00 without indexing, 0x10 never indexed. */
  literal?: 0x40 | 0x00 | 0x10;
  start: number;
  /** Where the value string (its length prefix) starts; literals only. */
  valueStart: number;
  end: number;
}

/** The decoder side of one connection's HPACK context. */
export class HpackDecoder {
  private entries: Array<{ name: string; value: Buffer }> = []; // newest first
  private size = 0;
  private capacity: number;

  /** maxTableSize: the SETTINGS_HEADER_TABLE_SIZE this endpoint advertised (4096 by default). */
  constructor(private readonly maxTableSize = 4096) {
    this.capacity = maxTableSize;
  }

  get tableSize(): number {
    return this.size;
  }
  get tableLength(): number {
    return this.entries.length;
  }

  /**
   * Walks one complete header block, updating the dynamic table. `rewrite(field)` may return a
   * replacement value for a literal; it must have the same length. Returns the rewritten block,
   * or null if nothing changed. Throws HpackError on a malformed block (the table is then unusable).
   */
  decode(block: Uint8Array, onField?: (f: HpackField) => Buffer | null | undefined): Buffer | null {
    let pos = 0;
    let sawField = false;
    let parts: Buffer[] | null = null;
    let copied = 0; // block bytes already accounted for in parts
    while (pos < block.length) {
      const start = pos;
      const b = block[pos]!;
      if (b & 0x80) {
        // indexed field
        const [idx, p] = decodeInt(block, pos, 7);
        const [name, value] = this.lookup(idx);
        pos = p;
        sawField = true;
        onField?.({ name, value, start, valueStart: p, end: p });
        continue;
      }
      if ((b & 0xe0) === 0x20) {
        // dynamic table size update: only before the first field (RFC 7541 §4.2)
        if (sawField) throw new HpackError('table size update after a field');
        const [sz, p] = decodeInt(block, pos, 5);
        if (sz > this.maxTableSize) throw new HpackError(`table size update ${sz} above ${this.maxTableSize}`);
        this.capacity = sz;
        this.evict(0);
        pos = p;
        continue;
      }
      const literal: 0x40 | 0x00 | 0x10 = (b & 0x40) ? 0x40 : (b & 0x10) ? 0x10 : 0x00;
      const prefix = literal === 0x40 ? 6 : 4;
      const [idx, p1] = decodeInt(block, pos, prefix);
      let name: string;
      let p2 = p1;
      if (idx === 0) {
        const [n, p] = readString(block, p1);
        name = n.toString('latin1');
        p2 = p;
      } else {
        name = this.lookup(idx)[0];
      }
      let [value, p3] = readString(block, p2);
      pos = p3;
      sawField = true;
      const replacement = onField?.({ name, value, literal, start, valueStart: p2, end: p3 });
      if (replacement) {
        if (replacement.length !== value.length) throw new Error('HPACK rewrite must keep the value length');
        parts ??= [];
        parts.push(Buffer.from(block.subarray(copied, p2)), encodeInt(replacement.length, 7, 0x00), replacement);
        copied = p3;
        value = replacement;
      }
      if (literal === 0x40) this.add(name, value);
    }
    if (parts === null) return null;
    parts.push(Buffer.from(block.subarray(copied)));
    return Buffer.concat(parts);
  }

  private lookup(idx: number): [string, Buffer] {
    if (idx === 0) throw new HpackError('index 0');
    if (idx <= STATIC_COUNT) {
      const e = STATIC_TABLE[idx]!;
      return [e[0], Buffer.from(e[1], 'latin1')];
    }
    const e = this.entries[idx - STATIC_COUNT - 1];
    if (e === undefined) throw new HpackError(`index ${idx} not in the table`);
    return [e.name, e.value];
  }

  private add(name: string, value: Buffer): void {
    const sz = name.length + value.length + 32;
    if (sz > this.capacity) {
      // RFC 7541 §4.4: an entry larger than the table empties it and is not added
      this.entries = [];
      this.size = 0;
      return;
    }
    this.evict(sz);
    this.entries.unshift({ name, value: Buffer.from(value) });
    this.size += sz;
  }

  private evict(room: number): void {
    while (this.size + room > this.capacity && this.entries.length > 0) {
      const e = this.entries.pop()!;
      this.size -= e.name.length + e.value.length + 32;
    }
  }
}
