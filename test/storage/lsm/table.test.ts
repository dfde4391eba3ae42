// Proves a table round-trips seeded random entries — full scans both ways and random walks of seek,
// seekForPrev, next and prev agree with a sorted-array model — at several block sizes and restart
// intervals, with and without a (tiny, always-evicting) block cache; that the filter has no false
// negatives for filterKeyOf keys and rejects most absent ones; that range tombstones come back in the
// order added; and that a flipped byte anywhere (data block, index, filter, tombstones, metaindex,
// footer), a bit flipped on read, or a truncated file gives CorruptionError with the file and offset,
// never wrong data.
import t from 'tap';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import type { RandomAccessFile } from '../../../storage/env/file-system.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { FaultyFileSystem } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment, type Random } from '../../../storage/env/random.js';
import { BlockCache } from '../../../storage/lsm/block-cache.js';
import { Block } from '../../../storage/lsm/block-reader.js';
import { BloomFilterPolicy } from '../../../storage/lsm/bloom-filter.js';
import { ByteReader } from '../../../storage/lsm/coding.js';
import { bytewiseComparator } from '../../../storage/lsm/comparator.js';
import { ArrayIterator, type KeyValueIterator } from '../../../storage/lsm/iterator.js';
import { TableBuilder, TABLE_FOOTER_SIZE_BYTES, type TableBuilderOptions } from '../../../storage/lsm/table-builder.js';
import { TableReader, type TableReaderOptions } from '../../../storage/lsm/table-reader.js';

type Entry = readonly [Uint8Array, Uint8Array];
const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);
/** Keys here are a user key followed by an 8-byte suffix, like internal keys; the filter holds user keys. */
const SUFFIX_BYTES = 8;
const filterKeyOf = (key: Uint8Array): Uint8Array => key.subarray(0, key.length - SUFFIX_BYTES);

function userKey(random: Random): Uint8Array {
  const key = random.fill(new Uint8Array(random.intBetween(1, random.chance(0.02) ? 400 : 14)));
  for (let i = 0; i < key.length; i++) key[i] = 97 + (key[i]! % 6);
  return key;
}

function randomEntries(random: Random, userKeyCount: number): Entry[] {
  const byHex = new Map<string, Uint8Array>();
  while (byHex.size < userKeyCount) {
    const user = userKey(random);
    byHex.set(Buffer.from(user).toString('hex'), user);
  }
  const entries: Entry[] = [];
  for (const user of byHex.values()) {
    // One to three versions per user key, as a table of internal keys holds.
    const versions = random.intBetween(1, 3);
    for (let v = 0; v < versions; v++) {
      const suffix = random.fill(new Uint8Array(SUFFIX_BYTES));
      const value = random.fill(new Uint8Array(random.chance(0.01) ? random.int(20_000) : random.int(120)));
      entries.push([Buffer.concat([user, suffix]), value]);
    }
  }
  entries.sort((a, b) => compare(a[0], b[0]));
  return entries.filter((entry, i) => i === 0 || compare(entries[i - 1]![0], entry[0]) !== 0);
}

interface Built {
  fs: MemoryFileSystem;
  path: string;
  properties: ReturnType<TableBuilder['finish']>;
}

function buildTable(entries: readonly Entry[], options: Partial<TableBuilderOptions> = {}, tombstones: readonly Entry[] = []): Built {
  const fs = new MemoryFileSystem();
  const path = '/000012.sst';
  const file = fs.createWritable(path);
  const builder = new TableBuilder(file, { comparator: bytewiseComparator, filterPolicy: new BloomFilterPolicy(10), filterKeyOf, ...options });
  for (const [key, value] of entries) builder.add(key, value);
  for (const [start, end] of tombstones) builder.addRangeTombstone(start, end);
  const properties = builder.finish();
  file.close();
  return { fs, path, properties };
}

function openTable(fs: MemoryFileSystem, path: string, options: Partial<TableReaderOptions> = {}): TableReader {
  return TableReader.open(fs.openRandomAccess(path), { comparator: bytewiseComparator, fileNumber: 12, filterKeyOf, ...options });
}

