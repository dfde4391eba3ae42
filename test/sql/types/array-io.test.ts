// Proves that one-dimensional arrays read and print as in PostgreSQL 15: explicit bounds, quoting
// and backslash escapes, whitespace trimming of unquoted elements, NULL versus "NULL", element input
// with the array's typmod, the malformed-literal details of ArrayCount, and output quoting of elements
// that need it (empty, NULL-like, spaces, commas, braces, quotes, backslashes). The tables were produced
// by PostgreSQL 15.18 and are checked here, not recomputed. Multi-dimensional arrays, valid in
// PostgreSQL, are 0A000 here (datum.ts keeps one dimension). A seeded randomized test checks that text
// arrays of awkward strings print and read back; REEF_SEED=<seed> replays it.
import t from 'tap';
import { type SqlArray, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';



t.test('int4[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._int4, typmod: -1 }, [
    ['{1,2,NULL,3}', '{1,2,NULL,3}'],
    ['  {1,,2}', error('22P02', 'malformed array literal: "{1,,2}"', { detail: 'Unexpected "," character.' })],
    ['[1:2]={1,,2}', error('22P02', 'malformed array literal: "{1,,2}"', { detail: 'Unexpected "," character.' })],
    ['[0:2]={1,2,3}', '[0:2]={1,2,3}'],
    ['[0:2] = {1,2,3}', '[0:2]={1,2,3}'],
    [' [0:2]={1,2}', error('22P02', 'malformed array literal: " [0:2]={1,2}"', { detail: 'Specified array dimensions do not match array contents.' })],
    ['[2:1]={1}', error('2202E', 'upper bound cannot be less than lower bound')],
    ['[1:1]={}', error('22P02', 'malformed array literal: "[1:1]={}"', { detail: 'Specified array dimensions do not match array contents.' })],
    ['{}', '{}'],
    ['  {  }  ', '{}'],
    ['{1,2}x', error('22P02', 'malformed array literal: "{1,2}x"', { detail: 'Junk after closing right brace.' })],
    ['{1,2', error('22P02', 'malformed array literal: "{1,2"', { detail: 'Unexpected end of input.' })],
    ['1,2', error('22P02', 'malformed array literal: "1,2"', { detail: 'Array value must start with "{" or dimension information.' })],
    ['{{1,2},{3}}', error('22P02', 'malformed array literal: "{{1,2},{3}}"', { detail: 'Multidimensional arrays must have sub-arrays with matching dimensions.' })],
    ['{"a}', error('22P02', 'malformed array literal: "{"a}"', { detail: 'Unexpected end of input.' })],
    ['{a"b"}', error('22P02', 'malformed array literal: "{a"b"}"', { detail: 'Unexpected array element.' })],
    ['{"a"b}', error('22P02', 'malformed array literal: "{"a"b}"', { detail: 'Unexpected array element.' })],
    ['{1,{2}}', error('22P02', 'malformed array literal: "{1,{2}}"', { detail: 'Unexpected "{" character.' })],
    ['{{1},2}', error('22P02', 'malformed array literal: "{{1},2}"', { detail: 'Unexpected array element.' })],
    ['{1}}', error('22P02', 'malformed array literal: "{1}}"', { detail: 'Junk after closing right brace.' })],
    ['{{}}', error('22P02', 'malformed array literal: "{{}}"', { detail: 'Unexpected "}" character.' })],
    ['{null,"NULL",NuLl}', error('22P02', 'invalid input syntax for type integer: "NULL"')],
    ['{ 1 , 2 }', '{1,2}'],
    ['[1]={1}', '{1}'],
    ['[a]={1}', error('22P02', 'malformed array literal: "[a]={1}"', { detail: '"[" must introduce explicitly-specified array dimensions.' })],
    ['[1:]={1}', error('22P02', 'malformed array literal: "[1:]={1}"', { detail: 'Missing array dimension value.' })],
    ['[1:2={1,2}', error('22P02', 'malformed array literal: "[1:2={1,2}"', { detail: 'Missing "]" after array dimensions.' })],
    ['[1:2]{1,2}', error('22P02', 'malformed array literal: "[1:2]{1,2}"', { detail: 'Missing "=" after array dimensions.' })],
    ['{\\1,2\\,}', error('22P02', 'invalid input syntax for type integer: "2,"')],
    ['{1\\', error('22P02', 'malformed array literal: "{1\\"', { detail: 'Unexpected end of input.' })],
    ['[-1:0]={1,2}', '[-1:0]={1,2}'],
    ['[+1:+2]={1,2}', '{1,2}'],
    ['{1 2,3}', error('22P02', 'invalid input syntax for type integer: "1 2"')],
    ['{"1" 2}', error('22P02', 'malformed array literal: "{"1" 2}"', { detail: 'Unexpected array element.' })],
    ['{1,2,3}', '{1,2,3}'],
    [' { 1 , NULL , 3 } ', '{1,NULL,3}'],
    ['{-1,+2}', '{-1,2}'],
    ['{"1","2"}', '{1,2}'],
    ['{1,2}  ', '{1,2}'],
    ['[1:3]={1,2,3}', '{1,2,3}'],
    ['[-2:-1]={1,2}', '[-2:-1]={1,2}'],
    ['[0:0]={5}', '[0:0]={5}'],
    ['[1:2]={{1},{2}}', error('22P02', 'malformed array literal: "[1:2]={{1},{2}}"', { detail: 'Specified array dimensions do not match array contents.' })],
    ['{{{{{{{1}}}}}}}', error('54000', 'number of array dimensions (7) exceeds the maximum allowed (6)')],
  ]);
});

