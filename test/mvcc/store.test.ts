import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Event_EventType } from '../../src/gen/mvccpb/kv_pb.js';
import { ErrCompacted, ErrFutureRev } from '../../src/mvcc/errors.js';
import { b, del, dump, NUL, openEnv, put, s } from './helpers.js';

test('an empty store starts at revision 1, never compacted', async () => {
  const env = openEnv();
  try {
    assert.equal(env.store.rev, 1);
    assert.equal(env.store.compactRev, -1);
    assert.deepEqual(dump(env), []);
  } finally {
    await env.cleanup();
  }
});

test('versions, create and mod revisions follow etcd, and reset after delete', async () => {
  const env = openEnv();
  try {
    assert.equal(put(env, 'a', '1'), 2);
    assert.equal(put(env, 'a', '2'), 3);
    let kv = env.store.range(b('a'), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version, s(kv.value)], [2n, 3n, 2n, '2']);
    assert.deepEqual(del(env, 'a'), { deleted: 1, rev: 4 });
    assert.equal(env.store.range(b('a'), undefined).kvs.length, 0);
    assert.equal(put(env, 'a', '3'), 5);
    kv = env.store.range(b('a'), undefined).kvs[0]!;
    assert.deepEqual([kv.createRevision, kv.modRevision, kv.version], [5n, 5n, 1n]);
    // history stays readable
    const at3 = env.store.range(b('a'), undefined, { rev: 3 }).kvs[0]!;
    assert.deepEqual([at3.createRevision, at3.modRevision, at3.version, s(at3.value)], [2n, 3n, 2n, '2']);
    assert.equal(env.store.range(b('a'), undefined, { rev: 4 }).kvs.length, 0);
    assert.equal(env.store.range(b('a'), undefined, { rev: 1 }).kvs.length, 0);
  } finally {
    await env.cleanup();
  }
});

test('deleting a missing key writes nothing and keeps the revision', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1');
    const rows = env.backend.count('key');
    const r = env.backend.batch(() => {
      const t = env.store.write();
      const d = t.deleteRange(b('zz'), undefined);
      return { d, end: t.end() };
    });
    assert.equal(r.d.deleted, 0);
    assert.equal(r.end.rev, 2);
    assert.deepEqual(r.end.events, []);
    assert.equal(env.store.rev, 2);
    assert.equal(env.backend.count('key'), rows);
    // deleting an already deleted key is also a no-op
    del(env, 'a');
    assert.deepEqual(del(env, 'a'), { deleted: 0, rev: 3 });
  } finally {
    await env.cleanup();
  }
});

test('a txn shares one main revision, sees its own writes and returns events', async () => {
  const env = openEnv();
  try {
    put(env, 'x', 'old');
    const r = env.backend.batch(() => {
      const t = env.store.write();
      assert.equal(t.rev, 2);
      assert.equal(t.put(b('a'), b('1')), 3);
      assert.equal(t.rev, 3);
      assert.equal(s(t.range(b('a'), undefined).kvs[0]!.value), '1');
      t.put(b('a'), b('2'));
      const a = t.range(b('a'), undefined).kvs[0]!;
      assert.deepEqual([a.createRevision, a.modRevision, a.version], [3n, 3n, 2n]);
      const d = t.deleteRange(b('x'), undefined, true);
      assert.equal(d.deleted, 1);
      assert.equal(s(d.prevKvs[0]!.value), 'old');
      assert.equal(t.range(b('x'), undefined).kvs.length, 0);
      return t.end();
    });
    assert.equal(r.rev, 3);
    assert.equal(env.store.rev, 3);
    assert.deepEqual(
      r.events.map((e) => [e.type, s(e.kv!.key), e.kv!.modRevision, e.prevKv ? s(e.prevKv.value) : null]),
      [
        [Event_EventType.PUT, 'a', 3n, null],
        [Event_EventType.PUT, 'a', 3n, null], // prev kvs of puts are read by watchers at mod_revision - 1
        [Event_EventType.DELETE, 'x', 3n, 'old'],
      ],
    );
    // rows: 3_0, 3_1, 3_2t
    const rows = [...env.backend.range('key')].map((r) => r.key.toString('hex'));
    assert.deepEqual(rows.slice(1), [
      '0000000000000003' + '5f' + '0000000000000000',
      '0000000000000003' + '5f' + '0000000000000001',
      '0000000000000003' + '5f' + '0000000000000002' + '74',
    ]);
  } finally {
    await env.cleanup();
  }
});

