// CRC-32C (Castagnoli), the checksum etcd uses for Hash/HashKV (Go's crc32.MakeTable(crc32.Castagnoli)).
// Node 20 has no built-in CRC-32C, so this is a slicing-by-8 table implementation: eight table
// lookups per 8 input bytes, fast enough to hash a multi-GB key bucket without a native addon.
// Usage mirrors Go's hash.Hash32: crc = crc32cUpdate(crc, bytes) repeatedly, starting from 0.

const POLY = 0x82f63b78;

// Eight 256-entry tables in ONE flat Int32Array (table k at offset 256*k): int32 arithmetic
// and a single typed array measured ~1.5-2x faster in V8 than eight Uint32Arrays.
const T: Int32Array = (() => {
  const t = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + i] = c;
    }
  }
  return t;
})();

/** Continues a CRC-32C over `data`; pass 0 to start. Returns an unsigned 32-bit value. */
export function crc32cUpdate(crc: number, data: Uint8Array): number {
  return crc32cUpdateRange(crc, data, 0, data.length);
}

/** crc32cUpdate over data[start, end), without making a view of it. */
export function crc32cUpdateRange(crc: number, data: Uint8Array, start: number, end: number): number {
  let c = ~crc;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + data[i + 4]!]! ^
      T[512 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function crc32c(data: Uint8Array): number {
  return crc32cUpdate(0, data);
}
