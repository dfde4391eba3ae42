// Proves that SERIALIZABLE rules out write skew and REPEATABLE READ does not. The classic case: two
// doctors are on call (x and y); each of two transactions reads both and, seeing two on call, takes one
// off (T1 writes x, T2 writes y). Run serially one of them would see only one doctor left and change
// nothing, so a serializable history never ends with both off.
//  - REPEATABLE READ, one fixed interleaving (both read, both write, both commit): both commit and both
//    doctors are off, which is snapshot isolation's write skew.
//  - SERIALIZABLE, the same interleaving: the second committer fails with 40001.
//  - SERIALIZABLE, many seeded random interleavings of the steps (point reads or a scan of the span,
//    x and y in one range or two, stepped one at a time or run concurrently): never both commit.
import t from 'tap';
import { type Random, SeededRandom } from '../../../storage/env/random.js';
import { TxnError, isTxnError } from '../../../engine/txn/errors.js';
import type { IsolationLevel, Transaction } from '../../../engine/txn/transaction.js';
import type { TransactionManager } from '../../../engine/txn/transaction-manager.js';
import { announceSeed } from '../../support/seed.js';
import { bytes, openTxnTestKv, text } from './support.js';

const seed = announceSeed(import.meta.url);
const ROUNDS = 60;

interface Doctor {
  readonly mine: Uint8Array;
  readonly other: Uint8Array;
  txn?: Transaction;
  sawBothOnCall?: boolean;
  outcome: 'running' | 'committed' | 'failed';
}

/** The steps of one doctor's transaction, each a function run when the scheduler picks this doctor. */
function doctorSteps(manager: TransactionManager, doctor: Doctor, isolation: IsolationLevel, useScan: boolean, span: [Uint8Array, Uint8Array]): (() => Promise<void>)[] {
  const read = async (key: Uint8Array): Promise<string | undefined> => text(await doctor.txn!.get(key));
  return [
    async () => {
      doctor.txn = await manager.begin({ isolation });
    },
    async () => {
      if (useScan) {
        const pairs = await doctor.txn!.scan(span[0], span[1]);
        doctor.sawBothOnCall = pairs.filter((pair) => text(pair.value) === 'on').length === 2;
      } else {
        doctor.sawBothOnCall = (await read(doctor.mine)) === 'on';
      }
    },
    async () => {
      if (!useScan) doctor.sawBothOnCall = doctor.sawBothOnCall! && (await read(doctor.other)) === 'on';
    },
    async () => {
      if (doctor.sawBothOnCall === true) await doctor.txn!.put(doctor.mine, bytes('off'));
    },
    async () => {
      await doctor.txn!.commit();
      doctor.outcome = 'committed';
    },
  ];
}

async function runRound(
  manager: TransactionManager,
  random: Random,
  isolation: IsolationLevel,
  keys: [Uint8Array, Uint8Array],
  schedule: 'stepped' | 'concurrent' | number[],
  useScan: boolean,
): Promise<Doctor[]> {
  const setup = await manager.begin();
  await setup.put(keys[0], bytes('on'));
  await setup.put(keys[1], bytes('on'));
  await setup.commit();
  const span: [Uint8Array, Uint8Array] = [bytes('doc/'), bytes('doc0')];
  const doctors: Doctor[] = [
    { mine: keys[0], other: keys[1], outcome: 'running' },
    { mine: keys[1], other: keys[0], outcome: 'running' },
  ];
  const steps = doctors.map((doctor) => doctorSteps(manager, doctor, isolation, useScan, span));
  const runStep = async (index: number, step: () => Promise<void>): Promise<void> => {
    const doctor = doctors[index]!;
    if (doctor.outcome !== 'running') return;
    try {
      await step();
    } catch (error) {
      if (!isTxnError(error, 'SERIALIZATION_FAILURE')) throw error;
      doctor.outcome = 'failed';
    }
  };
  if (schedule === 'concurrent') {
    await Promise.all(
      steps.map(async (list, index) => {
        for (const step of list) await runStep(index, step);
      }),
    );
  } else {
    const order = schedule === 'stepped' ? shuffledMerge(random, steps[0]!.length, steps[1]!.length) : schedule;
    const next = [0, 0];
    for (const index of order) await runStep(index, steps[index]![next[index]!++]!);
  }
  return doctors;
}

