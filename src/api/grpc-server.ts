// The gRPC server: gRPC's HTTP/2 wire protocol served directly on node:http2, for services
// described by our protobuf-es descriptors. The client listener sniffs HTTP/2 connections (or
// reads ALPN on TLS) and hands them to this server, so gRPC and HTTP/1.1 share one port like
// etcd's cmux.
//
// Why not a gRPC library for serving (measured on this machine, same load generator, a no-op
// Range handler): @grpc/grpc-js cost ~230 µs of server CPU per request, plain node:http2 ~115 µs,
// and the whole tsetcd request path below the transport ~10-40 µs; connect-node cost more than
// grpc-js. The transport was most of the cost of a request, so we speak the (small, stable) gRPC
// framing ourselves: length-prefixed messages, `grpc-status`/`grpc-message` trailers, trailers-only
// error responses, the receive size limit. Clients stay libraries: etcdctl (grpc-go), @grpc/grpc-js
// (the etcd3 package) and connect-node all run against it in the tests.
import * as http2 from 'node:http2';
import { type DescMessage, type DescMethod, type DescService, type MessageShape, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EtcdError, GrpcCode } from '../server/errors.js';

/**
 * A unary implementation: request in, response (or a thrown EtcdError) out. An implementation
 * that declares a second parameter gets an AbortSignal, aborted if the client goes away first.
 */
export type UnaryImpl = (req: never, signal: AbortSignal) => unknown;

/** A server-streaming implementation: resolves to end the stream OK, rejects to end it with an error. */
export type ServerStreamImpl = {
  serverStream: (req: never, call: { send(msg: never): void; readonly signal: AbortSignal }) => Promise<void>;
};

/** One open bidi stream as the services see it: transport-free. */
export interface BidiStream<I, O> {
  onMessage(f: (msg: I) => void): void;
  /** The client half-closed or went away; the handler releases what it holds. */
  onClose(f: () => void): void;
  /** Queues a message; false once the transport's buffer is full (wait for onDrain). */
  send(msg: O): boolean;
  onDrain(f: () => void): void;
  /** Ends the stream with OK, or with an error (an EtcdError keeps its code and message). */
  end(error?: unknown): void;
}

/** A bidi-streaming implementation: called once per stream. */
export type BidiImpl = { bidi: (stream: BidiStream<never, never>) => void };

export interface ServiceImpl {
  service: DescService;
  methods: Record<string, UnaryImpl | BidiImpl | ServerStreamImpl>;
}

export interface RpcObserver {
  started(service: string, method: string, type?: 'unary' | 'bidi_stream'): void;
  handled(service: string, method: string, code: number, type?: 'unary' | 'bidi_stream'): void;
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k]));

export function grpcCodeName(code: number): string {
  return code === 0 ? 'OK' : (CODE_NAMES[code] ?? 'Unknown');
}

export interface GrpcServerOptions {
  maxReceiveMessageLength: number;
  observer?: RpcObserver;
}

interface Route {
  service: string;
  method: string;
  input: DescMessage;
  output: DescMessage;
  unary?: UnaryImpl;
  bidi?: BidiImpl['bidi'];
  serverStream?: ServerStreamImpl['serverStream'];
}

/** A status as gRPC carries it; messages are percent-encoded in the grpc-message header. */
function statusOf(e: unknown): { code: number; message: string } {
  if (e instanceof EtcdError) return { code: e.code, message: e.message };
  return { code: GrpcCode.Unknown, message: e instanceof Error ? e.message : String(e) };
}

function encodeGrpcMessage(m: string): string {
  // gRPC percent-encodes everything outside printable ASCII, and '%' itself.
  return m.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

function frame(output: DescMessage, msg: unknown): Buffer {
  const body = toBinary(output, msg as MessageShape<DescMessage>);
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** Splits the request body into gRPC messages as bytes arrive; enforces the size limit. */
class MessageReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly max: number) {}

  /** Returns complete messages; throws an EtcdError for an oversize or compressed message. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 5) {
      const compressed = this.buf[0]!;
      const len = this.buf.readUInt32BE(1);
      if (compressed !== 0) throw new EtcdError(GrpcCode.Unimplemented, 'grpc: compressed messages are not supported by this server');
      if (len > this.max) throw new EtcdError(GrpcCode.ResourceExhausted, `grpc: received message larger than max (${len} vs. ${this.max})`);
      if (this.buf.length < 5 + len) break;
      out.push(this.buf.subarray(5, 5 + len));
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }

  get pendingBytes(): number {
    return this.buf.length;
  }
}

const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc' };

/** Ends a stream whose response headers were not sent yet with a trailers-only response. */
function trailersOnly(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    sendTrailersNow(stream, code, message);
    return;
  }
  stream.respond({ ...RESPONSE_HEADERS, 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) }, { endStream: true });
}

