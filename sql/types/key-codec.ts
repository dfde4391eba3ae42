// The order-preserving ("memcomparable") encoding of SQL values in KV keys: for two values of one type,
// the bytewise order of their encodings is compareOrdered(type, a, b, direction, nulls) of compare.ts.
// Every encoding is prefix-free (no value's bytes are a prefix of another's), so multi-column keys
// compare column by column. These keys are the raw user keys the KV layer receives; storage/mvcc/keys.ts
// wraps them in its own framing and timestamps.
//
// Index key:  0x74 ('t') | int(tableId) | int(indexId) | column* (| primary key columns, when a
//             non-unique secondary index needs them to be unique)
// 0x74 sits above the catalog's 0x01 'c' keys (sql/catalog/catalog-store.ts) and the KV layer's keys
// below 0x01. tableId is the table's OID, indexId its index within the table (the primary index is 1).
//
// Column:     0x00          NULL with NULLS FIRST
//             0x01 | value  not NULL; for DESC every byte of the value is inverted (b -> 0xff - b)
//             0x02          NULL with NULLS LAST
// The marker is never inverted, so NULLs go first or last whatever the direction. PostgreSQL's defaults
// are ASC NULLS LAST and DESC NULLS FIRST, and an index serves an ORDER BY only when its order is the
// same, so the placement is the index column's option (DESIGN.md said "NULL first ascending";
// PostgreSQL's behaviour wins).
//
// Value (ascending):
//   bool               1 byte, 0x00 false, 0x01 true
//   int2, int4, int8   2, 4, 8 bytes: big-endian two's complement with the sign bit flipped
//   oid                4 bytes big-endian
//   float4, float8     the IEEE 754 bits big-endian, sign bit set for positives and all bits inverted for
//                      negatives; -0 written as 0, NaN as all 0xff bytes (above Infinity, as PostgreSQL)
//   date               as int4 (days since 2000-01-01); -infinity INT32_MIN, infinity INT32_MAX
//   time, timestamp,   as int8 (microseconds); -infinity INT64_MIN, infinity INT64_MAX (PostgreSQL's
//   timestamptz        DT_NOBEGIN and DT_NOEND)
//   interval           int8 days (months as 30 days, days, and the whole days of the time part) | int8
//                      microseconds left over, 0 <= µs < 1 day: interval_cmp_value in two pieces
//   text, varchar,     UTF-8 (bytea: the bytes) with every 0x00 written as 0x00 0xff, then 0x00 0x01;
//   name, bpchar,      bpchar without its trailing spaces (they do not count in comparisons)
//   bytea
//   uuid               16 bytes
//   numeric            tag 0x01 -Infinity, 0x02 negative, 0x03 zero, 0x04 positive, 0x05 Infinity, 0x06 NaN;
//                      positive: int(E) | digits, for value = 0.d1 d2 ... dn × 100^E in base 100 with d1 and
//                      dn not 0, every digit written as 2d + 1 but the last as 2d (the even byte ends it);
//                      negative: the same for |value| with every byte after the tag inverted
//   jsonb              0x01 (top-level []) | 0x02 null | 0x03 text-as-above | 0x04 numeric-as-above |
//                      0x05 false | 0x06 true | 0x07 int(count) element* | 0x08 int(count) (key value)*
//                      (keys in jsonb order, written as text): compare.ts's jsonb order, byte for byte
//   T[]                (0x01 element | 0x02 for a NULL element)* | 0x00 | int(lowerBound) unless empty
//   json               refused: PostgreSQL has no btree operator class for json
//
// int(v), for ids, exponents, counts and bounds: v in [-104, 103] is one byte 0x80 + v; a larger v is
// 0xe7 + n then the n big-endian bytes of v - 104; a smaller v is 0x18 - n then the n bytes of
// (-105 - v) inverted; n (1..7) is the fewest bytes that hold the number.
//
// Decoding gives back an equal value (compare.ts), exactly the one encoded except where equal values
// must share a key: numeric 1.50 and 1.5 (decimal.js keeps no scale anyway), float -0 (read as 0),
// bpchar of no declared length (read without trailing spaces) and interval ('1 mon' and '30 days' share
// a key; read in a normal form). keyDecodingIsExact says which types an index-only scan may serve from
// the key alone. Malformed bytes are reported as ReefSqlError XX000 "corrupt key", never decoded.

import { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { type Datum, type Interval, type JsonValue, type SqlArray, type SqlType, TypeOid } from './datum.js';
import {
  MICROSECONDS_PER_DAY,
  arrayElementType,
  bpcharLength,
  compareJsonbKeys,
  intervalSpan,
  jsonbObjectKeys,
} from './compare.js';
import {
  corruptKey,
  formatUuid,
  invalidDatum,
  isIntegerIn,
  KeyReader,
  KeyWriter,
  padBpchar,
  readEscapedBytes,
  readEscapedString,
  readInt64Number,
  readOrderedInt,
  scratchView,
  writeEscapedBytes,
  writeEscapedString,
  writeInt64Number,
  writeOrderedInt,
  writeUuid,
} from './key-bytes.js';

export type SortDirection = 'asc' | 'desc';
export type NullsOrder = 'first' | 'last';

/** One column of an index key: its type and order. */
export interface KeyColumn {
  readonly type: SqlType;
  readonly direction: SortDirection;
  readonly nulls: NullsOrder;
}

export const TABLE_KEY_MARKER = 0x74;
const NULL_FIRST = 0x00;
const NOT_NULL = 0x01;
const NULL_LAST = 0x02;
/** Index keys above this size are refused (the KV layer's own limit is 56 KiB). */
export const INDEX_KEY_SIZE_BYTES_MAX = 32 * 1024;
/** Deepest jsonb nesting encoded or decoded (bounds the recursion). */
const JSONB_DEPTH_MAX = 1000;

const enum NumericTag { NegativeInfinity = 1, Negative = 2, Zero = 3, Positive = 4, Infinity = 5, NaN = 6 }
const enum JsonbTag { TopEmptyArray = 1, Null = 2, String = 3, Number = 4, False = 5, True = 6, Array = 7, Object = 8 }
const enum ArrayMarker { End = 0, Element = 1, NullElement = 2 }

// ---- numeric ----------------------------------------------------------------------------------------------

// PostgreSQL's numeric holds 131072 digits before the point and 16383 after it: base-100 exponents
// within ±65536. The bound keeps decimal.js (whose exponents reach 9e15) from overflowing on decode.
const NUMERIC_EXPONENT_MAX = 100_000;
let digits = new Uint8Array(64);

/** Puts the significant decimal digits of a finite non-zero Decimal in `digits`; returns their count. */
function decimalDigits(value: Decimal): number {
  // decimal.js keeps base 1e7 limbs (its documented `d`); the first has no leading zeros.
  const limbs = value.d;
  if (digits.length < limbs.length * 7) digits = new Uint8Array(limbs.length * 14);
  let count = 0;
  const first = limbs[0]!;
  let divisor = 1;
  while (divisor * 10 <= first) divisor *= 10;
  for (; divisor >= 1; divisor /= 10) digits[count++] = Math.floor(first / divisor) % 10;
  for (let i = 1; i < limbs.length; i++) {
    for (let limbDivisor = 1e6; limbDivisor >= 1; limbDivisor /= 10) digits[count++] = Math.floor(limbs[i]! / limbDivisor) % 10;
  }
  while (count > 0 && digits[count - 1] === 0) count--;
  return count;
}

export function writeNumeric(out: KeyWriter, type: SqlType, value: Datum): void {
  if (!Decimal.isDecimal(value)) throw invalidDatum(type, value);
  if (value.isNaN()) return out.byte(NumericTag.NaN);
  if (!value.isFinite()) return out.byte(value.isNegative() ? NumericTag.NegativeInfinity : NumericTag.Infinity);
  if (value.isZero()) return out.byte(NumericTag.Zero);
  const negative = value.isNegative();
  out.byte(negative ? NumericTag.Negative : NumericTag.Positive);
  const start = out.length;
  const count = decimalDigits(value);
  // `point` digits stand before the decimal point; an odd count gets a leading 0 to fill a base-100 pair.
  const point = value.e + 1;
  const odd = point % 2 !== 0;
  const exponent = odd ? (point + 1) / 2 : point / 2;
  if (Math.abs(exponent) > NUMERIC_EXPONENT_MAX) {
    throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
  }
  writeOrderedInt(out, exponent);
  for (let i = odd ? -1 : 0; i < count; i += 2) {
    const centimal = (i < 0 ? 0 : digits[i]! * 10) + (i + 1 < count ? digits[i + 1]! : 0);
    out.byte(i + 2 >= count ? 2 * centimal : 2 * centimal + 1);
  }
  if (negative) out.invertFrom(start);
}

const CENTIMAL_TEXT = Array.from({ length: 100 }, (_, centimal) => String(centimal).padStart(2, '0'));

export function readNumeric(reader: KeyReader, mask: number): Decimal {
  const tag = reader.byte(mask);
  switch (tag) {
    case NumericTag.NaN:
      return new Decimal(NaN);
    case NumericTag.Infinity:
      return new Decimal(Infinity);
    case NumericTag.NegativeInfinity:
      return new Decimal(-Infinity);
    case NumericTag.Zero:
      return new Decimal(0);
    case NumericTag.Positive:
    case NumericTag.Negative:
      break;
    default:
      throw corruptKey(`bad numeric tag ${tag}`, reader);
  }
  const bodyMask = tag === NumericTag.Negative ? mask ^ 0xff : mask;
  const exponent = readOrderedInt(reader, bodyMask);
  if (Math.abs(exponent) > NUMERIC_EXPONENT_MAX) throw corruptKey('numeric exponent out of range', reader);
  let text = tag === NumericTag.Negative ? '-0.' : '0.';
  for (let first = true; ; first = false) {
    const byte = reader.byte(bodyMask);
    const centimal = byte >> 1;
    if (centimal > 99 || (centimal === 0 && (first || (byte & 1) === 0))) throw corruptKey('bad numeric digit', reader);
    text += CENTIMAL_TEXT[centimal]!;
    if ((byte & 1) === 0) break;
  }
  return new Decimal(`${text}e${2 * exponent}`);
}

// ---- jsonb ------------------------------------------------------------------------------------------------

const jsonbType: SqlType = { oid: TypeOid.jsonb, typmod: -1 };

export function writeJsonb(out: KeyWriter, value: JsonValue, topLevel: boolean, depth: number): void {
  if (depth > JSONB_DEPTH_MAX) throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `jsonb nested deeper than ${JSONB_DEPTH_MAX} levels`);
  if (value === null) return out.byte(JsonbTag.Null);
  if (typeof value === 'string') {
    out.byte(JsonbTag.String);
    return writeEscapedString(out, value, value.length, jsonbType);
  }
  if (typeof value === 'boolean') return out.byte(value ? JsonbTag.True : JsonbTag.False);
  if (Array.isArray(value)) {
    if (topLevel && value.length === 0) return out.byte(JsonbTag.TopEmptyArray);
    out.byte(JsonbTag.Array);
    writeOrderedInt(out, value.length);
    for (const element of value) writeJsonb(out, element, false, depth + 1);
    return;
  }
  if (value instanceof Map) {
    out.byte(JsonbTag.Object);
    writeOrderedInt(out, value.size);
    for (const key of jsonbObjectKeys(value)) {
      writeEscapedString(out, key, key.length, jsonbType);
      writeJsonb(out, value.get(key)!, false, depth + 1);
    }
    return;
  }
  if (!Decimal.isDecimal(value)) throw invalidDatum(jsonbType, value);
  out.byte(JsonbTag.Number);
  writeNumeric(out, jsonbType, value);
}

