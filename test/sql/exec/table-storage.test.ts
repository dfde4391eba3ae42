// Table rows in the transactional store: inserted rows come back from a scan in primary key order
// (forward and reverse, across batch boundaries), a taken primary key or unique value fails with 23505,
// NULLs in a unique index never conflict, deletes remove the row and its index entries, and a column
// added after a row was written reads as NULL; bounded primary key scans and secondary index scans (a
// DESC NULLS FIRST index, a unique lookup) equal a sorted-filter model. Runs on an embedded node.
import t from 'tap';
import { KvDatabase } from '../../../engine/kv-database.js';
import { isTxnError } from '../../../engine/txn/index.js';
import type { TableDescriptor } from '../../../sql/catalog/descriptors.js';
import { BATCH_ROWS, ExecContext, MemoryBudget } from '../../../sql/exec/context.js';
import { drain } from '../../../sql/exec/operator.js';
import { deleteRows, IndexScanOperator, insertRows, TableLayout, TableScanOperator } from '../../../sql/exec/table-storage.js';
import { SystemClock } from '../../../storage/env/clock.js';
import { TypeOid } from '../../../sql/types/datum.js';

const INT4 = { oid: TypeOid.int4, typmod: -1 };
const TEXT = { oid: TypeOid.text, typmod: -1 };

function usersTable(withNote = false): TableDescriptor {
  return {
    kind: 'table',
    id: 16_500,
    schemaId: 2200,
    name: 'users',
    version: 1,
    columns: [
      { id: 1, name: 'id', type: INT4, nullable: false },
      { id: 2, name: 'email', type: TEXT, nullable: true },
      { id: 3, name: 'age', type: INT4, nullable: true },
      ...(withNote ? [{ id: 4, name: 'note', type: TEXT, nullable: true }] : []),
    ],
    primaryIndex: { id: 1, oid: 16_501, name: 'users_pkey', unique: true, primary: true, columns: [{ columnId: 1, direction: 'asc', nulls: 'last' }], storedColumnIds: [] },
    secondaryIndexes: [
      { id: 2, oid: 16_502, name: 'users_email_key', unique: true, primary: false, columns: [{ columnId: 2, direction: 'asc', nulls: 'last' }], storedColumnIds: [] },
      { id: 3, oid: 16_503, name: 'users_age_idx', unique: false, primary: false, columns: [{ columnId: 3, direction: 'desc', nulls: 'first' }], storedColumnIds: [] },
    ],
    constraints: [],
    nextColumnId: withNote ? 5 : 4,
    nextIndexId: 4,
  };
}

const context = (): ExecContext => new ExecContext(new MemoryBudget(64 << 20), new SystemClock());

async function scan(db: KvDatabase, layout: TableLayout, reverse = false): Promise<unknown[][]> {
  const txn = await db.begin({ isolation: 'repeatable read', readOnly: true });
  const rows = await drain(new TableScanOperator(context(), txn, layout, reverse));
  await txn.commit();
  return rows;
}

async function failsWith23505(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return false;
  } catch (error) {
    return isTxnError(error, 'UNIQUE_VIOLATION');
  }
}

t.test('rows come back in primary key order, forward and reverse, across batches', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const layout = new TableLayout(usersTable());
  const count = BATCH_ROWS * 2 + 7;
  const ids = Array.from({ length: count }, (_, i) => (i * 7919) % count);
  await db.transaction(async (txn) => insertRows(txn, layout, ids.map((id) => [id, `u${id}@x`, id % 50])));
  const forward = await scan(db, layout);
  t.equal(forward.length, count);
  t.same(forward.slice(0, 3), [[0, 'u0@x', 0], [1, 'u1@x', 1], [2, 'u2@x', 2]]);
  t.ok(forward.every((row, i) => row[0] === i), 'in key order');
  const backward = await scan(db, layout, true);
  t.same(backward.map((row) => row[0]), forward.map((row) => row[0]).reverse());
});

