// The embedded storage engine: one LMDB environment in a directory, one named database per etcd
// bucket, binary keys and values. Writes happen only inside `batch(fn)`, which is ONE synchronous
// LMDB write transaction: everything fn writes (MVCC rows, lease rows, consistent_index, ...)
// commits atomically or not at all.
//
// Durability model: the WAL is fsynced before entries are applied, so the environment runs with
// noSync/noMetaSync and a commit costs no fsync. LMDB's copy-on-write pages plus its two meta
// pages mean that a killed process (kill -9) always leaves the last committed transaction intact:
// committed pages already sit in the OS page cache. Only an OS crash or power loss can lose
// recent commits; `forceSync()` flushes them, and the server calls it before releasing WAL
// segments that would be needed to re-apply those commits.

import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { BUCKETS, META_CONSISTENT_INDEX, META_TERM, type Bucket } from './buckets.js';
import { crc32cUpdate, crc32cUpdateRange } from './crc32c.js';
import { readUint64BE, uint64BE } from './uint64.js';
import { fsyncPathSync } from '../wal/fsutil.js';

export interface BackendOptions {
  /** Upper bound of LMDB's memory map. The file grows only as pages are used; default 64 GiB. */
  mapSize?: number;
}

export interface Row {
  key: Buffer;
  value: Buffer;
}

export interface RangeOptions {
  /** Stop after this many rows (0 or undefined = no limit). */
  limit?: number;
  /** Iterate from the highest key down; with reverse, `start` is the upper (inclusive) bound. */
  reverse?: boolean;
}

export interface ConsistentIndex {
  index: number;
  term: number;
}

/** Thrown by defrag() when writes kept landing while the compacted copy was being made. */
export class ErrDefragBusy extends Error {
  constructor() {
    super('backend: writes raced with defragmentation; pause writes and retry');
    this.name = 'ErrDefragBusy';
  }
}

const DATA_FILE = 'data.mdb';
const MIN_KEY = Buffer.from([0]);
const DEFRAG_DIR = 'defrag.tmp';
const DEFAULT_MAP_SIZE = 64 * 1024 ** 3;
const DEFRAG_ATTEMPTS = 3;

type Db = Database<Buffer, Buffer>;
type ScanDb = Database<unknown, Buffer>;

export class Backend {
  readonly dir: string;
  private readonly mapSize: number;
  private env!: RootDatabase<Buffer, Buffer>;
  private dbs = new Map<Bucket, Db>();
  /** Second handles on the same databases, with pass-through decoders, for zero-copy scans. */
  private scanDbs = new Map<Bucket, ScanDb>();
  private scanKey: (buf: Uint8Array, start: number, end: number) => unknown = () => undefined;
  private scanValue: (value: Uint8Array) => void = () => undefined;
  private batchDepth = 0;
  /** Incremented by every committed outer batch; defrag uses it to detect racing writes. */
  private commits = 0;
  private readonly rollbackHooks = new Set<() => void>();
  private closed = false;

  private constructor(dir: string, opts: BackendOptions) {
    this.dir = dir;
    this.mapSize = opts.mapSize ?? DEFAULT_MAP_SIZE;
  }

  /** Opens (creating if needed) the environment in `dir`. */
  static open(dir: string, opts: BackendOptions = {}): Backend {
    mkdirSync(dir, { recursive: true });
    // A leftover compacted copy means we crashed mid-defrag before the swap: the live file is intact.
    rmSync(join(dir, DEFRAG_DIR), { recursive: true, force: true });
    const b = new Backend(dir, opts);
    b.openEnv();
    return b;
  }

