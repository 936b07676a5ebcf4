// etcd's JSON gateway (grpc-gateway in etcd): POST /v3/<service>/<method> with a JSON body in
// protobuf's JSON mapping with the .proto field names — bytes as base64, 64-bit integers as
// strings, zero/false/empty fields left out. Clients such as Patroni depend on this exact shape.
import type * as http from 'node:http';
import { splitJsonObjects } from '../server/json-objects.js';
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
  MemberAddRequestSchema,
  MemberAddResponseSchema,
  MemberRemoveRequestSchema,
  MemberRemoveResponseSchema,
  MemberUpdateRequestSchema,
  MemberUpdateResponseSchema,
  MemberPromoteRequestSchema,
  MemberPromoteResponseSchema,
  MoveLeaderRequestSchema,
  MoveLeaderResponseSchema,
  PutRequestSchema,
  PutResponseSchema,
  RangeRequestSchema,
  RangeResponseSchema,
  StatusRequestSchema,
  WatchRequestSchema,
  WatchResponseSchema,
  LeaseGrantRequestSchema,
  LeaseGrantResponseSchema,
  LeaseKeepAliveRequestSchema,
  LeaseKeepAliveResponseSchema,
  LeaseLeasesRequestSchema,
  LeaseLeasesResponseSchema,
  LeaseRevokeRequestSchema,
  LeaseRevokeResponseSchema,
  LeaseTimeToLiveRequestSchema,
  LeaseTimeToLiveResponseSchema,
  StatusResponseSchema,
  TxnRequestSchema,
  TxnResponseSchema,
} from '../gen/etcdserverpb/rpc_pb.js';
import { EtcdError, GrpcCode } from '../server/errors.js';
import { WatchStream } from '../watch/index.js';
import { concurrencyGatewayRoutes, concurrencyGatewayStreams } from '../concurrency/index.js';
import type { EtcdServer } from '../server/etcd-server.js';

type Req = http.IncomingMessage;
type Res = http.ServerResponse;

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
  '/v3/cluster/member/list': route(MemberListRequestSchema, MemberListResponseSchema, (s, r) => s.memberList(r)),
  '/v3/cluster/member/add': route(MemberAddRequestSchema, MemberAddResponseSchema, (s, r) => s.reconfig.memberAdd(r)),
  '/v3/cluster/member/remove': route(MemberRemoveRequestSchema, MemberRemoveResponseSchema, (s, r) => s.reconfig.memberRemove(r)),
  '/v3/cluster/member/update': route(MemberUpdateRequestSchema, MemberUpdateResponseSchema, (s, r) => s.reconfig.memberUpdate(r)),
  '/v3/cluster/member/promote': route(MemberPromoteRequestSchema, MemberPromoteResponseSchema, (s, r) => s.reconfig.memberPromote(r)),
  '/v3/maintenance/transfer-leadership': route(MoveLeaderRequestSchema, MoveLeaderResponseSchema, (s, r) => s.reconfig.moveLeader(r)),
  '/v3/lease/grant': route(LeaseGrantRequestSchema, LeaseGrantResponseSchema, (s, r) => s.leaseGrant(r)),
  '/v3/lease/revoke': route(LeaseRevokeRequestSchema, LeaseRevokeResponseSchema, (s, r) => s.leaseRevoke(r)),
  '/v3/kv/lease/revoke': route(LeaseRevokeRequestSchema, LeaseRevokeResponseSchema, (s, r) => s.leaseRevoke(r)),
  '/v3/lease/timetolive': route(LeaseTimeToLiveRequestSchema, LeaseTimeToLiveResponseSchema, (s, r) => s.leaseTimeToLive(r)),
  '/v3/kv/lease/timetolive': route(LeaseTimeToLiveRequestSchema, LeaseTimeToLiveResponseSchema, (s, r) => s.leaseTimeToLive(r)),
  '/v3/lease/leases': route(LeaseLeasesRequestSchema, LeaseLeasesResponseSchema, (s) => s.leaseLeases()),
  '/v3/kv/lease/leases': route(LeaseLeasesRequestSchema, LeaseLeasesResponseSchema, (s) => s.leaseLeases()),
};

/**
 * Streaming RPCs over the gateway, as grpc-gateway serves them: the body is a sequence of JSON
 * request messages; each response is written as one line {"result": {...}}.
 */
