// The simulated application state: a running 32-bit digest over every applied entry
// (term, type, data) plus the set of removed member ids. Two members have the same state
// at an index iff they applied the same entries (up to negligible hash collisions), which
// is what state machine safety demands; snapshots carry the digest so it survives them.

import { type Entry, type NodeId, Reader, Writer } from '../../../src/raft/index.js';

export function mixDigest(prev: number, e: Entry): number {
  let h = (prev ^ 0x811c9dc5) >>> 0;
  h = Math.imul(h ^ (e.term & 0xffff), 0x01000193);
  h = Math.imul(h ^ (e.term >>> 16), 0x01000193);
  h = Math.imul(h ^ e.type, 0x01000193);
  const d = e.data;
  for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i]!, 0x01000193);
  return h >>> 0;
}

export interface AppState {
  digest: number;
  removed: NodeId[];
}

export function encodeAppState(s: AppState): Uint8Array {
  const w = new Writer();
  w.uint(s.digest);
  w.uint(s.removed.length);
  for (const id of s.removed) w.u64(id);
  return w.finish();
}

export function decodeAppState(b: Uint8Array): AppState {
  if (b.length === 0) return { digest: 0, removed: [] };
  const r = new Reader(b);
  const digest = r.uint();
  const n = r.uint();
  const removed: NodeId[] = [];
  for (let i = 0; i < n; i++) removed.push(r.u64());
  r.end();
  return { digest, removed };
}

/** ASCII text to bytes (cheaper than TextEncoder for the short ids used here). */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Proposal payloads: "v" + a client sequence number, so the checker can tell them apart. */
export function encodeValue(seq: number): Uint8Array {
  return asciiBytes(`v${seq}`);
}

export function valueKey(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += String.fromCharCode(data[i]!);
  return s;
}
