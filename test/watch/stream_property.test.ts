// The Watch stream protocol as a property, on what a client would see: random creates (auto and
// client-chosen ids, start revisions, filters, prev_kv, fragment), cancels, progress requests
// and ticks, a transport that stalls and drains, writes, txns and compactions. Checked on the
// response sequence alone:
//  - a watch's events come after its created response and stop at its cancel / compaction;
//  - each watch's events are its slice of history (all of it if it lives to the end, a prefix if
//    cancelled, a prefix below the compact revision if compacted);
//  - a progress response (watch_id -1, or a watch's own empty response) at revision R is never
//    followed by an event at or below R for a watch that existed when it was sent;
//  - fragments of one response are contiguous and only for watches that asked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WatchCreateRequest_FilterType, type WatchResponse } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { Event_EventType } from '../../src/gen/mvccpb/kv_pb.js';
import { KEY_INFINITY, rangeContains, type KeyRange } from '../../src/watch/key_range.js';
import { b, fmt, openWatchEnv, s } from './helpers.js';
import { cancelReq, createReq, openStream, progressReq } from './stream_helpers.js';

const KEYS = ['a', 'a/x', 'a/y', 'b', 'c'];
const RANGES: Array<{ key: string; end: string; range: KeyRange }> = [
  { key: 'a', end: '', range: { start: 'a', end: undefined } },
  { key: 'a/', end: 'a0', range: { start: 'a/', end: 'a0' } },
  { key: 'b', end: '\0', range: { start: 'b', end: KEY_INFINITY } },
  { key: '', end: '\0', range: { start: '\0', end: KEY_INFINITY } },
];

