// The write-ahead log: a directory of segment files holding Raft's hard state, entries and
// snapshot markers, appended with one write and one fdatasync per sync().
//
// Usage by the node driver, once per Raft Ready:
//   if (ready.snapshot) wal.saveSnapshot(...);  // FIRST (as etcd >= 3.5), after snap/ has
//                                               // the snapshot file; entries follow it
//   wal.save(ready.hardState, ready.entries);   // encodes into memory, no I/O
//   await wal.sync();                           // one write + one fdatasync for all of it
//   ...only now acknowledge, send votes/appends that depend on it, advance().
// After a snapshot taken locally: saveSnapshot, sync, then releaseTo(snapshot index).
// On restart: const { wal, state } = await Wal.open(dir) and replay `state`.
//
// Group commit: sync() waits for every byte saved before the call. Callers in the same
// event-loop turn share one flush; callers arriving while a flush is on disk share the
// next one. The flush uses the async fs API (libuv's thread pool), so the event loop
// keeps serving requests while the disk works.
//
// Failure: if a write or fdatasync fails the WAL stops accepting work for good — after a
// failed fsync the kernel may have dropped the dirty pages, so retrying could report as
// durable data that is not. The server must exit and recover by reopening.

import { mkdir, open as openFile, readdir, rename, rm, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  RecordEncoder,
  checkEntry,
  checkHardState,
  checkMetadata,
  checkSnapshot,
  type Detached,
} from './encoder.js';
import { WalError } from './errors.js';
import { fsyncDir, writeFully } from './fsutil.js';
import { DirLock, isCode } from './lock.js';
import { Preallocator } from './prealloc.js';
import { readWal, type SegmentInfo } from './reader.js';
import { listSegments, segmentName } from './segments.js';
import type { HardState, SnapshotMarker, WalEntry, WalLogger, WalState } from './types.js';

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;

export interface WalOptions {
  /** Start a new segment once the current one reaches this many bytes. Default 64 MiB. */
  segmentSizeBytes?: number;
  /**
   * Zero-fill each next segment in the background once the tail is half full (see
   * prealloc.ts). Default true.
   */
  preallocate?: boolean;
  /** Where repairs and segment changes are reported. Default: JSON lines on stderr. */
  logger?: WalLogger;
  /**
   * The durability barrier, fh.datasync() by default. Tests inject one to count or delay
   * syncs; a no-op gives etcd's --unsafe-no-fsync.
   */
  datasync?: (fh: FileHandle) => Promise<void>;
  /** Feeds etcd's disk metrics (etcd_disk_wal_fsync_duration_seconds, ..._write_bytes_total). */
  metrics?: WalMetrics;
}

export interface WalMetrics {
  fsyncSeconds(seconds: number): void;
  writeBytes(bytes: number): void;
}

/** See maybePreallocate(): how much a non-preallocated segment takes before its successor is prepared. */
const EARLY_PREALLOC_BYTES = 1024 * 1024;

/** etcd logs an fdatasync slower than this ("slow fdatasync"); so do we. */
const WARN_SYNC_SECONDS = 1;

export interface OpenOptions extends WalOptions {
  /** Cut off a torn record at the end of the last segment (and log it). Default true. */
  repairTornTail?: boolean;
}

export interface OpenResult {
  wal: Wal;
  state: WalState;
}

/** Encoded bytes of one segment waiting to be written. */
interface Piece {
  seg: SegmentInfo;
  /** The segment does not exist on disk yet: create it with these bytes. */
  create: boolean;
  /** No more bytes will go to this segment: truncate, sync and close it after writing. */
  seal: boolean;
  data: Detached;
}

const stderrLogger: WalLogger = {
  info: (fields, msg) => process.stderr.write(JSON.stringify({ level: 'info', msg, ...fields }) + '\n'),
  warn: (fields, msg) => process.stderr.write(JSON.stringify({ level: 'warn', msg, ...fields }) + '\n'),
};

