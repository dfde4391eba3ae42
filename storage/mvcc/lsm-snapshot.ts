// The MVCC layer's view of a node's LSM: an LsmDb snapshot behind the MvccSnapshot interface. Every read
// through one LsmMvccSnapshot sees the database at the sequence it was taken at, whatever is written
// afterwards, which is what an action evaluated "against a consistent snapshot" needs. The snapshot pins
// old versions in the LSM until `release()`; callers release it when the action's batch is built.

import type { LsmDb } from '../lsm/lsm-db.js';
import type { KeyValueIterator } from '../lsm/iterator.js';
import type { LsmSnapshot } from '../lsm/snapshots.js';
import type { IteratorBounds, MvccSnapshot } from './snapshot.js';

export class LsmMvccSnapshot implements MvccSnapshot {
  private readonly snapshot: LsmSnapshot;

  constructor(private readonly db: LsmDb) {
    this.snapshot = db.snapshot();
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.db.get(key, { snapshot: this.snapshot });
  }

  iterator(bounds: IteratorBounds): KeyValueIterator {
    return this.db.iterator({ lowerBound: bounds.lowerBound, upperBound: bounds.upperBound, snapshot: this.snapshot });
  }

  /** Lets the LSM drop the versions this snapshot kept. Reads after release fail. */
  release(): void {
    this.snapshot.release();
  }
}
