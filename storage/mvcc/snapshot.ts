// What the MVCC layer needs from storage: a consistent, read-only view of the node's ordered key space
// (an LSM snapshot satisfies it: `get` and `iterator` at the snapshot's sequence), and an in-memory
// store behind the same interface, for tests and for layers above that are tested before the LSM.
//
// Iterator bounds are LevelDB's: the iterator shows exactly the keys in [lowerBound, upperBound); a
// seek below lowerBound lands on the first key in bounds, and an iterator never becomes valid on a key
// outside them.
//
// MemoryMvccStore keeps its entries in one array sorted by unsigned bytes. Applying a batch builds a new
// array (copy on write), so a snapshot is the array of its moment and never changes: the isolation an
// LSM snapshot gives. Fine for tests; no store of production size belongs in it.

import { ArrayIterator, type KeyValueIterator } from '../lsm/iterator.js';
import { ValueType } from '../lsm/internal-key.js';
import type { WriteBatch } from '../lsm/write-batch.js';
import { copyBytes } from '../lsm/coding.js';

export interface IteratorBounds {
  readonly lowerBound?: Uint8Array | undefined;
  readonly upperBound?: Uint8Array | undefined;
}

/** A consistent read-only view of the key space at one moment. */
export interface MvccSnapshot {
  get(key: Uint8Array): Uint8Array | undefined;
  iterator(options: IteratorBounds): KeyValueIterator;
}

type Entry = readonly [Uint8Array, Uint8Array];

const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

/** The first index in `entries` whose key is >= `key`. */
function lowerBoundIndex(entries: readonly Entry[], key: Uint8Array, from = 0, to = entries.length): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(entries[middle]![0], key) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

class MemorySnapshot implements MvccSnapshot {
  constructor(private readonly entries: readonly Entry[]) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const index = lowerBoundIndex(this.entries, key);
    const entry = this.entries[index];
    return entry !== undefined && compare(entry[0], key) === 0 ? entry[1] : undefined;
  }

  iterator(options: IteratorBounds): KeyValueIterator {
    const begin = options.lowerBound === undefined ? 0 : lowerBoundIndex(this.entries, options.lowerBound);
    const end = options.upperBound === undefined ? this.entries.length : lowerBoundIndex(this.entries, options.upperBound);
    return new ArrayIterator(this.entries, compare, begin, Math.max(begin, end));
  }
}

/** An in-memory ordered key-value store whose snapshots are immutable. */
export class MemoryMvccStore {
  private entries: readonly Entry[] = [];

  /** A view of the store as it is now; later applies do not change it. */
  snapshot(): MvccSnapshot {
    return new MemorySnapshot(this.entries);
  }

  /** Applies every record of `batch` atomically, in order. */
  apply(batch: WriteBatch): void {
    if (batch.count === 0) return;
    const next = this.entries.slice();
    batch.forEach((type, key, value) => {
      if (type === ValueType.Value) {
        const index = lowerBoundIndex(next, key);
        const entry: Entry = [copyBytes(key), copyBytes(value)];
        if (index < next.length && compare(next[index]![0], key) === 0) next[index] = entry;
        else next.splice(index, 0, entry);
      } else if (type === ValueType.Deletion) {
        const index = lowerBoundIndex(next, key);
        if (index < next.length && compare(next[index]![0], key) === 0) next.splice(index, 1);
      } else {
        const begin = lowerBoundIndex(next, key);
        const end = lowerBoundIndex(next, value);
        if (end > begin) next.splice(begin, end - begin);
      }
    });
    this.entries = next;
  }

  /** Every entry, in order (for tests that inspect the raw families). */
  allEntries(): readonly Entry[] {
    return this.entries;
  }

  get size(): number {
    return this.entries.length;
  }
}
