// The shared machinery of date/time text input and output, after PostgreSQL 15's datetime.c: the
// lexer that cuts an input string into typed fields (ParseDateTime), the keyword table, the decoders of
// time and zone fields (DecodeTime, DecodeTimezone), the proleptic Gregorian calendar, time zones, the
// errors PostgreSQL reports and the pieces of ISO output. The decoders of whole values build on these:
// date-io.ts (DecodeDateTime, for date, timestamp and timestamptz, with the date field decoders),
// time-io.ts (DecodeTimeOnly) and interval-io.ts (DecodeInterval).
//
// Lexer: fields are separated by whitespace or punctuation other than + - . : / and each gets a kind:
//   Number   digits, maybe with one embedded '.': '2024', '12.5', '20240105'
//   Date     digits/letters with a repeated '-', '/' or '.' delimiter ('2024-01-05', '1/5/24',
//            'jan-05-2024'), or a word followed by punctuation that is not a keyword: a time zone name
//            such as 'europe/paris' (letters are lower-cased)
//   Time     digits with ':' ('13:05:00.5')
//   Tz       a sign and digits ('+02', '-05:30')
//   String   a word ('jan', 'today', 'pst', 't')
//   Special  a sign and a word ('-infinity')
// PostgreSQL's fixed-size work buffer limits an input to about 128 characters of fields (the exact
// figure depends on the type) and to 25 fields; longer input is 22007 as there.
//
// Decoding failures are DecodeError values inside this module family, turned into PostgreSQL's error
// for the whole input string by dateTimeParseError:
//   bad format           22007 invalid input syntax for type date: "…"
//   field overflow       22008 date/time field value out of range: "…"
//   month/day overflow   the same, with the hint 'Perhaps you need a different "datestyle" setting.'
//   interval overflow    22015 interval field value out of range: "…"
//   zone displacement    22009 time zone displacement out of range: "…"
//
// Time zones are IANA names through Intl.DateTimeFormat (see that section).

import { ReefSqlError, SqlState } from '../errors.js';
import { isCAlpha, isCDigit, isCSpace } from './text-io.js';

/** Settings and clock for date/time input and output. */
export interface DateTimeOptions {
  /**
   * The session's TimeZone: an IANA zone name (any case) or a POSIX TZ string such as 'UTC+3' (three
   * hours behind UTC, as in PostgreSQL). Default 'UTC'.
   */
  readonly timeZone?: string | undefined;
  /**
   * The current transaction's start as a timestamptz datum (microseconds since 2000-01-01 UTC), for
   * 'now', 'today', 'tomorrow' and 'yesterday'. Default: the wall clock at the call.
   */
  readonly now?: number | undefined;
}

export const MICROSECONDS_PER_SECOND = 1_000_000;
export const MICROSECONDS_PER_MINUTE = 60_000_000;
export const MICROSECONDS_PER_HOUR = 3_600_000_000;
export const MICROSECONDS_PER_DAY = 86_400_000_000;
export const SECONDS_PER_DAY = 86_400;
/** Julian day number of 2000-01-01, PostgreSQL's epoch. */
export const POSTGRES_EPOCH_JULIAN_DAY = 2_451_545;
/** Days from 1970-01-01 (the Unix epoch) to 2000-01-01. */
export const UNIX_EPOCH_DAYS = -10_957;

// ---------------------------------------------------------------------------------------------------
// Calendar

/** Days since 2000-01-01 of a proleptic Gregorian date (year 0 is 1 BC); fields may be out of range. */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Count from March so that the leap day is the last day of the (shifted) year.
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const monthFromMarch = (month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 730_425;
}

/** The proleptic Gregorian date `days` days after 2000-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const shifted = days + 730_425;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
}

// ---------------------------------------------------------------------------------------------------
// Errors

export type DecodeErrorKind = 'bad-format' | 'field-overflow' | 'md-field-overflow' | 'interval-overflow' | 'tzdisp-overflow';

/** A decoding failure inside the date/time decoders; dateTimeParseError reports it. */
export class DecodeError {
  constructor(readonly kind: DecodeErrorKind) {}
}

export function badFormat(): DecodeError {
  return new DecodeError('bad-format');
}

export function fieldOverflow(): DecodeError {
  return new DecodeError('field-overflow');
}

