// Watch through the member's client port (gRPC and the JSON gateway) plus its metrics. The
// guarantees themselves are pinned by test/watch (hub and stream, property tests).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from '@connectrpc/connect';
import { KV, Watch, type WatchRequest, type WatchResponse } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { create } from '@bufbuild/protobuf';
import { WatchRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { startTestMember, type TestMember } from '../helpers/member.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('watch through the client port', () => {
  let tm: TestMember;
  let kv: Client<typeof KV>;
  let watch: Client<typeof Watch>;
  let url: string;

  before(async () => {
    tm = await startTestMember();
    url = tm.url;
    kv = createClient(KV, tm.transport);
    watch = createClient(Watch, tm.transport);
  });
  after(() => tm.dispose());

  test('gRPC: created, then a txn\'s events in one response, in revision order', async () => {
    const ctrl = new AbortController();
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    async function* reqs(): AsyncGenerator<WatchRequest> {
      yield create(WatchRequestSchema, { requestUnion: { case: 'createRequest', value: { key: b('w/'), rangeEnd: b('w0'), prevKv: true } } });
      await hold;
    }
    const got: WatchResponse[] = [];
    const reader = (async () => {
      try {
        for await (const r of watch.watch(reqs(), { signal: ctrl.signal })) {
          got.push(r);
          if (got.length === 1) {
            await kv.put({ key: b('w/a'), value: b('1') });
            await kv.txn({
              success: [
                { request: { case: 'requestPut', value: { key: b('w/b'), value: b('2') } } },
                { request: { case: 'requestPut', value: { key: b('w/a'), value: b('3') } } },
              ],
            });
          }
          if (got.length === 3) break;
        }
      } finally {
        release();
      }
    })();
    const timer = setTimeout(() => ctrl.abort(), 10_000);
    await reader;
    clearTimeout(timer);
    assert.equal(got[0]!.created, true);
    assert.equal(got[1]!.events.length, 1);
    const txnEvents = got[2]!.events;
    assert.deepEqual(txnEvents.map((e) => Buffer.from(e.kv!.key).toString()), ['w/b', 'w/a'], 'one response, in txn order');
    assert.equal(txnEvents[0]!.kv!.modRevision, txnEvents[1]!.kv!.modRevision);
    assert.equal(Buffer.from(txnEvents[1]!.prevKv!.value).toString(), '1', 'prev_kv of a put');
  });

  test('gateway: POST /v3/watch streams {"result":...} lines', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${url}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b('g').toString('base64') } }),
      signal: ctrl.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = '';
    const readLine = async (): Promise<Record<string, unknown>> => {
      for (let i = 0; i < 50 && !text.includes('\n'); i++) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      const nl = text.indexOf('\n');
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      return JSON.parse(line) as Record<string, unknown>;
    };
    const created = (await readLine()) as { result: { created: boolean } };
    assert.equal(created.result.created, true);
    await kv.put({ key: b('g'), value: b('v') });
    const ev = (await readLine()) as { result: { events: Array<{ kv: { key: string; value: string } }> } };
    assert.equal(ev.result.events[0]!.kv.value, b('v').toString('base64'));
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /etcd_debugging_mvcc_watcher_total 1/);
    assert.match(m, /etcd_debugging_mvcc_watch_stream_total 1/);
    assert.match(m, /etcd_debugging_mvcc_keys_total [1-9]/);
    ctrl.abort();
  });
});
