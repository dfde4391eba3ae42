// Rows held in memory (a VALUES list, a constant result), handed out in batches.

import { BATCH_ROWS, type ExecContext, type Row } from '../context.js';
import type { Operator } from '../operator.js';

export class ValuesOperator implements Operator {
  private position = 0;

  constructor(
    private readonly context: ExecContext,
    private readonly rows: readonly Row[],
  ) {}

  async next(): Promise<Row[] | undefined> {
    this.context.checkCancel();
    if (this.position >= this.rows.length) return undefined;
    const batch = this.rows.slice(this.position, this.position + BATCH_ROWS);
    this.position += batch.length;
    return batch;
  }

  async close(): Promise<void> {
    this.position = this.rows.length;
  }
}
