// etcd is the spec: the same Watch conversation, request by request, against the real etcd 3.4
// (over gRPC) and against WatchStream on our MvccStore (in-process, no server). Every step's
// responses, printed without cluster/member ids and raft term, must be identical: created and
// refused creates (duplicate id, empty range), history replay with prev_kv across a compaction,
// a compacted start revision, progress requests, cancels of live, compacted and unknown ids,
// filters, from-key ranges and live events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { KV, WatchCreateRequest_FilterType, Watch, type WatchRequest, type WatchResponse } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { startServer } from '../helpers/real-etcd.js';
import { b, del, openWatchEnv, put } from './helpers.js';
import { cancelReq, createReq, line, openStream, progressReq } from './stream_helpers.js';

const BIG = 'v'.repeat(900_000);

type Step = { write: ['put', string, string] | ['del', string] } | { compact: number } | { req: WatchRequest };

const STEPS: Step[] = [
  { write: ['put', 'a', '1'] }, // 2
  { write: ['put', 'a', '2'] }, // 3
  { write: ['put', 'b', '1'] }, // 4
  { write: ['del', 'a'] }, // 5
  { write: ['put', 'a/x', '1'] }, // 6
  { compact: 3 },
  { req: createReq({ key: b('a'), startRevision: 2n }) }, // compacted start
  { req: createReq({ key: b('a'), startRevision: 3n, prevKv: true }) }, // replay from the compact revision
  { req: createReq({ key: b('a'), watchId: 1n }) }, // duplicate id
  { req: createReq({ key: b('z'), rangeEnd: b('a') }) }, // empty range
  { req: createReq({ key: b('a/'), rangeEnd: b('a0') }) },
  { req: createReq({ key: b('b'), rangeEnd: new Uint8Array([0]), filters: [WatchCreateRequest_FilterType.NOPUT] }) },
  { req: createReq({ key: b('a'), startRevision: 9n, watchId: 10n }) }, // future start
  { req: progressReq() },
  { write: ['put', 'a/y', '1'] }, // 7
  { write: ['del', 'b'] }, // 8
  { write: ['put', 'a', '3'] }, // 9
  { req: cancelReq(0n) }, // the compacted watch
  { req: cancelReq(42n) }, // unknown
  { req: cancelReq(1n) },
  { write: ['put', 'a', '4'] }, // 10
  { req: createReq({ key: b('a') }) }, // auto id: 0 and 1 are free again
  { req: progressReq() },
  // fragment: 3 x 900 KB of history is over etcd's 1.5 MiB + 512 KiB response limit
  { write: ['put', 'f/1', BIG] }, // 11
  { write: ['put', 'f/2', BIG] }, // 12
  { write: ['put', 'f/3', BIG] }, // 13
  { req: createReq({ key: b('f/'), rangeEnd: b('f0'), startRevision: 11n, fragment: true }) },
  { req: createReq({ key: b('f/'), rangeEnd: b('f0'), startRevision: 11n }) }, // whole
];

/** Responses of each step, as lines. */
type Transcript = string[][];

/**
 * One step's responses: long values shortened, and ordered by watch id (stable, so each watch's
 * own order is kept) because etcd delivers one write to several watchers in map order.
 */
function normalize(rs: WatchResponse[]): string[] {
  return rs
    .map((r) => ({ id: r.watchId, l: line(r).replace(/=(v{32,})@/g, (_m, v: string) => `=v*${v.length}@`) }))
    .sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((x) => x.l);
}

async function runEtcd(): Promise<Transcript> {
  const server = await startServer({ kind: 'etcd' });
  const ctrl = new AbortController();
  try {
    const t = createGrpcTransport({ baseUrl: server.clientUrl });
    const kv = createClient(KV, t);
    const watch = createClient(Watch, t);
    const pending: WatchRequest[] = [];
    let wake: (() => void) | undefined;
    async function* requests(): AsyncGenerator<WatchRequest> {
      for (;;) {
        while (pending.length > 0) yield pending.shift()!;
        await new Promise<void>((r) => (wake = r));
      }
    }
    const got: WatchResponse[] = [];
    const reader = (async () => {
      try {
        for await (const r of watch.watch(requests(), { signal: ctrl.signal })) got.push(r);
      } catch {
        // aborted at the end
      }
    })();
    const out: Transcript = [];
    for (const step of STEPS) {
      const before = got.length;
      if ('write' in step) {
        if (step.write[0] === 'put') await kv.put({ key: b(step.write[1]), value: b(step.write[2]) });
        else await kv.deleteRange({ key: b(step.write[1]) });
      } else if ('compact' in step) {
        await kv.compact({ revision: BigInt(step.compact), physical: true });
      } else {
        pending.push(step.req);
        wake?.();
      }
      // etcd catches unsynced watchers up every 100 ms: wait until the stream is quiet (bounded)
      let quiet = 0;
      for (let i = 0; i < 40 && quiet < 4; i++) {
        const n = got.length;
        await new Promise((r) => setTimeout(r, 100));
        quiet = got.length === n ? quiet + 1 : 0;
      }
      out.push(normalize(got.slice(before)));
    }
    ctrl.abort();
    await reader;
    return out;
  } finally {
    ctrl.abort();
    await server.stop();
  }
}

async function runOurs(): Promise<Transcript> {
  const env = openWatchEnv();
  const h = openStream(env);
  try {
    const out: Transcript = [];
    for (const step of STEPS) {
      const before = h.sent.length;
      if ('write' in step) {
        if (step.write[0] === 'put') put(env, step.write[1], step.write[2]);
        else del(env, step.write[1]);
      } else if ('compact' in step) {
        await env.store.compact(step.compact).physicalDone;
      } else {
        h.stream.handle(step.req);
      }
      env.hub.syncAll();
      out.push(normalize(h.sent.slice(before)));
    }
    return out;
  } finally {
    h.stream.close();
    await env.cleanup();
  }
}

test('the same Watch conversation gives the same responses as the real etcd 3.4', { skip: !existsSync('/usr/bin/etcd'), timeout: 120_000 }, async () => {
  const ours = await runOurs();
  const theirs = await runEtcd();
  for (let i = 0; i < STEPS.length; i++) {
    assert.deepEqual(ours[i], theirs[i], `step ${i}: ${JSON.stringify(STEPS[i], (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
});
