// Smoke test of the benchmark load generator against the real etcd: it must send exactly
// the requests it says it sent, count successes and failures correctly, and stay bounded.
// No timing thresholds: throughput on a shared 2-core machine proves nothing in a test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { parseCheckPerf } from '../../bench/checkperf.js';
import { percentile, planShares, runLoad, summarize } from '../../bench/load.js';
import { benchKey, benchValue } from '../../bench/requests.js';
import { startServer, type RunningServer } from '../../bench/servers.js';
import { KV, RangeRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';

let server: RunningServer;

before(async () => {
  server = await startServer('etcd');
});

after(async () => {
  await server?.stop();
});

async function revisionAndCount(url: string): Promise<{ revision: bigint; count: bigint }> {
  const kv = createClient(KV, createGrpcTransport({ baseUrl: url }));
  // All bench keys start with 'k': range ['k', 'l').
  const res = await kv.range(create(RangeRequestSchema, { key: Buffer.from('k'), rangeEnd: Buffer.from('l'), countOnly: true }));
  return { revision: res.header?.revision ?? -1n, count: res.count };
}

test('a fixed-count put load sends exactly that many puts, each one a new revision', async () => {
  const before = await revisionAndCount(server.clientUrl);
  const r = await runLoad({
    name: 'put-smoke',
    url: server.clientUrl,
    clients: 10,
    connections: 3,
    op: { kind: 'put', keySpace: 300, valueSize: 256, keyOrder: 'sequential' },
    requests: 300,
  });
  assert.equal(r.ok, 300);
  assert.equal(r.errors, 0);
  assert.deepEqual(r.errorSamples, {});
  assert.equal(r.stoppedBy, 'count');
  const afterPut = await revisionAndCount(server.clientUrl);
  // Each put is one revision; sequential order writes every key in the space once.
  assert.equal(afterPut.revision - before.revision, 300n);
  assert.equal(afterPut.count, 300n);
  assert.ok(r.elapsedS > 0 && r.rps > 0);
  assert.ok(r.latencyMs.p50 <= r.latencyMs.p90 && r.latencyMs.p90 <= r.latencyMs.p99 && r.latencyMs.p99 <= r.latencyMs.max);
  assert.ok(r.latencyMs.p50 > 0);
});

test('range loads over worker threads count every reply and read real values', async () => {
  for (const serializable of [false, true]) {
    const r = await runLoad({
      name: 'range-smoke',
      url: server.clientUrl,
      clients: 8,
      connections: 4,
      workers: 2,
      op: { kind: 'range', keySpace: 300, serializable },
      requests: 250,
    });
    assert.equal(r.workers, 2);
    assert.equal(r.ok, 250, JSON.stringify(r.errorSamples));
    assert.equal(r.errors, 0);
    // Each reply carries the 256-byte value of an existing key.
    assert.ok(r.bytesIn >= 250 * 256, `only ${r.bytesIn} response bytes`);
  }
  // Reads do not write.
  const s = await revisionAndCount(server.clientUrl);
  assert.equal(s.count, 300n);
});

test('a duration-bounded load stops on time', async () => {
  const r = await runLoad({
    name: 'duration-smoke',
    url: server.clientUrl,
    clients: 2,
    connections: 1,
    op: { kind: 'range', keySpace: 300, serializable: true },
    durationMs: 300,
    requests: 1_000_000,
  });
  assert.equal(r.stoppedBy, 'time');
  assert.equal(r.errors, 0);
  assert.ok(r.ok > 0 && r.ok < 1_000_000);
});

test('gRPC errors are counted as errors, with the server message', async () => {
  // A value over etcd's 1.5 MiB --max-request-bytes (yet under gRPC's own 2 MiB cap): every put is refused.
  const r = await runLoad({
    name: 'error-smoke',
    url: server.clientUrl,
    clients: 2,
    connections: 1,
    op: { kind: 'put', keySpace: 1, valueSize: 1_600_000, keyOrder: 'random' },
    requests: 5,
  });
  assert.equal(r.ok, 0);
  assert.equal(r.errors, 5);
  assert.deepEqual(Object.keys(r.errorSamples), ['grpc-status 3: etcdserver: request is too large']);
});

test('requests to a frozen server time out and are counted as errors', async () => {
  process.kill(server.pid, 'SIGSTOP');
  try {
    const r = await runLoad({
      name: 'frozen',
      url: server.clientUrl,
      clients: 2,
      connections: 1,
      op: { kind: 'range', keySpace: 1, serializable: true },
      requests: 4,
      requestTimeoutMs: 300,
    });
    assert.equal(r.ok, 0);
    assert.equal(r.errors, 4);
    assert.deepEqual(r.errorSamples, { 'timeout after 300 ms': 4 });
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
});

test('a load against a closed port fails instead of hanging', async () => {
  const stopped = await startServer('etcd');
  const url = stopped.clientUrl;
  await stopped.stop();
  await assert.rejects(
    runLoad({ name: 'down', url, clients: 1, connections: 1, op: { kind: 'range', keySpace: 1, serializable: true }, requests: 1 }),
  );
});

test('percentiles are nearest-rank', () => {
  const v = Float64Array.from({ length: 100 }, (_, i) => (100 - i) * 1e6); // 100..1 ms, unsorted
  const s = summarize(v);
  assert.equal(s.p50, 50);
  assert.equal(s.p90, 90);
  assert.equal(s.p99, 99);
  assert.equal(s.max, 100);
  assert.equal(s.mean, 50.5);
  assert.equal(percentile(Float64Array.of(7), 99), 7);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 50)));
});

