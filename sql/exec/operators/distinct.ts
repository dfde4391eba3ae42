// DISTINCT (and UNION's duplicate removal): yields each row the first time its key is seen. The key is
// canonical under SQL's DISTINCT equality, where NULLs are not distinct from each other (the planner's
// key function encodes NULL as a value). DISTINCT ON keeps the first row per ON-key in input order (the
// planner sorts first). The keys seen count against the memory budget.

import type { ExecContext, Row } from '../context.js';
import type { Operator } from '../operator.js';

export class DistinctOperator implements Operator {
  private readonly seen = new Set<string>();
  private reservedBytes = 0;

  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly key: (row: Row) => string,
  ) {}

  async next(): Promise<Row[] | undefined> {
    for (;;) {
      this.context.checkCancel();
      const batch = await this.input.next();
      if (batch === undefined) return undefined;
      const out: Row[] = [];
      let bytes = 0;
      for (const row of batch) {
        const key = this.key(row);
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        bytes += 64 + 2 * key.length;
        out.push(row);
      }
      if (bytes > 0) {
        this.context.budget.reserve(bytes, 'DISTINCT');
        this.reservedBytes += bytes;
      }
      if (out.length > 0) return out;
    }
  }

  async close(): Promise<void> {
    this.seen.clear();
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.input.close();
  }
}
