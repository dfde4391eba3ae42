// Proves the block cache evicts least-recently-used blocks first, keeps its usage within capacity by
// bytes (checked against a simple model over a seeded random workload of gets and inserts), counts hits
// and misses, replaces an entry at the same place, refuses an entry larger than itself, drops a deleted
// file's blocks with evictFile, and asserts the bounds that keep its packed numeric keys exact.
import t from 'tap';
import { StorageError } from '../../../storage/env/errors.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';
import { BlockCache } from '../../../storage/lsm/block-cache.js';
import { Block } from '../../../storage/lsm/block-reader.js';
import { BlockBuilder } from '../../../storage/lsm/block-builder.js';
import { bytewiseComparator } from '../../../storage/lsm/comparator.js';

function blockNamed(tag: number): Block {
  const builder = new BlockBuilder();
  builder.add(Uint8Array.of(tag & 0xff, tag >>> 8), Uint8Array.of(1));
  return new Block(Uint8Array.from(builder.finish()), bytewiseComparator);
}

t.test('evicts the least recently used block first, by bytes', async (t) => {
  const cache = new BlockCache(300);
  const a = blockNamed(1);
  const b = blockNamed(2);
  const c = blockNamed(3);
  cache.insert(1, 0, a, 100);
  cache.insert(1, 4096, b, 100);
  cache.insert(2, 0, c, 100);
  t.equal(cache.stats.usageBytes, 300);
  t.equal(cache.get(1, 0), a, 'touching a makes b the least recently used');
  cache.insert(3, 0, blockNamed(4), 50);
  t.equal(cache.get(1, 4096), undefined, 'b was evicted');
  t.equal(cache.get(1, 0), a);
  t.equal(cache.get(2, 0), c);
  t.equal(cache.stats.usageBytes, 250);
  // Recency now, least first: the 50-byte block, a, c. A 200-byte block needs 150 bytes freed.
  cache.insert(3, 8192, blockNamed(5), 200);
  t.equal(cache.stats.usageBytes, 300);
  t.equal(cache.get(3, 0), undefined, 'the least recent went first');
  t.equal(cache.get(1, 0), undefined, 'then a');
  t.equal(cache.get(2, 0), c, 'c, touched last, stayed');
  t.same({ hits: cache.stats.hits, misses: cache.stats.misses }, { hits: 4, misses: 3 });
});

t.test('replacing, oversized entries, evictFile and bounds', async (t) => {
  const cache = new BlockCache(1000);
  cache.insert(7, 0, blockNamed(1), 400);
  cache.insert(7, 0, blockNamed(2), 100);
  t.equal(cache.stats.usageBytes, 100, 'the replacement’s charge, not both');
  t.equal(cache.stats.entryCount, 1);
  cache.insert(8, 0, blockNamed(3), 5000);
  t.equal(cache.get(8, 0), undefined, 'a block larger than the cache is not kept');
  t.equal(cache.stats.usageBytes, 100);
  for (let i = 0; i < 5; i++) cache.insert(9, i * 4096, blockNamed(10 + i), 50);
  cache.insert(10, 0, blockNamed(20), 50);
  cache.evictFile(9);
  t.equal(cache.stats.usageBytes, 150);
  for (let i = 0; i < 5; i++) t.equal(cache.get(9, i * 4096), undefined);
  t.ok(cache.get(7, 0) !== undefined && cache.get(10, 0) !== undefined);
  cache.evictFile(12345);
  t.throws(() => cache.insert(2 ** 21, 0, blockNamed(1), 1), StorageError, 'file number too large to pack');
  t.throws(() => cache.get(1, 2 ** 32), StorageError, 'offset too large to pack');
  t.throws(() => cache.get(-1, 0), StorageError);
  t.throws(() => cache.insert(1, 0, blockNamed(1), -5), StorageError);
  t.throws(() => new BlockCache(-1), StorageError);
  const largest = new BlockCache(10);
  largest.insert(2 ** 21 - 1, 2 ** 32 - 1, blockNamed(1), 1);
  largest.insert(2 ** 21 - 2, 2 ** 32 - 1, blockNamed(2), 1);
  t.ok(largest.get(2 ** 21 - 1, 2 ** 32 - 1) !== largest.get(2 ** 21 - 2, 2 ** 32 - 1), 'the largest keys stay distinct');
});

t.test('a random workload matches an LRU model and never exceeds capacity', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const capacity = 5000;
  const cache = new BlockCache(capacity);
  // The model: an array of [key, charge, block], least recent first.
  let model: [string, number, Block][] = [];
  let mismatches = 0;
  let overCapacity = 0;
  for (let step = 0; step < 20_000; step++) {
    const fileNumber = random.int(5);
    const offset = random.int(40) * 4096;
    const key = `${fileNumber}:${offset}`;
    if (random.chance(0.6)) {
      const got = cache.get(fileNumber, offset);
      const index = model.findIndex(([k]) => k === key);
      const expected = index < 0 ? undefined : model[index]![2];
      if (got !== expected) mismatches++;
      if (index >= 0) model.push(...model.splice(index, 1));
    } else if (random.chance(0.02)) {
      cache.evictFile(fileNumber);
      model = model.filter(([k]) => !k.startsWith(`${fileNumber}:`));
    } else {
      const charge = random.intBetween(1, 900);
      const block = blockNamed(step & 0xffff);
      cache.insert(fileNumber, offset, block, charge);
      model = model.filter(([k]) => k !== key);
      model.push([key, charge, block]);
      let usage = model.reduce((sum, [, c]) => sum + c, 0);
      while (usage > capacity) usage -= model.shift()![1];
    }
    const usage = model.reduce((sum, [, c]) => sum + c, 0);
    if (cache.stats.usageBytes !== usage || cache.stats.entryCount !== model.length) mismatches++;
    if (cache.stats.usageBytes > capacity) overCapacity++;
  }
  t.equal(mismatches, 0, `seed ${random.seed}`);
  t.equal(overCapacity, 0);
  t.ok(cache.stats.hits > 0 && cache.stats.misses > 0);
});
