// The value stored for a row (at its primary index key) and for an index entry's stored columns: each
// value tagged with its column id, so that ADD COLUMN and DROP COLUMN rewrite nothing — a reader skips
// the ids its schema no longer has and reports the ids a row lacks as absent (undefined), for the caller
// to read as NULL or as the column's default. Exact: every value decodes to the one encoded (-0, NaN,
// bpchar padding, interval fields and array lower bounds included).
//
//   row      := 0x01 (format) | uvarint(count) | value{count}
//   value    := uvarint(columnId * 16 + kind) | payload
//   kind  0  NULL                 no payload
//         1  false, 2 true        no payload
//         3  integer >= 0         uvarint(v)                int2, int4, int8, oid, date, time, timestamp(tz)
//         4  integer < 0          uvarint(-1 - v)           the same types
//         5  float32              4 bytes little-endian     float4 (its exact bits)
//         6  float64              8 bytes little-endian     float8 (its exact bits)
//         7  bytes                uvarint(length) | bytes   everything else, below
//         8  infinity, 9 -infinity  no payload              date, timestamp(tz)
//   uvarint is LEB128 (7 bits a byte, least significant first, at most 10 bytes).
//
//   kind 7 payloads:
//     text, varchar, name, bpchar, json   UTF-8, as given (bpchar with its padding, json as written)
//     bytea                               the bytes
//     uuid                                16 bytes
//     numeric                             key-codec.ts's ascending numeric | uvarint(display scale): the
//                                         value, exact, then the digits PostgreSQL prints after the point
//                                         (numeric-io.ts; decimal.js itself keeps no trailing zeros)
//     jsonb                               key-codec.ts's ascending jsonb
//     interval                            sign flags (1 months, 2 days, 4 microseconds) | uvarint |months|
//                                         | uvarint |days| | uvarint |microseconds|
//     T[]                                 uvarint(zigzag(lowerBound)) | uvarint(count) | element*, an
//                                         element being a value of column id 0 (one kind byte + payload)
//
// The count makes a truncated row an error rather than a row with its last columns "absent". A decoder
// checks every tag, length, range and UTF-8 sequence and reports a violation as ReefSqlError XX000
// "corrupt row value"; a flipped bit inside a payload can still read as another valid value, which the
// storage layer's block checksums are there to catch.

