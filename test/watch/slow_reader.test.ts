// A deliberately slow reader: its transport holds at most 4 responses and the client reads one
// response per event-loop turn. Meanwhile a writer commits 3,000 txns back to back. The writes
// must all complete without waiting for the reader, a fast watcher on the same key must get
// every event as it happens, the slow stream's memory must stay bounded (its watcher becomes a
// victim instead of queueing), and once the reader catches up it must have received every event
// exactly once, in order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WatchResponse } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { b, openWatchEnv, put } from './helpers.js';
import { createReq, openStream } from './stream_helpers.js';

const WRITES = 3000;
const TRANSPORT_CAPACITY = 4;
const QUEUE_LIMIT = 16;

test('a slow reader never blocks writers or other watchers, and loses nothing', async () => {
  const env = openWatchEnv({ syncIntervalMs: 1 });
  // the slow client's transport: a small buffer it drains one response per turn
  const inFlight: WatchResponse[] = [];
  const slowGot: WatchResponse[] = [];
  let peakQueued = 0;
  const slow = openStream(env, {
    queueLimit: QUEUE_LIMIT,
    send: (r) => {
      inFlight.push(r);
      return inFlight.length < TRANSPORT_CAPACITY;
    },
  });
  const fast = openStream(env);
  try {
    slow.stream.handle(createReq({ key: b('k') }));
    fast.stream.handle(createReq({ key: b('k') }));

    for (let i = 0; i < WRITES; i++) {
      put(env, 'k', String(i));
      peakQueued = Math.max(peakQueued, slow.stream.pendingEvents);
      // the fast watcher has every write the moment it is applied
      assert.equal(fast.sent.length, i + 2, `fast watcher behind at write ${i}`);
    }
    assert.equal(env.store.rev, WRITES + 1, 'every write completed while the reader read nothing');
    assert.ok(inFlight.length <= TRANSPORT_CAPACITY);
    assert.ok(peakQueued <= QUEUE_LIMIT, `slow stream queued ${peakQueued} events`);
    assert.equal(env.hub.stats().victims, 1, 'the slow watcher became a victim');

    // the client now reads, one response per turn; the hub catches the victim up from history
    for (let turn = 0; turn < 100_000; turn++) {
      const r = inFlight.shift();
      if (r !== undefined) slowGot.push(r);
      if (inFlight.length < TRANSPORT_CAPACITY) slow.stream.drain();
      const events = slowGot.reduce((n, x) => n + x.events.length, 0);
      if (events === WRITES && env.hub.stats().synced === 2) break;
      await new Promise((res) => setImmediate(res));
    }
    const values = slowGot.flatMap((r) => r.events.map((e) => Buffer.from(e.kv!.value).toString()));
    assert.equal(values.length, WRITES);
    assert.deepEqual(values, Array.from({ length: WRITES }, (_, i) => String(i)));
    const revs = slowGot.flatMap((r) => r.events.map((e) => Number(e.kv!.modRevision)));
    assert.deepEqual(revs, Array.from({ length: WRITES }, (_, i) => i + 2));
    // and it is back to live delivery
    put(env, 'k', 'live');
    for (let i = 0; i < 10 && inFlight.length > 0; i++) slowGot.push(inFlight.shift()!);
    assert.equal(Buffer.from(slowGot.at(-1)!.events.at(-1)!.kv!.value).toString(), 'live');
    console.log(`slow reader: ${WRITES} writes, peak queued events ${peakQueued}, responses to slow reader ${slowGot.length}`);
  } finally {
    slow.stream.close();
    fast.stream.close();
    await env.cleanup();
  }
});