export class Wal {
  // ---- encoding side (synchronous, event loop) ----
  private readonly enc: RecordEncoder;
  /** Segment that the encoder's pending bytes belong to. */
  private encSeg: SegmentInfo;
  private encSegCreate = false;
  private encSegBytes: number;
  /** Whether the segment being encoded into lives in a zero-filled (preallocated) file. */
  private encSegPreallocated = false;
  private readonly sealed: Piece[] = [];
  private hardState: HardState | null;
  private snapshot: SnapshotMarker | null;
  /**
   * Index of the last entry of the log as open() would return it (or the snapshot index
   * if there is none): the next entry may be at most logEnd + 1.
   */
  private logEnd: number;
  /** Logical byte counters over the WAL's lifetime: encoded so far / known durable. */
  private encoded = 0;
  private durable = 0;
  /** Snapshot markers not yet known durable, with the logical offset that makes them so. */
  private readonly pendingSnapshots: { end: number; marker: SnapshotMarker }[] = [];
  private durableSnapshot: SnapshotMarker | null;

  // ---- disk side (async, serialized on `chain`) ----
  private chain: Promise<void> = Promise.resolve();
  private scheduled: Promise<void> | null = null;
  private inflight: { end: number; promise: Promise<void> } | null = null;
  private failure: Error | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly prealloc: Preallocator | null;

  private constructor(
    private readonly dir: string,
    private readonly metadata: Uint8Array,
    private readonly segments: SegmentInfo[],
    private tail: FileHandle,
    private tailOffset: number,
    crc: number,
    state: { hardState: HardState | null; snapshot: SnapshotMarker | null; logEnd: number },
    private readonly lock: DirLock,
    private readonly segmentSize: number,
    private readonly logger: WalLogger,
    private readonly rawDatasync: (fh: FileHandle) => Promise<void>,
    preallocate: boolean,
    private readonly metrics: WalMetrics | null,
  ) {
    this.enc = new RecordEncoder(crc);
    this.encSeg = segments[segments.length - 1]!;
    this.encSegBytes = tailOffset;
    this.hardState = state.hardState;
    this.snapshot = state.snapshot;
    this.durableSnapshot = state.snapshot;
    this.logEnd = state.logEnd;
    this.prealloc = preallocate ? new Preallocator(dir, segmentSize) : null;
    this.maybePreallocate();
  }

  /** True if `dir` holds WAL segments. */
  static async exists(dir: string): Promise<boolean> {
    try {
      return (await listSegments(dir)).length > 0;
    } catch (err) {
      if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return false;
      throw err;
    }
  }