test('deleteRange reads prev kvs only when asked; delete events carry key and revision', async () => {
  const env = openEnv();
  try {
    put(env, 'p/1', 'x');
    put(env, 'p/2', 'y');
    put(env, 'q', 'z');
    const r = env.backend.batch(() => {
      const t = env.store.write();
      const d = t.deleteRange(b('p/'), b('p0'));
      return { d, end: t.end() };
    });
    assert.deepEqual([r.d.deleted, r.d.rev, r.d.prevKvs.length], [2, 5, 0]);
    assert.deepEqual(
      r.end.events.map((e) => [e.type, s(e.kv!.key), e.kv!.modRevision, e.kv!.createRevision, e.kv!.version, e.prevKv]),
      [
        [Event_EventType.DELETE, 'p/1', 5n, 0n, 0n, undefined],
        [Event_EventType.DELETE, 'p/2', 5n, 0n, 0n, undefined],
      ],
    );
    // what a watcher wanting prev_kv reads: the state at mod_revision - 1
    assert.deepEqual(env.store.range(b('p/1'), undefined, { rev: 4 }).kvs.map((kv) => s(kv.value)), ['x']);
    assert.deepEqual(dump(env), ['q=z']);
  } finally {
    await env.cleanup();
  }
});

test('a txn that changes nothing does not advance the revision', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1');
    const r = env.backend.batch(() => {
      const t = env.store.write();
      t.range(b('a'), undefined);
      return t.end();
    });
    assert.equal(r.rev, 2);
    assert.equal(env.store.rev, 2);
  } finally {
    await env.cleanup();
  }
});

test('ranges: single key, [key,end), prefix, \\0 forms, limit with count, count/keys only', async () => {
  const env = openEnv();
  try {
    for (const k of ['a', 'ab', 'abc', 'b', 'c\u00ff', 'c\u00ff\u00ff', 'd']) put(env, k, `v${k}`);
    const keys = (key: Uint8Array, end: Uint8Array | undefined, o = {}): string[] =>
      env.store.range(key, end, o).kvs.map((kv) => s(kv.key));
    assert.deepEqual(keys(b('ab'), undefined), ['ab']);
    assert.deepEqual(keys(b('ab'), new Uint8Array(0)), ['ab']);
    assert.deepEqual(keys(b('a'), b('b')), ['a', 'ab', 'abc']);
    assert.deepEqual(keys(b('ab'), b('ac')), ['ab', 'abc']); // prefix "ab"
    assert.deepEqual(keys(b('c'), NUL), ['c\u00ff', 'c\u00ff\u00ff', 'd']); // from-key
    assert.deepEqual(keys(NUL, NUL), ['a', 'ab', 'abc', 'b', 'c\u00ff', 'c\u00ff\u00ff', 'd']);
    // byte order: 0xff sorts after ASCII, shorter prefix first
    assert.deepEqual(keys(b('c'), b('d')), ['c\u00ff', 'c\u00ff\u00ff']);
    assert.deepEqual(keys(b('b'), b('a')), []); // end before key
    assert.deepEqual(keys(b('zz'), undefined), []);
    const lim = env.store.range(NUL, NUL, { limit: 2 });
    assert.deepEqual([lim.kvs.map((kv) => s(kv.key)), lim.count, lim.rev], [['a', 'ab'], 7, 8]);
    const cnt = env.store.range(b('a'), b('b'), { countOnly: true });
    assert.deepEqual([cnt.kvs.length, cnt.count], [0, 3]);
    const ko = env.store.range(b('a'), undefined, { keysOnly: true }).kvs[0]!;
    assert.deepEqual([s(ko.key), ko.value.length, ko.modRevision], ['a', 0, 2n]);
    // historic range sees only keys that existed then
    assert.deepEqual(keys(NUL, NUL, { rev: 4 }), ['a', 'ab', 'abc']);
    assert.equal(env.store.range(NUL, NUL, { rev: 4 }).rev, 8, 'rev is the current revision');
  } finally {
    await env.cleanup();
  }
});