function position(iterator: KeyValueIterator): string {
  return iterator.valid() ? `${Buffer.from(iterator.key()).toString('hex')}=${Buffer.from(iterator.value()).toString('hex')}` : 'invalid';
}

function scan(table: TableReader): Entry[] {
  const out: Entry[] = [];
  const iterator = table.iterator();
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) out.push([iterator.key().slice(), iterator.value().slice()]);
  return out;
}

function sameEntries(a: readonly Entry[], b: readonly Entry[]): boolean {
  return a.length === b.length && a.every(([k, v], i) => compare(k, b[i]![0]) === 0 && compare(v, b[i]![1]) === 0);
}

t.test('random walks over tables match a sorted-array model', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  let mismatches = 0;
  const configurations: [number, number, BlockCache | undefined][] = [
    [64, 1, undefined],
    [256, 4, new BlockCache(2000)],
    [4096, 16, new BlockCache(1 << 20)],
    [4096, 16, undefined],
    [65536, 32, new BlockCache(100)],
  ];
  for (const [blockSizeBytes, restartInterval, cache] of configurations) {
    const entries = randomEntries(random, random.pick([0, 1, 50, 2000]));
    const { fs, path, properties } = buildTable(entries, { blockSizeBytes, restartInterval });
    t.equal(properties.entryCount, entries.length);
    t.equal(properties.sizeBytes, fs.sizeOf(path));
    const table = openTable(fs, path, cache === undefined ? {} : { cache });
    if (entries.length > 0) {
      t.same(properties.smallestKey, entries[0]![0]);
      t.same(properties.largestKey, entries[entries.length - 1]![0]);
    } else {
      t.equal(properties.smallestKey, undefined);
    }
    if (!sameEntries(scan(table), entries)) mismatches++;
    const backward: Entry[] = [];
    const iterator = table.iterator();
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push([iterator.key().slice(), iterator.value().slice()]);
    if (!sameEntries(backward.reverse(), entries)) mismatches++;
    const model = new ArrayIterator(entries, compare);
    for (let step = 0; step < 1500; step++) {
      const action = random.int(6);
      if (action <= 1) {
        const target = entries.length > 0 && random.chance(0.5) ? random.pick(entries)[0] : Buffer.concat([userKey(random), random.fill(new Uint8Array(random.int(9)))]);
        if (action === 0) {
          iterator.seek(target);
          model.seek(target);
        } else {
          iterator.seekForPrev(target);
          model.seekForPrev(target);
        }
      } else if (action === 2) {
        if (random.chance(0.5)) {
          iterator.seekToFirst();
          model.seekToFirst();
        } else {
          iterator.seekToLast();
          model.seekToLast();
        }
      } else if (model.valid() && action <= 4) {
        iterator.next();
        model.next();
      } else if (model.valid()) {
        iterator.prev();
        model.prev();
      }
      if (position(iterator) !== position(model)) {
        mismatches++;
        t.fail(`block ${blockSizeBytes}: step ${step} action ${action}: ${position(iterator)} vs ${position(model)}`);
        break;
      }
    }
    iterator.close();
    t.notOk(iterator.valid());
    table.close();
  }
  t.equal(mismatches, 0, `seed ${random.seed}`);
});

t.test('the filter holds filterKeyOf keys: no false negatives, few false positives', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const entries = randomEntries(random, 3000);
  const { fs, path } = buildTable(entries);
  const table = openTable(fs, path);
  const present = new Set(entries.map(([key]) => Buffer.from(filterKeyOf(key)).toString('hex')));
  const falseNegatives = entries.filter(([key]) => !table.mayContain(filterKeyOf(key))).length;
  t.equal(falseNegatives, 0, `seed ${random.seed}`);
  t.ok(entries.every(([key]) => table.mayContainHash(new BloomFilterPolicy().hash(filterKeyOf(key)))));
  let absent = 0;
  let falsePositives = 0;
  for (let i = 0; i < 20_000; i++) {
    const key = Buffer.concat([userKey(random), Uint8Array.of(0x7a)]);
    if (present.has(key.toString('hex'))) continue;
    absent++;
    if (table.mayContain(key)) falsePositives++;
  }
  t.ok(falsePositives / absent < 0.03, `${falsePositives} false positives among ${absent} (seed ${random.seed})`);
  const { fs: fs2, path: path2 } = buildTable(entries, { filterPolicy: undefined });
  const unfiltered = openTable(fs2, path2);
  t.ok(unfiltered.mayContain(Uint8Array.of(1, 2, 3)), 'a table without a filter may contain anything');
});

