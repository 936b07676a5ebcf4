// The :authority shim: the pure frame rewriter (every HPACK literal form, Huffman and raw, the
// dynamic table, CONTINUATION, padding, chunk splits, malformed input) and serveH2 in front of a
// real node:http2 server (nghttp2 is the judge of what comes out).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { H2AuthorityRewriter, fixAuthority, serveH2, type ServeH2Options } from '../../src/api/h2-authority.js';
import { HpackDecoder, encodeInt, huffmanEncode } from '../../src/api/h2-hpack.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const CLIENT_SETTINGS = frame(4, 0, 0, Buffer.alloc(0));
const SETTINGS_ACK = frame(4, 1, 0, Buffer.alloc(0));

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

interface Frame { type: number; flags: number; stream: number; payload: Buffer }

function parseFrames(buf: Buffer, skipPreface = true): Frame[] {
  let pos = skipPreface ? 24 : 0;
  const out: Frame[] = [];
  while (pos + 9 <= buf.length) {
    const len = buf.readUIntBE(pos, 3);
    out.push({ type: buf[pos + 3]!, flags: buf[pos + 4]!, stream: buf.readUInt32BE(pos + 5) & 0x7fffffff, payload: buf.subarray(pos + 9, pos + 9 + len) });
    pos += 9 + len;
  }
  assert.equal(pos, buf.length, 'whole frames');
  return out;
}

/** String literal: raw or Huffman. */
const str = (s: string, huffman: boolean): Buffer => {
  const b = Buffer.from(s, 'latin1');
  const body = huffman ? huffmanEncode(b) : b;
  return Buffer.concat([encodeInt(body.length, 7, huffman ? 0x80 : 0), body]);
};
type Kind = 0x40 | 0x00 | 0x10;
/** Literal with an indexed name (index > 0) or a literal name (a string). */
const lit = (kind: Kind, name: number | string, value: string, huffman: boolean): Buffer =>
  typeof name === 'number'
    ? Buffer.concat([encodeInt(name, kind === 0x40 ? 6 : 4, kind), str(value, huffman)])
    : Buffer.concat([Buffer.from([kind]), str(name, huffman), str(value, huffman)]);
const idx = (i: number): Buffer => encodeInt(i, 7, 0x80);
const GET_HTTP_ROOT = Buffer.from([0x82, 0x86, 0x84]); // :method GET, :scheme http, :path /

function run(rw: H2AuthorityRewriter, chunks: Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const c of chunks) rw.push(c, out);
  return Buffer.concat(out);
}

/** Decodes every header block of a client byte stream with a fresh decoder (the server's view). */
function serverView(bytes: Buffer): Array<Array<[string, string]>> {
  const d = new HpackDecoder();
  const blocks: Array<Array<[string, string]>> = [];
  let frags: Buffer[] = [];
  for (const f of parseFrames(bytes)) {
    if (f.type === 1) {
      let start = 0;
      let pad = 0;
      if (f.flags & 0x8) { pad = f.payload[0]!; start = 1; }
      if (f.flags & 0x20) start += 5;
      frags = [f.payload.subarray(start, f.payload.length - pad)];
    } else if (f.type === 9) frags.push(f.payload);
    else continue;
    if (f.flags & 0x4) {
      const fields: Array<[string, string]> = [];
      d.decode(Buffer.concat(frags), (x) => { fields.push([x.name, x.value.toString('latin1')]); return null; });
      blocks.push(fields);
    }
  }
  return blocks;
}

describe('fixAuthority', () => {
  test('valid authorities are left alone; others get a same-length valid value', () => {
    assert.equal(fixAuthority(Buffer.from('127.0.0.1:2379')), null);
    assert.equal(fixAuthority(Buffer.from('[::1]:2379')), null);
    assert.equal(fixAuthority(Buffer.from('user@host')), null);
    assert.equal(fixAuthority(Buffer.from('http://127.0.0.1:2379'))!.toString(), 'http--@127.0.0.1:2379');
    assert.equal(fixAuthority(Buffer.from('https://h:1'))!.toString(), 'https--@h:1');
    assert.equal(fixAuthority(Buffer.from('unix://a/b'))!.toString(), 'unix--@a-b');
    assert.equal(fixAuthority(Buffer.from('h:1/'))!.toString(), 'h:1-');
    assert.equal(fixAuthority(Buffer.from([0x68, 0xff, 0x20]))!.toString('latin1'), 'h--');
  });
});

