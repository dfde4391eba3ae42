// The timestamp oracle (TSO): hands out the cluster's transaction timestamps, as PD does for TiKV.
// This is the allocation logic only, as a pure component: the meta range's leader will host it, and
// the durable store of the window is injected as `persistWindow`.
//
// Invariants, and why they hold:
//
// 1. Every timestamp handed out is strictly greater than every one handed out before, by this oracle or
//    by any earlier oracle whose persisted window this one was started from. Snapshot isolation depends
//    on it: a start timestamp must be above every commit timestamp already issued.
//    - Within one oracle: allocations run one at a time (a promise chain), and each batch starts at
//      max(last + 1, now's physical with logical 0), so it is above the previous batch.
//    - Across restarts and leader changes: see 2 and 3.
// 2. No timestamp's physical part exceeds the persisted window (`persistedWindowMs`). Before handing
//    out a batch whose last timestamp would pass the window, the oracle awaits `persistWindow(newEnd)`;
//    only when that resolves (the new bound is durable) does it use the extension. The window is
//    persisted `windowAheadMs` ahead of need so that the (slow, replicated) write happens rarely.
// 3. A recovering oracle starts strictly above the persisted window it is given: its first timestamp is
//    at least composeTimestamp(persistedWindowMs + 1, 0). By 2 every earlier timestamp is at or below
//    composeTimestamp(persistedWindowMs, 1023), so 1 holds across the restart. The cost is a skipped
//    stretch of at most `windowAheadMs` of timestamp space, which is harmless.
// 4. The physical part follows the injected clock but never goes backwards. If the clock goes back (NTP
//    step, a leader with a slower clock) the oracle keeps its last physical and advances the logical
//    counter; when the 1024 logical values of a millisecond are used up, the batch simply continues
//    into the next millisecond (timestamps are physical * 1024 + logical, so "consecutive" numbers roll
//    over), i.e. the physical part runs ahead of the clock until the clock catches up.
//
// Batches: `allocate(count)` returns `count` consecutive timestamps [first, first + count). The count is
// bounded by MAX_ALLOCATION_BATCH (1024, one millisecond's worth) so that one caller cannot drag the
// physical part far ahead of the wall clock; larger requests fail with TimestampOracleError.
//
// Not here: fencing of a deposed leader (the hosting range must stop calling allocate once it loses
// leadership, before a successor starts) and background pre-extension of the window on a timer (the
// window is extended on demand, inside allocate).

import type { Clock } from '../../storage/env/clock.js';
import { composeTimestamp, LOGICAL_PER_MS, PHYSICAL_MS_MAX, physicalMsOf, type Timestamp } from '../../storage/mvcc/timestamp.js';

/** The most timestamps one allocate call may ask for: one millisecond's worth of logical values. */
export const MAX_ALLOCATION_BATCH = LOGICAL_PER_MS;

export type TimestampOracleErrorCode = 'INVALID_COUNT' | 'INVALID_ARGUMENT' | 'PHYSICAL_EXHAUSTED';

export class TimestampOracleError extends Error {
  readonly code: TimestampOracleErrorCode;
  constructor(code: TimestampOracleErrorCode, message: string) {
    super(message);
    this.name = 'TimestampOracleError';
    this.code = code;
  }
}

export interface TimestampOracleOptions {
  readonly clock: Clock;
  /** The last window bound known durable (0 for a brand-new cluster). */
  readonly persistedWindowMs: number;
  /** Durably records that no timestamp with physical part above `upToPhysicalMs` will be handed out. */
  readonly persistWindow: (upToPhysicalMs: number) => Promise<void>;
  /** How far ahead of the needed physical time each window extension reaches (e.g. 3000 ms). */
  readonly windowAheadMs: number;
}

export interface TimestampBatch {
  readonly first: Timestamp;
  readonly count: number;
}

