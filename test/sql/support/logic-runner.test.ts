// Proves the logic runner judges records as the format says, against a fake target whose answers are
// scripted per SQL text: nosort compares order while rowsort and valuesort do not; NULL, the empty
// string and tabs render as written in files; type letters and column counts are checked; error
// records match on SQLSTATE and/or message; labels, hash-threshold, conditions and halt behave; a
// broken session ends the run; the report names file:line, shows the SQL and a diff. With rewrite, the
// edits produce a file that then passes, and never turn a failing `statement ok` into an error record.
import t from 'tap';
import { diffLines } from './line-diff.js';
import { parseLogicFile, splitLines } from './logic-parser.js';
import { applyEdits, escapeRegExp, formatFailures, runLogicFile } from './logic-runner.js';
import type { SqlOutcome, SqlTarget, TargetName } from './target.js';

type Answer = SqlOutcome | (() => never);

/** Answers each SQL text with its scripted outcome; an unscripted statement succeeds with no rows. */
class FakeTarget implements SqlTarget {
  readonly executed: string[] = [];
  constructor(
    private readonly answers: Record<string, Answer>,
    readonly name: TargetName = 'reef',
  ) {}
  async exec(sql: string): Promise<SqlOutcome> {
    this.executed.push(sql);
    const answer = this.answers[sql];
    if (typeof answer === 'function') return answer();
    return answer ?? { kind: 'rows', columns: [], rows: [] };
  }
  async close(): Promise<void> {}
}

const rows = (columns: string[], values: (string | null)[][], oids?: number[]): SqlOutcome => ({
  kind: 'rows',
  columns,
  rows: values,
  ...(oids === undefined ? {} : { columnTypeOids: oids }),
});
const error = (sqlstate: string, message: string): SqlOutcome => ({ kind: 'error', sqlstate, message });

const ab = rows(['a', 'b'], [['2', 'y'], ['1', null], ['3', '']], [23, 25]);
const answers: Record<string, Answer> = {
  'SELECT ab': ab,
  'SELECT 1/0': error('22012', 'division by zero'),
  'INSERT dup': error('23505', 'duplicate key value violates unique constraint "t_pkey"'),
  'SELECT tab': rows(['t'], [['a\tb\nc']], [25]),
  'SELECT numbers': rows(['n'], [['1'], ['2'], ['3'], ['4']], [20]),
  'SELECT kinds': rows(['i', 'r', 'b', 'd'], [['1', '1.5', 't', '2024-01-01']], [21, 1700, 16, 1082]),
};

async function run(text: string, options: { rewrite?: boolean; target?: TargetName; answers?: Record<string, Answer> } = {}) {
  const target = new FakeTarget(options.answers ?? answers, options.target ?? 'reef');
  const result = await runLogicFile(parseLogicFile(text, 'f.test'), target, { rewrite: options.rewrite === true });
  return { result, target };
}

t.test('sort modes: nosort keeps order, rowsort sorts rows, valuesort sorts values', async (t) => {
  const inOrder = await run('query IT\nSELECT ab\n----\n2\ty\n1\tNULL\n3\t(empty)\n');
  t.same(inOrder.result.failures, [], 'nosort: the rows in the order returned');
  const wrongOrder = await run('query IT\nSELECT ab\n----\n1\tNULL\n2\ty\n3\t(empty)\n');
  t.equal(wrongOrder.result.failures.length, 1, 'nosort: another order fails');
  const sorted = await run('query IT rowsort\nSELECT ab\n----\n3\t(empty)\n1\tNULL\n2\ty\n');
  t.same(sorted.result.failures, [], 'rowsort: expected rows in any order');
  const values = await run('query IT valuesort\nSELECT ab\n----\n1\t2\n3\tNULL\n(empty)\ty\n');
  t.same(values.result.failures, [], 'valuesort: values in any arrangement');
  const missing = await run('query IT valuesort\nSELECT ab\n----\n1\t2\n3\tNULL\n(empty)\n');
  t.equal(missing.result.failures.length, 1, 'valuesort: a missing value fails');
});

t.test('values: tab, newline and carriage return are escaped', async (t) => {
  const { result } = await run('query T\nSELECT tab\n----\na\\tb\\nc\n');
  t.same(result.failures, []);
});