t.test('text[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._text, typmod: -1 }, [
    ['{"a b",c\\ d,"",  x  ," y ","\\"q\\"","a\\\\b",NULL,"NULL",null,NuLl,"nUll"}', '{"a b","c d","",x," y ","\\"q\\"","a\\\\b",NULL,"NULL",NULL,NULL,"nUll"}'],
    ['{abc,"{x}",a\\,b,"a,b",\\{}', '{abc,"{x}","a,b","a,b","{"}'],
    ['{"",""}', '{"",""}'],
    ['{ "" }', '{""}'],
    ['{a"b"}', error('22P02', 'malformed array literal: "{a"b"}"', { detail: 'Unexpected array element.' })],
    ['{\\"}', '{"\\""}'],
    ['{\\\\}', '{"\\\\"}'],
    ['{é,ü ö,"日本"}', '{é,"ü ö",日本}'],
    ['{a\tb,"c', error('22P02', 'malformed array literal: "{a\tb,"c"', { detail: 'Unexpected end of input.' })],
    ['d"}', error('22P02', 'malformed array literal: "d"}"', { detail: 'Array value must start with "{" or dimension information.' })],
    ['{x}', '{x}'],
    ['{" x "}', '{" x "}'],
    ['{"x"  , "y"}', '{x,y}'],
    ['{x  y}', '{"x  y"}'],
    ['{\\ }', '{" "}'],
    ['{\\ x\\ }', '{" x "}'],
    ['{a,b,c,d,e,f,g,h,i,j}', '{a,b,c,d,e,f,g,h,i,j}'],
    ['{}', '{}'],
    ['[0:1]={a,b}', '[0:1]={a,b}'],
  ]);
});

t.test('varchar(2)[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._varchar, typmod: 2 + 4 }, [
    ['{"a b",c\\ d,"",  x  ," y ","\\"q\\"","a\\\\b",NULL,"NULL",null,NuLl,"nUll"}', error('22001', 'value too long for type character varying(2)')],
    ['{abc,"{x}",a\\,b,"a,b",\\{}', error('22001', 'value too long for type character varying(2)')],
    ['{"",""}', '{"",""}'],
    ['{ "" }', '{""}'],
    ['{a"b"}', error('22P02', 'malformed array literal: "{a"b"}"', { detail: 'Unexpected array element.' })],
    ['{\\"}', '{"\\""}'],
    ['{\\\\}', '{"\\\\"}'],
    ['{é,ü ö,"日本"}', error('22001', 'value too long for type character varying(2)')],
    ['{a\tb,"c', error('22P02', 'malformed array literal: "{a\tb,"c"', { detail: 'Unexpected end of input.' })],
    ['d"}', error('22P02', 'malformed array literal: "d"}"', { detail: 'Array value must start with "{" or dimension information.' })],
    ['{x}', '{x}'],
    ['{" x "}', '{" x"}'],
    ['{"x"  , "y"}', '{x,y}'],
    ['{x  y}', error('22001', 'value too long for type character varying(2)')],
    ['{\\ }', '{" "}'],
    ['{\\ x\\ }', '{" x"}'],
    ['{a,b,c,d,e,f,g,h,i,j}', '{a,b,c,d,e,f,g,h,i,j}'],
    ['{}', '{}'],
    ['[0:1]={a,b}', '[0:1]={a,b}'],
  ]);
});

t.test('numeric[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._numeric, typmod: -1 }, [
    ['{1.50,2,NaN,-0}', '{1.50,2,NaN,0}'],
    ['{1e400}', '{10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000}'],
    ['{a}', error('22P02', 'invalid input syntax for type numeric: "a"')],
  ]);
});

