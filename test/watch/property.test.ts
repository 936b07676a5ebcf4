// The watch guarantee as a property: random interleavings of puts, deletes, multi-op txns,
// compactions (logical, and sometimes physical too), watch creations with random start
// revisions and filters, sinks that stall and recover, cancels and sync rounds. At the end every
// watcher's received stream must equal the history filtered by its range from its start
// revision — in order, no gaps, no duplicates, each txn whole in one delivery — or it was
// cancelled with the compact revision, having received exactly the history before its minRev.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Event_EventType, type Event } from '../../src/gen/mvccpb/kv_pb.js';
import type { Watcher, WatchSink } from '../../src/watch/hub.js';
import { KEY_INFINITY, rangeContains, type KeyRange } from '../../src/watch/key_range.js';
import { b, fmt, openWatchEnv, s, type WatchEnv } from './helpers.js';

const KEYS = ['a', 'a/x', 'a/y', 'b', 'c'];
const RANGES: KeyRange[] = [
  { start: 'a', end: undefined },
  { start: 'a/x', end: undefined },
  { start: 'a/', end: 'a0' },
  { start: 'a', end: 'c' },
  { start: 'b', end: KEY_INFINITY },
  { start: '\0', end: KEY_INFINITY },
];

type Cmd =
  | { kind: 'put'; key: number; value: number }
  | { kind: 'del'; key: number; toEnd: boolean }
  | { kind: 'txn'; puts: number[]; dels: number[] }
  | { kind: 'compact'; frac: number; physical: boolean }
  | { kind: 'watch'; range: number; start: number; noPut: boolean; noDelete: boolean; prevKv: boolean; sink: number }
  | { kind: 'sync' }
  | { kind: 'stall'; sink: number; full: boolean }
  | { kind: 'cancel'; watcher: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.nat(KEYS.length - 1), value: fc.nat(99) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.nat(KEYS.length - 1), toEnd: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc
      .uniqueArray(fc.nat(KEYS.length - 1), { minLength: 1, maxLength: 4 })
      .chain((keys) => fc.integer({ min: 0, max: keys.length }).map((n) => ({ kind: 'txn' as const, puts: keys.slice(0, n), dels: keys.slice(n) }))),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }), physical: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('watch' as const),
      range: fc.nat(RANGES.length - 1),
      start: fc.double({ min: 0, max: 1.2, noNaN: true }),
      noPut: fc.boolean(),
      noDelete: fc.boolean(),
      prevKv: fc.boolean(),
      sink: fc.nat(2),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), sink: fc.nat(2), full: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), watcher: fc.nat(20) }) },
);

interface HistEvent {
  rev: number;
  key: string;
  type: Event_EventType;
  /** fmt() of the event without prev_kv. */
  text: string;
}

interface Got {
  events: Event[];
  rev: number;
}

class Sink implements WatchSink {
  full = false;
  readonly got = new Map<Watcher, Got[]>();
  readonly compactedAt = new Map<Watcher, number>();
  ready(): boolean {
    return !this.full;
  }
  deliver(w: Watcher, events: Event[], rev: number): boolean {
    if (this.full) return false;
    let l = this.got.get(w);
    if (l === undefined) this.got.set(w, (l = []));
    l.push({ events, rev });
    return true;
  }
  compacted(w: Watcher, c: number): boolean {
    if (this.full) return false;
    assert.ok(!this.compactedAt.has(w), 'compaction reported twice');
    this.compactedAt.set(w, c);
    return true;
  }
}

interface WatchRec {
  w: Watcher;
  sink: Sink;
  range: KeyRange;
  from: number;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
  canceled: boolean;
}

