// Linearizability and watch guarantees of a 3-member cluster under faults.
//
// Five clients, each bound to ONE member (so followers serve requests too), run put /
// linearizable get / compare-and-swap txn / delete on five keys while a nemesis kills members
// with SIGKILL (the leader too) and restarts them, pauses them with SIGSTOP/SIGCONT, and
// isolates one member's peer traffic through the proxies, then heals. A watcher on one member
// reconnects from its last revision + 1 after every error. Afterwards:
//  - the client history is linearizable (test/lincheck), including a final read of every key;
//  - every acknowledged write is in the revision history, and nothing else is;
//  - the watcher saw every revision exactly once, in order, with the content a Range at that
//    revision shows (the state after each event equals Range(prefix, revision=r));
//  - all members report the same HashKV at the same revision.
//
// The server comes from TSETCD_CLUSTER_TEST_SERVER=etcd|tsetcd (default tsetcd).
// Knobs: TSETCD_FAULT_SECONDS (nemesis duration, default 25), TSETCD_FAULT_SEED, and
// TSETCD_FAULT_SERIALIZABLE=1, which makes the clients' reads serializable (served from the local
// member without a quorum check) — a self-test: with partitions, that should be caught as
// non-linearizable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { create } from '@bufbuild/protobuf';
import { EtcdClient, EtcdError, prefixEnd } from '../../src/client/index.js';
import { Compare_CompareResult, Compare_CompareTarget, Watch, WatchRequestSchema, type WatchRequest } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { Event_EventType } from '../../src/gen/mvccpb/kv_pb.js';
import { check } from '../lincheck/checker.js';
import { HistoryRecorder } from '../lincheck/history.js';
import type { Input } from '../lincheck/model.js';
import { clusterKindFromEnv, startCluster, type Cluster } from '../helpers/cluster.js';
import { mulberry32 } from '../helpers/prng.js';

const PREFIX = '/lin/';
const KEYS = 5;
const CLIENTS = 5;
const OP_TIMEOUT_MS = 1500;
const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


/** Server errors after which the request surely did not take effect (refused up front). */
const DEFINITE = new Set(['etcdserver: no leader', 'etcdserver: too many requests', 'etcdserver: not capable']);
/**
 * 'failed': definitely not applied; 'indeterminate': it may have been (deadline, lost connection,
 * "request timed out", "leader changed", anything unknown).
 */
