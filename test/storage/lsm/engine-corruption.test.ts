// Proves that damage on disk is reported, never served: with data in level-1 tables, in a level-0
// table and in the WAL, a byte flipped in a table's data block, index block or footer (and at seeded
// random places in every table, and bits flipped in what table reads return) makes the reads that
// touch it throw a CorruptionError naming that file and an offset at or before the damage, while every
// value any read does return — point reads of every key, full forward and reverse scans — equals the
// model's. A byte flipped in a WAL record in the middle, in the MANIFEST or in CURRENT makes open fail
// with a typed error (a CorruptionError naming the file and offset where there is one) and change
// nothing: after the byte is restored the database opens with all its data. A torn WAL tail left by a
// crash, by contrast, is dropped silently and loses only unsynced writes, whatever the cut.
import t, { type Test } from 'tap';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import { FaultyFileSystem } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment, type Random } from '../../../storage/env/random.js';
import { LsmDb, WriteBatch, type LsmOptions } from '../../../storage/lsm/index.js';
import { LOG_HEADER_BYTES, logFragments, tableLayout } from './support/disk-format.js';
import { SteppingClock } from './support/stepping-clock.js';
import { fromBytes, parseValue, toBytes, WriteHistory, type WriteOp } from './support/write-history.js';

const DIR = '/corrupt-db';
const KEY_COUNT = 300;
const dataKey = (index: number): string => `k${String(index).padStart(3, '0')}`;
const KEYS = Array.from({ length: KEY_COUNT }, (_, index) => dataKey(index));

const seed = seedFromEnvironment();
t.comment(`seed ${seed} (replay with REEF_SEED=${seed})`);

/** Small blocks and tables, and no automatic compaction, so each table stays where the test put it. */
function options(fs: FaultyFileSystem, extra: Partial<LsmOptions> = {}): LsmOptions {
  return {
    fs,
    dir: DIR,
    clock: new SteppingClock(0.01),
    memtableSizeBytes: 256 * 1024,
    blockSizeBytes: 256,
    blockCacheBytes: 64 * 1024,
    targetFileSizeBytes: 4096,
    levelBaseSizeBytes: 64 << 20,
    level0CompactionTrigger: 100,
    level0SlowdownTrigger: 100,
    level0StopTrigger: 100,
    ...extra,
  };
}

interface Built {
  readonly fs: FaultyFileSystem;
  /** The state every read must agree with. */
  readonly model: Map<string, string>;
  /** Tables by level after the build: level-1 tables, and the newest level-0 table. */
  readonly levelOneTables: readonly string[];
  readonly levelZeroTable: string;
}

/**
 * Writes 300 keys (and overwrites 50) and compacts them into level-1 tables, overwrites and deletes some into one level-0
 * table, then writes 60 more single-key records (some synced) that stay in the WAL, and closes.
 */
