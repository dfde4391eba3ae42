// The LSM database: the write path with group commit, reads through memtables and tables, iterators,
// snapshots, and the background flushes and compactions that keep it all bounded.
//
// Writes. `write(batch)` queues the batch and returns a promise. One leader at a time (a microtask, so
// every write issued in the same turn joins one group) takes queued batches up to
// MAX_WRITE_GROUP_BYTES, gives them consecutive sequence numbers, appends them to the WAL as one
// record, awaits one WAL sync if any of them asked for it, inserts them into the memtable, and only then
// advances the visible sequence and resolves their promises, in order. While a sync is in flight the
// next writers queue up and form the next group, so N concurrent synced writers share far fewer than N
// fsyncs. Reads take the visible sequence as their snapshot, so a write is seen whole or not at all.
//
// Memory is bounded. Before each group the leader makes room: a full memtable is frozen (still read)
// and a new WAL and memtable started; frozen memtables are flushed to level 0 in the background. When
// maxFrozenMemtables are waiting, or level 0 reaches level0StopTrigger files, writers wait for the
// background; from level0SlowdownTrigger files each group is delayed ~1 ms. When a new WAL is started,
// the old one is synced and the directory synced before any later synced write is acknowledged, so a
// synced write is durable together with everything before it.
//
// Background work is one flush task and one compaction task, each cut into slices of
// compactionSliceMs that yield the event loop (time-slice.ts). A failure in either (EIO, ENOSPC,
// corruption), or in a WAL append or sync, puts the database into a failed state: reads go on, every
// queued and later write rejects with that error (LevelDB's bg_error).
//
// Invariants: sequences are assigned in queue order and become visible in that order; the memtable
// a group is inserted into is the one whose WAL holds its record (only the leader switches memtables,
// between groups); frozen memtables are flushed oldest first and leave the read path only after the
// version holding their table is installed; the visible sequence is below MAX_SEQUENCE.

import { StorageError } from '../env/errors.js';
import type { BlockCacheStats } from './block-cache.js';
import type { CompactionContext } from './compaction.js';
import { runCompaction } from './compaction.js';
import { bestLevelScore, pickCompaction, pickRangeCompaction, type Compaction } from './compaction-picker.js';
import { joinPath, logFileName } from './filenames.js';
import { flushMemTable } from './flush.js';
import { internalKeyComparator, MAX_SEQUENCE, userKeyOf } from './internal-key.js';
import type { KeyValueIterator } from './iterator.js';
import { MemTable } from './memtable.js';
import { MAX_WRITE_GROUP_BYTES, NUM_LEVELS, resolveOptions, type LsmOptions, type ResolvedLsmOptions } from './options.js';
import { openDatabaseFiles, type OpenedState } from './recovery.js';
import { openDbIterator, readFromMemTable, TableLookup, type ReadSources } from './read-path.js';
import { SnapshotList, type LsmSnapshot } from './snapshots.js';
import { yieldToEventLoop } from './time-slice.js';
import { VersionEdit } from './version-edit.js';
import { WalWriter } from './wal-writer.js';
import { WriteBatch } from './write-batch.js';

export type { LsmSnapshot } from './snapshots.js';

export interface WriteOptions {
  /** Resolve only once the write is durable (an fsync of the WAL, shared with concurrent writers). */
  readonly sync?: boolean;
}

export interface ReadOptions {
  readonly snapshot?: LsmSnapshot;
}

export interface IteratorOptions extends ReadOptions {
  /** Inclusive. */
  readonly lowerBound?: Uint8Array;
  /** Exclusive. */
  readonly upperBound?: Uint8Array;
}

export interface LsmLevelStats {
  readonly level: number;
  readonly files: number;
  readonly bytes: number;
}

