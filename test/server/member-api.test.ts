// The single member through its real client port: gRPC (connect client), the JSON gateway and the
// HTTP endpoints. Semantics pinned here were checked against the real etcd 3.4.23.
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Cluster, Compare_CompareResult, Compare_CompareTarget, KV, Maintenance, RangeRequest_SortOrder, RangeRequest_SortTarget } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { startMember, type Member } from '../../src/embed/member.js';
import { tempDir } from '../helpers/tmp.js';

const b = (s: string): Buffer => Buffer.from(s);
const s = (u: Uint8Array): string => Buffer.from(u).toString();

async function rejects(p: Promise<unknown>, code: Code, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ConnectError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.rawMessage, message);
    return true;
  });
}

describe('single member API', () => {
  const tmp = tempDir();
  let member: Member;
  let kv: Client<typeof KV>;
  let mt: Client<typeof Maintenance>;
  let cl: Client<typeof Cluster>;
  let url: string;

  before(async () => {
    member = await startMember({ dataDir: tmp.dir, listenClientUrls: ['http://127.0.0.1:0'], defaultMetrics: false });
    url = member.clientUrls[0]!;
    const transport = createGrpcTransport({ baseUrl: url });
    kv = createClient(KV, transport);
    mt = createClient(Maintenance, transport);
    cl = createClient(Cluster, transport);
  });
  after(async () => {
    await member.stop();
    tmp.remove();
  });

  test('put then range: versions, revisions and the response header', async () => {
    const p1 = await kv.put({ key: b('foo'), value: b('bar') });
    const rev1 = p1.header!.revision;
    assert.equal(p1.header!.memberId, member.server.memberId);
    assert.equal(p1.header!.clusterId, member.server.clusterId);
    assert.ok(p1.header!.raftTerm >= 2n);
    const p2 = await kv.put({ key: b('foo'), value: b('baz'), prevKv: true });
    assert.equal(p2.header!.revision, rev1 + 1n);
    assert.equal(s(p2.prevKv!.value), 'bar');
    const r = await kv.range({ key: b('foo') });
    assert.equal(r.count, 1n);
    const kv0 = r.kvs[0]!;
    assert.equal(s(kv0.value), 'baz');
    assert.equal(kv0.version, 2n);
    assert.equal(kv0.createRevision, rev1);
    assert.equal(kv0.modRevision, rev1 + 1n);
    assert.equal(r.header!.revision, rev1 + 1n);
  });

  test('range forms: prefix, from-key (\\0), limit with more/count, sort, keys_only, count_only, historic rev', async () => {
    for (const k of ['p/a', 'p/b', 'p/c', 'q']) await kv.put({ key: b(k), value: b(`v-${k}`) });
    const prefix = await kv.range({ key: b('p/'), rangeEnd: b('p0') });
    assert.deepEqual(prefix.kvs.map((x) => s(x.key)), ['p/a', 'p/b', 'p/c']);
    const from = await kv.range({ key: b('p/b'), rangeEnd: new Uint8Array([0]) });
    assert.deepEqual(from.kvs.map((x) => s(x.key)), ['p/b', 'p/c', 'q']);
    const lim = await kv.range({ key: b('p/'), rangeEnd: b('p0'), limit: 2n });
    assert.equal(lim.kvs.length, 2);
    assert.equal(lim.more, true);
    assert.equal(lim.count, 3n);
    const desc = await kv.range({ key: b('p/'), rangeEnd: b('p0'), sortOrder: RangeRequest_SortOrder.DESCEND, sortTarget: RangeRequest_SortTarget.KEY, limit: 1n });
    assert.deepEqual(desc.kvs.map((x) => s(x.key)), ['p/c']);
    assert.equal(desc.more, true);
    const ko = await kv.range({ key: b('p/a'), keysOnly: true });
    assert.equal(ko.kvs[0]!.value.length, 0);
    const co = await kv.range({ key: b('p/'), rangeEnd: b('p0'), countOnly: true });
    assert.equal(co.kvs.length, 0);
    assert.equal(co.count, 3n);
    const all = await kv.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
    assert.ok(all.kvs.length >= 5);
    const before = (await kv.range({ key: b('p/a') })).kvs[0]!;
    await kv.put({ key: b('p/a'), value: b('new') });
    const old = await kv.range({ key: b('p/a'), revision: before.modRevision });
    assert.equal(s(old.kvs[0]!.value), 'v-p/a');
  });

  test('delete with prev_kv; a deleted key comes back as a new generation', async () => {
    await kv.put({ key: b('d'), value: b('1') });
    await kv.put({ key: b('d'), value: b('2') });
    const del = await kv.deleteRange({ key: b('d'), prevKv: true });
    assert.equal(del.deleted, 1n);
    assert.equal(s(del.prevKvs[0]!.value), '2');
    const none = await kv.deleteRange({ key: b('d') });
    assert.equal(none.deleted, 0n);
    assert.equal(none.header!.revision, del.header!.revision, 'deleting nothing does not bump the revision');
    const p = await kv.put({ key: b('d'), value: b('3') });
    const r = await kv.range({ key: b('d') });
    assert.equal(r.kvs[0]!.version, 1n);
    assert.equal(r.kvs[0]!.createRevision, p.header!.revision);
  });

  test('txn: compares choose the branch; all ops share one revision', async () => {
    await kv.put({ key: b('t'), value: b('x') });
    const ok = await kv.txn({
      compare: [{ key: b('t'), target: Compare_CompareTarget.VALUE, result: Compare_CompareResult.EQUAL, targetUnion: { case: 'value', value: b('x') } }],
      success: [
        { request: { case: 'requestPut', value: { key: b('t1'), value: b('a') } } },
        { request: { case: 'requestPut', value: { key: b('t2'), value: b('b') } } },
        { request: { case: 'requestRange', value: { key: b('t1') } } },
      ],
      failure: [{ request: { case: 'requestPut', value: { key: b('t'), value: b('failed') } } }],
    });
    assert.equal(ok.succeeded, true);
    const rr = ok.responses[2]!.response;
    assert.equal(rr.case, 'responseRange');
    if (rr.case === 'responseRange') assert.equal(s(rr.value.kvs[0]!.value), 'a', 'a range in a txn sees the txn\'s own writes');
    const t1 = (await kv.range({ key: b('t1') })).kvs[0]!;
    const t2 = (await kv.range({ key: b('t2') })).kvs[0]!;
    assert.equal(t1.modRevision, t2.modRevision);
    assert.equal(ok.header!.revision, t1.modRevision);
    const no = await kv.txn({
      compare: [{ key: b('t'), target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.GREATER, targetUnion: { case: 'version', value: 5n } }],
      failure: [{ request: { case: 'requestRange', value: { key: b('t') } } }],
    });
    assert.equal(no.succeeded, false);
    assert.equal(no.header!.revision, ok.header!.revision, 'a read-only txn does not bump the revision');
    // compare on a missing key: version 0 == 0 holds, value compare never holds
    const missing = await kv.txn({
      compare: [{ key: b('nope'), target: Compare_CompareTarget.VERSION, result: Compare_CompareResult.EQUAL, targetUnion: { case: 'version', value: 0n } }],
    });
    assert.equal(missing.succeeded, true);
  });

  test('etcd errors: codes and exact messages', async () => {
    await rejects(kv.put({ key: new Uint8Array(0), value: b('v') }), Code.InvalidArgument, 'etcdserver: key is not provided');
    await rejects(kv.range({ key: new Uint8Array(0) }), Code.InvalidArgument, 'etcdserver: key is not provided');
    await rejects(kv.put({ key: b('k'), value: b('v'), lease: 12345n }), Code.NotFound, 'etcdserver: requested lease not found');
    await rejects(kv.put({ key: b('never-there'), ignoreValue: true }), Code.InvalidArgument, 'etcdserver: key not found');
    const cur = (await kv.range({ key: b('foo') })).header!.revision;
    await rejects(kv.range({ key: b('foo'), revision: cur + 100n }), Code.OutOfRange, 'etcdserver: mvcc: required revision is a future revision');
    await rejects(
      kv.txn({ success: [{ request: { case: 'requestPut', value: { key: b('a'), value: b('1') } } }, { request: { case: 'requestPut', value: { key: b('a'), value: b('2') } } }] }),
      Code.InvalidArgument,
      'etcdserver: duplicate key given in txn request',
    );
    const many = Array.from({ length: 129 }, (_, i) => ({ request: { case: 'requestPut' as const, value: { key: b(`m${i}`), value: b('v') } } }));
    await rejects(kv.txn({ success: many }), Code.InvalidArgument, 'etcdserver: too many operations in txn request');
    await rejects(kv.put({ key: b('big'), value: new Uint8Array(1.6 * 1024 * 1024) }), Code.InvalidArgument, 'etcdserver: request is too large');
    // Past --max-request-bytes + 512 KiB the gRPC layer itself refuses the message, as in etcd.
    await assert.rejects(kv.put({ key: b('huge'), value: new Uint8Array(3 * 1024 * 1024) }), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.code, Code.ResourceExhausted);
      return true;
    });
    assert.equal((await kv.range({ key: b('huge') })).count, 0n, 'nothing of it was stored');
  });

  test('compaction: compacted and future revisions; physical waits', async () => {
    const p = await kv.put({ key: b('c'), value: b('1') });
    await kv.put({ key: b('c'), value: b('2') });
    const rev = p.header!.revision;
    await kv.compact({ revision: rev, physical: true });
    await rejects(kv.range({ key: b('c'), revision: rev - 1n }), Code.OutOfRange, 'etcdserver: mvcc: required revision has been compacted');
    const at = await kv.range({ key: b('c'), revision: rev });
    assert.equal(s(at.kvs[0]!.value), '1');
    await rejects(kv.compact({ revision: rev }), Code.OutOfRange, 'etcdserver: mvcc: required revision has been compacted');
    await rejects(kv.compact({ revision: rev + 1000n }), Code.OutOfRange, 'etcdserver: mvcc: required revision is a future revision');
    const hkv = await mt.hashKV({ revision: 0n });
    assert.equal(hkv.compactRevision, rev);
  });

  test('maintenance: status, hash, hashKV, defragment, alarm list, member list', async () => {
    const st = await mt.status({});
    assert.match(st.version, /^3\.4\./);
    assert.equal(st.leader, member.server.memberId);
    assert.ok(st.dbSize > 0n);
    assert.ok(st.dbSizeInUse > 0n && st.dbSizeInUse <= st.dbSize);
    assert.ok(st.raftIndex >= st.raftAppliedIndex && st.raftAppliedIndex > 0n);
    const h1 = await mt.hashKV({ revision: 0n });
    const h2 = await mt.hashKV({ revision: 0n });
    assert.equal(h1.hash, h2.hash);
    await kv.put({ key: b('hash-changer'), value: b('x') });
    const h3 = await mt.hashKV({ revision: 0n });
    assert.notEqual(h3.hash, h1.hash);
    assert.equal((await mt.hashKV({ revision: h1.header!.revision })).hash, h1.hash, 'hash at an old revision is stable');
    await mt.defragment({});
    const alarms = await mt.alarm({});
    assert.equal(alarms.header, undefined, 'etcd sends no header with Alarm');
    assert.deepEqual(alarms.alarms, []);
    const ml = await cl.memberList({});
    assert.equal(ml.members.length, 1);
    assert.equal(ml.members[0]!.ID, member.server.memberId);
    assert.equal(ml.header!.revision, 0n, 'member list headers carry no revision');
  });

  test('JSON gateway: etcd\'s JSON shapes', async () => {
    const put = await fetch(`${url}/v3/kv/put`, { method: 'POST', body: JSON.stringify({ key: b('gw').toString('base64'), value: b('1').toString('base64') }) });
    assert.equal(put.status, 200);
    const pj = (await put.json()) as { header: Record<string, string> };
    assert.equal(typeof pj.header.revision, 'string', 'int64 as strings');
    assert.equal(pj.header.member_id, member.server.memberId.toString(), 'proto field names');
    const rng = (await (await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b('gw').toString('base64') }) })).json()) as {
      kvs: Array<Record<string, string>>;
      count: string;
      more?: boolean;
    };
    assert.equal(rng.kvs[0]!.value, b('1').toString('base64'));
    assert.equal(rng.kvs[0]!.version, '1');
    assert.equal(rng.kvs[0]!.lease, undefined, 'zero fields are left out');
    assert.equal(rng.more, undefined, 'false fields are left out');
    const bad = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: '' }) });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), { error: 'etcdserver: key is not provided', message: 'etcdserver: key is not provided', code: 3 });
    const malformed = await fetch(`${url}/v3/kv/range`, { method: 'POST', body: '{"key":' });
    assert.equal(malformed.status, 400);
    const get = await fetch(`${url}/v3/kv/range`);
    assert.equal(get.status, 405);
    const st = (await (await fetch(`${url}/v3/maintenance/status`, { method: 'POST', body: '{}' })).json()) as Record<string, unknown>;
    assert.match(String(st.version), /^3\.4\./);
    assert.equal(typeof st.dbSize, 'string');
    const beta = await fetch(`${url}/v3beta/kv/range`, { method: 'POST', body: JSON.stringify({ key: b('gw').toString('base64') }) });
    assert.equal(beta.status, 200);
  });

  test('/health, /version, /metrics', async () => {
    assert.deepEqual(await (await fetch(`${url}/health`)).json(), { health: 'true' });
    const v = (await (await fetch(`${url}/version`)).json()) as Record<string, string>;
    assert.match(v.etcdserver!, /^3\.4\./);
    assert.equal(v.etcdcluster, '3.4.0');
    assert.ok(v.tsetcd);
    const m = await (await fetch(`${url}/metrics`)).text();
    for (const name of [
      'etcd_server_has_leader 1',
      'etcd_server_is_leader 1',
      'etcd_mvcc_db_total_size_in_bytes',
      'etcd_mvcc_db_total_size_in_use_in_bytes',
      'etcd_disk_wal_fsync_duration_seconds_bucket',
      'etcd_disk_backend_commit_duration_seconds_bucket',
      'etcd_server_proposals_committed_total',
      'grpc_server_handled_total{',
    ]) {
      assert.ok(m.includes(name), `metrics include ${name}`);
    }
  });

  test('malformed protobuf gets InvalidArgument-class error and the member keeps serving', async () => {
    const u = new URL(url);
    const session = http2.connect(`http://${u.host}`);
    try {
      const garbage = Buffer.from([0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
      const status = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/etcdserverpb.KV/Put', 'content-type': 'application/grpc', te: 'trailers' });
        let grpcStatus = '';
        req.on('response', (h) => {
          if (h['grpc-status']) grpcStatus = String(h['grpc-status']);
        });
        req.on('trailers', (t) => (grpcStatus = String(t['grpc-status'])));
        req.on('end', () => resolve(grpcStatus));
        req.on('error', reject);
        req.resume();
        req.end(garbage);
      });
      assert.notEqual(status, '0', 'not OK');
      assert.notEqual(status, '', 'a grpc-status was sent');
    } finally {
      session.close();
    }
    const r = await kv.range({ key: b('foo') });
    assert.equal(r.count, 1n);
  });
});