t.test('taken keys fail with 23505; NULLs in a unique index never conflict; deletes remove everything', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const layout = new TableLayout(usersTable());
  await db.transaction((txn) => insertRows(txn, layout, [[1, 'a@x', 30], [2, null, 30], [3, null, null]]));
  t.ok(await failsWith23505(() => db.transaction((txn) => insertRows(txn, layout, [[1, 'other@x', 1]]), { maxAttempts: 1 })), 'a taken primary key');
  t.ok(await failsWith23505(() => db.transaction((txn) => insertRows(txn, layout, [[9, 'a@x', 1]]), { maxAttempts: 1 })), 'a taken unique value');
  await db.transaction((txn) => insertRows(txn, layout, [[4, null, 1]]));
  t.equal((await scan(db, layout)).length, 4, 'another NULL email is fine');
  await db.transaction((txn) => deleteRows(txn, layout, [[1, 'a@x', 30]]));
  t.same((await scan(db, layout)).map((row) => row[0]), [2, 3, 4]);
  await db.transaction((txn) => insertRows(txn, layout, [[5, 'a@x', 2]]));
  const txn = await db.begin({ readOnly: true });
  const all = await txn.scan(undefined, undefined);
  await txn.commit();
  // 4 rows, each with a primary entry, an email entry (a NULL one too, in its never-conflicting form) and
  // an age entry: the deleted row left none of its three behind.
  t.equal(all.length, 4 * 3, 'the deleted row left no index entry behind');
});

t.test('a column added after rows were written reads as NULL', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  await db.transaction((txn) => insertRows(txn, new TableLayout(usersTable()), [[1, 'a@x', 3]]));
  const widened = new TableLayout(usersTable(true));
  await db.transaction((txn) => insertRows(txn, widened, [[2, 'b@x', 4, 'hello']]));
  t.same(await scan(db, widened), [[1, 'a@x', 3, null], [2, 'b@x', 4, 'hello']]);
});

t.test('bounded primary key scans and secondary index scans equal a sorted-filter model', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const table = usersTable();
  const layout = new TableLayout(table);
  const rows: [number, string | null, number | null][] = Array.from({ length: 300 }, (_, id) => [id, id % 10 === 0 ? null : `user${id}@x`, id % 7 === 0 ? null : id % 40]);
  await db.transaction((txn) => insertRows(txn, layout, rows));
  const read = async (make: (txn: Awaited<ReturnType<KvDatabase['begin']>>) => TableScanOperator | IndexScanOperator): Promise<unknown[][]> => {
    const txn = await db.begin({ isolation: 'repeatable read', readOnly: true });
    const out = await drain(make(txn));
    await txn.commit();
    return out;
  };
  t.same((await read((txn) => new TableScanOperator(context(), txn, layout, false, { lower: { values: [10], inclusive: true }, upper: { values: [15], inclusive: false } }))).map((row) => row[0]), [10, 11, 12, 13, 14], 'id >= 10 AND id < 15');
  t.same((await read((txn) => new TableScanOperator(context(), txn, layout, true, { lower: { values: [295], inclusive: false } }))).map((row) => row[0]), [299, 298, 297, 296], 'id > 295, backwards');
  t.same((await read((txn) => new TableScanOperator(context(), txn, layout, false, { lower: { values: [42], inclusive: true }, upper: { values: [42], inclusive: true } }))).map((row) => row[0]), [42], 'id = 42');

  // age is indexed DESC NULLS FIRST: index order is NULLs, then ages high to low, ties by id.
  const ageIndex = table.secondaryIndexes[1]!;
  const byAge = await read((txn) => new IndexScanOperator(context(), txn, layout, ageIndex));
  const expected = [...rows].sort((a, b) => {
    if (a[2] === null || b[2] === null) return a[2] === b[2] ? a[0] - b[0] : a[2] === null ? -1 : 1;
    return b[2] - a[2] || a[0] - b[0];
  });
  t.same(byAge, expected, 'full rows in index order');
  const ageRange = await read((txn) => new IndexScanOperator(context(), txn, layout, ageIndex, false, { lower: { values: [30], inclusive: true }, upper: { values: [28], inclusive: true } }));
  t.same(ageRange, expected.filter((row) => row[2] !== null && row[2] <= 30 && row[2] >= 28), 'a range on a DESC column runs from the larger bound');
  const emailIndex = table.secondaryIndexes[0]!;
  const one = await read((txn) => new IndexScanOperator(context(), txn, layout, emailIndex, false, { lower: { values: ['user77@x'], inclusive: true }, upper: { values: ['user77@x'], inclusive: true } }));
  t.same(one, [rows[77]], 'a unique lookup');
});
