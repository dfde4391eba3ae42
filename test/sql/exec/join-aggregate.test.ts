// Hash join and hash aggregate against plain models on seeded random data: every join kind (inner,
// left, right, full, semi, anti) with NULL keys (which never match) and a residual condition equals a
// nested-loop model; GROUP BY with count/sum equals a Map model, and aggregation without GROUP BY yields
// one row even for empty input; UNION/INTERSECT/EXCEPT [ALL] equal multiset counts. All release their
// memory, and fail with 53200 past work_mem.
// REEF_SEED replays.
import t from 'tap';
import { ManualClock } from '../../../storage/env/clock.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { ExecContext, MemoryBudget, type Row } from '../../../sql/exec/context.js';
import { drain } from '../../../sql/exec/operator.js';
import { type Aggregator, HashAggregateOperator } from '../../../sql/exec/operators/hash-aggregate.js';
import { HashJoinOperator, type JoinKind } from '../../../sql/exec/operators/hash-join.js';
import { NestedLoopJoinOperator } from '../../../sql/exec/operators/nested-loop-join.js';
import { DistinctOperator } from '../../../sql/exec/operators/distinct.js';
import { setOperation, type SetOperationKind } from '../../../sql/exec/operators/set-operation.js';
import { ValuesOperator } from '../../../sql/exec/operators/values.js';
import { ReefSqlError } from '../../../sql/errors.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);
const context = (limitBytes = 64 * 1024 * 1024): ExecContext => new ExecContext(new MemoryBudget(limitBytes), new ManualClock());
const keyOf = (value: unknown): string | undefined => (value === null ? undefined : String(value));
const sortRows = (rows: Row[]): string[] => rows.map((row) => JSON.stringify(row)).sort();

function modelJoin(kind: JoinKind, left: Row[], right: Row[], residual: (joined: Row) => boolean | null): Row[] {
  const out: Row[] = [];
  const rightMatched = new Set<number>();
  for (const l of left) {
    let matched = false;
    right.forEach((r, index) => {
      if (l[0] === null || r[0] === null || l[0] !== r[0]) return;
      const joined = [...l, ...r];
      if (residual(joined) !== true) return;
      matched = true;
      rightMatched.add(index);
      if (kind !== 'semi' && kind !== 'anti') out.push(joined);
    });
    if (kind === 'semi' && matched) out.push(l);
    if (kind === 'anti' && !matched) out.push(l);
    if (!matched && (kind === 'left' || kind === 'full')) out.push([...l, null, null]);
  }
  if (kind === 'right' || kind === 'full') right.forEach((r, index) => rightMatched.has(index) || out.push([null, null, ...r]));
  return out;
}

t.test('hash join equals a nested-loop model for every join kind', async (t) => {
  const random = new SeededRandom(seed);
  for (let round = 0; round < 60; round++) {
    const side = (): Row[] => Array.from({ length: random.int(300) }, () => [random.chance(0.1) ? null : random.int(40), random.int(100)]);
    const left = side();
    const right = side();
    const withResidual = random.chance(0.5);
    const residual = (joined: Row): boolean | null => (!withResidual ? true : joined[1] === null || joined[3] === null ? null : (joined[1] as number) < (joined[3] as number));
    for (const kind of ['inner', 'left', 'right', 'full', 'semi', 'anti'] as JoinKind[]) {
      const ctx = context();
      const got = await drain(
        new HashJoinOperator(ctx, new ValuesOperator(ctx, left), new ValuesOperator(ctx, right), {
          kind,
          leftKey: (row) => keyOf(row[0]),
          rightKey: (row) => keyOf(row[0]),
          leftWidth: 2,
          rightWidth: 2,
          residual: withResidual ? residual : undefined,
        }),
      );
      const expected = modelJoin(kind, left, right, residual);
      if (JSON.stringify(sortRows(got)) !== JSON.stringify(sortRows(expected))) {
        t.same(sortRows(got), sortRows(expected), `round ${round} ${kind} residual=${withResidual}`);
        return;
      }
      // The same join as a nested loop on the whole condition (key equality and the residual).
      const loopContext = context();
      const looped = await drain(
        new NestedLoopJoinOperator(loopContext, new ValuesOperator(loopContext, left), new ValuesOperator(loopContext, right), {
          kind,
          leftWidth: 2,
          rightWidth: 2,
          condition: (joined) => (joined[0] === null || joined[2] === null ? null : joined[0] === joined[2] ? residual(joined) : false),
        }),
      );
      if (JSON.stringify(sortRows(looped)) !== JSON.stringify(sortRows(expected))) {
        t.same(sortRows(looped), sortRows(expected), `round ${round} ${kind} nested loop`);
        return;
      }
      if (ctx.budget.used !== 0) t.fail('the build side was not released');
    }
  }
  t.pass('60 rounds × 6 join kinds agree with the model, by hash and by nested loop');
});

class Count implements Aggregator {
  private count = 0;
  step(): void {
    this.count++;
  }
  result(): number {
    return this.count;
  }
}

class Sum implements Aggregator {
  private sum: number | null = null;
  constructor(private readonly column: number) {}
  step(row: Row): void {
    const value = row[this.column];
    if (value !== null) this.sum = (this.sum ?? 0) + (value as number);
  }
  result(): number | null {
    return this.sum;
  }
}

