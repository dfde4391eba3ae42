// The merge of several sorted sources (memtables, level-0 tables, the deeper levels) into one sorted
// stream, forward and backward: LevelDB's MergingIterator. The merge order is (key, child index): an
// entry present in several children is yielded once per child, lower child index first going forward,
// and the stream is exactly the reverse going backward, across direction switches too (where LevelDB
// would skip such duplicates). Each child's own keys must be strictly increasing.
//
// Invariants, between calls, with "before"/"after" in merge order:
//  - going forward, every valid child other than the current one is positioned at its first entry
//    after the current entry; the current child holds the first of all the children's entries;
//  - going backward, every valid child other than the current one is positioned at its last entry
//    before the current entry; the current child holds the last of them;
//  - keys[i] is child i's key, or undefined when child i is invalid (a cache: a child's key view stays
//    valid until that child moves, and only one child moves per step).
// Switching direction re-positions every other child (a seek, then at most one step), as LevelDB does.
//
// With up to LINEAR_CHILDREN_MAX children the current one is found by a linear scan of the cached
// keys; with more, a binary heap of child indices ordered for the direction (min-heap forward,
// max-heap backward) makes a step O(log n) comparisons.

import type { Comparator } from './comparator.js';
import type { KeyValueIterator } from './iterator.js';

/** Up to this many children, a linear scan beats the heap's bookkeeping. */
export const LINEAR_CHILDREN_MAX = 4;

const enum Direction {
  Forward,
  Reverse,
}

export class MergingIterator implements KeyValueIterator {
  private readonly keys: (Uint8Array | undefined)[];
  private readonly useHeap: boolean;
  private readonly heap: Int32Array;
  private heapSize = 0;
  private current = -1;
  private direction = Direction.Forward;
  private closed = false;

  constructor(
    private readonly comparator: Comparator,
    private readonly children: KeyValueIterator[],
  ) {
    this.keys = new Array<Uint8Array | undefined>(children.length).fill(undefined);
    this.useHeap = children.length > LINEAR_CHILDREN_MAX;
    this.heap = new Int32Array(this.useHeap ? children.length : 0);
  }

  valid(): boolean {
    return this.current >= 0;
  }

  seekToFirst(): void {
    for (let i = 0; i < this.children.length; i++) {
      this.children[i]!.seekToFirst();
      this.refresh(i);
    }
    this.direction = Direction.Forward;
    this.arrange();
  }

  seekToLast(): void {
    for (let i = 0; i < this.children.length; i++) {
      this.children[i]!.seekToLast();
      this.refresh(i);
    }
    this.direction = Direction.Reverse;
    this.arrange();
  }

  seek(target: Uint8Array): void {
    for (let i = 0; i < this.children.length; i++) {
      this.children[i]!.seek(target);
      this.refresh(i);
    }
    this.direction = Direction.Forward;
    this.arrange();
  }

  seekForPrev(target: Uint8Array): void {
    for (let i = 0; i < this.children.length; i++) {
      this.children[i]!.seekForPrev(target);
      this.refresh(i);
    }
    this.direction = Direction.Reverse;
    this.arrange();
  }

  next(): void {
    const current = this.current;
    if (this.direction !== Direction.Forward) {
      // Every other child sits before key() in merge order; move each to its first entry after it:
      // children before `current` to their first key > key(), children after it to their first >=.
      const key = this.keys[current]!;
      for (let i = 0; i < this.children.length; i++) {
        if (i === current) continue;
        const child = this.children[i]!;
        child.seek(key);
        if (i < current && child.valid() && this.comparator.compare(key, child.key()) === 0) child.next();
        this.refresh(i);
      }
      this.direction = Direction.Forward;
      this.children[current]!.next();
      this.refresh(current);
      this.arrange();
      return;
    }
    this.children[current]!.next();
    this.refresh(current);
    this.advance(current);
  }

  prev(): void {
    const current = this.current;
    if (this.direction !== Direction.Reverse) {
      // Every other child sits after key() in merge order; move each to its last entry before it:
      // children before `current` to their last key <= key(), children after it to their last <.
      const key = this.keys[current]!;
      for (let i = 0; i < this.children.length; i++) {
        if (i === current) continue;
        const child = this.children[i]!;
        if (i < current) {
          child.seekForPrev(key);
        } else {
          child.seek(key);
          if (child.valid()) child.prev();
          else child.seekToLast();
        }
        this.refresh(i);
      }
      this.direction = Direction.Reverse;
      this.children[current]!.prev();
      this.refresh(current);
      this.arrange();
      return;
    }
    this.children[current]!.prev();
    this.refresh(current);
    this.advance(current);
  }

  key(): Uint8Array {
    return this.keys[this.current]!;
  }

  value(): Uint8Array {
    return this.children[this.current]!.value();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current = -1;
    for (const child of this.children) child.close();
  }

  private refresh(index: number): void {
    const child = this.children[index]!;
    this.keys[index] = child.valid() ? child.key() : undefined;
  }

  /** True when child a comes before child b in the current direction. */
  private before(a: number, b: number): boolean {
    const order = this.comparator.compare(this.keys[a]!, this.keys[b]!);
    if (this.direction === Direction.Forward) return order < 0 || (order === 0 && a < b);
    return order > 0 || (order === 0 && a > b);
  }

  /** Chooses the current child from scratch, after every child may have moved. */
  private arrange(): void {
    if (this.useHeap) {
      this.heapSize = 0;
      for (let i = 0; i < this.children.length; i++) {
        if (this.keys[i] !== undefined) this.heap[this.heapSize++] = i;
      }
      for (let i = (this.heapSize >>> 1) - 1; i >= 0; i--) this.siftDown(i);
      this.current = this.heapSize > 0 ? this.heap[0]! : -1;
      return;
    }
    let best = -1;
    for (let i = 0; i < this.children.length; i++) {
      if (this.keys[i] !== undefined && (best < 0 || this.before(i, best))) best = i;
    }
    this.current = best;
  }

  /** Chooses the current child after only `moved` (the previous current one) stepped. */
  private advance(moved: number): void {
    if (!this.useHeap) {
      this.arrange();
      return;
    }
    // `moved` is the heap's top: sift it down to its new place, or drop it when exhausted.
    if (this.keys[moved] === undefined) {
      this.heapSize--;
      this.heap[0] = this.heap[this.heapSize]!;
    }
    if (this.heapSize > 0) this.siftDown(0);
    this.current = this.heapSize > 0 ? this.heap[0]! : -1;
  }

  private siftDown(position: number): void {
    const heap = this.heap;
    const size = this.heapSize;
    const item = heap[position]!;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      if (child + 1 < size && this.before(heap[child + 1]!, heap[child]!)) child++;
      if (!this.before(heap[child]!, item)) break;
      heap[position] = heap[child]!;
      position = child;
    }
    heap[position] = item;
  }
}
