// Proves the hash is MurmurHash3 (its published vectors) and spreads structured keys, that a filter never gives a false negative, that
// its false-positive rate at 10 bits per key is near 1% (measured on seeded random keys that were not
// added, with a bound loose enough to be stable and tight enough to catch a broken probe sequence),
// that fewer bits per key give more false positives, and that filters built from hashes equal filters
// built from keys.
import t from 'tap';
import { BloomFilterPolicy, bloomHash, murmurHash3 } from '../../../storage/lsm/bloom-filter.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';
import { putFixed32 } from '../../../storage/lsm/coding.js';

t.test('the hash is MurmurHash3_x86_32: the published test vectors', async (t) => {
  t.equal(murmurHash3(new Uint8Array(0), 0), 0);
  t.equal(murmurHash3(new Uint8Array(0), 1), 0x514e28b7);
  t.equal(murmurHash3(new Uint8Array(0), 0xffffffff), 0x81f16f39);
  t.equal(murmurHash3(Uint8Array.of(0, 0, 0, 0), 0), 0x2362f9de);
  t.equal(murmurHash3(Uint8Array.of(0xff, 0xff, 0xff, 0xff), 0), 0x76293b50);
  t.equal(murmurHash3(Uint8Array.of(0x21, 0x43, 0x65, 0x87), 0), 0xf55b516b);
  t.equal(murmurHash3(Uint8Array.of(0x21, 0x43, 0x65, 0x87), 0x5082edee), 0x2362f9de);
  t.equal(murmurHash3(Uint8Array.of(0x21, 0x43, 0x65), 0), 0x7e4a8634);
  t.equal(murmurHash3(new TextEncoder().encode('R'), 0), 0x79b365c1);
  t.equal(bloomHash(Uint8Array.of(1, 2, 3)), murmurHash3(Uint8Array.of(1, 2, 3), 0xbc9f1d34));
});

t.test('decimal-string keys do not collide (LevelDB’s hash collided on 7–10% of them)', async (t) => {
  const seen = new Set<number>();
  let collisions = 0;
  for (let i = 0; i < 200_000; i++) {
    const hash = bloomHash(new TextEncoder().encode(`user${String(12_345_678 + i).padStart(12, '0')}`));
    if (seen.has(hash)) collisions++;
    else seen.add(hash);
  }
  // Random 32-bit hashes of 2·10^5 keys collide about 5 times.
  t.ok(collisions < 30, `${collisions} collisions`);
});

function keyOf(i: number): Uint8Array {
  const key = new Uint8Array(4);
  putFixed32(key, 0, i);
  return key;
}

t.test('an empty filter matches nothing; a small one matches its keys only', async (t) => {
  const policy = new BloomFilterPolicy(10);
  const empty = policy.createFilter([]);
  t.equal(empty.length, 9, '64 bits and the probe-count byte');
  t.notOk(policy.keyMayMatch(new TextEncoder().encode('hello'), empty));
  const filter = policy.createFilter([new TextEncoder().encode('hello'), new TextEncoder().encode('world')]);
  t.ok(policy.keyMayMatch(new TextEncoder().encode('hello'), filter));
  t.ok(policy.keyMayMatch(new TextEncoder().encode('world'), filter));
  t.notOk(policy.keyMayMatch(new TextEncoder().encode('x'), filter));
  t.notOk(policy.keyMayMatch(new TextEncoder().encode('foo'), filter));
  t.notOk(policy.keyMayMatch(new TextEncoder().encode('hello'), new Uint8Array(1)), 'a filter too short to hold anything');
  const unknownFormat = Uint8Array.from(filter);
  unknownFormat[unknownFormat.length - 1] = 31;
  t.ok(policy.keyMayMatch(new TextEncoder().encode('x'), unknownFormat), 'a probe count above 30 is a format we do not know: match all');
});

t.test('no false negatives, and about 1% false positives at 10 bits per key', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const policy = new BloomFilterPolicy(10);
  t.equal(policy.probeCount, 6);
  let worstRate = 0;
  for (const count of [1, 10, 100, 1000, 10_000, 100_000]) {
    const base = random.int(2 ** 30);
    const keys = Array.from({ length: count }, (_, i) => keyOf(base + i));
    const filter = policy.createFilter(keys);
    t.ok(filter.length <= Math.ceil((count * 10) / 8) + 1 + 8, `size for ${count} keys`);
    const missing = keys.filter((key) => !policy.keyMayMatch(key, filter)).length;
    t.equal(missing, 0, `no false negatives among ${count} keys (seed ${random.seed})`);
    let falsePositives = 0;
    const probes = 20_000;
    for (let i = 0; i < probes; i++) if (policy.keyMayMatch(keyOf(base + count + 1_000_000 + i), filter)) falsePositives++;
    const rate = falsePositives / probes;
    if (count >= 1000) worstRate = Math.max(worstRate, rate);
    // A filter of a few keys has a few hundred bits, so which bits its keys happen to set swings its
    // rate widely; from a thousand keys on the rate settles near the theoretical 0.84%.
    const bound = count >= 1000 ? 0.02 : 0.06;
    t.ok(rate < bound, `false-positive rate ${(rate * 100).toFixed(2)}% for ${count} keys (seed ${random.seed})`);
  }
  t.ok(worstRate > 0.003, `rate ${worstRate} is near 1%, not suspiciously low`);
});

t.test('fewer bits per key give more false positives; hashes and keys build the same filter', async (t) => {
  const keys = Array.from({ length: 5000 }, (_, i) => keyOf(i * 7919));
  const rateAt = (bitsPerKey: number): number => {
    const policy = new BloomFilterPolicy(bitsPerKey);
    const filter = policy.createFilter(keys);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (policy.keyMayMatch(keyOf(1_000_000_000 + i), filter)) falsePositives++;
    return falsePositives / 20_000;
  };
  const rate4 = rateAt(4);
  const rate10 = rateAt(10);
  const rate20 = rateAt(20);
  t.ok(rate4 > rate10 && rate10 > rate20, `rates ${rate4}, ${rate10}, ${rate20}`);
  t.ok(rate4 > 0.1 && rate4 < 0.25, `4 bits per key: ${rate4}`);
  const policy = new BloomFilterPolicy(10);
  const hashes = Uint32Array.from(keys, (key) => policy.hash(key));
  t.same(policy.createFilterFromHashes(hashes, hashes.length), policy.createFilter(keys));
  t.ok(keys.every((key) => policy.hashMayMatch(bloomHash(key), policy.createFilter(keys.slice(0, 100))) === policy.keyMayMatch(key, policy.createFilter(keys.slice(0, 100)))));
  t.throws(() => new BloomFilterPolicy(0));
});