t.test('hash aggregate equals a Map model; no GROUP BY gives one row even for empty input', async (t) => {
  const random = new SeededRandom(seed + 1);
  for (let round = 0; round < 50; round++) {
    const input: Row[] = Array.from({ length: random.int(2000) }, () => [random.chance(0.05) ? null : random.int(30), random.chance(0.1) ? null : random.int(100)]);
    const ctx = context();
    const got = await drain(
      new HashAggregateOperator(ctx, new ValuesOperator(ctx, input), {
        groupKey: (row) => (row[0] === null ? 'null' : `v${row[0]}`),
        groupValues: (row) => [row[0]],
        newAggregators: () => [new Count(), new Sum(1)],
      }),
    );
    const model = new Map<string, Row>();
    for (const row of input) {
      const key = JSON.stringify(row[0]);
      const group = model.get(key) ?? [row[0], 0, null];
      group[1] = (group[1] as number) + 1;
      if (row[1] !== null) group[2] = ((group[2] as number | null) ?? 0) + (row[1] as number);
      model.set(key, group);
    }
    if (JSON.stringify(sortRows(got)) !== JSON.stringify(sortRows([...model.values()]))) {
      t.same(sortRows(got), sortRows([...model.values()]), `round ${round}`);
      return;
    }
  }
  const ctx = context();
  t.same(await drain(new HashAggregateOperator(ctx, new ValuesOperator(ctx, []), { groupKey: undefined, groupValues: () => [], newAggregators: () => [new Count(), new Sum(0)] })), [[0, null]], 'count(*) and sum over no rows');
  t.same(await drain(new HashAggregateOperator(ctx, new ValuesOperator(ctx, []), { groupKey: (row) => String(row[0]), groupValues: (row) => [row[0]], newAggregators: () => [new Count()] })), [], 'GROUP BY over no rows: no groups');
});

t.test('both fail with 53200 past work_mem and release on close', async (t) => {
  const ctx = context(16 * 1024);
  const many: Row[] = Array.from({ length: 5000 }, (_, i) => [i, i]);
  const aggregate = await drain(
    new HashAggregateOperator(ctx, new ValuesOperator(ctx, many), { groupKey: (row) => String(row[0]), groupValues: (row) => [row[0]], newAggregators: () => [new Count()] }),
  ).catch((error: unknown) => error);
  t.ok(aggregate instanceof ReefSqlError && aggregate.code === '53200');
  t.equal(ctx.budget.used, 0);
  const join = await drain(
    new HashJoinOperator(ctx, new ValuesOperator(ctx, many), new ValuesOperator(ctx, many), { kind: 'inner', leftKey: (row) => String(row[0]), rightKey: (row) => String(row[0]), leftWidth: 2, rightWidth: 2 }),
  ).catch((error: unknown) => error);
  t.ok(join instanceof ReefSqlError && join.code === '53200');
  t.equal(ctx.budget.used, 0);
});

t.test('distinct keeps the first row per key; NULLs are not distinct from each other', async (t) => {
  const ctx = context();
  const input: Row[] = [[1, 'a'], [null, 'b'], [1, 'c'], [null, 'd'], [2, 'e']];
  const got = await drain(new DistinctOperator(ctx, new ValuesOperator(ctx, input), (row) => JSON.stringify(row[0])));
  t.same(got, [[1, 'a'], [null, 'b'], [2, 'e']]);
  t.equal(ctx.budget.used, 0);
});

t.test('UNION, INTERSECT, EXCEPT with and without ALL equal multiset models (seeded)', async (t) => {
  const random = new SeededRandom(seed + 2);
  const key = (row: Row): string => JSON.stringify(row);
  const countsOf = (rows: Row[]): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
    return counts;
  };
  for (let round = 0; round < 80; round++) {
    const side = (): Row[] => Array.from({ length: random.int(200) }, () => [random.chance(0.1) ? null : random.int(12), random.int(3)]);
    const left = side();
    const right = side();
    const l = countsOf(left);
    const r = countsOf(right);
    const keys = new Set([...l.keys(), ...r.keys()]);
    const expected = (kind: SetOperationKind, all: boolean): string[] => {
      const out: string[] = [];
      for (const k of keys) {
        const a = l.get(k) ?? 0;
        const b = r.get(k) ?? 0;
        let copies: number;
        if (kind === 'union') copies = all ? a + b : a + b > 0 ? 1 : 0;
        else if (kind === 'intersect') copies = all ? Math.min(a, b) : a > 0 && b > 0 ? 1 : 0;
        else copies = all ? Math.max(a - b, 0) : a > 0 && b === 0 ? 1 : 0;
        for (let i = 0; i < copies; i++) out.push(k);
      }
      return out.sort();
    };
    for (const kind of ['union', 'intersect', 'except'] as SetOperationKind[]) {
      for (const all of [false, true]) {
        const ctx = context();
        const got = (await drain(setOperation(ctx, kind, all, new ValuesOperator(ctx, left), new ValuesOperator(ctx, right), key))).map(key).sort();
        const want = expected(kind, all);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          t.same(got, want, `round ${round}: ${kind}${all ? ' ALL' : ''}`);
          return;
        }
        if (ctx.budget.used !== 0) t.fail('memory not released');
      }
    }
  }
  t.pass('80 rounds × 6 set operations agree with multiset counts');
});
