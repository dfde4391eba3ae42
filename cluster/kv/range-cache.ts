// The routing client's cache of range descriptors and of which node leads each range. Descriptors are
// kept sorted by start key with no two overlapping; inserting a descriptor evicts every cached one that
// overlaps it unless that one is newer (higher generation), so a cache fed by lookups, mismatch answers
// and splits converges on the current tiling. A miss or a stale entry is never an error: the sender
// looks the range up in the meta range, or retries with the descriptors a mismatch answer carried.

import { type RangeDescriptor, spanContainsKey } from '../placement/range-descriptor.js';

function overlaps(a: RangeDescriptor, b: RangeDescriptor): boolean {
  const aEndsBeforeB = a.endKey !== undefined && Buffer.compare(a.endKey, b.startKey) <= 0;
  const bEndsBeforeA = b.endKey !== undefined && Buffer.compare(b.endKey, a.startKey) <= 0;
  return !aEndsBeforeB && !bEndsBeforeA;
}

export class RangeCache {
  private sorted: RangeDescriptor[] = [];
  private readonly leaders = new Map<number, number>();

  get size(): number {
    return this.sorted.length;
  }

  /** The cached descriptor of the range holding `key`, if any. */
  lookup(key: Uint8Array): RangeDescriptor | undefined {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare(this.sorted[middle]!.startKey, key) <= 0) low = middle + 1;
      else high = middle;
    }
    const candidate = this.sorted[low - 1];
    return candidate !== undefined && spanContainsKey(candidate, key) ? candidate : undefined;
  }

  /** The descriptor holding the key just below `key` (for reverse scans ending at `key`). */
  lookupBefore(key: Uint8Array): RangeDescriptor | undefined {
    let low = 0;
    let high = this.sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare(this.sorted[middle]!.startKey, key) < 0) low = middle + 1;
      else high = middle;
    }
    const candidate = this.sorted[low - 1];
    if (candidate === undefined) return undefined;
    return candidate.endKey === undefined || Buffer.compare(candidate.endKey, key) >= 0 ? candidate : undefined;
  }

  insert(descriptors: readonly RangeDescriptor[]): void {
    for (const descriptor of descriptors) {
      const overlapping = this.sorted.filter((cached) => overlaps(cached, descriptor));
      if (overlapping.some((cached) => cached.generation > descriptor.generation && cached.rangeId !== descriptor.rangeId)) continue;
      if (overlapping.some((cached) => cached.rangeId === descriptor.rangeId && cached.generation > descriptor.generation)) continue;
      this.sorted = this.sorted.filter((cached) => !overlaps(cached, descriptor));
      let index = 0;
      while (index < this.sorted.length && Buffer.compare(this.sorted[index]!.startKey, descriptor.startKey) < 0) index++;
      this.sorted.splice(index, 0, descriptor);
    }
  }

  /** Forgets a range (after RANGE_NOT_FOUND, or a mismatch without descriptors). */
  evict(rangeId: number): void {
    this.sorted = this.sorted.filter((cached) => cached.rangeId !== rangeId);
    this.leaders.delete(rangeId);
  }

  leaderOf(rangeId: number): number | undefined {
    return this.leaders.get(rangeId);
  }

  setLeader(rangeId: number, nodeId: number | undefined): void {
    if (nodeId === undefined) this.leaders.delete(rangeId);
    else this.leaders.set(rangeId, nodeId);
  }

  all(): readonly RangeDescriptor[] {
    return this.sorted;
  }
}