async function buildDatabase(random: Random): Promise<Built> {
  const fs = new FaultyFileSystem(random.fork());
  const db = await LsmDb.open(options(fs));
  const model = new Map<string, string>();
  let serial = 0;
  const value = (key: string): string => `${key}@${serial++}:${'.'.repeat(random.int(40))}`;
  for (let start = 0; start < KEY_COUNT; start += 25) {
    const batch = new WriteBatch();
    for (let index = start; index < start + 25; index++) {
      const key = dataKey(index);
      const text = value(key);
      batch.put(toBytes(key), toBytes(text));
      model.set(key, text);
    }
    await db.write(batch);
  }
  // Two overlapping level-0 tables, so that compaction merges them (rather than moving one down) and
  // cuts its output into several level-1 tables.
  await db.flush();
  const overwrites = new WriteBatch();
  for (let count = 0; count < 50; count++) {
    const key = dataKey(random.int(KEY_COUNT));
    const text = value(key);
    overwrites.put(toBytes(key), toBytes(text));
    model.set(key, text);
  }
  await db.write(overwrites);
  await db.compactRange();
  const levelOneTables = tableNames(fs);
  const batch = new WriteBatch();
  for (let count = 0; count < 120; count++) {
    const key = dataKey(random.int(KEY_COUNT));
    const text = value(key);
    batch.put(toBytes(key), toBytes(text));
    model.set(key, text);
  }
  for (let count = 0; count < 20; count++) {
    const key = dataKey(random.int(KEY_COUNT));
    batch.delete(toBytes(key));
    model.delete(key);
  }
  const rangeStart = random.int(KEY_COUNT - 10);
  batch.deleteRange(toBytes(dataKey(rangeStart)), toBytes(dataKey(rangeStart + 5)));
  for (let index = rangeStart; index < rangeStart + 5; index++) model.delete(dataKey(index));
  await db.write(batch);
  await db.flush();
  const levelZeroTable = tableNames(fs).find((name) => !levelOneTables.includes(name))!;
  for (let count = 0; count < 60; count++) {
    const key = dataKey(random.int(KEY_COUNT));
    if (random.chance(0.8)) {
      const text = value(key);
      await db.put(toBytes(key), toBytes(text), { sync: random.chance(0.3) });
      model.set(key, text);
    } else {
      await db.delete(toBytes(key), { sync: random.chance(0.3) });
      model.delete(key);
    }
  }
  const stats = db.stats();
  await db.close();
  if (stats.levels[0]!.files !== 1 || stats.levels[1]!.files < 2 || levelZeroTable === undefined) {
    throw new Error(`build: expected one level-0 table and several level-1 tables, got ${JSON.stringify(stats.levels)}`);
  }
  return { fs, model, levelOneTables, levelZeroTable };
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, index) => start + index);
}

function tableNames(fs: FaultyFileSystem): string[] {
  return fs.list(DIR).filter((name) => name.endsWith('.sst'));
}

function onlyFile(fs: FaultyFileSystem, pattern: RegExp): string {
  const names = fs.list(DIR).filter((name) => pattern.test(name) && fs.sizeOf(`${DIR}/${name}`) > 0);
  if (names.length !== 1) throw new Error(`expected one non-empty file matching ${pattern}, found ${names.join(', ')}`);
  return names[0]!;
}

interface ReadOutcome {
  /** Every error the reads threw (each already checked to be a CorruptionError). */
  readonly errors: CorruptionError[];
  readonly failedGets: number;
  readonly scanFailures: number;
}

/**
 * Reads everything: a point read of every key, a forward and a reverse full scan. A value returned
 * must be the model's (a scan's entries must be exactly the model's in order up to where it throws);
 * anything thrown must be a CorruptionError. Wrong data fails the test at once.
 */
function readEverything(t: Test, db: LsmDb, model: Map<string, string>): ReadOutcome {
  const errors: CorruptionError[] = [];
  const caught = (error: unknown, what: string): void => {
    if (!(error instanceof CorruptionError)) throw new Error(`${what} threw ${String(error)}, not a CorruptionError`);
    errors.push(error);
  };
  let failedGets = 0;
  for (const key of KEYS) {
    try {
      const got = db.get(toBytes(key));
      const text = got === undefined ? undefined : fromBytes(got);
      if (text !== model.get(key)) t.fail(`WRONG DATA: get ${key} returned ${text?.slice(0, 30)}, expected ${model.get(key)?.slice(0, 30)}`);
    } catch (error) {
      failedGets++;
      caught(error, `get ${key}`);
    }
  }
  const sorted = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let scanFailures = 0;
  for (const direction of ['forward', 'reverse'] as const) {
    const expected = direction === 'forward' ? sorted : [...sorted].reverse();
    let position = 0;
    try {
      const iterator = db.iterator();
      try {
        if (direction === 'forward') iterator.seekToFirst();
        else iterator.seekToLast();
        for (; iterator.valid(); position++) {
          const [key, text] = [fromBytes(iterator.key()), fromBytes(iterator.value())];
          const want = expected[position];
          if (want === undefined || want[0] !== key || want[1] !== text) {
            t.fail(`WRONG DATA: ${direction} scan entry ${position} is ${key}=${text.slice(0, 30)}, expected ${want?.[0]}=${want?.[1].slice(0, 30)}`);
            break;
          }
          if (direction === 'forward') iterator.next();
          else iterator.prev();
        }
      } finally {
        iterator.close();
      }
      if (position !== expected.length) t.fail(`WRONG DATA: ${direction} scan ended after ${position} of ${expected.length} entries`);
    } catch (error) {
      scanFailures++;
      caught(error, `${direction} scan`);
    }
  }
  return { errors, failedGets, scanFailures };
}

