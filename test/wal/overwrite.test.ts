// Overwrite (truncation) semantics of the log on read-back, as etcd's WAL ReadAll.

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Wal, type WalEntry } from '../../src/wal/index.js';
import { RecordEncoder } from '../../src/wal/encoder.js';
import { entries, entry, quiet, summary, tempWalDir } from './helpers.js';

const META = new Uint8Array([1, 2, 3]);

async function reopen(dir: string): Promise<WalEntry[]> {
  const { wal, state } = await Wal.open(dir, quiet());
  await wal.close();
  return state.entries;
}

test('a later append at index i replaces entry i and drops everything after it', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  await wal.saveAndSync({ term: 1, vote: 1n, commit: 3 }, entries(1, 10, 1));
  await wal.saveAndSync({ term: 2, vote: 2n, commit: 3 }, entries(5, 7, 2)); // new leader
  await wal.close();
  assert.deepEqual(summary(await reopen(dir)), summary([...entries(1, 4, 1), ...entries(5, 7, 2)]));
});

test('overwriting from the first index replaces the whole log; appending after it continues', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  await wal.saveAndSync(null, entries(1, 5, 1));
  await wal.saveAndSync(null, [entry(1, 3)]);
  await wal.saveAndSync(null, entries(2, 3, 3));
  await wal.close();
  assert.deepEqual(summary(await reopen(dir)), summary(entries(1, 3, 3)));
});

test('an entry past the end of the log (a hole) fails open', async (t) => {
  // save() refuses holes, so write the segment with the encoder directly.
  const dir = await tempWalDir(t);
  const enc = new RecordEncoder(0);
  enc.crcRecord();
  enc.metadata(META);
  for (const e of [...entries(1, 3), entry(5)]) enc.entry(e);
  await mkdir(dir);
  await writeFile(join(dir, '0000000000000000-0000000000000000.wal'), enc.detach().bytes);
  await assert.rejects(
    Wal.open(dir, quiet()),
    /slice bounds out of range: entry 5 in 0000000000000000-0000000000000000\.wal at offset \d+ follows entry 3/,
  );
});

test('entries at or below the snapshot are ignored, later ones resolve against it', async (t) => {
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  await wal.saveAndSync(null, entries(1, 10, 1));
  wal.saveSnapshot({ index: 6, term: 1 });
  await wal.saveAndSync(null, entries(9, 12, 2));
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  await w2.close();
  assert.deepEqual(state.snapshot, { index: 6, term: 1 });
  assert.deepEqual(summary(state.entries), summary([...entries(7, 8, 1), ...entries(9, 12, 2)]));
});

test('as in etcd, an overwrite at or below the snapshot does not drop stale entries above it', async (t) => {
  // 1@1 2@1 3@1, a new leader overwrites 2 with 2@2 (dropping 3@1), then a snapshot at 2.
  // etcd's ReadAll ignores every entry at or below the snapshot index — the overwrite too —
  // so the stale 3@1 comes back. Raft copes: it is above the commit index, and the
  // leader's next append at 3 replaces it. We keep etcd's exact rule.
  const dir = await tempWalDir(t);
  const wal = await Wal.create(dir, META, quiet());
  await wal.saveAndSync(null, entries(1, 3, 1));
  await wal.saveAndSync({ term: 2, vote: 2n, commit: 2 }, [entry(2, 2)]);
  wal.saveSnapshot({ index: 2, term: 2 });
  await wal.close();
  const { wal: w2, state } = await Wal.open(dir, quiet());
  assert.deepEqual(summary(state.entries), summary([entry(3, 1)]));
  // The log continues from what open returned: 4 may follow 3, and 3 may be replaced.
  await w2.saveAndSync(null, [entry(4, 2)]);
  await w2.saveAndSync(null, [entry(3, 3)]);
  assert.throws(() => w2.save(null, [entry(5, 3)]), /hole after entry 3/);
  await w2.close();
  const again = await Wal.open(dir, quiet());
  await again.wal.close();
  assert.deepEqual(summary(again.state.entries), summary([entry(3, 3)]));
});

/** etcd's ReadAll rule, applied to every entry ever saved, in order. */
function etcdReadAll(history: readonly WalEntry[], start: number): WalEntry[] {
  const out: WalEntry[] = [];
  for (const e of history) {
    if (e.index <= start) continue;
    out.length = e.index - start - 1;
    out.push(e);
  }
  return out;
}

// Random histories of a Raft follower's log (appends that may overwrite a suffix, hard
// states, snapshots, syncs, releases and restarts) against an in-memory model, with
// segments small enough that most histories cross several. The model is two-fold: the
// log as Raft sees it (to generate realistic appends and snapshots) and the history of
// everything saved (what etcd's rule resolves on read-back).
type Op =
  | { kind: 'append'; back: number; count: number; size: number }
  | { kind: 'hardState' }
  | { kind: 'snapshot'; back: number }
  | { kind: 'release' }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 8 }), size: fc.nat(400) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), back: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
);

test('property: random histories read back exactly as the model log', async (t) => {
  const root = await tempWalDir(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const dir = `${root}-${run++}`;
      const opts = quiet({ segmentSizeBytes: 2048, preallocate: run % 2 === 0 });
      let wal = await Wal.create(dir, META, opts);
      let term = 1;
      let snap = 0;
      let log: WalEntry[] = []; // entries after the snapshot, log[k].index === snap + 1 + k
      const history: WalEntry[] = [];
      let hs = null as { term: number; vote: bigint; commit: number } | null;
      try {
        for (const op of ops) {
          if (op.kind === 'append') {
            const first = Math.max(snap + 1, snap + log.length + 1 - op.back);
            if (op.back > 0) term++;
            const batch = Array.from({ length: op.count }, (_, k) => entry(first + k, term, op.size));
            wal.save(null, batch);
            history.push(...batch);
            log = [...log.slice(0, first - snap - 1), ...batch];
          } else if (op.kind === 'hardState') {
            hs = { term, vote: BigInt(term * 7), commit: snap + log.length };
            wal.save(hs, []);
          } else if (op.kind === 'snapshot') {
            if (log.length === 0) continue;
            const idx = snap + Math.max(1, log.length - op.back);
            wal.saveSnapshot({ index: idx, term: log[idx - snap - 1]!.term });
            log = log.slice(idx - snap);
            snap = idx;
          } else if (op.kind === 'release') {
            await wal.sync();
            await wal.releaseTo(snap);
          } else {
            await wal.close();
            const r = await Wal.open(dir, opts);
            wal = r.wal;
            assert.deepEqual(summary(r.state.entries), summary(etcdReadAll(history, snap)));
          }
        }
        await wal.close();
        const r = await Wal.open(dir, opts);
        wal = r.wal;
        const expected = etcdReadAll(history, snap);
        assert.deepEqual(summary(r.state.entries), summary(expected));
        assert.deepEqual(r.state.entries, expected);
        // Where no overwrite reached below a snapshot, that is exactly Raft's log.
        if (expected.length === log.length) assert.deepEqual(summary(expected), summary(log));
        assert.deepEqual(r.state.hardState, hs);
        assert.equal(r.state.snapshot?.index ?? 0, snap);
      } finally {
        await wal.close();
      }
    }),
    { numRuns: 60 },
  );
});
