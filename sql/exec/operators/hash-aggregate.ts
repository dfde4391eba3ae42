// GROUP BY with aggregates: one hash table entry per group, holding the group's key values and one
// aggregator per aggregate call. Groups are yielded once the input ends, in first-seen order (SQL
// promises no order without ORDER BY; first-seen keeps results stable for tests). With no GROUP BY
// (`groupKey` undefined) there is exactly one group, present even for empty input (SELECT count(*) FROM
// empty table answers 0). The groups count against the memory budget (53200 past work_mem).

import { BATCH_ROWS, type ExecContext, estimateRowBytes, type Row } from '../context.js';
import type { Operator } from '../operator.js';
import type { Datum } from '../../types/datum.js';

/** One aggregate call's running state for one group (count, sum, avg, …; built by sql/functions). */
export interface Aggregator {
  /** Folds one input row into the state. */
  step(row: Row): void;
  /** The aggregate's value for the group. */
  result(): Datum;
}

export interface AggregateSpec {
  /** A canonical key for the grouping values (equal under SQL equality ⇔ equal strings); undefined: one group. */
  readonly groupKey: ((row: Row) => string) | undefined;
  /** The grouping values output for a group (taken from its first row). */
  readonly groupValues: (row: Row) => Row;
  /** Fresh aggregators for a new group, one per aggregate call, in output order. */
  readonly newAggregators: () => Aggregator[];
}

interface Group {
  readonly values: Row;
  readonly aggregators: Aggregator[];
}

/** What a group costs beyond its key values: the map entry, the key string, the aggregators. */
const GROUP_OVERHEAD_BYTES = 160;

export class HashAggregateOperator implements Operator {
  private output: Row[] | undefined;
  private position = 0;
  private reservedBytes = 0;

  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    private readonly spec: AggregateSpec,
  ) {}

  async next(): Promise<Row[] | undefined> {
    if (this.output === undefined) this.output = await this.aggregate();
    this.context.checkCancel();
    if (this.position >= this.output.length) return undefined;
    const batch = this.output.slice(this.position, this.position + BATCH_ROWS);
    this.position += batch.length;
    return batch;
  }

  private async aggregate(): Promise<Row[]> {
    const groups = new Map<string, Group>();
    const { groupKey, groupValues, newAggregators } = this.spec;
    const single: Group | undefined = groupKey === undefined ? { values: [], aggregators: newAggregators() } : undefined;
    for (let batch = await this.input.next(); batch !== undefined; batch = await this.input.next()) {
      this.context.checkCancel();
      for (const row of batch) {
        let group = single;
        if (group === undefined) {
          const key = groupKey!(row);
          group = groups.get(key);
          if (group === undefined) {
            const values = groupValues(row);
            const bytes = GROUP_OVERHEAD_BYTES + 2 * key.length + estimateRowBytes(values);
            this.context.budget.reserve(bytes, 'hash aggregate');
            this.reservedBytes += bytes;
            group = { values, aggregators: newAggregators() };
            groups.set(key, group);
          }
        }
        for (const aggregator of group.aggregators) aggregator.step(row);
      }
    }
    await this.input.close();
    const result: Row[] = [];
    const emit = (group: Group): void => {
      result.push([...group.values, ...group.aggregators.map((aggregator) => aggregator.result())]);
    };
    if (single !== undefined) emit(single);
    else for (const group of groups.values()) emit(group);
    return result;
  }

  async close(): Promise<void> {
    this.output = [];
    this.context.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
    await this.input.close();
  }
}
