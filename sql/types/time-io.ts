// Text input and output of time (without time zone), as PostgreSQL 15's time_in (ParseDateTime +
// DecodeTimeOnly) and time_out.
//
// Input is a time of day: 'hh:mm', 'hh:mm:ss[.ffffff]', 'hhmmss', 'hhmm', with 'am'/'pm', optionally
// after 'T' or a date, optionally followed by a zone, which is checked and ignored; 'now' (the session
// TimeZone's time of day) and 'allballs' (00:00:00). Times up to 24:00:00 inclusive are accepted, and
// a leap second 23:59:60 rolls into the next minute (13:05:60 is 13:06:00); more is 22008. A named zone
// that ever changed its offset needs a full date to be resolved, so '12:00 Europe/Paris' is 22007 as in
// PostgreSQL. Typmod (precision 0-6) rounds the fraction half away from zero.
//
// The value is microseconds since midnight, 0 to 86 400 000 000 (datum.ts). Output is 'hh:mm:ss' and
// the fraction without trailing zeros ('13:05:00.5').

import { ReefSqlError, SqlState } from '../errors.js';
import {
  DATE_MASK, type DateTimeField, type DateTimeFields, type DateTimeOptions, FieldKind, MICROSECONDS_PER_DAY,
  MICROSECONDS_PER_HOUR, MICROSECONDS_PER_MINUTE, MICROSECONDS_PER_SECOND, Mask, TIME_MASK, type TimeZone,
  type UnitWord, badFormat,
  currentTimestamp, decodeTime, decodeTimezone, emptyFields, fieldOverflow, findTimeZone, formatTimeOfDay,
  localFields, lookupKeyword, sessionTimeZone, timeOverflows, tokenizeDateTime, withParseErrors
} from './datetime-io.js';
import {
  type NumberContext, decodeDate, decodeNumber, decodeNumberField, decodePrefixedNumber, lookupZoneAbbreviation,
  validateDate, zoneNotRecognized
} from './date-io.js';
import { roundToPrecision } from './timestamp-io.js';

/** The work buffer of time_in: MAXDATELEN + 1. */
const TIME_BUFFER_BYTES = 129;

const fixedZones = new WeakMap<TimeZone, boolean>();

/**
 * Whether `zone` has had one offset for all time (pg_get_timezone_offset succeeds): UTC and the Etc/
 * zones, but not a zone with any history, not even local mean time before its first standard time.
 */
function hasFixedOffset(zone: TimeZone): boolean {
  let fixed = fixedZones.get(zone);
  if (fixed === undefined) {
    // Samples from 1800 to 2040, in January and July.
    const samples = [-6311390400, -3155673600, -1577923200, -315619200, 0, 15638400, 757382400, 773020800, 1262304000];
    const first = zone.offsetAt(samples[0]!);
    fixed = samples.every((seconds) => zone.offsetAt(seconds) === first);
    fixedZones.set(zone, fixed);
  }
  return fixed;
}

