// Text input and output of bytea, as PostgreSQL 15's byteain/byteaout with bytea_output = 'hex'.
//
// Input in the hex format starts with '\x' (lower-case x) and continues with pairs of hex digits of
// either case; spaces, tabs, newlines and carriage returns may stand between pairs, not inside one.
// A bad digit is 22023 'invalid hexadecimal digit: "g"', an unpaired one 22023 "invalid hexadecimal
// data: odd number of digits". Anything else is the escape format: '\\' is a backslash, '\ooo' (first
// digit 0-3, then two octal digits) one byte, any other backslash 22P02 "invalid input syntax for type
// bytea", and every other character stands for its UTF-8 bytes.
//
// Output is '\x' and two lower-case hex digits per byte.

import { ReefSqlError, SqlState } from '../errors.js';

const HEX_DIGITS = '0123456789abcdef';

export function parseBytea(text: string): Uint8Array {
  if (text.startsWith('\\x')) return decodeHex(text, 2);
  return decodeEscaped(text);
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  return -1;
}

function decodeHex(text: string, start: number): Uint8Array {
  const bytes = new Uint8Array((text.length - start) >> 1);
  let count = 0;
  const digitAt = (index: number): number => {
    const value = hexValue(text.charCodeAt(index));
    if (value < 0) {
      const character = String.fromCodePoint(text.codePointAt(index)!);
      throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid hexadecimal digit: "${character}"`);
    }
    return value;
  };
  for (let index = start; index < text.length; ) {
    const code = text.charCodeAt(index);
    if (code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d) {
      index++;
      continue;
    }
    const high = digitAt(index);
    if (index + 1 >= text.length) {
      throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, 'invalid hexadecimal data: odd number of digits');
    }
    bytes[count++] = (high << 4) | digitAt(index + 1);
    index += 2;
  }
  return bytes.slice(0, count);
}

function decodeEscaped(text: string): Uint8Array {
  const utf8 = new TextEncoder().encode(text);
  const bytes = new Uint8Array(utf8.length);
  let count = 0;
  const isOctal = (byte: number | undefined, max: number): boolean => byte !== undefined && byte >= 0x30 && byte <= max;
  for (let index = 0; index < utf8.length; ) {
    const byte = utf8[index]!;
    if (byte !== 0x5c) {
      bytes[count++] = byte;
      index++;
    } else if (isOctal(utf8[index + 1], 0x33) && isOctal(utf8[index + 2], 0x37) && isOctal(utf8[index + 3], 0x37)) {
      bytes[count++] = ((utf8[index + 1]! - 0x30) << 6) | ((utf8[index + 2]! - 0x30) << 3) | (utf8[index + 3]! - 0x30);
      index += 4;
    } else if (utf8[index + 1] === 0x5c) {
      bytes[count++] = 0x5c;
      index += 2;
    } else {
      throw new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type bytea');
    }
  }
  return bytes.slice(0, count);
}

export function formatBytea(value: Uint8Array): string {
  let text = '\\x';
  for (const byte of value) text += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  return text;
}
