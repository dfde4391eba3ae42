// The mutable core an open database's parts share: the memtables and the WAL they are logged in, the
// visible sequence, the snapshots, the counters behind stats(), and the failure state. The write
// pipeline (write-pipeline.ts) changes the memtables and the sequence; the background work
// (background-work.ts) flushes frozen memtables and compacts tables; the LsmDb facade reads.
//
// Invariants: `frozen` is ordered oldest first and each entry's WAL number is below the next one's
// and below `walNumber`; every entry of the active memtable is logged in `wal`; `lastSequence` only
// grows; once `backgroundError` is set it never changes, and the database accepts no more writes.

import { StorageError } from '../env/errors.js';
import type { CompactionContext } from './compaction.js';
import { MemTable } from './memtable.js';
import type { ResolvedLsmOptions } from './options.js';
import type { OpenedState } from './recovery.js';
import { SnapshotList } from './snapshots.js';
import type { WalWriter } from './wal-writer.js';

/** Rounds of waiting (for a flush, a compaction, room to write) before the wait is reported as a bug. */
export const MAX_WAIT_ROUNDS = 100_000_000;

export interface FrozenMemTable {
  readonly memtable: MemTable;
  /** The WAL holding its entries, deleted once the memtable is in a table. */
  readonly logNumber: number;
}

export class DbState {
  readonly options: ResolvedLsmOptions;
  readonly files: OpenedState;
  readonly snapshots = new SnapshotList();
  mem = new MemTable();
  /** Full memtables waiting for their flush, oldest first; still read. */
  frozen: FrozenMemTable[] = [];
  wal: WalWriter;
  walNumber: number;
  /** Completes when the previous WAL is synced and the new one's directory entry is durable. */
  walPrerequisite: Promise<void> | undefined;
  /** The visible sequence: every write at or below it is in a memtable or a table. */
  lastSequence: number;
  /** Set when closing: background work stops at its next slice. */
  stopping = false;
  private failure: Error | undefined;
  private readonly failureListeners: ((error: Error) => void)[] = [];
  private changeWaiters: (() => void)[] = [];
  /** What flushes and compactions need (compaction.ts). */
  readonly context: CompactionContext;
  readonly counters = {
    userBytesWritten: 0,
    walBytesWritten: 0,
    flushBytesWritten: 0,
    compactionBytesRead: 0,
    compactionBytesWritten: 0,
    writeGroups: 0,
    walSyncs: 0,
    flushes: 0,
    compactions: 0,
    trivialMoves: 0,
    slowdownCount: 0,
    stopCount: 0,
    stallTimeMs: 0,
  };

  constructor(options: ResolvedLsmOptions, files: OpenedState) {
    this.options = options;
    this.files = files;
    this.wal = files.wal;
    this.walNumber = files.walNumber;
    this.lastSequence = files.lastSequence;
    this.counters.flushBytesWritten = files.recoveryBytesWritten;
    this.context = {
      fs: options.fs,
      dir: options.dir,
      options,
      tableCache: files.tableCache,
      filterPolicy: files.filterPolicy,
      pendingOutputs: files.pendingOutputs,
      newFileNumber: () => files.versions.newFileNumber(),
      checkContinue: () => {
        if (this.stopping) throw new StorageError('CLOSED', 'background work stopped: the database is closing');
        if (this.failure !== undefined) throw this.failure;
      },
    };
  }

  /** The error that put the database into the failed state, if any. */
  get backgroundError(): Error | undefined {
    return this.failure;
  }

  /** Enters the failed state (the first error wins) and tells every listener. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    const failure = error instanceof Error ? error : new StorageError('EIO', `background work failed: ${String(error)}`, { cause: error });
    this.failure = failure;
    for (const listener of this.failureListeners) listener(failure);
    this.notifyChange();
  }

  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /** Resolves at the next completed flush or compaction, failure, or close. */
  nextChange(): Promise<void> {
    return new Promise<void>((resolve) => this.changeWaiters.push(resolve));
  }

  notifyChange(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Bytes held by the active and frozen memtables. */
  memtableBytes(): number {
    let total = this.mem.approximateSizeBytes;
    for (const frozen of this.frozen) total += frozen.memtable.approximateSizeBytes;
    return total;
  }
}
