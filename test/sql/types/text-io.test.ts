// Proves that the character types read and print as in PostgreSQL 15: varchar(n) and char(n) count
// characters (code points, not UTF-16 units), cut trailing spaces past n and otherwise refuse longer
// values with 22001, char(n) pads to n and prints its padding, bpchar without a length keeps the value
// as it is, and name keeps at most 63 UTF-8 bytes without splitting a character. The tables were
// produced by PostgreSQL 15.18 (varchar(3) and char(3) by INSERT into such a column) and are checked
// here, not recomputed.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { checkCases, error } from './io-cases.js';


const varchar3: SqlType = { oid: TypeOid.varchar, typmod: 3 + 4 };
const char3: SqlType = { oid: TypeOid.bpchar, typmod: 3 + 4 };
const bpchar: SqlType = { oid: TypeOid.bpchar, typmod: -1 };
const varchar: SqlType = { oid: TypeOid.varchar, typmod: -1 };
const text: SqlType = { oid: TypeOid.text, typmod: -1 };
const name: SqlType = { oid: TypeOid.name, typmod: -1 };

t.test('varchar(3) as PostgreSQL 15', async (t) => {
  checkCases(t, varchar3, [
    ['abc  ', 'abc'],
    ['abcdef', error('22001', 'value too long for type character varying(3)')],
    ['ab', 'ab'],
    ['abc   x', error('22001', 'value too long for type character varying(3)')],
    ['a😀bc ', error('22001', 'value too long for type character varying(3)')],
    ['a😀b  ', 'a😀b'],
    ['', ''],
    ['   ', '   '],
    ['abc', 'abc'],
    ['ab c', error('22001', 'value too long for type character varying(3)')],
  ]);
});

t.test('char(3) as PostgreSQL 15: padded, and printed with its padding', async (t) => {
  checkCases(t, char3, [
    ['abc  ', 'abc'],
    ['abcdef', error('22001', 'value too long for type character(3)')],
    ['ab', 'ab '],
    ['abc   x', error('22001', 'value too long for type character(3)')],
    ['a😀bc ', error('22001', 'value too long for type character(3)')],
    ['a😀b  ', 'a😀b'],
    ['', '   '],
    ['   ', '   '],
    ['abc', 'abc'],
    ['ab c', error('22001', 'value too long for type character(3)')],
  ]);
  t.equal(parseText(char3, 'a'), 'a  ', 'the datum keeps the padding (datum.ts)');
});

t.test('bpchar, varchar and text without a length keep the value as given', async (t) => {
  checkCases(t, bpchar, [
    ['abc  ', 'abc  '],
    ['abcdef', 'abcdef'],
    ['ab', 'ab'],
    ['abc   x', 'abc   x'],
    ['a😀bc ', 'a😀bc '],
    ['a😀b  ', 'a😀b  '],
    ['', ''],
    ['   ', '   '],
    ['abc', 'abc'],
    ['ab c', 'ab c'],
  ]);
  for (const value of ['', ' a ', 'x'.repeat(100_000), 'a😀\u0001']) {
    t.equal(formatText(varchar, parseText(varchar, value)), value);
    t.equal(formatText(text, parseText(text, value)), value);
  }
});

t.test('name keeps at most 63 bytes, whole characters only (PostgreSQL 15: 31, 63 and 32 characters)', async (t) => {
  t.equal(parseText(name, 'é'.repeat(40)), 'é'.repeat(31));
  t.equal(parseText(name, 'a'.repeat(70)), 'a'.repeat(63));
  t.equal(parseText(name, 'ab😀'.repeat(30)), 'ab😀'.repeat(10) + 'ab', '62 bytes: another 😀 would make 66');
  t.equal(parseText(name, 'a'.repeat(63)), 'a'.repeat(63));
});
