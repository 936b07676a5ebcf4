import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLeaseRow, leaseIdFromKey, leaseKey } from '../../src/lease/codec.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, NotPrimaryError } from '../../src/lease/errors.js';
import { MAX_LEASE_TTL, minLeaseTtl } from '../../src/lease/lessor.js';
import { b, s, withEnv } from './helpers.js';

describe('grant', () => {
  it('applies etcd minimum TTL: 0, 1 and -5 become 2 s by default', () =>
    withEnv((env) => {
      assert.equal(env.grant(1n, 0), 2);
      assert.equal(env.grant(2n, 1), 2);
      assert.equal(env.grant(3n, -5), 2);
      assert.equal(env.grant(4n, 3), 3);
      assert.equal(env.lessor.lookup(3n)?.ttl, 2);
    }));

  it('derives the minimum from election ticks and heartbeat as etcd does', () => {
    assert.equal(minLeaseTtl(10, 100), 2); // 15 ticks × 100 ms = 1.5 s → 2
    assert.equal(minLeaseTtl(5, 100), 1); // floor(7.5) = 7 ticks → 0.7 s → 1
    assert.equal(minLeaseTtl(10, 1000), 15);
    assert.equal(minLeaseTtl(20, 250), 8); // 30 × 250 ms = 7.5 s → 8
  });

  it('honours a configured minimum', () =>
    withEnv(
      (env) => {
        assert.equal(env.grant(1n, 3), 5);
        assert.equal(env.grant(2n, 7), 7);
      },
      { minTtl: 5 },
    ));

  it('refuses a TTL above MaxLeaseTTL, an existing id, and id 0', () =>
    withEnv((env) => {
      assert.throws(() => env.grant(1n, MAX_LEASE_TTL + 1), LeaseTtlTooLargeError);
      assert.throws(() => env.grant(1n, MAX_LEASE_TTL + 1), { message: 'too large lease TTL' });
      assert.equal(env.grant(1n, MAX_LEASE_TTL), MAX_LEASE_TTL);
      assert.throws(() => env.grant(1n, 10), LeaseExistsError);
      assert.throws(() => env.grant(1n, 10), { message: 'lease already exists' });
      assert.throws(() => env.grant(0n, 10), LeaseNotFoundError);
      assert.equal(env.lessor.size, 1);
    }));

  it("persists etcd's row: 8-byte big-endian id key, leasepb.Lease value", () =>
    withEnv((env) => {
      env.grant(0x0102030405060708n, 1);
      env.grant(-2n, 30);
      const rows = [...env.backend.range('lease')];
      assert.equal(rows.length, 2);
      assert.deepEqual([...rows[0]!.key], [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(decodeLeaseRow(rows[0]!.value), { id: 0x0102030405060708n, ttl: 2, remainingTtl: 0 });
      // A negative client-chosen id is stored as its two's complement, as etcd's int64ToBytes.
      assert.deepEqual([...rows[1]!.key], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]);
      assert.equal(leaseIdFromKey(rows[1]!.key), -2n);
      assert.deepEqual(decodeLeaseRow(rows[1]!.value), { id: -2n, ttl: 30, remainingTtl: 0 });
      // Wire bytes as gogo/protobuf writes them: ID=1 (varint), TTL=2, no RemainingTTL when 0.
      assert.deepEqual([...rows[0]!.value], [0x08, 0x88, 0x8e, 0x98, 0xa8, 0xc0, 0xe0, 0x80, 0x81, 0x01, 0x10, 0x02]);
      assert.deepEqual([...leaseKey(-2n)], [...rows[1]!.key]);
    }));
});

describe('revoke, attach, detach', () => {
  it('revoke returns the attached keys in byte order and they go in one revision', () =>
    withEnv((env) => {
      env.grant(7n, 60);
      env.grant(8n, 60);
      env.put('zeta', 7n);
      env.put('alpha', 7n);
      env.put('\xffhigh', 7n);
      env.put('other', 8n);
      env.put('plain', 0n);
      const revBefore = env.store.rev;
      assert.deepEqual(env.revoke(7n), ['alpha', 'zeta', '\xffhigh']);
      assert.equal(env.store.rev, revBefore + 1);
      assert.deepEqual(env.keys(), ['other', 'plain']);
      assert.equal(env.lessor.lookup(7n), undefined);
      assert.equal(env.backend.get('lease', leaseKey(7n)), undefined);
      assert.equal(env.lessor.leaseOf(b('alpha')), 0n);
      assert.throws(() => env.revoke(7n), { message: 'lease not found' });
      assert.throws(() => env.put('x', 7n), LeaseNotFoundError);
      assert.deepEqual(env.keys(), ['other', 'plain'], 'a put on a missing lease writes nothing');
    }));

  it('a put that changes or drops the lease, and a delete, detach the key', () =>
    withEnv((env) => {
      env.grant(1n, 60);
      env.grant(2n, 60);
      env.put('a', 1n);
      env.put('b', 1n);
      env.put('c', 1n);
      env.put('a', 2n);
      env.put('b', 0n);
      env.del('c');
      assert.equal(env.lessor.leaseOf(b('a')), 2n);
      assert.equal(env.lessor.leaseOf(b('b')), 0n);
      assert.equal(env.lessor.lookup(1n)?.keyCount, 0);
      assert.deepEqual(env.revoke(1n), []);
      assert.deepEqual(env.revoke(2n), ['a']);
      assert.deepEqual(env.keys(), ['b']);
    }));

  it('keyPut moves, keeps or drops a key’s lease and refuses an unknown one without changing anything', () =>
    withEnv((env) => {
      env.grant(1n, 60);
      env.grant(2n, 60);
      env.backend.batch(() => {
        assert.equal(env.lessor.keyPut(b('k'), 1n), 0n);
        assert.equal(env.lessor.keyPut(b('k'), 1n), 1n);
        assert.equal(env.lessor.keyPut(b('k'), 2n), 1n);
        assert.throws(() => env.lessor.keyPut(b('k'), 3n), LeaseNotFoundError);
      });
      assert.equal(env.lessor.leaseOf(b('k')), 2n);
      assert.equal(env.lessor.lookup(1n)?.keyCount, 0);
      env.backend.batch(() => assert.equal(env.lessor.keyPut(b('k'), 0n), 2n));
      assert.equal(env.lessor.leaseOf(b('k')), 0n);
      assert.equal(env.lessor.lookup(2n)?.keyCount, 0);
    }));

  it('keysDeleted follows etcd range rules: one key, [key, end), and from key on', () =>
    withEnv((env) => {
      env.grant(1n, 60);
      for (const k of ['a', 'b', 'ba', 'c', 'd', '\xff']) env.put(k, 1n);
      env.put('bb', 0n);
      env.del('a');
      assert.equal(env.lessor.leaseOf(b('a')), 0n);
      env.del('b', 'c'); // b, ba (bb has no lease)
      assert.equal(env.lessor.lookup(1n)?.keyCount, 3);
      env.backend.batch(() => assert.equal(env.lessor.keysDeleted(b('c'), b('\0')), 3));
      assert.equal(env.lessor.lookup(1n)?.keyCount, 0);
      env.backend.batch(() => assert.equal(env.lessor.keysDeleted(b('zzz')), 0));
    }));

  it('attach moves a key from another lease; detach of nothing is false, not an error', () =>
    withEnv((env) => {
      env.grant(1n, 60);
      env.grant(2n, 60);
      env.backend.batch(() => {
        env.lessor.attach(1n, b('k'));
        env.lessor.attach(2n, b('k'));
      });
      assert.equal(env.lessor.lookup(1n)?.keyCount, 0);
      assert.equal(env.lessor.lookup(2n)?.keyCount, 1);
      assert.equal(env.lessor.detach(1n, b('k')), false);
      assert.equal(env.lessor.detach(9n, b('k')), false);
      assert.equal(env.lessor.detach(2n, b('k')), true);
      assert.equal(env.lessor.leaseOf(b('k')), 0n);
    }));
});

describe('leader side', () => {
  it('a follower times nothing: no expiry, renew and timeToLive are not primary', () =>
    withEnv((env) => {
      env.grant(1n, 5);
      assert.equal(env.lessor.isPrimary, false);
      assert.equal(env.lessor.lookup(1n)?.expiry, Infinity);
      env.clock.advance(3_600_000);
      assert.deepEqual(env.lessor.expired(), []);
      assert.throws(() => env.lessor.renew(1n), NotPrimaryError);
      assert.throws(() => env.lessor.timeToLive(1n, false), NotPrimaryError);
      assert.deepEqual(env.lessor.checkpointsDue(), []);
    }));

  it('promote gives every lease its TTL plus the extension from now; demote makes them forever', () =>
    withEnv((env) => {
      env.grant(1n, 5);
      env.clock.advance(60_000); // time spent as a follower does not count
      env.lessor.promote(1000);
      const t0 = env.clock.now();
      assert.equal(env.lessor.lookup(1n)?.expiry, t0 + 6000);
      env.clock.advance(5999);
      assert.deepEqual(env.lessor.expired(), []);
      env.clock.advance(1);
      assert.deepEqual(env.lessor.expired(), [1n]);
      env.lessor.demote();
      assert.equal(env.lessor.lookup(1n)?.expiry, Infinity);
      env.clock.advance(10_000);
      assert.deepEqual(env.lessor.expired(), []);
      // A new term: the lease gets a full TTL again (keepalives are not in the log).
      env.lessor.promote(1000);
      assert.equal(env.lessor.lookup(1n)?.expiry, env.clock.now() + 6000);
    }));

  it('a primary times a lease from its grant, without extension', () =>
    withEnv((env) => {
      env.lessor.promote(1000);
      env.grant(1n, 10);
      env.clock.advance(9999);
      assert.deepEqual(env.lessor.expired(), []);
      env.clock.advance(1);
      assert.deepEqual(env.lessor.expired(), [1n]);
    }));

  it('renew restarts the full TTL; a missing or expired lease is not found', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.grant(1n, 10);
      env.clock.advance(8000);
      assert.equal(env.lessor.renew(1n), 10);
      env.clock.advance(9999);
      assert.deepEqual(env.lessor.expired(), []);
      assert.equal(env.lessor.timeToLive(1n, false).ttl, 0);
      env.clock.advance(1);
      assert.throws(() => env.lessor.renew(1n), LeaseNotFoundError);
      assert.throws(() => env.lessor.renew(2n), { message: 'lease not found' });
      assert.deepEqual(env.lessor.expired(), [1n]);
      env.revoke(1n);
      assert.throws(() => env.lessor.renew(1n), LeaseNotFoundError);
    }));

  it('a renew just after promote moves the expiry earlier (the extension is gone), and expiry follows', () =>
    withEnv((env) => {
      env.grant(1n, 10);
      env.lessor.promote(1000); // expires at +11 s
      env.clock.advance(200);
      env.lessor.renew(1n); // now at +10.2 s
      env.clock.advance(9999);
      assert.deepEqual(env.lessor.expired(), []);
      env.clock.advance(1);
      assert.deepEqual(env.lessor.expired(), [1n]);
    }));

  it('expired() hands out leases earliest first, and again only after the retry interval', () =>
    withEnv(
      (env) => {
        env.lessor.promote(0);
        env.grant(30n, 30);
        env.grant(10n, 10);
        env.grant(20n, 20);
        env.grant(11n, 10);
        env.clock.advance(15_000);
        assert.deepEqual(env.lessor.expired(), [10n, 11n]);
        assert.deepEqual(env.lessor.expired(), [], 'revokes are in flight');
        env.clock.advance(5000); // 20 s
        assert.deepEqual(env.lessor.expired(), [20n]);
        env.revoke(10n);
        env.clock.advance(2000); // 22 s: 11's revoke was lost, its retry (15 s + 7 s) is due
        assert.deepEqual(env.lessor.expired(), [11n]);
        env.clock.advance(8000); // 30 s: retries of 20 (27 s) and 11 (29 s), then 30 (30 s)
        assert.deepEqual(env.lessor.expired(1), [20n], 'limit');
        assert.deepEqual(env.lessor.expired(), [11n, 30n]);
      },
      { expiredRetryMs: 7000 },
    ));

  it('expired() is rate-limited like etcd: 500 at once, then 1000/s', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.backend.batch(() => {
        for (let i = 1; i <= 1200; i++) env.lessor.grant(BigInt(i), 5);
      });
      env.clock.advance(5000);
      const first = env.lessor.expired();
      assert.equal(first.length, 500);
      assert.deepEqual(first.slice(0, 3), [1n, 2n, 3n], 'equal expiries go in id order');
      assert.equal(env.lessor.expired().length, 0);
      env.clock.advance(100);
      assert.equal(env.lessor.expired().length, 100);
      env.clock.advance(10_000); // the budget refills only up to a burst of 500
      assert.equal(env.lessor.expired().length, 500);
      env.clock.advance(1000);
      assert.equal(env.lessor.expired().length, 100, 'what was left');
    }, { expiredRetryMs: 3_600_000 }));

  it('promote spreads a pile-up of expiries beyond 3/4 of the revoke rate per second', () =>
    withEnv(
      (env) => {
        for (let i = 1; i <= 8; i++) env.grant(BigInt(i), 10);
        env.lessor.promote(1000);
        const t0 = env.clock.now();
        const delays = env.lessor.leases().map((id) => env.lessor.lookup(id)!.expiry - t0 - 11_000);
        // target 3 per second: the first 3 keep their expiry, the rest are pushed by
        // 1000 × n/3 ms (etcd's rateDelay), as one pile: 4/3 s, 5/3 s, ...
        assert.deepEqual(
          delays.map((d) => Math.round(d)),
          [0, 0, 0, 1333, 1667, 2000, 2333, 2667],
        );
        assert.deepEqual(env.lessor.leases(), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
      },
      { revokeRatePerSec: 4 },
    ));

  it('timeToLive truncates seconds as etcd, lists keys in byte order, and says -1 when gone', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.grant(5n, 10);
      env.put('b', 5n);
      env.put('a', 5n);
      assert.deepEqual(env.lessor.timeToLive(5n, false), { id: 5n, ttl: 10, grantedTtl: 10, keys: [] });
      env.clock.advance(1);
      const t = env.lessor.timeToLive(5n, true);
      assert.equal(t.ttl, 9);
      assert.equal(t.grantedTtl, 10);
      assert.deepEqual(t.keys.map(s), ['a', 'b']);
      env.clock.advance(9998); // 1 ms left
      assert.equal(env.lessor.timeToLive(5n, false).ttl, 0);
      env.clock.advance(1); // expired, revoke not applied yet
      assert.deepEqual(env.lessor.timeToLive(5n, true), { id: 5n, ttl: -1, grantedTtl: 0, keys: [] });
      assert.deepEqual(env.lessor.timeToLive(99n, true), { id: 99n, ttl: -1, grantedTtl: 0, keys: [] });
    }));

  it('leases() lists by expiry on the leader, by id on a follower', () =>
    withEnv((env) => {
      env.grant(3n, 30);
      env.grant(1n, 50);
      env.grant(2n, 10);
      assert.deepEqual(env.lessor.leases(), [1n, 2n, 3n]);
      env.lessor.promote(0);
      assert.deepEqual(env.lessor.leases(), [2n, 3n, 1n]);
      env.clock.advance(5000);
      env.lessor.renew(2n); // now expires at 15 s: still first
      assert.deepEqual(env.lessor.leases(), [2n, 3n, 1n]);
      env.clock.advance(9000);
      env.lessor.renew(2n); // 24 s
      env.clock.advance(8000);
      env.lessor.renew(2n); // 32 s: after 3 (30 s)
      assert.deepEqual(env.lessor.leases(), [3n, 2n, 1n]);
    }));

  it('reports grants (with TTL), revokes and renews to the metrics sink', async () => {
    const seen: string[] = [];
    const metrics = { granted: (ttl: number) => seen.push(`granted ${ttl}`), revoked: () => seen.push('revoked'), renewed: () => seen.push('renewed') };
    await withEnv(
      (env) => {
        env.lessor.promote(0);
        env.grant(1n, 0);
        assert.throws(() => env.grant(1n, 5));
        env.lessor.renew(1n);
        assert.throws(() => env.lessor.renew(2n));
        env.revoke(1n);
      },
      { metrics },
    );
    assert.deepEqual(seen, ['granted 2', 'renewed', 'revoked']);
  });

  it('freshId draws positive ids not in use from the injected source', () =>
    withEnv((env) => {
      env.grant(5n, 10);
      const draws = [0n, 1n << 63n, (1n << 63n) | 5n, 0xffff_ffff_ffff_ffffn];
      const random = (): bigint => draws.shift()!;
      // 0 and 2^63 mask to 0, 2^63|5 masks to 5 (in use), all-ones masks to 2^63-1.
      assert.equal(env.lessor.freshId(random), (1n << 63n) - 1n);
      const id = env.lessor.freshId();
      assert.ok(id > 0n && id < 1n << 63n);
      assert.throws(() => env.lessor.freshId(() => 5n), /random source/);
    }));
});