  private openEnv(): void {
    this.env = open<Buffer, Buffer>({
      path: this.dir,
      mapSize: this.mapSize,
      maxDbs: BUCKETS.length + 2,
      noSync: true,
      noMetaSync: true,
      // overlappingSync is lmdb-js's own deferred-flush scheme; plain LMDB commit semantics are
      // what the crash-safety argument above relies on, so keep it off.
      overlappingSync: false,
      compression: false,
      encoding: 'binary',
      keyEncoding: 'binary',
    });
    this.dbs.clear();
    this.scanDbs.clear();
    for (const name of BUCKETS) {
      this.dbs.set(name, this.env.openDB<Buffer, Buffer>({ name, encoding: 'binary', keyEncoding: 'binary', compression: false }));
    }
  }

  private db(bucket: Bucket): Db {
    if (this.closed) throw new Error('backend: closed');
    const d = this.dbs.get(bucket);
    if (d === undefined) throw new Error(`backend: unknown bucket ${bucket}`);
    return d;
  }

  /** True while a batch (write transaction) is open. */
  get inBatch(): boolean {
    return this.batchDepth > 0;
  }

  /**
   * Runs fn inside one synchronous write transaction and commits it. A nested call joins the
   * open transaction (so a helper that needs a batch works both inside and outside one). If fn
   * throws, nothing it wrote is committed, the rollback hooks run (in-memory state built on the
   * aborted writes must be discarded), and the error propagates. fn must be synchronous: a
   * returned promise would keep LMDB's write transaction open across event-loop turns.
   */
  batch<T>(fn: () => T): T {
    if (this.batchDepth > 0) return fn();
    this.db('key'); // closed check
    this.batchDepth++;
    let ok = false;
    try {
      const r = this.env.transactionSync(fn);
      ok = true;
      return r;
    } finally {
      this.batchDepth--;
      if (ok) this.commits++;
      else for (const h of [...this.rollbackHooks]) h();
    }
  }

  /** Registers a hook run after a batch aborts; returns an unregister function. */
  onRollback(hook: () => void): () => void {
    this.rollbackHooks.add(hook);
    return () => this.rollbackHooks.delete(hook);
  }

