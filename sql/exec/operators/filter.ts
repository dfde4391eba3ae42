// WHERE / HAVING: keeps the rows whose predicate is true. The predicate follows SQL's three-valued logic
// and may answer null (unknown), which, like false, drops the row.

import type { ExecContext, Row } from '../context.js';
import type { Operator } from '../operator.js';

export type Predicate = (row: Row) => boolean | null;

export class FilterOperator implements Operator {
  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly predicate: Predicate,
  ) {}

  async next(): Promise<Row[] | undefined> {
    for (;;) {
      this.context.checkCancel();
      const batch = await this.input.next();
      if (batch === undefined) return undefined;
      const kept = batch.filter((row) => this.predicate(row) === true);
      if (kept.length > 0) return kept;
    }
  }

  close(): Promise<void> {
    return this.input.close();
  }
}
