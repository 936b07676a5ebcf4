import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrCompacted, ErrFutureRev } from '../../src/mvcc/errors.js';
import { rowMain } from '../../src/mvcc/revision.js';
import { b, del, dump, NUL, openEnv, put, s, type Env } from './helpers.js';

const rowRevs = (env: Env): string[] =>
  [...env.backend.range('key')].map((r) => `${rowMain(r.key)}${r.key.length === 18 ? 't' : ''}`);

test('compaction keeps the newest revision <= rev of each key and drops the rest', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    put(env, 'a', '2'); // 3
    put(env, 'b', '1'); // 4
    put(env, 'a', '3'); // 5
    await env.store.compact(4).physicalDone;
    assert.deepEqual(rowRevs(env), ['3', '4', '5']);
    assert.deepEqual(dump(env, 4), ['a=2', 'b=1']);
    assert.deepEqual(dump(env), ['a=3', 'b=1']);
    assert.throws(() => env.store.range(NUL, NUL, { rev: 3 }), ErrCompacted);
    // the version survives compaction: it is in the kept row
    const a = env.store.range(b('a'), undefined).kvs[0]!;
    assert.deepEqual([a.createRevision, a.version], [2n, 3n]);
  } finally {
    await env.cleanup();
  }
});

test('compaction at a tombstone removes the key entirely', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    del(env, 'a'); // 3
    put(env, 'b', '1'); // 4
    await env.store.compact(3).physicalDone;
    assert.deepEqual(rowRevs(env), ['4']);
    assert.deepEqual(dump(env, 3), []);
    assert.deepEqual(dump(env), ['b=1']);
    assert.equal(env.store.index.keyIndex('a'), undefined);
    // re-creating the key starts a new life at version 1
    put(env, 'a', 'x'); // 5
    const a = env.store.range(b('a'), undefined).kvs[0]!;
    assert.deepEqual([a.createRevision, a.version], [5n, 1n]);
  } finally {
    await env.cleanup();
  }
});

test('compaction before a tombstone keeps the deleted value readable until the delete', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    put(env, 'x', '1'); // 3
    del(env, 'a'); // 4
    await env.store.compact(3).physicalDone;
    assert.deepEqual(rowRevs(env), ['2', '3', '4t']);
    assert.deepEqual(dump(env, 3), ['a=1', 'x=1']);
    assert.deepEqual(dump(env, 4), ['x=1']);
  } finally {
    await env.cleanup();
  }
});

test('compaction at the current revision, twice, and the boundaries around it', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    put(env, 'a', '2'); // 3
    await env.store.compact(2).physicalDone;
    assert.throws(() => env.store.compact(2), ErrCompacted);
    assert.throws(() => env.store.compact(1), ErrCompacted);
    await env.store.compact(3).physicalDone; // current revision
    assert.equal(env.store.compactRev, 3);
    assert.deepEqual(rowRevs(env), ['3']);
    assert.throws(() => env.store.range(NUL, NUL, { rev: 2 }), ErrCompacted);
    assert.deepEqual(dump(env, 3), ['a=2']);
    assert.throws(() => env.store.range(NUL, NUL, { rev: 4 }), ErrFutureRev);
    put(env, 'a', '3'); // 4
    assert.deepEqual(dump(env, 4), ['a=3']);
    assert.throws(() => env.store.compact(5), ErrFutureRev);
  } finally {
    await env.cleanup();
  }
});

test('compaction runs in chunks while writes continue, and survives reopen', async () => {
  const env = openEnv({ keysPerChunk: 3, rowsPerChunk: 4 });
  try {
    for (let i = 0; i < 20; i++) put(env, `k${i % 7}`, `v${i}`); // revs 2..21
    del(env, 'k3'); // 22
    const expected = dump(env, 22);
    const { physicalDone } = env.store.compact(22);
    // interleave writes with the background chunks
    for (let i = 0; i < 5; i++) {
      put(env, `n${i}`, 'x');
      await new Promise((r) => setImmediate(r));
    }
    await physicalDone;
    assert.deepEqual(dump(env, 22), expected);
    assert.equal(rowRevs(env).filter((r) => Number.parseInt(r, 10) <= 22).length, 6); // k0..k6 minus k3
    const h = env.store.hashKV(0);
    await env.reopen();
    assert.equal(env.store.compactRev, 22);
    assert.deepEqual(env.store.hashKV(0), h);
  } finally {
    await env.cleanup();
  }
});

