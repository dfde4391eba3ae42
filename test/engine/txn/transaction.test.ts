// Proves a single transaction's view and lifecycle: reads see the snapshot plus the transaction's own
// buffered writes (get, batchGet, and scans that merge the buffer with limit, reverse and deletes,
// checked against a model on seeded random operations), READ COMMITTED moves its snapshot per
// statement while REPEATABLE READ keeps it, and a finished transaction refuses further use with the
// right SQLSTATE. Every scenario goes through openTxnTestKv, over several ranges.
import t, { type Test } from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { TxnError, isTxnError } from '../../../engine/txn/errors.js';
import type { IsolationLevel } from '../../../engine/txn/transaction.js';
import { announceSeed } from '../../support/seed.js';
import { bytes, openTxnTestKv, text } from './support.js';

const seed = announceSeed(import.meta.url);
const SPLITS = ['c', 'f', 'k'];

async function expectTxnError(t: Test, promise: Promise<unknown>, code: TxnError['code'], sqlstate: string): Promise<void> {
  try {
    await promise;
    t.fail(`expected ${code}`);
  } catch (error) {
    t.ok(isTxnError(error, code), `${code}: got ${String(error)}`);
    t.equal((error as TxnError).sqlstate, sqlstate, `${code} carries SQLSTATE ${sqlstate}`);
  }
}

t.test('reads see the snapshot plus the transaction’s own writes', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  for (const key of ['a', 'd', 'g', 'm']) await setup.put(bytes(key), bytes(`v-${key}`));
  await setup.commit();

  const txn = await env.manager.begin({ isolation: 'repeatable read' });
  await txn.put(bytes('b'), bytes('own-b'));
  await txn.delete(bytes('d'));
  await txn.put(bytes('g'), bytes('own-g'));
  t.equal(text(await txn.get(bytes('a'))), 'v-a');
  t.equal(text(await txn.get(bytes('b'))), 'own-b');
  t.equal(await txn.get(bytes('d')), undefined, 'own delete hides the stored value');
  t.same((await txn.batchGet([bytes('g'), bytes('a'), bytes('d'), bytes('zz'), bytes('a')])).map(text), ['own-g', 'v-a', undefined, undefined, 'v-a']);
  const all = await txn.scan(undefined, undefined);
  t.same(all.map((pair) => [text(pair.key), text(pair.value)]), [
    ['a', 'v-a'],
    ['b', 'own-b'],
    ['g', 'own-g'],
    ['m', 'v-m'],
  ]);
  const reversed = await txn.scan(bytes('b'), bytes('m'), { reverse: true, limit: 2 });
  t.same(reversed.map((pair) => text(pair.key)), ['g', 'b']);
  await txn.commit();
  const after = await env.manager.begin();
  t.same((await after.scan(undefined, undefined)).map((pair) => text(pair.key)), ['a', 'b', 'g', 'm']);
  await after.commit();
  await env.close();
});

