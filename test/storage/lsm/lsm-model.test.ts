// Proves that the LSM engine behaves as a sorted map under a seeded random mix of operations — puts,
// deletes, range deletions, atomic batches, concurrent writes, point reads, forward and reverse scans
// with bounds and direction changes, snapshots kept and released, long-lived iterators, flushes,
// compactions and close/reopen — by checking every read against a model: a map of the live keys (and
// a copy of it for each snapshot and open iterator). Tiny memtables, blocks and files make flushes and
// compactions happen every few dozen operations. REEF_SEED replays one seed; REEF_SEEDS sets how many
// seeds run (default 4).
import t from 'tap';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { SeededRandom, seedFromEnvironment, type Random } from '../../../storage/env/random.js';
import { LsmDb, WriteBatch, type KeyValueIterator, type LsmOptions, type LsmSnapshot } from '../../../storage/lsm/index.js';

type Model = Map<string, Uint8Array>;

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
const fromLatin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const hex = (bytes: Uint8Array | undefined): string => (bytes === undefined ? 'undefined' : Buffer.from(bytes).toString('hex'));
/** A short form for failure messages: long values are cut (hex() itself is what comparisons use). */
const show = (bytes: Uint8Array | undefined): string => {
  const full = hex(bytes);
  return full.length > 24 ? `${full.slice(0, 24)}…(${bytes!.length} bytes)` : full;
};

class Failure extends Error {}

function sortedEntries(model: Model, lower: string | undefined, upper: string | undefined): [string, Uint8Array][] {
  const keys = [...model.keys()].filter((key) => (lower === undefined || key >= lower) && (upper === undefined || key < upper));
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((key) => [key, model.get(key)!]);
}

interface OpenIterator {
  readonly iterator: KeyValueIterator;
  readonly model: Model;
}

class ModelRun {
  readonly fs = new MemoryFileSystem();
  model: Model = new Map();
  db!: LsmDb;
  snapshots: { snapshot: LsmSnapshot; model: Model }[] = [];
  iterators: OpenIterator[] = [];
  step = 0;
  operation = '';
  readonly options: LsmOptions;

  constructor(readonly random: Random) {
    this.options = {
      fs: this.fs,
      dir: '/model-db',
      memtableSizeBytes: random.pick([1024, 2048, 4096]),
      maxFrozenMemtables: random.pick([1, 2]),
      blockSizeBytes: random.pick([64, 128, 512]),
      blockCacheBytes: random.pick([0, 4096, 65536]),
      maxOpenTables: random.pick([2, 8, 100]),
      bloomBitsPerKey: random.pick([0, 10]),
      level0CompactionTrigger: 2,
      level0SlowdownTrigger: random.pick([3, 6]),
      level0StopTrigger: 8,
      levelBaseSizeBytes: random.pick([4096, 16384]),
      levelSizeMultiplier: random.pick([2, 4]),
      targetFileSizeBytes: random.pick([1024, 4096]),
      compactionSliceMs: 1,
    };
  }

  fail(message: string): never {
    throw new Failure(`step ${this.step} (${this.operation}): ${message}`);
  }

  randomKey(): Uint8Array {
    const random = this.random;
    if (random.chance(0.05)) return random.fill(new Uint8Array(random.int(6)));
    return new TextEncoder().encode(`k${String(random.int(400)).padStart(4, '0')}`);
  }

  randomValue(): Uint8Array {
    const random = this.random;
    const length = random.chance(0.05) ? random.intBetween(200, 900) : random.int(40);
    return random.fill(new Uint8Array(length));
  }

  randomRange(): [Uint8Array, Uint8Array] {
    const a = this.randomKey();
    const b = this.randomKey();
    return latin1(a) <= latin1(b) ? [a, b] : [b, a];
  }

  applyToModel(model: Model, batch: { type: 'put' | 'delete' | 'range'; key: Uint8Array; value: Uint8Array }[]): void {
    for (const op of batch) {
      if (op.type === 'put') model.set(latin1(op.key), op.value);
      else if (op.type === 'delete') model.delete(latin1(op.key));
      else {
        const start = latin1(op.key);
        const end = latin1(op.value);
        for (const key of [...model.keys()]) if (key >= start && key < end) model.delete(key);
      }
    }
  }

  async open(): Promise<void> {
    this.db = await LsmDb.open(this.options);
  }

  checkGet(key: Uint8Array, model: Model, snapshot?: LsmSnapshot): void {
    const got = this.db.get(key, snapshot === undefined ? undefined : { snapshot });
    const expected = model.get(latin1(key));
    if (hex(got) !== hex(expected)) this.fail(`get ${show(key)}: got ${show(got)}, expected ${show(expected)}`);
  }

