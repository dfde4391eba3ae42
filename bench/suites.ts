// The registry of benchmark suites that `reef bench <suite>` runs. Each suite is loaded only when it
// is asked for, so the command line starts fast and a suite's anchor is loaded only by that suite.

import type { BenchReport } from './report.js';

export interface BenchOptions {
  /** A short run (under 45 seconds on the reference machine) with smaller data. */
  readonly quick: boolean;
  /** Progress lines go here (stderr), so that stdout holds only the report. */
  readonly progress: (line: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly summary: string;
  run(options: BenchOptions): Promise<BenchReport>;
}

type SuiteLoader = () => Promise<BenchSuite>;

export const benchSuites: ReadonlyMap<string, { summary: string; load: SuiteLoader }> = new Map([
  [
    'storage',
    {
      summary: 'db_bench phases: our LSM vs LevelDB (classic-level)',
      load: async () => (await import('./storage/storage-bench.js')).storageSuite,
    },
  ],
  [
    'raft',
    {
      summary: 'three in-process Raft nodes, in-memory logs: entries committed per second and CPU per entry',
      load: async () => (await import('./raft/raft-bench.js')).raftSuite,
    },
  ],
  [
    'txn',
    {
      summary: 'embedded durable transactions (1-key, 10-key across ranges) and point reads, vs raw synced LSM batches',
      load: async () => (await import('./txn/txn-bench.js')).txnSuite,
    },
  ],
]);
