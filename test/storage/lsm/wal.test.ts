// Proves the WAL round-trips records of every size (empty, tiny, exactly filling a block, spanning many
// blocks) in LevelDB's byte layout; that a torn tail — a cut at any byte, or trailing zeros — is dropped
// silently and measured in droppedTailBytes while every record before it is returned; and that damage
// with valid records after it (a flipped byte in a header or payload, out-of-order fragments) throws
// CorruptionError naming the file and the damaged fragment's offset, never yielding wrong data; and
// that after a simulated crash that tears unsynced writes, every synced record is read back.
import t, { type Test } from 'tap';
import type { RandomAccessFile, WritableFile } from '../../../storage/env/file-system.js';
import { CorruptionError } from '../../../storage/env/errors.js';
import { FaultyFileSystem } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';
import { WalWriter, WAL_BLOCK_SIZE_BYTES, WAL_HEADER_SIZE_BYTES } from '../../../storage/lsm/wal-writer.js';
import { WalReader } from '../../../storage/lsm/wal-reader.js';
import { crc32c, maskCrc } from '../../../storage/lsm/crc32c.js';
import { getFixed32 } from '../../../storage/lsm/coding.js';

/** A writable file kept in memory; counts appends so the one-append-per-record promise is checked. */
class BytesFile implements WritableFile, RandomAccessFile {
  readonly path = 'wal-000007.log';
  private chunks: Uint8Array[] = [];
  sizeBytes = 0;
  appendCount = 0;
  append(data: Uint8Array): void {
    this.chunks.push(Uint8Array.from(data));
    this.sizeBytes += data.length;
    this.appendCount++;
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
  contents(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
  read(offset: number, length: number): Uint8Array {
    return this.contents().slice(offset, offset + length);
  }
}

function makeRecord(random: SeededRandom, length: number): Uint8Array {
  return random.fill(new Uint8Array(length));
}

function writeLog(records: Uint8Array[]): BytesFile {
  const file = new BytesFile();
  const writer = new WalWriter(file);
  for (const record of records) writer.addRecord(record);
  return file;
}

function readAll(contents: Uint8Array): { records: Uint8Array[]; dropped: number } {
  const reader = new WalReader(contents, 'wal-000007.log');
  const records = [...reader.records()].map((record) => Uint8Array.from(record));
  return { records, dropped: reader.droppedTailBytes };
}

function sameRecords(a: Uint8Array[], b: Uint8Array[]): boolean {
  return a.length === b.length && a.every((record, i) => Buffer.compare(record, b[i]!) === 0);
}

function expectCorruption(t: Test, contents: Uint8Array, offset: number, name: string): void {
  try {
    readAll(contents);
    t.fail(`${name}: no CorruptionError`);
  } catch (error) {
    t.type(error, CorruptionError, name);
    t.equal((error as CorruptionError).file, 'wal-000007.log', `${name}: file`);
    t.equal((error as CorruptionError).offset, offset, `${name}: offset`);
  }
}

t.test('the byte layout is LevelDB’s: header, masked CRC over type and payload, trailer padding', async (t) => {
  const file = writeLog([new TextEncoder().encode('hello'), new Uint8Array(0)]);
  const bytes = file.contents();
  t.equal(bytes.length, 7 + 5 + 7);
  t.equal(getFixed32(bytes, 0), maskCrc(crc32c(Uint8Array.of(1, 104, 101, 108, 108, 111))));
  t.same([...bytes.subarray(4, 7)], [5, 0, 1]);
  t.same([...bytes.subarray(16, 19)], [0, 0, 1], 'an empty record is a FULL fragment of length 0');

  // A record that leaves 6 bytes in the block forces a zero trailer before the next header.
  const filler = new Uint8Array(WAL_BLOCK_SIZE_BYTES - WAL_HEADER_SIZE_BYTES - 6);
  const padded = writeLog([filler, Uint8Array.of(42)]);
  const paddedBytes = padded.contents();
  t.same([...paddedBytes.subarray(WAL_BLOCK_SIZE_BYTES - 6, WAL_BLOCK_SIZE_BYTES)], [0, 0, 0, 0, 0, 0]);
  t.equal(paddedBytes[WAL_BLOCK_SIZE_BYTES + 6], 1, 'the next record starts the next block');
  t.equal(padded.appendCount, 2, 'one append per record');
});

t.test('records of many sizes round-trip across block boundaries', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const sizes = [0, 1, 100, WAL_BLOCK_SIZE_BYTES - 7, WAL_BLOCK_SIZE_BYTES - 14, WAL_BLOCK_SIZE_BYTES, 3 * WAL_BLOCK_SIZE_BYTES + 5, 0, 1];
  for (let i = 0; i < 300; i++) {
    const scale = random.pick([10, 1000, 40000, 100000]);
    sizes.push(random.int(scale));
  }
  const records = sizes.map((size) => makeRecord(random, size));
  const file = writeLog(records);
  t.equal(file.appendCount, records.length, 'one append per record');
  const { records: read, dropped } = readAll(file.contents());
  t.ok(sameRecords(read, records), `seed ${random.seed}`);
  t.equal(dropped, 0);
  // The same bytes through the RandomAccessFile constructor.
  const viaFile = [...new WalReader(file, file.path).records()];
  t.equal(viaFile.length, records.length);
});

t.test('exactly 7 bytes left in a block gives an empty FIRST fragment there', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const records = [makeRecord(random, WAL_BLOCK_SIZE_BYTES - 14), makeRecord(random, 50)];
  const bytes = writeLog(records).contents();
  const at = WAL_BLOCK_SIZE_BYTES - 7;
  t.same([...bytes.subarray(at + 4, at + 7)], [0, 0, 2]);
  t.ok(sameRecords(readAll(bytes).records, records));
});