t.test('types: the column count always, the letters when the target reports type OIDs', async (t) => {
  t.same((await run('query IRBT\nSELECT kinds\n----\n1\t1.5\tt\t2024-01-01\n')).result.failures, []);
  const wrongLetters = await run('query IITT\nSELECT kinds\n----\n1\t1.5\tt\t2024-01-01\n');
  t.match(wrongLetters.result.failures, [{ line: 1, message: /column types differ: declared IITT, got IRBT/ }]);
  const wrongCount = await run('query I\nSELECT ab\n----\n2\ty\n1\tNULL\n3\t(empty)\n');
  t.match(wrongCount.result.failures, [{ message: /declares 1 columns \(I\), the query returned 2 \(a, b\)/ }]);
  const noOids = { 'SELECT x': rows(['x'], [['1']]) };
  t.same((await run('query T\nSELECT x\n----\n1\n', { answers: noOids })).result.failures, [], 'no OIDs: letters unchecked');
  const noColumns = await run('query I\nCREATE x\n');
  t.match(noColumns.result.failures, [{ message: /returned no columns/ }]);
});

t.test('statement records', async (t) => {
  const passing = await run(
    [
      'statement ok',
      'SELECT ab',
      '',
      'statement error 22012',
      'SELECT 1/0',
      '',
      'statement error violates unique constraint "t_.*"',
      'INSERT dup',
      '',
      'statement error 23505 ^duplicate key',
      'INSERT dup',
      '',
      'statement error',
      'SELECT 1/0',
    ].join('\n'),
  );
  t.same(passing.result.failures, []);
  t.equal(passing.result.recordsRun, 5);

  const failing = await run(
    [
      'statement ok',
      'SELECT 1/0',
      '',
      'statement error 22003',
      'SELECT 1/0',
      '',
      'statement error 22012 by nothing',
      'SELECT 1/0',
      '',
      'statement error',
      'SELECT ab',
    ].join('\n'),
  );
  t.match(failing.result.failures, [
    { line: 1, message: 'expected success, got error 22012: division by zero' },
    { line: 4, message: 'expected error 22003, got 22012: division by zero' },
    { line: 7, message: 'expected an error message matching /by nothing/, got 22012: division by zero' },
    { line: 10, message: 'expected an error, but the statement succeeded' },
  ]);
  const query = await run('query I\nSELECT 1/0\n----\n1\n');
  t.match(query.result.failures, [{ message: 'expected rows, got error 22012: division by zero' }]);
});

t.test('labels: queries with one label must agree', async (t) => {
  const same = { 'SELECT one': rows(['x'], [['1']]), 'SELECT uno': rows(['y'], [['1']]), 'SELECT two': rows(['z'], [['2']]) };
  const agreeing = await run('query I nosort l\nSELECT one\n----\n1\n\nquery I nosort l\nSELECT uno\n----\n1\n', { answers: same });
  t.same(agreeing.result.failures, []);
  const disagreeing = await run('query I nosort l\nSELECT one\n----\n1\n\nquery I nosort l\nSELECT two\n----\n2\n', { answers: same });
  t.match(disagreeing.result.failures, [{ line: 6, message: /label "l" at line 1/, diff: ['- 1', '+ 2'] }]);
});

t.test('hash-threshold: results with more values compare by MD5', async (t) => {
  const text = 'hash-threshold 3\n\nquery I\nSELECT numbers\n----\n1\n2\n3\n4\n';
  const { result } = await run(text, { rewrite: true });
  t.equal(result.failures.length, 1, 'four values past a threshold of three: the rows are not compared');
  const rewritten = applyEdits(splitLines(text), result.edits);
  // printf '1\n2\n3\n4\n' | md5sum
  t.same(rewritten.slice(4), ['----', '4 values hashing to 302c28003d487124d97c242de94da856']);
  t.same((await run(rewritten.join('\n'))).result.failures, [], 'the hash line passes');
  const under = await run('hash-threshold 4\n\nquery I\nSELECT numbers\n----\n1\n2\n3\n4\n');
  t.same(under.result.failures, [], 'at the threshold: rows as usual');
});

