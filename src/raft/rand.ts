// The only randomness the core uses (randomized election timeouts) comes through this
// interface, so a simulator can replay a run bit-for-bit from a seed.

export interface RandomSource {
  /** A uniformly distributed integer in [0, n). n must be a positive safe integer. */
  intn(n: number): number;
}

/**
 * A small, fast, seedable PRNG (sfc32: 128-bit state, passes PractRand to many GB). Pure
 * arithmetic, no clock and no global state: the same seed always gives the same sequence.
 */
export class Sfc32 implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Spread a 53-bit seed over the state, then warm up to decorrelate nearby seeds.
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = Math.floor(seed / 0x100000000) >>> 0;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  intn(n: number): number {
    if (!(n > 0)) throw new RangeError(`intn: n must be positive, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }
}
