// Starting and stopping a multi-member cluster for the cluster benchmarks: real etcd or
// tsetcd, the same flags for both (etcd's own), 127.0.0.1 only, free ports, one temp dir per
// cluster (data dirs and logs of every member), no proxies between the members. Every member
// is stopped by PID (SIGTERM, then SIGKILL) in stop(), also when startup fails half-way.
//
// A cluster counts as up when every member's GET /health says {"health":"true"} and every
// member reports the same leader through Maintenance/Status (a raw unary gRPC call on
// node:http2, so nothing keeps a connection open afterwards).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { StatusResponseSchema } from '../src/gen/etcdserverpb/rpc_pb.js';
import { grpcFrame } from './requests.js';
import {
  cleanEnv,
  command,
  exited,
  freePorts,
  healthy,
  HEALTH_POLL_MS,
  START_TIMEOUT_MS,
  STOP_TIMEOUT_MS,
  tail,
  waitExit,
  type ServerKind,
} from './servers.js';

export interface ClusterMemberInfo {
  name: string;
  pid: number;
  clientUrl: string;
  peerUrl: string;
  logPath: string;
}

export interface RunningCluster {
  kind: ServerKind;
  members: ClusterMemberInfo[];
  /** Index into members of the leader all members agreed on at startup. */
  leader: number;
  /** members[leader].clientUrl */
  leaderUrl: string;
  pids: number[];
  /** Temp dir holding every member's data dir and log; removed by stop(). */
  dir: string;
  /** Stops every member (idempotent) and removes the temp dir. */
  stop(): Promise<void>;
  /** Synchronous last resort for 'exit' handlers: SIGKILL every member, remove the temp dir. */
  killNow(): void;
}

export interface ClusterStartOptions {
  /** Default 3. */
  size?: number;
  /** Bound on the wait for health and an agreed leader; default 30 s. */
  timeoutMs?: number;
}

const STATUS_TIMEOUT_MS = 2_000;

/**
 * Maintenance/Status of one member: its own member ID and the leader it knows (0 = none).
 * Bounded by STATUS_TIMEOUT_MS; the HTTP/2 session is always destroyed.
 */
export function memberStatus(clientUrl: string): Promise<{ memberId: bigint; leader: bigint; raftTerm: bigint }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(clientUrl);
    const chunks: Buffer[] = [];
    let grpcStatus: string | undefined;
    const done = (err: Error | undefined): void => {
      clearTimeout(timer);
      session.destroy();
      if (err !== undefined) return reject(err);
      if (grpcStatus !== '0') return reject(new Error(`Status: grpc-status ${grpcStatus ?? '(none)'}`));
      const body = Buffer.concat(chunks);
      if (body.length < 5) return reject(new Error('Status: empty reply'));
      const res = fromBinary(StatusResponseSchema, body.subarray(5, 5 + body.readUInt32BE(1)));
      resolve({ memberId: res.header?.memberId ?? 0n, leader: res.leader, raftTerm: res.raftTerm });
    };
    const timer = setTimeout(() => done(new Error(`Status: no reply within ${STATUS_TIMEOUT_MS} ms`)), STATUS_TIMEOUT_MS);
    session.on('error', (err) => done(err));
    const st = session.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.Maintenance/Status',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    st.on('response', (h) => {
      if (h['grpc-status'] !== undefined) grpcStatus = String(h['grpc-status']); // trailers-only reply
    });
    st.on('trailers', (h) => {
      grpcStatus = String(h['grpc-status']);
    });
    st.on('data', (d: Buffer) => chunks.push(d));
    st.on('end', () => done(undefined));
    st.on('error', (err) => done(err));
    st.end(grpcFrame(new Uint8Array(0)));
  });
}

