// Proves that the merging iterator walks exactly the sorted union of its children, ordered by (key,
// child index), in both directions: for random children (0 to 30 of them, so both the linear scan and
// the heap run; keys repeated across children; some children empty), random sequences of seek,
// seekForPrev, seekToFirst/Last, next and prev with direction switches agree with the model at every
// step; and that close reaches every child once.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { bytewiseComparator } from '../../../storage/lsm/comparator.js';
import { ArrayIterator, type KeyValueIterator } from '../../../storage/lsm/iterator.js';
import { LINEAR_CHILDREN_MAX, MergingIterator } from '../../../storage/lsm/merging-iterator.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

type Entry = { key: Uint8Array; child: number; value: Uint8Array };

function randomKey(random: SeededRandom): Uint8Array {
  const key = new Uint8Array(1 + random.int(3));
  for (let i = 0; i < key.length; i++) key[i] = random.int(5);
  return key;
}

function build(random: SeededRandom, childCount: number): { children: KeyValueIterator[]; model: Entry[] } {
  const model: Entry[] = [];
  const children: KeyValueIterator[] = [];
  for (let child = 0; child < childCount; child++) {
    const unique = new Map<string, Uint8Array>();
    const size = random.chance(0.15) ? 0 : random.int(40);
    for (let i = 0; i < size; i++) {
      const key = randomKey(random);
      unique.set(Buffer.from(key).toString('hex'), key);
    }
    const keys = [...unique.values()].sort((a, b) => Buffer.compare(a, b));
    const entries = keys.map((key) => [key, Uint8Array.from([child, ...key])] as const);
    for (const [key, value] of entries) model.push({ key, child, value });
    children.push(new ArrayIterator(entries, bytewiseComparator.compare));
  }
  model.sort((a, b) => Buffer.compare(a.key, b.key) || a.child - b.child);
  return { children, model };
}

const describe = (entry: Entry | undefined): string =>
  entry === undefined ? 'invalid' : `${Buffer.from(entry.key).toString('hex')}@${entry.child}`;

t.test('every step agrees with the sorted union, both directions, across switches', async (t) => {
  let mismatches = 0;
  let heapRounds = 0;
  let linearRounds = 0;
  for (let round = 0; round < 80; round++) {
    const random = new SeededRandom(seed + round * 101);
    const childCount = round % 10 === 0 ? 30 : random.int(12);
    if (childCount > LINEAR_CHILDREN_MAX) heapRounds++;
    else linearRounds++;
    const { children, model } = build(random, childCount);
    const merged = new MergingIterator(bytewiseComparator, children);
    let position = -1;
    const lowerBound = (target: Uint8Array): number => {
      let index = 0;
      while (index < model.length && Buffer.compare(model[index]!.key, target) < 0) index++;
      return index;
    };
    for (let step = 0; step < 600; step++) {
      const action = random.int(8);
      let name: string;
      if (action === 0) {
        merged.seekToFirst();
        position = 0;
        name = 'seekToFirst';
      } else if (action === 1) {
        merged.seekToLast();
        position = model.length - 1;
        name = 'seekToLast';
      } else if (action === 2) {
        const target = randomKey(random);
        merged.seek(target);
        position = lowerBound(target);
        name = `seek ${Buffer.from(target).toString('hex')}`;
      } else if (action === 3) {
        const target = randomKey(random);
        merged.seekForPrev(target);
        let index = model.length - 1;
        while (index >= 0 && Buffer.compare(model[index]!.key, target) > 0) index--;
        position = index;
        name = `seekForPrev ${Buffer.from(target).toString('hex')}`;
      } else if (!merged.valid()) {
        continue;
      } else if (action < 6) {
        merged.next();
        position++;
        name = 'next';
      } else {
        merged.prev();
        position--;
        name = 'prev';
      }
      const expected = position >= 0 && position < model.length ? model[position] : undefined;
      const actual = merged.valid()
        ? { key: merged.key(), child: merged.value()[0]!, value: merged.value() }
        : undefined;
      if (describe(actual) !== describe(expected) || (actual && Buffer.compare(actual.key, actual.value.subarray(1)) !== 0)) {
        mismatches++;
        if (mismatches <= 3) t.fail(`round ${round} (${childCount} children) step ${step} ${name}: ${describe(actual)}, model ${describe(expected)}`);
        break;
      }
    }
    merged.close();
  }
  t.equal(mismatches, 0);
  t.ok(heapRounds > 0 && linearRounds > 0, `${heapRounds} heap rounds, ${linearRounds} linear rounds`);
});

t.test('a full scan each way yields every entry; close reaches each child once', async (t) => {
  const random = new SeededRandom(seed ^ 0x3141);
  for (const childCount of [0, 1, 3, LINEAR_CHILDREN_MAX + 1, 20]) {
    const { children, model } = build(random, childCount);
    const closes = new Array<number>(childCount).fill(0);
    const counted = children.map((child, index): KeyValueIterator => {
      const wrapper = Object.create(child) as KeyValueIterator;
      wrapper.close = () => {
        closes[index]!++;
        child.close();
      };
      return wrapper;
    });
    const merged = new MergingIterator(bytewiseComparator, counted);
    const forward: string[] = [];
    for (merged.seekToFirst(); merged.valid(); merged.next()) forward.push(describe({ key: merged.key(), child: merged.value()[0]!, value: merged.value() }));
    t.same(forward, model.map(describe), `${childCount} children forward`);
    const backward: string[] = [];
    for (merged.seekToLast(); merged.valid(); merged.prev()) backward.push(describe({ key: merged.key(), child: merged.value()[0]!, value: merged.value() }));
    t.same(backward, model.map(describe).reverse(), `${childCount} children backward`);
    merged.close();
    merged.close();
    t.ok(closes.every((count) => count === 1), 'each child closed once');
    t.notOk(merged.valid());
  }
});
