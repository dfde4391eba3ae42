// Proves the LSM database's contracts one at a time: reads see writes and survive reopen; a second open
// of a directory fails with LOCKED; concurrent synced writers share fsyncs (group commit); writers
// stall instead of memory growing; a failed background write puts the database into a read-only failed
// state; recovery replays the WAL, drops a torn tail, refuses mid-log corruption and keeps synced
// writes across a crash; snapshots read old versions through compaction; compactRange reclaims deleted
// ranges; background work does not hold the event loop for long.
import t from 'tap';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import { FaultyFileSystem } from '../../../storage/env/faulty-file-system.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { LsmDb, WriteBatch, type LsmOptions } from '../../../storage/lsm/index.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (index: number): Uint8Array => bytes(`key${String(index).padStart(8, '0')}`);

function small(fs: MemoryFileSystem, extra: Partial<LsmOptions> = {}): LsmOptions {
  return {
    fs,
    dir: '/db',
    memtableSizeBytes: 8 * 1024,
    blockSizeBytes: 512,
    targetFileSizeBytes: 8 * 1024,
    levelBaseSizeBytes: 32 * 1024,
    ...extra,
  };
}

function scanAll(db: LsmDb): [string, string][] {
  const iterator = db.iterator();
  const result: [string, string][] = [];
  try {
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) result.push([text(iterator.key())!, text(iterator.value())!]);
  } finally {
    iterator.close();
  }
  return result;
}

t.test('reads see writes, deletes and range deletions, and all survive reopen', async (t) => {
  const fs = new MemoryFileSystem();
  let db = await LsmDb.open(small(fs));
  await db.put(bytes('a'), bytes('1'));
  await db.put(bytes('b'), bytes('2'));
  await db.put(bytes('c'), bytes('3'));
  await db.put(bytes('d'), bytes('4'));
  await db.delete(bytes('b'));
  await db.deleteRange(bytes('c'), bytes('d'));
  const batch = new WriteBatch().put(bytes('e'), bytes('5')).put(bytes('a'), bytes('1b'));
  await db.write(batch);
  const expected = [
    ['a', '1b'],
    ['d', '4'],
    ['e', '5'],
  ];
  t.equal(text(db.get(bytes('a'))), '1b');
  t.equal(db.get(bytes('b')), undefined);
  t.equal(db.get(bytes('c')), undefined, 'range deletion covers its start');
  t.equal(text(db.get(bytes('d'))), '4', 'range deletion excludes its end');
  t.same(scanAll(db), expected);
  await db.close();
  await t.rejects(db.put(bytes('x'), bytes('y')), { code: 'CLOSED' });
  t.throws(() => db.get(bytes('a')), { code: 'CLOSED' });

  db = await LsmDb.open(small(fs));
  t.same(scanAll(db), expected, 'replayed from the WAL');
  await db.flush();
  await db.close();
  db = await LsmDb.open(small(fs));
  t.same(scanAll(db), expected, 'read from tables');
  t.equal(db.stats().levels[0]!.files + db.stats().levels[1]!.files > 0, true);
  await db.close();
});

t.test('obsolete WALs and tables are deleted as flushes and compactions retire them', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(small(fs));
  const value = new Uint8Array(100).fill(1);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 300; i++) await db.put(key(round * 300 + i), value);
    await db.flush();
  }
  await db.compactRange();
  const names = fs.list('/db');
  const logs = names.filter((name) => name.endsWith('.log'));
  t.equal(logs.length, 1, `only the live WAL remains (${logs.join(', ')})`);
  const tables = names.filter((name) => name.endsWith('.sst')).length;
  const live = db.stats().levels.reduce((sum, level) => sum + level.files, 0);
  t.equal(tables, live, `every table on disk is live (${tables} files, ${live} live)`);
  t.same(names.filter((name) => name.startsWith('MANIFEST-')).length, 1);
  await db.close();
});

