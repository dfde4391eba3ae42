// Text input and output of the character types, as PostgreSQL 15's textin, varchar_input, bpchar_input
// and namein, plus the C-locale character classes the other input functions share (PostgreSQL's input
// functions test bytes with isspace/isdigit/isalpha in the C locale: ASCII only).
//
//   text, unknown      kept as given
//   varchar(n)         at most n characters; a longer value is 22001 "value too long for type
//                      character varying(n)" unless everything past n is spaces, which are cut off
//   char(n) (bpchar)   the same check ("character(n)"), then padded with spaces to n characters; the
//                      stored value keeps the padding and so does its output. bpchar without a length
//                      is kept as given
//   name               cut to at most 63 UTF-8 bytes, never inside a character (NAMEDATALEN - 1)
//
// Lengths count characters (code points), as PostgreSQL does in UTF-8, not UTF-16 units. The type
// modifier of varchar(n) and char(n) is n + 4; -1 means no length.

import { ReefSqlError, SqlState } from '../errors.js';

/** PostgreSQL's VARHDRSZ: character types store their length plus 4 as the type modifier. */
const VARHDRSZ = 4;
/** NAMEDATALEN - 1: the longest name in bytes. */
const NAME_BYTES_MAX = 63;

/** C's isspace in the "C" locale: space, \t, \n, \v, \f, \r. */
export function isCSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

export function isCDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export function isCAlpha(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

/** `text` without leading and trailing C whitespace. */
export function trimCSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isCSpace(text.charCodeAt(start))) start++;
  while (end > start && isCSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** The number of characters (code points) in `text`. */
export function characterLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    count++;
  }
  return count;
}

/** The UTF-16 index where character number `characters` (a code point count) starts. */
function characterOffset(text: string, characters: number): number {
  let index = 0;
  for (let count = 0; count < characters && index < text.length; count++) {
    const unit = text.charCodeAt(index);
    const pair = unit >= 0xd800 && unit < 0xdc00 && index + 1 < text.length && (text.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
    index += pair ? 2 : 1;
  }
  return index;
}

/** The declared length n of varchar(n) or char(n), or undefined for none. */
export function characterTypmodLength(typmod: number): number | undefined {
  return typmod >= VARHDRSZ ? typmod - VARHDRSZ : undefined;
}

export function parseVarchar(text: string, typmod: number): string {
  const lengthMax = characterTypmodLength(typmod);
  if (lengthMax === undefined) return text;
  return fitLength(text, lengthMax, 'character varying');
}

export function parseBpchar(text: string, typmod: number): string {
  const lengthMax = characterTypmodLength(typmod);
  if (lengthMax === undefined) return text;
  const fitted = fitLength(text, lengthMax, 'character');
  const length = characterLength(fitted);
  return length < lengthMax ? fitted + ' '.repeat(lengthMax - length) : fitted;
}

/** `text` if it has at most `lengthMax` characters, else cut there when only spaces are cut, else 22001. */
function fitLength(text: string, lengthMax: number, typeWord: string): string {
  // A string of at most lengthMax UTF-16 units cannot have more characters than that.
  if (text.length <= lengthMax || characterLength(text) <= lengthMax) return text;
  const cut = characterOffset(text, lengthMax);
  for (let i = cut; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x20) {
      throw new ReefSqlError(SqlState.STRING_DATA_RIGHT_TRUNCATION, `value too long for type ${typeWord}(${lengthMax})`);
    }
  }
  return text.slice(0, cut);
}

export function parseName(text: string): string {
  if (text.length * 3 <= NAME_BYTES_MAX) return text;
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.codePointAt(index)!;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + width > NAME_BYTES_MAX) break;
    bytes += width;
    index += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, index);
}
