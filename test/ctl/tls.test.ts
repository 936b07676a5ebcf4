// --cacert / --cert / --key / --insecure-skip-tls-verify against etcd serving clients over TLS
// with client certificate authentication; certificates are made with openssl for the test.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { assertSame } from './assert-same.js';
import { run, sameServer } from './harness.js';

let dir: string;
let server: ServerHandle;

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=ctl-test-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', '-extfile', `${who}.ext`]);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctltls-'));
  makeCerts();
  server = await startServer({
    tls: {
      certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), clientCertAuth: true,
      clientCertFile: join(dir, 'client.crt'), clientKeyFile: join(dir, 'client.key'),
    },
  });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('client certificates and CA: put, get, endpoint status over TLS, with and without https://', async () => {
  const tlsFlags = [`--cacert=${join(dir, 'ca.crt')}`, `--cert=${join(dir, 'client.crt')}`, `--key=${join(dir, 'client.key')}`];
  const https = `--endpoints=https://${server.endpoint}`;
  assertSame(await sameServer(server, [
    { args: [...tlsFlags, 'put', 'k', 'v'] },
    { args: [...tlsFlags, 'get', 'k', '-w', 'json'] },
    { args: [https, ...tlsFlags, 'get', 'k'], noEndpoint: true },
    { args: [https, ...tlsFlags, 'endpoint', 'status', '-w', 'table'], noEndpoint: true },
    { args: [https, ...tlsFlags, 'member', 'list'], noEndpoint: true },
    { args: ['get', 'k'], env: { ETCDCTL_CACERT: join(dir, 'ca.crt'), ETCDCTL_CERT: join(dir, 'client.crt'), ETCDCTL_KEY: join(dir, 'client.key') } },
    { args: ['--insecure-skip-tls-verify', `--cert=${join(dir, 'client.crt')}`, `--key=${join(dir, 'client.key')}`, 'get', 'k'] },
  ]));
});

test('without a client certificate the TLS server refuses, and the call ends at the command timeout', async () => {
  const r = await run('tsetcdctl', [`--endpoints=${server.endpoint}`, `--cacert=${join(dir, 'ca.crt')}`, '--command-timeout=1s', 'get', 'k']);
  const e = await run('etcdctl', [`--endpoints=${server.endpoint}`, `--cacert=${join(dir, 'ca.crt')}`, '--command-timeout=1s', 'get', 'k']);
  assert.equal(r.code, e.code);
  const errLine = (s: string): string | undefined => s.split("\n").find((l) => l.startsWith("Error:"));
  assert.equal(errLine(r.stderr), errLine(e.stderr));
  assert.equal(errLine(r.stderr), "Error: context deadline exceeded");
});