import type { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { type Datum, type Interval, type JsonValue, type SqlType, TypeOid } from './datum.js';
import { MICROSECONDS_PER_DAY, arrayElementType } from './compare.js';
import { KeyReader, KeyWriter, dataCorrupted, decodeUtf8, formatUuid, invalidDatum, writeUtf8, writeUuid } from './key-bytes.js';
import { isSqlArray, readJsonb, readNumeric, writeJsonb, writeNumeric } from './key-codec.js';
import { numericDisplayScale, withDisplayScale } from './numeric-io.js';

/** PostgreSQL's largest numeric display scale (the dscale field's 14 bits). */
const NUMERIC_DISPLAY_SCALE_MAX = 16383;

/** A column as the row codec sees it: its stable id (never reused within a table) and its type. */
export interface RowColumn {
  readonly id: number;
  readonly type: SqlType;
}

const ROW_FORMAT = 0x01;
const COLUMN_ID_MAX = 0x7fffffff;

const enum Kind { Null = 0, False = 1, True = 2, Uint = 3, NegativeInt = 4, Float32 = 5, Float64 = 6, Bytes = 7, Infinity = 8, NegativeInfinity = 9 }

let writer = new KeyWriter(1024);
/** A row larger than this leaves the shared writer to be collected rather than kept at its size. */
const WRITER_RETAINED_BYTES_MAX = 1024 * 1024;
const scratchView = new DataView(new ArrayBuffer(8));
const TWO_TO_53 = 2 ** 53;

function writeUvarint(out: KeyWriter, value: number): void {
  out.ensure(10);
  const buffer = out.buffer;
  let at = out.length;
  // Arithmetic above 2^31 (bitwise operators cut to 32 bits), shifts below it.
  while (value > 0x7fffffff) {
    const low = value % 0x80;
    buffer[at++] = low | 0x80;
    value = (value - low) / 0x80;
  }
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  buffer[at++] = value;
  out.length = at;
}

function writeUvarintBigInt(out: KeyWriter, value: bigint): void {
  out.ensure(10);
  while (value >= 0x80n) {
    out.buffer[out.length++] = Number(value & 0x7fn) | 0x80;
    value >>= 7n;
  }
  out.buffer[out.length++] = Number(value);
}

/** Opens a length-prefixed payload (one length byte reserved); returns where the payload starts. */
function beginBytes(out: KeyWriter): number {
  out.byte(0);
  return out.length;
}

/** Closes the payload begun at `start`, moving it when its length needs more than one byte. */
function endBytes(out: KeyWriter, start: number): void {
  const length = out.length - start;
  if (length < 0x80) {
    out.buffer[start - 1] = length;
    return;
  }
  let size = 1;
  while (length >= 0x80 ** size) size++;
  out.ensure(size - 1);
  out.buffer.copyWithin(start - 1 + size, start, out.length);
  const end = out.length + size - 1;
  out.length = start - 1;
  writeUvarint(out, length);
  out.length = end;
}

function writeInteger(out: KeyWriter, id: number, value: number): void {
  if (value >= 0) {
    writeUvarint(out, id * 16 + Kind.Uint);
    writeUvarint(out, value);
  } else {
    writeUvarint(out, id * 16 + Kind.NegativeInt);
    writeUvarint(out, -1 - value);
  }
}

function isIntegerIn(value: Datum, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Writes one tagged value; `id` is the column id (0 for an array element). */
function writeValue(out: KeyWriter, id: number, type: SqlType, value: Datum): void {
  if (value === null) return writeUvarint(out, id * 16 + Kind.Null);
  switch (type.oid) {
    case TypeOid.bool:
      if (typeof value !== 'boolean') throw invalidDatum(type, value);
      return writeUvarint(out, id * 16 + (value ? Kind.True : Kind.False));
    case TypeOid.int2:
      if (!isIntegerIn(value, -32768, 32767)) throw invalidDatum(type, value);
      return writeInteger(out, id, value);
    case TypeOid.int4:
      if (!isIntegerIn(value, -2147483648, 2147483647)) throw invalidDatum(type, value);
      return writeInteger(out, id, value);
    case TypeOid.oid:
      if (!isIntegerIn(value, 0, 0xffffffff)) throw invalidDatum(type, value);
      return writeInteger(out, id, value);
    case TypeOid.time:
      if (!isIntegerIn(value, 0, MICROSECONDS_PER_DAY)) throw invalidDatum(type, value);
      return writeInteger(out, id, value);
    case TypeOid.int8:
      if (typeof value !== 'bigint' || BigInt.asIntN(64, value) !== value) throw invalidDatum(type, value);
      writeUvarint(out, id * 16 + (value >= 0n ? Kind.Uint : Kind.NegativeInt));
      return writeUvarintBigInt(out, value >= 0n ? value : -1n - value);
    case TypeOid.date:
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      if (value === Infinity || value === -Infinity) return writeUvarint(out, id * 16 + (value > 0 ? Kind.Infinity : Kind.NegativeInfinity));
      if (!(type.oid === TypeOid.date ? isIntegerIn(value, -2147483647, 2147483646) : Number.isSafeInteger(value))) throw invalidDatum(type, value);
      return writeInteger(out, id, value as number);
    case TypeOid.float4:
      if (typeof value !== 'number' || (value === value && Math.fround(value) !== value)) throw invalidDatum(type, value);
      writeUvarint(out, id * 16 + Kind.Float32);
      scratchView.setFloat32(0, value, true);
      out.uint32(scratchView.getUint32(0, false));
      return;
    case TypeOid.float8:
      if (typeof value !== 'number') throw invalidDatum(type, value);
      writeUvarint(out, id * 16 + Kind.Float64);
      scratchView.setFloat64(0, value, true);
      out.uint32(scratchView.getUint32(0, false));
      out.uint32(scratchView.getUint32(4, false));
      return;
  }
  writeUvarint(out, id * 16 + Kind.Bytes);
  const start = beginBytes(out);
  writeBytesPayload(out, type, value);
  endBytes(out, start);
}

function writeBytesPayload(out: KeyWriter, type: SqlType, value: Datum): void {
  switch (type.oid) {
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.unknown:
    case TypeOid.bpchar:
    case TypeOid.json:
      if (typeof value !== 'string') throw invalidDatum(type, value);
      out.ensure(value.length * 3);
      out.length = writeUtf8(out, value, false, type);
      return;
    case TypeOid.bytea:
      if (!(value instanceof Uint8Array)) throw invalidDatum(type, value);
      return out.append(value);
    case TypeOid.uuid:
      return writeUuid(out, type, value);
    case TypeOid.numeric:
      writeNumeric(out, type, value);
      return writeUvarint(out, numericDisplayScale(value as Decimal));
    case TypeOid.jsonb:
      return writeJsonb(out, value as JsonValue, true, 0);
    case TypeOid.interval: {
      const interval = value as Interval;
      if (typeof value !== 'object' || !Number.isInteger(interval.months) || !Number.isInteger(interval.days) || !Number.isSafeInteger(interval.microseconds)) {
        throw invalidDatum(type, value);
      }
      out.byte((interval.months < 0 ? 1 : 0) | (interval.days < 0 ? 2 : 0) | (interval.microseconds < 0 ? 4 : 0));
      writeUvarint(out, Math.abs(interval.months));
      writeUvarint(out, Math.abs(interval.days));
      return writeUvarint(out, Math.abs(interval.microseconds));
    }
  }
  const elementType = arrayElementType(type);
  if (elementType === undefined) throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `cannot store values of the type with OID ${type.oid}`);
  if (!isSqlArray(value)) throw invalidDatum(type, value);
  writeUvarint(out, value.lowerBound >= 0 ? 2 * value.lowerBound : -2 * value.lowerBound - 1);
  writeUvarint(out, value.elements.length);
  for (const element of value.elements) writeValue(out, 0, elementType, element);
}

/** The stored form of a row: values[i] is the value of columns[i] (NULLs are stored, as NULL). */
export function encodeRow(columns: readonly RowColumn[], values: readonly Datum[]): Uint8Array {
  if (values.length !== columns.length) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `row of ${columns.length} columns given ${values.length} values`);
  }
  const out = writer;
  out.reset();
  out.byte(ROW_FORMAT);
  writeUvarint(out, columns.length);
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    if (!Number.isInteger(column.id) || column.id < 0 || column.id > COLUMN_ID_MAX) {
      throw new ReefSqlError(SqlState.INTERNAL_ERROR, `column id ${column.id} is out of range`);
    }
    writeValue(out, column.id, column.type, values[i]!);
  }
  const row = out.finish();
  if (out.buffer.length > WRITER_RETAINED_BYTES_MAX) writer = new KeyWriter(1024);
  return row;
}

