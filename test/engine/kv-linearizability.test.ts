// Single-key histories through the embedded node are linearizable, across crashes. Concurrent clients
// issue reads (a read-only transaction), writes (a one-key transaction) and compare-and-sets (read and
// write the key in one REPEATABLE READ transaction) on a few keys that live in different ranges; twice
// per seed the power fails mid-run and the node restarts on what the disk kept. Operations in flight at
// a crash never returned: they may or may not have taken effect. A compare-and-set or write that failed
// with a serialization error did not take effect and is left out. The whole history is then checked
// with the linearizability checker (test/support/linearizability.ts), key by key.
// REEF_SEED replays one seed; REEF_SEEDS sets how many run (default 3).
import t, { type Test } from 'tap';
import { KvDatabase } from '../../engine/kv-database.js';
import { isTxnError } from '../../engine/txn/index.js';
import { SeededRandom, type Random } from '../../storage/env/random.js';
import { CrashingDisk } from '../storage/lsm/support/crash-disk.js';
import { announceSeed } from '../support/seed.js';
import { checkLinearizability, type Operation } from '../support/linearizability.js';
import { kvModel, type KvInput, type RegisterOutput } from '../support/linearizability-models.js';

const KEYS = ['apple', 'kiwi', 'pear', 'zucchini'];
const CLIENTS = 6;
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

async function open(disk: CrashingDisk, random: Random): Promise<KvDatabase> {
  return KvDatabase.open({
    fs: disk.process(),
    dir: '/reef',
    random: random.fork(),
    store: { tickMs: 20 },
    txn: { lockTtlMs: 300, heartbeatIntervalMs: 100, backoffBaseMs: 2, backoffMaxMs: 50 },
  });
}

type History = Operation<KvInput, RegisterOutput>[];

/** Runs one operation; returns its output, or undefined when it did not take effect for sure. */
async function perform(db: KvDatabase, input: KvInput): Promise<RegisterOutput | 'failed'> {
  const key = enc(input.key);
  switch (input.kind) {
    case 'read': {
      const txn = await db.begin({ readOnly: true });
      const value = await txn.get(key);
      await txn.commit();
      return { value: dec(value) };
    }
    case 'write': {
      const txn = await db.begin({ isolation: 'repeatable read' });
      await txn.put(key, enc(input.value));
      await txn.commit();
      return { ok: true };
    }
    case 'cas': {
      const txn = await db.begin({ isolation: 'repeatable read' });
      const current = dec(await txn.get(key));
      if (current !== input.from) {
        await txn.commit();
        return { ok: false };
      }
      await txn.put(key, enc(input.to));
      await txn.commit();
      return { ok: true };
    }
  }
}

async function client(db: KvDatabase, random: Random, id: number, history: History, stop: () => boolean): Promise<void> {
  for (let n = 0; !stop(); n++) {
    const key = random.pick(KEYS);
    const choice = random.int(10);
    const value = `c${id}.${n}`;
    const input: KvInput =
      choice < 4 ? { kind: 'read', key } : choice < 7 ? { kind: 'write', key, value } : { kind: 'cas', key, from: random.chance(0.3) ? undefined : `c${random.int(CLIENTS)}.${random.int(n + 1)}`, to: value };
    const callMs = performance.now();
    try {
      const output = await perform(db, input);
      if (output !== 'failed') history.push({ clientId: id, input, output, callMs, returnMs: performance.now() });
    } catch (error) {
      if (isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED')) continue;
      // The node died under this operation: it may have taken effect, at any moment after its call.
      history.push({ clientId: id, input, output: undefined, callMs, returnMs: Infinity });
      return;
    }
  }
}

async function runSeed(t: Test, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const disk = new CrashingDisk(random.fork());
  let db = await open(disk, random);
  await db.split(enc('kiwi'));
  await db.split(enc('pear'));
  const history: History = [];
  try {
    for (let round = 0; round < 3; round++) {
      let stopped = false;
      const clients = Array.from({ length: CLIENTS }, (_, i) => client(db, random.fork(), round * CLIENTS + i, history, () => stopped));
      const target = history.length + random.intBetween(60, 160);
      while (history.length < target) await new Promise((resolve) => setTimeout(resolve, 1));
      stopped = true;
      if (round < 2) {
        disk.crashNow(random.chance(0.5));
        await db.kill();
        await Promise.all(clients);
        db = await open(disk, random);
      } else {
        await Promise.all(clients);
      }
    }
  } finally {
    await db.close().catch(() => undefined);
  }
  const result = checkLinearizability(kvModel, history, { searchStepsMax: 5_000_000 });
  if (result.result === 'illegal') t.fail(`seed ${seed}: history of ${history.length} operations is not linearizable: ${result.explanation.slice(0, 1500)}`);
  else t.equal(result.result, 'ok', `seed ${seed}: ${history.length} operations, ${history.filter((op) => op.returnMs === Infinity).length} cut by crashes, linearizable`);
}

t.test('single-key histories are linearizable across crashes', async (t) => {
  const base = announceSeed(import.meta.url);
  const count = process.env['REEF_SEED'] !== undefined ? 1 : Number(process.env['REEF_SEEDS'] ?? 3);
  for (let i = 0; i < count; i++) await runSeed(t, base + i);
});
