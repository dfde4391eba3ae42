// Reads SQL logic test files (the sqllogictest format of SQLite, as CockroachDB and DuckDB use it)
// into records, each remembering the lines it came from so that expected results can be rewritten in
// place. A parse error names the file and line.
//
// A file is a sequence of records separated by blank lines. Lines starting with `#` between records
// are comments. A record is one of:
//
//   statement ok                  the SQL that follows (up to an empty line) must succeed
//   statement error [SQLSTATE] [regexp]
//                                 it must fail; with a five-character SQLSTATE (`23505`) the code must
//                                 be that one; with a regexp (the rest of the line) the message must
//                                 contain a match; with neither, any error will do (--rewrite fills
//                                 in PostgreSQL's SQLSTATE and message)
//   query <types> [nosort|rowsort|valuesort] [label]
//                                 the SQL, then a line `----`, then the expected rows up to an empty
//                                 line or the end of the file. <types> has one letter per column:
//                                 I integer (smallint, integer, bigint, oid), R real, double precision
//                                 or numeric, B boolean, T anything else. nosort (the default) compares
//                                 rows in order; rowsort sorts rows before comparing; valuesort sorts
//                                 all values. Queries with the same label must return the same rows.
//                                 Without `----` the query must return no rows.
//   halt                          stop reading the file here
//   hash-threshold <n>            results with more than n values are compared by their MD5
//                                 (`N values hashing to <md5>`); 0 turns hashing off (the default)
//
// Any record may be preceded by condition lines, `skipif <target>` or `onlyif <target>` with a target
// of `reef` or `postgres`: the record runs only on the targets the conditions allow.
//
// Expected rows are written one per line, columns separated by a single tab. A value is PostgreSQL's
// text output, except: NULL is `NULL`, the empty string is `(empty)`, and a tab, newline or carriage
// return inside a value is written `\t`, `\n`, `\r` (so a row stays on one line). In results and SQL
// only a truly empty line ends the block: a line of spaces is a value.

import { isSqlState, targetNames, type TargetName } from './target.js';

export interface Condition {
  readonly kind: 'skipif' | 'onlyif';
  readonly target: TargetName;
}

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

/** What a `statement` record expects; `sqlstate` and `messagePattern` are null when not given. */
export type StatementExpectation =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly sqlstate: string | null; readonly messagePattern: RegExp | null };

interface RecordBase {
  /** 1-based line of the record's command (`statement`, `query`, ...). */
  readonly line: number;
  readonly conditions: readonly Condition[];
}

export interface StatementRecord extends RecordBase {
  readonly kind: 'statement';
  readonly expect: StatementExpectation;
  readonly sql: string;
}

export interface QueryRecord extends RecordBase {
  readonly kind: 'query';
  /** One letter per column: I, R, B or T. */
  readonly types: string;
  readonly sortMode: SortMode;
  readonly label: string | null;
  /** The header's words after the types, as written (kept when the header is rewritten). */
  readonly headerOptions: readonly string[];
  readonly sql: string;
  /** The expected result lines, as written. */
  readonly expected: readonly string[];
  /** 0-based index of the line after the SQL: the `----` line, or where it would go. */
  readonly sqlEndIndex: number;
  /** 0-based index one past the last expected line (equal to sqlEndIndex without `----`). */
  readonly resultsEndIndex: number;
}

export interface HaltRecord extends RecordBase {
  readonly kind: 'halt';
}

export interface HashThresholdRecord extends RecordBase {
  readonly kind: 'hash-threshold';
  readonly threshold: number;
}

export type LogicRecord = StatementRecord | QueryRecord | HaltRecord | HashThresholdRecord;

export interface LogicFile {
  /** The name used in messages (a path relative to the repository, usually). */
  readonly file: string;
  readonly records: readonly LogicRecord[];
}

export class LogicParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'LogicParseError';
  }
}

export const typeLetters = 'IRBT';
const sortModes: readonly string[] = ['nosort', 'rowsort', 'valuesort'];
const resultSeparator = '----';

