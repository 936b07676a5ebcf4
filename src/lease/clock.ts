// Time as the lessor sees it: milliseconds on a monotonic scale, injected so that tests and the
// simulator drive expiry without sleeping. Only differences between readings matter (leases
// never persist an absolute time — etcd persists remaining TTLs for the same reason: wall
// clocks of different members, or of one member across a restart, do not agree).

export interface Clock {
  now(): number;
}

/** The process's monotonic clock (performance.now): immune to wall-clock steps. */
export const monotonicClock: Clock = { now: () => performance.now() };

/** A clock the caller moves by hand (tests, simulation, benchmarks). */
export class ManualClock implements Clock {
  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`clock can only move forward, got ${ms}`);
    this.t += ms;
  }
}
