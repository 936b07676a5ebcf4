// The Lock and Election services over gRPC, side by side with the real etcd 3.4: the same steps
// through a connect-node client against both, outputs normalised (lease ids → names, revisions
// relative to the start) and compared — including a client that cancels a waiting Lock/Campaign
// (the server must take its key out of line) and the Observe stream.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { KV, Lease } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { Election } from '../../src/gen/v3electionpb/v3election_pb.js';
import { Lock } from '../../src/gen/v3lockpb/v3lock_pb.js';
import { prefixEnd } from '../../src/concurrency/keys.js';
import { startServer, type ServerHandle } from '../helpers/real-etcd.js';
import { b, eventually, str, startEnv, within, type Env } from './helpers.js';

interface Clients {
  kv: Client<typeof KV>;
  lease: Client<typeof Lease>;
  lock: Client<typeof Lock>;
  election: Client<typeof Election>;
}

function clients(t: Transport): Clients {
  return { kv: createClient(KV, t), lease: createClient(Lease, t), lock: createClient(Lock, t), election: createClient(Election, t) };
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof ConnectError) return `error ${Code[e.code]}: ${e.rawMessage}`;
    throw e;
  }
}

/** The steps; returns what each produced, normalised. */
async function scenario(c: Clients): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const base = (await c.kv.range({ key: b('x') })).header!.revision;
  const l1 = (await c.lease.leaseGrant({ TTL: 60n })).ID;
  const l2 = (await c.lease.leaseGrant({ TTL: 60n })).ID;
  const norm = (s: string): string => s.replaceAll(l1.toString(16), '<L1>').replaceAll(l2.toString(16), '<L2>');
  const rel = (r: bigint | undefined): string => `+${(r ?? 0n) - base}`;
  const keys = async (prefix: string): Promise<string> => {
    const r = await c.kv.range({ key: b(prefix), rangeEnd: prefixEnd(b(prefix)) });
    const byAge = [...r.kvs].sort((x, y) => Number(x.createRevision - y.createRevision));
    return byAge.map((kv) => `${norm(str(kv.key))}=${str(kv.value)}@${rel(kv.createRevision)}`).join(',');
  };

  // Lock / Unlock
  const held = await c.lock.lock({ name: b('dl'), lease: l1 });
  out['lock'] = `${norm(str(held.key))} ${rel(held.header?.revision)}`;
  out['relock by the holder'] = norm(str((await c.lock.lock({ name: b('dl'), lease: l1 })).key));
  const second = c.lock.lock({ name: b('dl'), lease: l2 });
  await new Promise((r) => setTimeout(r, 300));
  out['queue'] = await keys('dl/');
  const u = await c.lock.unlock({ key: held.key });
  out['unlock'] = rel(u.header?.revision);
  const got = await within(second, 10_000, 'the second lock');
  out['second lock'] = `${norm(str(got.key))} ${rel(got.header?.revision)}`;
  await c.lock.unlock({ key: got.key });
  out['unlock unknown key'] = await outcome(c.lock.unlock({ key: b('dl/none') }));
  out['unlock empty key'] = await outcome(c.lock.unlock({ key: new Uint8Array(0) }));
  out['lock unknown lease'] = await outcome(c.lock.lock({ name: b('dl'), lease: 0x1234n }));
  out['after failures'] = await keys('dl/');
  const zero = await c.lock.lock({ name: b('z'), lease: 0n });
  const zkv = (await c.kv.range({ key: zero.key })).kvs[0]!;
  out['lock lease 0'] = `ttl ${(await c.lease.leaseTimeToLive({ ID: zkv.lease })).grantedTTL}, key is name/<its lease>: ${str(zero.key) === `z/${zkv.lease.toString(16)}`}`;

  // Election
  out['leader of nobody'] = await outcome(c.election.leader({ name: b('de') }));
  const camp = await c.election.campaign({ name: b('de'), lease: l1, value: b('v1') });
  const ld = camp.leader!;
  out['campaign'] = `${str(ld.name)} ${norm(str(ld.key))} rev ${rel(ld.rev)} lease L1:${ld.lease === l1} header ${rel(camp.header?.revision)}`;
  const lr = await c.election.leader({ name: b('de') });
  out['leader'] = `${norm(str(lr.kv!.key))}=${str(lr.kv!.value)} ${rel(lr.header?.revision)}`;
  const pr = await c.election.proclaim({ leader: ld, value: b('v2') });
  out['proclaim'] = rel(pr.header?.revision);
  out['proclaim stale'] = await outcome(c.election.proclaim({ leader: { ...ld, rev: ld.rev - 1n }, value: b('x') }));
  out['proclaim no leader field'] = await outcome(c.election.proclaim({ value: b('x') }));
  out['resign no leader field'] = await outcome(c.election.resign({}));
  const cand = c.election.campaign({ name: b('de'), lease: l2, value: b('w') });
  await new Promise((r) => setTimeout(r, 300));
  out['candidates'] = await keys('de/');
  out['resign stale'] = await outcome(c.election.resign({ leader: { ...ld, rev: ld.rev + 50n } }));
  const re = await c.election.campaign({ name: b('de'), lease: l1, value: b('v3') });
  out['campaign again, new value'] = `rev ${rel(re.leader!.rev)} header ${rel(re.header?.revision)} value ${str((await c.election.leader({ name: b('de') })).kv!.value)}`;
  const rs = await c.election.resign({ leader: ld });
  out['resign'] = rel(rs.header?.revision);
  const won = await within(cand, 10_000, 'the second candidate');
  out['second campaign'] = `${norm(str(won.leader!.key))} rev ${rel(won.leader!.rev)} header ${rel(won.header?.revision)}`;
  out['proclaim after resign'] = await outcome(c.election.proclaim({ leader: ld, value: b('x') }));
  await c.election.resign({ leader: won.leader! });
  out['leader after all resigned'] = await outcome(c.election.leader({ name: b('de') }));

  // A client that gives up waiting: the server takes its key out of line.
  const holder = await c.lock.lock({ name: b('cx'), lease: l1 });
  const ac = new AbortController();
  const abandoned = outcome(c.lock.lock({ name: b('cx'), lease: l2 }, { signal: ac.signal }));
  await eventually(async () => (await keys('cx/')).split(',').length === 2, 'the second contender queued');
  ac.abort();
  out['cancelled lock'] = await abandoned;
  await eventually(async () => (await keys('cx/')).split(',').length === 1, 'the cancelled contender key removed');
  out['after cancelled lock'] = await keys('cx/');
  await c.lock.unlock({ key: holder.key });
  const lead = (await c.election.campaign({ name: b('ce'), lease: l1, value: b('a') })).leader!;
  const ac2 = new AbortController();
  const abandonedCampaign = outcome(c.election.campaign({ name: b('ce'), lease: l2, value: b('b') }, { signal: ac2.signal }));
  await eventually(async () => (await keys('ce/')).split(',').length === 2, 'the second candidate queued');
  ac2.abort();
  out['cancelled campaign'] = await abandonedCampaign;
  await eventually(async () => (await keys('ce/')).split(',').length === 1, 'the cancelled candidate key removed');
  out['after cancelled campaign'] = await keys('ce/');
  await c.election.resign({ leader: lead });

  // Observe: from no leader, through a proclamation, to the next leader.
  const seen: string[] = [];
  const ac3 = new AbortController();
  const observing = (async () => {
    for await (const r of c.election.observe({ name: b('ob') }, { signal: ac3.signal })) {
      seen.push(`${norm(str(r.kv!.key))}=${str(r.kv!.value)} mod ${rel(r.kv!.modRevision)} header>=mod ${r.header!.revision >= r.kv!.modRevision}`);
    }
  })().catch((e: unknown) => {
    if (!(e instanceof ConnectError && e.code === Code.Canceled)) throw e;
  });
  await new Promise((r) => setTimeout(r, 300));
  const o1 = (await c.election.campaign({ name: b('ob'), lease: l1, value: b('o1') })).leader!;
  await eventually(async () => seen.length === 1, 'the first leader observed');
  await c.election.proclaim({ leader: o1, value: b('o2') });
  await eventually(async () => seen.length === 2, 'the proclamation observed');
  const next = c.election.campaign({ name: b('ob'), lease: l2, value: b('p1') });
  await eventually(async () => (await keys('ob/')).split(',').length === 2, 'the next candidate queued');
  await c.election.resign({ leader: o1 });
  const o2 = (await within(next, 10_000, 'the next leader')).leader!;
  await eventually(async () => seen.length === 3, 'the next leader observed');
  ac3.abort();
  await within(observing, 5000, 'observe to end');
  out['observe'] = seen.join(' | ');
  await c.election.resign({ leader: o2 });
  return out;
}

const ETCD = '/usr/bin/etcd';

describe('Lock and Election over gRPC: tsetcd as real etcd', { skip: !existsSync(ETCD) && 'no etcd', timeout: 120_000 }, () => {
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

  test('same outputs for the same steps', async () => {
    const want = await scenario(clients(createGrpcTransport({ baseUrl: etcd.clientUrl })));
    const got = await scenario(clients(createGrpcTransport({ baseUrl: env.member.clientUrls[0]! })));
    assert.match(want['lock']!, /^dl\/<L1> \+1$/, 'the reference run is what we think etcd does');
    const diffs = Object.keys(want).filter((k) => got[k] !== want[k]).map((k) => `${k}:\n  etcd:   ${want[k]}\n  tsetcd: ${got[k]}`);
    assert.deepEqual(diffs, [], diffs.join("\n"));
  });
});
