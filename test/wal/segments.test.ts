// Segment rollover, the crc chain across segments, snapshot markers and release.

import assert from 'node:assert/strict';
import { copyFile, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wal, WalCorruptionError } from '../../src/wal/index.js';
import { parseSegmentName } from '../../src/wal/segments.js';
import { entries, quiet, recordingLogger, summary, tempWalDir } from './helpers.js';

const META = new Uint8Array([9, 9]);

async function walFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
}

/** Writes entries 1..n in batches of 10, with a hard state per batch. */
async function fill(dir: string, n: number, segmentSizeBytes: number, preallocate = false): Promise<void> {
  const wal = await Wal.create(dir, META, quiet({ segmentSizeBytes, preallocate }));
  for (let i = 1; i <= n; i += 10) {
    await wal.saveAndSync({ term: 1, vote: 1n, commit: i }, entries(i, Math.min(n, i + 9), 1, 100));
  }
  await wal.close();
}

test('rollover: segments are cut at the size limit, named by seq and next index', async (t) => {
  const dir = await tempWalDir(t);
  await fill(dir, 300, 4096);
  const files = await walFiles(dir);
  assert.ok(files.length >= 8, `expected several segments, got ${files.join(',')}`);
  let lastFirst = -1;
  for (const [i, name] of files.entries()) {
    const s = parseSegmentName(name)!;
    assert.equal(s.seq, i);
    assert.ok(s.firstIndex > lastFirst, `${name} does not start after the previous segment`);
    lastFirst = s.firstIndex;
    // a sealed segment ends near the limit; none grows far beyond it
    const size = (await stat(join(dir, name))).size;
    assert.ok(size < 4096 + 10 * 200, `${name} is ${size} bytes`);
  }
  const { wal, state } = await Wal.open(dir, quiet());
  await wal.close();
  assert.deepEqual(summary(state.entries), summary(entries(1, 300, 1, 100)));
  assert.deepEqual(state.hardState, { term: 1, vote: 1n, commit: 291 });
});

test('crc chain: a segment from another WAL in the middle fails open, naming it', async (t) => {
  const dir = await tempWalDir(t);
  const other = `${dir}-other`;
  await fill(dir, 200, 4096);
  await Wal.create(other, META, quiet({ segmentSizeBytes: 4096 })).then(async (w) => {
    for (let i = 1; i <= 200; i += 10) await w.saveAndSync(null, entries(i, i + 9, 2, 100));
    await w.close();
  });
  const files = await walFiles(dir);
  const otherFiles = await walFiles(other);
  assert.equal(files[2], otherFiles[2], 'same layout expected');
  await copyFile(join(other, otherFiles[2]!), join(dir, files[2]!));
  await assert.rejects(Wal.open(dir, quiet()), (err: unknown) => {
    assert.ok(err instanceof WalCorruptionError);
    assert.equal(err.file, files[2]);
    assert.equal(err.offset, 0);
    assert.match(err.message, /crc chain broken/);
    return true;
  });
});

test('a missing middle segment fails open', async (t) => {
  const dir = await tempWalDir(t);
  await fill(dir, 200, 4096);
  const files = await walFiles(dir);
  await unlink(join(dir, files[3]!));
  await assert.rejects(Wal.open(dir, quiet()), /segment 3 is missing/);
});

test('snapshot marker + releaseTo: covered segments are deleted, state survives', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet({ segmentSizeBytes: 4096 }));
  for (let i = 1; i <= 300; i += 10) {
    await wal.saveAndSync({ term: 1, vote: 3n, commit: i + 9 }, entries(i, i + 9, 1, 100));
  }
  const before = await walFiles(dir);

  // Not yet durable: a marker that was only saved protects nothing from release.
  wal.saveSnapshot({ index: 250, term: 1 });
  await wal.releaseTo(250);
  assert.deepEqual(await walFiles(dir), before);

  await wal.sync();
  await wal.releaseTo(250);
  const after = await walFiles(dir);
  assert.ok(after.length < before.length - 3, `${before.length} → ${after.length}`);
  assert.deepEqual(wal.segmentNames(), after);
  await wal.saveAndSync({ term: 2, vote: 3n, commit: 305 }, entries(301, 305, 2, 100));
  await wal.close();

  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.deepEqual(state.snapshot, { index: 250, term: 1 });
  assert.deepEqual(summary(state.entries), summary([...entries(251, 300, 1, 100), ...entries(301, 305, 2, 100)]));
  assert.deepEqual(state.hardState, { term: 2, vote: 3n, commit: 305 });
  assert.deepEqual(state.metadata, META);
});

test('releaseTo never goes past the durable snapshot nor deletes the tail', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet({ segmentSizeBytes: 4096 }));
  for (let i = 1; i <= 200; i += 10) await wal.saveAndSync(null, entries(i, i + 9, 1, 100));
  wal.saveSnapshot({ index: 100, term: 1 });
  await wal.sync();
  await wal.releaseTo(1_000_000);
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  t.after(() => w2.close());
  assert.deepEqual(summary(state.entries), summary(entries(101, 200, 1, 100)));

  // snapshot covering everything: all but the last segment go
  w2.saveSnapshot({ index: 200, term: 1 });
  await w2.sync();
  await w2.releaseTo(200);
  assert.equal((await walFiles(dir)).length, 1);
});

test('snapshot markers must not go backwards', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  t.after(() => wal.close());
  wal.saveSnapshot({ index: 10, term: 1 });
  assert.throws(() => wal.saveSnapshot({ index: 9, term: 1 }), RangeError);
});

test('preallocated segments: the zero-filled tail reads as end of log, and sealing trims it', async (t) => {
  const dir = await tempWalDir(t);
  const seg = 64 * 1024;
  await fill(dir, 1500, seg, true);
  const files = await walFiles(dir);
  assert.ok(files.length >= 3);
  // the tail came from the preallocator, so it still has its full zero-filled size
  assert.equal((await stat(join(dir, files.at(-1)!))).size, seg);
  for (const f of files.slice(0, -1)) assert.ok((await stat(join(dir, f))).size < seg + 2000);
  const logger = recordingLogger();
  const { wal, state } = await Wal.open(dir, { logger, preallocate: true, segmentSizeBytes: seg });
  assert.deepEqual(summary(state.entries), summary(entries(1, 1500, 1, 100)));
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 0, 'nothing to repair');
  // appends continue at the end of the data, not at the end of the file
  await wal.saveAndSync(null, entries(1501, 1510, 1, 100));
  await wal.close();
  const again = await Wal.open(dir, quiet());
  await again.wal.close();
  assert.deepEqual(summary(again.state.entries), summary(entries(1, 1510, 1, 100)));
  assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.tmp')), 'no preallocated file left after close');
});
