// The db_bench workload, shared by both engines so that the same bytes are written and read in the
// same order: 16-byte decimal keys ("%016d", as db_bench writes them) and 100-byte random values.
// Values are random bytes, so compression cannot help either engine; both run without it.

import { SeededRandom } from '../../storage/env/random.js';

export const keySizeBytes = 16;
export const valueSizeBytes = 100;

export function keyOf(index: number): Uint8Array {
  return Buffer.from(String(index).padStart(keySizeBytes, '0'), 'latin1');
}

/** A pool of random values; entry i uses slice i mod pool size, as db_bench's RandomGenerator does. */
export class ValuePool {
  private readonly pool: Uint8Array;
  constructor(seed: number) {
    this.pool = new SeededRandom(seed).fill(new Uint8Array(1 << 20));
  }
  valueOf(index: number): Uint8Array {
    const offset = (index * valueSizeBytes) % (this.pool.length - valueSizeBytes);
    return this.pool.subarray(offset, offset + valueSizeBytes);
  }
}

/** A fixed permutation of 0..count-1, the order of a random fill or random reads. */
export function shuffledIndexes(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new SeededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/**
 * Runs `count` operations keeping at most `inFlightMax` unresolved at once. Synchronous results are
 * taken as they come (no promise is made for them), so an engine with a synchronous API is not charged
 * for an await it does not need, and an asynchronous one keeps its thread pool busy. A run of
 * synchronous operations gives the event loop back every `yieldEveryMs`, as a server would between
 * requests, so the stall figure measures the engine and not this loop.
 */
export async function runWindowed<T>(
  count: number,
  inFlightMax: number,
  operation: (index: number) => T | Promise<T>,
  yieldEveryMs = 2,
): Promise<void> {
  let next = 0;
  let failure: unknown;
  // One slice of the event loop's time, shared by every worker: all workers that yield wait for the
  // same setImmediate, and the slice restarts only when it fires. (A clock that each resuming worker
  // restarted let 64 workers run 2 ms each in one turn: a 128 ms stall made by this loop.)
  let sliceStartedMs = performance.now();
  let pendingYield: Promise<void> | undefined;
  const yieldTurn = (): Promise<void> =>
    (pendingYield ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        pendingYield = undefined;
        sliceStartedMs = performance.now();
        resolve();
      }),
    ));
  const worker = async (): Promise<void> => {
    let operationsSinceCheck = 0;
    while (next < count && failure === undefined) {
      // The clock is read before the first operation of a run and then every 16th.
      if ((operationsSinceCheck++ & 15) === 0 && performance.now() - sliceStartedMs > yieldEveryMs) {
        await yieldTurn();
        operationsSinceCheck = 0;
        continue;
      }
      const result = operation(next++);
      if (result instanceof Promise) {
        await result.catch((error: unknown) => void (failure ??= error));
        // An asynchronous result arrives through the event loop, so a new slice begins.
        sliceStartedMs = performance.now();
        operationsSinceCheck = 0;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlightMax, count) }, worker));
  if (failure !== undefined) throw failure;
}
