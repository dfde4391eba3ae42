// Crash and restart of an embedded node on the fault-injecting disk, through the whole data path
// (coordinator → routing client → ranges on Raft → LSM). A bank of accounts split over three ranges;
// concurrent transfer transactions (one-phase inside a range, two-phase with async commit across
// ranges, each writing a receipt key of its own) run until the power fails — at a random moment, or
// just before the Nth WAL append, tearing the last write or not. The node restarts on what the disk
// kept, three times per seed. After every restart:
//   - every acknowledged commit is there (its receipt is readable),
//   - no transaction that failed definitely (serialization failure: rolled back) left a receipt,
//   - the balances still sum to the constant, read by a fresh snapshot that must resolve the locks of
//     transactions that were in flight at the crash (their TTL runs out; committed primaries commit
//     their secondaries, the rest roll back).
// REEF_SEED replays one seed exactly (the crash points are counted, not timed, when armed); REEF_SEEDS
// sets how many run (default 3).
import t, { type Test } from 'tap';
import { KvDatabase } from '../../engine/kv-database.js';
import { isTxnError } from '../../engine/txn/index.js';
import { SeededRandom, type Random } from '../../storage/env/random.js';
import { CrashingDisk } from '../storage/lsm/support/crash-disk.js';
import { announceSeed } from '../support/seed.js';

const ACCOUNTS = 12;
const INITIAL = 100;
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
const account = (i: number): Uint8Array => enc(`acct${String(i).padStart(2, '0')}`);

async function open(disk: CrashingDisk, random: Random): Promise<KvDatabase> {
  disk.recovering = true;
  try {
    return await KvDatabase.open({
      fs: disk.process(),
      dir: '/reef',
      random: random.fork(),
      store: { tickMs: 20 },
      txn: { lockTtlMs: 300, heartbeatIntervalMs: 100, backoffBaseMs: 2, backoffMaxMs: 50 },
      lsm: { memtableSizeBytes: 32 * 1024 },
    });
  } finally {
    disk.recovering = false;
  }
}

interface Outcomes {
  readonly acknowledged: Set<string>;
  readonly rolledBack: Set<string>;
}

/** Transfers until `stop()` is true; records receipts of acknowledged and definitely failed transfers. */
async function transferWorker(db: KvDatabase, random: Random, worker: number, outcomes: Outcomes, stop: () => boolean): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const receipt = `receipt/${worker}/${n}/${random.int(1e9)}`;
    const from = random.int(ACCOUNTS);
    const to = (from + 1 + random.int(ACCOUNTS - 1)) % ACCOUNTS;
    const amount = 1 + random.int(10);
    let txn;
    try {
      txn = await db.begin({ isolation: 'repeatable read' });
      const [a, b] = await txn.batchGet([account(from), account(to)]);
      await txn.put(account(from), enc(String(Number(dec(a!)) - amount)));
      await txn.put(account(to), enc(String(Number(dec(b!)) + amount)));
      await txn.put(enc(receipt), enc('1'));
      await txn.commit();
      outcomes.acknowledged.add(receipt);
    } catch (error) {
      if (isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED')) outcomes.rolledBack.add(receipt);
      // Anything else (the node died under us) leaves the outcome unknown: either is allowed.
      if (!isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED')) return;
      await txn?.rollback().catch(() => undefined);
    }
  }
}

async function checkAfterRestart(t: Test, db: KvDatabase, outcomes: Outcomes, label: string): Promise<boolean> {
  const txn = await db.begin({ isolation: 'repeatable read', readOnly: true });
  const accounts = await txn.scan(enc('acct'), enc('acct~'));
  const receipts = new Set((await txn.scan(enc('receipt/'), enc('receipt0'))).map((pair) => dec(pair.key)));
  await txn.commit();
  const total = accounts.reduce((sum, pair) => sum + Number(dec(pair.value)), 0);
  let ok = true;
  if (accounts.length !== ACCOUNTS || total !== ACCOUNTS * INITIAL) {
    t.fail(`${label}: ${accounts.length} accounts summing to ${total}`);
    ok = false;
  }
  const lost = [...outcomes.acknowledged].filter((receipt) => !receipts.has(receipt));
  if (lost.length > 0) {
    t.fail(`${label}: ${lost.length} acknowledged commits lost, e.g. ${lost[0]}`);
    ok = false;
  }
  const ghosts = [...outcomes.rolledBack].filter((receipt) => receipts.has(receipt));
  if (ghosts.length > 0) {
    t.fail(`${label}: ${ghosts.length} rolled-back transactions visible, e.g. ${ghosts[0]}`);
    ok = false;
  }
  return ok;
}

async function runSeed(t: Test, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const disk = new CrashingDisk(random.fork());
  let db = await open(disk, random);
  await db.transaction(async (txn) => {
    for (let i = 0; i < ACCOUNTS; i++) await txn.put(account(i), enc(String(INITIAL)));
  });
  await db.split(account(4));
  await db.split(account(8));
  const outcomes: Outcomes = { acknowledged: new Set(), rolledBack: new Set() };
  try {
    for (let round = 0; round < 3; round++) {
      let crashed = false;
      const acksBefore = outcomes.acknowledged.size;
      const target = acksBefore + random.intBetween(5, 40);
      const tear = random.chance(0.5);
      const armed = random.chance(0.5);
      let crash: Promise<void>;
      if (armed) {
        crash = disk.nextCrash();
        disk.arm((operation) => operation.kind === 'log' && operation.operation === 'append', random.intBetween(5, 60), tear);
      } else {
        crash = (async () => {
          while (outcomes.acknowledged.size < target) await new Promise((resolve) => setTimeout(resolve, 1));
          disk.crashNow(tear);
        })();
      }
      void crash.then(() => (crashed = true));
      const workers = Array.from({ length: 6 }, (_, w) => transferWorker(db, random.fork(), round * 100 + w, outcomes, () => crashed));
      await crash;
      disk.disarm();
      await db.kill();
      await Promise.all(workers);
      db = await open(disk, random);
      const label = `seed ${seed} round ${round} (${armed ? 'at a WAL append' : 'idle'}, tear=${tear})`;
      if (!(await checkAfterRestart(t, db, outcomes, label))) return;
    }
    t.pass(`seed ${seed}: ${outcomes.acknowledged.size} acknowledged transfers survived three crashes`);
  } finally {
    await db.close().catch(() => undefined);
  }
}

t.test('acknowledged commits survive power loss; in-flight transactions resolve', async (t) => {
  const base = announceSeed(import.meta.url);
  const count = process.env['REEF_SEED'] !== undefined ? 1 : Number(process.env['REEF_SEEDS'] ?? 3);
  for (let i = 0; i < count; i++) await runSeed(t, base + i);
});


