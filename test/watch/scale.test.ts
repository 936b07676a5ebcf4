// 10,000 watchers on one key prefix (100 streams x 100 watches), half of the streams stuck (their
// transport never takes another response). Memory must stay bounded while writes go on: the
// stuck watchers become victims holding nothing but a revision, so heap growth between 500 and
// 2,000 writes stays small, where queueing every event for 5,000 stuck watchers would need
// gigabytes. Reports heap and per-write notify cost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { create } from '@bufbuild/protobuf';
import { ResponseHeaderSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { WatchStream } from '../../src/watch/stream.js';
import { b, openWatchEnv, put } from './helpers.js';
import { createReq } from './stream_helpers.js';

const STREAMS = 100;
const PER_STREAM = 100;
const QUEUE_LIMIT = 64;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

test('10,000 watchers on one prefix: bounded memory with half of them stuck', async () => {
  const env = openWatchEnv({ autoSync: false });
  const streams: WatchStream[] = [];
  let delivered = 0;
  try {
    const header = create(ResponseHeaderSchema, { clusterId: 1n, memberId: 1n, raftTerm: 1n });
    const base = heapMb();
    for (let i = 0; i < STREAMS; i++) {
      const stuck = i % 2 === 1;
      const st = new WatchStream(env.hub, {
        send: (r) => {
          delivered += r.events.length;
          return !stuck; // a stuck transport takes this one response and then reports full forever
        },
        header: () => header,
        maxRequestBytes: 2 * 1024 * 1024,
        progressIntervalMs: 0,
        queueLimit: QUEUE_LIMIT,
      });
      for (let j = 0; j < PER_STREAM; j++) st.handle(createReq({ key: b('pods/'), rangeEnd: b('pods0') }));
      streams.push(st);
    }
    const withWatchers = heapMb();
    assert.equal(env.hub.stats().watchers, STREAMS * PER_STREAM);
    assert.equal(env.hub.stats().syncedRanges, 1);

    const value = 'x'.repeat(100);
    const writeMany = (n: number, from: number): number => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) put(env, `pods/p${(from + i) % 500}`, value);
      return Number(process.hrtime.bigint() - t0) / 1e6 / n;
    };
    const msPerWrite1 = writeMany(500, 0);
    const after500 = heapMb();
    const msPerWrite2 = writeMany(1500, 500);
    const after2k = heapMb();

    const stats = env.hub.stats();
    assert.equal(stats.victims, (STREAMS / 2) * PER_STREAM, 'every watcher of a stuck stream is a victim');
    assert.equal(stats.synced, (STREAMS / 2) * PER_STREAM);
    for (const [i, st] of streams.entries()) {
      if (i % 2 === 1) assert.ok(st.pendingEvents <= QUEUE_LIMIT, `stuck stream ${i} queued ${st.pendingEvents}`);
      else assert.equal(st.pendingEvents, 0);
    }
    // Live watchers got all 2,000 events each.
    assert.ok(delivered >= (STREAMS / 2) * PER_STREAM * 2000);
    const growth = after2k - after500;
    console.log(
      `10k watchers: heap base ${base.toFixed(1)} MB, +watchers ${(withWatchers - base).toFixed(1)} MB ` +
        `(${(((withWatchers - base) * 1024 * 1024) / (STREAMS * PER_STREAM)).toFixed(0)} B/watcher), ` +
        `after 500 writes ${(after500 - base).toFixed(1)} MB, after 2,000 writes ${(after2k - base).toFixed(1)} MB; ` +
        `write+notify ${msPerWrite1.toFixed(2)} / ${msPerWrite2.toFixed(2)} ms per write (5,000 live deliveries each)`,
    );
    assert.ok(growth < 40, `heap grew ${growth.toFixed(1)} MB from 500 to 2,000 writes`);
  } finally {
    for (const st of streams) st.close();
    await env.cleanup();
  }
});
