// Small file-system helpers whose point is durability.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * fsync a directory so that file creations, renames and deletions in it survive a power
 * loss (POSIX makes the directory entry durable only through the directory's own fsync).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a file or directory by path, synchronously (for the few places that cannot await). */
export function fsyncPathSync(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `buf` at `position`, looping over short writes. */
/**
 * Below this size a WAL write goes straight to the page cache with a synchronous write(2): it
 * costs microseconds, while a trip through the libuv thread pool costs a thread hop each way and
 * sits in the latency of every acknowledged write. Only the fdatasync needs the thread pool.
 */
const SYNC_WRITE_MAX = 1024 * 1024;

export async function writeFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  if (buf.length <= SYNC_WRITE_MAX) {
    let off = 0;
    while (off < buf.length) {
      const n = writeSync(fh.fd, buf, off, buf.length - off, position + off);
      if (n <= 0) throw new Error('wal: write made no progress');
      off += n;
    }
    return;
  }
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('wal: write made no progress');
    done += bytesWritten;
  }
}
