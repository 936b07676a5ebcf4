// Mutual TLS between members (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file,
// --peer-client-cert-auth) and TLS for clients (--cert-file, --key-file, --trusted-ca-file,
// --client-cert-auth), with certificates made by openssl for the test. A member whose certificate
// the others' CA did not sign cannot take part; the real etcdctl talks to the TLS client port.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { PutRequestSchema, RangeRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { startMember, type Member } from '../../src/embed/member.js';
import type { TlsFiles } from '../../src/embed/tls-files.js';
import { freePort } from '../helpers/ports.js';

let dir: string;
const started: Member[] = [];

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, and certificates it signs (server+client usage, for 127.0.0.1), plus one from a rogue CA. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'peer.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const ca of ['ca', 'rogue-ca']) {
    openssl(['req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`]);
  }
  const sign = (who: string, ca: string): void => {
    openssl(['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`]);
    openssl(['x509', '-req', '-in', `${who}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', '-extfile', 'peer.ext']);
  };
  sign('member', 'ca');
  sign('rogue', 'rogue-ca');
}

const files = (who: string, ca = 'ca'): TlsFiles => ({
  certFile: join(dir, `${who}.crt`),
  keyFile: join(dir, `${who}.key`),
  trustedCaFile: join(dir, `${ca}.crt`),
  clientCertAuth: true,
});

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsetcd-tls-'));
  makeCerts();
});
after(async () => {
  for (const m of started) await m.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 5_000 && Date.now() < deadline; i++) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('three members over mutual TLS; the real etcdctl over client TLS; a stranger certificate is refused', async () => {
  const names = ['ta', 'tb', 'tc'];
  const peerPorts = await Promise.all(names.map(() => freePort()));
  const clientPorts = await Promise.all(names.map(() => freePort()));
  const peerUrl = (i: number): string => `https://127.0.0.1:${peerPorts[i]}`;
  const cluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  // tc gets a certificate from another CA: ta and tb must not accept it, nor it them.
  const members = await Promise.all(
    names.map((name, i) =>
      startMember({
        name,
        dataDir: mkdtempSync(join(dir, `${name}-`)),
        listenClientUrls: [`https://127.0.0.1:${clientPorts[i]}`],
        listenPeerUrls: [peerUrl(i)],
        initialAdvertisePeerUrls: [peerUrl(i)],
        initialCluster: cluster,
        heartbeatIntervalMs: 20,
        electionTimeoutMs: 200,
        defaultMetrics: false,
        clientTls: files('member'),
        peerTls: i === 2 ? files('rogue', 'rogue-ca') : files('member'),
      }),
    ),
  );
  started.push(...members);
  const [a, b, c] = members as [Member, Member, Member];

  // ta and tb form a quorum over TLS; tc never hears from a leader.
  const leader = await waitFor('a leader among ta and tb', async () => {
    const l = a.server.status().leader;
    return l !== 0n && l === b.server.status().leader ? l : undefined;
  });
  assert.ok(leader === a.server.memberId || leader === b.server.memberId);
  await a.server.put(create(PutRequestSchema, { key: Buffer.from('k'), value: Buffer.from('over-tls') }));
  const got = await b.server.range(create(RangeRequestSchema, { key: Buffer.from('k') }));
  assert.equal(Buffer.from(got.kvs[0]!.value).toString(), 'over-tls');
  assert.equal(c.server.status().leader, 0n, 'the member with a foreign certificate is not part of the cluster');

  // The real etcdctl, with the CA and a client certificate, over https.
  // Asynchronously: the members run in this process and must keep serving meanwhile.
  const etcdctl = (args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn('etcdctl', [`--endpoints=https://127.0.0.1:${clientPorts[0]}`, `--cacert=${join(dir, 'ca.crt')}`, ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  const ok = await etcdctl([`--cert=${join(dir, 'member.crt')}`, `--key=${join(dir, 'member.key')}`, 'get', 'k', '--print-value-only']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'over-tls\n');
  // --client-cert-auth: without a certificate the handshake is refused.
  const refused = await etcdctl(['--dial-timeout=2s', '--command-timeout=3s', 'get', 'k']);
  assert.notEqual(refused.status, 0);
});
