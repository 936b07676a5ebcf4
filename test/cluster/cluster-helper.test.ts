// The cluster helper against the server chosen by TSETCD_CLUSTER_TEST_SERVER (default:
// tsetcd; "etcd" runs it against real etcd 3.4): start three members behind peer proxies, kill and restart the leader, pause and
// resume, isolate one member (its linearizable reads stop, the others go on), heal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { clusterKindFromEnv, startCluster } from '../helpers/cluster.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

async function eventually<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not in ${ms} ms (last error: ${String(last)})`);
}

test('cluster helper: kill/restart the leader, pause/resume, partition/heal', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ kind: clusterKindFromEnv(), size: 3 });
  const clients: EtcdClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });
  const client = (i: number): EtcdClient => {
    const c = new EtcdClient({ endpoints: [cluster.members[i]!.endpoint], dialTimeoutMs: 1000, commandTimeoutMs: 2000 });
    clients.push(c);
    return c;
  };
  const c = [client(0), client(1), client(2)];
  await c[0]!.put({ key: enc('a'), value: enc('1') });
  for (const x of c) assert.equal(dec((await x.range({ key: enc('a') })).kvs[0]?.value), '1');

  const leader = await eventually('a leader', async () => { const l = await cluster.leader(); return l >= 0 ? l : undefined; });
  const follower = (leader + 1) % 3;
  await cluster.kill(leader);
  await eventually('a write through a surviving member', () => c[follower]!.put({ key: enc('a'), value: enc('2') }));
  await cluster.restart(leader, { waitReady: true });
  await eventually('the restarted member catches up', async () =>
    dec((await c[leader]!.range({ key: enc('a') })).kvs[0]?.value) === '2' ? true : undefined);

  cluster.pause(follower);
  await eventually('writes go on with one member paused', () => c[leader]!.put({ key: enc('b'), value: enc('1') }));
  cluster.resume(follower);

  const isolated = await eventually('a leader', async () => { const l = await cluster.leader(); return l >= 0 ? l : undefined; });
  const other = (isolated + 1) % 3;
  // Both directions: the others' proxies carry connections the isolated member opened (found by
  // PID), and the partition closes them as well as everything into its own proxy.
  const name = cluster.members[isolated]!.name;
  for (const m of cluster.members) {
    if (m.index === isolated) continue;
    await eventually(`${m.name}'s proxy sees a connection from ${name}`, async () => (m.proxy!.connectionsFrom(name) > 0 ? true : undefined));
  }
  cluster.partition(isolated);
  for (const m of cluster.members) {
    if (m.index === isolated) assert.equal(m.proxy!.connections(), 0, `nothing into ${name}`);
    else assert.equal(m.proxy!.connectionsFrom(name), 0, `nothing from ${name} into ${m.name}`);
  }
  await eventually('the majority elects a leader and writes', () => c[other]!.put({ key: enc('p'), value: enc('majority') }, { timeoutMs: 1500 }));
  await assert.rejects(c[isolated]!.range({ key: enc('p') }, { timeoutMs: 1500 }), 'the isolated member cannot serve a linearizable read');
  cluster.heal();
  await eventually('the isolated member rejoins', async () =>
    dec((await c[isolated]!.range({ key: enc('p') })).kvs[0]?.value) === 'majority' ? true : undefined);
  for (const m of cluster.members) assert.ok(m.running);
});
