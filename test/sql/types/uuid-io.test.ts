// Proves that uuid reads and prints as in PostgreSQL 15: hyphens after any group of four hex digits,
// optional braces, either case, nothing else (22P02), and the canonical lower-case 8-4-4-4-12 form as
// datum and output. The table was produced by PostgreSQL 15.18 and is checked here, not recomputed.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { parseText } from '../../../sql/types/io.js';
import { checkCases, error } from './io-cases.js';


const uuid: SqlType = { oid: TypeOid.uuid, typmod: -1 };

t.test('uuid input and output as PostgreSQL 15', async (t) => {
  checkCases(t, uuid, [
    ['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['a0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['{a0eebc999c0b4ef8bb6d6bb9bd380a11}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    ['a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
    [' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', error('22P02', 'invalid input syntax for type uuid: " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"')],
    ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1', error('22P02', 'invalid input syntax for type uuid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1"')],
    ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-', error('22P02', 'invalid input syntax for type uuid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-"')],
    ['a0eebc999-c0b-4ef8-bb6d-6bb9bd380a11', error('22P02', 'invalid input syntax for type uuid: "a0eebc999-c0b-4ef8-bb6d-6bb9bd380a11"')],
    ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', error('22P02', 'invalid input syntax for type uuid: "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"')],
    ['', error('22P02', 'invalid input syntax for type uuid: ""')],
    ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g', error('22P02', 'invalid input syntax for type uuid: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g"')],
    ['-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', error('22P02', 'invalid input syntax for type uuid: "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"')],
  ]);
  t.equal(parseText(uuid, '{A0EEBC999C0B4EF8BB6D6BB9BD380A11}'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'the datum is the canonical text');
});
