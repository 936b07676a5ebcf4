import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEY_INFINITY, type KeyRange } from '../../src/watch/key_range.js';
import { del, openWatchEnv, put, RecordingSink, txn, type WatchEnv } from './helpers.js';

const key = (k: string): KeyRange => ({ start: k, end: undefined });
const prefix = (p: string): KeyRange => ({ start: p, end: p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1) });

async function withEnv(fn: (env: WatchEnv) => void | Promise<void>): Promise<void> {
  const env = openWatchEnv();
  try {
    await fn(env);
  } finally {
    await env.cleanup();
  }
}

test('a synced watcher gets each txn as one batch, with the txn revision', () =>
  withEnv((env) => {
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: prefix('a/'), startRev: 0, sink });
    assert.equal(w.state, 'synced');
    put(env, 'a/1', 'x');
    put(env, 'b', 'ignored');
    txn(env, [
      ['put', 'a/2', 'y'],
      ['put', 'zz', 'not watched'],
      ['put', 'a/3', 'z'],
    ]);
    del(env, 'a/1');
    assert.deepEqual(
      sink.deliveries.map((d) => [d.rev, d.events]),
      [
        [2, ['PUT a/1=x@2']],
        [4, ['PUT a/2=y@4', 'PUT a/3=z@4']],
        [5, ['DELETE a/1@5']],
      ],
    );
  }));

test('single key, range, from-key and whole-keyspace watchers see exactly their keys', () =>
  withEnv((env) => {
    const sink = new RecordingSink();
    const one = env.hub.watch({ range: key('b'), startRev: 0, sink });
    const rng = env.hub.watch({ range: { start: 'b', end: 'd' }, startRev: 0, sink });
    const from = env.hub.watch({ range: { start: 'c', end: KEY_INFINITY }, startRev: 0, sink });
    const all = env.hub.watch({ range: { start: '\0', end: KEY_INFINITY }, startRev: 0, sink });
    for (const k of ['a', 'b', 'ba', 'c', 'd', '\xff\xff']) put(env, k, '1');
    const keys = (w: typeof one): string[] => sink.eventsOf(w).map((e) => e.split(/[ =]/)[1]!);
    assert.deepEqual(keys(one), ['b']);
    assert.deepEqual(keys(rng), ['b', 'ba', 'c']);
    assert.deepEqual(keys(from), ['c', 'd', '\xff\xff']);
    assert.deepEqual(keys(all), ['a', 'b', 'ba', 'c', 'd', '\xff\xff']);
  }));

test('a watcher with a future start revision is synced and skips earlier revisions', () =>
  withEnv((env) => {
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: key('k'), startRev: 4, sink });
    assert.equal(w.state, 'synced');
    for (let i = 0; i < 4; i++) put(env, 'k', String(i));
    assert.deepEqual(sink.eventsOf(w), ['PUT k=2@4', 'PUT k=3@5']);
  }));

test('a watcher from an old revision is caught up from history in one response at the head revision', () =>
  withEnv((env) => {
    put(env, 'k', '1'); // 2
    put(env, 'other', '1'); // 3
    txn(env, [
      ['put', 'k', '2'],
      ['put', 'k2', '1'],
    ]); // 4
    del(env, 'k'); // 5
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: { start: 'k', end: 'l' }, startRev: 3, sink });
    assert.equal(w.state, 'unsynced');
    assert.equal(sink.deliveries.length, 0, 'nothing before a sync round');
    put(env, 'k', 'live'); // 6: not pushed, the watcher is unsynced
    assert.equal(sink.deliveries.length, 0);
    assert.equal(env.hub.syncNow(), 0);
    assert.equal(w.state, 'synced');
    assert.deepEqual(sink.caughtUps, [w]);
    assert.deepEqual(
      sink.deliveries.map((d) => [d.rev, d.events]),
      [[6, ['PUT k=2@4', 'PUT k2=1@4', 'DELETE k@5', 'PUT k=live@6']]],
    );
    put(env, 'k', 'after'); // 7: now pushed
    assert.deepEqual(sink.deliveries.at(-1)!.events, ['PUT k=after@7']);
  }));

