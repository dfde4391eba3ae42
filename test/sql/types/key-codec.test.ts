// Proves that key-codec.ts's bytes sort as compare.ts orders values: for seeded random values of every
// supported type (dense in edge cases and in values that are equal without being identical), the sign of
// Buffer.compare of two encodings is the sign of compareOrdered in each direction and NULL placement, and
// of the lexicographic order across columns for multi-column index keys; that decoding gives back the
// value (exactly where keyDecodingIsExact says so, an equal one elsewhere); that the layout matches the
// byte vectors of the file comment; and that damaged keys are refused, never misread: every truncation
// fails, and a mutated key either fails or is the canonical encoding of what it decodes to.
import t from 'tap';
import { Decimal } from 'decimal.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { type Datum, type JsonValue, type SqlArray, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { arrayElementType, compareDatums, compareJsonbKeys, compareOrdered } from '../../../sql/types/compare.js';
import {
  type KeyColumn,
  type NullsOrder,
  type SortDirection,
  decodeIndexKey,
  decodeKey,
  encodeIndexKey,
  encodeKey,
  indexPrefix,
  keyDecodingIsExact,
  prefixEnd,
  tablePrefix,
} from '../../../sql/types/key-codec.js';
import { KeyReader, KeyWriter, readOrderedInt, writeOrderedInt } from '../../../sql/types/key-bytes.js';
import { isSqlError } from '../../../sql/errors.js';

const seed = announceSeed(import.meta.url);

const type = (oid: number, typmod = -1): SqlType => ({ oid, typmod });
const MICROSECONDS_PER_DAY = 86_400_000_000;

const SCALAR_TYPES: SqlType[] = [
  type(TypeOid.bool), type(TypeOid.int2), type(TypeOid.int4), type(TypeOid.int8), type(TypeOid.oid),
  type(TypeOid.float4), type(TypeOid.float8), type(TypeOid.numeric), type(TypeOid.text), type(TypeOid.varchar, 14),
  type(TypeOid.name), type(TypeOid.bpchar), type(TypeOid.bpchar, 8), type(TypeOid.bytea), type(TypeOid.date),
  type(TypeOid.time), type(TypeOid.timestamp), type(TypeOid.timestamptz), type(TypeOid.interval), type(TypeOid.uuid),
  type(TypeOid.jsonb),
];
const ARRAY_TYPES: SqlType[] = [
  type(TypeOid._int4), type(TypeOid._text), type(TypeOid._numeric), type(TypeOid._float8), type(TypeOid._interval),
  type(TypeOid._bpchar, 7), type(TypeOid._bool), type(TypeOid._jsonb), type(TypeOid._uuid), type(TypeOid._timestamptz),
];
const ALL_TYPES = [...SCALAR_TYPES, ...ARRAY_TYPES];
const OPTIONS: { direction: SortDirection; nulls: NullsOrder }[] = [
  { direction: 'asc', nulls: 'last' },
  { direction: 'asc', nulls: 'first' },
  { direction: 'desc', nulls: 'first' },
  { direction: 'desc', nulls: 'last' },
];

const TEXT_PIECES = ['', 'a', 'b', 'ab', 'A', ' ', '\u0000', '\u0001', '\u007f', 'é', '\u07ff', '\u0800', '\ue000', '\uffff', '\u{10000}', '😀', '\u{10ffff}'];

function randomText(random: SeededRandom, pieces = 4): string {
  let text = '';
  for (let n = random.int(pieces + 1); n > 0; n--) text += random.pick(TEXT_PIECES);
  return text;
}

function randomBytes(random: SeededRandom): Uint8Array {
  const bytes = new Uint8Array(random.int(6));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.pick([0x00, 0x01, 0xfe, 0xff, 0x61, random.int(256)]);
  return bytes;
}

function randomDouble(random: SeededRandom): number {
  switch (random.int(4)) {
    case 0:
      return random.pick([0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 0.5]);
    case 1: {
      const view = new DataView(new ArrayBuffer(8));
      view.setUint32(0, random.int(2 ** 32));
      view.setUint32(4, random.int(2 ** 32));
      return view.getFloat64(0);
    }
    default:
      return (random.float() - 0.5) * 10 ** random.intBetween(-5, 5);
  }
}

