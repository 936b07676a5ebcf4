// A multi-member cluster of real processes for fault tests: the real etcd 3.4 (/usr/bin/etcd) or
// tsetcd (bin/tsetcd, the same flags). 127.0.0.1 only, free ports, temporary data dirs, every
// process stopped by PID (also when the test process exits early).
//
// With proxies (the default), each member listens on its real peer port and advertises a
// TcpProxy in front of it (--listen-peer-urls real; --initial-advertise-peer-urls and
// --initial-cluster name the proxies), as etcd's functional tests do. partition(i) cuts member
// i's peer traffic both ways: its own proxy stops everything coming in, and every other
// proxy stops the connections member i opened (identified by the owning PID, see tcp-proxy.ts).
//
// Faults: kill(i, signal), restart(i) (same data dir and the same flags, including
// --initial-cluster-state new, which a member with data ignores), pause(i)/resume(i) with
// SIGSTOP/SIGCONT, partition(i)/heal(), delay(ms).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../../src/client/index.js';
import { freePort, serverCommand, waitServerReady, type ServerKind } from './real-etcd.js';
import { socketOwner, TcpProxy, type PartitionMode } from './tcp-proxy.js';

export interface ClusterOptions {
  kind: ServerKind;
  /** Default 3. */
  size?: number;
  /** Put a TcpProxy in front of each member's peer port; default true. */
  proxies?: boolean;
  /** Extra flags for every member. */
  extraArgs?: string[];
  /** Bound on the wait for all members to be ready; default 30 s. */
  readyTimeoutMs?: number;
  /** Keep data dirs after stop(). */
  keepData?: boolean;
}

export interface ClusterMember {
  index: number;
  name: string;
  /** http://127.0.0.1:P */
  clientUrl: string;
  /** 127.0.0.1:P, as etcdctl and EtcdClient take it */
  endpoint: string;
  clientPort: number;
  /** The port the member really listens on for peers. */
  peerPort: number;
  /** The port it advertises (its proxy's, or peerPort without proxies). */
  advertisedPeerPort: number;
  pid: number;
  dataDir: string;
  proxy: TcpProxy | null;
  running: boolean;
  paused: boolean;
  /** Tail of the member's log output (all its incarnations). */
  logs(): string;
}

export interface Cluster {
  kind: ServerKind;
  members: ClusterMember[];
  /** Client endpoints of all members (host:port). */
  endpoints(): string[];
  /** Sends the signal (default SIGKILL) and waits (bounded) for the process to exit. */
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts member i again with the same flags and data dir; waits until it serves /health if asked. */
  restart(i: number, opts?: { waitReady?: boolean; readyTimeoutMs?: number }): Promise<void>;
  pause(i: number): void;
  resume(i: number): void;
  /** Cuts member i's peer traffic both ways. */
  partition(i: number, mode?: PartitionMode): void;
  /** Removes every partition and delay. */
  heal(): void;
  /** Delays peer traffic into member i (or all members). */
  delay(ms: number, i?: number): void;
  /** Index of the member the reachable members report as leader, or -1. */
  leader(timeoutMs?: number): Promise<number>;
  /** Stops every process by PID (SIGCONT first for paused ones), closes proxies, removes data dirs. */
  stop(): Promise<void>;
}

const LOG_TAIL = 64 * 1024;

/** PIDs started by any cluster of this process, killed if the process exits without stop(). */
const livePids = new Set<number>();
let exitHookInstalled = false;
function trackPid(pid: number): void {
  livePids.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const p of livePids) {
        try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
      }
    });
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(t); resolve(true); });
  });
}

interface Internal extends ClusterMember {
  args: string[];
  child: ChildProcess | null;
  log: string;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const size = opts.size ?? 3;
  const useProxies = opts.proxies ?? true;
  const kind = opts.kind;
  const token = `tsetcd-test-${process.pid}-${Date.now()}`;
  const members: Internal[] = [];
  const pidNames = (): Map<number, string> => {
    const m = new Map<number, string>();
    for (const x of members) if (x.running) m.set(x.pid, x.name);
    return m;
  };