describe('persistence', () => {
  it('restores leases and reattaches keys after a restart; restart is non-primary', () =>
    withEnv(async (env) => {
      env.grant(1n, 60);
      env.grant(2n, 3);
      env.put('a', 1n);
      env.put('b', 1n);
      env.put('c', 2n);
      env.put('c', 1n); // moved
      env.put('d', 2n);
      env.del('d');
      await env.restart();
      assert.equal(env.lessor.isPrimary, false);
      assert.deepEqual(env.lessor.leases(), [1n, 2n]);
      assert.equal(env.lessor.lookup(2n)?.ttl, 3);
      assert.equal(env.lessor.leaseOf(b('c')), 1n);
      assert.equal(env.lessor.lookup(2n)?.keyCount, 0);
      assert.deepEqual(env.revoke(1n), ['a', 'b', 'c']);
      assert.deepEqual(env.keys(), []);
    }));

  it('a restart applies a raised minimum TTL to stored leases', () =>
    withEnv(async (env) => {
      env.grant(1n, 2);
      env.grant(2n, 9);
      await env.restart({ minTtl: 4 });
      assert.equal(env.lessor.lookup(1n)?.ttl, 4);
      assert.equal(env.lessor.lookup(2n)?.ttl, 9);
    }));

  it('checkpoints the remaining TTL, so a restart does not extend a long lease', () =>
    withEnv(async (env) => {
      env.lessor.promote(1000);
      env.grant(1n, 600);
      env.grant(2n, 60); // not longer than the interval: never checkpointed
      env.clock.advance(299_999);
      assert.deepEqual(env.lessor.checkpointsDue(), []);
      env.clock.advance(1);
      const due = env.lessor.checkpointsDue();
      assert.deepEqual(due, [{ id: 1n, remainingTtl: 300 }]);
      for (const c of due) env.checkpoint(c.id, c.remainingTtl);
      assert.equal(decodeLeaseRow(env.backend.get('lease', leaseKey(1n))!).remainingTtl, 300);
      await env.restart();
      env.lessor.promote(1000);
      assert.equal(env.lessor.timeToLive(1n, false).ttl, 301, 'remaining 300 s + 1 s election extension');
      assert.equal(env.lessor.lookup(1n)?.ttl, 600);
      env.clock.advance(300_999);
      assert.deepEqual(env.lessor.expired(), [2n], 'the 60 s lease');
      env.clock.advance(1);
      assert.deepEqual(env.lessor.expired(), [1n]);
    }));

  it('a leader change starts each lease from its checkpointed remainder on the new leader', async () => {
    const { LeaseEnv } = await import('./helpers.js');
    const a = new LeaseEnv();
    const b2 = new LeaseEnv();
    try {
      const both = (fn: (e: InstanceType<typeof LeaseEnv>) => void): void => [a, b2].forEach(fn);
      a.lessor.promote(1000);
      both((e) => e.grant(1n, 600));
      both((e) => e.clock.advance(300_000));
      const due = a.lessor.checkpointsDue();
      assert.deepEqual(due, [{ id: 1n, remainingTtl: 300 }], 'granted while leading: no extension');
      for (const c of due) both((e) => e.checkpoint(c.id, c.remainingTtl));
      // a dies; b wins the election.
      b2.clock.advance(2000);
      b2.lessor.promote(1000);
      assert.equal(b2.lessor.timeToLive(1n, false).ttl, 301, 'the remainder plus the election timeout, not 600 s');
      b2.clock.advance(300_999);
      assert.deepEqual(b2.lessor.expired(), []);
      b2.clock.advance(1);
      assert.deepEqual(b2.lessor.expired(), [1n]);
    } finally {
      await a.cleanup();
      await b2.cleanup();
    }
  });

  it('without a checkpoint a restart gives the full TTL (the case checkpointing bounds)', () =>
    withEnv(async (env) => {
      env.lessor.promote(1000);
      env.grant(1n, 600);
      env.clock.advance(300_000);
      await env.restart();
      env.lessor.promote(1000);
      assert.equal(env.lessor.timeToLive(1n, false).ttl, 601);
    }));

  it('a renew after a checkpoint proposes its reset, so a restart does not cut the lease short', () =>
    withEnv(async (env) => {
      env.lessor.promote(0);
      env.grant(1n, 600);
      env.clock.advance(300_000);
      for (const c of env.lessor.checkpointsDue()) env.checkpoint(c.id, c.remainingTtl);
      env.clock.advance(10_000);
      env.lessor.renew(1n);
      assert.equal(env.lessor.timeToLive(1n, false).ttl, 600);
      const resets = env.lessor.checkpointsDue();
      assert.deepEqual(resets, [{ id: 1n, remainingTtl: 0 }]);
      assert.deepEqual(env.lessor.checkpointsDue(), [], 'proposed once');
      for (const c of resets) env.checkpoint(c.id, c.remainingTtl);
      await env.restart();
      env.lessor.promote(0);
      assert.equal(env.lessor.timeToLive(1n, false).ttl, 600);
    }));

  it('a checkpoint overtaken by a renew is reset when it applies', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.grant(1n, 600);
      env.clock.advance(300_000);
      const due = env.lessor.checkpointsDue();
      assert.deepEqual(due, [{ id: 1n, remainingTtl: 300 }]);
      env.lessor.renew(1n); // before the checkpoint entry commits
      for (const c of due) env.checkpoint(c.id, c.remainingTtl);
      assert.deepEqual(env.lessor.checkpointsDue(), [{ id: 1n, remainingTtl: 0 }]);
    }));

  it('a lease that keeps being renewed is checked every interval but needs no checkpoint', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.grant(1n, 900);
      for (let i = 0; i < 3; i++) {
        env.clock.advance(300_000);
        env.lessor.renew(1n);
        assert.deepEqual(env.lessor.checkpointsDue(), []);
      }
      env.clock.advance(300_000);
      assert.deepEqual(env.lessor.checkpointsDue(), [{ id: 1n, remainingTtl: 600 }]);
    }));

  it('checkpointing can be switched off (etcd 3.4 default)', () =>
    withEnv(
      (env) => {
        env.lessor.promote(0);
        env.grant(1n, 600);
        env.clock.advance(600_000);
        assert.deepEqual(env.lessor.checkpointsDue(), []);
      },
      { checkpointing: false },
    ));

  it('a rolled-back batch leaves memory as the backend is', () =>
    withEnv((env) => {
      env.lessor.promote(0);
      env.grant(1n, 10);
      env.put('k', 1n);
      const boom = new Error('boom');
      assert.throws(
        () =>
          env.backend.batch(() => {
            env.lessor.grant(2n, 10);
            env.lessor.revoke(1n);
            throw boom;
          }),
        boom,
      );
      assert.equal(env.lessor.lookup(2n), undefined);
      assert.equal(env.lessor.leaseOf(b('k')), 1n);
      assert.equal(env.lessor.lookup(1n)?.keyCount, 1);
      // Lease 1 had never left memory's timing before the batch; it keeps it.
      env.clock.advance(10_000);
      assert.deepEqual(env.lessor.expired(), [1n]);
      assert.deepEqual(env.revoke(1n), ['k']);
    }));
});