function randomNumeric(random: SeededRandom): Decimal {
  if (random.chance(0.1)) return new Decimal(random.pick([NaN, Infinity, -Infinity, 0]));
  let digits = '';
  for (let n = random.intBetween(1, 20); n > 0; n--) digits += random.pick(['0', '1', '9', String(random.int(10))]);
  return new Decimal(`${random.chance(0.5) ? '-' : ''}${digits}e${random.intBetween(-25, 25)}`);
}

function randomSafeInteger(random: SeededRandom, magnitudeMax: number): number {
  const value = Math.floor(random.float() * magnitudeMax);
  return random.chance(0.5) && value !== 0 ? -value : value;
}

function randomJsonb(random: SeededRandom, depth: number): JsonValue {
  switch (random.int(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return randomText(random, 2);
    case 3:
      return new Decimal(random.pick(['0', '1', '-1', '1.5', '2', '1e20', String(random.int(100))]));
    case 4:
      return Array.from({ length: random.int(4) }, () => randomJsonb(random, depth + 1));
    default: {
      const keys = new Set<string>();
      for (let n = random.int(4); n > 0; n--) keys.add(random.pick(['a', 'b', 'aa', 'c', 'é', 'ab', '']));
      return new Map([...keys].sort(compareJsonbKeys).map((key) => [key, randomJsonb(random, depth + 1)]));
    }
  }
}

function randomUuid(random: SeededRandom): string {
  const hex = Array.from({ length: 16 }, () => random.pick([0, 0xff, random.int(256)]).toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A random non-NULL value of `sqlType` in datum.ts's representation. */
function randomValue(random: SeededRandom, sqlType: SqlType): Datum {
  switch (sqlType.oid) {
    case TypeOid.bool:
      return random.chance(0.5);
    case TypeOid.int2:
      return random.chance(0.2) ? random.pick([-32768, 32767, 0, -1]) : random.intBetween(-32768, 32767);
    case TypeOid.int4:
      return random.chance(0.2) ? random.pick([-2147483648, 2147483647, 0, -1]) : randomSafeInteger(random, 2 ** 31);
    case TypeOid.oid:
      return random.chance(0.2) ? random.pick([0, 0xffffffff]) : random.int(2 ** 32);
    case TypeOid.int8:
      if (random.chance(0.2)) return random.pick([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]);
      return BigInt.asIntN(64, (BigInt(random.int(2 ** 32)) << 32n) | BigInt(random.int(2 ** 32))) >> BigInt(random.int(64));
    case TypeOid.float4:
      return Math.fround(randomDouble(random));
    case TypeOid.float8:
      return randomDouble(random);
    case TypeOid.numeric:
      return randomNumeric(random);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
      return randomText(random);
    case TypeOid.bpchar: {
      if (sqlType.typmod < 5) return randomText(random) + ' '.repeat(random.int(3));
      const characters = [...randomText(random)].slice(0, sqlType.typmod - 4);
      return characters.join('') + ' '.repeat(sqlType.typmod - 4 - characters.length);
    }
    case TypeOid.bytea:
      return randomBytes(random);
    case TypeOid.date:
      return random.chance(0.1) ? random.pick([Infinity, -Infinity, -2147483647, 2147483646]) : randomSafeInteger(random, 2 ** 31 - 1);
    case TypeOid.time:
      return random.chance(0.1) ? random.pick([0, MICROSECONDS_PER_DAY]) : random.int(MICROSECONDS_PER_DAY + 1);
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      if (random.chance(0.1)) return random.pick([Infinity, -Infinity, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]);
      return randomSafeInteger(random, random.pick([2 ** 53, 2 ** 40, 1000]));
    case TypeOid.interval:
      if (random.chance(0.2)) return random.pick([{ months: 1, days: 0, microseconds: 0 }, { months: 0, days: 30, microseconds: 0 }, { months: 0, days: 1, microseconds: 0 }, { months: 0, days: 0, microseconds: MICROSECONDS_PER_DAY }]);
      return { months: randomSafeInteger(random, random.pick([3, 2 ** 31])), days: randomSafeInteger(random, random.pick([40, 2 ** 31])), microseconds: randomSafeInteger(random, random.pick([2 * MICROSECONDS_PER_DAY, 2 ** 53])) };
    case TypeOid.uuid:
      return randomUuid(random);
    case TypeOid.jsonb:
      return randomJsonb(random, 0);
  }
  const elementType = arrayElementType(sqlType)!;
  const elements = Array.from({ length: random.int(4) }, () => (random.chance(0.2) ? null : randomValue(random, elementType)));
  // PostgreSQL's empty array has no dimensions, so no lower bound other than the default.
  return { elements, lowerBound: elements.length === 0 || random.chance(0.8) ? 1 : random.intBetween(-3, 3) };
}

function randomDatum(random: SeededRandom, sqlType: SqlType): Datum {
  return random.chance(0.1) ? null : randomValue(random, sqlType);
}

/** Identical in datum.ts's representation (Object.is for floats, Map order for jsonb objects). */
function sameDatum(a: Datum | undefined, b: Datum | undefined): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Decimal.isDecimal(a) || Decimal.isDecimal(b)) return Decimal.isDecimal(a) && Decimal.isDecimal(b) && a.toString() === b.toString();
  if (a instanceof Uint8Array || b instanceof Uint8Array) return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((element, i) => sameDatum(element, b[i]));
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    const bEntries = [...b.entries()];
    return [...a.entries()].every(([key, value], i) => key === bEntries[i]![0] && sameDatum(value, bEntries[i]![1]));
  }
  if ('elements' in a && 'elements' in b) {
    const x = a as SqlArray;
    const y = b as SqlArray;
    return x.lowerBound === y.lowerBound && x.elements.length === y.elements.length && x.elements.every((element, i) => sameDatum(element, y.elements[i]));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function encodeOne(sqlType: SqlType, value: Datum, direction: SortDirection, nulls: NullsOrder): Uint8Array {
  const out = new KeyWriter(8);
  encodeKey(out, sqlType, value, direction, nulls);
  return out.finish();
}

function isPrefix(prefix: Uint8Array, bytes: Uint8Array): boolean {
  return prefix.length <= bytes.length && Buffer.compare(prefix, bytes.subarray(0, prefix.length)) === 0;
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v instanceof Uint8Array ? [...v] : v));
}

