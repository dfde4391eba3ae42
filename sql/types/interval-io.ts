// Text input and output of interval, as PostgreSQL 15's interval_in (ParseDateTime + DecodeInterval,
// then DecodeISO8601Interval) and interval_out with IntervalStyle 'postgres'.
//
// Input, postgres style: numbers with units ('1 year 2 mons 3 days', '1.5 hours', '-1 hours',
// '100 ms'), a time 'hh:mm[:ss[.ffffff]]' with an optional sign, 'y-m' years-months, an optional '@'
// and a final 'ago' that negates everything. The fields are read from right to left, so a number
// without a unit takes the next unit to its right, or days after a time or hours, or seconds at the
// end (or the last field of the typmod's range: '5' is 5 minutes for 'interval minute'). Fractions
// spill into smaller units: months are 30 days, days 24 hours, years 12 months ('1.5 days' is 1 day
// 12:00:00). A time field replaces (it does not add to) any fraction of a day to its right, as in
// PostgreSQL ('01:00 1.5 days' is 1 day 01:00:00). Input PostgreSQL cannot read that way is tried as
// ISO 8601: 'P1Y2M3DT4H5M6S', 'P1.5Y', 'P2W', or the alternative format 'P2024-01-05T01:02:03'
// (upper-case designators, no surrounding spaces).
//
// Errors: 22007 'invalid input syntax for type interval: "…"'; a field out of range 22015 'interval
// field value out of range: "…"'; a total beyond 32 bits of months 22008 "interval out of range".
//
// The value is { months, days, microseconds } (datum.ts). PostgreSQL's microseconds are 64-bit; here
// they must stay below 2^53 (about 285 years of hours), beyond which input is 22008 "interval out of
// range" too.
//
// Typmod: the field range in the high 16 bits (YEAR TO MONTH drops days and time, DAY TO HOUR
// truncates the time to hours, ...) and the fractional-second precision in the low 16 (rounded half
// away from zero; 0xffff for full precision).
//
// Output: the non-zero parts '1 year', '2 mons', '3 days' (plural unless exactly 1: '-1 days'), then
// the time 'hh:mm:ss[.ffffff]' when it is not zero or nothing else was printed ('00:00:00'). After a
// negative part the next positive one gets a '+': '-1 days +02:00:00'.

import { ReefSqlError, SqlState } from '../errors.js';
import type { Interval } from './datum.js';
import {
  type DateTimeField, DecodeError, FieldKind, MICROSECONDS_PER_DAY, MICROSECONDS_PER_HOUR,
  MICROSECONDS_PER_MINUTE, MICROSECONDS_PER_SECOND, Mask, TIME_MASK, badFormat, dateTimeParseError,
  fieldOverflow, formatSeconds, parseFractionalSecond, roundHalfEven, strtoint, tokenizeDateTime
} from './datetime-io.js';

/** The work buffer of interval_in. */
const INTERVAL_BUFFER_BYTES = 256;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAYS_PER_MONTH = 30;

/** Interval typmod field bits (INTERVAL_MASK of datetime.h) and the full range and precision. */
export const IntervalField = { month: 1 << 1, year: 1 << 2, day: 1 << 3, hour: 1 << 10, minute: 1 << 11, second: 1 << 12 } as const;
export const INTERVAL_FULL_RANGE = 0x7fff;
export const INTERVAL_FULL_PRECISION = 0xffff;

export function intervalTypmodRange(typmod: number): number {
  return typmod < 0 ? INTERVAL_FULL_RANGE : (typmod >> 16) & 0x7fff;
}

export function intervalTypmodPrecision(typmod: number): number {
  return typmod < 0 ? INTERVAL_FULL_PRECISION : typmod & 0xffff;
}

type IntervalUnit = 'microsecond' | 'millisecond' | 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year' | 'decade' | 'century' | 'millennium' | 'timezone';