test('binary keys with every byte value keep byte order', async () => {
  const env = openEnv();
  try {
    const keys: Buffer[] = [];
    for (let i = 0; i < 256; i += 17) keys.push(Buffer.from([i, 255 - i, 0]));
    keys.push(Buffer.from([0xc3, 0xa9]), Buffer.from([0x00]), Buffer.from([0xff, 0xff, 0xff]));
    env.backend.batch(() => {
      const t = env.store.write();
      for (const k of keys) t.put(k, k);
      t.end();
    });
    const got = env.store.range(NUL, NUL).kvs.map((kv) => Buffer.from(kv.key).toString('hex'));
    const want = [...keys].sort(Buffer.compare).map((k) => k.toString('hex'));
    assert.deepEqual(got, want);
    // the key [0x00] exists, so key=\0 end=\0 includes it
    assert.equal(got[0], '00');
  } finally {
    await env.cleanup();
  }
});

test('future and compacted revisions are refused with etcd messages', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1');
    put(env, 'a', '2');
    assert.throws(() => env.store.range(b('a'), undefined, { rev: 4 }), ErrFutureRev);
    assert.throws(() => env.store.range(b('a'), undefined, { rev: 4 }), { message: 'mvcc: required revision is a future revision' });
    await env.store.compact(2).physicalDone;
    assert.throws(() => env.store.range(b('a'), undefined, { rev: 1 }), { message: 'mvcc: required revision has been compacted' });
    assert.equal(s(env.store.range(b('a'), undefined, { rev: 2 }).kvs[0]!.value), '1'); // at compactRev: allowed
    assert.throws(() => env.store.compact(2), ErrCompacted);
    assert.throws(() => env.store.compact(4), ErrFutureRev);
  } finally {
    await env.cleanup();
  }
});

test('the consistent index commits atomically with the batch; an aborted batch leaves nothing', async () => {
  const env = openEnv();
  try {
    env.backend.batch(() => {
      const t = env.store.write();
      t.put(b('a'), b('1'));
      t.end();
      env.backend.setConsistentIndex(7, 2);
    });
    assert.deepEqual(env.backend.readConsistentIndex(), { index: 7, term: 2 });
    assert.throws(() =>
      env.backend.batch(() => {
        const t = env.store.write();
        t.put(b('a'), b('2'));
        t.put(b('b'), b('2'));
        t.end();
        env.backend.setConsistentIndex(8, 2);
        throw new Error('apply failed');
      }),
    );
    assert.deepEqual(env.backend.readConsistentIndex(), { index: 7, term: 2 });
    assert.equal(env.store.rev, 2);
    assert.deepEqual(dump(env), ['a=1']);
    // the store keeps working after the rollback
    assert.equal(put(env, 'b', '3'), 3);
    assert.deepEqual(dump(env), ['a=1', 'b=3']);
  } finally {
    await env.cleanup();
  }
});

test('a read view stays at its revision, and refuses once compaction passed it', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    const view = env.store.read();
    put(env, 'a', '2'); // 3
    assert.equal(view.rev, 2);
    assert.deepEqual(view.range(b('a'), undefined).kvs.map((kv) => s(kv.value)), ['1']);
    assert.equal(view.range(b('a'), undefined).rev, 2);
    assert.throws(() => view.range(b('a'), undefined, { rev: 3 }), ErrFutureRev);
    await env.store.compact(3).physicalDone;
    assert.throws(() => view.range(b('a'), undefined), ErrCompacted);
    assert.equal(env.store.read().firstRev, 3);
  } finally {
    await env.cleanup();
  }
});

