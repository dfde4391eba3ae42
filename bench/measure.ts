// Measurements every benchmark shares: the longest event-loop stall and the peak resident set size
// while a phase runs.
//
// The stall is measured with a timer that asks to run every `tickMs`: the longest gap between two of
// its runs, less `tickMs`, is the longest time the loop could not serve a timer. The gap from the last
// run to the end of the phase counts too, so a phase that never yields shows its whole length (the
// perf_hooks histogram would show nothing for it, since its timer never gets to record a sample).

export interface PhaseMeasurement<T> {
  readonly result: T;
  readonly elapsedMs: number;
  /** Longest delay of the event loop seen during the phase, in milliseconds. */
  readonly longestStallMs: number;
  /** Peak resident set size during the phase, in MiB. */
  readonly peakRssMb: number;
}

const tickMs = 2;

export async function measurePhase<T>(run: () => Promise<T>): Promise<PhaseMeasurement<T>> {
  let peakRss = process.memoryUsage.rss();
  let lastTickMs = performance.now();
  let longestGapMs = 0;
  let ticks = 0;
  const ticker = setInterval(() => {
    const nowMs = performance.now();
    longestGapMs = Math.max(longestGapMs, nowMs - lastTickMs);
    lastTickMs = nowMs;
    // RSS is read on every 10th tick; reading it is a system call.
    if (++ticks % 10 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, tickMs);
  const started = performance.now();
  try {
    const result = await run();
    const endedMs = performance.now();
    longestGapMs = Math.max(longestGapMs, endedMs - lastTickMs);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return {
      result,
      elapsedMs: endedMs - started,
      longestStallMs: Math.max(0, longestGapMs - tickMs),
      peakRssMb: peakRss / (1024 * 1024),
    };
  } finally {
    clearInterval(ticker);
  }
}
