import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wal, WalLockedError } from '../../src/wal/index.js';
import { entry, quiet, tempWalDir } from './helpers.js';

const META = new Uint8Array([2]);

test('a WAL directory cannot be opened twice; closing releases it', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  await assert.rejects(Wal.open(dir, quiet()), (err: unknown) => {
    assert.ok(err instanceof WalLockedError);
    assert.match(err.message, new RegExp(`pid ${process.pid} \\(this process\\)`));
    return true;
  });
  await wal.saveAndSync(null, [entry(1)]); // the failed open did not disturb the owner
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.equal(state.entries.length, 1);
});

test('a lock left by a dead process is taken over', async (t) => {
  const dir = await tempWalDir(t);
  await (await Wal.create(dir, META, quiet())).close();
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const deadPid = Number(child.stdout.toString());
  assert.ok(deadPid > 0);
  await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: deadPid, start: '1' }));
  const { wal } = await Wal.open(dir, quiet());
  assert.equal(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')).pid, process.pid);
  await wal.close();
});

test('a lock held by a live process is respected', async (t) => {
  const dir = await tempWalDir(t);
  await (await Wal.create(dir, META, quiet())).close();
  // Our parent process is alive; an empty start time means "do not compare".
  await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, start: '' }));
  await assert.rejects(Wal.open(dir, quiet()), new RegExp(`locked by pid ${process.ppid}`));
});

test('a live pid with a different start time is a reused pid: the lock is stale', async (t) => {
  const dir = await tempWalDir(t);
  await (await Wal.create(dir, META, quiet())).close();
  await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: process.ppid, start: '12345678901' }));
  const { wal } = await Wal.open(dir, quiet());
  await wal.close();
});
