// Savepoints: ROLLBACK TO undoes exactly the writes buffered after the savepoint (reads, scans and the
// committed result agree), nested savepoints and RELEASE behave as PostgreSQL's, a failure inside a
// savepoint leaves the transaction aborted (25P02 for every call) until ROLLBACK TO, after which it goes
// on and commits; without a savepoint a failure still ends the transaction. Calls queued while a
// rollback runs wait for it. Runs on the in-memory double and, through on-node.test.ts, on a real node.
import t, { type Test } from 'tap';
import { TxnError, isTxnError } from '../../../engine/txn/errors.js';
import type { IsolationLevel } from '../../../engine/txn/transaction.js';
import { announceSeed } from '../../support/seed.js';
import { bytes, openTxnTestKv, text } from './support.js';

const seed = announceSeed(import.meta.url);
const SPLITS = ['f'];

async function expectCode(t: Test, promise: Promise<unknown>, sqlstate: string): Promise<void> {
  try {
    await promise;
    t.fail(`expected SQLSTATE ${sqlstate}`);
  } catch (error) {
    t.equal(error instanceof TxnError ? error.sqlstate : String(error), sqlstate);
  }
}

for (const isolation of ['read committed', 'repeatable read', 'serializable'] as IsolationLevel[]) {
  t.test(`ROLLBACK TO undoes the writes after the savepoint (${isolation})`, async (t) => {
    const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
    const txn = await env.manager.begin({ isolation });
    await txn.put(bytes('a'), bytes('1'));
    const outer = await txn.savepoint();
    await txn.put(bytes('a'), bytes('2'));
    await txn.put(bytes('g'), bytes('3'));
    const inner = await txn.savepoint();
    await txn.delete(bytes('a'));
    t.equal(await txn.get(bytes('a')), undefined);
    await txn.rollbackToSavepoint(inner);
    t.equal(text(await txn.get(bytes('a'))), '2', 'the delete after the inner savepoint is undone');
    await txn.rollbackToSavepoint(outer);
    t.equal(text(await txn.get(bytes('a'))), '1', 'back to the value before the outer savepoint');
    t.equal(await txn.get(bytes('g')), undefined);
    t.same((await txn.scan(undefined, undefined)).map((pair) => `${text(pair.key)}=${text(pair.value)}`), ['a=1']);
    await expectCode(t, txn.rollbackToSavepoint(inner), '22023');
    await txn.put(bytes('h'), bytes('4'));
    await txn.releaseSavepoint(outer);
    await txn.commit();
    const check = await env.manager.begin();
    t.same((await check.batchGet([bytes('a'), bytes('g'), bytes('h')])).map(text), ['1', undefined, '4'], 'the committed result');
    await check.commit();
    t.same(await env.locks(), [], 'no lock is left');
    await env.close();
  });
}

t.test('a failure inside a savepoint aborts until ROLLBACK TO, then the transaction goes on', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('taken'), bytes('x'));
  await setup.commit();
  const txn = await env.manager.begin({ isolation: 'read committed' });
  await txn.put(bytes('a'), bytes('1'));
  const savepoint = await txn.savepoint();
  await txn.put(bytes('b'), bytes('2'));
  // READ COMMITTED locks at once, so the duplicate insert fails now (23505).
  await expectCode(t, txn.insert(bytes('taken'), bytes('y')), '23505');
  t.ok(txn.isAborted);
  await expectCode(t, txn.get(bytes('a')), '25P02');
  await expectCode(t, txn.commit(), '25P02');
  await txn.rollbackToSavepoint(savepoint);
  t.notOk(txn.isAborted);
  t.equal(await txn.get(bytes('b')), undefined, 'the writes after the savepoint are gone');
  await txn.put(bytes('c'), bytes('3'));
  await txn.commit();
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('a'), bytes('b'), bytes('c'), bytes('taken')])).map(text), ['1', undefined, '3', 'x']);
  await check.commit();
  t.same(await env.locks(), [], 'no lock is left');
  await env.close();
});

t.test('an aborted transaction can still roll back; without a savepoint a failure ends it', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('taken'), bytes('x'));
  await setup.commit();
  const aborted = await env.manager.begin();
  await aborted.savepoint();
  await aborted.put(bytes('a'), bytes('1'));
  await expectCode(t, aborted.insert(bytes('taken'), bytes('y')), '23505');
  await aborted.rollback();
  const plain = await env.manager.begin();
  await plain.put(bytes('b'), bytes('1'));
  await expectCode(t, plain.insert(bytes('taken'), bytes('y')), '23505');
  await expectCode(t, plain.get(bytes('b')), '25P02');
  await plain.rollback();
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('a'), bytes('b')])).map(text), [undefined, undefined], 'nothing of either was committed');
  await check.commit();
  t.same(await env.locks(), [], 'no lock is left');
  await env.close();
});

t.test('calls issued during a rollback wait for it', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const txn = await env.manager.begin({ isolation: 'read committed' });
  await txn.put(bytes('a'), bytes('1'));
  const rolling = txn.rollback();
  const after = txn.get(bytes('a')).then(
    () => 'read',
    (error: unknown) => (isTxnError(error, 'TRANSACTION_CLOSED') ? 'closed' : String(error)),
  );
  await rolling;
  t.equal(await after, 'closed', 'the read ran after the rollback, on a closed transaction');
  await env.close();
});
