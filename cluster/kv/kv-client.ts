// KvClient: what the transaction coordinator (engine/txn) asks of the key-value layer. Every method takes
// keys anywhere in the key space; the routing client (routing-client.ts) splits a request by range, sends
// the parts in parallel to each range's leader, retries stale-cache and not-leader answers, and merges
// the parts' results into one. The requests and results are the MVCC actions' own (storage/mvcc), so
// the rules written there hold here: failures are values (KEY_IS_LOCKED, WRITE_CONFLICT, ...), thrown
// errors are for bad input, broken invariants and a cluster that cannot answer (KvUnavailableError).
//
// Merging rules, per method:
// - batchGet / scan / checkReadSet: KEY_IS_LOCKED parts merge their locks; any other failure wins.
// - prewrite / acquirePessimisticLock / commit / rollback / pessimisticRollback / resolveLock: the first
//   failure (in key order of the parts) is returned; parts that succeeded stay applied, exactly as if
//   the requests had been sent one range at a time (the coordinator rolls them back or retries).
// - prewrite: `minCommitTs` is the largest of the parts'. With `tryOnePc`, one-phase commit is asked for
//   only when every mutation falls in one range; `onePcCommitTs` says whether it happened.
// Keys below USER_KEY_MIN are reserved for the system (the meta range) and refused.

import type {
  AcquirePessimisticLockRequest,
  AcquirePessimisticLockResult,
  CheckSecondaryLocksRequest,
  CheckSecondaryLocksResult,
  CheckTxnStatusRequest,
  CheckTxnStatusResult,
  CleanupRequest,
  CleanupResult,
  CommitRequest,
  CommitResult,
  HeartbeatRequest,
  HeartbeatResult,
  KeyValuePair,
  PessimisticRollbackRequest,
  PrewriteRequest,
  PrewriteResult,
  ResolveLockRequest,
  ResolveLockResult,
  RollbackRequest,
  RollbackResult,
  ScanRequest,
  ScanResult,
  Timestamp,
} from '../../storage/mvcc/index.js';
import type { CheckReadSetRequest, CheckReadSetResult } from '../../storage/mvcc/read-set.js';
import type { BatchGetRequest, BatchGetResult } from '../node/protocol.js';

export type { BatchGetRequest, BatchGetResult };

/** The smallest key a client may read or write; keys below it belong to the system. */
export const USER_KEY_MIN = new Uint8Array([0x01]);

export interface KvClient {
  batchGet(request: BatchGetRequest): Promise<BatchGetResult>;
  /** Scans across ranges in key order (or reverse), up to `limit` pairs in all. */
  scan(request: ScanRequest): Promise<ScanResult>;
  prewrite(request: PrewriteRequest, options?: { readonly tryOnePc?: boolean }): Promise<PrewriteResult>;
  acquirePessimisticLock(request: AcquirePessimisticLockRequest): Promise<AcquirePessimisticLockResult>;
  pessimisticRollback(request: PessimisticRollbackRequest): Promise<{ readonly code: 'OK' }>;
  commit(request: CommitRequest): Promise<CommitResult>;
  rollback(request: RollbackRequest): Promise<RollbackResult>;
  cleanup(request: CleanupRequest): Promise<CleanupResult>;
  checkTxnStatus(request: CheckTxnStatusRequest): Promise<CheckTxnStatusResult>;
  checkSecondaryLocks(request: CheckSecondaryLocksRequest): Promise<CheckSecondaryLocksResult>;
  /** With `keys`, resolves those keys; otherwise walks [startKey, endKey) across ranges to the end. */
  resolveLock(request: ResolveLockRequest): Promise<ResolveLockResult>;
  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult>;
  /** SERIALIZABLE's commit-time validation of what a transaction read (storage/mvcc/read-set.ts). */
  checkReadSet(request: CheckReadSetRequest): Promise<CheckReadSetResult>;
}

/** Timestamps from the oracle: strictly increasing across every caller and across restarts. */
export interface TimestampSource {
  /** One fresh timestamp (callers' requests in the same turn share one round trip). */
  now(): Promise<Timestamp>;
}

/** A wait-for edge: `waiter` waits for a lock held by `holder` on `key`. */
export interface WaitForEdge {
  readonly waiter: Timestamp;
  readonly holder: Timestamp;
  readonly key: Uint8Array;
}

export type DetectResult =
  | { readonly code: 'OK' }
  /** Adding the edge would close a cycle: the waiter is the victim (SQLSTATE 40P01). */
  | { readonly code: 'DEADLOCK'; readonly cycle: readonly Timestamp[] };

/** The cluster's deadlock detector (served by the meta range's leader, as TiKV's by region 1's). */
export interface DeadlockDetector {
  /** Records that `edge.waiter` waits; answers DEADLOCK instead when that would close a cycle. */
  detect(edge: WaitForEdge): Promise<DetectResult>;
  /** The waiter stopped waiting (it got the lock, gave up, or finished). */
  cleanUpWaitFor(waiter: Timestamp): Promise<void>;
}

export type { KeyValuePair };
