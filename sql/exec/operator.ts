// The executor's unit: an operator yields its output in batches of rows. A plan is a tree of operators;
// the root's batches are the statement's result. `next()` returns undefined once, at the end; `close()`
// releases what the operator holds (memory reservations, iterators, its children's resources) and may be
// called at any time, also before the end (LIMIT, an error, a cancelled statement), and more than once
// (later calls do nothing more).

import type { Row } from './context.js';

export interface Operator {
  /** The next batch (never empty), or undefined when there are no more rows. */
  next(): Promise<Row[] | undefined>;
  close(): Promise<void>;
}

/** Every row an operator yields, in order (for tests and small internal uses; the caller owns memory). */
export async function drain(operator: Operator): Promise<Row[]> {
  const rows: Row[] = [];
  try {
    for (let batch = await operator.next(); batch !== undefined; batch = await operator.next()) {
      for (const row of batch) rows.push(row);
    }
  } finally {
    await operator.close();
  }
  return rows;
}
