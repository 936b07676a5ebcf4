import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toBinary } from '@bufbuild/protobuf';
import { WatchCreateRequest_FilterType, WatchResponseSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { del, openWatchEnv, put, txn, b, type WatchEnv } from './helpers.js';
import { cancelReq, createReq, line, openStream, progressReq, type Harness } from './stream_helpers.js';
import type { WatchStreamOptions } from '../../src/watch/stream.js';

async function withStream(fn: (env: WatchEnv, h: Harness) => void | Promise<void>, opts: Partial<WatchStreamOptions> = {}): Promise<void> {
  const env = openWatchEnv();
  const h = openStream(env, opts);
  try {
    await fn(env, h);
  } finally {
    h.stream.close();
    await env.cleanup();
  }
}

const lines = (h: Harness): string[] => h.sent.map(line);

test('created response carries the id (server-assigned from 0) and the current revision; events follow', () =>
  withStream((env, h) => {
    put(env, 'x', '0'); // 2
    h.stream.handle(createReq({ key: b('a') }));
    h.stream.handle(createReq({ key: b('b') }));
    put(env, 'a', '1'); // 3
    put(env, 'b', '1'); // 4
    assert.deepEqual(lines(h), ['id=0 rev=2 created', 'id=1 rev=2 created', 'id=0 rev=3 [PUT a=1@3]', 'id=1 rev=4 [PUT b=1@4]']);
    assert.equal(h.sent[0]!.header!.clusterId, 11n);
    assert.equal(h.sent[0]!.header!.memberId, 22n);
    assert.equal(h.sent[0]!.header!.raftTerm, 3n);
  }));

test('client-chosen ids; auto ids skip taken ones; a duplicate id is refused like etcd', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: b('a'), watchId: 1n }));
    h.stream.handle(createReq({ key: b('a') })); // auto: 0
    h.stream.handle(createReq({ key: b('a') })); // auto: 1 is taken -> 2
    h.stream.handle(createReq({ key: b('a'), watchId: 2n }));
    assert.deepEqual(lines(h), [
      'id=1 rev=1 created',
      'id=0 rev=1 created',
      'id=2 rev=1 created',
      'id=-1 rev=1 created canceled reason=mvcc: duplicate watch ID provided on the WatchStream',
    ]);
    assert.deepEqual(h.stream.watchIds.sort(), [0n, 1n, 2n]);
    put(env, 'a', 'v');
    assert.equal(h.sent.length, 7, 'each of the three watches gets the event once');
  }));

test('key/range_end normalisation: empty key, range_end "\\0" (from key), prefix, empty range refused', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) })); // 0: everything
    h.stream.handle(createReq({ key: b('m'), rangeEnd: new Uint8Array([0]) })); // 1: >= m
    h.stream.handle(createReq({ key: b('p/'), rangeEnd: b('p0') })); // 2: prefix p/
    h.stream.handle(createReq({ key: b('z'), rangeEnd: b('a') })); // refused
    assert.equal(lines(h).at(-1), 'id=-1 rev=1 created canceled reason=mvcc: watcher range is empty');
    h.sent.length = 0;
    put(env, 'a', '1');
    put(env, 'p/x', '1');
    put(env, 'q', '1');
    assert.deepEqual(lines(h), [
      'id=0 rev=2 [PUT a=1@2]',
      'id=0 rev=3 [PUT p/x=1@3]',
      'id=1 rev=3 [PUT p/x=1@3]',
      'id=2 rev=3 [PUT p/x=1@3]',
      'id=0 rev=4 [PUT q=1@4]',
      'id=1 rev=4 [PUT q=1@4]',
    ]);
  }));

test('start_revision replays history in one response whose header is the current revision', () =>
  withStream((env, h) => {
    put(env, 'k', '1'); // 2
    put(env, 'k', '2'); // 3
    del(env, 'k'); // 4
    put(env, 'j', '1'); // 5
    h.stream.handle(createReq({ key: b('k'), startRevision: 3n, prevKv: true }));
    env.hub.syncNow();
    assert.deepEqual(lines(h), ['id=0 rev=5 created', 'id=0 rev=5 [PUT k=2@3<prev=1@2>, DELETE k@4<prev=2@3>]']);
  }));

