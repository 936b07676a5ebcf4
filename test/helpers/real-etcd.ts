// Starts a single-member etcd-compatible server for tests: the real etcd 3.4 (/usr/bin/etcd)
// or tsetcd (bin/tsetcd, same flags). 127.0.0.1 only, free ports, a temporary data dir,
// a bounded wait for readiness, and stop() by PID.
//
// Choose the server with TSETCD_TEST_SERVER=etcd|tsetcd (default etcd).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'etcd' | 'tsetcd';

export interface StartOptions {
  kind?: ServerKind;
  /** Reuse a data dir (kept on stop); default: a fresh temporary one (removed on stop). */
  dataDir?: string;
  /** Reuse ports, e.g. to start an identical twin of a stopped server. */
  clientPort?: number;
  peerPort?: number;
  name?: string;
  /** Extra server flags, e.g. ['--quota-backend-bytes=...'] */
  extraArgs?: string[];
  /** Readiness wait bound; default 20 s. */
  readyTimeoutMs?: number;
  /** Serve clients over TLS with these PEM files (and require client certificates if clientCertAuth). */
  tls?: { certFile: string; keyFile: string; caFile: string; clientCertAuth?: boolean; clientCertFile?: string; clientKeyFile?: string };
}

export interface ServerHandle {
  kind: ServerKind;
  /** host:port, as etcdctl takes it */
  endpoint: string;
  clientUrl: string;
  clientPort: number;
  peerPort: number;
  pid: number;
  dataDir: string;
  stop(): Promise<void>;
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function serverKindFromEnv(): ServerKind {
  const k = process.env['TSETCD_TEST_SERVER'];
  if (k === undefined || k === '' || k === 'etcd') return 'etcd';
  if (k === 'tsetcd') return 'tsetcd';
  throw new Error(`TSETCD_TEST_SERVER must be etcd or tsetcd, not ${k}`);
}

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function command(kind: ServerKind): string {
  return kind === 'etcd' ? '/usr/bin/etcd' : join(REPO, 'bin', 'tsetcd');
}

type Tls = NonNullable<StartOptions['tls']>;

/** GET a JSON document, over TLS when the server uses it. */
function getJson(url: string, tls: Tls | undefined): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const opts: https.RequestOptions = { timeout: 1000 };
    if (tls !== undefined) {
      opts.ca = readFileSync(tls.caFile);
      if (tls.clientCertFile !== undefined) opts.cert = readFileSync(tls.clientCertFile);
      if (tls.clientKeyFile !== undefined) opts.key = readFileSync(tls.clientKeyFile);
    }
    const req = (tls !== undefined ? https : http).get(url, opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => {
        try { resolve(JSON.parse(body) as Record<string, unknown>); } catch (e) { reject(e instanceof Error ? e : new Error(String(e))); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function ready(clientUrl: string, child: ChildProcess, deadline: number, tls: Tls | undefined): Promise<void> {
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early (${child.exitCode ?? child.signalCode})`);
    try {
      const health = await getJson(`${clientUrl}/health`, tls);
      // The cluster version is set by the leader shortly after it is elected; waiting for it
      // makes the raft index of a fresh server the same on every start.
      const version = await getJson(`${clientUrl}/version`, tls);
      if (health['health'] === 'true' && typeof version['etcdcluster'] === 'string' && version['etcdcluster'] !== 'not_decided') return;
      last = `health=${String(health['health'])} cluster=${String(version['etcdcluster'])}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server at ${clientUrl} not ready in time: ${last}`);
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const kind = opts.kind ?? serverKindFromEnv();
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `ctltest-${kind}-`));
  const clientPort = opts.clientPort ?? await freePort();
  const peerPort = opts.peerPort ?? await freePort();
  const name = opts.name ?? 'default';
  const clientUrl = `${opts.tls !== undefined ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', name, '--data-dir', dataDir,
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${name}=${peerUrl}`,
    ...(opts.tls !== undefined ? [
      '--cert-file', opts.tls.certFile, '--key-file', opts.tls.keyFile, '--trusted-ca-file', opts.tls.caFile,
      ...(opts.tls.clientCertAuth === true ? ['--client-cert-auth'] : []),
    ] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(command(kind), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command(kind)}`);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGTERM');
      if (!(await waitExit(child, 10_000))) {
        process.kill(pid, 'SIGKILL');
        await waitExit(child, 5_000);
      }
    }
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await ready(clientUrl, child, Date.now() + (opts.readyTimeoutMs ?? 20_000), opts.tls);
  } catch (e) {
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- server log tail ---\n${log}`);
  }
  return { kind, endpoint: `127.0.0.1:${clientPort}`, clientUrl, clientPort, peerPort, pid, dataDir, stop };
}

/** The real etcd, whatever TSETCD_TEST_SERVER says. */
export function startEtcd(opts: Omit<StartOptions, 'kind'> = {}): Promise<ServerHandle> {
  return startServer({ ...opts, kind: 'etcd' });
}

/** For test/helpers/cluster.ts: the readiness wait and the server binary of each kind. */
export { ready as waitServerReady, command as serverCommand };