t.test('range tombstones come back in the order added, with or without entries', async (t) => {
  const tombstones: Entry[] = [
    [Buffer.from('m\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0009'), Buffer.from('p')],
    [Buffer.from('a\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0007'), Buffer.from('c')],
    [Buffer.from('a\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0007'), Buffer.from('c')],
    [new Uint8Array(0), new Uint8Array(0)],
  ];
  const withEntries = buildTable([[Buffer.from('k0123456789'), Buffer.from('v')]], {}, tombstones);
  const onlyTombstones = buildTable([], {}, tombstones);
  for (const { fs, path } of [withEntries, onlyTombstones]) {
    const table = openTable(fs, path);
    t.same(table.rangeTombstones().map(([s, e]) => [Buffer.from(s), Buffer.from(e)]), tombstones.map(([s, e]) => [Buffer.from(s), Buffer.from(e)]));
    t.equal(table.rangeTombstoneCount, 4);
  }
  t.equal(onlyTombstones.properties.entryCount, 0);
  t.equal(scan(openTable(onlyTombstones.fs, onlyTombstones.path)).length, 0);
  t.equal(openTable(withEntries.fs, withEntries.path).rangeTombstones().length, 4);
  const none = buildTable([[Buffer.from('k0123456789'), Buffer.from('v')]]);
  t.same(openTable(none.fs, none.path).rangeTombstones(), []);
});

t.test('the builder refuses out-of-order keys across blocks and use after finish or abandon', async (t) => {
  const fs = new MemoryFileSystem();
  const builder = new TableBuilder(fs.createWritable('/1.sst'), { comparator: bytewiseComparator, blockSizeBytes: 64 });
  const key = (i: number): Uint8Array => Buffer.from(`key-${String(i).padStart(6, '0')}`);
  for (let i = 0; i < 20; i++) builder.add(key(i), new Uint8Array(10));
  t.throws(() => builder.add(key(19), new Uint8Array(0)), StorageError, 'an equal key');
  t.throws(() => builder.add(key(3), new Uint8Array(0)), StorageError, 'a smaller key, in a new block');
  t.ok(builder.estimatedSizeBytes > 20 * 10);
  builder.finish();
  t.throws(() => builder.add(key(30), new Uint8Array(0)), StorageError);
  const abandoned = new TableBuilder(fs.createWritable('/2.sst'), { comparator: bytewiseComparator });
  abandoned.add(key(1), new Uint8Array(1));
  abandoned.abandon();
  t.throws(() => abandoned.finish(), StorageError);
  t.equal(fs.sizeOf('/2.sst'), 0, 'an abandoned table wrote nothing');
});

t.test('approximateOffsetOf grows with the key and stays within the file', async (t) => {
  const entries: Entry[] = [];
  for (let i = 0; i < 3000; i++) entries.push([Buffer.from(`key-${String(i).padStart(6, '0')}-suffix!`), new Uint8Array(100)]);
  const { fs, path, properties } = buildTable(entries);
  const table = openTable(fs, path);
  t.equal(table.approximateOffsetOf(Buffer.from('a')), 0);
  const middle = table.approximateOffsetOf(entries[1500]![0]);
  t.ok(middle > properties.sizeBytes * 0.4 && middle < properties.sizeBytes * 0.6, `middle at ${middle} of ${properties.sizeBytes}`);
  const end = table.approximateOffsetOf(Buffer.from('z'));
  t.ok(end > middle && end < properties.sizeBytes);
});

