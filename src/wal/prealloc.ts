// Prepares the next segment file in the background, like etcd's file_pipeline.
//
// Why: appending to a file changes its size, so every fdatasync must also commit the
// inode (a journal write on ext4). Overwriting blocks that already exist only flushes
// data. Node has no fallocate(), so the file is filled with zeros and fsynced; the zero
// tail reads back as end-of-log. The fill runs in 1 MiB writes through the async API, so
// the event loop and the foreground WAL writes keep going while it runs.

import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface PreparedFile {
  fh: FileHandle;
  path: string;
}

const CHUNK = 1024 * 1024;

export class Preallocator {
  private next: Promise<PreparedFile> | null = null;
  private counter = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly size: number,
  ) {}

  /** Starts preparing a file unless one is already prepared or in progress. */
  start(): void {
    if (this.next !== null || this.closed) return;
    this.ready = false;
    const p = this.make();
    p.then(
      () => (this.ready = this.next === p),
      () => undefined, // a failure surfaces in take(), which falls back to a fresh file
    );
    this.next = p;
  }

  /** True once a prepared file is waiting to be taken. */
  ready = false;

  /** The prepared file, or null if preparing it failed (the caller creates one itself). */
  async take(): Promise<PreparedFile | null> {
    const p = this.next;
    this.next = null;
    this.ready = false;
    if (p === null) return null;
    try {
      return await p;
    } catch {
      return null;
    }
  }

  /** Stops preparing and removes a prepared file that was not used. */
  async close(): Promise<void> {
    this.closed = true;
    const f = await this.take();
    if (f !== null) {
      await f.fh.close();
      await unlink(f.path).catch(() => undefined);
    }
  }

  private async make(): Promise<PreparedFile> {
    const path = join(this.dir, `prealloc.${process.pid}.${this.counter++}.tmp`);
    const fh = await open(path, 'w+', 0o600);
    try {
      const zeros = Buffer.alloc(Math.min(CHUNK, this.size));
      for (let off = 0; off < this.size && !this.closed; off += zeros.length) {
        await fh.write(zeros, 0, Math.min(zeros.length, this.size - off), off);
      }
      await fh.sync();
      return { fh, path };
    } catch (err) {
      await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
  }
}

