// The embedded key-value transaction API: a ReefDB node in this process, used through transactions.
//
//   const db = await KvDatabase.open();                 // in memory
//   const db = await KvDatabase.open({ dir: './data' }); // on disk, durable (commits are synced)
//   const txn = await db.begin({ isolation: 'serializable' });
//   await txn.put(key, value); const v = await txn.get(key); await txn.commit();
//   await db.close();
//
// Everything goes through the one data path: Transaction → routing client → range leader → Raft → LSM.
// `transaction(fn)` runs fn in a transaction and retries it on serialization failures and deadlocks
// (SQLSTATE 40001, 40P01), as a careful PostgreSQL client would.

import type { RangeDescriptor } from '../cluster/placement/range-descriptor.js';
import type { SplitResult } from '../cluster/node/protocol.js';
import type { StoreConfig } from '../cluster/node/store.js';
import { type Clock, SystemClock } from '../storage/env/clock.js';
import type { FileSystem } from '../storage/env/file-system.js';
import { MemoryFileSystem } from '../storage/env/memory-file-system.js';
import { type Random, SeededRandom } from '../storage/env/random.js';
import { RealFileSystem } from '../storage/env/real-file-system.js';
import type { LsmOptions } from '../storage/lsm/options.js';
import { isTxnError, type Transaction, TransactionManager, type TxnConfig, type TxnOptions } from './txn/index.js';
import { LocalNode } from './local-node.js';

export interface KvDatabaseOptions {
  /** Data directory on the real file system; absent (and no `fs`): in memory. */
  readonly dir?: string | undefined;
  /** A file system to run on instead (tests pass a fault-injecting one); `dir` defaults to "/reef". */
  readonly fs?: FileSystem | undefined;
  readonly clock?: Clock | undefined;
  readonly random?: Random | undefined;
  readonly store?: Partial<StoreConfig> | undefined;
  readonly txn?: Partial<TxnConfig> | undefined;
  readonly lsm?: Partial<Omit<LsmOptions, 'fs' | 'dir' | 'clock'>> | undefined;
}

export interface TransactionRetryOptions extends TxnOptions {
  /** Attempts before the last serialization failure is thrown (default 20). */
  readonly maxAttempts?: number;
}

export class KvDatabase {
  private closed = false;

  private constructor(
    readonly node: LocalNode,
    readonly transactions: TransactionManager,
  ) {}

  static async open(options: KvDatabaseOptions = {}): Promise<KvDatabase> {
    const clock = options.clock ?? new SystemClock();
    const random = options.random ?? new SeededRandom((Math.random() * 2 ** 32) >>> 0);
    const fs = options.fs ?? (options.dir === undefined ? new MemoryFileSystem() : new RealFileSystem());
    const dir = options.dir ?? '/reef';
    const node = await LocalNode.open({ fs, dir, clock, random: random.fork(), store: options.store, lsm: options.lsm });
    const transactions = new TransactionManager({
      kv: node.client,
      tso: node.timestamps,
      detector: node.client,
      clock,
      random: random.fork(),
      config: options.txn,
    });
    return new KvDatabase(node, transactions);
  }

  /** Begins a transaction (READ COMMITTED unless told otherwise, as PostgreSQL). */
  begin(options: TxnOptions = {}): Promise<Transaction> {
    return this.transactions.begin(options);
  }

  /**
   * Runs `body` in a transaction and commits it; on a serialization failure or deadlock (40001, 40P01)
   * rolls back and runs it again, up to `maxAttempts` times. Any other error rolls back and is thrown.
   */
  async transaction<T>(body: (txn: Transaction) => Promise<T>, options: TransactionRetryOptions = {}): Promise<T> {
    const attempts = options.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      const txn = await this.begin(options);
      try {
        const result = await body(txn);
        await txn.commit();
        return result;
      } catch (error) {
        await txn.rollback().catch(() => undefined);
        if (attempt >= attempts || !isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED')) throw error;
      }
    }
  }

  /** Splits the range holding `key` so that a range starts at it (administration and tests). */
  split(key: Uint8Array): Promise<SplitResult> {
    return this.node.client.split(key);
  }

  /** The user ranges, in key order. */
  ranges(): Promise<RangeDescriptor[]> {
    return this.node.client.ranges();
  }

  /**
   * Test hook: the process dies. Requests fail at once, timers stop, in-flight work is abandoned and
   * the storage is dropped without a flush — what a crash leaves is what the file system kept.
   */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.node.client.close();
    await this.node.store.close();
    await this.transactions.close().catch(() => undefined);
    await this.node.db.close().catch(() => undefined);
  }

  /** Waits for background commits, then stops the node and closes its storage. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.transactions.close();
    } finally {
      await this.node.close();
    }
  }
}
