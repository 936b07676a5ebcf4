// The typed client against a real server: every call it offers, etcd's error texts,
// failover past an unreachable endpoint and the bounded wait when nothing answers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Compare_CompareResult, Compare_CompareTarget } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { EtcdClient, EtcdError, prefixEnd, type FailedAttempt } from '../../src/client/index.js';
import { freePort, startServer, type ServerHandle } from '../helpers/real-etcd.js';

let server: ServerHandle;
let client: EtcdClient;
const b = (s: string): Buffer => Buffer.from(s);
const text = (u: Uint8Array | undefined): string => Buffer.from(u ?? new Uint8Array()).toString();

before(async () => {
  server = await startServer();
  client = new EtcdClient({ endpoints: [server.endpoint] });
});
after(async () => {
  client.close();
  await server.stop();
});

test('KV: put, range with prefix/limit/revision, delete with prev_kv, txn, compact', async () => {
  const p1 = await client.put({ key: b('k/1'), value: b('one') });
  const rev1 = p1.header?.revision ?? 0n;
  assert.ok(rev1 > 0n);
  await client.put({ key: b('k/2'), value: Uint8Array.of(0, 0xff) });
  const p3 = await client.put({ key: b('k/1'), value: b('uno'), prevKv: true });
  assert.equal(text(p3.prevKv?.value), 'one');

  const all = await client.range({ key: b('k/'), rangeEnd: prefixEnd(b('k/')) });
  assert.equal(all.count, 2n);
  assert.deepEqual(all.kvs.map((kv) => text(kv.key)), ['k/1', 'k/2']);
  assert.deepEqual([...(all.kvs[1]?.value ?? [])], [0, 0xff]);
  const limited = await client.range({ key: b('k/'), rangeEnd: prefixEnd(b('k/')), limit: 1n });
  assert.equal(limited.more, true);
  const old = await client.range({ key: b('k/1'), revision: rev1 });
  assert.equal(text(old.kvs[0]?.value), 'one');

  const t = await client.txn({
    compare: [{ key: b('k/1'), target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { case: 'value', value: b('uno') } }],
    success: [{ request: { case: 'requestPut', value: { key: b('k/3'), value: b('three') } } }],
    failure: [],
  });
  assert.equal(t.succeeded, true);

  const d = await client.deleteRange({ key: b('k/'), rangeEnd: prefixEnd(b('k/')), prevKv: true });
  assert.equal(d.deleted, 3n);
  assert.deepEqual(d.prevKvs.map((kv) => text(kv.key)), ['k/1', 'k/2', 'k/3']);

  const compacted = await client.compact({ revision: rev1, physical: true });
  assert.ok(compacted.header !== undefined);
  await assert.rejects(client.range({ key: b('k/1'), revision: rev1 - 1n }), (e: unknown) =>
    e instanceof EtcdError && e.message === 'etcdserver: mvcc: required revision has been compacted' && e.kind === 'server');
});

test('Maintenance and Cluster: status, hash, hashKV, defragment, alarms, member list', async () => {
  const st = await client.status(server.endpoint);
  assert.match(st.version, /^\d+\.\d+\.\d+/);
  assert.equal(st.leader, st.header?.memberId);
  assert.ok((await client.hash(server.endpoint)).hash > 0);
  const hk = await client.hashKV(server.endpoint, 0n);
  assert.ok(hk.header !== undefined);
  await client.defragment(server.endpoint);
  assert.deepEqual((await client.alarmList()).alarms, []);
  const ml = await client.memberList();
  assert.equal(ml.members.length, 1);
  assert.deepEqual(ml.members[0]?.clientURLs, [server.clientUrl]);
});

test('Lease: grant, time to live with keys, keep-alive once and as a stream, revoke', async () => {
  const g = await client.leaseGrant(30n, 0x42n);
  assert.equal(g.ID, 0x42n);
  await client.put({ key: b('leased'), value: b('v'), lease: 0x42n });
  const ttl = await client.leaseTimeToLive(0x42n, true);
  assert.equal(ttl.grantedTTL, 30n);
  assert.deepEqual(ttl.keys.map(text), ['leased']);
  assert.equal((await client.leaseKeepAliveOnce(0x42n)).TTL, 30n);
  assert.ok((await client.leaseLeases()).leases.some((l) => l.ID === 0x42n));
  const ac = new AbortController();
  const seen: bigint[] = [];
  for await (const r of client.leaseKeepAlive(0x42n, ac.signal)) {
    seen.push(r.TTL);
    ac.abort();
  }
  assert.deepEqual(seen, [30n]);
  await client.leaseRevoke(0x42n);
  assert.equal((await client.range({ key: b('leased') })).count, 0n);
  await assert.rejects(client.leaseKeepAliveOnce(0x42n), (e: unknown) => e instanceof EtcdError && e.message === 'etcdserver: requested lease not found');
  const ended: bigint[] = [];
  for await (const r of client.leaseKeepAlive(0x42n)) ended.push(r.TTL);
  assert.deepEqual(ended, [], 'a revoked lease ends the keep-alive stream at once');
});

test('errors keep etcd\'s text; every failed attempt is reported', async () => {
  const seen: FailedAttempt[] = [];
  const c = new EtcdClient({ endpoints: [server.endpoint], onFailedAttempt: (a) => seen.push(a) });
  try {
    await assert.rejects(c.put({ key: new Uint8Array(0), value: b('v') }), (e: unknown) =>
      e instanceof EtcdError && e.message === 'etcdserver: key is not provided' && e.code === 3);
    await assert.rejects(c.range({ key: b('x'), revision: 1n << 40n }), (e: unknown) =>
      e instanceof EtcdError && e.message === 'etcdserver: mvcc: required revision is a future revision');
  } finally {
    c.close();
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0]?.error, 'rpc error: code = InvalidArgument desc = etcdserver: key is not provided');
  assert.match(seen[0]?.target ?? '', /^endpoint:\/\/client-[0-9a-f-]+\/127\.0\.0\.1:\d+$/);
});

test('an unreachable endpoint is skipped; with none reachable the call ends at its deadline', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const c = new EtcdClient({ endpoints: [dead, server.endpoint] });
  try {
    const r = await c.range({ key: b('nothing') });
    assert.equal(r.count, 0n);
  } finally {
    c.close();
  }
  const none = new EtcdClient({ endpoints: [dead], commandTimeoutMs: 300 });
  const start = Date.now();
  try {
    await assert.rejects(none.range({ key: b('x') }), (e: unknown) => e instanceof EtcdError && e.kind === 'deadline' && e.message === 'context deadline exceeded');
    await assert.rejects(none.status(dead, { timeoutMs: 200 }), (e: unknown) => e instanceof EtcdError && e.kind === 'deadline');
  } finally {
    none.close();
  }
  assert.ok(Date.now() - start < 5000, 'bounded by the call deadlines');
});
