// Text input and output of timestamp and timestamp with time zone, as PostgreSQL 15's timestamp_in /
// timestamptz_in (ParseDateTime + DecodeDateTime: the input grammar is described in date-io.ts) and
// timestamp_out / timestamptz_out with DateStyle 'ISO, MDY'.
//
// timestamp ignores any zone given; timestamptz converts from it, or from the session TimeZone when
// none is given. The values are microseconds since 2000-01-01 00:00 (UTC for timestamptz), exact only
// while below 2^53 in magnitude (datum.ts), that is from 1714-07-29 00:12:25.259009 to 2285-06-04
// 23:47:34.740991: outside that (PostgreSQL goes on from 4713 BC to 294276 AD) input is 22008
// 'timestamp out of range: "…"'. Typmod (precision 0-6) rounds the fraction half away from zero.
//
// Output: 'yyyy-mm-dd hh:mm:ss[.ffffff]' with trailing zeros of the fraction dropped; timestamptz
// adds the session zone's offset at that instant, '+hh', '+hh:mm' or '+hh:mm:ss' ('+00' for UTC);
// 'infinity' and '-infinity' as such.

import { ReefSqlError, SqlState } from '../errors.js';
import { decodeDateTime } from './date-io.js';
import {
  type DateTimeOptions, MICROSECONDS_PER_DAY, MICROSECONDS_PER_SECOND, daysFromCivil, fieldsFromMicroseconds,
  formatDateParts, formatOffset, formatTimeOfDay, localFields, sessionTimeZone, tokenizeDateTime,
  withParseErrors
} from './datetime-io.js';

/** The work buffer of timestamp_in: MAXDATELEN + MAXDATEFIELDS. */
const TIMESTAMP_BUFFER_BYTES = 153;

/** Rounds `microseconds` half away from zero to `typmod` fractional digits (0-6); -1 keeps all. */
export function roundToPrecision(microseconds: number, typmod: number): number {
  if (typmod < 0 || typmod >= 6 || !Number.isFinite(microseconds)) return microseconds;
  const scale = 10 ** (6 - typmod);
  const rounded = Math.floor((Math.abs(microseconds) + scale / 2) / scale) * scale;
  return microseconds < 0 ? -rounded : rounded;
}

function timestampOutOfRange(text: string): ReefSqlError {
  return new ReefSqlError(SqlState.DATETIME_FIELD_OVERFLOW, `timestamp out of range: "${text}"`);
}

/** The exact range of datum.ts: |microseconds| < 2^53. */
export function isTimestampInRange(microseconds: number): boolean {
  return Number.isSafeInteger(microseconds);
}

export function parseTimestamp(text: string, typmod: number, options: DateTimeOptions): number {
  return parseTimestampValue(text, typmod, options, false);
}

export function parseTimestamptz(text: string, typmod: number, options: DateTimeOptions): number {
  return parseTimestampValue(text, typmod, options, true);
}

function parseTimestampValue(text: string, typmod: number, options: DateTimeOptions, withZone: boolean): number {
  const typeName = withZone ? 'timestamp with time zone' : 'timestamp';
  const decoded = withParseErrors(text, typeName, () => decodeDateTime(tokenizeDateTime(text, TIMESTAMP_BUFFER_BYTES), options, withZone));
  switch (decoded.kind) {
    case 'infinity':
      return Infinity;
    case '-infinity':
      return -Infinity;
    case 'epoch':
      return roundToPrecision(daysFromCivil(1970, 1, 1) * MICROSECONDS_PER_DAY, typmod);
    case 'date': {
      const { fields } = decoded;
      const days = daysFromCivil(fields.year, fields.month, fields.day);
      // Far outside the representable range the sums below would lose their exactness.
      if (Math.abs(days) > 200_000) throw timestampOutOfRange(text);
      const time = ((fields.hour * 60 + fields.minute) * 60 + fields.second) * MICROSECONDS_PER_SECOND + fields.microsecond;
      const offset = withZone ? decoded.offsetSeconds * MICROSECONDS_PER_SECOND : 0;
      const value = roundToPrecision(days * MICROSECONDS_PER_DAY + time - offset, typmod);
      if (!isTimestampInRange(value)) throw timestampOutOfRange(text);
      return value;
    }
  }
}

function formatSpecial(value: number): string | undefined {
  if (value === Infinity) return 'infinity';
  if (value === -Infinity) return '-infinity';
  if (!isTimestampInRange(value)) throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not a timestamp datum: ${value}`);
  return undefined;
}

export function formatTimestamp(value: number): string {
  const special = formatSpecial(value);
  if (special !== undefined) return special;
  const fields = fieldsFromMicroseconds(value);
  const { date, era } = formatDateParts(fields.year, fields.month, fields.day);
  return `${date} ${formatTimeOfDay(fields.hour, fields.minute, fields.second, fields.microsecond)}${era}`;
}

export function formatTimestamptz(value: number, options: DateTimeOptions): string {
  const special = formatSpecial(value);
  if (special !== undefined) return special;
  const { fields, offsetSeconds } = localFields(value, sessionTimeZone(options));
  const { date, era } = formatDateParts(fields.year, fields.month, fields.day);
  return `${date} ${formatTimeOfDay(fields.hour, fields.minute, fields.second, fields.microsecond)}${formatOffset(offsetSeconds)}${era}`;
}
