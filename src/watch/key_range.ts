// The key range a watcher watches, in etcd's three shapes, with keys as latin1 strings: one char
// per byte, so JS string order is byte order and strings can key Maps cheaply.

/** Greater than every latin1 string (code unit 0x100): the end of a from-key range. */
export const KEY_INFINITY = '\u0100';

export interface KeyRange {
  /** First key (inclusive). */
  readonly start: string;
  /** Exclusive end; KEY_INFINITY for "every key >= start"; undefined for the single key start. */
  readonly end: string | undefined;
}

/** Bytes to the latin1 string used as a map key (no copy of the bytes). */
export function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/**
 * A create request's key/range_end, normalised as etcd's watch server does: an empty key is
 * "\0" (the smallest key), an empty range_end means the single key, range_end "\0" means every
 * key >= key. Returns undefined when key >= range_end (etcd's ErrEmptyWatcherRange).
 */
export function toKeyRange(key: Uint8Array, rangeEnd: Uint8Array): KeyRange | undefined {
  const start = key.length === 0 ? '\0' : keyString(key);
  if (rangeEnd.length === 0) return { start, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: KEY_INFINITY };
  const end = keyString(rangeEnd);
  if (start >= end) return undefined;
  return { start, end };
}

export function rangeContains(r: KeyRange, key: string): boolean {
  return r.end === undefined ? key === r.start : r.start <= key && key < r.end;
}
