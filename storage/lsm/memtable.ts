// The memtable: the newest writes, in memory, ordered by internal key, until they are flushed to a
// table. Point records (puts and deletions) go into an ordered index of internal keys (a B+tree,
// memtable-btree.ts, over an arena of entries, memtable-arena.ts); range deletions go into a separate
// tombstone list, which readers combine with the other sources' tombstones (range-tombstones.ts), so
// point lookups and iterators here ignore them.
//
// Invariants: one writer at a time (the database serialises writes); an internal key is added at most
// once; bytes are copied on add and never move or change afterwards, so the views that get() and
// iterators hand out stay valid as long as the memtable is referenced. Readers may run between writes:
// an iterator made earlier stays valid and may see later entries, which reads filter out by sequence.

import { StorageError } from '../env/errors.js';
import type { KeyValueIterator } from './iterator.js';
import {
  TRAILER_SIZE_BYTES,
  VALUE_TYPE_FOR_SEEK,
  ValueType,
  compareBytes,
  isSequence,
  isValueType,
  sequenceOf,
  valueTypeOf,
} from './internal-key.js';
import { RangeTombstoneSet, type RangeTombstone } from './range-tombstones.js';
import { MemTableBTree } from './memtable-btree.js';
import { trailerHighOf, trailerLowOf } from './memtable-arena.js';
import type { WriteBatch } from './write-batch.js';

/** What a memtable knows of a user key at a sequence, range tombstones aside. */
export type MemTableGetResult = { kind: 'value'; value: Uint8Array } | { kind: 'deleted' } | undefined;

const DELETED: MemTableGetResult = Object.freeze({ kind: 'deleted' as const });
// Bytes charged per range tombstone beyond its keys: the object and its slot in the list.
const TOMBSTONE_OVERHEAD_BYTES = 64;

export class MemTable {
  private readonly tree = new MemTableBTree();
  private readonly tombstones: RangeTombstone[] = [];
  private tombstoneBytes = 0;
  private tombstoneSetCache: RangeTombstoneSet | undefined;
  private smallest = -1;
  private largest = -1;

  /** Records whose bytes are held: point entries plus range tombstones. */
  get entryCount(): number {
    return this.tree.entryCount + this.tombstones.length;
  }

  /**
   * Bytes of keys, values and index held, the measure the database flushes on. The memory reserved is
   * somewhat larger (arena chunks and the tree's arrays grow in steps); see memoryReservedBytes.
   */
  get approximateSizeBytes(): number {
    return this.tree.usedBytes + this.tombstoneBytes;
  }

  /** Bytes of memory allocated for this memtable's arrays. */
  get memoryReservedBytes(): number {
    return this.tree.reservedBytes + this.tombstoneBytes;
  }

  /** The smallest sequence added, or -1 while empty. */
  get smallestSequence(): number {
    return this.smallest;
  }

  /** The largest sequence added, or -1 while empty. */
  get largestSequence(): number {
    return this.largest;
  }

  /**
   * Adds one record, copying `userKey` and `value`. For a RangeDeletion, `userKey` is the start and
   * `value` the end (exclusive) of the range; for a Deletion, `value` is ignored.
   */
  add(sequence: number, type: ValueType, userKey: Uint8Array, value: Uint8Array): void {
    if (!isSequence(sequence)) throw new StorageError('INVALID_ARGUMENT', `memtable: invalid sequence ${sequence}`);
    if (!isValueType(type)) throw new StorageError('INVALID_ARGUMENT', `memtable: unknown value type ${type}`);
    if (type === ValueType.RangeDeletion) {
      if (compareBytes(userKey, userKey.length, value, value.length) > 0) {
        throw new StorageError('INVALID_ARGUMENT', 'memtable: range deletion start sorts after its end');
      }
      // new Uint8Array(view) copies; Buffer.prototype.slice would not.
      this.tombstones.push({ start: new Uint8Array(userKey), end: new Uint8Array(value), sequence });
      this.tombstoneBytes += userKey.length + value.length + TOMBSTONE_OVERHEAD_BYTES;
      this.tombstoneSetCache = undefined;
    } else {
      this.tree.insert(userKey, sequence, type, type === ValueType.Deletion ? EMPTY : value);
    }
    if (this.smallest < 0 || sequence < this.smallest) this.smallest = sequence;
    if (sequence > this.largest) this.largest = sequence;
  }

  /** Adds every record of `batch`, the i-th at baseSequence + i. */
  addBatch(batch: WriteBatch, baseSequence: number): void {
    let sequence = baseSequence;
    batch.forEach((type, key, value) => this.add(sequence++, type, key, value));
  }

  /**
   * The newest version of `userKey` with a sequence <= `sequence`: its value, or that it was deleted,
   * or undefined when the memtable holds no such version. Range tombstones are not consulted. A value
   * is a view into the memtable, valid as long as the memtable is.
   */
  get(userKey: Uint8Array, sequence: number): MemTableGetResult {
    const tree = this.tree;
    const entry = tree.findGreaterOrEqual(userKey, trailerHighOf(sequence), trailerLowOf(sequence, VALUE_TYPE_FOR_SEEK));
    if (entry < 0 || !tree.arena.hasUserKey(entry, userKey)) return undefined;
    if (tree.arena.type(entry) === ValueType.Deletion) return DELETED;
    return { kind: 'value', value: tree.arena.value(entry) };
  }

