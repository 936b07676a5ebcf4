// Child process for crash.test.ts: appends and syncs batches to a WAL as fast as it can,
// printing "ack <index>" once the sync covering entry <index> has resolved, until killed.
//
// argv: <dir> <term>. Each run first overwrites the last two entries with its own term
// (what a new leader does to an uncommitted tail), takes a snapshot and releases segments
// every 40 batches, and keeps up to three syncs in flight to exercise group commit.

import { Wal, type WalState } from '../../src/wal/index.js';
import { payload } from './helpers.js';

const [dir, termArg] = process.argv.slice(2);
if (dir === undefined || termArg === undefined) throw new Error('usage: crash-child <dir> <term>');
const term = Number(termArg);
const opts = { segmentSizeBytes: 32 * 1024, logger: { info: () => {}, warn: () => {} } };

let wal: Wal;
let state: WalState | null = null;
if (await Wal.exists(dir)) ({ wal, state } = await Wal.open(dir, opts));
else wal = await Wal.create(dir, new Uint8Array([42]), opts);

let snapshot = state?.snapshot?.index ?? 0;
const last = state?.entries.at(-1)?.index ?? snapshot;
let next = Math.max(snapshot + 1, last - 1);
const inflight = new Set<Promise<void>>();
for (let batch = 1; batch <= 1_000_000; batch++) {
  const count = 1 + (batch % 5);
  const entries = Array.from({ length: count }, (_, k) => ({
    index: next + k,
    term,
    type: 0,
    data: payload(next + k, term, 10 + (((next + k) * 37) % 900)),
  }));
  next += count;
  const end = next - 1;
  wal.save({ term, vote: 1n, commit: end }, entries);
  let release: number | null = null;
  if (batch % 40 === 0 && end - 10 > snapshot) {
    snapshot = end - 10;
    wal.saveSnapshot({ index: snapshot, term });
    release = snapshot;
  }
  const p = wal.sync().then(async () => {
    process.stdout.write(`ack ${end}\n`);
    if (release !== null) await wal.releaseTo(release);
  });
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
  if (inflight.size >= 3) await Promise.race(inflight);
}
await Promise.all(inflight);
await wal.close();
