// Text input and output of date, as PostgreSQL 15's date_in/date_out with DateStyle 'ISO, MDY', and
// DecodeDateTime, the decoder that date_in, timestamp_in and timestamptz_in share, with its date field
// decoders (DecodeDate, DecodeNumber, DecodeNumberField, ValidateDate) and the time zone abbreviations.
//
// A date/time input is a date (ISO '2024-01-05', '01/05/2024' month first, 'Jan 5 2024', '5 jan 2024',
// '20240105', '2024-005' day of year, 'J2451545' Julian day, with 'BC'/'AD'), optionally a time
// ('13:05', '13:05:00.5', '1:05 pm', or after a 'T'), and optionally a zone: '+02', '-05:30', 'Z', an
// abbreviation ('UTC', 'PST', 'CEST') or an IANA name ('Europe/Paris'); or one of 'epoch', 'infinity',
// '-infinity', 'now', 'today', 'tomorrow', 'yesterday'. The fields are decoded one by one, each given
// meaning by the ones before it, exactly as DecodeDateTime does; a repeated kind of field is 22007.
// Without a zone the session TimeZone's offset applies (a local time in a DST gap takes the offset
// before the change, one in an overlap the offset after it).
//
// date: any time and zone in the input are checked and then ignored ('2024-01-05 13:45+02' is
// 2024-01-05); 'today', 'now' and the like are the date in the session TimeZone. The range is
// PostgreSQL's, 4714-11-24 BC to 5874897-12-31: outside it 22008 'date out of range: "…"'. The value is
// the number of days since 2000-01-01, ±Infinity for the infinities (datum.ts). Output is 'yyyy-mm-dd'
// with at least four year digits, ' BC' after BC dates ('0044-03-15 BC').

import { ReefSqlError, SqlState } from '../errors.js';
import {
  ALL_SECONDS_MASK, DATE_MASK, type DateTimeField, type DateTimeFields, type DateTimeOptions, FIELDS_MAX,
  FieldKind, MICROSECONDS_PER_DAY, MICROSECONDS_PER_HOUR, MICROSECONDS_PER_MINUTE, MICROSECONDS_PER_SECOND,
  Mask, POSTGRES_EPOCH_JULIAN_DAY, SECONDS_PER_DAY, TIME_MASK, TOKEN_LENGTH_MAX, type TimeZone, type UnitWord,
  DecodeError, badFormat, civilFromDays, currentTimestamp, daysFromCivil, daysInMonth, decodeTime,
  decodeTimezone, emptyFields, fieldOverflow, findTimeZone, formatDateParts, isCAlnum, localFields,
  localOffset, lookupKeyword, parseFractionalSecond, roundHalfEven, sessionTimeZone, strtoint, timeOverflows,
  tokenizeDateTime, withParseErrors
} from './datetime-io.js';
import { isCAlpha, isCDigit } from './text-io.js';

// ---------------------------------------------------------------------------------------------------
// Time zone abbreviations (PostgreSQL's 'Default' timezone_abbreviations set)

/** A time zone abbreviation: a fixed offset (standard or daylight time) or a zone to consult. */
export type ZoneAbbreviation =
  | { readonly type: 'fixed'; readonly offsetSeconds: number; readonly daylight: boolean }
  | { readonly type: 'dynamic'; readonly zoneName: string };

