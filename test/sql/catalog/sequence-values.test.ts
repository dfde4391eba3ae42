// Sequence values through the transactional store: consecutive values for one node across block
// boundaries, unique values across two nodes' allocators, setval with and without is_called, the
// bounds (2200H) and CYCLE, descending sequences, and values that keep increasing after a restart
// (a gap is allowed, a repeat is not). nextval never uses the caller's transaction, so a rollback
// does not give a value back.
import t from 'tap';
import { KvDatabase } from '../../../engine/kv-database.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { BLOCK_VALUES, SequenceValues } from '../../../sql/catalog/sequence-values.js';
import type { SequenceDescriptor } from '../../../sql/catalog/descriptors.js';
import { BuiltinOid } from '../../../sql/catalog/descriptors.js';
import { ReefSqlError } from '../../../sql/errors.js';
import { TypeOid } from '../../../sql/types/datum.js';

function sequence(overrides: Partial<SequenceDescriptor> = {}): SequenceDescriptor {
  return {
    kind: 'sequence',
    id: 20_000,
    schemaId: BuiltinOid.publicSchema,
    name: 'ids',
    version: 1,
    type: { oid: TypeOid.int8, typmod: -1 },
    start: 1n,
    increment: 1n,
    min: 1n,
    max: 9_223_372_036_854_775_807n,
    cycle: false,
    ...overrides,
  };
}

t.test('consecutive values across blocks; unique across two allocators', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const values = new SequenceValues(db.transactions);
  const seq = sequence();
  const got: bigint[] = [];
  for (let i = 0; i < Number(BLOCK_VALUES) * 2 + 5; i++) got.push(await values.nextval(seq));
  t.same(got, got.map((_, i) => BigInt(i + 1)), 'one node sees 1, 2, 3, … across block boundaries');
  const other = new SequenceValues(db.transactions);
  const mixed = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? values : other).nextval(seq)));
  t.equal(new Set(mixed.map(String)).size, 200, 'two allocators never hand out the same value');
  t.ok(mixed.every((value) => value > got[got.length - 1]!), 'and never an old one');
});

t.test('setval, bounds, CYCLE and descending sequences', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const values = new SequenceValues(db.transactions);
  const seq = sequence({ id: 20_001 });
  await values.nextval(seq);
  await values.setval(seq, 100n, true);
  t.equal(await values.nextval(seq), 101n, 'setval(…, true): the next value follows it');
  await values.setval(seq, 200n, false);
  t.equal(await values.nextval(seq), 200n, 'setval(…, false): the next value is it');
  const small = sequence({ id: 20_002, max: 3n });
  t.same([await values.nextval(small), await values.nextval(small), await values.nextval(small)], [1n, 2n, 3n]);
  const error = await values.nextval(small).catch((thrown: unknown) => thrown);
  t.ok(error instanceof ReefSqlError && error.code === '2200H', 'past the maximum: 2200H');
  t.equal((error as Error).message, 'nextval: reached maximum value of sequence "ids" (3)');
  const cycling = sequence({ id: 20_003, max: 2n, cycle: true });
  t.same([await values.nextval(cycling), await values.nextval(cycling), await values.nextval(cycling)], [1n, 2n, 1n], 'CYCLE wraps to the minimum');
  const down = sequence({ id: 20_004, start: -1n, increment: -2n, min: -6n, max: -1n });
  t.same([await values.nextval(down), await values.nextval(down), await values.nextval(down)], [-1n, -3n, -5n]);
  t.rejects(values.nextval(down), { code: '2200H' });
  const outOfRange = await values.setval(small, 10n, true).catch((thrown: unknown) => thrown);
  t.ok(outOfRange instanceof ReefSqlError && outOfRange.code === '22003');
});

t.test('after a restart values keep increasing; a rollback does not give values back', async (t) => {
  const fs = new MemoryFileSystem();
  const seq = sequence({ id: 20_005 });
  let db = await KvDatabase.open({ fs, dir: '/seq' });
  const before = await new SequenceValues(db.transactions).nextval(seq);
  const txn = await db.begin();
  const inRolledBack = await new SequenceValues(db.transactions).nextval(seq);
  await txn.rollback();
  await db.close();
  db = await KvDatabase.open({ fs, dir: '/seq' });
  t.teardown(() => db.close());
  const after = await new SequenceValues(db.transactions).nextval(seq);
  t.ok(inRolledBack > before && after > inRolledBack, `${before} < ${inRolledBack} < ${after}`);
});
