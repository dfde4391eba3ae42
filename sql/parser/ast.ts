// Typed access to the PostgreSQL 15 parse tree that libpg-query returns (types from @pgsql/types).
//
// A tree node is an object with exactly one key, the node's kind, wrapping its fields:
// `{ SelectStmt: { targetList: [...], fromClause: [...] } }`. Fields typed as a concrete struct
// (`InsertStmt.relation: RangeVar`) hold the fields without a wrapper; fields typed `Node` hold a wrapper.
// The tree is JSON produced from protobuf, so a field at its default value is absent: `false`, `0`,
// `''`, empty lists and enum values numbered 0 do not appear (`SELECT 0` has `A_Const: { ival: {} }`).
// Every `location` in the tree is a UTF-8 byte offset into the whole text given to parseSql, -1 or absent
// when unknown; sourcePosition (parse.ts) turns one into the 1-based character position errors carry.
//
// This file gives later layers a `switch` the compiler checks: viewNode(node) returns `{ kind, node }`
// as a discriminated union over every kind, and isNode/nodeAs narrow a wrapper to one kind by name.
import type { Node } from '@pgsql/types';
import { ReefSqlError, SqlState } from '../errors.js';

export type { Node } from '@pgsql/types';

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type PayloadIn<N, K extends PropertyKey> = N extends Record<K, infer P> ? P : never;

/** The name of every node kind: 'SelectStmt', 'ColumnRef', 'A_Const', … */
export type NodeKind = KeysOfUnion<Node>;

/** The wrapper of one kind: `NodeOfKind<'SelectStmt'>` is `{ SelectStmt: SelectStmt }`. */
export type NodeOfKind<K extends NodeKind> = Extract<Node, Record<K, unknown>>;

/** The fields of one kind: `NodePayload<'SelectStmt'>` is `SelectStmt`. */
export type NodePayload<K extends NodeKind> = PayloadIn<Node, K>;

/** A node as a discriminated union: `switch (view.kind)` narrows `view.node` to that kind's fields. */
export type NodeView = { [K in NodeKind]: { readonly kind: K; readonly node: NodePayload<K> } }[NodeKind];

/** The kind of a wrapped node: the name of its only key. */
export function nodeKind(node: Node): NodeKind {
  for (const key in node) return key as NodeKind;
  throw new ReefSqlError(SqlState.INTERNAL_ERROR, 'parse tree node has no kind: an empty object where a wrapped node belongs');
}

/** True when `node` is a wrapper of `kind`; narrows it to `NodeOfKind<kind>`. */
export function isNode<K extends NodeKind>(node: Node | undefined, kind: K): node is NodeOfKind<K> {
  return node !== undefined && kind in node;
}

/** The fields of `node` when it is of `kind`, else undefined. */
export function nodeAs<K extends NodeKind>(node: Node | undefined, kind: K): NodePayload<K> | undefined {
  // The index is safe: a wrapper's only key is its kind, and an absent key reads as undefined.
  return node === undefined ? undefined : (node as unknown as Record<string, NodePayload<K> | undefined>)[kind];
}

/** The node as `{ kind, node }`, for a `switch` on `kind` that narrows `node`. */
export function viewNode(node: Node): NodeView {
  const kind = nodeKind(node);
  return { kind, node: (node as Record<string, unknown>)[kind] } as NodeView;
}