export function readJsonb(reader: KeyReader, mask: number, topLevel: boolean, depth: number): JsonValue {
  if (depth > JSONB_DEPTH_MAX) throw corruptKey('jsonb nested too deeply', reader);
  const tag = reader.byte(mask);
  switch (tag) {
    case JsonbTag.TopEmptyArray:
      if (!topLevel) break;
      return [];
    case JsonbTag.Null:
      return null;
    case JsonbTag.String:
      return readEscapedString(reader, mask);
    case JsonbTag.Number:
      return readNumeric(reader, mask);
    case JsonbTag.False:
      return false;
    case JsonbTag.True:
      return true;
    case JsonbTag.Array: {
      const count = readOrderedInt(reader, mask);
      if (count < (topLevel ? 1 : 0) || count > reader.end - reader.offset) throw corruptKey('bad jsonb array length', reader);
      const elements: JsonValue[] = [];
      for (let i = 0; i < count; i++) elements.push(readJsonb(reader, mask, false, depth + 1));
      return elements;
    }
    case JsonbTag.Object: {
      const count = readOrderedInt(reader, mask);
      if (count < 0 || count > reader.end - reader.offset) throw corruptKey('bad jsonb object size', reader);
      const object = new Map<string, JsonValue>();
      let previous: string | undefined;
      for (let i = 0; i < count; i++) {
        const key = readEscapedString(reader, mask);
        if (previous !== undefined && compareJsonbKeys(previous, key) >= 0) throw corruptKey('jsonb keys out of order', reader);
        object.set(key, readJsonb(reader, mask, false, depth + 1));
        previous = key;
      }
      return object;
    }
  }
  throw corruptKey(`bad jsonb tag ${tag}`, reader);
}