/** deltatktbl: the unit words of interval input (compared on their first 10 characters). */
const UNIT_WORDS: ReadonlyMap<string, IntervalUnit> = new Map(
  (
    [
      ['microsecond', 'microsecon us usec usecs useconds'],
      ['millisecond', 'millisecon ms msec msecs mseconds'],
      ['second', 's sec secs second seconds'],
      ['minute', 'm min mins minute minutes'],
      ['hour', 'h hr hrs hour hours'],
      ['day', 'd day days'],
      ['week', 'w week weeks'],
      ['month', 'mon mons month months'],
      ['quarter', 'qtr quarter'],
      ['year', 'y yr yrs year years'],
      ['decade', 'dec decs decade decades'],
      ['century', 'c cent century centuries'],
      ['millennium', 'mil mils millennia millennium'],
      ['timezone', 'timezone timezone_h timezone_m'],
    ] as const
  ).flatMap(([unit, words]) => words.split(' ').map((word): [string, IntervalUnit] => [word, unit])),
);

/** The interval being accumulated (struct pg_itm_in): 64-bit microseconds, 32-bit days, months, years. */
interface IntervalParts {
  microseconds: bigint;
  days: number;
  months: number;
  years: number;
}

function checkInt32(value: number): number {
  if (!(value >= INT32_MIN && value <= INT32_MAX)) throw fieldOverflow();
  return value;
}

function addMicroseconds(parts: IntervalParts, amount: bigint): void {
  const sum = parts.microseconds + amount;
  if (sum < INT64_MIN || sum > INT64_MAX) throw fieldOverflow();
  parts.microseconds = sum;
}

/** AdjustFractMicroseconds: adds fraction × scale microseconds, rounding the last one half to even. */
function addFractionalMicroseconds(parts: IntervalParts, fraction: number, scale: number): void {
  if (fraction === 0) return;
  const scaled = fraction * scale;
  const whole = Math.trunc(scaled);
  addMicroseconds(parts, BigInt(whole) + BigInt(roundHalfEven(scaled - whole)));
}

/** AdjustFractDays: adds fraction × scale days, the fraction of a day as microseconds. */
function addFractionalDays(parts: IntervalParts, fraction: number, scale: number): void {
  if (fraction === 0) return;
  const scaled = fraction * scale;
  const whole = Math.trunc(scaled);
  parts.days = checkInt32(parts.days + whole);
  addFractionalMicroseconds(parts, scaled - whole, MICROSECONDS_PER_DAY);
}

/** AdjustMicroseconds: value × scale plus fraction × scale. */
function addScaledMicroseconds(parts: IntervalParts, value: bigint, fraction: number, scale: number): void {
  const product = value * BigInt(scale);
  if (product < INT64_MIN || product > INT64_MAX) throw fieldOverflow();
  addMicroseconds(parts, product);
  addFractionalMicroseconds(parts, fraction, scale);
}

function addDays(parts: IntervalParts, value: bigint, multiplier: number): void {
  const days = checkInt32(Number(value)) * multiplier;
  parts.days = checkInt32(parts.days + checkInt32(days));
}

function addMonths(parts: IntervalParts, value: bigint): void {
  parts.months = checkInt32(parts.months + checkInt32(Number(value)));
}

function addYears(parts: IntervalParts, value: bigint, multiplier: number): void {
  const years = checkInt32(Number(value)) * multiplier;
  parts.years = checkInt32(parts.years + checkInt32(years));
}

/** AdjustFractYears: the fraction of `scale` years as whole months, rounded half to even. */
function addFractionalYears(parts: IntervalParts, fraction: number, scale: number): void {
  parts.months = checkInt32(parts.months + roundHalfEven(fraction * scale * 12));
}

/** strtoi64: optional whitespace and sign, digits; the end index, or the start when there are none. */
function strtoi64(text: string, start: number): { value: bigint; end: number } {
  const match = /^[\t\n\v\f\r ]*([+-]?[0-9]+)/.exec(text.slice(start));
  if (match === null) return { value: 0n, end: start };
  const value = BigInt(match[1]!);
  if (value < INT64_MIN || value > INT64_MAX) throw fieldOverflow();
  return { value, end: start + match[0].length };
}

/** ParseFraction: '.ddd' (or a lone '.') as a double. */
function parseFraction(text: string): number {
  if (text === '.') return 0;
  if (!/^\.[0-9]+$/.test(text)) throw badFormat();
  return Number(`0${text}`);
}

