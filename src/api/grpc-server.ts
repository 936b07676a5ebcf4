// The gRPC server: @grpc/grpc-js serving services described by our protobuf-es descriptors.
// grpc-js does not own the port: the client listener sniffs HTTP/2 connections and injects them
// (createConnectionInjector), so gRPC and HTTP/1.1 share one port like etcd's cmux.
//
// Why grpc-js and not connect-node for serving: measured on the same load (100 clients, serializable
// range), connect-node's per-request machinery (web Headers, AbortSignals, async iterables) cost
// several times more CPU per request than the whole rest of the request path; grpc-js's server
// is lean and is the implementation etcd's Go clients are routinely tested against.
import * as grpc from '@grpc/grpc-js';
import { type DescMessage, type DescMethod, type DescService, type MessageShape, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EtcdError, GrpcCode } from '../server/errors.js';

/** A unary implementation: request in, response (or a thrown EtcdError) out. */
export type UnaryImpl = (req: never) => unknown;

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
  methods: Record<string, UnaryImpl | BidiImpl>;
}

export interface RpcObserver {
  started(service: string, method: string, type?: 'unary' | 'bidi_stream'): void;
  handled(service: string, method: string, code: number, type?: 'unary' | 'bidi_stream'): void;
}

function wrapDuplex(call: grpc.ServerDuplexStream<unknown, unknown>, done: (code: number) => void): BidiStream<unknown, unknown> {
  let ended = false;
  const closers: Array<() => void> = [];
  const close = (): void => {
    for (const f of closers.splice(0)) f();
  };
  call.on('cancelled', close);
  call.on('error', close);
  call.on('close', close);
  // The client half-closed: like etcd, finish the stream once the handler has let go.
  call.on('end', () => {
    close();
    if (!ended) {
      ended = true;
      done(0);
      call.end();
    }
  });
  return {
    onMessage: (f) => call.on('data', f),
    onClose: (f) => void closers.push(f),
    send: (msg) => (!ended && !call.cancelled ? call.write(msg) : false),
    onDrain: (f) => void call.on('drain', f),
    end: (error) => {
      if (ended) return;
      ended = true;
      if (error === undefined) {
        done(0);
        call.end();
      } else {
        const err = toServiceError(error);
        done(err.code);
        call.destroy(err);
      }
      close();
    },
  };
}

const CODE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v as number, k]));

export function grpcCodeName(code: number): string {
  return CODE_NAMES[code] ?? 'Unknown';
}

function toServiceError(e: unknown): grpc.ServiceError {
  const code = e instanceof EtcdError ? e.code : GrpcCode.Unknown;
  const message = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() }) as grpc.ServiceError;
}

function definitionFor(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  const input: DescMessage = method.input;
  const output: DescMessage = method.output;
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: (m: unknown) => Buffer.from(toBinary(input, m as MessageShape<DescMessage>)),
    requestDeserialize: (b: Buffer) => fromBinary(input, b),
    responseSerialize: (m: unknown) => {
      const bytes = toBinary(output, m as MessageShape<DescMessage>);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    responseDeserialize: (b: Buffer) => fromBinary(output, b),
  };
}

export interface GrpcServerOptions {
  maxReceiveMessageLength: number;
  observer?: RpcObserver;
}

export function createGrpcServer(impls: ServiceImpl[], opts: GrpcServerOptions): { injector: grpc.ConnectionInjector; server: grpc.Server } {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageLength,
    'grpc.max_send_message_length': 0x7fffffff,
  });
  for (const { service, methods } of impls) {
    const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const impl = methods[method.localName];
      if (!impl) continue; // unregistered: grpc-js answers UNIMPLEMENTED
      const svc = service.typeName;
      const name = method.name;
      const obs = opts.observer;
      if (typeof impl !== 'function') {
        if (method.methodKind !== 'bidi_streaming') throw new Error(`${svc}/${name} is not a bidi stream`);
        definition[method.name] = definitionFor(method);
        handlers[method.name] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
          obs?.started(svc, name, 'bidi_stream');
          impl.bidi(wrapDuplex(call, (code) => obs?.handled(svc, name, code, 'bidi_stream')) as BidiStream<never, never>);
        };
        continue;
      }
      if (method.methodKind !== 'unary') throw new Error(`${svc}/${name} is not unary`);
      definition[method.name] = definitionFor(method);
      handlers[method.name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        obs?.started(svc, name);
        let out: unknown;
        try {
          out = impl(call.request as never);
        } catch (e) {
          const err = toServiceError(e);
          obs?.handled(svc, name, err.code);
          callback(err);
          return;
        }
        Promise.resolve(out).then(
          (res) => {
            obs?.handled(svc, name, 0);
            callback(null, res);
          },
          (e: unknown) => {
            const err = toServiceError(e);
            obs?.handled(svc, name, err.code);
            callback(err);
          },
        );
      };
    }
    server.addService(definition, handlers);
  }
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return { injector, server };
}
