// A reader that goes away early (`tsetcdctl get --prefix '' | head -1`): etcdctl dies of
// SIGPIPE (the shell shows 141); tsetcdctl exits 141 without a word on stderr.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { startServer } from '../helpers/real-etcd.js';
import { TSETCDCTL } from './harness.js';

function readOneChunkThenClose(cmd: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.once('data', () => child.stdout.destroy());
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr }); });
  });
}

test('output to a closed pipe ends quietly with the SIGPIPE status', async () => {
  const server = await startServer();
  try {
    const c = new EtcdClient({ endpoints: [server.endpoint] });
    try {
      const value = Buffer.alloc(1000, 'v');
      for (let i = 0; i < 2000; i += 100) {
        await c.txn({ success: Array.from({ length: 100 }, (_, j) => ({ request: { case: 'requestPut' as const, value: { key: Buffer.from(`k/${i + j}`), value } } })) });
      }
    } finally {
      c.close();
    }
    const etcdctl = await readOneChunkThenClose('/usr/bin/etcdctl', [`--endpoints=${server.endpoint}`, 'get', '--prefix', 'k/']);
    assert.equal(etcdctl.signal, 'SIGPIPE');
    const ours = await readOneChunkThenClose(TSETCDCTL, [`--endpoints=${server.endpoint}`, 'get', '--prefix', 'k/']);
    assert.equal(ours.code, 141);
    assert.equal(ours.stderr, '');
  } finally {
    await server.stop();
  }
});
