// Proves that row-codec.ts stores rows exactly and survives schema changes: seeded random rows of every
// supported type (float bits with -0 and NaN, bpchar padding, interval fields, array lower bounds, long
// strings whose length prefix needs several bytes) decode to identical values; a reader with columns
// added sees them absent (undefined, unlike a stored NULL), one with columns dropped skips them, whatever
// the order and the ids; the bytes match the file comment; and damaged rows are refused with a clear
// error — every truncation, trailing bytes, repeated ids, a value of the wrong kind — while random damage
// never escapes as anything but a ReefSqlError.
import t from 'tap';
import { Decimal } from 'decimal.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { type Datum, type JsonValue, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { arrayElementType, compareJsonbKeys } from '../../../sql/types/compare.js';
import { type RowColumn, decodeRow, encodeRow } from '../../../sql/types/row-codec.js';
import { isSqlError } from '../../../sql/errors.js';
import { formatNumeric, parseNumeric } from '../../../sql/types/numeric-io.js';

const seed = announceSeed(import.meta.url);

const type = (oid: number, typmod = -1): SqlType => ({ oid, typmod });
const MICROSECONDS_PER_DAY = 86_400_000_000;

const TYPES: SqlType[] = [
  type(TypeOid.bool), type(TypeOid.int2), type(TypeOid.int4), type(TypeOid.int8), type(TypeOid.oid), type(TypeOid.float4),
  type(TypeOid.float8), type(TypeOid.numeric), type(TypeOid.text), type(TypeOid.varchar, 104), type(TypeOid.name),
  type(TypeOid.bpchar, 14), type(TypeOid.bytea), type(TypeOid.date), type(TypeOid.time), type(TypeOid.timestamp),
  type(TypeOid.timestamptz), type(TypeOid.interval), type(TypeOid.uuid), type(TypeOid.json), type(TypeOid.jsonb),
  type(TypeOid._int8), type(TypeOid._text), type(TypeOid._float4), type(TypeOid._interval), type(TypeOid._numeric),
  type(TypeOid._date), type(TypeOid._json), type(TypeOid._bytea),
];

function signed(random: SeededRandom, magnitudeMax: number): number {
  const value = Math.floor(random.float() * magnitudeMax);
  return random.chance(0.5) && value !== 0 ? -value : value;
}

function text(random: SeededRandom): string {
  const pieces = ['a', 'Z', ' ', '\u0000', 'é', '\uffff', '😀', '\n', 'ß'];
  let result = '';
  // Now and then long enough for a length prefix of two or three bytes.
  for (let n = random.pick([0, 1, 3, 10, 70, 6000]); n > 0; n--) result += random.pick(pieces);
  return result;
}