describe('H2AuthorityRewriter', () => {
  const forms: Array<[string, Kind]> = [['incremental indexing', 0x40], ['without indexing', 0x00], ['never indexed', 0x10]];
  for (const [formName, kind] of forms) {
    for (const huffman of [false, true]) {
      for (const name of [1, ':authority'] as const) {
        test(`${formName}, ${huffman ? 'Huffman' : 'raw'}, ${typeof name === 'number' ? 'indexed' : 'literal'} name`, () => {
          const block1 = Buffer.concat([GET_HTTP_ROOT, lit(kind, name, 'http://127.0.0.1:2379', huffman), lit(0x40, 'x-a', 'b', huffman)]);
          // the second request refers to the dynamic table: x-a (62), and :authority (63) if indexed
          const block2 = Buffer.concat([GET_HTTP_ROOT, kind === 0x40 ? idx(63) : lit(kind, name, 'http://127.0.0.1:2379', huffman), idx(62)]);
          const input = Buffer.concat([PREFACE, CLIENT_SETTINGS, frame(1, 0x5, 1, block1), frame(0, 1, 1, Buffer.from('hi')), frame(1, 0x5, 3, block2)]);
          const rw = new H2AuthorityRewriter();
          const out = run(rw, [input]);
          assert.equal(rw.rewrites, kind === 0x40 ? 1 : 2);
          assert.equal(rw.headerBlocks, 2);
          assert.equal(rw.bypassed, null);
          const fixed: [string, string] = [':authority', 'http--@127.0.0.1:2379'];
          const base: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':path', '/']];
          assert.deepEqual(serverView(out), [[...base, fixed, ['x-a', 'b']], [...base, fixed, ['x-a', 'b']]]);
          // the rewritten literal keeps its representation kind
          const f = parseFrames(out)[1]!;
          assert.equal(f.payload[3]! & (kind === 0x40 ? 0xc0 : 0xf0), kind);
          // the DATA frame in between is untouched
          assert.deepEqual(parseFrames(out)[2]!.payload, Buffer.from('hi'));
        });
      }
    }
  }

  test('a connection that needs nothing comes out byte for byte, whatever the chunking', () => {
    const block = Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, '127.0.0.1:2379', true), lit(0x10, 'authorization', 'secret', true)]);
    const input = Buffer.concat([
      PREFACE, CLIENT_SETTINGS, frame(8, 0, 0, Buffer.from([0, 0, 1, 0])), frame(1, 0x4, 1, block),
      frame(0, 0, 1, Buffer.alloc(1000, 7)), frame(0, 1, 1, Buffer.alloc(0)), frame(1, 0x5, 3, Buffer.concat([GET_HTTP_ROOT, idx(62)])),
      frame(6, 0, 0, Buffer.alloc(8, 1)), frame(7, 0, 0, Buffer.alloc(8)),
    ]);
    for (let cut = 0; cut <= input.length; cut += 7) {
      const rw = new H2AuthorityRewriter();
      assert.deepEqual(run(rw, [input.subarray(0, cut), input.subarray(cut)]), input, `cut at ${cut}`);
      assert.equal(rw.rewrites, 0);
      assert.equal(rw.headerBlocks, 2);
    }
    const rw = new H2AuthorityRewriter();
    assert.deepEqual(run(rw, [...input].map((b) => Buffer.from([b]))), input, 'byte by byte');
  });

  test('frames split across chunks at every point give the same rewritten stream', () => {
    const block = Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, 'https://example.com:2379', true)]);
    const input = Buffer.concat([PREFACE, CLIENT_SETTINGS, frame(1, 0x5, 1, block), frame(1, 0x5, 3, Buffer.concat([GET_HTTP_ROOT, idx(62)]))]);
    const whole = run(new H2AuthorityRewriter(), [input]);
    for (let cut = 1; cut < input.length; cut++) {
      assert.deepEqual(run(new H2AuthorityRewriter(), [input.subarray(0, cut), input.subarray(cut)]), whole, `cut at ${cut}`);
    }
    assert.deepEqual(run(new H2AuthorityRewriter(), [...input].map((b) => Buffer.from([b]))), whole, 'byte by byte');
  });

  test('CONTINUATION, padding and priority: re-framed within the frame size, priority kept, padding dropped', () => {
    const block = Buffer.concat([GET_HTTP_ROOT, lit(0x10, 1, 'http://127.0.0.1:2379', true), lit(0x00, 'x-long', 'v'.repeat(40), false)]);
    const prio = Buffer.from([0x80, 0, 0, 0, 0x10]); // exclusive on stream 0, weight 16
    const padded = Buffer.concat([Buffer.from([3]), prio, block.subarray(0, 10), Buffer.alloc(3)]);
    const input = Buffer.concat([
      PREFACE, CLIENT_SETTINGS,
      frame(1, 0x1 | 0x8 | 0x20, 5, padded), // END_STREAM, PADDED, PRIORITY, no END_HEADERS
      frame(9, 0, 5, block.subarray(10, 20)),
      frame(9, 0x4, 5, block.subarray(20)),
    ]);
    const rw = new H2AuthorityRewriter({ maxFrameSize: 16 });
    const out = run(rw, [input]);
    assert.equal(rw.rewrites, 1);
    const frames = parseFrames(out).slice(1);
    assert.equal(frames[0]!.type, 1);
    assert.equal(frames[0]!.flags, 0x1 | 0x20, 'END_STREAM and PRIORITY kept, PADDED and END_HEADERS not');
    assert.deepEqual(frames[0]!.payload.subarray(0, 5), prio);
    for (const f of frames.slice(1)) assert.equal(f.type, 9);
    for (const f of frames) assert.ok(f.payload.length <= 16 + (f.type === 1 ? 5 : 0));
    assert.equal(frames.at(-1)!.flags & 0x4, 0x4);
    assert.ok(frames.every((f) => f.stream === 5));
    assert.deepEqual(serverView(out), [[[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'http--@127.0.0.1:2379'], ['x-long', 'v'.repeat(40)]]]);
  });

  test('dynamic table size updates and eviction stay in step with the client', () => {
    // The client shrinks its table to 100 bytes; each authority entry (10 + 21 + 32 = 63 bytes)
    // evicts the previous one, so index 62 is always the latest.
    const blocks: Buffer[] = [Buffer.concat([encodeInt(100, 5, 0x20), GET_HTTP_ROOT, lit(0x40, 1, 'http://127.0.0.1:2379', true)])];
    for (let i = 0; i < 5; i++) blocks.push(Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, `http://127.0.0.1:${2380 + i}`, i % 2 === 0), idx(62)]));
    blocks.push(Buffer.concat([encodeInt(0, 5, 0x20), encodeInt(4096, 5, 0x20), GET_HTTP_ROOT, lit(0x40, 1, 'http://h:1', false), idx(62)]));
    const input = Buffer.concat([PREFACE, CLIENT_SETTINGS, ...blocks.map((b, i) => frame(1, 0x5, 1 + 2 * i, b))]);
    const out = run(new H2AuthorityRewriter(), [input]);
    const view = serverView(out).map((fields) => fields.filter(([n]) => n === ':authority').map(([, v]) => v));
    assert.deepEqual(view, [
      ['http--@127.0.0.1:2379'],
      ...[0, 1, 2, 3, 4].map((i) => [`http--@127.0.0.1:${2380 + i}`, `http--@127.0.0.1:${2380 + i}`]),
      ['http--@h:1', 'http--@h:1'],
    ]);
  });

  test('malformed input: the rewriter steps aside and passes the bytes on unchanged, never throws', () => {
    const ok = Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, 'http://a:1', false)]);
    const cases: Array<[string, Buffer]> = [
      ['bad Huffman', Buffer.concat([PREFACE, frame(1, 0x5, 1, Buffer.concat([GET_HTTP_ROOT, Buffer.from([0x41, 0x81, 0x00])]))])],
      ['index out of range', Buffer.concat([PREFACE, frame(1, 0x5, 1, Buffer.concat([GET_HTTP_ROOT, idx(70)]))])],
      ['truncated block', Buffer.concat([PREFACE, frame(1, 0x5, 1, Buffer.from([0x41, 0x0a, 0x61]))])],
      ['CONTINUATION without HEADERS', Buffer.concat([PREFACE, frame(9, 0x4, 1, ok)])],
      ['DATA inside a header block', Buffer.concat([PREFACE, frame(1, 0x0, 1, ok), frame(0, 0, 1, Buffer.from('x')), frame(9, 0x4, 1, Buffer.alloc(0))])],
      ['CONTINUATION on another stream', Buffer.concat([PREFACE, frame(1, 0x0, 1, ok), frame(9, 0x4, 3, Buffer.alloc(0))])],
      ['HEADERS on stream 0', Buffer.concat([PREFACE, frame(1, 0x5, 0, ok)])],
      ['padding longer than the frame', Buffer.concat([PREFACE, frame(1, 0xd, 1, Buffer.from([200, 0x82]))])],
      ['size update above the maximum', Buffer.concat([PREFACE, frame(1, 0x5, 1, Buffer.concat([encodeInt(65536, 5, 0x20), ok]))])],
      ['oversized header frame', Buffer.concat([PREFACE, frame(1, 0x5, 1, Buffer.alloc(300_000))])],
    ];
    for (const [name, input] of cases) {
      for (const chunks of [[input], [input.subarray(0, 30), input.subarray(30)]]) {
        const rw = new H2AuthorityRewriter();
        const out = run(rw, chunks);
        assert.notEqual(rw.bypassed, null, name);
        assert.equal(rw.rewrites, 0, name);
        assert.deepEqual(out, input, name);
      }
    }
  });

  test('strips the first SETTINGS ACK when told to, and answers PINGs when told to', () => {
    const rw = new H2AuthorityRewriter();
    const replies: Buffer[] = [];
    rw.onReply = (b) => replies.push(b);
    rw.answerPings = true;
    rw.stripNextSettingsAck = true;
    const ping = frame(6, 0, 0, Buffer.from('12345678'));
    const input = Buffer.concat([PREFACE, CLIENT_SETTINGS, ping, SETTINGS_ACK, SETTINGS_ACK]);
    const out = run(rw, [...input].map((b) => Buffer.from([b])));
    assert.deepEqual(out, Buffer.concat([PREFACE, CLIENT_SETTINGS, SETTINGS_ACK]));
    assert.ok(rw.ackStripped);
    assert.deepEqual(replies, [frame(6, 1, 0, Buffer.from('12345678'))]);
  });

  test('takePending hands over what was read but not yet emitted', () => {
    const rw = new H2AuthorityRewriter();
    const block = Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, 'a:1', false)]);
    const input = Buffer.concat([PREFACE, frame(1, 0x0, 1, block), frame(9, 0x4, 1, Buffer.alloc(0)).subarray(0, 5)]);
    const out: Buffer[] = [];
    rw.push(input, out);
    assert.deepEqual(Buffer.concat([...out, ...rw.takePending()]), input);
    const more: Buffer[] = [];
    rw.push(Buffer.from('rest'), more);
    assert.deepEqual(Buffer.concat(more), Buffer.from('rest'));
  });
});

