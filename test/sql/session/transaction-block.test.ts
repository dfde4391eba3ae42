// A session's transaction block with PostgreSQL 15's rules, over a real embedded node: ReadyForQuery
// status letters, WARNINGs for BEGIN inside and COMMIT/ROLLBACK outside a block, implicit transactions,
// the aborted state (25P02) left only by ROLLBACK, COMMIT-that-rolls-back or ROLLBACK TO, savepoints by
// name (the latest of a repeated name; 3B001 for a missing one), SET TRANSACTION only before the first
// query (25001), default_transaction_isolation, and SET / SET LOCAL undone as PostgreSQL undoes them.
import t, { type Test } from 'tap';
import { KvDatabase } from '../../../engine/kv-database.js';
import { ReefSqlError } from '../../../sql/errors.js';
import { SessionSettings } from '../../../sql/session/settings.js';
import { TransactionBlock } from '../../../sql/session/transaction-block.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

async function code(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return undefined;
  } catch (error) {
    return error instanceof ReefSqlError ? error.code : String(error);
  }
}

async function open(t: Test): Promise<{ db: KvDatabase; block: TransactionBlock; settings: SessionSettings }> {
  const db = await KvDatabase.open();
  t.teardown(() => db.close());
  const settings = new SessionSettings();
  return { db, block: new TransactionBlock(db.transactions, settings), settings };
}

async function read(db: KvDatabase, key: string): Promise<string | undefined> {
  const txn = await db.begin({ readOnly: true });
  const value = dec(await txn.get(enc(key)));
  await txn.commit();
  return value;
}

t.test('status letters, warnings and implicit transactions', async (t) => {
  const { db, block } = await open(t);
  t.equal(block.status, 'I');
  const implicit = await block.transaction();
  t.ok(implicit.implicit);
  await implicit.txn.put(enc('a'), enc('1'));
  await block.endImplicit(implicit.txn, true);
  t.equal(await read(db, 'a'), '1', 'an implicit transaction commits with its statement');
  t.same((await block.commit()).notices.map((notice) => notice.message), ['there is no transaction in progress']);
  t.same((await block.rollback()).map((notice) => notice.message), ['there is no transaction in progress']);
  t.same(block.begin(), []);
  t.equal(block.status, 'T');
  t.same(block.begin().map((notice) => `${notice.severity} ${notice.code} ${notice.message}`), ['WARNING 25001 there is already a transaction in progress']);
  const { txn } = await block.transaction();
  await txn.put(enc('b'), enc('2'));
  t.equal(await read(db, 'b'), undefined, 'not visible before COMMIT');
  t.equal((await block.commit()).tag, 'COMMIT');
  t.equal(await read(db, 'b'), '2');
  t.equal(block.status, 'I');
});

t.test('the aborted state and how to leave it', async (t) => {
  const { db, block } = await open(t);
  block.begin();
  await (await block.transaction()).txn.put(enc('x'), enc('1'));
  block.markFailed();
  t.equal(block.status, 'E');
  t.equal(await code(block.transaction()), '25P02');
  t.equal(await code(block.savepoint('s')), '25P02');
  const committed = await block.commit();
  t.equal(committed.tag, 'ROLLBACK', 'COMMIT of a failed block rolls back');
  t.equal(await read(db, 'x'), undefined);
  t.equal(block.status, 'I');

  block.begin();
  await (await block.transaction()).txn.put(enc('y'), enc('1'));
  await block.savepoint('s');
  await (await block.transaction()).txn.put(enc('z'), enc('1'));
  block.markFailed();
  await block.rollbackToSavepoint('s');
  t.equal(block.status, 'T', 'ROLLBACK TO leaves the failed state');
  await (await block.transaction()).txn.put(enc('w'), enc('1'));
  await block.commit();
  t.same([await read(db, 'y'), await read(db, 'z'), await read(db, 'w')], ['1', undefined, '1']);
});

t.test('savepoints by name', async (t) => {
  const { db, block } = await open(t);
  t.equal(await code(block.savepoint('s')), '25P01', 'SAVEPOINT outside a block');
  block.begin();
  const put = async (key: string, value: string): Promise<void> => (await block.transaction()).txn.put(enc(key), enc(value));
  await put('k', '0');
  await block.savepoint('s');
  await put('k', '1');
  await block.savepoint('s');
  await put('k', '2');
  await block.rollbackToSavepoint('s');
  t.equal(dec(await (await block.transaction()).txn.get(enc('k'))), '1', 'a repeated name means the latest savepoint');
  await block.releaseSavepoint('s');
  await block.rollbackToSavepoint('s');
  t.equal(dec(await (await block.transaction()).txn.get(enc('k'))), '0', 'after RELEASE the earlier one answers to the name');
  t.equal(await code(block.rollbackToSavepoint('nope')), '3B001');
  await block.commit();
  t.equal(await read(db, 'k'), '0');
});

t.test('SET TRANSACTION, default isolation, SET and SET LOCAL', async (t) => {
  const { block, settings } = await open(t);
  t.equal(await code(() => block.setTransaction({ isolation: 'serializable' })), '25P01');
  block.begin();
  block.setTransaction({ isolation: 'serializable' });
  t.equal((await block.transaction()).txn.isolation, 'serializable');
  t.equal(await code(() => block.setTransaction({ isolation: 'repeatable read' })), '25001', 'only before the first query');
  await block.commit();
  settings.set('default_transaction_isolation', 'repeatable read');
  const implicit = await block.transaction();
  t.equal(implicit.txn.isolation, 'repeatable read', 'default_transaction_isolation applies');
  await block.endImplicit(implicit.txn, true);

  block.begin();
  settings.set('statement_timeout', '5s');
  await block.rollback();
  t.equal(settings.show('statement_timeout'), '0', 'a SET in a rolled-back block is undone');
  block.begin();
  settings.set('statement_timeout', '5s');
  block.setLocal('work_mem', '64MB');
  t.equal(settings.show('work_mem'), '64MB');
  await block.commit();
  t.equal(settings.show('statement_timeout'), '5s', 'a SET in a committed block stays');
  t.equal(settings.show('work_mem'), '4MB', 'SET LOCAL ends with the block');
  t.same(block.setLocal('work_mem', '1MB').map((notice) => notice.message), ['SET LOCAL can only be used in transaction blocks']);
});
