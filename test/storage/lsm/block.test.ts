// Proves a block built by BlockBuilder iterates exactly like a sorted array of its entries — forward,
// backward, seek, seekForPrev and random walks mixing them — for seeded random keys with long shared
// prefixes, at several restart intervals and value sizes; that the builder refuses out-of-order keys;
// and that damaged restart arrays or entry lengths throw CorruptionError naming the file and offset
// instead of crashing or yielding keys that were never written.
import t, { type Test } from 'tap';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import { SeededRandom, seedFromEnvironment, type Random } from '../../../storage/env/random.js';
import { BlockBuilder } from '../../../storage/lsm/block-builder.js';
import { Block } from '../../../storage/lsm/block-reader.js';
import { bytewiseComparator } from '../../../storage/lsm/comparator.js';
import { ArrayIterator, type KeyValueIterator } from '../../../storage/lsm/iterator.js';
import { putFixed32 } from '../../../storage/lsm/coding.js';

type Entry = readonly [Uint8Array, Uint8Array];
const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

function randomEntries(random: Random, count: number, maxValueBytes: number): Entry[] {
  const prefixes = ['', 'user/', 'user/0000', 'table/17/index/3/'].map((p) => new TextEncoder().encode(p));
  const keys = new Map<string, Uint8Array>();
  while (keys.size < count) {
    const prefix = random.pick(prefixes);
    const suffix = random.fill(new Uint8Array(random.int(random.chance(0.05) ? 300 : 12)));
    // Small alphabets make neighbouring keys share prefixes, which is what the compression is for.
    for (let i = 0; i < suffix.length; i++) suffix[i] = 97 + (suffix[i]! % 4);
    const key = Buffer.concat([prefix, suffix]);
    keys.set(key.toString('hex'), key);
  }
  return [...keys.values()]
    .sort(compare)
    .map((key) => [key, random.fill(new Uint8Array(random.int(maxValueBytes + 1)))] as const);
}

function build(entries: readonly Entry[], restartInterval: number): Uint8Array {
  const builder = new BlockBuilder(restartInterval);
  for (const [key, value] of entries) builder.add(key, value);
  return Uint8Array.from(builder.finish());
}

function position(iterator: KeyValueIterator): string {
  return iterator.valid() ? `${Buffer.from(iterator.key()).toString('hex')}=${Buffer.from(iterator.value()).toString('hex')}` : 'invalid';
}

t.test('random walks over a block match a sorted-array model', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  let mismatches = 0;
  for (const restartInterval of [1, 2, 16, 1000]) {
    for (const count of [0, 1, 2, 17, 300]) {
      const entries = randomEntries(random, count, random.pick([0, 8, 200]));
      const block = new Block(build(entries, restartInterval), bytewiseComparator, { file: 'b.sst', offset: 0 });
      const model = new ArrayIterator(entries, compare);
      const iterator = block.iterator();
      // Full scans in both directions.
      const forward: string[] = [];
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) forward.push(position(iterator));
      const backward: string[] = [];
      for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push(position(iterator));
      const expected = entries.map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
      if (forward.join() !== expected.join() || backward.join() !== [...expected].reverse().join()) mismatches++;
      // A random walk of seeks and steps.
      for (let step = 0; step < 400; step++) {
        const action = random.int(6);
        if (action <= 1) {
          const target = entries.length > 0 && random.chance(0.5) ? random.pick(entries)[0] : randomEntries(random, 1, 0)[0]![0];
          if (action === 0) {
            iterator.seek(target);
            model.seek(target);
          } else {
            iterator.seekForPrev(target);
            model.seekForPrev(target);
          }
        } else if (action === 2 && random.chance(0.1)) {
          iterator.seekToFirst();
          model.seekToFirst();
        } else if (action === 2) {
          iterator.seekToLast();
          model.seekToLast();
        } else if (model.valid() && action <= 3) {
          iterator.next();
          model.next();
        } else if (model.valid()) {
          iterator.prev();
          model.prev();
        }
        if (position(iterator) !== position(model)) {
          mismatches++;
          break;
        }
      }
    }
  }
  t.equal(mismatches, 0, `seed ${random.seed}`);
});

t.test('keys are prefix-compressed: a block of shared-prefix keys is much smaller than the keys', async (t) => {
  const entries: Entry[] = [];
  for (let i = 0; i < 100; i++) entries.push([new TextEncoder().encode(`a-long-common-prefix/${String(i).padStart(4, '0')}`), new Uint8Array(0)]);
  const rawBytes = entries.reduce((sum, [key]) => sum + key.length, 0);
  const builder = new BlockBuilder(16);
  for (const [key, value] of entries) builder.add(key, value);
  const estimate = builder.currentSizeEstimate;
  const block = builder.finish();
  t.equal(block.length, estimate, 'the size estimate is exact');
  t.ok(block.length < rawBytes / 2, `${block.length} bytes for ${rawBytes} bytes of keys`);
  t.equal(new Block(block, bytewiseComparator).restartCount, 7);
});

t.test('an empty block is 8 bytes and iterates as empty', async (t) => {
  const builder = new BlockBuilder();
  t.ok(builder.empty);
  const bytes = builder.finish();
  t.same([...bytes], [0, 0, 0, 0, 1, 0, 0, 0]);
  const iterator = new Block(bytes, bytewiseComparator).iterator();
  iterator.seekToFirst();
  t.notOk(iterator.valid());
  iterator.seekToLast();
  t.notOk(iterator.valid());
  iterator.seek(Uint8Array.of(1));
  t.notOk(iterator.valid());
  iterator.seekForPrev(Uint8Array.of(1));
  t.notOk(iterator.valid());
});