/** Checks that every error names `fileName` and an offset in [lowest, highest]. */
function checkErrorsName(t: Test, errors: readonly CorruptionError[], fileName: string, lowest: number, highest: number): void {
  const wrong = errors.filter((error) => !error.file.endsWith(fileName) || error.offset < lowest || error.offset > highest);
  t.same(
    wrong.map((error) => error.message),
    [],
    `every error names ${fileName} at an offset in [${lowest}, ${highest}] (${errors.length} errors, e.g. "${errors[0]?.message}")`,
  );
}

/** Opens, expecting a typed failure; returns it. */
async function openFails(fs: FaultyFileSystem): Promise<StorageError | undefined> {
  try {
    const db = await LsmDb.open(options(fs));
    await db.close();
    return undefined;
  } catch (error) {
    if (!(error instanceof StorageError)) throw new Error(`open failed with an untyped error: ${String(error)}`);
    return error;
  }
}

/** After a failed open and the byte restored, the database opens with every value intact. */
async function opensIntactAfterRestore(t: Test, built: Built): Promise<void> {
  const db = await LsmDb.open(options(built.fs));
  const outcome = readEverything(t, db, built.model);
  t.same(outcome.errors.map((error) => error.message), [], 'with the byte restored, every read succeeds and matches the model');
  await db.close();
}

t.test('a flipped byte in a data block fails the reads that touch that block, and only those', async (t) => {
  const random = new SeededRandom(seed);
  const built = await buildDatabase(random);
  const path = `${DIR}/${built.levelZeroTable}`;
  const layout = tableLayout(built.fs.readFile(path));
  t.ok(layout.dataBlocks.length >= 3, `the level-0 table has ${layout.dataBlocks.length} data blocks`);
  const block = layout.dataBlocks[Math.floor(layout.dataBlocks.length / 2)]!;
  const flipped = block.offset + random.int(block.size);
  built.fs.corruptByte(path, flipped, 1 << random.int(8));
  const db = await LsmDb.open(options(built.fs));
  const outcome = readEverything(t, db, built.model);
  t.ok(outcome.failedGets > 0, `point reads of keys in the damaged block fail (${outcome.failedGets} of ${KEY_COUNT})`);
  t.ok(outcome.failedGets < 40, 'point reads elsewhere succeed');
  t.equal(outcome.scanFailures, 2, 'both full scans reach the damaged block and fail');
  checkErrorsName(t, outcome.errors, built.levelZeroTable, block.offset, flipped);
  const again = readEverything(t, db, built.model);
  t.equal(again.failedGets, outcome.failedGets, 'the damage is reported again on the next reads (nothing bad was cached)');
  await db.close();
});

