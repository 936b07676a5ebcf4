// The peer transport: Raft messages between members over HTTP/2 (node:http2, plaintext h2c on
// --listen-peer-urls). Each member keeps ONE long-lived request stream to each peer
// (POST /raft/stream) and writes length-prefixed message frames into it, so messages to a peer
// arrive in order, many per DATA frame, with HTTP/2 flow control as back-pressure. A broken
// connection is reported to Raft as unreachable and redialled with capped exponential backoff;
// messages for a peer that is down are dropped (Raft retransmits), so one dead member never
// stalls the others. The same listener answers the few HTTP requests members make of each other:
// GET /members (a joining member learns the cluster), GET /version, and the lease forwarding
// calls of a follower (POST /leases, /leases/internal), given to the server through `serve`.
import * as http2 from 'node:http2';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { fsyncPathSync } from '../wal/fsutil.js';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Message } from '../raft/index.js';
import { MessageType } from '../raft/index.js';
import { FrameReader, encodeFrames } from './framing.js';
import { decodeMessage } from '../raft/index.js';

export interface PeerHandlers {
  /** A Raft message from a peer (already checked to come from this cluster). */
  onMessage(m: Message): void;
  /** We could not deliver to `id`: Raft stops pipelining to it until it answers again. */
  onUnreachable(id: bigint): void;
  /** Outcome of sending a snapshot message. */
  onSnapshotStatus(id: bigint, ok: boolean): void;
  /** A peer told us (HTTP 410) that this member was removed from the cluster. */
  onRemoved(): void;
  /** Whether `id` was removed from the cluster: its messages are refused with 410. */
  isRemoved(id: bigint): boolean;
  /** Writes a consistent copy of the state machine's database to `file` (sent with a MsgSnap). */
  snapshotData(file: string): Promise<void>;
  /** A snapshot message arrived with its database, fsynced in `file` (now the handler's). */
  snapshotReceived(m: Message, file: string): void;
  /** A directory for snapshot files in transit (same file system as the data dir). */
  snapshotDir(): string;
  /** Other requests on the peer port: resolve null for 404. */
  serve(method: string, path: string, body: Buffer): Promise<{ status: number; type: string; body: Buffer | string } | null>;
}

export interface PeerTransportOptions {
  memberId: bigint;
  /** Peer TLS (--peer-cert-file and friends): used for https:// peer URLs, both ways. */
  tls?: { server: http2.SecureServerOptions; client: http2.SecureClientSessionOptions };
  /** The cluster id; a function because a joining member learns it before serving. */
  clusterId: () => bigint;
  handlers: PeerHandlers;
  warn?: (fields: Record<string, unknown>, msg: string) => void;
}

const HDR_CLUSTER = 'x-etcd-cluster-id';
const HDR_FROM = 'x-server-from';
/** Bytes buffered toward one peer before we stop queueing and call it unreachable. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** Messages kept for a peer while its connection is being (re)established. */
const MAX_QUEUED_WHILE_DIALING = 4096;
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

class PeerLink {
  private session: http2.ClientHttp2Session | null = null;
  private stream: http2.ClientHttp2Stream | null = null;
  private ready = false;
  private queue: Message[] = [];
  private backoffMs = MIN_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private urlIndex = 0;
  private closed = false;
  /** When the current stream to this peer was accepted (ms since the epoch); 0 while down. */
  activeSince = 0;

  constructor(
    readonly id: bigint,
    private urls: string[],
    private readonly t: PeerTransport,
  ) {}

  setUrls(urls: string[]): void {
    if (urls.join(',') === this.urls.join(',')) return;
    this.urls = urls;
    this.urlIndex = 0;
    this.reset();
  }

  send(msgs: Message[]): void {
    if (this.closed) return;
    if (msgs.some((m) => m.type === MessageType.Snap)) {
      // A snapshot travels with the whole database, on its own request (streamed from a file).
      for (const m of msgs) if (m.type === MessageType.Snap) void this.sendSnapshot(m);
      msgs = msgs.filter((m) => m.type !== MessageType.Snap);
      if (msgs.length === 0) return;
    }
    const s = this.stream;
    if (this.ready && s !== null && !s.destroyed) {
      if (s.writableLength > MAX_BUFFERED_BYTES) {
        this.dropped(msgs);
        return;
      }
      s.write(encodeFrames(msgs));
      return;
    }
    if (this.queue.length + msgs.length > MAX_QUEUED_WHILE_DIALING) {
      this.dropped(msgs);
      return;
    }
    for (const m of msgs) this.queue.push(m);
    this.dial();
  }

  private dropped(msgs: Message[]): void {
    this.t.handlers.onUnreachable(this.id);
    for (const m of msgs) if (m.type === MessageType.Snap) this.t.handlers.onSnapshotStatus(this.id, false);
  }

