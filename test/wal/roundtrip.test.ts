import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { Wal, WalError } from '../../src/wal/index.js';
import { entries, entry, quiet, summary, tempWalDir } from './helpers.js';

const META = new TextEncoder().encode('member=8e9e05c52164694d cluster=cdf818194e3a8c32');

test('round trip: metadata, hard state and entries come back as saved', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  const saved = entries(1, 20);
  wal.save({ term: 1, vote: 0xfedcba9876543210n, commit: 0 }, saved.slice(0, 10));
  await wal.sync();
  await wal.saveAndSync({ term: 2, vote: 7n, commit: 9 }, saved.slice(10));
  await wal.close();

  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.deepEqual(state.metadata, META);
  assert.deepEqual(state.hardState, { term: 2, vote: 7n, commit: 9 });
  assert.equal(state.snapshot, null);
  assert.deepEqual(summary(state.entries), summary(saved));
  assert.deepEqual(state.entries, saved);
});

test('a new WAL reads back empty, and a full 64-bit vote survives', async (t) => {
  const dir = await tempWalDir(t);
  await (await Wal.create(dir, META, quiet())).close();
  const { wal, state } = await Wal.open(dir, quiet());
  assert.deepEqual(state, { metadata: META, hardState: null, snapshot: null, entries: [] });
  await wal.saveAndSync({ term: 3, vote: 0xffffffffffffffffn, commit: 0 }, []);
  await wal.close();
  const again = await Wal.open(dir, quiet());
  t.after(() => again.wal.close());
  assert.deepEqual(again.state.hardState, { term: 3, vote: 0xffffffffffffffffn, commit: 0 });
});

test('hard state: the last one saved wins', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  for (let term = 1; term <= 5; term++) {
    wal.save({ term, vote: BigInt(term), commit: term - 1 }, [entry(term, term)]);
    await wal.sync();
  }
  wal.save(null, [entry(6, 5)]); // no hard state in this batch: the previous one stays
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.deepEqual(state.hardState, { term: 5, vote: 5n, commit: 4 });
  assert.equal(state.entries.length, 6);
});

test('entry data is copied at save: the caller may reuse its buffer', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  const e = entry(1);
  const original = e.data.slice();
  wal.save(null, [e]);
  e.data.fill(0xaa);
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.deepEqual(state.entries[0]!.data, original);
});

test('an invalid batch is rejected whole, before anything is encoded', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  assert.throws(() => wal.save(null, [entry(1), { index: 2.5, term: 1, type: 0, data: new Uint8Array() }]), RangeError);
  assert.throws(() => wal.save({ term: -1, vote: 0n, commit: 0 }, [entry(1)]), RangeError);
  assert.throws(() => wal.save(null, [{ index: 2 ** 53, term: 1, type: 0, data: new Uint8Array() }]), RangeError);
  // a hole, at the start or inside a batch, would make the log unreadable: refused
  assert.throws(() => wal.save(null, [entry(2)]), /entry 2 would leave a hole after entry 0/);
  assert.throws(() => wal.save(null, [entry(1), entry(2), entry(4)]), /entry 4 would leave a hole after entry 2/);
  wal.save(null, [entry(1)]);
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.deepEqual(summary(state.entries), summary([entry(1)]));
});

test('close() syncs what was saved; save() after close throws', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  wal.save({ term: 1, vote: 1n, commit: 1 }, entries(1, 3));
  await wal.close();
  assert.throws(() => wal.save(null, [entry(4)]), WalError);
  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.equal(state.entries.length, 3);
});

test('create refuses a directory that already holds a WAL; open refuses one without', async (t) => {
  const dir = await tempWalDir(t);
  await (await Wal.create(dir, META, quiet())).close();
  assert.equal(await Wal.exists(dir), true);
  await assert.rejects(Wal.create(dir, META), /already holds a WAL/);
  const empty = `${dir}-none`;
  assert.equal(await Wal.exists(empty), false);
  await assert.rejects(Wal.open(empty, quiet()), /ENOENT/);
  // create leaves no temporary directory behind
  const siblings = await readdir(`${dir}/..`);
  assert.ok(!siblings.some((n) => n.endsWith('.tmp')), siblings.join(','));
});
