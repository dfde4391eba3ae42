// The Raft log as the algorithm sees it: persisted entries (read through LogStorage) followed by the
// unstable tail that the next Ready hands to the caller to persist, plus the committed and applied
// indexes. After etcd-io/raft's raftLog.
//
// Invariants (asserted):
// - applied <= committed <= lastIndex(); neither index ever decreases.
// - A committed entry is never truncated or replaced: appends only ever start after `committed`.
// - Indexes are contiguous: the entry after lastIndex() is the next to append, and firstIndex()-1 is
//   the snapshot's (or the dummy's) index, whose term is still known.

import { invariant } from './errors.js';
import { UnstableLog } from './log-unstable.js';
import type { LogStorage } from './storage.js';
import { type Entry, entrySizeBytes, limitSize, type Snapshot } from './types.js';

export class RaftLog {
  readonly storage: LogStorage;
  readonly unstable: UnstableLog;
  /** The highest index known to be stored on a quorum. */
  committed: number;
  /** The highest index the application has applied (reported through advance()). */
  applied: number;
  /** Limit on the committed entries one Ready hands out for application. */
  private readonly maxCommittedSizePerReadyBytes: number;

  constructor(storage: LogStorage, maxCommittedSizePerReadyBytes: number) {
    this.storage = storage;
    this.maxCommittedSizePerReadyBytes = maxCommittedSizePerReadyBytes;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new UnstableLog(lastIndex + 1);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  firstIndex(): number {
    const fromSnapshot = this.unstable.maybeFirstIndex();
    return fromSnapshot ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    const fromUnstable = this.unstable.maybeLastIndex();
    return fromUnstable ?? this.storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the last index. */
  maybeTerm(index: number): number | undefined {
    const unstableTerm = this.unstable.maybeTerm(index);
    if (unstableTerm !== undefined) return unstableTerm;
    // The valid range is [firstIndex-1, lastIndex]: the entry before the first is gone, its term is not.
    if (index + 1 < this.firstIndex() || index > this.lastIndex()) return undefined;
    return this.storage.term(index);
  }

  /** The term at `index`, or 0 when unknown (0 never matches a real term). */
  termOrZero(index: number): number {
    return this.maybeTerm(index) ?? 0;
  }

  lastTerm(): number {
    const term = this.maybeTerm(this.lastIndex());
    invariant(term !== undefined, 'last-term-known', () => `term of last index ${this.lastIndex()} unknown`);
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.maybeTerm(index) === term;
  }

  /**
   * §5.4.1: whether a log ending at (lastIndex, lastTerm) is at least as up to date as ours: a later
   * last term wins; with equal last terms, the longer log wins.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourLastTerm = this.lastTerm();
    return lastTerm > ourLastTerm || (lastTerm === ourLastTerm && lastIndex >= this.lastIndex());
  }

  /**
   * A follower's append: if our entry at `index` has `logTerm`, appends what of `entries` we lack
   * (truncating a conflicting tail), advances commit to min(committed, last new index), and returns the
   * last new index. Returns undefined when the consistency check fails (§5.3).
   */
  maybeAppend(index: number, logTerm: number, committed: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNewIndex = index + entries.length;
    const conflictIndex = this.findConflict(entries);
    if (conflictIndex !== 0) {
      invariant(
        conflictIndex > this.committed,
        'committed-never-truncated',
        () => `entry ${conflictIndex} conflicts but is committed (committed ${this.committed})`,
      );
      this.append(entries.slice(conflictIndex - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNewIndex));
    return lastNewIndex;
  }

  /**
   * The index of the first of `entries` that we lack or hold with another term; 0 if we hold them all.
   * Entries must be contiguous.
   */
  findConflict(entries: readonly Entry[]): number {
    const lastIndex = this.lastIndex();
    for (const entry of entries) {
      // Past our last index nothing can match, so the common case (all new) costs one comparison.
      if (entry.index > lastIndex) return entry.index;
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index <= `index` whose term is <= `term`, with that term. A leader
   * whose log has `term` at the rejected position can skip every entry of ours with a higher term,
   * since none of them can match. Returns term 0 when the term there is unknown (compacted).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (; index > 0; index--) {
      const ourTerm = this.maybeTerm(index);
      if (ourTerm === undefined) return { index, term: 0 };
      if (ourTerm <= term) return { index, term: ourTerm };
    }
    return { index: 0, term: 0 };
  }

  /** Appends entries after the committed prefix; returns the new last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index - 1;
    invariant(after >= this.committed, 'committed-never-truncated', () => `append after ${after} below committed ${this.committed}`);
    invariant(
      after <= this.lastIndex(),
      'log-contiguous',
      () => `append after ${after} leaves a gap after last index ${this.lastIndex()}`,
    );
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  commitTo(toCommit: number): void {
    // A lower commit (a heartbeat carrying an older index) is normal and ignored: commit never decreases.
    if (toCommit <= this.committed) return;
    invariant(
      toCommit <= this.lastIndex(),
      'commit-within-log',
      () => `commit ${toCommit} beyond last index ${this.lastIndex()}`,
    );
    this.committed = toCommit;
  }

  appliedTo(index: number): void {
    invariant(
      index >= this.applied && index <= this.committed,
      'applied-monotonic-and-committed',
      () => `applied ${index} outside [applied ${this.applied}, committed ${this.committed}]`,
    );
    this.applied = index;
  }

  /** Commits up to maxIndex if the entry there has `term` (§5.4.2: only current-term entries by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Committed entries not yet handed out for application, limited in size. */
  nextCommittedEntries(): Entry[] {
    // An incoming snapshot must be installed before anything after it can apply.
    if (this.hasPendingSnapshot()) return [];
    if (this.applied >= this.committed) return [];
    return this.slice(this.applied + 1, this.committed + 1, this.maxCommittedSizePerReadyBytes);
  }

  hasNextCommittedEntries(): boolean {
    return !this.hasPendingSnapshot() && this.applied < this.committed;
  }

  /** The snapshot to send a lagging follower: the incoming one if any, else the stored one. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Installs a snapshot from the leader: everything up to its index is committed. */
  restore(snapshot: Snapshot): void {
    invariant(
      snapshot.metadata.index > this.committed,
      'snapshot-beyond-committed',
      () => `restoring snapshot at ${snapshot.metadata.index} at or below committed ${this.committed}`,
    );
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  /**
   * Entries from `index` to the end, limited in size; empty when index > lastIndex(); undefined when
   * `index` is compacted away (the follower needs a snapshot).
   */
  entriesFrom(index: number, maxSizeBytes: number): Entry[] | undefined {
    const lastIndex = this.lastIndex();
    if (index > lastIndex) return [];
    if (index < this.firstIndex()) return undefined;
    return this.slice(index, lastIndex + 1, maxSizeBytes);
  }

  /** Entries in [lowIndex, highIndex), which must be in the log, limited in size (never fewer than one). */
  slice(lowIndex: number, highIndex: number, maxSizeBytes: number): Entry[] {
    invariant(lowIndex <= highIndex, 'slice-ordered', () => `slice [${lowIndex}, ${highIndex})`);
    invariant(
      lowIndex >= this.firstIndex(),
      'slice-not-compacted',
      () => `slice [${lowIndex}, ${highIndex}) below first index ${this.firstIndex()}`,
    );
    invariant(
      highIndex <= this.lastIndex() + 1,
      'slice-within-log',
      () => `slice [${lowIndex}, ${highIndex}) beyond last index ${this.lastIndex()}`,
    );
    if (lowIndex === highIndex) return [];
    const offset = this.unstable.offset;
    if (lowIndex >= offset) return limitSize(this.unstable.slice(lowIndex, highIndex), maxSizeBytes);
    const cut = Math.min(highIndex, offset);
    const stored = this.storage.entries(lowIndex, cut, maxSizeBytes);
    if (highIndex <= offset || stored.length < cut - lowIndex) return stored;
    let size = 0;
    for (const entry of stored) size += entrySizeBytes(entry);
    if (size >= maxSizeBytes) return stored;
    const fromUnstable = limitSize(this.unstable.slice(offset, highIndex), maxSizeBytes - size);
    // limitSize keeps one entry even when it alone is over the remaining budget; here it must not.
    if (fromUnstable.length === 1 && size + entrySizeBytes(fromUnstable[0]!) > maxSizeBytes) return stored;
    for (const entry of fromUnstable) stored.push(entry);
    return stored;
  }
}
