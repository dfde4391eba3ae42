// Bound scalar expressions: what the binder makes of a parse tree's expressions once every name is
// resolved and every node typed. Readonly objects with a string `kind`, built by the factories below and
// walked by a `switch` the compiler checks. Column references are positions in the input row of the
// operator that evaluates them; parameters are $1-based positions in the statement's parameters.
//
// Semantics are SQL's: every operator and function here is strict (a NULL argument gives NULL) unless
// its node says otherwise — AND, OR, NOT, IS [NOT] NULL, CASE, COALESCE, NULLIF, GREATEST/LEAST and
// IS [NOT] DISTINCT FROM have their own NULL rules (three-valued logic), evaluated in eval.ts.

import type { Datum, SqlType } from '../types/datum.js';

/** A function implementation over non-null arguments (strictness is handled by the evaluator). */
export type ScalarFunction = (args: readonly Datum[]) => Datum;

export type Expr =
  | { readonly kind: 'const'; readonly type: SqlType; readonly value: Datum }
  | { readonly kind: 'column'; readonly type: SqlType; readonly index: number; readonly name: string }
  | { readonly kind: 'param'; readonly type: SqlType; readonly number: number }
  /** A strict function or operator call: NULL if any argument is NULL. */
  | { readonly kind: 'call'; readonly type: SqlType; readonly name: string; readonly args: readonly Expr[]; readonly fn: ScalarFunction }
  /** A function that sees NULL arguments itself (concat, format, …). */
  | { readonly kind: 'call-nullable'; readonly type: SqlType; readonly name: string; readonly args: readonly Expr[]; readonly fn: ScalarFunction }
  | { readonly kind: 'and' | 'or'; readonly type: SqlType; readonly args: readonly Expr[] }
  | { readonly kind: 'not'; readonly type: SqlType; readonly arg: Expr }
  | { readonly kind: 'is-null' | 'is-not-null'; readonly type: SqlType; readonly arg: Expr }
  /** IS [NOT] DISTINCT FROM: equality where NULL equals NULL; `equal` compares two non-null values. */
  | { readonly kind: 'is-distinct' | 'is-not-distinct'; readonly type: SqlType; readonly left: Expr; readonly right: Expr; readonly equal: (a: Datum, b: Datum) => boolean }
  /** CASE [operand] WHEN … THEN … ELSE … END; with an operand, `equal` compares it to each WHEN value. */
  | {
      readonly kind: 'case';
      readonly type: SqlType;
      readonly operand: Expr | undefined;
      readonly equal: ((a: Datum, b: Datum) => boolean) | undefined;
      readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
      readonly otherwise: Expr | undefined;
    }
  | { readonly kind: 'coalesce'; readonly type: SqlType; readonly args: readonly Expr[] }
  /** NULLIF(a, b): NULL when a = b, else a. */
  | { readonly kind: 'nullif'; readonly type: SqlType; readonly left: Expr; readonly right: Expr; readonly equal: (a: Datum, b: Datum) => boolean }
  /** GREATEST / LEAST: NULL arguments are ignored; NULL only when all are NULL. */
  | { readonly kind: 'greatest' | 'least'; readonly type: SqlType; readonly args: readonly Expr[]; readonly compare: (a: Datum, b: Datum) => number }
  /**
   * x IN (list): true if x equals a value; else NULL if x or any value is NULL; else false.
   * (x NOT IN is NOT of this.)
   */
  | { readonly kind: 'in-list'; readonly type: SqlType; readonly arg: Expr; readonly list: readonly Expr[]; readonly equal: (a: Datum, b: Datum) => boolean };

export type ExprKind = Expr['kind'];

/** The boolean type, the result of predicates. */
export const BOOL: SqlType = { oid: 16, typmod: -1 };

export function constant(type: SqlType, value: Datum): Expr {
  return { kind: 'const', type, value };
}

export function column(type: SqlType, index: number, name: string): Expr {
  return { kind: 'column', type, index, name };
}

export function and(args: readonly Expr[]): Expr {
  return { kind: 'and', type: BOOL, args };
}

export function or(args: readonly Expr[]): Expr {
  return { kind: 'or', type: BOOL, args };
}

export function not(arg: Expr): Expr {
  return { kind: 'not', type: BOOL, arg };
}

/** Every column index an expression reads (for pruning the columns an operator must produce). */
export function columnsOf(expr: Expr, into = new Set<number>()): Set<number> {
  switch (expr.kind) {
    case 'column':
      into.add(expr.index);
      break;
    case 'const':
    case 'param':
      break;
    case 'call':
    case 'call-nullable':
    case 'and':
    case 'or':
    case 'coalesce':
    case 'greatest':
    case 'least':
      for (const arg of expr.args) columnsOf(arg, into);
      break;
    case 'not':
    case 'is-null':
    case 'is-not-null':
      columnsOf(expr.arg, into);
      break;
    case 'is-distinct':
    case 'is-not-distinct':
    case 'nullif':
      columnsOf(expr.left, into);
      columnsOf(expr.right, into);
      break;
    case 'case':
      if (expr.operand !== undefined) columnsOf(expr.operand, into);
      for (const { when, then } of expr.whens) {
        columnsOf(when, into);
        columnsOf(then, into);
      }
      if (expr.otherwise !== undefined) columnsOf(expr.otherwise, into);
      break;
    case 'in-list':
      columnsOf(expr.arg, into);
      for (const item of expr.list) columnsOf(item, into);
      break;
  }
  return into;
}