  /** Opens the stream now (it is also opened on the first send and reopened after a failure). */
  connect(): void {
    this.dial();
  }

  private dial(): void {
    if (this.session !== null || this.retryTimer !== null || this.closed || this.urls.length === 0) return;
    const url = this.urls[this.urlIndex % this.urls.length]!;
    const session = http2.connect(url, this.t.opts.tls?.client ?? {});
    this.session = session;
    session.on('error', () => undefined); // 'close' follows and handles it
    session.on('close', () => this.broken(session));
    session.on('goaway', () => session.close());
    session.setTimeout(0);
    const stream = session.request(
      {
        ':method': 'POST',
        ':path': '/raft/stream',
        [HDR_CLUSTER]: this.t.opts.clusterId().toString(16),
        [HDR_FROM]: this.t.opts.memberId.toString(16),
      },
      { endStream: false },
    );
    this.stream = stream;
    stream.on('error', () => undefined);
    stream.on('response', (headers) => {
      const status = Number(headers[':status']);
      if (status === 200) {
        this.ready = true;
        this.activeSince = Date.now();
        this.backoffMs = MIN_BACKOFF_MS;
        const q = this.queue;
        this.queue = [];
        if (q.length > 0) this.send(q);
        return;
      }
      if (status === 410) this.t.handlers.onRemoved();
      else this.t.warn({ 'remote-peer-id': this.id.toString(16), status }, 'peer refused the raft stream');
      session.close();
    });
    // The stream ends only when one side goes away: treat that as a broken link.
    stream.on('close', () => this.broken(session));
    stream.resume();
  }

  /** The link died: report it, drop what was queued, redial after a backoff. */
  private broken(session: http2.ClientHttp2Session): void {
    if (this.session !== session) return;
    if (!session.destroyed) session.destroy();
    this.session = null;
    this.stream = null;
    this.ready = false;
    this.activeSince = 0;
    const q = this.queue;
    this.queue = [];
    this.dropped(q);
    if (this.closed) return;
    this.urlIndex++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.dial();
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
  }

  private reset(): void {
    const s = this.session;
    if (s !== null) this.broken(s);
  }

  private snapshotInFlight = false;

  /**
   * Sends a MsgSnap: a consistent copy of the database is written to a file, then streamed after
   * the message on POST /raft/snapshot, with HTTP/2 flow control as back-pressure. One at a time
   * per peer; Raft hears the outcome through onSnapshotStatus and retries later if it failed.
   */
  private async sendSnapshot(m: Message): Promise<void> {
    const h = this.t.handlers;
    if (this.snapshotInFlight || this.urls.length === 0) {
      h.onSnapshotStatus(this.id, false);
      return;
    }
    this.snapshotInFlight = true;
    const file = join(h.snapshotDir(), `send-${this.id.toString(16)}-${Date.now()}.db`);
    let ok = false;
    try {
      await h.snapshotData(file);
      const url = this.urls[this.urlIndex % this.urls.length]!;
      ok = await postSnapshot(url, this.t.opts.tls?.client ?? {}, encodeFrames([m]), file, {
        [HDR_CLUSTER]: this.t.opts.clusterId().toString(16),
        [HDR_FROM]: this.t.opts.memberId.toString(16),
      });
    } catch (e) {
      this.t.warn({ 'remote-peer-id': this.id.toString(16), error: e instanceof Error ? e.message : String(e) }, 'failed to send a snapshot');
    } finally {
      rmSync(file, { force: true });
      this.snapshotInFlight = false;
    }
    if (!this.closed) h.onSnapshotStatus(this.id, ok);
  }

  /** One request/response exchange with this peer (lease forwarding), on a fresh session. */
  async request(path: string, body: Uint8Array, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
    const url = this.urls[this.urlIndex % Math.max(1, this.urls.length)];
    if (url === undefined) throw new Error('peer has no URL');
    return peerRequest(
      url,
      'POST',
      path,
      body,
      timeoutMs,
      { [HDR_CLUSTER]: this.t.opts.clusterId().toString(16), [HDR_FROM]: this.t.opts.memberId.toString(16) },
      this.t.opts.tls?.client,
    );
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.session?.destroy();
    this.session = null;
    this.stream = null;
  }
}

/** Idle bound for a snapshot transfer: no progress for this long aborts it. */
const SNAPSHOT_IDLE_MS = 30_000;

/** POSTs a snapshot message followed by the database file; true once the peer stored it. */
function postSnapshot(
  url: string,
  tls: http2.SecureClientSessionOptions,
  head: Uint8Array,
  file: string,
  headers: Record<string, string>,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, tls);
    session.setTimeout(SNAPSHOT_IDLE_MS, () => session.destroy(new Error('snapshot transfer stalled')));
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': '/raft/snapshot', ...headers });
    let status = 0;
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('error', reject);
    req.on('close', () => {
      session.close();
      resolve(status === 204);
    });
    req.resume();
    req.write(head);
    pipeline(createReadStream(file), req).catch((e: unknown) => {
      session.destroy();
      reject(e instanceof Error ? e : new Error(String(e)));
    });
  });
}