/** DecodeTimeForInterval: 'h:m', 'h:m:s[.f]' or 'm:s.f' (MINUTE TO SECOND reads 'm:s') in microseconds. */
function decodeIntervalTime(text: string, range: number): bigint {
  const hourPart = strtoi64(text, 0);
  let end = hourPart.end;
  if (text[end] !== ':') throw badFormat();
  let hours = hourPart.value;
  const minutePart = strtoint(text, end + 1);
  if (minutePart.overflow) throw fieldOverflow();
  let minutes = minutePart.value;
  let seconds = 0;
  let fraction = 0;
  end = minutePart.end;
  const rest = text.slice(end);
  if (rest === '') {
    if (range === (IntervalField.minute | IntervalField.second)) {
      if (hours > BigInt(INT32_MAX) || hours < BigInt(INT32_MIN)) throw fieldOverflow();
      seconds = minutes;
      minutes = Number(hours);
      hours = 0n;
    }
  } else if (rest[0] === '.') {
    fraction = parseFractionalSecond(rest);
    if (hours > BigInt(INT32_MAX) || hours < BigInt(INT32_MIN)) throw fieldOverflow();
    seconds = minutes;
    minutes = Number(hours);
    hours = 0n;
  } else if (rest[0] === ':') {
    const secondPart = strtoint(text, end + 1);
    if (secondPart.overflow) throw fieldOverflow();
    seconds = secondPart.value;
    const after = text.slice(secondPart.end);
    if (after[0] === '.') fraction = parseFractionalSecond(after);
    else if (after !== '') throw badFormat();
  } else {
    throw badFormat();
  }
  if (hours < 0n || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 60 || fraction < 0 || fraction > MICROSECONDS_PER_SECOND) {
    throw fieldOverflow();
  }
  const total = hours * BigInt(MICROSECONDS_PER_HOUR) + BigInt(minutes * MICROSECONDS_PER_MINUTE + seconds * MICROSECONDS_PER_SECOND + fraction);
  if (total > INT64_MAX) throw fieldOverflow();
  return total;
}

/** The unit a bare number at the right end stands for, from the typmod's range. */
function defaultUnit(range: number): IntervalUnit {
  const { year, month, day, hour, minute } = IntervalField;
  switch (range) {
    case year:
      return 'year';
    case month:
    case year | month:
      return 'month';
    case day:
      return 'day';
    case hour:
    case day | hour:
      return 'hour';
    case minute:
    case hour | minute:
    case day | hour | minute:
      return 'minute';
    default:
      return 'second';
  }
}

/** DecodeInterval (postgres style, no SQL-standard sign propagation). */
function decodeInterval(tokens: readonly DateTimeField[], range: number): IntervalParts {
  const parts: IntervalParts = { microseconds: 0n, days: 0, months: 0, years: 0 };
  let fieldMask = 0;
  let isBefore = false;
  // undefined: nothing yet (use the range's default); 'none': after 'ago', which names no unit.
  let unit: IntervalUnit | 'none' | undefined;
  for (let index = tokens.length - 1; index >= 0; index--) {
    const { text, kind } = tokens[index]!;
    let mask = 0;
    // A signed field is a time when it reads as one ('-04:05'), else a signed number.
    const signedTime = kind === FieldKind.Tz && text.includes(':', 1) ? tryTime(text.slice(1), range) : undefined;
    if (kind === FieldKind.Time || signedTime !== undefined) {
      // The time replaces what smaller fields to its right added (PostgreSQL assigns it).
      parts.microseconds = signedTime === undefined ? decodeIntervalTime(text, range) : text[0] === '-' ? -signedTime : signedTime;
      mask = TIME_MASK;
      unit = 'day';
    } else if (kind === FieldKind.Tz || kind === FieldKind.Date || kind === FieldKind.Number) {
      if (unit === undefined) unit = defaultUnit(range);
      const parsed = strtoi64(text, 0);
      let value = parsed.value;
      let fraction = 0;
      const rest = text.slice(parsed.end);
      if (rest[0] === '-') {
        // SQL years-months: 'y-m'.
        const monthPart = strtoint(rest, 1);
        if (monthPart.overflow || monthPart.value < 0 || monthPart.value >= 12) throw fieldOverflow();
        if (monthPart.end !== rest.length) throw badFormat();
        unit = 'month';
        const monthsValue = text[0] === '-' ? -monthPart.value : monthPart.value;
        value = value * 12n + BigInt(monthsValue);
        if (value < INT64_MIN || value > INT64_MAX) throw fieldOverflow();
      } else if (rest[0] === '.') {
        fraction = parseFraction(rest);
        if (text[0] === '-') fraction = -fraction;
      } else if (rest !== '') {
        throw badFormat();
      }
      mask = addNumber(parts, unit, value, fraction);
      if (unit === 'hour') unit = 'day';
    } else {
      const word = UNIT_WORDS.get(text.slice(0, 10));
      if (word === undefined) {
        if (text !== 'ago') throw badFormat();
        isBefore = true;
        unit = 'none';
      } else {
        unit = word;
      }
    }
    if (mask & fieldMask) throw badFormat();
    fieldMask |= mask;
  }
  if (fieldMask === 0) throw badFormat();
  if (isBefore) {
    parts.microseconds = -parts.microseconds;
    parts.days = -parts.days;
    parts.months = -parts.months;
    parts.years = -parts.years;
  }
  return parts;
}

