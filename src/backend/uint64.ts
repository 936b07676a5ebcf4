// 8-byte big-endian unsigned integers as JS numbers. etcd stores consistent_index, term and the
// revision halves this way; every value we store is a safe integer (< 2^53), which we check on
// write so that a value never silently loses precision.

export function writeUint64BE(buf: Uint8Array, offset: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`);
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  buf[offset] = hi >>> 24;
  buf[offset + 1] = (hi >>> 16) & 0xff;
  buf[offset + 2] = (hi >>> 8) & 0xff;
  buf[offset + 3] = hi & 0xff;
  buf[offset + 4] = lo >>> 24;
  buf[offset + 5] = (lo >>> 16) & 0xff;
  buf[offset + 6] = (lo >>> 8) & 0xff;
  buf[offset + 7] = lo & 0xff;
}

export function readUint64BE(buf: Uint8Array, offset: number): number {
  const hi = ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
  const lo = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
  if (hi >= 0x20_0000) throw new RangeError('uint64 value exceeds 2^53');
  return hi * 0x1_0000_0000 + lo;
}

export function uint64BE(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeUint64BE(b, 0, n);
  return b;
}
