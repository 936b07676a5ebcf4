// WAL benchmarks: how fast acknowledged writes can go through the write-ahead log.
//   node dist/bench/wal.js        (after building) prints the results
// Every number is end-to-end through the real disk: encode, one write, one fdatasync.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32Impl } from '../src/wal/crc32.js';
import { Wal, type WalEntry } from '../src/wal/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const quietLogger = { info: () => {}, warn: () => {} };

const SEGMENT = 8 * 1024 * 1024;

/**
 * Runs `body` against a fresh WAL in a temp dir, after writing a bit more than one segment
 * so the measurement runs in steady state: in a preallocated segment when preallocation
 * is on (the first segment never is), in an appended one when it is off.
 */
async function withWal(preallocate: boolean, body: (wal: Wal, next: number) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tsetcd-walbench-'));
  try {
    const wal = await Wal.create(join(root, 'wal'), new Uint8Array(16), {
      logger: quietLogger,
      preallocate,
      segmentSizeBytes: SEGMENT,
    });
    try {
      let next = 1;
      for (let written = 0; written < SEGMENT * 1.1; written += 1000 * 300) {
        await wal.saveAndSync(null, makeEntries(next, 1000, 300));
        next += 1000;
      }
      await body(wal, next);
    } finally {
      await wal.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function makeEntries(first: number, count: number, size: number): WalEntry[] {
  const data = new Uint8Array(size).fill(0x61);
  return Array.from({ length: count }, (_, k) => ({ index: first + k, term: 1, type: 0, data }));
}

/** Sequential saveAndSync of `perSync` entries; returns [syncs/s, entries/s]. */
async function sequential(perSync: number, size: number, ms: number, preallocate: boolean): Promise<[number, number]> {
  let syncs = 0;
  let elapsed = 0;
  await withWal(preallocate, async (wal, first) => {
    let next = first;
    const start = performance.now();
    const deadline = start + ms;
    // bounded: stops at the deadline or after 1e6 syncs, whichever comes first
    for (; syncs < 1_000_000 && performance.now() < deadline; syncs++) {
      await wal.saveAndSync({ term: 1, vote: 1n, commit: next - 1 }, makeEntries(next, perSync, size));
      next += perSync;
    }
    elapsed = (performance.now() - start) / 1000;
  });
  return [syncs / elapsed, (syncs * perSync) / elapsed];
}

/** `writers` concurrent callers each doing saveAndSync of one entry: acknowledged writes/s. */
async function concurrent(writers: number, size: number, ms: number): Promise<number> {
  let acks = 0;
  let elapsed = 0;
  await withWal(true, async (wal, first) => {
    let next = first;
    const start = performance.now();
    const deadline = start + ms;
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 1_000_000 && performance.now() < deadline; i++) {
        await wal.saveAndSync(null, makeEntries(next++, 1, size));
        acks++;
      }
    };
    await Promise.all(Array.from({ length: writers }, worker));
    elapsed = (performance.now() - start) / 1000;
  });
  return acks / elapsed;
}

export async function benchWal(): Promise<BenchResult[]> {
  const ms = 2000;
  const [syncs] = await sequential(1, 300, ms, true);
  const [syncsNoPrealloc] = await sequential(1, 300, ms, false);
  const [, entries] = await sequential(100, 300, ms, true);
  const group = await concurrent(64, 300, ms);
  return [
    { name: `wal syncs/s, 1 entry of 300 B per sync (crc32: ${crc32Impl})`, value: Math.round(syncs), unit: 'syncs/s' },
    { name: 'wal syncs/s, 1 entry per sync, no preallocation', value: Math.round(syncsNoPrealloc), unit: 'syncs/s' },
    { name: 'wal entries/s, 100 entries of 300 B per sync', value: Math.round(entries), unit: 'entries/s' },
    { name: 'wal acknowledged writes/s, 64 concurrent callers (group commit)', value: Math.round(group), unit: 'writes/s' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchWal()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
