// Time, injected. Production passes the system clock; the simulator passes a virtual clock that moves
// only when the test advances it, so timers fire in a replayable order.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  nowMs(): number;
  /** A monotonic reading in milliseconds (fractional), for measuring durations. */
  monotonicMs(): number;
  /** Runs `callback` once after `delayMs`. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
  monotonicMs(): number {
    return performance.now();
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timer) };
  }
}

interface PendingTimer {
  readonly dueMs: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Virtual time for tests. `advance(ms)` fires due timers in (due time, creation order) order, so the
 * same sequence of calls always fires the same callbacks in the same order.
 */
export class ManualClock implements Clock {
  private nowValueMs: number;
  private timers: PendingTimer[] = [];
  private nextOrder = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.nowValueMs = startMs;
  }

  nowMs(): number {
    return this.nowValueMs;
  }

  monotonicMs(): number {
    return this.nowValueMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: PendingTimer = {
      dueMs: this.nowValueMs + Math.max(0, delayMs),
      order: this.nextOrder++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due on the way. */
  advance(deltaMs: number): void {
    if (!(deltaMs >= 0)) throw new RangeError(`ManualClock.advance: negative delta ${deltaMs}`);
    const targetMs = this.nowValueMs + deltaMs;
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      let next: PendingTimer | undefined;
      for (const timer of this.timers) {
        if (timer.dueMs > targetMs) continue;
        if (next === undefined || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.order < next.order)) {
          next = timer;
        }
      }
      if (next === undefined) break;
      next.cancelled = true;
      this.nowValueMs = Math.max(this.nowValueMs, next.dueMs);
      next.callback();
    }
    this.nowValueMs = targetMs;
  }

  /** Timers not yet fired or cancelled. */
  get pendingTimerCount(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }
}