test('a watch from a compacted revision is cancelled with compact_revision (header revision 0, as etcd)', () =>
  withStream((env, h) => {
    for (let i = 0; i < 4; i++) put(env, 'k', String(i)); // 2..5
    env.store.compact(4);
    h.stream.handle(createReq({ key: b('k'), startRevision: 2n, watchId: 7n }));
    env.hub.syncNow();
    assert.deepEqual(lines(h), ['id=7 rev=5 created', 'id=7 rev=0 canceled compact=4']);
    // as in etcd the id stays taken until the client cancels it
    h.stream.handle(createReq({ key: b('k'), watchId: 7n }));
    assert.match(lines(h).at(-1)!, /duplicate watch ID/);
    h.stream.handle(cancelReq(7n));
    assert.equal(lines(h).at(-1), 'id=7 rev=5 canceled');
  }));

test('cancel answers canceled=true for a known id, nothing for an unknown one; no events after', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: b('k') }));
    h.stream.handle(cancelReq(0n));
    h.stream.handle(cancelReq(42n));
    put(env, 'k', '1');
    assert.deepEqual(lines(h), ['id=0 rev=1 created', 'id=0 rev=1 canceled']);
  }));

test('filters and prev_kv from the create request', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: b('k'), filters: [WatchCreateRequest_FilterType.NOPUT], prevKv: true }));
    h.stream.handle(createReq({ key: b('k'), filters: [WatchCreateRequest_FilterType.NODELETE] }));
    put(env, 'k', '1');
    put(env, 'k', '2');
    del(env, 'k');
    assert.deepEqual(lines(h).slice(2), ['id=1 rev=2 [PUT k=1@2]', 'id=1 rev=3 [PUT k=2@3]', 'id=0 rev=4 [DELETE k@4<prev=2@3>]']);
  }));

test('progress request: immediate when every watcher is synced, deferred until they are', () =>
  withStream((env, h) => {
    put(env, 'k', '1'); // 2
    h.stream.handle(progressReq()); // no watchers: all (vacuously) synced
    h.stream.handle(createReq({ key: b('k') }));
    h.stream.handle(progressReq());
    assert.deepEqual(lines(h), ['id=-1 rev=2', 'id=0 rev=2 created', 'id=-1 rev=2']);
    h.sent.length = 0;
    h.stream.handle(createReq({ key: b('k'), startRevision: 2n })); // id 1, behind
    h.stream.handle(progressReq());
    put(env, 'k', '2'); // 3
    assert.deepEqual(lines(h), ['id=1 rev=2 created', 'id=0 rev=3 [PUT k=2@3]'], 'deferred: watcher 1 is behind');
    env.hub.syncNow();
    assert.deepEqual(lines(h).slice(2), ['id=1 rev=3 [PUT k=1@2, PUT k=2@3]', 'id=-1 rev=3'], 'answered after catch-up, never before its events');
  }));

test('progress_notify: a tick sends progress to synced watches that had no events since the last tick', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: b('a'), progressNotify: true })); // 0
    h.stream.handle(createReq({ key: b('b'), progressNotify: true })); // 1
    h.stream.handle(createReq({ key: b('c') })); // 2: did not ask
    h.sent.length = 0;
    h.clock.fire();
    assert.deepEqual(lines(h), ['id=0 rev=1', 'id=1 rev=1']);
    h.sent.length = 0;
    put(env, 'a', '1'); // 2
    h.clock.fire();
    assert.deepEqual(lines(h), ['id=0 rev=2 [PUT a=1@2]', 'id=1 rev=2'], 'watch 0 had an event: its notification is elided');
    h.sent.length = 0;
    h.clock.fire();
    assert.deepEqual(lines(h), ['id=0 rev=2', 'id=1 rev=2']);
    h.stream.close();
    assert.equal(h.clock.active, 0, 'close stops the ticker');
  }));

