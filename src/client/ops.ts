// Key range helpers with etcd's conventions (clientv3 op.go): a range_end of "\0" means
// "every key >= key", a key of "\0" with range_end "\0" means "all keys".

/** The range_end that selects every key starting with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  // Every byte is 0xff: no key is greater, so fall back to "from key" (etcd does the same).
  return Uint8Array.of(0);
}

export const FROM_KEY_END: Uint8Array = Uint8Array.of(0);
export const ALL_KEYS: Uint8Array = Uint8Array.of(0);

export function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}
