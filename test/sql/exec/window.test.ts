// Window functions as PostgreSQL 15 computes them on a partitioned, ordered input: row_number, rank,
// dense_rank with peers; lag/lead with defaults; first/last/nth_value and sum over the default frame
// (RANGE UNBOUNDED PRECEDING .. CURRENT ROW, which runs to the last peer), over ROWS frames, and over the
// whole partition when there is no ORDER BY. Expected columns are what PostgreSQL prints for
//   SELECT d, s, <fn> OVER (PARTITION BY d ORDER BY s …) FROM (VALUES ('a',10),('a',20),('a',20),('a',30),('b',5)) v(d, s)
// The partition is charged to the memory budget and released.
import t from 'tap';
import { ManualClock } from '../../../storage/env/clock.js';
import { ExecContext, MemoryBudget, type Row } from '../../../sql/exec/context.js';
import { drain } from '../../../sql/exec/operator.js';
import type { Aggregator } from '../../../sql/exec/operators/hash-aggregate.js';
import { ValuesOperator } from '../../../sql/exec/operators/values.js';
import { DEFAULT_FRAME, type Frame, type WindowFunction, WindowOperator } from '../../../sql/exec/operators/window.js';

const INPUT: Row[] = [['a', 10], ['a', 20], ['a', 20], ['a', 30], ['b', 5]];

class Sum implements Aggregator {
  private total: number | null = null;
  step(row: Row): void {
    if (row[1] !== null) this.total = (this.total ?? 0) + (row[1] as number);
  }
  result(): number | null {
    return this.total;
  }
}

async function column(fn: WindowFunction, ordered = true): Promise<unknown[]> {
  const ctx = new ExecContext(new MemoryBudget(1 << 20), new ManualClock());
  const rows = await drain(
    new WindowOperator(ctx, new ValuesOperator(ctx, INPUT), { partitionKey: (row) => String(row[0]), peerKey: ordered ? (row) => String(row[1]) : () => '', functions: [fn] }),
  );
  if (ctx.budget.used !== 0) throw new Error('the partition was not released');
  return rows.map((row) => row[2]);
}

const salary = (row: Row): number => row[1] as number;
const rowsFrame = (preceding: number): Frame => ({ mode: 'rows', start: { kind: 'preceding', offset: preceding }, end: { kind: 'current row' } });

t.test('ranking functions', async (t) => {
  t.same(await column({ kind: 'row_number' }), [1n, 2n, 3n, 4n, 1n]);
  t.same(await column({ kind: 'rank' }), [1n, 2n, 2n, 4n, 1n]);
  t.same(await column({ kind: 'dense_rank' }), [1n, 2n, 2n, 3n, 1n]);
});

t.test('lag and lead', async (t) => {
  t.same(await column({ kind: 'lag', value: salary, offset: 1, defaultValue: null }), [null, 10, 20, 20, null]);
  t.same(await column({ kind: 'lead', value: salary, offset: 1, defaultValue: null }), [20, 20, 30, null, null]);
  t.same(await column({ kind: 'lag', value: salary, offset: 2, defaultValue: 0 }), [0, 0, 10, 20, 0]);
});

t.test('frames', async (t) => {
  t.same(await column({ kind: 'aggregate', newAggregator: () => new Sum(), frame: DEFAULT_FRAME }), [10, 50, 50, 80, 5], 'the default frame runs to the last peer');
  t.same(await column({ kind: 'aggregate', newAggregator: () => new Sum(), frame: rowsFrame(1) }), [10, 30, 40, 50, 5], 'ROWS BETWEEN 1 PRECEDING AND CURRENT ROW');
  t.same(await column({ kind: 'aggregate', newAggregator: () => new Sum(), frame: DEFAULT_FRAME }, false), [80, 80, 80, 80, 5], 'no ORDER BY: the whole partition');
  const following: Frame = { mode: 'rows', start: { kind: 'current row' }, end: { kind: 'unbounded following' } };
  t.same(await column({ kind: 'aggregate', newAggregator: () => new Sum(), frame: following }), [80, 70, 50, 30, 5]);
  t.same(await column({ kind: 'first_value', value: salary, frame: DEFAULT_FRAME }), [10, 10, 10, 10, 5]);
  t.same(await column({ kind: 'last_value', value: salary, frame: DEFAULT_FRAME }), [10, 20, 20, 30, 5], 'last_value sees the current peer group');
  t.same(await column({ kind: 'nth_value', value: salary, n: 2, frame: DEFAULT_FRAME }), [null, 20, 20, 20, null]);
});