t.test('scans merge buffered writes with the store (seeded model check)', async (t) => {
  const random = new SeededRandom(seed);
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, config: { scanBatchPairsMax: 3 } });
  const keys = 'abcdefghijklmnop'.split('');
  for (let round = 0; round < 12; round++) {
    const model = new Map<string, string>();
    const setup = await env.manager.begin();
    for (const key of keys) {
      await setup.delete(bytes(key));
      if (random.chance(0.5)) {
        await setup.put(bytes(key), bytes(`s${round}${key}`));
        model.set(key, `s${round}${key}`);
      }
    }
    await setup.commit();
    const isolation = random.pick<IsolationLevel>(['read committed', 'repeatable read', 'serializable']);
    const txn = await env.manager.begin({ isolation });
    for (let op = 0; op < 40; op++) {
      const key = random.pick(keys);
      const choice = random.int(5);
      if (choice === 0) {
        await txn.delete(bytes(key));
        model.delete(key);
      } else if (choice <= 2) {
        await txn.put(bytes(key), bytes(`t${op}`));
        model.set(key, `t${op}`);
      } else if (choice === 3) {
        t.equal(text(await txn.get(bytes(key))), model.get(key), `get ${key}`);
      } else {
        let [from, to] = [random.pick(keys), random.pick(keys)];
        if (from > to) [from, to] = [to, from];
        const reverse = random.chance(0.5);
        const limit = random.chance(0.5) ? random.intBetween(1, 6) : undefined;
        let expected = [...model.entries()].filter(([k]) => k >= from && k < to).sort(([a], [b]) => (a < b ? -1 : 1));
        if (reverse) expected.reverse();
        if (limit !== undefined) expected = expected.slice(0, limit);
        const got = await txn.scan(bytes(from), bytes(to), { reverse, limit });
        t.same(
          got.map((pair) => [text(pair.key), text(pair.value)]),
          expected,
          `scan [${from}, ${to}) reverse=${reverse} limit=${limit ?? '-'}`,
        );
      }
    }
    await txn.rollback();
  }
  await env.close();
});

t.test('READ COMMITTED takes a fresh snapshot per statement; REPEATABLE READ keeps its own', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const rc = await env.manager.begin({ isolation: 'read committed' });
  const rr = await env.manager.begin({ isolation: 'repeatable read' });
  t.equal(await rc.get(bytes('x')), undefined);
  t.equal(await rr.get(bytes('x')), undefined);
  const writer = await env.manager.begin();
  await writer.put(bytes('x'), bytes('1'));
  await writer.commit();
  t.equal(await rc.get(bytes('x')), undefined, 'same statement: same snapshot');
  await rc.newStatement();
  await rr.newStatement();
  t.equal(text(await rc.get(bytes('x'))), '1', 'next statement sees the commit');
  t.equal(await rr.get(bytes('x')), undefined, 'repeatable read does not');
  await rc.commit();
  await rr.commit();
  await env.close();
});

t.test('finished transactions refuse use; read-only ones refuse writes; errors carry SQLSTATEs', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const txn = await env.manager.begin();
  await txn.put(bytes('a'), bytes('1'));
  const { commitTs } = await txn.commit();
  t.ok(commitTs !== undefined && commitTs > txn.startTs, 'commit timestamp above the start');
  await expectTxnError(t, txn.get(bytes('a')), 'TRANSACTION_CLOSED', '25P02');
  await expectTxnError(t, txn.commit(), 'TRANSACTION_CLOSED', '25P02');

  const reader = await env.manager.begin({ readOnly: true });
  t.equal(text(await reader.get(bytes('a'))), '1');
  await expectTxnError(t, reader.put(bytes('b'), bytes('2')), 'READ_ONLY', '25006');
  await expectTxnError(t, reader.get(bytes('a')), 'TRANSACTION_CLOSED', '25P02');
  await reader.rollback();

  const empty = await env.manager.begin({ isolation: 'serializable' });
  t.equal(text(await empty.get(bytes('a'))), '1');
  t.same(await empty.commit(), { commitTs: undefined }, 'a read-only commit has no timestamp');

  const bad = await env.manager.begin();
  await expectTxnError(t, bad.put(new Uint8Array([0]), bytes('x')), 'INVALID_ARGUMENT', '22023');
  t.equal(bad.isActive, false, 'any error ends the transaction');

  const small = env.newManager({ writeKeysMax: 2 });
  const big = await small.begin({ isolation: 'repeatable read' });
  await big.put(bytes('a'), bytes('1'));
  await big.put(bytes('b'), bytes('1'));
  await big.put(bytes('a'), bytes('2'));
  await expectTxnError(t, big.put(bytes('c'), bytes('1')), 'TRANSACTION_TOO_LARGE', '54000');

  await env.manager.close();
  await expectTxnError(t, env.manager.begin(), 'SHUTTING_DOWN', '57P01');
  await env.close();
});