// PostgreSQL's 'Default' abbreviation set (share/timezonesets/Default): name, offset east in seconds,
// D for daylight-saving time, or the zone whose offset the abbreviation follows.
const ABBREVIATION_DATA = `EAT 10800|SAST 7200|WAT 3600|ACT -18000|AKDT -28800 D|AKST -32400|
ART America/Argentina/Buenos_Aires|ARST America/Argentina/Buenos_Aires|BOT -14400|BRA -10800|BRST -7200 D|
BRT -10800|COT -18000|CDT -18000 D|CLST -10800 D|CLT America/Santiago|CST -21600|EDT -14400 D|EGST 0 D|
EGT -3600|EST -18000|FNT -7200|FNST -3600 D|GFT -10800|GYT America/Guyana|MDT -21600 D|MST -25200|
NDT -9000 D|NFT -12600|NST -12600|PET -18000|PDT -25200 D|PMDT -7200 D|PMST -10800|PST -28800|
PYST -10800 D|PYT America/Asuncion|UYST -7200 D|UYT -10800|VET America/Caracas|WGST -7200 D|WGT -10800|
DAVT Antarctica/Davis|DDUT 36000|MAWT Antarctica/Mawson|AFT 16200|ALMT 21600|ALMST 25200 D|
AMST Asia/Yerevan|AMT -14400|ANAST Asia/Anadyr|ANAT Asia/Anadyr|AZST Asia/Baku|AZT Asia/Baku|BDT 21600|
BNT 28800|BORT 28800|BTT 21600|CCT 28800|GEST Asia/Tbilisi|GET Asia/Tbilisi|HKT 28800|ICT 25200|
IDT 10800 D|IRKST Asia/Irkutsk|IRKT Asia/Irkutsk|IRT 12600|IST 7200|JAYT 32400|JST 32400|KDT 36000 D|
KGST 21600 D|KGT Asia/Bishkek|KRAST Asia/Krasnoyarsk|KRAT Asia/Krasnoyarsk|KST 32400|LKT Asia/Colombo|
MAGST Asia/Magadan|MAGT Asia/Magadan|MMT 23400|MYT 28800|NOVST Asia/Novosibirsk|NOVT Asia/Novosibirsk|
NPT 20700|OMSST Asia/Omsk|OMST Asia/Omsk|PETST Asia/Kamchatka|PETT Asia/Kamchatka|PHT 28800|PKT 18000|
PKST 21600 D|SGT Asia/Singapore|TJT 18000|TMT Asia/Ashgabat|ULAST 32400 D|ULAT Asia/Ulaanbaatar|
UZST 21600 D|UZT 18000|VLAST Asia/Vladivostok|VLAT Asia/Vladivostok|XJT 21600|YAKST Asia/Yakutsk|
YAKT Asia/Yakutsk|YEKST 21600 D|YEKT Asia/Yekaterinburg|ADT -10800 D|AST -14400|AZOST 0 D|AZOT -3600|
FKST Atlantic/Stanley|FKT Atlantic/Stanley|ACSST 37800 D|ACDT 37800 D|ACST 34200|ACWST 31500|
AESST 39600 D|AEDT 39600 D|AEST 36000|AWSST 32400 D|AWST 28800|CADT 37800 D|CAST 34200|
LHDT Australia/Lord_Howe|LHST 37800|LIGT 36000|NZT 43200|SADT 37800 D|WADT 28800 D|WAST 25200|
WDT 32400 D|GMT 0|UCT 0|UT 0|UTC 0|Z 0|ZULU 0|BST 3600 D|BDST 7200 D|CEST 7200 D|CET 3600|
CETDST 7200 D|EEST 10800 D|EET 7200|EETDST 10800 D|FET 10800|MEST 7200 D|MESZ 7200 D|MET 3600|
METDST 7200 D|MEZ 3600|MSD 14400 D|MSK Europe/Moscow|VOLT Europe/Volgograd|WET 0|WETDST 3600 D|
CXT 25200|IOT Indian/Chagos|MUT 14400|MUST 18000 D|MVT 18000|RET 14400|SCT 14400|TFT 18000|
CHADT 49500 D|CHAST 45900|CHUT 36000|CKT Pacific/Rarotonga|EASST Pacific/Easter|EAST Pacific/Easter|
FJST 46800 D|FJT 43200|GALT -21600|GAMT -32400|GILT 43200|HST -36000|KOST Pacific/Kosrae|
LINT Pacific/Kiritimati|MART -34200|MHT 43200|MPT 36000|NUT Pacific/Niue|NZDT 46800 D|NZST 43200|
PGT 36000|PONT 39600|PWT 32400|TAHT -36000|TKT Pacific/Fakaofo|TOT 46800|TRUT 36000|TVT 43200|
VUT 39600|WAKT 43200|WFT 43200|YAPT 36000`;

