// Waiting between retries: exponential backoff with jitter, on the injected clock, and the deadline a
// whole wait must respect.
//
// Each wait is drawn from [delay / 2, delay] ("equal jitter"), delay = base * 2^attempt capped at the
// maximum: the lower half keeps retries spaced, the random upper half keeps many waiters of the same lock
// from retrying in lockstep. The randomness is injected (seeded in tests), so a run replays exactly.
// A wait never goes past the deadline: the last one is cut short so the caller can report the timeout
// on time, not up to one backoff late.

import type { Clock } from '../../storage/env/clock.js';
import type { Random } from '../../storage/env/random.js';
import { assertTxn } from './errors.js';

/** Sleeps `delayMs` on `clock` (timers of a virtual clock fire when the test moves time). */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimer(delayMs, resolve);
  });
}

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly baseMs: number,
    private readonly maxMs: number,
    /** Monotonic time (clock.monotonicMs) after which waiting is over. */
    readonly deadlineMs: number,
  ) {
    assertTxn(baseMs > 0 && baseMs <= maxMs, `backoff bounds ${baseMs}..${maxMs}`);
  }

  /** True once the deadline has passed. */
  expired(): boolean {
    return this.clock.monotonicMs() >= this.deadlineMs;
  }

  /**
   * Waits the next backoff, at most `hintMs` when given (the time until the lock in the way expires),
   * and never past the deadline. Returns false, without waiting, when the deadline has already passed.
   */
  async wait(hintMs?: number): Promise<boolean> {
    const remainingMs = this.deadlineMs - this.clock.monotonicMs();
    if (remainingMs <= 0) return false;
    const delayMs = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    let waitMs = delayMs / 2 + this.random.float() * (delayMs / 2);
    if (hintMs !== undefined) waitMs = Math.min(waitMs, Math.max(1, hintMs));
    await sleep(this.clock, Math.max(1, Math.min(Math.ceil(waitMs), Math.ceil(remainingMs))));
    return true;
  }
}
