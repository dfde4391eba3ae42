// Proves that a failing device never costs acknowledged data and never leaves the engine half-working:
// during a seeded workload (synced and unsynced puts, deletes, range deletions, batches, concurrent
// writers, flushes, tiny memtables so that flushes and compactions run constantly), EIO or ENOSPC is
// injected on one aimed file operation — a WAL append, a WAL sync, a table write during a flush or
// during a compaction, a MANIFEST append or sync, a directory sync — or the disk fills up. Then:
// every write that fails, and every write after it, rejects with a StorageError carrying the injected
// code (the database is in its failed state, as LevelDB's bg_error), so the acknowledged writes are
// exactly a prefix of the write order; flush and compactRange reject too; reads (point reads and full
// scans) keep working and show exactly the acknowledged writes; a second open of the directory fails
// with LOCKED while the first is open. After close, the database reopens on the healed disk — with or
// without a crash in between — holding every acknowledged write (every synced one, if it crashed) as a
// prefix of the write order, and works normally. REEF_SEED replays a run; REEF_SEEDS sets how many
// seeds each scenario runs (default 3).
import t, { type Test } from 'tap';
import { StorageError } from '../../../storage/env/errors.js';
import type { InjectedFailureCode } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment, type Random } from '../../../storage/env/random.js';
import { LsmDb, WriteBatch, type LsmOptions } from '../../../storage/lsm/index.js';
import { CrashingDisk, type DiskOperation } from './support/crash-disk.js';
import { SteppingClock } from './support/stepping-clock.js';
import { applyOp, readWholeDatabase, toBytes, WriteHistory, type KeyValueState, type WriteOp } from './support/write-history.js';

const DIR = '/faults-db';
const KEY_COUNT = 150;
const dataKey = (index: number): string => `k${String(index).padStart(3, '0')}`;
const KEY_SPACE = new Set(Array.from({ length: KEY_COUNT }, (_, index) => dataKey(index)));
/** Steps the workload may take to reach the aimed operation; reaching none fails the test. */
const MAX_STEPS = 4000;

interface Scenario {
  readonly name: string;
  /** The operations the failure is aimed at, and how many of them may pass first (at most). */
  readonly matches: (operation: DiskOperation) => boolean;
  readonly mostBefore: number;
}

const tableWrite = (operation: DiskOperation): boolean =>
  operation.kind === 'table' && (operation.operation === 'create' || operation.operation === 'append' || operation.operation === 'sync');

const SCENARIOS: readonly Scenario[] = [
  { name: 'WAL append', matches: (op) => op.kind === 'log' && op.operation === 'append', mostBefore: 150 },
  { name: 'WAL sync', matches: (op) => op.kind === 'log' && op.operation === 'sync', mostBefore: 40 },
  { name: 'table write during a flush', matches: (op) => tableWrite(op) && op.activity() === 'flush', mostBefore: 15 },
  { name: 'table write during a compaction', matches: (op) => tableWrite(op) && op.activity() === 'compaction', mostBefore: 15 },
  { name: 'MANIFEST append', matches: (op) => op.kind === 'manifest' && op.operation === 'append', mostBefore: 10 },
  { name: 'MANIFEST sync', matches: (op) => op.kind === 'manifest' && op.operation === 'sync', mostBefore: 10 },
  { name: 'directory sync', matches: (op) => op.kind === 'dir', mostBefore: 10 },
];

const CODES: readonly InjectedFailureCode[] = ['EIO', 'ENOSPC'];

class Failure extends Error {}

class FaultRun {
  readonly disk: CrashingDisk;
  readonly history = new WriteHistory();
  db!: LsmDb;
  private serial = 0;
  private readonly sizes: Omit<LsmOptions, 'fs' | 'dir'>;
  /** Rejections seen: [write index, error]. */
  readonly rejections: [number, unknown][] = [];
  acknowledgedCount = 0;

  constructor(readonly random: Random) {
    this.disk = new CrashingDisk(random.fork());
    this.sizes = {
      clock: new SteppingClock(random.pick([0.01, 0.2])),
      memtableSizeBytes: random.pick([1024, 2048]),
      maxFrozenMemtables: random.pick([1, 2]),
      blockSizeBytes: random.pick([128, 512]),
      blockCacheBytes: random.pick([0, 16384]),
      bloomBitsPerKey: random.pick([0, 10]),
      level0CompactionTrigger: 2,
      level0SlowdownTrigger: 4,
      level0StopTrigger: 8,
      levelBaseSizeBytes: 4096,
      levelSizeMultiplier: 2,
      targetFileSizeBytes: random.pick([1024, 4096]),
      compactionSliceMs: 1,
    };
  }

  fail(message: string): never {
    throw new Failure(message);
  }

  async open(): Promise<LsmDb> {
    this.db = await LsmDb.open({ fs: this.disk.process(), dir: DIR, ...this.sizes });
    return this.db;
  }

