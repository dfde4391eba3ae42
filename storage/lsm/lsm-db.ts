// The LSM database: the public face of the engine. It opens a directory (recovery.ts), and wires the
// parts that share the database's mutable state (db-state.ts): the write pipeline with group commit
// (write-pipeline.ts), the background flushes and compactions (background-work.ts), and the read path
// through memtables and tables (read-path.ts).
//
// Contract. A write's promise resolves when its entries are visible to reads (and durable, with
// `sync`); writes become visible in the order they were issued, each batch whole. Reads are
// synchronous and see the writes visible when they start (or at a snapshot). Memory is bounded: the
// memtables (memtableSizeBytes × (1 + maxFrozenMemtables), writers wait beyond that), the block cache,
// and the open tables. Background work never holds the event loop for long (compactionSliceMs slices).
// A background failure (EIO, ENOSPC, corruption) puts the database into a failed state: reads go on,
// every queued and later write rejects with that error (LevelDB's bg_error). After close() every call
// fails with CLOSED. Close iterators before the database: one left open keeps the tables it has open,
// but throws CLOSED when it needs another; it never returns wrong data, and closing it is always safe.
//
// Invariants: the facade holds no state of its own beyond its lifecycle; the visible sequence is below
// MAX_SEQUENCE; a snapshot's sequence is at most the visible sequence.

import { StorageError } from '../env/errors.js';
import { BackgroundWork } from './background-work.js';
import type { BlockCacheStats } from './block-cache.js';
import { DbState } from './db-state.js';
import type { KeyValueIterator } from './iterator.js';
import { NUM_LEVELS, resolveOptions, type LsmOptions } from './options.js';
import { openDatabaseFiles } from './recovery.js';
import { openDbIterator, readFromMemTable, TableLookup } from './read-path.js';
import type { LsmSnapshot } from './snapshots.js';
import { WritePipeline } from './write-pipeline.js';
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

export class LsmDb {
  private readonly state: DbState;
  private readonly background: BackgroundWork;
  private readonly writes: WritePipeline;
  private readonly tableLookup: TableLookup;
  private lifecycle: 'open' | 'closing' | 'closed' = 'open';
  private closePromise: Promise<void> | undefined;

  private constructor(state: DbState) {
    this.state = state;
    this.background = new BackgroundWork(state);
    this.writes = new WritePipeline(state, this.background);
    this.tableLookup = new TableLookup(state.files);
  }

  /** Opens (or creates) the database in `options.dir`, recovering from its MANIFEST and WALs. */
  static async open(options: LsmOptions): Promise<LsmDb> {
    const resolved = resolveOptions(options);
    const files = await openDatabaseFiles(resolved);
    const db = new LsmDb(new DbState(resolved, files));
    db.background.schedule();
    return db;
  }

  // ---------------------------------------------------------------------------------------------
  // Writes