/** PostgreSQL's DateTimeParseError: the user-visible error for `kind` on input `text` of type `typeName`. */
export function dateTimeParseError(kind: DecodeErrorKind, text: string, typeName: string): ReefSqlError {
  switch (kind) {
    case 'field-overflow':
      return new ReefSqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`);
    case 'md-field-overflow':
      return new ReefSqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date/time field value out of range: "${text}"`, {
        hint: 'Perhaps you need a different "datestyle" setting.',
      });
    case 'interval-overflow':
      return new ReefSqlError(SqlState.INTERVAL_FIELD_OVERFLOW, `interval field value out of range: "${text}"`);
    case 'tzdisp-overflow':
      return new ReefSqlError(SqlState.INVALID_TIME_ZONE_DISPLACEMENT_VALUE, `time zone displacement out of range: "${text}"`);
    case 'bad-format':
      return new ReefSqlError(SqlState.INVALID_DATETIME_FORMAT, `invalid input syntax for type ${typeName}: "${text}"`);
  }
}

/** Runs `decode`, turning a DecodeError into PostgreSQL's error for input `text` of type `typeName`. */
export function withParseErrors<T>(text: string, typeName: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DecodeError) throw dateTimeParseError(error.kind, text, typeName);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Lexer (ParseDateTime)

export const FieldKind = { Number: 0, String: 1, Date: 2, Time: 3, Tz: 4, Special: 5 } as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

export interface DateTimeField {
  readonly text: string;
  readonly kind: FieldKind;
}

/** MAXDATEFIELDS. */
export const FIELDS_MAX = 25;

/** C's ispunct in the C locale. */
function isCPunct(code: number): boolean {
  return (code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126);
}

export function isCAlnum(code: number): boolean {
  return isCDigit(code) || isCAlpha(code);
}

/**
 * Splits `input` into fields as ParseDateTime does. `bufferBytes` is the size of the caller's work
 * buffer in PostgreSQL (date and time: 129, timestamp: 153, interval: 256): every field's characters
 * and a terminator must fit, or the input is bad format.
 */