// ---- values -----------------------------------------------------------------------------------------------

const intervalScratch = { days: 0, remainderMicroseconds: 0 };

function isInterval(value: Datum): value is Interval {
  if (typeof value !== 'object' || value === null) return false;
  const interval = value as Partial<Interval>;
  return Number.isInteger(interval.months) && Number.isInteger(interval.days) && Number.isSafeInteger(interval.microseconds);
}

export function isSqlArray(value: Datum): value is SqlArray {
  return typeof value === 'object' && value !== null && Array.isArray((value as SqlArray).elements) && Number.isInteger((value as SqlArray).lowerBound);
}

function jsonHasNoOrder(): ReefSqlError {
  return new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, 'data type json has no default operator class for access method "btree"', {
    hint: 'Use jsonb, or index an expression such as (column::text).',
  });
}

/** Writes a non-NULL value of `type`, ascending. */
function writeKeyValue(out: KeyWriter, type: SqlType, value: Datum): void {
  switch (type.oid) {
    case TypeOid.bool:
      if (typeof value !== 'boolean') throw invalidDatum(type, value);
      return out.byte(value ? 1 : 0);
    case TypeOid.int2:
      if (!isIntegerIn(value, -32768, 32767)) throw invalidDatum(type, value);
      return out.uint16(value + 0x8000);
    case TypeOid.int4:
      if (!isIntegerIn(value, -2147483648, 2147483647)) throw invalidDatum(type, value);
      return out.uint32(value + 0x80000000);
    case TypeOid.oid:
      if (!isIntegerIn(value, 0, 0xffffffff)) throw invalidDatum(type, value);
      return out.uint32(value);
    case TypeOid.int8:
      if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) throw invalidDatum(type, value);
      scratchView.setBigInt64(0, value);
      out.uint32(scratchView.getUint32(0) ^ 0x80000000);
      return out.uint32(scratchView.getUint32(4));
    case TypeOid.float4:
    case TypeOid.float8:
      return writeFloat(out, type, value);
    case TypeOid.numeric:
      return writeNumeric(out, type, value);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.unknown:
    case TypeOid.bpchar:
      if (typeof value !== 'string') throw invalidDatum(type, value);
      return writeEscapedString(out, value, type.oid === TypeOid.bpchar ? bpcharLength(value) : value.length, type);
    case TypeOid.bytea:
      if (!(value instanceof Uint8Array)) throw invalidDatum(type, value);
      return writeEscapedBytes(out, value);
    case TypeOid.date:
      if (value === Infinity || value === -Infinity) return out.uint32(value > 0 ? 0xffffffff : 0);
      if (!isIntegerIn(value, -2147483647, 2147483646)) throw invalidDatum(type, value);
      return out.uint32(value + 0x80000000);
    case TypeOid.time:
      if (!isIntegerIn(value, 0, MICROSECONDS_PER_DAY)) throw invalidDatum(type, value);
      return writeInt64Number(out, value);
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      if (!(value === Infinity || value === -Infinity || Number.isSafeInteger(value))) throw invalidDatum(type, value);
      return writeInt64Number(out, value as number);
    case TypeOid.interval:
      if (!isInterval(value)) throw invalidDatum(type, value);
      intervalSpan(value, intervalScratch);
      writeInt64Number(out, intervalScratch.days);
      return writeInt64Number(out, intervalScratch.remainderMicroseconds);
    case TypeOid.uuid:
      return writeUuid(out, type, value);
    case TypeOid.jsonb:
      return writeJsonb(out, value as JsonValue, true, 0);
    case TypeOid.json:
      throw jsonHasNoOrder();
  }
  const elementType = arrayElementType(type);
  if (elementType === undefined) {
    throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `the type with OID ${type.oid} cannot be part of an index key`);
  }
  if (elementType.oid === TypeOid.json) throw jsonHasNoOrder();
  if (!isSqlArray(value)) throw invalidDatum(type, value);
  for (const element of value.elements) {
    if (element === null) {
      out.byte(ArrayMarker.NullElement);
    } else {
      out.byte(ArrayMarker.Element);
      writeKeyValue(out, elementType, element);
    }
  }
  out.byte(ArrayMarker.End);
  if (value.elements.length > 0) writeOrderedInt(out, value.lowerBound);
}

