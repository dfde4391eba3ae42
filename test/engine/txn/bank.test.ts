// Proves that money is neither created nor destroyed, at every isolation level: N accounts spread over
// several ranges hold a fixed total; concurrent workers move random amounts between random accounts
// (retrying the whole transaction on 40001 and 40P01, sometimes giving up with a rollback) while
// readers sum every account, by a full scan or one batchGet, in one statement. Every reader must see
// the constant total (each reads one consistent snapshot), and so must the final sum. The interleaving
// of range parts, the think times and the jitter come from the seed, and time is virtual, so a failure
// replays with its seed.
//
// READ COMMITTED transfers lock both rows first (SELECT ... FOR UPDATE, one request, or one row at a
// time in random order, which invites deadlocks) and compute from the values under the locks, as an
// UPDATE does; REPEATABLE READ and SERIALIZABLE read at their snapshot and write optimistically.
import t from 'tap';
import { type Random, SeededRandom } from '../../../storage/env/random.js';
import type { IsolationLevel, Transaction } from '../../../engine/txn/transaction.js';
import { announceSeed } from '../../support/seed.js';
import { type KvCall, type TxnTestKv, bytes, openTxnTestKv, recordKvCalls, retryTxn, text } from './support.js';

const seed = announceSeed(import.meta.url);

const ACCOUNTS = 8;
const INITIAL_BALANCE = 100;
const TOTAL = ACCOUNTS * INITIAL_BALANCE;
const TRANSFER_WORKERS = 6;
const TRANSFERS_PER_WORKER = 10;
const READERS = 2;
const READS_PER_READER = 8;

const accountKey = (index: number): Uint8Array => bytes(`acct/${String(index).padStart(2, '0')}`);
const encode = (amount: number): Uint8Array => bytes(String(amount));
const decode = (value: Uint8Array | undefined): number => Number(text(value) ?? 'NaN');

async function think(env: TxnTestKv, random: Random): Promise<void> {
  if (random.chance(0.4)) await env.sleep(random.int(5));
}

async function transfer(env: TxnTestKv, random: Random, isolation: IsolationLevel): Promise<number> {
  const from = random.int(ACCOUNTS);
  let to = random.int(ACCOUNTS - 1);
  if (to >= from) to++;
  const amount = random.intBetween(1, 20);
  const giveUp = random.chance(0.1);
  const body = async (txn: Transaction): Promise<void> => {
    let balances: number[];
    if (isolation === 'read committed') {
      if (random.chance(0.5)) {
        balances = (await txn.lockForUpdate([accountKey(from), accountKey(to)])).map(decode);
      } else {
        // One row at a time, in a random order: two transfers may lock in opposite orders (deadlock).
        const order = random.chance(0.5) ? [from, to] : [to, from];
        const first = decode((await txn.lockForUpdate([accountKey(order[0]!)]))[0]);
        await think(env, random);
        const second = decode((await txn.lockForUpdate([accountKey(order[1]!)]))[0]);
        balances = order[0] === from ? [first, second] : [second, first];
      }
    } else {
      balances = (await txn.batchGet([accountKey(from), accountKey(to)])).map(decode);
    }
    await think(env, random);
    await txn.put(accountKey(from), encode(balances[0]! - amount));
    await txn.put(accountKey(to), encode(balances[1]! + amount));
    if (giveUp) throw new GiveUp();
  };
  try {
    return (await retryTxn(env.manager, { isolation }, body)).attempts;
  } catch (error) {
    if (error instanceof GiveUp) return 1;
    throw error;
  }
}

class GiveUp extends Error {}

async function readTotal(env: TxnTestKv, random: Random, isolation: IsolationLevel): Promise<number> {
  const txn = await env.manager.begin({ isolation, readOnly: random.chance(0.5) });
  let values: (Uint8Array | undefined)[];
  if (random.chance(0.5)) {
    values = (await txn.scan(bytes('acct/'), bytes('acct0'), { reverse: random.chance(0.5) })).map((pair) => pair.value);
    if (values.length !== ACCOUNTS) throw new Error(`scan saw ${values.length} accounts`);
  } else {
    values = await txn.batchGet(Array.from({ length: ACCOUNTS }, (_, index) => accountKey(index)));
  }
  await txn.commit();
  return values.reduce((sum, value) => sum + decode(value), 0);
}

for (const isolation of ['read committed', 'repeatable read', 'serializable'] as const) {
  t.test(`bank invariant under ${isolation}`, async (t) => {
    const random = new SeededRandom(seed ^ isolation.length);
    const calls: KvCall[] = [];
    const env = await openTxnTestKv({
      wrapKv: recordKvCalls(calls),
      seed: random.int(2 ** 31),
      // Accounts 00-02, 03-05 and 06-07 in three ranges: most transfers span two.
      splitKeys: ['acct/03', 'acct/06'],
    });
    const setup = await env.manager.begin();
    for (let index = 0; index < ACCOUNTS; index++) await setup.put(accountKey(index), encode(INITIAL_BALANCE));
    await setup.commit();

    const seenTotals: number[] = [];
    let attempts = 0;
    const workers: Promise<void>[] = [];
    for (let worker = 0; worker < TRANSFER_WORKERS; worker++) {
      const workerRandom = random.fork();
      workers.push(
        (async () => {
          for (let index = 0; index < TRANSFERS_PER_WORKER; index++) {
            const transferAttempts = await transfer(env, workerRandom, isolation);
            attempts += transferAttempts;
            await think(env, workerRandom);
          }
        })(),
      );
    }
    for (let reader = 0; reader < READERS; reader++) {
      const readerRandom = random.fork();
      workers.push(
        (async () => {
          for (let index = 0; index < READS_PER_READER; index++) {
            const total = await readTotal(env, readerRandom, isolation);
            seenTotals.push(total);
            await think(env, readerRandom);
          }
        })(),
      );
    }
    await Promise.all(workers);
    await env.manager.settle();

    t.same(seenTotals, seenTotals.map(() => TOTAL), `every one of ${seenTotals.length} readers saw the total ${TOTAL}`);
    t.equal(await readTotal(env, random, 'repeatable read'), TOTAL, 'the final total');
    t.ok(attempts >= TRANSFER_WORKERS * TRANSFERS_PER_WORKER, `${attempts} attempts for ${TRANSFER_WORKERS * TRANSFERS_PER_WORKER} transfers`);
    const count = (method: KvCall['method']): number => calls.filter((call) => call.method === method).length;
    t.comment(
      `${isolation}: ${attempts} attempts, ${count('checkTxnStatus')} status checks, ${count('resolveLock')} lock resolutions, ` +
        `virtual time ${env.clock.nowMs() - 1_700_000_000_000} ms`,
    );
    await env.close();
    t.same(await env.locks(), [], 'no lock is left');
  });
}
