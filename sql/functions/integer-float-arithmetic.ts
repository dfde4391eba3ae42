// Arithmetic on smallint, integer, bigint, real and double precision, with PostgreSQL's results and
// errors: integer results are checked against their type's range (22003 "integer out of range", etc.),
// integer division truncates toward zero and `%` takes the dividend's sign, division by zero is 22012
// for every type (also for floats, unlike IEEE), float results that overflow or underflow are 22003
// ("value out of range: overflow" / "underflow"), and NaN/Infinity inputs behave as PostgreSQL's float8
// operators. NULL handling (strict functions) is the caller's: these kernels never see null.
//
// smallint and integer are JavaScript numbers (exact: their products fit in 2^53); bigint is a BigInt.

import { ReefSqlError, SqlState } from '../errors.js';

export type IntegerType = 'int2' | 'int4' | 'int8';
export type FloatType = 'float4' | 'float8';

const RANGES = {
  int2: { min: -32768, max: 32767, message: 'smallint out of range' },
  int4: { min: -2147483648, max: 2147483647, message: 'integer out of range' },
} as const;

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

function divisionByZero(): ReefSqlError {
  return new ReefSqlError(SqlState.DIVISION_BY_ZERO, 'division by zero');
}

function checkSmall(type: 'int2' | 'int4', value: number): number {
  const range = RANGES[type];
  if (value < range.min || value > range.max) throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, range.message);
  return value;
}

function checkBig(value: bigint): bigint {
  if (value < INT8_MIN || value > INT8_MAX) throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'bigint out of range');
  return value;
}

export type IntegerOperator = '+' | '-' | '*' | '/' | '%';

/** `a op b` for two smallints or two integers (the binder casts mixed operands to the wider type). */
export function smallIntegerArithmetic(type: 'int2' | 'int4', operator: IntegerOperator, a: number, b: number): number {
  switch (operator) {
    case '+':
      return checkSmall(type, a + b);
    case '-':
      return checkSmall(type, a - b);
    case '*':
      return checkSmall(type, a * b);
    case '/':
      if (b === 0) throw divisionByZero();
      // Truncation toward zero; -2147483648 / -1 overflows, as in PostgreSQL.
      return checkSmall(type, Math.trunc(a / b));
    case '%':
      if (b === 0) throw divisionByZero();
      // JavaScript's % takes the dividend's sign, as C's does; x % -1 is 0 even at the minimum.
      return b === -1 ? 0 : a % b;
  }
}

/** `a op b` for two bigints. */
export function bigintArithmetic(operator: IntegerOperator, a: bigint, b: bigint): bigint {
  switch (operator) {
    case '+':
      return checkBig(a + b);
    case '-':
      return checkBig(a - b);
    case '*':
      return checkBig(a * b);
    case '/':
      if (b === 0n) throw divisionByZero();
      return checkBig(a / b);
    case '%':
      if (b === 0n) throw divisionByZero();
      return b === -1n ? 0n : a % b;
  }
}

/** Unary minus and abs for the integer types (the minimum value has no negation: 22003). */
export function integerNegate(type: IntegerType, value: number | bigint): number | bigint {
  if (type === 'int8') return checkBig(-(value as bigint));
  return checkSmall(type, -(value as number));
}

export function integerAbs(type: IntegerType, value: number | bigint): number | bigint {
  if (type === 'int8') return checkBig((value as bigint) < 0n ? -(value as bigint) : (value as bigint));
  return checkSmall(type, Math.abs(value as number));
}

export type FloatOperator = '+' | '-' | '*' | '/';

/**
 * PostgreSQL's float_overflow_error / float_underflow_error checks: a finite input giving an infinite
 * result overflowed; a non-zero exact result that rounds to zero underflowed.
 */
function checkFloat(type: FloatType, result: number, a: number, b: number, zeroAllowed: boolean): number {
  const value = type === 'float4' ? Math.fround(result) : result;
  if (!Number.isFinite(value) && !Number.isNaN(value) && Number.isFinite(a) && Number.isFinite(b)) {
    throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: overflow');
  }
  if (value === 0 && !zeroAllowed) throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value out of range: underflow');
  return value;
}

/** `a op b` for two reals or two doubles. */
export function floatArithmetic(type: FloatType, operator: FloatOperator, a: number, b: number): number {
  switch (operator) {
    case '+':
      return checkFloat(type, a + b, a, b, true);
    case '-':
      return checkFloat(type, a - b, a, b, true);
    case '*':
      // Underflow only when neither factor is zero (0 * x is an exact zero).
      return checkFloat(type, a * b, a, b, a === 0 || b === 0);
    case '/':
      if (b === 0 && !Number.isNaN(a)) throw divisionByZero();
      return checkFloat(type, a / b, a, b, a === 0 || !Number.isFinite(b));
  }
}
