// The executor's basic operators over batches: values, filter (three-valued: null drops the row like
// false), project, limit/offset (closes its input as soon as it is done), sort (stable, charged to the
// statement's memory budget: past work_mem it fails with 53200 and releases what it held); statement
// timeout and cancellation stop a running pipeline with 57014 at the next batch. Seeded model check of
// filter → sort → limit against plain array operations. REEF_SEED replays.
import t from 'tap';
import { ManualClock } from '../../../storage/env/clock.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { BATCH_ROWS, ExecContext, MemoryBudget, type Row } from '../../../sql/exec/context.js';
import { drain, type Operator } from '../../../sql/exec/operator.js';
import { FilterOperator } from '../../../sql/exec/operators/filter.js';
import { LimitOperator } from '../../../sql/exec/operators/limit.js';
import { ProjectOperator } from '../../../sql/exec/operators/project.js';
import { SortOperator } from '../../../sql/exec/operators/sort.js';
import { ValuesOperator } from '../../../sql/exec/operators/values.js';
import { ReefSqlError } from '../../../sql/errors.js';
import { announceSeed } from '../../support/seed.js';

function context(limitBytes = 64 * 1024 * 1024, clock = new ManualClock(), statementTimeoutMs = 0): ExecContext {
  return new ExecContext(new MemoryBudget(limitBytes), clock, { statementTimeoutMs });
}

/** Counts how often an operator is closed and how many batches it handed out. */
class Probe implements Operator {
  closes = 0;
  batches = 0;
  constructor(private readonly inner: Operator) {}
  async next(): Promise<Row[] | undefined> {
    const batch = await this.inner.next();
    if (batch !== undefined) {
      this.batches++;
      if (batch.length === 0) throw new Error('an empty batch');
    }
    return batch;
  }
  close(): Promise<void> {
    this.closes++;
    return this.inner.close();
  }
}

const rows = (count: number): Row[] => Array.from({ length: count }, (_, i) => [i, i % 3 === 0 ? null : `v${i}`]);

t.test('filter keeps only true; project maps; batches are never empty', async (t) => {
  const ctx = context();
  const source = new Probe(new ValuesOperator(ctx, rows(3000)));
  const pipeline = new ProjectOperator(ctx, new FilterOperator(ctx, source, (row) => (row[1] === null ? null : (row[0] as number) % 2 === 0)), (row) => [row[1]]);
  const out = await drain(pipeline);
  t.equal(out.length, rows(3000).filter((row) => row[1] !== null && (row[0] as number) % 2 === 0).length);
  t.ok(out.every((row) => row.length === 1 && typeof row[0] === 'string'));
  t.equal(source.batches, Math.ceil(3000 / BATCH_ROWS), 'the source is read in batches');
});

t.test('limit and offset stop early and close their input', async (t) => {
  const ctx = context();
  const source = new Probe(new ValuesOperator(ctx, rows(10 * BATCH_ROWS)));
  const out = await drain(new LimitOperator(ctx, source, 5, BATCH_ROWS + 3));
  t.same(out.map((row) => row[0]), [BATCH_ROWS + 3, BATCH_ROWS + 4, BATCH_ROWS + 5, BATCH_ROWS + 6, BATCH_ROWS + 7]);
  t.equal(source.batches, 2, 'only the batches needed were read');
  t.ok(source.closes >= 1, 'the input was closed');
  t.same(await drain(new LimitOperator(ctx, new ValuesOperator(ctx, rows(10)), 0, 0)), [], 'LIMIT 0');
  t.same((await drain(new LimitOperator(ctx, new ValuesOperator(ctx, rows(10)), undefined, 8))).map((row) => row[0]), [8, 9], 'OFFSET alone');
});

t.test('sort is stable and charged to the memory budget', async (t) => {
  const ctx = context();
  const input: Row[] = [[2, 'a'], [1, 'b'], [2, 'c'], [1, 'd']];
  const out = await drain(new SortOperator(ctx, new ValuesOperator(ctx, input), (a, b) => (a[0] as number) - (b[0] as number)));
  t.same(out, [[1, 'b'], [1, 'd'], [2, 'a'], [2, 'c']], 'equal keys keep their input order');
  t.equal(ctx.budget.used, 0, 'everything reserved was released');
  t.ok(ctx.budget.peak > 0);

  const small = context(32 * 1024);
  const error = await drain(new SortOperator(small, new ValuesOperator(small, rows(5000)), (a, b) => (a[0] as number) - (b[0] as number))).catch((thrown: unknown) => thrown);
  t.ok(error instanceof ReefSqlError && error.code === '53200', 'past work_mem: 53200');
  t.match((error as ReefSqlError).hint, /work_mem/);
  t.equal(small.budget.used, 0, 'a failed sort releases its memory on close');
});

t.test('statement timeout and cancellation stop at the next batch with 57014', async (t) => {
  const clock = new ManualClock();
  const ctx = context(undefined, clock, 100);
  const pipeline = new FilterOperator(ctx, new ValuesOperator(ctx, rows(5 * BATCH_ROWS)), () => true);
  t.ok(await pipeline.next());
  clock.advance(150);
  const error = await pipeline.next().catch((thrown: unknown) => thrown);
  t.ok(error instanceof ReefSqlError && error.code === '57014');
  t.equal((error as Error).message, 'canceling statement due to statement timeout');
  ctx.finish();
  const user = context();
  user.cancel('user request');
  await t.rejects(new ValuesOperator(user, rows(1)).next(), { message: 'canceling statement due to user request' });
  const finished = context(undefined, clock, 100);
  finished.finish();
  clock.advance(1000);
  t.doesNotThrow(() => finished.checkCancel(), 'a finished statement is not cancelled by its old timer');
});

t.test('filter → sort → limit agrees with array operations (seeded)', async (t) => {
  const random = new SeededRandom(announceSeed(import.meta.url));
  for (let round = 0; round < 100; round++) {
    const count = random.int(3000);
    const input: Row[] = Array.from({ length: count }, (_, i) => [random.int(50), random.chance(0.1) ? null : random.int(1000), i]);
    const threshold = random.int(1000);
    const limit = random.chance(0.2) ? undefined : random.int(200);
    const offset = random.int(50);
    const predicate = (row: Row): boolean | null => (row[1] === null ? null : (row[1] as number) >= threshold);
    const compare = (a: Row, b: Row): number => (a[0] as number) - (b[0] as number);
    const ctx = context();
    const got = await drain(new LimitOperator(ctx, new SortOperator(ctx, new FilterOperator(ctx, new ValuesOperator(ctx, input), predicate), compare), limit, offset));
    const expected = input.filter((row) => predicate(row) === true).sort(compare).slice(offset, limit === undefined ? undefined : offset + limit);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      t.same(got, expected, `round ${round}`);
      return;
    }
  }
  t.pass('100 random pipelines agree');
});