async function runScenario(cmds: Cmd[]): Promise<void> {
  const env: WatchEnv = openWatchEnv({ autoSync: false, maxRevsPerSync: 3, maxWatchersPerSync: 4 });
  try {
    const history: HistEvent[] = [];
    /** value of each key after each revision (index = revision), for prev_kv checks */
    const states: Array<Map<string, string>> = [new Map(), new Map()];
    const sinks = [new Sink(), new Sink(), new Sink()];
    const watches: WatchRec[] = [];
    const compactions: number[] = [];
    const apply = (fn: (t: ReturnType<WatchEnv['store']['write']>) => void): void => {
      env.backend.batch(() => {
        const t = env.store.write();
        fn(t);
        const r = t.end();
        if (r.events.length === 0) return;
        const st = new Map(states[states.length - 1]!);
        for (const ev of r.events) {
          const k = s(ev.kv!.key);
          history.push({ rev: r.rev, key: k, type: ev.type, text: fmt({ ...ev, prevKv: undefined }) });
          if (ev.type === Event_EventType.PUT) st.set(k, s(ev.kv!.value));
          else st.delete(k);
        }
        states.push(st);
        assert.equal(states.length - 1, r.rev);
        env.hub.notify(r.events, r.rev);
      });
    };
    for (const c of cmds) {
      switch (c.kind) {
        case 'put':
          apply((t) => t.put(b(KEYS[c.key]!), b(String(c.value))));
          break;
        case 'del':
          apply((t) => t.deleteRange(b(KEYS[c.key]!), c.toEnd ? new Uint8Array([0]) : undefined, true));
          break;
        case 'txn':
          apply((t) => {
            for (const k of c.puts) t.put(b(KEYS[k]!), b(`t${env.store.rev}`));
            for (const k of c.dels) t.deleteRange(b(KEYS[k]!), undefined);
          });
          break;
        case 'compact': {
          const lo = Math.max(env.store.compactRev + 1, 1);
          const hi = env.store.rev;
          if (hi < lo) break;
          const rev = lo + Math.floor(c.frac * (hi - lo));
          const { physicalDone } = env.store.compact(Math.min(rev, hi));
          compactions.push(Math.min(rev, hi));
          if (c.physical) await physicalDone;
          break;
        }
        case 'watch': {
          const head = env.store.rev;
          const startRev = c.start < 0.1 ? 0 : Math.max(1, Math.round(c.start * (head + 1)));
          const sink = sinks[c.sink]!;
          const w = env.hub.watch({ range: RANGES[c.range]!, startRev, sink, noPut: c.noPut, noDelete: c.noDelete, prevKv: c.prevKv });
          const from = startRev === 0 ? head + 1 : startRev;
          watches.push({ w, sink, range: RANGES[c.range]!, from, noPut: c.noPut, noDelete: c.noDelete, prevKv: c.prevKv, canceled: false });
          break;
        }
        case 'sync':
          env.hub.syncNow();
          break;
        case 'stall':
          sinks[c.sink]!.full = c.full;
          break;
        case 'cancel': {
          const rec = watches[c.watcher];
          if (rec !== undefined && !rec.canceled) {
            env.hub.cancel(rec.w);
            rec.canceled = true;
          }
          break;
        }
      }
    }
    for (const sk of sinks) sk.full = false;
    assert.equal(env.hub.syncAll(), 0, 'everyone catches up once sinks have room');

    for (const rec of watches) {
      if (rec.canceled) continue;
      const got = rec.sink.got.get(rec.w) ?? [];
      // each delivery holds whole revisions, in order, and never a revision twice
      let lastRev = 0;
      for (const d of got) {
        const revs = d.events.map((e) => Number(e.kv!.modRevision));
        assert.ok(revs.length > 0);
        assert.ok(revs[0]! > lastRev, 'a revision split across deliveries or out of order');
        for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! >= revs[i - 1]!);
        lastRev = revs[revs.length - 1]!;
        assert.ok(d.rev >= lastRev, 'header revision below its events');
      }
      const received = got.flatMap((d) => d.events);
      // prev_kv: present only when asked; when present, the key's value at rev - 1
      for (const e of received) {
        if (!rec.prevKv) {
          assert.equal(e.prevKv, undefined);
          continue;
        }
        const rev = Number(e.kv!.modRevision);
        const before = states[rev - 1]!.get(s(e.kv!.key));
        if (e.prevKv !== undefined) assert.equal(s(e.prevKv.value), before);
        else if (before !== undefined && !(e.type === Event_EventType.PUT && e.kv!.createRevision === e.kv!.modRevision)) {
          assert.ok(compactions.some((c) => c > rev - 1), `prev_kv missing at ${rev} without compaction`);
        }
      }
      const texts = received.map((e) => fmt({ ...e, prevKv: undefined }));
      const compactRev = rec.sink.compactedAt.get(rec.w);
      const limit = compactRev === undefined ? Infinity : rec.w.minRev;
      const expected = history
        .filter((h) => h.rev >= rec.from && h.rev < limit && rangeContains(rec.range, h.key))
        .filter((h) => !(h.type === Event_EventType.PUT ? rec.noPut : rec.noDelete))
        // etcd's own boundary: compaction at C removes a tombstone row at exactly C, so a
        // watcher reading history from C after the rows are gone cannot see that delete.
        .filter((h) => !(h.type === Event_EventType.DELETE && compactions.includes(h.rev) && !texts.includes(h.text)))
        .map((h) => h.text);
      assert.deepEqual(texts, expected, `watcher on ${JSON.stringify(rec.range)} from ${rec.from}`);
      if (compactRev !== undefined) {
        assert.equal(rec.w.state, 'compacted');
        assert.ok(compactions.includes(compactRev), 'reported a revision that was never compacted');
        assert.ok(rec.w.minRev < compactRev, 'cancelled although its history was still there');
      } else {
        assert.equal(rec.w.state, 'synced');
      }
    }
  } finally {
    await env.cleanup();
  }
}

test('every watcher receives exactly its slice of history, or is cancelled at the compact revision', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 120, size: 'max' }), (cmds) => runScenario(cmds)),
    { numRuns: 150, seed: 20261125 },
  );
});