test('catch-up is cut into windows of whole revisions', async () => {
  const env = openWatchEnv({ autoSync: false, maxRevsPerSync: 2 });
  try {
    txn(env, [
      ['put', 'a', '1'],
      ['put', 'b', '1'],
    ]); // 2
    txn(env, [
      ['put', 'a', '2'],
      ['put', 'b', '2'],
    ]); // 3
    put(env, 'a', '3'); // 4
    put(env, 'a', '4'); // 5
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: { start: 'a', end: 'c' }, startRev: 2, sink });
    assert.equal(env.hub.syncNow(), 1, 'revisions 2..3');
    assert.equal(w.minRev, 4);
    assert.equal(env.hub.syncNow(), 0, 'revisions 4..5');
    assert.deepEqual(
      sink.deliveries.map((d) => [d.rev, d.events]),
      [
        [5, ['PUT a=1@2', 'PUT b=1@2', 'PUT a=2@3', 'PUT b=2@3']],
        [5, ['PUT a=3@4', 'PUT a=4@5']],
      ],
    );
    assert.equal(w.state, 'synced');
  } finally {
    await env.cleanup();
  }
});

test('a watcher whose start revision was compacted is told the compact revision and dropped', () =>
  withEnv((env) => {
    for (let i = 0; i < 5; i++) put(env, 'k', String(i)); // revs 2..6
    env.store.compact(4);
    const sink = new RecordingSink();
    const old = env.hub.watch({ range: key('k'), startRev: 3, sink });
    const atCompact = env.hub.watch({ range: key('k'), startRev: 4, sink });
    env.hub.syncNow();
    assert.deepEqual(sink.compactions, [{ watcher: old, compactRev: 4 }]);
    assert.equal(old.state, 'compacted');
    assert.deepEqual(sink.eventsOf(old), []);
    // etcd: minRev == compact revision is still served
    assert.deepEqual(sink.eventsOf(atCompact), ['PUT k=2@4', 'PUT k=3@5', 'PUT k=4@6']);
    put(env, 'k', 'x');
    assert.equal(sink.eventsOf(old).length, 0, 'a compacted watcher gets nothing more');
    assert.equal(env.hub.stats().watchers, 1);
  }));

test('NOPUT and NODELETE filters; nothing is sent when every event is filtered', () =>
  withEnv((env) => {
    const sink = new RecordingSink();
    const noPut = env.hub.watch({ range: key('k'), startRev: 0, sink, noPut: true });
    const noDel = env.hub.watch({ range: key('k'), startRev: 0, sink, noDelete: true });
    put(env, 'k', '1');
    del(env, 'k');
    assert.deepEqual(sink.eventsOf(noPut), ['DELETE k@3']);
    assert.deepEqual(sink.eventsOf(noDel), ['PUT k=1@2']);
    assert.equal(sink.deliveries.length, 2, 'no empty responses for filtered-out batches');
  }));

test('prev_kv is read at mod_revision - 1, only for watchers that asked, live and from history', () =>
  withEnv((env) => {
    const sink = new RecordingSink();
    const withPrev = env.hub.watch({ range: key('k'), startRev: 0, sink, prevKv: true });
    const without = env.hub.watch({ range: key('k'), startRev: 0, sink });
    put(env, 'k', '1'); // 2: a create has no prev
    put(env, 'k', '2'); // 3
    del(env, 'k'); // 4: the deleter asked for prev kvs; a watcher without prev_kv must not see it
    assert.deepEqual(sink.eventsOf(withPrev), ['PUT k=1@2', 'PUT k=2@3<prev=1@2>', 'DELETE k@4<prev=2@3>']);
    assert.deepEqual(sink.eventsOf(without), ['PUT k=1@2', 'PUT k=2@3', 'DELETE k@4']);
    const hist = env.hub.watch({ range: key('k'), startRev: 2, sink, prevKv: true });
    env.hub.syncNow();
    assert.deepEqual(sink.eventsOf(hist), ['PUT k=1@2', 'PUT k=2@3<prev=1@2>', 'DELETE k@4<prev=2@3>']);
  }));

