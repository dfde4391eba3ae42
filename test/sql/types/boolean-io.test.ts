// Proves that boolean text input and output match PostgreSQL 15: every spelling boolin accepts
// (prefixes of true/false/yes/no, on/off from two letters, 1/0, any case, surrounding whitespace) and
// its 22P02 for the rest. The expected strings were produced by PostgreSQL 15.18 (select '…'::boolean
// through its output function) and are checked here, not recomputed.
import t, { type Test } from 'tap';
import { ReefSqlError } from '../../../sql/errors.js';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';

/** An expected error: SQLSTATE, message and the optional detail and hint, as PostgreSQL 15 reports them. */
interface ExpectedError {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
}

function error(code: string, message: string, fields: { detail?: string; hint?: string } = {}): ExpectedError {
  return { code, message, ...fields };
}

/** The text printed for `input` read as `type`, or the error reading it raised. */
function outcome(type: SqlType, input: string): string | ExpectedError {
  try {
    return formatText(type, parseText(type, input));
  } catch (caught) {
    if (!(caught instanceof ReefSqlError)) throw caught;
    const { code, message, detail, hint } = caught;
    return { code, message, ...(detail === undefined ? {} : { detail }), ...(hint === undefined ? {} : { hint }) };
  }
}

function checkCases(t: Test, type: SqlType, cases: readonly (readonly [string, string | ExpectedError])[]): void {
  for (const [input, expected] of cases) t.same(outcome(type, input), expected, JSON.stringify(input));
}

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
