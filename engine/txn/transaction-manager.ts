// The transaction coordinator's entry point: begins transactions against a KvClient (the routing
// client in production, a test double in tests) and owns what they share (runtime.ts): the lock
// resolver and its cache of other transactions' outcomes, and the background work that outlives a
// commit call (secondary commits, heartbeats in flight).
//
// Invariants:
//  - Every transaction's start timestamp comes from the oracle, so it is above every commit timestamp
//    handed out before begin() was called.
//  - close() stops every open transaction's heartbeats, refuses new work (SHUTTING_DOWN, 57P01), and
//    returns once all tracked background work has finished. A background task that broke an invariant
//    makes close() reject with that error, so tests see it; a KV failure in the background is not an
//    error (the committed transaction's remaining locks are resolved by whoever meets them).
//
// Randomness is injected (backoff jitter), and so are the clock (timers, lock ages) and the detector,
// so a test replays a seed exactly.

import type { DeadlockDetector, KvClient, TimestampSource } from '../../cluster/kv/kv-client.js';
import type { Clock } from '../../storage/env/clock.js';
import type { Random } from '../../storage/env/random.js';
import { type TxnConfig, makeTxnConfig } from './config.js';
import { TxnError } from './errors.js';
import { LockResolver } from './lock-resolver.js';
import type { TxnRuntime } from './runtime.js';
import { TxnStatusCache } from './status-cache.js';
import { Transaction, type TxnOptions } from './transaction.js';

export interface TransactionManagerDeps {
  readonly kv: KvClient;
  readonly tso: TimestampSource;
  readonly detector: DeadlockDetector;
  readonly clock: Clock;
  /** Jitter for backoff (storage/env/random.ts; seeded in tests). */
  readonly random: Random;
  readonly config?: Partial<TxnConfig> | undefined;
}

export class TransactionManager {
  readonly config: TxnConfig;
  private readonly runtime: TxnRuntime;
  private readonly active = new Set<Transaction>();
  private readonly background = new Set<Promise<unknown>>();
  private backgroundError: unknown;
  private closed = false;

  constructor(deps: TransactionManagerDeps) {
    this.config = makeTxnConfig(deps.config);
    this.runtime = {
      kv: deps.kv,
      tso: deps.tso,
      detector: deps.detector,
      clock: deps.clock,
      random: deps.random,
      config: this.config,
      resolver: new LockResolver(deps.kv, deps.tso, new TxnStatusCache(this.config.statusCacheEntriesMax)),
      track: (work) => this.track(work),
      isClosed: () => this.closed,
      onFinished: (transaction) => this.active.delete(transaction),
    };
  }

  /** Starts a transaction at a fresh timestamp. */
  async begin(options: TxnOptions = {}): Promise<Transaction> {
    if (this.closed) throw new TxnError('SHUTTING_DOWN', 'the transaction manager is closed');
    const isolation = options.isolation ?? 'read committed';
    if (isolation !== 'read committed' && isolation !== 'repeatable read' && isolation !== 'serializable') {
      throw new TxnError('INVALID_ARGUMENT', `unknown isolation level "${String(isolation)}"`);
    }
    const startTs = await this.runtime.tso.now();
    const transaction = new Transaction(this.runtime, startTs, options);
    this.active.add(transaction);
    return transaction;
  }

  /** Transactions begun and not yet finished. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Background tasks (secondary commits, heartbeats) still running. */
  get backgroundCount(): number {
    return this.background.size;
  }

  /** Waits for the background work tracked so far (and any it starts), without closing. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
    if (this.backgroundError !== undefined) throw this.backgroundError;
  }

  /** Stops heartbeats, refuses new work, and waits for background work to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const transaction of this.active) transaction.shutDown();
    this.active.clear();
    await this.settle();
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.then(
      () => undefined,
      (error: unknown) => {
        this.backgroundError ??= error;
      },
    );
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }
}