function jsonb(random: SeededRandom, depth: number): JsonValue {
  switch (random.int(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return text(random);
    case 3:
      return new Decimal(`${signed(random, 1e9)}e${random.intBetween(-20, 20)}`);
    case 4:
      return Array.from({ length: random.int(4) }, () => jsonb(random, depth + 1));
    default: {
      const keys = [...new Set(Array.from({ length: random.int(4) }, () => random.pick(['a', 'bb', 'é', '', 'key'])))];
      return new Map(keys.sort(compareJsonbKeys).map((key) => [key, jsonb(random, depth + 1)]));
    }
  }
}

/** A random non-NULL value of `sqlType`, in datum.ts's representation. */
function value(random: SeededRandom, sqlType: SqlType): Datum {
  switch (sqlType.oid) {
    case TypeOid.bool:
      return random.chance(0.5);
    case TypeOid.int2:
      return random.intBetween(-32768, 32767);
    case TypeOid.int4:
      return random.pick([-2147483648, 2147483647, 0, signed(random, 2 ** 31), signed(random, 200)]);
    case TypeOid.int8:
      return random.pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, BigInt(signed(random, 2 ** 53)), BigInt(signed(random, 2 ** 53)) * 1000n]);
    case TypeOid.oid:
      return random.int(2 ** 32);
    case TypeOid.float4:
    case TypeOid.float8: {
      const view = new DataView(new ArrayBuffer(8));
      view.setUint32(0, random.int(2 ** 32));
      view.setUint32(4, random.int(2 ** 32));
      const double = random.pick([0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, view.getFloat64(0), random.float()]);
      return sqlType.oid === TypeOid.float4 ? Math.fround(double) : double;
    }
    case TypeOid.numeric:
      if (random.chance(0.1)) return new Decimal(random.pick([NaN, Infinity, -Infinity, 0]));
      return new Decimal(`${signed(random, 2 ** 53)}${random.chance(0.3) ? '123456789012345678901234567890' : ''}e${random.intBetween(-40, 40)}`);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.json:
      return text(random);
    case TypeOid.bpchar: {
      const characters = [...text(random)].slice(0, 10);
      return characters.join('') + ' '.repeat(10 - characters.length);
    }
    case TypeOid.bytea:
      return random.fill(new Uint8Array(random.pick([0, 1, 16, 200])));
    case TypeOid.date:
      return random.pick([Infinity, -Infinity, -2147483647, 2147483646, signed(random, 100_000)]);
    case TypeOid.time:
      return random.int(MICROSECONDS_PER_DAY + 1);
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      return random.pick([Infinity, -Infinity, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, signed(random, 2 ** 50)]);
    case TypeOid.interval:
      return { months: signed(random, 2 ** 31), days: signed(random, random.pick([40, 2 ** 31])), microseconds: signed(random, random.pick([1e6, 2 ** 53])) };
    case TypeOid.uuid:
      return [8, 4, 4, 4, 12].map((length) => Array.from({ length }, () => random.int(16).toString(16)).join('')).join('-');
    case TypeOid.jsonb:
      return jsonb(random, 0);
  }
  const elementType = arrayElementType(sqlType)!;
  const elements = Array.from({ length: random.pick([0, 1, 3, 20]) }, () => (random.chance(0.2) ? null : value(random, elementType)));
  return { elements, lowerBound: elements.length === 0 ? 1 : random.pick([1, 0, -5, 2147483647, -2147483648]) };
}

