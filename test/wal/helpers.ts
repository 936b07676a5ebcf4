// Shared fixtures for the WAL tests: temp directories, deterministic entries, a logger
// that records what the WAL reported, and a datasync hook that counts (and can hold) syncs.

import { mkdtemp, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { WalEntry, WalLogger, WalOptions } from '../../src/wal/index.js';

/** A fresh directory under os.tmpdir(), removed when the test ends. Returns `<tmp>/wal`. */
export async function tempWalDir(t: TestContext): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'tsetcd-wal-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  return join(root, 'wal');
}

/** Deterministic payload for (index, term): any mix-up of entries shows in the bytes. */
export function payload(index: number, term: number, size = 16 + (index % 50)): Uint8Array {
  const b = new Uint8Array(size);
  let x = (index * 2654435761 + term * 40503) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = (x >>> 16) & 0xff;
  }
  return b;
}

export function entry(index: number, term = 1, size?: number): WalEntry {
  return { index, term, type: 0, data: payload(index, term, size) };
}

export function entries(from: number, to: number, term = 1, size?: number): WalEntry[] {
  const out: WalEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term, size));
  return out;
}

export interface RecordingLogger extends WalLogger {
  lines: { level: string; msg: string; fields: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  return {
    lines,
    info: (fields, msg) => lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => lines.push({ level: 'warn', msg, fields }),
  };
}

/**
 * A datasync hook counting calls. `hold()` makes syncs wait until the returned release()
 * is called; `reached(n)` resolves once n syncs have started (no polling, so no timing
 * assumptions about a loaded machine).
 */
export function countingDatasync(): {
  count: () => number;
  hold: () => () => void;
  /** Opens any held gate: for t.after, so a failed assertion never leaves a sync hanging. */
  releaseAll: () => void;
  reached: (n: number) => Promise<void>;
  datasync: (fh: FileHandle) => Promise<void>;
} {
  let n = 0;
  let gate: Promise<void> | null = null;
  let openGate: (() => void) | null = null;
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    count: () => n,
    hold: () => {
      let open!: () => void;
      gate = new Promise<void>((r) => (open = r));
      openGate = open;
      return () => {
        gate = null;
        open();
      };
    },
    releaseAll: () => {
      gate = null;
      openGate?.();
    },
    reached: (target) =>
      n >= target ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n: target, resolve })),
    datasync: async (fh) => {
      n++;
      for (const w of waiters.splice(0)) {
        if (n >= w.n) w.resolve();
        else waiters.push(w);
      }
      if (gate !== null) await gate;
      await fh.datasync();
    },
  };
}

/** Compact form of entries for deepStrictEqual messages. */
export function summary(es: readonly WalEntry[]): string[] {
  return es.map((e) => `${e.index}@${e.term}:${Buffer.from(e.data).toString('hex').slice(0, 12)}/${e.data.length}`);
}

/**
 * Options for tests: a logger that records instead of printing, and 256 KiB segments so
 * the background preallocation stays cheap (the 64 MiB default would dominate test time).
 */
export function quiet(extra: WalOptions & { repairTornTail?: boolean } = {}): WalOptions & { logger: RecordingLogger; repairTornTail?: boolean } {
  return { segmentSizeBytes: 256 * 1024, ...extra, logger: recordingLogger() };
}