const STREAMS: Record<string, { req: DescMessage; res: DescMessage; each: (server: EtcdServer, r: never) => unknown }> = {
  '/v3/lease/keepalive': {
    req: LeaseKeepAliveRequestSchema,
    res: LeaseKeepAliveResponseSchema,
    each: (s, r: MessageShape<typeof LeaseKeepAliveRequestSchema>) => s.leaseKeepAlive(r.ID),
  },
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

/** Parses one JSON request in protobuf's JSON mapping; on failure answers 400 and returns undefined. */
function parseOrReject(schema: DescMessage, text: string, res: Res): unknown {
  try {
    return fromJsonString(schema, text.trim() === '' ? '{}' : text);
  } catch (e) {
    sendError(res, GrpcCode.InvalidArgument, e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/** A stream that already sent its 200 reports a failure as one {"error": ...} line, as grpc-gateway does. */
function writeStreamError(res: Res, e: unknown): void {
  const code = e instanceof EtcdError ? e.code : GrpcCode.Unknown;
  const message = e instanceof Error ? e.message : String(e);
  res.write(`${JSON.stringify({ error: { grpc_code: code, http_code: httpStatusFor(code), message, http_status: '' } })}\n`);
}

/** Normalizes etcd's /v3beta/ and /v3alpha/ prefixes to /v3/ as etcd 3.4 still accepts them. */
export function gatewayPath(pathname: string): string | null {
  const m = /^\/v3(?:beta|alpha)?(\/.*)$/.exec(pathname);
  return m ? `/v3${m[1]}` : null;
}


/**
 * POST /v3/watch: the body holds WatchRequests; each WatchResponse is streamed back as one line
 * {"result": {...}} until the client disconnects, as etcd's gateway does.
 */
function handleWatch(server: EtcdServer, req: Req, res: Res, body: string, maxBytes: number): void {
  let msgs: string[];
  try {
    msgs = splitJsonObjects(body);
  } catch (e) {
    sendError(res, GrpcCode.InvalidArgument, e instanceof Error ? e.message : String(e));
    return;
  }
  const parsed = [];
  for (const m of msgs) {
    try {
      parsed.push(fromJsonString(WatchRequestSchema, m));
    } catch (e) {
      sendError(res, GrpcCode.InvalidArgument, e instanceof Error ? e.message : String(e));
      return;
    }
  }
  res.writeHead(200, { 'content-type': 'application/json', ...CORS });
  server.watchStreams++;
  const ws = new WatchStream(server.watchHub, {
    send: (resp) => res.write(`{"result":${toJsonString(WatchResponseSchema, resp, { useProtoFieldName: true })}}\n`),
    header: () => server.baseHeader(),
    maxRequestBytes: maxBytes,
  });
  res.on('drain', () => ws.drain());
  res.once('close', () => {
    server.watchStreams--;
    ws.close();
  });
  req.socket.setTimeout(0);
  for (const m of parsed) ws.handle(m);
}

/** Lock/Election over the gateway: a waiting Lock or Campaign is abandoned if the client leaves. */
async function handleRecipe(server: EtcdServer, req: Req, res: Res, route: (typeof concurrencyGatewayRoutes)[string], body: string): Promise<void> {
  const msg = parseOrReject(route.req, body, res);
  if (msg === undefined) return;
  // Abort when the response is closed unfinished (client gone); a socket listener would pile up
  // on keep-alive connections.
  const ac = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  try {
    const out = await route.call(server, msg as never, ac.signal);
    res.writeHead(200, { 'content-type': 'application/json', ...CORS });
    res.end(toJsonString(route.res, out as MessageShape<typeof route.res>, { useProtoFieldName: true }));
  } catch (e) {
    if (e instanceof EtcdError) sendError(res, e.code, e.message);
    else sendError(res, GrpcCode.Unknown, e instanceof Error ? e.message : String(e));
  }
}

/** Election.Observe over the gateway: one {"result": ...} line per leader change until the client leaves. */
async function handleRecipeStream(server: EtcdServer, res: Res, route: (typeof concurrencyGatewayStreams)[string], body: string): Promise<void> {
  const msg = parseOrReject(route.req, body, res);
  if (msg === undefined) return;
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  res.writeHead(200, { 'content-type': 'application/json', ...CORS });
  try {
    await route.stream(server, msg as never, ac.signal, (out: unknown) =>
      res.write(`{"result":${toJsonString(route.res, out as MessageShape<typeof route.res>, { useProtoFieldName: true })}}\n`),
    );
  } catch (e) {
    writeStreamError(res, e);
  }
  res.end();
}

async function handleStream(server: EtcdServer, res: Res, path: string, body: string): Promise<void> {
  const st = STREAMS[path]!;
  let msgs: string[];
  try {
    msgs = splitJsonObjects(body);
  } catch (e) {
    sendError(res, GrpcCode.InvalidArgument, e instanceof Error ? e.message : String(e));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', ...CORS });
  for (const m of msgs) {
    try {
      const out = await st.each(server, fromJsonString(st.req, m) as never);
      res.write(`{"result":${toJsonString(st.res, out as MessageShape<typeof st.res>, { useProtoFieldName: true })}}\n`);
    } catch (e) {
      writeStreamError(res, e);
      break;
    }
  }
  res.end();
}

export async function handleGateway(server: EtcdServer, req: Req, res: Res, pathname: string, maxBytes: number): Promise<void> {
  const path = gatewayPath(pathname);
  const r = path ? ROUTES[path] : undefined;
  const isStream = path !== null && (path in STREAMS || path === '/v3/watch');
  const recipe = path !== null ? concurrencyGatewayRoutes[path] : undefined;
  const recipeStream = path !== null ? concurrencyGatewayStreams[path] : undefined;
  if (!r && !isStream && !recipe && !recipeStream) {
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
  if (path === '/v3/watch') {
    handleWatch(server, req, res, body, maxBytes);
    return;
  }
  if (isStream) {
    await handleStream(server, res, path!, body);
    return;
  }
  if (recipe) {
    await handleRecipe(server, req, res, recipe, body);
    return;
  }
  if (recipeStream) {
    await handleRecipeStream(server, res, recipeStream, body);
    return;
  }
  if (!r) return;
  const msg = parseOrReject(r.req, body, res);
  if (msg === undefined) return;
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
