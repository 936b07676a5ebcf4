// The `:authority` shim. grpc-go clients (etcdctl 3.4 among them) send `:authority: http://host:port`
// when dialled with a URL, e.g. etcdctl's per-endpoint maintenance calls (`endpoint status`,
// `--cluster`). Node's HTTP/2 (nghttp2) rejects a scheme in :authority with RST_STREAM
// PROTOCOL_ERROR before any JS sees the request, and has no switch to relax that; etcd (Go's
// http2) accepts it. So we look at the client's bytes before nghttp2 does:
//
//  - H2AuthorityRewriter (pure): parses client→server frames, follows HPACK (h2-hpack.ts) through
//    every HEADERS/CONTINUATION block, and re-emits a block whose :authority (or host) literal is
//    not a valid authority, with the value made valid at the SAME decoded length ("http://h:p" →
//    "http--@h:p", the scheme becoming userinfo), as a raw literal of the same kind, so the
//    server's dynamic table gets an entry of the same size as the client's and later indexes
//    still match. All other bytes pass through as they came (sub-arrays, no copies).
//  - serveH2 (glue): nghttp2 is much cheaper on the socket itself than behind a JS stream, so a
//    connection is only watched until its first request shows whether it needs the rewriter.
//    grpc-go sends no request before the server's SETTINGS, so if the first request is not in
//    the first bytes we send an empty SETTINGS frame ourselves (a legal server preface; nghttp2's
//    own SETTINGS follows later) and drop the client's ACK of it, answering PINGs meanwhile.
//    First request fine → the socket goes to nghttp2 natively with the bytes read so far put
//    back; first request needs a rewrite → nghttp2 is served through a Duplex that keeps
//    rewriting for the connection's life (grpc-go keeps one authority per connection).
import { Duplex } from 'node:stream';
import type * as net from 'node:net';
import { HpackDecoder, HpackError, type HpackField } from './h2-hpack.js';

const PREFACE_LEN = 24;
const FRAME_HEADER = 9;
const T_HEADERS = 0x1;
const T_SETTINGS = 0x4;
const T_PING = 0x6;
const T_CONTINUATION = 0x9;
const F_ACK = 0x1;
const F_END_HEADERS = 0x4;
const F_PADDED = 0x8;
const F_PRIORITY = 0x20;

/** An empty SETTINGS frame: a server preface that changes nothing. */
export const EMPTY_SETTINGS = Buffer.from([0, 0, 0, T_SETTINGS, 0, 0, 0, 0, 0]);

// RFC 3986 authority characters (what nghttp2's check_authority accepts): unreserved, sub-delims,
// pct-encoded's '%', ':', '@', '[', ']'.
const AUTHORITY_OK = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%:@[]") AUTHORITY_OK[c.charCodeAt(0)] = 1;
const SCHEME_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * A same-length valid authority for `value`, or null if it is valid already: `scheme://` becomes
 * `scheme--@` (userinfo, so host:port still parse out of it), any other invalid byte becomes '-'.
 */
export function fixAuthority(value: Buffer): Buffer | null {
  let ok = true;
  for (let i = 0; i < value.length; i++) if (AUTHORITY_OK[value[i]!] === 0) { ok = false; break; }
  if (ok) return null;
  const out = Buffer.from(value);
  const m = SCHEME_PREFIX.exec(value.toString('latin1'));
  if (m) out.write('--@', m[0].length - 3, 'latin1');
  for (let i = 0; i < out.length; i++) if (AUTHORITY_OK[out[i]!] === 0) out[i] = 0x2d; // '-'
  return out;
}

export interface RewriterOptions {
  /** The server's SETTINGS_HEADER_TABLE_SIZE (node:http2's default 4096). */
  maxTableSize?: number;
  /** The server's SETTINGS_MAX_FRAME_SIZE, for re-emitted blocks (node:http2's default 16384). */
  maxFrameSize?: number;
  /** A header block bigger than this is not followed: the rewriter steps aside (bypass). */
  maxHeaderBlock?: number;
}

const enum Mode {
  Preface,
  Header, // reading a 9-byte frame header
  Pass, // passing a frame's payload through
  Collect, // buffering a whole frame (HEADERS, CONTINUATION, a PING to answer)
  Bypass, // everything passes through, unparsed
}

/**
 * Client→server HTTP/2 byte stream in, the same stream out with invalid :authority/host literals
 * made valid. Malformed input makes it step aside (bypass): the bytes go on unchanged and nghttp2
 * answers with the connection error it would have sent anyway.
 */
