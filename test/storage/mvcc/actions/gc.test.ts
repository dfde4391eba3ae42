// Proves garbage collection: on random histories built with the actions (short and long values,
// deletes, lock records, rollbacks), every read at or above the safe point returns the same before and
// after, at most one version remains at or below the safe point per key (a put), no data-family value
// is left without its put record; locks at or below the safe point stop gc with KEY_IS_LOCKED and no
// change; a key limit gives a resume key.
import t, { type Test } from 'tap';
import { SeededRandom } from '../../../../storage/env/random.js';
import { Harness, bytes, longValue, ts } from '../harness.js';
import { gc } from '../../../../storage/mvcc/actions/gc.js';
import { Family, splitVersionedKey } from '../../../../storage/mvcc/keys.js';
import { decodeWrite } from '../../../../storage/mvcc/records.js';
import { announceSeed } from '../../../support/seed.js';

const seed = announceSeed(import.meta.url);

const keys = ['a', 'b', 'c', 'd'];

function randomHistory(t: Test, random: SeededRandom): Harness {
  const h = new Harness();
  let now = 10;
  for (let i = 0; i < 40; i++) {
    const key = random.pick(keys);
    const startTs = (now += 2);
    const choice = random.int(5);
    if (choice === 0) h.mustPrewriteDelete(t, key, key, startTs);
    else if (choice === 1) h.mustPrewriteLock(t, key, key, startTs);
    else h.mustPrewritePut(t, key, random.chance(0.4) ? longValue(300, 0x61 + i) : `v${i}`, key, startTs);
    if (random.chance(0.2)) h.mustRollback(t, key, startTs);
    else h.mustCommit(t, key, startTs, startTs + 1);
  }
  return h;
}

t.test('reads at or above the safe point do not change; old versions and their values go', async (t) => {
  const random = new SeededRandom(seed);
  for (let round = 0; round < 20; round++) {
    const h = randomHistory(t, random);
    const safePoint = 10 + random.int(90);
    const before = new Map<string, (string | undefined)[]>();
    for (const key of keys) before.set(key, Array.from({ length: 100 - safePoint + 1 }, (_, i) => h.get(key, safePoint + i)));
    const result = h.run(gc, { safePoint: ts(safePoint) });
    t.equal(result.code, 'OK');
    for (const key of keys) {
      const after = Array.from({ length: 100 - safePoint + 1 }, (_, i) => h.get(key, safePoint + i));
      if (JSON.stringify(after) !== JSON.stringify(before.get(key))) {
        t.same(after, before.get(key), `round ${round} key ${key} safe point ${safePoint}`);
        return;
      }
      const old = h.writes(key).filter(([commitTs]) => commitTs <= safePoint);
      if (old.length > 1 || (old.length === 1 && old[0]![1].kind !== 'put')) {
        t.fail(`round ${round} key ${key}: ${old.length} versions left at or below ${safePoint}`);
        return;
      }
    }
    const putStarts = new Set<string>();
    for (const [key, value] of h.store.allEntries()) {
      if (key[0] !== Family.Write) continue;
      const write = decodeWrite(value);
      if (write.kind === 'put' && write.shortValue === undefined) putStarts.add(`${Buffer.from(splitVersionedKey(Family.Write, key).userKey)}@${write.startTs}`);
    }
    for (const [key] of h.store.allEntries()) {
      if (key[0] !== Family.Data) continue;
      const { userKey, timestamp } = splitVersionedKey(Family.Data, key);
      if (!putStarts.has(`${Buffer.from(userKey)}@${timestamp}`)) return void t.fail(`orphan data value ${Buffer.from(userKey)}@${timestamp}`);
    }
  }
  t.pass('20 random histories');
});

t.test('a lock at or below the safe point stops gc; a key limit gives a resume key', async (t) => {
  const h = new Harness();
  for (const [i, key] of keys.entries()) {
    h.mustPutCommitted(t, key, 'old', 10 + i * 2, 11 + i * 2);
    h.mustPutCommitted(t, key, 'new', 20 + i * 2, 21 + i * 2);
  }
  h.mustPrewritePut(t, 'b', 'x', 'b', 30);
  const stopped = h.runCounting(gc, { safePoint: ts(40) });
  t.match(stopped.result, { code: 'KEY_IS_LOCKED', locks: [{ key: bytes('b') }] });
  t.equal(stopped.records, 0);
  h.mustCommit(t, 'b', 30, 31);
  const first = h.run(gc, { safePoint: ts(40), keyLimit: 2 });
  t.match(first, { code: 'OK', keysExamined: 2, versionsDeleted: 3, resumeKey: bytes('c') });
  t.match(h.run(gc, { safePoint: ts(40), startKey: bytes('c') }), { code: 'OK', keysExamined: 2, versionsDeleted: 2 });
  for (const key of keys) t.equal(h.writes(key).length, 1);
  t.equal(h.get('b', 40), 'x');
});