  /** Walks `iterator` from a random start in a random direction, switching direction at times. */
  checkScan(iterator: KeyValueIterator, model: Model, lower: string | undefined, upper: string | undefined): void {
    const random = this.random;
    const expected = sortedEntries(model, lower, upper);
    let position: number;
    const mode = random.int(4);
    if (mode === 0) {
      iterator.seekToFirst();
      position = 0;
    } else if (mode === 1) {
      iterator.seekToLast();
      position = expected.length - 1;
    } else {
      const target = this.randomKey();
      const targetText = latin1(target);
      if (mode === 2) {
        iterator.seek(target);
        position = expected.findIndex(([key]) => key >= targetText);
        if (position < 0) position = expected.length;
        if (lower !== undefined && targetText < lower) position = 0;
      } else {
        iterator.seekForPrev(target);
        position = -1;
        for (let index = 0; index < expected.length; index++) if (expected[index]![0] <= targetText) position = index;
        if (upper !== undefined && targetText >= upper) position = expected.length - 1;
      }
    }
    let forward = mode !== 1 && mode !== 3;
    const steps = random.intBetween(1, 60);
    for (let step = 0; step <= steps; step++) {
      const expectValid = position >= 0 && position < expected.length;
      if (iterator.valid() !== expectValid) {
        this.fail(`scan: valid() is ${iterator.valid()} at expected position ${position} of ${expected.length}`);
      }
      if (!expectValid) break;
      const [key, value] = expected[position]!;
      if (latin1(iterator.key()) !== key || hex(iterator.value()) !== hex(value)) {
        this.fail(`scan at ${position}: got ${show(iterator.key())}=${show(iterator.value())}, expected ${show(fromLatin1(key))}=${show(value)}`);
      }
      if (random.chance(0.1)) forward = !forward;
      if (forward) {
        iterator.next();
        position++;
      } else {
        iterator.prev();
        position--;
      }
    }
  }

  randomBounds(): [Uint8Array | undefined, Uint8Array | undefined] {
    const random = this.random;
    const [a, b] = this.randomRange();
    return [random.chance(0.5) ? a : undefined, random.chance(0.5) ? b : undefined];
  }

  scan(model: Model, snapshot?: LsmSnapshot): void {
    const [lowerBound, upperBound] = this.randomBounds();
    const iterator = this.db.iterator({
      ...(lowerBound === undefined ? {} : { lowerBound }),
      ...(upperBound === undefined ? {} : { upperBound }),
      ...(snapshot === undefined ? {} : { snapshot }),
    });
    try {
      this.checkScan(iterator, model, lowerBound && latin1(lowerBound), upperBound && latin1(upperBound));
    } finally {
      iterator.close();
    }
  }

