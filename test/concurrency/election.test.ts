// The Election service's recipe against an in-process member: campaign order, proclaim and resign
// guarded by the leader key's create revision, leader lookup, observe, cancellation, and etcd's
// errors (election: not leader / no leader, missing leader field).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  CampaignRequestSchema,
  LeaderKeySchema,
  LeaderRequestSchema,
  ProclaimRequestSchema,
  ResignRequestSchema,
  type LeaderKey,
  type LeaderResponse,
} from '../../src/gen/v3electionpb/v3election_pb.js';
import { campaign, leader, observe, proclaim, resign } from '../../src/concurrency/index.js';
import { GrpcCode } from '../../src/server/errors.js';
import { b, etcdError, eventually, grant, isSettled, keysUnder, revoke, startEnv, str, within, type Env } from './helpers.js';

describe('v3 Election', () => {
  let env: Env;
  before(async () => (env = await startEnv()));
  after(async () => env.stop());

  const camp = (name: string, lease: bigint, value: string, signal?: AbortSignal) =>
    campaign(env.member.server, create(CampaignRequestSchema, { name: b(name), lease, value: b(value) }), signal);
  const leaderOf = (name: string) => leader(env.member.server, create(LeaderRequestSchema, { name: b(name) }));
  const proclaimAs = (l: LeaderKey, value: string) => proclaim(env.member.server, create(ProclaimRequestSchema, { leader: l, value: b(value) }));
  const resignAs = (l: LeaderKey) => resign(env.member.server, create(ResignRequestSchema, { leader: l }));

  test('campaign: the first candidate leads at once; its LeaderKey names key, create revision and lease', async () => {
    const lease = await grant(env.member);
    const r = await camp('e1', lease, 'alpha');
    const l = r.leader!;
    assert.equal(str(l.name), 'e1');
    assert.equal(str(l.key), `e1/${lease.toString(16)}`);
    assert.equal(l.lease, lease);
    const cur = await leaderOf('e1');
    assert.equal(str(cur.kv!.key), str(l.key));
    assert.equal(str(cur.kv!.value), 'alpha');
    assert.equal(cur.kv!.createRevision, l.rev);
    assert.equal(cur.kv!.lease, lease);
    await resignAs(l);
  });

  test('leader with no candidates: election: no leader', async () => {
    await assert.rejects(leaderOf('nobody'), etcdError(GrpcCode.Unknown, 'election: no leader'));
  });

  test('a second candidate waits until the leader resigns, then leads with its own value', async () => {
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const first = (await camp('e2', l1, 'one')).leader!;
    const second = camp('e2', l2, 'two');
    assert.equal(await isSettled(second), false, 'the second candidate waits');
    assert.equal(str((await leaderOf('e2')).kv!.value), 'one', 'the leader is still the first');
    // Its value is posted already (under its own key), only not leading.
    const queued = (await keysUnder(env.member, 'e2/')).sort((x, y) => Number(x.createRevision - y.createRevision));
    assert.deepEqual(queued.map((kv) => str(kv.value)), ['one', 'two']);
    const rs = await resignAs(first);
    assert.ok(rs.header!.revision > first.rev);
    const won = await within(second, 5000, 'the second candidate to lead');
    assert.equal(won.leader!.lease, l2);
    assert.equal(str((await leaderOf('e2')).kv!.value), 'two');
    await resignAs(won.leader!);
  });

  test('leadership moves when the leader lease is revoked', async () => {
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    await camp('e3', l1, 'one');
    const second = camp('e3', l2, 'two');
    assert.equal(await isSettled(second), false);
    await revoke(env.member, l1);
    const won = await within(second, 5000, 'the next candidate after a revoke');
    assert.equal(str(won.leader!.key), `e3/${l2.toString(16)}`);
    await resignAs(won.leader!);
  });

  test('proclaim updates the value while the leader key is the same; a stale or lost leadership is refused', async () => {
    const lease = await grant(env.member);
    const l = (await camp('e4', lease, 'v1')).leader!;
    const p = await proclaimAs(l, 'v2');
    const kv = (await leaderOf('e4')).kv!;
    assert.equal(str(kv.value), 'v2');
    assert.equal(kv.modRevision, p.header!.revision);
    assert.equal(kv.createRevision, l.rev, 'proclaim keeps the key (same create revision)');
    assert.equal(kv.lease, lease);
    // A LeaderKey from an earlier incarnation of the same key (wrong create revision).
    const stale = create(LeaderKeySchema, { ...l, rev: l.rev - 1n });
    await assert.rejects(proclaimAs(stale, 'x'), etcdError(GrpcCode.Unknown, 'election: not leader'));
    // After resigning (the key is gone) the old LeaderKey can no longer proclaim.
    await resignAs(l);
    await assert.rejects(proclaimAs(l, 'x'), etcdError(GrpcCode.Unknown, 'election: not leader'));
    assert.equal((await keysUnder(env.member, 'e4/')).length, 0, 'a refused proclaim writes nothing');
  });

  test('Proclaim and Resign without a leader field are refused with etcd message', async () => {
    const s = env.member.server;
    await assert.rejects(proclaim(s, create(ProclaimRequestSchema, { value: b('v') })), etcdError(GrpcCode.Unknown, '"leader" field must be provided'));
    await assert.rejects(resign(s, create(ResignRequestSchema, {})), etcdError(GrpcCode.Unknown, '"leader" field must be provided'));
  });

  test('resign with a stale LeaderKey succeeds and changes nothing', async () => {
    const lease = await grant(env.member);
    const l = (await camp('e5', lease, 'v')).leader!;
    await resignAs(create(LeaderKeySchema, { ...l, rev: l.rev + 100n }));
    assert.equal(str((await leaderOf('e5')).kv!.value), 'v', 'still the leader');
    await resignAs(l);
    await assert.rejects(leaderOf('e5'), /election: no leader/);
  });

  test('campaigning again with the same lease keeps the place in line and posts the new value', async () => {
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const first = (await camp('e6', l1, 'a')).leader!;
    const second = camp('e6', l2, 'b');
    assert.equal(await isSettled(second), false);
    const again = (await within(camp('e6', l1, 'a2'), 2000, 'the leader re-campaigning')).leader!;
    assert.equal(again.rev, first.rev, 'same key, same create revision: still first');
    assert.equal(str((await leaderOf('e6')).kv!.value), 'a2');
    assert.equal(await isSettled(second), false, 'the other candidate still waits');
    await resignAs(again);
    const won = await within(second, 5000, 'the second candidate');
    await resignAs(won.leader!);
  });

  test('cancellation: an aborted candidate rejects with context canceled and leaves no key behind', async () => {
    const [l1, l2, l3] = [await grant(env.member), await grant(env.member), await grant(env.member)];
    const first = (await camp('e7', l1, 'a')).leader!;
    const ac = new AbortController();
    const waiting = camp('e7', l2, 'b', ac.signal);
    await eventually(async () => (await keysUnder(env.member, 'e7/')).length === 2, 'the candidate queued');
    ac.abort();
    await assert.rejects(within(waiting, 5000, 'the aborted campaign'), etcdError(GrpcCode.Canceled, 'context canceled'));
    assert.deepEqual((await keysUnder(env.member, 'e7/')).map((kv) => str(kv.value)), ['a']);
    const third = camp('e7', l3, 'c');
    await resignAs(first);
    const won = await within(third, 5000, 'the next candidate');
    assert.equal(str((await leaderOf('e7')).kv!.value), 'c');
    await resignAs(won.leader!);
  });

  test('a waiting candidate whose lease dies fails with election: not leader', async () => {
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const first = (await camp('e8', l1, 'a')).leader!;
    const waiting = camp('e8', l2, 'b');
    await eventually(async () => (await keysUnder(env.member, 'e8/')).length === 2, 'the candidate queued');
    await revoke(env.member, l2);
    await assert.rejects(within(waiting, 5000, 'the candidate to fail'), etcdError(GrpcCode.Unknown, 'election: not leader'));
    assert.equal(str((await leaderOf('e8')).kv!.value), 'a');
    await resignAs(first);
  });

  test('observe: waits for a first leader, then streams each proclamation and each new leader, until aborted', async () => {
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const seen: LeaderResponse[] = [];
    const ac = new AbortController();
    const done = observe(env.member.server, b('e9'), ac.signal, (r) => seen.push(r));
    const values = () => seen.map((r) => str(r.kv!.value));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(values(), [], 'no leader, nothing sent');
    const first = (await camp('e9', l1, 'a1')).leader!;
    await eventually(async () => values().length === 1, 'the first leader observed');
    await proclaimAs(first, 'a2');
    await eventually(async () => values().length === 2, 'the proclamation observed');
    const second = camp('e9', l2, 'b1'); // a candidate's put is not a leader change
    await eventually(async () => (await keysUnder(env.member, 'e9/')).length === 2, 'the candidate queued');
    await resignAs(first);
    const won = (await within(second, 5000, 'the second leader')).leader!;
    await eventually(async () => values().length === 3, 'the new leader observed');
    await proclaimAs(won, 'b2');
    await eventually(async () => values().length === 4, 'the new leader proclamation observed');
    assert.deepEqual(values(), ['a1', 'a2', 'b1', 'b2']);
    for (const r of seen) assert.ok(r.header!.revision >= r.kv!.modRevision, 'a header is never older than its kv');
    // Each response has its own header (never one shared object rewritten for the next).
    assert.equal(new Set(seen.map((r) => r.header)).size, seen.length);
    assert.ok(seen[0]!.header!.revision < seen[3]!.header!.revision);
    ac.abort();
    await within(done, 2000, 'observe to end on abort');
    await resignAs(won);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, 4, 'nothing is sent after the abort');
  });

  test('observe starts with the current leader', async () => {
    const lease = await grant(env.member);
    const l = (await camp('e10', lease, 'now')).leader!;
    const seen: string[] = [];
    const ac = new AbortController();
    const done = observe(env.member.server, b('e10'), ac.signal, (r) => seen.push(str(r.kv!.value)));
    await eventually(async () => seen.length === 1, 'the current leader');
    assert.deepEqual(seen, ['now']);
    ac.abort();
    await within(done, 2000, 'observe to end');
    await resignAs(l);
  });
});
