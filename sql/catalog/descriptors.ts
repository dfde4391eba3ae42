// The catalog's objects: databases, schemas, tables (with their columns, indexes and constraints),
// sequences and views, as plain readonly descriptors. They are stored in the transactional key-value
// store (catalog-store.ts), so creating, changing and dropping them is transactional like any write.
//
// Ids are PostgreSQL object identifiers (OIDs): objects ReefDB creates at bootstrap take fixed OIDs below
// FIRST_NORMAL_OID, as PostgreSQL's own built-in objects do, and user objects take OIDs from 16384 up, so
// pg_catalog can show them as clients expect (pg_class.oid, pg_namespace.oid, …). A table's columns and
// indexes are numbered within the table (column ids never reused, so stored rows stay readable across
// ADD/DROP COLUMN; attnum is the column's position for clients).
//
// Every descriptor carries a `version` that grows with each change, so a cache keyed by (id, version)
// never serves a stale one.

import type { SqlType } from '../types/datum.js';

/** PostgreSQL's FirstNormalObjectId: user objects get OIDs from here up. */
export const FIRST_NORMAL_OID = 16384;

/** Fixed OIDs of the objects every database has (PostgreSQL's values where PostgreSQL has them). */
export const BuiltinOid = {
  /** The database created at bootstrap ("postgres", as a fresh PostgreSQL cluster has). */
  defaultDatabase: 5,
  pgCatalogSchema: 11,
  publicSchema: 2200,
  informationSchema: 13_000,
} as const;

export interface DatabaseDescriptor {
  readonly kind: 'database';
  readonly id: number;
  readonly name: string;
  readonly version: number;
}

export interface SchemaDescriptor {
  readonly kind: 'schema';
  readonly id: number;
  readonly databaseId: number;
  readonly name: string;
  readonly version: number;
}

export interface ColumnDescriptor {
  /** Stable within the table; never reused (rows store values by column id). */
  readonly id: number;
  readonly name: string;
  readonly type: SqlType;
  readonly nullable: boolean;
  /** The DEFAULT expression as SQL text (deparsed), if any. */
  readonly defaultExpression?: string | undefined;
  /** GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY, backed by the sequence `sequenceId`. */
  readonly identity?: { readonly always: boolean; readonly sequenceId: number } | undefined;
  /** The hidden row id of a table declared without a primary key. */
  readonly hidden?: boolean | undefined;
}

export interface IndexColumn {
  readonly columnId: number;
  readonly direction: 'asc' | 'desc';
  readonly nulls: 'first' | 'last';
}

export interface IndexDescriptor {
  /** Within the table; the primary index is 1. */
  readonly id: number;
  /** The index's own OID (pg_class row of kind 'i'). */
  readonly oid: number;
  readonly name: string;
  readonly unique: boolean;
  readonly primary: boolean;
  readonly columns: readonly IndexColumn[];
  /** Columns stored in the index entry besides the key (an index-only scan needs no table read). */
  readonly storedColumnIds: readonly number[];
}

export type ReferentialAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export type ConstraintDescriptor =
  | { readonly kind: 'check'; readonly oid: number; readonly name: string; readonly expression: string }
  | { readonly kind: 'unique'; readonly oid: number; readonly name: string; readonly indexId: number }
  | { readonly kind: 'primary key'; readonly oid: number; readonly name: string; readonly indexId: number }
  | {
      readonly kind: 'foreign key';
      readonly oid: number;
      readonly name: string;
      readonly columnIds: readonly number[];
      readonly referencedTableId: number;
      readonly referencedColumnIds: readonly number[];
      readonly onDelete: ReferentialAction;
      readonly onUpdate: ReferentialAction;
    };

export interface TableDescriptor {
  readonly kind: 'table';
  readonly id: number;
  readonly schemaId: number;
  readonly name: string;
  readonly version: number;
  readonly columns: readonly ColumnDescriptor[];
  /** Rows are stored by their primary index's key. */
  readonly primaryIndex: IndexDescriptor;
  readonly secondaryIndexes: readonly IndexDescriptor[];
  readonly constraints: readonly ConstraintDescriptor[];
  readonly nextColumnId: number;
  readonly nextIndexId: number;
}

export interface SequenceDescriptor {
  readonly kind: 'sequence';
  readonly id: number;
  readonly schemaId: number;
  readonly name: string;
  readonly version: number;
  readonly type: SqlType;
  readonly start: bigint;
  readonly increment: bigint;
  readonly min: bigint;
  readonly max: bigint;
  readonly cycle: boolean;
  /** The column this sequence belongs to (SERIAL, identity): dropped with it. */
  readonly ownedBy?: { readonly tableId: number; readonly columnId: number } | undefined;
}

export interface ViewDescriptor {
  readonly kind: 'view';
  readonly id: number;
  readonly schemaId: number;
  readonly name: string;
  readonly version: number;
  /** The view's query as SQL text (deparsed), re-planned on use. */
  readonly query: string;
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
}

/** Objects that live in a schema and share its namespace (PostgreSQL's pg_class). */
export type RelationDescriptor = TableDescriptor | SequenceDescriptor | ViewDescriptor;

export type Descriptor = DatabaseDescriptor | SchemaDescriptor | RelationDescriptor;

export function columnByName(table: TableDescriptor, name: string): ColumnDescriptor | undefined {
  return table.columns.find((column) => column.name === name);
}

export function columnById(table: TableDescriptor, id: number): ColumnDescriptor | undefined {
  return table.columns.find((column) => column.id === id);
}

/** The table's indexes, primary first. */
export function allIndexes(table: TableDescriptor): readonly IndexDescriptor[] {
  return [table.primaryIndex, ...table.secondaryIndexes];
}
