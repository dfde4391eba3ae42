// Virtual time that moves by itself when everything waits: a Clock whose timers fire in (due time,
// creation order) order, one per macrotask turn, and only once no promise work is left. A test of
// concurrent transactions then runs lock waits, backoffs, heartbeats and TTL expiry in virtual time,
// as fast as the CPU allows and in an order that replays exactly for a seed.
//
// Why it works: the transaction code and the in-memory KV client only ever wait on promises and on this
// clock's timers. Node drains the microtask queue before running a setImmediate callback, so when the
// pump runs, every coroutine that could make progress without time passing has done so; firing the
// earliest timer is then exactly what a real clock would do next.
//
// A test that leaves periodic timers behind (a transaction never finished, with heartbeats) keeps the
// pump going; tests close their managers, which stops heartbeats.

import type { Clock, TimerHandle } from '../../../storage/env/clock.js';

interface Timer {
  readonly dueMs: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private nowValueMs: number;
  private timers: Timer[] = [];
  private nextOrder = 0;
  private pumpScheduled = false;

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
    const timer: Timer = { dueMs: this.nowValueMs + Math.max(0, delayMs), order: this.nextOrder++, callback, cancelled: false };
    this.timers.push(timer);
    this.schedulePump();
    return { cancel: () => void (timer.cancelled = true) };
  }

  get pendingTimerCount(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      const timer = this.takeNext();
      if (timer === undefined) return;
      this.nowValueMs = Math.max(this.nowValueMs, timer.dueMs);
      timer.callback();
      if (this.pendingTimerCount > 0) this.schedulePump();
    });
  }

  /** Removes and returns the earliest live timer. */
  private takeNext(): Timer | undefined {
    this.timers = this.timers.filter((timer) => !timer.cancelled);
    let next: Timer | undefined;
    for (const timer of this.timers) {
      if (next === undefined || timer.dueMs < next.dueMs || (timer.dueMs === next.dueMs && timer.order < next.order)) next = timer;
    }
    if (next !== undefined) next.cancelled = true;
    return next;
  }
}
