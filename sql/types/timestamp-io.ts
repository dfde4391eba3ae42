// Text input and output of timestamp and timestamp with time zone, as PostgreSQL 15's timestamp_in /
// timestamptz_in (ParseDateTime + DecodeDateTime) and timestamp_out / timestamptz_out with DateStyle
// 'ISO, MDY'; decodeDateTime also serves date_in (date-io.ts).
//
// Input is a date (ISO '2024-01-05', '01/05/2024' month first, 'Jan 5 2024', '5 jan 2024',
// '20240105', '2024-005' day of year, 'J2451545' Julian day, with 'BC'/'AD'), optionally a time
// ('13:05', '13:05:00.5', '1:05 pm', or after a 'T'), and optionally a zone: '+02', '-05:30', 'Z',
// an abbreviation ('UTC', 'PST', 'CEST') or an IANA name ('Europe/Paris'); or one of 'epoch',
// 'infinity', '-infinity', 'now', 'today', 'tomorrow', 'yesterday'. The fields are decoded one by one,
// each given meaning by the ones before it, exactly as DecodeDateTime does (see datetime-io.ts for the
// pieces); a repeated kind of field is 22007.
//
// timestamp ignores any zone given; timestamptz converts from it, or from the session TimeZone when
// none is given (a local time in a DST gap takes the offset before the change, one in an overlap the
// offset after it). The values are microseconds since 2000-01-01 00:00 (UTC for timestamptz), exact
// only while below 2^53 in magnitude (datum.ts), so years 1715 to 2285: outside that, and outside
// PostgreSQL's own range, input is 22008 'timestamp out of range: "…"'. Typmod (precision 0-6) rounds
// the fraction half away from zero.
//
// Output: 'yyyy-mm-dd hh:mm:ss[.ffffff]' with trailing zeros of the fraction dropped; timestamptz
// adds the session zone's offset at that instant, '+hh', '+hh:mm' or '+hh:mm:ss' ('+00' for UTC);
// 'infinity' and '-infinity' as such.

import { ReefSqlError, SqlState } from '../errors.js';
import {
  ALL_SECONDS_MASK,
  DATE_MASK,
  type DateTimeField,
  type DateTimeFields,
  type DateTimeOptions,
  FieldKind,
  MICROSECONDS_PER_DAY,
  MICROSECONDS_PER_HOUR,
  MICROSECONDS_PER_MINUTE,
  MICROSECONDS_PER_SECOND,
  Mask,
  type NumberContext,
  POSTGRES_EPOCH_JULIAN_DAY,
  SECONDS_PER_DAY,
  TIME_MASK,
  type TimeZone,
  type UnitWord,
  badFormat,
  civilFromDays,
  currentTimestamp,
  daysFromCivil,
  decodeDate,
  decodeNumber,
  decodeNumberField,
  decodeTime,
  decodeTimezone,
  emptyFields,
  fieldOverflow,
  fieldsFromMicroseconds,
  findTimeZone,
  formatDateParts,
  formatOffset,
  formatTimeOfDay,
  localFields,
  localOffset,
  lookupKeyword,
  lookupZoneAbbreviation,
  parseFractionalSecond,
  sessionTimeZone,
  strtoint,
  timeOverflows,
  tokenizeDateTime,
  validateDate,
  withParseErrors,
} from './datetime-io.js';

/** The work buffer of timestamp_in: MAXDATELEN + MAXDATEFIELDS. */
const TIMESTAMP_BUFFER_BYTES = 153;

export type DecodedKind = 'date' | 'epoch' | 'infinity' | '-infinity';

export interface DecodedDateTime {
  readonly kind: DecodedKind;
  readonly fields: DateTimeFields;
  /** The zone's offset east of UTC in seconds (given, or the session zone's); for kind 'date'. */
  readonly offsetSeconds: number;
}

export function zoneNotRecognized(name: string): ReefSqlError {
  return new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${name}" not recognized`);
}

