// Proves that boolean text input and output match PostgreSQL 15: every spelling boolin accepts
// (prefixes of true/false/yes/no, on/off from two letters, 1/0, any case, surrounding whitespace) and
// its 22P02 for the rest. The expected strings were produced by PostgreSQL 15.18 (select '…'::boolean
// through its output function) and are checked here, not recomputed.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { checkCases, error } from './io-cases.js';


const bool: SqlType = { oid: TypeOid.bool, typmod: -1 };

t.test('boolean input and output as PostgreSQL 15', async (t) => {
  checkCases(t, bool, [
    ['t', 't'],
    ['tr', 't'],
    ['o', error('22P02', 'invalid input syntax for type boolean: "o"')],
    ['of', 'f'],
    ['  YES  ', 't'],
    ['1', 't'],
    ['2', error('22P02', 'invalid input syntax for type boolean: "2"')],
    ['', error('22P02', 'invalid input syntax for type boolean: ""')],
    ['tru ', 't'],
    ['FALSE', 'f'],
    ['n', 'f'],
    ['off', 'f'],
    ['offf', error('22P02', 'invalid input syntax for type boolean: "offf"')],
    ['yes ', 't'],
    ['nO', 'f'],
    ['ye', 't'],
    ['y', 't'],
    ['on', 't'],
    ['onn', error('22P02', 'invalid input syntax for type boolean: "onn"')],
    ['11', error('22P02', 'invalid input syntax for type boolean: "11"')],
    ['0', 'f'],
    [' 0 ', 'f'],
    ['\t on\n', 't'],
  ]);
});

t.test('the datum is a JavaScript boolean', async (t) => {
  t.equal(parseText(bool, 'yes'), true);
  t.equal(parseText(bool, 'OFF'), false);
  t.equal(formatText(bool, true), 't');
  t.equal(formatText(bool, false), 'f');
});
