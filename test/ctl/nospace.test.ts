// A NOSPACE alarm: how alarm list, endpoint status (a wrapped table cell) and refused writes look.
import { test } from 'node:test';
import { EtcdClient } from '../../src/client/index.js';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { run, type Compared, type RunResult, type Step } from './harness.js';

/**
 * Writes 50 kB values until the 200 kB quota refuses one (a bounded number of tries). etcd
 * checks the quota against the committed database size and commits every 100 ms, so each write
 * waits for that commit: the twins then stop at the same key and the same size.
 */
async function fill(server: ServerHandle): Promise<void> {
  const c = new EtcdClient({ endpoints: [server.endpoint] });
  try {
    const value = Buffer.alloc(50_000, 'x');
    for (let i = 0; i < 40; i++) {
      try {
        await c.put({ key: Buffer.from(`fill/${i}`), value });
        await new Promise((r) => setTimeout(r, 300));
      } catch {
        return;
      }
    }
    throw new Error('the quota was never reached');
  } finally {
    c.close();
  }
}

/** Database sizes as each output format prints them: "176 kB", "DBSize" : 180224, "dbSize":180224. */
const DB_SIZE = [/\b\d+(\.\d+)? [kMG]?B\b/g, /"DBSize" : \d+/g, /"dbSize":\d+/g, /"dbSizeInUse":\d+/g];

test('NOSPACE: alarm list and disarm, endpoint status in every format, refused put, allowed get and del', async () => {
  const steps: Step[] = [
    { args: ['alarm', 'list'] }, { args: ['alarm', 'list', '-w', 'json'] }, { args: ['alarm', 'list', '-w', 'protobuf'] },
    // The twins' database sizes can differ by a page or two (how many fill puts landed before the
    // quota is a matter of timing), so the size is masked; everything else must match.
    { args: ['endpoint', 'status'], mask: DB_SIZE }, { args: ['endpoint', 'status', '-w', 'table'], mask: DB_SIZE },
    { args: ['endpoint', 'status', '-w', 'fields'], mask: DB_SIZE }, { args: ['endpoint', 'status', '-w', 'json'], mask: DB_SIZE },
    { args: ['put', 'k', 'v'] }, { args: ['get', 'fill/0', '--keys-only'] },
    // Deleting does not shrink the file; defrag does, so the last put fits whatever the timing.
    { args: ['del', 'fill/', '--prefix'] }, { args: ['defrag'] }, { args: ['alarm', 'disarm'] }, { args: ['alarm', 'list'] },
    { args: ['put', 'k', 'v'] },
  ];
  // Twins: identical servers, the same fill, then each tool runs the steps.
  const results: Record<'etcdctl' | 'tsetcdctl', RunResult[]> = { etcdctl: [], tsetcdctl: [] };
  let ports: { clientPort: number; peerPort: number } | undefined;
  for (const tool of ['etcdctl', 'tsetcdctl'] as const) {
    const server = await startServer({ ...(ports ?? {}), extraArgs: ['--quota-backend-bytes=200000'] });
    ports = { clientPort: server.clientPort, peerPort: server.peerPort };
    try {
      await fill(server);
      for (const step of steps) results[tool].push(await run(tool, [`--endpoints=${server.endpoint}`, ...step.args]));
    } finally {
      await server.stop();
    }
  }
  const compared: Compared[] = steps.map((step, i) => ({ step, etcdctl: results.etcdctl[i] as RunResult, tsetcdctl: results.tsetcdctl[i] as RunResult }));
  assertSame(compared);
});
