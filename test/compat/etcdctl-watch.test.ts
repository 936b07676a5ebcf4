// The real etcdctl's watch against real etcd and tsetcd, side by side: history replay with
// --rev and --prev-kv, a txn's events in one response, -w json, a compacted start revision
// (cancelled, exit 5), and `watch -- exec` with ETCD_WATCH_* variables.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { freePort, startServer, type ServerKind } from '../helpers/real-etcd.js';

function ctl(endpoint: string, args: string[], input = ''): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync('etcdctl', ['--endpoints', endpoint, ...args], { input, encoding: 'utf8', timeout: 20_000 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Starts `etcdctl watch ...`, waits until it has subscribed (bounded), returns a collector. */
async function watchProc(endpoint: string, args: string[]): Promise<{ child: ChildProcess; out: () => string; stop: () => Promise<number | null> }> {
  const child = spawn('etcdctl', ['--endpoints', endpoint, 'watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // etcdctl prints nothing when the watch is created; give the client time to connect and create.
  await new Promise((r) => setTimeout(r, 1500));
  return {
    child,
    out: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

function normalize(s: string): string {
  return s
    .replace(/"cluster_id":\d+/g, '"cluster_id":C')
    .replace(/"member_id":\d+/g, '"member_id":M')
    .replace(/"raft_term":\d+/g, '"raft_term":T');
}

async function scenario(kind: ServerKind, clientPort: number, peerPort: number): Promise<Record<string, string>> {
  const srv = await startServer({ kind, clientPort, peerPort });
  const ep = srv.endpoint;
  const r: Record<string, string> = {};
  try {
    ctl(ep, ['put', 'a', '1']);
    ctl(ep, ['put', 'a', '2']);
    ctl(ep, ['put', 'b', '1']);
    const hist = await watchProc(ep, ['a', '--rev', '1', '--prev-kv']);
    const prefix = await watchProc(ep, ['--prefix', '', '-w', 'json']);
    const exec = await watchProc(ep, ['x', '--', 'sh', '-c', 'echo "exec:$ETCD_WATCH_EVENT_TYPE:$ETCD_WATCH_KEY:$ETCD_WATCH_VALUE:$ETCD_WATCH_REVISION"']);
    ctl(ep, ['put', 'a', '3']);
    ctl(ep, ['txn'], '\n\nput x 1\nput y 2\n\n\n');
    ctl(ep, ['del', 'a']);
    await new Promise((res) => setTimeout(res, 1000));
    await hist.stop();
    await prefix.stop();
    await exec.stop();
    r['history --rev 1 --prev-kv'] = hist.out();
    r['prefix -w json'] = normalize(prefix.out());
    r['exec'] = exec.out();
    ctl(ep, ['compact', '4']);
    const compacted = spawnSync('etcdctl', ['--endpoints', ep, 'watch', 'a', '--rev', '2'], { encoding: 'utf8', timeout: 20_000 });
    r['compacted start'] = `${compacted.stdout}|${compacted.stderr}|exit ${compacted.status}`;
  } finally {
    await srv.stop();
  }
  return r;
}

describe('real etcdctl watch: tsetcd as real etcd', { timeout: 180_000 }, () => {
  test('same outputs for the same steps', async () => {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const etcd = await scenario('etcd', clientPort, peerPort);
    const ts = await scenario('tsetcd', clientPort, peerPort);
    assert.ok(etcd['history --rev 1 --prev-kv']!.includes('PUT'), 'the reference run produced events');
    for (const k of Object.keys(etcd)) assert.equal(ts[k], etcd[k], k);
  });
});
