// Proves that smallint, integer, bigint and oid text input and output match PostgreSQL 15: signs and
// C whitespace are accepted, anything else is 22P02, a value outside the type is 22003 (checked while
// the digits are read, before trailing garbage, except for the magnitude that fits only negated),
// bigint is exact as a BigInt, and oid wraps negative input as strtoul does. Expected strings and errors were produced by PostgreSQL 15.18 and are checked
// here, not recomputed. A seeded randomized test checks that formatting and reading back is the
// identity across each type's whole range; REEF_SEED=<seed> replays it.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';


const int2: SqlType = { oid: TypeOid.int2, typmod: -1 };
const int4: SqlType = { oid: TypeOid.int4, typmod: -1 };
const int8: SqlType = { oid: TypeOid.int8, typmod: -1 };
const oid: SqlType = { oid: TypeOid.oid, typmod: -1 };

t.test('smallint input and output as PostgreSQL 15', async (t) => {
  checkCases(t, int2, [
    [' -32768 ', '-32768'],
    ['32768', error('22003', 'value "32768" is out of range for type smallint')],
    ['+12', '12'],
    ['- 1', error('22P02', 'invalid input syntax for type smallint: "- 1"')],
    ['', error('22P02', 'invalid input syntax for type smallint: ""')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type smallint')],
    ['12x', error('22P02', 'invalid input syntax for type smallint: "12x"')],
    ['0x10', error('22P02', 'invalid input syntax for type smallint: "0x10"')],
    ['1_000', error('22P02', 'invalid input syntax for type smallint: "1_000"')],
    ['1e3', error('22P02', 'invalid input syntax for type smallint: "1e3"')],
    [' ', error('22P02', 'invalid input syntax for type smallint: " "')],
    ['-0', '0'],
    ['-32769', error('22003', 'value "-32769" is out of range for type smallint')],
    ['00000000000000000000000012', '12'],
  ]);
});

t.test('integer input and output as PostgreSQL 15', async (t) => {
  checkCases(t, int4, [
    [' -32768 ', '-32768'],
    ['32768', '32768'],
    ['+12', '12'],
    ['- 1', error('22P02', 'invalid input syntax for type integer: "- 1"')],
    ['', error('22P02', 'invalid input syntax for type integer: ""')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type integer')],
    ['12x', error('22P02', 'invalid input syntax for type integer: "12x"')],
    ['0x10', error('22P02', 'invalid input syntax for type integer: "0x10"')],
    ['1_000', error('22P02', 'invalid input syntax for type integer: "1_000"')],
    ['1e3', error('22P02', 'invalid input syntax for type integer: "1e3"')],
    [' ', error('22P02', 'invalid input syntax for type integer: " "')],
    ['-0', '0'],
    ['-32769', '-32769'],
    ['00000000000000000000000012', '12'],
    ['9223372036854775807', error('22003', 'value "9223372036854775807" is out of range for type integer')],
    ['-9223372036854775808', error('22003', 'value "-9223372036854775808" is out of range for type integer')],
    ['9223372036854775808', error('22003', 'value "9223372036854775808" is out of range for type integer')],
    ['abc', error('22P02', 'invalid input syntax for type integer: "abc"')],
    ['2147483648', error('22003', 'value "2147483648" is out of range for type integer')],
    ['-2147483648', '-2147483648'],
    ['-2147483649', error('22003', 'value "-2147483649" is out of range for type integer')],
    [' \v12\f', '12'],
    ['\u00a012', error('22P02', 'invalid input syntax for type integer: "\u00a012"')],
  ]);
});

t.test('bigint input and output as PostgreSQL 15', async (t) => {
  checkCases(t, int8, [
    [' -32768 ', '-32768'],
    ['32768', '32768'],
    ['+12', '12'],
    ['- 1', error('22P02', 'invalid input syntax for type bigint: "- 1"')],
    ['', error('22P02', 'invalid input syntax for type bigint: ""')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type bigint')],
    ['12x', error('22P02', 'invalid input syntax for type bigint: "12x"')],
    ['0x10', error('22P02', 'invalid input syntax for type bigint: "0x10"')],
    ['1_000', error('22P02', 'invalid input syntax for type bigint: "1_000"')],
    ['1e3', error('22P02', 'invalid input syntax for type bigint: "1e3"')],
    [' ', error('22P02', 'invalid input syntax for type bigint: " "')],
    ['-0', '0'],
    ['-32769', '-32769'],
    ['00000000000000000000000012', '12'],
    ['9223372036854775807', '9223372036854775807'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['9223372036854775808', error('22003', 'value "9223372036854775808" is out of range for type bigint')],
    ['abc', error('22P02', 'invalid input syntax for type bigint: "abc"')],
    ['2147483648', '2147483648'],
    ['-2147483648', '-2147483648'],
    ['-2147483649', '-2147483649'],
  ]);
});

t.test('oid input and output as PostgreSQL 15', async (t) => {
  checkCases(t, oid, [
    ['', error('22P02', 'invalid input syntax for type oid: ""')],
    ['-1', '4294967295'],
    ['4294967295', '4294967295'],
    ['4294967296', error('22003', 'value "4294967296" is out of range for type oid')],
    ['-2147483648', '2147483648'],
    ['-2147483649', error('22003', 'value "-2147483649" is out of range for type oid')],
    [' 12 ', '12'],
    ['x', error('22P02', 'invalid input syntax for type oid: "x"')],
    [' ', error('22P02', 'invalid input syntax for type oid: " "')],
    ['12x', error('22P02', 'invalid input syntax for type oid: "12x"')],
    ['4294967296x', error('22P02', 'invalid input syntax for type oid: "4294967296x"')],
    ['-0', '0'],
    ['+5', '5'],
    ['-18446744073709551615', '1'],
    ['-18446744073709551616', error('22003', 'value "-18446744073709551616" is out of range for type oid')],
  ]);
});

t.test('out of range before trailing characters, except the one magnitude that fits only negated', async (t) => {
  checkCases(t, int2, [
    ['2147483648x', error('22003', 'value "2147483648x" is out of range for type smallint')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type smallint')],
    ['2147483648 ', error('22003', 'value "2147483648 " is out of range for type smallint')],
    [' 2147483648x', error('22003', 'value " 2147483648x" is out of range for type smallint')],
    ['2147483648', error('22003', 'value "2147483648" is out of range for type smallint')],
    ['-2147483649x', error('22003', 'value "-2147483649x" is out of range for type smallint')],
    ['21474836470x', error('22003', 'value "21474836470x" is out of range for type smallint')],
    ['9999999999x', error('22003', 'value "9999999999x" is out of range for type smallint')],
    ['99999999999x', error('22003', 'value "99999999999x" is out of range for type smallint')],
    ['32768x', error('22P02', 'invalid input syntax for type smallint: "32768x"')],
    ['99999x', error('22003', 'value "99999x" is out of range for type smallint')],
    ['999999x', error('22003', 'value "999999x" is out of range for type smallint')],
    ['9999999999x', error('22003', 'value "9999999999x" is out of range for type smallint')],
    ['9223372036854775808x', error('22003', 'value "9223372036854775808x" is out of range for type smallint')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type smallint')],
  ]);
  checkCases(t, int4, [
    ['2147483648x', error('22P02', 'invalid input syntax for type integer: "2147483648x"')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type integer')],
    ['2147483648 ', error('22003', 'value "2147483648 " is out of range for type integer')],
    [' 2147483648x', error('22P02', 'invalid input syntax for type integer: " 2147483648x"')],
    ['2147483648', error('22003', 'value "2147483648" is out of range for type integer')],
    ['-2147483649x', error('22003', 'value "-2147483649x" is out of range for type integer')],
    ['21474836470x', error('22003', 'value "21474836470x" is out of range for type integer')],
    ['9999999999x', error('22003', 'value "9999999999x" is out of range for type integer')],
    ['99999999999x', error('22003', 'value "99999999999x" is out of range for type integer')],
    ['32768x', error('22P02', 'invalid input syntax for type integer: "32768x"')],
    ['99999x', error('22P02', 'invalid input syntax for type integer: "99999x"')],
    ['999999x', error('22P02', 'invalid input syntax for type integer: "999999x"')],
    ['9999999999x', error('22003', 'value "9999999999x" is out of range for type integer')],
    ['9223372036854775808x', error('22003', 'value "9223372036854775808x" is out of range for type integer')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type integer')],
  ]);
  checkCases(t, int8, [
    ['2147483648x', error('22P02', 'invalid input syntax for type bigint: "2147483648x"')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type bigint')],
    ['2147483648 ', '2147483648'],
    [' 2147483648x', error('22P02', 'invalid input syntax for type bigint: " 2147483648x"')],
    ['2147483648', '2147483648'],
    ['-2147483649x', error('22P02', 'invalid input syntax for type bigint: "-2147483649x"')],
    ['21474836470x', error('22P02', 'invalid input syntax for type bigint: "21474836470x"')],
    ['9999999999x', error('22P02', 'invalid input syntax for type bigint: "9999999999x"')],
    ['99999999999x', error('22P02', 'invalid input syntax for type bigint: "99999999999x"')],
    ['32768x', error('22P02', 'invalid input syntax for type bigint: "32768x"')],
    ['99999x', error('22P02', 'invalid input syntax for type bigint: "99999x"')],
    ['999999x', error('22P02', 'invalid input syntax for type bigint: "999999x"')],
    ['9999999999x', error('22P02', 'invalid input syntax for type bigint: "9999999999x"')],
    ['9223372036854775808x', error('22P02', 'invalid input syntax for type bigint: "9223372036854775808x"')],
    ['99999999999999999999x', error('22003', 'value "99999999999999999999x" is out of range for type bigint')],
  ]);
});

t.test('datums: numbers for smallint, integer and oid, BigInt for bigint', async (t) => {
  t.equal(parseText(int4, ' -42 '), -42);
  t.equal(parseText(int8, '9223372036854775807'), 9223372036854775807n);
  t.equal(parseText(oid, '-1'), 4294967295);
  t.equal(formatText(int8, -9223372036854775808n), '-9223372036854775808');
});

t.test('seeded: every value prints and reads back as itself', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  for (let round = 0; round < 2000; round++) {
    const small = random.intBetween(-32768, 32767);
    const integer = random.intBetween(-2147483648, 2147483647);
    const big = BigInt.asIntN(64, (BigInt(random.intBetween(0, 0xffffffff)) << 32n) | BigInt(random.intBetween(0, 0xffffffff)));
    const unsigned = random.intBetween(0, 4294967295);
    for (const [type, value] of [[int2, small], [int4, integer], [int8, big], [oid, unsigned]] as const) {
      const text = formatText(type, value);
      if (parseText(type, text) !== value || text !== String(value)) {
        t.fail(`${String(value)} printed as ${text} does not read back ${replay}`);
        return;
      }
    }
  }
  t.pass(`2000 rounds of each type ${replay}`);
});