/** Starts a cluster of `size` members of one kind; resolves once all are healthy and agree on a leader. */
export async function startCluster(kind: ServerKind, opts: ClusterStartOptions = {}): Promise<RunningCluster> {
  const size = opts.size ?? 3;
  const timeoutMs = opts.timeoutMs ?? START_TIMEOUT_MS;
  const dir = mkdtempSync(join(tmpdir(), `tsetcd-bench-cluster-${kind}-`));
  const procs: ChildProcess[] = [];
  const members: ClusterMemberInfo[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      await Promise.all(
        procs.map(async (p, i) => {
          if (p.pid === undefined) return; // never started
          if (exited(p)) {
            // Died under load: show the log before the temp dir goes.
            const m = members[i]!;
            process.stderr.write(`${kind} ${m.name} had already exited (code ${p.exitCode}, signal ${p.signalCode}):\n${tail(m.logPath, 15)}\n`);
            return;
          }
          p.kill('SIGTERM');
          if (!(await waitExit(p, STOP_TIMEOUT_MS))) {
            p.kill('SIGKILL');
            await waitExit(p, STOP_TIMEOUT_MS);
          }
        }),
      );
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const killNow = (): void => {
    stopped = true;
    for (const p of procs) if (p.pid !== undefined && !exited(p)) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const ports = await freePorts(2 * size);
    for (let i = 0; i < size; i++) {
      const name = `bench-${kind}-${i}`;
      members.push({
        name,
        pid: 0,
        clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
        peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
        logPath: join(dir, `${name}.log`),
      });
    }
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    const { file, args } = command(kind);
    const env = cleanEnv();
    for (const m of members) {
      const flags = [
        `--name=${m.name}`,
        `--data-dir=${join(dir, m.name)}`,
        `--listen-client-urls=${m.clientUrl}`,
        `--advertise-client-urls=${m.clientUrl}`,
        `--listen-peer-urls=${m.peerUrl}`,
        `--initial-advertise-peer-urls=${m.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=bench-${kind}-${process.pid}`,
      ];
      // Logs go to files: an unread pipe would eventually block a member.
      const fd = openSync(m.logPath, 'a');
      let p: ChildProcess;
      try {
        p = spawn(file, [...args, ...flags], { stdio: ['ignore', fd, fd], env });
      } finally {
        closeSync(fd);
      }
      procs.push(p);
      const spawnFailed = await Promise.race([
        new Promise<Error>((r) => p.once('error', r)),
        new Promise<undefined>((r) => (p.pid !== undefined ? r(undefined) : setTimeout(() => r(undefined), 1_000))),
      ]);
      if (spawnFailed !== undefined || p.pid === undefined) {
        throw new Error(`cannot start ${kind} (${file}): ${spawnFailed?.message ?? 'no pid'}`);
      }
      m.pid = p.pid;
    }

    const deadline = Date.now() + timeoutMs;
    const logs = (): string => members.map((m) => `--- ${m.name} ---\n${tail(m.logPath, 10)}`).join('\n');
    const checkAlive = (): void => {
      procs.forEach((p, i) => {
        if (exited(p)) throw new Error(`${members[i]!.name} exited during startup (code ${p.exitCode}, signal ${p.signalCode}):\n${logs()}`);
      });
    };
    // 1. Every member healthy (health needs a leader, so this also waits for the first election).
    for (;;) {
      checkAlive();
      const h = await Promise.all(members.map((m) => healthy(m.clientUrl)));
      if (h.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`${kind} cluster not healthy within ${timeoutMs} ms:\n${logs()}`);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
    // 2. Every member names the same leader, one of the members.
    let leader = -1;
    for (;;) {
      checkAlive();
      const s = await Promise.all(members.map((m) => memberStatus(m.clientUrl).catch(() => undefined)));
      if (s.every((x) => x !== undefined)) {
        const leaders = new Set(s.map((x) => x!.leader));
        const ids = s.map((x) => x!.memberId);
        if (leaders.size === 1) leader = ids.indexOf(s[0]!.leader);
      }
      if (leader >= 0) break;
      if (Date.now() > deadline) throw new Error(`${kind} cluster: members did not agree on a leader within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
    return {
      kind,
      members,
      leader,
      leaderUrl: members[leader]!.clientUrl,
      pids: members.map((m) => m.pid),
      dir,
      stop,
      killNow,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