export function tokenizeDateTime(input: string, bufferBytes: number): DateTimeField[] {
  const fields: DateTimeField[] = [];
  let used = 0;
  let index = 0;
  const codeAt = (at: number): number => input.charCodeAt(at);
  while (index < input.length) {
    const code = codeAt(index);
    if (isCSpace(code)) {
      index++;
      continue;
    }
    if (fields.length >= FIELDS_MAX) throw badFormat();
    let text = '';
    const append = (character: string): void => {
      if (used + 1 >= bufferBytes) throw badFormat();
      used++;
      text += character;
    };
    const take = (): void => append(input[index++]!.toLowerCase());
    let kind: FieldKind;
    if (isCDigit(code)) {
      take();
      while (isCDigit(codeAt(index))) take();
      const next = input[index];
      if (next === ':') {
        kind = FieldKind.Time;
        take();
        while (isCDigit(codeAt(index)) || input[index] === ':' || input[index] === '.') take();
      } else if (next === '-' || next === '/' || next === '.') {
        take();
        if (isCDigit(codeAt(index))) {
          kind = next === '.' ? FieldKind.Number : FieldKind.Date;
          while (isCDigit(codeAt(index))) take();
          // Only a repeated delimiter makes a three-field date.
          if (input[index] === next) {
            kind = FieldKind.Date;
            take();
            while (isCDigit(codeAt(index)) || input[index] === next) take();
          }
        } else {
          // A date with a month name: '05-jan-2024'.
          kind = FieldKind.Date;
          while (isCAlnum(codeAt(index)) || input[index] === next) take();
        }
      } else {
        kind = FieldKind.Number;
      }
    } else if (code === 0x2e) {
      take();
      while (isCDigit(codeAt(index))) take();
      kind = FieldKind.Number;
    } else if (isCAlpha(code)) {
      kind = FieldKind.String;
      take();
      while (isCAlpha(codeAt(index))) take();
      // A date with embedded punctuation, or a zone name such as 'america/new_york' or 'etc/gmt+5';
      // but not a keyword that happens to be followed by a digit or '+' ('j2451545', 't13:00').
      const next = input[index];
      let isDate = next === '-' || next === '/' || next === '.';
      if (!isDate && (next === '+' || isCDigit(codeAt(index)))) isDate = lookupKeyword(text) === undefined;
      if (isDate) {
        kind = FieldKind.Date;
        do take();
        while (index < input.length && (isCAlnum(codeAt(index)) || '+-/_.:'.includes(input[index]!)));
      }
    } else if (code === 0x2b || code === 0x2d) {
      take();
      while (isCSpace(codeAt(index))) index++;
      if (isCDigit(codeAt(index))) {
        kind = FieldKind.Tz;
        take();
        while (isCDigit(codeAt(index)) || input[index] === ':' || input[index] === '.' || input[index] === '-') take();
      } else if (isCAlpha(codeAt(index))) {
        kind = FieldKind.Special;
        take();
        while (isCAlpha(codeAt(index))) take();
      } else {
        throw badFormat();
      }
    } else if (isCPunct(code)) {
      index++;
      continue;
    } else {
      throw badFormat();
    }
    used++;
    fields.push({ text, kind });
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------------
// Keywords (datetktbl)

/** Field type bits of PostgreSQL's datetime.h, as masks: DTK_M(type). */
export const Mask = {
  reserved: 1 << 0, month: 1 << 1, year: 1 << 2, day: 1 << 3, tz: 1 << 5, dtz: 1 << 6, dynamicTz: 1 << 7,
  ampm: 1 << 9, hour: 1 << 10, minute: 1 << 11, second: 1 << 12, millisecond: 1 << 13, microsecond: 1 << 14,
  dayOfYear: 1 << 15, dayOfWeek: 1 << 16, adbc: 1 << 18, week: 1 << 24, decade: 1 << 25, century: 1 << 26,
  millennium: 1 << 27, dtzModifier: 1 << 28,
} as const;

export const DATE_MASK = Mask.year | Mask.month | Mask.day;
export const TIME_MASK = Mask.hour | Mask.minute | Mask.second | Mask.millisecond | Mask.microsecond;
export const ALL_SECONDS_MASK = Mask.second | Mask.millisecond | Mask.microsecond;

export type ReservedWord = 'now' | 'today' | 'tomorrow' | 'yesterday' | 'epoch' | 'infinity' | '-infinity' | 'allballs';
export type UnitWord = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'julian' | 'dow' | 'doy' | 'isodow' | 'isoyear';

export type Keyword =
  | { readonly type: 'reserved'; readonly word: ReservedWord }
  | { readonly type: 'month'; readonly month: number }
  | { readonly type: 'ampm'; readonly pm: boolean }
  | { readonly type: 'adbc'; readonly bc: boolean }
  | { readonly type: 'dow'; readonly dayOfWeek: number }
  | { readonly type: 'units'; readonly unit: UnitWord }
  | { readonly type: 'isotime' }
  | { readonly type: 'ignore' }
  | { readonly type: 'dtzModifier'; readonly seconds: number };

/** PostgreSQL compares keywords on their first TOKMAXLEN (10) characters. */
export const TOKEN_LENGTH_MAX = 10;

const KEYWORDS: ReadonlyMap<string, Keyword> = (() => {
  const table = new Map<string, Keyword>();
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const monthNames = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
  months.forEach((name, index) => table.set(name, { type: 'month', month: index + 1 }));
  monthNames.forEach((name, index) => table.set(name, { type: 'month', month: index + 1 }));
  table.set('sept', { type: 'month', month: 9 });
  const days: [string, number][] = [
    ['sun', 0], ['sunday', 0], ['mon', 1], ['monday', 1], ['tue', 2], ['tues', 2], ['tuesday', 2],
    ['wed', 3], ['wednesday', 3], ['weds', 3], ['thu', 4], ['thur', 4], ['thurs', 4], ['thursday', 4],
    ['fri', 5], ['friday', 5], ['sat', 6], ['saturday', 6],
  ];
  for (const [name, dayOfWeek] of days) table.set(name, { type: 'dow', dayOfWeek });
  for (const word of ['now', 'today', 'tomorrow', 'yesterday', 'epoch', 'infinity', '-infinity', 'allballs'] as const) {
    table.set(word, { type: 'reserved', word });
  }
  const units: [string, UnitWord][] = [
    ['y', 'year'], ['m', 'month'], ['d', 'day'], ['h', 'hour'], ['mm', 'minute'], ['s', 'second'],
    ['j', 'julian'], ['jd', 'julian'], ['julian', 'julian'], ['dow', 'dow'], ['doy', 'doy'],
    ['isodow', 'isodow'], ['isoyear', 'isoyear'],
  ];
  for (const [name, unit] of units) table.set(name, { type: 'units', unit });
  table.set('am', { type: 'ampm', pm: false });
  table.set('pm', { type: 'ampm', pm: true });
  table.set('ad', { type: 'adbc', bc: false });
  table.set('bc', { type: 'adbc', bc: true });
  table.set('at', { type: 'ignore' });
  table.set('on', { type: 'ignore' });
  table.set('t', { type: 'isotime' });
  table.set('dst', { type: 'dtzModifier', seconds: 3600 });
  return table;
})();

export function lookupKeyword(word: string): Keyword | undefined {
  return KEYWORDS.get(word.slice(0, TOKEN_LENGTH_MAX));
}

// ---------------------------------------------------------------------------------------------------
// Field decoders

/** The broken-down value being decoded (PostgreSQL's struct pg_tm plus fsec). */
export interface DateTimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fractional second in microseconds. */
  microsecond: number;
  dayOfYear: number;
}

export function emptyFields(): DateTimeFields {
  return { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, microsecond: 0, dayOfYear: 0 };
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** strtol into an int32: optional whitespace and sign, then digits; end === start when none. */
export function strtoint(text: string, start: number): { value: number; end: number; overflow: boolean } {
  const match = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)/.exec(text.slice(start));
  if (match === null) return { value: 0, end: start, overflow: false };
  const digits = match[2]!.replace(/^0+(?=\d)/, '');
  const magnitude = digits.length > 10 ? Infinity : Number(digits);
  const value = match[1] === '-' ? -magnitude : magnitude;
  const overflow = value > INT32_MAX || value < INT32_MIN;
  return { value: overflow ? 0 : value, end: start + match[0].length, overflow };
}

/** rint: round half to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference > 0.5) return floor + 1;
  if (difference < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** ParseFractionalSecond: '.ddd' or a lone '.' (the whole rest of the field) in microseconds. */
export function parseFractionalSecond(text: string): number {
  if (text === '.') return 0;
  if (!/^\.[0-9]+$/.test(text)) throw badFormat();
  return roundHalfEven(Number(`0${text}`) * MICROSECONDS_PER_SECOND);
}

/** DecodeTime: 'hh:mm', 'hh:mm:ss[.fff]' or 'mm:ss.fff' into the time fields. */
export function decodeTime(text: string, fields: DateTimeFields): number {
  const hour = strtoint(text, 0);
  if (hour.overflow) throw fieldOverflow();
  if (text[hour.end] !== ':') throw badFormat();
  const minute = strtoint(text, hour.end + 1);
  if (minute.overflow) throw fieldOverflow();
  let rest = text.slice(minute.end);
  fields.hour = hour.value;
  fields.minute = minute.value;
  fields.second = 0;
  fields.microsecond = 0;
  if (rest === '') {
    // hh:mm
  } else if (rest[0] === '.') {
    // mm:ss.fff
    fields.microsecond = parseFractionalSecond(rest);
    fields.second = fields.minute;
    fields.minute = fields.hour;
    fields.hour = 0;
  } else if (rest[0] === ':') {
    const second = strtoint(text, minute.end + 1);
    if (second.overflow) throw fieldOverflow();
    fields.second = second.value;
    rest = text.slice(second.end);
    if (rest !== '') {
      if (rest[0] !== '.') throw badFormat();
      fields.microsecond = parseFractionalSecond(rest);
    }
  } else {
    throw badFormat();
  }
  if (fields.hour < 0 || fields.minute < 0 || fields.minute > 59 || fields.second < 0 || fields.second > 60 ||
      fields.microsecond < 0 || fields.microsecond > MICROSECONDS_PER_SECOND) {
    throw fieldOverflow();
  }
  return TIME_MASK;
}

/** time_overflows: the fields must make a time of day from 00:00:00 to 24:00:00 inclusive. */
export function timeOverflows(fields: DateTimeFields): boolean {
  const { hour, minute, second, microsecond } = fields;
  if (hour < 0 || hour > 24 || minute < 0 || minute >= 60 || second < 0 || second > 60 || microsecond < 0 || microsecond > MICROSECONDS_PER_SECOND) {
    return true;
  }
  return ((hour * 60 + minute) * 60 + second) * MICROSECONDS_PER_SECOND + microsecond > MICROSECONDS_PER_DAY;
}

/** DecodeTimezone: '+hh', '+hhmm', '+hh:mm', '+hh:mm:ss' (and '-') into seconds east of UTC. */
export function decodeTimezone(text: string): number {
  const hour = strtoint(text, 1);
  let minute = 0;
  let second = 0;
  let end = hour.end;
  let hours = hour.value;
  if (hour.overflow) hours = Infinity;
  if (text[end] === ':') {
    const parsedMinute = strtoint(text, end + 1);
    minute = parsedMinute.overflow ? Infinity : parsedMinute.value;
    end = parsedMinute.end;
    if (text[end] === ':') {
      const parsedSecond = strtoint(text, end + 1);
      second = parsedSecond.overflow ? Infinity : parsedSecond.value;
      end = parsedSecond.end;
    }
  } else if (end === text.length && text.length > 3) {
    // Run together: +hhmm.
    minute = hours % 100;
    hours = Math.trunc(hours / 100);
  }
  if (hours < 0 || hours > 15 || minute < 0 || minute >= 60 || second < 0 || second >= 60) {
    throw new DecodeError('tzdisp-overflow');
  }
  if (end !== text.length) throw badFormat();
  const offset = (hours * 60 + minute) * 60 + second;
  return text[0] === '-' ? -offset : offset;
}

// ---------------------------------------------------------------------------------------------------
// Time zones
//
// Zone names are IANA names, looked up case-insensitively through Intl.DateTimeFormat, whose ICU data
// may be a slightly different tzdata release than the operating system's that PostgreSQL reads. The
// UTC offset at an instant comes from the local wall-clock fields Intl reports (to the second, so
// local mean time such as Paris's +00:09:21 before 1911 comes out right).

export interface TimeZone {
  readonly name: string;
  /** Seconds east of UTC in effect at `utcSeconds` (seconds since 2000-01-01 00:00 UTC). */
  offsetAt(utcSeconds: number): number;
}

const UTC_ZONE: TimeZone = { name: 'UTC', offsetAt: () => 0 };
const zoneCache = new Map<string, TimeZone | null>();
/** JavaScript Dates reach ±8.64e15 ms from 1970. */
const DATE_SECONDS_MAX = 8.64e12 + UNIX_EPOCH_DAYS * SECONDS_PER_DAY;
const DATE_SECONDS_MIN = -8.64e12 + UNIX_EPOCH_DAYS * SECONDS_PER_DAY;

/** The zone named `name` (any case), or undefined when there is none. */
export function findTimeZone(name: string): TimeZone | undefined {
  const key = name.toLowerCase();
  const cached = zoneCache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let zone: TimeZone | null = posixZone(name) ?? null;
  if (zone !== null) {
    // A POSIX-style fixed offset.
  } else if (key === 'utc' || key === 'etc/utc' || key === 'zulu' || key === 'etc/zulu' || key === 'universal' || key === 'etc/universal' || key === 'uct' || key === 'etc/uct') {
    zone = { name, offsetAt: () => 0 };
  } else if (/^[A-Za-z0-9_+\-/]+$/.test(name)) {
    try {
      zone = intlZone(name);
    } catch {
      zone = null;
    }
  }
  if (zoneCache.size > 1000) zoneCache.clear();
  zoneCache.set(key, zone);
  return zone ?? undefined;
}

/**
 * A POSIX TZ string, which PostgreSQL's pg_tzset accepts when no zone has the name: a standard-time
 * name (any characters but digits, ',', '+' and '-') and its offset WEST of UTC, [+-]h[h..][:mm[:ss]]
 * with hours up to 167 ('UTC+3' is three hours behind UTC, 'x13' thirteen), optionally followed by a
 * daylight-saving name and offset (one hour ahead by default). Without transition rules PostgreSQL
 * takes the default ones (posixrules, a copy of America/New_York); here the zone is in daylight-saving
 * time exactly when New York is at the same standard-time wall clock. Explicit rules (',M3.2.0,...')
 * are not supported.
 */
function posixZone(name: string): TimeZone | undefined {
  let rest = name;
  const readName = (): boolean => {
    const match = /^[^0-9,+-]+/.exec(rest);
    if (match === null) return false;
    rest = rest.slice(match[0].length);
    return true;
  };
  const readWestOffset = (): number | undefined => {
    const match = /^([+-]?)([0-9]+)(?::([0-9]+)(?::([0-9]+))?)?/.exec(rest);
    if (match === null) return undefined;
    const hours = Number(match[2]);
    const minutes = Number(match[3] ?? 0);
    const seconds = Number(match[4] ?? 0);
    if (hours > 167 || minutes > 59 || seconds > 60) return undefined;
    rest = rest.slice(match[0].length);
    // A ':' must be followed by digits.
    if (rest.startsWith(':')) return undefined;
    const west = (hours * 60 + minutes) * 60 + seconds;
    return match[1] === '-' ? -west : west;
  };
  if (!readName()) return undefined;
  const standardWest = readWestOffset();
  if (standardWest === undefined) return undefined;
  if (rest === '') return { name, offsetAt: () => -standardWest };
  if (!readName()) return undefined;
  const daylightWest = rest === '' ? standardWest - 3600 : readWestOffset();
  if (daylightWest === undefined || rest !== '') return undefined;
  const rules = findTimeZone('America/New_York');
  if (rules === undefined) return undefined;
  const newYorkStandard = -18000;
  return {
    name,
    offsetAt: (utcSeconds) => (rules.offsetAt(utcSeconds - standardWest - newYorkStandard) !== newYorkStandard ? -daylightWest : -standardWest),
  };
}

function intlZone(name: string): TimeZone {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  // Offsets by quarter hour, for runs of nearby instants: the first instant asked in a quarter records
  // its offset; the second checks the quarter's two ends (no zone changes twice within 15 minutes) and
  // keeps the offset for the whole quarter when they agree, or marks it 'mixed' (asked every time).
  const quarters = new Map<number, { readonly offset: number; readonly whole: boolean } | 'mixed'>();
  const exactOffsetAt = (utcSeconds: number): number => {
      const clamped = Math.min(Math.max(Math.floor(utcSeconds), DATE_SECONDS_MIN), DATE_SECONDS_MAX);
      const parts = format.formatToParts((clamped - UNIX_EPOCH_DAYS * SECONDS_PER_DAY) * 1000);
      let year = 0;
      let month = 0;
      let day = 0;
      let hour = 0;
      let minute = 0;
      let second = 0;
      let bc = false;
      for (const part of parts) {
        switch (part.type) {
          case 'year': year = Number(part.value); break;
          case 'month': month = Number(part.value); break;
          case 'day': day = Number(part.value); break;
          case 'hour': hour = Number(part.value) % 24; break;
          case 'minute': minute = Number(part.value); break;
          case 'second': second = Number(part.value); break;
          case 'era': bc = part.value.startsWith('B'); break;
          default: break;
        }
      }
      if (bc) year = 1 - year;
      const localSeconds = daysFromCivil(year, month, day) * SECONDS_PER_DAY + (hour * 60 + minute) * 60 + second;
      return localSeconds - clamped;
  };
  return {
    name,
    offsetAt(utcSeconds: number): number {
      const quarter = Math.floor(utcSeconds / 900);
      const known = quarters.get(quarter);
      if (known === 'mixed') return exactOffsetAt(utcSeconds);
      if (known?.whole === true) return known.offset;
      if (known === undefined) {
        if (quarters.size >= 4096) quarters.clear();
        const offset = exactOffsetAt(utcSeconds);
        quarters.set(quarter, { offset, whole: false });
        return offset;
      }
      const first = exactOffsetAt(quarter * 900);
      const whole = exactOffsetAt(quarter * 900 + 899) === first;
      quarters.set(quarter, whole ? { offset: first, whole } : 'mixed');
      return whole ? first : exactOffsetAt(utcSeconds);
    },
  };
}

/** The session zone of `options` (UTC by default); 22023 when it names no zone. */
export function sessionTimeZone(options: DateTimeOptions): TimeZone {
  if (options.timeZone === undefined) return UTC_ZONE;
  const zone = findTimeZone(options.timeZone);
  if (zone === undefined) {
    throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `time zone "${options.timeZone}" not recognized`);
  }
  return zone;
}

