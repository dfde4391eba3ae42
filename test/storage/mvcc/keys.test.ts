// Proves the MVCC key layout: the memcomparable codec matches TiKV's byte vectors, preserves order,
// round-trips and is prefix-free (random keys dense in 0x00 and 0xff bytes and shared prefixes); the
// write and data families order versions by user key, then newest first; family bounds hold exactly the
// keys of a span; and damaged encodings are reported as corruption.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import {
  Family,
  dataKey,
  decodeUserKey,
  encodeUserKey,
  familyBounds,
  isVersionOf,
  familyUserKeyPrefix,
  lockKey,
  prefixSuccessor,
  splitVersionedKey,
  userKeyOfLockKey,
  writeKey,
} from '../../../storage/mvcc/keys.js';
import { asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

function randomKey(random: SeededRandom): Uint8Array {
  const key = new Uint8Array(random.int(20));
  for (let i = 0; i < key.length; i++) key[i] = random.pick([0x00, 0x01, 0xfe, 0xff, 0x61, random.int(256)]);
  return key;
}

t.test('memcomparable matches TiKV codec vectors', async (t) => {
  t.same([...encodeUserKey(new Uint8Array())], [0, 0, 0, 0, 0, 0, 0, 0, 0xf7]);
  t.same([...encodeUserKey(Uint8Array.of(1, 2, 3))], [1, 2, 3, 0, 0, 0, 0, 0, 0xfa]);
  t.same([...encodeUserKey(Uint8Array.of(1, 2, 3, 0))], [1, 2, 3, 0, 0, 0, 0, 0, 0xfb]);
  t.same(
    [...encodeUserKey(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))],
    [1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0xf7],
  );
  t.same(
    [...encodeUserKey(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9))],
    [1, 2, 3, 4, 5, 6, 7, 8, 0xff, 9, 0, 0, 0, 0, 0, 0, 0, 0xf8],
  );
});

t.test('memcomparable preserves order, round-trips and is prefix-free', async (t) => {
  const random = new SeededRandom(seed);
  for (let i = 0; i < 4000; i++) {
    const a = randomKey(random);
    const b = random.chance(0.3) ? Uint8Array.from([...a, ...randomKey(random)]) : randomKey(random);
    const encodedA = encodeUserKey(a);
    const encodedB = encodeUserKey(b);
    const expected = Math.sign(Buffer.compare(a, b));
    if (Math.sign(Buffer.compare(encodedA, encodedB)) !== expected) {
      t.fail(`order of ${Buffer.from(a).toString('hex')} and ${Buffer.from(b).toString('hex')}`);
      return;
    }
    const decoded = decodeUserKey(encodedA, 0);
    if (Buffer.compare(decoded.userKey, a) !== 0 || decoded.end !== encodedA.length) {
      t.fail(`round trip of ${Buffer.from(a).toString('hex')}`);
      return;
    }
    if (expected !== 0 && Buffer.compare(encodedA, encodedB.subarray(0, encodedA.length)) === 0) {
      t.fail(`${Buffer.from(a).toString('hex')} encodes to a prefix of ${Buffer.from(b).toString('hex')}`);
      return;
    }
  }
  t.pass('4000 random pairs');
});