t.test('the builder refuses keys that are not strictly increasing, and reset starts over', async (t) => {
  const builder = new BlockBuilder(4);
  builder.add(Uint8Array.of(2), Uint8Array.of());
  t.throws(() => builder.add(Uint8Array.of(2), Uint8Array.of()), StorageError);
  t.throws(() => builder.add(Uint8Array.of(1, 9), Uint8Array.of()), StorageError);
  builder.add(Uint8Array.of(2, 0), Uint8Array.of(7));
  t.same([...builder.lastKey()], [2, 0]);
  builder.finish();
  t.throws(() => builder.add(Uint8Array.of(3), Uint8Array.of()), StorageError);
  builder.reset();
  t.ok(builder.empty);
  builder.add(Uint8Array.of(1), Uint8Array.of(5));
  const iterator = new Block(Uint8Array.from(builder.finish()), bytewiseComparator).iterator();
  iterator.seekToFirst();
  t.same([...iterator.key()], [1]);
  t.same([...iterator.value()], [5]);
  iterator.next();
  t.notOk(iterator.valid());
});

t.test('keys the builder is handed may be views the caller reuses', async (t) => {
  const builder = new BlockBuilder(16);
  const reused = new Uint8Array(3);
  for (let i = 0; i < 20; i++) {
    reused[0] = 0;
    reused[1] = i;
    reused[2] = 255 - i;
    builder.add(reused, reused);
  }
  const iterator = new Block(Uint8Array.from(builder.finish()), bytewiseComparator).iterator();
  let i = 0;
  for (iterator.seekToFirst(); iterator.valid(); iterator.next(), i++) {
    if (iterator.key()[1] !== i || iterator.value()[2] !== 255 - i) t.fail(`entry ${i}`);
  }
  t.equal(i, 20);
});

function expectCorruption(t: Test, bytes: Uint8Array, offset: number | undefined, name: string): void {
  try {
    const iterator = new Block(bytes, bytewiseComparator, { file: '000042.sst', offset: 1000 }).iterator();
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) iterator.key();
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) iterator.key();
    iterator.seek(Uint8Array.of(0x61, 0x62));
    t.fail(`${name}: no CorruptionError`);
  } catch (error) {
    t.type(error, CorruptionError, name);
    t.equal((error as CorruptionError).file, '000042.sst', `${name}: file`);
    if (offset !== undefined) t.equal((error as CorruptionError).offset, offset, `${name}: offset`);
  }
}

t.test('damaged restart arrays and entries throw CorruptionError with file and offset', async (t) => {
  const entries: Entry[] = [];
  for (let i = 0; i < 40; i++) entries.push([new TextEncoder().encode(`key-${String(i).padStart(3, '0')}`), Uint8Array.of(i)]);
  const good = build(entries, 4);
  const size = good.length;
  const restarts = 10;
  const restartsOffset = size - 4 - restarts * 4;
  const mutate = (change: (bytes: Uint8Array) => void): Uint8Array => {
    const copy = Uint8Array.from(good);
    change(copy);
    return copy;
  };
  expectCorruption(t, new Uint8Array(3), 1000, 'shorter than a restart count');
  expectCorruption(t, mutate((b) => putFixed32(b, size - 4, 100000)), 1000 + size - 4, 'restart count too large');
  expectCorruption(t, mutate((b) => putFixed32(b, size - 4, 0)), 1000 + size - 4, 'entries but no restarts');
  expectCorruption(t, mutate((b) => putFixed32(b, restartsOffset + 8, 5)), 1000 + restartsOffset + 8, 'restart points out of order');
  expectCorruption(t, mutate((b) => putFixed32(b, restartsOffset + 36, restartsOffset)), 1000 + restartsOffset + 36, 'restart point past the entries');
  expectCorruption(t, mutate((b) => putFixed32(b, restartsOffset, 3)), 1000 + restartsOffset, 'first restart not at 0');
  // Entry 0: shared 0, key 7, value 1. A continuation bit makes its value length run past the entries.
  expectCorruption(t, mutate((b) => (b[2] = 0xff)), 1000, 'value length past the entries');
  expectCorruption(t, mutate((b) => (b[1] = 0xff)), undefined, 'key length varint that runs on');
  // Entry 1 (offset 11): shares 6 bytes with entry 0. Claim it shares 20.
  expectCorruption(t, mutate((b) => (b[11] = 20)), 1011, 'shared longer than the previous key');
  // Restart point 1 is entry 4; give it a shared prefix.
  const restart1 = good[restartsOffset + 4]!;
  expectCorruption(t, mutate((b) => (b[restart1] = 2)), undefined, 'a restart entry sharing a prefix');
});

t.test('random byte flips give CorruptionError or a clean read, never another exception', async (t) => {
  // Without a checksum a flip inside a key's stored bytes changes the key undetectably (the table's
  // block checksum catches those); what the block promises on its own is that structural damage is
  // reported as CorruptionError, never a RangeError, a hang or a read outside the block.
  const random = new SeededRandom(seedFromEnvironment());
  const entries = randomEntries(random, 200, 20);
  const good = build(entries, 16);
  let caught = 0;
  for (let trial = 0; trial < 500; trial++) {
    const bytes = Uint8Array.from(good);
    bytes[random.int(bytes.length)] ^= 1 << random.int(8);
    try {
      const iterator = new Block(bytes, bytewiseComparator).iterator();
      let steps = 0;
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) steps++;
      for (iterator.seekToLast(); iterator.valid() && steps < 10_000; iterator.prev()) steps++;
      iterator.seek(entries[100]![0]);
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      caught++;
    }
  }
  t.ok(caught > 0, `seed ${random.seed}: ${caught} of 500 flips caught`);
});