  async runOne(): Promise<void> {
    const random = this.random;
    const roll = random.int(1000);
    if (roll < 250) {
      this.operation = 'put';
      const key = this.randomKey();
      const value = this.randomValue();
      await this.db.put(key, value, random.chance(0.05) ? { sync: true } : undefined);
      this.model.set(latin1(key), value);
    } else if (roll < 330) {
      this.operation = 'delete';
      const key = this.randomKey();
      await this.db.delete(key);
      this.model.delete(latin1(key));
    } else if (roll < 350) {
      this.operation = 'deleteRange';
      const [start, end] = this.randomRange();
      await this.db.deleteRange(start, end);
      this.applyToModel(this.model, [{ type: 'range', key: start, value: end }]);
    } else if (roll < 430) {
      this.operation = 'batch';
      const batch = new WriteBatch();
      const ops: { type: 'put' | 'delete' | 'range'; key: Uint8Array; value: Uint8Array }[] = [];
      for (let i = random.intBetween(1, 20); i > 0; i--) {
        const kind = random.int(10);
        if (kind < 6) {
          const key = this.randomKey();
          const value = this.randomValue();
          batch.put(key, value);
          ops.push({ type: 'put', key, value });
        } else if (kind < 9) {
          const key = this.randomKey();
          batch.delete(key);
          ops.push({ type: 'delete', key, value: new Uint8Array(0) });
        } else {
          const [start, end] = this.randomRange();
          batch.deleteRange(start, end);
          ops.push({ type: 'range', key: start, value: end });
        }
      }
      await this.db.write(batch);
      this.applyToModel(this.model, ops);
    } else if (roll < 470) {
      this.operation = 'concurrent writes';
      const promises: Promise<void>[] = [];
      for (let i = random.intBetween(2, 30); i > 0; i--) {
        const key = this.randomKey();
        if (random.chance(0.8)) {
          const value = this.randomValue();
          promises.push(this.db.put(key, value, { sync: random.chance(0.3) }));
          this.model.set(latin1(key), value);
        } else {
          promises.push(this.db.delete(key));
          this.model.delete(latin1(key));
        }
      }
      await Promise.all(promises);
    } else if (roll < 680) {
      this.operation = 'get';
      this.checkGet(this.randomKey(), this.model);
    } else if (roll < 780) {
      this.operation = 'scan';
      this.scan(this.model);
    } else if (roll < 800) {
      this.operation = 'snapshot';
      if (this.snapshots.length < 8) this.snapshots.push({ snapshot: this.db.snapshot(), model: new Map(this.model) });
    } else if (roll < 850) {
      this.operation = 'snapshot read';
      if (this.snapshots.length > 0) {
        const { snapshot, model } = random.pick(this.snapshots);
        if (random.chance(0.5)) this.checkGet(this.randomKey(), model, snapshot);
        else this.scan(model, snapshot);
      }
    } else if (roll < 870) {
      this.operation = 'snapshot release';
      if (this.snapshots.length > 0) {
        const index = random.int(this.snapshots.length);
        this.snapshots[index]!.snapshot.release();
        this.snapshots.splice(index, 1);
      }
    } else if (roll < 890) {
      this.operation = 'open long-lived iterator';
      if (this.iterators.length < 4) this.iterators.push({ iterator: this.db.iterator(), model: new Map(this.model) });
    } else if (roll < 920) {
      this.operation = 'check long-lived iterator';
      if (this.iterators.length > 0) {
        const index = random.int(this.iterators.length);
        const { iterator, model } = this.iterators[index]!;
        this.checkScan(iterator, model, undefined, undefined);
        if (random.chance(0.5)) {
          iterator.close();
          this.iterators.splice(index, 1);
        }
      }
    } else if (roll < 950) {
      this.operation = 'flush';
      await this.db.flush();
    } else if (roll < 975) {
      this.operation = 'compactRange';
      const [start, end] = random.chance(0.5) ? this.randomRange() : [undefined, undefined];
      await this.db.compactRange(start, end);
    } else if (roll < 990) {
      this.operation = 'wait for background';
      await new Promise((resolve) => setTimeout(resolve, random.int(3)));
    } else {
      this.operation = 'reopen';
      await this.reopen();
    }
  }

  async reopen(): Promise<void> {
    for (const { iterator } of this.iterators) iterator.close();
    this.iterators = [];
    this.snapshots = [];
    await this.db.close();
    await this.open();
  }

  async finalCheck(): Promise<void> {
    this.operation = 'final scan';
    const iterator = this.db.iterator();
    try {
      const expected = sortedEntries(this.model, undefined, undefined);
      let index = 0;
      for (iterator.seekToFirst(); iterator.valid(); iterator.next(), index++) {
        const entry = expected[index];
        if (entry === undefined || latin1(iterator.key()) !== entry[0] || hex(iterator.value()) !== hex(entry[1])) {
          this.fail(`final scan differs at ${index}: ${show(iterator.key())}`);
        }
      }
      if (index !== expected.length) this.fail(`final scan saw ${index} of ${expected.length} entries`);
    } finally {
      iterator.close();
    }
  }
}

const seedCount = Number.parseInt(process.env['REEF_SEEDS'] ?? '4', 10);
const baseSeed = seedFromEnvironment();
const replaying = process.env['REEF_SEED'] !== undefined && process.env['REEF_SEED'] !== '';

for (let index = 0; index < (replaying ? 1 : seedCount); index++) {
  const seed = (baseSeed + index * 7919) >>> 0;
  t.test(`seed ${seed}`, async (t) => {
    const run = new ModelRun(new SeededRandom(seed));
    const operations = 2500;
    try {
      await run.open();
      let flushes = 0;
      let compactions = 0;
      for (run.step = 0; run.step < operations; run.step++) {
        if (run.random.chance(0.01)) {
          // Counters restart at each open, so they are summed before a possible reopen.
          const before = run.db.stats();
          flushes = Math.max(flushes, before.flushes);
          compactions = Math.max(compactions, before.compactions + before.trivialMoves);
        }
        await run.runOne();
      }
      await run.reopen();
      await run.finalCheck();
      t.ok(flushes > 0, `flushes happened (${flushes} in one open at most)`);
      t.ok(compactions > 0, `compactions happened (${compactions} in one open at most)`);
      await run.db.close();
      t.pass(`${operations} operations matched the model (seed ${seed})`);
    } catch (error) {
      t.fail(`REEF_SEED=${seed}: ${(error as Error).stack ?? String(error)}`);
      await run.db?.close().catch(() => undefined);
    }
  });
}
