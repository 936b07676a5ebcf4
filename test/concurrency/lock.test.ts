// The Lock service's recipe against an in-process member: mutual exclusion in create-revision
// order, release by Unlock / lease revoke / lease expiry, cancellation cleanup, and the session
// rules (lease 0, unknown lease, a waiter whose own lease dies).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { LeaseTimeToLiveRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { LockRequestSchema, UnlockRequestSchema, type LockResponse } from '../../src/gen/v3lockpb/v3lock_pb.js';
import { lock, unlock } from '../../src/concurrency/index.js';
import { GrpcCode } from '../../src/server/errors.js';
import { b, etcdError, eventually, grant, isSettled, keysUnder, revoke, startEnv, str, within, type Env } from './helpers.js';

describe('v3 Lock', () => {
  let env: Env;
  before(async () => (env = await startEnv()));
  after(async () => env.stop());

  const lockReq = (name: string, lease: bigint) => create(LockRequestSchema, { name: b(name), lease });
  const unlockKey = (key: Uint8Array) => unlock(env.member.server, create(UnlockRequestSchema, { key }));

  test('uncontended: the key is name/<lease hex>, attached to the lease, created at the header revision', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const r = await lock(s, lockReq('solo', lease));
    assert.equal(str(r.key), `solo/${lease.toString(16)}`);
    const [kv] = await keysUnder(env.member, 'solo/');
    assert.ok(kv);
    assert.equal(kv.lease, lease);
    assert.equal(kv.createRevision, r.header!.revision);
    assert.equal(kv.value.length, 0);
    // The same lease locking again keeps its place: it already holds the lock.
    const again = await within(lock(s, lockReq('solo', lease)), 2000, 'a re-lock by the holder');
    assert.equal(str(again.key), str(r.key));
    const u = await unlockKey(r.key);
    assert.ok(u.header!.revision > r.header!.revision);
    assert.equal((await keysUnder(env.member, 'solo/')).length, 0);
  });

  test('mutual exclusion: contenders acquire one at a time, in the order their keys were created', async () => {
    const s = env.member.server;
    const n = 5;
    const leases = await Promise.all(Array.from({ length: n }, () => grant(env.member)));
    const order: number[] = [];
    let holders = 0;
    let maxHolders = 0;
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      runs.push(
        (async () => {
          const r = await lock(s, lockReq('mx', leases[i]!));
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          order.push(i);
          // Hold across several event-loop turns so an overlapping holder would be seen.
          await new Promise((res) => setTimeout(res, 20));
          holders--;
          await unlockKey(r.key);
        })(),
      );
      // Queue contenders one after another so their create revisions are in index order.
      const mine = `mx/${leases[i]!.toString(16)}`;
      await eventually(async () => order.includes(i) || (await keysUnder(env.member, 'mx/')).some((kv) => str(kv.key) === mine), `contender ${i} queued`);
    }
    await within(Promise.all(runs), 10_000, 'all contenders to get and release the lock');
    assert.equal(maxHolders, 1, 'never two holders at once');
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal((await keysUnder(env.member, 'mx/')).length, 0);
  });

  test('a waiter waits on the key directly ahead, and re-checks when that one leaves first', async () => {
    const s = env.member.server;
    const [la, lb, lc] = [await grant(env.member), await grant(env.member), await grant(env.member)];
    const a = await lock(s, lockReq('chain', la));
    const bP = lock(s, lockReq('chain', lb));
    await eventually(async () => (await keysUnder(env.member, 'chain/')).length === 2, 'b queued');
    const cP = lock(s, lockReq('chain', lc));
    await eventually(async () => (await keysUnder(env.member, 'chain/')).length === 3, 'c queued');
    // b gives up (its key is deleted): c must now wait for a, not take the lock.
    await revoke(env.member, lb);
    await assert.rejects(within(bP, 5000, 'b to fail'), etcdError(GrpcCode.Unknown, 'mutex: session is expired'));
    assert.equal(await isSettled(cP), false, 'c still waits for a');
    await unlockKey(a.key);
    const c = await within(cP, 5000, 'c to get the lock');
    assert.equal(str(c.key), `chain/${lc.toString(16)}`);
    await unlockKey(c.key);
  });

  test('a revoked holder releases the lock', async () => {
    const s = env.member.server;
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    await lock(s, lockReq('rv', l1));
    const next = lock(s, lockReq('rv', l2));
    assert.equal(await isSettled(next), false, 'the second contender waits');
    await revoke(env.member, l1);
    const r = await within(next, 5000, 'the lock after the holder was revoked');
    assert.equal(str(r.key), `rv/${l2.toString(16)}`);
    // The header is at least the revision of the revoke that freed the lock.
    const [kv] = await keysUnder(env.member, 'rv/');
    assert.ok(r.header!.revision > kv!.createRevision);
    await unlockKey(r.key);
  });

  test('a holder whose lease expires releases the lock (real time, bounded)', { timeout: 20_000 }, async () => {
    const s = env.member.server;
    const short = await grant(env.member, 2n);
    const long = await grant(env.member);
    await lock(s, lockReq('exp', short));
    const next = lock(s, lockReq('exp', long));
    assert.equal(await isSettled(next), false);
    const r = await within(next, 12_000, 'the lock after the holder lease expired');
    assert.equal(str(r.key), `exp/${long.toString(16)}`);
    await unlockKey(r.key);
  });

  test('cancellation: an aborted waiter rejects with context canceled and leaves no key behind', async () => {
    const s = env.member.server;
    const [l1, l2, l3] = [await grant(env.member), await grant(env.member), await grant(env.member)];
    const held = await lock(s, lockReq('cx', l1));
    const ac = new AbortController();
    const waiting = lock(s, lockReq('cx', l2), ac.signal);
    await eventually(async () => (await keysUnder(env.member, 'cx/')).length === 2, 'the waiter queued');
    ac.abort();
    await assert.rejects(within(waiting, 5000, 'the aborted lock'), etcdError(GrpcCode.Canceled, 'context canceled'));
    assert.deepEqual(
      (await keysUnder(env.member, 'cx/')).map((kv) => str(kv.key)),
      [`cx/${l1.toString(16)}`],
      'only the holder key is left',
    );
    // A contender arriving now waits only for the holder.
    const third = lock(s, lockReq('cx', l3));
    await unlockKey(held.key);
    const r = await within(third, 5000, 'the lock after the holder left');
    assert.equal(str(r.key), `cx/${l3.toString(16)}`);
    await unlockKey(r.key);
  });

  test('cancellation while the key is being put, and before the call: no key is left', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const ac = new AbortController();
    const p = lock(s, lockReq('cx2', lease), ac.signal);
    ac.abort(); // lands while the txn is being proposed
    await assert.rejects(within(p, 5000, 'the aborted lock'), etcdError(GrpcCode.Canceled, 'context canceled'));
    assert.equal((await keysUnder(env.member, 'cx2/')).length, 0);
    await assert.rejects(lock(s, lockReq('cx2', lease), AbortSignal.abort()), etcdError(GrpcCode.Canceled, 'context canceled'));
    assert.equal((await keysUnder(env.member, 'cx2/')).length, 0);
  });

  test('an aborted re-lock by the holder does not release the lock an earlier call took', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const held = await lock(s, lockReq('cx3', lease));
    const ac = new AbortController();
    const again = lock(s, lockReq('cx3', lease), ac.signal);
    ac.abort();
    await again.catch(() => undefined); // either answer is fine for a caller that left
    assert.deepEqual((await keysUnder(env.member, 'cx3/')).map((kv) => str(kv.key)), [str(held.key)], 'still held');
    await unlockKey(held.key);
  });

  test('lease 0: the server grants a session lease with the default 60 s TTL', async () => {
    const s = env.member.server;
    const r: LockResponse = await lock(s, lockReq('nolease', 0n));
    const [kv] = await keysUnder(env.member, 'nolease/');
    assert.ok(kv && kv.lease !== 0n);
    assert.equal(str(r.key), `nolease/${kv.lease.toString(16)}`);
    const ttl = await s.leaseTimeToLive(create(LeaseTimeToLiveRequestSchema, { ID: kv.lease }));
    assert.equal(ttl.grantedTTL, 60n);
    await unlockKey(r.key);
  });

  test('an unknown lease is refused with etcd message (code UNKNOWN, as etcd\'s Lock service answers), and nothing is written', async () => {
    const s = env.member.server;
    await assert.rejects(lock(s, lockReq('nol', 0x7777n)), etcdError(GrpcCode.Unknown, 'etcdserver: requested lease not found'));
    assert.equal((await keysUnder(env.member, 'nol/')).length, 0);
  });

  test('names are bytes: a binary name and a name that is a prefix of another do not interfere', async () => {
    const s = env.member.server;
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const bin = Buffer.from([0xff, 0x00, 0x80]);
    const a = await lock(s, create(LockRequestSchema, { name: bin, lease: l1 }));
    assert.deepEqual(Buffer.from(a.key), Buffer.concat([bin, b('/'), b(l1.toString(16))]));
    // "ab" and "ab/x" are different locks: ab's contenders are ab/<hex>, a different prefix than ab/x/.
    const ab = await lock(s, lockReq('ab', l1));
    const abx = await within(lock(s, lockReq('ab/x', l2)), 2000, 'a lock whose name extends another lock name');
    for (const k of [a.key, ab.key, abx.key]) await unlockKey(k);
  });
});