export interface LsmStats {
  readonly levels: readonly LsmLevelStats[];
  /** Keys and values (and batch framing) handed to write(). */
  readonly userBytesWritten: number;
  readonly walBytesWritten: number;
  readonly flushBytesWritten: number;
  readonly compactionBytesRead: number;
  readonly compactionBytesWritten: number;
  /** (WAL + flush + compaction bytes written) / user bytes written; 0 before any write. */
  readonly writeAmplification: number;
  readonly blockCache: BlockCacheStats & { readonly hitRate: number };
  readonly memtableBytes: number;
  readonly frozenMemtables: number;
  readonly openTables: number;
  readonly liveSnapshots: number;
  readonly lastSequence: number;
  readonly writeGroups: number;
  readonly walSyncs: number;
  readonly flushes: number;
  readonly compactions: number;
  readonly trivialMoves: number;
  readonly stalls: { readonly slowdownCount: number; readonly stopCount: number; readonly stallTimeMs: number };
  /** The error that put the database into the failed state, if any. */
  readonly backgroundError: string | undefined;
}

interface QueuedWrite {
  readonly kind: 'write';
  readonly batch: WriteBatch;
  /** True when any write in it asked for durability (a shared item collects several). */
  sync: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Single-record writes (put, delete, deleteRange) issued in the same turn share one queued batch and
 * one promise, instead of a WriteBatch, a buffer and a promise each: they would join one group anyway.
 */
interface SharedWrite extends QueuedWrite {
  readonly promise: Promise<void>;
}

/** A shared batch stops taking writes at this size, so one item never outgrows a write group. */
const SHARED_BATCH_BYTES_MAX = 256 * 1024;

/** A request the leader handles between groups: freeze the memtable now, or just mark a point. */
interface QueuedControl {
  readonly kind: 'freeze' | 'barrier';
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type QueueItem = QueuedWrite | QueuedControl;

interface FrozenMemTable {
  readonly memtable: MemTable;
  readonly logNumber: number;
}

interface ManualCompaction {
  level: number;
  readonly maxLevel: number;
  readonly begin: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
  /** Where the next round of the current level starts (levels >= 1 proceed by key). */
  cursor: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A FIFO whose dequeue is O(1): a head index into an array compacted as it drains. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

/** Rounds of waiting a stalled writer may go through before the stall is reported as a bug. */
const MAX_STALL_ROUNDS = 100_000_000;

export class LsmDb {
  private readonly options: ResolvedLsmOptions;
  private readonly state: OpenedState;
  private readonly snapshots = new SnapshotList();
  private readonly context: CompactionContext;
  /** As `context`, plus: a compaction pauses while a flush runs (writers may be waiting for it). */
  private readonly compactionContext: CompactionContext;
  private readonly tableLookup: TableLookup;
  private mem = new MemTable();
  private frozen: FrozenMemTable[] = [];
  private wal: WalWriter;
  private walNumber: number;
  /** Completes when the previous WAL is synced and the new one's directory entry is durable. */
  private walPrerequisite: Promise<void> | undefined;
  private lastSequence: number;
  private readonly queue = new Fifo<QueueItem>();
  /** The shared batch single writes are appended to; the last item of the queue while set. */
  private openShared: SharedWrite | undefined;
  private leaderActive = false;
  private readonly groupBatch = new WriteBatch();
  private turnProbePending = false;
  private turnStartMs = 0;
  private backgroundError: Error | undefined;
  private lifecycle: 'open' | 'closing' | 'closed' = 'open';
  private closePromise: Promise<void> | undefined;
  /** Set when closing: background work stops at its next slice. */
  private stopBackground = false;
  private flushRunning = false;
  private flushPromise: Promise<void> = Promise.resolve();
  private compactionRunning = false;
  private compactionPromise: Promise<void> = Promise.resolve();
  private readonly manualCompactions: ManualCompaction[] = [];
  private backgroundWaiters: (() => void)[] = [];
  private readonly counters = {
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

  private constructor(options: ResolvedLsmOptions, state: OpenedState) {
    this.options = options;
    this.state = state;
    this.wal = state.wal;
    this.walNumber = state.walNumber;
    this.lastSequence = state.lastSequence;
    this.counters.flushBytesWritten = state.recoveryBytesWritten;
    this.tableLookup = new TableLookup(state);
    this.context = {
      fs: options.fs,
      dir: options.dir,
      options,
      tableCache: state.tableCache,
      filterPolicy: state.filterPolicy,
      pendingOutputs: state.pendingOutputs,
      newFileNumber: () => state.versions.newFileNumber(),
      checkContinue: () => {
        if (this.stopBackground) throw new StorageError('CLOSED', 'background work stopped: the database is closing');
        if (this.backgroundError !== undefined) throw this.backgroundError;
      },
    };
    this.compactionContext = {
      ...this.context,
      waitForPriorityWork: () => (this.flushRunning ? this.flushesIdle() : undefined),
    };
  }

  /** Opens (or creates) the database in `options.dir`, recovering from its MANIFEST and WALs. */
  static async open(options: LsmOptions): Promise<LsmDb> {
    const resolved = resolveOptions(options);
    const state = await openDatabaseFiles(resolved);
    const db = new LsmDb(resolved, state);
    db.maybeScheduleBackgroundWork();
    return db;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  /**
   * Applies `batch` atomically. Resolves once its entries are visible to reads (and durable, with
   * `sync`). The batch must not be changed until the promise settles.
   */
  write(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    if (this.backgroundError !== undefined) return Promise.reject(this.backgroundError);
    if (this.lifecycle !== 'open') return Promise.reject(new StorageError('CLOSED', 'write: the database is closed'));
    if (!(batch instanceof WriteBatch)) return Promise.reject(new StorageError('INVALID_ARGUMENT', 'write: expected a WriteBatch'));
    if (batch.count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'write', batch, sync: options?.sync === true, resolve, reject });
      // Later single writes must come after this batch, so they start a new shared batch.
      this.openShared = undefined;
      this.scheduleLeader();
    });
  }

  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.writeOne(options, (batch) => batch.put(key, value));
  }

