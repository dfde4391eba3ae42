// The iterator every sorted source in the engine implements: a memtable, a block, a table, a level,
// the merge of all of them, and the user-facing iterator over the database. LevelDB's shape: an
// iterator is positioned at an entry or invalid; seek moves to the first entry at or after a target.
//
// `key()` and `value()` may return views into buffers the iterator owns; they are valid until the
// next call that moves the iterator. A caller that keeps them copies them.

export interface KeyValueIterator {
  valid(): boolean;
  seekToFirst(): void;
  seekToLast(): void;
  /** Positions at the first entry whose key is >= target. */
  seek(target: Uint8Array): void;
  /** Positions at the last entry whose key is <= target. */
  seekForPrev(target: Uint8Array): void;
  next(): void;
  prev(): void;
  /** Requires valid(). */
  key(): Uint8Array;
  /** Requires valid(). */
  value(): Uint8Array;
  /** Releases what the iterator pins (table files, cached blocks). Idempotent. */
  close(): void;
}

/**
 * An iterator over entries[begin, end) of a sorted array that is not mutated while the iterator lives,
 * for tests and small in-memory sources.
 */
export class ArrayIterator implements KeyValueIterator {
  private position: number;
  private readonly begin: number;
  private readonly end: number;

  constructor(
    private readonly entries: readonly (readonly [Uint8Array, Uint8Array])[],
    private readonly compare: (a: Uint8Array, b: Uint8Array) => number,
    begin = 0,
    end = entries.length,
  ) {
    if (!(0 <= begin && begin <= end && end <= entries.length)) {
      throw new RangeError(`ArrayIterator: bad range [${begin}, ${end}) of ${entries.length} entries`);
    }
    this.begin = begin;
    this.end = end;
    this.position = end;
  }

  valid(): boolean {
    return this.position >= this.begin && this.position < this.end;
  }
  seekToFirst(): void {
    this.position = this.begin;
  }
  seekToLast(): void {
    this.position = this.end - 1;
  }
  seek(target: Uint8Array): void {
    let low = this.begin;
    let high = this.end;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compare(this.entries[middle]![0], target) < 0) low = middle + 1;
      else high = middle;
    }
    this.position = low;
  }
  seekForPrev(target: Uint8Array): void {
    this.seek(target);
    if (!this.valid() || this.compare(this.entries[this.position]![0], target) > 0) this.position--;
  }
  next(): void {
    this.position++;
  }
  prev(): void {
    this.position--;
  }
  key(): Uint8Array {
    return this.entries[this.position]![0];
  }
  value(): Uint8Array {
    return this.entries[this.position]![1];
  }
  close(): void {}
}
