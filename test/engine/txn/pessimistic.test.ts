// Proves the behaviour of row locks (pessimistic locks), PostgreSQL's as seen by a client:
//  - READ COMMITTED read-modify-write under a row lock loses no update: concurrent increments all land,
//    and a write that meets a newer committed version waits and proceeds on it (no 40001);
//  - SELECT ... FOR UPDATE waits for the holder, takes the lock when it is released, and fails with
//    55P03 after the lock wait timeout; under REPEATABLE READ a row changed since the snapshot is 40001;
//  - two transactions that lock in opposite orders deadlock: exactly one gets 40P01 (its locks are
//    released), the other proceeds and commits;
//  - heartbeats keep a long transaction's locks alive far past their TTL (a short one sends none);
//  - rollback leaves no lock and no value behind;
//  - a statement that writes many rows locks them with one request.
import t from 'tap';
import { TxnError, isTxnError } from '../../../engine/txn/errors.js';
import type { Transaction } from '../../../engine/txn/transaction.js';
import { announceSeed } from '../../support/seed.js';
import { type KvCall, bytes, openTxnTestKv, recordKvCalls, text } from './support.js';

const seed = announceSeed(import.meta.url);
const SPLITS = ['m'];

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

t.test('READ COMMITTED increments under row locks all land', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('counter'), bytes('0'));
  await setup.commit();
  const INCREMENTERS = 8;
  await Promise.all(
    Array.from({ length: INCREMENTERS }, async (_, index) => {
      const txn = await env.manager.begin({ isolation: 'read committed' });
      await env.sleep(index % 3);
      // UPDATE counter SET value = value + 1: lock the row, read it under the lock, write.
      const [value] = await txn.lockForUpdate([bytes('counter')]);
      await env.sleep(1);
      await txn.put(bytes('counter'), bytes(String(Number(text(value)) + 1)));
      await txn.commit();
    }),
  );
  const check = await env.manager.begin();
  t.equal(text(await check.get(bytes('counter'))), String(INCREMENTERS), 'every increment landed');
  await check.commit();

  // A blind write that meets a newer commit waits for it and then writes over it.
  const first = await env.manager.begin({ isolation: 'read committed' });
  const second = await env.manager.begin({ isolation: 'read committed' });
  await first.put(bytes('counter'), bytes('first'));
  const waiting = settled(second.put(bytes('counter'), bytes('second')));
  await env.sleep(20);
  await first.commit();
  t.same(await waiting, { value: undefined }, 'the second writer proceeds once the first commits');
  t.equal(text(await second.get(bytes('counter'))), 'second');
  await second.commit();
  await env.close();
});

t.test('SELECT FOR UPDATE waits for the holder, and gives up with 55P03 after the timeout', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('row'), bytes('v1'));
  await setup.commit();

  const holder = await env.manager.begin({ isolation: 'repeatable read' });
  await holder.lockForUpdate([bytes('row')]);
  await holder.put(bytes('row'), bytes('v2'));

  const impatient = env.newManager({ lockWaitTimeoutMs: 500 });
  const timedOut = await impatient.begin({ isolation: 'read committed' });
  const beforeMs = env.clock.nowMs();
  const outcome = await settled(timedOut.lockForUpdate([bytes('row')]));
  const waitedMs = env.clock.nowMs() - beforeMs;
  t.ok(outcome.error instanceof TxnError && outcome.error.code === 'LOCK_NOT_AVAILABLE' && outcome.error.sqlstate === '55P03', '55P03');
  t.match((outcome.error as Error).message, /could not obtain lock on row/);
  t.ok(waitedMs >= 500 && waitedMs < 1000, `after the lock wait timeout (${waitedMs} ms)`);

  const patient = await env.manager.begin({ isolation: 'read committed' });
  const waiting = settled(patient.lockForUpdate([bytes('row')]));
  await env.sleep(200);
  await holder.commit();
  t.same((await waiting).value?.map(text), ['v2'], 'the waiter gets the lock, and the newest value, once the holder commits');
  await patient.commit();

  const snapshot = await env.manager.begin({ isolation: 'repeatable read' });
  const writer = await env.manager.begin();
  await writer.put(bytes('row'), bytes('v3'));
  await writer.commit();
  await t.rejects(snapshot.lockForUpdate([bytes('row')]), { code: 'SERIALIZATION_FAILURE', sqlstate: '40001', message: /concurrent update/ });
  await env.close();
});

t.test('a deadlock between two pessimistic transactions: one victim (40P01), the other proceeds', async (t) => {
  for (const sameRange of [true, false]) {
    const env = await openTxnTestKv({ seed, splitKeys: sameRange ? [] : SPLITS });
    const a = await env.manager.begin({ isolation: 'read committed' });
    const b = await env.manager.begin({ isolation: 'repeatable read' });
    await a.put(bytes('k1'), bytes('a'));
    await b.lockForUpdate([bytes('z2')]);
    const aWaits = settled(a.put(bytes('z2'), bytes('a')));
    await env.sleep(10);
    const bWaits = settled(b.lockForUpdate([bytes('k1')]));
    const outcomes = await Promise.all([aWaits, bWaits]);
    const victims = outcomes.filter((outcome) => isTxnError(outcome.error, 'DEADLOCK_DETECTED'));
    t.equal(victims.length, 1, `exactly one victim (same range: ${sameRange})`);
    t.equal((victims[0]!.error as TxnError).sqlstate, '40P01');
    const winner: Transaction = outcomes[0]!.error === undefined ? a : b;
    const loser: Transaction = winner === a ? b : a;
    t.equal(loser.isActive, false, 'the victim’s transaction is over');
    await winner.put(bytes('k1'), bytes('winner'));
    await winner.commit();
    const check = await env.manager.begin();
    t.equal(text(await check.get(bytes('k1'))), 'winner');
    await check.commit();
    t.same(await env.locks(), [], 'the victim’s locks were released');
    await env.close();
  }
});

