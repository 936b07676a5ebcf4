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
 * Opens a fresh WAL in a temp dir and writes a bit more than one segment, so measurements
 * run in steady state: in a preallocated segment when preallocation is on (the first
 * segment never is), in an appended one when it is off.
 */
async function steadyWal(preallocate: boolean): Promise<{ wal: Wal; next: number; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'tsetcd-walbench-'));
  const wal = await Wal.create(join(root, 'wal'), new Uint8Array(16), {
    logger: quietLogger,
    preallocate,
    segmentSizeBytes: SEGMENT,
  });
  let next = 1;
  for (let written = 0; written < SEGMENT * 1.1; written += 1000 * 300) {
    await wal.saveAndSync(null, makeEntries(next, 1000, 300));
    next += 1000;
  }
  const dispose = async (): Promise<void> => {
    await wal.close();
    await rm(root, { recursive: true, force: true });
  };
  return { wal, next, dispose };
}

async function withWal(preallocate: boolean, body: (wal: Wal, next: number) => Promise<void>): Promise<void> {
  const { wal, next, dispose } = await steadyWal(preallocate);
  try {
    await body(wal, next);
  } finally {
    await dispose();
  }
}

function makeEntries(first: number, count: number, size: number): WalEntry[] {
  const data = new Uint8Array(size).fill(0x61);
  return Array.from({ length: count }, (_, k) => ({ index: first + k, term: 1, type: 0, data }));
}

/**
 * Sequential saveAndSync of `perSync` entries per sync on each of the given WALs, taking
 * turns in short slices so that all of them see the same disk (the disk of a shared
 * machine drifts a lot within seconds). Returns syncs/s for each.
 */
async function sequential(wals: { wal: Wal; next: number }[], perSync: number, size: number, ms: number): Promise<number[]> {
  const slices = 10;
  const syncs = wals.map(() => 0);
  const time = wals.map(() => 0);
  for (let s = 0; s < slices; s++) {
    for (const [i, w] of wals.entries()) {
      const start = performance.now();
      const deadline = start + ms / slices / wals.length;
      // bounded: stops at the deadline or after 1e6 syncs, whichever comes first
      for (let n = 0; n < 1_000_000 && performance.now() < deadline; n++) {
        await w.wal.saveAndSync({ term: 1, vote: 1n, commit: w.next - 1 }, makeEntries(w.next, perSync, size));
        w.next += perSync;
        syncs[i]!++;
      }
      time[i]! += (performance.now() - start) / 1000;
    }
  }
  return syncs.map((n, i) => n / time[i]!);
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
  const ms = 4000;
  const pre = await steadyWal(true);
  const plain = await steadyWal(false);
  let syncs: number;
  let syncsPlain: number;
  let entries: number;
  try {
    [syncs, syncsPlain] = (await sequential([pre, plain], 1, 300, ms)) as [number, number];
    [entries] = (await sequential([pre], 100, 300, ms / 2)) as [number];
    entries *= 100;
  } finally {
    await pre.dispose();
    await plain.dispose();
  }
  const group = await concurrent(64, 300, ms / 2);
  return [
    { name: `wal syncs/s, 1 entry of 300 B per sync (crc32: ${crc32Impl})`, value: Math.round(syncs), unit: 'syncs/s' },
    { name: 'wal syncs/s, same, without preallocation (interleaved A/B)', value: Math.round(syncsPlain), unit: 'syncs/s' },
    { name: 'wal entries/s, 100 entries of 300 B per sync', value: Math.round(entries), unit: 'entries/s' },
    { name: 'wal acknowledged writes/s, 64 concurrent callers (group commit)', value: Math.round(group), unit: 'writes/s' },
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchWal()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
