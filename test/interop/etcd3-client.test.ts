// A client library written by others — the `etcd3` npm package (grpc-js + proto-loader) — against
// tsetcd: KV, watch, leases, and (when the Lock service is registered) locks and elections.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startMember, type Member } from '../../src/embed/member.js';
import { tempDir } from '../helpers/tmp.js';

describe('etcd3 npm client against tsetcd', () => {
  const tmp = tempDir();
  let member: Member;
  let client: Etcd3;

  before(async () => {
    member = await startMember({ dataDir: tmp.dir, listenClientUrls: ['http://127.0.0.1:0'], defaultMetrics: false });
    client = new Etcd3({ hosts: member.clientUrls[0]!.replace('http://', ''), dialTimeout: 5000 });
  });
  after(async () => {
    client.close();
    await member.stop();
    tmp.remove();
  });

  test('put, get, prefix get, delete, txn-style if()', async () => {
    await client.put('e3/a').value('1');
    await client.put('e3/b').value('2');
    assert.equal(await client.get('e3/a').string(), '1');
    assert.deepEqual(await client.getAll().prefix('e3/').strings(), { 'e3/a': '1', 'e3/b': '2' });
    const r = await client.if('e3/a', 'Value', '==', '1').then(client.put('e3/c').value('3')).else(client.put('e3/c').value('x')).commit();
    assert.equal(r.succeeded, true);
    assert.equal(await client.get('e3/c').string(), '3');
    await client.delete().key('e3/c');
    assert.equal(await client.get('e3/c').string(), null);
  });

  test('watch: events arrive for puts and deletes', { timeout: 20_000 }, async () => {
    const watcher = await client.watch().prefix('e3w/').create();
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      watcher.on('put', (kv) => {
        seen.push(`put:${kv.key.toString()}=${kv.value.toString()}`);
      });
      watcher.on('delete', (kv) => {
        seen.push(`del:${kv.key.toString()}`);
        resolve();
      });
    });
    await client.put('e3w/x').value('1');
    await client.put('e3w/x').value('2');
    await client.delete().key('e3w/x');
    await done;
    await watcher.cancel();
    assert.deepEqual(seen, ['put:e3w/x=1', 'put:e3w/x=2', 'del:e3w/x']);
  });

  test('lock (etcd3 locks are try-locks): a held lock refuses a second holder until released', { timeout: 20_000 }, async () => {
    const first = client.lock('e3lock');
    await first.acquire();
    await assert.rejects(client.lock('e3lock').acquire(), /Failed to acquire a lock/);
    await first.release();
    const second = client.lock('e3lock');
    await second.acquire();
    await second.release();
  });

  test('election: campaign, leader, proclaim, resign', { timeout: 20_000 }, async () => {
    const election = client.election('e3elect');
    const a = election.campaign('alice');
    await new Promise<void>((resolve, reject) => {
      a.on('elected', () => resolve());
      a.on('error', reject);
    });
    assert.equal(await election.leader(), 'alice');
    await a.proclaim('alice-2');
    assert.equal(await election.leader(), 'alice-2');
    await a.resign();
    assert.equal(await election.leader(), undefined);
  });

  test('lease: grant, attach, keepalive, revoke deletes the key', { timeout: 20_000 }, async () => {
    const lease = client.lease(10, { autoKeepAlive: false });
    await lease.put('e3l/k').value('v');
    const id = await lease.grant();
    assert.ok(id.length > 0);
    await lease.keepaliveOnce();
    assert.equal(await client.get('e3l/k').string(), 'v');
    await lease.revoke();
    assert.equal(await client.get('e3l/k').string(), null);
  });
});
