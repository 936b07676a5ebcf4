// Property test: random sequences of grants, puts, deletes, renews, clock moves, expiry and
// checkpoint ticks, revokes, leadership changes and restarts, run against the real lessor (over
// a real backend and mvcc store) and against a plain model of etcd's lease semantics. After
// every step the two must agree on which leases exist, their keys, and all leader-side timing.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { LeaseExistsError, LeaseNotFoundError, NotPrimaryError } from '../../src/lease/errors.js';
import { b, LeaseEnv, s } from './helpers.js';

const MIN_TTL = 2;
const INTERVAL_MS = 10_000;

interface ModelLease {
  ttl: number;
  remaining: number;
  expiry: number;
}

class Model {
  leases = new Map<bigint, ModelLease>();
  keys = new Map<string, bigint>();
  primary = false;

  startTtl(l: ModelLease): number {
    return l.remaining > 0 ? l.remaining : l.ttl;
  }

  keysOf(id: bigint): string[] {
    return [...this.keys].filter(([, l]) => l === id).map(([k]) => k).sort();
  }
}

type Op =
  | { op: 'grant'; id: bigint; ttl: number }
  | { op: 'put'; key: string; lease: bigint }
  | { op: 'del'; key: string; end: string | null }
  | { op: 'revoke'; id: bigint }
  | { op: 'renew'; id: bigint }
  | { op: 'advance'; ms: number }
  | { op: 'expireTick' }
  | { op: 'checkpointTick' }
  | { op: 'promote'; extend: number }
  | { op: 'demote' }
  | { op: 'restart' }
  | { op: 'failedBatch'; inner: Inner };

/** Apply-path work inside a batch that then fails: none of it may survive, on disk or in memory. */
type Inner =
  | { op: 'grant'; id: bigint; ttl: number }
  | { op: 'put'; key: string; lease: bigint }
  | { op: 'del'; key: string; end: string | null }
  | { op: 'revoke'; id: bigint }
  | { op: 'checkpoint'; id: bigint; remaining: number };