// ---- decoding ---------------------------------------------------------------------------------------------

/** Reads a row value; `end` is where the current payload (or the row) ends. */
class RowReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  corrupt(problem: string): ReefSqlError {
    return dataCorrupted(`corrupt row value: ${problem}`, `at byte ${this.offset} of ${this.bytes.length}`);
  }

  byte(): number {
    if (this.offset >= this.bytes.length) throw this.corrupt('it ends in the middle of a value');
    return this.bytes[this.offset++]!;
  }

  /** A uvarint as a number; past 2^53 it is inexact, which callers check where it matters. */
  uvarint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw this.corrupt('varint not in its shortest form');
        return value;
      }
      scale *= 0x80;
    }
    throw this.corrupt('varint longer than 10 bytes');
  }

  uvarintBigInt(): bigint {
    const start = this.offset;
    const small = this.uvarint();
    if (small < TWO_TO_53) return BigInt(small);
    this.offset = start;
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.byte();
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  }

  /** A length-prefixed payload's end offset, after checking that it lies within the bytes. */
  payloadEnd(): number {
    const length = this.uvarint();
    if (length > this.bytes.length - this.offset) throw this.corrupt(`a ${length}-byte payload runs past the end`);
    return this.offset + length;
  }

  skip(kind: number): void {
    switch (kind) {
      case Kind.Uint:
      case Kind.NegativeInt:
        this.uvarint();
        return;
      case Kind.Float32:
      case Kind.Float64: {
        const size = kind === Kind.Float32 ? 4 : 8;
        if (this.offset + size > this.bytes.length) throw this.corrupt('it ends in the middle of a float');
        this.offset += size;
        return;
      }
      case Kind.Bytes:
        this.offset = this.payloadEnd();
        return;
      default:
        if (kind > Kind.NegativeInfinity) throw this.corrupt(`unknown value kind ${kind}`);
    }
  }
}

