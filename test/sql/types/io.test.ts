// Proves the dispatch of io.ts: typeName spells every supported type, with and without a typmod, as
// PostgreSQL 15's format_type does (the table below is its output, checked here, not recomputed);
// parseText and formatText reach every type by OID, arrays through their element type with the array's
// typmod, and refuse unknown OIDs and NULL with errors rather than guesses.
import t from 'tap';
import { ReefSqlError } from '../../../sql/errors.js';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText, typeName } from '../../../sql/types/io.js';

t.test('typeName is format_type', async (t) => {
  const withoutTypmod: [number, string][] = [
    [16, 'boolean'], [17, 'bytea'], [19, 'name'], [20, 'bigint'], [21, 'smallint'], [23, 'integer'], [25, 'text'],
    [26, 'oid'], [114, 'json'], [199, 'json[]'], [700, 'real'], [701, 'double precision'], [705, 'unknown'],
    [1000, 'boolean[]'], [1001, 'bytea[]'], [1005, 'smallint[]'], [1007, 'integer[]'], [1009, 'text[]'],
    [1014, 'bpchar[]'], [1015, 'character varying[]'], [1016, 'bigint[]'], [1021, 'real[]'],
    [1022, 'double precision[]'], [1042, 'bpchar'], [1043, 'character varying'], [1082, 'date'],
    [1083, 'time without time zone'], [1114, 'timestamp without time zone'], [1115, 'timestamp without time zone[]'],
    [1182, 'date[]'], [1183, 'time without time zone[]'], [1184, 'timestamp with time zone'],
    [1185, 'timestamp with time zone[]'], [1186, 'interval'], [1187, 'interval[]'], [1231, 'numeric[]'],
    [1700, 'numeric'], [2950, 'uuid'], [2951, 'uuid[]'], [3802, 'jsonb'], [3807, 'jsonb[]'], [99999, '???'],
  ];
  for (const [oid, name] of withoutTypmod) t.equal(typeName({ oid, typmod: -1 }), name, `OID ${oid}`);
  const withTypmod: [number, number, string][] = [
    [1043, 14, 'character varying(10)'],
    [1042, 5, 'character(1)'],
    [1042, 14, 'character(10)'],
    [1700, ((10 << 16) | 2) + 4, 'numeric(10,2)'],
    [1700, ((5 << 16) | (-2 & 0x7ff)) + 4, 'numeric(5,-2)'],
    [1083, 3, 'time(3) without time zone'],
    [1114, 0, 'timestamp(0) without time zone'],
    [1184, 6, 'timestamp(6) with time zone'],
    [1186, (6 << 16) | 0xffff, 'interval year to month'],
    [1186, (0x7fff << 16) | 3, 'interval(3)'],
    [1186, (7176 << 16) | 3, 'interval day to second(3)'],
    [1015, 14, 'character varying(10)[]'],
    [1231, ((10 << 16) | 2) + 4, 'numeric(10,2)[]'],
    [1185, 3, 'timestamp(3) with time zone[]'],
    [1187, (4096 << 16) | 2, 'interval second(2)[]'],
  ];
  for (const [oid, typmod, name] of withTypmod) t.equal(typeName({ oid, typmod }), name, `OID ${oid} typmod ${typmod}`);
});

t.test('every supported OID reads and prints', async (t) => {
  const samples: [number, string, string][] = [
    [TypeOid.bool, 'true', 't'],
    [TypeOid.int2, '7', '7'],
    [TypeOid.int4, '7', '7'],
    [TypeOid.int8, '7', '7'],
    [TypeOid.oid, '7', '7'],
    [TypeOid.float4, '0.1', '0.1'],
    [TypeOid.float8, '0.1', '0.1'],
    [TypeOid.numeric, '0.10', '0.10'],
    [TypeOid.text, 'x', 'x'],
    [TypeOid.unknown, 'x', 'x'],
    [TypeOid.varchar, 'x', 'x'],
    [TypeOid.bpchar, 'x', 'x'],
    [TypeOid.name, 'x', 'x'],
    [TypeOid.bytea, 'x', '\\x78'],
    [TypeOid.date, '2024-01-05', '2024-01-05'],
    [TypeOid.time, '13:05', '13:05:00'],
    [TypeOid.timestamp, '2024-01-05 13:05', '2024-01-05 13:05:00'],
    [TypeOid.timestamptz, '2024-01-05 13:05', '2024-01-05 13:05:00+00'],
    [TypeOid.interval, '1 day', '1 day'],
    [TypeOid.uuid, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    [TypeOid.json, '{"b":1, "a":2}', '{"b":1, "a":2}'],
    [TypeOid.jsonb, '{"b":1, "a":2}', '{"a": 2, "b": 1}'],
  ];
  for (const [oid, input, output] of samples) {
    const type: SqlType = { oid, typmod: -1 };
    t.equal(formatText(type, parseText(type, input)), output, `OID ${oid}`);
  }
  const arrays = Object.entries(TypeOid).filter(([name]) => name.startsWith('_'));
  for (const [name, oid] of arrays) {
    const type: SqlType = { oid, typmod: -1 };
    t.equal(formatText(type, parseText(type, '{}')), '{}', `${name} reads and prints the empty array`);
  }
});

t.test('the array typmod applies to the elements', async (t) => {
  const varchar2Array: SqlType = { oid: TypeOid._varchar, typmod: 2 + 4 };
  t.throws(() => parseText(varchar2Array, '{ab,abc}'), { code: '22001', message: 'value too long for type character varying(2)' });
  const numeric52Array: SqlType = { oid: TypeOid._numeric, typmod: ((5 << 16) | 2) + 4 };
  t.equal(formatText(numeric52Array, parseText(numeric52Array, '{1,2.345}')), '{1.00,2.35}');
});

t.test('unknown OIDs and NULL are refused', async (t) => {
  t.throws(() => parseText({ oid: 600, typmod: -1 }, '(1,2)'), { code: '0A000' });
  t.throws(() => formatText({ oid: 600, typmod: -1 }, '(1,2)'), { code: '0A000' });
  t.throws(() => formatText({ oid: TypeOid.int4, typmod: -1 }, null), new ReefSqlError('XX000', 'formatText: NULL has no text form'));
});

t.test('output functions refuse values that are not datums of their type', async (t) => {
  const invalid: [number, unknown][] = [
    [TypeOid.date, 1.5],
    [TypeOid.time, -1],
    [TypeOid.time, 86_400_000_001],
    [TypeOid.timestamp, 2 ** 53],
    [TypeOid.timestamptz, 0.5],
    [TypeOid.interval, { months: 0.5, days: 0, microseconds: 0 }],
    [TypeOid.float4, 0.1],
  ];
  for (const [oid, value] of invalid) {
    t.throws(() => formatText({ oid, typmod: -1 }, value as never), { code: 'XX000' }, `OID ${oid}: ${JSON.stringify(value)}`);
  }
  t.equal(formatText({ oid: TypeOid.jsonb, typmod: -1 }, null), 'null', "jsonb's null is JSON null");
});

t.test('NUL is refused for every type, as PostgreSQL refuses it in any text', async (t) => {
  for (const oid of [TypeOid.text, TypeOid.int4, TypeOid.json, TypeOid._text]) {
    t.throws(() => parseText({ oid, typmod: -1 }, 'a\u0000b'), { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }, `OID ${oid}`);
  }
});
