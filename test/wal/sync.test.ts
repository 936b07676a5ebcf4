// Group commit: one fdatasync per flush, shared by every caller whose data it carries.

import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { test } from 'node:test';
import { Wal } from '../../src/wal/index.js';
import { countingDatasync, entries, entry, quiet, summary, tempWalDir } from './helpers.js';

const META = new Uint8Array([1]);

test('callers in the same event-loop turn share one write and one fdatasync', async (t) => {
  const dir = await tempWalDir(t);
  const ds = countingDatasync();
  const wal = await Wal.create(dir, META, quiet({ datasync: ds.datasync, preallocate: false }));
  t.after(() => {
    ds.releaseAll();
    return wal.close();
  });
  const base = ds.count();
  const waits: Promise<void>[] = [];
  for (let i = 1; i <= 20; i++) {
    wal.save({ term: 1, vote: 1n, commit: i }, [entry(i)]);
    waits.push(wal.sync());
  }
  await Promise.all(waits);
  assert.equal(ds.count() - base, 1);
  await wal.sync(); // nothing new saved: no fdatasync at all
  assert.equal(ds.count() - base, 1);
});

test('callers arriving during an fdatasync share the next one, and wait for it', async (t) => {
  const dir = await tempWalDir(t);
  const ds = countingDatasync();
  const wal = await Wal.create(dir, META, quiet({ datasync: ds.datasync, preallocate: false }));
  t.after(() => {
    ds.releaseAll();
    return wal.close();
  });
  const base = ds.count();
  const release = ds.hold();
  wal.save(null, [entry(1)]);
  let firstDone = false;
  const first = wal.sync().then(() => (firstDone = true));
  await ds.reached(base + 1); // the first flush is now in its (held) fdatasync

  // Meanwhile more callers come, across several event-loop turns.
  const later: Promise<void>[] = [];
  const done: boolean[] = [];
  for (let i = 2; i <= 11; i++) {
    wal.save(null, [entry(i)]);
    const k = later.length;
    done.push(false);
    later.push(wal.sync().then(() => void (done[k] = true)));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(firstDone, false, 'the first sync resolved before its fdatasync returned');
  assert.equal(ds.count() - base, 1, 'no second fdatasync while the first is on disk');
  release();
  await Promise.all([first, ...later]);
  assert.ok(done.every(Boolean));
  assert.equal(ds.count() - base, 2, 'all later callers shared exactly one more fdatasync');

  // A caller whose data is already in the flush on disk joins it rather than the next one.
  const hold2 = ds.hold();
  wal.save(null, [entry(12)]);
  const a = wal.sync();
  await ds.reached(base + 3);
  const b = wal.sync();
  hold2();
  await Promise.all([a, b]);
  assert.equal(ds.count() - base, 3);
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.deepEqual(summary(state.entries), summary(entries(1, 12)));
});

test('the event loop keeps running while an fdatasync is held', async (t) => {
  const dir = await tempWalDir(t);
  const ds = countingDatasync();
  const wal = await Wal.create(dir, META, quiet({ datasync: ds.datasync, preallocate: false }));
  t.after(() => {
    ds.releaseAll();
    return wal.close();
  });
  const release = ds.hold();
  const p = wal.saveAndSync(null, [entry(1)]);
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (++ticks === 5) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  release();
  await p;
  assert.equal(ticks, 5);
});

test('a failed fdatasync fails that sync and every later save and sync', async (t) => {
  const dir = await tempWalDir(t);
  let fail = false;
  const wal = await Wal.create(
    dir,
    META,
    quiet({
      preallocate: false,
      datasync: async (fh) => {
        if (fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        await fh.datasync();
      },
    }),
  );
  await wal.saveAndSync(null, [entry(1)]);
  fail = true;
  await assert.rejects(wal.saveAndSync(null, [entry(2)]), /EIO/);
  fail = false;
  assert.throws(() => wal.save(null, [entry(3)]), /EIO/);
  await assert.rejects(wal.sync(), /EIO/);
  await assert.rejects(wal.close(), /EIO/);
  // The lock is released on close even after a failure, so a restart can recover.
  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.ok(state.entries.length >= 1);
  assert.deepEqual(summary(state.entries.slice(0, 1)), summary([entry(1)]));
});

test('a batch that crosses a segment boundary is durable as a whole when sync resolves', async (t) => {
  const dir = await tempWalDir(t);
  const ds = countingDatasync();
  const wal = await Wal.create(dir, META, quiet({ datasync: ds.datasync, segmentSizeBytes: 4096 }));
  for (let i = 1; i <= 100; i += 20) wal.save(null, entries(i, i + 19, 1, 200));
  await wal.sync();
  assert.ok(wal.segmentNames().length >= 4);
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.deepEqual(summary(state.entries), summary(entries(1, 100, 1, 200)));
});

test('metrics: every fdatasync is timed and every written byte counted', async (t) => {
  const dir = await tempWalDir(t);
  const syncs: number[] = [];
  let bytes = 0;
  const metrics = { fsyncSeconds: (s: number) => syncs.push(s), writeBytes: (n: number) => (bytes += n) };
  const wal = await Wal.create(dir, META, quiet({ preallocate: false, metrics }));
  for (let i = 1; i <= 5; i++) await wal.saveAndSync(null, [entry(i, 1, 100)]);
  await wal.close();
  assert.equal(syncs.length, 5);
  assert.ok(syncs.every((s) => s >= 0 && s < 60));
  const [seg] = (await readdir(dir)).filter((n) => n.endsWith('.wal'));
  const size = (await stat(`${dir}/${seg}`)).size;
  const HEADER_BYTES = 16 + 16; // crc frame + metadata frame written by create
  assert.equal(bytes, size - HEADER_BYTES);
});
