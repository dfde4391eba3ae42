// The read path: point lookups through the memtables and the tables of a version, and the iterator over
// all of them. Both read at a sequence number and honour range tombstones.
//
// Point lookup. Sources are consulted newest first: the active memtable, the frozen memtables (newest
// first), the level-0 tables (newest first), then one table per deeper level. In each source the newest
// entry of the key at or below the read sequence is found, together with the newest range tombstone of
// that source covering the key (at or below the read sequence). The entry answers if it is newer than
// the tombstone; a covering tombstone with no newer entry in the source means "deleted". The search
// stops at the first source with either: every entry of a key in an older source is older than an entry
// or tombstone for that key in a newer source (flushes go to level 0 in order; compaction moves a key's
// entries down together and its output ranges include its tombstones).
//
// Iterators merge every source (memtables, each level-0 table, a level iterator per deeper level)
// and hand the merged internal entries, with the union of the tombstones of every source overlapping
// the bounds, to the DbIterator, which resolves versions, deletions and bounds. The iterator pins the
// version (its files stay on disk) until it is closed.
//
// Invariant: nothing here changes the database; a lookup pins each table only while reading it.

import type { BloomFilterPolicy } from './bloom-filter.js';
import { DbIterator } from './db-iterator.js';
import {
  compareBytes,
  internalKeyComparator,
  seekKeyFor,
  sequenceOf,
  ValueType,
  valueTypeOf,
} from './internal-key.js';
import type { KeyValueIterator } from './iterator.js';
import { LevelIterator } from './level-iterator.js';
import type { MemTable } from './memtable.js';
import { MergingIterator } from './merging-iterator.js';
import { NUM_LEVELS } from './options.js';
import { RangeTombstoneSet } from './range-tombstones.js';
import type { TableCache } from './table-cache.js';
import type { FileMetaData } from './version-edit.js';
import { fileContainsUserKey, fileOverlapsRange, type Version } from './version-set.js';

/** How tables are reached: the open-table cache and the filter policy their filters were built with. */
export interface TableAccess {
  readonly tableCache: TableCache;
  readonly filterPolicy: BloomFilterPolicy | undefined;
}

export interface ReadSources extends TableAccess {
  /** Newest first: the active memtable, then frozen ones from newest to oldest. */
  readonly memtables: readonly MemTable[];
  readonly version: Version;
}

/**
 * What one source says about a key: the value (a view), null for deleted, undefined for nothing (look
 * in older sources).
 */
export type SourceAnswer = Uint8Array | null | undefined;

function hasUserKey(internalKey: Uint8Array, userKey: Uint8Array): boolean {
  return compareBytes(internalKey, internalKey.length - 8, userKey, userKey.length) === 0;
}

export function readFromMemTable(memtable: MemTable, userKey: Uint8Array, sequence: number): SourceAnswer {
  const found = memtable.get(userKey, sequence);
  const tombstones = memtable.rangeTombstoneSet();
  const covering = tombstones.isEmpty ? -1 : tombstones.maxCoveringSequence(userKey, sequence);
  if (covering < 0) {
    if (found === undefined) return undefined;
    return found.kind === 'value' ? found.value : null;
  }
  if (found === undefined || found.kind === 'deleted') return null;
  // A tombstone of this memtable covers the key: the entry wins only if it is newer. The memtable's
  // get does not report the entry's sequence, so find it (a rare path: only under a tombstone).
  const iterator = memtable.iterator();
  try {
    iterator.seek(seekKeyFor(userKey, sequence));
    if (!iterator.valid() || !hasUserKey(iterator.key(), userKey)) return null;
    return sequenceOf(iterator.key()) > covering ? found.value : null;
  } finally {
    iterator.close();
  }
}

function readFromTable(
  sources: TableAccess,
  file: FileMetaData,
  userKey: Uint8Array,
  lookupKey: Uint8Array,
  sequence: number,
  filterHash: number,
): SourceAnswer {
  const handle = sources.tableCache.acquire(file.number);
  try {
    const covering = file.rangeTombstoneCount === 0 ? -1 : handle.rangeTombstoneSet().maxCoveringSequence(userKey, sequence);
    if (file.entryCount > 0 && (filterHash < 0 || handle.reader.mayContainHash(filterHash))) {
      const iterator = handle.reader.iterator();
      try {
        iterator.seek(lookupKey);
        if (iterator.valid()) {
          const key = iterator.key();
          if (hasUserKey(key, userKey)) {
            if (sequenceOf(key) <= covering) return null;
            return valueTypeOf(key) === ValueType.Value ? iterator.value() : null;
          }
        }
      } finally {
        iterator.close();
      }
    }
    return covering >= 0 ? null : undefined;
  } finally {
    handle.release();
  }
}

