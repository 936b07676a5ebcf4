// Issue #2: the REAL etcdctl 3.4 with endpoints given as URLs (`--endpoints http://...`,
// ETCDCTL_ENDPOINTS, `--cluster` commands, https:// over TLS). grpc-go then sends
// `:authority: http://host:port` on its per-endpoint connections, which node:http2 alone rejects
// (RST_STREAM PROTOCOL_ERROR); the :authority shim (src/api/h2-authority.ts) makes tsetcd answer
// these exactly as the real etcd does. Both servers run one after the other on the same ports.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClientHandlers } from '../../src/api/client-handler.js';
import { listenClient } from '../../src/api/client-listener.js';
import { FLAGS_BY_NAME } from '../../src/config/flags.js';
import { startTestMember } from '../helpers/member.js';
import { freePort, startServer, type ServerHandle, type ServerKind, type StartOptions } from '../helpers/real-etcd.js';

interface Step {
  args: string[];
  env?: Record<string, string>;
}
interface Outcome {
  stdout: string;
  stderr: string;
  status: number | null;
}

function etcdctl(step: Step): Outcome {
  const r = spawnSync('etcdctl', ['--command-timeout=10s', ...step.args], {
    encoding: 'utf8',
    env: { ...process.env, ETCDCTL_API: '3', ...step.env },
    timeout: 30_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** etcdctl without blocking the event loop (for a member in this process). */
function etcdctlAsync(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const c = spawn('etcdctl', ['--command-timeout=10s', ...args], { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('error', reject);
    c.on('close', (status) => { clearTimeout(t); resolve({ stdout, stderr, status }); });
  });
}

/** Masks what may legitimately differ (as in etcdctl-differential.test.ts). */
function normalize(s: string): string {
  return s
    .replace(/took = [0-9.]+[µmn]?s/g, 'took = T')
    .replace(/"ts":"[^"]+"/g, '"ts":T')
    .replace(/3\.4\.(23|0)\b/g, '3.4.x')
    .replace(/"dbSize":\d+/g, '"dbSize":N')
    .replace(/"dbSizeInUse":\d+/g, '"dbSizeInUse":N')
    .replace(/"raft_index":\d+/g, '"raft_index":N')
    .replace(/"raftIndex":\d+/g, '"raftIndex":N')
    .replace(/"raftAppliedIndex":\d+/g, '"raftAppliedIndex":N')
    .replace(/"hash":\d+/g, '"hash":H')
    .replace(/(\b[0-9a-f]{1,16}, 3\.4\.x, )[0-9.]+ [kMG]?B(, \w+, \w+, \d+, )\d+, \d+/g, '$1SIZE$2I, I')
    .replace(/(\|\s+3\.4\.x\s+\|)\s+[0-9.]+ [kMG]?B\s+(\|.*?\|.*?\|.*?\|)\s+\d+\s+\|\s+\d+\s+\|/g, '$1 SIZE $2 I | I |')
    .replace(/[-+]+\n/g, '---\n')
    .replace(/ +/g, ' ');
}

/** Runs the same steps against etcd, then tsetcd, on the same ports; returns both outcomes. */
async function both(opts: Omit<StartOptions, 'kind' | 'clientPort' | 'peerPort'>, steps: (srv: ServerHandle) => Step[]): Promise<Record<ServerKind, Array<[Step, Outcome]>>> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const results: Record<ServerKind, Array<[Step, Outcome]>> = { etcd: [], tsetcd: [] };
  for (const kind of ['etcd', 'tsetcd'] as const) {
    let srv: ServerHandle | undefined;
    try {
      srv = await startServer({ ...opts, kind, clientPort, peerPort });
      for (const step of steps(srv)) results[kind].push([step, etcdctl(step)]);
    } finally {
      await srv?.stop();
    }
  }
  return results;
}

function assertSameOutcomes(results: Record<ServerKind, Array<[Step, Outcome]>>): void {
  assert.equal(results.tsetcd.length, results.etcd.length);
  results.etcd.forEach(([step, e], i) => {
    const t = results.tsetcd[i]![1];
    const what = `etcdctl ${step.args.join(' ')}${step.env ? ` (env ${Object.keys(step.env).join(',')})` : ''}`;
    assert.equal(e.status, 0, `${what}: real etcd failed: ${e.stderr}`);
    assert.equal(t.status, e.status, `${what}: exit code\ntsetcd stderr: ${t.stderr}`);
    assert.equal(normalize(t.stdout), normalize(e.stdout), `${what}: stdout`);
    assert.equal(normalize(t.stderr), normalize(e.stderr), `${what}: stderr`);
    assert.doesNotMatch(t.stderr, /PROTOCOL_ERROR/, what);
  });
}

describe('real etcdctl with scheme-qualified endpoints: tsetcd answers as real etcd', { timeout: 300_000 }, () => {
  test('plaintext: --endpoints http://..., ETCDCTL_ENDPOINTS and --cluster', async () => {
    const results = await both({}, (srv) => {
      const ep = ['--endpoints', srv.clientUrl];
      return [
        { args: [...ep, 'put', 'a', 'b'] },
        { args: [...ep, 'get', 'a'] },
        { args: [...ep, 'get', 'a', '-w', 'json'] },
        { args: [...ep, 'endpoint', 'status'] },
        { args: [...ep, 'endpoint', 'status', '-w', 'table'] },
        { args: [...ep, 'member', 'list'] },
        { args: [...ep, 'member', 'list', '-w', 'table'] },
        { args: [...ep, 'endpoint', 'health'] },
        { args: [...ep, 'endpoint', 'health', '--cluster'] },
        { args: [...ep, 'endpoint', 'status', '--cluster'] },
        { args: [...ep, 'endpoint', 'hashkv', '--cluster'] },
        { args: [...ep, 'defrag', '--cluster'] },
        { args: [...ep, 'alarm', 'list'] },
        { args: ['endpoint', 'status'], env: { ETCDCTL_ENDPOINTS: srv.clientUrl } },
        { args: ['get', 'a', '--print-value-only'], env: { ETCDCTL_ENDPOINTS: srv.clientUrl } },
        // the same endpoint twice, with and without its scheme
        { args: ['--endpoints', `${srv.clientUrl},${srv.endpoint}`, 'endpoint', 'status'] },
      ];
    });
    assertSameOutcomes(results);
  });

  describe('TLS', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'scheme-tls-'));
      const openssl = (args: string[]): void => {
        const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
      };
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=scheme-test-ca']);
      writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
      writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
      for (const who of ['server', 'client']) {
        openssl(['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
        openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', '-extfile', `${who}.ext`]);
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const tsetcdServesTls = FLAGS_BY_NAME.get('cert-file')?.status === 'active';
    test('--endpoints https://...: get, endpoint status, --cluster (same as etcd)', { skip: tsetcdServesTls ? false : 'the tsetcd binary does not serve TLS yet' }, async () => {
      // etcd 3.4 asks for client certificates whenever it has a trusted CA
      const tls = {
        certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), clientCertAuth: true,
        clientCertFile: join(dir, 'client.crt'), clientKeyFile: join(dir, 'client.key'),
      };
      const results = await both({ tls }, (srv) => {
        const base = ['--endpoints', srv.clientUrl, `--cacert=${join(dir, 'ca.crt')}`, `--cert=${join(dir, 'client.crt')}`, `--key=${join(dir, 'client.key')}`];
        return [
          { args: [...base, 'put', 'k', 'v'] },
          { args: [...base, 'get', 'k'] },
          { args: [...base, 'endpoint', 'status'] },
          { args: [...base, 'member', 'list'] },
          { args: [...base, 'endpoint', 'health', '--cluster'] },
          { args: [...base, 'endpoint', 'status', '--cluster', '-w', 'table'] },
        ];
      });
      assertSameOutcomes(results);
    });

    test('--endpoints https://... against the TLS client listener (in-process member)', async () => {
      const m = await startTestMember();
      const handlers = createClientHandlers(m.member.server, 1.5 * 1024 * 1024);
      const listener = await listenClient(new URL('https://127.0.0.1:0'), handlers, {
        key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')), ca: readFileSync(join(dir, 'ca.crt')),
        requestCert: true, rejectUnauthorized: true,
      });
      try {
        const url = `https://127.0.0.1:${listener.address.port}`;
        const base = ['--endpoints', url, `--cacert=${join(dir, 'ca.crt')}`, `--cert=${join(dir, 'client.crt')}`, `--key=${join(dir, 'client.key')}`];
        const put = await etcdctlAsync([...base, 'put', 'k', 'v']);
        assert.equal(put.stdout, 'OK\n', put.stderr);
        const get = await etcdctlAsync([...base, 'get', 'k']);
        assert.equal(get.stdout, 'k\nv\n', get.stderr);
        for (const args of [['endpoint', 'status'], ['endpoint', 'hashkv'], ['endpoint', 'health']]) {
          const r = await etcdctlAsync([...base, ...args]);
          assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
          // (endpoint health reports on stderr)
          assert.ok((r.stdout + r.stderr).startsWith(`${url}`), `${args.join(' ')}: ${r.stdout}${r.stderr}`);
          assert.doesNotMatch(r.stderr, /PROTOCOL_ERROR/);
        }
      } finally {
        await listener.close();
        handlers.close();
        await m.dispose();
      }
    });
  });
});
