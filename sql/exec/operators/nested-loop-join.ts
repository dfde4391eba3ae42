// Joins on any condition (non-equality ON, CROSS JOIN, small inputs): the right side is kept in memory
// (charged to the budget) and every left row is paired with every right row; the condition (SQL
// three-valued: only true matches) decides. Inner, left, right, full, semi and anti as in hash-join.ts.
// LATERAL joins, whose right side depends on the left row, are a different operator: the right side
// here is read once.

import { BATCH_ROWS, type ExecContext, estimateRowBytes, type Row } from '../context.js';
import type { Operator } from '../operator.js';
import type { JoinKind } from './hash-join.js';

export interface NestedLoopJoinSpec {
  readonly kind: JoinKind;
  readonly leftWidth: number;
  readonly rightWidth: number;
  /** The ON condition on [...left, ...right]; undefined: always true (CROSS JOIN). */
  readonly condition?: ((joined: Row) => boolean | null) | undefined;
}

export class NestedLoopJoinOperator implements Operator {
  private rightRows: Row[] | undefined;
  private rightMatched: boolean[] = [];
  private reservedBytes = 0;
  private probeDone = false;
  private pending: Row[] = [];
  private unmatchedEmitted = false;

  constructor(
    private readonly context: ExecContext,
    private readonly left: Operator,
    private readonly right: Operator,
    private readonly spec: NestedLoopJoinSpec,
  ) {}

  private async load(): Promise<Row[]> {
    const rows: Row[] = [];
    for (let batch = await this.right.next(); batch !== undefined; batch = await this.right.next()) {
      this.context.checkCancel();
      let bytes = 0;
      for (const row of batch) bytes += estimateRowBytes(row);
      this.context.budget.reserve(bytes, 'nested loop join');
      this.reservedBytes += bytes;
      for (const row of batch) rows.push(row);
    }
    await this.right.close();
    this.rightMatched = new Array<boolean>(rows.length).fill(false);
    return rows;
  }

  async next(): Promise<Row[] | undefined> {
    const right = (this.rightRows ??= await this.load());
    const { kind, condition, leftWidth, rightWidth } = this.spec;
    while (this.pending.length === 0 && !this.probeDone) {
      this.context.checkCancel();
      const batch = await this.left.next();
      if (batch === undefined) {
        this.probeDone = true;
        await this.left.close();
        break;
      }
      for (const leftRow of batch) {
        let matched = false;
        for (let index = 0; index < right.length; index++) {
          const joined = [...leftRow, ...right[index]!];
          if (condition !== undefined && condition(joined) !== true) continue;
          matched = true;
          this.rightMatched[index] = true;
          if (kind === 'semi' || kind === 'anti') break;
          this.pending.push(joined);
        }
        if (kind === 'semi' && matched) this.pending.push(leftRow);
        else if (kind === 'anti' && !matched) this.pending.push(leftRow);
        else if (!matched && (kind === 'left' || kind === 'full')) this.pending.push([...leftRow, ...new Array<null>(rightWidth).fill(null)]);
      }
    }
    if (this.probeDone && !this.unmatchedEmitted && (kind === 'right' || kind === 'full')) {
      this.unmatchedEmitted = true;
      const pad = new Array<null>(leftWidth).fill(null);
      right.forEach((row, index) => {
        if (!this.rightMatched[index]) this.pending.push([...pad, ...row]);
      });
    }
    if (this.pending.length === 0) return undefined;
    return this.pending.splice(0, BATCH_ROWS);
  }

  async close(): Promise<void> {
    this.rightRows = [];
    this.pending = [];
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.left.close();
    await this.right.close();
  }
}
