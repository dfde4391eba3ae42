// PostgreSQL's sort order for every supported type (the default btree operator class of each), on the
// JavaScript representation of datum.ts. The key codec (key-codec.ts) encodes values so that the byte
// order of keys is exactly this order; the executor sorts, merges and groups with it.
//
// Rules, per type (a and b are never NULL here; NULL is the caller's: three-valued logic for `=`, and
// compareNullable / compareOrdered for ORDER BY placement):
//   bool                false < true
//   int2/int4/oid/int8  by value
//   float4/float8       by value, -0 equal to 0, NaN equal to NaN and greater than everything
//                       (float8_cmp_internal)
//   numeric             by value, so 1.50 = 1.5; -Infinity < finite < Infinity < NaN (cmp_numerics)
//   text, varchar,      by Unicode code point, which is the bytewise order of UTF-8 — ReefDB runs with
//   name, bpchar        the C collation (PostgreSQL's `COLLATE "C"`) and no other; bpchar ignores
//                       trailing spaces ('a ' = 'a'), as bpcharcmp does
//   bytea, uuid         bytewise (a uuid's canonical lower-case text orders as its 16 bytes)
//   date, time,         by their integer value; -infinity and infinity at the ends
//   timestamp(tz)
//   interval            interval_cmp_value: months * 30 days + days, times 24 h, plus the time part,
//                       compared as one number ('1 mon' = '30 days', '1 day' < '25 hours')
//   jsonb               compareJsonbContainers: Object > Array > Boolean > Number > String > Null;
//                       objects by pair count, then key-1, value-1, key-2, ... in jsonb key order
//                       (shorter keys first); arrays by element count, then element-wise; a top-level
//                       scalar sorts above a top-level empty array and below any non-empty one
//   T[]                 array_cmp: element-wise (a NULL element after every non-NULL one), then the
//                       shorter first, then by lower bound ('[0:1]={1,2}' < '{1,2}')
//   json                has no ordering in PostgreSQL: 42883, as there
//
// Results are negative, zero or positive (their magnitude means nothing).

import { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { type Datum, type Interval, type JsonValue, type SqlArray, type SqlType, TypeOid } from './datum.js';

const ELEMENT_OID_BY_ARRAY_OID: ReadonlyMap<number, number> = new Map(
  Object.entries(TypeOid)
    .filter(([name]) => name.startsWith('_'))
    .map(([name, oid]) => [oid, TypeOid[name.slice(1) as keyof typeof TypeOid]]),
);

/** The element type of a one-dimensional array type (the array's typmod applies to its elements). */
export function arrayElementType(type: SqlType): SqlType | undefined {
  const elementOid = ELEMENT_OID_BY_ARRAY_OID.get(type.oid);
  return elementOid === undefined ? undefined : { oid: elementOid, typmod: type.typmod };
}

/** Negative, zero or positive as a sorts before, with or after b in PostgreSQL's order for `type`. */
export function compareDatums(type: SqlType, a: Datum, b: Datum): number {
  switch (type.oid) {
    case TypeOid.bool:
      return a === b ? 0 : a ? 1 : -1;
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.oid:
    case TypeOid.int8:
    case TypeOid.date:
    case TypeOid.time:
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      // number or bigint; ±Infinity of date and timestamps compare correctly with < and >.
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case TypeOid.float4:
    case TypeOid.float8:
      return compareFloats(a as number, b as number);
    case TypeOid.numeric:
      return compareNumerics(a as Decimal, b as Decimal);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.unknown:
    case TypeOid.uuid:
      return compareText(a as string, b as string);
    case TypeOid.bpchar:
      return compareTextPrefixes(a as string, bpcharLength(a as string), b as string, bpcharLength(b as string));
    case TypeOid.bytea:
      return compareBytes(a as Uint8Array, b as Uint8Array);
    case TypeOid.interval:
      return compareIntervals(a as Interval, b as Interval);
    case TypeOid.jsonb:
      return compareJsonb(a as JsonValue, b as JsonValue);
    case TypeOid.json:
      throw new ReefSqlError(SqlState.UNDEFINED_FUNCTION, 'could not identify an ordering operator for type json', {
        hint: 'Use jsonb, or compare the values as text.',
      });
    default: {
      const elementType = arrayElementType(type);
      if (elementType !== undefined) return compareArrays(elementType, a as SqlArray, b as SqlArray);
      throw new ReefSqlError(SqlState.UNDEFINED_FUNCTION, `could not identify an ordering operator for type with OID ${type.oid}`);
    }
  }
}

/** PostgreSQL's `=` for two non-NULL values of `type` (1.50 = 1.5, -0 = 0, NaN = NaN, 'a ' = 'a'). */
export function datumsEqual(type: SqlType, a: Datum, b: Datum): boolean {
  return compareDatums(type, a, b) === 0;
}

/** Ascending order of values with NULL before (nullsFirst) or after every value; two NULLs are equal. */
export function compareNullable(type: SqlType, a: Datum, b: Datum, nullsFirst: boolean): number {
  if (a === null) return b === null ? 0 : nullsFirst ? -1 : 1;
  if (b === null) return nullsFirst ? 1 : -1;
  return compareDatums(type, a, b);
}

/**
 * ORDER BY's order for one sort key: values ascending or descending, NULLs first or last regardless of
 * the direction (PostgreSQL's defaults are ASC NULLS LAST and DESC NULLS FIRST). The key codec's byte
 * order for the same options is exactly this.
 */
export function compareOrdered(type: SqlType, a: Datum, b: Datum, direction: 'asc' | 'desc', nulls: 'first' | 'last'): number {
  if (a === null || b === null) return compareNullable(type, a, b, nulls === 'first');
  const order = compareDatums(type, a, b);
  return direction === 'asc' ? order : -order;
}

function compareFloats(a: number, b: number): number {
  if (a !== a) return b !== b ? 0 : 1;
  if (b !== b) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numeric order: by value, NaN equal to NaN and above everything (±Infinity order themselves). */
export function compareNumerics(a: Decimal, b: Decimal): number {
  if (a.isNaN()) return b.isNaN() ? 0 : 1;
  if (b.isNaN()) return -1;
  return a.comparedTo(b);
}

// UTF-16 code units order as code points except that surrogates (D800–DFFF, the halves of the code
// points above FFFF) must sort above E000–FFFF; this rank moves them there.
function codeUnitRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/** Code point order, the same as the bytewise order of the strings' UTF-8 (the C collation). */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return compareTextPrefixes(a, a.length, b, b.length);
}

function compareTextPrefixes(a: string, aLength: number, b: string, bLength: number): number {
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return aLength - bLength;
}

/** The length of a bpchar value without its trailing spaces, which bpchar comparison ignores. */
export function bpcharLength(value: string): number {
  let length = value.length;
  while (length > 0 && value.charCodeAt(length - 1) === 0x20) length--;
  return length;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

export const MICROSECONDS_PER_DAY = 86_400_000_000;

/**
 * interval_cmp_value as two exact JavaScript numbers: the whole days (months as 30 days) and the
 * microseconds left over, 0 <= remainder < one day. Writes into `out` to spare an allocation.
 */
export function intervalSpan(value: Interval, out: { days: number; remainderMicroseconds: number }): void {
  let wholeDays = Math.floor(value.microseconds / MICROSECONDS_PER_DAY);
  let remainder = value.microseconds - wholeDays * MICROSECONDS_PER_DAY;
  // The division is rounded; the remainder (exact) says which way, and one step fixes it.
  if (remainder < 0) {
    wholeDays--;
    remainder += MICROSECONDS_PER_DAY;
  } else if (remainder >= MICROSECONDS_PER_DAY) {
    wholeDays++;
    remainder -= MICROSECONDS_PER_DAY;
  }
  out.days = value.months * 30 + value.days + wholeDays;
  out.remainderMicroseconds = remainder;
}

const spanA = { days: 0, remainderMicroseconds: 0 };
const spanB = { days: 0, remainderMicroseconds: 0 };

export function compareIntervals(a: Interval, b: Interval): number {
  intervalSpan(a, spanA);
  intervalSpan(b, spanB);
  if (spanA.days !== spanB.days) return spanA.days < spanB.days ? -1 : 1;
  return spanA.remainderMicroseconds - spanB.remainderMicroseconds;
}

function compareArrays(elementType: SqlType, a: SqlArray, b: SqlArray): number {
  const length = Math.min(a.elements.length, b.elements.length);
  for (let i = 0; i < length; i++) {
    const x = a.elements[i]!;
    const y = b.elements[i]!;
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
      continue;
    }
    const order = compareDatums(elementType, x, y);
    if (order !== 0) return order;
  }
  if (a.elements.length !== b.elements.length) return a.elements.length - b.elements.length;
  // PostgreSQL's empty array has no dimensions, so no lower bound to compare.
  return length === 0 ? 0 : a.lowerBound - b.lowerBound;
}

/**
 * jsonb's kinds in PostgreSQL's type order (enum jbvType: null, string, numeric, bool, array, object).
 * A plain enum, so that it exists at run time for every loader.
 */
export enum JsonbKind {
  Null = 0,
  String = 1,
  Number = 2,
  Bool = 3,
  Array = 4,
  Object = 5,
}

export function jsonbKind(value: JsonValue): JsonbKind {
  if (value === null) return JsonbKind.Null;
  switch (typeof value) {
    case 'string':
      return JsonbKind.String;
    case 'boolean':
      return JsonbKind.Bool;
    default:
      if (Array.isArray(value)) return JsonbKind.Array;
      if (value instanceof Map) return JsonbKind.Object;
      if (Decimal.isDecimal(value)) return JsonbKind.Number;
      throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not a jsonb value: ${String(value)}`);
  }
}

/** jsonb's key order: shorter UTF-8 first, then bytewise (lengthCompareJsonbStringValue). */
export function compareJsonbKeys(a: string, b: string): number {
  return utf8Length(a) - utf8Length(b) || compareText(a, b);
}

/** The UTF-8 length of a string (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) length += 1;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < value.length && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      length += 2; // 2 units, 4 bytes
      i++;
    } else length += 2;
  }
  return length;
}

/** An object's keys in jsonb order: the Map's own order when it already is (datum.ts), else sorted. */
export function jsonbObjectKeys(object: ReadonlyMap<string, JsonValue>): string[] {
  const keys = [...object.keys()];
  for (let i = 1; i < keys.length; i++) {
    if (compareJsonbKeys(keys[i - 1]!, keys[i]!) > 0) return keys.sort(compareJsonbKeys);
  }
  return keys;
}

/** compareJsonbContainers on whole jsonb values (top level: raw scalars are pseudo-arrays). */
export function compareJsonb(a: JsonValue, b: JsonValue): number {
  const aKind = jsonbKind(a);
  const bKind = jsonbKind(b);
  // A top-level scalar is a one-element pseudo-array: below any array of one or more elements (the raw
  // scalar flag decides), above the empty array (the element counts decide, and they are checked last).
  if (aKind < JsonbKind.Array && bKind === JsonbKind.Array) return (b as readonly JsonValue[]).length === 0 ? 1 : -1;
  if (aKind === JsonbKind.Array && bKind < JsonbKind.Array) return (a as readonly JsonValue[]).length === 0 ? -1 : 1;
  return compareJsonbValues(a, aKind, b, bKind);
}

function compareJsonbValues(a: JsonValue, aKind: JsonbKind, b: JsonValue, bKind: JsonbKind): number {
  if (aKind !== bKind) return aKind - bKind;
  switch (aKind) {
    case JsonbKind.Null:
      return 0;
    case JsonbKind.String:
      return compareText(a as string, b as string);
    case JsonbKind.Number:
      return compareNumerics(a as Decimal, b as Decimal);
    case JsonbKind.Bool:
      return a === b ? 0 : a ? 1 : -1;
    case JsonbKind.Array: {
      const x = a as readonly JsonValue[];
      const y = b as readonly JsonValue[];
      if (x.length !== y.length) return x.length - y.length;
      for (let i = 0; i < x.length; i++) {
        const order = compareJsonbValues(x[i]!, jsonbKind(x[i]!), y[i]!, jsonbKind(y[i]!));
        if (order !== 0) return order;
      }
      return 0;
    }
    case JsonbKind.Object: {
      const x = a as ReadonlyMap<string, JsonValue>;
      const y = b as ReadonlyMap<string, JsonValue>;
      if (x.size !== y.size) return x.size - y.size;
      const xKeys = jsonbObjectKeys(x);
      const yKeys = jsonbObjectKeys(y);
      for (let i = 0; i < xKeys.length; i++) {
        const keyOrder = compareText(xKeys[i]!, yKeys[i]!);
        if (keyOrder !== 0) return keyOrder;
        const xValue = x.get(xKeys[i]!)!;
        const yValue = y.get(yKeys[i]!)!;
        const order = compareJsonbValues(xValue, jsonbKind(xValue), yValue, jsonbKind(yValue));
        if (order !== 0) return order;
      }
      return 0;
    }
  }
}