t.test('an iterator left open across close returns its snapshot or CLOSED, and deletes nothing', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(small(fs));
  for (let i = 0; i < 500; i++) await db.put(key(i), bytes(`v${i}`));
  await db.flush();
  const iterator = db.iterator();
  iterator.seekToFirst();
  t.equal(text(iterator.value()), 'v0');
  await db.compactRange();
  await db.close();
  const reopened = await LsmDb.open(small(fs));
  await reopened.put(key(1000), bytes('new'));
  await reopened.compactRange();
  // Tables it already opened stay readable; one it opens now is refused, never read wrongly.
  let count = 0;
  try {
    for (; iterator.valid(); iterator.next()) {
      if (text(iterator.value()) !== `v${count}`) t.fail(`entry ${count} is wrong`);
      count++;
    }
    t.equal(count, 500, 'the old iterator saw its whole snapshot');
  } catch (error) {
    t.equal((error as StorageError).code, 'CLOSED', `stopped with CLOSED after ${count} entries`);
  }
  const before = fs.list('/db');
  iterator.close();
  t.same(fs.list('/db'), before, 'closing it after the database closed deleted no file');
  t.equal(text(reopened.get(key(1000))), 'new');
  t.equal(text(reopened.get(key(7))), 'v7');
  await reopened.close();
});

t.test('a second open of the directory fails with LOCKED until the first closes', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(small(fs));
  const error = (await LsmDb.open(small(fs)).then(
    () => undefined,
    (caught: unknown) => caught,
  )) as StorageError;
  t.type(error, StorageError);
  t.equal(error.code, 'LOCKED');
  t.match(error.message, /already open/);
  await db.close();
  const again = await LsmDb.open(small(fs));
  await again.close();
});

t.test('createIfMissing and errorIfExists are honoured', async (t) => {
  const fs = new MemoryFileSystem();
  await t.rejects(LsmDb.open(small(fs, { createIfMissing: false })), { code: 'ENOENT' });
  const db = await LsmDb.open(small(fs));
  await db.close();
  await t.rejects(LsmDb.open(small(fs, { errorIfExists: true })), { code: 'EEXIST' });
  await t.rejects(LsmDb.open(small(fs, { level0StopTrigger: 1 })), { code: 'INVALID_ARGUMENT' });
});

t.test('concurrent synced writers share fsyncs (group commit)', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(1));
  const db = await LsmDb.open(small(fs, { memtableSizeBytes: 1 << 20 }));
  const before = fs.stats.syncCount;
  const writers = 200;
  await Promise.all(Array.from({ length: writers }, (_, i) => db.put(key(i), bytes(`v${i}`), { sync: true })));
  const syncs = fs.stats.syncCount - before;
  t.ok(syncs >= 1, `at least one sync (${syncs})`);
  t.ok(syncs <= 4, `${writers} synced writes took ${syncs} syncs`);
  t.equal(db.stats().walSyncs, syncs);
  // Every synced write survives a crash.
  fs.crash();
  const reopened = await LsmDb.open(small(fs));
  for (let i = 0; i < writers; i++) if (text(reopened.get(key(i))) !== `v${i}`) t.fail(`key ${i} lost after crash`);
  await reopened.close();
});

t.test('writers stall rather than let memtables grow without bound', async (t) => {
  const fs = new MemoryFileSystem();
  const options = small(fs, {
    memtableSizeBytes: 4096,
    maxFrozenMemtables: 1,
    level0CompactionTrigger: 2,
    level0SlowdownTrigger: 3,
    level0StopTrigger: 4,
  });
  const db = await LsmDb.open(options);
  let maxMemtableBytes = 0;
  const value = new Uint8Array(100).fill(7);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 3000; i++) {
    pending.push(db.put(key(i), value));
    if (i % 50 === 0) {
      await Promise.all(pending.splice(0));
      maxMemtableBytes = Math.max(maxMemtableBytes, db.stats().memtableBytes);
    }
  }
  await Promise.all(pending);
  const stats = db.stats();
  t.ok(stats.stalls.stopCount + stats.stalls.slowdownCount > 0, `writers were slowed or stopped (${JSON.stringify(stats.stalls)})`);
  // Active plus one frozen memtable, each at most its size plus one group of writes (50 puts here).
  t.ok(maxMemtableBytes <= 2 * (4096 + 50 * 200), `memtable bytes stayed bounded (max ${maxMemtableBytes})`);
  t.ok(stats.levels[0]!.files <= 4, 'level 0 never passed the stop trigger');
  for (let i = 0; i < 3000; i += 97) t.equal(db.get(key(i))?.length, 100);
  await db.close();
});

