// An iterator over the point entries of a run of table files that do not overlap and are sorted by key
// (a level >= 1, or a single level-0 file), opening one table at a time through a TableSource — the
// table cache for reads, uncached readers for compaction (LevelDB's two-level iterator over a level's
// file list). Files with no point entries (only range tombstones) are passed over.
//
// Invariants: at most one table is pinned at a time, the one under the cursor; moving off a file
// releases it; `close()` releases whatever is pinned and is idempotent. Keys are internal keys.

import { internalKeyComparator } from './internal-key.js';
import type { KeyValueIterator } from './iterator.js';
import type { TableReader } from './table-reader.js';
import type { FileMetaData } from './version-edit.js';

/** An open table pinned until `release()`. */
export interface PinnedTable {
  readonly reader: TableReader;
  release(): void;
}

/** Where a level iterator gets its tables: the table cache, or compaction's uncached readers. */
export interface TableSource {
  acquire(fileNumber: number): PinnedTable;
}

export class LevelIterator implements KeyValueIterator {
  private readonly files: readonly FileMetaData[];
  private readonly tables: TableSource;
  /** Index of the file under the cursor; -1 or files.length when there is none. */
  private index = -1;
  private handle: PinnedTable | undefined;
  private inner: KeyValueIterator | undefined;
  private closed = false;

  constructor(files: readonly FileMetaData[], tables: TableSource) {
    this.files = files;
    this.tables = tables;
  }

  valid(): boolean {
    return this.inner !== undefined && this.inner.valid();
  }

  seekToFirst(): void {
    this.openFile(0);
    this.inner?.seekToFirst();
    this.skipEmptyForward();
  }

  seekToLast(): void {
    this.openFile(this.files.length - 1);
    this.inner?.seekToLast();
    this.skipEmptyBackward();
  }

  seek(target: Uint8Array): void {
    this.openFile(this.firstFileEndingAtOrAfter(target));
    this.inner?.seek(target);
    this.skipEmptyForward();
  }

  seekForPrev(target: Uint8Array): void {
    // The last file whose smallest key is <= target holds the answer, or it lies in an earlier file.
    let index = this.firstFileEndingAtOrAfter(target);
    if (index >= this.files.length || internalKeyComparator.compare(this.files[index]!.smallest, target) > 0) index--;
    this.openFile(index);
    this.inner?.seekForPrev(target);
    this.skipEmptyBackward();
  }

  next(): void {
    this.inner!.next();
    this.skipEmptyForward();
  }

  prev(): void {
    this.inner!.prev();
    this.skipEmptyBackward();
  }

  key(): Uint8Array {
    return this.inner!.key();
  }

  value(): Uint8Array {
    return this.inner!.value();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseFile();
    this.index = -1;
  }

  /** Binary search: the first file whose largest key is >= target (files.length when none). */
  private firstFileEndingAtOrAfter(target: Uint8Array): number {
    let low = 0;
    let high = this.files.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (internalKeyComparator.compare(this.files[middle]!.largest, target) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private skipEmptyForward(): void {
    // Each round moves to the next file; at most files.length rounds.
    while (this.inner !== undefined && !this.inner.valid()) {
      if (this.index + 1 >= this.files.length) {
        this.releaseFile();
        this.index = this.files.length;
        return;
      }
      this.openFile(this.index + 1);
      this.inner?.seekToFirst();
    }
  }

  private skipEmptyBackward(): void {
    while (this.inner !== undefined && !this.inner.valid()) {
      if (this.index <= 0) {
        this.releaseFile();
        this.index = -1;
        return;
      }
      this.openFile(this.index - 1);
      this.inner?.seekToLast();
    }
  }

  /** Positions on file `index` (opening it unless it is the one open); out of range releases all. */
  private openFile(index: number): void {
    if (this.closed) throw new Error('LevelIterator used after close');
    if (index < 0 || index >= this.files.length) {
      this.releaseFile();
      this.index = index < 0 ? -1 : this.files.length;
      return;
    }
    if (index === this.index && this.inner !== undefined) return;
    this.releaseFile();
    const file = this.files[index]!;
    this.index = index;
    if (file.entryCount === 0) {
      // Only range tombstones: an empty source. The skip loops move past it.
      this.inner = emptyIterator;
      return;
    }
    const handle = this.tables.acquire(file.number);
    try {
      this.inner = handle.reader.iterator();
    } catch (error) {
      handle.release();
      throw error;
    }
    this.handle = handle;
  }

  private releaseFile(): void {
    if (this.inner !== undefined && this.inner !== emptyIterator) this.inner.close();
    this.inner = undefined;
    this.handle?.release();
    this.handle = undefined;
  }
}

const emptyIterator: KeyValueIterator = {
  valid: () => false,
  seekToFirst: () => undefined,
  seekToLast: () => undefined,
  seek: () => undefined,
  seekForPrev: () => undefined,
  next: () => undefined,
  prev: () => undefined,
  key: () => {
    throw new Error('empty iterator has no key');
  },
  value: () => {
    throw new Error('empty iterator has no value');
  },
  close: () => undefined,
};