  private requireBatch(): void {
    if (this.batchDepth === 0) throw new Error('backend: write outside batch()');
  }

  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): void {
    this.requireBatch();
    this.db(bucket).putSync(asBuffer(key), asBuffer(value));
  }

  /** Deletes one row; returns whether it existed. */
  delete(bucket: Bucket, key: Uint8Array): boolean {
    this.requireBatch();
    return this.db(bucket).removeSync(asBuffer(key));
  }

  /** Reads one row (inside a batch this sees the batch's own writes). The Buffer is a fresh copy. */
  get(bucket: Bucket, key: Uint8Array): Buffer | undefined {
    return this.db(bucket).get(asBuffer(key));
  }

  /** Rows with start <= key < end (end undefined = to the last row), in byte order of keys. */
  *range(bucket: Bucket, start?: Uint8Array, end?: Uint8Array, opts: RangeOptions = {}): Generator<Row> {
    const it = this.db(bucket).getRange({
      ...(start !== undefined ? { start: asBuffer(start) } : {}),
      ...(end !== undefined ? { end: asBuffer(end) } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
      ...(opts.reverse ? { reverse: true } : {}),
    });
    for (const { key, value } of it) yield { key, value };
  }

  /**
   * Bulk scan without copies, for startup over millions of rows: for each row of [start, end)
   * in key order, `readKey` parses the key straight from LMDB's shared key buffer (bytes
   * start..end), then `visit` receives what readKey returned and the value as a view into
   * LMDB's reusable buffer. Both views are valid only during the call: copy what you keep.
   * Returns the number of rows visited.
   */
  scan<K>(
    bucket: Bucket,
    start: Uint8Array | undefined,
    end: Uint8Array | undefined,
    readKey: (buf: Uint8Array, start: number, end: number) => K,
    visit: (key: K, value: Uint8Array) => void,
  ): number {
    const db = this.scanDb(bucket);
    let key: K | undefined;
    let n = 0;
    this.scanKey = (buf, s, e) => (key = readKey(buf, s, e));
    this.scanValue = (value) => {
      n++;
      visit(key as K, value);
    };
    try {
      // lmdb-js calls the key reader, then the decoder, inside each step of the iteration.
      // An explicit start is required: without one lmdb-js begins at its own encoding's minimum.
      // [0x00] is the smallest key LMDB can hold (it has no empty keys).
      for (const _ of db.getRange({
        start: start !== undefined ? asBuffer(start) : MIN_KEY,
        ...(end !== undefined ? { end: asBuffer(end) } : {}),
      })) void _;
    } finally {
      this.scanKey = () => undefined;
      this.scanValue = () => undefined;
    }
    return n;
  }

  private scanDb(bucket: Bucket): ScanDb {
    this.db(bucket); // closed check
    let d = this.scanDbs.get(bucket);
    if (d === undefined) {
      // A decoder that "copies" (decoderCopies) makes lmdb-js hand it its reusable buffer
      // instead of slicing a fresh copy of every value; the key encoder does the same for keys.
      d = this.env.openDB<unknown, Buffer>({
        name: bucket,
        compression: false,
        keyEncoder: {
          writeKey: (key: Buffer, target: Uint8Array, start: number): number => {
            target.set(key, start);
            return start + key.length;
          },
          readKey: (buf: Uint8Array, start: number, end: number): unknown => this.scanKey(buf, start, end),
        },
        encoder: {
          encode: (v: unknown): unknown => v,
          decode: (bytes: Uint8Array, size: number): undefined => {
            this.scanValue(bytes.length === size ? bytes : bytes.subarray(0, size));
            return undefined;
          },
        },
      } as unknown as DatabaseOptions & { name: string });
      this.scanDbs.set(bucket, d);
    }
    return d;
  }

  /** Number of rows in a bucket (O(1): LMDB keeps the count in the tree's stat). */
  count(bucket: Bucket): number {
    return (this.db(bucket).getStats() as { entryCount: number }).entryCount;
  }

  /** Records the applied raft index and term; call inside the batch that applies that entry. */
  setConsistentIndex(index: number, term: number): void {
    this.put('meta', META_CONSISTENT_INDEX, uint64BE(index));
    this.put('meta', META_TERM, uint64BE(term));
  }

  /** The raft index and term of the last applied entry ({0, 0} on a fresh backend). */
  readConsistentIndex(): ConsistentIndex {
    const i = this.get('meta', META_CONSISTENT_INDEX);
    const t = this.get('meta', META_TERM);
    return {
      index: i !== undefined && i.length >= 8 ? readUint64BE(i, 0) : 0,
      term: t !== undefined && t.length >= 8 ? readUint64BE(t, 0) : 0,
    };
  }

  /** Bytes of the data file (etcd's dbSize). */
  size(): number {
    return statSync(join(this.dir, DATA_FILE)).size;
  }

  /**
   * Bytes of pages holding live data (etcd's dbSizeInUse): the two meta pages plus every branch,
   * leaf and overflow page of the main, free-list and named trees. Pages on the free list are
   * the difference to size().
   */
  sizeInUse(): number {
    type Stat = { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number };
    const pages = (s: Stat): number => s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
    const env = this.env.getStats() as Stat & { root: Stat; free: Stat };
    let n = 2 + pages(env.root) + pages(env.free);
    for (const name of BUCKETS) n += pages(this.db(name).getStats() as Stat);
    return n * env.pageSize;
  }

  /** Flushes every committed transaction to stable storage (fsync of the data file). */
  forceSync(): void {
    if (this.batchDepth > 0) throw new Error('backend: forceSync inside batch()');
    fsyncPathSync(join(this.dir, DATA_FILE));
  }

  /**
   * Reclaims free pages: makes a compacting copy (LMDB's copy with MDB_CP_COMPACT, from a read
   * snapshot, so reads and writes continue meanwhile), then atomically renames it over the live
   * file and reopens. If writes committed while copying, the copy is stale and is retried;
   * after a few failed attempts ErrDefragBusy is thrown and nothing changed. A server that must
   * succeed pauses its apply loop while awaiting this, as etcd blocks writes during defrag.
   */
  async defrag(): Promise<void> {
    const tmp = join(this.dir, DEFRAG_DIR);
    for (let attempt = 0; attempt < DEFRAG_ATTEMPTS; attempt++) {
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp);
      const before = this.commits;
      await this.env.backup(tmp, true);
      if (this.closed) throw new Error('backend: closed during defrag');
      if (this.commits !== before || this.batchDepth > 0) continue;
      const copy = join(tmp, DATA_FILE);
      fsyncPathSync(copy);
      // Synchronous from here on: no read or write can interleave with the swap.
      this.closeEnv();
      renameSync(copy, join(this.dir, DATA_FILE));
      fsyncPathSync(this.dir);
      rmSync(tmp, { recursive: true, force: true });
      this.openEnv();
      return;
    }
    rmSync(tmp, { recursive: true, force: true });
    throw new ErrDefragBusy();
  }

  /**
   * A consistent, compacted copy of the whole database, written to `file` and fsynced (the data a
   * leader streams to a member that needs a Raft snapshot). Reads and writes go on meanwhile:
   * the copy comes from one read transaction, so it holds whole batches only.
   */
  async copyTo(file: string): Promise<void> {
    const tmp = `${file}.dir`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await this.env.backup(tmp, true);
      const copy = join(tmp, DATA_FILE);
      fsyncPathSync(copy);
      renameSync(copy, file);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Replaces the whole database with `file` (a snapshot received from the leader; the file is
   * moved, not copied) and runs the rollback hooks, so every in-memory layer built on the old
   * contents (index, leases) reloads from the new ones.
   */
  replaceWith(file: string): void {
    if (this.batchDepth > 0) throw new Error('backend: replaceWith inside batch()');
    this.db('key'); // closed check
    fsyncPathSync(file);
    this.closeEnv();
    renameSync(file, join(this.dir, DATA_FILE));
    fsyncPathSync(this.dir);
    this.openEnv();
    this.commits++;
    for (const h of [...this.rollbackHooks]) h();
  }

  /**
   * etcd's backend hash (the Hash RPC): CRC-32C over every bucket in byte order of names, each
   * contributing its name then key and value of each row, skipping the ignored (bucket, key)s.
   */
  hash(ignore: ReadonlyArray<{ bucket: Bucket; key: Uint8Array }> = DEFAULT_HASH_IGNORES): number {
    const names = [...BUCKETS].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    let h = 0;
    for (const name of names) {
      h = crc32cUpdate(h, Buffer.from(name, 'latin1'));
      const skip = ignore.filter((i) => i.bucket === name).map((i) => Buffer.from(i.key));
      let counts = true;
      const readKey = (buf: Uint8Array, s: number, e: number): undefined => {
        counts = !skip.some((k) => k.length === e - s && k.equals(buf.subarray(s, e)));
        if (counts) h = crc32cUpdateRange(h, buf, s, e);
        return undefined;
      };
      this.scan(name, undefined, undefined, readKey, (_k, value) => {
        if (counts) h = crc32cUpdate(h, value);
      });
    }
    return h;
  }

  private closeEnv(): void {
    // We never issue lmdb-js async writes, so close completes synchronously.
    void this.env.close();
    this.dbs.clear();
    this.scanDbs.clear();
  }

  close(): void {
    if (this.closed) return;
    if (this.batchDepth > 0) throw new Error('backend: close inside batch()');
    this.closeEnv();
    this.closed = true;
  }
}

/** etcd's DefaultIgnores: raft bookkeeping differs between members holding the same data. */
export const DEFAULT_HASH_IGNORES: ReadonlyArray<{ bucket: Bucket; key: Uint8Array }> = [
  { bucket: 'meta', key: META_CONSISTENT_INDEX },
  { bucket: 'meta', key: META_TERM },
];

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}


export function backendExists(dir: string): boolean {
  return existsSync(join(dir, DATA_FILE));
}