export class H2AuthorityRewriter {
  /** Complete header blocks seen. */
  headerBlocks = 0;
  /** Field values rewritten. */
  rewrites = 0;
  /** Why the rewriter stepped aside, if it did. */
  bypassed: string | null = null;
  /** Drop the next SETTINGS ACK (it acknowledges a SETTINGS frame nghttp2 did not send). */
  stripNextSettingsAck = false;
  ackStripped = false;
  /** Answer PINGs through onReply and drop them (while nghttp2 is not attached yet). */
  answerPings = false;
  onReply: ((frame: Buffer) => void) | undefined;

  private readonly hpack: HpackDecoder;
  private readonly maxFrameSize: number;
  private readonly maxHeaderBlock: number;
  private mode = Mode.Preface;
  private left = PREFACE_LEN; // bytes left in the preface / payload being passed, collected or dropped
  private readonly hdr = Buffer.alloc(FRAME_HEADER);
  private hdrLen = 0;
  private frame: Buffer = Buffer.alloc(0); // Collect: header + payload
  private framePos = 0;
  private blockFrames: Buffer[] = []; // raw HEADERS + CONTINUATION frames of the open block
  private blockFragments: Buffer[] = [];
  private blockBytes = 0;
  private blockStream = 0;

  constructor(opts: RewriterOptions = {}) {
    this.hpack = new HpackDecoder(opts.maxTableSize ?? 4096);
    this.maxFrameSize = opts.maxFrameSize ?? 16384;
    this.maxHeaderBlock = opts.maxHeaderBlock ?? 256 * 1024;
  }

