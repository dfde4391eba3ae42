// What the SQL logic runner talks to: one session of a database that takes SQL text and answers with
// rows in PostgreSQL's text output format (the strings psql prints and the wire protocol sends in text
// format: `t`/`f` for booleans, `{1,2}` for arrays, `2024-01-02 03:04:05+00` for timestamptz), or with
// an error carrying its SQLSTATE. PostgreSQL itself (pg-target.ts) and ReefDB (reef-target.ts) both
// sit behind it, so the same logic files run against either.

/** Which database a target is; `skipif`/`onlyif` conditions in logic files name these. */
export type TargetName = 'postgres' | 'reef';

export const targetNames: readonly TargetName[] = ['postgres', 'reef'];

/** A statement that ran: its columns and rows, every value as PostgreSQL's text output or null. */
export interface SqlRows {
  readonly kind: 'rows';
  /** Column names, in order (empty for a statement that returns no rows, such as CREATE TABLE). */
  readonly columns: readonly string[];
  /** Each column's type OID (pg_type.oid), when the target knows it; the runner checks query types. */
  readonly columnTypeOids?: readonly number[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** A statement that failed with a SQL error (the session stays usable). */
export interface SqlFailure {
  readonly kind: 'error';
  /** The five-character SQLSTATE, e.g. '23505'. */
  readonly sqlstate: string;
  /** The primary message, without severity or SQLSTATE ("division by zero"). */
  readonly message: string;
}

export type SqlOutcome = SqlRows | SqlFailure;

/**
 * One session. `exec` answers a SQL error as a SqlFailure; it rejects only when the session itself is
 * broken (lost connection, a bug in the target), which ends the file's run.
 */
export interface SqlTarget {
  readonly name: TargetName;
  exec(sql: string): Promise<SqlOutcome>;
  close(): Promise<void>;
}

/** A SQLSTATE is five digits or upper-case letters (PostgreSQL's Appendix A). */
export function isSqlState(text: string): boolean {
  return /^[0-9A-Z]{5}$/.test(text);
}
