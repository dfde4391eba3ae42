// Randomness, injected and seeded, so that a failing test prints its seed and replays exactly.
// The generator is xoshiro128** (Blackman and Vigna): small state, fast in 32-bit integer arithmetic,
// good statistical quality. It is not cryptographic and must never be used where that matters.

export interface Random {
  /** The seed this source started from, for printing with a failure. */
  readonly seed: number;
  /** A uniformly distributed float in [0, 1). */
  float(): number;
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** An integer in [min, max], both inclusive. */
  intBetween(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Fills `bytes` with random bytes and returns it. */
  fill(bytes: Uint8Array): Uint8Array;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A new independent source derived from this one (for handing to a component). */
  fork(): Random;
}

function splitMix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class SeededRandom implements Random {
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`SeededRandom: seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    const init = splitMix32(this.seed);
    this.s0 = init();
    this.s1 = init();
    this.s2 = init();
    this.s3 = init();
  }

  private nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  float(): number {
    // 53 random bits, as Math.random gives.
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  int(maxExclusive: number): number {
    if (!(maxExclusive > 0) || !Number.isInteger(maxExclusive)) {
      throw new RangeError(`Random.int: bound must be a positive integer, got ${maxExclusive}`);
    }
    return Math.floor(this.float() * maxExclusive);
  }

  intBetween(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  fill(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.nextUint32() & 0xff;
    return bytes;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick: empty array');
    return items[this.int(items.length)]!;
  }

  fork(): Random {
    return new SeededRandom(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seed from the environment (`REEF_SEED`) when replaying a failure, otherwise from the time. */
export function seedFromEnvironment(): number {
  const fromEnv = process.env['REEF_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') return Number.parseInt(fromEnv, 10) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
