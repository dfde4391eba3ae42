// Hosts the timestamp oracle on the node that leads the meta range (range 1), as PD hosts TiKV's.
//
// Starting: when this node becomes range 1's leader it first waits until it has applied everything
// committed before its term (a read-index round), so that it knows the last persisted window, then
// starts a TimestampOracle above that window. Extending the window is a `meta` command through range 1.
//
// Fencing a deposed leader: the oracle answers only while this node holds range 1's leader lease
// (lease-based reads: no other leader can be elected before the lease runs out), and is dropped the
// moment leadership is lost. A successor starts above the persisted window, which covers every
// timestamp this oracle handed out, so timestamps stay strictly increasing across the handover.

import { TimestampOracle } from '../placement/timestamp-oracle.js';
import type { Timestamp } from '../../storage/mvcc/timestamp.js';
import { META_RANGE_ID, ProposalFailedError, type Replica } from './replica.js';
import type { Store } from './store.js';

export interface TimestampBatchResult {
  readonly first: Timestamp;
  readonly count: number;
}

export class TsoHost {
  private oracle: Promise<TimestampOracle> | undefined;
  private term = 0;

  constructor(
    private readonly store: Store,
    private readonly windowAheadMs = 3000,
  ) {
    store.onLeadershipChange((replica, isLeader) => {
      if (replica.rangeId !== META_RANGE_ID) return;
      this.term++;
      this.oracle = isLeader ? this.start(replica, this.term) : undefined;
      // A failed start is reported to the allocations that wait on it; nothing else awaits it.
      this.oracle?.catch(() => undefined);
    });
  }

  private async start(replica: Replica, term: number): Promise<TimestampOracle> {
    const index = await this.store.readIndex(replica);
    await replica.waitApplied(index);
    if (term !== this.term) throw new ProposalFailedError('not-leader', 'meta range leadership changed while the oracle started');
    return TimestampOracle.start({
      clock: this.store.clock,
      persistedWindowMs: replica.meta!.tsoWindowMs,
      persistWindow: async (upToPhysicalMs) => {
        if (term !== this.term) throw new ProposalFailedError('not-leader', 'meta range leadership lost');
        await this.store.proposeMeta({ tsoWindowMs: upToPhysicalMs });
      },
      windowAheadMs: this.windowAheadMs,
    });
  }

  /** `count` consecutive timestamps; fails with a not-leader error off the meta range's leader. */
  async allocate(count: number): Promise<TimestampBatchResult> {
    this.store.checkOpen();
    const pending = this.oracle;
    if (pending === undefined) throw new ProposalFailedError('not-leader', 'this node does not lead the meta range');
    const oracle = await pending;
    const replica = this.store.replica(META_RANGE_ID);
    if (this.oracle !== pending || replica === undefined || !replica.isLeader) {
      throw new ProposalFailedError('not-leader', 'meta range leadership lost');
    }
    if (replica.raft.leaseReadIndex() === undefined) {
      // The lease lapsed (a partition): renew it with a read-index round before answering.
      await this.store.readIndex(replica);
    }
    const batch = await oracle.allocate(count);
    return { first: batch.first, count: batch.count };
  }
}
