// Proves the lint flags multi-row results whose order nothing defines, accepts the three ways of
// defining one (a top-level ORDER BY, rowsort/valuesort, an explicit nosort), is not fooled by ORDER BY
// inside parentheses or strings, and flags lines ending in whitespace.
import t from 'tap';
import { hasTopLevelOrderBy, lintLogicFile } from './logic-lint.js';
import { parseLogicFile } from './logic-parser.js';

const lint = (text: string) => lintLogicFile(parseLogicFile(text, 'f.test'), text);

t.test('top-level ORDER BY, not one inside parentheses, strings or identifiers', async (t) => {
  t.ok(hasTopLevelOrderBy('SELECT a FROM t ORDER BY a'));
  t.ok(hasTopLevelOrderBy('SELECT a FROM t\norder\n  by 1 LIMIT 2'));
  t.ok(hasTopLevelOrderBy('(SELECT 1) UNION (SELECT 2) ORDER BY 1'));
  t.notOk(hasTopLevelOrderBy('SELECT row_number() OVER (ORDER BY a) FROM t'));
  t.notOk(hasTopLevelOrderBy('SELECT string_agg(a, \',\' ORDER BY a) FROM t GROUP BY b'));
  t.notOk(hasTopLevelOrderBy("SELECT 'order by' FROM t"));
  t.notOk(hasTopLevelOrderBy('SELECT "order by" FROM t'));
  t.notOk(hasTopLevelOrderBy('SELECT * FROM (SELECT a FROM t ORDER BY a) s'));
  t.notOk(hasTopLevelOrderBy('SELECT a AS reorder_by FROM t'));
});

t.test('multi-row results need a defined order', async (t) => {
  t.same(lint('query I\nSELECT a FROM t\n----\n1\n2\n'), [
    'f.test:1: 2 rows in no defined order: add ORDER BY, use rowsort, or write nosort if the order is defined',
  ]);
  t.same(lint('query I\nSELECT a FROM t ORDER BY a\n----\n1\n2\n'), []);
  t.same(lint('query I rowsort\nSELECT a FROM t\n----\n1\n2\n'), []);
  t.same(lint('query I valuesort\nSELECT a FROM t\n----\n1\n2\n'), []);
  t.same(lint('query I nosort\nVALUES (1), (2)\n----\n1\n2\n'), []);
  t.same(lint('query I\nSELECT a FROM t\n----\n1\n'), [], 'one row has one order');
});

t.test('lines ending in whitespace', async (t) => {
  t.same(lint('query T\nSELECT  \n----\na \n'), [
    'f.test:2: the line ends in whitespace, which editors strip',
    'f.test:4: the line ends in whitespace, which editors strip',
  ]);
});