  for (let i = 0; i < size; i++) {
    const name = `m${i}`;
    const clientPort = await freePort();
    const peerPort = await freePort();
    let proxy: TcpProxy | null = null;
    let advertisedPeerPort = peerPort;
    if (useProxies) {
      proxy = new TcpProxy({ targetPort: peerPort, label: `peer-proxy:${name}`, identify: (s) => socketOwner(s, pidNames()) });
      advertisedPeerPort = await proxy.start();
    }
    const m: Internal = {
      index: i, name, clientPort, peerPort, advertisedPeerPort, proxy,
      clientUrl: `http://127.0.0.1:${clientPort}`,
      endpoint: `127.0.0.1:${clientPort}`,
      pid: 0,
      dataDir: mkdtempSync(join(tmpdir(), `cluster-${kind}-${name}-`)),
      running: false, paused: false, args: [], child: null, log: '',
      logs: () => m.log,
    };
    members.push(m);
  }
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.advertisedPeerPort}`).join(',');
  for (const m of members) {
    m.args = [
      '--name', m.name, '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl, '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${m.advertisedPeerPort}`,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', token,
      ...(opts.extraArgs ?? []),
    ];
  }

  const spawnMember = (m: Internal): void => {
    const child = spawn(serverCommand(kind), m.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error(`could not start ${serverCommand(kind)}`);
    const onLog = (d: Buffer): void => { m.log = (m.log + d.toString()).slice(-LOG_TAIL); };
    child.stdout?.on('data', onLog);
    child.stderr?.on('data', onLog);
    child.once('exit', (code, sig) => {
      livePids.delete(child.pid!);
      if (m.child === child) m.running = false;
      m.log += `\n--- [test] ${m.name} pid ${child.pid} exited (${code ?? sig}) ---\n`;
    });
    m.log += `\n--- [test] ${m.name} started as pid ${child.pid} ---\n`;
    m.child = child;
    m.pid = child.pid;
    m.running = true;
    m.paused = false;
    trackPid(child.pid);
  };

  const stopMember = async (m: Internal): Promise<void> => {
    const child = m.child;
    if (child === null || !m.running) return;
    const pid = child.pid!;
    try {
      if (m.paused) process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGTERM');
    } catch { /* gone */ }
    if (!(await waitExit(child, 10_000))) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(child, 5_000);
    }
    m.running = false;
    m.paused = false;
  };

  const cluster: Cluster = {
    kind,
    members,
    endpoints: () => members.map((m) => m.endpoint),
    async kill(i, signal = 'SIGKILL') {
      const m = members[i]!;
      const child = m.child;
      if (child === null || !m.running) return;
      process.kill(child.pid!, signal);
      if (signal === 'SIGKILL' && m.paused) { /* a stopped process still dies of SIGKILL */ }
      if (!(await waitExit(child, 10_000))) throw new Error(`${m.name} (pid ${child.pid}) did not exit after ${signal}`);
      m.running = false;
      m.paused = false;
    },
    async restart(i, o = {}) {
      const m = members[i]!;
      if (m.running) throw new Error(`${m.name} is still running (pid ${m.pid})`);
      spawnMember(m);
      if (o.waitReady === true) {
        await waitServerReady(m.clientUrl, m.child!, Date.now() + (o.readyTimeoutMs ?? 20_000), undefined);
      }
    },
    pause(i) {
      const m = members[i]!;
      if (!m.running || m.paused) return;
      process.kill(m.pid, 'SIGSTOP');
      m.paused = true;
    },
    resume(i) {
      const m = members[i]!;
      if (!m.running || !m.paused) return;
      process.kill(m.pid, 'SIGCONT');
      m.paused = false;
    },
    partition(i, mode = 'drop') {
      if (!useProxies) throw new Error('partition needs proxies');
      const name = members[i]!.name;
      for (const m of members) {
        if (m.index === i) m.proxy!.partition(mode);
        else m.proxy!.partitionFrom(name, mode);
      }
    },
    heal() {
      for (const m of members) {
        m.proxy?.heal();
        m.proxy?.delay(0);
      }
    },
    delay(ms, i) {
      if (!useProxies) throw new Error('delay needs proxies');
      for (const m of members) if (i === undefined || m.index === i) m.proxy!.delay(ms);
    },
    async leader(timeoutMs = 2000) {
      const live = members.filter((m) => m.running && !m.paused);
      const votes = await Promise.all(live.map(async (m) => {
        const c = new EtcdClient({ endpoints: [m.endpoint], dialTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
        try {
          const s = await c.status(m.endpoint, { timeoutMs });
          return { self: s.header?.memberId ?? 0n, leader: s.leader, m };
        } catch {
          return undefined;
        } finally {
          c.close();
        }
      }));
      const byId = new Map<bigint, number>();
      for (const v of votes) if (v !== undefined) byId.set(v.self, v.m.index);
      for (const v of votes) {
        if (v !== undefined && v.leader !== 0n && byId.has(v.leader)) return byId.get(v.leader)!;
      }
      return -1;
    },
    async stop() {
      await Promise.all(members.map((m) => stopMember(m)));
      await Promise.all(members.map((m) => m.proxy?.close()));
      if (opts.keepData !== true) for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
    },
  };

  try {
    for (const m of members) spawnMember(m);
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
    await Promise.all(members.map((m) => waitServerReady(m.clientUrl, m.child!, deadline, undefined)));
  } catch (e) {
    const logs = members.map((m) => `--- ${m.name} log tail ---\n${m.log.slice(-3000)}`).join('\n');
    await cluster.stop();
    throw new Error(`cluster (${kind}) did not start: ${e instanceof Error ? e.message : String(e)}\n${logs}`);
  }
  return cluster;
}

export function clusterKindFromEnv(): ServerKind {
  const k = process.env['TSETCD_CLUSTER_TEST_SERVER'];
  // tsetcd by default: the suite tests our cluster; TSETCD_CLUSTER_TEST_SERVER=etcd runs the same
  // tests against real etcd 3.4 (how the tests themselves were validated).
  if (k === undefined || k === '' || k === 'tsetcd') return 'tsetcd';
  if (k === 'etcd') return 'etcd';
  throw new Error(`TSETCD_CLUSTER_TEST_SERVER must be etcd or tsetcd, not ${k}`);
}
