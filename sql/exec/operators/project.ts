// The select list: each output row computed from an input row.

import type { ExecContext, Row } from '../context.js';
import type { Operator } from '../operator.js';

export type Projection = (row: Row) => Row;

export class ProjectOperator implements Operator {
  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly projection: Projection,
  ) {}

  async next(): Promise<Row[] | undefined> {
    this.context.checkCancel();
    const batch = await this.input.next();
    return batch === undefined ? undefined : batch.map(this.projection);
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
