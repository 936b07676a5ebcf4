// A wait whose history is compacted away before its watcher catches up. The recipes' watchers
// start at the revision of the read that decided to wait; if writes and a compaction land in
// between, the watcher is cancelled with compact_revision — the recipe must then read again
// rather than hang or end. The gap is forced with a server wrapper that writes and compacts right
// after the read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { CompactionRequestSchema, PutRequestSchema } from '../../src/gen/etcdserverpb/rpc_pb.js';
import { CampaignRequestSchema, ProclaimRequestSchema } from '../../src/gen/v3electionpb/v3election_pb.js';
import { LockRequestSchema, UnlockRequestSchema } from '../../src/gen/v3lockpb/v3lock_pb.js';
import { campaign, lock, observe, proclaim, unlock, type RecipeServer } from '../../src/concurrency/index.js';
import type { EtcdServer } from '../../src/server/etcd-server.js';
import { b, eventually, grant, isSettled, startEnv, str, within, type Env } from './helpers.js';

/** Runs `gap` once, right after the first read that matches `when`, before the recipe sees it. */
function withGapAfterRead(s: EtcdServer, when: 'readOnlyTxn' | 'range', gap: () => Promise<void>): RecipeServer & { gaps: number } {
  const w = {
    gaps: 0,
    range: async (r: Parameters<EtcdServer['range']>[0]) => {
      const out = await s.range(r);
      if (when === 'range' && w.gaps === 0) {
        w.gaps++;
        await gap();
      }
      return out;
    },
    txn: async (r: Parameters<EtcdServer['txn']>[0]) => {
      const out = await s.txn(r);
      if (when === 'readOnlyTxn' && r.compare.length === 0 && w.gaps === 0) {
        w.gaps++;
        await gap();
      }
      return out;
    },
    deleteRange: (r: Parameters<EtcdServer['deleteRange']>[0]) => s.deleteRange(r),
    leaseGrant: (r: Parameters<EtcdServer['leaseGrant']>[0]) => s.leaseGrant(r),
    watchHub: s.watchHub,
    baseHeader: () => s.baseHeader(),
  };
  return w;
}

describe('recipes across a compaction', () => {
  let env: Env;
  before(async () => (env = await startEnv()));
  after(async () => env.stop());

  async function churnAndCompact(): Promise<void> {
    const s = env.member.server;
    await s.put(create(PutRequestSchema, { key: b('churn'), value: b('1') }));
    const p = await s.put(create(PutRequestSchema, { key: b('churn'), value: b('2') }));
    await s.compact(create(CompactionRequestSchema, { revision: p.header!.revision }));
  }

  test('a waiting Lock whose watch start was compacted reads again and still gets the lock in turn', async () => {
    const s = env.member.server;
    const [l1, l2] = [await grant(env.member), await grant(env.member)];
    const held = await lock(s, create(LockRequestSchema, { name: b('cl'), lease: l1 }));
    const w = withGapAfterRead(s, 'readOnlyTxn', churnAndCompact);
    const waiting = lock(w, create(LockRequestSchema, { name: b('cl'), lease: l2 }));
    await eventually(async () => w.gaps === 1, 'the gap to run');
    assert.equal(await isSettled(waiting), false, 'still waiting for the holder after the compaction');
    await unlock(s, create(UnlockRequestSchema, { key: held.key }));
    const got = await within(waiting, 5000, 'the lock after the holder left');
    assert.equal(str(got.key), `cl/${l2.toString(16)}`);
    await unlock(s, create(UnlockRequestSchema, { key: got.key }));
  });

  test('Observe whose follow watch was compacted re-reads the leader and reports the value it missed', async () => {
    const s = env.member.server;
    const lease = await grant(env.member);
    const l = (await campaign(s, create(CampaignRequestSchema, { name: b('co'), lease, value: b('v1') }))).leader!;
    // The gap: the leader proclaims v2, then history up to past it is compacted.
    const w = withGapAfterRead(s, 'range', async () => {
      await proclaim(s, create(ProclaimRequestSchema, { leader: l, value: b('v2') }));
      await churnAndCompact();
    });
    const seen: string[] = [];
    const ac = new AbortController();
    const done = observe(w, b('co'), ac.signal, (r) => seen.push(str(r.kv!.value)));
    await eventually(async () => seen.length === 2, 'the missed proclamation');
    await proclaim(s, create(ProclaimRequestSchema, { leader: l, value: b('v3') }));
    await eventually(async () => seen.length === 3, 'the next proclamation');
    assert.deepEqual(seen, ['v1', 'v2', 'v3']);
    ac.abort();
    await within(done, 2000, 'observe to end');
  });
});