t.test('heartbeats keep a long transaction’s locks alive past their TTL', async (t) => {
  const calls: KvCall[] = [];
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, wrapKv: recordKvCalls(calls), config: { lockTtlMs: 1000, heartbeatIntervalMs: 300 } });
  const short = await env.manager.begin({ isolation: 'read committed' });
  await short.put(bytes('s'), bytes('1'));
  await short.commit();
  t.equal(calls.filter((call) => call.method === 'heartbeat').length, 0, 'a short transaction sends no heartbeat');

  const long = await env.manager.begin({ isolation: 'read committed' });
  await long.put(bytes('a'), bytes('long'));
  await long.put(bytes('z'), bytes('long'));
  await env.sleep(10_000);
  const heartbeats = calls.filter((call) => call.method === 'heartbeat').length;
  t.ok(heartbeats >= 20, `${heartbeats} heartbeats in 10 s`);

  const other = env.newManager({ lockWaitTimeoutMs: 300 });
  const blocked = await other.begin({ isolation: 'read committed' });
  await t.rejects(blocked.put(bytes('z'), bytes('other')), { code: 'LOCK_NOT_AVAILABLE' }, 'the lock is still alive after 10 TTLs');
  const { commitTs } = await long.commit();
  t.ok(commitTs !== undefined, 'and the long transaction commits');
  const after = calls.length;
  await env.sleep(2000);
  t.equal(calls.slice(after).filter((call) => call.method === 'heartbeat').length, 0, 'heartbeats stop at commit');
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('a'), bytes('z')])).map(text), ['long', 'long']);
  await check.commit();
  await env.close();
});

t.test('rollback leaves nothing behind', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('a'), bytes('kept'));
  await setup.commit();

  const pessimistic = await env.manager.begin({ isolation: 'read committed' });
  await pessimistic.put(bytes('a'), bytes('gone'));
  await pessimistic.delete(bytes('z'));
  await pessimistic.lockForUpdate([bytes('q'), bytes('b')]);
  t.equal((await env.locks()).length, 4, 'four row locks held');
  await pessimistic.rollback();
  t.same(await env.locks(), [], 'rollback releases them');
  await pessimistic.rollback();
  t.pass('a second rollback is a no-op');

  const optimistic = await env.manager.begin({ isolation: 'serializable' });
  await optimistic.put(bytes('a'), bytes('gone'));
  await optimistic.put(bytes('y'), bytes('gone'));
  await optimistic.rollback();
  await t.rejects(optimistic.commit(), { code: 'TRANSACTION_CLOSED', sqlstate: '25P02' });

  const other = env.newManager({ lockWaitTimeoutMs: 1 });
  const next = await other.begin({ isolation: 'read committed' });
  t.same((await next.lockForUpdate([bytes('a'), bytes('b'), bytes('q'), bytes('z')])).map(text), ['kept', undefined, undefined, undefined], 'no lock in the way');
  await next.rollback();
  const check = await env.manager.begin();
  t.same((await check.scan(undefined, undefined)).map((pair) => [text(pair.key), text(pair.value)]), [['a', 'kept']], 'no value changed');
  await check.commit();
  await env.close();
});

t.test('a statement’s writes are locked with one request', async (t) => {
  const calls: KvCall[] = [];
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, wrapKv: recordKvCalls(calls) });
  const setup = await env.manager.begin();
  await setup.put(bytes('taken'), bytes('1'));
  await setup.commit();
  calls.length = 0;

  const txn = await env.manager.begin({ isolation: 'read committed' });
  await txn.write([
    { kind: 'put', key: bytes('a'), value: bytes('1') },
    { kind: 'insert', key: bytes('n'), value: bytes('1') },
    { kind: 'delete', key: bytes('taken') },
    { kind: 'insert', key: bytes('taken'), value: bytes('again') },
    { kind: 'put', key: bytes('z'), value: bytes('1') },
  ]);
  const locks = calls.filter((call) => call.method === 'acquirePessimisticLock');
  t.equal(locks.length, 1, 'one lock request for five writes over two ranges');
  t.same(
    (locks[0]!.args[0] as { keys: { key: Uint8Array; shouldNotExist?: boolean }[] }).keys.map((entry) => [text(entry.key), entry.shouldNotExist]),
    [
      ['a', false],
      ['n', true],
      ['taken', false],
      ['z', false],
    ],
    'an insert must find its key absent, unless the statement deleted it first',
  );
  await t.rejects(
    txn.write([{ kind: 'insert', key: bytes('a'), value: bytes('2') }]),
    { code: 'UNIQUE_VIOLATION' },
    'inserting a key the transaction wrote',
  );
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('a'), bytes('taken')])).map(text), [undefined, '1'], 'the failed transaction changed nothing');
  await check.commit();
  t.same(await env.locks(), []);
  await env.close();
});
