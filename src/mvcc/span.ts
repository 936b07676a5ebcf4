// etcd's key/range_end conventions, turned into an index span (see tree_index.ts KeySpan):
//   range_end empty      -> the single key `key`
//   range_end == "\0"    -> every key >= key (so key "\0" with range_end "\0" is the whole store)
//   otherwise            -> keys in [key, range_end)
// Prefix ranges arrive already expressed as [prefix, prefix+1) by the client.

import type { KeySpan } from './tree_index.js';

export function toSpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const k = latin1(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { key: k, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { key: k, end: '' };
  return { key: k, end: latin1(rangeEnd) };
}

// Buffer's native latin1 decoder works on any Uint8Array; calling it directly avoids wrapping a
// plain Uint8Array (what protobuf-es hands us) in a Buffer object on every operation.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string })
  .latin1Slice;

export function latin1(b: Uint8Array): string {
  return latin1Slice.call(b, 0, b.length);
}

export function fromLatin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