/** DecodeTimeOnly: the fields of a time input (the zone is decoded, checked and dropped). */
function decodeTimeOnly(tokens: readonly DateTimeField[], options: DateTimeOptions): DateTimeFields {
  const fields = emptyFields();
  const context: NumberContext = { twoDigitYear: false };
  let fieldMask = 0;
  let prefix: UnitWord | 'isotime' | undefined;
  let isJulian = false;
  let bc = false;
  let meridian: 'am' | 'pm' | undefined;
  let namedZone: TimeZone | undefined;
  let hasDynamicZone = false;
  const count = tokens.length;
  for (let index = 0; index < count; index++) {
    const { text, kind } = tokens[index]!;
    let mask = 0;
    switch (kind) {
      case FieldKind.Date:
        // A date only in the first field, and only with a time or another date after it.
        if (index === 0 && count >= 2 && (tokens[count - 1]!.kind === FieldKind.Date || tokens[1]!.kind === FieldKind.Time)) {
          mask = decodeDate(text, fieldMask, fields, context);
        } else if (/^[0-9]/.test(text)) {
          if ((fieldMask & TIME_MASK) === TIME_MASK) throw badFormat();
          const dash = text.indexOf('-');
          if (dash < 0) throw badFormat();
          decodeTimezone(text.slice(dash));
          mask = decodeNumberField(text.slice(0, dash), fieldMask | DATE_MASK, fields, context).mask | Mask.tz;
        } else {
          namedZone = findTimeZone(text);
          if (namedZone === undefined) throw zoneNotRecognized(text);
          mask = Mask.tz;
        }
        break;
      case FieldKind.Time:
        mask = decodeTime(text, fields);
        break;
      case FieldKind.Tz:
        decodeTimezone(text);
        mask = Mask.tz;
        break;
      case FieldKind.Number:
        if (prefix !== undefined) {
          mask = decodePrefixedNumber(text, prefix, fieldMask, fields, context);
          if (prefix === 'julian') isJulian = true;
          prefix = undefined;
        } else {
          const point = text.indexOf('.');
          if (point >= 0) {
            if (index === 0 && count >= 2 && tokens[count - 1]!.kind === FieldKind.Date) {
              mask = decodeDate(text, fieldMask, fields, context);
            } else if (point > 2) {
              mask = decodeNumberField(text, fieldMask | DATE_MASK, fields, context).mask;
            } else {
              throw badFormat();
            }
          } else if (text.length > 4) {
            mask = decodeNumberField(text, fieldMask | DATE_MASK, fields, context).mask;
          } else {
            mask = decodeNumber(text, false, fieldMask | DATE_MASK, fields, context);
          }
        }
        break;
      case FieldKind.String:
      case FieldKind.Special: {
        const abbreviation = lookupZoneAbbreviation(text);
        if (abbreviation !== undefined) {
          if (abbreviation.type === 'dynamic') {
            // Resolved on the date given, or on today's: no full date is needed.
            hasDynamicZone = true;
            mask = Mask.dynamicTz | Mask.tz;
          } else {
            mask = abbreviation.daylight ? Mask.dtz | Mask.tz : Mask.tz;
          }
          break;
        }
        const keyword = lookupKeyword(text);
        if (keyword === undefined) {
          namedZone = findTimeZone(text);
          if (namedZone === undefined) throw badFormat();
          mask = Mask.tz;
          break;
        }
        switch (keyword.type) {
          case 'ignore':
            continue;
          case 'reserved':
            if (keyword.word === 'now') {
              mask = TIME_MASK;
              const now = localFields(currentTimestamp(options), sessionTimeZone(options)).fields;
              fields.hour = now.hour;
              fields.minute = now.minute;
              fields.second = now.second;
              fields.microsecond = now.microsecond;
            } else if (keyword.word === 'allballs') {
              mask = TIME_MASK | Mask.tz;
              fields.hour = 0;
              fields.minute = 0;
              fields.second = 0;
            } else {
              throw badFormat();
            }
            break;
          case 'dtzModifier':
            mask = Mask.dtzModifier | Mask.dtz;
            break;
          case 'ampm':
            mask = Mask.ampm;
            meridian = keyword.pm ? 'pm' : 'am';
            break;
          case 'adbc':
            mask = Mask.adbc;
            bc = keyword.bc;
            break;
          case 'units':
            prefix = keyword.unit;
            break;
          case 'isotime': {
            // 'T' must be followed by a time-like field.
            const next = tokens[index + 1];
            if (next === undefined || (next.kind !== FieldKind.Number && next.kind !== FieldKind.Time && next.kind !== FieldKind.Date)) {
              throw badFormat();
            }
            prefix = 'isotime';
            break;
          }
          default:
            throw badFormat();
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
  if (timeOverflows(fields)) throw fieldOverflow();
  if ((fieldMask & TIME_MASK) !== TIME_MASK) throw badFormat();
  if (namedZone !== undefined) {
    if (fieldMask & Mask.dtzModifier) throw badFormat();
    // A zone with a history needs the date to pick its offset.
    if (!hasFixedOffset(namedZone) && (fieldMask & DATE_MASK) !== DATE_MASK) throw badFormat();
  }
  if (hasDynamicZone || (fieldMask & Mask.tz) === 0) {
    if (fieldMask & Mask.dtzModifier) throw badFormat();
    if ((fieldMask & DATE_MASK) !== 0 && (fieldMask & DATE_MASK) !== DATE_MASK) throw badFormat();
    if (!hasDynamicZone) sessionTimeZone(options);
  }
  return fields;
}

export function parseTime(text: string, typmod: number, options: DateTimeOptions): number {
  const fields = withParseErrors(text, 'time', () => decodeTimeOnly(tokenizeDateTime(text, TIME_BUFFER_BYTES), options));
  const value = ((fields.hour * 60 + fields.minute) * 60 + fields.second) * MICROSECONDS_PER_SECOND + fields.microsecond;
  return roundToPrecision(value, typmod);
}

export function formatTime(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0 || value > MICROSECONDS_PER_DAY) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not a time datum: ${value}`);
  }
  const hour = Math.floor(value / MICROSECONDS_PER_HOUR);
  let rest = value - hour * MICROSECONDS_PER_HOUR;
  const minute = Math.floor(rest / MICROSECONDS_PER_MINUTE);
  rest -= minute * MICROSECONDS_PER_MINUTE;
  const second = Math.floor(rest / MICROSECONDS_PER_SECOND);
  return formatTimeOfDay(hour, minute, second, rest - second * MICROSECONDS_PER_SECOND);
}
