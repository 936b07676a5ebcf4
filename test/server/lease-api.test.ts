// Leases through the member's client port: grant/revoke/timetolive/leases/keepalive, keys deleted
// with their lease in one revision, and real expiry (the one real-time lease test; the lessor's
// own tests drive an injected clock).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { KV, Lease } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { startTestMember, type TestMember } from '../helpers/member.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('leases', () => {
  let tm: TestMember;
  let kv: Client<typeof KV>;
  let lease: Client<typeof Lease>;
  let url: string;

  before(async () => {
    tm = await startTestMember();
    url = tm.url;
    kv = createClient(KV, tm.transport);
    lease = createClient(Lease, tm.transport);
  });
  after(() => tm.dispose());

  test('grant: server-chosen ids, the minimum TTL, a client id, and a duplicate id', async () => {
    const g = await lease.leaseGrant({ TTL: 0n });
    assert.ok(g.ID > 0n);
    assert.equal(g.TTL, 2n, 'TTL 0 becomes the 2 s minimum');
    const mine = await lease.leaseGrant({ TTL: 60n, ID: 4242n });
    assert.equal(mine.ID, 4242n);
    assert.equal(mine.TTL, 60n);
    await assert.rejects(lease.leaseGrant({ TTL: 60n, ID: 4242n }), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.code, Code.FailedPrecondition);
      assert.equal(e.rawMessage, 'etcdserver: lease already exists');
      return true;
    });
    const ls = await lease.leaseLeases({});
    assert.ok(ls.leases.some((l) => l.ID === 4242n));
  });

  test('keys follow their lease: timetolive lists them, revoke deletes them in one revision', async () => {
    const { ID } = await lease.leaseGrant({ TTL: 100n });
    await kv.put({ key: b('l/a'), value: b('1'), lease: ID });
    await kv.put({ key: b('l/b'), value: b('2'), lease: ID });
    await kv.put({ key: b('l/c'), value: b('3'), lease: ID });
    await kv.put({ key: b('l/c'), value: b('4') }); // re-put without the lease detaches it
    const ttl = await lease.leaseTimeToLive({ ID, keys: true });
    assert.equal(ttl.grantedTTL, 100n);
    assert.ok(ttl.TTL > 90n && ttl.TTL <= 100n);
    assert.deepEqual(ttl.keys.map((k) => Buffer.from(k).toString()), ['l/a', 'l/b']);
    const before = (await kv.range({ key: b('l/a') })).header!.revision;
    const rv = await lease.leaseRevoke({ ID });
    assert.equal(rv.header!.revision, before + 1n, 'both keys deleted at one revision');
    const left = await kv.range({ key: b('l/'), rangeEnd: b('l0') });
    assert.deepEqual(left.kvs.map((x) => Buffer.from(x.key).toString()), ['l/c']);
    const gone = await lease.leaseTimeToLive({ ID });
    assert.equal(gone.TTL, -1n);
    await assert.rejects(lease.leaseRevoke({ ID }), /requested lease not found/);
    await assert.rejects(kv.put({ key: b('x'), value: b('y'), lease: ID }), /requested lease not found/);
  });

  test('keepalive stream renews; an unknown lease answers TTL 0', async () => {
    const { ID } = await lease.leaseGrant({ TTL: 30n });
    async function* reqs(): AsyncGenerator<{ ID: bigint }> {
      yield { ID };
      yield { ID: 999_999n };
    }
    const got: Array<[bigint, bigint]> = [];
    for await (const r of lease.leaseKeepAlive(reqs())) {
      got.push([r.ID, r.TTL]);
      if (got.length === 2) break;
    }
    assert.deepEqual(got, [
      [ID, 30n],
      [999_999n, 0n],
    ]);
  });

  test('an unrenewed lease expires and takes its keys (real time, bounded)', { timeout: 20_000 }, async () => {
    const { ID, TTL } = await lease.leaseGrant({ TTL: 2n });
    assert.equal(TTL, 2n);
    await kv.put({ key: b('exp'), value: b('v'), lease: ID });
    const deadline = Date.now() + 10_000;
    let count = 1n;
    for (let i = 0; i < 200 && Date.now() < deadline && count !== 0n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      count = (await kv.range({ key: b('exp') })).count;
    }
    assert.equal(count, 0n, 'the key went with its lease');
    assert.equal((await lease.leaseTimeToLive({ ID })).TTL, -1n);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /etcd_server_lease_expired_total [1-9]/);
  });

  test('JSON gateway: grant, timetolive, keepalive stream, revoke', async () => {
    const post = async (path: string, body: unknown): Promise<Response> => fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const g = (await (await post('/v3/lease/grant', { TTL: '50' })).json()) as { ID: string; TTL: string };
    assert.equal(g.TTL, '50');
    const t = (await (await post('/v3/kv/lease/timetolive', { ID: g.ID })).json()) as { grantedTTL: string };
    assert.equal(t.grantedTTL, '50');
    const ka = await (await post('/v3/lease/keepalive', { ID: g.ID })).text();
    const line = JSON.parse(ka.trim()) as { result: { ID: string; TTL: string } };
    assert.equal(line.result.ID, g.ID);
    assert.equal(line.result.TTL, '50');
    assert.equal((await post('/v3/lease/revoke', { ID: g.ID })).status, 200);
    const again = await post('/v3/lease/revoke', { ID: g.ID });
    assert.equal(again.status, 404);
  });

  test('leases survive a restart with their keys', async () => {
    const { ID } = await lease.leaseGrant({ TTL: 300n });
    await kv.put({ key: b('persist'), value: b('v'), lease: ID });
    const old = tm;
    await old.stop();
    const next = await startTestMember(old.dataDir);
    tm = { ...next, dispose: async () => (await next.stop(), await old.dispose()) };
    kv = createClient(KV, tm.transport);
    lease = createClient(Lease, tm.transport);
    const ttl = await lease.leaseTimeToLive({ ID, keys: true });
    assert.equal(ttl.grantedTTL, 300n);
    assert.deepEqual(ttl.keys.map((k) => Buffer.from(k).toString()), ['persist']);
  });
});
