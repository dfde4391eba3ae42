// Measurements every benchmark shares: the longest event-loop stall and the peak resident set size
// while a phase runs. Both are sampled, so a phase must run long enough (tens of milliseconds) for
// the figures to mean something.

import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface PhaseMeasurement<T> {
  readonly result: T;
  readonly elapsedMs: number;
  /** Longest delay of the event loop seen during the phase, in milliseconds. */
  readonly longestStallMs: number;
  /** Peak resident set size during the phase, in MiB. */
  readonly peakRssMb: number;
}

export async function measurePhase<T>(run: () => Promise<T>): Promise<PhaseMeasurement<T>> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  try {
    const result = await run();
    const elapsedMs = performance.now() - started;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return {
      result,
      elapsedMs,
      // The histogram reports nanoseconds and includes its own sampling resolution.
      longestStallMs: histogram.max / 1e6,
      peakRssMb: peakRss / (1024 * 1024),
    };
  } finally {
    clearInterval(sampler);
    histogram.disable();
  }
}