test('fragment: a response over the limit is split, fragment=true on all but the last', async () => {
  const limit = 300;
  await withStream(
    (env, h) => {
      h.stream.handle(createReq({ key: b('f/'), rangeEnd: b('f0'), fragment: true })); // 0
      h.stream.handle(createReq({ key: b('f/'), rangeEnd: b('f0') })); // 1: no fragment
      const v = 'v'.repeat(60);
      txn(
        env,
        Array.from({ length: 10 }, (_, i) => ['put', `f/${i}`, v] as ['put', string, string]),
      );
      const frags = h.sent.filter((r) => r.watchId === 0n && !r.created);
      assert.ok(frags.length > 1, `split into ${frags.length}`);
      assert.deepEqual(
        frags.map((r) => r.fragment),
        frags.map((_, i) => i < frags.length - 1),
      );
      assert.equal(frags.flatMap((r) => r.events).length, 10);
      for (const r of frags) {
        const size = toBinary(WatchResponseSchema, r).length;
        assert.ok(r.events.length === 1 || size < limit, `fragment of ${size} bytes with ${r.events.length} events`);
      }
      const whole = h.sent.filter((r) => r.watchId === 1n && !r.created);
      assert.equal(whole.length, 1);
      assert.equal(whole[0]!.fragment, false);
      assert.equal(whole[0]!.events.length, 10);
    },
    { maxRequestBytes: limit },
  );
});

test('a transport that pushes back: responses queue in order; a full queue makes victims, drain catches up', () =>
  withStream(
    (env, h) => {
      h.stream.handle(createReq({ key: b('k') }));
      h.writable = false;
      put(env, 'k', '1'); // 2: handed to send, which says "full"
      put(env, 'k', '2'); // 3: queued (1 event)
      put(env, 'k', '3'); // 4: queued (2 events = limit)
      put(env, 'k', '4'); // 5: queue full -> victim
      assert.equal(h.sent.length, 2);
      assert.equal(h.stream.pendingEvents, 2);
      assert.equal(env.hub.stats().pendingEvents, 2);
      assert.equal(env.hub.stats().victims, 1);
      put(env, 'k', '5'); // 6: victims get nothing pushed
      h.writable = true;
      h.stream.drain();
      assert.equal(env.hub.stats().pendingEvents, 0);
      env.hub.syncNow();
      put(env, 'k', '6'); // 7
      assert.deepEqual(lines(h).slice(1), [
        'id=0 rev=2 [PUT k=1@2]',
        'id=0 rev=3 [PUT k=2@3]',
        'id=0 rev=4 [PUT k=3@4]',
        'id=0 rev=6 [PUT k=4@5, PUT k=5@6]',
        'id=0 rev=7 [PUT k=6@7]',
      ]);
    },
    { queueLimit: 2 },
  ));

test('close cancels every watcher and sends nothing more', () =>
  withStream((env, h) => {
    h.stream.handle(createReq({ key: b('k') }));
    h.stream.handle(createReq({ key: b('k'), startRevision: 1n }));
    assert.equal(env.hub.stats().watchers, 2);
    h.stream.close();
    put(env, 'k', '1');
    env.hub.syncNow();
    h.stream.handle(createReq({ key: b('k') }));
    assert.equal(h.sent.length, 2);
    assert.equal(env.hub.stats().watchers, 0);
  }));

test('permit hook refuses a watch with etcd\'s cancel reason', () =>
  withStream(
    (_env, h) => {
      h.stream.handle(createReq({ key: b('secret') }));
      h.stream.handle(createReq({ key: b('open') }));
      assert.deepEqual(lines(h), ['id=-1 rev=1 created canceled reason=etcdserver: permission denied', 'id=0 rev=1 created']);
    },
    { permit: (c) => (Buffer.from(c.key).toString() === 'secret' ? 'etcdserver: permission denied' : undefined) },
  ));
