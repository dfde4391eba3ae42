// Proves DIFFERS.md is read as its header describes (entries only under "## Entries", whole files and
// single records, a reason required) and that checkDiffers catches both ways a file and the list can
// drift apart: a reef-only record nobody listed, and an entry whose line no longer starts one.
import t from 'tap';
import { checkDiffers, DiffersFormatError, parseDiffers, wholeFileEntry } from './differs.js';
import { parseLogicFile } from './logic-parser.js';

const list = [
  '# Differences',
  '- `ignored.test` — above the entries heading: prose, not an entry',
  '',
  '## Entries',
  '',
  '- `explain.test` — EXPLAIN prints ReefDB plans',
  '- `ddl.test:5` — hidden row ids show in this catalog query',
  '',
].join('\n');

t.test('entries: whole files and records, each with a reason', async (t) => {
  const entries = parseDiffers(list);
  t.same(entries, [
    { file: 'explain.test', line: null, reason: 'EXPLAIN prints ReefDB plans', listLine: 6 },
    { file: 'ddl.test', line: 5, reason: 'hidden row ids show in this catalog query', listLine: 7 },
  ]);
  t.equal(wholeFileEntry(entries, 'explain.test')?.reason, 'EXPLAIN prints ReefDB plans');
  t.equal(wholeFileEntry(entries, 'ddl.test'), undefined, 'a record entry does not exempt its file');
  t.same(parseDiffers('## Entries\n\nNone yet.\n'), []);
  t.throws(() => parseDiffers('## Entries\n- `a.test` —\n'), DiffersFormatError);
  t.throws(() => parseDiffers('## Entries\n- a.test: reason\n'), /DIFFERS.md:2/);
});

t.test('reef-only records and entries must agree', async (t) => {
  const entries = parseDiffers(list);
  const file = (text: string) => parseLogicFile(text, 'ddl.test');
  const listed = file('statement ok\nSELECT 1\n\nonlyif reef\nquery I\nSELECT 1\n----\n1\n');
  t.same(checkDiffers(entries, 'ddl.test', listed), []);
  const moved = file('statement ok\nSELECT 1\n\n\n\nskipif postgres\nquery I\nSELECT 1\n----\n1\n');
  t.same(checkDiffers(entries, 'ddl.test', moved), [
    'DIFFERS.md:7 lists ddl.test:5, where no record marked onlyif reef / skipif postgres starts',
    'ddl.test:7: a record marked onlyif reef / skipif postgres must be listed in DIFFERS.md with its reason',
  ]);
  const postgresOnly = file('onlyif postgres\nstatement ok\nSELECT 1\n\nskipif reef\nstatement ok\nSELECT 2\n');
  t.same(checkDiffers([], 'ddl.test', postgresOnly), [], 'onlyif postgres and skipif reef need no entry');
});
