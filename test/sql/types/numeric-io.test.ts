// Proves that numeric text input and output match PostgreSQL 15: the grammar (exponents, NaN and the
// infinities of PostgreSQL 14+), the display scale kept from the input ('1.50' prints as 1.50), no
// exponent and no '-0' in output, the storage limits (22003 "value overflows numeric format"), and
// numeric(p, s): rounding half away from zero, negative scales and scales above the precision, and the
// 22003 "numeric field overflow" detail. The tables were produced by PostgreSQL 15.18 (typmod cases by
// INSERT into a numeric(p, s) column) and are checked here, not recomputed. A seeded randomized test
// checks that printed numerics read back equal and print the same again; REEF_SEED=<seed> replays it.
import { Decimal } from 'decimal.js';
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { NumericDecimal, numericDisplayScale, withDisplayScale } from '../../../sql/types/numeric-io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';


const numeric: SqlType = { oid: TypeOid.numeric, typmod: -1 };
/** numeric(p, s): ((p << 16) | (s & 0x7ff)) + 4. */
function numericOf(precision: number, scale: number): SqlType {
  return { oid: TypeOid.numeric, typmod: ((precision << 16) | (scale & 0x7ff)) + 4 };
}

t.test('numeric input and output as PostgreSQL 15', async (t) => {
  checkCases(t, numeric, [
    ['1.50', '1.50'],
    [' -0.00 ', '0.00'],
    ['1e-5', '0.00001'],
    ['1.0e-5', '0.000010'],
    ['1e5', '100000'],
    ['1.23e2', '123'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['.', error('22P02', 'invalid input syntax for type numeric: "."')],
    ['1e', error('22P02', 'invalid input syntax for type numeric: "1e"')],
    ['1e 5', '100000'],
    ['1e+5', '100000'],
    ['NaN', 'NaN'],
    [' nan ', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-inf', '-Infinity'],
    ['+inf', 'Infinity'],
    ['-infinity', '-Infinity'],
    ['0.000', '0.000'],
    ['-0', '0'],
    ['00012.340', '12.340'],
    ['1,5', error('22P02', 'invalid input syntax for type numeric: "1,5"')],
    ['+.5e-1', '0.05'],
    ['Infinityx', error('22P02', 'invalid input syntax for type numeric: "Infinityx"')],
    ['1e-16384', error('22003', 'value overflows numeric format')],
    ['0e-20000', error('22003', 'value overflows numeric format')],
    ['1e131072', error('22003', 'value overflows numeric format')],
    ['0.1e-16383', error('22003', 'value overflows numeric format')],
    ['1e2147483646', error('22003', 'value overflows numeric format')],
    ['1e-1073741823', error('22003', 'value overflows numeric format')],
    ['1e1073741822', error('22003', 'value overflows numeric format')],
    ['-1.5e-3', '-0.0015'],
    ['123456789012345678901234567890.123456789012345678901234567890', '123456789012345678901234567890.123456789012345678901234567890'],
    ['  12  ', '12'],
    ['1..2', error('22P02', 'invalid input syntax for type numeric: "1..2"')],
    ['1.2.3', error('22P02', 'invalid input syntax for type numeric: "1.2.3"')],
    ['--1', error('22P02', 'invalid input syntax for type numeric: "--1"')],
    ['+-1', error('22P02', 'invalid input syntax for type numeric: "+-1"')],
    ['1e-', error('22P02', 'invalid input syntax for type numeric: "1e-"')],
    ['1e+-5', error('22P02', 'invalid input syntax for type numeric: "1e+-5"')],
    [' ', error('22P02', 'invalid input syntax for type numeric: " "')],
    ['nanx', error('22P02', 'invalid input syntax for type numeric: "nanx"')],
    ['1 2', error('22P02', 'invalid input syntax for type numeric: "1 2"')],
    ['0.1e1', '1'],
    ['1e1', '10'],
    ['1e131071', `1${'0'.repeat(131071)}`],
    ['1e-16383', `0.${'0'.repeat(16382)}1`],
  ]);
});

t.test('numeric(5,2) as PostgreSQL 15', async (t) => {
  checkCases(t, numericOf(5, 2), [
    ['123.455', '123.46'],
    ['-123.455', '-123.46'],
    ['999.995', error('22003', 'numeric field overflow', { detail: 'A field with precision 5, scale 2 must round to an absolute value less than 10^3.' })],
    ['999.994', '999.99'],
    ['1000', error('22003', 'numeric field overflow', { detail: 'A field with precision 5, scale 2 must round to an absolute value less than 10^3.' })],
    ['NaN', 'NaN'],
    ['Infinity', error('22003', 'numeric field overflow', { detail: 'A field with precision 5, scale 2 cannot hold an infinite value.' })],
    ['-Infinity', error('22003', 'numeric field overflow', { detail: 'A field with precision 5, scale 2 cannot hold an infinite value.' })],
    ['0.001', '0.00'],
    ['-0.005', '-0.01'],
    ['-0.004', '0.00'],
    ['1e-16384', error('22003', 'value overflows numeric format')],
    ['12.3e1', '123.00'],
    ['abc', error('22P02', 'invalid input syntax for type numeric: "abc"')],
  ]);
});

t.test('numeric(3,-2): rounding to hundreds', async (t) => {
  checkCases(t, numericOf(3, -2), [
    ['1234', '1200'],
    ['12345', '12300'],
    ['-155', '-200'],
    ['0.5', '0'],
    ['50', '100'],
    ['49.9', '0'],
    ['99950', error('22003', 'numeric field overflow', { detail: 'A field with precision 3, scale -2 must round to an absolute value less than 10^5.' })],
    ['99949', '99900'],
  ]);
});

t.test('numeric(2,3): a scale above the precision', async (t) => {
  checkCases(t, numericOf(2, 3), [
    ['0.01', '0.010'],
    ['0.05', '0.050'],
    ['0.0049', '0.005'],
    ['0.00501', '0.005'],
    ['0.1', error('22003', 'numeric field overflow', { detail: 'A field with precision 2, scale 3 must round to an absolute value less than 10^-1.' })],
    ['0.0995', error('22003', 'numeric field overflow', { detail: 'A field with precision 2, scale 3 must round to an absolute value less than 10^-1.' })],
    ['0.09949', '0.099'],
  ]);
});

t.test('numeric(2,2): "less than 1" in the detail', async (t) => {
  checkCases(t, numericOf(2, 2), [
    ['0.5', '0.50'],
    ['1', error('22003', 'numeric field overflow', { detail: 'A field with precision 2, scale 2 must round to an absolute value less than 1.' })],
    ['-0.4', '-0.40'],
    ['-0.995', error('22003', 'numeric field overflow', { detail: 'A field with precision 2, scale 2 must round to an absolute value less than 1.' })],
    ['0.995', error('22003', 'numeric field overflow', { detail: 'A field with precision 2, scale 2 must round to an absolute value less than 1.' })],
  ]);
});

t.test('datums are Decimals; the display scale travels beside them', async (t) => {
  const value = parseText(numeric, '1.50') as Decimal;
  t.ok(Decimal.isDecimal(value));
  t.ok(value.eq(1.5));
  t.equal(numericDisplayScale(value), 2);
  t.equal(formatText(numeric, new NumericDecimal('2.5')), '2.5', 'a Decimal with no recorded scale prints its own digits');
  t.equal(formatText(numeric, withDisplayScale(new NumericDecimal('2.5'), 3)), '2.500');
  t.equal(formatText(numericOf(10, 4), new NumericDecimal('2.5')), '2.5000', 'numeric(p, s) prints s digits');
  t.ok((parseText(numeric, 'NaN') as Decimal).isNaN());
  t.equal((parseText(numeric, '-inf') as Decimal).toString(), '-Infinity');
});

t.test('seeded: numerics print and read back equal, and print the same again', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  for (let round = 0; round < 2000; round++) {
    const integerDigits = Array.from({ length: random.intBetween(0, 40) }, () => random.int(10)).join('');
    const fractionDigits = Array.from({ length: random.intBetween(0, 30) }, () => random.int(10)).join('');
    const exponent = random.chance(0.3) ? `e${random.intBetween(-40, 40)}` : '';
    const written = `${random.chance(0.5) ? '-' : ''}${integerDigits || '0'}${fractionDigits ? `.${fractionDigits}` : ''}${exponent}`;
    const value = parseText(numeric, written) as Decimal;
    const printed = formatText(numeric, value);
    const again = parseText(numeric, printed) as Decimal;
    if (!again.eq(value) || formatText(numeric, again) !== printed || printed.includes('e') || !value.eq(new Decimal(written))) {
      return t.fail(`${written} printed as ${printed} does not read back ${replay}`);
    }
  }
  t.pass(`2000 numerics ${replay}`);
});