test('a full sink makes its watcher a victim; it is caught up from history once there is room', () =>
  withEnv((env) => {
    const slow = new RecordingSink();
    const fast = new RecordingSink();
    const ws = env.hub.watch({ range: key('k'), startRev: 0, sink: slow });
    const wf = env.hub.watch({ range: key('k'), startRev: 0, sink: fast });
    put(env, 'k', '1'); // 2
    slow.full = true;
    put(env, 'k', '2'); // 3
    assert.equal(ws.state, 'victim');
    put(env, 'k', '3'); // 4
    assert.equal(env.hub.syncNow(), 1, 'still full: stays a victim');
    assert.deepEqual(fast.eventsOf(wf), ['PUT k=1@2', 'PUT k=2@3', 'PUT k=3@4'], 'the fast watcher is not held back');
    slow.full = false;
    assert.equal(env.hub.syncNow(), 0);
    assert.equal(ws.state, 'synced');
    put(env, 'k', '4'); // 5
    assert.deepEqual(slow.eventsOf(ws), ['PUT k=1@2', 'PUT k=2@3', 'PUT k=3@4', 'PUT k=4@5']);
  }));

test('cancel removes a watcher from whichever group it is in', () =>
  withEnv((env) => {
    put(env, 'k', '0');
    const sink = new RecordingSink();
    const synced = env.hub.watch({ range: key('k'), startRev: 0, sink });
    const unsynced = env.hub.watch({ range: key('k'), startRev: 2, sink });
    const victim = env.hub.watch({ range: key('j'), startRev: 0, sink });
    sink.full = true;
    put(env, 'j', '1');
    assert.equal(victim.state, 'victim');
    for (const w of [synced, unsynced, victim]) env.hub.cancel(w);
    sink.full = false;
    put(env, 'k', '1');
    env.hub.syncNow();
    assert.deepEqual(sink.deliveries, []);
    assert.deepEqual(env.hub.stats(), { watchers: 0, synced: 0, unsynced: 0, victims: 0, syncedRanges: 0, pendingEvents: 0 });
    assert.equal(synced.state, 'canceled');
  }));

test('progress: only a synced watcher gets an empty response at the head revision', () =>
  withEnv((env) => {
    put(env, 'k', '1');
    const sink = new RecordingSink();
    const synced = env.hub.watch({ range: key('k'), startRev: 0, sink });
    const behind = env.hub.watch({ range: key('k'), startRev: 2, sink });
    assert.equal(env.hub.progress(synced), true);
    assert.equal(env.hub.progress(behind), false);
    assert.deepEqual(sink.deliveries, [{ watcher: synced, events: [], rev: 2 }]);
    assert.equal(env.hub.isSynced(behind), false);
    assert.equal(env.hub.rev, 2);
  }));

test('the automatic sync loop catches up an unsynced watcher without being driven', async () => {
  const env = openWatchEnv({ syncIntervalMs: 5 });
  try {
    put(env, 'k', '1');
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: key('k'), startRev: 2, sink });
    for (let i = 0; i < 200 && w.state !== 'synced'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(w.state, 'synced');
    assert.deepEqual(sink.eventsOf(w), ['PUT k=1@2']);
    sink.full = true;
    put(env, 'k', '2');
    assert.equal(w.state, 'victim');
    sink.full = false;
    env.hub.wake();
    for (let i = 0; i < 200 && w.state !== 'synced'; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(sink.eventsOf(w), ['PUT k=1@2', 'PUT k=2@3']);
  } finally {
    await env.cleanup();
  }
});

