// Proves that the memtable behaves as a sorted array of (user key, sequence, type, value) records: on
// random records over a small key space (short keys, keys sharing long prefixes, and values large
// enough for their own arena chunk), point lookups at random sequences, full forward and backward
// scans, seek, seekForPrev and random next/prev walks all agree with the model; that an iterator made
// earlier stays valid and ordered while inserts continue; that range deletions land in the tombstone
// list rather than among point entries; and that sizes, counts and sequence bounds are kept.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { StorageError } from '../../../storage/env/errors.js';
import {
  ValueType,
  encodeInternalKey,
  internalKeyComparator,
  sequenceOf,
  userKeyOf,
  valueTypeOf,
} from '../../../storage/lsm/internal-key.js';
import { MemTable } from '../../../storage/lsm/memtable.js';
import { WriteBatch } from '../../../storage/lsm/write-batch.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

type Entry = { userKey: Uint8Array; sequence: number; type: ValueType; value: Uint8Array; internalKey: Uint8Array };

const LONG_PREFIX = new Uint8Array(170).fill(0x41);

function randomUserKey(random: SeededRandom): Uint8Array {
  const kind = random.int(10);
  const tail = new Uint8Array(random.int(4));
  for (let i = 0; i < tail.length; i++) tail[i] = random.int(4);
  if (kind === 0) return Uint8Array.from([...LONG_PREFIX, ...tail]);
  if (kind === 1) return Uint8Array.from([1, 2, 3, 4, 5, ...tail]);
  return tail;
}

