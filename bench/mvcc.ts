// Micro-benchmarks of the storage core (no network, no WAL): write txn throughput, range
// throughput, and startup (index rebuild) time with a large store. Run alone with
//   node dist/bench/mvcc.js [keysForStartup]
// or import benchMvcc() from the project's bench runner.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Backend } from '../src/backend/backend.js';
import { MvccStore } from '../src/mvcc/store.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

function key(i: number): Buffer {
  const k = Buffer.alloc(8);
  k.writeUInt32BE(Math.floor(i / 0x1_0000_0000), 0);
  k.writeUInt32BE(i >>> 0, 4);
  return k;
}

function withStore<T>(fn: (backend: Backend, store: MvccStore, dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-bench-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = MvccStore.open(backend);
  try {
    return fn(backend, store, dir);
  } finally {
    void store.close();
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const now = (): number => performance.now();

/** Throughput of n operations by wall time and by this process's CPU time: on a loaded
 *  machine (CI, shared dev boxes) the CPU-time figure is the one that stays comparable. */
interface Rate {
  wall: number;
  cpu: number;
}

function measure(n: number, fn: () => void): Rate {
  const c0 = process.cpuUsage();
  const t0 = now();
  fn();
  const wallS = (now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall: n / wallS, cpu: n / ((c.user + c.system) / 1e6) };
}

/** Puts of 8-byte keys / 256-byte values, `perBatch` write txns per backend batch. */
function benchPuts(total: number, perBatch: number, keySpace: number): Rate {
  const value = Buffer.alloc(256, 0x61);
  return withStore((backend, store) => measure(total, () => {
    for (let i = 0; i < total; i += perBatch) {
      backend.batch(() => {
        for (let j = i; j < i + perBatch && j < total; j++) {
          const txn = store.write();
          txn.put(key(j % keySpace), value);
          txn.end();
        }
        backend.setConsistentIndex(i + 1, 1);
      });
    }
  }));
}

function benchRanges(keys: number, reads: number, width: number): Rate {
  const value = Buffer.alloc(256, 0x61);
  return withStore((backend, store) => {
    for (let i = 0; i < keys; i += 1000) {
      backend.batch(() => {
        const txn = store.write();
        for (let j = i; j < i + 1000 && j < keys; j++) txn.put(key(j), value);
        txn.end();
      });
    }
    let n = 0;
    const rate = measure(reads, () => {
      for (let r = 0; r < reads; r++) {
        const start = (r * 7919) % keys;
        const res = width === 1 ? store.range(key(start), undefined) : store.range(key(start), key(start + width));
        n += res.kvs.length;
      }
    });
    if (n === 0) throw new Error('bench: ranges found nothing');
    return rate;
  });
}

/**
 * Kubernetes-like keys in no particular order relative to revisions (the realistic worst case
 * for rebuilding an ordered index): /registry/pods/ns<k>/pod-<x>, from a seeded generator.
 */
function k8sKey(i: number): Buffer {
  const x = (Math.imul(i + 1, 2654435761) >>> 0).toString(36);
  return Buffer.from(`/registry/pods/ns${i % 997}/pod-${x}-${i}`, 'latin1');
}

/**
 * Fills a store with `keys` keys (plus some history), closes it, reopens the backend in a fresh
 * state and times MvccStore.open: wall time and CPU time (the latter is what a loaded CI
 * machine distorts least).
 */
async function benchStartup(keys: number): Promise<{ openMs: number; cpuMs: number; rows: number; hashKvMs: number }> {
  const value = Buffer.alloc(100, 0x62);
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-bench-'));
  try {
    let backend = Backend.open(join(dir, 'db'));
    let store = MvccStore.open(backend);
    for (let i = 0; i < keys; i += 10_000) {
      backend.batch(() => {
        const txn = store.write();
        for (let j = i; j < i + 10_000 && j < keys; j++) txn.put(k8sKey(j), value);
        txn.end();
      });
    }
    // some history: a second version of every 10th key, and deletes of every 100th
    backend.batch(() => {
      const txn = store.write();
      for (let j = 0; j < keys; j += 10) txn.put(k8sKey(j), value);
      for (let j = 5; j < keys; j += 100) txn.deleteRange(k8sKey(j), undefined);
      txn.end();
    });
    const rev = store.rev;
    const rows = backend.count('key');
    await store.close();
    backend.close();
    store = undefined as unknown as MvccStore; // let the first index be collected
    backend = Backend.open(join(dir, 'db'));
    try {
      const cpu0 = process.cpuUsage();
      const t0 = now();
      const reopened = MvccStore.open(backend);
      const openMs = now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (reopened.rev !== rev) throw new Error('bench: reopened store has another revision');
      const h0 = now();
      reopened.hashKV(0);
      const hashKvMs = now() - h0;
      await reopened.close();
      return { openMs, cpuMs: (cpu.user + cpu.system) / 1000, rows, hashKvMs };
    } finally {
      backend.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMvcc(startupKeys = 1_000_000): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const add = (name: string, unit: string, r: Rate): void => {
    results.push({ name, value: Math.round(r.wall), unit });
    results.push({ name: `${name} (per CPU second)`, value: Math.round(r.cpu), unit });
  };
  add('mvcc put, 1 txn per batch', 'puts/s', benchPuts(50_000, 1, 10_000));
  add('mvcc put, 100 txns per batch', 'puts/s', benchPuts(200_000, 100, 50_000));
  add('mvcc range, 1 key (of 100k)', 'ranges/s', benchRanges(100_000, 200_000, 1));
  add('mvcc range, 100 keys (of 100k)', 'ranges/s', benchRanges(100_000, 10_000, 100));
  const st = await benchStartup(startupKeys);
  results.push({ name: `mvcc startup, ${startupKeys} k8s-like keys (${st.rows} rows), wall`, value: Math.round(st.openMs), unit: 'ms' });
  results.push({ name: `mvcc startup, ${startupKeys} k8s-like keys (${st.rows} rows), cpu`, value: Math.round(st.cpuMs), unit: 'ms' });
  results.push({ name: `mvcc hashKV, ${st.rows} rows`, value: Math.round(st.hashKvMs), unit: 'ms' });
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const keys = process.argv[2] !== undefined ? Number(process.argv[2]) : 1_000_000;
  for (const r of await benchMvcc(keys)) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
