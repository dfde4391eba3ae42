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
// Invariants: an entry's `refs` counts unreleased acquires; an entry is in `entries` while cached;
// a reader is closed exactly once, when it is neither cached nor pinned.

import { StorageError } from '../env/errors.js';
import type { FileSystem } from '../env/file-system.js';
import type { BlockCache } from './block-cache.js';
import type { BloomFilterPolicy } from './bloom-filter.js';
import { filterKeyOf, internalKeyComparator, sequenceOf, userKeyOf } from './internal-key.js';
import { joinPath, tableFileName } from './filenames.js';
import { RangeTombstoneSet, type RangeTombstone } from './range-tombstones.js';
import { TableReader } from './table-reader.js';

export interface TableCacheOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly maxOpenTables: number;
  readonly blockCache: BlockCache;
  readonly filterPolicy: BloomFilterPolicy | undefined;
}

interface Entry {
  readonly fileNumber: number;
  readonly reader: TableReader;
  refs: number;
  cached: boolean;
  lastUsed: number;
  tombstoneList: RangeTombstone[] | undefined;
  tombstoneSet: RangeTombstoneSet | undefined;
}

/** A pinned open table. `release()` once when done; the handle must not be used afterwards. */
export class TableHandle {
  constructor(
    private readonly cache: TableCache,
    private readonly entry: Entry,
  ) {}

  get reader(): TableReader {
    return this.entry.reader;
  }

  get fileNumber(): number {
    return this.entry.fileNumber;
  }

  /** The table's range tombstones in user keys, in the order stored. */
  rangeTombstones(): readonly RangeTombstone[] {
    const entry = this.entry;
    if (entry.tombstoneList === undefined) {
      entry.tombstoneList = entry.reader.rangeTombstones().map(([start, end]) => ({
        start: userKeyOf(start).slice(),
        end: end.slice(),
        sequence: sequenceOf(start),
      }));
    }
    return entry.tombstoneList;
  }

  /** The table's range tombstones as a query index. */
  rangeTombstoneSet(): RangeTombstoneSet {
    const entry = this.entry;
    if (entry.tombstoneSet === undefined) {
      const list = this.rangeTombstones();
      entry.tombstoneSet = list.length === 0 ? RangeTombstoneSet.EMPTY : new RangeTombstoneSet(list);
    }
    return entry.tombstoneSet;
  }

  release(): void {
    this.cache.releaseEntry(this.entry);
  }
}

export class TableCache {
  private readonly options: TableCacheOptions;
  private readonly entries = new Map<number, Entry>();
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
    return new TableHandle(this, entry);
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
  releaseEntry(entry: Entry): void {
    if (entry.refs <= 0) throw new Error(`TableCache: table ${entry.fileNumber} released more often than acquired`);
    entry.refs--;
    if (entry.refs === 0 && !entry.cached) entry.reader.close();
  }

  private open(fileNumber: number): Entry {
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
    return { fileNumber, reader, refs: 0, cached: true, lastUsed: 0, tombstoneList: undefined, tombstoneSet: undefined };
  }

  /**
   * Closes least recently used unpinned tables until at most maxOpenTables are open. A scan for the
   * oldest costs O(open tables), paid only on a miss when the cache is full.
   */
  private evictIfOverLimit(): void {
    // Each round evicts one table or stops; at most entries.size rounds.
    for (let round = this.entries.size; round > 0 && this.entries.size > this.options.maxOpenTables; round--) {
      let oldest: Entry | undefined;
      for (const entry of this.entries.values()) {
        if (entry.refs === 0 && (oldest === undefined || entry.lastUsed < oldest.lastUsed)) oldest = entry;
      }
      if (oldest === undefined) return;
      this.evict(oldest.fileNumber);
    }
  }
}