t.test('conditions and halt', async (t) => {
  const text = [
    'onlyif postgres',
    'statement ok',
    'SELECT pg',
    '',
    'skipif reef',
    'statement ok',
    'SELECT not reef',
    '',
    'onlyif reef',
    'statement ok',
    'SELECT reef',
    '',
    'onlyif postgres',
    'halt',
    '',
    'statement ok',
    'SELECT after',
    '',
    'halt',
    '',
    'statement ok',
    'SELECT never',
  ].join('\n');
  const reef = await run(text, { target: 'reef' });
  t.same(reef.target.executed, ['SELECT reef', 'SELECT after']);
  t.equal(reef.result.recordsSkipped, 3);
  t.equal(reef.result.halted, true);
  const postgres = await run(text, { target: 'postgres' });
  t.same(postgres.target.executed, ['SELECT pg', 'SELECT not reef']);
});

t.test('a broken session ends the run with a failure', async (t) => {
  const broken = {
    'SELECT boom': () => {
      throw new Error('connection lost');
    },
  };
  const { result, target } = await run('statement ok\nSELECT boom\n\nstatement ok\nSELECT next\n', { answers: broken });
  t.match(result.failures, [{ line: 1, message: 'the reef session broke: connection lost' }]);
  t.equal(result.halted, true);
  t.same(target.executed, ['SELECT boom']);
});

t.test('the report names file:line, shows the SQL and a diff', async (t) => {
  const { result } = await run('# header\n\nquery IT\nSELECT ab\n----\n2\ty\n1\tnull\n3\t(empty)\n');
  t.equal(
    formatFailures(result),
    ['f.test:3: results differ (- expected, + actual)', '    SELECT ab', '    2\ty', '  - 1\tnull', '  + 1\tNULL', '    3\t(empty)'].join('\n'),
  );
  t.equal(formatFailures((await run('statement ok\nSELECT ab\n')).result), '', 'nothing to report');
});

t.test('rewrite: results, types and unspecified errors go into the file, which then passes', async (t) => {
  const text = [
    '# keep me',
    'statement error',
    'INSERT dup',
    '',
    'statement error 22003',
    'SELECT 1/0',
    '',
    'statement ok',
    'SELECT 1/0',
    '',
    'query T rowsort',
    'SELECT ab',
    '----',
    'stale',
    '',
    'query I',
    'SELECT numbers',
    '',
    'statement ok',
    'SELECT ab',
    '',
  ].join('\n');
  const { result } = await run(text, { rewrite: true });
  t.match(
    result.failures.map((failure) => [failure.line, failure.rewritten]),
    [
      [5, true],
      [8, false],
      [11, true],
      [11, true],
    ],
    'the failing statement ok is left for a person',
  );
  const rewritten = applyEdits(splitLines(text), result.edits).join('\n') + '\n';
  t.equal(
    rewritten,
    [
      '# keep me',
      'statement error 23505 duplicate key value violates unique constraint "t_pkey"',
      'INSERT dup',
      '',
      'statement error 22012 division by zero',
      'SELECT 1/0',
      '',
      'statement ok',
      'SELECT 1/0',
      '',
      'query IT rowsort',
      'SELECT ab',
      '----',
      '1\tNULL',
      '2\ty',
      '3\t(empty)',
      '',
      'query I',
      'SELECT numbers',
      '----',
      '1',
      '2',
      '3',
      '4',
      '',
      'statement ok',
      'SELECT ab',
      '',
    ].join('\n'),
  );
  const again = await run(rewritten, { rewrite: true });
  t.same(again.result.edits, [], 'a second rewrite changes nothing');
  t.same(
    again.result.failures.map((failure) => failure.line),
    [8],
    'only the statement that should succeed still fails',
  );
});

t.test('escapeRegExp matches messages literally', async (t) => {
  const message = 'invalid input syntax for type integer: "1.5" (at [x]) $1 ^ | + * ? { } \\';
  t.ok(new RegExp(escapeRegExp(message)).test(message));
  t.notOk(new RegExp(escapeRegExp('a.b')).test('axb'));
});

t.test('diffLines aligns common lines', async (t) => {
  t.same(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd']), ['  a', '- b', '+ x', '  c', '+ d']);
  t.same(diffLines([], ['a']), ['+ a']);
  t.same(diffLines(['a'], []), ['- a']);
  t.same(diffLines(['a', 'b'], ['b', 'a']), ['- a', '  b', '+ a']);
});

t.test('applyEdits refuses overlapping edits', async (t) => {
  t.throws(() =>
    applyEdits(['a', 'b', 'c'], [
      { startIndex: 0, endIndex: 2, lines: [] },
      { startIndex: 1, endIndex: 3, lines: [] },
    ]),
  );
});