  delete(key: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.writeOne(options, (batch) => batch.delete(key));
  }

  /** Deletes every key in [startKey, endKey). */
  deleteRange(startKey: Uint8Array, endKey: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.writeOne(options, (batch) => batch.deleteRange(startKey, endKey));
  }

  /**
   * Appends one record to the open shared batch (see SharedWrite), starting one if there is none.
   * The record is copied now, so the caller may reuse its buffers; an invalid one rejects this call
   * alone (WriteBatch leaves itself unchanged when it refuses a record).
   */
  private writeOne(options: WriteOptions | undefined, add: (batch: WriteBatch) => void): Promise<void> {
    if (this.backgroundError !== undefined) return Promise.reject(this.backgroundError);
    if (this.lifecycle !== 'open') return Promise.reject(new StorageError('CLOSED', 'write: the database is closed'));
    let shared = this.openShared;
    if (shared === undefined || shared.batch.byteSize >= SHARED_BATCH_BYTES_MAX) {
      const batch = new WriteBatch();
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((resolvePromise, rejectPromise) => {
        resolve = resolvePromise;
        reject = rejectPromise;
      });
      try {
        add(batch);
      } catch (error) {
        return Promise.reject(error);
      }
      shared = { kind: 'write', batch, sync: false, resolve, reject, promise };
      this.openShared = shared;
      this.queue.push(shared);
    } else {
      try {
        add(shared.batch);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (options?.sync === true) shared.sync = true;
    this.scheduleLeader();
    return shared.promise;
  }

  private scheduleLeader(): void {
    if (this.leaderActive) return;
    this.leaderActive = true;
    queueMicrotask(() => void this.runLeader());
  }

  /** Takes groups off the queue until it is empty. Only one runs at a time (leaderActive). */
  private async runLeader(): Promise<void> {
    try {
      // Each round handles at least one queued item or fails them all, so the loop ends when the queue
      // stays empty; items queued meanwhile are handled by the same loop.
      while (this.queue.length > 0) {
        if (this.backgroundError !== undefined) {
          this.failQueue(this.backgroundError);
          break;
        }
        const head = this.queue.peek()!;
        if (head.kind === 'barrier') {
          this.queue.shift();
          head.resolve();
          continue;
        }
        const room = this.makeRoomForWrite(head.kind === 'freeze');
        if (room !== undefined) {
          try {
            await room;
          } catch (error) {
            this.failQueue(error);
            break;
          }
        }
        if (this.needsYield()) await yieldToEventLoop();
        // A failure while waiting may have emptied the queue; start over from its current head.
        if (this.queue.peek() !== head) continue;
        if (head.kind === 'freeze') {
          this.queue.shift();
          head.resolve();
          continue;
        }
        await this.writeGroup();
      }
    } finally {
      this.leaderActive = false;
      if (this.queue.length > 0) this.scheduleLeader();
    }
  }

  /** Writes one group: the queued writes at the head, up to MAX_WRITE_GROUP_BYTES. */
  private async writeGroup(): Promise<void> {
    const group: QueuedWrite[] = [];
    let groupBytes = 0;
    let sync = false;
    let count = 0;
    // Bounded by the queue length and the group byte limit.
    for (let next = this.queue.peek(); next !== undefined && next.kind === 'write'; next = this.queue.peek()) {
      if (group.length > 0 && groupBytes + next.batch.byteSize > MAX_WRITE_GROUP_BYTES) break;
      this.queue.shift();
      // Taken into a group: no more records may join it.
      if (next === this.openShared) this.openShared = undefined;
      group.push(next);
      groupBytes += next.batch.byteSize;
      count += next.batch.count;
      sync ||= next.sync;
    }
    const baseSequence = this.lastSequence + 1;
    if (baseSequence + count - 1 >= MAX_SEQUENCE) {
      this.failGroup(group, new StorageError('INVALID_ARGUMENT', 'sequence numbers are exhausted'));
      return;
    }
    try {
      let record: Uint8Array;
      if (group.length === 1) {
        record = group[0]!.batch.encode(baseSequence);
      } else {
        const combined = this.groupBatch;
        combined.clear();
        for (const write of group) combined.append(write.batch);
        record = combined.encode(baseSequence);
        combined.clear();
      }
      this.wal.addRecord(record);
      this.counters.walBytesWritten += record.length;
      this.counters.userBytesWritten += groupBytes;
      this.counters.writeGroups++;
      if (sync) {
        if (this.walPrerequisite !== undefined) await this.walPrerequisite;
        await this.wal.sync();
        this.counters.walSyncs++;
      }
    } catch (error) {
      // The WAL's tail is now unknown: stop accepting writes, as LevelDB does.
      this.setBackgroundError(error);
      this.failGroup(group, this.backgroundError ?? error);
      return;
    }
    let sequence = baseSequence;
    for (const write of group) {
      this.mem.addBatch(write.batch, sequence);
      sequence += write.batch.count;
    }
    this.lastSequence = sequence - 1;
    for (const write of group) write.resolve();
  }

  private failGroup(group: readonly QueuedWrite[], error: unknown): void {
    for (const write of group) write.reject(error);
  }

  private failQueue(error: unknown): void {
    this.openShared = undefined;
    for (const item of this.queue.drain()) item.reject(error);
  }

  /**
   * True when the leader has held the event loop for more than a slice: a setImmediate probe set at
   * the start of the turn has not run yet. Runs of writes that resolve in microtasks would otherwise
   * starve timers, I/O and the background slices.
   */
  private needsYield(): boolean {
    const now = this.options.clock.monotonicMs();
    if (!this.turnProbePending) {
      this.turnProbePending = true;
      this.turnStartMs = now;
      setImmediate(() => {
        this.turnProbePending = false;
      });
      return false;
    }
    return now - this.turnStartMs > this.options.compactionSliceMs;
  }

  /** Undefined when the memtable has room and no delay applies; otherwise the wait for room. */
  private makeRoomForWrite(force: boolean): Promise<void> | undefined {
    if (
      !force &&
      this.mem.approximateSizeBytes < this.options.memtableSizeBytes &&
      this.state.versions.current.fileCount(0) < this.options.level0SlowdownTrigger
    ) {
      return undefined;
    }
    return this.makeRoomSlowly(force);
  }

  private async makeRoomSlowly(force: boolean): Promise<void> {
    let allowDelay = !force;
    for (let round = 0; round < MAX_STALL_ROUNDS; round++) {
      if (this.backgroundError !== undefined) throw this.backgroundError;
      const level0Files = this.state.versions.current.fileCount(0);
      if (allowDelay && level0Files >= this.options.level0SlowdownTrigger) {
        // Hand compaction about a millisecond rather than stopping writes later for much longer.
        allowDelay = false;
        this.counters.slowdownCount++;
        await this.stall(new Promise<void>((resolve) => this.options.clock.setTimer(1, resolve)));
        continue;
      }
      if (force ? this.mem.entryCount === 0 : this.mem.approximateSizeBytes < this.options.memtableSizeBytes) return;
      if (this.frozen.length >= this.options.maxFrozenMemtables || level0Files >= this.options.level0StopTrigger) {
        this.counters.stopCount++;
        this.maybeScheduleBackgroundWork();
        await this.stall(this.backgroundChange());
        continue;
      }
      this.switchMemtable();
      return;
    }
    throw new Error(`makeRoomForWrite: still stalled after ${MAX_STALL_ROUNDS} rounds`);
  }

  private async stall(wait: Promise<void>): Promise<void> {
    const startMs = this.options.clock.monotonicMs();
    await wait;
    this.counters.stallTimeMs += this.options.clock.monotonicMs() - startMs;
  }

  /** Freezes the memtable and starts a new WAL and memtable. Called by the leader between groups. */
  private switchMemtable(): void {
    const { fs, dir } = this.options;
    const number = this.state.versions.newFileNumber();
    const file = fs.createWritable(joinPath(dir, logFileName(number)));
    const oldWal = this.wal;
    const previous = this.walPrerequisite;
    const prerequisite = (async () => {
      if (previous !== undefined) await previous;
      try {
        await oldWal.sync();
      } finally {
        oldWal.close();
      }
      await fs.syncDir(dir);
    })();
    this.walPrerequisite = prerequisite;
    prerequisite.then(
      () => {
        if (this.walPrerequisite === prerequisite) this.walPrerequisite = undefined;
      },
      (error: unknown) => this.setBackgroundError(error),
    );
    this.frozen.push({ memtable: this.mem, logNumber: this.walNumber });
    this.mem = new MemTable();
    this.wal = new WalWriter(file);
    this.walNumber = number;
    this.maybeScheduleBackgroundWork();
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /**
   * The value of `key` (a copy the caller owns; a Buffer, which may share Node's pool like any small
   * Buffer), or undefined when absent or deleted. Synchronous.
   */
  get(key: Uint8Array, options?: ReadOptions): Uint8Array | undefined {
    this.checkReadable('get');
    const sequence = options?.snapshot === undefined ? this.lastSequence : this.snapshots.sequenceOf(options.snapshot);
    let found = readFromMemTable(this.mem, key, sequence);
    for (let index = this.frozen.length - 1; found === undefined && index >= 0; index--) {
      found = readFromMemTable(this.frozen[index]!.memtable, key, sequence);
    }
    if (found === undefined) found = this.tableLookup.get(this.state.versions.current, key, sequence);
    if (found === null || found === undefined) return undefined;
    // A copy the caller owns. Buffer.allocUnsafe carves small values out of Node's shared pool, about
    // five times cheaper than a fresh ArrayBuffer (slice) for 100-byte values; every byte is set here.
    const copy = Buffer.allocUnsafe(found.length);
    copy.set(found);
    return copy;
  }

  /**
   * An iterator over the user keys visible at the snapshot (or now), within [lowerBound, upperBound).
   * Starts unpositioned; close it to release the files it pins.
   */
  iterator(options?: IteratorOptions): KeyValueIterator {
    this.checkReadable('iterator');
    const sequence = options?.snapshot === undefined ? this.lastSequence : this.snapshots.sequenceOf(options.snapshot);
    return openDbIterator(this.readSources(), sequence, options?.lowerBound, options?.upperBound);
  }

  /** A read point at the current visible sequence. Release it when done. */
  snapshot(): LsmSnapshot {
    this.checkReadable('snapshot');
    return this.snapshots.create(this.lastSequence);
  }

  private readSources(): ReadSources {
    return {
      memtables: [this.mem, ...this.frozen.map((frozen) => frozen.memtable).reverse()],
      version: this.state.versions.current,
      tableCache: this.state.tableCache,
      filterPolicy: this.state.filterPolicy,
    };
  }

  private checkReadable(operation: string): void {
    if (this.lifecycle === 'closed') throw new StorageError('CLOSED', `${operation}: the database is closed`);
  }

  // ---------------------------------------------------------------------------------------------
  // Flush and compaction

  /** Writes the memtable (and any frozen ones) to level 0 now; resolves when they are in tables. */
  async flush(): Promise<void> {
    if (this.backgroundError !== undefined) throw this.backgroundError;
    if (this.lifecycle !== 'open') throw new StorageError('CLOSED', 'flush: the database is closed');
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ kind: 'freeze', resolve, reject });
      this.openShared = undefined;
      this.scheduleLeader();
    });
    const target = this.frozen.length === 0 ? 0 : this.frozen[this.frozen.length - 1]!.logNumber;
    this.maybeScheduleBackgroundWork();
    for (let round = 0; this.frozen.length > 0 && this.frozen[0]!.logNumber <= target; round++) {
      if (round >= MAX_STALL_ROUNDS) throw new Error('flush: frozen memtables never drained');
      if (this.backgroundError !== undefined) throw this.backgroundError;
      if (this.stopBackground) throw new StorageError('CLOSED', 'flush: the database closed before the flush finished');
      await this.backgroundChange();
    }
    if (this.backgroundError !== undefined) throw this.backgroundError;
  }

