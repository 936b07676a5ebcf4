// Regression (found by the model property test): a renewed lease whose old deadline still sat
// ahead in the expiry heap must not come out before a lease that expires at the same moment
// with a smaller id — expired() hands leases out in (expiry, id) order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withEnv } from './helpers.js';

test('expired(): a lazily re-timed renewal keeps (expiry, id) order', async () => {
  await withEnv((env) => {
    env.lessor.promote(0);
    env.grant(4n, 0);
    env.clock.advance(1);
    env.grant(1n, 0);
    env.lessor.renew(4n); // now both expire at the same instant
    env.clock.advance(2000);
    assert.deepEqual(env.lessor.expired(), [1n, 4n]);
  });
});
