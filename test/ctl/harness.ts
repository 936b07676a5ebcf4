// Runs etcdctl and tsetcdctl as processes and compares what they print.
//
// Two ways to compare:
//  - sameServer: both tools run each read-only step against one server;
//  - twins: a scenario with writes runs with etcdctl against a fresh server, then with
//    tsetcdctl against a fresh twin (same name, same ports, so the same cluster and member
//    ids and the same revisions), and every step's output must match.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';

export type Tool = 'etcdctl' | 'tsetcdctl';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

export interface Step {
  args: string[];
  stdin?: string | Buffer;
  env?: Record<string, string>;
  /** Do not add --endpoints (the step sets it itself or through env). */
  noEndpoint?: boolean;
  /** Compare only the "Error:" lines of stderr (connection errors carry transport-specific text). */
  errorLinesOnly?: boolean;
  /** The output is a table with a timing column: its width varies, so compare cells only. */
  timedTable?: boolean;
  /** Parts of stdout that differ per run by nature (lease ids chosen by the server, remaining TTLs). */
  mask?: RegExp[];
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const TSETCDCTL = join(REPO, 'bin', 'tsetcdctl');

export function run(tool: Tool, args: string[], opts: { stdin?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const cmd = tool === 'etcdctl' ? '/usr/bin/etcdctl' : TSETCDCTL;
  // A clean environment: no ETCDCTL_* from the outside, a fixed time zone for log stamps.
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TZ: 'UTC', ...(opts.env ?? {}) };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8'), code });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Removes what legitimately differs between two runs: times, random client ids, Go stacks. */
export function normalizeStderr(s: string, errorLinesOnly = false): string {
  if (errorLinesOnly) return s.split('\n').filter((l) => l.startsWith('Error:')).join('\n');
  let out = s
    .replace(/"ts":"[^"]*"/g, '"ts":"TS"')
    .replace(/endpoint:\/\/client-[0-9a-f-]+\//g, 'endpoint://client-ID/')
    .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} /gm, 'TS ')
    .replace(/took = \S+/g, 'took = T');
  // A Go panic: compare the message, not the goroutine dump.
  const p = out.indexOf('panic: ');
  if (p !== -1) out = out.slice(0, p) + (out.slice(p).split('\n')[0] ?? '');
  return out;
}

export function normalizeStdout(b: Buffer, timedTable = false): string {
  // Keep bytes exact (latin1 maps each byte to one char); only endpoint health timings vary.
  let out = b.toString('latin1')
    .replace(/"took":"[^"]*"/g, '"took":"T"')
    .replace(/"Took" : \S+/g, '"Took" : T');
  if (timedTable) {
    out = out.replace(/^[+|].*$/gm, (l) => l.replace(/-+/g, '-').replace(/ +/g, ' ').replace(/\| [0-9.]+(ns|µs|ms|s) \|/g, '| T |'));
  }
  return out;
}

export interface Compared {
  step: Step;
  etcdctl: RunResult;
  tsetcdctl: RunResult;
}

function withEndpoint(step: Step, server: ServerHandle): string[] {
  return step.noEndpoint === true ? step.args : [`--endpoints=${server.endpoint}`, ...step.args];
}

/** Every step with both tools against the same server (for steps that change nothing). */
export async function sameServer(server: ServerHandle, steps: Step[]): Promise<Compared[]> {
  const out: Compared[] = [];
  for (const step of steps) {
    const opts = { ...(step.stdin !== undefined ? { stdin: step.stdin } : {}), ...(step.env !== undefined ? { env: step.env } : {}) };
    const a = await run('etcdctl', withEndpoint(step, server), opts);
    const b = await run('tsetcdctl', withEndpoint(step, server), opts);
    out.push({ step, etcdctl: a, tsetcdctl: b });
  }
  return out;
}

/** The scenario once per tool, each on a fresh server with the same identity. */
export async function twins(steps: Step[], setup?: (s: ServerHandle) => Promise<void>): Promise<Compared[]> {
  const results: Record<Tool, RunResult[]> = { etcdctl: [], tsetcdctl: [] };
  let ports: { clientPort: number; peerPort: number } | undefined;
  for (const tool of ['etcdctl', 'tsetcdctl'] as const) {
    const server = await startServer(ports ?? {});
    ports = { clientPort: server.clientPort, peerPort: server.peerPort };
    try {
      if (setup !== undefined) await setup(server);
      for (const step of steps) {
        const opts = { ...(step.stdin !== undefined ? { stdin: step.stdin } : {}), ...(step.env !== undefined ? { env: step.env } : {}) };
        results[tool].push(await run(tool, withEndpoint(step, server), opts));
      }
    } finally {
      await server.stop();
    }
  }
  return steps.map((step, i) => ({ step, etcdctl: results.etcdctl[i] as RunResult, tsetcdctl: results.tsetcdctl[i] as RunResult }));
}

/** One line per step for assertion messages. */
export function describe(c: Compared): string {
  return `tsetcdctl ${c.step.args.join(' ')}${c.step.stdin !== undefined ? ` <<< ${JSON.stringify(c.step.stdin.toString())}` : ''}`;
}
