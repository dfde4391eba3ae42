// SQL's NULL rules in compiled expressions: AND/OR/NOT truth tables over every combination of true,
// false and NULL (against Kleene's three-valued logic written out as a model), strict calls, IS [NOT]
// NULL, IS [NOT] DISTINCT FROM, CASE with and without an operand, COALESCE, NULLIF, GREATEST/LEAST and
// IN lists with NULLs, as PostgreSQL 15 answers them.
import t from 'tap';
import { compileExpr } from '../../../sql/exec/eval.js';
import { and, BOOL, column, constant, type Expr, not, or } from '../../../sql/plan/expr.js';
import type { Datum } from '../../../sql/types/datum.js';

const INT = { oid: 23, typmod: -1 };
const TRUTH: (boolean | null)[] = [true, false, null];
const lit = (value: boolean | null): Expr => constant(BOOL, value);
const int = (value: number | null): Expr => constant(INT, value);
const run = (expr: Expr, row: Datum[] = [], params: Datum[] = []): Datum => compileExpr(expr)(row, params);
const equal = (a: Datum, b: Datum): boolean => a === b;
const compare = (a: Datum, b: Datum): number => (a as number) - (b as number);

function kleeneAnd(values: (boolean | null)[]): boolean | null {
  if (values.includes(false)) return false;
  return values.includes(null) ? null : true;
}

function kleeneOr(values: (boolean | null)[]): boolean | null {
  if (values.includes(true)) return true;
  return values.includes(null) ? null : false;
}

t.test('AND, OR, NOT follow three-valued logic', async (t) => {
  let checked = 0;
  for (const a of TRUTH) {
    t.equal(run(not(lit(a))), a === null ? null : !a);
    for (const b of TRUTH) {
      for (const c of TRUTH) {
        t.equal(run(and([lit(a), lit(b), lit(c)])), kleeneAnd([a, b, c]), `${a} AND ${b} AND ${c}`);
        t.equal(run(or([lit(a), lit(b), lit(c)])), kleeneOr([a, b, c]), `${a} OR ${b} OR ${c}`);
        checked++;
      }
    }
  }
  t.equal(checked, 27);
});

t.test('strict calls, IS NULL, IS DISTINCT FROM, columns and parameters', async (t) => {
  const plus: Expr = { kind: 'call', type: INT, name: '+', args: [column(INT, 0, 'a'), { kind: 'param', type: INT, number: 1 }], fn: ([x, y]) => (x as number) + (y as number) };
  t.equal(run(plus, [2], [3]), 5);
  t.equal(run(plus, [null], [3]), null, 'a NULL argument gives NULL');
  t.equal(run(plus, [2], [null]), null);
  const three: Expr = { kind: 'call', type: INT, name: 'f', args: [int(1), int(2), int(null)], fn: () => 99 };
  t.equal(run(three), null);
  const concat: Expr = { kind: 'call-nullable', type: INT, name: 'concat', args: [int(1), int(null)], fn: (args) => args.filter((x) => x !== null).length };
  t.equal(run(concat), 1, 'a non-strict call sees the NULL');
  t.equal(run({ kind: 'is-null', type: BOOL, arg: int(null) }), true);
  t.equal(run({ kind: 'is-not-null', type: BOOL, arg: int(null) }), false);
  const distinct = (left: Expr, right: Expr): Datum => run({ kind: 'is-distinct', type: BOOL, left, right, equal });
  t.equal(distinct(int(null), int(null)), false, 'NULL IS DISTINCT FROM NULL is false');
  t.equal(distinct(int(1), int(null)), true);
  t.equal(distinct(int(1), int(1)), false);
  t.equal(run({ kind: 'is-not-distinct', type: BOOL, left: int(null), right: int(null), equal }), true);
});

t.test('CASE, COALESCE, NULLIF, GREATEST, LEAST', async (t) => {
  const searched: Expr = { kind: 'case', type: INT, operand: undefined, equal: undefined, whens: [{ when: lit(null), then: int(1) }, { when: lit(true), then: int(2) }], otherwise: int(3) };
  t.equal(run(searched), 2, 'a NULL WHEN is not true');
  const simple = (subject: number | null): Datum =>
    run({ kind: 'case', type: INT, operand: int(subject), equal, whens: [{ when: int(null), then: int(10) }, { when: int(5), then: int(20) }], otherwise: undefined });
  t.equal(simple(5), 20);
  t.equal(simple(null), null, 'CASE NULL WHEN NULL does not match; no ELSE gives NULL');
  t.equal(simple(7), null);
  t.equal(run({ kind: 'coalesce', type: INT, args: [int(null), int(null), int(4), int(5)] }), 4);
  t.equal(run({ kind: 'coalesce', type: INT, args: [int(null)] }), null);
  const nullif = (a: number | null, b: number | null): Datum => run({ kind: 'nullif', type: INT, left: int(a), right: int(b), equal });
  t.equal(nullif(1, 1), null);
  t.equal(nullif(1, 2), 1);
  t.equal(nullif(1, null), 1, 'NULLIF(1, NULL) = 1');
  t.equal(nullif(null, 1), null);
  t.equal(run({ kind: 'greatest', type: INT, args: [int(1), int(null), int(3)], compare }), 3, 'GREATEST ignores NULLs');
  t.equal(run({ kind: 'least', type: INT, args: [int(1), int(null), int(3)], compare }), 1);
  t.equal(run({ kind: 'greatest', type: INT, args: [int(null), int(null)], compare }), null);
});

t.test('IN lists with NULLs', async (t) => {
  const inList = (x: number | null, items: (number | null)[]): Datum => run({ kind: 'in-list', type: BOOL, arg: int(x), list: items.map(int), equal });
  t.equal(inList(1, [1, 2]), true);
  t.equal(inList(3, [1, 2]), false);
  t.equal(inList(3, [1, null]), null, '3 IN (1, NULL) is NULL');
  t.equal(inList(1, [null, 1]), true, '1 IN (NULL, 1) is true');
  t.equal(inList(null, [1]), null);
  t.equal(run(not({ kind: 'in-list', type: BOOL, arg: int(3), list: [int(1), int(null)], equal })), null, 'NOT IN with a NULL is NULL');
});
