// --user / --password against etcd with authentication enabled (set up with the real etcdctl).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { run, twins, type Step } from './harness.js';

async function enableAuth(server: ServerHandle): Promise<void> {
  for (const args of [['user', 'add', 'root:pw'], ['auth', 'enable'], ['--user=root:pw', 'user', 'add', 'alice:secret']]) {
    const r = await run('etcdctl', [`--endpoints=${server.endpoint}`, ...args]);
    assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
  }
}

test('authentication: user:password, --password, wrong credentials, no credentials, password prompt', async () => {
  const steps: Step[] = [
    { args: ['--user=root:pw', 'put', 'k', 'v'] },
    { args: ['--user=root:pw', 'get', 'k', '-w', 'json'] },
    { args: ['--user=root', '--password=pw', 'get', 'k'] },
    { args: ['--user=root:bad', 'get', 'k'] },
    { args: ['--user=nobody:x', 'put', 'k', 'v'] },
    { args: ['--user=root:pw', '--password=pw', 'get', 'k'] },
    { args: ['get', 'k'] },
    { args: ['--user=alice:secret', 'get', 'k'] },
    { args: ['--user=root:pw', 'endpoint', 'health'] },
    { args: ['--user=root:bad', 'endpoint', 'health', '-w', 'json'] },
    // Not endpoint status: its raft index counts Authenticate entries, and how many of those
    // etcd's own client makes varies from run to run.
    { args: ['--user=root:pw', 'endpoint', 'hashkv', '--cluster'] },
    { args: ['--user=root:pw', 'member', 'list'] },
    { args: ['--user=root:pw', 'txn'], stdin: '\nget k\n\n\n' },
    { args: ['get', 'k'], env: { ETCDCTL_USER: 'root:pw' } },
    // The prompt: etcdctl's terminal handling complains on stderr without a terminal; compare the rest.
    { args: ['--user=root', 'get', 'k'], stdin: 'pw\n', errorLinesOnly: true },
    { args: ['--user=root', 'txn'], stdin: 'pw\n\nget k\n\n\n', errorLinesOnly: true },
    { args: ['--user=root', 'get', 'k'], errorLinesOnly: true },
  ];
  assertSame(await twins(steps, enableAuth));
});

test('a server without auth ignores credentials, as etcd\'s client does', async () => {
  assertSame(await twins([{ args: ['--user=root:pw', 'put', 'a', 'b'] }, { args: ['--user=root:pw', 'get', 'a'] }]));
});
