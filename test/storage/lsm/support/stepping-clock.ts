// A clock for deterministic engine tests. Time is virtual and moves only by a fixed step at each
// monotonic reading, so the engine's time slices (flush, compaction, the write leader's yield) end
// after a number of readings that depends only on the work done, never on the machine's speed. A timer
// fires on the next event-loop turn (setImmediate), after everything ready now, and moves time to its
// due point. Together with an in-memory file system this makes a seeded run replay exactly.
import type { Clock, TimerHandle } from '../../../../storage/env/clock.js';

export class SteppingClock implements Clock {
  private virtualMs = 0;

  /** `stepMs`: how far each monotonic reading moves time. */
  constructor(private readonly stepMs: number) {
    if (!(stepMs >= 0)) throw new RangeError(`SteppingClock: step ${stepMs} must be non-negative`);
  }

  nowMs(): number {
    return 1_700_000_000_000 + Math.floor(this.virtualMs);
  }

  monotonicMs(): number {
    this.virtualMs += this.stepMs;
    return this.virtualMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    let cancelled = false;
    const dueMs = this.virtualMs + Math.max(0, delayMs);
    setImmediate(() => {
      if (cancelled) return;
      this.virtualMs = Math.max(this.virtualMs, dueMs);
      callback();
    });
    return { cancel: () => void (cancelled = true) };
  }
}