type Cmd =
  | { kind: 'put'; key: number; big: boolean }
  | { kind: 'del'; key: number }
  | { kind: 'txn'; keys: number[] }
  | { kind: 'compact'; frac: number }
  | { kind: 'create'; range: number; start: number; id: number; noPut: boolean; noDelete: boolean; prevKv: boolean; fragment: boolean; notify: boolean }
  | { kind: 'cancel'; id: number }
  | { kind: 'progress' }
  | { kind: 'tick' }
  | { kind: 'stall'; on: boolean }
  | { kind: 'drain' }
  | { kind: 'sync' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.nat(KEYS.length - 1), big: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.nat(KEYS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('txn' as const), keys: fc.uniqueArray(fc.nat(KEYS.length - 1), { minLength: 2, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      range: fc.nat(RANGES.length - 1),
      start: fc.double({ min: 0, max: 1.2, noNaN: true }),
      id: fc.nat(4),
      noPut: fc.boolean(),
      noDelete: fc.boolean(),
      prevKv: fc.boolean(),
      fragment: fc.boolean(),
      notify: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), id: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'progress' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'drain' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

interface Incarnation {
  id: bigint;
  createdAt: number; // index of its created response
  range: KeyRange;
  from: number;
  noPut: boolean;
  noDelete: boolean;
  fragment: boolean;
  events: string[];
  revs: number[];
  /** indexes of its event responses in the sequence */
  at: number[];
  end: 'alive' | 'canceled' | { compact: number };
}

async function scenario(cmds: Cmd[]): Promise<void> {
  const env = openWatchEnv({ autoSync: false, maxRevsPerSync: 3 });
  const h = openStream(env, { queueLimit: 3, maxRequestBytes: 120 });
  try {
    const history: Array<{ rev: number; key: string; type: Event_EventType; text: string }> = [];
    const compactions: number[] = [];
    let lastProgressAsk = -1;
    // what each create asked for, in the order the creates were handled
    const asked: Array<Omit<Incarnation, 'id' | 'createdAt' | 'events' | 'revs' | 'at' | 'end'>> = [];
    const write = (ops: (t: ReturnType<typeof env.store.write>) => void): void => {
      env.backend.batch(() => {
        const t = env.store.write();
        ops(t);
        const r = t.end();
        for (const ev of r.events) history.push({ rev: r.rev, key: s(ev.kv!.key), type: ev.type, text: fmt({ ...ev, prevKv: undefined }) });
        env.hub.notify(r.events, r.rev);
      });
    };
    for (const c of cmds) {
      switch (c.kind) {
        case 'put':
          write((t) => t.put(b(KEYS[c.key]!), b(c.big ? 'v'.repeat(40) : String(env.store.rev))));
          break;
        case 'del':
          write((t) => t.deleteRange(b(KEYS[c.key]!), undefined, true));
          break;
        case 'txn':
          write((t) => {
            for (const k of c.keys) t.put(b(KEYS[k]!), b(`t${env.store.rev}`));
          });
          break;
        case 'compact': {
          const lo = Math.max(env.store.compactRev + 1, 1);
          const hi = env.store.rev;
          if (hi < lo) break;
          const rev = Math.min(hi, lo + Math.floor(c.frac * (hi - lo)));
          await env.store.compact(rev).physicalDone;
          compactions.push(rev);
          break;
        }
        case 'create': {
          const head = env.store.rev;
          const start = c.start < 0.1 ? 0 : Math.max(1, Math.round(c.start * (head + 1)));
          const r = RANGES[c.range]!;
          asked.push({ range: r.range, from: start === 0 ? head + 1 : start, noPut: c.noPut, noDelete: c.noDelete, fragment: c.fragment });
          const filters = [...(c.noPut ? [WatchCreateRequest_FilterType.NOPUT] : []), ...(c.noDelete ? [WatchCreateRequest_FilterType.NODELETE] : [])];
          h.stream.handle(
            createReq({ key: b(r.key), rangeEnd: b(r.end), startRevision: BigInt(start), watchId: BigInt(c.id), filters, prevKv: c.prevKv, fragment: c.fragment, progressNotify: c.notify }),
          );
          break;
        }
        case 'cancel':
          h.stream.handle(cancelReq(BigInt(c.id)));
          break;
        case 'progress':
          lastProgressAsk = h.sent.length;
          h.stream.handle(progressReq());
          break;
        case 'tick':
          h.clock.fire();
          break;
        case 'stall':
          h.writable = !c.on;
          break;
        case 'drain':
          h.writable = true;
          h.stream.drain();
          break;
        case 'sync':
          env.hub.syncNow();
          break;
      }
    }
    h.writable = true;
    h.stream.drain();
    assert.equal(env.hub.syncAll(), 0);
    h.stream.drain();

    // ---- replay the response sequence as a client would ----
    const sent: WatchResponse[] = h.sent;
    const live = new Map<bigint, Incarnation>();
    /** ids cancelled by compaction: still taken on the server until the client cancels them */
    const compacted = new Set<bigint>();
    const all: Incarnation[] = [];
    let creates = 0;
    /** per response index: progress revision and the incarnations it covers */
    const barriers: Array<{ at: number; rev: number; covers: Set<Incarnation> }> = [];
    for (let i = 0; i < sent.length; i++) {
      const r = sent[i]!;
      const rev = Number(r.header!.revision);
      if (r.created) {
        const a = asked[creates++]!;
        if (r.canceled) {
          assert.equal(r.watchId, -1n);
          continue;
        }
        assert.ok(!live.has(r.watchId), `id ${r.watchId} created twice while live`);
        const inc: Incarnation = { ...a, id: r.watchId, createdAt: i, events: [], revs: [], at: [], end: 'alive' };
        live.set(r.watchId, inc);
        all.push(inc);
        continue;
      }
      if (r.watchId === -1n) {
        barriers.push({ at: i, rev, covers: new Set(live.values()) });
        continue;
      }
      if (compacted.has(r.watchId) && !live.has(r.watchId)) {
        assert.ok(r.canceled && r.events.length === 0, 'only a cancel may follow a compaction');
        compacted.delete(r.watchId);
        continue;
      }
      const inc = live.get(r.watchId);
      assert.ok(inc !== undefined, `response for id ${r.watchId} that is not live: ${JSON.stringify({ canceled: r.canceled, n: r.events.length })}`);
      if (r.compactRevision !== 0n) {
        assert.ok(r.canceled);
        inc.end = { compact: Number(r.compactRevision) };
        live.delete(r.watchId);
        compacted.add(r.watchId);
        continue;
      }
      if (r.canceled) {
        inc.end = 'canceled';
        live.delete(r.watchId);
        continue;
      }
      if (r.events.length === 0) {
        barriers.push({ at: i, rev, covers: new Set([inc]) });
        continue;
      }
      if (r.fragment) {
        assert.ok(inc.fragment, 'fragment for a watch that did not ask');
        assert.equal(sent[i + 1]?.watchId, r.watchId, 'fragments are contiguous');
      }
      inc.at.push(i);
      for (const e of r.events) {
        inc.events.push(fmt({ ...e, prevKv: undefined }));
        inc.revs.push(Number(e.kv!.modRevision));
        assert.ok(rev >= Number(e.kv!.modRevision), 'header revision below an event');
      }
    }
    for (const inc of all) {
      const expected = history
        .filter((e) => e.rev >= inc.from && rangeContains(inc.range, e.key))
        .filter((e) => !(e.type === Event_EventType.PUT ? inc.noPut : inc.noDelete))
        .filter((e) => !(e.type === Event_EventType.DELETE && compactions.includes(e.rev) && !inc.events.includes(e.text)))
        .map((e) => e.text);
      if (inc.end === 'alive') assert.deepEqual(inc.events, expected);
      else assert.deepEqual(inc.events, expected.slice(0, inc.events.length), 'a cancelled watch got a prefix of its history');
      if (typeof inc.end === 'object') {
        const c = inc.end.compact;
        assert.ok(compactions.includes(c));
        assert.ok(inc.revs.every((r) => r < c));
        assert.ok(inc.from < c);
      }
      for (let k = 1; k < inc.revs.length; k++) assert.ok(inc.revs[k]! >= inc.revs[k - 1]!);
    }
    if (lastProgressAsk >= 0) {
      // deferred progress requests are answered once everyone is synced (several may coalesce)
      assert.ok(barriers.some((bar) => bar.at >= lastProgressAsk && sent[bar.at]!.watchId === -1n), 'a progress request was never answered');
    }
    for (const bar of barriers) {
      for (const inc of bar.covers) {
        for (const i of inc.at) {
          if (i < bar.at) continue;
          for (const e of sent[i]!.events) assert.ok(Number(e.kv!.modRevision) > bar.rev, `event at ${e.kv!.modRevision} after progress at ${bar.rev}`);
        }
      }
    }
  } finally {
    h.stream.close();
    await env.cleanup();
  }
}

test('the stream protocol as a client sees it: lifecycles, history slices, progress barriers, fragments', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(cmd, { minLength: 10, maxLength: 100, size: 'max' }), (cmds) => scenario(cmds)),
    { numRuns: 120, seed: 77 },
  );
});
