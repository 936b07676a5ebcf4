// One client port for everything, like etcd's cmux: gRPC (HTTP/2) and HTTP/1.1 (JSON gateway,
// /health, /version, /metrics) share a listener. On plaintext we sniff the HTTP/2 client preface;
// on TLS, ALPN chooses ("h2" → gRPC, otherwise HTTP/1.1). HTTP/2 connections pass through
// serveH2 (h2-authority.ts), which makes a scheme in :authority acceptable to node:http2.
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ClientHandlers } from './client-handler.js';
import { serveH2 } from './h2-authority.js';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export interface ClientListener {
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

export async function listenClient(url: URL, handlers: ClientHandlers, tlsOptions?: tls.TlsOptions): Promise<ClientListener> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const sockets = new Set<net.Socket>();
  const h1 = http.createServer(handlers.http);
  h1.keepAliveTimeout = 30_000;
  let server: net.Server;
  if (url.protocol === 'https:') {
    if (!tlsOptions) throw new Error(`listen URL ${url.href} is https but no TLS certificate was given`);
    server = tls.createServer({ ...tlsOptions, ALPNProtocols: ['h2', 'http/1.1'] }, (socket) => {
      if (socket.alpnProtocol === 'h2') serveH2(socket, Buffer.alloc(0), handlers.grpc);
      else h1.emit('connection', socket);
    });
    server.on('connection', (s: net.Socket) => track(sockets, s));
  } else {
    server = net.createServer((socket) => {
      track(sockets, socket);
      socket.setNoDelay(true);
      routeBySniffing(socket, handlers, h1);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        h1.closeAllConnections();
        for (const s of sockets) s.destroy();
      }),
  };
}

function track(sockets: Set<net.Socket>, s: net.Socket): void {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
}

/** Reads just enough bytes to tell an HTTP/2 preface from HTTP/1.1, then hands the socket over. */
function routeBySniffing(socket: net.Socket, handlers: ClientHandlers, h1: http.Server): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const isH2Prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2Prefix && seen.length < H2_PREFACE.length) return; // need more bytes to decide
    socket.off('data', onData);
    socket.pause();
    if (isH2Prefix) {
      serveH2(socket, seen, handlers.grpc);
    } else {
      socket.unshift(seen);
      h1.emit('connection', socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}