t.test('a block cache serves repeated reads without touching the file', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const entries = randomEntries(random, 500);
  const { fs, path } = buildTable(entries);
  const inner = fs.openRandomAccess(path);
  let reads = 0;
  const counting: RandomAccessFile = {
    path: inner.path,
    get sizeBytes() {
      return inner.sizeBytes;
    },
    read: (offset, length) => {
      reads++;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  const cache = new BlockCache(1 << 22);
  const table = TableReader.open(counting, { comparator: bytewiseComparator, fileNumber: 12, cache });
  const readsAfterOpen = reads;
  t.ok(sameEntries(scan(table), entries));
  t.equal(reads - readsAfterOpen, table.dataBlockCount, 'one read per data block on the first scan');
  const before = reads;
  t.ok(sameEntries(scan(table), entries));
  t.equal(reads, before, 'no reads on the second scan');
  t.equal(cache.stats.hits, table.dataBlockCount);
  table.close();
  t.throws(() => table.iterator(), StorageError);
});

/** Reads the footer's two handles, as TableReader does, to find the meta blocks in a test. */
function footerHandles(bytes: Uint8Array): { metaindex: number; index: number; indexSize: number } {
  const reader = new ByteReader(bytes.subarray(bytes.length - TABLE_FOOTER_SIZE_BYTES), 'footer');
  const metaindex = reader.readVarint64();
  reader.readVarint64();
  const index = reader.readVarint64();
  const indexSize = reader.readVarint64();
  return { metaindex, index, indexSize };
}

/** Offsets of the meta blocks, by name, read from the metaindex block. */
function metaHandles(bytes: Uint8Array): Map<string, number> {
  const { metaindex } = footerHandles(bytes);
  const reader = new ByteReader(bytes.subarray(bytes.length - TABLE_FOOTER_SIZE_BYTES), 'footer');
  reader.readVarint64();
  const metaindexSize = reader.readVarint64();
  const block = new Block(bytes.subarray(metaindex, metaindex + metaindexSize), bytewiseComparator, { file: 'f', offset: metaindex });
  const handles = new Map<string, number>();
  const iterator = block.iterator();
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    handles.set(new TextDecoder().decode(iterator.key()), new ByteReader(iterator.value(), 'f').readVarint64());
  }
  return handles;
}

/** Opens the table with one byte flipped and reads everything; returns the error, or undefined. */
function readFlipped(bytes: Uint8Array, offset: number, bit: number, verifyChecksums = true): unknown {
  const fs = new MemoryFileSystem();
  const flipped = Uint8Array.from(bytes);
  flipped[offset] ^= 1 << bit;
  const file = fs.createWritable('/000012.sst');
  file.append(flipped);
  file.close();
  try {
    const table = openTable(fs, '/000012.sst', { verifyChecksums });
    scan(table);
    const iterator = table.iterator();
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) iterator.key();
    return undefined;
  } catch (error) {
    return error;
  }
}

t.test('a flipped byte in each structure gives CorruptionError naming the file and the structure', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const entries = randomEntries(random, 400);
  const tombstones: Entry[] = [[Buffer.from('b\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001'), Buffer.from('d')]];
  const { fs, path } = buildTable(entries, {}, tombstones);
  const bytes = fs.readFile(path);
  const table = openTable(fs, path);
  const { metaindex, index, indexSize } = footerHandles(bytes);
  const size = bytes.length;
  const expect = (offset: number, expectedOffset: number, name: string): void => {
    const error = readFlipped(bytes, offset, random.int(8));
    t.type(error, CorruptionError, name);
    t.equal((error as CorruptionError).file, '/000012.sst', `${name}: file`);
    t.equal((error as CorruptionError).offset, expectedOffset, `${name}: offset`);
  };
  const block3 = table.dataBlockHandle(3);
  expect(block3.offset + 10, block3.offset, 'a data block');
  expect(block3.offset + block3.size, block3.offset, 'a data block trailer (compression byte)');
  expect(block3.offset + block3.size + 2, block3.offset, 'a data block trailer (checksum)');
  const meta = metaHandles(bytes);
  const filter = meta.get('filter.reef.BloomFilter1')!;
  const tombstoneBlock = meta.get('reef.range_tombstones')!;
  const lastData = table.dataBlockHandle(table.dataBlockCount - 1);
  t.equal(filter, lastData.offset + lastData.size + 5, 'the filter block follows the data blocks');
  expect(filter + 3, filter, 'the filter block');
  expect(tombstoneBlock + 1, tombstoneBlock, 'the range-tombstone block');
  expect(metaindex + 1, metaindex, 'the metaindex block');
  expect(index + Math.floor(indexSize / 2), index, 'the index block');
  for (let i = 0; i < TABLE_FOOTER_SIZE_BYTES; i++) {
    const error = readFlipped(bytes, size - TABLE_FOOTER_SIZE_BYTES + i, random.int(8));
    const offset = (error as CorruptionError).offset;
    if (!(error instanceof CorruptionError) || offset < size - TABLE_FOOTER_SIZE_BYTES || offset >= size) {
      t.fail(`footer byte ${i}: ${String(error)}`);
    }
  }
  // A truncated table loses its footer.
  const truncated = new MemoryFileSystem();
  const file = truncated.createWritable('/000012.sst');
  file.append(bytes.subarray(0, size - 1));
  file.close();
  t.throws(() => openTable(truncated, '/000012.sst'), CorruptionError);
  const tiny = new MemoryFileSystem();
  tiny.createWritable('/000012.sst').close();
  t.throws(() => openTable(tiny, '/000012.sst'), CorruptionError);
});

