// Table-driven checks of text input and output shared by the type I/O tests: a case is an input and
// what PostgreSQL 15 answered for it — the text it printed, or the error it raised (SQLSTATE, message,
// detail, hint) — and `checkCases` compares ReefDB's answer for each.
import type { Test } from 'tap';
import { ReefSqlError } from '../../../sql/errors.js';
import type { SqlType } from '../../../sql/types/datum.js';
import { formatText, parseText, type TextIoOptions } from '../../../sql/types/io.js';

/** An expected error: SQLSTATE, message and the optional detail and hint, as PostgreSQL 15 reports them. */
export interface ExpectedError {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

export function error(code: string, message: string, fields: { detail?: string; hint?: string } = {}): ExpectedError {
  return { code, message, ...fields };
}

/** The text printed for `input` read as `type`, or the error reading it raised. */
export function outcome(type: SqlType, input: string, options: TextIoOptions = {}): string | ExpectedError {
  try {
    return formatText(type, parseText(type, input, options), options);
  } catch (caught) {
    if (!(caught instanceof ReefSqlError)) throw caught;
    const { code, message, detail, hint } = caught;
    return { code, message, ...(detail === undefined ? {} : { detail }), ...(hint === undefined ? {} : { hint }) };
  }
}

export function checkCases(t: Test, type: SqlType, cases: readonly (readonly [string, string | ExpectedError])[], options: TextIoOptions = {}): void {
  for (const [input, expected] of cases) t.same(outcome(type, input, options), expected, JSON.stringify(input));
}
