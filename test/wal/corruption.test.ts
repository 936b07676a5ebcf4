// Torn tails are repaired, corruption in the middle is never skipped.

import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wal, WalCorruptionError, WalTornTailError } from '../../src/wal/index.js';
import { scanSegment } from '../../src/wal/decoder.js';
import { RecordType, frameSize } from '../../src/wal/record.js';
import { entries, entry, quiet, recordingLogger, summary, tempWalDir } from './helpers.js';

const META = new Uint8Array([7]);

interface Frame {
  type: RecordType;
  offset: number;
  size: number;
}

function frames(buf: Buffer): Frame[] {
  const out: Frame[] = [];
  scanSegment(buf, null, (type, payload, offset) => out.push({ type, offset, size: frameSize(payload.length) }));
  return out;
}

async function lastSegment(dir: string): Promise<string> {
  return join(dir, (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort().at(-1)!);
}

/** A one-segment WAL holding entries 1..n (entry sizes vary, some cross 512-byte sectors). */
async function makeWal(dir: string, n: number, size?: number): Promise<Buffer> {
  const wal = await Wal.create(dir, META, quiet({ preallocate: false }));
  for (let i = 1; i <= n; i++) await wal.saveAndSync({ term: 1, vote: 1n, commit: i - 1 }, [entry(i, 1, size)]);
  await wal.close();
  return readFile(await lastSegment(dir));
}

async function openEntries(dir: string, repairTornTail = true) {
  const logger = recordingLogger();
  // No fsync: these tests check what is read back, not durability, and open thousands of times.
  const { wal, state } = await Wal.open(dir, { logger, repairTornTail, preallocate: false, datasync: async () => {} });
  await wal.close();
  return { state, logger };
}

test('torn tail: cut at every byte offset of the last batch, only unwritten records are lost', async (t) => {
  const dir = await tempWalDir(t);
  const pristine = await makeWal(dir, 6, 700); // 700-byte entries straddle sector boundaries
  const all = frames(pristine);
  // The last batch is entry 6 then its hard state; tear it at every byte.
  const [victim, last] = all.slice(-2) as [Frame, Frame];
  assert.equal(victim.type, RecordType.Entry);
  assert.equal(last.type, RecordType.HardState);
  const path = await lastSegment(dir);
  /** A frame survives if all its bytes are on disk as written (zero padding may be "missing"). */
  const survives = (damaged: Buffer, f: Frame): boolean =>
    damaged.length >= f.offset + f.size && damaged.subarray(f.offset, f.offset + f.size).equals(pristine.subarray(f.offset, f.offset + f.size));
  const check = async (damaged: Buffer, what: string): Promise<void> => {
    await writeFile(path, damaged);
    const { state, logger } = await openEntries(dir);
    const has6 = survives(damaged, victim);
    const hs6 = has6 && survives(damaged, last);
    assert.deepEqual(summary(state.entries), summary(entries(1, has6 ? 6 : 5, 1, 700)), what);
    assert.deepEqual(state.hardState, { term: 1, vote: 1n, commit: hs6 ? 5 : 4 }, what);
    const warned = logger.lines.filter((l) => l.level === 'warn').length;
    const clean = hs6 || (damaged.length === victim.offset) || (has6 && damaged.length === last.offset);
    const zeroTail = damaged.subarray(has6 ? last.offset : victim.offset).every((b) => b === 0);
    assert.equal(warned, clean || zeroTail ? 0 : 1, `${what}: repair logged once, only when needed`);
  };
  for (let k = 0; k < victim.size + last.size; k++) {
    // (a) the file simply ends early (append without preallocation, killed mid-write)
    await check(pristine.subarray(0, victim.offset + k), `cut at +${k}`);
    // (b) the rest of the write never reached a preallocated, zero-filled file
    await check(Buffer.concat([pristine.subarray(0, victim.offset + k), Buffer.alloc(8192)]), `zeroed from +${k}`);
  }

  // After a repair the log takes appends again where the valid data ended.
  await writeFile(path, pristine.subarray(0, victim.offset + 5));
  const { wal } = await Wal.open(dir, quiet({ preallocate: false }));
  await wal.saveAndSync(null, [entry(6, 2)]);
  await wal.close();
  const after = await openEntries(dir);
  assert.deepEqual(summary(after.state.entries), summary([...entries(1, 5, 1, 700), entry(6, 2)]));
});

test('torn tail without repair: open fails naming the file and offset, file untouched', async (t) => {
  const dir = await tempWalDir(t);
  const pristine = await makeWal(dir, 3);
  const path = await lastSegment(dir);
  const cut = pristine.subarray(0, pristine.length - 3);
  await writeFile(path, cut);
  await assert.rejects(openEntries(dir, false), (err: unknown) => {
    assert.ok(err instanceof WalTornTailError);
    assert.equal(err.file, '0000000000000000-0000000000000000.wal');
    assert.equal(err.offset, frames(pristine).at(-1)!.offset);
    return true;
  });
  assert.deepEqual(await readFile(path), cut);
  // the repair is logged with what was cut
  const { logger } = await openEntries(dir);
  const warn = logger.lines.find((l) => l.level === 'warn')!;
  assert.equal(warn.fields['offset'], frames(pristine).at(-1)!.offset);
  assert.equal(warn.fields['bytesCut'], cut.length - (frames(pristine).at(-1)!.offset));
});

/** Flips every byte of frame `f` (one at a time) and expects open to fail, naming it. */
async function expectEveryFlipFails(dir: string, path: string, pristine: Buffer, f: Frame, tail: Buffer): Promise<void> {
  const name = path.slice(path.lastIndexOf('/') + 1);
  for (let k = 0; k < f.size; k++) {
    const bad = Buffer.concat([pristine, tail]);
    bad[f.offset + k]! ^= 0x5a;
    await writeFile(path, bad);
    await assert.rejects(
      openEntries(dir),
      (err: unknown) => {
        assert.ok(err instanceof WalCorruptionError, `flip at +${k}: ${String(err)}`);
        assert.equal(err.file, name);
        assert.equal(err.offset, f.offset, `flip at +${k}: ${err.message}`);
        return true;
      },
      `flip at +${k} of the frame at ${f.offset}`,
    );
    assert.deepEqual(await readFile(path), bad, 'a failed open must not modify the file');
  }
  await writeFile(path, pristine);
}

test('a flipped byte anywhere in a middle record of the last segment fails open', async (t) => {
  const dir = await tempWalDir(t);
  const pristine = await makeWal(dir, 8, 300);
  const path = await lastSegment(dir);
  const fs = frames(pristine);
  const middle = fs.filter((f) => f.type === RecordType.Entry)[3]!;
  const secondToLast = fs.at(-2)!; // only one record follows it
  for (const f of [middle, secondToLast]) {
    await expectEveryFlipFails(dir, path, pristine, f, Buffer.alloc(0));
    await expectEveryFlipFails(dir, path, pristine, f, Buffer.alloc(4096)); // preallocated tail
  }
  const { state } = await openEntries(dir);
  assert.equal(state.entries.length, 8);
});

test('any bad record in a segment that is not the last fails open, even its last record', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet({ segmentSizeBytes: 2048, preallocate: false }));
  for (let i = 1; i <= 60; i++) await wal.saveAndSync(null, [entry(i, 1, 100)]);
  await wal.close();
  const names = (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort();
  assert.ok(names.length >= 3);
  const path = join(dir, names[0]!);
  const pristine = await readFile(path);
  const fs = frames(pristine);
  await expectEveryFlipFails(dir, path, pristine, fs.at(-1)!, Buffer.alloc(0));
  // and a truncated first segment is not a torn tail either
  await writeFile(path, pristine.subarray(0, pristine.length - 5));
  await assert.rejects(openEntries(dir), WalCorruptionError);
});

