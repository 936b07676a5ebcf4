// What serves a client URL: gRPC (grpc-js, HTTP/2) and the HTTP/1.1 side (JSON gateway, /health,
// /version, /metrics), assembled for one EtcdServer.
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { EtcdServer } from '../server/etcd-server.js';
import { handleGateway } from './gateway.js';
import { createGrpcServer } from './grpc-server.js';
import { etcdServices, metricsObserver } from './grpc-services.js';
import { handleHttpEndpoint, isHttpEndpoint } from './http-endpoints.js';

/** etcd accepts gRPC messages up to --max-request-bytes plus this much framing overhead. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface ClientHandlers {
  /** Takes over an HTTP/2 connection (plaintext after sniffing, or TLS after ALPN "h2"). */
  grpc: (conn: Duplex) => void;
  /** Serves HTTP/1.1 requests. */
  http: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  close(): void;
}

export function createClientHandlers(server: EtcdServer, maxRequestBytes: number, opts: { grpc: boolean } = { grpc: true }): ClientHandlers {
  const readMaxBytes = maxRequestBytes + GRPC_OVERHEAD_BYTES;
  const g = opts.grpc
    ? createGrpcServer(etcdServices(server), { maxReceiveMessageLength: readMaxBytes, observer: metricsObserver(server) })
    : null;
  return {
    grpc: (conn) => {
      if (g) g.accept(conn);
      else conn.destroy();
    },
    http: (req, res) => {
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      // A metrics-only listener (--listen-metrics-urls) serves just the HTTP endpoints.
      const done = isHttpEndpoint(pathname)
        ? handleHttpEndpoint(server, req, res, pathname)
        : opts.grpc
          ? handleGateway(server, req, res, pathname, readMaxBytes)
          : Promise.resolve(void res.writeHead(404).end('404 page not found\n'));
      done.catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      });
    },
    close: () => {
      g?.close();
    },
  };
}