/** Whether `text` reads as an interval time (for a signed field that might be a time or a number). */
function tryTime(text: string, range: number): bigint | undefined {
  try {
    return decodeIntervalTime(text, range);
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }
}

/** Adds value + fraction of `unit`; returns the field mask it claims. */
function addNumber(parts: IntervalParts, unit: IntervalUnit | 'none', value: bigint, fraction: number): number {
  switch (unit) {
    case 'microsecond':
      addScaledMicroseconds(parts, value, fraction, 1);
      return Mask.microsecond;
    case 'millisecond':
      addScaledMicroseconds(parts, value, fraction, 1000);
      return Mask.millisecond;
    case 'second':
      addScaledMicroseconds(parts, value, fraction, MICROSECONDS_PER_SECOND);
      return fraction === 0 ? Mask.second : Mask.second | Mask.millisecond | Mask.microsecond;
    case 'minute':
      addScaledMicroseconds(parts, value, fraction, MICROSECONDS_PER_MINUTE);
      return Mask.minute;
    case 'hour':
      addScaledMicroseconds(parts, value, fraction, MICROSECONDS_PER_HOUR);
      return Mask.hour;
    case 'day':
      addDays(parts, value, 1);
      addFractionalMicroseconds(parts, fraction, MICROSECONDS_PER_DAY);
      return Mask.day;
    case 'week':
      addDays(parts, value, 7);
      addFractionalDays(parts, fraction, 7);
      return Mask.week;
    case 'month':
      addMonths(parts, value);
      addFractionalDays(parts, fraction, DAYS_PER_MONTH);
      return Mask.month;
    case 'year':
      addYears(parts, value, 1);
      addFractionalYears(parts, fraction, 1);
      return Mask.year;
    case 'decade':
      addYears(parts, value, 10);
      addFractionalYears(parts, fraction, 10);
      return Mask.decade;
    case 'century':
      addYears(parts, value, 100);
      addFractionalYears(parts, fraction, 100);
      return Mask.century;
    case 'millennium':
      addYears(parts, value, 1000);
      addFractionalYears(parts, fraction, 1000);
      return Mask.millennium;
    default:
      throw badFormat();
  }
}

/** ParseISO8601Number: strtod's number at `index`, split into a truncated integer and a fraction. */
function parseIsoNumber(text: string, index: number): { whole: bigint; fraction: number; end: number } {
  if (!/^[0-9.-]/.test(text[index] ?? '')) throw badFormat();
  const match = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(index));
  if (match === null) {
    if (/^-?inf|^-?nan/i.test(text.slice(index))) throw fieldOverflow();
    throw badFormat();
  }
  const value = Number(match[0]);
  if (Number.isNaN(value) || value < -1e15 || value > 1e15) throw fieldOverflow();
  const whole = Math.trunc(value);
  return { whole: BigInt(whole), fraction: value - whole, end: index + match[0].length };
}

