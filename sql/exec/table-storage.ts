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

/** One end of a key range: the values of the index's leading columns, and whether rows equal to them count. */
export interface KeyBound {
  readonly values: readonly Datum[];
  readonly inclusive: boolean;
}

/** The [start, end) keys of an index's entries between two bounds on its leading columns. */
export function indexSpan(
  tableId: number,
  indexId: number,
  columns: readonly KeyColumn[],
  lower: KeyBound | undefined,
  upper: KeyBound | undefined,
): { start: Uint8Array; end: Uint8Array } {
  const whole = indexPrefix(tableId, indexId);
  const keyOf = (bound: KeyBound): Uint8Array => encodeIndexKey(tableId, indexId, columns.slice(0, bound.values.length), bound.values);
  // Keys with more columns extend the bound's prefix, so "every key starting with it" is the prefix span.
  const start = lower === undefined ? whole : lower.inclusive ? keyOf(lower) : prefixEnd(keyOf(lower));
  const end = upper === undefined ? prefixEnd(whole) : upper.inclusive ? prefixEnd(keyOf(upper)) : keyOf(upper);
  return { start, end };
}

/** Reads an index's [start, end) in batches through `txn`, forward or backward. */
class SpanReader {
  private done = false;

  constructor(
    private readonly txn: Transaction,
    private start: Uint8Array,
    private end: Uint8Array,
    private readonly reverse: boolean,
  ) {}

  async next(): Promise<{ key: Uint8Array; value: Uint8Array }[] | undefined> {
    if (this.done || Buffer.compare(this.start, this.end) >= 0) return undefined;
    const pairs = await this.txn.scan(this.start, this.end, { limit: BATCH_ROWS, reverse: this.reverse });
    if (pairs.length < BATCH_ROWS) this.done = true;
    if (pairs.length === 0) return undefined;
    const last = pairs[pairs.length - 1]!.key;
    if (this.reverse) this.end = last;
    else this.start = keySuccessor(last);
    return pairs;
  }

  stop(): void {
    this.done = true;
  }
}

/** A scan of a table in primary key order (or reverse), optionally within bounds on the key's leading columns. */
export class TableScanOperator implements Operator {
  private readonly reader: SpanReader;

  constructor(
    private readonly context: ExecContext,
    txn: Transaction,
    private readonly layout: TableLayout,
    reverse = false,
    bounds: { readonly lower?: KeyBound | undefined; readonly upper?: KeyBound | undefined } = {},
  ) {
    const table = layout.table;
    const span = indexSpan(table.id, table.primaryIndex.id, layout.primaryKeyColumns, bounds.lower, bounds.upper);
    this.reader = new SpanReader(txn, span.start, span.end, reverse);
  }

  async next(): Promise<Row[] | undefined> {
    this.context.checkCancel();
    const pairs = await this.reader.next();
    return pairs === undefined ? undefined : pairs.map((pair) => this.layout.decode(pair.key, pair.value));
  }

  async close(): Promise<void> {
    this.reader.stop();
  }
}

/**
 * A scan of a secondary index within bounds on its leading columns, yielding the table's full rows in
 * index order: each batch of index entries is turned into primary keys and the rows are fetched with one
 * batched read.
 */
export class IndexScanOperator implements Operator {
  private readonly reader: SpanReader;
  private readonly entryColumns: readonly KeyColumn[];
  private readonly enforcedColumnCount: number;

  constructor(
    private readonly context: ExecContext,
    private readonly txn: Transaction,
    private readonly layout: TableLayout,
    private readonly index: IndexDescriptor,
    reverse = false,
    bounds: { readonly lower?: KeyBound | undefined; readonly upper?: KeyBound | undefined } = {},
  ) {
    const table = layout.table;
    const positionOf = new Map(table.columns.map((column, i) => [column.id, i]));
    const indexColumns: KeyColumn[] = index.columns.map((column) => ({ type: table.columns[positionOf.get(column.columnId)!]!.type, direction: column.direction, nulls: column.nulls }));
    this.enforcedColumnCount = indexColumns.length;
    this.entryColumns = [...indexColumns, ...layout.primaryKeyColumns];
    const span = indexSpan(table.id, index.id, indexColumns, bounds.lower, bounds.upper);
    this.reader = new SpanReader(txn, span.start, span.end, reverse);
  }

  async next(): Promise<Row[] | undefined> {
    this.context.checkCancel();
    const pairs = await this.reader.next();
    if (pairs === undefined) return undefined;
    const primaryKeys = pairs.map((pair) => this.primaryKeyOf(pair.key, pair.value));
    const values = await this.txn.batchGet(primaryKeys);
    const rows: Row[] = [];
    values.forEach((value, i) => {
      // An entry without its row would be a broken index: the row and its entries change together.
      if (value === undefined) throw new Error(`index ${this.index.name}: an entry points at a missing row`);
      rows.push(this.layout.decode(primaryKeys[i]!, value));
    });
    return rows;
  }

  /** The primary key an index entry addresses: its value (unique form) or its key's trailing columns. */
  private primaryKeyOf(key: Uint8Array, value: Uint8Array): Uint8Array {
    if (value.length > 0) return value;
    const { values } = decodeIndexKey(key, this.entryColumns);
    const table = this.layout.table;
    return encodeIndexKey(table.id, table.primaryIndex.id, this.layout.primaryKeyColumns, values.slice(this.enforcedColumnCount));
  }

  async close(): Promise<void> {
    this.reader.stop();
  }
}

/** The smallest key after `key`. */
function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}