test('power loss: a record with an unwritten sector is torn even if later sectors landed', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet({ preallocate: false }));
  await wal.saveAndSync(null, entries(1, 3, 1, 50));
  await wal.saveAndSync(null, [entry(4, 1, 3000), entry(5, 1, 50)]); // one write, never acknowledged below
  await wal.close();
  const path = await lastSegment(dir);
  const buf = await readFile(path);
  const big = frames(buf).find((f) => f.size > 3000)!;
  const sector = Math.ceil((big.offset + 100) / 512) * 512; // a whole sector inside entry 4
  buf.fill(0, sector, sector + 512);
  await writeFile(path, buf);
  const { state, logger } = await openEntries(dir);
  assert.deepEqual(summary(state.entries), summary(entries(1, 3, 1, 50)));
  assert.match(String(logger.lines.find((l) => l.level === 'warn')?.fields['reason']), /sector/);
});

test('garbage after zeros where the next frame should start is not end of log', async (t) => {
  const dir = await tempWalDir(t);
  const pristine = await makeWal(dir, 4);
  const path = await lastSegment(dir);
  // zeros, then intact-looking data further on: a frame header was zeroed in the middle
  const fs = frames(pristine);
  const f = fs.filter((x) => x.type === RecordType.Entry)[1]!;
  const bad = Buffer.from(pristine);
  bad.fill(0, f.offset, f.offset + 12);
  await writeFile(path, bad);
  await assert.rejects(openEntries(dir), (err: unknown) => err instanceof WalCorruptionError && err.offset === f.offset);
});
