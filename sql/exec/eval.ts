// Evaluating bound expressions (sql/plan/expr.ts): each expression is compiled once into a closure over
// a row and the statement's parameters, so the per-row work is a chain of direct calls with no
// interpretation of the tree. SQL's three-valued logic and NULL rules live here:
//   AND  false if any argument is false, else NULL if any is NULL, else true
//   OR   true if any argument is true, else NULL if any is NULL, else false
//   NOT  NULL stays NULL;  strict calls: NULL if any argument is NULL
//   CASE the first WHEN that is true (NULL counts as not true); with an operand, a NULL operand or WHEN
//        value never matches;  COALESCE the first non-NULL;  NULLIF(a, b) NULL when both are non-NULL
//        and equal, else a;  GREATEST/LEAST ignore NULLs (NULL only if all are);  x IN (…) true on a
//        match, else NULL if x or any item is NULL, else false.

import type { Row } from './context.js';
import type { Expr } from '../plan/expr.js';
import type { Datum } from '../types/datum.js';

export type Evaluator = (row: Row, params: readonly Datum[]) => Datum;

export function compileExpr(expr: Expr): Evaluator {
  switch (expr.kind) {
    case 'const': {
      const value = expr.value;
      return () => value;
    }
    case 'column': {
      const index = expr.index;
      return (row) => row[index] ?? null;
    }
    case 'param': {
      const index = expr.number - 1;
      return (_row, params) => params[index] ?? null;
    }
    case 'call': {
      const fn = expr.fn;
      const args = expr.args.map(compileExpr);
      if (args.length === 1) {
        const [only] = args as [Evaluator];
        return (row, params) => {
          const value = only(row, params);
          return value === null ? null : fn([value]);
        };
      }
      if (args.length === 2) {
        const [left, right] = args as [Evaluator, Evaluator];
        return (row, params) => {
          const a = left(row, params);
          if (a === null) return null;
          const b = right(row, params);
          return b === null ? null : fn([a, b]);
        };
      }
      return (row, params) => {
        const values: Datum[] = [];
        for (const arg of args) {
          const value = arg(row, params);
          if (value === null) return null;
          values.push(value);
        }
        return fn(values);
      };
    }
    case 'call-nullable': {
      const fn = expr.fn;
      const args = expr.args.map(compileExpr);
      return (row, params) => fn(args.map((arg) => arg(row, params)));
    }
    case 'and': {
      const args = expr.args.map(compileExpr);
      return (row, params) => {
        let sawNull = false;
        for (const arg of args) {
          const value = arg(row, params);
          if (value === false) return false;
          if (value === null) sawNull = true;
        }
        return sawNull ? null : true;
      };
    }
    case 'or': {
      const args = expr.args.map(compileExpr);
      return (row, params) => {
        let sawNull = false;
        for (const arg of args) {
          const value = arg(row, params);
          if (value === true) return true;
          if (value === null) sawNull = true;
        }
        return sawNull ? null : false;
      };
    }
    case 'not': {
      const arg = compileExpr(expr.arg);
      return (row, params) => {
        const value = arg(row, params);
        return value === null ? null : !value;
      };
    }
    case 'is-null': {
      const arg = compileExpr(expr.arg);
      return (row, params) => arg(row, params) === null;
    }
    case 'is-not-null': {
      const arg = compileExpr(expr.arg);
      return (row, params) => arg(row, params) !== null;
    }
    case 'is-distinct':
    case 'is-not-distinct': {
      const left = compileExpr(expr.left);
      const right = compileExpr(expr.right);
      const equal = expr.equal;
      const distinct = expr.kind === 'is-distinct';
      return (row, params) => {
        const a = left(row, params);
        const b = right(row, params);
        const same = a === null || b === null ? a === b : equal(a, b);
        return distinct ? !same : same;
      };
    }
    case 'case': {
      const operand = expr.operand === undefined ? undefined : compileExpr(expr.operand);
      const equal = expr.equal;
      const whens = expr.whens.map(({ when, then }) => ({ when: compileExpr(when), then: compileExpr(then) }));
      const otherwise = expr.otherwise === undefined ? undefined : compileExpr(expr.otherwise);
      return (row, params) => {
        const subject = operand === undefined ? undefined : operand(row, params);
        for (const { when, then } of whens) {
          const value = when(row, params);
          const matches = operand === undefined ? value === true : subject !== null && value !== null && equal!(subject!, value);
          if (matches) return then(row, params);
        }
        return otherwise === undefined ? null : otherwise(row, params);
      };
    }
    case 'coalesce': {
      const args = expr.args.map(compileExpr);
      return (row, params) => {
        for (const arg of args) {
          const value = arg(row, params);
          if (value !== null) return value;
        }
        return null;
      };
    }
    case 'nullif': {
      const left = compileExpr(expr.left);
      const right = compileExpr(expr.right);
      const equal = expr.equal;
      return (row, params) => {
        const a = left(row, params);
        if (a === null) return null;
        const b = right(row, params);
        return b !== null && equal(a, b) ? null : a;
      };
    }
    case 'greatest':
    case 'least': {
      const args = expr.args.map(compileExpr);
      const compare = expr.compare;
      const sign = expr.kind === 'greatest' ? 1 : -1;
      return (row, params) => {
        let best: Datum = null;
        for (const arg of args) {
          const value = arg(row, params);
          if (value === null) continue;
          if (best === null || sign * compare(value, best) > 0) best = value;
        }
        return best;
      };
    }
    case 'in-list': {
      const arg = compileExpr(expr.arg);
      const list = expr.list.map(compileExpr);
      const equal = expr.equal;
      return (row, params) => {
        const value = arg(row, params);
        if (value === null) return null;
        let sawNull = false;
        for (const item of list) {
          const candidate = item(row, params);
          if (candidate === null) sawNull = true;
          else if (equal(value, candidate)) return true;
        }
        return sawNull ? null : false;
      };
    }
  }
}

/** A compiled predicate for FilterOperator: true, false or null (unknown). */
export function compilePredicate(expr: Expr, params: readonly Datum[]): (row: Row) => boolean | null {
  const evaluate = compileExpr(expr);
  return (row) => evaluate(row, params) as boolean | null;
}
