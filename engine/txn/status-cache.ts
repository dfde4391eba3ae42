// The outcomes of other transactions that this manager has learned while resolving their locks. A
// transaction's outcome never changes once decided (its primary's commit or protected rollback record
// is permanent), so an entry never goes stale; the cache only bounds how many it keeps, dropping the
// oldest (Map iteration order is insertion order).
//
// Only final outcomes enter: "still locked" is not an outcome and is always asked again.

import type { Timestamp } from '../../storage/mvcc/index.js';
import { assertTxn } from './errors.js';

export type TxnOutcome = { readonly kind: 'committed'; readonly commitTs: Timestamp } | { readonly kind: 'rolled-back' };

export class TxnStatusCache {
  private readonly outcomes = new Map<Timestamp, TxnOutcome>();

  constructor(private readonly capacity: number) {
    assertTxn(capacity > 0, 'status cache capacity must be positive');
  }

  get(startTs: Timestamp): TxnOutcome | undefined {
    return this.outcomes.get(startTs);
  }

  set(startTs: Timestamp, outcome: TxnOutcome): void {
    const known = this.outcomes.get(startTs);
    if (known !== undefined) {
      assertTxn(
        known.kind === outcome.kind && (known.kind !== 'committed' || known.commitTs === (outcome as typeof known).commitTs),
        `transaction ${startTs} was ${known.kind} and is now reported ${outcome.kind}`,
      );
      return;
    }
    if (this.outcomes.size >= this.capacity) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.outcomes.set(startTs, outcome);
  }

  get size(): number {
    return this.outcomes.size;
  }
}
