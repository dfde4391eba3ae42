// Proves that internal keys carry their user key, sequence and type exactly (checked against a BigInt
// model of LevelDB's fixed64 trailer, up to 2^53 - 1), that the comparator orders them by user key
// ascending, then sequence and type descending (against a model sort, on random keys that include long
// shared prefixes so both byte-comparison paths run), and that a seek key sorts first among the visible
// versions of its user key.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { StorageError } from '../../../storage/env/errors.js';
import {
  MAX_SEQUENCE,
  ValueType,
  compareBytes,
  encodeInternalKey,
  filterKeyOf,
  internalKeyComparator,
  seekKeyFor,
  sequenceOf,
  userKeyOf,
  valueTypeOf,
} from '../../../storage/lsm/internal-key.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

function randomSequence(random: SeededRandom): number {
  switch (random.int(4)) {
    case 0:
      return random.int(1000);
    case 1:
      return random.pick([0, 1, 2 ** 24 - 1, 2 ** 24, 2 ** 32 - 1, 2 ** 32, 2 ** 48, MAX_SEQUENCE - 1, MAX_SEQUENCE]);
    case 2:
      return random.int(2 ** 32);
    default:
      return Math.floor(random.float() * MAX_SEQUENCE);
  }
}

function randomUserKey(random: SeededRandom): Uint8Array {
  const kind = random.int(3);
  if (kind === 0) return random.fill(new Uint8Array(random.int(6)));
  // Long keys over a shared prefix exercise the native comparison past 160 bytes.
  const prefixLength = kind === 1 ? random.int(4) : 150 + random.int(30);
  const key = new Uint8Array(prefixLength + random.int(4));
  key.fill(0x61, 0, prefixLength);
  for (let i = prefixLength; i < key.length; i++) key[i] = random.int(3);
  return key;
}

const TYPES = [ValueType.Deletion, ValueType.Value, ValueType.RangeDeletion];

t.test('the trailer is fixed64 little-endian of sequence * 256 + type, and decodes exactly', async (t) => {
  const random = new SeededRandom(seed);
  for (let i = 0; i < 5000; i++) {
    const userKey = randomUserKey(random);
    const sequence = randomSequence(random);
    const type = random.pick(TYPES);
    const key = encodeInternalKey(userKey, sequence, type);
    const expected = (BigInt(sequence) << 8n) | BigInt(type);
    const trailer = Buffer.from(key.buffer, key.byteOffset + userKey.length, 8).readBigUInt64LE(0);
    if (trailer !== expected) t.fail(`trailer of ${sequence}/${type}: ${trailer} != ${expected}`);
    if (sequenceOf(key) !== sequence) t.fail(`sequence ${sequenceOf(key)} != ${sequence}`);
    if (valueTypeOf(key) !== type) t.fail(`type ${valueTypeOf(key)} != ${type}`);
    if (Buffer.compare(userKeyOf(key), userKey) !== 0) t.fail('user key differs');
    if (filterKeyOf(key).length !== userKey.length) t.fail('filter key is not the user key');
  }
  t.pass('5000 keys round-tripped');
});

t.test('the user key is a view, not a copy', async (t) => {
  const key = encodeInternalKey(new Uint8Array([1, 2, 3]), 5, ValueType.Value);
  const view = userKeyOf(key);
  key[0] = 9;
  t.equal(view[0], 9);
  t.equal(view.length, 3);
});

t.test('invalid sequences, types and short keys are refused', async (t) => {
  const key = new Uint8Array([1]);
  for (const bad of [-1, 0.5, MAX_SEQUENCE + 1, Number.NaN, Infinity]) {
    t.throws(() => encodeInternalKey(key, bad, ValueType.Value), StorageError, `sequence ${bad}`);
  }
  t.throws(() => encodeInternalKey(key, 1, 7 as ValueType), StorageError);
  t.throws(() => userKeyOf(new Uint8Array(7)), StorageError);
  t.throws(() => sequenceOf(new Uint8Array(3)), StorageError);
});

t.test('the comparator orders by user key, then sequence and type descending', async (t) => {
  const random = new SeededRandom(seed ^ 0x5a5a);
  t.equal(internalKeyComparator.name, 'reef.InternalKeyComparator');
  type Entry = { userKey: Uint8Array; sequence: number; type: ValueType; key: Uint8Array };
  const entries: Entry[] = [];
  for (let i = 0; i < 3000; i++) {
    const userKey = randomUserKey(random);
    const sequence = randomSequence(random);
    const type = random.pick(TYPES);
    entries.push({ userKey, sequence, type, key: encodeInternalKey(userKey, sequence, type) });
  }
  const model = (a: Entry, b: Entry): number => {
    const byKey = Buffer.compare(a.userKey, b.userKey);
    if (byKey !== 0) return byKey;
    if (a.sequence !== b.sequence) return a.sequence > b.sequence ? -1 : 1;
    return b.type - a.type;
  };
  let mismatches = 0;
  for (let i = 0; i < 20000; i++) {
    const a = random.pick(entries);
    const b = random.chance(0.3) ? a : random.pick(entries);
    const expected = Math.sign(model(a, b));
    const actual = Math.sign(internalKeyComparator.compare(a.key, b.key));
    if (expected !== actual) {
      mismatches++;
      if (mismatches < 5) t.fail(`compare gave ${actual}, model ${expected}: ${a.sequence}/${a.type} vs ${b.sequence}/${b.type}`);
    }
  }
  t.equal(mismatches, 0);
});

t.test('compareBytes agrees with Buffer.compare on both of its paths', async (t) => {
  const random = new SeededRandom(seed ^ 0x1234);
  for (let i = 0; i < 5000; i++) {
    const a = randomUserKey(random);
    const b = random.chance(0.2) ? a.slice() : randomUserKey(random);
    const expected = Math.sign(Buffer.compare(a, b));
    const actual = Math.sign(compareBytes(a, a.length, b, b.length));
    if (expected !== actual) t.fail(`compareBytes ${actual} != ${expected} on lengths ${a.length}, ${b.length}`);
  }
  t.pass('agreed');
});

t.test('a seek key sorts first among the versions visible at its sequence', async (t) => {
  const userKey = new Uint8Array([7, 7]);
  const seek = seekKeyFor(userKey, 100);
  for (const type of TYPES) {
    t.ok(internalKeyComparator.compare(seek, encodeInternalKey(userKey, 100, type)) <= 0, `at 100 type ${type}`);
    t.ok(internalKeyComparator.compare(seek, encodeInternalKey(userKey, 99, type)) < 0, `before 99 type ${type}`);
    t.ok(internalKeyComparator.compare(seek, encodeInternalKey(userKey, 101, type)) > 0, `after 101 type ${type}`);
  }
  t.ok(internalKeyComparator.compare(seek, encodeInternalKey(new Uint8Array([7]), 0, ValueType.Deletion)) > 0);
  t.ok(internalKeyComparator.compare(seek, encodeInternalKey(new Uint8Array([7, 7, 0]), MAX_SEQUENCE, ValueType.Value)) < 0);
});