  /** Feeds client bytes; what nghttp2 should read is appended to `out`. */
  push(chunk: Buffer, out: Buffer[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.mode) {
        case Mode.Bypass:
          out.push(pos === 0 ? chunk : chunk.subarray(pos));
          return;
        case Mode.Preface:
        case Mode.Pass: {
          const n = Math.min(this.left, chunk.length - pos);
          out.push(chunk.subarray(pos, pos + n));
          pos += n;
          this.left -= n;
          if (this.left === 0) this.mode = Mode.Header;
          break;
        }
        case Mode.Header: {
          if (this.hdrLen === 0 && chunk.length - pos >= FRAME_HEADER) {
            // common case: the whole header is in this chunk
            const h = chunk.subarray(pos, pos + FRAME_HEADER);
            pos += FRAME_HEADER;
            this.onFrameHeader(h, out);
            break;
          }
          const n = Math.min(FRAME_HEADER - this.hdrLen, chunk.length - pos);
          chunk.copy(this.hdr, this.hdrLen, pos, pos + n);
          this.hdrLen += n;
          pos += n;
          if (this.hdrLen === FRAME_HEADER) {
            this.hdrLen = 0;
            this.onFrameHeader(Buffer.from(this.hdr), out);
          }
          break;
        }
        case Mode.Collect: {
          const n = Math.min(this.left, chunk.length - pos);
          chunk.copy(this.frame, this.framePos, pos, pos + n);
          this.framePos += n;
          pos += n;
          this.left -= n;
          if (this.left === 0) {
            this.mode = Mode.Header;
            this.onCollected(out);
          }
          break;
        }
      }
    }
  }

  /** The bytes taken in but not yet emitted (for handing the raw stream to someone else). */
  takePending(): Buffer[] {
    const pending = [...this.blockFrames];
    if (this.mode === Mode.Collect) pending.push(this.frame.subarray(0, this.framePos));
    if (this.mode === Mode.Header && this.hdrLen > 0) pending.push(Buffer.from(this.hdr.subarray(0, this.hdrLen)));
    this.blockFrames = [];
    this.blockFragments = [];
    this.mode = Mode.Bypass;
    this.bypassed ??= 'detached';
    return pending;
  }

  /** Handles a complete frame header. */
  private onFrameHeader(h: Buffer, out: Buffer[]): void {
    const len = h.readUIntBE(0, 3);
    const type = h[3]!;
    const flags = h[4]!;
    const inBlock = this.blockFrames.length > 0;
    if (type === T_HEADERS || type === T_CONTINUATION || inBlock) {
      if (len > this.maxHeaderBlock) return this.bypass(`header frame of ${len} bytes`, h, out);
      return this.startCollect(h, len, out);
    }
    if (type === T_SETTINGS && (flags & F_ACK) !== 0 && len === 0 && this.stripNextSettingsAck) {
      this.stripNextSettingsAck = false;
      this.ackStripped = true;
      return; // dropped; mode stays Header
    }
    if (type === T_PING && (flags & F_ACK) === 0 && len === 8 && this.answerPings) return this.startCollect(h, len, out);
    out.push(h);
    this.left = len;
    this.mode = len > 0 ? Mode.Pass : Mode.Header;
  }

  private startCollect(h: Buffer, len: number, out: Buffer[]): void {
    this.frame = Buffer.allocUnsafe(FRAME_HEADER + len);
    h.copy(this.frame, 0);
    this.framePos = FRAME_HEADER;
    this.left = len;
    this.mode = Mode.Collect;
    if (len === 0) {
      this.mode = Mode.Header;
      this.onCollected(out);
    }
  }

  /** Steps aside: the open block's frames and `last` go out raw, and so does everything after. */
  private bypass(reason: string, last: Buffer, out: Buffer[]): void {
    this.bypassed = reason;
    out.push(...this.blockFrames, last);
    this.blockFrames = [];
    this.blockFragments = [];
    this.blockBytes = 0;
    this.mode = Mode.Bypass;
  }

  private onCollected(out: Buffer[]): void {
    const f = this.frame;
    const len = f.length - FRAME_HEADER;
    const type = f[3]!;
    const flags = f[4]!;
    const stream = f.readUInt32BE(5) & 0x7fffffff;
    if (type === T_PING) {
      this.onReply?.(Buffer.concat([Buffer.from([0, 0, 8, T_PING, F_ACK, 0, 0, 0, 0]), f.subarray(FRAME_HEADER)]));
      return;
    }
    let fragment: Buffer;
    if (type === T_HEADERS && this.blockFrames.length === 0) {
      let start = FRAME_HEADER;
      let pad = 0;
      if (flags & F_PADDED) {
        if (len < 1) return this.bypass('HEADERS padding', f, out);
        pad = f[start]!;
        start += 1;
      }
      if (flags & F_PRIORITY) start += 5;
      if (stream === 0 || start + pad > f.length) return this.bypass('malformed HEADERS', f, out);
      fragment = f.subarray(start, f.length - pad);
      this.blockStream = stream;
    } else if (type === T_CONTINUATION && this.blockFrames.length > 0 && stream === this.blockStream) {
      fragment = f.subarray(FRAME_HEADER);
    } else {
      return this.bypass(`frame type ${type} where a header block was expected`, f, out);
    }
    this.blockFrames.push(f);
    this.blockFragments.push(fragment);
    this.blockBytes += fragment.length;
    if (this.blockBytes > this.maxHeaderBlock) {
      const last = this.blockFrames.pop()!;
      return this.bypass(`header block over ${this.maxHeaderBlock} bytes`, last, out);
    }
    if ((flags & F_END_HEADERS) === 0) return;
    const block = this.blockFragments.length === 1 ? this.blockFragments[0]! : Buffer.concat(this.blockFragments);
    const frames = this.blockFrames;
    this.blockFrames = [];
    this.blockFragments = [];
    this.blockBytes = 0;
    let rewritten: Buffer | null;
    try {
      rewritten = this.hpack.decode(block, (fld) => this.fix(fld));
    } catch (e) {
      if (!(e instanceof HpackError)) throw e;
      this.blockFrames = frames;
      const last = this.blockFrames.pop()!;
      return this.bypass(`HPACK: ${e.message}`, last, out);
    }
    this.headerBlocks++;
    if (rewritten === null) out.push(...frames);
    else this.emitBlock(frames[0]!, rewritten, out);
  }

  private fix(f: HpackField): Buffer | null {
    if (f.literal === undefined || (f.name !== ':authority' && f.name !== 'host')) return null;
    const fixed = fixAuthority(f.value);
    if (fixed !== null) this.rewrites++;
    return fixed;
  }

  /** Re-frames a rewritten block: HEADERS (its flags and priority kept, padding dropped) + CONTINUATIONs. */
  private emitBlock(first: Buffer, block: Buffer, out: Buffer[]): void {
    const flags = first[4]!;
    const prio = (flags & F_PRIORITY) !== 0 ? first.subarray(FRAME_HEADER + ((flags & F_PADDED) ? 1 : 0)).subarray(0, 5) : null;
    const stream = first.readUInt32BE(5) & 0x7fffffff;
    let pos = 0;
    let type = T_HEADERS;
    do {
      const room = this.maxFrameSize - (type === T_HEADERS && prio ? 5 : 0);
      const n = Math.min(room, block.length - pos);
      const last = pos + n === block.length;
      let f = type === T_HEADERS ? flags & ~(F_PADDED | F_END_HEADERS) : 0;
      if (last) f |= F_END_HEADERS;
      const extra = type === T_HEADERS && prio ? 5 : 0;
      const h = Buffer.alloc(FRAME_HEADER);
      h.writeUIntBE(n + extra, 0, 3);
      h[3] = type;
      h[4] = f;
      h.writeUInt32BE(stream, 5);
      out.push(h);
      if (extra) out.push(Buffer.from(prio!));
      out.push(block.subarray(pos, pos + n));
      pos += n;
      type = T_CONTINUATION;
    } while (pos < block.length);
  }
}

