// An exclusive lock on a WAL directory, held by a pid file.
//
// Node has no flock(), so the lock is a file created with O_EXCL that names its owner:
// pid plus the process start time from /proc (so a pid reused after a crash is not taken
// for the dead owner). A lock whose owner is gone is taken over: it is first renamed away
// — atomically, so of two processes racing for a stale lock only one moves it — and the
// mover checks that what it moved really was the stale lock before creating its own.

import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { WalLockedError } from './errors.js';

export const LOCK_FILE = 'LOCK';

/** An unreadable lock younger than this may be one being written right now. */
const FRESH_MS = 10_000;

interface Owner {
  pid: number;
  start: string;
}

export class DirLock {
  private constructor(private readonly path: string) {}

  static async acquire(dir: string): Promise<DirLock> {
    const path = join(dir, LOCK_FILE);
    const me = JSON.stringify({ pid: process.pid, start: startTime(process.pid) } satisfies Owner);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o600);
        try {
          await fh.writeFile(me);
        } finally {
          await fh.close();
        }
        return new DirLock(path);
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const seen = await readIfExists(path);
      if (seen === null) continue; // released meanwhile: try again
      const owner = parseOwner(seen);
      if (owner === null) {
        if (await isFresh(path)) throw new WalLockedError(dir, 'a process still writing its lock file');
      } else if (isAlive(owner)) {
        throw new WalLockedError(dir, `pid ${owner.pid}${owner.pid === process.pid ? ' (this process)' : ''}`);
      }
      await takeOverStale(dir, path, seen);
    }
    throw new WalLockedError(dir, 'another process racing for it');
  }

  async release(): Promise<void> {
    await unlink(this.path).catch((err: unknown) => {
      if (!isCode(err, 'ENOENT')) throw err;
    });
  }
}

async function takeOverStale(dir: string, path: string, seen: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${Date.now()}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return; // someone else moved it
    throw err;
  }
  const moved = await readIfExists(aside);
  if (moved !== seen) {
    // We moved a lock created after our check: put it back and give up.
    await link(aside, path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    throw new WalLockedError(dir, 'another process that just took it');
  }
  await unlink(aside);
}

function parseOwner(text: string): Owner | null {
  try {
    const v = JSON.parse(text) as Partial<Owner>;
    if (typeof v.pid === 'number' && typeof v.start === 'string') return { pid: v.pid, start: v.start };
  } catch {
    // fall through
  }
  return null;
}

function isAlive(o: Owner): boolean {
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if (!isCode(err, 'EPERM')) return false;
  }
  const now = startTime(o.pid);
  return o.start === '' || now === '' || now === o.start;
}

/** Process start time in clock ticks since boot (Linux /proc), or '' where unavailable. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses; fields after the last ')' are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? ''; // field 22 overall
  } catch {
    return '';
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return null;
    throw err;
  }
}

async function isFresh(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < FRESH_MS;
  } catch {
    return false;
  }
}

export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