t.test('a writer resumed on a non-empty file continues its block structure', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const file = new BytesFile();
  const records = [makeRecord(random, 30000), makeRecord(random, 9000)];
  new WalWriter(file).addRecord(records[0]!);
  const resumed = new WalWriter(file);
  t.equal(resumed.sizeBytes, 30007);
  resumed.addRecord(records[1]!);
  t.equal(resumed.sizeBytes, file.sizeBytes);
  t.ok(sameRecords(readAll(file.contents()).records, records));
});

t.test('a cut at any byte of the last records is a torn tail: earlier records survive, the rest is measured', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const records: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) records.push(makeRecord(random, random.pick([0, 5, 300, 20000, 70000])));
  const file = new BytesFile();
  const writer = new WalWriter(file);
  const ends: number[] = [];
  for (const record of records) {
    writer.addRecord(record);
    ends.push(writer.sizeBytes);
  }
  const full = file.contents();
  let failures = 0;
  const cuts = Array.from({ length: 400 }, () => random.int(full.length + 1));
  cuts.push(0, 1, 6, 7, full.length - 1, full.length);
  for (const cut of cuts) {
    const complete = ends.filter((end) => end <= cut).length;
    const lastEnd = complete === 0 ? 0 : ends[complete - 1]!;
    const { records: read, dropped } = readAll(full.subarray(0, cut));
    // Bytes after the last complete record are dropped, except block-trailer zeros (never a record).
    const trailerOnly = cut - lastEnd < WAL_HEADER_SIZE_BYTES && Math.floor(lastEnd / WAL_BLOCK_SIZE_BYTES) === Math.floor((cut - 1) / WAL_BLOCK_SIZE_BYTES) && WAL_BLOCK_SIZE_BYTES - (lastEnd % WAL_BLOCK_SIZE_BYTES) < WAL_HEADER_SIZE_BYTES;
    const expectedDropped = trailerOnly ? 0 : cut - lastEnd;
    if (!sameRecords(read, records.slice(0, complete)) || dropped !== expectedDropped) {
      failures++;
      if (failures < 5) t.fail(`cut ${cut}: read ${read.length} records (want ${complete}), dropped ${dropped} (want ${expectedDropped})`);
    }
  }
  t.equal(failures, 0, `seed ${random.seed}`);
});

t.test('zeros or garbage after the last record are a torn tail', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const records = [makeRecord(random, 100), makeRecord(random, 40000)];
  const bytes = writeLog(records).contents();
  for (const tail of [new Uint8Array(5000), new Uint8Array(WAL_BLOCK_SIZE_BYTES * 2), random.fill(new Uint8Array(3000))]) {
    const damaged = Buffer.concat([bytes, tail]);
    const { records: read, dropped } = readAll(damaged);
    t.ok(sameRecords(read, records));
    t.equal(dropped, tail.length);
  }
  // A flipped byte in the payload of the very last record: it is dropped, the rest read.
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 10]! ^= 0x40;
  const { records: read, dropped } = readAll(flipped);
  t.ok(sameRecords(read, records.slice(0, 1)));
  t.equal(dropped, bytes.length - 107);
});

