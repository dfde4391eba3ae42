// Proves compare.ts's order against PostgreSQL's rules: hand-checked cases for every type, taken from
// the behaviour of PostgreSQL's btree comparison functions (float8_cmp_internal, cmp_numerics, bpcharcmp,
// interval_cmp_value, compareJsonbContainers, array_cmp) and its documentation (the jsonb ordering
// section); and seeded random cases against independent oracles — text against Buffer.compare of the
// UTF-8 bytes (the C collation), intervals against their exact 128-bit span in BigInt, uuids against
// their bytes.
import t, { type Test } from 'tap';
import { Decimal } from 'decimal.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { type Datum, type Interval, type JsonValue, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { compareDatums, compareNullable, compareOrdered, datumsEqual } from '../../../sql/types/compare.js';
import { isSqlError } from '../../../sql/errors.js';

const seed = announceSeed(import.meta.url);

const type = (oid: number, typmod = -1): SqlType => ({ oid, typmod });
const DAY = 86_400_000_000;
const HOUR = 3_600_000_000;

/** Asserts a strictly ascending chain: each value below the next, and each equal to itself. */
function ascending(t: Test, sqlType: SqlType, values: Datum[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    t.equal(compareDatums(sqlType, values[i]!, values[i]!), 0, `${what}: #${i} equals itself`);
    for (let j = i + 1; j < values.length; j++) {
      t.ok(compareDatums(sqlType, values[i]!, values[j]!) < 0 && compareDatums(sqlType, values[j]!, values[i]!) > 0, `${what}: #${i} < #${j}`);
    }
  }
}

function equal(t: Test, sqlType: SqlType, a: Datum, b: Datum, what: string): void {
  t.ok(datumsEqual(sqlType, a, b) && compareDatums(sqlType, b, a) === 0, what);
}

const object = (entries: [string, JsonValue][]): JsonValue => new Map(entries);
const n = (text: string) => new Decimal(text);
const interval = (months: number, days: number, microseconds: number): Interval => ({ months, days, microseconds });

t.test('scalars in PostgreSQL order', async (t) => {
  ascending(t, type(TypeOid.bool), [false, true], 'bool');
  ascending(t, type(TypeOid.int4), [-2147483648, -1, 0, 2147483647], 'int4');
  ascending(t, type(TypeOid.int8), [-(2n ** 63n), -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n], 'int8');
  ascending(t, type(TypeOid.float8), [-Infinity, -Number.MAX_VALUE, -1, -Number.MIN_VALUE, 0, Number.MIN_VALUE, 1, Infinity, NaN], 'float8: NaN above Infinity');
  equal(t, type(TypeOid.float8), -0, 0, 'float -0 = 0');
  equal(t, type(TypeOid.float4), NaN, NaN, 'float NaN = NaN');
  ascending(t, type(TypeOid.numeric), [n('-Infinity'), n('-1e1000'), n('-1'), n('-0.001'), n('0'), n('1e-1000'), n('1.5'), n('1e1000'), n('Infinity'), n('NaN')], 'numeric');
  equal(t, type(TypeOid.numeric), n('1.50'), n('1.5'), 'numeric 1.50 = 1.5');
  equal(t, type(TypeOid.numeric), n('NaN'), n('NaN'), 'numeric NaN = NaN');
  ascending(t, type(TypeOid.date), [-Infinity, -2147483647, 0, 2147483646, Infinity], 'date');
  ascending(t, type(TypeOid.timestamptz), [-Infinity, -Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER, Infinity], 'timestamptz');
  ascending(t, type(TypeOid.time), [0, 1, DAY], 'time');
  ascending(t, type(TypeOid.bytea), [new Uint8Array(), Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(0, 255), Uint8Array.of(1)], 'bytea');
  ascending(t, type(TypeOid.uuid), ['00000000-0000-0000-0000-000000000000', '0000000a-0000-0000-0000-000000000000', 'a0000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'], 'uuid');
});