t.test('a flipped byte in an index block fails every read of that table', async (t) => {
  const random = new SeededRandom(seed + 1);
  const built = await buildDatabase(random);
  const name = built.levelOneTables[random.int(built.levelOneTables.length)]!;
  const path = `${DIR}/${name}`;
  const layout = tableLayout(built.fs.readFile(path));
  const flipped = layout.index.offset + random.int(layout.index.size);
  built.fs.corruptByte(path, flipped, 1 << random.int(8));
  const db = await LsmDb.open(options(built.fs));
  const outcome = readEverything(t, db, built.model);
  t.ok(outcome.failedGets > 0, `point reads that reach the table fail (${outcome.failedGets})`);
  t.equal(outcome.scanFailures, 2, 'both full scans fail');
  checkErrorsName(t, outcome.errors, name, layout.index.offset, flipped);
  await db.close();
});

t.test('a flipped byte in a footer fails every read of that table', async (t) => {
  const random = new SeededRandom(seed + 2);
  const built = await buildDatabase(random);
  const path = `${DIR}/${built.levelZeroTable}`;
  const layout = tableLayout(built.fs.readFile(path));
  // Every footer byte, one at a time, each on its own open (the byte is restored between them).
  let opens = 0;
  for (let offset = layout.footer.offset; offset < layout.sizeBytes; offset++) {
    const mask = 1 << random.int(8);
    built.fs.corruptByte(path, offset, mask);
    const db = await LsmDb.open(options(built.fs));
    const outcome = readEverything(t, db, built.model);
    await db.close();
    built.fs.corruptByte(path, offset, mask);
    opens++;
    if (outcome.failedGets === 0 || outcome.scanFailures !== 2) {
      t.fail(`footer byte ${offset - layout.footer.offset}: ${outcome.failedGets} failed gets, ${outcome.scanFailures} failed scans`);
    }
    checkErrorsName(t, outcome.errors, built.levelZeroTable, layout.footer.offset, offset);
  }
  t.equal(opens, 56, 'all 56 footer bytes were damaged in turn');
});

t.test('bytes flipped at random places in the tables are always caught', async (t) => {
  const random = new SeededRandom(seed + 3);
  const built = await buildDatabase(random);
  const tables = [...built.levelOneTables, built.levelZeroTable];
  for (let trial = 0; trial < 24; trial++) {
    const name = random.pick(tables);
    const path = `${DIR}/${name}`;
    const offset = random.int(built.fs.sizeOf(path));
    const mask = random.intBetween(1, 255);
    built.fs.corruptByte(path, offset, mask);
    const db = await LsmDb.open(options(built.fs));
    const outcome = readEverything(t, db, built.model);
    await db.close();
    built.fs.corruptByte(path, offset, mask);
    t.equal(outcome.scanFailures, 2, `trial ${trial}: ${name} byte ${offset} ^ ${mask}: both full scans fail`);
    checkErrorsName(t, outcome.errors, name, 0, offset);
  }
  await opensIntactAfterRestore(t, built);
});

t.test('bits flipped in what table reads return never become data', async (t) => {
  const random = new SeededRandom(seed + 4);
  const built = await buildDatabase(random);
  // No block cache: every read goes to the file, so every read may be flipped.
  const db = await LsmDb.open(options(built.fs, { blockCacheBytes: 0 }));
  built.fs.flipBitsOnRead({ pathFilter: /\.sst$/, probability: 0.05 });
  let errors = 0;
  for (let round = 0; round < 6; round++) errors += readEverything(t, db, built.model).errors.length;
  const flips = built.fs.stats.bitFlipCount;
  built.fs.flipBitsOnRead(null);
  t.ok(flips > 0, `${flips} reads were flipped`);
  t.ok(errors > 0, `${errors} reads reported corruption`);
  t.equal(readEverything(t, db, built.model).errors.length, 0, 'once reads are sound again, every read succeeds');
  await db.close();
});