function randomValue(random: SeededRandom): Uint8Array {
  if (random.chance(0.002)) return random.fill(new Uint8Array(300 * 1024));
  return random.fill(new Uint8Array(random.int(12)));
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Fills a memtable and its model with `count` point records at distinct random sequences. */
function fill(random: SeededRandom, count: number): { memtable: MemTable; model: Entry[] } {
  const memtable = new MemTable();
  const model: Entry[] = [];
  const sequences = Array.from({ length: count }, (_, i) => i * 3 + 1);
  for (let i = sequences.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [sequences[i], sequences[j]] = [sequences[j]!, sequences[i]!];
  }
  for (const sequence of sequences) {
    const userKey = randomUserKey(random);
    const type = random.chance(0.25) ? ValueType.Deletion : ValueType.Value;
    const value = type === ValueType.Value ? randomValue(random) : new Uint8Array(0);
    memtable.add(sequence, type, userKey, value);
    // The memtable copies: the caller may reuse its buffers.
    const keyCopy = userKey.slice();
    const valueCopy = value.slice();
    userKey.fill(0xff);
    value.fill(0xff);
    model.push({ userKey: keyCopy, sequence, type, value: valueCopy, internalKey: encodeInternalKey(keyCopy, sequence, type) });
  }
  model.sort((a, b) => internalKeyComparator.compare(a.internalKey, b.internalKey));
  return { memtable, model };
}

/** The index of the first model entry >= target (model.length when none). */
function lowerBound(model: readonly Entry[], target: Uint8Array): number {
  let low = 0;
  let high = model.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (internalKeyComparator.compare(model[middle]!.internalKey, target) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

t.test('point lookups agree with the newest model version at or below the read sequence', async (t) => {
  let mismatches = 0;
  for (let round = 0; round < 6; round++) {
    const random = new SeededRandom(seed + round);
    const { memtable, model } = fill(random, 2000);
    // The model is sorted by internal key: each user key's versions sit together, newest first.
    const versions = new Map<string, Entry[]>();
    for (const entry of model) {
      const id = hex(entry.userKey);
      if (!versions.has(id)) versions.set(id, []);
      versions.get(id)!.push(entry);
    }
    for (let query = 0; query < 3000; query++) {
      const userKey = random.chance(0.8) ? random.pick(model).userKey : randomUserKey(random);
      const readSequence = random.int(6200);
      const newest = versions.get(hex(userKey))?.find((entry) => entry.sequence <= readSequence);
      const expected = newest === undefined ? 'none' : newest.type === ValueType.Deletion ? 'deleted' : `value ${hex(newest.value)}`;
      const result = memtable.get(userKey, readSequence);
      const actual = result === undefined ? 'none' : result.kind === 'deleted' ? 'deleted' : `value ${hex(result.value)}`;
      if (actual !== expected) {
        mismatches++;
        if (mismatches <= 3) t.fail(`round ${round}: get ${hex(userKey)}@${readSequence} gave ${actual.slice(0, 40)}, model ${expected.slice(0, 40)}`);
      }
    }
  }
  t.equal(mismatches, 0);
});

t.test('scans, seeks and random walks agree with the sorted model', async (t) => {
  let mismatches = 0;
  const fail = (message: string): void => {
    mismatches++;
    if (mismatches <= 3) t.fail(message);
  };
  for (let round = 0; round < 6; round++) {
    const random = new SeededRandom(seed ^ (round * 7919));
    const { memtable, model } = fill(random, 1500);
    const iterator = memtable.iterator();

    const forward: string[] = [];
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) forward.push(hex(iterator.key()) + '=' + hex(iterator.value()));
    const expectedForward = model.map((entry) => hex(entry.internalKey) + '=' + hex(entry.value));
    if (forward.join() !== expectedForward.join()) fail(`round ${round}: forward scan differs`);
    const backward: string[] = [];
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) backward.push(hex(iterator.key()) + '=' + hex(iterator.value()));
    if (backward.join() !== expectedForward.reverse().join()) fail(`round ${round}: backward scan differs`);

    let position = -1; // the model index the iterator should be at; -1 or model.length when invalid
    for (let step = 0; step < 3000; step++) {
      const action = random.int(6);
      if (action === 0 || action === 1) {
        const target = encodeInternalKey(randomUserKey(random), random.int(4600), random.pick([0, 1, 2]) as ValueType);
        if (action === 0) {
          iterator.seek(target);
          position = lowerBound(model, target);
        } else {
          iterator.seekForPrev(target);
          const at = lowerBound(model, target);
          position = at < model.length && internalKeyComparator.compare(model[at]!.internalKey, target) === 0 ? at : at - 1;
        }
      } else if (action === 2) {
        // Seeking to an existing key exactly must land on it, both ways.
        const entry = random.pick(model);
        if (random.chance(0.5)) iterator.seek(entry.internalKey);
        else iterator.seekForPrev(entry.internalKey);
        position = model.indexOf(entry);
      } else if (iterator.valid()) {
        if (action === 3 || action === 4) {
          iterator.next();
          position++;
        } else {
          iterator.prev();
          position--;
        }
      } else {
        continue;
      }
      const expectedValid = position >= 0 && position < model.length;
      if (iterator.valid() !== expectedValid) {
        fail(`round ${round} step ${step}: valid ${iterator.valid()}, model ${expectedValid}`);
        break;
      }
      if (expectedValid) {
        const entry = model[position]!;
        const key = iterator.key();
        if (hex(key) !== hex(entry.internalKey) || hex(iterator.value()) !== hex(entry.value)) {
          fail(`round ${round} step ${step}: at ${hex(key)}, model ${hex(entry.internalKey)}`);
          break;
        }
        if (sequenceOf(key) !== entry.sequence || valueTypeOf(key) !== entry.type || hex(userKeyOf(key)) !== hex(entry.userKey)) {
          fail(`round ${round} step ${step}: key fields differ`);
        }
      }
    }
    iterator.close();
    iterator.close();
    t.notOk(iterator.valid(), 'a closed iterator is invalid');
  }
  t.equal(mismatches, 0);
});

t.test('an iterator made earlier stays valid and ordered while inserts go on', async (t) => {
  const random = new SeededRandom(seed ^ 0xabc);
  const memtable = new MemTable();
  let sequence = 1;
  for (let i = 0; i < 2000; i++) memtable.add(sequence++, ValueType.Value, randomUserKey(random), randomValue(random));
  const before = memtable.iterator();
  const forward = memtable.iterator();
  const backward = memtable.iterator();
  const initialKeys: string[] = [];
  for (before.seekToFirst(); before.valid(); before.next()) initialKeys.push(hex(before.key()));
  forward.seekToFirst();
  backward.seekToLast();
  const seenForward: Uint8Array[] = [];
  const seenBackward: Uint8Array[] = [];
  let inserted = 0;
  while (forward.valid() || backward.valid()) {
    // Thousands of interleaved inserts grow the node array and arena under the iterators; bounded, or
    // the iterators might never reach the end of a list that keeps growing ahead of them.
    for (let i = 0; i < 5 && inserted < 20000; i++, inserted++) {
      memtable.add(sequence++, ValueType.Value, randomUserKey(random), randomValue(random));
    }
    if (forward.valid()) {
      seenForward.push(forward.key().slice());
      forward.next();
    }
    if (backward.valid()) {
      seenBackward.push(backward.key().slice());
      backward.prev();
    }
  }
  const ordered = (keys: Uint8Array[], direction: number): boolean =>
    keys.every((key, i) => i === 0 || Math.sign(internalKeyComparator.compare(keys[i - 1]!, key)) === -direction);
  t.ok(ordered(seenForward, 1), 'forward keys ascend');
  t.ok(ordered(seenBackward, -1), 'backward keys descend');
  const seenSet = new Set(seenForward.map(hex));
  t.ok(initialKeys.every((key) => seenSet.has(key)), 'the forward walk saw every entry that existed when it started');
  const seenBackSet = new Set(seenBackward.map(hex));
  t.ok(initialKeys.every((key) => seenBackSet.has(key)), 'the backward walk saw every entry that existed when it started');
  t.ok(seenForward.length >= initialKeys.length);
  memtable.checkInvariants();
});

t.test('large loads in every order keep the index ordered and complete', async (t) => {
  const random = new SeededRandom(seed ^ 0xdef);
  const decimal = (n: number): Uint8Array => Buffer.from(String(n).padStart(16, '0'), 'latin1');
  const longPrefix = (n: number): Uint8Array => Uint8Array.from([...LONG_PREFIX, n >>> 16, (n >>> 8) & 0xff, n & 0xff]);
  const shuffled = (count: number): number[] => {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  };
  const loads: [string, Uint8Array[]][] = [
    // 120,000 keys build three inner levels, so inner nodes and the root split repeatedly.
    ['random decimal keys', shuffled(120_000).map(decimal)],
    ['ascending decimal keys', Array.from({ length: 40_000 }, (_, i) => decimal(i))],
    ['descending decimal keys', Array.from({ length: 40_000 }, (_, i) => decimal(40_000 - i))],
    ['random bytes', Array.from({ length: 40_000 }, () => random.fill(new Uint8Array(1 + random.int(20))))],
    ['keys sharing 170 bytes', shuffled(20_000).map(longPrefix)],
    // Few user keys, many versions each: equal user keys across nodes and fences.
    ['many versions of few keys', Array.from({ length: 40_000 }, () => Uint8Array.of(random.int(50)))],
  ];
  for (const [name, keys] of loads) {
    const memtable = new MemTable();
    const empty = new Uint8Array(0);
    keys.forEach((key, i) => {
      memtable.add(i + 1, ValueType.Value, key, empty);
      if ((i + 1) % 50_000 === 0) memtable.checkInvariants();
    });
    memtable.checkInvariants();
    const expected = keys
      .map((key, i) => encodeInternalKey(key, i + 1, ValueType.Value))
      .sort((a, b) => internalKeyComparator.compare(a, b));
    const iterator = memtable.iterator();
    let index = 0;
    let outOfPlace = 0;
    for (iterator.seekToFirst(); iterator.valid(); iterator.next(), index++) {
      if (index >= expected.length || Buffer.compare(iterator.key(), expected[index]!) !== 0) outOfPlace++;
    }
    t.equal(index, expected.length, `${name}: the forward scan holds every entry`);
    t.equal(outOfPlace, 0, `${name}: in order`);
    index = expected.length - 1;
    for (iterator.seekToLast(); iterator.valid(); iterator.prev(), index--) {
      if (index < 0 || Buffer.compare(iterator.key(), expected[index]!) !== 0) outOfPlace++;
    }
    t.equal(index, -1, `${name}: the backward scan holds every entry`);
    t.equal(outOfPlace, 0, `${name}: in order backward`);
    let wrong = 0;
    for (let probe = 0; probe < 2000; probe++) {
      const at = random.int(keys.length);
      const result = memtable.get(keys[at]!, keys.length);
      if (result?.kind !== 'value') wrong++;
      const target = expected[random.int(expected.length)]!;
      iterator.seek(target);
      if (!iterator.valid() || Buffer.compare(iterator.key(), target) !== 0) wrong++;
    }
    t.equal(wrong, 0, `${name}: lookups and seeks find what was added`);
  }
});

t.test('range deletions go to the tombstone list, not among point entries', async (t) => {
  const memtable = new MemTable();
  memtable.add(5, ValueType.Value, Buffer.from('b'), Buffer.from('v'));
  const start = Buffer.from('a');
  const end = Buffer.from('c');
  memtable.add(7, ValueType.RangeDeletion, start, end);
  start[0] = 0x7a; // the memtable keeps its own copies
  t.equal(memtable.get(Buffer.from('b'), 10)?.kind, 'value', 'get ignores range tombstones');
  const tombstones = memtable.rangeTombstones();
  t.equal(tombstones.length, 1);
  t.equal(Buffer.from(tombstones[0]!.start).toString(), 'a');
  t.equal(Buffer.from(tombstones[0]!.end).toString(), 'c');
  t.equal(tombstones[0]!.sequence, 7);
  t.equal(memtable.rangeTombstoneSet().maxCoveringSequence(Buffer.from('b'), 10), 7);
  t.equal(memtable.rangeTombstoneSet(), memtable.rangeTombstoneSet(), 'the index is cached');
  const iterator = memtable.iterator();
  let count = 0;
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) count++;
  t.equal(count, 1, 'only the point entry is iterated');
  t.equal(memtable.entryCount, 2);
  memtable.add(9, ValueType.RangeDeletion, Buffer.from('b'), Buffer.from('d'));
  t.equal(memtable.rangeTombstoneSet().maxCoveringSequence(Buffer.from('c'), 10), 9, 'a new tombstone rebuilds the index');
  t.throws(() => memtable.add(11, ValueType.RangeDeletion, Buffer.from('d'), Buffer.from('b')), StorageError);
});