// ---- serveH2 in front of a real node:http2 server -------------------------------------------

interface Seen { authority: string; filler?: string }

async function startShim(opts: ServeH2Options = {}, secure?: { key: Buffer; cert: Buffer }): Promise<{
  port: number; seen: Seen[]; decisions: string[]; close(): Promise<void>;
}> {
  const seen: Seen[] = [];
  const decisions: string[] = [];
  const h2 = http2.createServer();
  h2.on('session', (s) => s.on('error', () => s.destroy()));
  h2.on('stream', (s, h) => {
    s.on('error', () => s.destroy());
    seen.push({ authority: String(h[':authority']), ...(h['x-filler'] !== undefined ? { filler: String(h['x-filler']) } : {}) });
    s.respond({ ':status': 200 });
    s.end('ok');
  });
  const sockets = new Set<net.Socket>();
  const handle = (sock: net.Socket): void => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    serveH2(sock, Buffer.alloc(0), (c) => h2.emit('connection', c), { ...opts, onDecision: (how, why) => decisions.push(`${how}: ${why}`) });
  };
  const srv = secure
    ? tls.createServer({ ...secure, ALPNProtocols: ['h2'] }, handle)
    : net.createServer(handle);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    seen,
    decisions,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      h2.close();
      srv.close(() => r());
    }),
  };
}

