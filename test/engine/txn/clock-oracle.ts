// A timestamp oracle for tests: strictly increasing timestamps whose physical part follows the given
// clock (so lock TTLs, which are measured on timestamps, expire as the clock moves), borrowing the next
// millisecond when 1024 are handed out in one (as the real oracle does, cluster/placement).

import type { TimestampSource } from '../../../cluster/kv/kv-client.js';
import type { Clock } from '../../../storage/env/clock.js';
import { type Timestamp, composeTimestamp } from '../../../storage/mvcc/index.js';

export class ClockTimestampSource implements TimestampSource {
  private last = 0;

  constructor(private readonly clock: Clock) {}

  async now(): Promise<Timestamp> {
    return this.nowSync();
  }

  nowSync(): Timestamp {
    this.last = Math.max(this.last + 1, composeTimestamp(Math.floor(this.clock.nowMs()), 0));
    return this.last as Timestamp;
  }
}
