// ORDER BY: reads every input row, sorts, yields in batches. The rows kept count against the statement's
// memory budget, so a sort larger than work_mem fails with 53200 instead of exhausting the process
// (external sorting to temporary files is not built yet). Stable: rows that compare equal keep their
// input order, as a merge sort would give (Array.prototype.sort is stable).

import { BATCH_ROWS, type ExecContext, estimateRowBytes, type Row } from '../context.js';
import type { Operator } from '../operator.js';

/** Compares two rows by the ORDER BY keys (NULLS FIRST/LAST and direction included). */
export type RowComparator = (a: Row, b: Row) => number;

export class SortOperator implements Operator {
  private sorted: Row[] | undefined;
  private position = 0;
  private reservedBytes = 0;

  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly compare: RowComparator,
  ) {}

  async next(): Promise<Row[] | undefined> {
    if (this.sorted === undefined) {
      const rows: Row[] = [];
      for (let batch = await this.input.next(); batch !== undefined; batch = await this.input.next()) {
        this.context.checkCancel();
        let bytes = 0;
        for (const row of batch) bytes += estimateRowBytes(row);
        this.context.budget.reserve(bytes, 'sort');
        this.reservedBytes += bytes;
        for (const row of batch) rows.push(row);
      }
      await this.input.close();
      rows.sort(this.compare);
      this.sorted = rows;
    }
    this.context.checkCancel();
    if (this.position >= this.sorted.length) return undefined;
    const batch = this.sorted.slice(this.position, this.position + BATCH_ROWS);
    this.position += batch.length;
    return batch;
  }

  async close(): Promise<void> {
    this.sorted = [];
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.input.close();
  }
}