function readInteger(reader: RowReader, kind: number, min: number, max: number, type: SqlType): number {
  if (kind !== Kind.Uint && kind !== Kind.NegativeInt) throw mismatch(reader, kind, type);
  const magnitude = reader.uvarint();
  const value = kind === Kind.Uint ? magnitude : -1 - magnitude;
  if (!(value >= min && value <= max)) throw reader.corrupt(`integer ${value} out of range for type OID ${type.oid}`);
  return value;
}

function mismatch(reader: RowReader, kind: number, type: SqlType): ReefSqlError {
  return reader.corrupt(`a value of kind ${kind} for type OID ${type.oid}`);
}

/** Reads the payload of a non-NULL value of `type` whose kind is `kind`. */
function readValue(reader: RowReader, type: SqlType, kind: number): Datum {
  switch (type.oid) {
    case TypeOid.bool:
      if (kind !== Kind.True && kind !== Kind.False) throw mismatch(reader, kind, type);
      return kind === Kind.True;
    case TypeOid.int2:
      return readInteger(reader, kind, -32768, 32767, type);
    case TypeOid.int4:
      return readInteger(reader, kind, -2147483648, 2147483647, type);
    case TypeOid.oid:
      return readInteger(reader, kind, 0, 0xffffffff, type);
    case TypeOid.time:
      return readInteger(reader, kind, 0, MICROSECONDS_PER_DAY, type);
    case TypeOid.int8: {
      if (kind !== Kind.Uint && kind !== Kind.NegativeInt) throw mismatch(reader, kind, type);
      const magnitude = reader.uvarintBigInt();
      if (magnitude > 0x7fffffffffffffffn) throw reader.corrupt('int8 out of range');
      return kind === Kind.Uint ? magnitude : -1n - magnitude;
    }
    case TypeOid.date:
    case TypeOid.timestamp:
    case TypeOid.timestamptz:
      if (kind === Kind.Infinity) return Infinity;
      if (kind === Kind.NegativeInfinity) return -Infinity;
      return type.oid === TypeOid.date
        ? readInteger(reader, kind, -2147483647, 2147483646, type)
        : readInteger(reader, kind, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, type);
    case TypeOid.float4:
    case TypeOid.float8: {
      const single = type.oid === TypeOid.float4;
      if (kind !== (single ? Kind.Float32 : Kind.Float64)) throw mismatch(reader, kind, type);
      const size = single ? 4 : 8;
      if (reader.offset + size > reader.bytes.length) throw reader.corrupt('it ends in the middle of a float');
      for (let i = 0; i < size; i++) scratchView.setUint8(i, reader.bytes[reader.offset + i]!);
      reader.offset += size;
      return single ? scratchView.getFloat32(0, true) : scratchView.getFloat64(0, true);
    }
  }
  if (kind !== Kind.Bytes) throw mismatch(reader, kind, type);
  const end = reader.payloadEnd();
  const value = readBytesPayload(reader, type, end);
  if (reader.offset !== end) throw reader.corrupt(`payload of type OID ${type.oid} has ${end - reader.offset} bytes left over`);
  return value;
}

function readBytesPayload(reader: RowReader, type: SqlType, end: number): Datum {
  const start = reader.offset;
  switch (type.oid) {
    case TypeOid.text:
    case TypeOid.varchar:
    case TypeOid.name:
    case TypeOid.unknown:
    case TypeOid.bpchar:
    case TypeOid.json:
      reader.offset = end;
      return decodeUtf8(reader.bytes, start, end, 'row value');
    case TypeOid.bytea:
      reader.offset = end;
      return reader.bytes.slice(start, end);
    case TypeOid.uuid:
      if (end - start !== 16) throw reader.corrupt(`a uuid of ${end - start} bytes`);
      reader.offset = end;
      return formatUuid(reader.bytes, start, 0);
    case TypeOid.numeric: {
      const keyReader = new KeyReader(reader.bytes, start, 'row value', end);
      const value = readNumeric(keyReader, 0);
      reader.offset = keyReader.offset;
      const scale = reader.uvarint();
      if (scale > NUMERIC_DISPLAY_SCALE_MAX) throw reader.corrupt(`a numeric display scale of ${scale}`);
      return withDisplayScale(value, scale);
    }
    case TypeOid.jsonb: {
      const keyReader = new KeyReader(reader.bytes, start, 'row value', end);
      const value = readJsonb(keyReader, 0, true, 0);
      reader.offset = keyReader.offset;
      return value;
    }
    case TypeOid.interval: {
      const signs = reader.byte();
      if (signs > 7) throw reader.corrupt('bad interval sign flags');
      const months = signedField(reader, signs & 1, 0x7fffffff);
      const days = signedField(reader, signs & 2, 0x7fffffff);
      return { months, days, microseconds: signedField(reader, signs & 4, Number.MAX_SAFE_INTEGER) };
    }
  }
  const elementType = arrayElementType(type);
  if (elementType === undefined) throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `cannot read values of the type with OID ${type.oid}`);
  const zigzag = reader.uvarint();
  if (zigzag > 0xffffffff) throw reader.corrupt('array lower bound out of range');
  const lowerBound = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  const count = reader.uvarint();
  if (count > end - reader.offset) throw reader.corrupt(`an array of ${count} elements in ${end - reader.offset} bytes`);
  const elements: Datum[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const kind = reader.byte();
    if (kind > Kind.NegativeInfinity) throw reader.corrupt(`bad array element kind ${kind}`);
    elements[i] = kind === Kind.Null ? null : readValue(reader, elementType, kind);
  }
  return { elements, lowerBound };
}