  /**
   * Applies `batch` atomically. Resolves once its entries are visible to reads (and durable, with
   * `sync`). The batch must not be changed until the promise settles.
   */
  write(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    const refused = this.writeRefusal();
    if (refused !== undefined) return Promise.reject(refused);
    if (!(batch instanceof WriteBatch)) return Promise.reject(new StorageError('INVALID_ARGUMENT', 'write: expected a WriteBatch'));
    return this.writes.write(batch, options?.sync === true);
  }

  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): Promise<void> {
    const refused = this.writeRefusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.writes.writeOne(options?.sync === true, (batch) => batch.put(key, value));
  }

  delete(key: Uint8Array, options?: WriteOptions): Promise<void> {
    const refused = this.writeRefusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.writes.writeOne(options?.sync === true, (batch) => batch.delete(key));
  }

  /** Deletes every key in [startKey, endKey). */
  deleteRange(startKey: Uint8Array, endKey: Uint8Array, options?: WriteOptions): Promise<void> {
    const refused = this.writeRefusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.writes.writeOne(options?.sync === true, (batch) => batch.deleteRange(startKey, endKey));
  }

  /** Why a write must be refused now (the failed state, or closing), or undefined. */
  private writeRefusal(): Error | undefined {
    if (this.state.backgroundError !== undefined) return this.state.backgroundError;
    if (this.lifecycle !== 'open') return new StorageError('CLOSED', 'write: the database is closed');
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  /**
   * The value of `key` (a copy the caller owns; a Buffer, which may share Node's pool like any small
   * Buffer), or undefined when absent or deleted. Synchronous.
   */
  get(key: Uint8Array, options?: ReadOptions): Uint8Array | undefined {
    this.checkReadable('get');
    const state = this.state;
    const sequence = options?.snapshot === undefined ? state.lastSequence : state.snapshots.sequenceOf(options.snapshot);
    let found = readFromMemTable(state.mem, key, sequence);
    for (let index = state.frozen.length - 1; found === undefined && index >= 0; index--) {
      found = readFromMemTable(state.frozen[index]!.memtable, key, sequence);
    }
    if (found === undefined) found = this.tableLookup.get(state.files.versions.current, key, sequence);
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
    const state = this.state;
    const sequence = options?.snapshot === undefined ? state.lastSequence : state.snapshots.sequenceOf(options.snapshot);
    const memtables = [state.mem];
    for (let index = state.frozen.length - 1; index >= 0; index--) memtables.push(state.frozen[index]!.memtable);
    return openDbIterator(
      { memtables, version: state.files.versions.current, tableCache: state.files.tableCache, filterPolicy: state.files.filterPolicy },
      sequence,
      options?.lowerBound,
      options?.upperBound,
    );
  }

  /** A read point at the current visible sequence. Release it when done. */
  snapshot(): LsmSnapshot {
    this.checkReadable('snapshot');
    return this.state.snapshots.create(this.state.lastSequence);
  }

  private checkReadable(operation: string): void {
    if (this.lifecycle === 'closed') throw new StorageError('CLOSED', `${operation}: the database is closed`);
  }

  // ---------------------------------------------------------------------------------------------
  // Flush and compaction

  /** Writes the memtable (and any frozen ones) to level 0 now; resolves when they are in tables. */
  async flush(): Promise<void> {
    const refused = this.writeRefusal();
    if (refused !== undefined) throw refused;
    await this.writes.freeze();
    await this.background.flushFrozen();
  }

  /**
   * Compacts every level overlapping [start, end] (inclusive; undefined: unbounded) down to the deepest
   * level holding data in that range, after flushing the memtable, so deleted data's space is reclaimed.
   */
  async compactRange(start?: Uint8Array, end?: Uint8Array): Promise<void> {
    await this.flush();
    await this.background.compactRange(start, end);
  }

  // ---------------------------------------------------------------------------------------------
  // Stats and close

  stats(): LsmStats {
    const state = this.state;
    const version = state.files.versions.current;
    const levels: LsmLevelStats[] = [];
    for (let level = 0; level < NUM_LEVELS; level++) {
      levels.push({ level, files: version.fileCount(level), bytes: version.levelBytes(level) });
    }
    const c = state.counters;
    const written = c.walBytesWritten + c.flushBytesWritten + c.compactionBytesWritten;
    const cache = state.files.blockCache.stats;
    const lookups = cache.hits + cache.misses;
    return {
      levels,
      userBytesWritten: c.userBytesWritten,
      walBytesWritten: c.walBytesWritten,
      flushBytesWritten: c.flushBytesWritten,
      compactionBytesRead: c.compactionBytesRead,
      compactionBytesWritten: c.compactionBytesWritten,
      writeAmplification: c.userBytesWritten === 0 ? 0 : written / c.userBytesWritten,
      blockCache: { ...cache, hitRate: lookups === 0 ? 0 : cache.hits / lookups },
      memtableBytes: state.memtableBytes(),
      frozenMemtables: state.frozen.length,
      openTables: state.files.tableCache.openCount,
      liveSnapshots: state.snapshots.count,
      lastSequence: state.lastSequence,
      writeGroups: c.writeGroups,
      walSyncs: c.walSyncs,
      flushes: c.flushes,
      compactions: c.compactions,
      trivialMoves: c.trivialMoves,
      stalls: { slowdownCount: c.slowdownCount, stopCount: c.stopCount, stallTimeMs: c.stallTimeMs },
      backgroundError: state.backgroundError?.message,
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
    const state = this.state;
    this.lifecycle = 'closing';
    await this.writes.drained();
    state.stopping = true;
    await this.background.stopped();
    let closeError: unknown;
    try {
      if (state.walPrerequisite !== undefined) await state.walPrerequisite;
      if (state.backgroundError === undefined) await state.wal.sync();
    } catch (error) {
      closeError = error;
    }
    state.wal.close();
    state.files.versions.close();
    state.files.tableCache.close();
    state.files.lock.release();
    this.lifecycle = 'closed';
    if (closeError !== undefined && state.backgroundError === undefined) throw closeError;
  }
}
