// Keeping a transaction's primary lock alive (TiDB's ttlManager): while the transaction holds locks, a
// timer on the injected clock fires every heartbeatIntervalMs; once the locks have been held for at
// least lockTtlMs / 2, each tick raises the primary lock's TTL to (time since the start timestamp's
// physical part) + lockTtlMs, so resolvers keep seeing a live lock. Short transactions send nothing.
//
// Stops, for good, on stop() (commit point passed, rollback, abandonment). An answer of TXN_NOT_FOUND
// (the primary lock is gone, or not yet written because a multi-range lock request is being retried)
// changes nothing: the commit finds out which, and a retried lock request may yet write it. A
// heartbeat that throws is not fatal either: the next tick tries again. Each request in flight is handed to
// `track`, so a manager closing waits for it.

import type { KvClient } from '../../cluster/kv/kv-client.js';
import type { Clock, TimerHandle } from '../../storage/env/clock.js';
import { type Timestamp, physicalMsOf } from '../../storage/mvcc/index.js';
import type { TxnConfig } from './config.js';

export class Heartbeat {
  private timer: TimerHandle | undefined;
  private lockedSinceMs: number | undefined;
  private stopped = false;

  constructor(
    private readonly kv: KvClient,
    private readonly clock: Clock,
    private readonly config: TxnConfig,
    private readonly startTs: Timestamp,
    private readonly primary: () => Uint8Array | undefined,
    private readonly track: (work: Promise<unknown>) => void,
  ) {}

  /** The transaction now holds locks: start ticking (idempotent). */
  start(): void {
    if (this.stopped || this.lockedSinceMs !== undefined) return;
    this.lockedSinceMs = this.clock.nowMs();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** The TTL a lock written now should carry: the time already run plus a full lockTtlMs. */
  static ttlMsFor(clock: Clock, config: TxnConfig, startTs: Timestamp): number {
    return Math.max(0, Math.ceil(clock.nowMs() - physicalMsOf(startTs))) + config.lockTtlMs;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.config.heartbeatIntervalMs, () => this.tick());
  }

  private tick(): void {
    if (this.stopped) return;
    const primary = this.primary();
    if (primary !== undefined && this.clock.nowMs() - this.lockedSinceMs! >= this.config.lockTtlMs / 2) {
      const request = this.kv
        .heartbeat({ primaryKey: primary, startTs: this.startTs, adviseTtlMs: Heartbeat.ttlMsFor(this.clock, this.config, this.startTs) })
        .then(
          () => undefined,
          () => undefined,
        );
      this.track(request);
    }
    if (!this.stopped) this.schedule();
  }
}