/** A single HTTP/2 request to a peer URL, bounded in time. */
export function peerRequest(
  url: string,
  method: string,
  path: string,
  body: Uint8Array | null,
  timeoutMs: number,
  headers: Record<string, string> = {},
  tls: http2.SecureClientSessionOptions = {},
): Promise<{ status: number; body: Buffer; headers: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, tls);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`request to ${url}${path} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    session.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    const req = session.request({ ':method': method, ':path': path, ...headers }, { endStream: body === null });
    req.on('error', (e) => {
      clearTimeout(timer);
      session.destroy();
      reject(e);
    });
    let status = 0;
    let resHeaders: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      resHeaders = h;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status, body: Buffer.concat(chunks), headers: resHeaders });
    });
    if (body !== null) req.end(body);
  });
}

export class PeerTransport {
  private readonly links = new Map<bigint, PeerLink>();
  private readonly servers: Array<http2.Http2Server | http2.Http2SecureServer> = [];
  private readonly inbound = new Set<http2.ServerHttp2Stream>();

  constructor(readonly opts: PeerTransportOptions) {}

  get handlers(): PeerHandlers {
    return this.opts.handlers;
  }

  warn(fields: Record<string, unknown>, msg: string): void {
    this.opts.warn?.(fields, msg);
  }

  /** Starts serving peers on each URL: h2c for http://, TLS (mutual when configured) for https://. */
  async listen(urls: readonly URL[]): Promise<void> {
    for (const u of urls) {
      let server: http2.Http2Server | http2.Http2SecureServer;
      if (u.protocol === 'https:') {
        if (!this.opts.tls) throw new Error(`listen peer URL ${u.href} is https but no --peer-cert-file/--peer-key-file was given`);
        server = http2.createSecureServer(this.opts.tls.server);
      } else if (u.protocol === 'http:') {
        server = http2.createServer();
      } else {
        throw new Error(`peer URL ${u.href}: unsupported scheme`);
      }
      server.on('stream', (stream, headers) => this.onStream(stream, headers));
      server.on('sessionError', () => undefined);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(u.port || 2380), u.hostname.replace(/^\[|\]$/g, ''), () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  /** Makes the set of peers (other members) exactly `peers`. */
  setPeers(peers: ReadonlyArray<{ id: bigint; urls: string[] }>): void {
    const want = new Set<bigint>();
    for (const p of peers) {
      if (p.id === this.opts.memberId) continue;
      want.add(p.id);
      const l = this.links.get(p.id);
      if (l) l.setUrls(p.urls);
      else {
        // Dial at once, as etcd keeps a stream to every peer whether or not there is traffic:
        // a follower sends nothing to the other followers, but --strict-reconfig-check asks
        // how long each peer has been connected (activeSince).
        const link = new PeerLink(p.id, p.urls, this);
        this.links.set(p.id, link);
        link.connect();
      }
    }
    for (const [id, l] of this.links) {
      if (!want.has(id)) {
        l.close();
        this.links.delete(id);
      }
    }
  }

  /** Sends messages, grouped per destination (one write per peer). */
  send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    if (msgs.length === 1) {
      const m = msgs[0]!;
      this.sendTo(m.to, [m]);
      return;
    }
    const byPeer = new Map<bigint, Message[]>();
    for (const m of msgs) {
      const list = byPeer.get(m.to);
      if (list) list.push(m);
      else byPeer.set(m.to, [m]);
    }
    for (const [to, list] of byPeer) this.sendTo(to, list);
  }

  private sendTo(to: bigint, msgs: Message[]): void {
    const l = this.links.get(to);
    if (l) l.send(msgs);
    else this.opts.handlers.onUnreachable(to);
  }

  /** Since when our stream to `id` has been up (ms since the epoch), 0 if it is down (etcd's ActiveSince). */
  activeSince(id: bigint): number {
    return this.links.get(id)?.activeSince ?? 0;
  }

  request(to: bigint, path: string, body: Uint8Array, timeoutMs: number): Promise<{ status: number; body: Buffer }> {
    const l = this.links.get(to);
    if (!l) return Promise.reject(new Error(`unknown peer ${to.toString(16)}`));
    return l.request(path, body, timeoutMs);
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.close();
    this.links.clear();
    for (const s of this.inbound) s.close(http2.constants.NGHTTP2_CANCEL);
    this.inbound.clear();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            // Sessions linger until their streams end; closing the streams above ends them.
            setTimeout(resolve, 1000).unref();
          }),
      ),
    );
    this.servers.length = 0;
  }

  // ------------------------------------------------------------------ inbound

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    const method = String(headers[':method'] ?? '');
    if (path === '/raft/stream' && method === 'POST') {
      this.onRaftStream(stream, headers);
      return;
    }
    if (path === '/raft/snapshot' && method === 'POST') {
      this.onSnapshot(stream, headers);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 16 * 1024 * 1024) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => {
      const reply = (status: number, type: string, body: Buffer | string): void => {
        if (stream.destroyed) return;
        stream.respond({ ':status': status, 'content-type': type, [HDR_CLUSTER]: this.opts.clusterId().toString(16) });
        stream.end(body);
      };
      this.opts.handlers.serve(method, path.split('?')[0]!, Buffer.concat(chunks)).then(
        (r) => (r === null ? reply(404, 'text/plain', '404 page not found\n') : reply(r.status, r.type, r.body)),
        (e: unknown) => reply(500, 'text/plain', `${e instanceof Error ? e.message : String(e)}\n`),
      );
    });
  }

  /** Checks a peer request's cluster id and sender; answers and returns null when refused. */
  private admit(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): bigint | null {
    const cluster = String(headers[HDR_CLUSTER] ?? '');
    const fromHex = String(headers[HDR_FROM] ?? '');
    const mine = this.opts.clusterId().toString(16);
    if (cluster !== mine) {
      this.warn({ 'remote-cluster-id': cluster, 'local-cluster-id': mine }, 'request cluster ID mismatch');
      stream.respond({ ':status': 412, [HDR_CLUSTER]: mine }, { endStream: true });
      return null;
    }
    let from: bigint;
    try {
      from = BigInt('0x' + fromHex);
    } catch {
      stream.respond({ ':status': 400 }, { endStream: true });
      return null;
    }
    if (this.opts.handlers.isRemoved(from)) {
      stream.respond({ ':status': 410, [HDR_CLUSTER]: mine }, { endStream: true });
      return null;
    }
    return from;
  }

  /** POST /raft/snapshot: a MsgSnap frame, then the database, written to a file as it arrives. */
  private onSnapshot(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.admit(stream, headers);
    if (from === null) return;
    const h = this.opts.handlers;
    const file = join(h.snapshotDir(), `recv-${from.toString(16)}-${Date.now()}.db.tmp`);
    const out = createWriteStream(file);
    let head: Buffer | null = Buffer.alloc(0);
    let msg: Message | null = null;
    const fail = (why: string): void => {
      this.warn({ 'remote-peer-id': from.toString(16), error: why }, 'failed to receive a snapshot');
      out.destroy();
      rmSync(file, { force: true });
      if (!stream.destroyed && !stream.headersSent) stream.respond({ ':status': 400 }, { endStream: true });
      else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    };
    const write = (chunk: Buffer): void => {
      if (!out.write(chunk)) {
        stream.pause();
        out.once('drain', () => stream.resume());
      }
    };
    stream.on('data', (chunk: Buffer) => {
      if (msg !== null) return write(chunk);
      head = Buffer.concat([head!, chunk]);
      if (head.length < 4) return;
      const len = head.readUInt32BE(0);
      if (len > 64 * 1024 * 1024) return fail(`snapshot message frame of ${len} bytes`);
      if (head.length < 4 + len) return;
      try {
        msg = decodeMessage(head.subarray(4, 4 + len));
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      if (msg.type !== MessageType.Snap || msg.snapshot === null) return fail('not a snapshot message');
      const rest = head.subarray(4 + len);
      head = null;
      if (rest.length > 0) write(rest);
    });
    stream.on('aborted', () => fail('the sender went away'));
    stream.on('end', () => {
      if (msg === null) return fail('no snapshot message');
      const m = msg;
      out.end(() => {
        try {
          fsyncPathSync(file);
          h.snapshotReceived(m, file);
        } catch (e) {
          return fail(e instanceof Error ? e.message : String(e));
        }
        if (!stream.destroyed) stream.respond({ ':status': 204 }, { endStream: true });
      });
    });
  }

  private onRaftStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const from = this.admit(stream, headers);
    if (from === null) return;
    const fromHex = from.toString(16);
    const mine = this.opts.clusterId().toString(16);
    stream.respond({ ':status': 200, [HDR_CLUSTER]: mine });
    this.inbound.add(stream);
    stream.on('close', () => this.inbound.delete(stream));
    const reader = new FrameReader();
    const onMessage = (m: Message): void => {
      // Messages from a member removed meanwhile are dropped (the stream is then closed).
      if (this.opts.handlers.isRemoved(m.from)) {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      this.opts.handlers.onMessage(m);
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk, onMessage);
      } catch (e) {
        this.warn({ 'remote-peer-id': fromHex, error: e instanceof Error ? e.message : String(e) }, 'dropping a corrupt peer stream');
        stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
      }
    });
  }
}
