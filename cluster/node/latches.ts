// Key latches: the store's promise to the MVCC actions (storage/mvcc/actions/common.ts) that actions
// touching a key are serialized from evaluation until their batch is applied. TiKV's scheduler latches,
// per key rather than per hash slot.
//
// A writer acquires every key of its request, one at a time in byte order (so two writers can never
// wait for each other in a cycle), and holds them until its command is applied or dropped. Waiters of a
// key are served first come, first served: release hands the latch directly to the next waiter.
//
// Readers do not take latches; they wait until the writers already queued on the keys they read are
// done (`awaitWriters`), by queueing behind them and releasing at once. This gives linearizable reads
// in the presence of one-phase and async commits, whose commit timestamp is fixed at evaluation: a read
// that started after such a write was evaluated sees its result (it waits for the apply), and a read
// that started before raised the node's max read timestamp before the evaluation, which puts the commit
// timestamp above the read's.

import { byteString } from '../../storage/lsm/coding.js';

interface Latch {
  readonly key: Uint8Array;
  readonly waiters: (() => void)[];
}

const latchId = byteString;

function sortedDistinct(keys: readonly Uint8Array[]): Uint8Array[] {
  const sorted = [...keys].sort((a, b) => Buffer.compare(a, b));
  return sorted.filter((key, i) => i === 0 || Buffer.compare(sorted[i - 1]!, key) !== 0);
}

/** The keys a writer holds; release it exactly once. */
export class LatchGuard {
  private released = false;
  constructor(
    private readonly latches: Latches,
    readonly ids: readonly string[],
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    this.latches.releaseIds(this.ids);
  }
}

export class Latches {
  private readonly held = new Map<string, Latch>();

  /** Number of keys currently latched (for tests and stats). */
  get size(): number {
    return this.held.size;
  }

  /** Acquires every key (duplicates allowed) and resolves when all are held. */
  async acquire(keys: readonly Uint8Array[]): Promise<LatchGuard> {
    const ordered = sortedDistinct(keys);
    const ids: string[] = [];
    for (const key of ordered) {
      const id = latchId(key);
      const latch = this.held.get(id);
      if (latch === undefined) {
        this.held.set(id, { key, waiters: [] });
      } else {
        await new Promise<void>((resolve) => latch.waiters.push(resolve));
      }
      ids.push(id);
    }
    return new LatchGuard(this, ids);
  }

  /** Acquires synchronously when every key is free; undefined otherwise (the caller then awaits acquire). */
  tryAcquire(keys: readonly Uint8Array[]): LatchGuard | undefined {
    const ids: string[] = [];
    for (const key of keys) {
      const id = latchId(key);
      if (this.held.has(id) || ids.includes(id)) {
        if (this.held.has(id)) return undefined;
        continue;
      }
      ids.push(id);
    }
    for (let i = 0; i < ids.length; i++) this.held.set(ids[i]!, { key: keys[i]!, waiters: [] });
    return new LatchGuard(this, ids);
  }

  releaseIds(ids: readonly string[]): void {
    for (const id of ids) {
      const latch = this.held.get(id);
      if (latch === undefined) throw new Error('latches: released a key that is not held');
      const next = latch.waiters.shift();
      if (next !== undefined) next();
      else this.held.delete(id);
    }
  }

  /** Whether a writer holds one of `keys` or a key inside `span` (the check of awaitWriters, no wait). */
  anyHeld(keys: readonly Uint8Array[], span?: { start: Uint8Array | undefined; end: Uint8Array | undefined }): boolean {
    if (this.held.size === 0) return false;
    for (const key of keys) if (this.held.has(latchId(key))) return true;
    if (span !== undefined) {
      for (const latch of this.held.values()) {
        if (span.start !== undefined && Buffer.compare(latch.key, span.start) < 0) continue;
        if (span.end !== undefined && Buffer.compare(latch.key, span.end) >= 0) continue;
        return true;
      }
    }
    return false;
  }

  /**
   * Resolves once every writer queued now on one of `keys` is done; undefined (no wait) when none is.
   * With `span`, also waits for latched keys inside [span.start, span.end).
   */
  awaitWriters(keys: readonly Uint8Array[], span?: { start: Uint8Array | undefined; end: Uint8Array | undefined }): Promise<void> | undefined {
    if (this.held.size === 0) return undefined;
    const busy: Uint8Array[] = [];
    for (const key of keys) if (this.held.has(latchId(key))) busy.push(key);
    if (span !== undefined) {
      for (const latch of this.held.values()) {
        if (span.start !== undefined && Buffer.compare(latch.key, span.start) < 0) continue;
        if (span.end !== undefined && Buffer.compare(latch.key, span.end) >= 0) continue;
        busy.push(latch.key);
      }
    }
    if (busy.length === 0) return undefined;
    return this.acquire(busy).then((guard) => guard.release());
  }
}
