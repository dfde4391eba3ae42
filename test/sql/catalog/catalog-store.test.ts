// The catalog lives in the transactional store: what a transaction creates is visible to it at once,
// to others only after commit, and never if it rolls back; names are unique per parent with
// PostgreSQL's errors (tables, sequences, views and indexes share a schema's names); OIDs start at
// 16384 and never repeat; concurrent DDL is serialized by the transaction layer.
import t from 'tap';
import { KvDatabase } from '../../../engine/kv-database.js';
import { isTxnError } from '../../../engine/txn/index.js';
import { CatalogStore } from '../../../sql/catalog/catalog-store.js';
import { BuiltinOid, FIRST_NORMAL_OID, type TableDescriptor } from '../../../sql/catalog/descriptors.js';
import { ReefSqlError } from '../../../sql/errors.js';
import { TypeOid } from '../../../sql/types/datum.js';

function table(id: number, name: string): TableDescriptor {
  const primaryIndex = { id: 1, oid: id + 1, name: `${name}_pkey`, unique: true, primary: true, columns: [{ columnId: 1, direction: 'asc' as const, nulls: 'last' as const }], storedColumnIds: [2] };
  return {
    kind: 'table',
    id,
    schemaId: BuiltinOid.publicSchema,
    name,
    version: 1,
    columns: [
      { id: 1, name: 'id', type: { oid: TypeOid.int4, typmod: -1 }, nullable: false },
      { id: 2, name: 'note', type: { oid: TypeOid.varchar, typmod: 14 }, nullable: true, defaultExpression: "'none'::character varying" },
    ],
    primaryIndex,
    secondaryIndexes: [],
    constraints: [{ kind: 'primary key', oid: id + 2, name: `${name}_pkey`, indexId: 1 }],
    nextColumnId: 3,
    nextIndexId: 2,
  };
}

async function createTable(catalog: CatalogStore, name: string): Promise<TableDescriptor> {
  const descriptor = table(await catalog.allocateOid(), name);
  await catalog.putDescriptor(descriptor);
  await catalog.addName(descriptor.schemaId, { name, kind: 'table', oid: descriptor.id });
  await catalog.addName(descriptor.schemaId, { name: descriptor.primaryIndex.name, kind: 'index', oid: descriptor.primaryIndex.oid, tableId: descriptor.id });
  return descriptor;
}

t.test('bootstrap, then DDL visible to its own transaction, to others after commit, never after rollback', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  await db.transaction((txn) => new CatalogStore(txn).bootstrap());
  await db.transaction((txn) => new CatalogStore(txn).bootstrap());
  const names = await db.transaction(async (txn) => (await new CatalogStore(txn).children(BuiltinOid.defaultDatabase)).map((entry) => entry.name));
  t.same(names, ['information_schema', 'pg_catalog', 'public']);

  const writer = await db.begin({ isolation: 'repeatable read' });
  const created = await createTable(new CatalogStore(writer), 'accounts');
  t.ok(created.id >= FIRST_NORMAL_OID, `user OIDs start at ${FIRST_NORMAL_OID}`);
  t.equal((await new CatalogStore(writer).lookup(BuiltinOid.publicSchema, 'accounts'))?.oid, created.id, 'visible to its own transaction');
  const reader = await db.begin({ isolation: 'repeatable read' });
  t.equal(await new CatalogStore(reader).lookup(BuiltinOid.publicSchema, 'accounts'), undefined, 'invisible to others before commit');
  await writer.rollback();
  await reader.commit();
  await db.transaction(async (txn) => {
    t.equal(await new CatalogStore(txn).lookup(BuiltinOid.publicSchema, 'accounts'), undefined, 'a rolled-back CREATE never existed');
  });

  const committed = await db.transaction((txn) => createTable(new CatalogStore(txn), 'accounts'));
  await db.transaction(async (txn) => {
    const catalog = new CatalogStore(txn);
    const entry = await catalog.lookup(BuiltinOid.publicSchema, 'accounts');
    t.equal(entry?.kind, 'table');
    const stored = await catalog.descriptor(entry!.oid);
    t.same(stored, committed, 'the descriptor round-trips');
    t.same((await catalog.children(BuiltinOid.publicSchema)).map((child) => `${child.kind}:${child.name}`), ['table:accounts', 'index:accounts_pkey']);
  });
  t.equal(committed.id, created.id, 'the OID of a rolled-back object is handed out again (it never existed)');
});

t.test('names are unique per parent, with PostgreSQL’s errors', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  await db.transaction((txn) => new CatalogStore(txn).bootstrap());
  await db.transaction((txn) => createTable(new CatalogStore(txn), 'items'));
  const clash = async (run: (catalog: CatalogStore) => Promise<unknown>): Promise<string | undefined> => {
    const txn = await db.begin();
    try {
      await run(new CatalogStore(txn));
      return undefined;
    } catch (error) {
      return error instanceof ReefSqlError ? `${error.code} ${error.message}` : String(error);
    } finally {
      await txn.rollback();
    }
  };
  t.equal(await clash((catalog) => createTable(catalog, 'items')), '42P07 relation "items" already exists');
  t.equal(await clash((catalog) => catalog.addName(BuiltinOid.publicSchema, { name: 'items_pkey', kind: 'sequence', oid: 99999 })), '42P07 relation "items_pkey" already exists', 'indexes share the names');
  t.equal(await clash((catalog) => catalog.addName(BuiltinOid.defaultDatabase, { name: 'public', kind: 'schema', oid: 99999 })), '42P06 schema "public" already exists');
  t.equal(await clash((catalog) => catalog.addName(0, { name: 'postgres', kind: 'database', oid: 99999 })), '42P04 database "postgres" already exists');
  t.equal(await clash((catalog) => catalog.addName(BuiltinOid.publicSchema, { name: 'x'.repeat(64), kind: 'table', oid: 99999 })), '54000 identifier "' + 'x'.repeat(64) + '" is longer than 63 bytes');
  t.equal(await clash((catalog) => createTable(catalog, 'other')), undefined, 'a different name is fine');
});

t.test('concurrent DDL is serialized: one of two conflicting creators retries', async (t) => {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  await db.transaction((txn) => new CatalogStore(txn).bootstrap());
  const first = await db.begin({ isolation: 'repeatable read' });
  const second = await db.begin({ isolation: 'repeatable read' });
  await createTable(new CatalogStore(first), 'a');
  await createTable(new CatalogStore(second), 'b');
  await first.commit();
  const outcome = await second.commit().then(
    () => 'committed',
    (error: unknown) => (isTxnError(error, 'SERIALIZATION_FAILURE') ? '40001' : String(error)),
  );
  t.equal(outcome, '40001', 'the second creator conflicts on the OID counter and must retry');
  const retried = await db.transaction((txn) => createTable(new CatalogStore(txn), 'b'));
  t.ok(retried.id > 0);
});
