// Text input and output of uuid, as PostgreSQL 15's uuid_in/uuid_out.
//
// Input is 32 hex digits of either case, optionally inside '{' and '}', with an optional '-' after any
// group of four digits but the last (so 'a0eebc99-9c0b-…', 'a0eebc999c0b…' and 'a0ee-bc99-…' are all
// accepted); no whitespace. Anything else is 22P02 'invalid input syntax for type uuid: "…"'. The
// value, and its output, is the canonical lower-case 8-4-4-4-12 form (datum.ts).

import { ReefSqlError, SqlState } from '../errors.js';

const BYTES = 16;

export function parseUuid(text: string): string {
  const invalid = (): ReefSqlError =>
    new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `invalid input syntax for type uuid: "${text}"`);
  let index = 0;
  const braced = text[0] === '{';
  if (braced) index++;
  let hex = '';
  for (let byte = 0; byte < BYTES; byte++) {
    const pair = text.slice(index, index + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw invalid();
    hex += pair.toLowerCase();
    index += 2;
    if (text[index] === '-' && byte % 2 === 1 && byte < BYTES - 1) index++;
  }
  if (braced) {
    if (text[index] !== '}') throw invalid();
    index++;
  }
  if (index !== text.length) throw invalid();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function formatUuid(value: string): string {
  return value;
}
