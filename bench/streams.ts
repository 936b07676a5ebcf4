// Stream benchmarks for issue 4, the same client code against both servers:
//  - watch fan-out: W watchers on one prefix (spread over a few HTTP/2 connections), one writer
//    putting keys under the prefix; events delivered per second across all watchers.
//  - lease keepalive: K concurrent keepalive streams each renewing its own lease in a closed loop;
//    keepalive responses per second.
// Every loop is bounded in count and time.
import { setMaxListeners } from 'node:events';
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { KV, Lease, Watch, type WatchRequest, WatchRequestSchema } from '../src/gen/etcdserverpb/rpc_pb.js';
import { type RunningServer, SERVER_KINDS, type ServerKind, startServer } from './servers.js';

export interface StreamResult {
  name: string;
  value: number;
  unit: string;
}

function transports(url: string, n: number): ReturnType<typeof createGrpcTransport>[] {
  return Array.from({ length: n }, () => createGrpcTransport({ baseUrl: url }));
}

/** A request iterable that yields one message, then stays open until `until` resolves. */
async function* oneThenHold<T>(first: T, until: Promise<void>): AsyncGenerator<T> {
  yield first;
  await until;
}

export async function watchFanout(url: string, opts = { watchers: 1000, connections: 10, puts: 200, timeoutMs: 60_000 }): Promise<StreamResult> {
  const ts = transports(url, opts.connections);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let created = 0;
  let events = 0;
  const expected = opts.watchers * opts.puts;
  let allCreated!: () => void;
  const createdAll = new Promise<void>((r) => (allCreated = r));
  let allDelivered!: () => void;
  const delivered = new Promise<void>((r) => (allDelivered = r));
  const ac = new AbortController();
  setMaxListeners(opts.watchers + 10, ac.signal); // one listener per watch stream
  const prefix = Buffer.from('fan/');
  const req: WatchRequest = create(WatchRequestSchema, {
    requestUnion: { case: 'createRequest', value: { key: prefix, rangeEnd: Buffer.from('fan0') } },
  });
  const readers = Array.from({ length: opts.watchers }, async (_, i) => {
    const watch = createClient(Watch, ts[i % ts.length]!);
    try {
      for await (const r of watch.watch(oneThenHold(req, stopped), { signal: ac.signal })) {
        if (r.created && ++created === opts.watchers) allCreated();
        events += r.events.length;
        if (events >= expected) allDelivered();
      }
    } catch {
      // aborted at the end
    }
  });
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs);
  await Promise.race([createdAll, new Promise((r) => setTimeout(r, opts.timeoutMs))]);
  const kv = createClient(KV, ts[0]!);
  const value = Buffer.alloc(256, 1);
  const t0 = performance.now();
  for (let i = 0; i < opts.puts; i++) await kv.put({ key: Buffer.from(`fan/${i % 50}`), value });
  await Promise.race([delivered, new Promise((r) => setTimeout(r, opts.timeoutMs))]);
  const seconds = (performance.now() - t0) / 1000;
  stop();
  ac.abort();
  clearTimeout(timer);
  await Promise.allSettled(readers);
  if (events < expected) throw new Error(`watch fan-out: ${events}/${expected} events delivered before the time bound`);
  return { name: `watch fan-out (${opts.watchers} watchers, ${opts.puts} puts)`, value: events / seconds, unit: 'events/s' };
}

export async function keepaliveThroughput(url: string, opts = { streams: 100, connections: 10, durationMs: 5_000 }): Promise<StreamResult> {
  const ts = transports(url, opts.connections);
  const ids: bigint[] = [];
  for (let i = 0; i < opts.streams; i++) {
    const lease = createClient(Lease, ts[i % ts.length]!);
    ids.push((await lease.leaseGrant({ TTL: 60n })).ID);
  }
  let renewals = 0;
  const deadline = performance.now() + opts.durationMs;
  const t0 = performance.now();
  await Promise.all(
    ids.map(async (ID, i) => {
      const lease = createClient(Lease, ts[i % ts.length]!);
      // A closed loop per stream: the next request goes out when the previous answer came back.
      let next!: () => void;
      async function* reqs(): AsyncGenerator<{ ID: bigint }> {
        for (let n = 0; n < 1_000_000 && performance.now() < deadline; n++) {
          yield { ID };
          await new Promise<void>((r) => (next = r));
        }
      }
      for await (const r of lease.leaseKeepAlive(reqs())) {
        if (r.TTL <= 0n) throw new Error('keepalive: lease not found');
        renewals++;
        next();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { name: `lease keepalive (${opts.streams} streams)`, value: renewals / seconds, unit: 'renewals/s' };
}

export interface StreamComparison {
  name: string;
  unit: string;
  etcd?: number;
  tsetcd?: number;
  error?: string;
}

/** Runs both stream benchmarks against a fresh etcd and a fresh tsetcd, one after the other. */
export async function compareStreams(log: (m: string) => void, quick: boolean): Promise<StreamComparison[]> {
  const rows = new Map<string, StreamComparison>();
  for (const kind of SERVER_KINDS as readonly ServerKind[]) {
    let server: RunningServer | undefined;
    try {
      server = await startServer(kind);
      log(`${kind}: watch fan-out`);
      const w = await watchFanout(server.clientUrl, { watchers: quick ? 200 : 1000, connections: 10, puts: quick ? 50 : 200, timeoutMs: 60_000 });
      log(`${kind}: lease keepalive`);
      const k = await keepaliveThroughput(server.clientUrl, { streams: 100, connections: 10, durationMs: quick ? 2_000 : 5_000 });
      for (const r of [w, k]) {
        const row = rows.get(r.name) ?? { name: r.name, unit: r.unit };
        row[kind] = r.value;
        rows.set(r.name, row);
      }
    } catch (e) {
      log(`${kind}: stream benchmark failed: ${e instanceof Error ? e.message : String(e)}`);
      rows.set(`${kind} failed`, { name: `${kind} failed`, unit: '', error: e instanceof Error ? e.message : String(e) });
    } finally {
      await server?.stop();
    }
  }
  return [...rows.values()];
}

export function renderStreams(rows: readonly StreamComparison[]): string {
  const lines = ['stream load | etcd | tsetcd | ratio', '--- | --- | --- | ---'];
  for (const r of rows) {
    if (r.error) {
      lines.push(`${r.name} | ${r.error} | | `);
      continue;
    }
    const ratio = r.etcd && r.tsetcd ? (r.tsetcd / r.etcd).toFixed(2) : 'n/a';
    lines.push(`${r.name} | ${Math.round(r.etcd ?? 0)} ${r.unit} | ${Math.round(r.tsetcd ?? 0)} ${r.unit} | ${ratio}`);
  }
  return lines.join('\n');
}

// Runnable alone: node dist/bench/streams.js [--quick]
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\/dist\//, '/dist/'))) {
  const quick = process.argv.includes('--quick');
  const rows = await compareStreams((m) => process.stderr.write(`[streams] ${m}\n`), quick);
  console.log(renderStreams(rows));
}
