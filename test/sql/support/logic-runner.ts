// Runs a parsed logic file's records, in order, against one SqlTarget session and reports every record
// whose outcome differs from what the file expects, with its file:line, its SQL and a diff of the
// rows. With `rewrite`, it also returns line edits that put the actual outcome into the file: query
// results (and their type letters), and the SQLSTATE and message of `statement error` records written
// without one or whose error changed. A statement that should have succeeded but failed (or the
// reverse) is never rewritten: that is a broken test or a broken database, for a person to judge.
// The runner does no I/O of its own; callers read and write files.

import { diffLines } from './line-diff.js';
import { recordRunsOn, type LogicFile, type QueryRecord, type StatementRecord } from './logic-parser.js';
import { normalizeExpected, renderResult, typeLetter } from './logic-results.js';
import type { SqlOutcome, SqlTarget } from './target.js';

export interface LogicFailure {
  /** 1-based line of the record's command. */
  readonly line: number;
  readonly sql: string;
  readonly message: string;
  /** Expected vs actual lines (`  ` both, `- ` expected only, `+ ` actual only), when rows differ. */
  readonly diff: readonly string[] | null;
  /** Whether the run's edits put the actual outcome into the file (only with `rewrite`). */
  readonly rewritten: boolean;
}

/** Replace lines [startIndex, endIndex) (0-based) of the file with `lines`. */
export interface LineEdit {
  readonly startIndex: number;
  readonly endIndex: number;
  readonly lines: readonly string[];
}

export interface LogicRunResult {
  readonly file: string;
  readonly recordsRun: number;
  readonly recordsSkipped: number;
  readonly failures: readonly LogicFailure[];
  /** Empty unless run with `rewrite`. */
  readonly edits: readonly LineEdit[];
  /** Whether a `halt` record, or a broken session, ended the run early. */
  readonly halted: boolean;
}

export interface LogicRunOptions {
  readonly rewrite?: boolean;
}

export async function runLogicFile(
  logic: LogicFile,
  target: SqlTarget,
  options: LogicRunOptions = {},
): Promise<LogicRunResult> {
  const rewrite = options.rewrite === true;
  const failures: LogicFailure[] = [];
  const edits: LineEdit[] = [];
  const labels = new Map<string, { line: number; lines: readonly string[] }>();
  let hashThreshold = 0;
  let recordsRun = 0;
  let recordsSkipped = 0;
  let halted = false;

  for (const record of logic.records) {
    if (!recordRunsOn(record, target.name)) {
      recordsSkipped++;
      continue;
    }
    recordsRun++;
    if (record.kind === 'halt') {
      halted = true;
      break;
    }
    if (record.kind === 'hash-threshold') {
      hashThreshold = record.threshold;
      continue;
    }
    let outcome: SqlOutcome;
    try {
      outcome = await target.exec(record.sql);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      failures.push({ line: record.line, sql: record.sql, message: `the ${target.name} session broke: ${reason}`, diff: null, rewritten: false });
      halted = true;
      break;
    }
    const checked =
      record.kind === 'statement'
        ? checkStatement(record, outcome, rewrite)
        : checkQuery(record, outcome, hashThreshold, labels, rewrite);
    failures.push(...checked.failures);
    edits.push(...checked.edits);
  }
  return { file: logic.file, recordsRun, recordsSkipped, failures, edits, halted };
}

interface Checked {
  readonly failures: LogicFailure[];
  readonly edits: LineEdit[];
}

function failure(record: StatementRecord | QueryRecord, message: string, diff: readonly string[] | null = null): LogicFailure {
  return { line: record.line, sql: record.sql, message, diff, rewritten: false };
}

function checkStatement(record: StatementRecord, outcome: SqlOutcome, rewrite: boolean): Checked {
  const expect = record.expect;
  if (expect.kind === 'ok') {
    if (outcome.kind === 'rows') return { failures: [], edits: [] };
    return { failures: [failure(record, `expected success, got error ${outcome.sqlstate}: ${outcome.message}`)], edits: [] };
  }
  const wanted = [expect.sqlstate, expect.messagePattern === null ? null : `/${expect.messagePattern.source}/`]
    .filter((part) => part !== null)
    .join(' ');
  if (outcome.kind === 'rows') {
    return { failures: [failure(record, `expected an error${wanted === '' ? '' : ` (${wanted})`}, but the statement succeeded`)], edits: [] };
  }
  const got = `${outcome.sqlstate}: ${outcome.message}`;
  let mismatch: string | null = null;
  if (expect.sqlstate !== null && expect.sqlstate !== outcome.sqlstate) {
    mismatch = `expected error ${wanted}, got ${got}`;
  } else if (expect.messagePattern !== null && !expect.messagePattern.test(outcome.message)) {
    mismatch = `expected an error message matching /${expect.messagePattern.source}/, got ${got}`;
  }
  const unspecified = expect.sqlstate === null && expect.messagePattern === null;
  const edits: LineEdit[] = [];
  if (rewrite && (mismatch !== null || unspecified)) {
    const header = `statement error ${outcome.sqlstate} ${escapeRegExp(outcome.message)}`;
    edits.push({ startIndex: record.line - 1, endIndex: record.line, lines: [header.trimEnd()] });
  }
  return { failures: mismatch === null ? [] : [{ ...failure(record, mismatch), rewritten: edits.length > 0 }], edits };
}

