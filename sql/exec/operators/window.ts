// Window functions over an input sorted by (PARTITION BY keys, ORDER BY keys) — the planner sorts first.
// One partition at a time is kept in memory (charged to the budget); each row is output with one extra
// column per window function:
//   row_number, rank, dense_rank            by position and peer groups (rows equal on ORDER BY)
//   lag / lead (value, offset, default)     the value `offset` rows before / after in the partition
//   first_value, last_value, nth_value      over the row's frame
//   aggregates (count, sum, …)              over the row's frame
// Frames are PostgreSQL's: RANGE or ROWS between UNBOUNDED PRECEDING / n PRECEDING / CURRENT ROW /
// n FOLLOWING / UNBOUNDED FOLLOWING (n rows for ROWS; RANGE with offsets is not supported here). The
// default frame, RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, ends at the current row's last
// peer; without ORDER BY every row of the partition is a peer, so the frame is the whole partition.

import type { Datum } from '../../types/datum.js';
import { BATCH_ROWS, type ExecContext, estimateRowBytes, type Row } from '../context.js';
import type { Operator } from '../operator.js';
import type { Aggregator } from './hash-aggregate.js';

export type FrameBound =
  | { readonly kind: 'unbounded preceding' }
  | { readonly kind: 'preceding'; readonly offset: number }
  | { readonly kind: 'current row' }
  | { readonly kind: 'following'; readonly offset: number }
  | { readonly kind: 'unbounded following' };

export interface Frame {
  readonly mode: 'range' | 'rows';
  readonly start: FrameBound;
  readonly end: FrameBound;
}

export const DEFAULT_FRAME: Frame = { mode: 'range', start: { kind: 'unbounded preceding' }, end: { kind: 'current row' } };

export type WindowFunction =
  | { readonly kind: 'row_number' | 'rank' | 'dense_rank' }
  | { readonly kind: 'lag' | 'lead'; readonly value: (row: Row) => Datum; readonly offset: number; readonly defaultValue: Datum }
  | { readonly kind: 'first_value' | 'last_value'; readonly value: (row: Row) => Datum; readonly frame: Frame }
  | { readonly kind: 'nth_value'; readonly value: (row: Row) => Datum; readonly n: number; readonly frame: Frame }
  | { readonly kind: 'aggregate'; readonly newAggregator: () => Aggregator; readonly frame: Frame };

export interface WindowSpec {
  /** Canonical PARTITION BY key (NULLs equal); a constant when there is none. */
  readonly partitionKey: (row: Row) => string;
  /** Canonical ORDER BY key: rows with equal keys are peers; a constant when there is no ORDER BY. */
  readonly peerKey: (row: Row) => string;
  readonly functions: readonly WindowFunction[];
}

/** [first, last] indexes of the frame of row `index` (empty when first > last). */
function frameOf(frame: Frame, index: number, count: number, peerStart: number, peerEnd: number): [number, number] {
  const bound = (b: FrameBound, isStart: boolean): number => {
    switch (b.kind) {
      case 'unbounded preceding':
        return 0;
      case 'unbounded following':
        return count - 1;
      case 'current row':
        // RANGE: the current row's whole peer group; ROWS: the row itself.
        return frame.mode === 'rows' ? index : isStart ? peerStart : peerEnd;
      case 'preceding':
        return index - b.offset;
      case 'following':
        return index + b.offset;
    }
  };
  return [Math.max(0, bound(frame.start, true)), Math.min(count - 1, bound(frame.end, false))];
}