function writeFloat(out: KeyWriter, type: SqlType, value: Datum): void {
  const single = type.oid === TypeOid.float4;
  if (typeof value !== 'number' || (single && value === value && Math.fround(value) !== value)) throw invalidDatum(type, value);
  if (value !== value) {
    out.uint32(0xffffffff);
    if (!single) out.uint32(0xffffffff);
    return;
  }
  // 0 + value turns -0 into 0: equal values share a key.
  if (single) scratchView.setFloat32(0, 0 + value);
  else scratchView.setFloat64(0, 0 + value);
  const high = scratchView.getUint32(0);
  const negative = high >= 0x80000000;
  out.uint32(negative ? ~high >>> 0 : high + 0x80000000);
  if (!single) out.uint32(negative ? ~scratchView.getUint32(4) >>> 0 : scratchView.getUint32(4));
}

function readFloat(reader: KeyReader, mask: number, single: boolean): number {
  const high = reader.uint32(mask);
  const low = single ? 0 : reader.uint32(mask);
  if (high === 0xffffffff && (single || low === 0xffffffff)) return NaN;
  const positive = high >= 0x80000000;
  scratchView.setUint32(0, positive ? high - 0x80000000 : ~high >>> 0);
  if (!single) scratchView.setUint32(4, positive ? low : ~low >>> 0);
  const value = single ? scratchView.getFloat32(0) : scratchView.getFloat64(0);
  if (value !== value || Object.is(value, -0)) throw corruptKey('a float in no canonical form', reader);
  return value;
}

