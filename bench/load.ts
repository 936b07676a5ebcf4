// The load generator: N closed-loop clients over C HTTP/2 connections against one gRPC
// endpoint, for a fixed number of requests or a fixed duration (always both bounded),
// reporting throughput and latency percentiles.
//
// The same code and the same pre-encoded bytes drive every server kind, so a ratio
// between two runs measures the servers, not the clients. The work can be spread over
// worker threads (`workers`), each owning whole connections; with workers = 0 it runs on
// the calling thread. BENCHMARKS.md records which setting saturates the server first on
// our 2-core machine, where the generator and the server compete for CPU.
import { Worker } from 'node:worker_threads';
import { Engine, type EnginePlan, type RawResult } from './engine.js';
import type { FromWorker, ToWorker } from './load-worker.js';
import type { OpSpec } from './requests.js';
import { machineBusySeconds, processCpuSeconds } from './servers.js';

export type { OpSpec } from './requests.js';

export interface LoadSpec {
  name: string;
  /** Server client URL, http://host:port. */
  url: string;
  clients: number;
  connections: number;
  op: OpSpec;
  /** Fixed-count load: this many requests (also the cap of a fixed-duration load). */
  requests?: number;
  /** Fixed-duration load: issue requests for this long (also the cap of a fixed-count load). */
  durationMs?: number;
  /** 0 runs on the calling thread; n > 0 uses min(n, connections) worker threads. Default 0. */
  workers?: number;
  requestTimeoutMs?: number;
  seed?: number;
  /** The server's PID, to report its CPU use during the timed phase (Linux /proc). */
  serverPid?: number;
  /** Several server processes (a cluster's members): serverCores is their sum. Overrides serverPid. */
  serverPids?: readonly number[];
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  name: string;
  clients: number;
  connections: number;
  workers: number;
  ok: number;
  errors: number;
  errorSamples: Record<string, number>;
  stoppedBy: 'count' | 'time';
  /** From the first request sent to the last reply received. */
  elapsedS: number;
  /** Successful requests per second. */
  rps: number;
  /** Of successful requests, in milliseconds. */
  latencyMs: LatencySummary;
  /** CPU the generator process used during the timed phase, in cores (1.0 = one full core). */
  generatorCores: number;
  /** CPU the server used during the timed phase, in cores (needs serverPid or serverPids; summed over serverPids). */
  serverCores: number | undefined;
  /** With serverPids: each process's share of serverCores, in the order of serverPids. */
  serverCoresEach?: number[];
  /** CPU all other processes used meanwhile (machine busy + steal - server - generator). */
  otherCores: number | undefined;
  bytesIn: number;
}

/** Bounds applied when a spec leaves one dimension open. */
export const DEFAULT_MAX_REQUESTS = 10_000_000;
export const DEFAULT_MAX_DURATION_MS = 120_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const WORKER_READY_TIMEOUT_MS = 60_000;

