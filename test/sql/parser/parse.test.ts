// Proves that the parser layer hands later layers what PostgreSQL 15 itself would: every statement kind a
// client sends parses into the typed tree; a query string splits into statements whose text and location
// slice the input exactly (also around multi-byte characters); syntax errors carry 42601, PostgreSQL's
// message word for word and its 1-based character position, including for what libpg-query alone would
// accept (`SELECT 0x1F`, `SET x = $1`); oversized text is refused with 54000, too deeply nested text with 54001; a crash
// inside the WebAssembly parser restarts it; parsing before initParser() fails clearly. Every expected
// message and position was checked against a PostgreSQL 15.18 server. The last test prints parse speed as
// a diagnostic, not an assertion.
import t, { type Test } from 'tap';
import { isSqlError, SqlState, type SqlStateCode } from '../../../sql/errors.js';
import { initParser, parseSql, sourcePosition, SQL_TEXT_BYTES_MAX } from '../../../sql/parser/parse.js';
import { isNode, nodeAs, nodeKind, viewNode, type Node, type NodeKind } from '../../../sql/parser/ast.js';

/** Asserts that parsing `sql` throws a ReefSqlError with exactly this code, message and position. */
function parseFails(
  t: Test,
  sql: string,
  expected: { code: SqlStateCode; message: string; position: number | undefined },
): void {
  try {
    parseSql(sql);
  } catch (error) {
    t.ok(isSqlError(error), `${JSON.stringify(sql)} throws a ReefSqlError`);
    if (isSqlError(error)) {
      t.same(
        { code: error.code, message: error.message, position: error.position },
        expected,
        JSON.stringify(sql),
      );
    }
    return;
  }
  t.fail(`${JSON.stringify(sql)} parsed`);
}

/** The only statement of `sql`, which must be of `kind`. */
function only(t: Test, sql: string, kind: NodeKind): Node {
  const statements = parseSql(sql);
  t.equal(statements.length, 1, `${sql}: one statement`);
  const stmt = statements[0]!.stmt;
  t.equal(nodeKind(stmt), kind, `${sql}: ${kind}`);
  return stmt;
}

t.test('parsing before initParser() fails with a clear internal error', async (t) => {
  t.throws(() => parseSql('SELECT 1'), {
    code: SqlState.INTERNAL_ERROR,
    message: 'SQL parser used before initParser() finished loading it',
  });
});

t.test('initParser is idempotent and parsing is synchronous after it', async (t) => {
  const first = initParser();
  t.equal(initParser(), first, 'the same promise');
  await first;
  await initParser();
  const statements = parseSql('SELECT 1');
  t.notOk(statements instanceof Promise, 'parseSql returns a value, not a promise');
  t.same(statements.map((s) => [nodeKind(s.stmt), s.text, s.location]), [['SelectStmt', 'SELECT 1', 0]]);
});

t.test('a query string splits into statements whose text and location slice the input', async (t) => {
  await initParser();
  const sql = '  SELECT 1 ;  SELECT 2;;  ;\n-- last\nINSERT INTO t VALUES (3) -- tail\n';
  const statements = parseSql(sql);
  t.same(
    statements.map((s) => [nodeKind(s.stmt), s.text, s.location]),
    [
      ['SelectStmt', 'SELECT 1', 2],
      ['SelectStmt', 'SELECT 2', 14],
      ['InsertStmt', '-- last\nINSERT INTO t VALUES (3) -- tail', 28],
    ],
    'empty statements dropped, whitespace trimmed, comments kept',
  );
  for (const s of statements) t.equal(sql.slice(s.location, s.location + s.text.length), s.text);

  // The parser reports byte offsets; multi-byte characters must not shift the slices.
  const unicode = "SELECT 'é' AS a;\tSELECT '日本', '😀' ; SELECT 'ü'";
  const parts = parseSql(unicode);
  t.same(
    parts.map((s) => [s.text, s.location]),
    [
      ["SELECT 'é' AS a", 0],
      ["SELECT '日本', '😀'", 17],
      ["SELECT 'ü'", 37],
    ],
  );
  for (const s of parts) t.equal(unicode.slice(s.location, s.location + s.text.length), s.text);
  const second = nodeAs(parts[1]!.stmt, 'SelectStmt');
  const emoji = nodeAs(nodeAs(second?.targetList?.[1], 'ResTarget')?.val, 'A_Const');
  t.equal(emoji?.sval?.sval, '😀', 'string constants decode intact');

  // A lone surrogate (possible in a JavaScript string, never on the wire) neither breaks nor shifts anything.
  const lone = "SELECT '\uD800x'; SELECT 2";
  t.same(
    parseSql(lone).map((s) => [s.text, s.location]),
    [
      ["SELECT '\uD800x'", 0],
      ['SELECT 2', 13],
    ],
  );
});

