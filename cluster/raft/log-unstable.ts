// The unstable part of the Raft log: entries (and at most one incoming snapshot) that Raft holds but
// the caller has not yet persisted. Once a Ready carrying them is persisted and advanced, they become
// stable and are dropped from here (storage then answers for them).
//
// Invariants:
// - entries[i] has index offset + i.
// - With a snapshot pending, offset = snapshot index + 1 (entries, if any, follow the snapshot).
// - offset - 1 is the last index known to be persisted and to agree with this log: every entry below
//   offset is in storage (or covered by its snapshot), and storage entries at or above offset, if any,
//   are a stale tail that the next persisted Ready overwrites.

import { invariant } from './errors.js';
import type { Entry, Snapshot } from './types.js';

export class UnstableLog {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** The first index if a snapshot is pending (the index right after it); else undefined. */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  /** The last index held here (entries, else the snapshot); undefined if neither. */
  maybeLastIndex(): number | undefined {
    if (this.entries.length !== 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  /** The term at `index` if this part of the log knows it; else undefined. */
  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const position = index - this.offset;
    return position < this.entries.length ? this.entries[position]!.term : undefined;
  }

  /**
   * Marks entries up to (index, term) as persisted. Ignored when the log no longer holds that entry
   * (it was truncated and replaced after the Ready was handed out, or a snapshot replaced it): then the
   * replacement is still unstable and goes out in the next Ready. Returns whether anything changed.
   */
  stableTo(index: number, term: number): boolean {
    if (index < this.offset) return false;
    const position = index - this.offset;
    if (position >= this.entries.length || this.entries[position]!.term !== term) return false;
    this.entries = this.entries.slice(position + 1);
    this.offset = index + 1;
    return true;
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends entries, dropping whatever held their indexes or later ones. */
  truncateAndAppend(newEntries: readonly Entry[]): void {
    const fromIndex = newEntries[0]!.index;
    if (fromIndex === this.offset + this.entries.length) {
      for (const entry of newEntries) this.entries.push(entry);
    } else if (fromIndex <= this.offset) {
      // The new entries replace everything unstable, and perhaps a stale tail of storage too.
      this.offset = fromIndex;
      this.entries = newEntries.slice();
    } else {
      this.entries = this.slice(this.offset, fromIndex);
      for (const entry of newEntries) this.entries.push(entry);
    }
  }

  /** A copy of the entries in [lowIndex, highIndex), which must lie within this part of the log. */
  slice(lowIndex: number, highIndex: number): Entry[] {
    invariant(
      this.offset <= lowIndex && lowIndex <= highIndex && highIndex <= this.offset + this.entries.length,
      'unstable-slice-in-bounds',
      () => `slice [${lowIndex}, ${highIndex}) outside unstable [${this.offset}, ${this.offset + this.entries.length})`,
    );
    return this.entries.slice(lowIndex - this.offset, highIndex - this.offset);
  }
}