/** Nearest-rank percentile of an ascending array (p in (0, 100]). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(latenciesNs: Float64Array): LatencySummary {
  const s = Float64Array.from(latenciesNs).sort();
  let sum = 0;
  for (const v of s) sum += v;
  const ms = (ns: number): number => ns / 1e6;
  return {
    p50: ms(percentile(s, 50)),
    p90: ms(percentile(s, 90)),
    p99: ms(percentile(s, 99)),
    max: ms(s.length > 0 ? s[s.length - 1]! : NaN),
    mean: ms(s.length > 0 ? sum / s.length : NaN),
  };
}

/** Splits a load into per-thread plans: whole connections per thread, requests by clients. */
export function planShares(spec: LoadSpec, threads: number): EnginePlan[] {
  if (spec.requests === undefined && spec.durationMs === undefined) {
    throw new Error(`load ${spec.name}: set requests or durationMs`);
  }
  const maxRequests = spec.requests ?? DEFAULT_MAX_REQUESTS;
  const maxDurationMs = spec.durationMs ?? DEFAULT_MAX_DURATION_MS;
  if (!Number.isInteger(spec.connections) || spec.connections < 1) {
    throw new RangeError(`connections must be a positive integer: ${spec.connections}`);
  }
  // Never more threads than connections, nor than requests (each thread sends at least one).
  const n = Math.max(1, Math.min(threads, spec.connections, maxRequests));
  const conns = new Array<number>(n).fill(0);
  const clients = new Array<number>(n).fill(0);
  // Connection j belongs to thread j % n; client i rides connection i % connections.
  for (let j = 0; j < spec.connections; j++) conns[j % n]!++;
  for (let i = 0; i < spec.clients; i++) clients[(i % spec.connections) % n]!++;
  const plans: EnginePlan[] = [];
  let keyStart = 0;
  let assigned = 0;
  for (let t = 0; t < n; t++) {
    // One request each, the rest in proportion to clients; the last thread takes the
    // rounding remainder (which is >= 1 because every share rounds down).
    const rest = maxRequests - n;
    const share = t === n - 1 ? maxRequests - assigned : 1 + Math.floor((rest * clients[t]!) / spec.clients);
    assigned += share;
    plans.push({
      url: spec.url,
      connections: conns[t]!,
      clients: clients[t]!,
      op: spec.op,
      maxRequests: share,
      maxDurationMs,
      requestTimeoutMs: spec.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      seed: (spec.seed ?? 1) + t * 7919,
      keyStart,
    });
    keyStart += share;
  }
  return plans;
}

/** CPU counters read right before and right after the timed phase. */
class CpuWindow {
  private readonly self = process.cpuUsage();
  private readonly server: (number | undefined)[];
  private readonly busy = machineBusySeconds();
  constructor(private readonly pids: readonly number[]) {
    this.server = pids.map((p) => processCpuSeconds(p));
  }
  /** Seconds used since construction: [generator, servers (one per pid), whole machine]. */
  close(): CpuUsed {
    const d = process.cpuUsage(this.self);
    const server = this.pids.map((p, i) => {
      const now = processCpuSeconds(p);
      const then = this.server[i];
      return now !== undefined && then !== undefined ? now - then : undefined;
    });
    const busy = machineBusySeconds();
    return [(d.user + d.system) / 1e6, server, busy !== undefined && this.busy !== undefined ? busy - this.busy : undefined];
  }
}

type CpuUsed = [number, (number | undefined)[], number | undefined];

function serverPidsOf(spec: LoadSpec): number[] {
  if (spec.serverPids !== undefined) return [...spec.serverPids];
  return spec.serverPid === undefined ? [] : [spec.serverPid];
}

function merge(spec: LoadSpec, workers: number, raws: RawResult[], cpu: CpuUsed): LoadResult {
  let ok = 0;
  let errors = 0;
  let bytesIn = 0;
  let total = 0;
  let start: bigint | undefined;
  let end: bigint | undefined;
  const errorSamples: Record<string, number> = {};
  for (const r of raws) {
    ok += r.ok;
    errors += r.errors;
    bytesIn += r.bytesIn;
    total += r.latenciesNs.length;
    const s = BigInt(r.startNs);
    const e = BigInt(r.endNs);
    if (start === undefined || s < start) start = s;
    if (end === undefined || e > end) end = e;
    for (const [k, v] of Object.entries(r.errorSamples)) errorSamples[k] = (errorSamples[k] ?? 0) + v;
  }
  const all = new Float64Array(total);
  let off = 0;
  for (const r of raws) {
    all.set(r.latenciesNs, off);
    off += r.latenciesNs.length;
  }
  const elapsedS = start !== undefined && end !== undefined ? Number(end - start) / 1e9 : 0;
  const perS = (v: number | undefined): number | undefined => (v === undefined || elapsedS <= 0 ? undefined : v / elapsedS);
  const [genS, serverEachS, busyS] = cpu;
  const generatorCores = perS(genS) ?? 0;
  // A process whose counters could not be read makes the sum unknown, not smaller.
  const serverS = serverEachS.length === 0 || serverEachS.some((v) => v === undefined) ? undefined : serverEachS.reduce((a, v) => a! + v!, 0);
  const serverCores = perS(serverS);
  const busy = perS(busyS);
  // /proc/stat ticks are coarse (10 ms): clamp the small negative a short load can show.
  const otherCores = busy === undefined ? undefined : Math.max(0, busy - generatorCores - (serverCores ?? 0));
  return {
    name: spec.name,
    clients: spec.clients,
    connections: spec.connections,
    workers,
    ok,
    errors,
    errorSamples,
    stoppedBy: raws.some((r) => r.stoppedBy === 'time') ? 'time' : 'count',
    elapsedS,
    rps: elapsedS > 0 ? ok / elapsedS : 0,
    latencyMs: summarize(all),
    generatorCores,
    serverCores,
    ...(spec.serverPids !== undefined ? { serverCoresEach: serverEachS.map((v) => perS(v) ?? NaN) } : {}),
    otherCores,
    bytesIn,
  };
}