/** Reads a non-NULL value of `type` (bytes XORed with `mask`: 0 for ASC, 0xff for DESC). */
function readKeyValue(reader: KeyReader, type: SqlType, mask: number): Datum {
  switch (type.oid) {
    case TypeOid.bool: {
      const byte = reader.byte(mask);
      if (byte > 1) throw corruptKey('bad boolean', reader);
      return byte === 1;
    }
    case TypeOid.int2:
      return ((reader.byte(mask) << 8) | reader.byte(mask)) - 0x8000;
    case TypeOid.int4:
      return reader.uint32(mask) - 0x80000000;
    case TypeOid.oid:
      return reader.uint32(mask);
    case TypeOid.int8:
      scratchView.setUint32(0, reader.uint32(mask) ^ 0x80000000);
      scratchView.setUint32(4, reader.uint32(mask));
      return scratchView.getBigInt64(0);
    case TypeOid.float4:
    case TypeOid.float8:
      return readFloat(reader, mask, type.oid === TypeOid.float4);
    case TypeOid.numeric:
      return readNumeric(reader, mask);
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.unknown:
      return readEscapedString(reader, mask);
    case TypeOid.bpchar: {
      const value = readEscapedString(reader, mask);
      if (value.endsWith(' ')) throw corruptKey('bpchar key with trailing spaces', reader);
      return padBpchar(value, type);
    }
    case TypeOid.bytea:
      return readEscapedBytes(reader, mask);
    case TypeOid.date: {
      const stored = reader.uint32(mask);
      return stored === 0 ? -Infinity : stored === 0xffffffff ? Infinity : stored - 0x80000000;
    }
    case TypeOid.time: {
      const value = readInt64Number(reader, mask, false);
      if (value < 0 || value > MICROSECONDS_PER_DAY) throw corruptKey('time of day out of range', reader);
      return value;
    }
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      return readInt64Number(reader, mask, true);
    case TypeOid.interval:
      return readInterval(reader, mask);
    case TypeOid.uuid: {
      if (reader.offset + 16 > reader.end) throw corruptKey('it ends in the middle of a uuid', reader);
      reader.offset += 16;
      return formatUuid(reader.bytes, reader.offset - 16, mask);
    }
    case TypeOid.jsonb:
      return readJsonb(reader, mask, true, 0);
  }
  const elementType = arrayElementType(type);
  if (elementType === undefined) throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `the type with OID ${type.oid} cannot be part of an index key`);
  const elements: Datum[] = [];
  for (;;) {
    const marker = reader.byte(mask);
    if (marker === ArrayMarker.End) break;
    if (marker === ArrayMarker.NullElement) elements.push(null);
    else if (marker === ArrayMarker.Element) elements.push(readKeyValue(reader, elementType, mask));
    else throw corruptKey(`bad array element marker ${marker}`, reader);
  }
  return { elements, lowerBound: elements.length === 0 ? 1 : readOrderedInt(reader, mask) };
}

function readInterval(reader: KeyReader, mask: number): Interval {
  let days = readInt64Number(reader, mask, false);
  let microseconds = readInt64Number(reader, mask, false);
  if (microseconds < 0 || microseconds >= MICROSECONDS_PER_DAY) throw corruptKey('interval remainder out of range', reader);
  // A normal form of the same span with one sign throughout: '-1 hour', not '-1 day +23 hours'.
  if (days < 0 && microseconds > 0) {
    days += 1;
    microseconds -= MICROSECONDS_PER_DAY;
  }
  const months = Math.trunc(days / 30);
  return { months: months === 0 ? 0 : months, days: days - months * 30, microseconds };
}

// ---- columns and index keys -------------------------------------------------------------------------------

/** Appends one column of a key: its NULL marker and, unless NULL, its value in `direction`. */
export function encodeKey(out: KeyWriter, type: SqlType, value: Datum, direction: SortDirection, nulls: NullsOrder): void {
  if (value === null) return out.byte(nulls === 'first' ? NULL_FIRST : NULL_LAST);
  out.byte(NOT_NULL);
  const start = out.length;
  writeKeyValue(out, type, value);
  if (direction === 'desc') out.invertFrom(start);
}

/** Reads one column of a key written by encodeKey with the same type and options. */
export function decodeKey(reader: KeyReader, type: SqlType, direction: SortDirection, nulls: NullsOrder): Datum {
  const marker = reader.byte(0);
  if (marker === NOT_NULL) return readKeyValue(reader, type, direction === 'desc' ? 0xff : 0);
  if (marker === (nulls === 'first' ? NULL_FIRST : NULL_LAST)) return null;
  throw corruptKey(`bad NULL marker ${marker} for NULLS ${nulls.toUpperCase()}`, reader);
}