async function requests(client: http2.ClientHttp2Session, n: number, authority?: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const h: http2.OutgoingHttpHeaders = { ':path': '/x', 'x-filler': `v${i}${'y'.repeat(i % 60)}` };
      if (authority !== undefined) h[':authority'] = authority;
      const r = client.request(h);
      r.on('error', reject);
      r.on('response', (hdr) => { if (hdr[':status'] !== 200) reject(new Error(`status ${String(hdr[':status'])}`)); });
      r.resume();
      r.on('end', () => resolve());
    });
  }
}

/** A bare HTTP/2 client that speaks frames, like grpc-go: waits for the server preface first. */
class RawClient {
  frames: Frame[] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 9) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < 9 + len) break;
        const f = { type: this.buf[3]!, flags: this.buf[4]!, stream: this.buf.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(this.buf.subarray(9, 9 + len)) };
        this.buf = this.buf.subarray(9 + len);
        this.frames.push(f);
        if (f.type === 4 && (f.flags & 1) === 0) sock.write(SETTINGS_ACK);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    sock.on('close', () => { this.closed = true; for (const w of this.waiters.splice(0)) w(); });
    sock.on('error', () => undefined);
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }
  async waitFor(pred: (f: Frame) => boolean, what: string): Promise<Frame> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (this.closed || Date.now() > deadline) throw new Error(`no ${what}; got types ${this.frames.map((x) => x.type).join(',')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  async waitClosed(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
}

describe('serveH2 with node:http2', () => {
  test('a client with a scheme in :authority is served, through every table eviction', async () => {
    const shim = await startShim();
    try {
      const c = http2.connect(`http://127.0.0.1:${shim.port}`);
      await requests(c, 200, `http://127.0.0.1:${shim.port}`);
      c.close();
      assert.equal(shim.seen.length, 200);
      assert.ok(shim.seen.every((s) => s.authority === `http--@127.0.0.1:${shim.port}`));
      assert.deepEqual(shim.seen.map((s) => s.filler), Array.from({ length: 200 }, (_, i) => `v${i}${'y'.repeat(i % 60)}`));
      assert.deepEqual(shim.decisions, ['rewrite: authority rewritten']);
    } finally {
      await shim.close();
    }
  });

  test('a client without one is handed to nghttp2 natively', async () => {
    const shim = await startShim();
    try {
      const c = http2.connect(`http://127.0.0.1:${shim.port}`);
      await requests(c, 20);
      c.close();
      assert.ok(shim.seen.every((s) => s.authority === `127.0.0.1:${shim.port}`));
      assert.equal(shim.decisions.length, 1);
      assert.match(shim.decisions[0]!, /^native: first request needs no rewrite/);
    } finally {
      await shim.close();
    }
  });

  for (const scheme of [false, true]) {
    test(`a client that waits for the server preface (${scheme ? 'with' : 'without'} a scheme); PINGs answered while waiting`, async () => {
      const shim = await startShim();
      try {
        const c = await RawClient.connect(shim.port);
        c.sock.write(Buffer.concat([PREFACE, CLIENT_SETTINGS]));
        await c.waitFor((f) => f.type === 4 && f.flags === 0, 'server SETTINGS');
        assert.deepEqual(c.frames[0], { type: 4, flags: 0, stream: 0, payload: Buffer.alloc(0) }, 'the shim\'s empty SETTINGS first');
        c.sock.write(frame(6, 0, 0, Buffer.from('pingping')));
        const pong = await c.waitFor((f) => f.type === 6 && f.flags === 1, 'PING ACK');
        assert.deepEqual(pong.payload, Buffer.from('pingping'));
        const authority = `${scheme ? 'http://' : ''}127.0.0.1:${shim.port}`;
        c.sock.write(frame(1, 0x5, 1, Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, authority, true)])));
        await c.waitFor((f) => f.type === 1 && f.stream === 1, 'response HEADERS on stream 1');
        c.sock.write(frame(1, 0x5, 3, Buffer.concat([GET_HTTP_ROOT, idx(62)])));
        await c.waitFor((f) => f.type === 1 && f.stream === 3, 'response HEADERS on stream 3');
        assert.ok(!c.frames.some((f) => f.type === 3 || f.type === 7), 'no RST_STREAM or GOAWAY');
        const expected = scheme ? `http--@127.0.0.1:${shim.port}` : `127.0.0.1:${shim.port}`;
        assert.deepEqual(shim.seen.map((s) => s.authority), [expected, expected]);
        assert.match(shim.decisions[0]!, scheme ? /^rewrite/ : /^native/);
        c.sock.destroy();
      } finally {
        await shim.close();
      }
    });
  }

  test('an idle client is handed over natively after the decision timeout and still works', async () => {
    const shim = await startShim({ decideTimeoutMs: 50 });
    try {
      const c = await RawClient.connect(shim.port);
      c.sock.write(Buffer.concat([PREFACE, CLIENT_SETTINGS]));
      await c.waitFor((f) => f.type === 4 && f.flags === 0, 'server SETTINGS');
      for (let i = 0; i < 100 && shim.decisions.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(shim.decisions, ['native: no request in time']);
      c.sock.write(frame(1, 0x5, 1, Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, 'localhost:1', true)])));
      await c.waitFor((f) => f.type === 1 && f.stream === 1, 'response HEADERS');
      c.sock.destroy();
    } finally {
      await shim.close();
    }
  });

  test('crafted forms reach nghttp2 intact: never-indexed, padded, CONTINUATION, literal name', async () => {
    const shim = await startShim();
    try {
      const c = await RawClient.connect(shim.port);
      const block = Buffer.concat([GET_HTTP_ROOT, lit(0x10, ':authority', 'https://x.example:2379', true), lit(0x00, 'x-filler', 'f', false)]);
      c.sock.write(Buffer.concat([
        PREFACE, CLIENT_SETTINGS,
        frame(1, 0x1 | 0x8, 1, Buffer.concat([Buffer.from([4]), block.subarray(0, 5), Buffer.alloc(4)])),
        frame(9, 0x4, 1, block.subarray(5)),
      ]));
      await c.waitFor((f) => f.type === 1 && f.stream === 1, 'response HEADERS');
      assert.deepEqual(shim.seen, [{ authority: 'https--@x.example:2379', filler: 'f' }]);
      c.sock.destroy();
    } finally {
      await shim.close();
    }
  });

  test('malformed HPACK: nghttp2 ends the connection with GOAWAY; the server keeps serving', async () => {
    const shim = await startShim();
    try {
      for (const scheme of [false, true]) {
        const c = await RawClient.connect(shim.port);
        const first = scheme ? [frame(1, 0x5, 1, Buffer.concat([GET_HTTP_ROOT, lit(0x40, 1, 'http://a:1', false)]))] : [];
        c.sock.write(Buffer.concat([PREFACE, CLIENT_SETTINGS, ...first, frame(1, 0x5, 3, Buffer.concat([GET_HTTP_ROOT, idx(99)]))]));
        await c.waitFor((f) => f.type === 7, 'GOAWAY');
        c.sock.destroy();
      }
      const ok = http2.connect(`http://127.0.0.1:${shim.port}`);
      await requests(ok, 1, 'http://a:1');
      ok.close();
      // a malformed connection goes to nghttp2 natively (even after a rewrite), which ends it
      assert.deepEqual(shim.decisions.map((d) => d.split(':')[0]), ['native', 'native', 'rewrite']);
      assert.match(shim.decisions[0]!, /malformed: HPACK/);
      assert.match(shim.decisions[1]!, /malformed: HPACK/);
    } finally {
      await shim.close();
    }
  });

  test('the client closing before any request is fine', async () => {
    const shim = await startShim();
    try {
      const c = await RawClient.connect(shim.port);
      c.sock.end(PREFACE.subarray(0, 10));
      await c.waitClosed();
      const c2 = await RawClient.connect(shim.port);
      c2.sock.write(Buffer.concat([PREFACE, CLIENT_SETTINGS]));
      await c2.waitFor((f) => f.type === 4, 'SETTINGS');
      c2.sock.destroy();
    } finally {
      await shim.close();
    }
  });

  describe('over TLS', () => {
    let dir: string;
    let creds: { key: Buffer; cert: Buffer };
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'h2auth-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem',
        '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore', timeout: 30_000 });
      creds = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('https:// in :authority over TLS is rewritten; plain host:port goes native', async () => {
      const shim = await startShim({}, creds);
      try {
        for (const authority of [`https://127.0.0.1:${shim.port}`, undefined]) {
          const c = http2.connect(`https://127.0.0.1:${shim.port}`, { ca: creds.cert });
          await requests(c, 30, authority);
          c.close();
        }
        assert.equal(shim.seen.length, 60);
        assert.ok(shim.seen.slice(0, 30).every((s) => s.authority === `https--@127.0.0.1:${shim.port}`));
        assert.ok(shim.seen.slice(30).every((s) => s.authority === `127.0.0.1:${shim.port}`));
        assert.deepEqual(shim.decisions.map((d) => d.split(':')[0]), ['rewrite', 'native']);
      } finally {
        await shim.close();
      }
    });
  });
});