  /**
   * Creates a WAL in `dir` (which must not hold one) with `metadata` recorded at the head
   * of every segment. Built in `<dir>.tmp` and renamed into place, so a crash midway
   * leaves either no WAL or a complete one.
   */
  static async create(dir: string, metadata: Uint8Array, opts: WalOptions = {}): Promise<Wal> {
    checkMetadata(metadata);
    if (await Wal.exists(dir)) throw new WalError(`wal: ${dir} already holds a WAL`);
    const tmp = `${dir.replace(/\/+$/, '')}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const enc = new RecordEncoder(0);
    enc.crcRecord();
    enc.metadata(metadata);
    const fh = await openFile(join(tmp, segmentName(0, 0)), 'wx', 0o600);
    try {
      // Not preallocated: zero-filling 64 MiB here would make every first start (and
      // every test that creates a member) wait for it. Later segments are prepared ahead.
      await writeFully(fh, enc.detach().bytes, 0);
      await (opts.datasync ?? defaultDatasync)(fh);
    } finally {
      await fh.close();
    }
    await fsyncDir(tmp);
    await rmdir(dir).catch((err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw new WalError(`wal: cannot create a WAL in ${dir}: ${String(err)}`);
    });
    await rename(tmp, dir);
    await fsyncDir(dirname(dir));
    const { wal } = await Wal.open(dir, opts);
    return wal;
  }

  /** Opens the WAL in `dir`, reads everything back and readies it for appending. */
  static async open(dir: string, opts: OpenOptions = {}): Promise<OpenResult> {
    const logger = opts.logger ?? stderrLogger;
    const lock = await DirLock.acquire(dir);
    try {
      for (const name of await readdir(dir)) {
        if (name.endsWith('.tmp')) await unlink(join(dir, name)); // unused preallocated files
      }
      const read = await readWal(dir, {
        repairTornTail: opts.repairTornTail ?? true,
        logger,
        datasync: opts.datasync ?? defaultDatasync,
      });
      const { state, segments } = read;
      const tail = await openFile(join(dir, segments[segments.length - 1]!.name), 'r+');
      const wal = new Wal(
        dir,
        new Uint8Array(state.metadata), // the caller owns `state` and may change it
        segments,
        tail,
        read.tailOffset,
        read.crc,
        {
          hardState: read.hardState,
          snapshot: read.snapshot,
          logEnd: state.entries.at(-1)?.index ?? state.snapshot?.index ?? 0,
        },
        lock,
        opts.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE,
        logger,
        opts.datasync ?? defaultDatasync,
        opts.preallocate ?? true,
        opts.metrics ?? null,
      );
      // A tail with zeros past the log's end was preallocated; the first segment never is.
      wal.encSegPreallocated = (await tail.stat()).size > read.tailOffset;
      return { wal, state };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /**
   * Appends `entries` then `hardState` (if not null) to the in-memory batch. No I/O: the
   * records are durable once a later sync() resolves. Entry data is copied, so callers
   * may reuse their buffers. The whole call is validated before anything is encoded.
   */
  save(hardState: HardState | null, entries: readonly WalEntry[]): void {
    this.checkWritable();
    // A hole would make the log unreadable on the next open (etcd's ErrSliceOutOfRange),
    // i.e. a member that cannot restart: refuse it now, while the caller can still react.
    // (The read-back rule ignores entries at or below the snapshot; so does this check.)
    const snap = this.snapshot?.index ?? 0;
    let end = this.logEnd;
    for (const e of entries) {
      checkEntry(e);
      if (e.index > end + 1) throw new RangeError(`wal: entry ${e.index} would leave a hole after entry ${end}`);
      if (e.index > snap) end = e.index;
    }
    if (hardState !== null) checkHardState(hardState);
    const before = this.enc.pending;
    for (const e of entries) {
      this.enc.entry(e);
      if (e.index > this.encSeg.maxIndex) this.encSeg.maxIndex = e.index;
    }
    this.logEnd = end;
    if (hardState !== null) {
      this.enc.hardState(hardState);
      this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
    }
    this.account(before);
    this.maybeCut();
  }

  /**
   * Records that a snapshot at `marker` is durable (in snap/). Entries up to its index are
   * no longer returned by open(), and releaseTo() may delete segments it covers once the
   * marker itself is synced. Markers must not go backwards.
   */
  saveSnapshot(marker: SnapshotMarker): void {
    this.checkWritable();
    checkSnapshot(marker);
    if (this.snapshot !== null && marker.index < this.snapshot.index) {
      throw new RangeError(`wal: snapshot ${marker.index} is older than snapshot ${this.snapshot.index}`);
    }
    const before = this.enc.pending;
    this.enc.snapshot(marker);
    this.snapshot = { index: marker.index, term: marker.term };
    if (this.logEnd < marker.index) this.logEnd = marker.index;
    this.account(before);
    this.pendingSnapshots.push({ end: this.encoded, marker: this.snapshot });
    this.maybeCut();
  }

  /** Resolves once everything saved before this call is on disk (one fdatasync). */
  sync(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const target = this.encoded;
    if (target <= this.durable) return Promise.resolve();
    if (this.inflight !== null && target <= this.inflight.end) return this.inflight.promise;
    if (this.scheduled !== null) return this.scheduled;
    // Run on the chain: after the flush in flight, and never earlier than the next
    // microtask, so every save() of this event-loop turn joins this flush.
    const p = this.chain.then(() => this.flush());
    this.scheduled = p;
    this.chain = p.catch(() => undefined);
    return p;
  }

  saveAndSync(hardState: HardState | null, entries: readonly WalEntry[]): Promise<void> {
    this.save(hardState, entries);
    return this.sync();
  }

  /**
   * Deletes whole segments that hold nothing at or above `index`, never beyond the last
   * durable snapshot marker and never the segment being written. Call it after a snapshot
   * at `index` is saved and synced.
   */
  releaseTo(index: number): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const p = this.chain.then(() => this.release(index));
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Syncs what is saved, closes files and releases the directory lock. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true; // no more saves; what is saved still gets synced
    let err: unknown = null;
    try {
      await this.sync();
    } catch (e) {
      err = e;
    }
    await this.chain;
    await this.prealloc?.close();
    await this.tail.close().catch(() => undefined);
    await this.lock.release();
    if (err !== null) throw err;
  }

  /** Names of the segment files currently on disk, oldest first (for tools and tests). */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  // ---------------------------------------------------------------------------------

  private checkWritable(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closing) throw new WalError('wal: closed');
  }

  private account(pendingBefore: number): void {
    const added = this.enc.pending - pendingBefore;
    this.encoded += added;
    this.encSegBytes += added;
  }

  /**
   * Ends the current segment once it is full and starts the next one in memory. The new
   * segment opens with a header that makes it readable on its own once older segments
   * are deleted: the chained crc, the metadata, and the latest hard state and snapshot.
   */
  private maybeCut(): void {
    if (this.encSegBytes < this.segmentSize && !this.cutIntoPreallocated()) return;
    this.encSegPreallocated = this.prealloc?.ready ?? false;
    this.sealed.push({ seg: this.encSeg, create: this.encSegCreate, seal: true, data: this.enc.detach() });
    const seq = this.encSeg.seq + 1;
    const firstIndex = this.logEnd + 1;
    this.encSeg = { seq, firstIndex, name: segmentName(seq, firstIndex), maxIndex: 0 };
    this.encSegCreate = true;
    this.encSegBytes = 0;
    this.enc.crcRecord();
    this.enc.metadata(this.metadata);
    if (this.hardState !== null) this.enc.hardState(this.hardState);
    if (this.snapshot !== null) this.enc.snapshot(this.snapshot);
    this.account(0);
  }

  private async flush(): Promise<void> {
    const self = this.scheduled!;
    this.scheduled = null;
    if (this.failure !== null) throw this.failure;
    const end = this.encoded;
    const pieces = this.sealed.splice(0);
    pieces.push({ seg: this.encSeg, create: this.encSegCreate, seal: false, data: this.enc.detach() });
    this.encSegCreate = false; // this flush creates it
    this.inflight = { end, promise: self };
    try {
      let unsynced = false;
      for (const piece of pieces) {
        if (piece.create) {
          await this.createSegment(piece);
          unsynced = false;
        } else if (piece.data.bytes.length > 0) {
          await writeFully(this.tail, piece.data.bytes, this.tailOffset);
          this.metrics?.writeBytes(piece.data.bytes.length);
          this.tailOffset += piece.data.bytes.length;
          unsynced = true;
        }
        if (piece.seal) {
          await this.sealTail();
          unsynced = false;
        }
        this.enc.recycle(piece.data.backing);
      }
      if (unsynced) await this.datasync(this.tail);
      this.maybePreallocate();
      this.durable = end;
      while (this.pendingSnapshots.length > 0 && this.pendingSnapshots[0]!.end <= end) {
        this.durableSnapshot = this.pendingSnapshots.shift()!.marker;
      }
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      throw this.failure;
    } finally {
      this.inflight = null;
    }
  }

  /**
   * Makes everything written to the tail durable and stops writing to it. fdatasync also
   * persists the size change, as it is needed to read the data back; and were it lost,
   * the preallocated zeros left behind read as the segment's end anyway.
   */
  private async sealTail(): Promise<void> {
    await this.tail.truncate(this.tailOffset); // drop the unused preallocated zeros
    await this.datasync(this.tail);
    await this.tail.close();
  }

  /**
   * Creates a segment whose first bytes are `piece`'s: written into a preallocated (or
   * fresh) temporary file, synced, then renamed into place and the directory synced. A
   * crash before the rename leaves only a .tmp file, which open() ignores and deletes.
   */
  private async createSegment(piece: Piece): Promise<void> {
    const prepared = await this.prealloc?.take();
    let fh: FileHandle;
    let tmpPath: string;
    if (prepared) {
      ({ fh, path: tmpPath } = prepared);
    } else {
      tmpPath = join(this.dir, `${piece.seg.seq}.${process.pid}.tmp`);
      fh = await openFile(tmpPath, 'w+', 0o600);
    }
    try {
      await writeFully(fh, piece.data.bytes, 0);
      this.metrics?.writeBytes(piece.data.bytes.length);
      await this.datasync(fh);
      await rename(tmpPath, join(this.dir, piece.seg.name));
      await fsyncDir(this.dir);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    this.tail = fh;
    this.tailOffset = piece.data.bytes.length;
    this.segments.push(piece.seg);
    this.logger.info({ file: join(this.dir, piece.seg.name) }, 'wal: started a new segment');
  }

  /**
   * Prepares the next segment once the tail is half full: early enough to be ready at the
   * cut, late enough that the zero-fill does not compete with start-up and recovery I/O.
   * A segment that is NOT preallocated (the first one, which create() does not zero-fill)
   * gets its successor prepared once EARLY_PREALLOC_BYTES were written to it — a member that
   * only lives for a short test never pays for the 64 MiB zero-fill.
   */
  private maybePreallocate(): void {
    const half = this.segmentSize / 2;
    const threshold = this.encSegPreallocated ? half : Math.min(half, EARLY_PREALLOC_BYTES);
    if (this.tailOffset >= threshold) this.prealloc?.start();
  }

  /**
   * Appending to a file that grows makes every fdatasync also commit the inode (a journal write);
   * overwriting preallocated zeros does not. So once a prepared file is ready, a tail that is not
   * preallocated is cut early and the log continues in the prepared file.
   */
  private cutIntoPreallocated(): boolean {
    return !this.encSegPreallocated && this.encSegBytes > 0 && (this.prealloc?.ready ?? false);
  }

  /** The injected (or default) fdatasync, timed for metrics and the slow-disk warning. */
  private async datasync(fh: FileHandle): Promise<void> {
    const start = performance.now();
    await this.rawDatasync(fh);
    const seconds = (performance.now() - start) / 1000;
    this.metrics?.fsyncSeconds(seconds);
    if (seconds > WARN_SYNC_SECONDS) {
      this.logger.warn({ took: `${seconds.toFixed(3)}s`, expected: `${WARN_SYNC_SECONDS}s` }, 'wal: slow fdatasync');
    }
  }

  private async release(index: number): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const limit = Math.min(index, this.durableSnapshot?.index ?? 0);
    let k = 0;
    while (k < this.segments.length - 1 && this.segments[k]!.maxIndex <= limit) k++;
    if (k === 0) return;
    // Oldest first, so a crash midway leaves a gap-free run of segments.
    for (const seg of this.segments.slice(0, k)) {
      await unlink(join(this.dir, seg.name)).catch((err: unknown) => {
        if (!isCode(err, 'ENOENT')) throw err; // gone already: a retry after a failed release
      });
    }
    this.segments.splice(0, k);
    await fsyncDir(this.dir);
  }
}

function defaultDatasync(fh: FileHandle): Promise<void> {
  return fh.datasync();
}
