// Text input and output of real (float4) and double precision (float8), as PostgreSQL 15's float4in,
// float8in, float4out and float8out with extra_float_digits = 1 (the default).
//
// Input is what glibc's strtod/strtof accept after leading C whitespace: a decimal number with an
// optional exponent, a hexadecimal one ('0x1.8p3'), 'inf'/'infinity' and 'nan' (also 'nan(chars)'), any
// case, with a sign; then optional whitespace and nothing else (22P02). Decimal and hexadecimal input
// rounds correctly to nearest, ties to even: float8 through JavaScript's own (correctly rounded)
// Number parsing, float4 directly to 24 bits with exact BigInt arithmetic, because rounding to a double
// first and then to a float can land on the wrong side of a tie. A finite input that rounds to infinity,
// or a non-zero one that rounds to zero, is 22003: float8 names the number ('"1e400" is out of range
// for type double precision'), float4 the whole input string, as PostgreSQL 15 does. Subnormal results
// are accepted.
//
// Output is the shortest decimal strictly closer to the value than halfway to either neighbour
// (PostgreSQL's Ryū, which leaves out the halfway points even where round-half-even would read them
// back), the closest to the exact value when several are as short, ties to even. It is written without an exponent when the
// decimal exponent X of d.ddd×10^X satisfies -4 <= X < 15 (float8) or -4 <= X < 6 (float4), as printf's
// %g would, and otherwise as d.ddde±XX with at least two exponent digits: 1e+100, 1.5e-07, 1e+15,
// 123456789012, 1e+06 (real). -0 prints as -0; NaN, Infinity and -Infinity as those words. float8's
// digits come from Number.prototype.toExponential, checked for the one case where JavaScript's rule
// differs; float4's from shortestDigits below, which is exact (and the tests' reference for float8).

import { ReefSqlError, SqlState } from '../errors.js';
import { isCDigit, isCSpace } from './text-io.js';

interface BinaryFormat {
  /** Significand bits including the hidden bit. */
  readonly precisionBits: number;
  /** The exponent of the least significant bit of the smallest subnormal. */
  readonly lsbExponentMin: number;
  /** 2^(largest exponent + 1): the first power of two that is out of range. */
  readonly overflowThreshold: number;
}

const FLOAT64: BinaryFormat = { precisionBits: 53, lsbExponentMin: -1074, overflowThreshold: Infinity };
const FLOAT32: BinaryFormat = { precisionBits: 24, lsbExponentMin: -149, overflowThreshold: 2 ** 128 };

/** What strtod recognised at the start of the text. */
type ScannedNumber =
  | { readonly kind: 'special'; readonly end: number; readonly value: number }
  | { readonly kind: 'decimal'; readonly end: number; readonly negative: boolean; readonly digits: string; readonly exponent: number }
  | { readonly kind: 'hex'; readonly end: number; readonly negative: boolean; readonly mantissa: bigint; readonly exponent: number };

export function parseFloat8(text: string): number {
  return parseFloat(text, 'double precision', FLOAT64);
}

export function parseFloat4(text: string): number {
  return parseFloat(text, 'real', FLOAT32);
}

