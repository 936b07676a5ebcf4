// The load engine: one thread's share of a load — some HTTP/2 connections and the
// closed-loop clients multiplexed over them.
//
// It speaks gRPC directly on node:http2 (POST, content-type application/grpc, a
// pre-encoded frame as the body, grpc-status from the trailers) instead of going through a
// generated client: per request that is one HTTP/2 stream and nothing else, which keeps the
// generator cheap and identical for every server kind. Each client keeps exactly one
// request in flight (closed loop), like etcd's own `benchmark` tool.
import http2 from 'node:http2';
import { encodeOp, type OpSpec } from './requests.js';

export interface EnginePlan {
  /** Client URL of the server, e.g. http://127.0.0.1:2379 (h2c, prior knowledge). */
  url: string;
  connections: number;
  /** Closed-loop clients; client i uses connection i % connections. */
  clients: number;
  op: OpSpec;
  /** Stop issuing after this many requests… */
  maxRequests: number;
  /** …or after this long, whichever comes first. Both are always set: every load is bounded. */
  maxDurationMs: number;
  /** A request without progress for this long is cancelled and counted as an error. */
  requestTimeoutMs: number;
  /** Seeds the per-client key choice (random key order). */
  seed: number;
  /** Sequential key order: the first key index this engine writes. */
  keyStart: number;
}

export interface RawResult {
  ok: number;
  errors: number;
  /** Error message -> count, for the first few distinct messages. */
  errorSamples: Record<string, number>;
  /** Latency of every successful request, in nanoseconds, in completion order. */
  latenciesNs: Float64Array;
  /** process.hrtime.bigint() (as decimal strings: bigint crosses threads less portably). */
  startNs: string;
  endNs: string;
  stoppedBy: 'count' | 'time';
  /** Response bytes received (gRPC frames included), a sanity check that replies were real. */
  bytesIn: number;
}

const MAX_ERROR_SAMPLES = 8;
const CONNECT_TIMEOUT_MS = 10_000;
/** After the load's time bound, in-flight requests get this long (plus the request timeout). */
const DRAIN_GRACE_MS = 2_000;

/** A growable Float64Array: latencies are recorded without per-sample allocation. */
class Samples {
  private buf = new Float64Array(1 << 14);
  private n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  take(): Float64Array {
    return this.buf.slice(0, this.n);
  }
}