/** Seconds since 2000-01-01 00:00 of the local date and time in `fields` (fraction aside). */
export function localSecondsOf(fields: DateTimeFields): number {
  return daysFromCivil(fields.year, fields.month, fields.day) * SECONDS_PER_DAY + (fields.hour * 60 + fields.minute) * 60 + fields.second;
}

/** Sets the date fields from a Julian day number (j2date). */
export function setJulianDay(fields: DateTimeFields, julianDay: number): void {
  const date = civilFromDays(julianDay - POSTGRES_EPOCH_JULIAN_DAY);
  fields.year = date.year;
  fields.month = date.month;
  fields.day = date.day;
}

/** The zone an abbreviation follows; 22023 when Intl does not know it. */
function abbreviationZone(zoneName: string): TimeZone {
  const zone = findTimeZone(zoneName);
  if (zone === undefined) throw zoneNotRecognized(zoneName.toLowerCase());
  return zone;
}

/**
 * DecodeDateTime: the fields of a date/timestamp input. `needOffset` says whether the caller uses the
 * zone offset (timestamptz); without it the offset is not worked out, but zones are still checked.
 */
export function decodeDateTime(tokens: readonly DateTimeField[], options: DateTimeOptions, needOffset: boolean): DecodedDateTime {
  const fields = emptyFields();
  const context: NumberContext = { twoDigitYear: false };
  let fieldMask = 0;
  let prefix: UnitWord | 'isotime' | undefined;
  let kind: DecodedKind = 'date';
  let haveTextMonth = false;
  let isJulian = false;
  let bc = false;
  let meridian: 'am' | 'pm' | undefined;
  let namedZone: TimeZone | undefined;
  let offsetSeconds = 0;
  for (let index = 0; index < tokens.length; index++) {
    const { text, kind: fieldKind } = tokens[index]!;
    let mask = 0;
    switch (fieldKind) {
      case FieldKind.Date:
        if (prefix === 'julian') {
          // A Julian day with a zone stuck to it: 'J2451545-08'.
          const parsed = strtoint(text, 0);
          if (parsed.overflow || parsed.value < 0) throw fieldOverflow();
          setJulianDay(fields, parsed.value);
          isJulian = true;
          offsetSeconds = decodeTimezone(text.slice(parsed.end));
          mask = DATE_MASK | TIME_MASK | Mask.tz;
          prefix = undefined;
        } else if (prefix !== undefined || (fieldMask & (Mask.month | Mask.day)) === (Mask.month | Mask.day)) {
          // With the date already known: a zone name, or a run-together time with a zone (hhmmss-zz).
          if (/^[0-9]/.test(text) || prefix !== undefined) {
            if (prefix !== undefined) {
              if (prefix !== 'isotime') throw badFormat();
              prefix = undefined;
            }
            if ((fieldMask & TIME_MASK) === TIME_MASK) throw badFormat();
            const dash = text.indexOf('-');
            if (dash < 0) throw badFormat();
            offsetSeconds = decodeTimezone(text.slice(dash));
            mask = decodeNumberField(text.slice(0, dash), fieldMask, fields, context).mask | Mask.tz;
          } else {
            namedZone = findTimeZone(text);
            if (namedZone === undefined) throw zoneNotRecognized(text);
            mask = Mask.tz;
          }
        } else {
          mask = decodeDate(text, fieldMask, fields, context);
        }
        break;
      case FieldKind.Time:
        if (prefix !== undefined) {
          if (prefix !== 'isotime') throw badFormat();
          prefix = undefined;
        }
        mask = decodeTime(text, fields);
        if (timeOverflows(fields)) throw fieldOverflow();
        break;
      case FieldKind.Tz:
        offsetSeconds = decodeTimezone(text);
        mask = Mask.tz;
        break;
      case FieldKind.Number:
        if (prefix !== undefined) {
          mask = decodePrefixedNumber(text, prefix, fieldMask, fields, context);
          if (prefix === 'julian') isJulian = true;
          prefix = undefined;
          kind = 'date';
        } else {
          const point = text.indexOf('.');
          if (point >= 0 && (fieldMask & DATE_MASK) === 0) {
            mask = decodeDate(text, fieldMask, fields, context);
          } else if (point > 2) {
            mask = decodeNumberField(text, fieldMask, fields, context).mask;
          } else if (point < 0 && text.length >= 6 && ((fieldMask & DATE_MASK) === 0 || (fieldMask & TIME_MASK) === 0)) {
            // Six or more digits: yyyymmdd or hhmmss, unless both date and time are known already.
            mask = decodeNumberField(text, fieldMask, fields, context).mask;
          } else {
            mask = decodeNumber(text, haveTextMonth, fieldMask, fields, context);
          }
        }
        break;
      case FieldKind.String:
      case FieldKind.Special: {
        // Zone abbreviations come before the keywords.
        const abbreviation = lookupZoneAbbreviation(text);
        if (abbreviation !== undefined) {
          if (abbreviation.type === 'dynamic') {
            namedZone = abbreviationZone(abbreviation.zoneName);
            mask = Mask.dynamicTz | Mask.tz;
          } else {
            offsetSeconds = abbreviation.offsetSeconds;
            mask = abbreviation.daylight ? Mask.dtz | Mask.tz : Mask.tz;
          }
          break;
        }
        const keyword = lookupKeyword(text);
        if (keyword === undefined) {
          // A zone name without punctuation ('japan').
          namedZone = findTimeZone(text);
          if (namedZone === undefined) throw badFormat();
          mask = Mask.tz;
          break;
        }
        switch (keyword.type) {
          case 'ignore':
            continue;
          case 'reserved':
            mask = Mask.reserved;
            switch (keyword.word) {
              case 'now': {
                mask = DATE_MASK | TIME_MASK | Mask.tz;
                kind = 'date';
                const zone = sessionTimeZone(options);
                const now = localFields(currentTimestamp(options), zone);
                Object.assign(fields, now.fields);
                offsetSeconds = now.offsetSeconds;
                break;
              }
              case 'today':
              case 'tomorrow':
              case 'yesterday': {
                mask = DATE_MASK;
                kind = 'date';
                const today = localFields(currentTimestamp(options), sessionTimeZone(options)).fields;
                const shift = keyword.word === 'today' ? 0 : keyword.word === 'tomorrow' ? 1 : -1;
                const date = civilFromDays(daysFromCivil(today.year, today.month, today.day) + shift);
                fields.year = date.year;
                fields.month = date.month;
                fields.day = date.day;
                break;
              }
              case 'allballs':
                mask = TIME_MASK | Mask.tz;
                kind = 'date';
                fields.hour = 0;
                fields.minute = 0;
                fields.second = 0;
                offsetSeconds = 0;
                break;
              case 'epoch':
              case 'infinity':
              case '-infinity':
                kind = keyword.word;
                break;
            }
            break;
          case 'month':
            mask = Mask.month;
            // A number taken for the month before a month name was the day: '5 jan 2024'.
            if ((fieldMask & Mask.month) !== 0 && !haveTextMonth && (fieldMask & Mask.day) === 0 && fields.month >= 1 && fields.month <= 31) {
              fields.day = fields.month;
              mask = Mask.day;
            }
            haveTextMonth = true;
            fields.month = keyword.month;
            break;
          case 'dtzModifier':
            mask = Mask.dtzModifier | Mask.dtz;
            offsetSeconds += keyword.seconds;
            break;
          case 'ampm':
            mask = Mask.ampm;
            meridian = keyword.pm ? 'pm' : 'am';
            break;
          case 'adbc':
            mask = Mask.adbc;
            bc = keyword.bc;
            break;
          case 'dow':
            mask = Mask.dayOfWeek;
            break;
          case 'units':
            if (prefix !== undefined) throw badFormat();
            prefix = keyword.unit;
            break;
          case 'isotime': {
            // 'T' between date and time: a full date before it and a time-like field after it.
            if ((fieldMask & DATE_MASK) !== DATE_MASK) throw badFormat();
            const next = tokens[index + 1];
            if (next === undefined || (next.kind !== FieldKind.Number && next.kind !== FieldKind.Time && next.kind !== FieldKind.Date)) {
              throw badFormat();
            }
            prefix = 'isotime';
            break;
          }
        }
        break;
      }
      default:
        throw badFormat();
    }
    if (mask & fieldMask) throw badFormat();
    fieldMask |= mask;
  }
  validateDate(fieldMask, isJulian, context.twoDigitYear, bc, fields);
  if (meridian !== undefined && fields.hour > 12) throw fieldOverflow();
  if (meridian === 'am' && fields.hour === 12) fields.hour = 0;
  else if (meridian === 'pm' && fields.hour !== 12) fields.hour += 12;
  if (kind === 'date') {
    if ((fieldMask & DATE_MASK) !== DATE_MASK) throw badFormat();
    if (namedZone !== undefined) {
      if (fieldMask & Mask.dtzModifier) throw badFormat();
      if (needOffset) offsetSeconds = localOffset(namedZone, localSecondsOf(fields));
    }
    if ((fieldMask & Mask.tz) === 0) {
      if (fieldMask & Mask.dtzModifier) throw badFormat();
      const zone = sessionTimeZone(options);
      if (needOffset) offsetSeconds = localOffset(zone, localSecondsOf(fields));
    }
  }
  return { kind, fields, offsetSeconds };
}

