// The request handler behind every client URL: gRPC routes first, then the JSON gateway and the
// HTTP endpoints as the fallback for everything that is not a gRPC method path.
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { EtcdServer } from '../server/etcd-server.js';
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type { RequestHandler } from './client-listener.js';

type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
import { handleGateway } from './gateway.js';
import { grpcRoutes } from './grpc-services.js';
import { handleHttpEndpoint, isHttpEndpoint } from './http-endpoints.js';

/** etcd accepts gRPC messages up to --max-request-bytes plus this much framing overhead. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export function createClientHandler(server: EtcdServer, maxRequestBytes: number): RequestHandler {
  const readMaxBytes = maxRequestBytes + GRPC_OVERHEAD_BYTES;
  return connectNodeAdapter({
    routes: grpcRoutes(server),
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes,
    // Responses (e.g. large ranges) are not limited, like etcd's default MaxInt32 send size.
    writeMaxBytes: 0x7fffffff,
    fallback: (req, res) => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      // connect-node's response type omits write(); ours only use writeHead/end.
      const out = res as unknown as HttpResponse;
      const done = isHttpEndpoint(pathname)
        ? handleHttpEndpoint(server, req, out, pathname)
        : handleGateway(server, req, out, pathname, readMaxBytes);
      done.catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      });
    },
  }) as RequestHandler;
}