test('work is split into whole connections and all requests', () => {
  const plans = planShares(
    { name: 'p', url: 'http://x', clients: 100, connections: 10, op: { kind: 'range', keySpace: 1, serializable: true }, requests: 1001 },
    3,
  );
  assert.deepEqual(plans.map((p) => p.connections), [4, 3, 3]);
  assert.deepEqual(plans.map((p) => p.clients), [40, 30, 30]);
  assert.equal(plans.reduce((a, p) => a + p.maxRequests, 0), 1001);
  assert.deepEqual(plans.map((p) => p.keyStart), [0, 400, 700]);
  // Fewer requests than threads: fewer threads, never more requests than asked for.
  const tiny = planShares(
    { name: 't', url: 'http://x', clients: 4, connections: 4, op: { kind: 'range', keySpace: 1, serializable: true }, requests: 2 },
    4,
  );
  assert.deepEqual(tiny.map((p) => p.maxRequests), [1, 1]);
  // Uneven clients per thread: no thread is left without a request.
  const uneven = planShares(
    { name: 'u', url: 'http://x', clients: 5, connections: 3, op: { kind: 'range', keySpace: 1, serializable: true }, requests: 3 },
    3,
  );
  assert.deepEqual(uneven.map((p) => p.clients), [2, 2, 1]);
  assert.deepEqual(uneven.map((p) => p.maxRequests), [1, 1, 1]);
});

test('keys are 8 bytes and values incompressible-looking printable bytes', () => {
  assert.equal(Buffer.from(benchKey(42)).toString(), 'k0000042');
  assert.equal(benchKey(9_999_999).length, 8);
  const v = benchValue(256);
  assert.equal(v.length, 256);
  assert.ok(new Set(v).size > 50);
});

test('etcdctl check perf output is parsed', () => {
  // As printed by etcdctl 3.4.23 (progress bar redrawn with \r, then verdict lines).
  const pass = ' 59 / 60   98.33%\r 60 / 60  100.00% 1m0s\nPASS: Throughput is 150 writes/s\nPASS: Slowest request took 0.143121s\nPASS: Stddev is 0.007615s\nPASS\n';
  assert.deepEqual(parseCheckPerf(pass), {
    pass: true,
    writesPerSec: 150,
    slowestS: 0.143121,
    stddevS: 0.007615,
    lines: ['PASS: Throughput is 150 writes/s', 'PASS: Slowest request took 0.143121s', 'PASS: Stddev is 0.007615s', 'PASS'],
  });
  const fail = 'FAIL: Throughput too low: 91 writes/s\nSlowest request took too long: 0.786915s\nPASS: Stddev is 0.063215s\nFAIL\n';
  const f = parseCheckPerf(fail);
  assert.equal(f.pass, false);
  assert.equal(f.writesPerSec, 91);
  assert.equal(f.slowestS, 0.786915);
});
