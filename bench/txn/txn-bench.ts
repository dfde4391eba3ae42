// `reef bench txn`: the embedded transactional key-value layer, durable, with 64 concurrent clients.
//
//   raw_batch     the anchor: the same LSM engine, written directly — 64 writers, each a synced
//                 one-key batch at a time (what the node's WAL can do with group commit, no layers)
//   txn_1key      64 clients, each: begin → put one random key → commit (one-phase commit through the
//                 routing client, the range leader, Raft and the LSM; acknowledged only once synced)
//   txn_10key     64 clients, each: begin → put 10 random keys, which fall in several ranges (the key
//                 space is split into RANGES ranges first) → commit (two-phase, async commit)
//   point_read    64 clients, each: begin (read only) → get one random key → commit
//
// Write transactions run at REPEATABLE READ (optimistic: a blind put needs no lock before commit); at
// READ COMMITTED each put first takes a pessimistic lock, one more replicated write per key.
// Everything runs in this process on the real file system under the OS temp directory. The ratio is
// txn_1key / raw_batch: the cost of the transaction, routing and Raft layers over the bare engine.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvDatabase } from '../../engine/kv-database.js';
import { isTxnError } from '../../engine/txn/index.js';
import { RealFileSystem } from '../../storage/env/real-file-system.js';
import { SeededRandom } from '../../storage/env/random.js';
import { LsmDb } from '../../storage/lsm/lsm-db.js';
import { WriteBatch } from '../../storage/lsm/write-batch.js';
import { measurePhase } from '../measure.js';
import type { BenchRow } from '../report.js';
import type { BenchOptions, BenchSuite } from '../suites.js';

const CLIENTS = 64;
const RANGES = 8;
const VALUE_BYTES = 100;

interface Sizes {
  readonly keys: number;
  readonly phaseMs: number;
}

const FULL: Sizes = { keys: 100_000, phaseMs: 10_000 };
const QUICK: Sizes = { keys: 20_000, phaseMs: 3_000 };

function keyText(index: number): Uint8Array {
  return new TextEncoder().encode(`user${String(index).padStart(10, '0')}`);
}

/** Every key of the run, built once: clients have their keys at hand, encoding them is not our cost. */
let keys: Uint8Array[] = [];
const keyOf = (index: number): Uint8Array => keys[index]!;

/** Runs `operation` from CLIENTS concurrent loops for `durationMs`; returns completed operations. */
async function runFor(durationMs: number, operation: (client: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + durationMs;
  let completed = 0;
  const client = async (id: number): Promise<void> => {
    while (performance.now() < deadline) {
      await operation(id);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id)));
  return completed;
}

async function rawBatchPhase(dir: string, sizes: Sizes, random: SeededRandom): Promise<{ perSecond: number; rssMb: number }> {
  const db = await LsmDb.open({ fs: new RealFileSystem(), dir });
  const value = random.fill(new Uint8Array(VALUE_BYTES));
  try {
    const measured = await measurePhase(() =>
      runFor(sizes.phaseMs, async () => {
        const batch = new WriteBatch();
        batch.put(keyOf(random.int(sizes.keys)), value);
        await db.write(batch, { sync: true });
      }),
    );
    return { perSecond: (measured.result / measured.elapsedMs) * 1000, rssMb: measured.peakRssMb };
  } finally {
    await db.close();
  }
}

