// Text input and output of boolean, as PostgreSQL 15's boolin/boolout (parse_bool_with_len).
//
// Input ignores surrounding ASCII whitespace and case. It accepts any prefix of 'true', 'false', 'yes'
// and 'no' ('t', 'tr', 'n', ...), 'on' and 'off' from two letters on ('o' alone is ambiguous, 'of'
// means off), and exactly '1' or '0'. Anything else is 22P02. Output is 't' or 'f'.

import { ReefSqlError, SqlState } from '../errors.js';
import { trimCSpace } from './text-io.js';

export function parseBoolean(text: string): boolean {
  const value = decodeBoolean(trimCSpace(text).toLowerCase());
  if (value === undefined) {
    throw new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type boolean: "${text}"`);
  }
  return value;
}

function decodeBoolean(word: string): boolean | undefined {
  if (word.length === 0) return undefined;
  const isPrefixOf = (full: string): boolean => word.length <= full.length && full.startsWith(word);
  switch (word[0]) {
    case 't':
      return isPrefixOf('true') ? true : undefined;
    case 'f':
      return isPrefixOf('false') ? false : undefined;
    case 'y':
      return isPrefixOf('yes') ? true : undefined;
    case 'n':
      return isPrefixOf('no') ? false : undefined;
    case 'o':
      // One letter cannot tell 'on' from 'off'.
      if (word.length < 2) return undefined;
      if (isPrefixOf('on')) return true;
      return isPrefixOf('off') ? false : undefined;
    case '1':
      return word.length === 1 ? true : undefined;
    case '0':
      return word.length === 1 ? false : undefined;
    default:
      return undefined;
  }
}

export function formatBoolean(value: boolean): string {
  return value ? 't' : 'f';
}
