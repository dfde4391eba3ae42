// The timestamp client: a TimestampSource that batches. Every caller that asks for a timestamp while
// no request is on its way joins the next request, which asks the oracle for as many consecutive
// timestamps as there are waiters (PD's TSO stream does the same); a caller that asks while a request
// is in flight waits for the one after it. So a thousand concurrent begins cost one round trip to the
// meta range's leader, and every caller still gets a timestamp issued after it asked — which snapshot
// isolation needs: a start timestamp must be above every commit that completed before begin was called.

import type { Timestamp } from '../../storage/mvcc/timestamp.js';
import { MAX_ALLOCATION_BATCH } from '../placement/timestamp-oracle.js';
import type { TimestampSource } from './kv-client.js';

interface Waiter {
  readonly resolve: (timestamp: Timestamp) => void;
  readonly reject: (error: unknown) => void;
}

export class TsoClient implements TimestampSource {
  private waiting: Waiter[] = [];
  private inFlight = false;

  constructor(private readonly fetch: (count: number) => Promise<{ readonly first: Timestamp; readonly count: number }>) {}

  now(): Promise<Timestamp> {
    return new Promise<Timestamp>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.inFlight) {
        this.inFlight = true;
        // Let every caller of this turn join the request.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_ALLOCATION_BATCH);
      try {
        const { first, count } = await this.fetch(batch.length);
        if (count !== batch.length) throw new Error(`timestamp oracle returned ${count} timestamps for ${batch.length}`);
        for (let i = 0; i < batch.length; i++) batch[i]!.resolve((first + i) as Timestamp);
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.inFlight = false;
  }
}