const id = fc.bigInt({ min: 1n, max: 5n });
const leaseOrNone = fc.bigInt({ min: 0n, max: 5n });
const key = fc.constantFrom('a', 'b', 'c', 'd');
/** A DeleteRange's range_end: none (one key), a bound, or "\0" (every key from `key` on). */
const end = fc.option(fc.constantFrom('b', 'c', 'e', '\0'));
const innerArb: fc.Arbitrary<Inner> = fc.oneof(
  fc.record({ op: fc.constant('grant' as const), id, ttl: fc.integer({ min: -3, max: 40 }) }),
  fc.record({ op: fc.constant('put' as const), key, lease: leaseOrNone }),
  fc.record({ op: fc.constant('del' as const), key, end }),
  fc.record({ op: fc.constant('revoke' as const), id }),
  fc.record({ op: fc.constant('checkpoint' as const), id, remaining: fc.integer({ min: 0, max: 40 }) }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('failedBatch' as const), inner: innerArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('grant' as const), id, ttl: fc.integer({ min: -3, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), key, lease: leaseOrNone }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('del' as const), key, end }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revoke' as const), id }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('renew' as const), id }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15_000 }) }) },
  { weight: 3, arbitrary: fc.constant({ op: 'expireTick' as const }) },
  { weight: 3, arbitrary: fc.constant({ op: 'checkpointTick' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('promote' as const), extend: fc.constantFrom(0, 1000) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'demote' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
);

async function step(env: LeaseEnv, m: Model, o: Op): Promise<void> {
  const now = env.clock.now();
  const lessor = env.lessor;
  switch (o.op) {
    case 'grant': {
      if (m.leases.has(o.id)) {
        assert.throws(() => env.grant(o.id, o.ttl), LeaseExistsError);
        return;
      }
      const ttl = Math.max(o.ttl, MIN_TTL);
      assert.equal(env.grant(o.id, o.ttl), ttl);
      m.leases.set(o.id, { ttl, remaining: 0, expiry: m.primary ? now + ttl * 1000 : Infinity });
      return;
    }
    case 'put':
      if (o.lease !== 0n && !m.leases.has(o.lease)) {
        assert.throws(() => env.put(o.key, o.lease), LeaseNotFoundError);
        return;
      }
      env.put(o.key, o.lease);
      if (o.lease === 0n) m.keys.delete(o.key);
      else m.keys.set(o.key, o.lease);
      return;
    case 'del':
      env.del(o.key, o.end ?? undefined);
      for (const k of [...m.keys.keys()]) if (inSpan(k, o.key, o.end)) m.keys.delete(k);
      return;
    case 'revoke':
      if (!m.leases.has(o.id)) {
        assert.throws(() => env.revoke(o.id), LeaseNotFoundError);
        return;
      }
      assert.deepEqual(env.revoke(o.id), m.keysOf(o.id));
      revokeInModel(m, o.id);
      return;
    case 'renew': {
      const l = m.leases.get(o.id);
      if (!m.primary) assert.throws(() => lessor.renew(o.id), NotPrimaryError);
      else if (l === undefined || l.expiry <= now) assert.throws(() => lessor.renew(o.id), LeaseNotFoundError);
      else {
        assert.equal(lessor.renew(o.id), l.ttl);
        l.expiry = now + l.ttl * 1000;
      }
      return;
    }
    case 'advance':
      env.clock.advance(o.ms);
      return;
    case 'expireTick': {
      // Every expired lease, soonest first (the rate budget is out of reach here); the server
      // proposes their revokes, which we apply at once.
      const want = [...m.leases]
        .filter(([, l]) => l.expiry <= now)
        .sort(([ia, a], [ib, b]) => a.expiry - b.expiry || (ia < ib ? -1 : 1))
        .map(([i]) => i);
      const got = lessor.expired();
      assert.deepEqual(got, want);
      for (const i of got) {
        assert.deepEqual(env.revoke(i), m.keysOf(i));
        revokeInModel(m, i);
      }
      return;
    }
    case 'checkpointTick': {
      const due = lessor.checkpointsDue();
      if (!m.primary) assert.deepEqual(due, []);
      for (const c of due) {
        const l = m.leases.get(c.id);
        assert.ok(l !== undefined, 'checkpoint of a live lease');
        if (c.remainingTtl > 0) {
          assert.ok(l.expiry > now);
          assert.equal(c.remainingTtl, Math.ceil((l.expiry - now) / 1000));
          assert.ok(c.remainingTtl < l.ttl);
        }
        env.checkpoint(c.id, c.remainingTtl);
        l.remaining = c.remainingTtl;
      }
      return;
    }
    case 'promote':
      lessor.promote(o.extend);
      m.primary = true;
      for (const l of m.leases.values()) l.expiry = now + o.extend + m.startTtl(l) * 1000;
      return;
    case 'demote':
      lessor.demote();
      m.primary = false;
      for (const l of m.leases.values()) l.expiry = Infinity;
      return;
    case 'failedBatch': {
      const abort = new Error('abort');
      assert.throws(
        () =>
          env.backend.batch(() => {
            try {
              applyInner(env, o.inner);
            } catch {
              // the inner op's own error (lease not found, ...) fails the batch just the same
            }
            throw abort;
          }),
        (e) => e === abort,
      );
      return;
    }
    case 'restart':
      await env.restart();
      m.primary = false;
      for (const l of m.leases.values()) l.expiry = Infinity;
      return;
  }
}

function applyInner(env: LeaseEnv, o: Inner): void {
  switch (o.op) {
    case 'grant':
      env.grant(o.id, o.ttl);
      return;
    case 'put':
      env.put(o.key, o.lease);
      return;
    case 'del':
      env.del(o.key, o.end ?? undefined);
      return;
    case 'revoke':
      env.revoke(o.id);
      return;
    case 'checkpoint':
      env.checkpoint(o.id, o.remaining);
      return;
  }
}

function inSpan(k: string, key: string, end: string | null): boolean {
  if (end === null) return k === key;
  return k >= key && (end === '\0' || k < end);
}

function revokeInModel(m: Model, i: bigint): void {
  m.leases.delete(i);
  for (const [k, l] of [...m.keys]) if (l === i) m.keys.delete(k);
}

function check(env: LeaseEnv, m: Model): void {
  const lessor = env.lessor;
  const now = env.clock.now();
  assert.equal(lessor.isPrimary, m.primary);
  assert.deepEqual(
    lessor.leases(),
    [...m.leases].sort(([ia, a], [ib, b]) => (a.expiry === b.expiry ? (ia < ib ? -1 : 1) : a.expiry < b.expiry ? -1 : 1)).map(([i]) => i),
  );
  for (const [i, l] of m.leases) {
    const info = lessor.lookup(i);
    assert.ok(info);
    assert.equal(info.ttl, l.ttl);
    assert.equal(info.remainingTtl, l.remaining);
    assert.equal(info.expiry, l.expiry);
    if (m.primary) {
      const t = lessor.timeToLive(i, true);
      if (l.expiry <= now) assert.deepEqual(t, { id: i, ttl: -1, grantedTtl: 0, keys: [] });
      else {
        assert.equal(t.ttl, Math.trunc((l.expiry - now) / 1000));
        assert.equal(t.grantedTtl, l.ttl);
        assert.deepEqual(t.keys.map(s), m.keysOf(i));
      }
    }
  }
  assert.equal(lessor.size, m.leases.size);
  // The store and the lessor agree on every key's lease.
  for (const kv of env.store.range(b('\0'), b('\0')).kvs) {
    const k = s(kv.key);
    assert.equal(kv.lease, m.keys.get(k) ?? 0n, `store lease of ${k}`);
    assert.equal(lessor.leaseOf(kv.key), kv.lease, `lessor lease of ${k}`);
  }
  for (const k of ['a', 'b', 'c', 'd']) assert.equal(lessor.leaseOf(b(k)), m.keys.get(k) ?? 0n);
}

it('the lessor agrees with a model of etcd lease semantics over random histories', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }), async (ops) => {
      const env = new LeaseEnv({ minTtl: MIN_TTL, checkpointIntervalMs: INTERVAL_MS, revokeRatePerSec: 1e9 });
      try {
        const m = new Model();
        for (const o of ops) {
          await step(env, m, o);
          check(env, m);
        }
      } finally {
        await env.cleanup();
      }
    }),
    { numRuns: 150 },
  );
});
