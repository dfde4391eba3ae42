// What every transaction of one manager shares: the KV client, the oracle, the deadlock detector, the
// injected clock and randomness, the configuration, the lock resolver (with its cache of outcomes),
// and the manager's bookkeeping hooks. A plain object, made once by TransactionManager.

import type { DeadlockDetector, KvClient, TimestampSource } from '../../cluster/kv/kv-client.js';
import type { Clock } from '../../storage/env/clock.js';
import type { Random } from '../../storage/env/random.js';
import type { TxnConfig } from './config.js';
import type { LockResolver } from './lock-resolver.js';
import type { Transaction } from './transaction.js';

export interface TxnRuntime {
  readonly kv: KvClient;
  readonly tso: TimestampSource;
  readonly detector: DeadlockDetector;
  readonly clock: Clock;
  readonly random: Random;
  readonly config: TxnConfig;
  readonly resolver: LockResolver;
  /** Background work (secondary commits, heartbeats) the manager waits for when it closes. */
  readonly track: (work: Promise<unknown>) => void;
  /** True once the manager is closed: transactions take no more calls. */
  readonly isClosed: () => boolean;
  /** A transaction committed, rolled back, failed or was abandoned. */
  readonly onFinished: (transaction: Transaction) => void;
}