t.test('a failed background flush puts the database into a failed state', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(2));
  const db = await LsmDb.open(small(fs));
  for (let i = 0; i < 20; i++) await db.put(key(i), bytes(`v${i}`));
  // The flush syncs its new table; that sync fails.
  fs.failNext('sync', 'EIO');
  const flushError = await db.flush().then(
    () => undefined,
    (error: unknown) => error,
  );
  t.type(flushError, StorageError);
  t.equal((flushError as StorageError).code, 'EIO');
  await t.rejects(db.put(bytes('later'), bytes('x')), { code: 'EIO' }, 'writes reject with the background error');
  t.equal(text(db.get(key(3))), 'v3', 'reads still work');
  t.match(db.stats().backgroundError ?? '', /./);
  await db.close();
  const reopened = await LsmDb.open(small(fs));
  t.equal(text(reopened.get(key(19))), 'v19', 'nothing acknowledged was lost');
  await reopened.close();
});

t.test('a failed WAL sync rejects the synced writers and fails the database', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(3));
  const db = await LsmDb.open(small(fs));
  await db.put(bytes('before'), bytes('1'), { sync: true });
  fs.failNext('sync', 'ENOSPC');
  await t.rejects(db.put(bytes('a'), bytes('1'), { sync: true }), { code: 'ENOSPC' });
  await t.rejects(db.put(bytes('b'), bytes('1')), { code: 'ENOSPC' });
  await db.close();
});

t.test('recovery drops a torn WAL tail and refuses corruption in the middle', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(4));
  const db = await LsmDb.open(small(fs, { memtableSizeBytes: 1 << 20 }));
  for (let i = 0; i < 300; i++) await db.put(key(i), new Uint8Array(200).fill(i & 0xff));
  await db.close();
  const walName = fs.list('/db').find((name) => name.endsWith('.log'))!;
  const walPath = `/db/${walName}`;
  const size = fs.sizeOf(walPath);
  t.ok(size > 40_000, 'the WAL spans several 32 KiB blocks');

  // A torn tail: cut the last record short.
  const original = fs.readFile(walPath);
  const torn = fs.createWritable(walPath);
  torn.append(original.subarray(0, size - 50));
  torn.close();
  let reopened = await LsmDb.open(small(fs, { memtableSizeBytes: 1 << 20 }));
  t.equal(reopened.get(key(299)), undefined, 'the torn last write is dropped');
  t.equal(reopened.get(key(298))?.length, 200, 'the one before it survives');
  await reopened.close();

  // Corruption in the middle of a (fresh) log.
  const fs2 = new FaultyFileSystem(new SeededRandom(5));
  const db2 = await LsmDb.open(small(fs2, { memtableSizeBytes: 1 << 20 }));
  for (let i = 0; i < 300; i++) await db2.put(key(i), new Uint8Array(200).fill(1));
  await db2.close();
  const wal2 = `/db/${fs2.list('/db').find((name) => name.endsWith('.log'))!}`;
  fs2.corruptByte(wal2, 1000);
  const error = (await LsmDb.open(small(fs2)).then(
    () => undefined,
    (caught: unknown) => caught,
  )) as CorruptionError;
  t.type(error, CorruptionError);
  t.match(error.file, /\.log$/);
  t.doesNotThrow(() => fs2.lock('/db/LOCK').release(), 'a failed open releases the lock');
});

t.test('unsynced writes may be lost by a crash, synced ones are not, and no batch is half-applied', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(6));
  const db = await LsmDb.open(small(fs));
  const batch = new WriteBatch();
  for (let i = 0; i < 50; i++) batch.put(key(i), bytes('batch'));
  await db.write(batch, { sync: true });
  for (let i = 50; i < 1500; i++) await db.put(key(i), bytes(`unsynced${i}`));
  const half = new WriteBatch();
  for (let i = 0; i < 50; i++) half.put(key(i), bytes('second'));
  await db.write(half);
  fs.crash({ tearLastWrite: true });
  const reopened = await LsmDb.open(small(fs));
  const values = new Set(Array.from({ length: 50 }, (_, i) => text(reopened.get(key(i)))));
  t.equal(values.size, 1, `the batch is all or nothing (${[...values].join(',')})`);
  t.ok(values.has('batch') || values.has('second'));
  await reopened.close();
});