export class TimestampOracle {
  private readonly clock: Clock;
  private readonly persistWindow: (upToPhysicalMs: number) => Promise<void>;
  private readonly windowAheadMs: number;
  /** The durable window bound: no handed-out timestamp has a physical part above it. */
  private windowMs: number;
  /** The last timestamp handed out (or, before the first batch, the top of the recovered window). */
  private last: number;
  /** The tail of the allocation chain; allocations run one at a time so batches never interleave. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(options: TimestampOracleOptions) {
    this.clock = options.clock;
    this.persistWindow = options.persistWindow;
    this.windowAheadMs = options.windowAheadMs;
    this.windowMs = options.persistedWindowMs;
    // Everything up to the top of the persisted window may have been handed out by a predecessor, so
    // the first batch must start above it (invariant 3).
    this.last = composeTimestamp(options.persistedWindowMs, LOGICAL_PER_MS - 1);
  }

  /** Recovers from the last persisted window and persists a fresh window ahead of the clock. */
  static async start(options: TimestampOracleOptions): Promise<TimestampOracle> {
    const { persistedWindowMs, windowAheadMs } = options;
    if (!Number.isInteger(persistedWindowMs) || persistedWindowMs < 0 || persistedWindowMs >= PHYSICAL_MS_MAX) {
      throw new TimestampOracleError('INVALID_ARGUMENT', `persistedWindowMs ${persistedWindowMs} is not in [0, 2^43 - 1)`);
    }
    if (!Number.isInteger(windowAheadMs) || windowAheadMs < 1) {
      throw new TimestampOracleError('INVALID_ARGUMENT', `windowAheadMs ${windowAheadMs} is not a positive integer`);
    }
    const oracle = new TimestampOracle(options);
    // Persisting up front makes the first allocation fast and surfaces a broken store at start-up.
    await oracle.extendWindowFor(Math.max(persistedWindowMs + 1, Math.floor(options.clock.nowMs())));
    return oracle;
  }

  /** The durable window bound in force (for observation; allocations never exceed it). */
  get persistedWindowMs(): number {
    return this.windowMs;
  }

  /** `count` consecutive timestamps, all above every timestamp handed out before. */
  allocate(count: number): Promise<TimestampBatch> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_ALLOCATION_BATCH) {
      return Promise.reject(
        new TimestampOracleError('INVALID_COUNT', `allocate: count ${count} is not an integer in [1, ${MAX_ALLOCATION_BATCH}]`),
      );
    }
    const result = this.tail.then(() => this.allocateNow(count));
    // A failed persist rejects its own caller only; the next allocation must still run.
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async allocateNow(count: number): Promise<TimestampBatch> {
    for (;;) {
      // Read the clock afresh each round: a slow persist may have let it move on (or back).
      const nowMs = Math.floor(this.clock.nowMs());
      const clockFloor = nowMs >= 0 && nowMs <= PHYSICAL_MS_MAX ? composeTimestamp(nowMs, 0) : 0;
      const first = Math.max(this.last + 1, clockFloor);
      const end = first + count - 1;
      const endPhysical = physicalMsOf(end as Timestamp);
      if (endPhysical > PHYSICAL_MS_MAX - 1) {
        throw new TimestampOracleError('PHYSICAL_EXHAUSTED', 'allocate: the physical part would pass 2^43 - 2 ms');
      }
      if (endPhysical <= this.windowMs) {
        this.last = end;
        return { first: first as Timestamp, count };
      }
      // The batch would pass the durable window: extend it first (invariant 2), then recompute.
      await this.extendWindowFor(Math.max(endPhysical, nowMs));
    }
  }

  /** Persists a window reaching `windowAheadMs` past `neededPhysicalMs`; adopts it only once durable. */
  private async extendWindowFor(neededPhysicalMs: number): Promise<void> {
    const target = Math.min(PHYSICAL_MS_MAX - 1, Math.max(this.windowMs, neededPhysicalMs) + this.windowAheadMs);
    if (target <= this.windowMs) return;
    await this.persistWindow(target);
    // Only grow: the window is a promise to successors, and a smaller value would not be the bound.
    this.windowMs = Math.max(this.windowMs, target);
  }
}
