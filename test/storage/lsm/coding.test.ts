// Proves that every encoding in coding.ts round-trips at its edges and on seeded random values, matches
// LevelDB's byte layout, and that the reader rejects truncated or overlong input with a CorruptionError
// naming the file and the absolute offset of the bad field.
import t from 'tap';
import {
  ByteReader,
  copyBytes,
  ByteWriter,
  getFixed32,
  getFixed64,
  getFixed64BigInt,
  putFixed32,
  putFixed64,
  putFixed64BigInt,
  putVarint32,
  putVarint64,
  varintLength,
} from '../../../storage/lsm/coding.js';
import { CorruptionError } from '../../../storage/env/errors.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

t.test('fixed-width integers are little-endian and round-trip', async (t) => {
  const bytes = new Uint8Array(8);
  putFixed32(bytes, 0, 0x04030201);
  t.same([...bytes.subarray(0, 4)], [1, 2, 3, 4]);
  t.equal(getFixed32(bytes, 0), 0x04030201);
  putFixed32(bytes, 0, 0xffffffff);
  t.equal(getFixed32(bytes, 0), 0xffffffff);
  putFixed64(bytes, 0, Number.MAX_SAFE_INTEGER);
  t.equal(getFixed64(bytes, 0), Number.MAX_SAFE_INTEGER);
  putFixed64BigInt(bytes, 0, 0xdb4775248b80fb57n);
  t.same([...bytes], [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]);
  t.equal(getFixed64BigInt(bytes, 0), 0xdb4775248b80fb57n);
  t.equal(getFixed64(bytes, 0), -1, 'a value above 2^53 is reported as -1, not rounded');
  t.throws(() => putFixed64(bytes, 0, -1));
  t.throws(() => putFixed64(bytes, 0, 2 ** 53));
});

t.test('varints match LevelDB byte for byte at the group edges', async (t) => {
  const cases: [number, number[]][] = [
    [0, [0]],
    [127, [127]],
    [128, [0x80, 1]],
    [300, [0xac, 2]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 1]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [value, expected] of cases) {
    const bytes = new Uint8Array(10);
    const end = putVarint32(bytes, 0, value);
    t.same([...bytes.subarray(0, end)], expected, `varint32 ${value}`);
    t.equal(varintLength(value), expected.length);
    const end64 = putVarint64(bytes, 0, value);
    t.same([...bytes.subarray(0, end64)], expected, `varint64 ${value}`);
    t.equal(new ByteReader(bytes, 'f').readVarint32(), value);
  }
  const bytes = new Uint8Array(10);
  const end = putVarint64(bytes, 0, 2 ** 53 - 1);
  t.equal(end, 8);
  t.equal(new ByteReader(bytes.subarray(0, end), 'f').readVarint64(), 2 ** 53 - 1);
});

t.test('seeded random values round-trip through ByteWriter and ByteReader', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  t.teardown(() => {
    if (t.passing() === false) console.error(`seed ${random.seed}`);
  });
  const writer = new ByteWriter(16);
  const expected: (number | Uint8Array)[] = [];
  const kinds: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const kind = random.int(5);
    kinds.push(kind);
    switch (kind) {
      case 0: {
        const value = random.int(2 ** random.intBetween(1, 32));
        writer.putVarint32(value);
        expected.push(value);
        break;
      }
      case 1: {
        const value = Math.floor(random.float() * 2 ** random.intBetween(1, 53));
        writer.putVarint64(value);
        expected.push(value);
        break;
      }
      case 2: {
        const value = random.int(2 ** 32);
        writer.putFixed32(value);
        expected.push(value);
        break;
      }
      case 3: {
        const value = Math.floor(random.float() * 2 ** 53);
        writer.putFixed64(value);
        expected.push(value);
        break;
      }
      default: {
        const slice = random.fill(new Uint8Array(random.int(300)));
        writer.putLengthPrefixed(slice);
        expected.push(slice);
      }
    }
  }
  const reader = new ByteReader(writer.bytes(), 'f');
  let mismatches = 0;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    const got =
      kind === 0 ? reader.readVarint32() : kind === 1 ? reader.readVarint64() : kind === 2 ? reader.readFixed32() : kind === 3 ? reader.readFixed64() : reader.readLengthPrefixed();
    const want = expected[i]!;
    const same = typeof want === 'number' ? got === want : Buffer.compare(got as Uint8Array, want) === 0;
    if (!same) mismatches++;
  }
  t.equal(mismatches, 0, `seed ${random.seed}`);
  t.ok(reader.atEnd);
  const taken = writer.takeBytes();
  t.ok(taken.length > 0);
  t.equal(writer.length, 0);
});

t.test('truncated and overlong input gives CorruptionError with file and absolute offset', async (t) => {
  const check = (bytes: number[], read: (reader: ByteReader) => unknown, offset: number, name: string): void => {
    const reader = new ByteReader(Uint8Array.from(bytes), 'table-7.sst', 1000);
    try {
      read(reader);
      t.fail(`${name}: no error`);
    } catch (error) {
      t.type(error, CorruptionError, name);
      t.equal((error as CorruptionError).file, 'table-7.sst', name);
      t.equal((error as CorruptionError).offset, offset, name);
    }
  };
  check([0x80, 0x80], (r) => r.readVarint32(), 1000, 'truncated varint32');
  check([0xff, 0xff, 0xff, 0xff, 0x1f], (r) => r.readVarint32(), 1000, 'varint32 above 2^32');
  check([0xff, 0xff, 0xff, 0xff, 0xff, 0x80], (r) => r.readVarint32(), 1000, 'six-byte varint32');
  check([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], (r) => r.readVarint64(), 1000, 'varint64 above 2^53');
  check([1, 2, 3], (r) => r.readFixed32(), 1000, 'truncated fixed32');
  check([0, 0, 0, 0, 0, 0, 0x20, 0], (r) => r.readFixed64(), 1000, 'fixed64 above 2^53');
  check([5, 1, 2], (r) => r.readLengthPrefixed(), 1000, 'slice longer than the data');
  check([1, 9, 0x80], (r) => { r.readLengthPrefixed(); return r.readVarint32(); }, 1002, 'offset counts from the base');
});

t.test('copyBytes copies, even from a Buffer (whose slice is a view)', async (t) => {
  const source = Buffer.from([1, 2, 3, 4]);
  const copy = copyBytes(source, 1, 3);
  source[1] = 9;
  t.same([...copy], [2, 3]);
  t.same([...copyBytes(Uint8Array.of(5, 6))], [5, 6]);
});