test('background catch-up runs round after round while it makes progress, not once per interval', async () => {
  // an interval no test would wait for: only the back-to-back rounds can finish in time
  const env = openWatchEnv({ syncIntervalMs: 3_600_000, maxRevsPerSync: 2 });
  try {
    for (let i = 0; i < 20; i++) put(env, 'k', String(i)); // revs 2..21
    const sink = new RecordingSink();
    const w = env.hub.watch({ range: key('k'), startRev: 1, sink });
    for (let turn = 0; turn < 100 && w.state !== 'synced'; turn++) await new Promise((r) => setImmediate(r));
    assert.equal(w.state, 'synced');
    assert.equal(sink.eventsOf(w).length, 20);
    assert.ok(sink.deliveries.length >= 10, 'windows of 2 revisions');
  } finally {
    await env.cleanup();
  }
});

test('a hub whose store was closed stops its background rounds instead of throwing', async () => {
  const env = openWatchEnv({ syncIntervalMs: 1 });
  try {
    put(env, 'k', '1');
    const sink = new RecordingSink();
    env.hub.watch({ range: key('k'), startRev: 1, sink });
    await env.store.close();
    for (let turn = 0; turn < 5; turn++) await new Promise((r) => setImmediate(r));
    assert.equal(env.hub.stats().watchers, 0, 'closed and forgot its watchers');
    assert.throws(() => env.hub.watch({ range: key('k'), startRev: 0, sink }), /hub is closed/);
  } finally {
    await env.cleanup();
  }
});

test('a sink that cancels another watcher while receiving does not bring it back (live and catch-up)', () =>
  withEnv((env) => {
    put(env, 'k', '1'); // 2
    const victimOf: Array<ReturnType<typeof env.hub.watch>> = [];
    const sink = new RecordingSink();
    const cancelling = {
      ready: () => true,
      deliver: (w: ReturnType<typeof env.hub.watch>, ...rest: Parameters<RecordingSink['deliver']> extends [unknown, ...infer R] ? R : never) => {
        for (const o of victimOf) env.hub.cancel(o);
        return sink.deliver(w, ...rest);
      },
      compacted: () => true,
    };
    // catch-up: the first watcher's delivery cancels the second, which is in the same round
    const first = env.hub.watch({ range: key('k'), startRev: 2, sink: cancelling });
    const second = env.hub.watch({ range: key('k'), startRev: 2, sink });
    victimOf.push(second);
    env.hub.syncNow();
    assert.equal(second.state, 'canceled');
    assert.equal(first.state, 'synced');
    // live: same within one notify
    victimOf.length = 0;
    const third = env.hub.watch({ range: key('k'), startRev: 0, sink });
    victimOf.push(third);
    put(env, 'k', '2');
    assert.equal(third.state, 'canceled');
    assert.deepEqual(sink.eventsOf(second), []);
    assert.deepEqual(sink.eventsOf(third), []);
    assert.equal(env.hub.stats().watchers, 1);
  }));

test('more far-behind watchers than one round takes share the rounds', async () => {
  const env = openWatchEnv({ autoSync: false, maxWatchersPerSync: 2, maxRevsPerSync: 1 });
  try {
    for (let i = 0; i < 4; i++) put(env, 'k', String(i)); // revs 2..5
    const sink = new RecordingSink();
    const ws = [0, 1, 2, 3].map(() => env.hub.watch({ range: key('k'), startRev: 2, sink }));
    env.hub.syncNow();
    env.hub.syncNow();
    // after two rounds of 2 watchers each, every watcher has had a turn
    assert.deepEqual(
      ws.map((w) => sink.eventsOf(w).length),
      [1, 1, 1, 1],
    );
    assert.equal(env.hub.syncAll(), 0);
    assert.deepEqual(
      ws.map((w) => sink.eventsOf(w)),
      ws.map(() => ['PUT k=0@2', 'PUT k=1@3', 'PUT k=2@4', 'PUT k=3@5']),
    );
  } finally {
    await env.cleanup();
  }
});