/** Splits a file into lines, accepting either line ending, without a phantom line after a final newline. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function parseLogicFile(text: string, file: string): LogicFile {
  const lines = splitLines(text);
  const records: LogicRecord[] = [];
  let conditions: Condition[] = [];
  let index = 0;
  const fail = (lineIndex: number, reason: string): never => {
    throw new LogicParseError(file, lineIndex + 1, reason);
  };
  // A block (SQL or results) runs from `start` up to the first empty line, or `----` for SQL.
  const blockEnd = (start: number, stopAtSeparator: boolean): number => {
    let end = start;
    while (end < lines.length && lines[end] !== '' && !(stopAtSeparator && lines[end] === resultSeparator)) end++;
    return end;
  };

  while (index < lines.length) {
    const line = lines[index]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      if (conditions.length > 0) fail(index, 'a condition must be followed directly by its record');
      index++;
      continue;
    }
    const words = trimmed.split(/\s+/);
    const command = words[0]!;
    const base = { line: index + 1, conditions };
    switch (command) {
      case 'skipif':
      case 'onlyif': {
        const target = words[1];
        if (words.length !== 2 || target === undefined || !(targetNames as readonly string[]).includes(target)) {
          fail(index, `expected '${command} <target>' with a target of ${targetNames.join(' or ')}`);
        }
        conditions = [...conditions, { kind: command, target: target as TargetName }];
        index++;
        continue;
      }
      case 'statement': {
        const expect = parseStatementHeader(trimmed, words, () => fail(index, 'expected "statement ok" or "statement error [SQLSTATE] [regexp]"'), (reason) => fail(index, reason));
        const sqlEnd = blockEnd(index + 1, false);
        const sqlLines = lines.slice(index + 1, sqlEnd);
        if (sqlLines.length === 0) fail(index, 'a statement needs SQL on the lines that follow');
        if (sqlLines.includes(resultSeparator)) fail(index, 'a statement record has no results: use "query" for `----`');
        records.push({ ...base, kind: 'statement', expect, sql: sqlLines.join('\n') });
        index = sqlEnd;
        break;
      }
      case 'query': {
        const types = words[1];
        if (types === undefined || types.length === 0 || [...types].some((letter) => !typeLetters.includes(letter))) {
          fail(index, `expected "query <types>" with one of the letters ${[...typeLetters].join(', ')} per column`);
        }
        const options = words.slice(2);
        let sortMode: SortMode = 'nosort';
        let label: string | null = null;
        for (const option of options) {
          if (sortModes.includes(option)) {
            if (label !== null) fail(index, 'the sort mode comes before the label');
            sortMode = option as SortMode;
          } else if (label === null) {
            label = option;
          } else {
            fail(index, `unexpected "${option}" after the label "${label}"`);
          }
        }
        const sqlEnd = blockEnd(index + 1, true);
        if (sqlEnd === index + 1) fail(index, 'a query needs SQL on the lines that follow');
        let resultsEnd = sqlEnd;
        let expected: string[] = [];
        if (lines[sqlEnd] === resultSeparator) {
          resultsEnd = blockEnd(sqlEnd + 1, false);
          expected = lines.slice(sqlEnd + 1, resultsEnd);
        }
        records.push({
          ...base,
          kind: 'query',
          types: types!,
          sortMode,
          label,
          headerOptions: options,
          sql: lines.slice(index + 1, sqlEnd).join('\n'),
          expected,
          sqlEndIndex: sqlEnd,
          resultsEndIndex: resultsEnd,
        });
        index = resultsEnd;
        break;
      }
      case 'halt':
        if (words.length !== 1) fail(index, '"halt" takes no arguments');
        records.push({ ...base, kind: 'halt' });
        index++;
        break;
      case 'hash-threshold': {
        const threshold = Number(words[1]);
        if (words.length !== 2 || !Number.isSafeInteger(threshold) || threshold < 0) {
          fail(index, 'expected "hash-threshold <n>" with n >= 0');
        }
        records.push({ ...base, kind: 'hash-threshold', threshold });
        index++;
        break;
      }
      default:
        fail(index, `unknown record "${command}" (expected statement, query, halt, hash-threshold, skipif or onlyif)`);
    }
    conditions = [];
    if (index < lines.length && lines[index] !== '' && !lines[index]!.trim().startsWith('#')) {
      fail(index, 'records are separated by an empty line');
    }
  }
  if (conditions.length > 0) fail(lines.length - 1, 'a condition must be followed directly by its record');
  return { file, records };
}

function parseStatementHeader(
  trimmed: string,
  words: readonly string[],
  malformed: () => never,
  fail: (reason: string) => never,
): StatementExpectation {
  if (words[1] === 'ok') {
    if (words.length !== 2) malformed();
    return { kind: 'ok' };
  }
  if (words[1] !== 'error') malformed();
  // The rest of the line after "error", as written: a regexp may contain runs of spaces.
  const rest = trimmed.replace(/^statement\s+error\s*/, '');
  const first = rest.split(/\s+/)[0] ?? '';
  const sqlstate = isSqlState(first) ? first : null;
  const patternText = (sqlstate === null ? rest : rest.slice(first.length)).trim();
  let messagePattern: RegExp | null = null;
  if (patternText !== '') {
    try {
      messagePattern = new RegExp(patternText);
    } catch (error) {
      fail(`invalid error regexp: ${(error as Error).message}`);
    }
  }
  return { kind: 'error', sqlstate, messagePattern };
}

/** Whether a record runs on `target`, given its skipif/onlyif conditions. */
export function recordRunsOn(record: LogicRecord, target: TargetName): boolean {
  return record.conditions.every((condition) =>
    condition.kind === 'skipif' ? condition.target !== target : condition.target === target,
  );
}