t.test('text in the C collation: by code point, which is the UTF-8 byte order', async (t) => {
  ascending(t, type(TypeOid.text), ['', '\u0000', ' ', 'A', 'Z', 'a', 'ab', 'b', 'é', '\ue000', '\uffff', '\u{10000}', '😀', '\u{10ffff}'], 'text');
  t.ok(compareDatums(type(TypeOid.text), '\uffff', '\u{10000}') < 0, 'U+FFFF below U+10000, although UTF-16 orders them the other way');
  const random = new SeededRandom(seed);
  const pieces = ['a', 'b', '\u0000', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '😀', '\u{10ffff}'];
  const randomText = () => Array.from({ length: random.int(5) }, () => random.pick(pieces)).join('');
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const [a, b] = [randomText(), randomText()];
    const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    if (Math.sign(compareDatums(type(TypeOid.text), a, b)) !== expected && failures++ < 3) t.fail(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  t.equal(failures, 0, 'random strings order as their UTF-8 bytes');
});

t.test('bpchar ignores trailing spaces', async (t) => {
  const bpchar = type(TypeOid.bpchar, 8);
  equal(t, bpchar, 'a   ', 'a', "'a   ' = 'a'");
  t.ok(compareDatums(bpchar, 'a   ', 'a\t  ') < 0, "'a' < 'a\\t': the spaces are gone before comparing");
  t.ok(compareDatums(bpchar, 'ab  ', 'a   ') > 0, "'ab' > 'a'");
  t.ok(compareDatums(type(TypeOid.text), 'a ', 'a') > 0, 'text keeps its trailing spaces');
});

t.test('interval by interval_cmp_value: 30-day months, 24-hour days, one combined span', async (t) => {
  const intervalType = type(TypeOid.interval);
  equal(t, intervalType, interval(1, 0, 0), interval(0, 30, 0), "'1 mon' = '30 days'");
  equal(t, intervalType, interval(0, 1, 0), interval(0, 0, DAY), "'1 day' = '24 hours'");
  equal(t, intervalType, interval(1, -1, DAY), interval(0, 30, 0), "'1 mon -1 day +24 hours' = '30 days'");
  t.ok(compareDatums(intervalType, interval(0, 1, 0), interval(0, 0, 25 * HOUR)) < 0, "'1 day' < '25 hours'");
  t.ok(compareDatums(intervalType, interval(0, -1, 0), interval(0, 0, -23 * HOUR)) < 0, "'-1 day' < '-23 hours'");
  t.ok(compareDatums(intervalType, interval(0, 0, 40 * DAY), interval(1, 9, 0)) > 0, "'960 hours' > '1 mon 9 days'");
  const random = new SeededRandom(seed + 1);
  const pick = () =>
    interval(
      random.intBetween(-3, 3) * random.pick([1, 2 ** 20]),
      random.intBetween(-40, 40) * random.pick([1, 2 ** 20]),
      Math.trunc((random.float() - 0.5) * random.pick([4 * DAY, 2 ** 53])),
    );
  const span = (value: Interval) => (BigInt(value.months) * 30n + BigInt(value.days)) * BigInt(DAY) + BigInt(value.microseconds);
  let failures = 0;
  for (let i = 0; i < 3000; i++) {
    const x = pick();
    // Often the same span written differently: months moved into days, days into microseconds.
    const y = random.chance(0.3) ? interval(0, x.months * 30 + x.days - 1, x.microseconds + DAY) : pick();
    const expected = span(x) < span(y) ? -1 : span(x) > span(y) ? 1 : 0;
    if (Math.sign(compareDatums(intervalType, x, y)) !== expected && failures++ < 3) t.fail(`${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  t.equal(failures, 0, 'random intervals order as their exact spans');
});

t.test('jsonb by compareJsonbContainers', async (t) => {
  const jsonb = type(TypeOid.jsonb);
  ascending(t, jsonb, [[], null, '', 'a', n('-1'), n('1'), false, true, [null], [n('9')], [n('1'), n('1')], object([]), object([['z', null]]), object([['a', null], ['b', null]])], 'top level: [] < null < string < number < bool < array < object');
  ascending(t, jsonb, [[null], [''], [n('0')], [false], [[]], [object([])]], 'nested: null < string < number < bool < array < object');
  t.ok(compareDatums(jsonb, n('2'), [n('1')]) < 0, "'2' < '[1]': a raw scalar sorts below an array of one element");
  t.ok(compareDatums(jsonb, [], null) < 0, "'[]' < 'null': the empty top-level array sorts below every scalar");
  t.ok(compareDatums(jsonb, [[]], [n('5')]) > 0, "'[[]]' > '[5]': nested, an empty array is still an array");
  t.ok(compareDatums(jsonb, [n('9')], [n('1'), n('1')]) < 0, 'arrays compare their lengths first');
  t.ok(compareDatums(jsonb, object([['z', n('1')]]), object([['a', n('1')], ['b', n('2')]])) < 0, 'objects compare their sizes first');
  t.ok(
    compareDatums(jsonb, object([['c', n('1')], ['aa', n('1')]]), object([['b', n('1')], ['d', n('1')]])) > 0,
    '{"aa":1,"c":1} > {"b":1,"d":1}: keys in storage order, shorter first (the documented example)',
  );
  t.ok(compareDatums(jsonb, object([['a', null]]), object([['a', 'x']])) < 0, 'then values, pair by pair');
  equal(t, jsonb, n('1'), n('1.0'), "'1' = '1.0'");
  equal(t, jsonb, object([['b', n('1')], ['a', n('2')]]), object([['a', n('2')], ['b', n('1')]]), 'a Map out of jsonb order is sorted before comparing');
});

t.test('arrays by array_cmp: elements, NULL after values, then length, then lower bound', async (t) => {
  const int4s = type(TypeOid._int4);
  const array = (elements: (number | null)[], lowerBound = 1) => ({ elements, lowerBound });
  ascending(t, int4s, [array([]), array([1]), array([1, 2]), array([1, 2, 3]), array([1, 3]), array([1, null]), array([2]), array([null])], 'int4[]');
  t.ok(compareDatums(int4s, array([1, 2], 0), array([1, 2], 1)) < 0, "'[0:1]={1,2}' < '{1,2}'");
  equal(t, int4s, array([], 5), array([]), 'empty arrays are equal whatever their bound');
  equal(t, int4s, array([null]), array([null]), '{NULL} = {NULL} for sorting');
  t.ok(compareDatums(type(TypeOid._numeric), { elements: [n('1.50')], lowerBound: 1 }, { elements: [n('1.5')], lowerBound: 1 }) === 0, 'elements by their own type');
});

t.test('NULL placement, direction, and types without an order', async (t) => {
  const int4 = type(TypeOid.int4);
  t.ok(compareNullable(int4, null, 1, true) < 0 && compareNullable(int4, 1, null, true) > 0, 'NULLS FIRST');
  t.ok(compareNullable(int4, null, 1, false) > 0 && compareNullable(int4, 1, null, false) < 0, 'NULLS LAST');
  t.equal(compareNullable(int4, null, null, true), 0);
  const sorted = (direction: 'asc' | 'desc', nulls: 'first' | 'last') => [3, null, 1, 2].sort((a, b) => compareOrdered(int4, a, b, direction, nulls));
  t.same(sorted('asc', 'last'), [1, 2, 3, null], 'ASC (NULLS LAST by default in PostgreSQL)');
  t.same(sorted('desc', 'first'), [null, 3, 2, 1], 'DESC (NULLS FIRST by default in PostgreSQL)');
  t.same(sorted('desc', 'last'), [3, 2, 1, null], 'DESC NULLS LAST');
  t.same(sorted('asc', 'first'), [null, 1, 2, 3], 'ASC NULLS FIRST');
  const code = (run: () => unknown): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      return isSqlError(error) ? error.code : String(error);
    }
  };
  t.equal(code(() => compareDatums(type(TypeOid.json), '{}', '{}')), '42883', 'json has no ordering operator');
  t.equal(code(() => compareDatums(type(123456), 1, 2)), '42883', 'an unknown type has none either');
});