t.test('versions sort by user key, then newest first, and never interleave across keys', async (t) => {
  const random = new SeededRandom(seed + 1);
  const entries: { key: Uint8Array; ts: number; encoded: Uint8Array }[] = [];
  const base = [Uint8Array.of(0x61), Uint8Array.of(0x61, 0x00), Uint8Array.of(0x61, 0x62), Uint8Array.of(0x61, 0xff, 0xff)];
  for (let i = 0; i < 400; i++) {
    const key = random.chance(0.5) ? random.pick(base) : randomKey(random);
    const ts = random.chance(0.1) ? random.pick([0, 2 ** 53 - 1]) : random.int(2 ** 40);
    entries.push({ key, ts, encoded: writeKey(key, asTimestamp(ts)) });
  }
  const byEncoding = [...entries].sort((x, y) => Buffer.compare(x.encoded, y.encoded));
  const byModel = [...entries].sort((x, y) => Buffer.compare(x.key, y.key) || y.ts - x.ts);
  t.same(
    byEncoding.map((entry) => [Buffer.from(entry.key).toString('hex'), entry.ts]),
    byModel.map((entry) => [Buffer.from(entry.key).toString('hex'), entry.ts]),
  );
  for (const entry of entries.slice(0, 50)) {
    const split = splitVersionedKey(Family.Write, entry.encoded);
    t.same([...split.userKey], [...entry.key]);
    t.equal(split.timestamp, entry.ts);
    t.ok(isVersionOf(entry.encoded, familyUserKeyPrefix(Family.Write, entry.key)));
  }
  const data = dataKey(Uint8Array.of(7), asTimestamp(9));
  t.equal(data[0], Family.Data);
  t.same([...userKeyOfLockKey(lockKey(Uint8Array.of(7, 8)))], [7, 8]);
});

t.test('family bounds hold exactly the keys of the span', async (t) => {
  const random = new SeededRandom(seed + 2);
  for (let i = 0; i < 300; i++) {
    const [start, end] = [randomKey(random), randomKey(random)].sort(Buffer.compare);
    const key = random.chance(0.2) ? random.pick([start!, end!]) : randomKey(random);
    const inSpan = Buffer.compare(key, start!) >= 0 && Buffer.compare(key, end!) < 0;
    const { lowerBound, upperBound } = familyBounds(Family.Write, start, end);
    for (const ts of [0, 5, 2 ** 53 - 1]) {
      const encoded = writeKey(key, asTimestamp(ts));
      const inBounds = Buffer.compare(encoded, lowerBound) >= 0 && Buffer.compare(encoded, upperBound) < 0;
      if (inBounds !== inSpan) {
        t.fail(`key ${Buffer.from(key).toString('hex')}@${ts} span [${Buffer.from(start!).toString('hex')}, ${Buffer.from(end!).toString('hex')})`);
        return;
      }
    }
    const lockEncoded = lockKey(key);
    const lockBounds = familyBounds(Family.Lock, start, undefined);
    const inLockBounds = Buffer.compare(lockEncoded, lockBounds.lowerBound) >= 0 && Buffer.compare(lockEncoded, lockBounds.upperBound) < 0;
    if (inLockBounds !== Buffer.compare(key, start!) >= 0) {
      t.fail('open-ended lock bounds');
      return;
    }
  }
  t.pass('300 random spans');
  t.same([...prefixSuccessor(Uint8Array.of(1, 0xff))!], [2]);
  t.equal(prefixSuccessor(Uint8Array.of(0xff, 0xff)), undefined);
  // A Buffer's slice is a view: the successor must still be a copy, leaving the caller's prefix alone.
  const prefix = Buffer.from([1, 2, 3]);
  t.same([...prefixSuccessor(prefix)!], [1, 2, 4]);
  t.same([...prefix], [1, 2, 3], 'the prefix is not changed');
});

t.test('damaged encodings are corruption', async (t) => {
  const good = encodeUserKey(Uint8Array.of(1, 2, 3));
  const badMarker = good.slice();
  badMarker[8] = 0xf0;
  t.throws(() => decodeUserKey(badMarker, 0), { code: 'CORRUPTION' });
  const badPadding = good.slice();
  badPadding[6] = 1;
  t.throws(() => decodeUserKey(badPadding, 0), { code: 'CORRUPTION' });
  t.throws(() => decodeUserKey(good.subarray(0, 8), 0), { code: 'CORRUPTION' });
  t.throws(() => userKeyOfLockKey(writeKey(Uint8Array.of(1), asTimestamp(1))), { code: 'CORRUPTION' });
  t.throws(() => splitVersionedKey(Family.Write, lockKey(Uint8Array.of(1))), { code: 'CORRUPTION' });
  t.throws(() => lockKey(new Uint8Array(57 * 1024)), { code: 'INVALID_ARGUMENT' });
});
