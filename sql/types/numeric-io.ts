// Text input and output of numeric, as PostgreSQL 15's numeric_in/numeric_out, and the type modifier
// rule of numeric(p, s) (apply_typmod).
//
// Input: optional C whitespace, then 'NaN', 'Infinity'/'inf' with an optional sign (any case), or an
// optional sign, digits with at most one '.', at least one digit, and an optional exponent 'e' or 'E'
// followed by strtol's optional whitespace, sign and digits; then optional whitespace (22P02 otherwise).
// The display scale (dscale) is the number of digits written after the point minus the exponent, at
// least 0: '1.50' has scale 2, '1.5e1' scale 0, '1e-5' scale 5. A value of 10^131072 or more, or a
// scale above 16383, is 22003 "value overflows numeric format" (the limits of PostgreSQL's storage).
//
// numeric(p, s), applied after those checks (as PostgreSQL applies it to the numeric read from a
// literal or parameter): the typmod is ((p << 16) | (s & 0x7ff)) + 4 (PostgreSQL 15 allows -1000 <= s <= 1000,
// so s is an 11-bit signed field). The value is rounded half away from zero to s digits after the point
// (s < 0: to a multiple of 10^-s), its scale becomes max(s, 0), and then |value| must be below
// 10^(p - s), or it is 22003 "numeric field overflow" with PostgreSQL's detail ('A field with precision
// 5, scale 2 must round to an absolute value less than 10^3.'; "less than 1." for p = s). NaN passes;
// infinities do not ('… cannot hold an infinite value.').
//
// The representation is a Decimal (datum.ts), which keeps no trailing zeros. The display scale lives
// beside it: parseNumeric records it for the Decimal it returns (a WeakMap keyed by the immutable
// Decimal object), formatNumeric prints that many digits after the point, numeric(p, s) prints s.
// A Decimal with no recorded scale prints its own digits. Code that computes numerics (PostgreSQL
// derives the scale of a sum, a product, ...) can pass the scale on with withDisplayScale.
//
// Output: no exponent, ever; exactly `scale` digits after the point; 'NaN', 'Infinity', '-Infinity';
// never '-0'.
//
// PostgreSQL 15 numeric has infinities (added in 14): they are Decimal ±Infinity here.

import { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { isCDigit, isCSpace } from './text-io.js';

/**
 * The Decimal constructor for numeric: 1000 significant digits for arithmetic (PostgreSQL's limit on a
 * declared precision) and PostgreSQL's rounding, half away from zero. Parsing is exact whatever the
 * precision: decimal.js rounds results of arithmetic, not constructed values.
 */
export const NumericDecimal = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_UP });

const VARHDRSZ = 4;
/** Digits before the point: PostgreSQL stores a weight of at most 32767 base-10000 digits. */
const INTEGER_DIGITS_MAX = 131072;
/** Digits after the point: the dscale field has 14 bits. */
const SCALE_MAX = 16383;

const displayScales = new WeakMap<Decimal, number>();

/** `value` with `scale` digits after the point when printed (`value` itself, now carrying the scale). */
export function withDisplayScale(value: Decimal, scale: number): Decimal {
  if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`withDisplayScale: bad scale ${scale}`);
  displayScales.set(value, scale);
  return value;
}

/** The number of digits printed after the point: the recorded scale, else the value's own. */
export function numericDisplayScale(value: Decimal): number {
  return displayScales.get(value) ?? (value.isFinite() ? value.decimalPlaces() : 0);
}

/** The precision and scale of a numeric typmod, or undefined for none. */
export function numericTypmod(typmod: number): { precision: number; scale: number } | undefined {
  if (typmod < VARHDRSZ) return undefined;
  const bits = typmod - VARHDRSZ;
  return { precision: (bits >> 16) & 0xffff, scale: ((bits & 0x7ff) ^ 1024) - 1024 };
}

