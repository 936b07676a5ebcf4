// One client port for everything, like etcd's cmux: gRPC (HTTP/2, h2c) and HTTP/1.1 (JSON gateway,
// /health, /version, /metrics) share a listener. On plaintext we sniff the HTTP/2 client preface;
// on TLS, ALPN chooses (http2.createSecureServer with allowHTTP1).
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { TlsOptions } from 'node:tls';

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export interface ClientListener {
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

export async function listenClient(
  url: URL,
  handler: RequestHandler,
  tls?: TlsOptions,
): Promise<ClientListener> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  const h2Sessions = new Set<http2.ServerHttp2Session>();

  if (url.protocol === 'https:') {
    if (!tls) throw new Error(`listen URL ${url.href} is https but no TLS certificate was given`);
    const secure = http2.createSecureServer({ ...tls, allowHTTP1: true }, handler);
    secure.on('session', (s) => {
      h2Sessions.add(s);
      s.once('close', () => h2Sessions.delete(s));
    });
    server = secure;
  } else {
    const h2 = http2.createServer({}, handler);
    h2.on('session', (s) => {
      h2Sessions.add(s);
      s.once('close', () => h2Sessions.delete(s));
    });
    const h1 = http.createServer(handler);
    h1.keepAliveTimeout = 30_000;
    server = net.createServer((socket) => {
      socket.setNoDelay(true);
      routeBySniffing(socket, h2, h1);
    });
  }
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
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
        for (const s of h2Sessions) s.destroy();
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Reads just enough bytes to tell an HTTP/2 preface from HTTP/1.1, then hands the socket over. */
function routeBySniffing(socket: net.Socket, h2: http2.Http2Server, h1: http.Server): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const isH2Prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (isH2Prefix && seen.length < H2_PREFACE.length) return; // need more bytes to decide
    socket.off('data', onData);
    socket.pause();
    socket.unshift(seen);
    if (isH2Prefix) {
      // The HTTP/2 session drains the unshifted bytes itself, then reads the socket's handle
      // directly (Node >= 18); resuming here would steal frames from it.
      h2.emit('connection', socket);
    } else {
      h1.emit('connection', socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}