function checkId(what: string, id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new ReefSqlError(SqlState.INTERNAL_ERROR, `${what} ${id} is not a 32-bit unsigned integer`);
}

/** Appends `0x74 | int(tableId) | int(indexId)`. */
export function writeIndexPrefix(out: KeyWriter, tableId: number, indexId: number): void {
  checkId('table id', tableId);
  checkId('index id', indexId);
  out.byte(TABLE_KEY_MARKER);
  writeOrderedInt(out, tableId);
  writeOrderedInt(out, indexId);
}

/** Every key of one index starts with this. */
export function indexPrefix(tableId: number, indexId: number): Uint8Array {
  const out = new KeyWriter(16);
  writeIndexPrefix(out, tableId, indexId);
  return out.finish();
}

/** Every key of every index of one table starts with this. */
export function tablePrefix(tableId: number): Uint8Array {
  checkId('table id', tableId);
  const out = new KeyWriter(16);
  out.byte(TABLE_KEY_MARKER);
  writeOrderedInt(out, tableId);
  return out.finish();
}

export function readIndexPrefix(reader: KeyReader): { tableId: number; indexId: number } {
  if (reader.byte(0) !== TABLE_KEY_MARKER) throw corruptKey('not a table key', reader);
  const tableId = readOrderedInt(reader, 0);
  const indexId = readOrderedInt(reader, 0);
  if (tableId < 0 || tableId > 0xffffffff || indexId < 0 || indexId > 0xffffffff) throw corruptKey('bad table or index id', reader);
  return { tableId, indexId };
}

const indexKeyWriter = new KeyWriter(256);

/** A whole index key: the prefix, then `values` column by column. */
export function encodeIndexKey(tableId: number, indexId: number, columns: readonly KeyColumn[], values: readonly Datum[]): Uint8Array {
  if (values.length !== columns.length) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `index key of ${columns.length} columns given ${values.length} values`);
  }
  const out = indexKeyWriter;
  out.reset();
  writeIndexPrefix(out, tableId, indexId);
  for (let i = 0; i < columns.length; i++) encodeKey(out, columns[i]!.type, values[i]!, columns[i]!.direction, columns[i]!.nulls);
  if (out.length > INDEX_KEY_SIZE_BYTES_MAX) {
    throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `index row size ${out.length} exceeds maximum ${INDEX_KEY_SIZE_BYTES_MAX}`, {
      hint: 'Values larger than this cannot be indexed.',
    });
  }
  return out.finish();
}

/** The ids and values of a whole index key, which must end after its last column. */
export function decodeIndexKey(key: Uint8Array, columns: readonly KeyColumn[]): { tableId: number; indexId: number; values: Datum[] } {
  const reader = new KeyReader(key);
  const { tableId, indexId } = readIndexPrefix(reader);
  const values: Datum[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) values[i] = decodeKey(reader, columns[i]!.type, columns[i]!.direction, columns[i]!.nulls);
  if (!reader.atEnd) throw corruptKey('trailing bytes after the last column', reader);
  return { tableId, indexId, values };
}

/** The smallest key above every key that starts with `prefix` (the end of a range scan over it). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i]!++;
      return end;
    }
  }
  throw new ReefSqlError(SqlState.INTERNAL_ERROR, 'no key follows a prefix of only 0xff bytes');
}

/**
 * True when decodeKey gives back exactly the value encoded (not merely an equal one), so an index-only
 * scan may return it: false for float (-0), bpchar without a length (trailing spaces) and interval.
 */
export function keyDecodingIsExact(type: SqlType): boolean {
  const elementType = arrayElementType(type);
  if (elementType !== undefined) return keyDecodingIsExact(elementType);
  switch (type.oid) {
    case TypeOid.float4:
    case TypeOid.float8:
    case TypeOid.interval:
    case TypeOid.json:
      return false;
    case TypeOid.bpchar:
      return type.typmod >= 5;
    default:
      return true;
  }
}