function parseFloat(text: string, typeName: string, format: BinaryFormat): number {
  let start = 0;
  while (start < text.length && isCSpace(text.charCodeAt(start))) start++;
  const invalid = (): ReefSqlError =>
    new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type ${typeName}: "${text}"`);
  if (start === text.length) throw invalid();
  const scanned = scanNumber(text, start);
  if (scanned === undefined) throw invalid();
  const value = scannedValue(scanned, format);
  const isZeroInput = scanned.kind === 'decimal' ? /^0*$/.test(scanned.digits) : scanned.kind === 'hex' && scanned.mantissa === 0n;
  if (scanned.kind !== 'special' && (!Number.isFinite(value) || (value === 0 && !isZeroInput))) {
    const shown = format === FLOAT64 ? text.slice(start, scanned.end) : text;
    throw new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `"${shown}" is out of range for type ${typeName}`);
  }
  let end = scanned.end;
  while (end < text.length && isCSpace(text.charCodeAt(end))) end++;
  if (end !== text.length) throw invalid();
  return value;
}

function scannedValue(scanned: ScannedNumber, format: BinaryFormat): number {
  switch (scanned.kind) {
    case 'special':
      return format === FLOAT32 ? Math.fround(scanned.value) : scanned.value;
    case 'hex': {
      const magnitude = roundBinary(scanned.mantissa, scanned.exponent, format);
      return scanned.negative ? -magnitude : magnitude;
    }
    case 'decimal': {
      let magnitude: number;
      if (format === FLOAT64) magnitude = Number(`${scanned.digits}e${scanned.exponent}`);
      else magnitude = decimalToFloat32(scanned.digits, scanned.exponent);
      return scanned.negative ? -magnitude : magnitude;
    }
  }
}

/** glibc strtod's grammar at `start`; undefined when it recognises nothing (endptr == nptr). */
function scanNumber(text: string, start: number): ScannedNumber | undefined {
  let index = start;
  let negative = false;
  if (text[index] === '+' || text[index] === '-') {
    negative = text[index] === '-';
    index++;
  }
  const rest = text.slice(index, index + 8).toLowerCase();
  if (rest.startsWith('inf')) {
    const end = index + (rest === 'infinity' ? 8 : 3);
    return { kind: 'special', end, value: negative ? -Infinity : Infinity };
  }
  if (rest.startsWith('nan')) {
    let end = index + 3;
    const payload = /^\([0-9A-Za-z_]*\)/.exec(text.slice(end));
    if (payload !== null) end += payload[0].length;
    return { kind: 'special', end, value: NaN };
  }
  if (text[index] === '0' && (text[index + 1] === 'x' || text[index + 1] === 'X')) {
    const hex = scanHex(text, index + 2, negative);
    if (hex !== undefined) return hex;
  }
  return scanDecimal(text, index, negative);
}

function scanDecimal(text: string, index: number, negative: boolean): ScannedNumber | undefined {
  let digits = '';
  let exponent = 0;
  let sawDigit = false;
  while (index < text.length && isCDigit(text.charCodeAt(index))) {
    digits += text[index++];
    sawDigit = true;
  }
  if (text[index] === '.') {
    let after = index + 1;
    while (after < text.length && isCDigit(text.charCodeAt(after))) {
      digits += text[after++];
      exponent--;
      sawDigit = true;
    }
    if (sawDigit) index = after;
  }
  if (!sawDigit) return undefined;
  const exponentMatch = /^[eE]([+-]?)([0-9]+)/.exec(text.slice(index, index + 2 + 400));
  if (exponentMatch !== null) {
    let end = index + exponentMatch[0].length;
    while (end < text.length && isCDigit(text.charCodeAt(end))) end++;
    // Beyond a million the exponent only decides between zero and infinity.
    const written = Math.min(Number(exponentMatch[2]), 1e6);
    exponent += exponentMatch[1] === '-' ? -written : written;
    index = end;
  }
  return { kind: 'decimal', end: index, negative, digits, exponent };
}

function scanHex(text: string, index: number, negative: boolean): ScannedNumber | undefined {
  let mantissa = 0n;
  let exponent = 0;
  let sawDigit = false;
  const isHex = (at: number): boolean => /[0-9a-fA-F]/.test(text[at] ?? '');
  // Digits past the first 40 only matter as a sticky bit; keep them as one extra low bit.
  let kept = 0;
  let sticky = false;
  const take = (digit: string, fractional: boolean): void => {
    sawDigit = true;
    if (kept < 40) {
      mantissa = mantissa * 16n + BigInt(parseInt(digit, 16));
      if (mantissa !== 0n) kept++;
      if (fractional) exponent -= 4;
    } else {
      if (digit !== '0') sticky = true;
      if (!fractional) exponent += 4;
    }
  };
  while (isHex(index)) take(text[index++]!, false);
  if (text[index] === '.') {
    let after = index + 1;
    while (isHex(after)) take(text[after++]!, true);
    if (sawDigit) index = after;
  }
  if (!sawDigit) return undefined;
  if (sticky) {
    mantissa = mantissa * 2n + 1n;
    exponent -= 1;
  }
  const exponentMatch = /^[pP]([+-]?)([0-9]+)/.exec(text.slice(index, index + 2 + 400));
  if (exponentMatch !== null) {
    let end = index + exponentMatch[0].length;
    while (end < text.length && isCDigit(text.charCodeAt(end))) end++;
    const written = Math.min(Number(exponentMatch[2]), 1e6);
    exponent += exponentMatch[1] === '-' ? -written : written;
    index = end;
  }
  return { kind: 'hex', end: index, negative, mantissa, exponent };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/**
 * mantissa × 2^exponent rounded to the nearest value of `format` (ties to even), as a double; Infinity
 * when it rounds beyond the largest finite value. The lowest bit of `mantissa` may be a sticky bit:
 * rounding never keeps fewer than two bits less than the mantissa has, so it decides only ties.
 */
function roundBinary(mantissa: bigint, exponent: number, format: BinaryFormat): number {
  if (mantissa === 0n) return 0;
  const topExponent = bitLength(mantissa) - 1 + exponent;
  if (topExponent > 1100) return Infinity;
  if (topExponent < format.lsbExponentMin - 2) return 0;
  const lsbExponent = Math.max(topExponent - (format.precisionBits - 1), format.lsbExponentMin);
  const shift = lsbExponent - exponent;
  let kept: bigint;
  if (shift <= 0) {
    kept = mantissa << BigInt(-shift);
  } else {
    kept = mantissa >> BigInt(shift);
    const remainder = mantissa & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    if (remainder > half || (remainder === half && (kept & 1n) === 1n)) kept += 1n;
  }
  const value = Number(kept) * 2 ** lsbExponent;
  return value >= format.overflowThreshold ? Infinity : value;
}

/** digits × 10^exponent rounded once, exactly, to the nearest float32 (returned as a double). */
function decimalToFloat32(digits: string, exponent: number): number {
  const trimmed = digits.replace(/^0+/, '');
  if (trimmed === '') return 0;
  const magnitudeExponent = trimmed.length + exponent;
  if (magnitudeExponent > 40) return Infinity;
  if (magnitudeExponent < -50) return 0;
  let numerator = BigInt(trimmed);
  let denominator = 1n;
  if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator = 10n ** BigInt(-exponent);
  // Scale so that the quotient has at least 26 bits, then round it with the remainder as a sticky bit.
  const scale = FLOAT32.precisionBits + 2 - (bitLength(numerator) - bitLength(denominator));
  if (scale > 0) numerator <<= BigInt(scale);
  else denominator <<= BigInt(-scale);
  const quotient = numerator / denominator;
  const sticky = numerator % denominator === 0n ? 0n : 1n;
  return roundBinary(quotient * 2n + sticky, -scale - 1, FLOAT32);
}

export function formatFloat8(value: number): string {
  if (!Number.isFinite(value) || value === 0) return formatSpecial(value);
  const magnitude = Math.abs(value);
  // toExponential() without an argument gives the shortest digits that read back as the value, closest
  // to it. JavaScript counts a decimal exactly halfway to a neighbour as reading back when the
  // significand is even (round-half-even takes it there); PostgreSQL's Ryū never does. Only then can
  // the two differ, and the exact search settles it.
  const [mantissa, exponentText] = magnitude.toExponential().split('e') as [string, string];
  let digits = mantissa.replace('.', '');
  let scientificExponent = Number(exponentText);
  if (mayBeOnRoundingBoundary(magnitude, digits, scientificExponent - digits.length + 1)) {
    const exact = shortestDigits(magnitude, 'float8');
    digits = exact.digits;
    scientificExponent = exact.exponent + digits.length - 1;
  }
  return layOut(value < 0, digits, scientificExponent, 15);
}

/**
 * Whether digits × 10^exponent might lie exactly halfway between the double `value` and a neighbour.
 * Such a point is an odd multiple of 2^(e-1) for value = s × 2^e (2^(e-2) below a power of two), and
 * JavaScript reads it back as `value` only when s is even. An integer decimal can equal it only when
 * e >= 1; a fraction d × 10^-n only when 5^n divides d (its denominator must be a power of two).
 */
function mayBeOnRoundingBoundary(value: number, digits: string, exponent: number): boolean {
  scratch.setFloat64(0, value);
  if ((scratch.getUint32(4) & 1) !== 0) return false;
  if (exponent >= 0) return ((scratch.getUint32(0) >>> 20) & 0x7ff) >= 1076;
  if (-exponent > 24) return false;
  // Numbers below 2^53 divide exactly; 5^22 is the largest power of five that is.
  if (digits.length <= 15 && -exponent <= 22) return Number(digits) % 5 ** -exponent === 0;
  return BigInt(digits) % 5n ** BigInt(-exponent) === 0n;
}

/** Scratch space for reading a double's bits. */
const scratch = new DataView(new ArrayBuffer(8));

export function formatFloat4(value: number): string {
  if (Math.fround(value) !== value && !Number.isNaN(value)) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `not a real datum (not a float32 value): ${value}`);
  }
  if (!Number.isFinite(value) || value === 0) return formatSpecial(value);
  const { digits, exponent } = shortestDigits(Math.abs(value), 'float4');
  return layOut(value < 0, digits, exponent + digits.length - 1, 6);
}

function formatSpecial(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return Object.is(value, -0) ? '-0' : '0';
}

/** d.ddd × 10^scientificExponent written as PostgreSQL does (see the file comment). */
function layOut(negative: boolean, digits: string, scientificExponent: number, fixedExponentLimit: number): string {
  const sign = negative ? '-' : '';
  const x = scientificExponent;
  if (x >= -4 && x < fixedExponentLimit) {
    if (x < 0) return `${sign}0.${'0'.repeat(-x - 1)}${digits}`;
    if (digits.length <= x + 1) return `${sign}${digits}${'0'.repeat(x + 1 - digits.length)}`;
    return `${sign}${digits.slice(0, x + 1)}.${digits.slice(x + 1)}`;
  }
  const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
  const exponentDigits = String(Math.abs(x)).padStart(2, '0');
  return `${sign}${digits[0]}${fraction}e${x < 0 ? '-' : '+'}${exponentDigits}`;
}

/** The power of ten 10^n as a BigInt (n >= 0). */
function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/**
 * The shortest decimal digits × 10^exponent strictly inside the rounding interval of `value` (a
 * positive finite value of the format), the closest to it among the shortest, ties to the even last
 * digit: what PostgreSQL's Ryū computes (built without STRICTLY_SHORTEST, so the interval's ends never
 * count, even where round-half-even would read them back), here by exact rational comparison. The
 * interval reaches half the gap to each neighbour; below a power of two that gap is half as wide.
 */
export function shortestDigits(value: number, width: 'float4' | 'float8'): { digits: string; exponent: number } {
  const format = width === 'float4' ? FLOAT32 : FLOAT64;
  const { significand, exponent: binaryExponent } = decompose(value, format);
  const isPowerOfTwoBoundary = significand === 1n << BigInt(format.precisionBits - 1) && binaryExponent > format.lsbExponentMin;
  // Everything in units of 2^(binaryExponent - 2): value = 4s, upper end 4s + 2, lower end 4s - 2 or 4s - 1.
  const unitExponent = binaryExponent - 2;
  const center = significand * 4n;
  const upper = center + 2n;
  const lower = isPowerOfTwoBoundary ? center - 1n : center - 2n;
  // A rational a × 10^k against b × 2^unitExponent as integers: a × 10^k × 2^-u vs b.
  const compare = (decimal: bigint, decimalExponent: number, units: bigint): number => {
    let left = decimal;
    let right = units;
    if (decimalExponent >= 0) left *= pow10(decimalExponent);
    else right *= pow10(-decimalExponent);
    if (unitExponent >= 0) right <<= BigInt(unitExponent);
    else left <<= BigInt(-unitExponent);
    return left < right ? -1 : left > right ? 1 : 0;
  };
  const inside = (decimal: bigint, decimalExponent: number): boolean => {
    const low = compare(decimal, decimalExponent, lower);
    const high = compare(decimal, decimalExponent, upper);
    return low > 0 && high < 0;
  };
  // The decimal exponent of the leading digit, exactly: 10^e <= value < 10^(e+1).
  let leading = Math.floor(Math.log10(value));
  while (compare(1n, leading, center) > 0) leading--;
  while (compare(1n, leading + 1, center) <= 0) leading++;
  for (let length = 1; length <= 17; length++) {
    const decimalExponent = leading - length + 1;
    // floor(value / 10^decimalExponent)
    let numerator = center;
    let denominator = 1n;
    if (unitExponent >= 0) numerator <<= BigInt(unitExponent);
    else denominator <<= BigInt(-unitExponent);
    if (decimalExponent >= 0) denominator *= pow10(decimalExponent);
    else numerator *= pow10(-decimalExponent);
    const below = numerator / denominator;
    const above = below + 1n;
    const belowInside = inside(below, decimalExponent);
    const aboveInside = inside(above, decimalExponent);
    if (!belowInside && !aboveInside) continue;
    let chosen: bigint;
    if (belowInside && aboveInside) {
      // Twice the distance from `below` to the value, against the step of one unit in the last digit.
      const twiceRemainder = 2n * (numerator - below * denominator);
      if (twiceRemainder < denominator) chosen = below;
      else if (twiceRemainder > denominator) chosen = above;
      else chosen = (below & 1n) === 0n ? below : above;
    } else {
      chosen = belowInside ? below : above;
    }
    let digits = chosen.toString();
    let exponent = decimalExponent;
    while (digits.length > 1 && digits.endsWith('0')) {
      digits = digits.slice(0, -1);
      exponent++;
    }
    return { digits, exponent };
  }
  throw new Error(`shortestDigits: no decimal of 17 digits or fewer reads back as ${value}`);
}

/** value = significand × 2^exponent, the significand as stored (hidden bit included when normal). */
function decompose(value: number, format: BinaryFormat): { significand: bigint; exponent: number } {
  if (format === FLOAT32) {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value);
    const bits = view.getUint32(0);
    const biased = (bits >>> 23) & 0xff;
    const fraction = bits & 0x7fffff;
    if (biased === 0) return { significand: BigInt(fraction), exponent: -149 };
    return { significand: BigInt(fraction | 0x800000), exponent: biased - 150 };
  }
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  if (biased === 0) return { significand: fraction, exponent: -1074 };
  return { significand: fraction | (1n << 52n), exponent: biased - 1075 };
}