/**
 * DetermineTimeZoneOffset: the offset (seconds east) of local time `localSeconds` (seconds since
 * 2000-01-01 00:00 local) in `zone`. In a spring-forward gap the offset from before the transition is
 * used; in a fall-back overlap the one from after it (the later instant), as PostgreSQL does.
 */
export function localOffset(zone: TimeZone, localSeconds: number): number {
  const before = zone.offsetAt(localSeconds - SECONDS_PER_DAY);
  const after = zone.offsetAt(localSeconds + SECONDS_PER_DAY);
  if (before === after) return before;
  const beforeTime = localSeconds - before;
  const afterTime = localSeconds - after;
  const beforeValid = zone.offsetAt(beforeTime) === before;
  const afterValid = zone.offsetAt(afterTime) === after;
  if (beforeValid && !afterValid) return before;
  if (afterValid && !beforeValid) return after;
  return beforeTime > afterTime ? before : after;
}

/** The current instant as a timestamptz datum: options.now, else the wall clock. */
export function currentTimestamp(options: DateTimeOptions): number {
  if (options.now !== undefined) return options.now;
  return (Date.now() - UNIX_EPOCH_DAYS * SECONDS_PER_DAY * 1000) * 1000;
}

/** Local date and time fields of the timestamptz `utcMicroseconds` in `zone`, and the offset used. */
export function localFields(utcMicroseconds: number, zone: TimeZone): { fields: DateTimeFields; offsetSeconds: number } {
  const offsetSeconds = zone.offsetAt(Math.floor(utcMicroseconds / MICROSECONDS_PER_SECOND));
  return { fields: fieldsFromMicroseconds(utcMicroseconds + offsetSeconds * MICROSECONDS_PER_SECOND), offsetSeconds };
}

