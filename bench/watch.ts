// Watch fan-out, in-process (no gRPC): events delivered per second to 1,000 watchers of one
// prefix (10 streams x 100 watches) while a writer commits puts through the MVCC store, the way
// the apply loop does (notify inside the write batch); plus catch-up from history (1,000 watchers
// starting at revision 1 over 5,000 revisions) and heap per watcher. Run alone with
//   node dist/bench/watch.js
// or import benchWatch() from the project's bench runner.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Backend } from '../src/backend/backend.js';
import { ResponseHeaderSchema, WatchCreateRequestSchema, WatchRequestSchema } from '../src/gen/etcdserverpb/rpc_pb.js';
import { MvccStore } from '../src/mvcc/store.js';
import { WatchHub } from '../src/watch/hub.js';
import { WatchStream } from '../src/watch/stream.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const STREAMS = 10;
const PER_STREAM = 100;

interface Rig {
  backend: Backend;
  store: MvccStore;
  hub: WatchHub;
  streams: WatchStream[];
  delivered: { events: number };
  close(): Promise<void>;
}

function openRig(): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'tsetcd-bench-watch-'));
  const backend = Backend.open(join(dir, 'db'));
  const store = MvccStore.open(backend);
  const hub = new WatchHub(store, { autoSync: false });
  const delivered = { events: 0 };
  return {
    backend,
    store,
    hub,
    streams: [],
    delivered,
    async close() {
      for (const s of this.streams) s.close();
      hub.close();
      await store.close();
      backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function addWatchers(rig: Rig, startRevision: bigint, prevKv = false): void {
  const header = create(ResponseHeaderSchema, { clusterId: 1n, memberId: 1n, raftTerm: 1n });
  for (let i = 0; i < STREAMS; i++) {
    const st = new WatchStream(rig.hub, {
      send: (r) => {
        rig.delivered.events += r.events.length;
      },
      header: () => header,
      maxRequestBytes: 2 * 1024 * 1024,
      progressIntervalMs: 0,
    });
    for (let j = 0; j < PER_STREAM; j++) {
      const value = create(WatchCreateRequestSchema, { key: Buffer.from('pods/'), rangeEnd: Buffer.from('pods0'), startRevision, prevKv });
      st.handle(create(WatchRequestSchema, { requestUnion: { case: 'createRequest', value } }));
    }
    rig.streams.push(st);
  }
}

function write(rig: Rig, txns: number, perBatch: number): void {
  const value = Buffer.alloc(256, 'v');
  for (let i = 0; i < txns; i += perBatch) {
    rig.backend.batch(() => {
      for (let j = i; j < Math.min(i + perBatch, txns); j++) {
        const t = rig.store.write();
        t.put(Buffer.from(`pods/ns/p${j % 1000}`), value);
        const r = t.end();
        rig.hub.notify(r.events, r.rev);
      }
    });
  }
}

interface Rate {
  wall: number;
  cpu: number;
}

function measure(rig: Rig, fn: () => void): Rate {
  const before = rig.delivered.events;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const n = rig.delivered.events - before;
  return { wall: (n / ms) * 1000, cpu: (n / ((c.user + c.system) / 1000)) * 1000 };
}

async function fanOut(txns: number, perBatch: number, prevKv: boolean): Promise<Rate> {
  const rig = openRig();
  try {
    addWatchers(rig, 0n, prevKv);
    write(rig, 200, perBatch); // warm-up
    return measure(rig, () => write(rig, txns, perBatch));
  } finally {
    await rig.close();
  }
}

async function catchUp(revisions: number): Promise<Rate> {
  const rig = openRig();
  try {
    write(rig, revisions, 100);
    addWatchers(rig, 1n);
    return measure(rig, () => {
      // bounded: each round moves up to 512 watchers forward by up to 1,000 revisions
      for (let i = 0; i < 1000 && rig.hub.syncNow() > 0; i++);
    });
  } finally {
    await rig.close();
  }
}

async function bytesPerWatcher(n: number): Promise<number> {
  const rig = openRig();
  try {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const saved = STREAMS * PER_STREAM;
    for (let k = 0; k < n / saved; k++) addWatchers(rig, 0n);
    gc?.();
    return (process.memoryUsage().heapUsed - before) / n;
  } finally {
    await rig.close();
  }
}

export async function benchWatch(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const add = (name: string, r: Rate): void => {
    results.push({ name, value: Math.round(r.wall), unit: 'events/s' });
    results.push({ name: `${name} (per CPU second)`, value: Math.round(r.cpu), unit: 'events/s' });
  };
  add('watch fan-out to 1,000 watchers, 1 put per batch', await fanOut(2000, 1, false));
  add('watch fan-out to 1,000 watchers, 100 puts per batch', await fanOut(5000, 100, false));
  add('watch fan-out to 1,000 watchers with prev_kv, 100 puts per batch', await fanOut(2000, 100, true));
  add('watch catch-up of 1,000 watchers over 5,000 revisions', await catchUp(5000));
  results.push({ name: 'watch heap per idle watcher (10,000 watchers)', value: Math.round(await bytesPerWatcher(10_000)), unit: 'bytes' });
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchWatch()) console.log(`${r.name}: ${r.value} ${r.unit}`);
}
