// Proves PgTarget hands back PostgreSQL's text output untouched (no Date, number or array parsing),
// the column type OIDs, SQL errors as SqlFailures with their SQLSTATE, and the last result of a
// multi-statement string. It needs PostgreSQL 15 (scripts/pg15.sh), which CI does not have, so it runs
// only with REEF_PG_ORACLE=1; it starts a private server on port 55433 and stops it again.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { PgTarget } from './pg-target.js';

const port = 55433;
const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'pg15.sh');
const pg15 = (command: string) => spawnSync('bash', [script, command, String(port)], { stdio: ['ignore', 'ignore', 'inherit'] }).status;

if (process.env['REEF_PG_ORACLE'] !== '1') {
  t.comment('PostgreSQL checks skipped: set REEF_PG_ORACLE=1 to run them (needs apt-get install postgresql)');
  t.pass('skipped without REEF_PG_ORACLE=1');
} else {
  t.test('text values, type OIDs and errors from PostgreSQL 15', async (t) => {
    t.equal(pg15('start'), 0, 'scripts/pg15.sh start');
    const target = await PgTarget.connect({ host: `/tmp/reef-pg15-${port}`, port, database: 'postgres' });
    try {
      t.same(
        await target.exec(
          "SELECT 9223372036854775807::int8 AS big, 1.50::numeric AS n, 0.1::float8 AS f, true AS b, '2024-01-02 03:04:05+00'::timestamptz AS ts, ARRAY[1, NULL] AS arr, '\\x01ff'::bytea AS bin, '{\"b\": 1, \"a\": 2}'::jsonb AS j, '' AS empty, NULL::text AS missing",
        ),
        {
          kind: 'rows',
          columns: ['big', 'n', 'f', 'b', 'ts', 'arr', 'bin', 'j', 'empty', 'missing'],
          columnTypeOids: [20, 1700, 701, 16, 1184, 1007, 17, 3802, 25, 25],
          rows: [['9223372036854775807', '1.50', '0.1', 't', '2024-01-02 03:04:05+00', '{1,NULL}', '\\x01ff', '{"a": 2, "b": 1}', '', null]],
        },
      );
      t.same(await target.exec('SELECT 1 / 0'), { kind: 'error', sqlstate: '22012', message: 'division by zero' });
      t.same(await target.exec('SELECT 1 AS a; SELECT 2 AS b'), { kind: 'rows', columns: ['b'], columnTypeOids: [23], rows: [['2']] });
      t.same(await target.exec('CREATE TEMP TABLE x (a int)'), { kind: 'rows', columns: [], columnTypeOids: [], rows: [] });
    } finally {
      await target.close();
      pg15('stop');
    }
  });
}