t.test('byte order is compareOrdered for every type, direction and NULL placement', async (t) => {
  const random = new SeededRandom(seed);
  for (const sqlType of ALL_TYPES) {
    let failures = 0;
    for (const { direction, nulls } of OPTIONS) {
      const pool = Array.from({ length: 40 }, () => randomDatum(random, sqlType));
      const keys = pool.map((value) => encodeOne(sqlType, value, direction, nulls));
      for (let i = 0; i < pool.length; i++) {
        for (let j = 0; j < pool.length; j++) {
          const expected = Math.sign(compareOrdered(sqlType, pool[i]!, pool[j]!, direction, nulls));
          const actual = Math.sign(Buffer.compare(keys[i]!, keys[j]!));
          const prefixFree = actual === 0 || !isPrefix(keys[i]!, keys[j]!);
          if ((expected !== actual || !prefixFree) && failures++ < 3) {
            t.fail(`OID ${sqlType.oid} ${direction} nulls ${nulls}: ${show(pool[i]!)} vs ${show(pool[j]!)}: order ${expected}, bytes ${actual}, prefix-free ${prefixFree}`);
          }
        }
      }
    }
    t.equal(failures, 0, `type OID ${sqlType.oid}(${sqlType.typmod})`);
  }
});

t.test('decode(encode(x)) gives x back (an equal value where the key normalizes)', async (t) => {
  const random = new SeededRandom(seed + 1);
  for (const sqlType of ALL_TYPES) {
    let failures = 0;
    for (let n = 0; n < 300; n++) {
      const value = randomDatum(random, sqlType);
      const { direction, nulls } = random.pick(OPTIONS);
      const bytes = encodeOne(sqlType, value, direction, nulls);
      const reader = new KeyReader(bytes);
      const decoded = decodeKey(reader, sqlType, direction, nulls);
      const exact = keyDecodingIsExact(sqlType) || (typeof value === 'number' && !Object.is(value, -0));
      const ok =
        reader.atEnd &&
        (exact || value === null ? sameDatum(decoded, value) : decoded !== null && compareDatums(sqlType, decoded, value) === 0);
      if (!ok && failures++ < 3) t.fail(`OID ${sqlType.oid}: ${show(value)} came back as ${show(decoded)}`);
    }
    t.equal(failures, 0, `type OID ${sqlType.oid}(${sqlType.typmod})`);
  }
});