t.test('snapshots read old versions through flushes and compactions', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(small(fs));
  for (let i = 0; i < 200; i++) await db.put(key(i), bytes('old'));
  const snapshot = db.snapshot();
  for (let i = 0; i < 200; i++) await db.put(key(i), bytes('new'));
  await db.deleteRange(key(50), key(100));
  await db.compactRange();
  t.equal(text(db.get(key(10), { snapshot })), 'old');
  t.equal(text(db.get(key(60), { snapshot })), 'old', 'a range deletion after the snapshot is not seen by it');
  t.equal(db.get(key(60)), undefined);
  t.equal(text(db.get(key(10))), 'new');
  const iterator = db.iterator({ snapshot, lowerBound: key(40), upperBound: key(45) });
  let count = 0;
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    count++;
    t.equal(text(iterator.value()), 'old');
  }
  iterator.close();
  t.equal(count, 5);
  snapshot.release();
  t.throws(() => db.get(key(1), { snapshot }), { code: 'INVALID_ARGUMENT' });
  await db.close();
});

t.test('compactRange after deleteRange reclaims the space', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(small(fs));
  const value = new Uint8Array(200).fill(3);
  for (let i = 0; i < 2000; i++) await db.put(key(i), value);
  await db.compactRange();
  const full = db.stats().levels.reduce((sum, level) => sum + level.bytes, 0);
  t.ok(full > 300_000, `the data takes space (${full} bytes)`);
  await db.deleteRange(key(0), key(2000));
  await db.compactRange();
  const after = db.stats().levels.reduce((sum, level) => sum + level.bytes, 0);
  t.ok(after < full / 20, `after deleting everything, ${after} bytes remain of ${full}`);
  t.same(scanAll(db), []);
  const tables = fs.list('/db').filter((name) => name.endsWith('.sst'));
  t.ok(tables.length <= 2, `obsolete tables were deleted (${tables.length} left)`);
  await db.close();
});

t.test('background flushes and compactions yield the event loop while they work', async (t) => {
  // Wall-clock gaps depend on the machine's load, so this counts turns instead: a timer that re-arms
  // itself fires once per event-loop turn, and work that never yields would let it fire about once.
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open({ fs, dir: '/db', memtableSizeBytes: 1 << 20, targetFileSizeBytes: 256 * 1024, levelBaseSizeBytes: 1 << 20 });
  let ticks = 0;
  let running = true;
  t.teardown(() => {
    running = false;
  });
  const ticker = (): void => {
    ticks++;
    if (running) setTimeout(ticker, 0);
  };
  setTimeout(ticker, 0);
  const value = new Uint8Array(100).fill(9);
  const fillStarted = performance.now();
  for (let batchIndex = 0; batchIndex < 600; batchIndex++) {
    const batch = new WriteBatch();
    for (let j = 0; j < 100; j++) batch.put(key((batchIndex * 7919 + j * 104729) % 1_000_000), value);
    await db.write(batch);
  }
  const fillMs = performance.now() - fillStarted;
  const fillTicks = ticks;
  const compactStarted = performance.now();
  await db.compactRange();
  const compactMs = performance.now() - compactStarted;
  const compactTicks = ticks - fillTicks;
  running = false;
  const stats = db.stats();
  t.ok(stats.flushes > 2 && stats.compactions > 0, `work happened (${stats.flushes} flushes, ${stats.compactions} compactions)`);
  t.ok(fillTicks >= 10, `timers ran ${fillTicks} times during a ${fillMs.toFixed(0)} ms fill`);
  t.ok(compactTicks >= 10, `timers ran ${compactTicks} times during a ${compactMs.toFixed(0)} ms compaction`);
  await db.close();
});
