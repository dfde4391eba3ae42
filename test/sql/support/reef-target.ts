// A SqlTarget on an embedded ReefDB, loaded at run time so that this file compiles before the SQL
// engine exists. What it needs from the engine, and checks for with a clear message:
//
//   import { Reef } from '<repo>/engine/index.js'
//   const db = await Reef.open()                 in memory, empty
//   const session = await db.connect()           a session with its own transaction state (when
//                                                connect is missing, db itself is the session)
//   await session.query(sql, [], { rowMode: 'text' })
//       → { fields: [{ name, dataTypeID }], rows: (string | null)[][] }
//                                                every value in PostgreSQL's text output format, the
//                                                strings the wire protocol sends in text format
//       a SQL error is thrown as an error whose `code` is its SQLSTATE (ReefSqlError)
//   await session.release?.() / close?.(), then await db.close()
//
// One ReefTarget is one fresh database, like the oracle's CREATE DATABASE per file.

import { isSqlState, type SqlOutcome, type SqlTarget } from './target.js';

/** The slice of the engine's embedded API that the logic tests use (see the file comment). */
export interface ReefQueryResult {
  readonly fields?: readonly { readonly name: string; readonly dataTypeID?: number }[];
  readonly rows?: readonly unknown[];
}

interface ReefSession {
  query(sql: string, params: readonly unknown[], options: { rowMode: 'text' }): Promise<ReefQueryResult>;
  release?(): unknown;
  close?(): unknown;
}

interface ReefDatabase extends ReefSession {
  connect?(): Promise<ReefSession>;
  close(): Promise<void>;
}

export interface ReefModule {
  readonly Reef: { open(): Promise<ReefDatabase> };
}

export class ReefContractError extends Error {
  constructor(reason: string) {
    super(`ReefTarget: ${reason} (the contract is in test/sql/support/reef-target.ts)`);
    this.name = 'ReefContractError';
  }
}

const engineUrl = new URL('../../../engine/index.js', import.meta.url).href;

/** Loads the engine's entry point; null when it has no `Reef` export yet. */
export async function loadReefEngine(): Promise<ReefModule | null> {
  // The specifier is a variable so the compiler does not type this import against an engine/index.ts
  // that does not export Reef yet; the shape is checked here instead.
  const module: Record<string, unknown> = await import(engineUrl);
  const reef = module['Reef'] as { open?: unknown } | undefined;
  if (reef === undefined || typeof reef.open !== 'function') return null;
  return module as unknown as ReefModule;
}

export class ReefTarget implements SqlTarget {
  readonly name = 'reef';

  private constructor(
    private readonly database: ReefDatabase,
    private readonly session: ReefSession,
  ) {}

  static async open(engine: ReefModule): Promise<ReefTarget> {
    const database = await engine.Reef.open();
    const session = typeof database.connect === 'function' ? await database.connect() : database;
    return new ReefTarget(database, session);
  }

  async exec(sql: string): Promise<SqlOutcome> {
    let result: ReefQueryResult;
    try {
      result = await this.session.query(sql, [], { rowMode: 'text' });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (error instanceof Error && typeof code === 'string' && isSqlState(code)) {
        return { kind: 'error', sqlstate: code, message: error.message };
      }
      throw error;
    }
    const fields = result.fields ?? [];
    const rows = (result.rows ?? []).map((row, index) => textRow(row, fields.length, index));
    const oids = fields.map((field) => field.dataTypeID);
    return {
      kind: 'rows',
      columns: fields.map((field) => field.name),
      ...(oids.every((oid): oid is number => typeof oid === 'number') ? { columnTypeOids: oids } : {}),
      rows,
    };
  }

  async close(): Promise<void> {
    if (this.session !== this.database) {
      if (typeof this.session.release === 'function') await this.session.release();
      else if (typeof this.session.close === 'function') await this.session.close();
    }
    await this.database.close();
  }
}

function textRow(row: unknown, columnCount: number, index: number): (string | null)[] {
  if (!Array.isArray(row) || row.length !== columnCount) {
    throw new ReefContractError(`row ${index} is not an array of ${columnCount} values: query(sql, [], { rowMode: 'text' }) must return rows as arrays`);
  }
  for (const value of row) {
    if (value !== null && typeof value !== 'string') {
      throw new ReefContractError(`row ${index} holds a ${typeof value}, not PostgreSQL text output (a string or null)`);
    }
  }
  return row as (string | null)[];
}
