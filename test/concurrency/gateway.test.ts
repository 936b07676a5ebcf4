// The Lock and Election routes of the JSON gateway, side by side with the real etcd 3.4's
// grpc-gateway: the same POSTs to both, bodies normalised (ids and lease names, revisions relative
// to the start) and compared with their HTTP status — including an HTTP client that disconnects
// while its Lock waits, whose key must be taken out of line.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { create, fromJsonString, toJsonString, type MessageShape } from '@bufbuild/protobuf';
import { CampaignRequestSchema } from '../../src/gen/v3electionpb/v3election_pb.js';
import { campaign, concurrencyGatewayStreams } from '../../src/concurrency/index.js';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { b, eventually, grant, startEnv, within, type Env } from './helpers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('latin1');

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function post(base: string, path: string, body: unknown, signal?: AbortSignal): Promise<Reply> {
  const r = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body), signal });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function scenario(base: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const range0 = await post(base, '/v3/kv/range', { key: b64('x') });
  const rev0 = BigInt((range0.body['header'] as { revision: string }).revision);
  const l1 = (await post(base, '/v3/lease/grant', { TTL: '60' })).body['ID'] as string;
  const l2 = (await post(base, '/v3/lease/grant', { TTL: '60' })).body['ID'] as string;
  const names = new Map([
    [l1, 'L1'],
    [l2, 'L2'],
    [BigInt(l1).toString(16), 'L1'],
    [BigInt(l2).toString(16), 'L2'],
  ]);
  const text = (s: string): string => s.replace(/\/([0-9a-f]+)$/, (_, h: string) => `/<${names.get(h) ?? h}>`);
  // Every value that differs between two servers for the same steps is replaced by a name.
  const norm = (v: unknown, k = ''): unknown => {
    if (Array.isArray(v)) return v.map((x) => norm(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, norm(vv, kk)]));
    if (typeof v !== 'string') return v;
    if (['cluster_id', 'member_id', 'raft_term'].includes(k)) return '<id>';
    if (['revision', 'create_revision', 'mod_revision', 'rev'].includes(k)) return `+${BigInt(v) - rev0}`;
    if (['lease', 'ID'].includes(k)) return names.get(v) ?? v;
    if (['key', 'name', 'value'].includes(k)) return text(unb64(v));
    return v;
  };
  const show = (r: Reply): string => `${r.status} ${JSON.stringify(norm(r.body))}`;
  const keys = async (prefix: string): Promise<number> => {
    const end = Buffer.from(prefix);
    end[end.length - 1]!++;
    const r = await post(base, '/v3/kv/range', { key: b64(prefix), range_end: end.toString('base64'), count_only: true });
    return Number((r.body['count'] as string | undefined) ?? '0');
  };

  const held = await post(base, '/v3/lock/lock', { name: b64('gl'), lease: l1 });
  out['lock'] = show(held);
  const ac = new AbortController();
  const abandoned = post(base, '/v3/lock/lock', { name: b64('gl'), lease: l2 }, ac.signal).catch((e: unknown) => e);
  await eventually(async () => (await keys('gl/')) === 2, 'the second contender queued');
  ac.abort();
  await abandoned;
  await eventually(async () => (await keys('gl/')) === 1, 'the disconnected contender key removed');
  out['unlock'] = show(await post(base, '/v3/lock/unlock', { key: held.body['key'] }));
  out['lock unknown lease'] = show(await post(base, '/v3/lock/lock', { name: b64('gl'), lease: '4660' }));

  out['leader of nobody'] = show(await post(base, '/v3/election/leader', { name: b64('ge') }));
  const camp = await post(base, '/v3/election/campaign', { name: b64('ge'), lease: l1, value: b64('v1') });
  out['campaign'] = show(camp);
  const leader = camp.body['leader'] as Record<string, string>;
  out['leader'] = show(await post(base, '/v3/election/leader', { name: b64('ge') }));
  out['proclaim'] = show(await post(base, '/v3/election/proclaim', { leader, value: b64('v2') }));
  out['proclaim stale'] = show(await post(base, '/v3/election/proclaim', { leader: { ...leader, rev: '1' }, value: b64('x') }));
  out['proclaim without leader'] = show(await post(base, '/v3/election/proclaim', { value: b64('x') }));
  out['resign'] = show(await post(base, '/v3/election/resign', { leader }));
  out['leader after resign'] = show(await post(base, '/v3/election/leader', { name: b64('ge') }));
  return out;
}

const ETCD = '/usr/bin/etcd';

describe('Lock and Election on the JSON gateway: tsetcd as real etcd', { skip: !existsSync(ETCD) && 'no etcd', timeout: 120_000 }, () => {
  let env: Env;
  let etcd: ServerHandle;
  before(async () => {
    env = await startEnv();
    etcd = await startServer({ kind: 'etcd' });
  });
  after(async () => {
    await etcd?.stop();
    await env?.stop();
  });

  test('same statuses and bodies for the same steps', async () => {
    const want = await within(scenario(etcd.clientUrl), 60_000, 'the etcd run');
    const got = await within(scenario(env.member.clientUrls[0]!), 60_000, 'the tsetcd run');
    assert.match(want['lock']!, /^200 .*"key":"gl\/<L1>"/, 'the reference run is what we think etcd does');
    const diffs = Object.keys(want)
      .filter((k) => got[k] !== want[k])
      .map((k) => `${k}:\n  etcd:   ${want[k]}\n  tsetcd: ${got[k]}`);
    assert.deepEqual(diffs, [], diffs.join('\n'));
  });
});

describe('the Observe gateway stream route', () => {
  let env: Env;
  before(async () => (env = await startEnv()));
  after(async () => env.stop());

  test('/v3/election/observe: a JSON request in, one JSON response per leader change, ends on abort', async () => {
    const route = concurrencyGatewayStreams['/v3/election/observe']!;
    const req = fromJsonString(route.req, JSON.stringify({ name: b64('gw-ob') }));
    const lines: string[] = [];
    const ac = new AbortController();
    const done = route.stream(env.member.server, req as never, ac.signal, (resp) =>
      lines.push(`{"result":${toJsonString(route.res, resp as MessageShape<typeof route.res>, { useProtoFieldName: true })}}`),
    );
    const lease = await grant(env.member);
    await campaign(env.member.server, create(CampaignRequestSchema, { name: b('gw-ob'), lease, value: b('hello') }));
    await eventually(async () => lines.length === 1, 'the leader streamed');
    const first = JSON.parse(lines[0]!) as { result: { kv: { key: string; value: string } } };
    assert.equal(unb64(first.result.kv.value), 'hello');
    assert.equal(unb64(first.result.kv.key), `gw-ob/${lease.toString(16)}`);
    ac.abort();
    await within(done, 2000, 'the stream to end');
  });
});