export interface ServeH2Options extends RewriterOptions {
  /** How long to wait for the first request before giving up watching; default 1000 ms. */
  decideTimeoutMs?: number;
  /** Buffered bytes before deciding, at most; default 1 MiB. */
  maxSniffBytes?: number;
  /** Observes each connection's outcome (tests, metrics). */
  onDecision?: (how: 'native' | 'rewrite', why: string) => void;
}

/**
 * Serves one HTTP/2 connection (plaintext after the preface was sniffed, or TLS after ALPN h2):
 * `initial` holds bytes already read from it. Hands nghttp2 (`accept`) either the socket itself or,
 * if the client needs its :authority rewritten, a Duplex that rewrites.
 */
export function serveH2(socket: net.Socket, initial: Buffer, accept: (conn: Duplex) => void, opts: ServeH2Options = {}): void {
  const rw = new H2AuthorityRewriter(opts);
  rw.answerPings = true;
  rw.onReply = (b) => { socket.write(b); };
  const maxSniff = opts.maxSniffBytes ?? 1024 * 1024;
  let out: Buffer[] = [];
  let seen = 0;
  let settingsSent = false;
  let decided = false;
  let timer: NodeJS.Timeout | undefined;

  const finish = (): void => {
    decided = true;
    socket.off('data', onData);
    socket.off('end', onEarlyEnd);
    socket.off('close', finish);
    if (timer !== undefined) clearTimeout(timer);
  };
  const goNative = (why: string): void => {
    finish();
    socket.pause();
    const bytes = Buffer.concat([...out, ...rw.takePending()]);
    out = [];
    if (bytes.length > 0) socket.unshift(bytes);
    opts.onDecision?.('native', why);
    // The HTTP/2 session drains the unshifted bytes itself, then reads the socket's handle
    // directly; resuming here would steal frames from it.
    accept(socket);
  };
  const goRewrite = (why: string): void => {
    finish();
    rw.answerPings = false;
    const conn = new RewritingConn(socket, rw);
    for (const b of out) conn.push(b);
    out = [];
    opts.onDecision?.('rewrite', why);
    accept(conn);
  };
  const decide = (): boolean => {
    if (rw.bypassed !== null) goNative(`malformed: ${rw.bypassed}`);
    else if (rw.rewrites > 0) goRewrite('authority rewritten');
    else if (rw.headerBlocks > 0 && (!settingsSent || rw.ackStripped)) goNative('first request needs no rewrite');
    else if (seen > maxSniff) goRewrite('no decision within the sniff limit');
    else return false;
    return true;
  };
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    rw.push(chunk, out);
    if (decide()) return;
    if (!settingsSent && seen >= PREFACE_LEN) {
      // The client may be waiting for the server preface before its first request.
      settingsSent = true;
      rw.stripNextSettingsAck = true;
      socket.write(EMPTY_SETTINGS);
      timer = setTimeout(() => {
        if (decided) return;
        if (rw.ackStripped) goNative('no request in time');
        else goRewrite('no SETTINGS ACK in time');
      }, opts.decideTimeoutMs ?? 1000);
    }
  };
  const onEarlyEnd = (): void => {
    finish();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('end', onEarlyEnd);
  socket.once('close', finish);
  if (initial.length > 0) onData(initial);
  if (!decided) socket.resume();
}

/** nghttp2's side of a rewritten connection: reads pass through the rewriter, writes go straight out. */
class RewritingConn extends Duplex {
  private readonly out: Buffer[] = [];

  constructor(private readonly socket: net.Socket, private readonly rw: H2AuthorityRewriter) {
    super({ allowHalfOpen: false });
    socket.on('data', (chunk: Buffer) => {
      this.rw.push(chunk, this.out);
      let more = true;
      for (const b of this.out) more = this.push(b);
      this.out.length = 0;
      if (!more) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (e) => this.destroy(e));
    socket.resume();
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const { chunk } of chunks) ok = this.socket.write(chunk);
    this.socket.uncork();
    if (ok) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
}