/** The date and time fields of `microseconds` since 2000-01-01 00:00 (no zone). */
export function fieldsFromMicroseconds(microseconds: number): DateTimeFields {
  const days = Math.floor(microseconds / MICROSECONDS_PER_DAY);
  let time = microseconds - days * MICROSECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(time / MICROSECONDS_PER_HOUR);
  time -= hour * MICROSECONDS_PER_HOUR;
  const minute = Math.floor(time / MICROSECONDS_PER_MINUTE);
  time -= minute * MICROSECONDS_PER_MINUTE;
  const second = Math.floor(time / MICROSECONDS_PER_SECOND);
  return { year, month, day, hour, minute, second, microsecond: time - second * MICROSECONDS_PER_SECOND, dayOfYear: 0 };
}

// ---------------------------------------------------------------------------------------------------
// Output pieces (ISO DateStyle)

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** 'yyyy-mm-dd' with at least four year digits, and the ' BC' suffix separately (it goes last). */
export function formatDateParts(year: number, month: number, day: number): { date: string; era: string } {
  const shownYear = year > 0 ? year : 1 - year;
  return { date: `${String(shownYear).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`, era: year > 0 ? '' : ' BC' };
}

/** 'hh:mm:ss' and, when there is one, the fraction without trailing zeros (AppendSeconds). */
export function formatTimeOfDay(hour: number, minute: number, second: number, microsecond: number): string {
  return `${pad2(hour)}:${pad2(minute)}:${formatSeconds(second, microsecond)}`;
}

export function formatSeconds(second: number, microsecond: number): string {
  if (microsecond === 0) return pad2(second);
  const fraction = String(microsecond).padStart(6, '0').replace(/0+$/, '');
  return `${pad2(second)}.${fraction}`;
}

/** EncodeTimezone: '+hh', '+hh:mm' when minutes are not zero, '+hh:mm:ss' when seconds are not. */
export function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds >= 0 ? '+' : '-';
  const total = Math.abs(offsetSeconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (seconds !== 0) return `${sign}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}`;
  if (minutes !== 0) return `${sign}${pad2(hours)}:${pad2(minutes)}`;
  return `${sign}${pad2(hours)}`;
}