function signedField(reader: RowReader, negative: number, max: number): number {
  const magnitude = reader.uvarint();
  if (magnitude > max || (negative !== 0 && magnitude === 0)) throw reader.corrupt('interval field out of range');
  return negative !== 0 ? -magnitude : magnitude;
}

/** Where each column id sits in a columns array, built once per array (arrays are treated as immutable). */
type ColumnIndex = Int32Array | Map<number, number>;
const columnIndexes = new WeakMap<readonly RowColumn[], ColumnIndex>();
const DENSE_ID_MAX = 4096;

function columnIndexOf(columns: readonly RowColumn[]): ColumnIndex {
  let index = columnIndexes.get(columns);
  if (index !== undefined) return index;
  let idMax = -1;
  for (const column of columns) idMax = Math.max(idMax, column.id);
  const dense = idMax < DENSE_ID_MAX ? new Int32Array(idMax + 1).fill(-1) : undefined;
  const sparse = dense === undefined ? new Map<number, number>() : undefined;
  columns.forEach((column, i) => {
    if ((dense !== undefined ? dense[column.id] !== -1 : sparse!.has(column.id)) || !Number.isInteger(column.id) || column.id < 0) {
      throw new ReefSqlError(SqlState.INTERNAL_ERROR, `column id ${column.id} is repeated or invalid`);
    }
    if (dense !== undefined) dense[column.id] = i;
    else sparse!.set(column.id, i);
  });
  index = dense ?? sparse!;
  columnIndexes.set(columns, index);
  return index;
}

/**
 * The values of `columns` in a stored row, in the order of `columns`: undefined for a column the row does
 * not hold (added after the row was written: the caller applies NULL or the default). Values of columns
 * not in `columns` (dropped ones) are skipped.
 */
export function decodeRow(columns: readonly RowColumn[], bytes: Uint8Array): (Datum | undefined)[] {
  const index = columnIndexOf(columns);
  const values: (Datum | undefined)[] = new Array(columns.length).fill(undefined);
  const reader = new RowReader(bytes);
  const format = reader.byte();
  if (format !== ROW_FORMAT) throw reader.corrupt(`unknown format ${format}`);
  const count = reader.uvarint();
  if (count > bytes.length) throw reader.corrupt(`${count} values in ${bytes.length} bytes`);
  for (let n = 0; n < count; n++) {
    const header = reader.uvarint();
    const kind = header % 16;
    const id = (header - kind) / 16;
    if (id > COLUMN_ID_MAX) throw reader.corrupt(`column id ${id} out of range`);
    const i = index instanceof Int32Array ? (id < index.length ? index[id]! : -1) : (index.get(id) ?? -1);
    if (i < 0) {
      reader.skip(kind);
      continue;
    }
    if (values[i] !== undefined) throw reader.corrupt(`column id ${id} appears twice`);
    if (kind > Kind.NegativeInfinity) throw reader.corrupt(`unknown value kind ${kind}`);
    values[i] = kind === Kind.Null ? null : readValue(reader, columns[i]!.type, kind);
  }
  if (reader.offset !== bytes.length) throw reader.corrupt(`${bytes.length - reader.offset} bytes after the last value`);
  return values;
}