  private randomOps(): WriteOp[] {
    const random = this.random;
    const newPut = (): WriteOp => {
      const key = dataKey(random.int(KEY_COUNT));
      return { type: 'put', key, value: `${key}@${this.serial++}:${'.'.repeat(random.chance(0.05) ? 400 : random.int(50))}` };
    };
    const roll = random.int(100);
    if (roll < 60) return [newPut()];
    if (roll < 80) return [{ type: 'delete', key: dataKey(random.int(KEY_COUNT)) }];
    if (roll < 85) {
      const start = random.int(KEY_COUNT);
      return [{ type: 'range', start: dataKey(start), end: dataKey(Math.min(KEY_COUNT, start + random.intBetween(1, 15))) }];
    }
    const ops: WriteOp[] = [];
    for (let index = random.intBetween(2, 10); index > 0; index--) ops.push(random.chance(0.8) ? newPut() : { type: 'delete', key: dataKey(random.int(KEY_COUNT)) });
    return ops;
  }

  /** Issues one write; resolves when it settles (never rejects). */
  issue(sync: boolean): Promise<void> {
    const ops = this.randomOps();
    const record = this.history.issue(ops, sync);
    const batch = new WriteBatch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(toBytes(op.key), toBytes(op.value));
      else if (op.type === 'delete') batch.delete(toBytes(op.key));
      else batch.deleteRange(toBytes(op.start), toBytes(op.end));
    }
    return this.db.write(batch, { sync }).then(
      () => {
        this.history.acknowledge(record);
        this.acknowledgedCount++;
      },
      (error: unknown) => {
        record.outcome = 'rejected';
        this.rejections.push([record.index, error]);
      },
    );
  }

  /** The state after the acknowledged writes, after checking they are a prefix of the write order. */
  acknowledgedState(): KeyValueState {
    const writes = this.history.writes;
    const acknowledged = writes.filter((write) => write.outcome === 'acknowledged').length;
    for (const [index, write] of writes.entries()) {
      const expected = index < acknowledged ? 'acknowledged' : 'rejected';
      if (write.outcome !== expected) {
        this.fail(`write ${index} is ${write.outcome}, but ${acknowledged} writes were acknowledged: they are not a prefix of the write order`);
      }
    }
    const state = new Map(this.history.base);
    for (const write of writes.slice(0, acknowledged)) for (const op of write.ops) applyOp(state, op);
    return state;
  }

  checkReads(expected: KeyValueState, when: string): void {
    let actual: KeyValueState;
    try {
      actual = readWholeDatabase(this.db, KEY_SPACE);
    } catch (error) {
      this.fail(`${when}: reading failed: ${(error as Error).stack ?? String(error)}`);
    }
    for (const key of KEY_SPACE) {
      if (actual.get(key) !== expected.get(key)) {
        this.fail(`${when}: ${key} reads ${actual.get(key)?.slice(0, 30)}, expected ${expected.get(key)?.slice(0, 30)}`);
      }
    }
  }
}

/** Checks that `error` is the typed failure the test injected. */
function isInjected(error: unknown, code: InjectedFailureCode): boolean {
  return error instanceof StorageError && error.code === code;
}

