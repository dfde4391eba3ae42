// The one place the transaction tests get a KV layer from: openTxnTestKv wires a TransactionManager to
// a KvClient, a timestamp oracle, a deadlock detector and a virtual clock. Today the KV layer is the
// in-memory double (memory-kv.ts) cut into ranges at `splitKeys`; pointing this factory at an embedded
// node instead runs every test in test/engine/txn against the real stack unchanged, so the tests use
// nothing but what this returns.
//
// Also here: the small helpers every test file shares (text keys, a retry loop for transactions).

import type { DeadlockDetector, KvClient, TimestampSource } from '../../../cluster/kv/kv-client.js';
import { LocalDeadlockDetector, WaitForGraph } from '../../../cluster/placement/wait-for-graph.js';
import { SeededRandom } from '../../../storage/env/random.js';
import type { LockedKey } from '../../../storage/mvcc/index.js';
import type { TxnConfig } from '../../../engine/txn/config.js';
import { isTxnError } from '../../../engine/txn/errors.js';
import type { Transaction, TxnOptions } from '../../../engine/txn/transaction.js';
import { TransactionManager } from '../../../engine/txn/transaction-manager.js';
import { ClockTimestampSource } from './clock-oracle.js';
import { MemoryKvClient } from './memory-kv.js';
import { VirtualClock } from './virtual-clock.js';
import { ScaledClock } from './scaled-clock.js';
import { LocalNode } from '../../../engine/local-node.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import type { Clock } from '../../../storage/env/clock.js';
import { LsmMvccSnapshot } from '../../../storage/mvcc/lsm-snapshot.js';
import { scanLocks, TIMESTAMP_MAX } from '../../../storage/mvcc/index.js';

export interface TxnTestKvOptions {
  /** Seeds the interleaving of range parts and the backoff jitter. */
  readonly seed?: number | undefined;
  /** Range boundaries (text keys are latin1 bytes). */
  readonly splitKeys?: readonly (string | Uint8Array)[] | undefined;
  readonly config?: Partial<TxnConfig> | undefined;
  /** Wraps the KV client the manager uses (to record calls or inject failures). */
  readonly wrapKv?: ((kv: KvClient) => KvClient) | undefined;
  /** Interleave the parts of concurrent requests (default true; the memory backend only). */
  readonly interleave?: boolean | undefined;
  /**
   * The KV layer: 'memory' (the double, on virtual time) or 'node' (an embedded node — routing client,
   * ranges on Raft, LSM on an in-memory file system — on a sped-up real clock). Default: the
   * REEF_TXN_BACKEND environment variable, else 'memory'.
   */
  readonly backend?: 'memory' | 'node' | undefined;
}

export interface TxnTestKv {
  readonly manager: TransactionManager;
  /** The KV layer itself (not wrapped), for tests that look underneath the coordinator. */
  readonly kv: KvClient;
  readonly tso: TimestampSource;
  readonly clock: Clock;
  /** Another coordinator over the same KV layer (a second process), closed by close(). */
  newManager(config?: Partial<TxnConfig>, wrapKv?: (kv: KvClient) => KvClient): TransactionManager;
  /** Waits `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** Every lock left in the store. */
  locks(): Promise<LockedKey[]>;
  /** Closes every manager (waiting for their background work). */
  close(): Promise<void>;
}

export async function openTxnTestKv(options: TxnTestKvOptions = {}): Promise<TxnTestKv> {
  const backend = options.backend ?? (process.env['REEF_TXN_BACKEND'] === 'node' ? 'node' : 'memory');
  if (backend === 'node') return openOnNode(options);
  const seed = options.seed ?? 1;
  const random = new SeededRandom(seed);
  const clock = new VirtualClock();
  const kv = new MemoryKvClient({
    splitKeys: (options.splitKeys ?? []).map((key) => (typeof key === 'string' ? bytes(key) : key)),
    random: options.interleave === false ? undefined : random.fork(),
  });
  const tso = new ClockTimestampSource(clock);
  const detector = new LocalDeadlockDetector(new WaitForGraph({ clock, edgeTtlMs: 5000 }));
  const { managers, newManager } = managerFactory({ kv, tso, detector, clock, random }, options);
  const manager = newManager(undefined, options.wrapKv);
  return {
    manager,
    kv,
    tso,
    clock,
    newManager,
    sleep: (ms) => new Promise((resolve) => clock.setTimer(ms, resolve)),
    locks: async () => kv.locks(),
    close: async () => {
      for (const each of managers) await each.close();
    },
  };
}