/** A random interleaving of two sequences of lengths a and b, as the index of whose step runs next. */
function shuffledMerge(random: Random, a: number, b: number): number[] {
  const order: number[] = [];
  let [left, right] = [a, b];
  while (left + right > 0) {
    const pickFirst = random.int(left + right) < left;
    order.push(pickFirst ? 0 : 1);
    if (pickFirst) left--;
    else right--;
  }
  return order;
}

// Both begin, both read x and y, both write, both commit.
const WRITE_SKEW_SCHEDULE = [0, 1, 0, 0, 1, 1, 0, 1, 0, 1];

t.test('REPEATABLE READ allows write skew', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: ['doc/y'] });
  const doctors = await runRound(env.manager, new SeededRandom(seed), 'repeatable read', [bytes('doc/x'), bytes('doc/y')], WRITE_SKEW_SCHEDULE, false);
  t.same(doctors.map((doctor) => doctor.outcome), ['committed', 'committed'], 'both commit');
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('doc/x'), bytes('doc/y')])).map(text), ['off', 'off'], 'nobody is on call');
  await check.commit();
  await env.close();
});

t.test('SERIALIZABLE fails the second committer of the same interleaving with 40001', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: ['doc/y'] });
  const doctors = await runRound(env.manager, new SeededRandom(seed), 'serializable', [bytes('doc/x'), bytes('doc/y')], WRITE_SKEW_SCHEDULE, false);
  t.same(doctors.map((doctor) => doctor.outcome), ['committed', 'failed']);
  const txn = await env.manager.begin({ isolation: 'serializable' });
  await txn.get(bytes('doc/x'));
  const other = await env.manager.begin();
  await other.put(bytes('doc/x'), bytes('changed'));
  await other.commit();
  await txn.put(bytes('doc/z'), bytes('1'));
  const error = await txn.commit().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  t.ok(error instanceof TxnError && error.sqlstate === '40001', 'a changed read fails the commit');
  t.match((error as TxnError).message, /read\/write dependencies/);
  t.same(await env.locks(), [], 'the failed transaction left no lock');
  await env.close();
});

t.test('SERIALIZABLE never lets both doctors go (random interleavings)', async (t) => {
  const random = new SeededRandom(seed);
  const tally = { one: 0, none: 0, both: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    const sameRange = random.chance(0.5);
    const env = await openTxnTestKv({ seed: random.int(2 ** 31), splitKeys: sameRange ? [] : ['doc/y'] });
    const schedule = random.chance(0.3) ? 'concurrent' : 'stepped';
    const useScan = random.chance(0.4);
    const doctors = await runRound(env.manager, random, 'serializable', [bytes('doc/x'), bytes('doc/y')], schedule, useScan);
    const committed = doctors.filter((doctor) => doctor.outcome === 'committed').length;
    const check = await env.manager.begin();
    const values = (await check.batchGet([bytes('doc/x'), bytes('doc/y')])).map(text);
    await check.commit();
    if (values.every((value) => value === 'off')) {
      tally.both++;
      t.fail(`round ${round}: both doctors went off (${schedule}, scan=${useScan}, sameRange=${sameRange})`);
    } else if (committed === 0) {
      tally.none++;
    } else {
      tally.one++;
    }
    await env.close();
  }
  t.equal(tally.both, 0, `never both: ${JSON.stringify(tally)}`);
  t.ok(tally.one > 0, 'and some rounds let one doctor go');
});
