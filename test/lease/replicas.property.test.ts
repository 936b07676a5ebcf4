// Property test: the apply path is deterministic. Three members apply the same log (grants,
// puts, deletes, revokes, checkpoints proposed by whichever member leads) while leadership moves
// between them and members restart; every member must end with byte-identical lease and key
// buckets and the same lessor state, whatever its own leadership history and clock readings.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { decodeLeaseRow } from '../../src/lease/codec.js';
import { LeaseEnv } from './helpers.js';

type Entry =
  | { op: 'grant'; id: bigint; ttl: number }
  | { op: 'put'; key: string; lease: bigint }
  | { op: 'del'; key: string }
  | { op: 'revoke'; id: bigint }
  | { op: 'checkpoint'; id: bigint; remaining: number };

type Step =
  | { kind: 'propose'; entry: Entry }
  | { kind: 'leaderTick' }
  | { kind: 'advance'; ms: number }
  | { kind: 'elect'; member: number }
  | { kind: 'restart'; member: number };

const id = fc.bigInt({ min: 1n, max: 4n });
const key = fc.constantFrom('a', 'b', 'c');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('propose' as const),
    entry: fc.oneof(
      fc.record({ op: fc.constant('grant' as const), id, ttl: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ op: fc.constant('put' as const), key, lease: fc.bigInt({ min: 0n, max: 4n }) }),
      fc.record({ op: fc.constant('del' as const), key }),
      fc.record({ op: fc.constant('revoke' as const), id }),
      fc.record({ op: fc.constant('checkpoint' as const), id, remaining: fc.integer({ min: 0, max: 30 }) }),
    ),
  }),
  fc.constant({ kind: 'leaderTick' as const }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12_000 }) }),
  fc.record({ kind: fc.constant('elect' as const), member: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('restart' as const), member: fc.integer({ min: 0, max: 2 }) }),
);

/** Applies one committed entry the way the apply loop does; an entry that fails changes nothing. */
function apply(env: LeaseEnv, e: Entry): void {
  try {
    switch (e.op) {
      case 'grant':
        env.grant(e.id, e.ttl);
        return;
      case 'put':
        env.put(e.key, e.lease);
        return;
      case 'del':
        env.del(e.key);
        return;
      case 'revoke':
        env.revoke(e.id);
        return;
      case 'checkpoint':
        env.checkpoint(e.id, e.remaining);
        return;
    }
  } catch (err) {
    if (!(err instanceof Error) || !/lease (not found|already exists)/.test(err.message)) throw err;
  }
}

function state(env: LeaseEnv): unknown {
  const rows = [...env.backend.range('lease')].map((r) => [r.key.toString('hex'), decodeLeaseRow(r.value)]);
  const keys = [...env.backend.range('key')].map((r) => [r.key.toString('hex'), r.value.toString('hex')]);
  const leases = [...env.lessor.leases()].sort((a, b) => (a < b ? -1 : 1)).map((i) => {
    const l = env.lessor.lookup(i)!;
    return [i, l.ttl, l.remainingTtl, l.keyCount];
  });
  const attached = ['a', 'b', 'c'].map((k) => env.lessor.leaseOf(Buffer.from(k)));
  return { rows, keys, leases, attached };
}

it('members applying the same log converge, whoever leads and whenever they restart', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }), async (steps) => {
      const members = [new LeaseEnv({ checkpointIntervalMs: 10_000 }), new LeaseEnv({ checkpointIntervalMs: 10_000 }), new LeaseEnv({ checkpointIntervalMs: 10_000 })];
      let leader = -1;
      const applyAll = (e: Entry): void => members.forEach((m) => apply(m, e));
      try {
        for (const st of steps) {
          switch (st.kind) {
            case 'propose':
              applyAll(st.entry);
              break;
            case 'leaderTick': {
              // What the leader proposes is committed and applied by all.
              if (leader < 0) break;
              const l = members[leader]!.lessor;
              for (const i of l.expired()) applyAll({ op: 'revoke', id: i });
              for (const c of l.checkpointsDue()) applyAll({ op: 'checkpoint', id: c.id, remaining: c.remainingTtl });
              break;
            }
            case 'advance':
              // Members' clocks are independent; only the leader's readings matter.
              members.forEach((m, i) => m.clock.advance(st.ms + i * 7));
              break;
            case 'elect':
              if (leader >= 0) members[leader]!.lessor.demote();
              leader = st.member;
              members[leader]!.lessor.promote(1000);
              break;
            case 'restart':
              await members[st.member]!.restart();
              if (leader === st.member) leader = -1;
              break;
          }
          const want = state(members[0]!);
          for (const m of members.slice(1)) assert.deepEqual(state(m), want);
        }
      } finally {
        for (const m of members) await m.cleanup();
      }
    }),
    { numRuns: 60 },
  );
});
