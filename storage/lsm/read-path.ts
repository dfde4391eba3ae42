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
import type { BlockIterator } from './block-reader.js';
import {
  compareBytes,
  internalKeyComparator,
  seekKeyFor,
  sequenceOf,
  TRAILER_SIZE_BYTES,
  VALUE_TYPE_FOR_SEEK,
  ValueType,
  valueTypeOf,
  writeTrailer,
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
  if (memtable.entryCount === 0) return undefined;
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

/**
 * Point lookups in the tables of a version, newest first. Holds scratch space (the lookup key, a block
 * iterator) reused by every lookup, so a read that hits the block cache allocates nothing but its
 * answer. One per database; lookups are synchronous and never interleave.
 */
export class TableLookup {
  private lookupBuffer = new Uint8Array(64);
  private blockIterator: BlockIterator | undefined;

  constructor(private readonly access: TableAccess) {}

  get(version: Version, userKey: Uint8Array, sequence: number): SourceAnswer {
    const lookupKey = this.lookupKeyFor(userKey, sequence);
    const policy = this.access.filterPolicy;
    const filterHash = policy === undefined ? -1 : policy.hash(userKey);
    const level0 = version.levels[0]!;
    for (let index = 0; index < level0.length; index++) {
      const file = level0[index]!;
      if (!fileContainsUserKey(file, userKey)) continue;
      const answer = this.readFromTable(file, userKey, lookupKey, sequence, filterHash);
      if (answer !== undefined) return answer;
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.levels[level]!.length === 0) continue;
      const file = version.fileForKey(level, userKey, lookupKey);
      if (file === undefined) continue;
      const answer = this.readFromTable(file, userKey, lookupKey, sequence, filterHash);
      if (answer !== undefined) return answer;
    }
    return undefined;
  }

  /** seekKeyFor(userKey, sequence), written into the reused buffer. Valid until the next call. */
  private lookupKeyFor(userKey: Uint8Array, sequence: number): Uint8Array {
    const length = userKey.length + TRAILER_SIZE_BYTES;
    if (this.lookupBuffer.length < length) this.lookupBuffer = new Uint8Array(Math.max(length, this.lookupBuffer.length * 2));
    const buffer = this.lookupBuffer;
    buffer.set(userKey, 0);
    writeTrailer(buffer, userKey.length, sequence, VALUE_TYPE_FOR_SEEK);
    return buffer.subarray(0, length);
  }

  private readFromTable(
    file: FileMetaData,
    userKey: Uint8Array,
    lookupKey: Uint8Array,
    sequence: number,
    filterHash: number,
  ): SourceAnswer {
    // Not pinned: nothing below asks the table cache for another table before we are done.
    const table = this.access.tableCache.peek(file.number);
    const covering = file.rangeTombstoneCount === 0 ? -1 : table.rangeTombstoneSet().maxCoveringSequence(userKey, sequence);
    const reader = table.reader;
    if (file.entryCount > 0 && (filterHash < 0 || reader.mayContainHash(filterHash))) {
      // The first block whose last key is >= the lookup key holds the first entry >= it, if any.
      const blockIndex = reader.findBlock(lookupKey);
      if (blockIndex < reader.dataBlockCount) {
        const block = reader.dataBlock(blockIndex);
        let iterator = this.blockIterator;
        if (iterator === undefined) {
          iterator = block.iterator();
          this.blockIterator = iterator;
        } else {
          iterator.reset(block);
        }
        iterator.seek(lookupKey);
        if (iterator.valid()) {
          const key = iterator.key();
          if (hasUserKey(key, userKey)) {
            if (sequenceOf(key) <= covering) return null;
            return valueTypeOf(key) === ValueType.Value ? iterator.value() : null;
          }
        }
      }
    }
    return covering >= 0 ? null : undefined;
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
    // The DbIterator owns the merged iterator (closing it closes every child) and unpins the version.
    return new DbIterator(merged, { sequence, tombstones, lowerBound, upperBound, onClose: () => version.unref() });
  } catch (error) {
    for (const child of children) child.close();
    version.unref();
    throw error;
  }
}
