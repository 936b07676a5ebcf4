// compaction, defrag, endpoint health/status/hashkv, alarm list, member list, version:
// etcdctl 3.4 and tsetcdctl against the same server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { run, sameServer, twins, type Step } from './harness.js';

const s = (...args: string[]): Step => ({ args });

let server: ServerHandle;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

test('member list, endpoint status and hashkv in every format, also with --cluster', async () => {
  assertSame(await sameServer(server, [
    s('member', 'list'), s('member', 'list', '-w', 'json'), s('member', 'list', '-w', 'fields'), s('member', 'list', '-w', 'table'),
    s('member', 'list', '-w', 'protobuf'), s('memb', 'li'),
    s('endpoint', 'status'), s('endpoint', 'status', '-w', 'json'), s('endpoint', 'status', '-w', 'fields'),
    s('endpoint', 'status', '-w', 'table'), s('endpoint', 'status', '-w', 'protobuf'), s('endpoint', 'status', '--cluster', '-w', 'json'),
    s('endpoint', 'hashkv'), s('endpoint', 'hashkv', '-w', 'json'), s('endpoint', 'hashkv', '-w', 'table'), s('endpoint', 'hashkv', '--cluster'),
    s('endpoint', 'hashkv', '-w', 'fields'), s('endpoint', 'hashkv', '--rev=1'),
    s('alarm', 'list'), s('alarm', 'list', '-w', 'json'), s('alarm', 'list', '-w', 'fields'), s('alarm', 'list', 'x'),
    s('alarm', 'list', '-w', 'table'),
  ]));
});

test('endpoint health: stderr report, json/fields/table, unreachable endpoints', async () => {
  assertSame(await sameServer(server, [
    s('endpoint', 'health'), s('endpoint', 'health', '-w', 'json'), s('endpoint', 'health', '-w', 'fields'),
    { args: ['endpoint', 'health', '-w', 'table'], timedTable: true }, s('endpoint', 'health', '--cluster'),
    { args: ['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'endpoint', 'health'], noEndpoint: true, errorLinesOnly: true },
    { args: ['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'endpoint', 'status'], noEndpoint: true, errorLinesOnly: true },
    { args: ['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'get', 'foo'], noEndpoint: true, errorLinesOnly: true },
  ]));
});

test('endpoint health on an unreachable endpoint reports it unhealthy on stderr', async () => {
  const r = await run('tsetcdctl', ['--endpoints=127.0.0.1:1', '--command-timeout=1s', 'endpoint', 'health']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^127\.0\.0\.1:1 is unhealthy: failed to commit proposal: context deadline exceeded$/m);
  assert.match(r.stderr, /^Error: unhealthy cluster$/m);
});

test('a reachable endpoint after an unreachable one answers get, like etcdctl', async () => {
  assertSame(await sameServer(server, [
    { args: [`--endpoints=127.0.0.1:1,${server.endpoint}`, 'get', 'foo', '-w', 'json'], noEndpoint: true },
    { args: [`--endpoints=127.0.0.1:1,${server.endpoint}`, '--command-timeout=1s', 'endpoint', 'status'], noEndpoint: true, errorLinesOnly: true },
  ]));
});

test('version: etcdctl lines first, then our own', async () => {
  const [c] = await sameServer(server, [s('version')]);
  assert.ok(c !== undefined);
  const ours = c.tsetcdctl.stdout.toString().split('\n');
  assert.equal(ours.slice(0, 2).join('\n') + '\n', c.etcdctl.stdout.toString());
  assert.match(ours[2] ?? '', /^tsetcdctl version: \d+\.\d+\.\d+/);
  assert.equal(c.tsetcdctl.code, 0);
});

test('compaction and defrag, including errors', async () => {
  assertSame(await twins([
    s('put', 'a', '1'), s('put', 'a', '2'), s('put', 'a', '3'),
    s('compaction', '2'), s('compaction', '2'), s('compaction', '1'), s('compaction', '--physical', '3'),
    s('compaction', '99'), s('compaction'), s('compaction', 'x'), s('compaction', '1', '2'), s('compact', '3'),
    s('get', 'a', '--rev=2'), s('get', 'a', '--rev=3'), s('endpoint', 'hashkv', '--rev=2'),
    s('defrag'), s('defrag', '--cluster'), s('defrag', '-w', 'xml'),
    s('endpoint', 'status', '-w', 'json'),
  ]));
});
