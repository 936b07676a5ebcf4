import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CompactorClock, startPeriodicCompactor, startRevisionCompactor } from '../../src/server/compactor.js';

/** A manual clock: advance() fires due timers in time order. */
function fakeClock(): CompactorClock & { advance(ms: number): Promise<void> } {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return { cancel: () => (t.live = false) };
    },
    async advance(ms) {
      const end = now + ms;
      for (let guard = 0; guard < 100_000; guard++) {
        timers = timers.filter((t) => t.live);
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        next.fn();
        await new Promise((r) => setImmediate(r)); // let async steps settle
      }
      now = end;
    },
  };
}

test('revision mode compacts to current - retention every 5 minutes, only when it moved', async () => {
  const clock = fakeClock();
  let rev = 100;
  const compacted: number[] = [];
  const c = startRevisionCompactor(10, { rev: () => rev, compact: async (r) => void compacted.push(r) }, clock);
  await clock.advance(4 * 60_000);
  assert.deepEqual(compacted, []);
  await clock.advance(60_000);
  assert.deepEqual(compacted, [90]);
  await clock.advance(5 * 60_000);
  assert.deepEqual(compacted, [90], 'no new revisions: nothing to do');
  rev = 150;
  await clock.advance(5 * 60_000);
  assert.deepEqual(compacted, [90, 140]);
  c.stop();
  rev = 500;
  await clock.advance(60 * 60_000);
  assert.deepEqual(compacted, [90, 140]);
});

test('periodic mode keeps one period of history: compacts to the revision sampled a period ago', async () => {
  const clock = fakeClock();
  let rev = 1;
  const compacted: number[] = [];
  // 1 hour retention: samples every 6 minutes.
  const c = startPeriodicCompactor(60 * 60_000, { rev: () => rev, compact: async (r) => void compacted.push(r) }, clock);
  for (let m = 0; m < 60; m += 6) {
    rev += 10; // writes keep coming
    await clock.advance(6 * 60_000);
  }
  assert.equal(compacted.length, 1, 'first compaction after one full period');
  assert.equal(compacted[0], 1, 'to the revision of one period ago');
  for (let m = 0; m < 60; m += 6) {
    rev += 10;
    await clock.advance(6 * 60_000);
  }
  assert.equal(compacted.length, 2);
  assert.ok(compacted[1]! > 1 && compacted[1]! < rev);
  c.stop();
});
