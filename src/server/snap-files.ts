// Raft snapshot records in <data-dir>/member/snap, named as etcd names them
// (<16 hex term>-<16 hex index>.snap). The backend is the state machine's data, so a record holds
// only the snapshot's metadata (index, term, membership); the file is a CRC-32 followed by the
// Raft codec's encoding. A database received from a leader waits beside them as
// <16 hex index>.snap.db until it is installed.
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { fsyncPathSync } from '../wal/fsutil.js';
import { join } from 'node:path';
import { type Snapshot, decodeSnapshot, encodeSnapshot } from '../raft/index.js';
import { crc32 } from '../wal/crc32.js';

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

export const snapFileName = (term: number, index: number): string => `${hex16(term)}-${hex16(index)}.snap`;
export const snapDbPath = (dir: string, index: number): string => join(dir, `${hex16(index)}.snap.db`);

/** Writes a snapshot record durably (temp file, fsync, rename, fsync dir); keeps the newest `keep`. */
export function saveSnapRecord(dir: string, snap: Snapshot, keep = 5): void {
  const body = encodeSnapshot({ metadata: snap.metadata, data: new Uint8Array(0) });
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(crc32(body, 0) >>> 0, 0);
  out.set(body, 4);
  const name = snapFileName(snap.metadata.term, snap.metadata.index);
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, out);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  fsyncPathSync(dir);
  const records = readdirSync(dir).filter((f) => /^[0-9a-f]{16}-[0-9a-f]{16}\.snap$/.test(f)).sort();
  for (const old of records.slice(0, Math.max(0, records.length - keep))) rmSync(join(dir, old), { force: true });
}

/** Reads the record for (term, index); throws with the file name when it is missing or corrupt. */
export function loadSnapRecord(dir: string, term: number, index: number): Snapshot {
  const path = join(dir, snapFileName(term, index));
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`the WAL records a snapshot at index ${index} but ${path} cannot be read: ${(e as Error).message}`);
  }
  if (buf.length < 4) throw new Error(`snapshot record ${path} is truncated`);
  const body = buf.subarray(4);
  if ((crc32(body, 0) >>> 0) !== buf.readUInt32BE(0)) throw new Error(`snapshot record ${path} fails its CRC check`);
  return decodeSnapshot(body);
}
