// The table cache: open TableReaders by file number, at most `maxOpenTables` of them, least recently
// used closed first. Every read of a table goes through `acquire`, which opens the table on a miss
// (reading its footer, index and filter) and pins it until `release`. A pinned table is never closed:
// an iterator that holds one may keep it open past the limit until the iterator closes, so the number
// of open tables is at most maxOpenTables plus the tables pinned by live iterators.
//
// Each entry also keeps the table's range tombstones, converted to user-key tombstones and indexed
// (range-tombstones.ts), built on first use: reads and compactions ask for them often, tables rarely
// have any.
//
// Invariants: a handle's `refs` counts unreleased acquires; a handle is in `entries` while cached;
// a reader is closed exactly once, when it is neither cached nor pinned.

import { StorageError } from '../env/errors.js';
import type { FileSystem } from '../env/file-system.js';
import type { BlockCache } from './block-cache.js';
import type { BloomFilterPolicy } from './bloom-filter.js';
import { filterKeyOf, internalKeyComparator, sequenceOf, userKeyOf } from './internal-key.js';
import { joinPath, tableFileName } from './filenames.js';
import { RangeTombstoneSet, type RangeTombstone } from './range-tombstones.js';
import { TableReader } from './table-reader.js';
import { copyBytes } from './coding.js';

export interface TableCacheOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly maxOpenTables: number;
  readonly blockCache: BlockCache;
  readonly filterPolicy: BloomFilterPolicy | undefined;
}

/**
 * An open table and its bookkeeping. From `acquire` it is pinned: call `release()` exactly once per
 * acquire when done. The same object is returned by every acquire of the table.
 */
export class TableHandle {
  /** Unreleased acquires. */
  refs = 0;
  /** True while the table cache holds it. */
  cached = true;
  lastUsed = 0;
  private tombstoneList: RangeTombstone[] | undefined;
  private tombstoneSet: RangeTombstoneSet | undefined;

  constructor(
    private readonly cache: TableCache,
    readonly fileNumber: number,
    readonly reader: TableReader,
  ) {}

  /** The table's range tombstones in user keys, in the order stored. */
  rangeTombstones(): readonly RangeTombstone[] {
    this.tombstoneList ??= this.reader.rangeTombstones().map(([start, end]) => ({
      start: copyBytes(userKeyOf(start)),
      end: copyBytes(end),
      sequence: sequenceOf(start),
    }));
    return this.tombstoneList;
  }

  /** The table's range tombstones as a query index. */
  rangeTombstoneSet(): RangeTombstoneSet {
    if (this.tombstoneSet === undefined) {
      const list = this.rangeTombstones();
      this.tombstoneSet = list.length === 0 ? RangeTombstoneSet.EMPTY : new RangeTombstoneSet(list);
    }
    return this.tombstoneSet;
  }

  release(): void {
    this.cache.releaseEntry(this);
  }
}

export class TableCache {
  private readonly options: TableCacheOptions;
  private readonly entries = new Map<number, TableHandle>();
  private useCounter = 0;
  private closed = false;

  constructor(options: TableCacheOptions) {
    if (!(options.maxOpenTables >= 1)) throw new StorageError('INVALID_ARGUMENT', 'TableCache: maxOpenTables must be >= 1');
    this.options = options;
  }

  /** Open tables, cached or pinned. */
  get openCount(): number {
    return this.entries.size;
  }

  /** Pins table `fileNumber`, opening it if needed. Throws the open's error (ENOENT, CORRUPTION, EIO). */
  acquire(fileNumber: number): TableHandle {
    if (this.closed) throw new StorageError('CLOSED', 'the table cache is closed');
    let entry = this.entries.get(fileNumber);
    const opened = entry === undefined;
    if (entry === undefined) {
      entry = this.open(fileNumber);
      this.entries.set(fileNumber, entry);
    }
    entry.refs++;
    entry.lastUsed = ++this.useCounter;
    // Pinned above, so the eviction cannot pick the table just opened.
    if (opened) this.evictIfOverLimit();
    return entry;
  }

  /**
   * Table `fileNumber`, opened if needed, without pinning it: for a synchronous read that is done with
   * it before it asks the cache for anything else (only another open can close an unpinned table).
   */
  peek(fileNumber: number): TableHandle {
    if (this.closed) throw new StorageError('CLOSED', 'the table cache is closed');
    const entry = this.entries.get(fileNumber);
    if (entry === undefined) return this.acquireAndRelease(fileNumber);
    entry.lastUsed = ++this.useCounter;
    return entry;
  }

  /** Drops table `fileNumber` from the cache (its file is being deleted); closes it once unpinned. */
  evict(fileNumber: number): void {
    const entry = this.entries.get(fileNumber);
    if (entry === undefined) return;
    this.entries.delete(fileNumber);
    entry.cached = false;
    if (entry.refs === 0) entry.reader.close();
  }

  /** Closes every unpinned table; pinned ones close when released. */
  close(): void {
    this.closed = true;
    for (const fileNumber of [...this.entries.keys()]) this.evict(fileNumber);
  }

  /** @internal Called by TableHandle.release. */
  releaseEntry(entry: TableHandle): void {
    if (entry.refs <= 0) throw new Error(`TableCache: table ${entry.fileNumber} released more often than acquired`);
    entry.refs--;
    if (entry.refs === 0 && !entry.cached) entry.reader.close();
  }

  private open(fileNumber: number): TableHandle {
    const { fs, dir, blockCache, filterPolicy } = this.options;
    const file = fs.openRandomAccess(joinPath(dir, tableFileName(fileNumber)));
    let reader: TableReader;
    try {
      reader = TableReader.open(file, {
        comparator: internalKeyComparator,
        fileNumber,
        cache: blockCache,
        filterPolicy,
        filterKeyOf,
        verifyChecksums: true,
      });
    } catch (error) {
      file.close();
      throw error;
    }
    return new TableHandle(this, fileNumber, reader);
  }

  private acquireAndRelease(fileNumber: number): TableHandle {
    const handle = this.acquire(fileNumber);
    handle.release();
    return handle;
  }

  /**
   * Closes least recently used unpinned tables until at most maxOpenTables are open. A scan for the
   * oldest costs O(open tables), paid only on a miss when the cache is full.
   */
  private evictIfOverLimit(): void {
    // Each round evicts one table or stops; at most entries.size rounds.
    for (let round = this.entries.size; round > 0 && this.entries.size > this.options.maxOpenTables; round--) {
      let oldest: TableHandle | undefined;
      for (const entry of this.entries.values()) {
        if (entry.refs === 0 && (oldest === undefined || entry.lastUsed < oldest.lastUsed)) oldest = entry;
      }
      if (oldest === undefined) return;
      this.evict(oldest.fileNumber);
    }
  }
}
