// Proves that the user-facing iterator shows exactly the database a reader at one sequence sees: over
// several memtables (and sometimes a table-like copy of the oldest one, so identical internal keys
// arrive from two sources) holding random puts, deletions and range deletions at many sequences, every
// step of random seekToFirst/Last, seek, seekForPrev, next and prev — with random lower and upper
// bounds and direction switches — agrees with a model that computes the visible map at the read
// sequence, while later writes keep landing in the newest memtable. Also: close runs its callback once
// and a closed iterator refuses use.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { StorageError } from '../../../storage/env/errors.js';
import { ArrayIterator, type KeyValueIterator } from '../../../storage/lsm/iterator.js';
import { ValueType, internalKeyComparator } from '../../../storage/lsm/internal-key.js';
import { MemTable } from '../../../storage/lsm/memtable.js';
import { MergingIterator } from '../../../storage/lsm/merging-iterator.js';
import { RangeTombstoneSet } from '../../../storage/lsm/range-tombstones.js';
import { DbIterator, type DbIteratorOptions } from '../../../storage/lsm/db-iterator.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

type Write = { key: Uint8Array; sequence: number; type: ValueType; value: Uint8Array };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function randomKey(random: SeededRandom): Uint8Array {
  if (random.chance(0.03)) return Uint8Array.from([...new Uint8Array(40).fill(2), random.int(3)]);
  const key = new Uint8Array(random.int(3));
  for (let i = 0; i < key.length; i++) key[i] = random.int(5);
  return key;
}

function randomWrite(random: SeededRandom, sequence: number): Write {
  const roll = random.float();
  if (roll < 0.6) return { key: randomKey(random), sequence, type: ValueType.Value, value: random.fill(new Uint8Array(1 + random.int(6))) };
  if (roll < 0.9) return { key: randomKey(random), sequence, type: ValueType.Deletion, value: new Uint8Array(0) };
  const a = randomKey(random);
  const b = randomKey(random);
  const [start, end] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  return { key: start, sequence, type: ValueType.RangeDeletion, value: end };
}

/** The visible (key, value) pairs at readSequence within the bounds, sorted by key. */
function visible(writes: readonly Write[], readSequence: number, options: DbIteratorOptions): [Uint8Array, Uint8Array][] {
  const newest = new Map<string, Write>();
  for (const write of writes) {
    if (write.type === ValueType.RangeDeletion || write.sequence > readSequence) continue;
    const id = hex(write.key);
    const seen = newest.get(id);
    if (seen === undefined || seen.sequence < write.sequence) newest.set(id, write);
  }
  const result: [Uint8Array, Uint8Array][] = [];
  for (const write of newest.values()) {
    if (write.type !== ValueType.Value) continue;
    const deleted = writes.some(
      (tombstone) =>
        tombstone.type === ValueType.RangeDeletion &&
        tombstone.sequence > write.sequence &&
        tombstone.sequence <= readSequence &&
        Buffer.compare(tombstone.key, write.key) <= 0 &&
        Buffer.compare(write.key, tombstone.value) < 0,
    );
    if (deleted) continue;
    if (options.lowerBound !== undefined && Buffer.compare(write.key, options.lowerBound) < 0) continue;
    if (options.upperBound !== undefined && Buffer.compare(write.key, options.upperBound) >= 0) continue;
    result.push([write.key, write.value]);
  }
  return result.sort((a, b) => Buffer.compare(a[0], b[0]));
}

/** Snapshot of a memtable's point entries as a sorted array source, like a table flushed from it. */
function tableCopy(memtable: MemTable): KeyValueIterator {
  const entries: [Uint8Array, Uint8Array][] = [];
  const iterator = memtable.iterator();
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) entries.push([iterator.key().slice(), iterator.value().slice()]);
  return new ArrayIterator(entries, internalKeyComparator.compare);
}

