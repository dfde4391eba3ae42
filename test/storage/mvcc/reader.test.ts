// Proves MVCC reads against a brute-force model: random histories (puts with short and long values,
// deletes, lock and rollback records, up to 30 versions a key so that the scanner's seek shortcuts
// run, keys sharing prefixes and zero bytes) and random locks are written into the in-memory store;
// then get and scan (forward and reverse, random spans and limits, key-only) at random read timestamps,
// with random bypass sets, must return exactly what the model says: the newest put or delete at or
// below the read timestamp, or KeyIsLocked with the blocking locks. Also checks the in-memory store's
// snapshot isolation and iterator bounds.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { WriteBatch } from '../../../storage/lsm/write-batch.js';
import { dataKey, lockKey, writeKey } from '../../../storage/mvcc/keys.js';
import { type Lock, type LockKind, type WriteKind, encodeLock, encodeWrite } from '../../../storage/mvcc/records.js';
import { lockBlocksRead, mvccGet } from '../../../storage/mvcc/reader.js';
import { mvccScan, scanLocks } from '../../../storage/mvcc/scanner.js';
import { MemoryMvccStore } from '../../../storage/mvcc/snapshot.js';
import { TIMESTAMP_ZERO, type Timestamp, asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

interface Version {
  commitTs: number;
  kind: WriteKind;
  startTs: number;
  value?: Uint8Array;
}
interface KeyHistory {
  key: Uint8Array;
  versions: Version[]; // newest first
  lock?: Lock;
}

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');

function buildHistory(random: SeededRandom): { store: MemoryMvccStore; histories: KeyHistory[] } {
  const keySet = new Map<string, Uint8Array>();
  const stems = [[0x61], [0x61, 0x00], [0x61, 0x62], [0x62], [0x61, 0x00, 0x00], [], [0xff], [0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68]];
  while (keySet.size < 14) {
    const key = Uint8Array.from(random.chance(0.6) ? random.pick(stems) : [...random.pick(stems), random.int(256)]);
    keySet.set(hex(key), key);
  }
  const store = new MemoryMvccStore();
  const histories: KeyHistory[] = [];
  const batch = new WriteBatch();
  for (const key of keySet.values()) {
    const history: KeyHistory = { key, versions: [] };
    const versionCount = random.chance(0.2) ? 0 : random.int(random.chance(0.3) ? 30 : 5);
    const commitTimes = new Set<number>();
    while (commitTimes.size < versionCount) commitTimes.add(10 * (1 + random.int(200)));
    for (const commitTs of [...commitTimes].sort((a, b) => b - a)) {
      const kind = random.pick<WriteKind>(['put', 'put', 'put', 'delete', 'lock', 'rollback']);
      // Start timestamps are unique per key, as they are per transaction: a long value's data-family
      // slot is the key at its start timestamp.
      // Commit timestamps are multiples of 10, so start timestamps drawn from the nine below each are
      // unique per key, as they are per transaction (a long value's data slot is key + startTs).
      const startTs = kind === 'rollback' ? commitTs : commitTs - 1 - random.int(9);
      const version: Version = { commitTs, kind, startTs };
      if (kind === 'put') {
        const value = random.fill(new Uint8Array(random.chance(0.3) ? 256 + random.int(300) : random.int(20)));
        version.value = value;
        if (value.length > 255) batch.put(dataKey(key, asTimestamp(startTs)), value);
      }
      history.versions.push(version);
      batch.put(
        writeKey(key, asTimestamp(commitTs)),
        encodeWrite({
          kind,
          startTs: asTimestamp(startTs),
          shortValue: version.value !== undefined && version.value.length <= 255 ? version.value : undefined,
        }),
      );
    }
    if (random.chance(0.35)) {
      const kind = random.pick<LockKind>(['put', 'delete', 'lock', 'pessimistic']);
      history.lock = {
        kind,
        primary: key,
        startTs: asTimestamp(1 + random.int(2200)),
        ttlMs: 100,
        minCommitTs: random.chance(0.3) ? asTimestamp(1 + random.int(2200)) : TIMESTAMP_ZERO,
        useAsyncCommit: false,
        txnSize: 1,
        shortValue: kind === 'put' ? Uint8Array.of(1) : undefined,
      };
      batch.put(lockKey(key), encodeLock(history.lock));
    }
    histories.push(history);
  }
  store.apply(batch);
  histories.sort((a, b) => Buffer.compare(a.key, b.key));
  return { store, histories };
}

function modelVisible(history: KeyHistory, readTs: number): Version | undefined {
  return history.versions.find((version) => version.commitTs <= readTs && (version.kind === 'put' || version.kind === 'delete'));
}

t.test('get and scan agree with the model on random histories', async (t) => {
  const random = new SeededRandom(seed);
  let checks = 0;
  for (let round = 0; round < 40; round++) {
    const { store, histories } = buildHistory(random);
    const snapshot = store.snapshot();
    for (let query = 0; query < 60; query++) {
      const readTs = asTimestamp(random.chance(0.1) ? 2 ** 53 - 1 : random.chance(0.3) ? 10 * random.int(210) : random.int(2100));
      const bypass = new Set<Timestamp>();
      for (const history of histories) if (history.lock !== undefined && random.chance(0.2)) bypass.add(history.lock.startTs);
      const blocks = (history: KeyHistory): boolean => history.lock !== undefined && lockBlocksRead(history.lock, readTs, bypass);

      const history = random.pick(histories);
      const got = mvccGet(snapshot, history.key, readTs, { bypassLockTs: bypass });
      const visible = modelVisible(history, readTs);
      if (blocks(history)) {
        if (got.code !== 'KEY_IS_LOCKED') return void t.fail(`get ${hex(history.key)}@${readTs}: expected locked, got ${got.code}`);
      } else {
        const expected = visible?.kind === 'put' ? hex(visible.value!) : undefined;
        if (got.code !== 'OK' || (got.value === undefined ? undefined : hex(got.value)) !== expected) {
          return void t.fail(`get ${hex(history.key)}@${readTs}: expected ${expected}, got ${JSON.stringify(got)}`);
        }
      }

      const [startIndex, endIndex] = [random.int(histories.length + 1), random.int(histories.length + 1)].sort((a, b) => a - b);
      const startKey = random.chance(0.2) ? undefined : histories[startIndex!]?.key;
      const endKey = random.chance(0.2) ? undefined : histories[endIndex!]?.key;
      const limit = 1 + random.int(16);
      const reverse = random.chance(0.5);
      const keyOnly = random.chance(0.2);
      let inSpan = histories.filter(
        (entry) => (startKey === undefined || Buffer.compare(entry.key, startKey) >= 0) && (endKey === undefined || Buffer.compare(entry.key, endKey) < 0),
      );
      if (reverse) inSpan = inSpan.reverse();
      const expectedPairs: string[] = [];
      const expectedLocks: string[] = [];
      for (const entry of inSpan) {
        if (expectedPairs.length + expectedLocks.length >= limit) break;
        if (blocks(entry)) {
          expectedLocks.push(hex(entry.key));
          continue;
        }
        const version = modelVisible(entry, readTs);
        if (version?.kind === 'put') expectedPairs.push(`${hex(entry.key)}=${keyOnly ? '' : hex(version.value!)}`);
      }
      const scanned = mvccScan(snapshot, { startKey, endKey, readTs, limit, reverse, keyOnly, bypassLockTs: bypass });
      const description = `scan [${startKey && hex(startKey)}, ${endKey && hex(endKey)}) @${readTs} limit ${limit}${reverse ? ' reverse' : ''}`;
      if (expectedLocks.length > 0) {
        if (scanned.code !== 'KEY_IS_LOCKED') return void t.fail(`${description}: expected locks ${expectedLocks}, got ${scanned.code}`);
        t.same(scanned.locks.map((locked) => hex(locked.key)), expectedLocks, description);
      } else {
        if (scanned.code !== 'OK') return void t.fail(`${description}: expected pairs, got ${JSON.stringify(scanned)}`);
        const pairs = scanned.pairs.map((pair) => `${hex(pair.key)}=${hex(pair.value)}`);
        if (JSON.stringify(pairs) !== JSON.stringify(expectedPairs)) {
          t.same(pairs, expectedPairs, description);
          return;
        }
      }
      checks++;
    }
  }
  t.ok(checks > 2000, `${checks} get+scan checks`);
});

t.test('scanLocks returns the locks at or below maxTs in the span', async (t) => {
  const random = new SeededRandom(seed + 1);
  const { store, histories } = buildHistory(random);
  const maxTs = asTimestamp(1100);
  const expected = histories.filter((entry) => entry.lock !== undefined && entry.lock.startTs <= maxTs).map((entry) => hex(entry.key));
  const found = scanLocks(store.snapshot(), { maxTs, limit: 100 }).map((locked) => hex(locked.key));
  t.same(found, expected);
  if (expected.length > 1) t.equal(scanLocks(store.snapshot(), { maxTs, limit: 1 }).length, 1, 'the limit holds');
});

t.test('memory store snapshots do not change and iterators keep to their bounds', async (t) => {
  const store = new MemoryMvccStore();
  const put = (key: number, value: number): void => {
    store.apply(new WriteBatch().put(Uint8Array.of(key), Uint8Array.of(value)));
  };
  put(1, 10);
  put(3, 30);
  const before = store.snapshot();
  put(2, 20);
  store.apply(new WriteBatch().delete(Uint8Array.of(1)));
  t.same(before.get(Uint8Array.of(1)), Uint8Array.of(10));
  t.equal(before.get(Uint8Array.of(2)), undefined);
  const now = store.snapshot();
  t.equal(now.get(Uint8Array.of(1)), undefined);
  put(4, 40);
  put(5, 50);
  store.apply(new WriteBatch().deleteRange(Uint8Array.of(4), Uint8Array.of(5)));
  const iterator = store.snapshot().iterator({ lowerBound: Uint8Array.of(2), upperBound: Uint8Array.of(5) });
  const keys: number[] = [];
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) keys.push(iterator.key()[0]!);
  t.same(keys, [2, 3], 'range deletion applied, bounds respected');
  iterator.seek(Uint8Array.of(0));
  t.equal(iterator.key()[0], 2, 'seek below the lower bound lands on the first key in bounds');
  iterator.seekForPrev(Uint8Array.of(9));
  t.equal(iterator.key()[0], 3, 'seekForPrev above the upper bound lands on the last key in bounds');
  iterator.seekForPrev(Uint8Array.of(1));
  t.notOk(iterator.valid());
});
