// CRC-32 (IEEE 802.3, the polynomial zlib and gzip use) for the WAL's record chain.
//
// Why IEEE and not Castagnoli: Node ships a native, SIMD-accelerated zlib.crc32 since
// v20.15; it is several times faster than any table-driven CRC written in TS, and the WAL
// computes a CRC over every byte it writes on the hot path. Older Node 20 releases lack it,
// so a table-driven (slicing-by-4) fallback computes exactly the same function. Both take
// the running value of the previous call as the seed, so crc32(b, crc32(a)) === crc32(a‖b):
// that property is what chains the CRC across records and segments.

import * as zlib from 'node:zlib';

export type Crc32Fn = (data: Uint8Array, seed: number) => number;

const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let t = 1; t < 4; t++) {
    const prev = tables[t - 1]!;
    const cur = new Uint32Array(256);
    for (let n = 0; n < 256; n++) cur[n] = (t0[prev[n]! & 0xff]! ^ (prev[n]! >>> 8)) >>> 0;
    tables.push(cur);
  }
  return tables;
}

/** Pure-TS CRC-32, four bytes per step (slicing-by-4). Same results as zlib.crc32. */
export function crc32Table(data: Uint8Array, seed: number): number {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let c = ~seed >>> 0;
  let i = 0;
  const n = data.length;
  const end4 = n - (n & 3);
  for (; i < end4; i += 4) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c = t3[c & 0xff]! ^ t2[(c >>> 8) & 0xff]! ^ t1[(c >>> 16) & 0xff]! ^ t0[c >>> 24]!;
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native: NativeCrc32 | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? ((zlib as { crc32: NativeCrc32 }).crc32)
    : undefined;

/** Native zlib.crc32 where this Node has it, else the table version. */
// The length guard: zlib's crc32() returns 0, not the seed, for a NULL buffer, which is what
// an empty Uint8Array over a zero-length ArrayBuffer becomes.
export const crc32: Crc32Fn =
  native !== undefined ? (d, s) => (d.length === 0 ? s >>> 0 : native(d, s)) : crc32Table;

/** Which implementation `crc32` uses (reported by the benchmark). */
export const crc32Impl: 'zlib' | 'table' = native !== undefined ? 'zlib' : 'table';
