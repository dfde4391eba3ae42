// Proves that a timestamp splits into and composes from its physical milliseconds and logical counter
// exactly across the whole range (to the year 2248), that its 8-byte encoding sorts like the numbers
// and round-trips, that the inverted encoding sorts newest first, and that invalid values are refused.
import t from 'tap';
import { StorageError } from '../../../storage/env/errors.js';
import { SeededRandom } from '../../../storage/env/random.js';
import {
  LOGICAL_PER_MS,
  PHYSICAL_MS_MAX,
  TIMESTAMP_MAX,
  asTimestamp,
  composeTimestamp,
  encodeInvertedTimestamp,
  encodeTimestamp,
  formatTimestamp,
  logicalOf,
  nextTimestamp,
  physicalMsOf,
  readInvertedTimestamp,
  readTimestamp,
} from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

t.test('compose and split are inverse and exact up to the largest timestamp', async (t) => {
  t.equal(composeTimestamp(PHYSICAL_MS_MAX, LOGICAL_PER_MS - 1), TIMESTAMP_MAX);
  t.equal(physicalMsOf(TIMESTAMP_MAX), PHYSICAL_MS_MAX);
  t.equal(logicalOf(TIMESTAMP_MAX), 1023);
  t.ok(new Date(PHYSICAL_MS_MAX).getUTCFullYear() >= 2248, 'the physical part lasts past the year 2248');
  const now = composeTimestamp(1_700_000_000_000, 5);
  t.equal(physicalMsOf(now), 1_700_000_000_000);
  t.equal(logicalOf(now), 5);
  t.equal(formatTimestamp(now), '1700000000000.5');
  const random = new SeededRandom(seed);
  for (let i = 0; i < 2000; i++) {
    const physicalMs = random.int(PHYSICAL_MS_MAX + 1);
    const logical = random.int(LOGICAL_PER_MS);
    const timestamp = composeTimestamp(physicalMs, logical);
    if (physicalMsOf(timestamp) !== physicalMs || logicalOf(timestamp) !== logical) {
      t.fail(`split of ${physicalMs}.${logical} gave ${formatTimestamp(timestamp)}`);
      return;
    }
  }
  t.pass('2000 random timestamps split back exactly');
});

t.test('encodings sort like the numbers (inverted: reversed) and round-trip', async (t) => {
  const random = new SeededRandom(seed + 1);
  const sample = (): number => {
    const choice = random.int(4);
    if (choice === 0) return random.int(2 ** 32);
    if (choice === 1) return random.pick([0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53 - 2]);
    return Math.floor(random.float() * 2 ** 53);
  };
  for (let i = 0; i < 3000; i++) {
    const a = asTimestamp(sample());
    const b = asTimestamp(sample());
    const plain = Buffer.compare(encodeTimestamp(a), encodeTimestamp(b));
    const inverted = Buffer.compare(encodeInvertedTimestamp(a), encodeInvertedTimestamp(b));
    if (Math.sign(plain) !== Math.sign(a - b) || Math.sign(inverted) !== Math.sign(b - a)) {
      t.fail(`order of ${a} and ${b}: plain ${plain}, inverted ${inverted}`);
      return;
    }
    if (readTimestamp(encodeTimestamp(a), 0) !== a || readInvertedTimestamp(encodeInvertedTimestamp(a), 0) !== a) {
      t.fail(`round trip of ${a}`);
      return;
    }
  }
  t.same([...encodeTimestamp(asTimestamp(0x0102030405))], [0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05], 'big-endian');
  t.same([...encodeInvertedTimestamp(asTimestamp(0))], [255, 255, 255, 255, 255, 255, 255, 255], 'inverted zero is all ones');
});

t.test('invalid values are refused with typed errors', async (t) => {
  for (const bad of [-1, 0.5, 2 ** 53, Number.NaN, Infinity]) {
    t.throws(() => asTimestamp(bad), StorageError, `asTimestamp(${bad})`);
  }
  t.throws(() => composeTimestamp(PHYSICAL_MS_MAX + 1, 0), StorageError);
  t.throws(() => composeTimestamp(0, LOGICAL_PER_MS), StorageError);
  t.throws(() => nextTimestamp(TIMESTAMP_MAX), StorageError);
  t.equal(nextTimestamp(asTimestamp(41)), 42);
  const tooLarge = new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0]); // 2^53
  t.throws(() => readTimestamp(tooLarge, 0), { code: 'CORRUPTION' });
  t.throws(() => readTimestamp(new Uint8Array(7), 0), { code: 'CORRUPTION' });
});