  /**
   * Compacts every level overlapping [start, end] (undefined: unbounded) down to the deepest level
   * holding data in that range, after flushing the memtable. Dropped data's space is reclaimed.
   */
  async compactRange(start?: Uint8Array, end?: Uint8Array): Promise<void> {
    await this.flush();
    if (this.backgroundError !== undefined) throw this.backgroundError;
    if (this.stopBackground) throw new StorageError('CLOSED', 'compactRange: the database is closing');
    const version = this.state.versions.current;
    let maxLevel = 1;
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.overlappingFiles(level, start, end).length > 0) maxLevel = level;
    }
    await new Promise<void>((resolve, reject) => {
      this.manualCompactions.push({ level: 0, maxLevel, begin: start, end, cursor: start, resolve, reject });
      this.maybeScheduleBackgroundWork();
    });
  }

  private maybeScheduleBackgroundWork(): void {
    if (this.backgroundError !== undefined || this.stopBackground) return;
    if (!this.flushRunning && this.frozen.length > 0) {
      this.flushRunning = true;
      this.flushPromise = this.runFlushes();
    }
    if (!this.compactionRunning && (this.manualCompactions.length > 0 || this.needsCompaction())) {
      this.compactionRunning = true;
      this.compactionPromise = this.runCompactions();
    }
  }

  private needsCompaction(): boolean {
    return bestLevelScore(this.state.versions.current, this.options).score >= 1;
  }

  private async runFlushes(): Promise<void> {
    const { versions } = this.state;
    try {
      // Each round flushes the oldest frozen memtable; writers add at most maxFrozenMemtables more.
      while (this.frozen.length > 0 && this.backgroundError === undefined && !this.stopBackground) {
        const oldest = this.frozen[0]!;
        const result = await flushMemTable(this.context, oldest.memtable, this.snapshots.sequences());
        this.context.checkContinue();
        const edit = new VersionEdit();
        if (result.file !== undefined) {
          edit.addFile(0, result.file);
          await this.options.fs.syncDir(this.options.dir);
        }
        edit.logNumber = this.frozen[1]?.logNumber ?? this.walNumber;
        versions.lastSequence = Math.max(versions.lastSequence, this.lastSequence);
        await versions.logAndApply(edit);
        if (result.file !== undefined) this.state.pendingOutputs.delete(result.file.number);
        if (this.frozen[0] !== oldest) throw new Error('flush: the oldest frozen memtable changed during its flush');
        this.frozen.shift();
        this.options.fs.remove(joinPath(this.options.dir, logFileName(oldest.logNumber)));
        this.counters.flushes++;
        this.counters.flushBytesWritten += result.bytesWritten;
        this.notifyBackgroundChange();
        this.maybeScheduleBackgroundWork();
      }
    } catch (error) {
      this.handleBackgroundFailure(error);
    } finally {
      this.flushRunning = false;
      this.notifyBackgroundChange();
      this.maybeScheduleBackgroundWork();
    }
  }

  private async runCompactions(): Promise<void> {
    const { versions } = this.state;
    try {
      // Each round runs one compaction, which lowers a level's score or advances a manual request;
      // the loop ends when no level needs work. The round limit only guards against a picker bug.
      for (let round = 0; round < MAX_STALL_ROUNDS; round++) {
        if (this.backgroundError !== undefined || this.stopBackground) break;
        const compaction = this.nextCompaction();
        if (compaction === undefined) {
          if (this.manualCompactions.length > 0) continue;
          break;
        }
        try {
          const result = await runCompaction(this.compactionContext, compaction, this.snapshots.sequences());
          this.context.checkContinue();
          if (result.outputs.length > 0) await this.options.fs.syncDir(this.options.dir);
          versions.lastSequence = Math.max(versions.lastSequence, this.lastSequence);
          await versions.logAndApply(result.edit);
          for (const output of result.outputs) this.state.pendingOutputs.delete(output.number);
          if (result.trivialMove) this.counters.trivialMoves++;
          else this.counters.compactions++;
          this.counters.compactionBytesRead += result.bytesRead;
          this.counters.compactionBytesWritten += result.bytesWritten;
        } finally {
          compaction.release();
        }
        this.notifyBackgroundChange();
        // A pause between compactions lets a waiting flush take its turn.
        await yieldToEventLoop();
      }
    } catch (error) {
      this.handleBackgroundFailure(error);
    } finally {
      this.compactionRunning = false;
      if (this.backgroundError !== undefined || this.stopBackground) {
        const error = this.backgroundError ?? new StorageError('CLOSED', 'compactRange: the database is closing');
        for (const manual of this.manualCompactions.splice(0)) manual.reject(error);
      }
      this.notifyBackgroundChange();
      this.maybeScheduleBackgroundWork();
    }
  }

  /** The next manual round if one is pending (resolving finished requests), else a size compaction. */
  private nextCompaction(): Compaction | undefined {
    const version = this.state.versions.current;
    const manual = this.manualCompactions[0];
    if (manual === undefined) return pickCompaction(version, this.state.versions.compactPointers, this.options);
    // Each round of this loop moves to a deeper level; at most NUM_LEVELS rounds.
    while (manual.level < manual.maxLevel) {
      const compaction = pickRangeCompaction(version, manual.level, manual.cursor, manual.end, this.options);
      if (compaction !== undefined) {
        if (manual.level === 0) {
          manual.level = 1;
          manual.cursor = manual.begin;
        } else {
          let largest = compaction.inputs[0][0]!.largest;
          for (const file of compaction.inputs[0]) if (internalKeyComparator.compare(file.largest, largest) > 0) largest = file.largest;
          manual.cursor = userKeyOf(largest).slice();
        }
        return compaction;
      }
      manual.level++;
      manual.cursor = manual.begin;
    }
    this.manualCompactions.shift();
    manual.resolve();
    return undefined;
  }

  private handleBackgroundFailure(error: unknown): void {
    if (this.stopBackground && error instanceof StorageError && error.code === 'CLOSED') return;
    this.setBackgroundError(error);
  }

  private setBackgroundError(error: unknown): void {
    if (this.backgroundError !== undefined) return;
    this.backgroundError =
      error instanceof Error ? error : new StorageError('EIO', `background work failed: ${String(error)}`, { cause: error });
    this.failQueue(this.backgroundError);
    this.notifyBackgroundChange();
  }

  /** Resolves once no flush is running (or the database failed or is closing). */
  private async flushesIdle(): Promise<void> {
    // Each round waits for a background event; the flush task ends when the frozen queue is empty.
    for (let round = 0; this.flushRunning && round < MAX_STALL_ROUNDS; round++) {
      if (this.backgroundError !== undefined || this.stopBackground) return;
      await this.backgroundChange();
    }
  }

  /** Resolves at the next completed flush or compaction, failure, or close. */
  private backgroundChange(): Promise<void> {
    return new Promise<void>((resolve) => this.backgroundWaiters.push(resolve));
  }

  private notifyBackgroundChange(): void {
    const waiters = this.backgroundWaiters;
    this.backgroundWaiters = [];
    for (const wake of waiters) wake();
  }

  // ---------------------------------------------------------------------------------------------
  // Stats and close

  stats(): LsmStats {
    const version = this.state.versions.current;
    const levels: LsmLevelStats[] = [];
    for (let level = 0; level < NUM_LEVELS; level++) {
      levels.push({ level, files: version.fileCount(level), bytes: version.levelBytes(level) });
    }
    const c = this.counters;
    const written = c.walBytesWritten + c.flushBytesWritten + c.compactionBytesWritten;
    const cache = this.state.blockCache.stats;
    const lookups = cache.hits + cache.misses;
    let memtableBytes = this.mem.approximateSizeBytes;
    for (const frozen of this.frozen) memtableBytes += frozen.memtable.approximateSizeBytes;
    return {
      levels,
      userBytesWritten: c.userBytesWritten,
      walBytesWritten: c.walBytesWritten,
      flushBytesWritten: c.flushBytesWritten,
      compactionBytesRead: c.compactionBytesRead,
      compactionBytesWritten: c.compactionBytesWritten,
      writeAmplification: c.userBytesWritten === 0 ? 0 : written / c.userBytesWritten,
      blockCache: { ...cache, hitRate: lookups === 0 ? 0 : cache.hits / lookups },
      memtableBytes,
      frozenMemtables: this.frozen.length,
      openTables: this.state.tableCache.openCount,
      liveSnapshots: this.snapshots.count,
      lastSequence: this.lastSequence,
      writeGroups: c.writeGroups,
      walSyncs: c.walSyncs,
      flushes: c.flushes,
      compactions: c.compactions,
      trivialMoves: c.trivialMoves,
      stalls: { slowdownCount: c.slowdownCount, stopCount: c.stopCount, stallTimeMs: c.stallTimeMs },
      backgroundError: this.backgroundError?.message,
    };
  }

  /**
   * Lets queued writes finish, stops background work at its next slice, syncs the WAL and releases
   * the files and the lock. Writes after close reject with CLOSED. Idempotent.
   */
  close(): Promise<void> {
    this.closePromise ??= this.closeOnce();
    return this.closePromise;
  }

  private async closeOnce(): Promise<void> {
    this.lifecycle = 'closing';
    if (this.queue.length > 0 || this.leaderActive) {
      await new Promise<void>((resolve) => {
        this.queue.push({ kind: 'barrier', resolve, reject: () => resolve() });
        this.openShared = undefined;
        this.scheduleLeader();
      });
    }
    this.stopBackground = true;
    this.notifyBackgroundChange();
    await this.flushPromise;
    await this.compactionPromise;
    const closing = new StorageError('CLOSED', 'compactRange: the database closed first');
    for (const manual of this.manualCompactions.splice(0)) manual.reject(closing);
    let closeError: unknown;
    try {
      if (this.walPrerequisite !== undefined) await this.walPrerequisite;
      if (this.backgroundError === undefined) await this.wal.sync();
    } catch (error) {
      closeError = error;
    }
    this.wal.close();
    this.state.versions.close();
    this.state.tableCache.close();
    this.state.lock.release();
    this.lifecycle = 'closed';
    if (closeError !== undefined && this.backgroundError === undefined) throw closeError;
  }
}