export class WindowOperator implements Operator {
  private pending: Row[] = [];
  private partition: Row[] = [];
  private partitionKey: string | undefined;
  private partitionBytes = 0;
  private inputDone = false;
  private output: Row[] = [];

  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly spec: WindowSpec,
  ) {
    for (const fn of spec.functions) {
      if ('frame' in fn && fn.frame.mode === 'range' && (fn.frame.start.kind === 'preceding' || fn.frame.start.kind === 'following' || fn.frame.end.kind === 'preceding' || fn.frame.end.kind === 'following')) {
        throw new RangeError('RANGE frames with offsets are not supported by this operator');
      }
    }
  }

  async next(): Promise<Row[] | undefined> {
    while (this.output.length < BATCH_ROWS && !(this.inputDone && this.pending.length === 0 && this.partition.length === 0)) {
      this.context.checkCancel();
      if (this.pending.length === 0 && !this.inputDone) {
        const batch = await this.input.next();
        if (batch === undefined) {
          this.inputDone = true;
          await this.input.close();
        } else {
          this.pending = batch;
        }
        continue;
      }
      if (this.pending.length === 0) {
        this.flushPartition();
        continue;
      }
      const row = this.pending.shift()!;
      const key = this.spec.partitionKey(row);
      if (this.partitionKey !== undefined && key !== this.partitionKey) this.flushPartition();
      this.partitionKey = key;
      const bytes = estimateRowBytes(row);
      this.context.budget.reserve(bytes, 'window function');
      this.partitionBytes += bytes;
      this.partition.push(row);
    }
    if (this.output.length === 0) return undefined;
    return this.output.splice(0, BATCH_ROWS);
  }

  /** Computes every function over the buffered partition and moves its rows to the output. */
  private flushPartition(): void {
    const rows = this.partition;
    const count = rows.length;
    if (count === 0) return;
    // Peer groups: [start, end] of each row's group of rows equal on ORDER BY.
    const peerStart = new Array<number>(count);
    const peerEnd = new Array<number>(count);
    for (let i = 0; i < count; ) {
      const key = this.spec.peerKey(rows[i]!);
      let j = i;
      while (j + 1 < count && this.spec.peerKey(rows[j + 1]!) === key) j++;
      for (let k = i; k <= j; k++) {
        peerStart[k] = i;
        peerEnd[k] = j;
      }
      i = j + 1;
    }
    const columns = this.spec.functions.map((fn) => this.evaluate(fn, rows, peerStart, peerEnd));
    for (let i = 0; i < count; i++) this.output.push([...rows[i]!, ...columns.map((column) => column[i]!)]);
    this.partition = [];
    this.partitionKey = undefined;
    this.context.budget.release(this.partitionBytes);
    this.partitionBytes = 0;
  }

  private evaluate(fn: WindowFunction, rows: readonly Row[], peerStart: readonly number[], peerEnd: readonly number[]): Datum[] {
    const count = rows.length;
    const out = new Array<Datum>(count);
    switch (fn.kind) {
      case 'row_number':
        for (let i = 0; i < count; i++) out[i] = BigInt(i + 1);
        return out;
      case 'rank':
        for (let i = 0; i < count; i++) out[i] = BigInt(peerStart[i]! + 1);
        return out;
      case 'dense_rank': {
        let rank = 0;
        for (let i = 0; i < count; i++) {
          if (peerStart[i] === i) rank++;
          out[i] = BigInt(rank);
        }
        return out;
      }
      case 'lag':
      case 'lead': {
        const step = fn.kind === 'lag' ? -fn.offset : fn.offset;
        for (let i = 0; i < count; i++) {
          const j = i + step;
          out[i] = j >= 0 && j < count ? fn.value(rows[j]!) : fn.defaultValue;
        }
        return out;
      }
      case 'first_value':
      case 'last_value':
      case 'nth_value':
        for (let i = 0; i < count; i++) {
          const [first, last] = frameOf(fn.frame, i, count, peerStart[i]!, peerEnd[i]!);
          const target = fn.kind === 'nth_value' ? first + fn.n - 1 : fn.kind === 'first_value' ? first : last;
          out[i] = first <= last && target <= last ? fn.value(rows[target]!) : null;
        }
        return out;
      case 'aggregate': {
        // The frame of each row, folded afresh: simple and exact for every frame. A cumulative frame
        // (the default) could reuse the previous row's state; not needed for correctness.
        for (let i = 0; i < count; i++) {
          const [first, last] = frameOf(fn.frame, i, count, peerStart[i]!, peerEnd[i]!);
          const aggregator = fn.newAggregator();
          for (let j = first; j <= last; j++) aggregator.step(rows[j]!);
          out[i] = aggregator.result();
        }
        return out;
      }
    }
  }

  async close(): Promise<void> {
    this.pending = [];
    this.partition = [];
    this.output = [];
    this.context.budget.release(this.partitionBytes);
    this.partitionBytes = 0;
    await this.input.close();
  }
}