function checkQuery(
  record: QueryRecord,
  outcome: SqlOutcome,
  hashThreshold: number,
  labels: Map<string, { line: number; lines: readonly string[] }>,
  rewrite: boolean,
): Checked {
  if (outcome.kind === 'error') {
    return { failures: [failure(record, `expected rows, got error ${outcome.sqlstate}: ${outcome.message}`)], edits: [] };
  }
  if (outcome.columns.length === 0) {
    return { failures: [failure(record, 'the statement returned no columns: use "statement ok" for it')], edits: [] };
  }
  const columnCount = outcome.columns.length;
  const actualTypes =
    outcome.columnTypeOids !== undefined && outcome.columnTypeOids.length === columnCount
      ? outcome.columnTypeOids.map(typeLetter).join('')
      : null;
  // Failures a rewrite fixes (types and rows) and one it cannot (two labels that disagree).
  const fixable: LogicFailure[] = [];
  if (record.types.length !== columnCount) {
    fixable.push(failure(record, `the record declares ${record.types.length} columns (${record.types}), the query returned ${columnCount} (${outcome.columns.join(', ')})`));
  } else if (actualTypes !== null && actualTypes !== record.types) {
    fixable.push(failure(record, `column types differ: declared ${record.types}, got ${actualTypes} (${outcome.columns.join(', ')})`));
  }
  const actual = renderResult(outcome.rows, record.sortMode, hashThreshold);
  const expected = normalizeExpected(record.expected, record.sortMode);
  const rowsDiffer = actual.length !== expected.length || actual.some((line, index) => line !== expected[index]);
  if (rowsDiffer) fixable.push(failure(record, 'results differ (- expected, + actual)', diffLines(expected, actual)));

  const labelFailures: LogicFailure[] = [];
  if (record.label !== null) {
    const earlier = labels.get(record.label);
    if (earlier === undefined) {
      labels.set(record.label, { line: record.line, lines: actual });
    } else if (earlier.lines.join('\n') !== actual.join('\n')) {
      const message = `results differ from those of label "${record.label}" at line ${earlier.line} (- there, + here)`;
      labelFailures.push(failure(record, message, diffLines(earlier.lines, actual)));
    }
  }

  if (!rewrite || fixable.length === 0) return { failures: [...fixable, ...labelFailures], edits: [] };
  const types = actualTypes ?? (record.types.length === columnCount ? record.types : 'T'.repeat(columnCount));
  const edits: LineEdit[] = [
    { startIndex: record.line - 1, endIndex: record.line, lines: [['query', types, ...record.headerOptions].join(' ')] },
    { startIndex: record.sqlEndIndex, endIndex: record.resultsEndIndex, lines: ['----', ...actual] },
  ];
  return { failures: [...fixable.map((item) => ({ ...item, rewritten: true })), ...labelFailures], edits };
}

/** A regexp that matches `text` literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\n/g, '\\n');
}

/** Applies edits (non-overlapping, in any order) to a file's lines. */
export function applyEdits(lines: readonly string[], edits: readonly LineEdit[]): string[] {
  const sorted = [...edits].sort((a, b) => b.startIndex - a.startIndex);
  const out = [...lines];
  let previousStart = Infinity;
  for (const edit of sorted) {
    if (edit.endIndex > previousStart || edit.startIndex > edit.endIndex) {
      throw new Error(`overlapping or inverted line edits at line ${edit.startIndex + 1}`);
    }
    out.splice(edit.startIndex, edit.endIndex - edit.startIndex, ...edit.lines);
    previousStart = edit.startIndex;
  }
  return out;
}

/** A human-readable report of a run's failures, one block per failing record; empty when none. */
export function formatFailures(result: LogicRunResult): string {
  const blocks = result.failures.map((item) => {
    const lines = [`${result.file}:${item.line}: ${item.message}`];
    for (const sqlLine of item.sql.split('\n')) lines.push(`    ${sqlLine}`);
    if (item.diff !== null) {
      for (const diffLine of item.diff) lines.push(`  ${diffLine}`);
    }
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