test('a compaction interrupted before it finished resumes on open', async () => {
  const env = openEnv({ keysPerChunk: 1, rowsPerChunk: 1 });
  try {
    for (let i = 0; i < 10; i++) put(env, 'a', `${i}`); // 2..11
    env.store.compact(10);
    // close before the background job ran: only scheduledCompactRev is on disk
    await env.reopen();
    assert.equal(env.store.compactRev, 10);
    assert.throws(() => env.store.range(NUL, NUL, { rev: 9 }), ErrCompacted);
    await env.store.compactionsDone();
    assert.deepEqual(rowRevs(env), ['10', '11']);
    await env.reopen();
    assert.equal(env.store.compactRev, 10);
    assert.deepEqual(dump(env, 10), ['a=8']);
  } finally {
    await env.cleanup();
  }
});

test('the revision stays at the compact revision when compaction removed every row', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    del(env, 'a'); // 3
    await env.store.compact(3).physicalDone;
    assert.equal(env.backend.count('key'), 0);
    await env.reopen();
    assert.equal(env.store.rev, 3);
    assert.equal(put(env, 'b', '1'), 4);
  } finally {
    await env.cleanup();
  }
});

/** The history used to pin our HashKV to real etcd's: values measured on etcd 3.4.23. */
function etcdHistory(env: Env): void {
  put(env, 'a', '1'); // 2
  put(env, 'b', '2'); // 3
  put(env, 'a', '3'); // 4
  del(env, 'b'); // 5
  env.backend.batch(() => {
    const t = env.store.write();
    t.put(b('c'), b('4'));
    t.put(b('d'), b('5'));
    t.end(); // 6
  });
  put(env, 'a', '6'); // 7
}

test('HashKV equals real etcd 3.4 for the same history, before and after compactions', async () => {
  const env = openEnv();
  try {
    etcdHistory(env);
    assert.deepEqual(env.store.hashKV(0), { hash: 3244003095, hashRevision: 7, compactRevision: -1, currentRevision: 7 });
    assert.equal(env.store.hashKV(3).hash, 1827592406);
    await env.store.compact(4).physicalDone;
    assert.equal(env.store.hashKV(0).hash, 790145863);
    assert.equal(env.store.hashKV(5).hash, 1468967122);
    await env.store.compact(7).physicalDone;
    assert.equal(env.store.hashKV(0).hash, 654418268);
    put(env, 'k\u00ff', 'v'); // 8
    assert.equal(env.store.hashKV(0).hash, 2971107060);
    del(env, 'a'); // 9
    await env.store.compact(9).physicalDone;
    assert.deepEqual(env.store.hashKV(0), { hash: 1788966124, hashRevision: 9, compactRevision: 9, currentRevision: 9 });
    assert.throws(() => env.store.hashKV(8), ErrCompacted);
    assert.throws(() => env.store.hashKV(10), ErrFutureRev);
  } finally {
    await env.cleanup();
  }
});

test('HashKV does not depend on how far physical compaction has progressed', async () => {
  const env = openEnv({ keysPerChunk: 1, rowsPerChunk: 1 });
  try {
    etcdHistory(env);
    const { physicalDone } = env.store.compact(5);
    const before = env.store.hashKV(0); // nothing physically removed yet
    await new Promise((r) => setImmediate(r));
    const during = env.store.hashKV(0);
    await physicalDone;
    assert.deepEqual(env.store.hashKV(0), before);
    assert.deepEqual(during, before);
  } finally {
    await env.cleanup();
  }
});

test('Hash (whole backend) is stable across reopen and ignores the consistent index', async () => {
  const env = openEnv();
  try {
    etcdHistory(env);
    const h = env.store.hash();
    env.backend.batch(() => env.backend.setConsistentIndex(42, 3));
    assert.equal(env.store.hash(), h);
    await env.reopen();
    assert.equal(env.store.hash(), h);
    put(env, 'z', 'z');
    assert.notEqual(env.store.hash(), h);
  } finally {
    await env.cleanup();
  }
});

