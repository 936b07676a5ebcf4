// A token bucket on the injected clock. etcd revokes at most leaseRevokeRate (1000) expired
// leases per second by handing out batches of rate/2 every 500 ms from its run loop; our lessor
// has no loop of its own (the server ticks it at whatever period it likes), so the same budget
// is expressed as tokens refilled continuously at `ratePerSec` up to a burst of rate/2.

import type { Clock } from './clock.js';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new RangeError('token bucket needs rate > 0 and burst >= 1');
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Whole tokens available now. */
  available(): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
    }
    return Math.floor(this.tokens);
  }

  take(n: number): void {
    this.tokens -= n;
  }
}