export function parseNumeric(text: string, typmod: number): Decimal {
  const invalid = (): ReefSqlError =>
    new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type numeric: "${text}"`);
  let index = 0;
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  const special = matchSpecial(text, index);
  let value: Decimal;
  let scale: number;
  if (special !== undefined) {
    value = special.value;
    scale = 0;
    index = special.end;
  } else {
    const scanned = scanNumber(text, index);
    if (scanned === undefined) throw invalid();
    value = scanned.value;
    scale = scanned.scale;
    index = scanned.end;
  }
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  if (index !== text.length) throw invalid();
  // PostgreSQL reads a literal or parameter as plain numeric first and applies numeric(p, s) after,
  // so the storage limits apply to the value as written.
  checkStorageLimits(value, scale);
  return applyNumericTypmod(value, scale, typmod);
}

/** make_result's range checks: 22003 "value overflows numeric format". */
function checkStorageLimits(value: Decimal, scale: number): void {
  if (!value.isFinite()) return;
  if (scale > SCALE_MAX || (!value.isZero() && value.e >= INTEGER_DIGITS_MAX)) throw overflowsFormat();
}

/** 'NaN', '[+-]Infinity', '[+-]inf' at `index` (checked in that order, as numeric_in does). */
function matchSpecial(text: string, index: number): { value: Decimal; end: number } | undefined {
  const ahead = text.slice(index, index + 9).toLowerCase();
  if (ahead.startsWith('nan')) return { value: new NumericDecimal(NaN), end: index + 3 };
  for (const [word, value] of [
    ['infinity', Infinity],
    ['+infinity', Infinity],
    ['-infinity', -Infinity],
    ['inf', Infinity],
    ['+inf', Infinity],
    ['-inf', -Infinity],
  ] as const) {
    if (ahead.startsWith(word)) return { value: new NumericDecimal(value), end: index + word.length };
  }
  return undefined;
}

function overflowsFormat(): ReefSqlError {
  return new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'value overflows numeric format');
}

/** set_var_from_str: the number at `index`, its display scale and where it ends. */
function scanNumber(text: string, index: number): { value: Decimal; scale: number; end: number } | undefined {
  let negative = false;
  if (text[index] === '+' || text[index] === '-') {
    negative = text[index] === '-';
    index++;
  }
  let digits = '';
  let fractionDigits = 0;
  let sawPoint = false;
  if (text[index] === '.') {
    sawPoint = true;
    index++;
  }
  if (!isCDigit(text.charCodeAt(index))) return undefined;
  const start = index;
  for (; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (isCDigit(code)) {
      if (sawPoint) fractionDigits++;
    } else if (code === 0x2e && !sawPoint) {
      sawPoint = true;
    } else if (code === 0x2e) {
      return undefined;
    } else {
      break;
    }
  }
  digits = text.slice(start, index).replace('.', '');
  let exponent = 0;
  if (text[index] === 'e' || text[index] === 'E') {
    // strtol: optional whitespace, optional sign, at least one digit.
    const match = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)/.exec(text.slice(index + 1, index + 1 + 64));
    if (match === null) return undefined;
    let end = index + 1 + match[0].length;
    while (end < text.length && isCDigit(text.charCodeAt(end))) end++;
    // PostgreSQL refuses exponents beyond INT_MAX / 2 outright; anything near that overflows anyway.
    const magnitude = end - (index + 1 + match[0].length) > 0 || match[2]!.length > 10 ? Infinity : Number(match[2]);
    if (magnitude >= 1073741823) throw overflowsFormat();
    exponent = match[1] === '-' ? -magnitude : magnitude;
    index = end;
  }
  const scale = Math.max(fractionDigits - exponent, 0);
  const value = new NumericDecimal(`${negative ? '-' : ''}${digits}e${exponent - fractionDigits}`);
  return { value, scale, end: index };
}

/** apply_typmod and make_result's range checks (see the file comment); records the display scale. */
export function applyNumericTypmod(value: Decimal, scale: number, typmod: number): Decimal {
  const declared = numericTypmod(typmod);
  if (declared !== undefined) {
    const { precision, scale: declaredScale } = declared;
    if (!value.isFinite() && !value.isNaN()) {
      throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'numeric field overflow', {
        detail: `A field with precision ${precision}, scale ${declaredScale} cannot hold an infinite value.`,
      });
    }
    if (!value.isNaN()) {
      value = roundToScale(value, declaredScale);
      const integerDigitsMax = precision - declaredScale;
      if (!value.isZero() && value.e >= integerDigitsMax) {
        const limit = integerDigitsMax === 0 ? '1' : `10^${integerDigitsMax}`;
        throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, 'numeric field overflow', {
          detail: `A field with precision ${precision}, scale ${declaredScale} must round to an absolute value less than ${limit}.`,
        });
      }
    }
    scale = Math.max(declaredScale, 0);
  }
  checkStorageLimits(value, scale);
  // PostgreSQL has no negative zero.
  if (value.isZero() && value.isNegative()) value = new NumericDecimal(0);
  return withDisplayScale(value, scale);
}

/** `value` rounded half away from zero to `scale` digits after the point (to 10^-scale when negative). */
function roundToScale(value: Decimal, scale: number): Decimal {
  if (scale >= 0) return value.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  // Significant digits down to the 10^-scale place: value.e + 1 of them before the point, less -scale.
  const significant = value.e + 1 + scale;
  if (significant > 0) return value.toSignificantDigits(significant, Decimal.ROUND_HALF_UP);
  // Everything is below the rounding place: 0, or one unit of it when the value is at least half of it.
  const unit = new NumericDecimal(`1e${-scale}`);
  return value.abs().gte(unit.div(2)) ? (value.isNegative() ? unit.neg() : unit) : new NumericDecimal(0);
}

export function formatNumeric(value: Decimal, typmod: number): string {
  if (value.isNaN()) return 'NaN';
  if (!value.isFinite()) return value.isNegative() ? '-Infinity' : 'Infinity';
  const declared = numericTypmod(typmod);
  const scale = declared !== undefined ? Math.max(declared.scale, 0) : numericDisplayScale(value);
  const text = value.toFixed(scale, Decimal.ROUND_HALF_UP);
  return text.startsWith('-') && /^-[0.]*$/.test(text) ? text.slice(1) : text;
}