const ABBREVIATIONS: ReadonlyMap<string, ZoneAbbreviation> = new Map(
  ABBREVIATION_DATA.split('|').map((entry): [string, ZoneAbbreviation] => {
    const [name, value, flag] = entry.trim().split(' ') as [string, string, string | undefined];
    const abbreviation: ZoneAbbreviation = /^-?\d+$/.test(value)
      ? { type: 'fixed', offsetSeconds: Number(value), daylight: flag === 'D' }
      : { type: 'dynamic', zoneName: value };
    return [name.toLowerCase(), abbreviation];
  }),
);

export function lookupZoneAbbreviation(word: string): ZoneAbbreviation | undefined {
  return ABBREVIATIONS.get(word.slice(0, TOKEN_LENGTH_MAX));
}

// ---------------------------------------------------------------------------------------------------
// Date field decoders

/** atoi: strtol's prefix, wrapped to 32 bits as glibc's int conversion does. */
function atoi(text: string): number {
  const match = /^[\t\n\v\f\r ]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : Number(BigInt.asIntN(32, BigInt(match[1]!)));
}

/** Is2Digits and friends: the state that DecodeNumber shares with its caller. */
export interface NumberContext {
  /** The year was written with one or two digits (so 70..99 mean 19xx and 0..69 mean 20xx). */
  twoDigitYear: boolean;
}

/**
 * DecodeNumberField: a run of digits as a whole date (yyyymmdd, yymmdd) or time (hhmmss, hhmm, with
 * an optional fraction). Returns the mask of the fields set.
 */
export function decodeNumberField(text: string, fieldMask: number, fields: DateTimeFields, context: NumberContext): { mask: number; kind: 'date' | 'time' } {
  const point = text.indexOf('.');
  if (point >= 0) {
    const fraction = text.slice(point);
    if (fraction.length === 1) {
      fields.microsecond = 0;
    } else {
      const value = Number(`0${fraction}`);
      if (!/^\.[0-9]*$/.test(fraction) || Number.isNaN(value)) throw badFormat();
      fields.microsecond = roundHalfEven(value * MICROSECONDS_PER_SECOND);
    }
    text = text.slice(0, point);
  } else if ((fieldMask & DATE_MASK) !== DATE_MASK && text.length >= 6) {
    // Day and month are the last four digits; the rest is the year.
    fields.day = atoi(text.slice(-2));
    fields.month = atoi(text.slice(-4, -2));
    fields.year = atoi(text.slice(0, -4));
    if (text.length - 4 === 2) context.twoDigitYear = true;
    return { mask: DATE_MASK, kind: 'date' };
  }
  if ((fieldMask & TIME_MASK) !== TIME_MASK) {
    if (text.length === 6) {
      fields.second = atoi(text.slice(4));
      fields.minute = atoi(text.slice(2, 4));
      fields.hour = atoi(text.slice(0, 2));
      return { mask: TIME_MASK, kind: 'time' };
    }
    if (text.length === 4) {
      fields.second = 0;
      fields.minute = atoi(text.slice(2));
      fields.hour = atoi(text.slice(0, 2));
      return { mask: TIME_MASK, kind: 'time' };
    }
  }
  throw badFormat();
}

/**
 * DecodeNumber: one numeric field, interpreted from the fields seen so far (MDY order). Returns the
 * mask of the fields it set.
 */
