// Splits during a concurrent workload: clients insert rows and move money between accounts while ranges
// split by size (a tiny threshold) and on request at random keys. Afterwards nothing is lost — every
// acknowledged row is there, the bank total holds — and no key is in two ranges: the ranges tile the
// key space with no gap or overlap, the meta range and the store agree on them, and scanning each
// range's span on its own returns every key exactly once. REEF_SEED replays; REEF_SEEDS sets how many
// run (default 2).
import t, { type Test } from 'tap';
import { KvDatabase } from '../../engine/kv-database.js';
import { isTxnError } from '../../engine/txn/index.js';
import { scanDescriptors } from '../../cluster/placement/meta.js';
import { SeededRandom, type Random } from '../../storage/env/random.js';
import { announceSeed } from '../support/seed.js';

const ACCOUNTS = 10;
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

async function runSeed(t: Test, seed: number): Promise<void> {
  const random: Random = new SeededRandom(seed);
  const db = await KvDatabase.open({ random: random.fork(), store: { splitThresholdBytes: 8 * 1024, tickMs: 5 } });
  try {
    await db.transaction(async (txn) => {
      for (let i = 0; i < ACCOUNTS; i++) await txn.put(enc(`acct/${i}`), enc('1000'));
    });
    const inserted = new Set<string>();
    let running = true;
    const inserter = async (id: number, rnd: Random): Promise<void> => {
      for (let n = 0; running; n++) {
        const rows = Array.from({ length: rnd.intBetween(1, 5) }, (_, i) => `row/${String(rnd.int(100_000)).padStart(6, '0')}/${id}.${n}.${i}`);
        await db.transaction(async (txn) => {
          for (const row of rows) await txn.put(enc(row), enc('x'.repeat(rnd.int(300))));
        }, { isolation: 'repeatable read' });
        for (const row of rows) inserted.add(row);
      }
    };
    const mover = async (rnd: Random): Promise<void> => {
      while (running) {
        const from = rnd.int(ACCOUNTS);
        const to = (from + 1 + rnd.int(ACCOUNTS - 1)) % ACCOUNTS;
        try {
          await db.transaction(async (txn) => {
            const [a, b] = await txn.batchGet([enc(`acct/${from}`), enc(`acct/${to}`)]);
            await txn.put(enc(`acct/${from}`), enc(String(Number(dec(a!)) - 7)));
            await txn.put(enc(`acct/${to}`), enc(String(Number(dec(b!)) + 7)));
          }, { isolation: 'serializable', maxAttempts: 50 });
        } catch (error) {
          if (!isTxnError(error, 'SERIALIZATION_FAILURE')) throw error;
        }
      }
    };
    const splitter = async (rnd: Random): Promise<void> => {
      while (running) {
        await db.split(enc(rnd.chance(0.5) ? `row/${String(rnd.int(100_000)).padStart(6, '0')}` : `acct/${rnd.int(ACCOUNTS)}`));
        await new Promise((resolve) => setTimeout(resolve, rnd.int(5)));
      }
    };
    const workers = [
      ...Array.from({ length: 4 }, (_, i) => inserter(i, random.fork())),
      ...Array.from({ length: 3 }, () => mover(random.fork())),
      splitter(random.fork()),
    ];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await Promise.all(workers);

    const ranges = await db.ranges();
    t.ok(ranges.length >= 6, `seed ${seed}: ${ranges.length} ranges`);
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i - 1]!.endKey === undefined || Buffer.compare(ranges[i]!.startKey, ranges[i - 1]!.endKey!) !== 0) {
        t.fail(`seed ${seed}: ranges ${i - 1} and ${i} do not meet`);
      }
    }
    t.equal(ranges[ranges.length - 1]!.endKey, undefined, 'the last range is unbounded');
    const metaIds = scanDescriptors(db.node.db).map((d) => d.rangeId).sort((a, b) => a - b);
    const storeIds = db.node.store.descriptors().map((d) => d.rangeId).sort((a, b) => a - b);
    t.same(metaIds, storeIds, 'the meta range and the store agree on the ranges');

    const txn = await db.begin({ isolation: 'repeatable read', readOnly: true });
    const seen = new Map<string, number>();
    for (const range of ranges) {
      for (const pair of await txn.scan(range.startKey, range.endKey)) seen.set(dec(pair.key), (seen.get(dec(pair.key)) ?? 0) + 1);
    }
    const all = await txn.scan(undefined, undefined);
    await txn.commit();
    t.equal([...seen.values()].filter((count) => count !== 1).length, 0, 'every key is in exactly one range');
    t.equal(all.length, seen.size, 'a full scan sees each key once');
    const missing = [...inserted].filter((row) => !seen.has(row));
    t.equal(missing.length, 0, `all ${inserted.size} acknowledged rows are there`);
    const total = all.filter((pair) => dec(pair.key).startsWith('acct/')).reduce((sum, pair) => sum + Number(dec(pair.value)), 0);
    t.equal(total, ACCOUNTS * 1000, 'the bank total holds');
  } finally {
    await db.close();
  }
}

t.test('splits during a concurrent workload lose nothing and leave no key in two ranges', async (t) => {
  const base = announceSeed(import.meta.url);
  const count = process.env['REEF_SEED'] !== undefined ? 1 : Number(process.env['REEF_SEEDS'] ?? 2);
  for (let i = 0; i < count; i++) await runSeed(t, base + i);
});