t.test('normalizing types decode to the normal form of equal values', async (t) => {
  const decodeOne = (sqlType: SqlType, value: Datum) => decodeKey(new KeyReader(encodeOne(sqlType, value, 'asc', 'last')), sqlType, 'asc', 'last');
  t.ok(Object.is(decodeOne(type(TypeOid.float8), -0), 0), 'float -0 reads as 0');
  t.ok(Number.isNaN(decodeOne(type(TypeOid.float4), NaN)), 'NaN stays NaN');
  t.equal(decodeOne(type(TypeOid.bpchar), 'ab  '), 'ab', 'bpchar without a length loses its trailing spaces');
  t.equal(decodeOne(type(TypeOid.bpchar, 8), 'ab  '), 'ab  ', 'bpchar(4) is padded again');
  t.same(decodeOne(type(TypeOid.interval), { months: 0, days: 30, microseconds: 0 }), { months: 1, days: 0, microseconds: 0 });
  t.same(decodeOne(type(TypeOid.interval), { months: 0, days: 0, microseconds: -3_600_000_000 }), { months: 0, days: 0, microseconds: -3_600_000_000 });
  t.same(decodeOne(type(TypeOid.interval), { months: -1, days: 2, microseconds: 25 * 3_600_000_000 }), { months: 0, days: -26, microseconds: -23 * 3_600_000_000 });
  t.equal((decodeOne(type(TypeOid.numeric), new Decimal('1.50')) as Decimal).toString(), '1.5');
  t.equal((decodeOne(type(TypeOid.numeric), new Decimal('-123.456e-30')) as Decimal).toString(), '-1.23456e-28');
});

t.test('multi-column index keys sort lexicographically and round-trip', async (t) => {
  const random = new SeededRandom(seed + 2);
  let failures = 0;
  for (let round = 0; round < 60; round++) {
    const columns: KeyColumn[] = Array.from({ length: random.intBetween(1, 4) }, () => ({ type: random.pick(ALL_TYPES), ...random.pick(OPTIONS) }));
    // Few distinct values per column, so that rows tie on their first columns often.
    const pools = columns.map((column) => Array.from({ length: 3 }, () => randomDatum(random, column.type)));
    const rows = Array.from({ length: 20 }, () => pools.map((pool) => random.pick(pool)));
    const keys = rows.map((row) => encodeIndexKey(16384, 2, columns, row));
    for (let i = 0; i < rows.length; i++) {
      const decoded = decodeIndexKey(keys[i]!, columns);
      if (decoded.tableId !== 16384 || decoded.indexId !== 2) t.fail('ids did not round-trip');
      for (let j = 0; j < rows.length; j++) {
        let expected = 0;
        for (let c = 0; c < columns.length && expected === 0; c++) {
          expected = Math.sign(compareOrdered(columns[c]!.type, rows[i]![c]!, rows[j]![c]!, columns[c]!.direction, columns[c]!.nulls));
        }
        if (expected !== Math.sign(Buffer.compare(keys[i]!, keys[j]!)) && failures++ < 3) {
          t.fail(`columns ${show(columns)}: ${show(rows[i]!)} vs ${show(rows[j]!)}`);
        }
      }
    }
  }
  t.equal(failures, 0);
});

t.test('index prefixes: order by (table, index), and prefixEnd bounds every key under a prefix', async (t) => {
  const random = new SeededRandom(seed + 3);
  const ids = [0, 1, 103, 104, 105, 255, 359, 360, 16384, 65535, 65536, 2 ** 31, 2 ** 32 - 1];
  for (let n = 0; n < 20; n++) ids.push(random.int(2 ** 32));
  const pairs = ids.flatMap((tableId) => [1, 2, 200].map((indexId) => [tableId, indexId] as const));
  for (let n = 0; n < 300; n++) {
    const [a, b] = [random.pick(pairs), random.pick(pairs)];
    const expected = Math.sign(a[0] - b[0] || a[1] - b[1]);
    t.equal(Math.sign(Buffer.compare(indexPrefix(a[0], a[1]), indexPrefix(b[0], b[1]))), expected);
  }
  const columns: KeyColumn[] = [{ type: type(TypeOid.text), direction: 'desc', nulls: 'first' }];
  const prefix = indexPrefix(16390, 1);
  const end = prefixEnd(prefix);
  t.ok(isPrefix(tablePrefix(16390), prefix), 'an index prefix starts with its table prefix');
  t.ok(Buffer.compare(prefixEnd(tablePrefix(16390)), indexPrefix(16391, 0)) <= 0, 'the next table starts after the end of this one');
  for (const value of [null, '', 'a', '\u{10ffff}\u{10ffff}', '\uffff']) {
    const key = encodeIndexKey(16390, 1, columns, [value]);
    t.ok(Buffer.compare(prefix, key) < 0 && Buffer.compare(key, end) < 0, `${show(value)} lies in [prefix, prefixEnd)`);
  }
  t.same([...prefixEnd(Uint8Array.of(0x74, 0x01, 0xff, 0xff))], [0x74, 0x02]);
  t.throws(() => prefixEnd(Uint8Array.of(0xff, 0xff)));
  t.ok(prefix[0]! >= 0x02, 'table keys sit above the KV layer and the catalog');
});

