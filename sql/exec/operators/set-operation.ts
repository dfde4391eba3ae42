// UNION, INTERSECT and EXCEPT, with and without ALL, over two inputs of the same width. Rows are
// matched by a canonical key under which NULLs are equal (set operations treat NULL as not distinct,
// as DISTINCT does). Results follow PostgreSQL's hashed set operations:
//   UNION ALL        every row of the left, then every row of the right (streamed, nothing kept)
//   UNION            the distinct rows of both, first-seen order
//   INTERSECT [ALL]  rows in both; with ALL, min(left count, right count) copies
//   EXCEPT [ALL]     rows of the left not in the right; with ALL, max(left count - right count, 0) copies
// The right side is read first into a count table (charged to the memory budget), then the left side
// streams; INTERSECT/EXCEPT output rows in the left side's first-seen order.

import type { ExecContext, Row } from '../context.js';
import type { Operator } from '../operator.js';
import { DistinctOperator } from './distinct.js';

export type SetOperationKind = 'union' | 'intersect' | 'except';

/** UNION ALL: the left rows, then the right rows. */
class ConcatOperator implements Operator {
  private onRight = false;

  constructor(
    private readonly context: ExecContext,
    private readonly left: Operator,
    private readonly right: Operator,
  ) {}

  async next(): Promise<Row[] | undefined> {
    this.context.checkCancel();
    if (!this.onRight) {
      const batch = await this.left.next();
      if (batch !== undefined) return batch;
      this.onRight = true;
      await this.left.close();
    }
    return this.right.next();
  }

  async close(): Promise<void> {
    await this.left.close();
    await this.right.close();
  }
}

/** INTERSECT [ALL] and EXCEPT [ALL] by counting the right side's rows. */
class CountingSetOperator implements Operator {
  private counts: Map<string, number> | undefined;
  /** For the distinct forms: keys already emitted. */
  private readonly emitted = new Set<string>();
  private reservedBytes = 0;

  constructor(
    private readonly context: ExecContext,
    private readonly left: Operator,
    private readonly right: Operator,
    private readonly kind: 'intersect' | 'except',
    private readonly all: boolean,
    private readonly key: (row: Row) => string,
  ) {}

  private async countRight(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (let batch = await this.right.next(); batch !== undefined; batch = await this.right.next()) {
      this.context.checkCancel();
      let bytes = 0;
      for (const row of batch) {
        const key = this.key(row);
        const count = counts.get(key);
        if (count === undefined) bytes += 64 + 2 * key.length;
        counts.set(key, (count ?? 0) + 1);
      }
      this.context.budget.reserve(bytes, this.kind.toUpperCase());
      this.reservedBytes += bytes;
    }
    await this.right.close();
    return counts;
  }

  async next(): Promise<Row[] | undefined> {
    const counts = (this.counts ??= await this.countRight());
    for (;;) {
      this.context.checkCancel();
      const batch = await this.left.next();
      if (batch === undefined) return undefined;
      const out: Row[] = [];
      for (const row of batch) {
        const key = this.key(row);
        const inRight = counts.get(key) ?? 0;
        if (this.all) {
          if (this.kind === 'intersect') {
            // Each left copy takes one right copy while they last.
            if (inRight > 0) {
              counts.set(key, inRight - 1);
              out.push(row);
            }
          } else if (inRight > 0) {
            // Each left copy cancels one right copy; the rest are output.
            counts.set(key, inRight - 1);
          } else {
            out.push(row);
          }
        } else {
          if (this.emitted.has(key)) continue;
          const keep = this.kind === 'intersect' ? inRight > 0 : inRight === 0;
          if (!keep) continue;
          this.emitted.add(key);
          out.push(row);
        }
      }
      if (out.length > 0) return out;
    }
  }

  async close(): Promise<void> {
    this.counts = new Map();
    this.emitted.clear();
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.left.close();
    await this.right.close();
  }
}

/** The operator for `left <kind> [ALL] right`; `key` makes a row's canonical key (NULLs equal). */
export function setOperation(
  context: ExecContext,
  kind: SetOperationKind,
  all: boolean,
  left: Operator,
  right: Operator,
  key: (row: Row) => string,
): Operator {
  if (kind === 'union') {
    const concat = new ConcatOperator(context, left, right);
    return all ? concat : new DistinctOperator(context, concat, key);
  }
  return new CountingSetOperator(context, left, right, kind, all, key);
}
