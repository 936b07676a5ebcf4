// A real crash test: a child process appends and syncs, printing each acknowledged index;
// we SIGKILL it at random moments, reopen, and check that every acknowledged entry is
// there and the log is intact. Several rounds against the same directory.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Wal } from '../../src/wal/index.js';
import { payload, quiet, tempWalDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const ROUNDS = 8;

/** Runs the child until it has acknowledged something, then kills it after `delayMs`. */
async function runAndKill(dir: string, term: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, [CHILD, dir, String(term)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!out.includes('ack ') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(out.includes('ack '), `child acknowledged nothing (exit ${child.exitCode}): ${err}`);
  await new Promise((r) => setTimeout(r, delayMs));
  child.kill('SIGKILL');
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', `child ended on its own: ${err}`);
  const acks = out
    .split('\n')
    .filter((l) => l.startsWith('ack '))
    .map((l) => Number(l.slice(4)));
  return Math.max(...acks);
}

test('SIGKILL at random moments loses no acknowledged entry', { timeout: 120_000 }, async (t) => {
  const dir = await tempWalDir(t);
  let repairs = 0;
  let totalAcked = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const delay = Math.floor(Math.random() * 300);
    const roundAck = await runAndKill(dir, round, delay);
    totalAcked = roundAck;

    const opts = quiet({ segmentSizeBytes: 32 * 1024 });
    const { wal, state } = await Wal.open(dir, opts);
    repairs += opts.logger.lines.filter((l) => l.level === 'warn').length;
    try {
      const snap = state.snapshot?.index ?? 0;
      const es = state.entries;
      assert.ok(es.length > 0 || snap >= roundAck, `round ${round}: empty log`);
      const last = es.at(-1)?.index ?? snap;
      assert.ok(last >= roundAck, `round ${round}: acknowledged ${roundAck} but the log ends at ${last} (delay ${delay} ms)`);
      let prevTerm = 0;
      for (const [k, e] of es.entries()) {
        assert.equal(e.index, snap + 1 + k, `round ${round}: hole or disorder at ${e.index}`);
        assert.ok(e.term >= prevTerm && e.term <= round, `round ${round}: bad term ${e.term} at ${e.index}`);
        assert.deepEqual(e.data, payload(e.index, e.term, 10 + ((e.index * 37) % 900)), `round ${round}: data of ${e.index}`);
        prevTerm = e.term;
      }
      assert.ok(state.hardState !== null && state.hardState.commit <= last);
    } finally {
      await wal.close();
    }
  }
  const names = await readdir(dir);
  assert.ok(names.filter((n) => n.endsWith('.wal')).length >= 1);
  t.diagnostic(`${ROUNDS} kills, ${repairs} torn tails repaired, last acknowledged index ${totalAcked}`);
});