/** DecodeISO8601Interval: 'PnYnMnWnDTnHnMnS' and the alternative 'Pyyyy-mm-ddThh:mm:ss' forms. */
function decodeIsoInterval(text: string): IntervalParts {
  const parts: IntervalParts = { microseconds: 0n, days: 0, months: 0, years: 0 };
  if (text.length < 2 || text[0] !== 'P') throw badFormat();
  let index = 1;
  let datePart = true;
  let haveField = false;
  const digitsWidth = (start: number): number => /^-?([0-9]*)/.exec(text.slice(start))![1]!.length;
  while (index < text.length) {
    if (text[index] === 'T') {
      datePart = false;
      haveField = false;
      index++;
      continue;
    }
    const fieldStart = index;
    let number = parseIsoNumber(text, index);
    index = number.end;
    const designator = text[index++] ?? '';
    if (datePart) {
      switch (designator) {
        case 'Y':
          addYears(parts, number.whole, 1);
          addFractionalYears(parts, number.fraction, 1);
          break;
        case 'M':
          addMonths(parts, number.whole);
          addFractionalDays(parts, number.fraction, DAYS_PER_MONTH);
          break;
        case 'W':
          addDays(parts, number.whole, 7);
          addFractionalDays(parts, number.fraction, 7);
          break;
        case 'D':
          addDays(parts, number.whole, 1);
          addFractionalMicroseconds(parts, number.fraction, MICROSECONDS_PER_DAY);
          break;
        case 'T':
        case '':
        case '-': {
          if ((designator === 'T' || designator === '') && digitsWidth(fieldStart) === 8 && !haveField) {
            // Basic alternative format: yyyymmdd.
            const value = number.whole;
            addYears(parts, value / 10000n, 1);
            addMonths(parts, (value / 100n) % 100n);
            addDays(parts, value % 100n, 1);
            addFractionalMicroseconds(parts, number.fraction, MICROSECONDS_PER_DAY);
            if (designator === '') return parts;
            datePart = false;
            haveField = false;
            continue;
          }
          // Extended alternative format: yyyy-mm-dd.
          if (haveField) throw badFormat();
          addYears(parts, number.whole, 1);
          addFractionalYears(parts, number.fraction, 1);
          if (designator === '') return parts;
          if (designator === 'T') {
            datePart = false;
            haveField = false;
            continue;
          }
          number = parseIsoNumber(text, index);
          index = number.end;
          addMonths(parts, number.whole);
          addFractionalDays(parts, number.fraction, DAYS_PER_MONTH);
          if (index === text.length) return parts;
          if (text[index] === 'T') {
            datePart = false;
            haveField = false;
            continue;
          }
          if (text[index] !== '-') throw badFormat();
          number = parseIsoNumber(text, index + 1);
          index = number.end;
          addDays(parts, number.whole, 1);
          addFractionalMicroseconds(parts, number.fraction, MICROSECONDS_PER_DAY);
          if (index === text.length) return parts;
          if (text[index] === 'T') {
            datePart = false;
            haveField = false;
            continue;
          }
          throw badFormat();
        }
        default:
          throw badFormat();
      }
    } else {
      switch (designator) {
        case 'H':
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_HOUR);
          break;
        case 'M':
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_MINUTE);
          break;
        case 'S':
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_SECOND);
          break;
        case '':
        case ':': {
          if (designator === '' && digitsWidth(fieldStart) === 6 && !haveField) {
            // Basic alternative format: hhmmss.
            const value = number.whole;
            addScaledMicroseconds(parts, value / 10000n, 0, MICROSECONDS_PER_HOUR);
            addScaledMicroseconds(parts, (value / 100n) % 100n, 0, MICROSECONDS_PER_MINUTE);
            addScaledMicroseconds(parts, value % 100n, 0, MICROSECONDS_PER_SECOND);
            addFractionalMicroseconds(parts, number.fraction, 1);
            return parts;
          }
          // Extended alternative format: hh:mm:ss.
          if (haveField) throw badFormat();
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_HOUR);
          if (designator === '') return parts;
          number = parseIsoNumber(text, index);
          index = number.end;
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_MINUTE);
          if (index === text.length) return parts;
          if (text[index] !== ':') throw badFormat();
          number = parseIsoNumber(text, index + 1);
          index = number.end;
          addScaledMicroseconds(parts, number.whole, number.fraction, MICROSECONDS_PER_SECOND);
          if (index === text.length) return parts;
          throw badFormat();
        }
        default:
          throw badFormat();
      }
    }
    haveField = true;
  }
  return parts;
}

function intervalOutOfRange(): ReefSqlError {
  return new ReefSqlError(SqlState.DATETIME_FIELD_OVERFLOW, 'interval out of range');
}