export function decodeNumber(text: string, haveTextMonth: boolean, fieldMask: number, fields: DateTimeFields, context: NumberContext): number {
  const parsed = strtoint(text, 0);
  if (parsed.overflow) throw fieldOverflow();
  if (parsed.end === 0) throw badFormat();
  const value = parsed.value;
  const rest = text.slice(parsed.end);
  const length = text.length;
  if (rest[0] === '.') {
    // More than two digits before the point: a run-together date or time ('2001.360', '040506.789').
    if (parsed.end > 2) return decodeNumberField(text, fieldMask | DATE_MASK, fields, context).mask;
    fields.microsecond = parseFractionalSecond(rest);
  } else if (rest !== '') {
    throw badFormat();
  }
  // Three digits after a lone year: the day of the year.
  if (length === 3 && (fieldMask & DATE_MASK) === Mask.year && value >= 1 && value <= 366) {
    fields.dayOfYear = value;
    return Mask.dayOfYear | Mask.month | Mask.day;
  }
  let mask: number;
  switch (fieldMask & DATE_MASK) {
    case 0:
      // Nothing yet: a year when it has three or more digits, else the month (MDY).
      if (length >= 3) {
        mask = Mask.year;
        fields.year = value;
      } else {
        mask = Mask.month;
        fields.month = value;
      }
      break;
    case Mask.year:
      mask = Mask.month;
      fields.month = value;
      break;
    case Mask.month:
      if (haveTextMonth && length >= 3) {
        mask = Mask.year;
        fields.year = value;
      } else {
        mask = Mask.day;
        fields.day = value;
      }
      break;
    case Mask.year | Mask.month:
      if (haveTextMonth && length >= 3 && context.twoDigitYear) {
        // DD-MON-YYYY: what looked like a two-digit year was the day.
        mask = Mask.day;
        fields.day = fields.year;
        fields.year = value;
        context.twoDigitYear = false;
      } else {
        mask = Mask.day;
        fields.day = value;
      }
      break;
    case Mask.day:
      mask = Mask.month;
      fields.month = value;
      break;
    case Mask.month | Mask.day:
      mask = Mask.year;
      fields.year = value;
      break;
    case DATE_MASK:
      // The date is complete, so this is a time.
      return decodeNumberField(text, fieldMask, fields, context).mask;
    default:
      throw badFormat();
  }
  if (mask === Mask.year) context.twoDigitYear = length <= 2;
  return mask;
}

/** DecodeDate: a Date-kind field ('2024-01-05', '1/5/24', 'jan-05-2024'). Returns the mask set. */
export function decodeDate(text: string, fieldMask: number, fields: DateTimeFields, context: NumberContext): number {
  const parts: string[] = [];
  let index = 0;
  while (index < text.length && parts.length < FIELDS_MAX) {
    while (index < text.length && !isCAlnum(text.charCodeAt(index))) index++;
    if (index === text.length) throw badFormat();
    const start = index;
    if (isCDigit(text.charCodeAt(index))) {
      while (isCDigit(text.charCodeAt(index))) index++;
    } else {
      while (isCAlpha(text.charCodeAt(index))) index++;
    }
    parts.push(text.slice(start, index));
    // PostgreSQL overwrites the character after each part with a terminator, whatever it was.
    if (index < text.length) index++;
  }
  let mask = 0;
  let haveTextMonth = false;
  const numeric: string[] = [];
  for (const part of parts) {
    if (!isCAlpha(part.charCodeAt(0))) {
      numeric.push(part);
      continue;
    }
    const keyword = lookupKeyword(part);
    if (keyword?.type === 'ignore') continue;
    if (keyword?.type !== 'month') throw badFormat();
    fields.month = keyword.month;
    haveTextMonth = true;
    if (fieldMask & Mask.month) throw badFormat();
    fieldMask |= Mask.month;
    mask |= Mask.month;
  }
  for (const part of numeric) {
    if (part.length === 0) throw badFormat();
    const partMask = decodeNumber(part, haveTextMonth, fieldMask, fields, context);
    if (fieldMask & partMask) throw badFormat();
    fieldMask |= partMask;
    mask |= partMask;
  }
  if ((fieldMask & ~(Mask.dayOfYear | Mask.tz)) !== DATE_MASK) throw badFormat();
  return mask;
}

