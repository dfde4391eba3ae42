// Proves that a write batch keeps its records in order with copies of their bytes, that its serialized
// form is LevelDB's layout and round-trips through decode (random batches, checked against the list of
// records that built them), that size limits are enforced at the call that breaks them, and that every
// truncation, and random damage to a batch, is either refused with a CorruptionError carrying the file
// and offset or still decodes to a well-formed batch — never another kind of error.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import { ValueType } from '../../../storage/lsm/internal-key.js';
import { BATCH_SIZE_BYTES_MAX, KEY_SIZE_BYTES_MAX, WriteBatch } from '../../../storage/lsm/write-batch.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

type Recorded = [ValueType, number[], number[]];

function recordsOf(batch: WriteBatch): Recorded[] {
  const records: Recorded[] = [];
  batch.forEach((type, key, value) => records.push([type, Array.from(key), Array.from(value)]));
  return records;
}

function randomBytes(random: SeededRandom, maxLength: number): Uint8Array {
  // Lengths around 127/128 and 16383/16384 cross varint byte boundaries.
  const length = random.chance(0.1) ? random.pick([127, 128, 16383, 16384]) : random.int(maxLength + 1);
  return random.fill(new Uint8Array(length));
}

function randomBatch(random: SeededRandom, records: number): { batch: WriteBatch; model: Recorded[] } {
  const batch = new WriteBatch();
  const model: Recorded[] = [];
  for (let i = 0; i < records; i++) {
    const key = randomBytes(random, 20);
    const kind = random.int(3);
    if (kind === 0) {
      const value = randomBytes(random, 40);
      batch.put(key, value);
      model.push([ValueType.Value, Array.from(key), Array.from(value)]);
    } else if (kind === 1) {
      batch.delete(key);
      model.push([ValueType.Deletion, Array.from(key), []]);
    } else {
      const other = randomBytes(random, 20);
      const [start, end] = Buffer.compare(key, other) <= 0 ? [key, other] : [other, key];
      batch.deleteRange(start, end);
      model.push([ValueType.RangeDeletion, Array.from(start), Array.from(end)]);
    }
    // Callers may reuse their buffers: scribbling over them must not change the batch.
    key.fill(0xee);
  }
  return { batch, model };
}

t.test('records keep their order and copies of their bytes, and round-trip through encode/decode', async (t) => {
  const random = new SeededRandom(seed);
  for (let round = 0; round < 300; round++) {
    const { batch, model } = randomBatch(random, random.int(30));
    t.equal(batch.count, model.length);
    const actual = recordsOf(batch);
    if (JSON.stringify(actual) !== JSON.stringify(model)) {
      t.fail(`round ${round}: records differ from the model`);
      break;
    }
    const baseSequence = random.chance(0.5) ? random.int(1_000_000) : 2 ** 53 - 1 - model.length;
    const encoded = batch.encode(baseSequence);
    t.equal(encoded.length, batch.byteSize);
    const decoded = WriteBatch.decode(encoded, 'wal', 0);
    t.equal(decoded.baseSequence, baseSequence);
    t.equal(decoded.batch.count, model.length);
    t.equal(JSON.stringify(recordsOf(decoded.batch)), JSON.stringify(model));
    // The encoded bytes belong to the caller: clearing the batch must not change them.
    batch.clear();
    t.equal(WriteBatch.decode(encoded, 'wal', 0).batch.count, model.length);
  }
});

t.test("the serialized form is LevelDB's layout", async (t) => {
  const batch = new WriteBatch();
  batch.put(new Uint8Array([0x61]), new Uint8Array([0x62, 0x63]));
  batch.delete(new Uint8Array([0x64]));
  batch.deleteRange(new Uint8Array([0x65]), new Uint8Array([0x66]));
  const encoded = batch.encode(0x0102030405);
  t.same(
    Array.from(encoded),
    [
      0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, // base sequence, fixed64 little-endian
      3, 0, 0, 0, // count
      1, 1, 0x61, 2, 0x62, 0x63, // put a -> bc
      0, 1, 0x64, // delete d
      2, 1, 0x65, 1, 0x66, // delete [e, f)
    ],
  );
  t.equal(batch.byteSize, encoded.length);
});

t.test('append joins batches in order; clear empties', async (t) => {
  const random = new SeededRandom(seed ^ 0x77);
  const first = randomBatch(random, 5);
  const second = randomBatch(random, 7);
  first.batch.append(second.batch);
  t.equal(first.batch.count, 12);
  t.equal(JSON.stringify(recordsOf(first.batch)), JSON.stringify([...first.model, ...second.model]));
  t.equal(first.batch.byteSize, first.batch.encode(1).length);
  first.batch.clear();
  t.equal(first.batch.count, 0);
  t.equal(first.batch.byteSize, 12);
  t.same(recordsOf(first.batch), []);
});

