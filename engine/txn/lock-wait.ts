// One wait for other transactions' locks: the loop every request that can meet locks runs (reads,
// row locks, prewrite). The request is tried; when it answers KEY_IS_LOCKED the resolver decides what
// it can, and if locks of live transactions remain the waiter
//   - tells the deadlock detector whom it waits for (only a transaction that holds locks itself can be
//     part of a cycle, so a lock-free reader never registers), and fails with 40P01 when the detector
//     answers that the edge closes a cycle (this waiter is the victim);
//   - sleeps a backoff (cut at the time the lock in the way expires, when that is sooner);
//   - fails with 55P03 once lockWaitTimeoutMs has passed since the wait began.
// When the wait ends, however it ends, the waiter's edges are removed from the detector.
//
// Bounded: a round that resolved everything retries at once, but after IMMEDIATE_RETRIES_MAX such
// rounds in a row it backs off too, so a key that keeps getting new short-lived locks cannot spin the
// event loop; the deadline bounds the whole wait.

import type { DeadlockDetector } from '../../cluster/kv/kv-client.js';
import type { Clock } from '../../storage/env/clock.js';
import type { Random } from '../../storage/env/random.js';
import { type KeyIsLocked, type Timestamp, formatTimestamp } from '../../storage/mvcc/index.js';
import { Backoff } from './backoff.js';
import type { TxnConfig } from './config.js';
import { TxnError, formatKey } from './errors.js';
import type { LockResolver } from './lock-resolver.js';

const IMMEDIATE_RETRIES_MAX = 8;

export interface LockWaitDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly config: TxnConfig;
  readonly resolver: LockResolver;
  readonly detector: DeadlockDetector;
}

export interface LockWaitOptions {
  /** The waiting transaction (its start timestamp names it to the detector). */
  readonly startTs: Timestamp;
  /** The caller's read timestamp, or TIMESTAMP_ZERO for a writer. */
  readonly callerTs: Timestamp;
  /** Whether the waiter holds locks (then it registers wait-for edges). */
  readonly holdsLocks: () => boolean;
  /** Where start timestamps of transactions a reader may read past are added. */
  readonly bypass?: Set<Timestamp> | undefined;
  /** What the caller is waiting to do, for the timeout message ("read", "lock", "commit"). */
  readonly what: string;
}

/**
 * Runs `attempt` until it answers something other than KEY_IS_LOCKED, resolving and waiting in
 * between (see the file comment). Throws TxnError 40P01 or 55P03.
 */
export async function withLockWait<Result extends { readonly code: string }>(
  deps: LockWaitDeps,
  options: LockWaitOptions,
  attempt: () => Promise<Result | KeyIsLocked>,
): Promise<Exclude<Result, KeyIsLocked>> {
  const { clock, config } = deps;
  const deadlineMs = clock.monotonicMs() + config.lockWaitTimeoutMs;
  // Made on the first lock met: most requests meet none.
  let backoffState: Backoff | undefined;
  const backoffOf = (): Backoff => (backoffState ??= new Backoff(clock, deps.random, config.backoffBaseMs, config.backoffMaxMs, deadlineMs));
  let registered = false;
  let immediateRetries = 0;
  try {
    for (;;) {
      const result = await attempt();
      if (result.code !== 'KEY_IS_LOCKED') return result as Exclude<Result, KeyIsLocked>;
      const locked = result as KeyIsLocked;
      const outcome = await deps.resolver.resolve(locked.locks, options.callerTs, options.startTs);
      for (const startTs of outcome.bypass) options.bypass?.add(startTs);
      const first = outcome.pending[0];
      if (first === undefined) {
        if (++immediateRetries <= IMMEDIATE_RETRIES_MAX) continue;
        immediateRetries = 0;
        if (!(await backoffOf().wait())) throw timeout(options, locked.locks[0]!.key, undefined);
        continue;
      }
      immediateRetries = 0;
      if (options.holdsLocks()) {
        const holders = new Map<Timestamp, Uint8Array>();
        for (const { key, lock } of outcome.pending) if (!holders.has(lock.startTs)) holders.set(lock.startTs, key);
        for (const [holder, key] of holders) {
          registered = true;
          const detected = await deps.detector.detect({ waiter: options.startTs, holder, key });
          if (detected.code === 'DEADLOCK') {
            throw new TxnError('DEADLOCK_DETECTED', 'deadlock detected', {
              detail:
                `Transaction ${formatTimestamp(options.startTs)} waits for transaction ${formatTimestamp(holder)} on key "${formatKey(key)}"; ` +
                `the cycle is ${detected.cycle.map(formatTimestamp).join(' -> ')}.`,
            });
          }
        }
      }
      if (!(await backoffOf().wait(outcome.msBeforeExpiry))) throw timeout(options, first.key, first.lock.startTs);
    }
  } finally {
    // A detector that cannot be reached must not replace the wait's own outcome; its edges expire.
    if (registered) await deps.detector.cleanUpWaitFor(options.startTs).catch(() => undefined);
  }
}

function timeout(options: LockWaitOptions, key: Uint8Array, holder: Timestamp | undefined): TxnError {
  const by = holder === undefined ? '' : ` held by transaction ${formatTimestamp(holder)}`;
  return new TxnError('LOCK_NOT_AVAILABLE', `could not obtain lock on row (${options.what} waited longer than the lock wait timeout)`, {
    detail: `Key "${formatKey(key)}"${by}.`,
  });
}