t.test('empty input yields no statements', async (t) => {
  await initParser();
  for (const sql of ['', '   ', ' \t\r\n\f', ';', ';;  ;', '-- only a comment', '/* block */ ;']) {
    t.same(parseSql(sql), [], JSON.stringify(sql));
  }
});

t.test('every statement kind clients send parses into the typed tree', async (t) => {
  await initParser();

  const create = nodeAs(
    only(
      t,
      `CREATE TABLE customer (
         c_id int NOT NULL, c_d_id smallint, c_w_id int REFERENCES warehouse (w_id) ON DELETE CASCADE,
         c_last varchar(16) DEFAULT '', c_balance numeric(12, 2) CHECK (c_balance > -1e9),
         PRIMARY KEY (c_w_id, c_d_id, c_id), UNIQUE (c_last, c_id)
       ) WITH (fillfactor = 80)`,
      'CreateStmt',
    ),
    'CreateStmt',
  );
  t.equal(create?.relation?.relname, 'customer');
  t.equal(create?.tableElts?.filter((e) => isNode(e, 'ColumnDef')).length, 5, 'five columns');
  const tableConstraints = create?.tableElts?.flatMap((e) => (isNode(e, 'Constraint') ? [e.Constraint.contype] : []));
  t.same(tableConstraints, ['CONSTR_PRIMARY', 'CONSTR_UNIQUE']);
  const wId = nodeAs(create?.tableElts?.[2], 'ColumnDef');
  t.equal(nodeAs(wId?.constraints?.[0], 'Constraint')?.fk_del_action, 'c', 'ON DELETE CASCADE');
  t.equal(nodeAs(create?.options?.[0], 'DefElem')?.defname, 'fillfactor');

  const insert = nodeAs(
    only(
      t,
      `INSERT INTO stock (s_i_id, s_w_id, s_quantity) VALUES ($1, $2, $3), (4, 5, 6)
       ON CONFLICT (s_i_id, s_w_id) DO UPDATE SET s_quantity = stock.s_quantity + EXCLUDED.s_quantity
       RETURNING s_quantity`,
      'InsertStmt',
    ),
    'InsertStmt',
  );
  t.equal(insert?.onConflictClause?.action, 'ONCONFLICT_UPDATE');
  t.equal(nodeAs(insert?.selectStmt, 'SelectStmt')?.valuesLists?.length, 2, 'two VALUES rows');
  t.equal(insert?.returningList?.length, 1);
  t.ok(parseSql('INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING'), 'ON CONFLICT DO NOTHING');

  const update = nodeAs(
    only(
      t,
      `UPDATE district d SET d_next_o_id = d.d_next_o_id + 1 FROM warehouse w
       WHERE w.w_id = d.d_w_id AND d.d_id = $1 RETURNING d.d_next_o_id`,
      'UpdateStmt',
    ),
    'UpdateStmt',
  );
  t.equal(nodeAs(update?.fromClause?.[0], 'RangeVar')?.relname, 'warehouse', 'UPDATE … FROM');

  const del = nodeAs(
    only(t, 'DELETE FROM new_order n USING district d WHERE n.no_d_id = d.d_id AND n.no_o_id < $1', 'DeleteStmt'),
    'DeleteStmt',
  );
  t.equal(nodeAs(del?.usingClause?.[0], 'RangeVar')?.relname, 'district', 'DELETE … USING');

  const select = nodeAs(
    only(
      t,
      `WITH recent AS (SELECT ol_i_id, ol_amount FROM order_line WHERE ol_w_id = $1)
       SELECT c.c_id, sum(r.ol_amount) OVER (PARTITION BY c.c_id ORDER BY r.ol_i_id
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
              rank() OVER w
       FROM customer c LEFT JOIN recent r ON r.ol_i_id = c.c_id JOIN district d USING (d_id)
       WINDOW w AS (ORDER BY c.c_balance DESC)`,
      'SelectStmt',
    ),
    'SelectStmt',
  );
  t.equal(nodeAs(select?.withClause?.ctes?.[0], 'CommonTableExpr')?.ctename, 'recent', 'CTE');
  const outerJoin = nodeAs(select?.fromClause?.[0], 'JoinExpr');
  t.equal(outerJoin?.jointype, 'JOIN_INNER', 'the last join is outermost');
  t.equal(nodeAs(outerJoin?.larg, 'JoinExpr')?.jointype, 'JOIN_LEFT');
  const sum = nodeAs(nodeAs(select?.targetList?.[1], 'ResTarget')?.val, 'FuncCall');
  t.ok(sum?.over, 'window function');
  t.equal(nodeAs(select?.windowClause?.[0], 'WindowDef')?.name, 'w', 'named window');

  const forUpdate = nodeAs(
    only(
      t,
      'SELECT s_quantity FROM stock WHERE s_i_id = $1 AND s_w_id = $2 FOR UPDATE OF stock SKIP LOCKED',
      'SelectStmt',
    ),
    'SelectStmt',
  );
  const locking = nodeAs(forUpdate?.lockingClause?.[0], 'LockingClause');
  t.same([locking?.strength, locking?.waitPolicy], ['LCS_FORUPDATE', 'LockWaitSkip']);

  const copyIn = nodeAs(
    only(t, 'COPY stock (s_i_id, s_quantity) FROM STDIN WITH (FORMAT csv, HEADER true)', 'CopyStmt'),
    'CopyStmt',
  );
  t.equal(copyIn?.is_from, true, 'COPY FROM');
  t.equal(copyIn?.options?.length, 2);
  only(t, 'COPY (SELECT * FROM stock) TO STDOUT', 'CopyStmt');

  const begin = nodeAs(only(t, 'BEGIN ISOLATION LEVEL SERIALIZABLE', 'TransactionStmt'), 'TransactionStmt');
  t.equal(begin?.kind, 'TRANS_STMT_BEGIN');
  const isolation = nodeAs(begin?.options?.[0], 'DefElem');
  t.equal(isolation?.defname, 'transaction_isolation');
  t.equal(nodeAs(isolation?.arg, 'A_Const')?.sval?.sval, 'serializable');
  for (const sql of ['START TRANSACTION READ ONLY', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s1', 'ROLLBACK TO SAVEPOINT s1']) {
    only(t, sql, 'TransactionStmt');
  }

  const prepare = nodeAs(
    only(t, 'PREPARE next_order (int, int) AS SELECT d_next_o_id FROM district WHERE d_w_id = $1 AND d_id = $2', 'PrepareStmt'),
    'PrepareStmt',
  );
  t.same([prepare?.name, prepare?.argtypes?.length], ['next_order', 2]);
  t.equal(nodeAs(only(t, 'EXECUTE next_order (1, 2)', 'ExecuteStmt'), 'ExecuteStmt')?.params?.length, 2);
  only(t, 'DEALLOCATE next_order', 'DeallocateStmt');

  const explain = nodeAs(only(t, 'EXPLAIN ANALYZE SELECT * FROM stock', 'ExplainStmt'), 'ExplainStmt');
  t.equal(nodeAs(explain?.options?.[0], 'DefElem')?.defname, 'analyze');
  t.ok(isNode(explain?.query, 'SelectStmt'));
  only(t, 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) UPDATE stock SET s_quantity = 0', 'ExplainStmt');

  const set = nodeAs(only(t, 'SET search_path TO public, pg_catalog', 'VariableSetStmt'), 'VariableSetStmt');
  t.same([set?.kind, set?.name, set?.args?.length], ['VAR_SET_VALUE', 'search_path', 2]);
  t.equal(nodeAs(only(t, "SET LOCAL statement_timeout = '5s'", 'VariableSetStmt'), 'VariableSetStmt')?.is_local, true);
  only(t, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ', 'VariableSetStmt');
  only(t, 'RESET ALL', 'VariableSetStmt');
  t.equal(nodeAs(only(t, 'SHOW transaction_isolation', 'VariableShowStmt'), 'VariableShowStmt')?.name, 'transaction_isolation');
});

t.test('viewNode gives a switch on kind that narrows the fields', async (t) => {
  await initParser();
  const described = parseSql('SELECT 1; INSERT INTO t VALUES (1); SHOW x').map((s) => {
    const view = viewNode(s.stmt);
    switch (view.kind) {
      case 'SelectStmt':
        return `select of ${view.node.targetList?.length ?? 0} targets`;
      case 'InsertStmt':
        return `insert into ${view.node.relation?.relname ?? '?'}`;
      case 'VariableShowStmt':
        return `show ${view.node.name ?? '?'}`;
      default:
        return view.kind;
    }
  });
  t.same(described, ['select of 1 targets', 'insert into t', 'show x']);
  t.equal(nodeAs(parseSql('SELECT 1')[0]!.stmt, 'InsertStmt'), undefined, 'nodeAs of another kind');
  t.equal(isNode(undefined, 'SelectStmt'), false);
});

t.test('syntax errors carry 42601, PostgreSQL 15 message and 1-based character position', async (t) => {
  await initParser();
  const syntax = (message: string, position: number | undefined) => ({ code: SqlState.SYNTAX_ERROR, message, position });
  parseFails(t, 'SELECT * FORM t', syntax('syntax error at or near "FORM"', 10));
  parseFails(t, 'SELECT * FROM', syntax('syntax error at end of input', 14));
  parseFails(t, 'SELEC 1', syntax('syntax error at or near "SELEC"', 1));
  parseFails(t, 'SELECT 1;\nSELECT * FROM WHERE x', syntax('syntax error at or near "WHERE"', 25));
  parseFails(t, "SELECT 'abc", syntax('unterminated quoted string at or near "\'abc"', 8));
  parseFails(t, 'SELECT "abc', syntax('unterminated quoted identifier at or near ""abc"', 8));
  parseFails(t, 'SELECT 1 /* open', syntax('unterminated /* comment at or near "/* open"', 10));
  parseFails(t, 'SELECT ""', syntax('zero-length delimited identifier at or near """"', 8));
  parseFails(t, 'SELECT 1 LIMIT 1, 2', syntax('LIMIT #,# syntax is not supported', 10));
  parseFails(t, 'SELECT 1 ORDER BY 1 ORDER BY 2', syntax('syntax error at or near "ORDER"', 21));
  // Positions count characters, not bytes or UTF-16 units: the emoji is one character.
  parseFails(t, "SELECT '😀' FORM t", syntax('syntax error at or near "t"', 17));
  parseFails(t, "SELECT 'é' FORM t", syntax('syntax error at or near "t"', 17));
  // PostgreSQL's whitespace is narrower than JavaScript's: a no-break space is an identifier character.
  parseFails(t, '\u00a0', syntax('syntax error at or near "\u00a0"', 1));
  t.same(parseSql('SELECT 1')[0]!.text, 'SELECT 1', 'the parser still works after a failure');
});

t.test('what libpg-query accepts beyond PostgreSQL 15 is refused as PostgreSQL 15 refuses it', async (t) => {
  await initParser();
  const syntax = (message: string, position: number) => ({ code: SqlState.SYNTAX_ERROR, message, position });
  // A number run into an identifier: libpg-query would read `SELECT 0x1F` as `SELECT 0 AS x1F`.
  const junk = (token: string) => syntax(`trailing junk after numeric literal at or near "${token}"`, 8);
  parseFails(t, 'SELECT 123abc', junk('123abc'));
  parseFails(t, 'SELECT 0x1F', junk('0x1F'));
  parseFails(t, 'SELECT 1_000', junk('1_000'));
  parseFails(t, 'SELECT 1.5e', junk('1.5e'));
  parseFails(t, 'SELECT 1e+', junk('1e+'));
  parseFails(t, 'SELECT .5x', junk('.5x'));
  parseFails(t, 'SELECT $1a', syntax('trailing junk after parameter at or near "$1a"', 8));
  parseFails(t, "SELECT '😀' || 1x", syntax('trailing junk after numeric literal at or near "1x"', 15));
  parseFails(t, 'SELECT 1; SELECT 2x', syntax('trailing junk after numeric literal at or near "2x"', 18));
  // PostgreSQL lexes as it parses: whichever error comes first in the text is the one it reports.
  parseFails(t, 'SELECT 1abc FROM FROM', junk('1abc'));
  parseFails(t, 'SELECT FROM FROM 1abc', syntax('syntax error at or near "FROM"', 13));
  // Digits inside constants, quoted identifiers, comments and identifiers are no numbers.
  const hidden = 'SELECT \'1abc\', E\'2x\\\'3y\', $$4z$$, $q$ 5w $q$, "6v", t1a, x$1, 1e5, 1.e3 -- 7u\n/* 8t /* 9s */ */';
  t.equal(parseSql(hidden).length, 1, 'no junk hides in constants, identifiers or comments');

  // Parameters where PostgreSQL takes only constants; libpg_query's grammar takes them for normalized text.
  parseFails(t, 'SET x = $1', syntax('syntax error at or near "$1"', 9));
  parseFails(t, 'ALTER ROLE r PASSWORD $1', syntax('syntax error at or near "$1"', 23));
  parseFails(t, 'SELECT EXTRACT($1 FROM t)', syntax('syntax error at or near "$1"', 16));
  parseFails(t, 'SELECT INTERVAL $1 YEAR', syntax('syntax error at or near "$1"', 17));
  parseFails(t, 'SELECT c_d_id $2', syntax('syntax error at or near "$2"', 15));
  // libpg-query fails later here (at SECOND); PostgreSQL already stopped at the parameter.
  parseFails(t, 'SELECT INTERVAL (6) $1 SECOND', syntax('syntax error at or near "$1"', 21));
  const legal = 'SELECT $1::int, CAST($2 AS text), EXTRACT(year FROM $3), f($4) FROM t WHERE a = $5 LIMIT $6';
  t.equal(parseSql(legal).length, 1, 'parameters where PostgreSQL takes expressions');
});

t.test('statements nested too deeply for the parser are refused with 54001 before it sees them', async (t) => {
  await initParser();
  const tooDeep = { code: SqlState.STATEMENT_TOO_COMPLEX, message: 'stack depth limit exceeded' };
  t.equal(parseSql('SELECT 1' + '+1'.repeat(2000)).length, 1, 'a chain of 2000 additions parses');
  t.throws(() => parseSql('SELECT 1' + '+1'.repeat(50_000)), tooDeep, 'a chain of 50000 does not');
  t.equal(parseSql('SELECT 1' + ' UNION ALL SELECT 1'.repeat(5000)).length, 1, 'a chain of 5000 UNIONs parses');
  t.throws(() => parseSql('SELECT 1' + ' UNION ALL SELECT 1, 2'.repeat(20_000)), tooDeep);
  t.throws(() => parseSql('SELECT ' + 'abs('.repeat(5000) + '1' + ')'.repeat(5000)), tooDeep);
  // PostgreSQL stops this one with bison's stack limit (42601 memory exhausted); ReefDB stops it sooner.
  t.throws(() => parseSql('SELECT ' + 'CASE WHEN a THEN '.repeat(2000) + '1' + ' END'.repeat(2000)), tooDeep);
  // Long flat lists are not deep: VALUES rows, IN lists, OR-ed conditions, CASE branches.
  const rows = Array.from({ length: 20_000 }, (_, i) => `(${i}, 'name ${i}', ${i}.5)`).join(', ');
  t.equal(parseSql(`INSERT INTO t VALUES ${rows}`).length, 1, '20000 VALUES rows');
  const ors = Array.from({ length: 5000 }, (_, i) => `(a = ${i} AND b = 'x')`).join(' OR ');
  t.equal(parseSql(`SELECT * FROM t WHERE ${ors}`).length, 1, '5000 OR-ed conditions');
  const whens = Array.from({ length: 5000 }, (_, i) => `WHEN a = ${i} THEN ${i}`).join(' ');
  t.equal(parseSql(`SELECT CASE ${whens} END FROM t`).length, 1, '5000 CASE branches');
});

t.test('a crash inside the WebAssembly parser restarts it instead of leaving it broken', async (t) => {
  await initParser();
  // Short text skips the nesting bound; called deep enough in the JavaScript stack, its 2000-level tree
  // overflows the native stack inside WebAssembly, which is the trap the restart exists for.
  const sql = 'SELECT 1' + '+1'.repeat(2000);
  const attempt = (): unknown => {
    try {
      parseSql(sql);
      return undefined;
    } catch (error) {
      return error;
    }
  };
  const nested = (depth: number): unknown => (depth === 0 ? attempt() : nested(depth - 1));
  let failure: unknown;
  for (let depth = 0; depth < 50_000 && failure === undefined; depth += 250) {
    try {
      failure = nested(depth);
    } catch (error) {
      failure = error; // the JavaScript frames overflowed before reaching the parser
    }
  }
  if (!isSqlError(failure)) {
    t.comment(`the JavaScript stack overflowed before the parser's did (${String(failure)}); nothing to check`);
    return;
  }
  t.same([failure.code, failure.message], [SqlState.STATEMENT_TOO_COMPLEX, 'stack depth limit exceeded']);
  t.throws(() => parseSql('SELECT 1'), {
    code: SqlState.INTERNAL_ERROR,
    message: 'SQL parser is restarting after an internal failure; retry the statement',
  });
  await initParser();
  t.same(
    parseSql('SELECT 1; SELECT $1').map((s) => s.text),
    ['SELECT 1', 'SELECT $1'],
    'a fresh instance parses again',
  );
  t.equal(attempt(), undefined, 'the statement that crashed deep in the stack parses near its top');
});

t.test('grammar errors PostgreSQL raises with another SQLSTATE keep it', async (t) => {
  await initParser();
  const notSupported = SqlState.FEATURE_NOT_SUPPORTED;
  parseFails(t, 'CREATE TABLE t (a int, CHECK (a > 0) DEFERRABLE)', {
    code: notSupported,
    message: 'CHECK constraints cannot be marked DEFERRABLE',
    position: undefined,
  });
  parseFails(t, 'CREATE TABLE t (a int, PRIMARY KEY (a) NOT VALID)', {
    code: notSupported,
    message: 'PRIMARY KEY constraints cannot be marked NOT VALID',
    position: undefined,
  });
  parseFails(t, 'CREATE TABLE t (a int REFERENCES u MATCH PARTIAL)', {
    code: notSupported,
    message: 'MATCH PARTIAL not yet implemented',
    position: 36,
  });
  parseFails(t, 'CREATE ASSERTION a CHECK (true)', {
    code: notSupported,
    message: 'CREATE ASSERTION is not yet implemented',
    position: undefined,
  });
  parseFails(t, 'ALTER INDEX i ALTER COLUMN 0 SET STATISTICS 1', {
    code: SqlState.INVALID_PARAMETER_VALUE,
    message: 'column number must be in range from 1 to 32767',
    position: 28,
  });
});

t.test('text over 16 MiB is refused with 54000 before parsing; NUL is refused', async (t) => {
  await initParser();
  t.equal(SQL_TEXT_BYTES_MAX, 16 * 1024 * 1024);
  const literal = (bytes: number): string => "SELECT '" + 'x'.repeat(bytes - 9) + "'";
  t.equal(literal(SQL_TEXT_BYTES_MAX).length, SQL_TEXT_BYTES_MAX);
  t.equal(parseSql(literal(SQL_TEXT_BYTES_MAX)).length, 1, 'exactly the limit parses');
  parseFails(t, literal(SQL_TEXT_BYTES_MAX + 1), {
    code: SqlState.PROGRAM_LIMIT_EXCEEDED,
    message: `query text is too long (${SQL_TEXT_BYTES_MAX + 1} bytes, maximum ${SQL_TEXT_BYTES_MAX})`,
    position: undefined,
  });
  // The limit is in UTF-8 bytes: 'é' is one UTF-16 unit and two bytes.
  const wide = "SELECT '" + 'é'.repeat(SQL_TEXT_BYTES_MAX / 2) + "'";
  t.ok(wide.length < SQL_TEXT_BYTES_MAX, 'fewer code units than the limit');
  t.throws(() => parseSql(wide), { code: SqlState.PROGRAM_LIMIT_EXCEEDED });
  parseFails(t, 'SELECT 1\u0000; DROP TABLE t', {
    code: SqlState.CHARACTER_NOT_IN_REPERTOIRE,
    message: 'invalid byte sequence for encoding "UTF8": 0x00',
    position: undefined,
  });
});

t.test('sourcePosition turns a tree location (bytes) into an error position (characters)', async (t) => {
  await initParser();
  const sql = "SELECT '日本' AS a, x FROM t; SELECT y";
  const [first, second] = parseSql(sql);
  const x = nodeAs(nodeAs(first?.stmt, 'SelectStmt')?.targetList?.[1], 'ResTarget');
  t.equal(x?.location, 22, 'the tree counts bytes');
  t.equal(sourcePosition(sql, x?.location), sql.indexOf('x') + 1);
  const y = nodeAs(nodeAs(second?.stmt, 'SelectStmt')?.targetList?.[0], 'ResTarget');
  t.equal(sourcePosition(sql, y?.location), sql.indexOf('y') + 1, 'locations are relative to the whole input');
  t.equal(sourcePosition(sql, -1), undefined);
  t.equal(sourcePosition(sql, undefined), undefined);
  t.equal(sourcePosition('😀 x', 5), 3, 'a character outside the BMP counts once');
});

t.test('parse speed on a TPC-C statement (diagnostic only)', async (t) => {
  await initParser();
  const sql =
    'SELECT c_discount, c_last, c_credit, w_tax FROM customer, warehouse ' +
    'WHERE w_id = $1 AND c_w_id = w_id AND c_d_id = $2 AND c_id = $3';
  const iterations = 20_000;
  for (let i = 0; i < 1_000; i += 1) parseSql(sql);
  const started = process.hrtime.bigint();
  let statements = 0;
  for (let i = 0; i < iterations; i += 1) statements += parseSql(sql).length;
  const elapsedNs = Number(process.hrtime.bigint() - started);
  t.equal(statements, iterations);
  t.comment(`parseSql: ${(elapsedNs / iterations / 1000).toFixed(1)} µs/parse over ${iterations} parses of a TPC-C statement`);
});