/** Retries a transaction body on 40001/40P01 (contention on random keys is rare but possible). */
async function withRetry(db: KvDatabase, body: (txn: Awaited<ReturnType<KvDatabase['begin']>>) => Promise<void>, readOnly = false): Promise<void> {
  for (;;) {
    const txn = await db.begin({ isolation: 'repeatable read', readOnly });
    try {
      await body(txn);
      await txn.commit();
      return;
    } catch (error) {
      await txn.rollback().catch(() => undefined);
      if (!isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED')) throw error;
    }
  }
}

export const txnSuite: BenchSuite = {
  name: 'txn',
  summary: 'embedded durable transactions (1-key, 10-key across ranges) and point reads vs raw synced LSM batches',
  async run(options: BenchOptions) {
    const sizes = options.quick ? QUICK : FULL;
    keys = Array.from({ length: sizes.keys }, (_, index) => keyText(index));
    const random = new SeededRandom(42);
    const root = mkdtempSync(join(tmpdir(), 'reef-bench-txn-'));
    try {
      options.progress(`raw synced LSM batches, ${CLIENTS} writers, ${sizes.phaseMs} ms`);
      const raw = await rawBatchPhase(join(root, 'raw'), sizes, random);

      const db = await KvDatabase.open({ dir: join(root, 'reef'), random: new SeededRandom(7) });
      let peakRss = raw.rssMb;
      const rows: BenchRow[] = [];
      try {
        const value = random.fill(new Uint8Array(VALUE_BYTES));
        options.progress(`loading ${sizes.keys} keys and splitting into ${RANGES} ranges`);
        for (let start = 0; start < sizes.keys; start += 1000) {
          await withRetry(db, async (txn) => {
            for (let i = start; i < Math.min(sizes.keys, start + 1000); i++) await txn.put(keyOf(i), value);
          });
        }
        for (let r = 1; r < RANGES; r++) await db.split(keyOf(Math.floor((r * sizes.keys) / RANGES)));

        options.progress(`txn_1key: ${CLIENTS} clients, ${sizes.phaseMs} ms`);
        const oneKey = await measurePhase(() => runFor(sizes.phaseMs, () => withRetry(db, (txn) => txn.put(keyOf(random.int(sizes.keys)), value))));
        const oneKeyPerSecond = (oneKey.result / oneKey.elapsedMs) * 1000;
        peakRss = Math.max(peakRss, oneKey.peakRssMb);

        options.progress(`txn_10key: ${CLIENTS} clients, ${sizes.phaseMs} ms`);
        const tenKey = await measurePhase(() =>
          runFor(sizes.phaseMs, () =>
            withRetry(db, async (txn) => {
              for (let i = 0; i < 10; i++) await txn.put(keyOf(random.int(sizes.keys)), value);
            }),
          ),
        );
        const tenKeyPerSecond = (tenKey.result / tenKey.elapsedMs) * 1000;
        peakRss = Math.max(peakRss, tenKey.peakRssMb);

        options.progress(`point_read: ${CLIENTS} clients, ${sizes.phaseMs} ms`);
        let misses = 0;
        const reads = await measurePhase(() =>
          runFor(sizes.phaseMs, () =>
            withRetry(
              db,
              async (txn) => {
                if ((await txn.get(keyOf(random.int(sizes.keys)))) === undefined) misses++;
              },
              true,
            ),
          ),
        );
        if (misses > 0) throw new Error(`point reads missed ${misses} loaded keys`);
        const readsPerSecond = (reads.result / reads.elapsedMs) * 1000;
        peakRss = Math.max(peakRss, reads.peakRssMb);

        const ratio = oneKeyPerSecond / raw.perSecond;
        rows.push(
          { phase: 'raw_batch', unit: 'writes/s', ours: raw.perSecond, extra: { stall_ms: '-' } },
          { phase: 'txn_1key', unit: 'txn/s', ours: oneKeyPerSecond, anchor: raw.perSecond, ratio, extra: { stall_ms: oneKey.longestStallMs } },
          { phase: 'txn_10key', unit: 'txn/s', ours: tenKeyPerSecond, extra: { stall_ms: tenKey.longestStallMs } },
          { phase: 'point_read', unit: 'reads/s', ours: readsPerSecond, extra: { stall_ms: reads.longestStallMs } },
        );
        return {
          suite: 'txn',
          anchorName: 'raw LSM',
          rows,
          ours: {
            txn_per_s_1key: Math.round(oneKeyPerSecond),
            txn_per_s_10key: Math.round(tenKeyPerSecond),
            reads_per_s: Math.round(readsPerSecond),
            rss_mb_peak: Math.round(peakRss),
          },
          anchor: { raw_batch_per_s: Math.round(raw.perSecond) },
          ratio: { txn_vs_raw_batch: Number(ratio.toFixed(3)) },
          notes: [
            `${CLIENTS} concurrent clients; durable (synced) commits; ${sizes.keys} keys of ${VALUE_BYTES}-byte values in ${RANGES} ranges; peak RSS ${Math.round(peakRss)} MB.`,
            'raw_batch is the anchor: one-key synced batches written straight into the same LSM engine by 64 writers.',
            'Write transactions run at REPEATABLE READ (optimistic); point reads are read-only transactions (timestamp + get).',
          ],
        };
      } finally {
        await db.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