test('write() refuses to run outside a batch or beside another open txn', async () => {
  const env = openEnv();
  try {
    assert.throws(() => env.store.write(), /outside backend.batch/);
    env.backend.batch(() => {
      const t = env.store.write();
      assert.throws(() => env.store.write(), /already open/);
      t.end();
      assert.throws(() => t.put(b('a'), b('1')), /already ended/);
    });
  } finally {
    await env.cleanup();
  }
});

test('reopen restores revisions, versions, history and leases', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1', 0x7fff_ffff_ffff_fff0n);
    put(env, 'a', '2');
    put(env, 'b', '1', 5n);
    del(env, 'a');
    put(env, 'a', '3');
    put(env, 'c', '1', 6n);
    del(env, 'c');
    const before = { rev: env.store.rev, all: env.store.range(NUL, NUL), hist: env.store.range(NUL, NUL, { rev: 3 }) };
    await env.reopen();
    assert.equal(env.store.rev, before.rev);
    assert.deepEqual(env.store.range(NUL, NUL), before.all);
    assert.deepEqual(env.store.range(NUL, NUL, { rev: 3 }), before.hist);
    assert.deepEqual(
      env.store.restoredKeyLeases().map((x) => [s(x.key), x.lease]),
      [['b', 5n]],
    );
    assert.equal(put(env, 'a', '4'), before.rev + 1);
    const a = env.store.range(b('a'), undefined).kvs[0]!;
    assert.deepEqual([a.createRevision, a.version], [6n, 2n]);
  } finally {
    await env.cleanup();
  }
});

test('events() replays history from the rows, as txn.end() reported it', async () => {
  const env = openEnv();
  try {
    const live: string[] = [];
    const fmt = (e: { type: number; kv?: { key: Uint8Array; modRevision: bigint; version: bigint; value: Uint8Array } }): string =>
      `${e.type}:${s(e.kv!.key)}@${e.kv!.modRevision}/v${e.kv!.version}=${s(e.kv!.value)}`;
    const run = (f: (t: ReturnType<typeof env.store.write>) => void): void => {
      env.backend.batch(() => {
        const t = env.store.write();
        f(t);
        live.push(...t.end().events.map(fmt));
      });
    };
    run((t) => t.put(b('a'), b('1')));
    run((t) => {
      t.put(b('b'), b('2'));
      t.put(b('a'), b('3'));
    });
    run((t) => t.deleteRange(b('a'), undefined));
    run((t) => t.put(b('c'), b('4')));
    assert.deepEqual(env.store.events(1).map(fmt), live);
    assert.deepEqual(env.store.events(3, 5).map(fmt), live.slice(1, 4));
    assert.deepEqual(env.store.events(1, undefined, { filter: (k) => s(k) === 'a' }).map(fmt), [live[0], live[2], live[3]]);
    assert.deepEqual(env.store.events(1, undefined, { limit: 2 }).map(fmt), live.slice(0, 2));
    await env.store.compact(3).physicalDone;
    assert.throws(() => env.store.events(2), ErrCompacted);
    assert.deepEqual(env.store.events(4).map(fmt), live.slice(3));
  } finally {
    await env.cleanup();
  }
});

test('large values (overflow pages) survive reopen and range reads', async () => {
  const env = openEnv();
  try {
    const big = Buffer.alloc(300_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    env.backend.batch(() => {
      const t = env.store.write();
      t.put(b('big'), big);
      t.put(b('small'), b('s'));
      t.end();
    });
    put(env, 'big2', 'x'.repeat(70_000));
    await env.reopen();
    const got = env.store.range(b('big'), undefined).kvs[0]!;
    assert.ok(Buffer.from(got.value).equals(big));
    assert.deepEqual(env.store.range(NUL, NUL, { keysOnly: true }).kvs.map((kv) => s(kv.key)), ['big', 'big2', 'small']);
    assert.equal(env.store.range(b('big2'), undefined).kvs[0]!.value.length, 70_000);
  } finally {
    await env.cleanup();
  }
});