t.test('a flipped byte in a WAL record in the middle fails open, naming the log and the record', async (t) => {
  // The checksum, length and type bytes of a record's header, and a byte of its payload; each on a
  // database of its own, since an open that wrongly succeeded would have replaced the WAL.
  const places = ['checksum', 'length (low byte)', 'length (high byte)', 'type', 'payload'] as const;
  for (const [index, what] of places.entries()) {
    const random = new SeededRandom(seed + 5 + index * 101);
    const built = await buildDatabase(random);
    const walName = onlyFile(built.fs, /\.log$/);
    const path = `${DIR}/${walName}`;
    const fragments = logFragments(built.fs.readFile(path));
    const fragment = fragments[Math.floor(fragments.length / 2)]!;
    const offset = {
      checksum: fragment.offset + random.int(4),
      'length (low byte)': fragment.offset + 4,
      'length (high byte)': fragment.offset + 5,
      type: fragment.offset + 6,
      payload: fragment.offset + LOG_HEADER_BYTES + random.int(fragment.length),
    }[what];
    const mask = what.startsWith('length') ? 0x01 : 1 << random.int(8);
    built.fs.corruptByte(path, offset, mask);
    const first = await openFails(built.fs);
    if (!(first instanceof CorruptionError)) {
      t.fail(
        `${what} byte of record ${fragments.indexOf(fragment)} of ${fragments.length} flipped: open ` +
          `${first === undefined ? 'succeeded, dropping every record from there on' : `failed with ${first.message}`}`,
      );
      continue;
    }
    t.ok(first.file.endsWith(walName) && first.offset === fragment.offset, `${what} byte flipped: ${first.message}`);
    const second = await openFails(built.fs);
    t.equal(second?.message, first.message, `${what} byte flipped: a second open fails the same way`);
    built.fs.corruptByte(path, offset, mask);
    await opensIntactAfterRestore(t, built);
  }
});

t.test('a flipped byte in the MANIFEST fails open with a CorruptionError, wherever it is', async (t) => {
  // The first edit (the snapshot), one in the middle, and every byte of the last one: an edit that was
  // synced and acted on (its WAL deleted) must never be dropped as if a crash had cut it short.
  for (const edit of ['first', 'middle', 'last'] as const) {
    const random = new SeededRandom(seed + 6 + edit.length * 1009);
    const built = await buildDatabase(random);
    const manifestName = onlyFile(built.fs, /^MANIFEST-\d+$/);
    const path = `${DIR}/${manifestName}`;
    const fragments = logFragments(built.fs.readFile(path));
    const index = { first: 0, middle: Math.floor(fragments.length / 2), last: fragments.length - 1 }[edit];
    const fragment = fragments[index]!;
    const end = fragment.offset + LOG_HEADER_BYTES + fragment.length;
    const offsets = edit === 'last' ? range(fragment.offset, end) : [fragment.offset + random.int(end - fragment.offset)];
    let failures = 0;
    for (const offset of offsets) {
      const mask = 1 << random.int(8);
      built.fs.corruptByte(path, offset, mask);
      const error = await openFails(built.fs);
      if (!(error instanceof CorruptionError && error.file.endsWith(manifestName) && error.offset <= offset)) {
        // An open that succeeded has replaced the MANIFEST, so later trials would prove nothing.
        t.fail(`${edit} edit (${index} of ${fragments.length}), byte ${offset - fragment.offset}: ${error?.message ?? 'open succeeded'}`);
        failures++;
        break;
      }
      built.fs.corruptByte(path, offset, mask);
    }
    t.equal(failures, 0, `${edit} edit of ${fragments.length}: ${offsets.length} damaged byte(s) each failed open with a CorruptionError`);
    if (failures === 0) await opensIntactAfterRestore(t, built);
  }
});

t.test('a flipped byte in CURRENT fails open with a typed error', async (t) => {
  const random = new SeededRandom(seed + 7);
  const built = await buildDatabase(random);
  const path = `${DIR}/CURRENT`;
  const size = built.fs.sizeOf(path);
  for (let offset = 0; offset < size; offset++) {
    const mask = 1 << random.int(8);
    built.fs.corruptByte(path, offset, mask);
    const error = await openFails(built.fs);
    built.fs.corruptByte(path, offset, mask);
    if (error === undefined) t.fail(`CURRENT byte ${offset} ^ ${mask}: open succeeded`);
    else t.ok(error.code === 'CORRUPTION' || error.code === 'ENOENT', `CURRENT byte ${offset}: ${error.message}`);
  }
  await opensIntactAfterRestore(t, built);
});

