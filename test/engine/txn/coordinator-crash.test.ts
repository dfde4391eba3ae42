// Proves that a coordinator that stops at any point of a commit leaves nothing that later transactions
// cannot settle: the transaction is committed everywhere or nowhere, decided by its primary (or, for
// async commit, by its secondaries), and whoever meets a leftover lock resolves it. The "crash" is the
// failpoint test hook (TxnConfig.failpoint): it throws, and the coordinator abandons the transaction on
// the spot, heartbeats stopped. The transaction writes six keys over three ranges; readers on a second
// coordinator then scan everything, once right away and once after virtual time has passed the locks'
// TTL, and must see either every new value or every old one; after the second, no lock is left.
//
//   2PC, after prewrite            -> rolled back. The first reader does not wait: it pushes the
//                                     primary's minCommitTs above its read timestamp and reads past.
//                                     After the TTL the next one rolls the locks back.
//   2PC, after the primary commit  -> committed (no wait: the primary's record decides)
//   2PC, between secondaries       -> committed (the caller was answered; some locks are left)
//   async commit, after prewrite   -> committed, decided from the secondaries once the primary's TTL is
//                                     over (an async-commit lock cannot be pushed: the first reader waits)
//   READ COMMITTED, after prewrite -> rolled back (pessimistic locks upgraded by the prewrite)
//   READ COMMITTED, locks only     -> rolled back (the coordinator closed without committing; a writer
//                                     waiting for the row locks takes them once they expire)
import t from 'tap';
import type { FailpointName, TxnConfig } from '../../../engine/txn/config.js';
import type { IsolationLevel } from '../../../engine/txn/transaction.js';
import { announceSeed } from '../../support/seed.js';
import { bytes, openTxnTestKv, text } from './support.js';

const seed = announceSeed(import.meta.url);
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
const SPLITS = ['c', 'e'];
const LOCK_TTL_MS = 3000;

class Crash extends Error {}

interface Scenario {
  readonly name: string;
  readonly point: FailpointName;
  readonly isolation: IsolationLevel;
  readonly config: Partial<TxnConfig>;
  readonly committed: boolean;
  /** Whether commit() returns before the crash point (the caller was answered). */
  readonly answered: boolean;
  /** Whether the first reader must wait for the TTL. */
  readonly waitsForTtl: boolean;
}

const TWO_PC: Partial<TxnConfig> = { asyncCommit: false, onePc: false, lockTtlMs: LOCK_TTL_MS };
const SCENARIOS: Scenario[] = [
  { name: '2PC after prewrite', point: 'after-prewrite', isolation: 'repeatable read', config: TWO_PC, committed: false, answered: false, waitsForTtl: false },
  { name: '2PC after the primary commit', point: 'after-primary-commit', isolation: 'repeatable read', config: TWO_PC, committed: true, answered: false, waitsForTtl: false },
  {
    name: '2PC between secondaries',
    point: 'between-secondaries',
    isolation: 'serializable',
    config: { ...TWO_PC, commitBatchKeysMax: 2 },
    committed: true,
    answered: true,
    waitsForTtl: false,
  },
  {
    name: 'async commit after prewrite',
    point: 'after-prewrite',
    isolation: 'repeatable read',
    config: { asyncCommit: true, onePc: false, lockTtlMs: LOCK_TTL_MS },
    committed: true,
    answered: false,
    waitsForTtl: true,
  },
  { name: 'READ COMMITTED after prewrite', point: 'after-prewrite', isolation: 'read committed', config: TWO_PC, committed: false, answered: false, waitsForTtl: false },
];

for (const scenario of SCENARIOS) {
  t.test(`coordinator stops: ${scenario.name}`, async (t) => {
    const env = await openTxnTestKv({ seed, splitKeys: SPLITS, config: { lockTtlMs: LOCK_TTL_MS } });
    const setup = await env.manager.begin();
    for (const key of KEYS) await setup.put(bytes(key), bytes(`old-${key}`));
    await setup.commit();

    const crashing = env.newManager({
      ...scenario.config,
      failpoint: (point) => {
        if (point === scenario.point) throw new Crash(point);
      },
    });
    const txn = await crashing.begin({ isolation: scenario.isolation });
    if (scenario.isolation === 'serializable') await txn.get(bytes('a'));
    for (const key of KEYS) await txn.put(bytes(key), bytes(`new-${key}`));
    const outcome = await txn.commit().then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    if (scenario.answered) {
      t.ok('result' in outcome && outcome.result.commitTs !== undefined, 'commit answered before the crash');
    } else {
      t.ok('error' in outcome && outcome.error instanceof Crash, 'commit() rejects with the failpoint’s error');
    }
    await crashing.settle();
    t.ok((await env.locks()).length > 0, 'locks are left behind');
    await t.rejects(txn.get(bytes('a')), { code: 'TRANSACTION_CLOSED' }, 'the abandoned transaction refuses use');

    const readerManager = env.newManager();
    const expected = KEYS.map((key) => [key, `${scenario.committed ? 'new' : 'old'}-${key}`]);
    const readAll = async (): Promise<string[][]> => {
      const reader = await readerManager.begin({ isolation: 'repeatable read' });
      const pairs = await reader.scan(undefined, undefined);
      await reader.commit();
      return pairs.map((pair) => [text(pair.key)!, text(pair.value)!]);
    };
    const beforeMs = env.clock.nowMs();
    t.same(await readAll(), expected, scenario.committed ? 'every new value is visible' : 'every old value is visible');
    const waitedMs = env.clock.nowMs() - beforeMs;
    if (scenario.waitsForTtl) t.ok(waitedMs >= LOCK_TTL_MS / 2, `the reader waited for the lock to expire (${waitedMs} ms)`);
    else t.ok(waitedMs < LOCK_TTL_MS / 2, `the reader did not wait for the TTL (${waitedMs} ms)`);

    await env.sleep(LOCK_TTL_MS + 1000);
    t.same(await readAll(), expected, 'after the TTL: the same');
    await readerManager.settle();
    t.same(await env.locks(), [], 'no lock is left');
    await env.close();
  });
}

t.test('coordinator stops holding row locks: a waiting writer takes them once they expire', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, config: { lockTtlMs: LOCK_TTL_MS } });
  const dying = env.newManager();
  const holder = await dying.begin({ isolation: 'read committed' });
  await holder.put(bytes('a'), bytes('never'));
  await holder.lockForUpdate([bytes('d')]);
  await dying.close(); // heartbeats stop: the process is gone

  const writer = await env.manager.begin({ isolation: 'read committed' });
  const beforeMs = env.clock.nowMs();
  t.same((await writer.lockForUpdate([bytes('a'), bytes('d')])).map(text), [undefined, undefined]);
  t.ok(env.clock.nowMs() - beforeMs >= LOCK_TTL_MS / 2, 'the writer waited for the expiry');
  await writer.put(bytes('a'), bytes('mine'));
  await writer.commit();
  const reader = await env.manager.begin();
  t.equal(text(await reader.get(bytes('a'))), 'mine');
  await reader.commit();
  t.same(await env.locks(), [], 'no lock is left');
  await t.rejects(holder.commit(), { code: 'SHUTTING_DOWN' }, 'the dead coordinator’s transaction is gone');
  await env.close();
});
