// How a table's rows and index entries are laid out in the transactional key-value store, and the
// operations statements use on them: writing a row with its index entries (insert, replace, delete) and
// scanning rows back in primary key order.
//
// Layout (key-codec.ts writes the keys, row-codec.ts the values):
//   primary index (id 1)       key: /t/{table}/{1}/{primary key columns}   value: the other columns, by id
//   unique secondary index     key: /t/{table}/{index}/{index columns}     value: the primary key's column
//                                                                          bytes (the row's address)
//     …holding a NULL          key: /t/{table}/{index}/{index columns}/{primary key columns}  (NULLs are
//                                                                          distinct: never a conflict)
//   non-unique secondary index key: /t/{table}/{index}/{index columns}/{primary key columns}  value: empty
// Inserting uses the transaction's `insert` writes for the primary key and unique entries, so an existing
// live key fails the statement with 23505 at the transaction layer (at once under READ COMMITTED, at
// commit otherwise) — the same rule PostgreSQL's unique indexes enforce. Index entries of a row are
// written in the same call as the row: one batch per statement, never one KV call per key.

import type { Transaction } from '../../engine/txn/index.js';
import { type ColumnDescriptor, type IndexDescriptor, type TableDescriptor } from '../catalog/descriptors.js';
import type { Datum } from '../types/datum.js';
import { decodeIndexKey, encodeIndexKey, indexPrefix, type KeyColumn, prefixEnd } from '../types/key-codec.js';
import { decodeRow, encodeRow, type RowColumn } from '../types/row-codec.js';
import { BATCH_ROWS, type ExecContext, type Row } from './context.js';
import type { Operator } from './operator.js';

const EMPTY = new Uint8Array(0);

/** A table's full row: one datum per column of the descriptor, in descriptor order. */
export type TableRow = readonly Datum[];

/** What key and value layouts of one table need, computed once per descriptor version. */
export class TableLayout {
  readonly primaryKeyColumns: readonly KeyColumn[];
  /** Positions (in descriptor order) of the primary key's columns. */
  readonly primaryKeyPositions: readonly number[];
  /** The columns stored in the primary index's value: every column not in the key. */
  readonly valueColumns: readonly RowColumn[];
  readonly valuePositions: readonly number[];

  constructor(readonly table: TableDescriptor) {
    const positionOf = new Map(table.columns.map((column, index) => [column.id, index]));
    const keyIds = new Set(table.primaryIndex.columns.map((column) => column.columnId));
    this.primaryKeyPositions = table.primaryIndex.columns.map((column) => positionOf.get(column.columnId)!);
    this.primaryKeyColumns = table.primaryIndex.columns.map((column) => ({
      type: table.columns[positionOf.get(column.columnId)!]!.type,
      direction: column.direction,
      nulls: column.nulls,
    }));
    const valueColumns: RowColumn[] = [];
    const valuePositions: number[] = [];
    table.columns.forEach((column: ColumnDescriptor, index) => {
      if (keyIds.has(column.id)) return;
      valueColumns.push({ id: column.id, type: column.type });
      valuePositions.push(index);
    });
    this.valueColumns = valueColumns;
    this.valuePositions = valuePositions;
  }

  primaryKey(row: TableRow): Uint8Array {
    return encodeIndexKey(this.table.id, this.table.primaryIndex.id, this.primaryKeyColumns, this.primaryKeyPositions.map((position) => row[position] ?? null));
  }

  primaryValue(row: TableRow): Uint8Array {
    return encodeRow(this.valueColumns, this.valuePositions.map((position) => row[position] ?? null));
  }

  /** The full row from a primary index entry (columns the value lacks are NULL: added after it was written). */
  decode(key: Uint8Array, value: Uint8Array): Row {
    const row: Row = new Array<Datum>(this.table.columns.length).fill(null);
    const { values: keyValues } = decodeIndexKey(key, this.primaryKeyColumns);
    this.primaryKeyPositions.forEach((position, i) => (row[position] = keyValues[i]!));
    const stored = decodeRow(this.valueColumns, value);
    this.valuePositions.forEach((position, i) => (row[position] = stored[i] ?? null));
    return row;
  }

