// Proves that Lock and Write records round-trip through their compact encodings for random records
// with every optional field present or absent, that the byte layout is the one written in records.ts,
// that encode refuses records that break an invariant, and that damaged bytes (truncations, flipped
// bytes, bad tags) either decode to a well-formed record or fail as CORRUPTION, never otherwise.
import t from 'tap';
import { StorageError } from '../../../storage/env/errors.js';
import { SeededRandom } from '../../../storage/env/random.js';
import {
  type Lock,
  type LockKind,
  type Write,
  type WriteKind,
  decodeLock,
  decodeWrite,
  encodeLock,
  encodeWrite,
  writeKindOf,
} from '../../../storage/mvcc/records.js';
import { TIMESTAMP_ZERO, asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

function randomBytes(random: SeededRandom, maxLength: number): Uint8Array {
  return random.fill(new Uint8Array(random.int(maxLength + 1)));
}

function randomTs(random: SeededRandom): number {
  return random.chance(0.2) ? random.pick([1, 2 ** 53 - 1]) : Math.floor(random.float() * 2 ** 53);
}

function randomLock(random: SeededRandom): Lock {
  const kind = random.pick<LockKind>(['put', 'delete', 'lock', 'pessimistic']);
  const useAsyncCommit = random.chance(0.4);
  return {
    kind,
    primary: randomBytes(random, 40),
    startTs: asTimestamp(randomTs(random)),
    ttlMs: random.chance(0.2) ? 2 ** 53 - 1 : random.int(100000),
    shortValue: kind === 'put' && random.chance(0.7) ? randomBytes(random, 255) : undefined,
    minCommitTs: random.chance(0.5) ? TIMESTAMP_ZERO : asTimestamp(randomTs(random)),
    forUpdateTs: random.chance(0.5) ? undefined : asTimestamp(randomTs(random)),
    useAsyncCommit,
    secondaries: useAsyncCommit && random.chance(0.5) ? Array.from({ length: 1 + random.int(5) }, () => randomBytes(random, 20)) : undefined,
    txnSize: random.int(1 << 20),
  };
}

function randomWrite(random: SeededRandom): Write {
  const kind = random.pick<WriteKind>(['put', 'delete', 'lock', 'rollback']);
  return {
    kind,
    startTs: asTimestamp(randomTs(random)),
    shortValue: kind === 'put' && random.chance(0.7) ? randomBytes(random, 255) : undefined,
    hasOverlappedRollback: kind !== 'rollback' && random.chance(0.3),
    isProtected: kind === 'rollback' && random.chance(0.5),
  };
}

const normalizeLock = (lock: Lock): unknown => ({
  ...lock,
  primary: [...lock.primary],
  shortValue: lock.shortValue && [...lock.shortValue],
  secondaries: lock.secondaries?.map((key) => [...key]),
});
const normalizeWrite = (write: Write): unknown => ({
  ...write,
  shortValue: write.shortValue && [...write.shortValue],
  hasOverlappedRollback: write.hasOverlappedRollback === true,
  isProtected: write.isProtected === true,
});

t.test('random locks and writes round-trip', async (t) => {
  const random = new SeededRandom(seed);
  for (let i = 0; i < 2000; i++) {
    const lock = randomLock(random);
    const write = randomWrite(random);
    const lockBack = decodeLock(encodeLock(lock));
    const writeBack = decodeWrite(encodeWrite(write));
    if (JSON.stringify(normalizeLock(lockBack)) !== JSON.stringify(normalizeLock(lock))) {
      t.same(normalizeLock(lockBack), normalizeLock(lock), 'lock round trip');
      return;
    }
    if (JSON.stringify(normalizeWrite(writeBack)) !== JSON.stringify(normalizeWrite(write))) {
      t.same(normalizeWrite(writeBack), normalizeWrite(write), 'write round trip');
      return;
    }
    if (writeKindOf(encodeWrite(write)) !== write.kind) t.fail('writeKindOf');
  }
  t.pass('2000 records of each kind');
});

t.test('the byte layout is the documented one', async (t) => {
  const lock: Lock = {
    kind: 'put',
    primary: Uint8Array.of(0x6b),
    startTs: asTimestamp(0x0102),
    ttlMs: 300,
    shortValue: Uint8Array.of(0x76, 0x31),
    minCommitTs: asTimestamp(0x0103),
    forUpdateTs: undefined,
    useAsyncCommit: true,
    secondaries: [Uint8Array.of(0x73)],
    txnSize: 2,
  };
  t.same(
    [...encodeLock(lock)],
    [
      0x50, 0, 0, 0, 0, 0, 0, 0x01, 0x02, // 'P', startTs
      0xac, 0x02, // ttl 300 as LEB128
      0x02, // txnSize
      0x01, 0x6b, // primary
      0x76, 0x02, 0x76, 0x31, // 'v', length, value
      0x6d, 0, 0, 0, 0, 0, 0, 0x01, 0x03, // 'm', minCommitTs
      0x61, 0x01, 0x01, 0x73, // 'a', one secondary
    ],
  );
  t.same([...encodeWrite({ kind: 'rollback', startTs: asTimestamp(7), isProtected: true })], [0x52, 0, 0, 0, 0, 0, 0, 0, 7, 0x70]);
  t.same([...encodeWrite({ kind: 'put', startTs: asTimestamp(7), hasOverlappedRollback: true })], [0x50, 0, 0, 0, 0, 0, 0, 0, 7, 0x4f]);
});

t.test('encode refuses records that break an invariant', async (t) => {
  const base: Lock = { kind: 'delete', primary: Uint8Array.of(1), startTs: asTimestamp(1), ttlMs: 1, minCommitTs: TIMESTAMP_ZERO, useAsyncCommit: false, txnSize: 1 };
  t.throws(() => encodeLock({ ...base, shortValue: Uint8Array.of(1) }), StorageError, 'a delete lock carries no value');
  t.throws(() => encodeLock({ ...base, kind: 'put', shortValue: new Uint8Array(256) }), StorageError, 'short values are at most 255 bytes');
  t.throws(() => encodeLock({ ...base, secondaries: [Uint8Array.of(2)] }), StorageError, 'secondaries need async commit');
  t.throws(() => encodeLock({ ...base, ttlMs: -1 }), StorageError);
  t.throws(() => encodeWrite({ kind: 'put', startTs: asTimestamp(1), isProtected: true }), StorageError, 'only rollbacks are protected');
  t.throws(() => encodeWrite({ kind: 'lock', startTs: asTimestamp(1), shortValue: Uint8Array.of(1) }), StorageError);
});

t.test('damaged bytes decode to a well-formed record or fail as CORRUPTION', async (t) => {
  const random = new SeededRandom(seed + 1);
  let corruptions = 0;
  let decoded = 0;
  const attempt = (decode: () => unknown): void => {
    try {
      decode();
      decoded++;
    } catch (error) {
      if (!(error instanceof StorageError) || error.code !== 'CORRUPTION') throw error;
      corruptions++;
    }
  };
  for (let i = 0; i < 300; i++) {
    const lockBytes = encodeLock(randomLock(random));
    const writeBytes = encodeWrite(randomWrite(random));
    for (const [bytes, decode] of [
      [lockBytes, decodeLock],
      [writeBytes, decodeWrite],
    ] as const) {
      attempt(() => decode(bytes.subarray(0, random.int(bytes.length))));
      const flipped = bytes.slice();
      flipped[random.int(flipped.length)] ^= 1 << random.int(8);
      attempt(() => decode(flipped));
      attempt(() => decode(Uint8Array.from([...bytes, random.int(256)])));
    }
  }
  t.ok(corruptions > 0, `${corruptions} damaged records reported as corruption, ${decoded} still well-formed`);
  t.throws(() => decodeWrite(Uint8Array.of(0x52, 0, 0, 0, 0, 0, 0, 0, 7, 0x70, 0x70)), { code: 'CORRUPTION' }, 'repeated tag');
  t.throws(() => decodeWrite(Uint8Array.of(0x52, 0, 0, 0, 0, 0, 0, 0, 7, 0x70, 0x4f)), { code: 'CORRUPTION' }, 'tags out of order');
  t.throws(() => decodeWrite(Uint8Array.of(0x44, 0, 0, 0, 0, 0, 0, 0, 7, 0x76, 0)), { code: 'CORRUPTION' }, 'a delete with a value');
  t.throws(() => decodeWrite(Uint8Array.of(0x58, 0, 0, 0, 0, 0, 0, 0, 7)), { code: 'CORRUPTION' }, 'unknown kind');
});
