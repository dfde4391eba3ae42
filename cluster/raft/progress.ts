// What a leader knows of one follower's log, and the flow control that decides when it sends more.
// After etcd-io/raft's tracker/progress.go and tracker/inflights.go.
//
// States:
// - probe: the leader does not know where the follower's log matches. It sends one append at a time
//   and waits for the answer (or a heartbeat response) before the next, backing up on rejection.
// - replicate: the follower's log matches up to `match`; the leader streams appends optimistically
//   (pipelining), advancing `next` as it sends, bounded by the in-flight window (count and bytes).
// - snapshot: the follower needs a snapshot; nothing is sent until the snapshot's fate is reported.
//
// Invariants: match < next; match never decreases; in replicate, every in-flight append's last index
// is in (match, next); the in-flight window never holds more than its count and byte limits, except
// that a single message is always admitted into an empty window.

import { invariant } from './errors.js';

/**
 * A ring of the last indexes of appends sent but not yet acknowledged, with their payload sizes.
 * Full when it holds maxCount messages or maxBytes payload bytes.
 */
export class Inflights {
  private readonly maxCount: number;
  private readonly maxBytes: number;
  private indexes: number[] = [];
  private sizesBytes: number[] = [];
  private start = 0;
  count = 0;
  bytes = 0;

  constructor(maxCount: number, maxBytes: number) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  /** A fresh, empty window with the same limits. */
  cloneEmpty(): Inflights {
    return new Inflights(this.maxCount, this.maxBytes);
  }

  /** Records an append whose last entry is `index`. Indexes must increase. */
  add(index: number, sizeBytes: number): void {
    invariant(!this.full(), 'inflights-bounded', () => `add to a full window (${this.count} messages, ${this.bytes} bytes)`);
    // The ring grows lazily up to maxCount, so an idle follower costs nothing.
    if (this.count === this.indexes.length && this.indexes.length < this.maxCount) this.grow();
    let slot = this.start + this.count;
    if (slot >= this.indexes.length) slot -= this.indexes.length;
    this.indexes[slot] = index;
    this.sizesBytes[slot] = sizeBytes;
    this.count++;
    this.bytes += sizeBytes;
  }

  private grow(): void {
    const capacity = Math.min(this.maxCount, Math.max(4, this.indexes.length * 2));
    const indexes: number[] = new Array<number>(capacity);
    const sizes: number[] = new Array<number>(capacity);
    for (let i = 0; i < this.count; i++) {
      let slot = this.start + i;
      if (slot >= this.indexes.length) slot -= this.indexes.length;
      indexes[i] = this.indexes[slot]!;
      sizes[i] = this.sizesBytes[slot]!;
    }
    this.indexes = indexes;
    this.sizesBytes = sizes;
    this.start = 0;
  }

  /** Frees every in-flight append whose last index is <= `index` (they were acknowledged). */
  freeLE(index: number): void {
    if (this.count === 0 || index < this.indexes[this.start]!) return;
    let slot = this.start;
    let freed = 0;
    let freedBytes = 0;
    while (freed < this.count) {
      if (index < this.indexes[slot]!) break;
      freedBytes += this.sizesBytes[slot]!;
      freed++;
      slot++;
      if (slot >= this.indexes.length) slot = 0;
    }
    this.count -= freed;
    this.bytes -= freedBytes;
    this.start = this.count === 0 ? 0 : slot;
  }

  full(): boolean {
    return this.count >= this.maxCount || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  reset(): void {
    this.count = 0;
    this.bytes = 0;
    this.start = 0;
  }
}

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** The highest index known to match the leader's log on this follower. */
  match: number;
  /** The index of the next entry to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In snapshot state, the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Whether the follower was heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: an append is outstanding. In replicate state: the in-flight window is full. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(options: { match: number; next: number; inflights: Inflights; isLearner: boolean; recentActive?: boolean }) {
    this.match = options.match;
    this.next = options.next;
    this.inflights = options.inflights;
    this.isLearner = options.isLearner;
    this.recentActive = options.recentActive ?? false;
  }

  /** A copy sharing nothing mutable but the in-flight window (configuration changes copy trackers). */
  clone(): Progress {
    const copy = new Progress({
      match: this.match,
      next: this.next,
      inflights: this.inflights,
      isLearner: this.isLearner,
      recentActive: this.recentActive,
    });
    copy.state = this.state;
    copy.pendingSnapshot = this.pendingSnapshot;
    copy.msgAppFlowPaused = this.msgAppFlowPaused;
    return copy;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, the follower holds at least the snapshot: probe right after it.
    if (this.state === 'snapshot') {
      const pendingSnapshot = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pendingSnapshot + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1;
  }

  /** Bookkeeping after sending an append of `entryCount` entries totalling `bytes` of payload. */
  sentEntries(entryCount: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entryCount > 0) {
        this.next += entryCount;
        this.inflights.add(this.next - 1, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      // One probe at a time: wait for its answer (or a heartbeat response) before the next.
      if (entryCount > 0) this.msgAppFlowPaused = true;
    } else {
      invariant(false, 'no-append-while-snapshotting', () => 'append sent to a follower in snapshot state');
    }
  }

  /** An acknowledgement up to `index`; returns false if it is stale (not above match). */
  maybeUpdate(index: number): boolean {
    if (index <= this.match) return false;
    this.match = index;
    this.next = Math.max(this.next, index + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * A rejection of the append at `rejected`, with the follower's hint that its log may match up to
   * `matchHint`. Returns false when the rejection is stale (it answers an older append).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // In replicate, the follower matched up to `match`; a rejection below it is from the past.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe, only the answer to the one outstanding probe (at next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether the leader should hold appends back from this follower for now. */
  isPaused(): boolean {
    return this.state === 'snapshot' || this.msgAppFlowPaused;
  }
}
