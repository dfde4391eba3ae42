// The version cache agrees with the write family: fed applied batches (puts, deletes, lock and rollback
// records, deleted records, range deletions), its entry for a key is always that key's newest put or
// delete record, checked against MemoryMvccStore after every batch in a seeded random sequence; it
// never grows past its bound. REEF_SEED replays.
import t from 'tap';
import { VersionCache } from '../../../cluster/node/version-cache.js';
import { WriteBatch } from '../../../storage/lsm/write-batch.js';
import { Family, MemoryMvccStore, type Timestamp, encodeWrite, seekWrite, writeKey, type Write, familyBounds } from '../../../storage/mvcc/index.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The newest put/delete record of `key` in the store, as the cache should hold it. */
function newestValueRecord(store: MemoryMvccStore, key: Uint8Array): { commitTs: Timestamp; kind: string } | undefined {
  const snapshot = store.snapshot();
  for (let ts = Number.MAX_SAFE_INTEGER as Timestamp; ; ) {
    const found = seekWrite(snapshot, key, ts);
    if (found === undefined) return undefined;
    if (found.write.kind === 'put' || found.write.kind === 'delete') return { commitTs: found.commitTs, kind: found.write.kind };
    if (found.commitTs === 0) return undefined;
    ts = (found.commitTs - 1) as Timestamp;
  }
}

t.test('the cache holds each key’s newest put or delete record', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const keys = Array.from({ length: 12 }, (_, i) => enc(`key${i}`));
  const cache = new VersionCache(8 * 200);
  const store = new MemoryMvccStore();
  let ts = 1000;
  let mismatches = 0;
  for (let step = 0; step < 3000; step++) {
    const batch = new WriteBatch();
    const key = random.pick(keys);
    const choice = random.int(100);
    if (choice < 60) {
      const kinds: Write['kind'][] = ['put', 'put', 'delete', 'lock', 'rollback'];
      const kind = random.pick(kinds);
      ts += random.intBetween(1, 5);
      const write: Write = kind === 'put' ? { kind, startTs: (ts - 1) as Timestamp, shortValue: enc(`v${step}`) } : { kind, startTs: (ts - 1) as Timestamp };
      batch.put(writeKey(key, ts as Timestamp), encodeWrite(write));
    } else if (choice < 80) {
      // Delete one existing record of the key (what GC does to old versions).
      const snapshot = store.snapshot();
      const found = seekWrite(snapshot, key, random.intBetween(0, ts) as Timestamp);
      if (found !== undefined) batch.delete(writeKey(key, found.commitTs));
    } else if (choice < 83) {
      const bounds = familyBounds(Family.Write, undefined, undefined);
      batch.deleteRange(bounds.lowerBound, bounds.upperBound);
    } else {
      batch.put(enc('\x01raft/unrelated'), enc('x'));
    }
    store.apply(batch);
    cache.observe(batch);
    if (cache.sizeBytes > 8 * 200) t.fail(`the cache grew to ${cache.sizeBytes} bytes`);
    for (const each of keys) {
      const cached = cache.lookup(each);
      if (cached === undefined) continue;
      const expected = newestValueRecord(store, each);
      if (expected === undefined || expected.commitTs !== cached.commitTs || expected.kind !== cached.write.kind) mismatches++;
    }
  }
  t.equal(mismatches, 0, 'every cached entry is the newest put or delete');
});
