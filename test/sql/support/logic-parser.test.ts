// Proves the logic file parser reads every record kind of the sqllogictest format as the header comment
// of logic-parser.ts describes (statement ok/error with SQLSTATE, regexp, both or neither; query with
// types, sort mode and label; halt; hash-threshold; skipif/onlyif), keeps the line spans a rewrite
// needs, and rejects malformed files with the file and line of the fault.
import t from 'tap';
import { LogicParseError, parseLogicFile, recordRunsOn, type QueryRecord, type StatementRecord } from './logic-parser.js';

const parse = (text: string) => parseLogicFile(text, 'x.test');

t.test('statement records: ok, and error with a SQLSTATE, a regexp, both or neither', async (t) => {
  const { records } = parse(
    [
      '# a comment',
      'statement ok',
      'CREATE TABLE t (a int)',
      '',
      'statement error 23505',
      'INSERT INTO t VALUES (1)',
      '',
      'statement error division by (zero|nil)',
      'SELECT 1/0',
      '',
      'statement error 22012 division  by zero',
      'SELECT 1/0',
      '',
      'statement error',
      'SELECT',
      '  1/0',
    ].join('\n'),
  );
  t.equal(records.length, 5);
  const [ok, code, pattern, both, bare] = records as StatementRecord[];
  t.same(ok!.expect, { kind: 'ok' });
  t.equal(ok!.sql, 'CREATE TABLE t (a int)');
  t.equal(ok!.line, 2);
  t.same(code!.expect, { kind: 'error', sqlstate: '23505', messagePattern: null });
  t.equal(pattern!.expect.kind === 'error' && pattern!.expect.sqlstate, null);
  t.equal(pattern!.expect.kind === 'error' && pattern!.expect.messagePattern?.source, 'division by (zero|nil)');
  t.equal(both!.expect.kind === 'error' && both!.expect.sqlstate, '22012');
  t.equal(both!.expect.kind === 'error' && both!.expect.messagePattern?.source, 'division  by zero', 'spacing is kept');
  t.same(bare!.expect, { kind: 'error', sqlstate: null, messagePattern: null });
  t.equal(bare!.sql, 'SELECT\n  1/0', 'SQL spans lines up to the empty line');
  t.equal(bare!.line, 14);
});

t.test('query records: types, sort modes, labels, expected lines and their spans', async (t) => {
  const text = [
    'query IT rowsort same',
    'SELECT a, b',
    'FROM t',
    '----',
    '1\tx',
    '2\tNULL',
    '',
    'query R valuesort',
    'SELECT 1.5',
    '----',
    '1.5',
    '',
    'query B',
    'SELECT true WHERE false',
    '',
    'query T same',
    'SELECT 1',
    '----',
    ' ',
  ].join('\n');
  const records = parse(text).records as QueryRecord[];
  t.equal(records.length, 4);
  const [first, second, third, fourth] = records;
  t.match(first, { types: 'IT', sortMode: 'rowsort', label: 'same', sql: 'SELECT a, b\nFROM t', expected: ['1\tx', '2\tNULL'] });
  t.same(first!.headerOptions, ['rowsort', 'same']);
  t.equal(first!.sqlEndIndex, 3, 'the `----` line');
  t.equal(first!.resultsEndIndex, 6, 'one past the last expected line');
  t.match(second, { types: 'R', sortMode: 'valuesort', label: null, expected: ['1.5'] });
  t.match(third, { types: 'B', sortMode: 'nosort', expected: [] }, 'no `----`: no rows expected');
  t.equal(third!.sqlEndIndex, 14);
  t.equal(third!.resultsEndIndex, 14);
  t.same(fourth!.expected, [' '], 'a line of spaces is a value, not the end of the block');
});

t.test('conditions, halt and hash-threshold', async (t) => {
  const { records } = parse(
    ['hash-threshold 8', '', 'skipif reef', 'onlyif postgres', 'statement ok', 'SELECT 1', '', 'onlyif reef', 'halt', ''].join('\n'),
  );
  t.match(records[0], { kind: 'hash-threshold', threshold: 8, conditions: [] });
  const statement = records[1]!;
  t.same(statement.conditions, [
    { kind: 'skipif', target: 'reef' },
    { kind: 'onlyif', target: 'postgres' },
  ]);
  t.equal(statement.line, 5, 'a record is located by its command, after its conditions');
  t.equal(recordRunsOn(statement, 'postgres'), true);
  t.equal(recordRunsOn(statement, 'reef'), false);
  t.match(records[2], { kind: 'halt', conditions: [{ kind: 'onlyif', target: 'reef' }] });
  t.equal(recordRunsOn(records[2]!, 'postgres'), false);
});

t.test('CRLF line endings read like LF', async (t) => {
  const { records } = parse('query I\r\nSELECT 1\r\n----\r\n1\r\n');
  t.same((records[0] as QueryRecord).expected, ['1']);
  t.equal((records[0] as QueryRecord).sql, 'SELECT 1');
});

t.test('malformed files fail with the file and line', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['statement ok\nSELECT 1\n\nselect 2', 4, /unknown record "select"/],
    ['statement okay\nSELECT 1', 1, /statement ok/],
    ['statement ok\n\nSELECT 1', 1, /needs SQL/],
    ['statement ok\nSELECT 1\n----\n1', 1, /use "query"/],
    ['\nquery IX\nSELECT 1', 2, /one of the letters/],
    ['query\nSELECT 1', 1, /one of the letters/],
    ['query I label rowsort\nSELECT 1', 1, /sort mode comes before the label/],
    ['query I a b\nSELECT 1', 1, /after the label/],
    ['query I\n----\n1', 1, /needs SQL/],
    ['skipif reef\n\nstatement ok\nSELECT 1', 2, /followed directly/],
    ['skipif mysql\nstatement ok\nSELECT 1', 1, /postgres or reef/],
    ['statement ok\nSELECT 1\n\nonlyif reef', 4, /followed directly/],
    ['statement error (unclosed\nSELECT 1', 1, /invalid error regexp/],
    ['hash-threshold -1', 1, /n >= 0/],
    ['halt now', 1, /no arguments/],
    ['halt\nstatement ok\nSELECT 1', 2, /separated by an empty line/],
  ];
  for (const [text, line, reason] of cases) {
    try {
      parse(text);
      t.fail(`accepted: ${JSON.stringify(text)}`);
    } catch (error) {
      t.ok(error instanceof LogicParseError, 'a LogicParseError');
      const parseError = error as LogicParseError;
      t.equal(parseError.line, line, `line of ${JSON.stringify(text)}`);
      t.match(parseError.message, reason);
      t.ok(parseError.message.startsWith(`x.test:${line}: `), 'the message starts with file:line');
    }
  }
});