t.test('bytea[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._bytea, typmod: -1 }, [
    ['{\\\\x01,"\\\\\\\\x02"}', '{"\\\\x01","\\\\x5c783032"}'],
    ['{"\\\\\\\\x","abc"}', '{"\\\\x5c78","\\\\x616263"}'],
    ['{"\\\\\\\\x1"}', '{"\\\\x5c7831"}'],
  ]);
});

t.test('float8[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._float8, typmod: -1 }, [
    ['{1.5,NaN,-Infinity,1e100,-0}', '{1.5,NaN,-Infinity,1e+100,-0}'],
  ]);
});

t.test('date[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._date, typmod: -1 }, [
    ['{2024-01-05,"Jan 5 2024",infinity,"0044-03-15 BC"}', '{2024-01-05,2024-01-05,infinity,"0044-03-15 BC"}'],
  ]);
});

t.test('timestamptz (session zone Europe/Paris)[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._timestamptz, typmod: -1 }, [
    ['{"2024-01-05 13:05:00.5","2024-01-05 13:05+02",infinity}', '{"2024-01-05 13:05:00.5+01","2024-01-05 12:05:00+01",infinity}'],
  ], { timeZone: 'Europe/Paris' });
});

t.test('interval[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._interval, typmod: -1 }, [
    ['{"1 day","-1 days +02:00:00",00:00:00,"1 year 2 mons"}', '{"1 day","-1 days +02:00:00",00:00:00,"1 year 2 mons"}'],
  ]);
});

t.test('bool[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._bool, typmod: -1 }, [
    ['{t,f,NULL,yes,off}', '{t,f,NULL,t,f}'],
  ]);
});

t.test('uuid[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._uuid, typmod: -1 }, [
    ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,A0EEBC999C0B4EF8BB6D6BB9BD380A11}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'],
  ]);
});

t.test('json[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._json, typmod: -1 }, [
    ['{"{\\"a\\":1}","[1, 2]",null,"\\"x\\"","1"}', '{"{\\"a\\":1}","[1, 2]",NULL,"\\"x\\"",1}'],
  ]);
});

t.test('jsonb[] as PostgreSQL 15', async (t) => {
  checkCases(t, { oid: TypeOid._jsonb, typmod: -1 }, [
    ['{"{\\"a\\":1}","[1, 2]",null,"\\"x\\"","1"}', '{"{\\"a\\": 1}","[1, 2]",NULL,"\\"x\\"",1}'],
  ]);
});

t.test('multi-dimensional arrays are refused after the literal is checked', async (t) => {
  const int4Array: SqlType = { oid: TypeOid._int4, typmod: -1 };
  checkCases(t, int4Array, [
    ['{{1,2},{3,4}}', error('0A000', 'multidimensional arrays are not supported')],
    ['[1:2][1:1]={{1},{2}}', error('0A000', 'multidimensional arrays are not supported')],
    ['{{1,2},{3}}', error('22P02', 'malformed array literal: "{{1,2},{3}}"', { detail: 'Multidimensional arrays must have sub-arrays with matching dimensions.' })],
  ]);
});

t.test('the datum is elements and a lower bound', async (t) => {
  const int4Array: SqlType = { oid: TypeOid._int4, typmod: -1 };
  t.same(parseText(int4Array, '[0:2]={1,NULL,3}'), { elements: [1, null, 3], lowerBound: 0 });
  t.same(parseText(int4Array, '{}'), { elements: [], lowerBound: 1 });
  t.equal(formatText(int4Array, { elements: [], lowerBound: 5 }), '{}');
});

t.test('seeded: text arrays of awkward strings print and read back', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  const textArray: SqlType = { oid: TypeOid._text, typmod: -1 };
  const alphabet = ['a', 'b', ' ', '\t', '\n', ',', '{', '}', '"', '\\', 'N', 'U', 'L', 'l', 'é', '😀', '[', ']', ':', '='];
  for (let round = 0; round < 1000; round++) {
    const elements = Array.from({ length: random.intBetween(0, 6) }, () =>
      random.chance(0.1) ? null : random.chance(0.1) ? 'NULL' : Array.from({ length: random.intBetween(0, 5) }, () => random.pick(alphabet)).join(''),
    );
    const value: SqlArray = { elements, lowerBound: random.chance(0.8) ? 1 : random.intBetween(-5, 5) };
    const text = formatText(textArray, value);
    const back = parseText(textArray, text) as SqlArray;
    const expected = elements.length === 0 ? { elements: [], lowerBound: 1 } : value;
    if (JSON.stringify(back) !== JSON.stringify(expected)) return t.fail(`${JSON.stringify(value)} printed as ${text} reads back as ${JSON.stringify(back)} ${replay}`);
  }
  t.pass(`1000 arrays ${replay}`);
});