/** A Random whose `int` answers from a script (by bound), for choosing exactly where a crash tears. */
class ScriptedTear extends SeededRandom {
  readonly keepByBound = new Map<number, number>();
  override int(maxExclusive: number): number {
    return this.keepByBound.get(maxExclusive) ?? 0;
  }
}

t.test('a torn WAL tail is dropped silently, losing only unsynced writes', async (t) => {
  const random = new SeededRandom(seed + 8);
  // Cuts within the last record, which spans two 32 KiB blocks: inside its header, inside its first
  // fragment, inside the second fragment's header, and one byte short of its end.
  const cuts = ['header', 'first fragment', 'second header', 'last byte'] as const;
  for (const cut of cuts) {
    const tear = new ScriptedTear(random.int(1 << 30));
    const fs = new FaultyFileSystem(tear);
    const db = await LsmDb.open(options(fs));
    const history = new WriteHistory();
    let serial = 0;
    const write = async (ops: WriteOp[], sync: boolean): Promise<void> => {
      const record = history.issue(ops, sync);
      const batch = new WriteBatch();
      for (const op of ops) if (op.type === 'put') batch.put(toBytes(op.key), toBytes(op.value));
      await db.write(batch, { sync });
      history.acknowledge(record);
    };
    const put = (key: string, padding: number): WriteOp => ({ type: 'put', key, value: `${key}@${serial++}:${'.'.repeat(padding)}` });
    for (let count = 0; count < 40; count++) await write([put(dataKey(random.int(KEY_COUNT)), 30)], random.chance(0.5));
    await write([put(dataKey(random.int(KEY_COUNT)), 30)], true);
    const walPath = `${DIR}/${onlyFile(fs, /\.log$/)}`;
    const syncedBytes = fs.sizeOf(walPath);
    for (let count = 0; count < 20; count++) await write([put(dataKey(random.int(KEY_COUNT)), 30)], false);
    const lastStart = fs.sizeOf(walPath);
    await write([put(dataKey(random.int(KEY_COUNT)), 40_000)], false);
    const fragments = logFragments(fs.readFile(walPath)).filter((fragment) => fragment.offset >= lastStart);
    t.ok(fragments.length >= 2, `${cut}: the last record spans ${fragments.length} fragments`);
    const keep = {
      header: lastStart + 3,
      'first fragment': lastStart + LOG_HEADER_BYTES + 100,
      'second header': fragments[1]!.offset + 2,
      'last byte': fs.sizeOf(walPath) - 1,
    }[cut];
    const unsynced = fs.sizeOf(walPath) - syncedBytes;
    tear.keepByBound.set(unsynced + 1, keep - syncedBytes);
    fs.crash({ tearLastWrite: true });
    t.equal(fs.sizeOf(walPath), keep, `${cut}: the crash kept ${keep} of the WAL's bytes`);
    const reopened = await LsmDb.open(options(fs));
    const state = new Map<string, string>();
    for (const key of KEYS) {
      const got = reopened.get(toBytes(key));
      if (got !== undefined) state.set(key, fromBytes(got));
    }
    for (const value of state.values()) if (parseValue(value) === undefined) t.fail(`${cut}: a value that was never written`);
    const result = history.findPrefix(state);
    if (!result.ok) t.fail(`${cut}: ${result.explanation}`);
    else t.equal(result.prefix, history.writes.length - 1, `${cut}: every write but the torn one survived (${result.prefix} of ${history.writes.length})`);
    await reopened.close();
  }
});