function connectOne(url: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`HTTP/2 connect to ${url} timed out after ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    session.once('connect', () => {
      clearTimeout(timer);
      session.removeAllListeners('error');
      // A session error (server died) fails its in-flight streams; those are counted there.
      session.on('error', () => {});
      resolve(session);
    });
    session.once('error', (err) => {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    });
  });
}

export class Engine {
  private constructor(
    private readonly plan: EnginePlan,
    private readonly sessions: http2.ClientHttp2Session[],
    private readonly path: string,
    private readonly frames: Buffer[],
  ) {}

  /** Encodes the requests and opens the connections; nothing is timed yet. */
  static async connect(plan: EnginePlan): Promise<Engine> {
    validatePlan(plan);
    const { path, frames } = encodeOp(plan.op);
    const sessions: http2.ClientHttp2Session[] = [];
    try {
      for (let i = 0; i < plan.connections; i++) sessions.push(await connectOne(plan.url));
    } catch (err) {
      for (const s of sessions) s.destroy();
      throw err;
    }
    return new Engine(plan, sessions, path, frames);
  }

  close(): void {
    for (const s of this.sessions) s.destroy();
  }

  run(): Promise<RawResult> {
    const { plan, sessions, frames } = this;
    const keySpace = frames.length;
    const headers = {
      ':method': 'POST',
      ':path': this.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    const samples = new Samples();
    const errorSamples: Record<string, number> = {};
    let ok = 0;
    let errors = 0;
    let issued = 0;
    let bytesIn = 0;
    let stoppedBy: 'count' | 'time' = 'count';
    let active = plan.clients;
    const start = process.hrtime.bigint();
    let end = start;
    const deadline = start + BigInt(plan.maxDurationMs) * 1_000_000n;

    const noteError = (msg: string): void => {
      errors++;
      if (msg in errorSamples) errorSamples[msg]!++;
      else if (Object.keys(errorSamples).length < MAX_ERROR_SAMPLES) errorSamples[msg] = 1;
    };

    return new Promise<RawResult>((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(guard);
        clearInterval(sweep);
        resolve({
          ok,
          errors,
          errorSamples,
          latenciesNs: samples.take(),
          startNs: start.toString(),
          endNs: end.toString(),
          stoppedBy,
          bytesIn,
        });
      };
      // Last-resort bound: if a server stops answering, the load still ends.
      const guard = setTimeout(() => {
        stoppedBy = 'time';
        end = process.hrtime.bigint();
        for (const s of sessions) s.destroy();
        finish();
      }, plan.maxDurationMs + plan.requestTimeoutMs + DRAIN_GRACE_MS);

      // Request timeouts by one periodic sweep over the clients' in-flight requests rather
      // than a timer per stream: a timer per request costs the generator measurable CPU.
      const inflight = new Array<http2.ClientHttp2Stream | undefined>(plan.clients);
      const sentAt = new Float64Array(plan.clients);
      const timedOut = new Uint8Array(plan.clients);
      const sweepMs = Math.max(10, Math.min(1_000, plan.requestTimeoutMs / 4));
      const sweep = setInterval(() => {
        const now = performance.now();
        for (let c = 0; c < plan.clients; c++) {
          const st = inflight[c];
          if (st !== undefined && now - sentAt[c]! > plan.requestTimeoutMs) {
            timedOut[c] = 1;
            st.close(http2.constants.NGHTTP2_CANCEL);
          }
        }
      }, sweepMs);

      const clientDone = (): void => {
        if (--active === 0) finish();
      };

      // Per-client xorshift32 state for random keys (never 0).
      const rng = new Uint32Array(plan.clients);
      for (let c = 0; c < plan.clients; c++) rng[c] = (plan.seed * 2654435761 + (c + 1) * 40503) >>> 0 || 1;

      const nextKey = (c: number): number => {
        if (plan.op.kind === 'put' && plan.op.keyOrder === 'sequential') {
          return (plan.keyStart + issued) % keySpace;
        }
        let x = rng[c]!;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        rng[c] = x;
        return (x >>> 0) % keySpace;
      };

      const issue = (c: number): void => {
        if (finished) return;
        if (issued >= plan.maxRequests) {
          clientDone();
          return;
        }
        const t0 = process.hrtime.bigint();
        if (t0 >= deadline) {
          stoppedBy = 'time';
          clientDone();
          return;
        }
        const frame = frames[nextKey(c)]!;
        issued++;
        let stream: http2.ClientHttp2Stream;
        try {
          stream = sessions[c % sessions.length]!.request(headers);
        } catch (err) {
          // The session is gone (server closed or crashed): this client cannot continue.
          noteError(err instanceof Error ? err.message : String(err));
          end = process.hrtime.bigint();
          clientDone();
          return;
        }
        let status: string | undefined;
        let message = '';
        let httpStatus = 0;
        let got = 0;
        let failure: string | undefined;
        stream.on('response', (h) => {
          httpStatus = Number(h[':status']);
          // Trailers-only responses (errors) carry grpc-status in the headers.
          if (h['grpc-status'] !== undefined) {
            status = String(h['grpc-status']);
            message = String(h['grpc-message'] ?? '');
          }
        });
        stream.on('data', (chunk: Buffer) => {
          got += chunk.length;
        });
        stream.on('trailers', (h) => {
          if (h['grpc-status'] !== undefined) {
            status = String(h['grpc-status']);
            message = String(h['grpc-message'] ?? '');
          }
        });
        stream.on('error', (err: Error) => {
          failure ??= err.message;
        });
        inflight[c] = stream;
        sentAt[c] = performance.now();
        stream.on('close', () => {
          const t1 = process.hrtime.bigint();
          end = t1;
          bytesIn += got;
          inflight[c] = undefined;
          if (timedOut[c] === 1) {
            timedOut[c] = 0;
            failure = `timeout after ${plan.requestTimeoutMs} ms`;
          }
          if (failure === undefined && httpStatus === 200 && status === '0' && got >= 5) {
            ok++;
            samples.push(Number(t1 - t0));
          } else if (failure !== undefined) {
            noteError(failure);
          } else if (status !== undefined && status !== '0') {
            noteError(`grpc-status ${status}: ${decodeGrpcMessage(message)}`);
          } else if (httpStatus !== 200) {
            noteError(`HTTP status ${httpStatus}`);
          } else {
            noteError(`no grpc-status or empty reply (rst code ${stream.rstCode})`);
          }
          issue(c);
        });
        stream.end(frame);
      };

      for (let c = 0; c < plan.clients; c++) issue(c);
    });
  }
}

/** grpc-message is percent-encoded on the wire. */
function decodeGrpcMessage(m: string): string {
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

function validatePlan(p: EnginePlan): void {
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer: ${v}`);
  };
  positiveInt('connections', p.connections);
  positiveInt('clients', p.clients);
  positiveInt('maxRequests', p.maxRequests);
  positiveInt('maxDurationMs', p.maxDurationMs);
  positiveInt('requestTimeoutMs', p.requestTimeoutMs);
  if (p.connections > p.clients) throw new RangeError(`more connections (${p.connections}) than clients (${p.clients})`);
}