function classifyFailure(e: unknown): 'failed' | 'indeterminate' {
  if (e instanceof EtcdError && e.kind === 'server' && DEFINITE.has(e.description)) return 'failed';
  return 'indeterminate';
}

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = 'no attempt';
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
      last = 'not yet';
    } catch (e) {
      last = e instanceof Error ? e.message : e;
    }
    await sleep(200);
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${String(last)})`);
}

interface WatchedEvent { rev: bigint; key: string; type: 'put' | 'delete'; value: string }

/** A watcher on one member that reconnects from its last revision + 1 after any error. */
function startWatcher(cluster: Cluster, member: number, fromRev: bigint): {
  events: WatchedEvent[]; problems: string[]; reconnects: () => number; lastRev: () => bigint; stop: () => Promise<void>;
} {
  const events: WatchedEvent[] = [];
  const problems: string[] = [];
  let lastRev = fromRev - 1n;
  let reconnects = 0;
  let stopped = false;
  const stopCtl = new AbortController();
  const loop = (async () => {
    while (!stopped) {
      const session = new Http2SessionManager(cluster.members[member]!.clientUrl);
      const transport = createGrpcTransport({ baseUrl: cluster.members[member]!.clientUrl, sessionManager: session });
      const client = createClient(Watch, transport);
      const ctl = new AbortController();
      const onStop = (): void => ctl.abort();
      stopCtl.signal.addEventListener('abort', onStop);
      const held = new Promise<void>((r) => ctl.signal.addEventListener('abort', () => r()));
      const start = lastRev + 1n;
      async function* reqs(): AsyncGenerator<WatchRequest> {
        yield create(WatchRequestSchema, { requestUnion: { case: 'createRequest', value: { key: enc(PREFIX), rangeEnd: prefixEnd(enc(PREFIX)), startRevision: start } } });
        await held;
      }
      try {
        for await (const r of client.watch(reqs(), { signal: ctl.signal })) {
          if (r.canceled || r.compactRevision !== 0n) {
            problems.push(`watch canceled (compact revision ${r.compactRevision}, reason ${r.cancelReason})`);
            break;
          }
          for (const ev of r.events) {
            const kv = ev.kv!;
            if (kv.modRevision <= lastRev) problems.push(`revision ${kv.modRevision} delivered after ${lastRev} (duplicate or out of order)`);
            else lastRev = kv.modRevision;
            events.push({ rev: kv.modRevision, key: dec(kv.key), type: ev.type === Event_EventType.DELETE ? 'delete' : 'put', value: dec(kv.value) });
          }
        }
      } catch {
        // connection lost, member killed: reconnect below
      } finally {
        stopCtl.signal.removeEventListener('abort', onStop);
        ctl.abort();
        session.abort();
      }
      if (!stopped) {
        reconnects++;
        await sleep(200);
      }
    }
  })();
  return {
    events, problems,
    reconnects: () => reconnects,
    lastRev: () => lastRev,
    stop: async () => { stopped = true; stopCtl.abort(); await loop; },
  };
}

test('3-member cluster under kill -9 / pause / partition: linearizable, watch complete, replicas identical', { timeout: 300_000 }, async (t) => {
  const kind = clusterKindFromEnv();
  const seconds = Number(process.env['TSETCD_FAULT_SECONDS'] ?? 25);
  const seed = Number(process.env['TSETCD_FAULT_SEED'] ?? Date.now() % 1_000_000);
  const rng = mulberry32(seed);
  const serializable = process.env['TSETCD_FAULT_SERIALIZABLE'] === '1';
  t.diagnostic(`server ${kind}, nemesis ${seconds} s, seed ${seed}${serializable ? ', SERIALIZABLE reads (self-test: expected to fail)' : ''}`);

  const cluster = await startCluster({ kind, size: 3, extraArgs: ['--snapshot-count=300'] });
  const clients: EtcdClient[] = [];
  let watcher: ReturnType<typeof startWatcher> | undefined;
  t.after(async () => {
    await watcher?.stop();
    for (const c of clients) c.close();
    await cluster.stop();
  });
  const newClient = (member: number, timeoutMs = OP_TIMEOUT_MS): EtcdClient => {
    const c = new EtcdClient({ endpoints: [cluster.members[member]!.endpoint], dialTimeoutMs: 500, commandTimeoutMs: timeoutMs });
    clients.push(c);
    return c;
  };
  const admin = newClient(0, 3000);
  const startRev = (await admin.range({ key: enc(PREFIX), rangeEnd: prefixEnd(enc(PREFIX)) })).header!.revision;
  watcher = startWatcher(cluster, 0, startRev + 1n);

  // ---- clients ----
  const rec = new HistoryRecorder();
  const keys = Array.from({ length: KEYS }, (_, i) => `${PREFIX}k${i}`);
  const byType = { put: 0, get: 0, cas: 0, delete: 0 };
  let running = true;
  const clientLoop = async (id: number): Promise<void> => {
    const c = newClient(id % cluster.members.length);
    const r = mulberry32(seed * 31 + id);
    const lastSeen = new Map<string, string>();
    for (let n = 0; running; n++) {
      const key = keys[Math.floor(r() * keys.length)]!;
      const x = r();
      let input: Input;
      if (x < 0.25) input = { f: 'put', value: `c${id}-${n}` };
      else if (x < 0.6) input = { f: 'get' };
      else if (x < 0.85) input = { f: 'cas', expected: lastSeen.get(key) ?? `c${id}-none`, value: `c${id}-${n}` };
      else input = { f: 'delete' };
      byType[input.f]++;
      const op = rec.invoke(id, key, input);
      try {
        switch (input.f) {
          case 'put':
            await c.put({ key: enc(key), value: enc(input.value) });
            op.ok();
            lastSeen.set(key, input.value);
            break;
          case 'get': {
            const res = await c.range({ key: enc(key), serializable });
            const kv = res.kvs[0];
            op.ok(kv === undefined ? null : dec(kv.value));
            if (kv !== undefined) lastSeen.set(key, dec(kv.value));
            break;
          }
          case 'cas': {
            const res = await c.txn({
              compare: [{ key: enc(key), target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { case: 'value', value: enc(input.expected) } }],
              success: [{ request: { case: 'requestPut', value: { key: enc(key), value: enc(input.value) } } }],
            });
            op.ok(res.succeeded);
            if (res.succeeded) lastSeen.set(key, input.value);
            break;
          }
          case 'delete': {
            const res = await c.deleteRange({ key: enc(key) });
            op.ok(Number(res.deleted));
            break;
          }
        }
      } catch (e) {
        if (input.f === 'get' || classifyFailure(e) === 'failed') op.fail();
        else op.info();
        await sleep(50 + r() * 100);
      }
    }
  };

  // ---- nemesis ----
  const faults: string[] = [];
  const nemesis = async (): Promise<void> => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(500 + rng() * 1000);
      const which = rng();
      const hold = 1000 + rng() * 2500;
      let target = Math.floor(rng() * 3);
      if (which < 0.2 || (which >= 0.7 && which < 0.8)) {
        const l = await cluster.leader();
        if (l >= 0) target = l;
      }
      const name = cluster.members[target]!.name;
      if (which < 0.4) {
        faults.push(`kill -9 ${name}${which < 0.2 ? ' (leader)' : ''} for ${Math.round(hold)} ms`);
        await cluster.kill(target, 'SIGKILL');
        await sleep(hold);
        await cluster.restart(target);
        await eventually(`${name} ready after restart`, async () => (await fetch(`${cluster.members[target]!.clientUrl}/health`)).ok ? true : undefined, 20_000)
          .catch((e: unknown) => faults.push(`  (${String(e)})`));
      } else if (which < 0.6) {
        faults.push(`SIGSTOP ${name} for ${Math.round(hold)} ms`);
        cluster.pause(target);
        await sleep(hold);
        cluster.resume(target);
      } else {
        const mode = rng() < 0.5 ? 'drop' : 'blackhole';
        faults.push(`partition (${mode}) ${name}${which >= 0.7 && which < 0.8 ? ' (leader)' : ''} for ${Math.round(hold)} ms`);
        cluster.partition(target, mode);
        await sleep(hold);
        cluster.heal();
      }
    }
  };

  const t0 = Date.now();
  const loops = Array.from({ length: CLIENTS }, (_, i) => clientLoop(i));
  try {
    await nemesis();
  } finally {
    cluster.heal();
    for (let i = 0; i < cluster.members.length; i++) cluster.resume(i);
    for (let i = 0; i < cluster.members.length; i++) if (!cluster.members[i]!.running) await cluster.restart(i);
  }
  await sleep(1000);
  running = false;
  await Promise.all(loops);
  const workloadMs = Date.now() - t0;
  t.diagnostic(`faults (${faults.length}):`);
  for (const f of faults) t.diagnostic(`  ${f}`);

  // ---- recovery: every member serves linearizable reads again ----
  await eventually('every member serves a linearizable read', async () => {
    for (const m of cluster.members) {
      const c = new EtcdClient({ endpoints: [m.endpoint], dialTimeoutMs: 1000, commandTimeoutMs: 2000 });
      try { await c.range({ key: enc(PREFIX) }); } finally { c.close(); }
    }
    return true;
  }, 60_000);

  // Final reads of every key through every member, part of the checked history.
  const finals = cluster.members.map((m) => newClient(m.index, 5000));
  for (const key of keys) {
    for (const [i, c] of finals.entries()) {
      const op = rec.invoke(100 + i, key, { f: 'get' });
      try {
        const res = await c.range({ key: enc(key) });
        op.ok(res.kvs[0] === undefined ? null : dec(res.kvs[0].value));
      } catch (e) {
        op.fail();
        throw new Error(`final read of ${key} on ${cluster.members[i]!.name}: ${String(e)}`);
      }
    }
  }
  const finalRev = (await finals[0]!.range({ key: enc(PREFIX), rangeEnd: prefixEnd(enc(PREFIX)) })).header!.revision;

  const history = rec.history();
  const c = rec.counts;
  t.diagnostic(`workload ${workloadMs} ms: ${c.invoked} ops invoked (put ${byType.put}, get ${byType.get}, cas ${byType.cas}, delete ${byType.delete}); ` +
    `ok ${c.ok}, failed ${c.failed}, indeterminate ${c.indeterminate}; revisions ${startRev + 1n}..${finalRev}`);

  // ---- linearizability ----
  const lin = check(history, { timeoutMs: 120_000 });
  t.diagnostic(`checker: ${lin.result} in ${lin.elapsedMs} ms, ${lin.steps} steps, per key ${lin.keys.map((k) => `${k.key}:${k.ops}ops/${k.indeterminate}info`).join(' ')}`);
  if (lin.result === 'unknown') assert.fail(`linearizability check inconclusive (search bounded): ${lin.explanation}`);
  if (lin.result === 'illegal') assert.fail(`history is not linearizable (seed ${seed}):\n${lin.explanation}`);

  // ---- the watcher saw every revision, in order, once ----
  await eventually(`watcher reaches revision ${finalRev}`, async () => (watcher!.lastRev() >= finalRev ? true : undefined), 30_000);
  await watcher.stop();
  const events = watcher.events;
  t.diagnostic(`watch: ${events.length} events, ${watcher.reconnects()} reconnects`);
  assert.deepEqual(watcher.problems, []);
  assert.equal(events.length, Number(finalRev - startRev), 'one event per revision (every write in this test changes one key)');
  events.forEach((e, i) => assert.equal(e.rev, startRev + 1n + BigInt(i), `event #${i} has revision ${e.rev}`));

  // Replay the events and compare the state after each revision with a Range at that revision.
  const state = new Map<string, { value: string; mod: bigint }>();
  const checkRevs = Number(finalRev - startRev) <= 20_000;
  let compared = 0;
  for (const e of events) {
    if (e.type === 'put') state.set(e.key, { value: e.value, mod: e.rev });
    else state.delete(e.key);
    if (!checkRevs && Math.random() > 0.1) continue;
    const res = await finals[compared % finals.length]!.range({ key: enc(PREFIX), rangeEnd: prefixEnd(enc(PREFIX)), revision: e.rev });
    const got = new Map(res.kvs.map((kv) => [dec(kv.key), { value: dec(kv.value), mod: kv.modRevision }]));
    assert.deepEqual(got, state, `state at revision ${e.rev}: Range disagrees with the watched events`);
    compared++;
  }
  t.diagnostic(`watched state compared with Range at ${compared} revisions`);

  // ---- every acknowledged write is in the revision history; nothing unknown is ----
  const putValues = new Set(events.filter((e) => e.type === 'put').map((e) => e.value));
  const invokedValues = new Set<string>();
  for (const op of history) {
    if (op.input.f === 'put' || op.input.f === 'cas') invokedValues.add(op.input.value);
    const acked = op.ret !== Infinity && (op.input.f === 'put' || (op.input.f === 'cas' && op.output === true));
    if (acked && (op.input.f === 'put' || op.input.f === 'cas')) assert.ok(putValues.has(op.input.value), `acknowledged write ${op.input.value} to ${op.key} missing from the history`);
  }
  for (const v of putValues) assert.ok(invokedValues.has(v), `value ${v} written but never invoked`);

  // ---- replicas identical: HashKV at the same revision on every member ----
  const hashes = await eventually('HashKV on every member', async () => {
    const out: { name: string; hash: number; compact: bigint; rev: bigint }[] = [];
    for (const [i, c] of finals.entries()) {
      const h = await c.hashKV(cluster.members[i]!.endpoint, finalRev);
      out.push({ name: cluster.members[i]!.name, hash: h.hash, compact: h.compactRevision, rev: h.header!.revision });
    }
    return out;
  });
  t.diagnostic(`HashKV at ${finalRev}: ${hashes.map((h) => `${h.name}=${h.hash} (rev ${h.rev})`).join(', ')}`);
  for (const h of hashes) assert.equal(h.hash, hashes[0]!.hash, `${h.name}'s HashKV at ${finalRev} differs from ${hashes[0]!.name}'s`);
});