t.test('int(v) is order-preserving, shortest and round-trips', async (t) => {
  const random = new SeededRandom(seed + 4);
  const values = [0, -1, 103, 104, -104, -105, 359, 360, -360, -361, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER - 105, -(Number.MAX_SAFE_INTEGER - 106)];
  for (let n = 0; n < 200; n++) values.push(randomSafeInteger(random, 2 ** random.intBetween(1, 52)));
  const encoded = values.map((value) => {
    const out = new KeyWriter(1);
    writeOrderedInt(out, value);
    return out.finish();
  });
  for (let i = 0; i < values.length; i++) {
    t.equal(readOrderedInt(new KeyReader(encoded[i]!), 0), values[i]);
    const j = random.int(values.length);
    t.equal(Math.sign(Buffer.compare(encoded[i]!, encoded[j]!)), Math.sign(values[i]! - values[j]!));
  }
  t.same([...encoded[0]!], [0x80]);
  t.same([...encoded[2]!], [0xe7]);
  t.same([...encoded[3]!], [0xe8, 0x00]);
  t.same([...encoded[5]!], [0x17, 0xff]);
  t.throws(() => readOrderedInt(new KeyReader(Uint8Array.of(0xe9, 0x00, 0x05)), 0), 'a non-shortest form is corrupt');
});

