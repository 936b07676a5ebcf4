// The test-controlled TCP proxy: forwards, drops, blackholes (and resumes on heal), delays, and
// cuts only the connections of one source process.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { socketOwner, TcpProxy } from '../helpers/tcp-proxy.js';

/** An echo server on 127.0.0.1. */
async function echoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const socks = new Set<net.Socket>();
  const s = net.createServer((c) => { socks.add(c); c.on('close', () => socks.delete(c)); c.on('error', () => {}); c.pipe(c); });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    close: () => { for (const c of socks) c.destroy(); return new Promise<void>((r) => s.close(() => r())); },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => resolve(c));
    c.once('error', reject);
  });
}

/** Writes `msg` and waits (bounded) for it echoed back; 'closed' or 'timeout' otherwise. */
function roundTrip(c: net.Socket, msg: string, ms = 300): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d: Buffer): void => { got += d.toString(); if (got.length >= msg.length) done(got); };
    const onClose = (): void => done('closed');
    const t = setTimeout(() => done('timeout'), ms);
    function done(v: string): void { clearTimeout(t); c.off('data', onData); c.off('close', onClose); resolve(v); }
    c.on('data', onData);
    c.on('close', onClose);
    if (!c.destroyed) c.write(msg); else done('closed');
  });
}

describe('tcp proxy', () => {
  let echo: Awaited<ReturnType<typeof echoServer>>;
  before(async () => { echo = await echoServer(); });
  after(async () => { await echo.close(); });

  test('forwards both ways; drop destroys existing and new connections; heal restores', async () => {
    const p = new TcpProxy({ targetPort: echo.port });
    const port = await p.start();
    try {
      const c = await connect(port);
      c.on('error', () => {});
      assert.equal(await roundTrip(c, 'hello'), 'hello');
      p.partition('drop');
      assert.equal(await roundTrip(c, 'x', 1000), 'closed');
      const c2 = await connect(port);
      c2.on('error', () => {});
      assert.equal(await roundTrip(c2, 'y', 1000), 'closed');
      p.heal();
      const c3 = await connect(port);
      assert.equal(await roundTrip(c3, 'back'), 'back');
      c3.destroy();
    } finally {
      await p.close();
    }
  });

  test('blackhole keeps the connection but forwards nothing until heal', async () => {
    const p = new TcpProxy({ targetPort: echo.port });
    const port = await p.start();
    try {
      const c = await connect(port);
      assert.equal(await roundTrip(c, 'a'), 'a');
      p.partition('blackhole');
      assert.equal(await roundTrip(c, 'bb', 300), 'timeout');
      const fresh = await connect(port);
      assert.equal(await roundTrip(fresh, 'cc', 300), 'timeout');
      let late = '';
      c.on('data', (d: Buffer) => { late += d.toString(); });
      let lateFresh = '';
      fresh.on('data', (d: Buffer) => { lateFresh += d.toString(); });
      p.heal();
      for (let i = 0; i < 100 && (late !== 'bb' || lateFresh !== 'cc'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(late, 'bb', 'held data flows after heal');
      assert.equal(lateFresh, 'cc');
      c.destroy();
      fresh.destroy();
    } finally {
      await p.close();
    }
  });

  test('delay holds chunks back, in order', async () => {
    const p = new TcpProxy({ targetPort: echo.port });
    const port = await p.start();
    try {
      const c = await connect(port);
      p.delay(400);
      assert.equal(await roundTrip(c, 'slow', 100), 'timeout');
      let got = '';
      c.on('data', (d: Buffer) => { got += d.toString(); });
      c.write('er');
      for (let i = 0; i < 200 && got !== 'slower'; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(got, 'slower');
      p.delay(0);
      c.destroy();
    } finally {
      await p.close();
    }
  });

  test('partitionFrom cuts only the connections of one source (found through /proc)', async () => {
    const names = new Map([[process.pid, 'me']]);
    const p = new TcpProxy({ targetPort: echo.port, identify: (s) => socketOwner(s, names) });
    const port = await p.start();
    try {
      const c = await connect(port);
      c.on('error', () => {});
      assert.equal(await roundTrip(c, 'hi', 1000), 'hi');
      p.partitionFrom('someone-else');
      assert.equal(await roundTrip(c, 'still', 1000), 'still');
      p.partitionFrom('me');
      assert.equal(await roundTrip(c, 'gone', 1000), 'closed');
      p.heal();
      const c2 = await connect(port);
      assert.equal(await roundTrip(c2, 'ok', 1000), 'ok');
      c2.destroy();
    } finally {
      await p.close();
    }
  });
});
