// Range tombstones and the index that answers "is this point entry deleted by a range deletion?".
//
// A range tombstone deletes every user key in [start, end) written before it: a point entry with
// sequence s is deleted, for a reader at readSequence, iff some tombstone covering its user key has a
// sequence t with s < t <= readSequence. Tombstones from different sources (memtables, tables) overlap
// freely, so the index first fragments them (RocksDB's FragmentedRangeTombstoneList): the starts and
// ends of all tombstones cut the key space into disjoint fragments, each holding the ascending list of
// the sequences of the tombstones that cover it whole. A query is a binary search for the fragment
// holding the key, then a binary search of its sequences for the largest one <= readSequence.
//
// Invariants of a built set: fragments are sorted, non-empty (start < end) and disjoint; each fragment's
// sequence list is ascending, duplicate-free and non-empty; adjacent fragments that touch never carry
// equal lists (they are merged). A set never changes once built; sets from several sources are combined
// with RangeTombstoneSet.union without rebuilding them.

import { StorageError } from '../env/errors.js';
import { compareBytes, isSequence } from './internal-key.js';

/** A deletion of the user keys in [start, end) at `sequence`. */
export interface RangeTombstone {
  readonly start: Uint8Array;
  /** Exclusive. */
  readonly end: Uint8Array;
  readonly sequence: number;
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return compareBytes(a, a.length, b, b.length);
}

/** One source's tombstones, fragmented. */
class FragmentList {
  readonly starts: Uint8Array[] = [];
  readonly ends: Uint8Array[] = [];
  readonly sequences: number[][] = [];

  constructor(tombstones: readonly RangeTombstone[]) {
    const live = tombstones.filter((tombstone) => {
      if (!isSequence(tombstone.sequence)) {
        throw new StorageError('INVALID_ARGUMENT', `range tombstone with invalid sequence ${tombstone.sequence}`);
      }
      return compareKeys(tombstone.start, tombstone.end) < 0;
    });
    if (live.length === 0) return;
    live.sort((a, b) => compareKeys(a.start, b.start));

    const boundaries: Uint8Array[] = [];
    for (const tombstone of live) boundaries.push(tombstone.start, tombstone.end);
    boundaries.sort(compareKeys);

    // Sweep the boundaries in order, keeping the tombstones that cover [boundary, next boundary).
    let active: RangeTombstone[] = [];
    let nextToAdd = 0;
    for (let i = 0; i < boundaries.length - 1; i++) {
      const left = boundaries[i]!;
      const right = boundaries[i + 1]!;
      if (compareKeys(left, right) === 0) continue;
      while (nextToAdd < live.length && compareKeys(live[nextToAdd]!.start, left) <= 0) active.push(live[nextToAdd++]!);
      active = active.filter((tombstone) => compareKeys(tombstone.end, left) > 0);
      if (active.length === 0) continue;
      const sequences = [...new Set(active.map((tombstone) => tombstone.sequence))].sort((a, b) => a - b);
      const last = this.starts.length - 1;
      if (last >= 0 && compareKeys(this.ends[last]!, left) === 0 && sameList(this.sequences[last]!, sequences)) {
        this.ends[last] = right;
      } else {
        this.starts.push(left);
        this.ends.push(right);
        this.sequences.push(sequences);
      }
    }
  }

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  maxCoveringSequence(userKey: Uint8Array, readSequence: number): number {
    // The last fragment whose start is <= userKey.
    const starts = this.starts;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(starts[middle]!, userKey) <= 0) low = middle + 1;
      else high = middle;
    }
    const fragment = low - 1;
    if (fragment < 0 || compareKeys(userKey, this.ends[fragment]!) >= 0) return -1;
    // The largest sequence <= readSequence in the ascending list.
    const sequences = this.sequences[fragment]!;
    low = 0;
    high = sequences.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sequences[middle]! <= readSequence) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? -1 : sequences[low - 1]!;
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The range tombstones visible to a read, from one source or the union of many. */
export class RangeTombstoneSet {
  static readonly EMPTY = new RangeTombstoneSet([]);

  // Written only by the constructor and union(); never changed afterwards.
  private parts: readonly FragmentList[];

  /**
   * Fragments `tombstones`. The set keeps references to their start and end arrays, which must not
   * change afterwards. Empty ranges (start >= end) delete nothing and are dropped.
   */
  constructor(tombstones: readonly RangeTombstone[]) {
    const list = new FragmentList(tombstones);
    this.parts = list.isEmpty ? [] : [list];
  }

  /** The union of several sets, answering as one without re-fragmenting them. */
  static union(sets: readonly RangeTombstoneSet[]): RangeTombstoneSet {
    const union = new RangeTombstoneSet([]);
    union.parts = sets.flatMap((set) => set.parts);
    return union;
  }

  /** True when no tombstone covers any key: every query answers -1 without searching. */
  get isEmpty(): boolean {
    return this.parts.length === 0;
  }

  /** The largest sequence <= readSequence of a tombstone covering userKey, or -1 if there is none. */
  maxCoveringSequence(userKey: Uint8Array, readSequence: number): number {
    const parts = this.parts;
    let max = -1;
    for (let i = 0; i < parts.length; i++) {
      const sequence = parts[i]!.maxCoveringSequence(userKey, readSequence);
      if (sequence > max) max = sequence;
    }
    return max;
  }

  /**
   * True when the point entry (userKey, sequence) is deleted by a tombstone visible at readSequence,
   * that is, one covering userKey with a sequence in (sequence, readSequence].
   */
  isCovered(userKey: Uint8Array, sequence: number, readSequence: number): boolean {
    if (this.parts.length === 0) return false;
    return this.maxCoveringSequence(userKey, readSequence) > sequence;
  }
}