/** Runs one load to completion. Connection setup happens before the timed phase. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const workers = spec.workers ?? 0;
  if (workers === 0) {
    const engine = await Engine.connect(planShares(spec, 1)[0]!);
    try {
      const cpu = new CpuWindow(serverPidsOf(spec));
      const raw = await engine.run();
      return merge(spec, 0, [raw], cpu.close());
    } finally {
      engine.close();
    }
  }
  return runInWorkers(spec, planShares(spec, workers));
}

async function runInWorkers(spec: LoadSpec, plans: EnginePlan[]): Promise<LoadResult> {
  const url = new URL('./load-worker.js', import.meta.url);
  const threads = plans.map((plan) => new Worker(url, { workerData: plan }));
  try {
    // Each worker reports ready (connected), then done; an error or exit fails the load.
    const inbox = threads.map((w) => messages(w));
    await withTimeout(
      Promise.all(inbox.map((q) => q.next('ready'))),
      WORKER_READY_TIMEOUT_MS,
      'load workers did not connect',
    );
    const cpu = new CpuWindow(serverPidsOf(spec));
    for (const w of threads) w.postMessage({ type: 'go' } satisfies ToWorker);
    const done = await Promise.all(inbox.map((q) => q.next('done')));
    const used = cpu.close();
    const raws = done.map((m) => (m.type === 'done' ? m.result : unreachable()));
    return merge(spec, threads.length, raws, used);
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

function unreachable(): never {
  throw new Error('unreachable');
}

/** Sequential reader of a worker's messages; a worker error or early exit rejects. */
function messages(w: Worker): { next(type: 'ready' | 'done'): Promise<FromWorker> } {
  const queue: FromWorker[] = [];
  let waiter: { type: string; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const deliver = (): void => {
    if (waiter === undefined) return;
    const w0 = waiter;
    // Messages first: a worker's 'done' arrives before its 'exit'.
    const m = queue.shift();
    if (m === undefined) {
      if (failure !== undefined) {
        waiter = undefined;
        w0.reject(failure);
      }
      return;
    }
    waiter = undefined;
    if (m.type === 'error') w0.reject(new Error(`load worker: ${m.message}`));
    else if (m.type !== w0.type) w0.reject(new Error(`load worker sent ${m.type}, expected ${w0.type}`));
    else w0.resolve(m);
  };
  w.on('message', (m: FromWorker) => {
    queue.push(m);
    deliver();
  });
  w.on('error', (err) => {
    failure ??= err;
    deliver();
  });
  w.on('exit', (code) => {
    failure ??= new Error(`load worker exited (code ${code}) before finishing`);
    deliver();
  });
  return {
    next(type) {
      return new Promise<FromWorker>((resolve, reject) => {
        waiter = { type, resolve, reject };
        deliver();
      });
    },
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}