t.test('sizes, counts, sequence bounds, batches and refusals', async (t) => {
  const memtable = new MemTable();
  t.equal(memtable.entryCount, 0);
  t.equal(memtable.smallestSequence, -1);
  t.equal(memtable.largestSequence, -1);
  const empty = memtable.approximateSizeBytes;
  const batch = new WriteBatch();
  batch.put(Buffer.from('k1'), Buffer.from('v1'));
  batch.delete(Buffer.from('k2'));
  batch.deleteRange(Buffer.from('k3'), Buffer.from('k4'));
  batch.put(Buffer.from('k1'), new Uint8Array(1000));
  memtable.addBatch(batch, 100);
  t.equal(memtable.entryCount, 4);
  t.equal(memtable.smallestSequence, 100);
  t.equal(memtable.largestSequence, 103);
  t.ok(memtable.approximateSizeBytes >= empty + 1000, 'the value is counted');
  t.ok(memtable.memoryReservedBytes >= memtable.approximateSizeBytes);
  t.same(memtable.get(Buffer.from('k1'), 102), { kind: 'value', value: Buffer.from('v1') });
  t.equal(memtable.get(Buffer.from('k1'), 103)?.kind, 'value');
  t.equal(memtable.get(Buffer.from('k1'), 99), undefined);
  t.same(memtable.get(Buffer.from('k2'), 200), { kind: 'deleted' });
  t.equal(memtable.rangeTombstones()[0]!.sequence, 102);
  memtable.add(50, ValueType.Value, Buffer.from('z'), Buffer.from('old'));
  t.equal(memtable.smallestSequence, 50);
  t.throws(() => memtable.add(100, ValueType.Value, Buffer.from('k1'), Buffer.from('again')), { code: 'INVALID_ARGUMENT' }, 'a duplicate internal key');
  t.throws(() => memtable.add(-1, ValueType.Value, Buffer.from('x'), Buffer.from('')), { code: 'INVALID_ARGUMENT' });
  t.throws(() => memtable.add(1, 9 as ValueType, Buffer.from('x'), Buffer.from('')), { code: 'INVALID_ARGUMENT' });
  t.throws(() => memtable.iterator().seek(new Uint8Array(3)), { code: 'INVALID_ARGUMENT' });
});
