// `reef bench storage`: db_bench's phases against ReefDB's LSM and LevelDB (classic-level), in the same
// process, one engine after the other on the same data, each on a fresh directory.
//
//   fillseq               N puts in key order, batch of 1, asynchronous (not synced)
//   fillrandom            N puts in random order, batch of 1
//   fillrandom_batch100   N puts in random order, batches of 100
//   readrandom            N gets in random order, after compacting the batch-100 database
//   readseq               one full scan of it
//   seekrandom            N/10 seeks to random keys, each reading the entry found
//   fillsync              10,000 synced puts from 64 concurrent writers (group commit)
//
// Each phase reports operations per second (entries per second for the fills and the scan), the peak
// RSS of the process and the longest event-loop stall while it ran. Ratio = ours / LevelDB's.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measurePhase } from '../measure.js';
import type { BenchRow } from '../report.js';
import type { BenchOptions, BenchSuite } from '../suites.js';
import { openLevelDb, openReef, type BenchEngine } from './engines.js';
import { keyOf, runWindowed, shuffledIndexes, ValuePool } from './workload.js';

interface PhaseFigures {
  readonly opsPerSecond: number;
  readonly peakRssMb: number;
  readonly longestStallMs: number;
}

type EngineOpener = (dir: string) => Promise<BenchEngine>;

const writeWindow = 256;
const readWindow = 64;
const syncWriters = 64;