/** Coordinators over one KV layer, each with its own jitter source, all remembered for close(). */
function managerFactory(
  deps: { kv: KvClient; tso: TimestampSource; detector: DeadlockDetector; clock: Clock; random: SeededRandom },
  options: TxnTestKvOptions,
): { managers: TransactionManager[]; newManager: TxnTestKv['newManager'] } {
  const managers: TransactionManager[] = [];
  const newManager = (config?: Partial<TxnConfig>, wrapKv?: (kv: KvClient) => KvClient): TransactionManager => {
    const manager = new TransactionManager({
      kv: wrapKv === undefined ? deps.kv : wrapKv(deps.kv),
      tso: deps.tso,
      detector: deps.detector,
      clock: deps.clock,
      random: deps.random.fork(),
      config: { ...options.config, ...config },
    });
    managers.push(manager);
    return manager;
  };
  return { managers, newManager };
}

/** The same environment over a real embedded node (see TxnTestKvOptions.backend). */
async function openOnNode(options: TxnTestKvOptions): Promise<TxnTestKv> {
  const random = new SeededRandom(options.seed ?? 1);
  const clock = new ScaledClock(20);
  const node = await LocalNode.open({ fs: new MemoryFileSystem(), dir: '/node', clock, random: random.fork(), store: { tickMs: 100 } });
  for (const key of options.splitKeys ?? []) await node.client.split(typeof key === 'string' ? bytes(key) : key);
  const { managers, newManager } = managerFactory({ kv: node.client, tso: node.timestamps, detector: node.client, clock, random }, options);
  const manager = newManager(undefined, options.wrapKv);
  let locksAtClose: LockedKey[] | undefined;
  const locksNow = (): LockedKey[] => {
    const snapshot = new LsmMvccSnapshot(node.db);
    try {
      return scanLocks(snapshot, { maxTs: TIMESTAMP_MAX, limit: 1_000_000 });
    } finally {
      snapshot.release();
    }
  };
  return {
    manager,
    kv: node.client,
    tso: node.timestamps,
    clock,
    newManager,
    sleep: (ms) => new Promise((resolve) => clock.setTimer(ms, resolve)),
    // After close, the locks the node held when it closed (tests check that nothing was left).
    locks: async () => locksAtClose ?? locksNow(),
    close: async () => {
      try {
        for (const each of managers) await each.close();
        locksAtClose = locksNow();
      } finally {
        await node.close();
      }
    },
  };
}

export const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
export const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : Buffer.from(value).toString('latin1'));

/**
 * Runs `body` in a transaction and commits, retrying the whole transaction on 40001 and 40P01 (as a
 * client should), up to `attemptsMax` times. Returns the body's result and the number of attempts.
 */
export async function retryTxn<T>(
  manager: TransactionManager,
  options: TxnOptions,
  body: (txn: Transaction) => Promise<T>,
  attemptsMax = 200,
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const txn = await manager.begin(options);
    try {
      const value = await body(txn);
      await txn.commit();
      return { value, attempts: attempt };
    } catch (error) {
      await txn.rollback().catch(() => undefined);
      if (!isTxnError(error, 'SERIALIZATION_FAILURE', 'DEADLOCK_DETECTED') || attempt >= attemptsMax) throw error;
    }
  }
}

/** Stands between the coordinator and the KV layer: sees every call, and may change or fail it. */
export type KvInterceptor = (method: keyof KvClient, args: readonly unknown[], call: () => Promise<unknown>) => Promise<unknown>;

/** A wrapKv that routes every KvClient call through `interceptor`. */
export function interceptKv(interceptor: KvInterceptor): (kv: KvClient) => KvClient {
  return (kv) =>
    new Proxy(kv, {
      get(target, property, receiver) {
        const member: unknown = Reflect.get(target, property, receiver);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => interceptor(property as keyof KvClient, args, () => (member as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
}

export interface KvCall {
  readonly method: keyof KvClient;
  readonly args: readonly unknown[];
}

/** A wrapKv that appends every call to `log`. */
export function recordKvCalls(log: KvCall[]): (kv: KvClient) => KvClient {
  return interceptKv((method, args, call) => {
    log.push({ method, args });
    return call();
  });
}
