// Text input and output of date, as PostgreSQL 15's date_in/date_out with DateStyle 'ISO, MDY'.
//
// Input is decoded exactly like a timestamp (timestamp-io.ts: decodeDateTime), and any time and zone
// in it are checked and then ignored ('2024-01-05 13:45+02' is 2024-01-05). 'epoch' is 1970-01-01,
// 'infinity' and '-infinity' the infinite dates, 'today', 'tomorrow', 'yesterday' and 'now' the date in
// the session TimeZone. The range is PostgreSQL's, 4714-11-24 BC to 5874897-12-31: outside it 22008
// 'date out of range: "…"'.
//
// The value is the number of days since 2000-01-01, ±Infinity for the infinities (datum.ts). Output is
// 'yyyy-mm-dd' with at least four year digits, ' BC' after BC dates ('0044-03-15 BC').

import { ReefSqlError, SqlState } from '../errors.js';
import { type DateTimeOptions, POSTGRES_EPOCH_JULIAN_DAY, civilFromDays, daysFromCivil, formatDateParts, tokenizeDateTime, withParseErrors } from './datetime-io.js';
import { decodeDateTime } from './timestamp-io.js';

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
  const { year, month, day } = civilFromDays(value);
  const { date, era } = formatDateParts(year, month, day);
  return date + era;
}
