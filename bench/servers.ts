// Starting and stopping the servers under test. Real etcd and tsetcd take the same flags,
// so one code path serves both: a fresh temp data dir, free 127.0.0.1 ports, wait for
// GET /health to say {"health":"true"}, and stop by PID (SIGTERM, then SIGKILL).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'etcd' | 'tsetcd';
export const SERVER_KINDS: readonly ServerKind[] = ['etcd', 'tsetcd'];

export interface RunningServer {
  kind: ServerKind;
  pid: number;
  clientUrl: string;
  /** Temp dir holding data/ and server.log; removed by stop(). */
  dir: string;
  /** Stops the process (idempotent) and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Synchronous last resort for process 'exit' handlers (an uncaught error, EPIPE on
   * stdout): SIGKILL and remove the temp dir, so no server outlives the harness.
   */
  killNow(): void;
}

export const START_TIMEOUT_MS = 30_000;
export const STOP_TIMEOUT_MS = 10_000;
export const HEALTH_POLL_MS = 100;

/** The repository root, from dist/bench/servers.js. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function command(kind: ServerKind): { file: string; args: string[] } {
  if (kind === 'etcd') return { file: process.env['BENCH_ETCD_BIN'] ?? '/usr/bin/etcd', args: [] };
  return { file: process.execPath, args: [join(REPO_ROOT, 'bin', 'tsetcd')] };
}

/** Ports the kernel reports free right now (held together so they are distinct). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === 'string') throw new Error('unexpected listen address');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Our environment minus ETCD_* / ETCDCTL_*: a stray variable must not change a server's config. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_') && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  return env;
}

export function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

export function waitExit(p: ChildProcess, ms: number): Promise<boolean> {
  if (exited(p)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      p.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    p.once('exit', onExit);
  });
}

export async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return false;
    const body = (await res.json()) as { health?: unknown };
    return body.health === 'true';
  } catch {
    return false;
  }
}

export function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a single-member server of the given kind; resolves once /health reports healthy. */
export async function startServer(kind: ServerKind): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), `tsetcd-bench-${kind}-`));
  const logPath = join(dir, 'server.log');
  const [clientPort, peerPort] = await freePorts(2);
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const name = `bench-${kind}`;
  const { file, args } = command(kind);
  const flags = [
    `--name=${name}`,
    `--data-dir=${join(dir, 'data')}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
  ];
  // Logs go to a file, not a pipe: an unread pipe would eventually block the server.
  const logFd = openSync(logPath, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(file, [...args, ...flags], { stdio: ['ignore', logFd, logFd], env: cleanEnv() });
  } finally {
    closeSync(logFd);
  }
  const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      if (exited(proc)) {
        // It died under load: the log is about to be removed with the temp dir, so show it.
        process.stderr.write(`${kind} had already exited (code ${proc.exitCode}, signal ${proc.signalCode}):\n${tail(logPath, 15)}\n`);
      } else if (proc.pid !== undefined) {
        proc.kill('SIGTERM');
        if (!(await waitExit(proc, STOP_TIMEOUT_MS))) {
          proc.kill('SIGKILL');
          await waitExit(proc, STOP_TIMEOUT_MS);
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const err = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), HEALTH_POLL_MS))]);
      if (err !== undefined) throw new Error(`cannot start ${kind} (${file}): ${err.message}`);
      if (exited(proc)) {
        throw new Error(`${kind} exited during startup (code ${proc.exitCode}, signal ${proc.signalCode}):\n${tail(logPath, 15)}`);
      }
      if (await healthy(clientUrl)) break;
      if (Date.now() > deadline) {
        throw new Error(`${kind} not healthy within ${START_TIMEOUT_MS} ms:\n${tail(logPath, 15)}`);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  if (proc.pid === undefined) throw new Error('unreachable: running process without a pid');
  const killNow = (): void => {
    stopped = true;
    if (!exited(proc)) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return { kind, pid: proc.pid, clientUrl, dir, stop, killNow };
}

let clockTicks: number | undefined;

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (utime + stime) / clockTicks;
  } catch {
    return undefined;
  }
}

/**
 * Busy CPU seconds of the whole machine so far (all CPUs, from /proc/stat). Busy minus
 * what the server and the generator used is what other processes took during a load:
 * on a shared 2-core machine that is the first thing to check before trusting a number.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return busy / clockTicks;
  } catch {
    return undefined;
  }
}
