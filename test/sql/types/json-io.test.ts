// Proves that json and jsonb read and print as in PostgreSQL 15: json keeps its text and checks only
// syntax; jsonb de-escapes strings (surrogate pairs, \u0000 refused with 22P05), orders object keys
// the jsonb way (shorter first, then bytewise) keeping the last of duplicate keys, keeps numbers as
// numerics with their scale, and prints canonically ('{"a": 1, "b": [1, 2]}'). Errors carry
// PostgreSQL's detail ('Token "tru" is invalid.', 'Expected ":", but found "1".', ...). The tables were
// produced by PostgreSQL 15.18 and are checked here, not recomputed.
import { Decimal } from 'decimal.js';
import t from 'tap';
import { type JsonValue, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { checkCases, error, outcome } from './io-cases.js';


const json: SqlType = { oid: TypeOid.json, typmod: -1 };
const jsonb: SqlType = { oid: TypeOid.jsonb, typmod: -1 };

t.test('json input and output as PostgreSQL 15', async (t) => {
  checkCases(t, json, [
    ['{"a":1,"b":[1,2]}', '{"a":1,"b":[1,2]}'],
    ['{"b":1,"a":2,"aa":3,"a":4}', '{"b":1,"a":2,"aa":3,"a":4}'],
    ['[-0, 1.0, 1e2, 1E-2, 0.0e5, -1.50]', '[-0, 1.0, 1e2, 1E-2, 0.0e5, -1.50]'],
    ['"\\u00e9\\ud83d\\ude00\\n\\t\\"\\/\\\\"', '"\\u00e9\\ud83d\\ude00\\n\\t\\"\\/\\\\"'],
    ['"\\u0000"', '"\\u0000"'],
    ['"\\ud83d"', '"\\ud83d"'],
    ['"\\ude00"', '"\\ude00"'],
    ['"\\ud83d\\ud83d"', '"\\ud83d\\ud83d"'],
    ['"\\ud83dx"', '"\\ud83dx"'],
    ['"\\x"', error('22P02', 'invalid input syntax for type json', { detail: 'Escape sequence "\\x" is invalid.' })],
    ['"\\u12"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"\\u12zz"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"abc', error('22P02', 'invalid input syntax for type json', { detail: 'Token ""abc" is invalid.' })],
    ['tru', error('22P02', 'invalid input syntax for type json', { detail: 'Token "tru" is invalid.' })],
    ['[1,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    ['[,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ",".' })],
    ['{"a":1,}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected string, but found "}".' })],
    ['{"a" 1}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected ":", but found "1".' })],
    ['{1:2}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected string or "}", but found "1".' })],
    ['{"a":1 "b":2}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected "," or "}", but found ""b"".' })],
    ['[1 2]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected "," or "]", but found "2".' })],
    ['01', error('22P02', 'invalid input syntax for type json', { detail: 'Token "01" is invalid.' })],
    ['-', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-" is invalid.' })],
    ['1.', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1." is invalid.' })],
    ['.5', error('22P02', 'invalid input syntax for type json', { detail: 'Token "." is invalid.' })],
    ['1e', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1e" is invalid.' })],
    ['-01', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-01" is invalid.' })],
    ['1ee', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1ee" is invalid.' })],
    ['nul', error('22P02', 'invalid input syntax for type json', { detail: 'Token "nul" is invalid.' })],
    ['true false', error('22P02', 'invalid input syntax for type json', { detail: 'Expected end of input, but found "false".' })],
    ['', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['   ', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['[', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a"', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['"a\\u0041"', '"a\\u0041"'],
    ['{"a":{"b":[true,false,null]}}', '{"a":{"b":[true,false,null]}}'],
    ['[1,2]x', error('22P02', 'invalid input syntax for type json', { detail: 'Token "x" is invalid.' })],
    ['  12  ', '  12  '],
    ['"\t"', error('22P02', 'invalid input syntax for type json', { detail: 'Character with value 0x09 must be escaped.' })],
    ['[1e1000000]', '[1e1000000]'],
    ['["a",  "b" ]', '["a",  "b" ]'],
    ['{"é":1, "z":2, "zz":3}', '{"é":1, "z":2, "zz":3}'],
    ['1', '1'],
    ['"abc"', '"abc"'],
    ['{"a":"\\u00e9","b":"\\"","c":"\\u001f\\u007f","d":"a/b"}', '{"a":"\\u00e9","b":"\\"","c":"\\u001f\\u007f","d":"a/b"}'],
    ['"\\b\\f\\n\\r\\t\\u0001"', '"\\b\\f\\n\\r\\t\\u0001"'],
    ['{"":1,"a":{},"b":[],"c":[{}]}', '{"":1,"a":{},"b":[],"c":[{}]}'],
    ['[1.0e+2, -1.5E-3, 0, -0.0, 123456789012345678901234567890]', '[1.0e+2, -1.5E-3, 0, -0.0, 123456789012345678901234567890]'],
    ['[true,false,null,"null"]', '[true,false,null,"null"]'],
    ['{"aaa":1,"bb":2,"c":3,"bb":4}', '{"aaa":1,"bb":2,"c":3,"bb":4}'],
    ['"😀"', '"😀"'],
    ['"\\uD83D\\uDE00"', '"\\uD83D\\uDE00"'],
    ['"\\u00"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"\\', error('22P02', 'invalid input syntax for type json', { detail: 'Token ""\\" is invalid.' })],
    ['[1,2', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1,', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1,"b"', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['[1,2,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    [']', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    ['}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "}".' })],
    [':', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ":".' })],
    [',', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ",".' })],
    ['{"a"}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected ":", but found "}".' })],
    ['{"a":}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "}".' })],
    ['[:]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ":".' })],
    ['nulls', error('22P02', 'invalid input syntax for type json', { detail: 'Token "nulls" is invalid.' })],
    ['TRUE', error('22P02', 'invalid input syntax for type json', { detail: 'Token "TRUE" is invalid.' })],
    ['1.5e', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1.5e" is invalid.' })],
    ['-', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-" is invalid.' })],
    ['-a', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-a" is invalid.' })],
    ['"a"x', error('22P02', 'invalid input syntax for type json', { detail: 'Token "x" is invalid.' })],
    ['[1]]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected end of input, but found "]".' })],
    ['"\\/"', '"\\/"'],
    ['"\\\'"', error('22P02', 'invalid input syntax for type json', { detail: 'Escape sequence "\\\'" is invalid.' })],
    ['"abc\\u0041\\u0042"', '"abc\\u0041\\u0042"'],
    ['  [  1  ,  2  ]  ', '  [  1  ,  2  ]  '],
    ['[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]'],
    ['{"a":{"a":{"a":{"a":{"a":1}}}}}', '{"a":{"a":{"a":{"a":{"a":1}}}}}'],
  ]);
});

t.test('jsonb input and output as PostgreSQL 15', async (t) => {
  checkCases(t, jsonb, [
    ['{"a":1,"b":[1,2]}', '{"a": 1, "b": [1, 2]}'],
    ['{"b":1,"a":2,"aa":3,"a":4}', '{"a": 4, "b": 1, "aa": 3}'],
    ['[-0, 1.0, 1e2, 1E-2, 0.0e5, -1.50]', '[0, 1.0, 100, 0.01, 0, -1.50]'],
    ['"\\u00e9\\ud83d\\ude00\\n\\t\\"\\/\\\\"', '"é😀\\n\\t\\"/\\\\"'],
    ['"\\u0000"', error('22P05', 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' })],
    ['"\\ud83d"', error('22P02', 'invalid input syntax for type json', { detail: 'Unicode low surrogate must follow a high surrogate.' })],
    ['"\\ude00"', error('22P02', 'invalid input syntax for type json', { detail: 'Unicode low surrogate must follow a high surrogate.' })],
    ['"\\ud83d\\ud83d"', error('22P02', 'invalid input syntax for type json', { detail: 'Unicode high surrogate must not follow a high surrogate.' })],
    ['"\\ud83dx"', error('22P02', 'invalid input syntax for type json', { detail: 'Unicode low surrogate must follow a high surrogate.' })],
    ['"\\x"', error('22P02', 'invalid input syntax for type json', { detail: 'Escape sequence "\\x" is invalid.' })],
    ['"\\u12"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"\\u12zz"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"abc', error('22P02', 'invalid input syntax for type json', { detail: 'Token ""abc" is invalid.' })],
    ['tru', error('22P02', 'invalid input syntax for type json', { detail: 'Token "tru" is invalid.' })],
    ['[1,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    ['[,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ",".' })],
    ['{"a":1,}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected string, but found "}".' })],
    ['{"a" 1}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected ":", but found "1".' })],
    ['{1:2}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected string or "}", but found "1".' })],
    ['{"a":1 "b":2}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected "," or "}", but found ""b"".' })],
    ['[1 2]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected "," or "]", but found "2".' })],
    ['01', error('22P02', 'invalid input syntax for type json', { detail: 'Token "01" is invalid.' })],
    ['-', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-" is invalid.' })],
    ['1.', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1." is invalid.' })],
    ['.5', error('22P02', 'invalid input syntax for type json', { detail: 'Token "." is invalid.' })],
    ['1e', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1e" is invalid.' })],
    ['-01', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-01" is invalid.' })],
    ['1ee', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1ee" is invalid.' })],
    ['nul', error('22P02', 'invalid input syntax for type json', { detail: 'Token "nul" is invalid.' })],
    ['true false', error('22P02', 'invalid input syntax for type json', { detail: 'Expected end of input, but found "false".' })],
    ['', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['   ', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['[', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a"', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['"a\\u0041"', '"aA"'],
    ['{"a":{"b":[true,false,null]}}', '{"a": {"b": [true, false, null]}}'],
    ['[1,2]x', error('22P02', 'invalid input syntax for type json', { detail: 'Token "x" is invalid.' })],
    ['  12  ', '12'],
    ['"\t"', error('22P02', 'invalid input syntax for type json', { detail: 'Character with value 0x09 must be escaped.' })],
    ['[1e1000000]', error('22003', 'value overflows numeric format')],
    ['["a",  "b" ]', '["a", "b"]'],
    ['{"é":1, "z":2, "zz":3}', '{"z": 2, "zz": 3, "é": 1}'],
    ['1', '1'],
    ['"abc"', '"abc"'],
    ['{"a":"\\u00e9","b":"\\"","c":"\\u001f\\u007f","d":"a/b"}', '{"a": "é", "b": "\\"", "c": "\\u001f", "d": "a/b"}'],
    ['"\\b\\f\\n\\r\\t\\u0001"', '"\\b\\f\\n\\r\\t\\u0001"'],
    ['{"":1,"a":{},"b":[],"c":[{}]}', '{"": 1, "a": {}, "b": [], "c": [{}]}'],
    ['[1.0e+2, -1.5E-3, 0, -0.0, 123456789012345678901234567890]', '[100, -0.0015, 0, 0.0, 123456789012345678901234567890]'],
    ['[true,false,null,"null"]', '[true, false, null, "null"]'],
    ['{"aaa":1,"bb":2,"c":3,"bb":4}', '{"c": 3, "bb": 4, "aaa": 1}'],
    ['"😀"', '"😀"'],
    ['"\\uD83D\\uDE00"', '"😀"'],
    ['"\\u00"', error('22P02', 'invalid input syntax for type json', { detail: '"\\u" must be followed by four hexadecimal digits.' })],
    ['"\\', error('22P02', 'invalid input syntax for type json', { detail: 'Token ""\\" is invalid.' })],
    ['[1,2', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1,', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['{"a":1,"b"', error('22P02', 'invalid input syntax for type json', { detail: 'The input string ended unexpectedly.' })],
    ['[1,2,]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    [']', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "]".' })],
    ['}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "}".' })],
    [':', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ":".' })],
    [',', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ",".' })],
    ['{"a"}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected ":", but found "}".' })],
    ['{"a":}', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found "}".' })],
    ['[:]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected JSON value, but found ":".' })],
    ['nulls', error('22P02', 'invalid input syntax for type json', { detail: 'Token "nulls" is invalid.' })],
    ['TRUE', error('22P02', 'invalid input syntax for type json', { detail: 'Token "TRUE" is invalid.' })],
    ['1.5e', error('22P02', 'invalid input syntax for type json', { detail: 'Token "1.5e" is invalid.' })],
    ['-', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-" is invalid.' })],
    ['-a', error('22P02', 'invalid input syntax for type json', { detail: 'Token "-a" is invalid.' })],
    ['"a"x', error('22P02', 'invalid input syntax for type json', { detail: 'Token "x" is invalid.' })],
    ['[1]]', error('22P02', 'invalid input syntax for type json', { detail: 'Expected end of input, but found "]".' })],
    ['"\\/"', '"/"'],
    ['"\\\'"', error('22P02', 'invalid input syntax for type json', { detail: 'Escape sequence "\\\'" is invalid.' })],
    ['"abc\\u0041\\u0042"', '"abcAB"'],
    ['  [  1  ,  2  ]  ', '[1, 2]'],
    ['[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]'],
    ['{"a":{"a":{"a":{"a":{"a":1}}}}}', '{"a": {"a": {"a": {"a": {"a": 1}}}}}'],
  ]);
});

t.test('jsonb datums: Maps in jsonb key order, Decimals, de-escaped strings', async (t) => {
  const value = parseText(jsonb, '{"bb": 1.50, "a": [true, null, "x\\u0041"], "bb": 2, "ccc": {}}') as ReadonlyMap<string, JsonValue>;
  t.ok(value instanceof Map);
  t.same([...value.keys()], ['a', 'bb', 'ccc']);
  t.ok(Decimal.isDecimal(value.get('bb')) && (value.get('bb') as Decimal).eq(2), 'the last duplicate wins');
  t.same(value.get('a'), [true, null, 'xA']);
  t.equal(formatText(jsonb, value), '{"a": [true, null, "xA"], "bb": 2, "ccc": {}}');
  t.equal(formatText(jsonb, parseText(jsonb, '[1.50, 1e2, -0.0]')), '[1.50, 100, 0.0]');
});

t.test('deep nesting is parsed without exhausting the stack', async (t) => {
  const depth = 5000;
  const text = '['.repeat(depth) + ']'.repeat(depth);
  t.equal(formatText(json, parseText(json, text)), text);
  t.equal(formatText(jsonb, parseText(jsonb, text)), text);
  t.same(outcome(json, '['.repeat(20_000)), error('54001', 'stack depth limit exceeded'));
});
