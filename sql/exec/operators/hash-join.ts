// Equality joins by hashing: the right (build) side is read into a hash table keyed by its join key,
// then the left (probe) side streams through it. Every join kind PostgreSQL plans this way: inner, left,
// right, full (unmatched build rows are emitted at the end), semi (EXISTS / IN) and anti (NOT EXISTS).
// A row whose key contains NULL matches nothing (the key function answers undefined), as SQL's `=`
// never holds for NULL. An optional residual predicate filters matched pairs (the non-equality part of
// ON); a pair it rejects counts as unmatched for outer joins. The build side counts against the
// memory budget (53200 past work_mem).

import { BATCH_ROWS, type ExecContext, estimateRowBytes, type Row } from '../context.js';
import type { Operator } from '../operator.js';

export type JoinKind = 'inner' | 'left' | 'right' | 'full' | 'semi' | 'anti';

export interface HashJoinSpec {
  readonly kind: JoinKind;
  /** Canonical key of the left row's join columns; undefined when one is NULL (never matches). */
  readonly leftKey: (row: Row) => string | undefined;
  readonly rightKey: (row: Row) => string | undefined;
  /** Columns of each side (to pad the missing side of an outer join with NULLs). */
  readonly leftWidth: number;
  readonly rightWidth: number;
  /** Condition on the joined row [...left, ...right] besides key equality (SQL three-valued). */
  readonly residual?: ((joined: Row) => boolean | null) | undefined;
}

interface BuildRow {
  readonly row: Row;
  matched: boolean;
}

export class HashJoinOperator implements Operator {
  private table: Map<string, BuildRow[]> | undefined;
  /** Build rows with a NULL key: never matched, but a right/full join still emits them. */
  private nullKeyRows: BuildRow[] = [];
  private reservedBytes = 0;
  private probeDone = false;
  private unmatchedEmitted = false;
  /** A right or full join's build rows that matched nothing, handed out after the probe. */
  private unmatchedRows: Row[] = [];

  constructor(
    private readonly context: ExecContext,
    private readonly left: Operator,
    private readonly right: Operator,
    private readonly spec: HashJoinSpec,
  ) {}

  private async build(): Promise<Map<string, BuildRow[]>> {
    const table = new Map<string, BuildRow[]>();
    for (let batch = await this.right.next(); batch !== undefined; batch = await this.right.next()) {
      this.context.checkCancel();
      let bytes = 0;
      for (const row of batch) bytes += 48 + estimateRowBytes(row);
      this.context.budget.reserve(bytes, 'hash join');
      this.reservedBytes += bytes;
      for (const row of batch) {
        const key = this.spec.rightKey(row);
        const entry: BuildRow = { row, matched: false };
        if (key === undefined) {
          this.nullKeyRows.push(entry);
          continue;
        }
        const bucket = table.get(key);
        if (bucket === undefined) table.set(key, [entry]);
        else bucket.push(entry);
      }
    }
    await this.right.close();
    return table;
  }

  async next(): Promise<Row[] | undefined> {
    this.table ??= await this.build();
    const { kind, residual, leftWidth, rightWidth } = this.spec;
    while (!this.probeDone) {
      this.context.checkCancel();
      const batch = await this.left.next();
      if (batch === undefined) {
        this.probeDone = true;
        await this.left.close();
        break;
      }
      const out: Row[] = [];
      for (const leftRow of batch) {
        const key = this.spec.leftKey(leftRow);
        const bucket = key === undefined ? undefined : this.table.get(key);
        let matched = false;
        if (bucket !== undefined) {
          for (const entry of bucket) {
            const joined = [...leftRow, ...entry.row];
            if (residual !== undefined && residual(joined) !== true) continue;
            matched = true;
            entry.matched = true;
            if (kind === 'semi' || kind === 'anti') break;
            out.push(joined);
          }
        }
        if (kind === 'semi' && matched) out.push(leftRow);
        else if (kind === 'anti' && !matched) out.push(leftRow);
        else if (!matched && (kind === 'left' || kind === 'full')) out.push([...leftRow, ...new Array<null>(rightWidth).fill(null)]);
      }
      if (out.length > 0) return out;
    }
    if (!this.unmatchedEmitted && (kind === 'right' || kind === 'full')) {
      this.unmatchedEmitted = true;
      const out: Row[] = [];
      const pad = new Array<null>(leftWidth).fill(null);
      for (const bucket of this.table.values()) for (const entry of bucket) if (!entry.matched) out.push([...pad, ...entry.row]);
      for (const entry of this.nullKeyRows) out.push([...pad, ...entry.row]);
      this.unmatchedRows = out;
    }
    if (this.unmatchedRows.length > 0) return this.unmatchedRows.splice(0, BATCH_ROWS);
    return undefined;
  }

  async close(): Promise<void> {
    this.table = new Map();
    this.nullKeyRows = [];
    this.unmatchedRows = [];
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.left.close();
    await this.right.close();
  }
}
