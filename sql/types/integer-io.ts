// Text input and output of smallint, integer, bigint and oid, as PostgreSQL 15's int2in/int4in/int8in
// (pg_strtoint16/32/64) and oidin.
//
// Integer input: optional C whitespace, an optional sign, at least one decimal digit, optional
// whitespace, nothing else (no underscores, no hexadecimal: those came with PostgreSQL 16). As in
// PostgreSQL, which accumulates the digits as a negative number, a magnitude beyond the most negative
// value is out of range (22003 'value "…" is out of range for type integer') before anything after
// the digits is looked at, so '99999999999x' is out of range; the one magnitude that fits only as a
// negative ('2147483648x') is checked after them, so that one is bad syntax (22P02 'invalid input
// syntax for type integer: "…"').
//
// oid input follows strtoul: a minus sign is allowed and wraps ('-1' is 4294967295) as long as the
// negated value fits in 32 bits signed.
//
// Output is the plain decimal number.

import { ReefSqlError, SqlState } from '../errors.js';
import { isCDigit, isCSpace } from './text-io.js';

const INT2_MIN = -32768;
const INT2_MAX = 32767;
const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const UINT32_MAX = 4294967295;
const UINT64_MAX = 2n ** 64n - 1n;

export function parseInt2(text: string): number {
  return Number(parseSigned(text, 'smallint', BigInt(INT2_MIN), BigInt(INT2_MAX)));
}

export function parseInt4(text: string): number {
  return Number(parseSigned(text, 'integer', BigInt(INT4_MIN), BigInt(INT4_MAX)));
}

export function parseInt8(text: string): bigint {
  return parseSigned(text, 'bigint', INT8_MIN, INT8_MAX);
}

function invalidSyntax(typeName: string, text: string): ReefSqlError {
  return new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type ${typeName}: "${text}"`);
}

function outOfRange(typeName: string, text: string): ReefSqlError {
  return new ReefSqlError(SqlState.NUMERIC_VALUE_OUT_OF_RANGE, `value "${text}" is out of range for type ${typeName}`);
}

/** The integer in `text` within [min, max], by pg_strtoint's rules (see the file comment). */
function parseSigned(text: string, typeName: string, min: bigint, max: bigint): bigint {
  let index = 0;
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  let negative = false;
  if (text[index] === '-' || text[index] === '+') {
    negative = text[index] === '-';
    index++;
  }
  const digitsStart = index;
  while (index < text.length && isCDigit(text.charCodeAt(index))) index++;
  if (index === digitsStart) throw invalidSyntax(typeName, text);
  // 20 significant digits exceed every range; stop there rather than build a huge BigInt.
  let significant = digitsStart;
  while (significant < index - 1 && text[significant] === '0') significant++;
  if (index - significant > 20) throw outOfRange(typeName, text);
  const magnitude = BigInt(text.slice(significant, index));
  // PostgreSQL accumulates the digits as a negative number, which overflows only beyond -min; a
  // positive -min is refused after the trailing characters are checked.
  if (magnitude > -min) throw outOfRange(typeName, text);
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  if (index !== text.length) throw invalidSyntax(typeName, text);
  const value = negative ? -magnitude : magnitude;
  if (value > max) throw outOfRange(typeName, text);
  return value;
}

export function parseOid(text: string): number {
  let index = 0;
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  let negative = false;
  if (text[index] === '-' || text[index] === '+') {
    negative = text[index] === '-';
    index++;
  }
  const digitsStart = index;
  while (index < text.length && isCDigit(text.charCodeAt(index))) index++;
  if (index === digitsStart) throw invalidSyntax('oid', text);
  let significant = digitsStart;
  while (significant < index - 1 && text[significant] === '0') significant++;
  // strtoul itself fails only beyond 64 bits, and before the trailing characters are looked at.
  const magnitude = index - significant > 20 ? UINT64_MAX + 1n : BigInt(text.slice(significant, index));
  if (magnitude > UINT64_MAX) throw outOfRange('oid', text);
  while (index < text.length && isCSpace(text.charCodeAt(index))) index++;
  if (index !== text.length) throw invalidSyntax('oid', text);
  // strtoul negates in unsigned 64-bit arithmetic; the result must then fit 32 bits after unsigned or
  // signed extension: 0 .. 4294967295, or the wrapped forms of -2147483648 .. -1.
  const converted = negative ? (UINT64_MAX + 1n - magnitude) & UINT64_MAX : magnitude;
  if (converted <= BigInt(UINT32_MAX)) return Number(converted);
  if (converted >= UINT64_MAX + 1n - 2n ** 31n) return Number(converted - (UINT64_MAX + 1n) + 2n ** 32n);
  throw outOfRange('oid', text);
}

export function formatInteger(value: number | bigint): string {
  return String(value);
}