/** Looks `userKey` up in the tables of `version`, newest first. */
export function readFromTables(version: Version, sources: TableAccess, userKey: Uint8Array, sequence: number): SourceAnswer {
  const lookupKey = seekKeyFor(userKey, sequence);
  const filterHash = sources.filterPolicy === undefined ? -1 : sources.filterPolicy.hash(userKey);
  for (const file of version.levels[0]!) {
    if (!fileContainsUserKey(file, userKey)) continue;
    const answer = readFromTable(sources, file, userKey, lookupKey, sequence, filterHash);
    if (answer !== undefined) return answer;
  }
  for (let level = 1; level < NUM_LEVELS; level++) {
    const file = version.fileForKey(level, userKey, lookupKey);
    if (file === undefined) continue;
    const answer = readFromTable(sources, file, userKey, lookupKey, sequence, filterHash);
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** The DbIterator plus what it pins: the version, released on close. */
class PinnedIterator implements KeyValueIterator {
  private closed = false;
  constructor(
    private readonly inner: KeyValueIterator,
    private readonly version: Version,
  ) {}
  valid(): boolean {
    return this.inner.valid();
  }
  seekToFirst(): void {
    this.inner.seekToFirst();
  }
  seekToLast(): void {
    this.inner.seekToLast();
  }
  seek(target: Uint8Array): void {
    this.inner.seek(target);
  }
  seekForPrev(target: Uint8Array): void {
    this.inner.seekForPrev(target);
  }
  next(): void {
    this.inner.next();
  }
  prev(): void {
    this.inner.prev();
  }
  key(): Uint8Array {
    return this.inner.key();
  }
  value(): Uint8Array {
    return this.inner.value();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inner.close();
    this.version.unref();
  }
}

/** An iterator over the user keys visible at `sequence` within [lowerBound, upperBound). */
export function openDbIterator(
  sources: ReadSources,
  sequence: number,
  lowerBound: Uint8Array | undefined,
  upperBound: Uint8Array | undefined,
): KeyValueIterator {
  const { version, tableCache } = sources;
  const children: KeyValueIterator[] = [];
  const tombstoneSets: RangeTombstoneSet[] = [];
  version.ref();
  try {
    for (const memtable of sources.memtables) {
      children.push(memtable.iterator());
      const set = memtable.rangeTombstoneSet();
      if (!set.isEmpty) tombstoneSets.push(set);
    }
    const addTombstones = (files: readonly FileMetaData[]): void => {
      for (const file of files) {
        if (file.rangeTombstoneCount === 0) continue;
        const handle = tableCache.acquire(file.number);
        try {
          tombstoneSets.push(handle.rangeTombstoneSet());
        } finally {
          handle.release();
        }
      }
    };
    // The upper bound is exclusive; overlap tests take it as inclusive, which may add a file, never miss one.
    for (let level = 0; level < NUM_LEVELS; level++) {
      const files =
        level === 0
          ? version.levels[0]!.filter((file) => fileOverlapsRange(file, lowerBound, upperBound))
          : version.overlappingFiles(level, lowerBound, upperBound);
      if (files.length === 0) continue;
      addTombstones(files);
      if (level === 0) for (const file of files) children.push(new LevelIterator([file], tableCache));
      else children.push(new LevelIterator(files, tableCache));
    }
    const merged = new MergingIterator(internalKeyComparator, children);
    const tombstones = tombstoneSets.length === 0 ? RangeTombstoneSet.EMPTY : RangeTombstoneSet.union(tombstoneSets);
    const iterator = new DbIterator(merged, { sequence, tombstones, lowerBound, upperBound });
    return new PinnedIterator(iterator, version);
  } catch (error) {
    for (const child of children) child.close();
    version.unref();
    throw error;
  }
}