t.test('every random byte flip is detected: CorruptionError, never wrong data', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const entries = randomEntries(random, 300);
  const { fs, path } = buildTable(entries, { blockSizeBytes: 1024 }, [[Buffer.from('a\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001'), Buffer.from('b')]]);
  const bytes = fs.readFile(path);
  let undetected = 0;
  let otherErrors = 0;
  for (let trial = 0; trial < 300; trial++) {
    const error = readFlipped(bytes, random.int(bytes.length), random.int(8));
    if (error === undefined) undetected++;
    else if (!(error instanceof CorruptionError)) otherErrors++;
  }
  t.equal(undetected, 0, `seed ${random.seed}`);
  t.equal(otherErrors, 0, `seed ${random.seed}`);
});

t.test('without checksum verification, structural damage in a data block still gives CorruptionError', async (t) => {
  const entries: Entry[] = [];
  for (let i = 0; i < 200; i++) entries.push([Buffer.from(`key-${String(i).padStart(6, '0')}-suffix!`), new Uint8Array(20)]);
  const { fs, path } = buildTable(entries);
  const bytes = fs.readFile(path);
  const table = openTable(fs, path);
  const block = table.dataBlockHandle(1);
  // The block's restart count, its last 4 bytes: set its high byte.
  const error = readFlipped(bytes, block.offset + block.size - 1, 6, false);
  t.type(error, CorruptionError);
  t.equal((error as CorruptionError).offset, block.offset + block.size - 4);
});

t.test('bits flipped on the way from the disk are caught, through the cache or not', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const fs = new FaultyFileSystem(random.fork());
  const entries = randomEntries(random, 300);
  const file = fs.createWritable('/000012.sst');
  const builder = new TableBuilder(file, { comparator: bytewiseComparator, blockSizeBytes: 512, filterPolicy: new BloomFilterPolicy(), filterKeyOf });
  for (const [key, value] of entries) builder.add(key, value);
  builder.finish();
  file.close();
  fs.flipBitsOnRead({ probability: 0.005 });
  let caught = 0;
  let wrong = 0;
  let clean = 0;
  for (let trial = 0; trial < 60; trial++) {
    try {
      const table = TableReader.open(fs.openRandomAccess('/000012.sst'), { comparator: bytewiseComparator, fileNumber: 12, cache: new BlockCache(1 << 16) });
      if (!sameEntries(scan(table), entries)) wrong++;
      if (!sameEntries(scan(table), entries)) wrong++;
      clean++;
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
      caught++;
    }
  }
  t.equal(wrong, 0, `seed ${random.seed}`);
  t.ok(caught > 0 && clean > 0, `${caught} reads caught ${fs.stats.bitFlipCount} flips; ${clean} clean (seed ${random.seed})`);
});
