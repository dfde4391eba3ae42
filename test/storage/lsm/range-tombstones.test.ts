// Proves that the fragmented range-tombstone index answers exactly what a brute-force scan of the raw
// tombstones answers: for random overlapping tombstones over a small key space (so that starts, ends
// and query keys collide often), random read sequences, and sets split across several sources joined
// with union, maxCoveringSequence and isCovered agree with the model on thousands of queries per seed.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { StorageError } from '../../../storage/env/errors.js';
import { RangeTombstoneSet, type RangeTombstone } from '../../../storage/lsm/range-tombstones.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

function randomKey(random: SeededRandom): Uint8Array {
  const key = new Uint8Array(random.int(4));
  for (let i = 0; i < key.length; i++) key[i] = random.int(3);
  return key;
}

function modelMaxCovering(tombstones: readonly RangeTombstone[], key: Uint8Array, readSequence: number): number {
  let max = -1;
  for (const tombstone of tombstones) {
    if (Buffer.compare(tombstone.start, key) <= 0 && Buffer.compare(key, tombstone.end) < 0 && tombstone.sequence <= readSequence) {
      max = Math.max(max, tombstone.sequence);
    }
  }
  return max;
}

t.test('queries agree with a brute-force scan, for one source and for unions of many', async (t) => {
  let mismatches = 0;
  for (let round = 0; round < 60; round++) {
    const random = new SeededRandom(seed + round);
    const tombstones: RangeTombstone[] = [];
    const count = random.int(40);
    for (let i = 0; i < count; i++) {
      const a = randomKey(random);
      const b = randomKey(random);
      // Some start >= end: such ranges are empty and must delete nothing.
      const [start, end] = random.chance(0.9) && Buffer.compare(a, b) > 0 ? [b, a] : [a, b];
      tombstones.push({ start, end, sequence: random.chance(0.1) ? random.int(5) : random.int(200) });
    }
    const whole = new RangeTombstoneSet(tombstones);
    const sources: RangeTombstone[][] = [[], [], []];
    for (const tombstone of tombstones) sources[random.int(3)]!.push(tombstone);
    const union = RangeTombstoneSet.union(sources.map((source) => new RangeTombstoneSet(source)));
    t.equal(whole.isEmpty, modelIsEmpty(tombstones), `round ${round}: isEmpty`);
    for (let query = 0; query < 400; query++) {
      const key = randomKey(random);
      const readSequence = random.int(220);
      const expected = modelMaxCovering(tombstones, key, readSequence);
      const fromWhole = whole.maxCoveringSequence(key, readSequence);
      const fromUnion = union.maxCoveringSequence(key, readSequence);
      const pointSequence = random.int(220);
      const expectedCovered = expected > pointSequence;
      if (fromWhole !== expected || fromUnion !== expected || whole.isCovered(key, pointSequence, readSequence) !== expectedCovered) {
        mismatches++;
        if (mismatches <= 3) {
          t.fail(`round ${round} key [${key}] read ${readSequence}: whole ${fromWhole}, union ${fromUnion}, model ${expected}`);
        }
      }
    }
  }
  t.equal(mismatches, 0, 'no mismatches');
});

function modelIsEmpty(tombstones: readonly RangeTombstone[]): boolean {
  return tombstones.every((tombstone) => Buffer.compare(tombstone.start, tombstone.end) >= 0);
}

t.test('edges: start inclusive, end exclusive, sequence bounds', async (t) => {
  const set = new RangeTombstoneSet([
    { start: Buffer.from('b'), end: Buffer.from('d'), sequence: 10 },
    { start: Buffer.from('c'), end: Buffer.from('f'), sequence: 20 },
  ]);
  t.equal(set.maxCoveringSequence(Buffer.from('a'), 100), -1);
  t.equal(set.maxCoveringSequence(Buffer.from('b'), 100), 10, 'start is inclusive');
  t.equal(set.maxCoveringSequence(Buffer.from('c'), 100), 20);
  t.equal(set.maxCoveringSequence(Buffer.from('c'), 19), 10, 'a reader below 20 sees only 10');
  t.equal(set.maxCoveringSequence(Buffer.from('c'), 9), -1);
  t.equal(set.maxCoveringSequence(Buffer.from('e'), 100), 20);
  t.equal(set.maxCoveringSequence(Buffer.from('f'), 100), -1, 'end is exclusive');
  t.ok(set.isCovered(Buffer.from('c'), 15, 100));
  t.notOk(set.isCovered(Buffer.from('c'), 20, 100), 'a tombstone does not delete its own sequence');
  t.notOk(set.isCovered(Buffer.from('c'), 15, 19), 'a reader below 20 sees only 10, older than 15');
  t.ok(RangeTombstoneSet.EMPTY.isEmpty);
  t.equal(RangeTombstoneSet.EMPTY.maxCoveringSequence(Buffer.from('c'), 100), -1);
  t.ok(RangeTombstoneSet.union([RangeTombstoneSet.EMPTY, RangeTombstoneSet.EMPTY]).isEmpty);
  t.throws(() => new RangeTombstoneSet([{ start: Buffer.from('a'), end: Buffer.from('b'), sequence: -1 }]), StorageError);
});