t.test('damage followed by valid records throws CorruptionError at the damaged fragment', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const records = [makeRecord(random, 100), makeRecord(random, 200), makeRecord(random, 40000), makeRecord(random, 50), makeRecord(random, 70000), makeRecord(random, 10)];
  const file = new BytesFile();
  const writer = new WalWriter(file);
  const starts: number[] = [];
  for (const record of records) {
    starts.push(writer.sizeBytes);
    writer.addRecord(record);
  }
  const bytes = file.contents();
  const flip = (offset: number): Uint8Array => {
    const copy = Uint8Array.from(bytes);
    copy[offset]! ^= 0x01;
    return copy;
  };
  expectCorruption(t, flip(starts[1]! + 2), starts[1]!, 'checksum byte of record 1');
  expectCorruption(t, flip(starts[1]! + 4), starts[1]!, 'length byte of record 1');
  expectCorruption(t, flip(starts[1]! + 5), starts[1]!, 'high length byte of record 1 (runs past the block)');
  expectCorruption(t, flip(starts[1]! + 6), starts[1]!, 'type byte of record 1');
  expectCorruption(t, flip(starts[1]! + 7 + 150), starts[1]!, 'payload byte of record 1');
  expectCorruption(t, flip(starts[0]! + 7 + 3), starts[0]!, 'payload of the first record');
  // Record 2 spans two blocks; damage in its second fragment, at the start of block 1.
  expectCorruption(t, flip(WAL_BLOCK_SIZE_BYTES + 20), WAL_BLOCK_SIZE_BYTES, 'second fragment of a spanning record');
  // Record 4 spans three blocks; damage its MIDDLE fragment, which is the whole of block 3.
  const middleBlock = Math.floor(starts[4]! / WAL_BLOCK_SIZE_BYTES) + 1;
  expectCorruption(t, flip(middleBlock * WAL_BLOCK_SIZE_BYTES + 1000), middleBlock * WAL_BLOCK_SIZE_BYTES, 'middle fragment');

  // Any single flipped byte: either an error or exactly the original records, never other data.
  let wrong = 0;
  for (let i = 0; i < 300; i++) {
    const offset = random.int(bytes.length);
    try {
      const { records: read } = readAll(flip(offset));
      if (!sameRecords(read, records) && !sameRecords(read, records.slice(0, read.length))) wrong++;
      if (read.length < records.length - 1) wrong++;
    } catch (error) {
      if (!(error instanceof CorruptionError)) throw error;
    }
  }
  t.equal(wrong, 0, `seed ${random.seed}`);
});

t.test('well-formed fragments out of order are corruption', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  // Build a log whose first record spans two blocks, then cut its FIRST fragment's block short by
  // splicing: block 0 from one log, block 1 onward from a log of single-fragment records.
  const spanning = writeLog([makeRecord(random, 40000)]).contents();
  const small = writeLog([makeRecord(random, 10)]).contents();
  const firstThenFull = Buffer.concat([spanning.subarray(0, WAL_BLOCK_SIZE_BYTES), small]);
  expectCorruption(t, firstThenFull, 0, 'FIRST followed by FULL');
  const middleAlone = Buffer.concat([small, new Uint8Array(WAL_BLOCK_SIZE_BYTES - small.length), spanning.subarray(WAL_BLOCK_SIZE_BYTES)]);
  // Zero padding is damage followed by valid data (the LAST fragment), reported at its start.
  expectCorruption(t, middleAlone, small.length, 'zeros then a LAST fragment');
  const lastAlone = spanning.subarray(WAL_BLOCK_SIZE_BYTES);
  const withLeadingLast = Buffer.concat([lastAlone, new Uint8Array(WAL_BLOCK_SIZE_BYTES - lastAlone.length), small]);
  expectCorruption(t, withLeadingLast, 0, 'a LAST fragment with no record open');
});

t.test('a closed writer refuses records', async (t) => {
  const writer = new WalWriter(new BytesFile());
  writer.close();
  t.throws(() => writer.addRecord(new Uint8Array(1)));
  await t.rejects(writer.sync());
});

t.test('after a crash that tears unsynced writes, every synced record is read back and nothing else is wrong', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  let failures = 0;
  for (let round = 0; round < 30; round++) {
    const fs = new FaultyFileSystem(random.fork(), { tearLastWrite: true });
    fs.mkdirp('/db');
    const writer = new WalWriter(fs.createWritable('/db/000003.log'));
    await fs.syncDir('/db');
    const records: Uint8Array[] = [];
    let syncedCount = 0;
    const total = random.intBetween(1, 60);
    for (let i = 0; i < total; i++) {
      const record = makeRecord(random, random.pick([0, 10, 500, 33000, 80000]));
      writer.addRecord(record);
      records.push(record);
      if (random.chance(0.3)) {
        await writer.sync();
        syncedCount = records.length;
      }
    }
    fs.crash();
    const reader = new WalReader(fs.openRandomAccess('/db/000003.log'), '/db/000003.log');
    try {
      const read = [...reader.records()];
      const prefixOk = read.length >= syncedCount && read.length <= records.length && sameRecords(read, records.slice(0, read.length));
      if (!prefixOk) failures++;
    } catch (error) {
      failures++;
      t.fail(`round ${round}: ${String(error)}`);
    }
  }
  t.equal(failures, 0, `seed ${random.seed}`);
});
