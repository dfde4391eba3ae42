// A clock for running the transaction tests on a real embedded node: wall time sped up by a factor, so
// that lock TTLs and waits measured in seconds pass in tens of milliseconds. Timers are real timers
// (the node's own work — Raft rounds, storage writes — runs on the event loop in real time, which the
// virtual clock of virtual-clock.ts could not account for).

import type { Clock, TimerHandle } from '../../../storage/env/clock.js';

export class ScaledClock implements Clock {
  private readonly startedRealMs = performance.now();

  constructor(
    private readonly speedup: number,
    private readonly startMs = Date.now(),
  ) {}

  nowMs(): number {
    return Math.floor(this.startMs + (performance.now() - this.startedRealMs) * this.speedup);
  }

  monotonicMs(): number {
    return (performance.now() - this.startedRealMs) * this.speedup;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, delayMs) / this.speedup);
    return { cancel: () => clearTimeout(timer) };
  }
}