/** Identical values: floats by Object.is (so -0 and NaN), Maps in their order, Decimal by its text. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Decimal.isDecimal(a) || Decimal.isDecimal(b)) return Decimal.isDecimal(a) && Decimal.isDecimal(b) && a.toString() === b.toString();
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (a instanceof Map || b instanceof Map) return a instanceof Map && b instanceof Map && same([...a.entries()], [...b.entries()]);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  const aKeys = Object.keys(a).sort();
  const bKeys = Object.keys(b).sort();
  return same(aKeys, bKeys) && aKeys.every((key) => same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function show(values: unknown): string {
  return JSON.stringify(values, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v instanceof Uint8Array ? `bytes(${v.length})` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)).slice(0, 400);
}

function randomColumns(random: SeededRandom, count: number, idMax: number): RowColumn[] {
  const ids = new Set<number>();
  while (ids.size < count) ids.add(random.int(idMax));
  return [...ids].map((id) => ({ id, type: random.pick(TYPES) }));
}

function shuffled<T>(random: SeededRandom, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

t.test('rows of every type round-trip exactly', async (t) => {
  const random = new SeededRandom(seed);
  for (const sqlType of TYPES) {
    let failures = 0;
    for (let n = 0; n < 200; n++) {
      const columns: RowColumn[] = [{ id: 1, type: sqlType }, { id: 2, type: sqlType }];
      const values = columns.map(() => (random.chance(0.1) ? null : value(random, sqlType)));
      const decoded = decodeRow(columns, encodeRow(columns, values));
      if (!same(decoded, values) && failures++ < 3) t.fail(`OID ${sqlType.oid}: ${show(values)} came back as ${show(decoded)}`);
    }
    t.equal(failures, 0, `type OID ${sqlType.oid}`);
  }
});

t.test('added columns read as absent, dropped ones are skipped, in any order and with any ids', async (t) => {
  const random = new SeededRandom(seed + 1);
  let failures = 0;
  for (let round = 0; round < 500; round++) {
    const idMax = random.pick([16, 100, 100_000, 0x7fffffff]);
    const written = randomColumns(random, random.intBetween(0, 8), idMax);
    const values = written.map((column) => (random.chance(0.2) ? null : value(random, column.type)));
    const bytes = encodeRow(written, values);
    // The reader's schema: some of the written columns (others dropped), some new ones, shuffled.
    const kept = written.filter(() => random.chance(0.6));
    const added = randomColumns(random, random.int(3), idMax).filter((column) => !written.some((w) => w.id === column.id));
    const reader = shuffled(random, [...kept, ...added]);
    const decoded = decodeRow(reader, bytes);
    const expected = reader.map((column) => {
      const i = written.findIndex((w) => w.id === column.id);
      return i < 0 ? undefined : values[i];
    });
    if (!same(decoded, expected) && failures++ < 3) t.fail(`written ${show(written)} read as ${show(reader)}: ${show(decoded)}`);
  }
  t.equal(failures, 0);
});

t.test('a stored NULL differs from an absent column', async (t) => {
  const columns: RowColumn[] = [{ id: 3, type: type(TypeOid.text) }];
  const wider: RowColumn[] = [...columns, { id: 4, type: type(TypeOid.int4) }];
  t.same(decodeRow(wider, encodeRow(columns, [null])), [null, undefined]);
  t.same(decodeRow(wider, encodeRow(wider, [null, null])), [null, null]);
  t.same(decodeRow(columns, encodeRow([], [])), [undefined]);
});

t.test('byte layout matches the file comment', async (t) => {
  const columns: RowColumn[] = [{ id: 1, type: type(TypeOid.int4) }, { id: 2, type: type(TypeOid.text) }, { id: 9, type: type(TypeOid.bool) }];
  t.same([...encodeRow(columns, [5, 'hi', null])], [0x01, 0x03, 0x13, 0x05, 0x27, 0x02, 0x68, 0x69, 0x90, 0x01]);
  t.same([...encodeRow(columns, [-1, '', true])], [0x01, 0x03, 0x14, 0x00, 0x27, 0x00, 0x92, 0x01]);
  const others: RowColumn[] = [{ id: 0, type: type(TypeOid.float8) }, { id: 0x7fffffff, type: type(TypeOid.date) }];
  t.same([...encodeRow(others, [-0, Infinity])], [0x01, 0x02, 0x06, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xf8, 0xff, 0xff, 0xff, 0x7f]);
  const long = encodeRow([{ id: 1, type: type(TypeOid.bytea) }], [new Uint8Array(300)]);
  t.same([...long.subarray(0, 5)], [0x01, 0x01, 0x17, 0xac, 0x02], 'a 300-byte payload has a two-byte length');
  t.equal(long.length, 5 + 300);
  t.same([...encodeRow([{ id: 1, type: type(TypeOid._int4) }], [{ elements: [7, null], lowerBound: -1 }])], [0x01, 0x01, 0x17, 0x05, 0x01, 0x02, 0x03, 0x07, 0x00]);
});

t.test('values that break datum.ts are refused when writing', async (t) => {
  const refuses = (sqlType: SqlType, bad: Datum, what: string) =>
    t.ok(
      (() => {
        try {
          encodeRow([{ id: 1, type: sqlType }], [bad]);
          return false;
        } catch (error) {
          return isSqlError(error, 'XX000');
        }
      })(),
      what,
    );
  refuses(type(TypeOid.int2), 40000, 'int2 out of range');
  refuses(type(TypeOid.int8), 2n ** 63n, 'int8 out of range');
  refuses(type(TypeOid.float4), 0.1, 'float4 not rounded');
  refuses(type(TypeOid.text), '\udc00', 'lone surrogate');
  refuses(type(TypeOid.uuid), 'not-a-uuid', 'malformed uuid');
  refuses(type(TypeOid.interval), { months: 1.5, days: 0, microseconds: 0 }, 'fractional interval months');
  t.throws(() => encodeRow([{ id: -1, type: type(TypeOid.int4) }], [1]), 'negative column id');
  t.throws(() => encodeRow([{ id: 1, type: type(TypeOid.int4) }], []), 'value count differs from column count');
});

t.test('damaged rows are refused with a clear error, never misread as a shorter row', async (t) => {
  const random = new SeededRandom(seed + 2);
  const corrupt = (columns: readonly RowColumn[], bytes: Uint8Array): boolean => {
    try {
      decodeRow(columns, bytes);
      return false;
    } catch (error) {
      return isSqlError(error, 'XX000') && /corrupt row value/.test((error as Error).message);
    }
  };
  let failures = 0;
  let survived = 0;
  for (let round = 0; round < 300; round++) {
    const columns = randomColumns(random, random.intBetween(1, 5), 50);
    const bytes = encodeRow(columns, columns.map((column) => (random.chance(0.2) ? null : value(random, column.type))));
    const cut = random.int(bytes.length);
    if (!corrupt(columns, bytes.subarray(0, cut)) && failures++ < 3) t.fail(`a ${cut}-byte prefix of a ${bytes.length}-byte row decoded`);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    if (!corrupt(columns, longer) && failures++ < 3) t.fail('a row with a trailing byte decoded');
    const mutated = bytes.slice();
    mutated[random.int(mutated.length)] = random.pick([0x00, 0x7f, 0x80, 0xff, random.int(256)]);
    try {
      decodeRow(columns, mutated);
      survived++;
    } catch (error) {
      if (!isSqlError(error, 'XX000') && failures++ < 3) t.fail(`random damage escaped as ${String(error)}`);
    }
  }
  t.equal(failures, 0);
  t.comment(`${survived} of 300 rows with one damaged byte still decoded (the storage layer's checksums catch those)`);
  const int4: RowColumn[] = [{ id: 1, type: type(TypeOid.int4) }];
  t.ok(corrupt(int4, Uint8Array.of(0x02, 0x00)), 'unknown format byte');
  t.ok(corrupt(int4, Uint8Array.of(0x01, 0x02, 0x13, 0x05, 0x13, 0x06)), 'a column id twice');
  t.ok(corrupt(int4, Uint8Array.of(0x01, 0x01, 0x17, 0x01, 0x61)), 'text bytes where int4 is expected');
  t.ok(corrupt(int4, Uint8Array.of(0x01, 0x01, 0x13, 0x80, 0x80, 0x80, 0x80, 0x08)), 'int4 out of range');
  t.ok(corrupt(int4, Uint8Array.of(0x01, 0x01, 0x13, 0x85, 0x00)), 'a varint not in its shortest form');
  t.ok(corrupt(int4, Uint8Array.of(0x01, 0x01, 0x1a)), 'an unknown value kind');
  t.ok(corrupt([{ id: 1, type: type(TypeOid.text) }], Uint8Array.of(0x01, 0x01, 0x17, 0x02, 0xc3, 0x28)), 'invalid UTF-8');
  t.ok(corrupt([{ id: 1, type: type(TypeOid.uuid) }], Uint8Array.of(0x01, 0x01, 0x17, 0x01, 0x00)), 'a short uuid');
  t.ok(corrupt([{ id: 1, type: type(TypeOid.text) }], Uint8Array.of(0x01, 0x01, 0x17, 0x05, 0x61)), 'a length past the end');
  t.ok(corrupt([{ id: 2, type: type(TypeOid.text) }], Uint8Array.of(0x01, 0x01, 0x1a)), 'an unknown kind in a skipped column');
});

t.test('a numeric keeps the digits PostgreSQL prints after the point', async (t) => {
  const columns: RowColumn[] = [{ id: 1, type: { oid: TypeOid.numeric, typmod: -1 } }];
  for (const text of ['1.50', '0.000', '-12.3400', '100', '1e3', 'NaN']) {
    const [value] = decodeRow(columns, encodeRow(columns, [parseNumeric(text, -1)]));
    t.equal(formatNumeric(value as Decimal, -1), formatNumeric(parseNumeric(text, -1), -1), `'${text}' prints the same after a round trip`);
  }
});