t.test('a key above 64 KiB or a batch above 64 MiB is refused at the call, leaving the batch unchanged', async (t) => {
  const batch = new WriteBatch();
  batch.put(new Uint8Array(KEY_SIZE_BYTES_MAX), new Uint8Array(1));
  const sizeBefore = batch.byteSize;
  const invalid = { code: 'INVALID_ARGUMENT' };
  t.throws(() => batch.put(new Uint8Array(KEY_SIZE_BYTES_MAX + 1), new Uint8Array(0)), invalid);
  t.throws(() => batch.delete(new Uint8Array(KEY_SIZE_BYTES_MAX + 1)), invalid);
  t.throws(() => batch.deleteRange(new Uint8Array(1), new Uint8Array(KEY_SIZE_BYTES_MAX + 1)), invalid);
  t.throws(() => batch.deleteRange(new Uint8Array([2]), new Uint8Array([1])), invalid);
  t.equal(batch.byteSize, sizeBefore);
  t.equal(batch.count, 1);

  const big = new Uint8Array(BATCH_SIZE_BYTES_MAX / 2);
  batch.put(new Uint8Array(1), big);
  const sizeAfterOne = batch.byteSize;
  t.throws(() => batch.put(new Uint8Array(1), big), StorageError);
  t.equal(batch.byteSize, sizeAfterOne);
  t.equal(batch.count, 2);
  t.throws(() => batch.encode(-1), invalid);
  t.throws(() => batch.encode(2 ** 53 - 1), invalid, 'two records from 2^53 - 1 would overflow');
});

t.test('every truncation of a batch is a CorruptionError with the file and offset', async (t) => {
  const random = new SeededRandom(seed ^ 0x99);
  const { batch } = randomBatch(random, 6);
  const encoded = batch.encode(42);
  for (let length = 0; length < encoded.length; length++) {
    try {
      WriteBatch.decode(encoded.subarray(0, length), '000007.log', 1000);
      t.fail(`a batch truncated to ${length} bytes decoded`);
    } catch (error) {
      if (!(error instanceof CorruptionError)) {
        t.fail(`truncation to ${length}: ${String(error)}`);
      } else if (error.file !== '000007.log' || error.offset < 1000 || error.offset > 1000 + length) {
        t.fail(`truncation to ${length}: reported at ${error.file}:${error.offset}`);
      }
    }
  }
  t.pass(`${encoded.length} truncations refused`);
});

t.test('malformed headers and records are reported', async (t) => {
  const good = new WriteBatch().put(new Uint8Array([1]), new Uint8Array([2])).encode(5);
  const mutate = (change: (bytes: Uint8Array) => Uint8Array): Uint8Array => change(good.slice());
  const cases: [string, Uint8Array][] = [
    ['count too high', mutate((b) => ((b[8] = 2), b))],
    ['count too low', mutate((b) => ((b[8] = 0), b))],
    ['unknown type', mutate((b) => ((b[12] = 9), b))],
    ['trailing byte', Uint8Array.from([...good, 0])],
    ['sequence above 2^53', mutate((b) => ((b[6] = 0x20), b))],
    ['key length past end', mutate((b) => ((b[13] = 100), b))],
    ['non-terminated varint', Uint8Array.from([...good.subarray(0, 8), 1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ['range start after end', new WriteBatch().deleteRange(new Uint8Array([1]), new Uint8Array([2])).encode(1).map((v, i) => (i === 14 ? 3 : v))],
  ];
  for (const [name, bytes] of cases) t.throws(() => WriteBatch.decode(bytes, 'f', 0), CorruptionError, name);
});

t.test('random damage either decodes to a consistent batch or is a CorruptionError', async (t) => {
  const random = new SeededRandom(seed ^ 0x4242);
  let refused = 0;
  for (let round = 0; round < 2000; round++) {
    const { batch } = randomBatch(random, 1 + random.int(5));
    const bytes = batch.encode(random.int(1000));
    const flips = 1 + random.int(3);
    for (let i = 0; i < flips; i++) bytes[random.int(bytes.length)] ^= 1 << random.int(8);
    try {
      const decoded = WriteBatch.decode(bytes, 'f', 0);
      let records = 0;
      decoded.batch.forEach(() => records++);
      if (records !== decoded.batch.count) t.fail(`round ${round}: decoded count ${decoded.batch.count}, visited ${records}`);
    } catch (error) {
      if (!(error instanceof CorruptionError)) t.fail(`round ${round}: ${String(error)}`);
      refused++;
    }
  }
  t.ok(refused > 0, `${refused} damaged batches refused`);
});