/** ValidateDate: BC and two-digit years, day of year, and the ranges of month and day. */
export function validateDate(fieldMask: number, isJulian: boolean, twoDigitYear: boolean, bc: boolean, fields: DateTimeFields): void {
  if ((fieldMask & Mask.year) === 0 || isJulian) {
    // No year, or one that came from a Julian day and is right as it is.
  } else if (bc) {
    if (fields.year <= 0) throw fieldOverflow();
    fields.year = -(fields.year - 1);
  } else if (twoDigitYear) {
    if (fields.year < 0) throw fieldOverflow();
    if (fields.year < 70) fields.year += 2000;
    else if (fields.year < 100) fields.year += 1900;
  } else if (fields.year <= 0) {
    throw fieldOverflow();
  }
  if (fieldMask & Mask.dayOfYear) {
    const date = civilFromDays(daysFromCivil(fields.year, 1, 1) + fields.dayOfYear - 1);
    fields.year = date.year;
    fields.month = date.month;
    fields.day = date.day;
  }
  if (fieldMask & Mask.month && (fields.month < 1 || fields.month > 12)) throw new DecodeError('md-field-overflow');
  if (fieldMask & Mask.day && (fields.day < 1 || fields.day > 31)) throw new DecodeError('md-field-overflow');
  if ((fieldMask & DATE_MASK) === DATE_MASK && fields.day > daysInMonth(fields.year, fields.month)) throw fieldOverflow();
}

// ---------------------------------------------------------------------------------------------------
// DecodeDateTime

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
function localSecondsOf(fields: DateTimeFields): number {
  return daysFromCivil(fields.year, fields.month, fields.day) * SECONDS_PER_DAY + (fields.hour * 60 + fields.minute) * 60 + fields.second;
}

/** Sets the date fields from a Julian day number (j2date). */
function setJulianDay(fields: DateTimeFields, julianDay: number): void {
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
          } else if (text.length >= 6 && ((fieldMask & DATE_MASK) === 0 || (fieldMask & TIME_MASK) === 0)) {
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
      // A fraction of a day ('.' alone is none).
      if (!/^\.[0-9]*$/.test(rest)) throw badFormat();
      const time = Number(`0${rest}0`) * MICROSECONDS_PER_DAY;
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

// ---------------------------------------------------------------------------------------------------
// date

/** The work buffer of date_in: MAXDATELEN + 1. */
const DATE_BUFFER_BYTES = 129;
/** Days since 2000-01-01 of the first and one past the last valid date (Julian days 0 and 2147483494). */
const DATE_DAYS_MIN = -POSTGRES_EPOCH_JULIAN_DAY;
const DATE_DAYS_END = 2_147_483_494 - POSTGRES_EPOCH_JULIAN_DAY;

export function parseDate(text: string, options: DateTimeOptions): number {
  const decoded = withParseErrors(text, 'date', () => decodeDateTime(tokenizeDateTime(text, DATE_BUFFER_BYTES), options, false));
  switch (decoded.kind) {
    case 'infinity':
      return Infinity;
    case '-infinity':
      return -Infinity;
    case 'epoch':
      return daysFromCivil(1970, 1, 1);
    case 'date': {
      const { year, month } = decoded.fields;
      const outOfRange = (): ReefSqlError => new ReefSqlError(SqlState.DATETIME_FIELD_OVERFLOW, `date out of range: "${text}"`);
      // IS_VALID_JULIAN, then IS_VALID_DATE.
      if (year < -4713 || (year === -4713 && month < 11) || year > 5874898 || (year === 5874898 && month >= 6)) throw outOfRange();
      const days = daysFromCivil(year, month, decoded.fields.day);
      if (days < DATE_DAYS_MIN || days >= DATE_DAYS_END) throw outOfRange();
      return days;
    }
  }
}

export function formatDate(value: number): string {
  if (value === Infinity) return 'infinity';
  if (value === -Infinity) return '-infinity';
  if (!Number.isSafeInteger(value)) throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not a date datum: ${value}`);
  const { year, month, day } = civilFromDays(value);
  const { date, era } = formatDateParts(year, month, day);
  return date + era;
}