t.test('every step agrees with the visible map at the read sequence', async (t) => {
  let mismatches = 0;
  let steps = 0;
  for (let round = 0; round < 24; round++) {
    const random = new SeededRandom(seed + round * 7);
    const memtables = Array.from({ length: 1 + random.int(4) }, () => new MemTable());
    const writes: Write[] = [];
    let sequence = 0;
    const recordCount = 50 + random.int(300);
    for (let i = 0; i < recordCount; i++) {
      const write = randomWrite(random, ++sequence);
      writes.push(write);
      // Older memtables hold older sequences, as in the database.
      memtables[Math.min(memtables.length - 1, Math.floor((i / recordCount) * memtables.length))]!.add(write.sequence, write.type, write.key, write.value);
    }
    const newest = memtables[memtables.length - 1]!;
    for (let view = 0; view < 6; view++) {
      const readSequence = random.chance(0.2) ? sequence : random.int(sequence + 1);
      const options: DbIteratorOptions = {};
      if (random.chance(0.4)) options.lowerBound = randomKey(random);
      if (random.chance(0.4)) options.upperBound = randomKey(random);
      let closes = 0;
      options.onClose = () => closes++;
      const sources = memtables.map((memtable) => memtable.iterator());
      if (random.chance(0.5)) sources.push(tableCopy(memtables[0]!));
      const tombstones = RangeTombstoneSet.union(memtables.map((memtable) => memtable.rangeTombstoneSet()));
      const merged = new MergingIterator(internalKeyComparator, sources);
      // Both constructor forms: positional, and one settings object.
      const iterator = random.chance(0.5)
        ? new DbIterator(merged, readSequence, tombstones, options)
        : new DbIterator(merged, { ...options, sequence: readSequence, tombstones });
      const model = visible(writes, readSequence, options);
      let position = -1;
      for (let step = 0; step < 250; step++) {
        if (random.chance(0.05)) {
          // A later write lands while the iterator is open; it must stay invisible.
          const write = randomWrite(random, ++sequence);
          writes.push(write);
          newest.add(write.sequence, write.type, write.key, write.value);
        }
        const action = random.int(8);
        let name: string;
        if (action === 0) {
          iterator.seekToFirst();
          position = 0;
          name = 'seekToFirst';
        } else if (action === 1) {
          iterator.seekToLast();
          position = model.length - 1;
          name = 'seekToLast';
        } else if (action === 2) {
          const target = randomKey(random);
          iterator.seek(target);
          position = model.findIndex(([key]) => Buffer.compare(key, target) >= 0);
          if (position < 0) position = model.length;
          name = `seek ${hex(target)}`;
        } else if (action === 3) {
          const target = randomKey(random);
          iterator.seekForPrev(target);
          position = model.length - 1;
          while (position >= 0 && Buffer.compare(model[position]![0], target) > 0) position--;
          name = `seekForPrev ${hex(target)}`;
        } else if (!iterator.valid()) {
          continue;
        } else if (action < 6) {
          iterator.next();
          position++;
          name = 'next';
        } else {
          iterator.prev();
          position--;
          name = 'prev';
        }
        steps++;
        const expected = position >= 0 && position < model.length ? model[position]! : undefined;
        const actual = iterator.valid() ? [iterator.key(), iterator.value()] : undefined;
        const describe = (entry: Uint8Array[] | undefined): string => (entry === undefined ? 'invalid' : `${hex(entry[0]!)}=${hex(entry[1]!)}`);
        if (describe(actual) !== describe(expected)) {
          mismatches++;
          if (mismatches <= 3) {
            t.fail(
              `round ${round} view ${view} step ${step} ${name} (read ${readSequence}, bounds ${options.lowerBound && hex(options.lowerBound)}..${options.upperBound && hex(options.upperBound)}): ${describe(actual)}, model ${describe(expected)}`,
            );
          }
          break;
        }
      }
      iterator.close();
      iterator.close();
      t.equal(closes, 1, 'onClose runs once');
    }
  }
  t.equal(mismatches, 0);
  t.ok(steps > 10000, `${steps} steps checked`);
});

t.test('a range tombstone hides older versions only, and only from readers that see it', async (t) => {
  const memtable = new MemTable();
  memtable.add(1, ValueType.Value, Buffer.from('a'), Buffer.from('a1'));
  memtable.add(2, ValueType.Value, Buffer.from('b'), Buffer.from('b2'));
  memtable.add(3, ValueType.RangeDeletion, Buffer.from('a'), Buffer.from('c'));
  memtable.add(4, ValueType.Value, Buffer.from('b'), Buffer.from('b4'));
  const scan = (readSequence: number): string[] => {
    const iterator = new DbIterator(new MergingIterator(internalKeyComparator, [memtable.iterator()]), readSequence, memtable.rangeTombstoneSet());
    const seen: string[] = [];
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) seen.push(`${Buffer.from(iterator.key())}=${Buffer.from(iterator.value())}`);
    const reverse: string[] = [];
    for (iterator.seekToLast(); iterator.valid(); iterator.prev()) reverse.unshift(`${Buffer.from(iterator.key())}=${Buffer.from(iterator.value())}`);
    t.same(reverse, seen, `reverse matches forward at ${readSequence}`);
    iterator.close();
    return seen;
  };
  t.same(scan(2), ['a=a1', 'b=b2']);
  t.same(scan(3), []);
  t.same(scan(4), ['b=b4']);
});

t.test('a closed iterator refuses use; next on an invalid iterator is refused', async (t) => {
  const memtable = new MemTable();
  memtable.add(1, ValueType.Value, Buffer.from('a'), Buffer.from('1'));
  const iterator = new DbIterator(memtable.iterator(), 1, RangeTombstoneSet.EMPTY, {});
  iterator.seek(Buffer.from('b'));
  t.notOk(iterator.valid());
  t.throws(() => iterator.next(), { code: 'INVALID_ARGUMENT' });
  iterator.close();
  t.throws(() => iterator.seekToFirst(), StorageError);
  t.throws(() => iterator.seekToFirst(), { code: 'CLOSED' });
  t.throws(() => new DbIterator(memtable.iterator(), -1, RangeTombstoneSet.EMPTY), { code: 'INVALID_ARGUMENT' });
});