function sendTrailersNow(stream: http2.ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.once('wantTrailers', () => {
    stream.sendTrailers({ 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) });
  });
  stream.end();
}

export interface GrpcServer {
  /** Takes over an HTTP/2 connection (its preface may already sit in the socket's read buffer). */
  accept(conn: import('node:stream').Duplex): void;
  close(): void;
}

export function createGrpcServer(impls: ServiceImpl[], opts: GrpcServerOptions): GrpcServer {
  const routes = new Map<string, Route>();
  for (const { service, methods } of impls) {
    for (const method of service.methods as readonly DescMethod[]) {
      const impl = methods[method.localName];
      if (!impl) continue; // unregistered: answered UNIMPLEMENTED below
      const route: Route = { service: service.typeName, method: method.name, input: method.input, output: method.output };
      if (typeof impl === 'function') {
        if (method.methodKind !== 'unary') throw new Error(`${service.typeName}/${method.name} is not unary`);
        route.unary = impl;
      } else if ('serverStream' in impl) {
        if (method.methodKind !== 'server_streaming') throw new Error(`${service.typeName}/${method.name} is not server-streaming`);
        route.serverStream = impl.serverStream;
      } else {
        if (method.methodKind !== 'bidi_streaming') throw new Error(`${service.typeName}/${method.name} is not a bidi stream`);
        route.bidi = impl.bidi;
      }
      routes.set(`/${service.typeName}/${method.name}`, route);
    }
  }
  const obs = opts.observer;
  const server = http2.createServer({ settings: { maxConcurrentStreams: 0xffffffff } });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    s.on('error', () => s.destroy());
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => stream.destroy());
    const path = String(headers[':path'] ?? '');
    const route = routes.get(path);
    if (route === undefined) {
      trailersOnly(stream, GrpcCode.Unimplemented, `unknown method ${path}`);
      return;
    }
    const enc = headers['grpc-encoding'];
    if (enc !== undefined && enc !== 'identity') {
      trailersOnly(stream, GrpcCode.Unimplemented, `grpc: Decompressor is not installed for grpc-encoding "${String(enc)}"`);
      return;
    }
    if (route.unary) serveUnary(stream, route, route.unary, opts.maxReceiveMessageLength, obs);
    else if (route.bidi) serveBidi(stream, route, route.bidi, opts.maxReceiveMessageLength, obs);
    else if (route.serverStream) serveServerStream(stream, route, route.serverStream, opts.maxReceiveMessageLength, obs);
  });
  return {
    accept: (conn) => server.emit('connection', conn),
    close: () => {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
}

function serveUnary(stream: http2.ServerHttp2Stream, route: Route, impl: UnaryImpl, max: number, obs: RpcObserver | undefined): void {
  obs?.started(route.service, route.method, 'unary');
  const reader = new MessageReader(max);
  let request: Buffer | null = null;
  let failed = false;
  const fail = (code: number, message: string): void => {
    if (failed) return;
    failed = true;
    obs?.handled(route.service, route.method, code, 'unary');
    trailersOnly(stream, code, message);
  };
  stream.on('data', (chunk: Buffer) => {
    if (failed) return;
    try {
      for (const m of reader.push(chunk)) {
        if (request !== null) return fail(GrpcCode.Unimplemented, 'grpc: more than one request message for a unary call');
        request = m;
      }
    } catch (e) {
      const st = statusOf(e);
      fail(st.code, st.message);
    }
  });
  stream.on('end', () => {
    if (failed) return;
    if (request === null || reader.pendingBytes > 0) return fail(GrpcCode.Internal, 'grpc: request message is missing or truncated');
    let msg: unknown;
    try {
      msg = fromBinary(route.input, request);
    } catch (e) {
      return fail(GrpcCode.Internal, `grpc: error unmarshalling request: ${e instanceof Error ? e.message : String(e)}`);
    }
    let out: unknown;
    try {
      // Only implementations that can stop early (a waiting Lock) pay for an AbortController.
      if (impl.length >= 2) {
        const ac = new AbortController();
        stream.once('close', () => ac.abort());
        out = impl(msg as never, ac.signal);
      } else {
        out = (impl as (r: never) => unknown)(msg as never);
      }
    } catch (e) {
      const st = statusOf(e);
      return fail(st.code, st.message);
    }
    const reply = (res: unknown): void => {
      if (stream.destroyed || stream.closed) return;
      let bytes: Buffer;
      try {
        bytes = frame(route.output, res);
      } catch (e) {
        return fail(GrpcCode.Internal, `grpc: error marshalling response: ${e instanceof Error ? e.message : String(e)}`);
      }
      obs?.handled(route.service, route.method, 0, 'unary');
      stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(bytes);
    };
    if (out instanceof Promise) {
      out.then(reply, (e: unknown) => {
        const st = statusOf(e);
        fail(st.code, st.message);
      });
    } else {
      reply(out);
    }
  });
}

function serveBidi(
  stream: http2.ServerHttp2Stream,
  route: Route,
  impl: BidiImpl['bidi'],
  max: number,
  obs: RpcObserver | undefined,
): void {
  obs?.started(route.service, route.method, 'bidi_stream');
  const reader = new MessageReader(max);
  const onMessage: Array<(m: never) => void> = [];
  const closers: Array<() => void> = [];
  let ended = false;
  const close = (): void => {
    for (const f of closers.splice(0)) f();
  };
  // Headers go out at once: clients (etcdctl watch) wait for them before sending more.
  stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  const finish = (code: number, message: string): void => {
    if (ended) return;
    ended = true;
    obs?.handled(route.service, route.method, code, 'bidi_stream');
    sendTrailersNow(stream, code, message);
    close();
  };
  const api: BidiStream<unknown, unknown> = {
    onMessage: (f) => void onMessage.push(f),
    onClose: (f) => void closers.push(f),
    send: (msg) => {
      if (ended || stream.destroyed || stream.closed) return false;
      return stream.write(frame(route.output, msg));
    },
    onDrain: (f) => void stream.on('drain', f),
    end: (error) => {
      if (error === undefined) finish(0, '');
      else {
        const st = statusOf(error);
        finish(st.code, st.message);
      }
    },
  };
  stream.on('data', (chunk: Buffer) => {
    if (ended) return;
    let msgs: Buffer[];
    try {
      msgs = reader.push(chunk);
    } catch (e) {
      const st = statusOf(e);
      return finish(st.code, st.message);
    }
    for (const m of msgs) {
      let decoded: unknown;
      try {
        decoded = fromBinary(route.input, m);
      } catch (e) {
        return finish(GrpcCode.Internal, `grpc: error unmarshalling request: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const f of onMessage) f(decoded as never);
      if (ended) return;
    }
  });
  // The client half-closed: like etcd, finish our side once the handler has let go.
  stream.on('end', () => finish(0, ''));
  stream.on('close', () => {
    if (!ended) {
      ended = true;
      obs?.handled(route.service, route.method, GrpcCode.Canceled, 'bidi_stream');
    }
    close();
  });
  impl(api as BidiStream<never, never>);
}

/** One request in, a stream of responses out (Election.Observe). */
function serveServerStream(
  stream: http2.ServerHttp2Stream,
  route: Route,
  impl: ServerStreamImpl['serverStream'],
  max: number,
  obs: RpcObserver | undefined,
): void {
  obs?.started(route.service, route.method, 'unary');
  const reader = new MessageReader(max);
  let request: Buffer | null = null;
  let done = false;
  const finish = (code: number, message: string): void => {
    if (done) return;
    done = true;
    obs?.handled(route.service, route.method, code, 'unary');
    trailersOnly(stream, code, message);
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      for (const m of reader.push(chunk)) request ??= m;
    } catch (e) {
      const st = statusOf(e);
      finish(st.code, st.message);
    }
  });
  stream.on('end', () => {
    if (done) return;
    if (request === null) return finish(GrpcCode.Internal, 'grpc: request message is missing');
    let msg: unknown;
    try {
      msg = fromBinary(route.input, request);
    } catch (e) {
      return finish(GrpcCode.Internal, `grpc: error unmarshalling request: ${e instanceof Error ? e.message : String(e)}`);
    }
    const ac = new AbortController();
    stream.once('close', () => ac.abort());
    stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    const send = (m: unknown): void => {
      if (!done && !stream.destroyed && !stream.closed) stream.write(frame(route.output, m));
    };
    impl(msg as never, { send: send as (m: never) => void, signal: ac.signal }).then(
      () => finish(0, ''),
      (e: unknown) => {
        const st = statusOf(e);
        finish(st.code, st.message);
      },
    );
  });
}
