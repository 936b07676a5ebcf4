// Small file-system helpers whose point is durability.

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

/** Writes all of `buf` at `position`, looping over short writes. */
export async function writeFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('wal: write made no progress');
    done += bytesWritten;
  }
}
