// Snapshots: read points that keep old versions alive. A snapshot names a sequence number; reads with
// it see exactly the writes with sequences <= it. While it lives, compactions keep for it the newest
// version of every key at or below its sequence (see the stripes in compaction.ts).
//
// Invariants: snapshots are created with non-decreasing sequences (the visible sequence only grows), so
// the insertion order of the live set is ascending by sequence and `sequences()` needs no sort; a
// snapshot is in the live set from creation until its first `release()`.

import { StorageError } from '../env/errors.js';

export interface LsmSnapshot {
  readonly sequence: number;
  /** Lets compaction drop the versions only this snapshot needed. Idempotent. */
  release(): void;
}

class Snapshot implements LsmSnapshot {
  released = false;
  constructor(
    readonly sequence: number,
    private readonly list: SnapshotList,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.list.remove(this);
  }
}

export class SnapshotList {
  private readonly live = new Set<Snapshot>();
  private lastSequence = 0;

  create(sequence: number): LsmSnapshot {
    if (sequence < this.lastSequence) {
      throw new Error(`snapshot sequence ${sequence} is below an earlier snapshot's ${this.lastSequence}`);
    }
    this.lastSequence = sequence;
    const snapshot = new Snapshot(sequence, this);
    this.live.add(snapshot);
    return snapshot;
  }

  /** @internal Called by Snapshot.release. */
  remove(snapshot: LsmSnapshot): void {
    this.live.delete(snapshot as Snapshot);
  }

  get count(): number {
    return this.live.size;
  }

  /** The sequence a read with `snapshot` uses; throws when it is not a live snapshot of this list. */
  sequenceOf(snapshot: LsmSnapshot): number {
    if (!(snapshot instanceof Snapshot) || !this.live.has(snapshot)) {
      throw new StorageError('INVALID_ARGUMENT', 'the snapshot was released or belongs to another database');
    }
    return snapshot.sequence;
  }

  /** Distinct sequences of the live snapshots, ascending. */
  sequences(): number[] {
    const result: number[] = [];
    for (const snapshot of this.live) {
      if (result.length === 0 || result[result.length - 1] !== snapshot.sequence) result.push(snapshot.sequence);
    }
    return result;
  }
}
