// What a node answers: requests addressed to one range (evaluated by its leader replica) and requests
// addressed to the node's placement services (range lookup, timestamps, deadlock detection: served by
// the meta range's leader). The routing client (cluster/kv) sends these; in one process it calls the
// node's KvService directly, across processes the same shapes travel as msgpack frames.
//
// A range request carries the range id and the generation the sender's cache had. The node evaluates
// it if every key lies in the range's current span (a stale generation alone is not an error), and
// answers a routing error otherwise: NOT_LEADER (with the leader's node if known), RANGE_KEY_MISMATCH
// (with the current descriptors of this range and of ranges split from it, to refresh the cache),
// RANGE_NOT_FOUND. AMBIGUOUS means a write was proposed but the outcome is unknown (leadership lost).

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
  KeyIsLocked,
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
import type { RangeDescriptor } from '../placement/range-descriptor.js';

export interface BatchGetRequest {
  readonly keys: readonly Uint8Array[];
  readonly readTs: Timestamp;
  readonly bypassLockTs?: ReadonlySet<Timestamp> | undefined;
}

/** `values[i]` is the value of `keys[i]` (undefined: no live value at readTs). */
export type BatchGetResult = { readonly code: 'OK'; readonly values: readonly (Uint8Array | undefined)[] } | KeyIsLocked;

export interface SplitRequest {
  /** Where the right-hand range starts; absent: the range's median key. */
  readonly splitKey?: Uint8Array | undefined;
}

export type SplitResult = { readonly code: 'OK'; readonly left: RangeDescriptor; readonly right: RangeDescriptor } | { readonly code: 'NOT_SPLIT' };

/** Request bodies of each range method. */
export interface RangeBodies {
  batchGet: BatchGetRequest;
  scan: ScanRequest;
  prewrite: PrewriteRequest;
  acquirePessimisticLock: AcquirePessimisticLockRequest;
  pessimisticRollback: PessimisticRollbackRequest;
  commit: CommitRequest;
  rollback: RollbackRequest;
  cleanup: CleanupRequest;
  checkTxnStatus: CheckTxnStatusRequest;
  checkSecondaryLocks: CheckSecondaryLocksRequest;
  resolveLock: ResolveLockRequest;
  heartbeat: HeartbeatRequest;
  checkReadSet: CheckReadSetRequest;
  split: SplitRequest;
}

/** Results of each range method. */
export interface RangeResults {
  batchGet: BatchGetResult;
  scan: ScanResult;
  prewrite: PrewriteResult;
  acquirePessimisticLock: AcquirePessimisticLockResult;
  pessimisticRollback: { readonly code: 'OK' };
  commit: CommitResult;
  rollback: RollbackResult;
  cleanup: CleanupResult;
  checkTxnStatus: CheckTxnStatusResult;
  checkSecondaryLocks: CheckSecondaryLocksResult;
  resolveLock: ResolveLockResult;
  heartbeat: HeartbeatResult;
  checkReadSet: CheckReadSetResult;
  split: SplitResult;
}

export type RangeMethod = keyof RangeBodies;

export type RangeRequest = { [M in RangeMethod]: { readonly method: M; readonly body: RangeBodies[M] } }[RangeMethod];

export interface RangeRequestEnvelope<M extends RangeMethod = RangeMethod> {
  readonly rangeId: number;
  readonly generation: number;
  readonly method: M;
  readonly body: RangeBodies[M];
}

export type RoutingError =
  | { readonly code: 'NOT_LEADER'; readonly leaderNodeId: number | undefined; readonly message: string }
  | { readonly code: 'RANGE_KEY_MISMATCH'; readonly descriptors: readonly RangeDescriptor[]; readonly message: string }
  | { readonly code: 'RANGE_NOT_FOUND'; readonly message: string }
  | { readonly code: 'AMBIGUOUS'; readonly message: string }
  | { readonly code: 'UNAVAILABLE'; readonly message: string };

export type RangeResponse<M extends RangeMethod = RangeMethod> =
  | { readonly ok: true; readonly result: RangeResults[M] }
  | { readonly ok: false; readonly error: RoutingError };

/** Requests served by the meta range's leader on behalf of the whole cluster. */
export interface PlacementBodies {
  /**
   * The range holding `key` and up to `prefetch` ranges after it; with `inclusiveEnd`, the range holding
   * the keys just below `key` (undefined key: the last range). See placement/meta.ts lookupDescriptors.
   */
  lookupRange: { readonly key: Uint8Array | undefined; readonly prefetch: number; readonly inclusiveEnd?: boolean };
  timestamps: { readonly count: number };
  detectDeadlock: { readonly waiter: Timestamp; readonly holder: Timestamp; readonly key: Uint8Array };
  cleanUpWaitFor: { readonly waiter: Timestamp };
}

export interface PlacementResults {
  lookupRange: { readonly descriptors: readonly RangeDescriptor[] };
  timestamps: { readonly first: Timestamp; readonly count: number };
  detectDeadlock: { readonly code: 'OK' } | { readonly code: 'DEADLOCK'; readonly cycle: readonly Timestamp[] };
  cleanUpWaitFor: { readonly code: 'OK' };
}

export type PlacementMethod = keyof PlacementBodies;

export type PlacementResponse<M extends PlacementMethod = PlacementMethod> =
  | { readonly ok: true; readonly result: PlacementResults[M] }
  | { readonly ok: false; readonly error: RoutingError };

/** A node as the routing client sees it (in process: the node's KvService; remote: a connection). */
export interface NodeEndpoint {
  sendRange<M extends RangeMethod>(request: RangeRequestEnvelope<M>): Promise<RangeResponse<M>>;
  sendPlacement<M extends PlacementMethod>(method: M, body: PlacementBodies[M]): Promise<PlacementResponse<M>>;
}