export const storageSuite: BenchSuite = {
  name: 'storage',
  summary: 'db_bench phases: our LSM vs LevelDB (classic-level)',
  async run(options: BenchOptions) {
    const entryCount = options.quick ? 100_000 : 1_000_000;
    const syncCount = options.quick ? 2_000 : 10_000;
    const values = new ValuePool(301);
    const randomOrder = shuffledIndexes(entryCount, 302);
    const readOrder = shuffledIndexes(entryCount, 303);
    const root = mkdtempSync(join(tmpdir(), 'reef-bench-storage-'));
    const results = new Map<string, { ours: PhaseFigures; anchor: PhaseFigures }>();
    let directoryCounter = 0;

    const fresh = async (open: EngineOpener): Promise<BenchEngine> => open(join(root, `db-${directoryCounter++}`));

    const timePhase = async (count: number, body: () => Promise<void>): Promise<PhaseFigures> => {
      const measured = await measurePhase(body);
      return {
        opsPerSecond: count / (measured.elapsedMs / 1000),
        peakRssMb: measured.peakRssMb,
        longestStallMs: measured.longestStallMs,
      };
    };

    const both = async (phase: string, run: (open: EngineOpener, label: string) => Promise<PhaseFigures>) => {
      options.progress(`storage: ${phase} (reef)`);
      const ours = await run(openReef, 'reef');
      options.progress(`storage: ${phase} (leveldb)`);
      const anchor = await run(openLevelDb, 'leveldb');
      results.set(phase, { ours, anchor });
    };

    const fillOne = (order: (i: number) => number) => async (open: EngineOpener) => {
      const engine = await fresh(open);
      try {
        return await timePhase(entryCount, () =>
          runWindowed(entryCount, writeWindow, (i) => {
            const index = order(i);
            return engine.put(keyOf(index), values.valueOf(index), false);
          }),
        );
      } finally {
        await engine.close();
      }
    };

    try {
      await both('fillseq', fillOne((i) => i));
      await both('fillrandom', fillOne((i) => randomOrder[i]!));

      // The batch-100 database stays open for the read phases that follow it.
      const readPhases = async (open: EngineOpener, label: string): Promise<Map<string, PhaseFigures>> => {
        const figures = new Map<string, PhaseFigures>();
        const engine = await fresh(open);
        try {
          const batchCount = entryCount / 100;
          figures.set(
            'fillrandom_batch100',
            await timePhase(entryCount, () =>
              runWindowed(batchCount, 4, (b) => {
                const entries: [Uint8Array, Uint8Array][] = [];
                for (let j = 0; j < 100; j++) {
                  const index = randomOrder[b * 100 + j]!;
                  entries.push([keyOf(index), values.valueOf(index)]);
                }
                return engine.writeBatch(entries);
              }),
            ),
          );
          options.progress(`storage: compacting (${label}, not timed)`);
          await engine.compactAll();
          let found = 0;
          options.progress(`storage: readrandom (${label})`);
          figures.set(
            'readrandom',
            await timePhase(entryCount, () =>
              runWindowed(entryCount, readWindow, (i) => {
                const length = engine.get(keyOf(readOrder[i]!));
                if (typeof length === 'number') {
                  if (length >= 0) found++;
                  return;
                }
                return length.then((resolved) => void (resolved >= 0 && found++));
              }),
            ),
          );
          if (found !== entryCount) throw new Error(`${label} readrandom found ${found} of ${entryCount} keys`);
          options.progress(`storage: readseq (${label})`);
          let scanned = 0;
          figures.set(
            'readseq',
            await timePhase(entryCount, async () => {
              scanned = (await engine.scanAll()).entries;
            }),
          );
          if (scanned !== entryCount) throw new Error(`${label} readseq saw ${scanned} of ${entryCount} entries`);
          options.progress(`storage: seekrandom (${label})`);
          const seekCount = entryCount / 10;
          figures.set(
            'seekrandom',
            await timePhase(seekCount, () =>
              runWindowed(seekCount, 1, (i) => engine.seekAndRead(keyOf(readOrder[i]!))),
            ),
          );
        } finally {
          await engine.close();
        }
        return figures;
      };
      options.progress('storage: fillrandom_batch100 and reads (reef)');
      const oursReads = await readPhases(openReef, 'reef');
      options.progress('storage: fillrandom_batch100 and reads (leveldb)');
      const anchorReads = await readPhases(openLevelDb, 'leveldb');
      for (const phase of oursReads.keys()) {
        results.set(phase, { ours: oursReads.get(phase)!, anchor: anchorReads.get(phase)! });
      }

      await both('fillsync', async (open) => {
        const engine = await fresh(open);
        try {
          return await timePhase(syncCount, () =>
            runWindowed(syncCount, syncWriters, (i) => engine.put(keyOf(randomOrder[i]!), values.valueOf(i), true)),
          );
        } finally {
          await engine.close();
        }
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }

    const order = ['fillseq', 'fillrandom', 'fillrandom_batch100', 'readrandom', 'readseq', 'seekrandom', 'fillsync'];
    const rows: BenchRow[] = order.map((phase) => {
      const { ours, anchor } = results.get(phase)!;
      return {
        phase,
        unit: 'ops/s',
        ours: ours.opsPerSecond,
        anchor: anchor.opsPerSecond,
        ratio: ours.opsPerSecond / anchor.opsPerSecond,
        extra: {
          'reef rss MB': ours.peakRssMb,
          'leveldb rss MB': anchor.peakRssMb,
          'reef stall ms': ours.longestStallMs,
          'leveldb stall ms': anchor.longestStallMs,
        },
      };
    });
    const pick = (which: 'ours' | 'anchor') =>
      Object.fromEntries(order.map((phase) => [phase, Math.round(results.get(phase)![which].opsPerSecond)]));
    return {
      suite: 'storage',
      anchorName: 'leveldb',
      rows,
      ours: {
        ...pick('ours'),
        longest_stall_ms: Math.max(...order.map((phase) => results.get(phase)!.ours.longestStallMs)),
        // The bound (< 50 ms) is on the fills, where flushes and compactions run.
        longest_stall_ms_fill: Math.max(
          ...order.filter((phase) => phase.startsWith('fill')).map((phase) => results.get(phase)!.ours.longestStallMs),
        ),
        rss_mb_peak: Math.max(...order.map((phase) => results.get(phase)!.ours.peakRssMb)),
      },
      anchor: pick('anchor'),
      ratio: Object.fromEntries(rows.map((row) => [row.phase, Number(row.ratio!.toFixed(3))])),
      notes: [
        `${entryCount.toLocaleString('en-US')} entries, 16-byte keys, 100-byte random values; both engines uncompressed,`,
        `on the real file system under ${tmpdir()}; writes keep ${writeWindow} puts or 4 batches in flight, reads ${readWindow};`,
        `fillsync: ${syncCount.toLocaleString('en-US')} synced puts from ${syncWriters} concurrent writers.`,
        'RSS is the whole process (both engines share it), so read it as a trend between phases.',
      ],
    };
  },
};