t.test('byte layout matches the file comment', async (t) => {
  const bytes = (sqlType: SqlType, value: Datum, direction: SortDirection = 'asc', nulls: NullsOrder = 'last') => [...encodeOne(sqlType, value, direction, nulls)];
  t.same(bytes(type(TypeOid.int4), null), [0x02]);
  t.same(bytes(type(TypeOid.int4), null, 'desc', 'first'), [0x00]);
  t.same(bytes(type(TypeOid.int4), 5), [0x01, 0x80, 0, 0, 5]);
  t.same(bytes(type(TypeOid.int4), 5, 'desc'), [0x01, 0x7f, 0xff, 0xff, 0xfa]);
  t.same(bytes(type(TypeOid.int2), -1), [0x01, 0x7f, 0xff]);
  t.same(bytes(type(TypeOid.int8), 1n), [0x01, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  t.same(bytes(type(TypeOid.bool), true), [0x01, 0x01]);
  t.same(bytes(type(TypeOid.float8), 1), [0x01, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0]);
  t.same(bytes(type(TypeOid.float8), -0), bytes(type(TypeOid.float8), 0));
  t.same(bytes(type(TypeOid.float4), NaN), [0x01, 0xff, 0xff, 0xff, 0xff]);
  t.same(bytes(type(TypeOid.text), 'a\u0000b'), [0x01, 0x61, 0x00, 0xff, 0x62, 0x00, 0x01]);
  t.same(bytes(type(TypeOid.text), 'é'), [0x01, 0xc3, 0xa9, 0x00, 0x01]);
  t.same(bytes(type(TypeOid.bpchar, 9), 'ab   '), [0x01, 0x61, 0x62, 0x00, 0x01]);
  t.same(bytes(type(TypeOid.numeric), new Decimal('12.34')), [0x01, 0x04, 0x81, 25, 68]);
  t.same(bytes(type(TypeOid.numeric), new Decimal('0.05')), [0x01, 0x04, 0x80, 10]);
  t.same(bytes(type(TypeOid.numeric), new Decimal('-1')), [0x01, 0x02, 0xff - 0x81, 0xff - 2]);
  t.same(bytes(type(TypeOid.numeric), new Decimal(0)), [0x01, 0x03]);
  t.same(bytes(type(TypeOid.numeric), new Decimal(NaN)), [0x01, 0x06]);
  t.same(bytes(type(TypeOid.date), -Infinity), [0x01, 0, 0, 0, 0]);
  t.same(bytes(type(TypeOid.uuid), '00010203-0405-0607-0809-0a0b0c0d0eff'), [0x01, ...Array.from({ length: 15 }, (_, i) => i), 0xff]);
  t.same(bytes(type(TypeOid.jsonb), []), [0x01, 0x01]);
  t.same(bytes(type(TypeOid.jsonb), [null]), [0x01, 0x07, 0x81, 0x02]);
  t.same(bytes(type(TypeOid._int4), { elements: [1, null], lowerBound: 1 }), [0x01, 0x01, 0x80, 0, 0, 1, 0x02, 0x00, 0x81]);
  t.same(bytes(type(TypeOid._int4), { elements: [], lowerBound: 5 }), [0x01, 0x00]);
  t.same([...indexPrefix(1, 1)], [0x74, 0x81, 0x81]);
  t.same([...indexPrefix(16384, 1)], [0x74, 0xe9, 0x3f, 0x98, 0x81]);
});

t.test('types without a btree order, and values that break datum.ts, are refused clearly', async (t) => {
  const column = (sqlType: SqlType): KeyColumn[] => [{ type: sqlType, direction: 'asc', nulls: 'last' }];
  const refuses = (sqlType: SqlType, value: Datum, code: string, what: string) => {
    try {
      encodeIndexKey(16384, 1, column(sqlType), [value]);
      t.fail(`${what}: no error`);
    } catch (error) {
      t.ok(isSqlError(error) && error.code === code, `${what}: ${(error as Error).message}`);
    }
  };
  refuses(type(TypeOid.json), '{}', '0A000', 'json');
  refuses(type(TypeOid._json), { elements: ['{}'], lowerBound: 1 }, '0A000', 'json[]');
  refuses(type(TypeOid.int4), 2 ** 31, 'XX000', 'int4 out of range');
  refuses(type(TypeOid.int4), '5', 'XX000', 'int4 given a string');
  refuses(type(TypeOid.int8), 5, 'XX000', 'int8 given a number');
  refuses(type(TypeOid.float4), 0.1, 'XX000', 'float4 not rounded to float32');
  refuses(type(TypeOid.text), 'a\ud800b', 'XX000', 'lone surrogate');
  refuses(type(TypeOid.uuid), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'XX000', 'upper-case uuid');
  refuses(type(TypeOid.timestamp), 2 ** 53, 'XX000', 'timestamp beyond exact range');
  refuses(type(TypeOid.numeric), new Decimal('1e400000'), '22003', 'numeric beyond PostgreSQL range');
  refuses(type(TypeOid.text), 'x'.repeat(40_000), '54000', 'key too large');
});

t.test('damaged keys are refused, never misread', async (t) => {
  const random = new SeededRandom(seed + 5);
  let accepted = 0;
  let failures = 0;
  for (let round = 0; round < 400; round++) {
    const columns: KeyColumn[] = Array.from({ length: random.intBetween(1, 3) }, () => ({ type: random.pick(ALL_TYPES), ...random.pick(OPTIONS) }));
    const key = encodeIndexKey(16384, 3, columns, columns.map((column) => randomDatum(random, column.type)));
    // Every strict prefix is incomplete: prefix-freedom, checked by the decoder.
    const cut = random.int(key.length);
    try {
      decodeIndexKey(key.subarray(0, cut), columns);
      if (failures++ < 3) t.fail(`a ${cut}-byte prefix of ${[...key]} decoded`);
    } catch (error) {
      if (!isSqlError(error, 'XX000') && failures++ < 3) t.fail(`unexpected error ${String(error)}`);
    }
    // A mutated key is refused, or is exactly the encoding of what it decodes to.
    const mutated = key.slice();
    for (let n = random.intBetween(1, 2); n > 0; n--) mutated[random.int(mutated.length)] = random.pick([0x00, 0x01, 0xff, random.int(256)]);
    let decoded: ReturnType<typeof decodeIndexKey> | undefined;
    try {
      decoded = decodeIndexKey(mutated, columns);
    } catch (error) {
      if (!isSqlError(error, 'XX000') && failures++ < 3) t.fail(`unexpected error ${String(error)}`);
    }
    if (decoded === undefined) continue;
    accepted++;
    if (Buffer.compare(encodeIndexKey(decoded.tableId, decoded.indexId, columns, decoded.values), mutated) !== 0 && failures++ < 3) {
      t.fail(`mutated ${[...mutated]} decoded to ${show(decoded.values)}, which encodes differently`);
    }
  }
  t.equal(failures, 0);
  t.comment(`${accepted} of 400 mutated keys were valid encodings of other values`);
});
