// The cluster benchmark's harness against a real 3-member etcd: the starter finds the leader,
// a load sent to the leader is replicated to every member, the CPU of all member processes is
// summed, and every member process is gone after stop() — also when startup fails.
// No timing thresholds.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { memberStatus, startCluster, type RunningCluster } from '../../bench/cluster.js';
import { runLoad } from '../../bench/load.js';
import { KV, RangeRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';

let cluster: RunningCluster | undefined;

before(async () => {
  cluster = await startCluster('etcd', { size: 3 });
});

after(async () => {
  await cluster?.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function localCount(url: string): Promise<bigint> {
  const kv = createClient(KV, createGrpcTransport({ baseUrl: url }));
  const res = await kv.range(create(RangeRequestSchema, { key: Buffer.from('k'), rangeEnd: Buffer.from('l'), countOnly: true, serializable: true }));
  return res.count;
}

test('the starter reports three members and the leader they all name', async () => {
  const c = cluster!;
  assert.equal(c.members.length, 3);
  assert.equal(new Set(c.pids).size, 3);
  assert.equal(new Set(c.members.map((m) => m.clientUrl)).size, 3);
  for (const m of c.members) assert.match(m.clientUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(c.leaderUrl, c.members[c.leader]!.clientUrl);
  const statuses = await Promise.all(c.members.map((m) => memberStatus(m.clientUrl)));
  const leaderId = statuses[c.leader]!.memberId;
  for (const s of statuses) assert.equal(s.leader, leaderId);
});

test('a put load on the leader reaches every member; server CPU is summed over the members', async () => {
  const c = cluster!;
  const pids = [c.pids[c.leader]!, ...c.pids.filter((_, i) => i !== c.leader)];
  const r = await runLoad({
    name: 'cluster-put-smoke',
    url: c.leaderUrl,
    clients: 10,
    connections: 3,
    op: { kind: 'put', keySpace: 200, valueSize: 256, keyOrder: 'sequential' },
    requests: 200,
    serverPids: pids,
  });
  assert.equal(r.ok, 200, JSON.stringify(r.errorSamples));
  assert.equal(r.errors, 0);
  assert.ok(r.serverCoresEach !== undefined && r.serverCoresEach.length === 3);
  for (const v of r.serverCoresEach) assert.ok(Number.isFinite(v) && v >= 0);
  const sum = r.serverCoresEach.reduce((a, v) => a + v, 0);
  assert.ok(r.serverCores !== undefined && Math.abs(r.serverCores - sum) < 1e-9);
  // Committed means a quorum has it; the third member may trail by a moment (bounded wait).
  const deadline = Date.now() + 10_000;
  for (const m of c.members) {
    let n = await localCount(m.clientUrl);
    while (n !== 200n && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      n = await localCount(m.clientUrl);
    }
    assert.equal(n, 200n, `${m.name} has ${n} keys`);
  }
  // Linearizable ranges on the leader read the values back.
  const rr = await runLoad({
    name: 'cluster-range-smoke',
    url: c.leaderUrl,
    clients: 10,
    connections: 3,
    op: { kind: 'range', keySpace: 200, serializable: false },
    requests: 200,
    serverPids: pids,
  });
  assert.equal(rr.ok, 200);
  assert.ok(rr.bytesIn >= 200 * 256);
});

test('stop() ends every member by PID and removes the data', async () => {
  const c = cluster!;
  cluster = undefined;
  await c.stop();
  for (const pid of c.pids) assert.equal(alive(pid), false, `pid ${pid} still running`);
  assert.equal(existsSync(c.dir), false);
  await c.stop(); // idempotent
});

test('a cluster whose members die at startup is reported, not waited for', async () => {
  const saved = process.env['BENCH_ETCD_BIN'];
  process.env['BENCH_ETCD_BIN'] = '/bin/false';
  try {
    await assert.rejects(startCluster('etcd', { size: 3, timeoutMs: 10_000 }), /exited during startup/);
  } finally {
    if (saved === undefined) delete process.env['BENCH_ETCD_BIN'];
    else process.env['BENCH_ETCD_BIN'] = saved;
  }
});
