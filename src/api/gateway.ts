// etcd's JSON gateway (grpc-gateway in etcd): POST /v3/<service>/<method> with a JSON body in
// protobuf's JSON mapping with the .proto field names — bytes as base64, 64-bit integers as
// strings, zero/false/empty fields left out. Clients such as Patroni depend on this exact shape.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import { type DescMessage, type MessageShape, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import {
  AlarmRequestSchema,
  AlarmResponseSchema,
  CompactionRequestSchema,
  CompactionResponseSchema,
  DefragmentRequestSchema,
  DefragmentResponseSchema,
  DeleteRangeRequestSchema,
  DeleteRangeResponseSchema,
  HashRequestSchema,
  HashResponseSchema,
  MemberListRequestSchema,
  MemberListResponseSchema,
  PutRequestSchema,
  PutResponseSchema,
  RangeRequestSchema,
  RangeResponseSchema,
  StatusRequestSchema,
  StatusResponseSchema,
  TxnRequestSchema,
  TxnResponseSchema,
} from '../gen/etcdserverpb/rpc_pb.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import type { EtcdServer } from '../server/etcd-server.js';

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

interface Route {
  req: DescMessage;
  res: DescMessage;
  call: (server: EtcdServer, req: never) => unknown;
}

function route<I extends DescMessage, O extends DescMessage>(
  req: I,
  res: O,
  call: (server: EtcdServer, r: MessageShape<I>) => MessageShape<O> | Promise<MessageShape<O>>,
): Route {
  return { req, res, call: call as Route['call'] };
}

const ROUTES: Record<string, Route> = {
  '/v3/kv/range': route(RangeRequestSchema, RangeResponseSchema, (s, r) => s.range(r)),
  '/v3/kv/put': route(PutRequestSchema, PutResponseSchema, (s, r) => s.put(r)),
  '/v3/kv/deleterange': route(DeleteRangeRequestSchema, DeleteRangeResponseSchema, (s, r) => s.deleteRange(r)),
  '/v3/kv/txn': route(TxnRequestSchema, TxnResponseSchema, (s, r) => s.txn(r)),
  '/v3/kv/compaction': route(CompactionRequestSchema, CompactionResponseSchema, (s, r) => s.compact(r)),
  '/v3/maintenance/status': route(StatusRequestSchema, StatusResponseSchema, (s) => s.status()),
  // etcd registers Hash and HashKV on the same path; Hash is the one that answers.
  '/v3/maintenance/hash': route(HashRequestSchema, HashResponseSchema, (s) => s.hash()),
  '/v3/maintenance/defragment': route(DefragmentRequestSchema, DefragmentResponseSchema, (s) => s.defragment()),
  '/v3/maintenance/alarm': route(AlarmRequestSchema, AlarmResponseSchema, (s, r) => s.alarm(r)),
  '/v3/cluster/member/list': route(MemberListRequestSchema, MemberListResponseSchema, (s) => s.memberList()),
};

/** gRPC code → HTTP status, as grpc-gateway maps them. */
function httpStatusFor(code: number): number {
  switch (code) {
    case GrpcCode.InvalidArgument:
    case GrpcCode.FailedPrecondition:
    case GrpcCode.OutOfRange:
      return 400;
    case GrpcCode.Unauthenticated:
      return 401;
    case GrpcCode.PermissionDenied:
      return 403;
    case GrpcCode.NotFound:
      return 404;
    case GrpcCode.AlreadyExists:
    case GrpcCode.Aborted:
      return 409;
    case GrpcCode.ResourceExhausted:
      return 429;
    case GrpcCode.Canceled:
      return 408;
    case GrpcCode.Unimplemented:
      return 501;
    case GrpcCode.Unavailable:
      return 503;
    case GrpcCode.DeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'access-control-allow-headers': 'accept, content-type, authorization',
};

function sendError(res: Res, code: number, message: string): void {
  const body = JSON.stringify({ error: message, message, code });
  res.writeHead(httpStatusFor(code), { 'content-type': 'application/json', ...CORS });
  res.end(body);
}

/** Normalizes etcd's /v3beta/ and /v3alpha/ prefixes to /v3/ as etcd 3.4 still accepts them. */
export function gatewayPath(pathname: string): string | null {
  const m = /^\/v3(?:beta|alpha)?(\/.*)$/.exec(pathname);
  return m ? `/v3${m[1]}` : null;
}

export function isGatewayPath(pathname: string): boolean {
  const p = gatewayPath(pathname);
  return p !== null && p in ROUTES;
}

export async function handleGateway(server: EtcdServer, req: Req, res: Res, pathname: string, maxBytes: number): Promise<void> {
  const path = gatewayPath(pathname);
  const r = path ? ROUTES[path] : undefined;
  if (!r) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not Found\n');
    return;
  }
  if (req.method === 'OPTIONS') {
    res.writeHead(200, CORS);
    res.end();
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', ...CORS });
    res.end('Method Not Allowed\n');
    return;
  }
  let body: string;
  try {
    body = await readBody(req, maxBytes);
  } catch (e) {
    sendError(res, GrpcCode.ResourceExhausted, e instanceof Error ? e.message : String(e));
    return;
  }
  let msg: unknown;
  try {
    msg = fromJsonString(r.req, body.trim() === '' ? '{}' : body);
  } catch (e) {
    sendError(res, GrpcCode.InvalidArgument, e instanceof Error ? e.message : String(e));
    return;
  }
  try {
    const out = await r.call(server, msg as never);
    const json = toJsonString(r.res, out as MessageShape<typeof r.res>, { useProtoFieldName: true });
    res.writeHead(200, { 'content-type': 'application/json', ...CORS });
    res.end(json);
  } catch (e) {
    if (e instanceof EtcdError) sendError(res, e.code, e.message);
    else sendError(res, GrpcCode.Unknown, e instanceof Error ? e.message : String(e));
  }
}

function readBody(req: Req, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > maxBytes) {
        reject(new Error(`request body larger than max (${n} vs. ${maxBytes})`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
