// Time slicing: how long-running engine work (flushes, compactions, long runs of writes) shares the
// one event loop. The work calls `tick()` once per unit (an entry); when the slice's time or entry
// budget is spent, `tick()` says so and the work awaits `pause()`, which yields to every other ready
// task (setImmediate: timers, I/O callbacks and other slices run first) before the next slice.
//
// Invariant: between two pauses a slice processes at most `entryLimit` entries, and reads the clock at
// most every CLOCK_CHECK_INTERVAL entries, so a slice overruns its time budget by at most that many
// entries' work. The entry limit ends slices under a virtual clock too, where time never moves.

import type { Clock } from '../env/clock.js';

const CLOCK_CHECK_INTERVAL = 64;

/** Resolves after the event loop has run everything that was ready (one setImmediate turn). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class TimeSlicer {
  private sliceStartMs: number;
  private entriesInSlice = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sliceMs: number,
    private readonly entryLimit: number,
  ) {
    if (!(sliceMs > 0) || !(entryLimit > 0)) throw new RangeError('TimeSlicer: slice time and entry limit must be positive');
    this.sliceStartMs = clock.monotonicMs();
  }

  /** Counts one unit of work; true when the slice is over and the caller should `pause()`. */
  tick(): boolean {
    const entries = ++this.entriesInSlice;
    if (entries >= this.entryLimit) return true;
    if (entries % CLOCK_CHECK_INTERVAL !== 0) return false;
    return this.clock.monotonicMs() - this.sliceStartMs >= this.sliceMs;
  }

  /** True when the slice's time is spent (for callers whose units are large, checked per unit). */
  expired(): boolean {
    return this.entriesInSlice >= this.entryLimit || this.clock.monotonicMs() - this.sliceStartMs >= this.sliceMs;
  }

  /** Yields the event loop, then starts a new slice. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.restart();
  }

  /** Starts a new slice without yielding (after the caller yielded some other way). */
  restart(): void {
    this.entriesInSlice = 0;
    this.sliceStartMs = this.clock.monotonicMs();
  }
}
