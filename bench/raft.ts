// Micro-benchmark of the Raft core alone: a 3-voter cluster in one process, messages
// handed over in memory, storage in MemoryStorage. Measures how many entries per second
// get committed (and applied on the leader), and how much memory each entry costs.
//
//   node dist/bench/raft.js          (run alone)
//   import { benchRaft } from './raft.js'   (from bench/run.ts)
//
// No I/O is simulated: this is the ceiling the core imposes, not what a member reaches.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  type Message,
  type NodeId,
  RawNode,
  Sfc32,
  StateRole,
  MemoryStorage,
  bootstrapLog,
  decodeConfChange,
  EntryType,
} from '../src/raft/index.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const VOTERS = [1n, 2n, 3n];
const PAYLOAD = 128;

class BenchCluster {
  readonly nodes = new Map<NodeId, { raw: RawNode; storage: MemoryStorage }>();
  private inbox: Message[] = [];
  appliedOnLeader = 0;

  constructor() {
    const b = bootstrapLog(VOTERS);
    for (const id of VOTERS) {
      const storage = new MemoryStorage();
      storage.append(b.entries);
      storage.setHardState(b.hardState);
      const raw = new RawNode({
        id,
        electionTick: 10,
        heartbeatTick: 1,
        storage,
        rand: new Sfc32(Number(id)),
        checkQuorum: true,
        preVote: true,
        maxSizePerMsg: 1024 * 1024,
        maxInflightMsgs: 256,
      });
      this.nodes.set(id, { raw, storage });
    }
    this.drain(); // applies the bootstrap conf changes: membership is known from here on
    this.nodes.get(1n)!.raw.campaign();
    this.drain();
    if (this.nodes.get(1n)!.raw.raft.state !== StateRole.Leader) throw new Error('bench: no leader');
  }

  /** Processes every Ready and delivers every message until the cluster is quiet. */
  drain(): void {
    for (let round = 0; round < 10_000; round++) {
      let busy = false;
      for (const [id, n] of this.nodes) {
        for (let guard = 0; guard < 100 && n.raw.hasReady(); guard++) {
          busy = true;
          const rd = n.raw.ready();
          if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
          if (rd.entries.length > 0) n.storage.append(rd.entries);
          if (rd.hardState) n.storage.setHardState(rd.hardState);
          for (const m of rd.messages) this.inbox.push(m);
          for (const e of rd.committedEntries) {
            if (e.type === EntryType.ConfChange) n.raw.applyConfChange(decodeConfChange(e.data));
          }
          if (id === 1n) this.appliedOnLeader += rd.committedEntries.length;
          n.raw.advance(rd);
        }
      }
      if (this.inbox.length > 0) {
        busy = true;
        const batch = this.inbox;
        this.inbox = [];
        for (const m of batch) this.nodes.get(m.to)!.raw.step(m);
      }
      if (!busy) return;
    }
    throw new Error('bench: cluster did not quiesce');
  }

  /** Proposes `count` entries in batches of `batch` per turn (like one event-loop turn). */
  run(count: number, batch: number, payload: Uint8Array): void {
    const leader = this.nodes.get(1n)!.raw;
    for (let done = 0; done < count; ) {
      const n = Math.min(batch, count - done);
      for (let i = 0; i < n; i++) leader.propose(payload);
      done += n;
      this.drain();
    }
  }
}

function getGc(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

/** Entries/s at a given batch size. */
function throughput(batch: number, count: number): number {
  const c = new BenchCluster();
  const payload = new Uint8Array(PAYLOAD).fill(7);
  c.run(Math.min(2_000, count), batch, payload); // warm up the JIT
  const before = c.appliedOnLeader;
  const t0 = process.hrtime.bigint();
  c.run(count, batch, payload);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const applied = c.appliedOnLeader - before;
  if (applied < count) throw new Error(`bench: only ${applied}/${count} entries committed`);
  return count / secs;
}

/**
 * Bytes allocated per entry across the whole cluster: heap growth over short chunks during
 * which no garbage collection ran (chunks where one did are discarded), so nothing was
 * freed and growth equals allocation. Retained bytes per entry: heap growth after a forced
 * GC, i.e. what the three in-memory logs keep per entry.
 */
function memoryPerEntry(): { allocated: number; retained: number } | null {
  const gc = getGc();
  if (gc === null) return null;
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const c = new BenchCluster();
  const payload = new Uint8Array(PAYLOAD).fill(7);
  c.run(1_000, 64, payload);
  const chunk = 256;
  const samples: number[] = [];
  gc();
  const retainedStart = process.memoryUsage().heapUsed;
  let total = 0;
  for (let i = 0; i < 40; i++) {
    const g0 = gcs;
    const h0 = process.memoryUsage().heapUsed;
    c.run(chunk, 64, payload);
    total += chunk;
    const h1 = process.memoryUsage().heapUsed;
    if (gcs === g0 && h1 > h0) samples.push((h1 - h0) / chunk);
  }
  gc();
  const retained = (process.memoryUsage().heapUsed - retainedStart) / total;
  obs.disconnect();
  if (samples.length === 0) return { allocated: Number.NaN, retained };
  samples.sort((a, b) => a - b);
  return { allocated: samples[Math.floor(samples.length / 2)]!, retained };
}

export async function benchRaft(): Promise<BenchResult[]> {
  const results: BenchResult[] = [
    { name: 'raft: entries committed/s, 3 voters, batch 1', value: Math.round(throughput(1, 5_000)), unit: 'entries/s' },
    { name: 'raft: entries committed/s, 3 voters, batch 64', value: Math.round(throughput(64, 50_000)), unit: 'entries/s' },
  ];
  const mem = memoryPerEntry();
  if (mem !== null) {
    if (!Number.isNaN(mem.allocated)) {
      results.push({ name: 'raft: bytes allocated per entry (3 voters, 128 B payload)', value: Math.round(mem.allocated), unit: 'B/entry' });
    }
    results.push({ name: 'raft: heap retained per entry (3 in-memory logs)', value: Math.round(mem.retained), unit: 'B/entry' });
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchRaft()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
