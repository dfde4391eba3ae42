// A SqlTarget on a real PostgreSQL session through node-postgres. Statements go over the simple query
// protocol (no parameters), so every value arrives in PostgreSQL's text format, and a type parser that
// returns its input for every type keeps those strings exactly as the server sent them: no Date, no
// number, no array parsing. Column type OIDs come from the RowDescription.

import pg from 'pg';
import type { SqlOutcome, SqlTarget } from './target.js';

export interface PgTargetOptions {
  /** A unix socket directory (e.g. /tmp/reef-pg15-55432) or a TCP host. */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user?: string;
  /** A statement running longer than this breaks the session (the run of the file ends). */
  readonly statementTimeoutMs?: number;
}

/** Every type's text, untouched: the parser node-postgres calls for each non-null value. */
function rawText(value: string): string {
  return value;
}

// node-postgres types getTypeParser as an overloaded function of pg-types; one that answers the same
// identity parser for every OID and format satisfies it at run time, which the cast records.
const rawTextTypes = { getTypeParser: () => rawText } as unknown as pg.CustomTypesConfig;

export class PgTarget implements SqlTarget {
  readonly name = 'postgres';

  private constructor(private readonly client: pg.Client) {}

  static async connect(options: PgTargetOptions): Promise<PgTarget> {
    const client = new pg.Client({
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user ?? 'postgres',
      query_timeout: options.statementTimeoutMs ?? 60_000,
      types: rawTextTypes,
    });
    // A server that goes away mid-file surfaces as a rejected query; this only keeps the emitter from
    // throwing an unhandled 'error' event in between.
    client.on('error', () => {});
    await client.connect();
    return new PgTarget(client);
  }

  async exec(sql: string): Promise<SqlOutcome> {
    let answer: pg.QueryArrayResult<string[]> | pg.QueryArrayResult<string[]>[];
    try {
      // With several statements in one string the simple protocol answers one result per statement
      // (node-postgres then returns an array, though its types say otherwise); the last one counts.
      answer = await this.client.query<string[]>({ text: sql, rowMode: 'array', types: rawTextTypes });
    } catch (error) {
      if (error instanceof pg.DatabaseError && error.code !== undefined) {
        return { kind: 'error', sqlstate: error.code, message: error.message };
      }
      throw error;
    }
    const results = Array.isArray(answer) ? answer : [answer];
    const last = results[results.length - 1]!;
    const fields: pg.FieldDef[] = last.fields ?? [];
    return {
      kind: 'rows',
      columns: fields.map((field) => field.name),
      columnTypeOids: fields.map((field) => field.dataTypeID),
      rows: last.rows as (string | null)[][],
    };
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
