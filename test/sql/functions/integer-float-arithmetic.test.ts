// Integer and float arithmetic with PostgreSQL 15's results and errors: range checks per type (22003
// with "smallint/integer/bigint out of range"), truncating division and dividend-signed modulo (also
// at the minimum value and -1), division by zero 22012 for every type except NaN / 0 = NaN for floats,
// and float overflow/underflow 22003. The expected values are PostgreSQL's (SELECT … in psql 15).
import t from 'tap';
import { ReefSqlError } from '../../../sql/errors.js';
import {
  bigintArithmetic,
  floatArithmetic,
  integerAbs,
  integerNegate,
  smallIntegerArithmetic,
} from '../../../sql/functions/integer-float-arithmetic.js';

function error(run: () => unknown): string {
  try {
    run();
    return 'no error';
  } catch (thrown) {
    return thrown instanceof ReefSqlError ? `${thrown.code} ${thrown.message}` : String(thrown);
  }
}

t.test('smallint and integer', async (t) => {
  t.equal(smallIntegerArithmetic('int4', '+', 2147483646, 1), 2147483647);
  t.equal(error(() => smallIntegerArithmetic('int4', '+', 2147483647, 1)), '22003 integer out of range');
  t.equal(error(() => smallIntegerArithmetic('int4', '*', 65536, 65536)), '22003 integer out of range');
  t.equal(error(() => smallIntegerArithmetic('int2', '+', 32767, 1)), '22003 smallint out of range');
  t.equal(smallIntegerArithmetic('int4', '/', 7, 2), 3);
  t.equal(smallIntegerArithmetic('int4', '/', -7, 2), -3, 'division truncates toward zero');
  t.equal(smallIntegerArithmetic('int4', '%', -7, 2), -1, 'modulo takes the dividend’s sign');
  t.equal(smallIntegerArithmetic('int4', '%', 7, -2), 1);
  t.equal(smallIntegerArithmetic('int4', '%', -2147483648, -1), 0);
  t.equal(error(() => smallIntegerArithmetic('int4', '/', -2147483648, -1)), '22003 integer out of range');
  t.equal(error(() => smallIntegerArithmetic('int4', '/', 1, 0)), '22012 division by zero');
  t.equal(error(() => smallIntegerArithmetic('int2', '%', 1, 0)), '22012 division by zero');
  t.equal(error(() => integerNegate('int4', -2147483648)), '22003 integer out of range');
  t.equal(error(() => integerAbs('int2', -32768)), '22003 smallint out of range');
  t.equal(integerAbs('int4', -5), 5);
});

t.test('bigint', async (t) => {
  t.equal(bigintArithmetic('+', 9223372036854775806n, 1n), 9223372036854775807n);
  t.equal(error(() => bigintArithmetic('+', 9223372036854775807n, 1n)), '22003 bigint out of range');
  t.equal(error(() => bigintArithmetic('*', 4294967296n, 4294967296n)), '22003 bigint out of range');
  t.equal(bigintArithmetic('/', -7n, 2n), -3n);
  t.equal(bigintArithmetic('%', -7n, 2n), -1n);
  t.equal(bigintArithmetic('%', -9223372036854775808n, -1n), 0n);
  t.equal(error(() => bigintArithmetic('/', -9223372036854775808n, -1n)), '22003 bigint out of range');
  t.equal(error(() => bigintArithmetic('/', 1n, 0n)), '22012 division by zero');
  t.equal(error(() => integerNegate('int8', -9223372036854775808n)), '22003 bigint out of range');
});

t.test('real and double precision', async (t) => {
  t.equal(floatArithmetic('float8', '+', 0.1, 0.2), 0.30000000000000004);
  t.equal(floatArithmetic('float4', '+', 0.1, 0.2), Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  t.equal(error(() => floatArithmetic('float8', '/', 1, 0)), '22012 division by zero');
  t.ok(Number.isNaN(floatArithmetic('float8', '/', NaN, 0)), 'NaN / 0 is NaN');
  t.equal(error(() => floatArithmetic('float8', '*', 1e308, 10)), '22003 value out of range: overflow');
  t.equal(error(() => floatArithmetic('float4', '*', 1e38, 10)), '22003 value out of range: overflow');
  t.equal(error(() => floatArithmetic('float8', '*', 1e-308, 1e-308)), '22003 value out of range: underflow');
  t.equal(floatArithmetic('float8', '*', 0, 1e-308), 0, 'an exact zero is not an underflow');
  t.equal(floatArithmetic('float8', '+', Infinity, 1), Infinity, 'infinite inputs stay infinite');
  t.ok(Number.isNaN(floatArithmetic('float8', '-', Infinity, Infinity)));
  t.equal(floatArithmetic('float8', '/', 1, Infinity), 0, '1 / infinity is an exact zero');
});