/** A number after a unit prefix ('y2024', 'j2451545.5') or after 'T' (hhmmss). */
export function decodePrefixedNumber(text: string, prefix: UnitWord | 'isotime', fieldMask: number, fields: DateTimeFields, context: NumberContext): number {
  const parsed = strtoint(text, 0);
  if (parsed.overflow) throw fieldOverflow();
  const rest = text.slice(parsed.end);
  if (rest[0] === '.') {
    if (prefix !== 'julian' && prefix !== 'isotime' && prefix !== 'second') throw badFormat();
  } else if (rest !== '') {
    throw badFormat();
  }
  const value = parsed.value;
  switch (prefix) {
    case 'year':
      fields.year = value;
      return Mask.year;
    case 'month':
      // After a month and an hour, 'm' means minutes.
      if ((fieldMask & Mask.month) !== 0 && (fieldMask & Mask.hour) !== 0) {
        fields.minute = value;
        return Mask.minute;
      }
      fields.month = value;
      return Mask.month;
    case 'day':
      fields.day = value;
      return Mask.day;
    case 'hour':
      fields.hour = value;
      return Mask.hour;
    case 'minute':
      fields.minute = value;
      return Mask.minute;
    case 'second':
      fields.second = value;
      if (rest[0] === '.') {
        fields.microsecond = parseFractionalSecond(rest);
        return ALL_SECONDS_MASK;
      }
      return Mask.second;
    case 'julian': {
      if (value < 0) throw fieldOverflow();
      setJulianDay(fields, value);
      if (rest[0] !== '.') return DATE_MASK;
      // A fraction of a day.
      if (!/^\.[0-9]*$/.test(rest) || rest === '.') throw badFormat();
      const time = Number(`0${rest}`) * MICROSECONDS_PER_DAY;
      Object.assign(fields, splitTime(time));
      return DATE_MASK | TIME_MASK;
    }
    case 'isotime': {
      const decoded = decodeNumberField(text, fieldMask | DATE_MASK, fields, context);
      if (decoded.mask !== TIME_MASK) throw badFormat();
      return decoded.mask;
    }
    default:
      throw badFormat();
  }
}

/** dt2time: microseconds of a day (a double) as hour, minute, second and microsecond, truncating. */
function splitTime(time: number): Pick<DateTimeFields, 'hour' | 'minute' | 'second' | 'microsecond'> {
  const hour = Math.trunc(time / MICROSECONDS_PER_HOUR);
  time -= hour * MICROSECONDS_PER_HOUR;
  const minute = Math.trunc(time / MICROSECONDS_PER_MINUTE);
  time -= minute * MICROSECONDS_PER_MINUTE;
  const second = Math.trunc(time / MICROSECONDS_PER_SECOND);
  return { hour, minute, second, microsecond: Math.trunc(time - second * MICROSECONDS_PER_SECOND) };
}

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
