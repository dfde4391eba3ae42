// Text input and output of every SQL type ReefDB supports, exactly as PostgreSQL 15 does it (the text
// format of the wire protocol and of psql): parseText turns a type's text into its datum (datum.ts),
// formatText turns a datum back into text, and typeName spells a type the way format_type does.
//
// The session settings these follow are PostgreSQL's defaults, the only ones ReefDB has: DateStyle
// 'ISO, MDY', IntervalStyle 'postgres', extra_float_digits 1, bytea_output 'hex',
// standard_conforming_strings on. TimeZone is an option (TextIoOptions.timeZone, 'UTC' by default), as
// is the clock that 'now', 'today', 'tomorrow' and 'yesterday' read (TextIoOptions.now).
//
// Input text never contains NUL (22021, as PostgreSQL's encoding check refuses it before any input
// function runs). NULL is not text: callers handle SQL NULL before calling, and formatText refuses null, except for
// jsonb, where datum.ts makes JSON's null the JavaScript null too (so parseText(jsonb, 'null') is null
// and prints as 'null'; an array element of null is always taken as SQL NULL). Each family lives in
// its own file: boolean-io, integer-io, float-io,
// numeric-io, text-io, bytea-io, date-io, time-io, timestamp-io, interval-io, uuid-io, json-io,
// array-io, with the date/time lexer and decoders shared in datetime-io.

import type { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { formatArray, parseArray } from './array-io.js';
import { formatBoolean, parseBoolean } from './boolean-io.js';
import { formatBytea, parseBytea } from './bytea-io.js';
import { arrayElementType } from './compare.js';
import { formatDate, parseDate } from './date-io.js';
import type { DateTimeOptions } from './datetime-io.js';
import { type Datum, type Interval, type JsonValue, type SqlArray, type SqlType, TypeOid } from './datum.js';
import { formatFloat4, formatFloat8, parseFloat4, parseFloat8 } from './float-io.js';
import { formatInteger, parseInt2, parseInt4, parseInt8, parseOid } from './integer-io.js';
import { INTERVAL_FULL_PRECISION, INTERVAL_FULL_RANGE, IntervalField, formatInterval, intervalTypmodPrecision, intervalTypmodRange, parseInterval } from './interval-io.js';
import { formatJson, formatJsonb, parseJsonText, parseJsonb } from './json-io.js';
import { formatNumeric, numericTypmod, parseNumeric } from './numeric-io.js';
import { characterTypmodLength, parseBpchar, parseName, parseVarchar } from './text-io.js';
import { formatTime, parseTime } from './time-io.js';
import { formatTimestamp, formatTimestamptz, parseTimestamp, parseTimestamptz } from './timestamp-io.js';
import { formatUuid, parseUuid } from './uuid-io.js';

/** Session settings and clock for text input and output (see DateTimeOptions). */
export type TextIoOptions = DateTimeOptions;

const NO_OPTIONS: TextIoOptions = {};

function unsupportedType(type: SqlType): ReefSqlError {
  return new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `type with OID ${type.oid} is not supported`);
}

/** The datum of `text` read as `type` (PostgreSQL's input function with the type's typmod). */
export function parseText(type: SqlType, text: string, options: TextIoOptions = NO_OPTIONS): Datum {
  // PostgreSQL's text never holds NUL: its client-encoding check refuses it before any input function.
  if (text.includes('\0')) {
    throw new ReefSqlError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  return parseNonNul(type, text, options);
}

function parseNonNul(type: SqlType, text: string, options: TextIoOptions): Datum {
  switch (type.oid) {
    case TypeOid.bool:
      return parseBoolean(text);
    case TypeOid.int2:
      return parseInt2(text);
    case TypeOid.int4:
      return parseInt4(text);
    case TypeOid.int8:
      return parseInt8(text);
    case TypeOid.oid:
      return parseOid(text);
    case TypeOid.float4:
      return parseFloat4(text);
    case TypeOid.float8:
      return parseFloat8(text);
    case TypeOid.numeric:
      return parseNumeric(text, type.typmod);
    case TypeOid.text:
    case TypeOid.unknown:
      return text;
    case TypeOid.varchar:
      return parseVarchar(text, type.typmod);
    case TypeOid.bpchar:
      return parseBpchar(text, type.typmod);
    case TypeOid.name:
      return parseName(text);
    case TypeOid.bytea:
      return parseBytea(text);
    case TypeOid.date:
      return parseDate(text, options);
    case TypeOid.time:
      return parseTime(text, type.typmod, options);
    case TypeOid.timestamp:
      return parseTimestamp(text, type.typmod, options);
    case TypeOid.timestamptz:
      return parseTimestamptz(text, type.typmod, options);
    case TypeOid.interval:
      return parseInterval(text, type.typmod);
    case TypeOid.uuid:
      return parseUuid(text);
    case TypeOid.json:
      return parseJsonText(text);
    case TypeOid.jsonb:
      return parseJsonb(text);
    default: {
      const elementType = arrayElementType(type);
      if (elementType === undefined) throw unsupportedType(type);
      return parseArray(text, (elementText) => parseNonNul(elementType, elementText, options));
    }
  }
}

/** The text of the non-NULL datum `value` of `type` (PostgreSQL's output function). */
export function formatText(type: SqlType, value: Datum, options: TextIoOptions = NO_OPTIONS): string {
  if (value === null && type.oid !== TypeOid.jsonb) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, 'formatText: NULL has no text form');
  }
  switch (type.oid) {
    case TypeOid.bool:
      return formatBoolean(value as boolean);
    case TypeOid.int2:
    case TypeOid.int4:
    case TypeOid.oid:
      return formatInteger(value as number);
    case TypeOid.int8:
      return formatInteger(value as bigint);
    case TypeOid.float4:
      return formatFloat4(value as number);
    case TypeOid.float8:
      return formatFloat8(value as number);
    case TypeOid.numeric:
      return formatNumeric(value as Decimal, type.typmod);
    case TypeOid.text:
    case TypeOid.unknown:
    case TypeOid.varchar:
    case TypeOid.bpchar:
    case TypeOid.name:
      return value as string;
    case TypeOid.bytea:
      return formatBytea(value as Uint8Array);
    case TypeOid.date:
      return formatDate(value as number);
    case TypeOid.time:
      return formatTime(value as number);
    case TypeOid.timestamp:
      return formatTimestamp(value as number);
    case TypeOid.timestamptz:
      return formatTimestamptz(value as number, options);
    case TypeOid.interval:
      return formatInterval(value as Interval);
    case TypeOid.uuid:
      return formatUuid(value as string);
    case TypeOid.json:
      return formatJson(value as string);
    case TypeOid.jsonb:
      return formatJsonb(value as JsonValue);
    default: {
      const elementType = arrayElementType(type);
      if (elementType === undefined) throw unsupportedType(type);
      return formatArray(value as SqlArray, (element) => formatText(elementType, element, options));
    }
  }
}