test('a compaction whose batch aborts never happened', async () => {
  const env = openEnv();
  try {
    put(env, 'a', '1'); // 2
    put(env, 'a', '2'); // 3
    assert.throws(() =>
      env.backend.batch(() => {
        env.store.compact(3);
        assert.equal(env.store.compactRev, 3);
        throw new Error('apply failed after compact');
      }),
    );
    assert.equal(env.store.compactRev, -1);
    await env.store.compactionsDone();
    assert.deepEqual(rowRevs(env), ['2', '3']);
    assert.deepEqual(dump(env, 2), ['a=1']);
    await env.reopen();
    assert.equal(env.store.compactRev, -1);
    assert.deepEqual(dump(env, 2), ['a=1']);
  } finally {
    await env.cleanup();
  }
});

test('compaction across many keys and index chunks removes exactly the dead keys', async () => {
  const env = openEnv({ keysPerChunk: 97, rowsPerChunk: 500 });
  try {
    const keys = Array.from({ length: 3000 }, (_, i) => `key/${String(i).padStart(5, '0')}`);
    env.backend.batch(() => {
      const t = env.store.write();
      for (const k of keys) t.put(b(k), b('v'));
      t.end(); // 2
    });
    env.backend.batch(() => {
      const t = env.store.write();
      for (let i = 0; i < keys.length; i += 2) t.deleteRange(b(keys[i]!), undefined);
      t.end(); // 3
    });
    put(env, 'key/00001', 'w'); // 4
    await env.store.compact(3).physicalDone;
    assert.equal(env.store.index.size, 1500);
    assert.equal(env.backend.count('key'), 1501);
    const live = env.store.range(b('key/'), b('key0'));
    assert.equal(live.count, 1500);
    assert.deepEqual(live.kvs.slice(0, 2).map((kv) => s(kv.key)), ['key/00001', 'key/00003']);
    assert.equal(env.store.range(b('key/00001'), undefined, { rev: 3 }).kvs[0]!.version, 1n);
    assert.equal(env.store.range(b('key/00001'), undefined).kvs[0]!.version, 2n);
  } finally {
    await env.cleanup();
  }
});

test('a compaction stopped half-way (some row chunks deleted) restores and resumes correctly', async () => {
  const history = (env: Env): void => {
    for (let i = 0; i < 40; i++) put(env, `k${i % 9}`, `v${i}`); // 2..41
    del(env, 'k3'); // 42
    del(env, 'k4'); // 43
    for (let i = 0; i < 5; i++) put(env, `k${i}`, `w${i}`); // 44..48
  };
  const env = openEnv({ keysPerChunk: 1000, rowsPerChunk: 5 });
  const twin = openEnv();
  try {
    history(env);
    history(twin);
    await twin.store.compact(43).physicalDone;
    const rowsBefore = env.backend.count('key');
    env.store.compact(43);
    // let the index phase and a few row chunks run, then stop
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
    await env.reopen();
    const rowsAtReopen = env.backend.count('key');
    assert.ok(rowsAtReopen < rowsBefore, 'some rows were deleted before the stop');
    assert.ok(rowsAtReopen > twin.backend.count('key'), 'but not all of them');
    assert.equal(env.store.compactRev, 43);
    // before the resumed job finishes, reads and hashes already match the finished twin
    assert.deepEqual(dump(env, 43), dump(twin, 43));
    assert.deepEqual(dump(env), dump(twin));
    assert.deepEqual(env.store.hashKV(0), twin.store.hashKV(0));
    await env.store.compactionsDone();
    assert.equal(env.backend.count('key'), twin.backend.count('key'));
    assert.deepEqual(env.store.hashKV(0), twin.store.hashKV(0));
    assert.deepEqual(env.store.range(NUL, NUL), twin.store.range(NUL, NUL));
  } finally {
    await env.cleanup();
    await twin.cleanup();
  }
});
