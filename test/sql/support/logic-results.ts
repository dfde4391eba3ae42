// How query results are written in logic files and compared: values rendered as text (NULL as `NULL`,
// the empty string as `(empty)`, tab/newline/carriage return escaped), rows as values joined by one tab,
// put in the record's sort order, and replaced by an MD5 line when they exceed the hash threshold.
// Expected lines go through the same normalisation, so a comparison is between two lists of lines.
// Sorting compares UTF-16 code units, never a locale, so the order is the same on every machine.

import { createHash } from 'node:crypto';
import type { SortMode } from './logic-parser.js';

export const columnSeparator = '\t';
const hashLinePattern = /^\d+ values hashing to [0-9a-f]{32}$/;

export function renderValue(value: string | null): string {
  if (value === null) return 'NULL';
  if (value === '') return '(empty)';
  return value.replace(/[\t\n\r]/g, (character) => (character === '\t' ? '\\t' : character === '\n' ? '\\n' : '\\r'));
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The lines a result is written as, in the record's order, hashed past `hashThreshold` (0: never). */
export function renderResult(
  rows: readonly (readonly (string | null)[])[],
  sortMode: SortMode,
  hashThreshold: number,
): string[] {
  const rendered = rows.map((row) => row.map(renderValue));
  let lines: string[];
  switch (sortMode) {
    case 'nosort':
      lines = rendered.map((row) => row.join(columnSeparator));
      break;
    case 'rowsort':
      lines = rendered.map((row) => row.join(columnSeparator)).sort(compareCodeUnits);
      break;
    case 'valuesort':
      lines = rendered.flat().sort(compareCodeUnits);
      break;
  }
  const values = sortMode === 'valuesort' ? lines : lines.flatMap((line) => line.split(columnSeparator));
  if (hashThreshold > 0 && values.length > hashThreshold) return [hashLine(values)];
  return lines;
}

/** Expected lines as written, put in the same order as renderResult puts actual ones. */
export function normalizeExpected(lines: readonly string[], sortMode: SortMode): string[] {
  if (lines.length === 1 && hashLinePattern.test(lines[0]!)) return [...lines];
  switch (sortMode) {
    case 'nosort':
      return [...lines];
    case 'rowsort':
      return [...lines].sort(compareCodeUnits);
    case 'valuesort':
      return lines.flatMap((line) => line.split(columnSeparator)).sort(compareCodeUnits);
  }
}

/** SQLite's form: the MD5 of every value followed by a newline. */
function hashLine(values: readonly string[]): string {
  const hash = createHash('md5');
  for (const value of values) hash.update(`${value}\n`);
  return `${values.length} values hashing to ${hash.digest('hex')}`;
}

const integerOids = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const realOids = new Set([700, 701, 1700]); // float4, float8, numeric
const booleanOid = 16;

/** The query type letter of a column type OID: I, R, B, or T for everything else. */
export function typeLetter(oid: number): string {
  if (integerOids.has(oid)) return 'I';
  if (realOids.has(oid)) return 'R';
  if (oid === booleanOid) return 'B';
  return 'T';
}
