// The deterministic simulator over 10,000 seeds: random clusters (3 or 5 voters, learners,
// membership churn) under message loss, delay, reordering, duplication, symmetric and
// one-way partitions, crashes (some mid-fsync, losing the unsynced tail), clock skew and
// leader transfers, with every safety invariant checked after every step and liveness
// required once the network heals. Any failure prints the seed; replay it with
//   npm run sim -- --seed <seed> --trace

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { runSeed } from './sim/world.js';
import type { WorkerReply } from './sim/worker.js';

const SEEDS = 10_000;

function runRange(from: number, to: number): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./sim/worker.js', import.meta.url), { workerData: { from, to } });
    w.once('message', (m: WorkerReply) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`simulator worker exited with ${code}`));
    });
  });
}

test(`simulator: ${SEEDS} seeds without a safety or liveness violation`, async (t) => {
  const workers = Math.max(1, Math.min(availableParallelism(), 4));
  const per = Math.ceil(SEEDS / workers);
  const started = process.hrtime.bigint();
  const replies = await Promise.all(
    Array.from({ length: workers }, (_, i) => runRange(1 + i * per, 1 + Math.min(SEEDS, (i + 1) * per))),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const total = replies.reduce((n, r) => n + r.seeds, 0);
  const failures = replies.flatMap((r) => r.failures);
  const committed = replies.reduce((n, r) => n + r.committed, 0);
  const reads = replies.reduce((n, r) => n + r.reads, 0);
  t.diagnostic(`${total} seeds in ${secs.toFixed(1)}s (${(total / secs).toFixed(0)} seeds/s on ${workers} workers)`);
  t.diagnostic(`${committed} entries committed, ${reads} linearizable reads checked`);
  assert.equal(total, SEEDS);
  // Every seed did real work: elections happened and entries committed.
  assert.ok(committed > SEEDS * 10, `only ${committed} entries committed`);
  assert.ok(reads > SEEDS, `only ${reads} reads checked`);
  const shown = failures.slice(0, 5).map((f) => `seed ${f.seed}: ${f.violation}\n  replay: npm run sim -- --seed ${f.seed} --trace`);
  assert.equal(failures.length, 0, shown.join('\n'));
});

test('simulator: a seed replays bit for bit', () => {
  for (const seed of [7, 4242]) {
    const a = runSeed(seed, { trace: true });
    const b = runSeed(seed, { trace: true });
    assert.ok(a.trace.length > 100);
    assert.deepEqual(b.trace, a.trace);
    assert.deepEqual({ ...b, trace: [] }, { ...a, trace: [] });
  }
});

test('simulator: different seeds explore different runs', () => {
  const a = runSeed(1, { trace: true });
  const b = runSeed(2, { trace: true });
  assert.notDeepEqual(a.trace, b.trace);
});
