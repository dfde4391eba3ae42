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
 * synchronous operations yields to the event loop every `yieldEveryMs`, as a server would between
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
  // Shared by all workers: when any of them last got the loop back. A worker that starts or goes on
  // after another has run for yieldEveryMs yields first, so that 64 workers starting one after the
  // other do not add up to one long stall.
  let lastResumeMs = performance.now();
  const worker = async (): Promise<void> => {
    let operationsSinceCheck = 0;
    while (next < count && failure === undefined) {
      if ((operationsSinceCheck++ & 15) === 0 && performance.now() - lastResumeMs > yieldEveryMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastResumeMs = performance.now();
        continue;
      }
      const result = operation(next++);
      if (result instanceof Promise) {
        await result.catch((error: unknown) => void (failure ??= error));
        lastResumeMs = performance.now();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlightMax, count) }, worker));
  if (failure !== undefined) throw failure;
}