  /** The key and value of a row's entry in secondary index `index`. */
  indexEntry(index: IndexDescriptor, row: TableRow): { key: Uint8Array; value: Uint8Array; unique: boolean } {
    const positionOf = new Map(this.table.columns.map((column, i) => [column.id, i]));
    const columns: KeyColumn[] = index.columns.map((column) => ({ type: this.table.columns[positionOf.get(column.columnId)!]!.type, direction: column.direction, nulls: column.nulls }));
    const values = index.columns.map((column) => row[positionOf.get(column.columnId)!] ?? null);
    const primaryValues = this.primaryKeyPositions.map((position) => row[position] ?? null);
    const enforced = index.unique && values.every((value) => value !== null);
    if (enforced) {
      return { key: encodeIndexKey(this.table.id, index.id, columns, values), value: this.primaryKey(row), unique: true };
    }
    return {
      key: encodeIndexKey(this.table.id, index.id, [...columns, ...this.primaryKeyColumns], [...values, ...primaryValues]),
      value: EMPTY,
      unique: false,
    };
  }
}

/** INSERT: the row and its index entries; 23505 (from the transaction) if a key is taken. */
export async function insertRows(txn: Transaction, layout: TableLayout, rows: readonly TableRow[]): Promise<void> {
  const writes: Parameters<Transaction['write']>[0][number][] = [];
  for (const row of rows) {
    writes.push({ kind: 'insert', key: layout.primaryKey(row), value: layout.primaryValue(row) });
    for (const index of layout.table.secondaryIndexes) {
      const entry = layout.indexEntry(index, row);
      writes.push(entry.unique ? { kind: 'insert', key: entry.key, value: entry.value } : { kind: 'put', key: entry.key, value: entry.value });
    }
  }
  await txn.write(writes);
}

/** DELETE: the row and its index entries (`row` as read, so its old index entries can be found). */
export async function deleteRows(txn: Transaction, layout: TableLayout, rows: readonly TableRow[]): Promise<void> {
  const writes: Parameters<Transaction['write']>[0][number][] = [];
  for (const row of rows) {
    writes.push({ kind: 'delete', key: layout.primaryKey(row) });
    for (const index of layout.table.secondaryIndexes) writes.push({ kind: 'delete', key: layout.indexEntry(index, row).key });
  }
  await txn.write(writes);
}

/** The [start, end) keys of a table's primary index. */
export function primaryIndexSpan(table: TableDescriptor): { start: Uint8Array; end: Uint8Array } {
  const start = indexPrefix(table.id, table.primaryIndex.id);
  return { start, end: prefixEnd(start) };
}

/** A full scan of a table in primary key order (or reverse), in batches, read through `txn`. */
export class TableScanOperator implements Operator {
  private cursor: Uint8Array | undefined;
  private end: Uint8Array | undefined;
  private done = false;

  constructor(
    private readonly context: ExecContext,
    private readonly txn: Transaction,
    private readonly layout: TableLayout,
    private readonly reverse = false,
  ) {
    const span = primaryIndexSpan(layout.table);
    this.cursor = span.start;
    this.end = span.end;
  }

  async next(): Promise<Row[] | undefined> {
    if (this.done) return undefined;
    this.context.checkCancel();
    const pairs = await this.txn.scan(this.cursor, this.end, { limit: BATCH_ROWS, reverse: this.reverse });
    if (pairs.length < BATCH_ROWS) this.done = true;
    if (pairs.length === 0) return undefined;
    const last = pairs[pairs.length - 1]!.key;
    if (this.reverse) this.end = last;
    else this.cursor = keySuccessor(last);
    return pairs.map((pair) => this.layout.decode(pair.key, pair.value));
  }

  async close(): Promise<void> {
    this.done = true;
  }
}

/** The smallest key after `key`. */
function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