  /** Throws when the index's structural invariants do not hold. Linear in the size: for tests. */
  checkInvariants(): void {
    this.tree.checkInvariants();
  }

  /** An iterator over the point entries, by internal key; keys are internal keys. */
  iterator(): KeyValueIterator {
    return new MemTableIterator(this.tree);
  }

  /** The range tombstones added so far: a new array, holding the memtable's own (unchangeable) tombstones. */
  rangeTombstones(): RangeTombstone[] {
    return this.tombstones.slice();
  }

  /** The range tombstones as a query index, rebuilt only after a new one is added. */
  rangeTombstoneSet(): RangeTombstoneSet {
    if (this.tombstoneSetCache === undefined) {
      this.tombstoneSetCache = this.tombstones.length === 0 ? RangeTombstoneSet.EMPTY : new RangeTombstoneSet(this.tombstones);
    }
    return this.tombstoneSetCache;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A cursor over the tree: (leaf, index) is where `entry` was last seen; entry -1 means not positioned.
 * An insert between two steps may shift the entry within its leaf or move it to a new leaf, so each
 * step first checks the slot and re-finds the entry by its key when it moved.
 */
class MemTableIterator implements KeyValueIterator {
  private leaf = 0;
  private index = 0;
  private entry = -1;

  constructor(private readonly tree: MemTableBTree) {}

  valid(): boolean {
    return this.entry >= 0;
  }
  seekToFirst(): void {
    this.settle(this.tree.firstLeaf(), 0);
  }
  seekToLast(): void {
    const leaf = this.tree.lastLeafId();
    this.settle(leaf, this.tree.countOf(leaf) - 1);
  }
  seek(target: Uint8Array): void {
    const userKey = checkedUserKey(target);
    const sequence = sequenceOf(target);
    const entry = this.tree.findGreaterOrEqual(userKey, trailerHighOf(sequence), trailerLowOf(sequence, valueTypeOf(target)));
    if (entry < 0) this.entry = -1;
    else this.settle(this.tree.foundLeaf, this.tree.foundIndex);
  }
  seekForPrev(target: Uint8Array): void {
    const userKey = checkedUserKey(target);
    const sequence = sequenceOf(target);
    const high = trailerHighOf(sequence);
    const low = trailerLowOf(sequence, valueTypeOf(target));
    const entry = this.tree.findGreaterOrEqual(userKey, high, low);
    if (entry >= 0 && this.tree.arena.compare(entry, userKey, high, low, 0) === 0) {
      this.settle(this.tree.foundLeaf, this.tree.foundIndex);
      return;
    }
    // One step back from the first entry > target (or from the end).
    this.stepBack(this.tree.foundLeaf, this.tree.foundIndex);
  }
  next(): void {
    this.revalidate();
    const tree = this.tree;
    if (this.index + 1 < tree.countOf(this.leaf)) {
      this.settle(this.leaf, this.index + 1);
    } else {
      const following = tree.nextLeaf(this.leaf);
      if (following < 0) this.entry = -1;
      else this.settle(following, 0);
    }
  }
  prev(): void {
    this.revalidate();
    this.stepBack(this.leaf, this.index);
  }
  key(): Uint8Array {
    return this.tree.arena.internalKey(this.entry);
  }
  value(): Uint8Array {
    return this.tree.arena.value(this.entry);
  }
  close(): void {
    this.entry = -1;
  }

  /** Positions at slot `index` of `leaf`, or invalid when the slot is outside the leaf. */
  private settle(leaf: number, index: number): void {
    if (index < 0 || index >= this.tree.countOf(leaf)) {
      this.entry = -1;
      return;
    }
    this.leaf = leaf;
    this.index = index;
    this.entry = this.tree.entryAt(leaf, index);
  }

  /** Positions at the entry just before slot `index` of `leaf`. */
  private stepBack(leaf: number, index: number): void {
    if (index > 0) {
      this.settle(leaf, index - 1);
      return;
    }
    const previous = this.tree.previousLeaf(leaf);
    if (previous < 0) this.entry = -1;
    else this.settle(previous, this.tree.countOf(previous) - 1);
  }

  private revalidate(): void {
    const tree = this.tree;
    if (this.index < tree.countOf(this.leaf) && tree.entryAt(this.leaf, this.index) === this.entry) return;
    tree.locate(this.entry);
    this.leaf = tree.foundLeaf;
    this.index = tree.foundIndex;
  }
}

function checkedUserKey(internalKey: Uint8Array): Uint8Array {
  if (internalKey.length < TRAILER_SIZE_BYTES) {
    throw new StorageError('INVALID_ARGUMENT', `memtable: seek target of ${internalKey.length} bytes is not an internal key`);
  }
  return internalKey.subarray(0, internalKey.length - TRAILER_SIZE_BYTES);
}
