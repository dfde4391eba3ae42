// A least-recently-used cache of parsed table blocks, bounded by bytes, shared by every TableReader of
// a database (LevelDB's block cache).
//
// Entries are keyed by (file number, block offset) packed into one exact number,
// fileNumber × 2^32 + offset, so the lookup is a Map probe on a number with no string built per read.
// That packing is exact while offset < 2^32 and fileNumber < 2^21 (the sum stays below 2^53); both are
// asserted. Recency is an intrusive doubly-linked list (most recent at the tail), so a hit costs a Map
// probe and a few pointer moves. `evictFile` finds a file's entries through a per-file set, so deleting
// a table after compaction costs in proportion to its cached blocks, not to the cache.
//
// Invariants: usageBytes is the sum of the charges of the entries held, and after every insert it is
// at most capacityBytes (an entry larger than the whole cache is not kept). Nothing is pinned: a block
// an iterator still holds after eviction stays alive through the garbage collector, and is simply no
// longer found here. Blocks are immutable, so sharing them between iterators is safe.

import { StorageError } from '../env/errors.js';
import type { Block } from './block-reader.js';

const OFFSET_LIMIT = 2 ** 32;
const FILE_NUMBER_LIMIT = 2 ** 21;

interface CacheEntry {
  readonly key: number;
  readonly fileNumber: number;
  block: Block;
  chargeBytes: number;
  previous: CacheEntry | undefined;
  next: CacheEntry | undefined;
}

export interface BlockCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly usageBytes: number;
  readonly capacityBytes: number;
  readonly entryCount: number;
}

export class BlockCache {
  readonly capacityBytes: number;
  private readonly entries = new Map<number, CacheEntry>();
  private readonly entriesByFile = new Map<number, Set<CacheEntry>>();
  /** Least recently used. */
  private head: CacheEntry | undefined = undefined;
  /** Most recently used. */
  private tail: CacheEntry | undefined = undefined;
  private usage = 0;
  private hitCount = 0;
  private missCount = 0;

  constructor(capacityBytes: number) {
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0) {
      throw new StorageError('INVALID_ARGUMENT', `BlockCache: capacity must be a non-negative integer of bytes, got ${capacityBytes}`);
    }
    this.capacityBytes = capacityBytes;
  }

  get stats(): BlockCacheStats {
    return {
      hits: this.hitCount,
      misses: this.missCount,
      usageBytes: this.usage,
      capacityBytes: this.capacityBytes,
      entryCount: this.entries.size,
    };
  }

  /** The cached block at (fileNumber, offset), now the most recently used; counts a hit or a miss. */
  get(fileNumber: number, offset: number): Block | undefined {
    const entry = this.entries.get(cacheKey(fileNumber, offset));
    if (entry === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    if (entry !== this.tail) {
      this.unlink(entry);
      this.append(entry);
    }
    return entry.block;
  }

  /** Caches `block`, replacing any block at the same place, then evicts until within capacity. */
  insert(fileNumber: number, offset: number, block: Block, chargeBytes: number): void {
    if (!Number.isSafeInteger(chargeBytes) || chargeBytes < 0) {
      throw new StorageError('INVALID_ARGUMENT', `BlockCache.insert: charge must be a non-negative integer, got ${chargeBytes}`);
    }
    const key = cacheKey(fileNumber, offset);
    const existing = this.entries.get(key);
    if (existing !== undefined) this.remove(existing);
    if (chargeBytes > this.capacityBytes) return;
    const entry: CacheEntry = { key, fileNumber, block, chargeBytes, previous: undefined, next: undefined };
    this.entries.set(key, entry);
    let fileEntries = this.entriesByFile.get(fileNumber);
    if (fileEntries === undefined) {
      fileEntries = new Set();
      this.entriesByFile.set(fileNumber, fileEntries);
    }
    fileEntries.add(entry);
    this.append(entry);
    this.usage += chargeBytes;
    while (this.usage > this.capacityBytes && this.head !== undefined) this.remove(this.head);
  }

  /** Drops every block of `fileNumber` (its table was deleted). */
  evictFile(fileNumber: number): void {
    const fileEntries = this.entriesByFile.get(fileNumber);
    if (fileEntries === undefined) return;
    for (const entry of [...fileEntries]) this.remove(entry);
  }

  private remove(entry: CacheEntry): void {
    this.entries.delete(entry.key);
    const fileEntries = this.entriesByFile.get(entry.fileNumber)!;
    fileEntries.delete(entry);
    if (fileEntries.size === 0) this.entriesByFile.delete(entry.fileNumber);
    this.unlink(entry);
    this.usage -= entry.chargeBytes;
  }

  private unlink(entry: CacheEntry): void {
    if (entry.previous === undefined) this.head = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === undefined) this.tail = entry.previous;
    else entry.next.previous = entry.previous;
    entry.previous = undefined;
    entry.next = undefined;
  }

  private append(entry: CacheEntry): void {
    entry.previous = this.tail;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
  }
}

function cacheKey(fileNumber: number, offset: number): number {
  if (!(Number.isInteger(fileNumber) && fileNumber >= 0 && fileNumber < FILE_NUMBER_LIMIT)) {
    throw new StorageError('INVALID_ARGUMENT', `BlockCache: file number ${fileNumber} is outside [0, 2^21)`);
  }
  if (!(Number.isInteger(offset) && offset >= 0 && offset < OFFSET_LIMIT)) {
    throw new StorageError('INVALID_ARGUMENT', `BlockCache: offset ${offset} is outside [0, 2^32)`);
  }
  return fileNumber * OFFSET_LIMIT + offset;
}