async function runFaultScenario(t: Test, seed: number, scenario: Scenario | 'disk full', code: InjectedFailureCode): Promise<void> {
  const random = new SeededRandom(seed);
  const run = new FaultRun(random);
  const db = await run.open();
  const name = scenario === 'disk full' ? 'disk full' : scenario.name;
  if (scenario === 'disk full') {
    // Fill up after a warm-up, somewhere in the middle of later WAL and table writes.
    for (let index = 0; index < 50; index++) await run.issue(random.chance(0.2));
    run.disk.setCapacityBytes(run.disk.storedBytes + random.intBetween(2000, 40_000));
  } else {
    run.disk.failAt(scenario.matches, random.intBetween(1, scenario.mostBefore), code);
  }
  const injected = (): boolean => (scenario === 'disk full' ? run.rejections.length > 0 : run.disk.injectedFailures.length > 0);

  // The workload, until the failure has happened and surfaced as a rejected write.
  let steps = 0;
  for (; steps < MAX_STEPS && run.rejections.length === 0; steps++) {
    const roll = random.int(100);
    if (roll < 70) await run.issue(random.chance(0.25));
    else if (roll < 88) {
      const writes: Promise<void>[] = [];
      for (let index = random.intBetween(2, 10); index > 0; index--) writes.push(run.issue(random.chance(0.3)));
      await Promise.all(writes);
    } else if (roll < 94) {
      if (!injected()) run.checkReads(run.acknowledgedState(), `step ${steps}`);
    } else {
      await db.flush().catch((error: unknown) => {
        if (!isInjected(error, code)) run.fail(`flush rejected with ${String(error)}, not the injected ${code}`);
      });
    }
  }
  if (!injected()) run.fail(`${name}: the aimed operation never happened in ${MAX_STEPS} steps`);
  if (run.rejections.length === 0) run.fail(`${name}: the failure never surfaced as a rejected write in ${MAX_STEPS} steps`);
  const failure = scenario === 'disk full' ? undefined : run.disk.injectedFailures[0]!;

  // The failed state: every later write rejects with the same typed error, and so do flush and compaction.
  for (let index = 0; index < 5; index++) await run.issue(random.chance(0.5));
  for (const [index, error] of run.rejections) {
    if (!isInjected(error, code)) run.fail(`${name}: write ${index} rejected with ${String(error)}, not a StorageError ${code}`);
  }
  const firstRejected = run.rejections[0]![0];
  const laterAccepted = run.history.writes.slice(firstRejected).filter((write) => write.outcome === 'acknowledged');
  if (laterAccepted.length > 0) run.fail(`${name}: write ${laterAccepted[0]!.index} was acknowledged after write ${firstRejected} failed`);
  await t.rejects(db.flush(), { code }, `${name}: flush rejects in the failed state`);
  await t.rejects(db.compactRange(), { code }, `${name}: compactRange rejects in the failed state`);
  t.ok(db.stats().backgroundError !== undefined, `${name}: stats report the error (${db.stats().backgroundError})`);

  // Reads keep working and show exactly the acknowledged writes.
  const acknowledged = run.acknowledgedState();
  run.checkReads(acknowledged, `${name}: in the failed state`);

  // A second open of the directory fails while this one holds it.
  await t.rejects(LsmDb.open({ fs: run.disk.process(), dir: DIR }), { code: 'LOCKED' }, `${name}: a second open fails with LOCKED`);

  await db.close().catch((error: unknown) => {
    if (!(error instanceof StorageError)) run.fail(`${name}: close threw ${String(error)}`);
  });
  run.disk.setCapacityBytes(null);
  run.disk.disarm();
  const crash = random.chance(0.5);
  if (crash) run.disk.crashNow(random.chance(0.5));
  // Without a crash every acknowledged write was appended to the WAL and must come back; after a
  // crash, every synced one (and everything before it).
  if (!crash) run.history.requireDurable(run.acknowledgedCount);
  await run.open();
  const recovered = readWholeDatabase(run.db, KEY_SPACE);
  const result = run.history.findPrefix(recovered);
  const recoveredCount = result.ok ? result.prefix : run.fail(`${name}: after reopening${crash ? ' from a crash' : ''}: ${result.explanation}`);
  const floor = run.history.floor;
  const issuedCount = run.history.writes.length;

  // The healed database works normally: more writes, a flush, a reopen.
  run.history.restart(recovered);
  run.acknowledgedCount = 0;
  const rejectionsBefore = run.rejections.length;
  for (let index = 0; index < 40; index++) await run.issue(random.chance(0.2));
  await run.db.flush();
  if (run.rejections.length > rejectionsBefore) {
    run.fail(`${name}: a write failed on the healed disk: ${String(run.rejections[rejectionsBefore]![1])}`);
  }
  await run.db.close();
  await run.open();
  run.checkReads(run.acknowledgedState(), `${name}: after the healed database reopened`);
  await run.db.close();
  t.pass(
    `${name} (${code}) ${failure === undefined ? '' : `on ${failure.operation} ${failure.path} during ${failure.activity} `}` +
      `after ${steps} steps: ${acknowledged.size} keys readable in the failed state, recovered ${recoveredCount} of ` +
      `${issuedCount} writes, at least ${floor} required (${crash ? 'after a crash' : 'no crash'})`,
  );
}

const seedCount = Number.parseInt(process.env['REEF_SEEDS'] ?? '3', 10);
const baseSeed = seedFromEnvironment();
const replaying = process.env['REEF_SEED'] !== undefined && process.env['REEF_SEED'] !== '';

const cases: { scenario: Scenario | 'disk full'; code: InjectedFailureCode }[] = [];
for (const scenario of SCENARIOS) for (const code of CODES) cases.push({ scenario, code });
cases.push({ scenario: 'disk full', code: 'ENOSPC' });

for (const [caseIndex, { scenario, code }] of cases.entries()) {
  const name = scenario === 'disk full' ? 'the disk fills up' : `${code} on a ${scenario.name}`;
  t.test(name, async (t) => {
    for (let index = 0; index < (replaying ? 1 : seedCount); index++) {
      const seed = replaying ? baseSeed : (baseSeed + caseIndex * 104729 + index * 7919) >>> 0;
      try {
        await runFaultScenario(t, seed, scenario, code);
      } catch (error) {
        t.fail(`REEF_SEED=${seed} (case "${name}"): ${(error as Error).stack ?? String(error)}`);
      }
    }
  });
}

t.test('a second open of an open directory fails with LOCKED, and succeeds once the first closes', async (t) => {
  const disk = new CrashingDisk(new SeededRandom(baseSeed));
  const first = await LsmDb.open({ fs: disk.process(), dir: DIR });
  await first.put(toBytes('k'), toBytes('v'), { sync: true });
  const error = await LsmDb.open({ fs: disk.process(), dir: DIR }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof StorageError && error.code === 'LOCKED', `the second open fails: ${String(error)}`);
  t.match((error as Error).message, DIR, 'the message names the directory');
  t.equal(Buffer.from(first.get(toBytes('k'))!).toString(), 'v', 'the first stays usable');
  await first.close();
  const second = await LsmDb.open({ fs: disk.process(), dir: DIR });
  t.equal(Buffer.from(second.get(toBytes('k'))!).toString(), 'v', 'after close, the directory opens again with its data');
  await second.close();
});