export function parseInterval(text: string, typmod: number): Interval {
  const range = intervalTypmodRange(typmod);
  let parts: IntervalParts;
  try {
    try {
      parts = decodeInterval(tokenizeDateTime(text, INTERVAL_BUFFER_BYTES), range);
    } catch (error) {
      if (!(error instanceof DecodeError) || error.kind !== 'bad-format') throw error;
      parts = decodeIsoInterval(text);
    }
  } catch (error) {
    if (error instanceof DecodeError) {
      throw dateTimeParseError(error.kind === 'field-overflow' ? 'interval-overflow' : error.kind, text, 'interval');
    }
    throw error;
  }
  const months = parts.years * 12 + parts.months;
  if (months < INT32_MIN || months > INT32_MAX) throw intervalOutOfRange();
  if (parts.microseconds > BigInt(Number.MAX_SAFE_INTEGER) || parts.microseconds < BigInt(-Number.MAX_SAFE_INTEGER)) {
    throw intervalOutOfRange();
  }
  return applyIntervalTypmod({ months, days: parts.days, microseconds: Number(parts.microseconds) }, typmod);
}

/** AdjustIntervalForTypmod: drops the fields outside the range and rounds the fraction. */
export function applyIntervalTypmod(value: Interval, typmod: number): Interval {
  if (typmod < 0) return value;
  const range = intervalTypmodRange(typmod);
  const precision = intervalTypmodPrecision(typmod);
  const { year, month, day, hour, minute, second } = IntervalField;
  let { months, days, microseconds } = value;
  const truncateTo = (unit: number): number => Math.trunc(microseconds / unit) * unit;
  switch (range) {
    case INTERVAL_FULL_RANGE:
    case second:
    case day | hour | minute | second:
    case hour | minute | second:
    case minute | second:
      break;
    case year:
      months = Math.trunc(months / 12) * 12;
      days = 0;
      microseconds = 0;
      break;
    case month:
    case year | month:
      days = 0;
      microseconds = 0;
      break;
    case day:
      microseconds = 0;
      break;
    case hour:
    case day | hour:
      microseconds = truncateTo(MICROSECONDS_PER_HOUR);
      break;
    case minute:
    case day | hour | minute:
    case hour | minute:
      microseconds = truncateTo(MICROSECONDS_PER_MINUTE);
      break;
    default:
      throw new ReefSqlError(SqlState.INTERNAL_ERROR, `unrecognized interval typmod: ${typmod}`);
  }
  if (precision !== INTERVAL_FULL_PRECISION) {
    if (precision > 6) {
      throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `interval(${precision}) precision must be between 0 and 6`);
    }
    const scale = 10 ** (6 - precision);
    const rounded = Math.floor((Math.abs(microseconds) + scale / 2) / scale) * scale;
    microseconds = microseconds < 0 ? -rounded : rounded;
  }
  // Normalise -0 from the truncations.
  return { months: months + 0, days: days + 0, microseconds: microseconds + 0 };
}

export function formatInterval(value: Interval): string {
  if (!Number.isSafeInteger(value.months) || !Number.isSafeInteger(value.days) || !Number.isSafeInteger(value.microseconds)) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not an interval datum: ${JSON.stringify(value)}`);
  }
  const years = Math.trunc(value.months / 12);
  const months = value.months - years * 12;
  let text = '';
  let isZero = true;
  let isBefore = false;
  const addPart = (amount: number, unitName: string): void => {
    if (amount === 0) return;
    text += `${isZero ? '' : ' '}${isBefore && amount > 0 ? '+' : ''}${amount} ${unitName}${amount !== 1 ? 's' : ''}`;
    isBefore = amount < 0;
    isZero = false;
  };
  addPart(years, 'year');
  addPart(months, 'mon');
  addPart(value.days, 'day');
  const time = value.microseconds;
  if (isZero || time !== 0) {
    const magnitude = Math.abs(time);
    const hours = Math.floor(magnitude / MICROSECONDS_PER_HOUR);
    let rest = magnitude - hours * MICROSECONDS_PER_HOUR;
    const minutes = Math.floor(rest / MICROSECONDS_PER_MINUTE);
    rest -= minutes * MICROSECONDS_PER_MINUTE;
    const seconds = Math.floor(rest / MICROSECONDS_PER_SECOND);
    const sign = time < 0 ? '-' : isBefore ? '+' : '';
    const hourText = hours < 10 ? `0${hours}` : String(hours);
    const minuteText = minutes < 10 ? `0${minutes}` : String(minutes);
    text += `${isZero ? '' : ' '}${sign}${hourText}:${minuteText}:${formatSeconds(seconds, rest - seconds * MICROSECONDS_PER_SECOND)}`;
  }
  return text;
}