/** PostgreSQL's names of the scalar types (format_type without a typmod). */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [TypeOid.bool, 'boolean'],
  [TypeOid.bytea, 'bytea'],
  [TypeOid.name, 'name'],
  [TypeOid.int8, 'bigint'],
  [TypeOid.int2, 'smallint'],
  [TypeOid.int4, 'integer'],
  [TypeOid.text, 'text'],
  [TypeOid.oid, 'oid'],
  [TypeOid.json, 'json'],
  [TypeOid.float4, 'real'],
  [TypeOid.float8, 'double precision'],
  [TypeOid.unknown, 'unknown'],
  [TypeOid.bpchar, 'character'],
  [TypeOid.varchar, 'character varying'],
  [TypeOid.date, 'date'],
  [TypeOid.time, 'time without time zone'],
  [TypeOid.timestamp, 'timestamp without time zone'],
  [TypeOid.timestamptz, 'timestamp with time zone'],
  [TypeOid.interval, 'interval'],
  [TypeOid.numeric, 'numeric'],
  [TypeOid.uuid, 'uuid'],
  [TypeOid.jsonb, 'jsonb'],
]);

/** intervaltypmodout: ' year to month', '(3)', ' day to second(3)', ... */
function intervalTypmodText(typmod: number): string {
  const range = intervalTypmodRange(typmod);
  const precision = intervalTypmodPrecision(typmod);
  const { year, month, day, hour, minute, second } = IntervalField;
  const fields: ReadonlyMap<number, string> = new Map([
    [year, ' year'],
    [month, ' month'],
    [day, ' day'],
    [hour, ' hour'],
    [minute, ' minute'],
    [second, ' second'],
    [year | month, ' year to month'],
    [day | hour, ' day to hour'],
    [day | hour | minute, ' day to minute'],
    [day | hour | minute | second, ' day to second'],
    [hour | minute, ' hour to minute'],
    [hour | minute | second, ' hour to second'],
    [minute | second, ' minute to second'],
    [INTERVAL_FULL_RANGE, ''],
  ]);
  const fieldText = fields.get(range) ?? '';
  return precision === INTERVAL_FULL_PRECISION ? fieldText : `${fieldText}(${precision})`;
}

/**
 * PostgreSQL's format_type(oid, typmod): 'integer', 'character varying(10)', 'numeric(10,2)',
 * 'timestamp(3) with time zone', 'interval year to month', 'integer[]'; '???' for an unknown OID.
 */
export function typeName(type: SqlType): string {
  const elementType = arrayElementType(type);
  if (elementType !== undefined) return `${typeName(elementType)}[]`;
  const { oid, typmod } = type;
  switch (oid) {
    case TypeOid.bpchar: {
      const length = characterTypmodLength(typmod);
      return length === undefined ? 'bpchar' : `character(${length})`;
    }
    case TypeOid.varchar: {
      const length = characterTypmodLength(typmod);
      return length === undefined ? 'character varying' : `character varying(${length})`;
    }
    case TypeOid.numeric: {
      const declared = numericTypmod(typmod);
      return declared === undefined ? 'numeric' : `numeric(${declared.precision},${declared.scale})`;
    }
    case TypeOid.time:
      return typmod >= 0 ? `time(${typmod}) without time zone` : 'time without time zone';
    case TypeOid.timestamp:
      return typmod >= 0 ? `timestamp(${typmod}) without time zone` : 'timestamp without time zone';
    case TypeOid.timestamptz:
      return typmod >= 0 ? `timestamp(${typmod}) with time zone` : 'timestamp with time zone';
    case TypeOid.interval:
      return typmod >= 0 ? `interval${intervalTypmodText(typmod)}` : 'interval';
    default:
      return TYPE_NAMES.get(oid) ?? '???';
  }
}
