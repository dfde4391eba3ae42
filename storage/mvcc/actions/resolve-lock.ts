// Resolve-lock (TiKV's commands/resolve_lock.rs and resolve_lock_lite): once a resolver knows the fate
// of some transactions (from check-transaction-status or check-secondary-locks), it commits or rolls
// back every lock they left, either on a list of keys or across a span.
//
// `txnStatus` maps a transaction's start timestamp to its commit timestamp, or to TIMESTAMP_ZERO for a
// rolled-back transaction. Every lock met whose start timestamp is in the map is resolved: committed
// exactly as commit does (CommitTsExpired would mean the status given is wrong, and fails the request),
// or rolled back exactly as rollback does. Locks of other transactions are passed over.
//
// A span is walked at most `scanLimit` locks at a time (so one request does bounded work and makes a
// bounded batch); `resumeKey` says where the next request starts.

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { Family, familyBounds, userKeyOfLockKey } from '../keys.js';
import { type Lock, decodeLock } from '../records.js';
import { loadLock } from '../reader.js';
import type { ActionOutput, CommitTsExpired } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_ZERO, type Timestamp } from '../timestamp.js';
import { checkDistinctKeys, commitLock, failed, rollbackLock } from './common.js';

/** The default and largest number of locks one span request examines (TiKV's RESOLVE_LOCK_BATCH_SIZE). */
export const RESOLVE_LOCK_SCAN_LIMIT_DEFAULT = 256;
export const RESOLVE_LOCK_SCAN_LIMIT_MAX = 4096;

export interface ResolveLockRequest {
  /** start timestamp -> commit timestamp, or TIMESTAMP_ZERO to roll back. */
  readonly txnStatus: ReadonlyMap<Timestamp, Timestamp>;
  /** Resolve the locks on these keys only; otherwise walk the span [startKey, endKey). */
  readonly keys?: readonly Uint8Array[] | undefined;
  readonly startKey?: Uint8Array | undefined;
  readonly endKey?: Uint8Array | undefined;
  readonly scanLimit?: number | undefined;
}

export type ResolveLockResult =
  | {
      readonly code: 'OK';
      readonly resolvedCount: number;
      /** Present when the span walk stopped at the limit: the first key not yet examined. */
      readonly resumeKey?: Uint8Array | undefined;
    }
  | CommitTsExpired;

export function resolveLock(snapshot: MvccSnapshot, request: ResolveLockRequest): ActionOutput<ResolveLockResult> {
  for (const [startTs, commitTs] of request.txnStatus) {
    if (commitTs !== TIMESTAMP_ZERO && commitTs <= startTs) {
      throw new StorageError('INVALID_ARGUMENT', `resolveLock: commit timestamp ${commitTs} is not above start timestamp ${startTs}`);
    }
  }
  const batch = new WriteBatch();
  let resolvedCount = 0;
  const resolve = (key: Uint8Array, lock: Lock): CommitTsExpired | undefined => {
    const commitTs = request.txnStatus.get(lock.startTs);
    if (commitTs === undefined) return undefined;
    if (commitTs === TIMESTAMP_ZERO) {
      rollbackLock(snapshot, batch, key, lock);
    } else {
      if (commitTs < lock.minCommitTs) return { code: 'COMMIT_TS_EXPIRED', key, startTs: lock.startTs, commitTs, minCommitTs: lock.minCommitTs };
      commitLock(snapshot, batch, key, lock, commitTs);
    }
    resolvedCount++;
    return undefined;
  };

  if (request.keys !== undefined) {
    checkDistinctKeys(request.keys, 'resolveLock');
    for (const key of request.keys) {
      const lock = loadLock(snapshot, key);
      if (lock === undefined) continue;
      const failure = resolve(key, lock);
      if (failure !== undefined) return failed(failure);
    }
    return { batch, result: { code: 'OK', resolvedCount } };
  }

  const scanLimit = request.scanLimit ?? RESOLVE_LOCK_SCAN_LIMIT_DEFAULT;
  if (!Number.isInteger(scanLimit) || scanLimit < 1 || scanLimit > RESOLVE_LOCK_SCAN_LIMIT_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `resolveLock: scan limit ${scanLimit} is outside [1, ${RESOLVE_LOCK_SCAN_LIMIT_MAX}]`);
  }
  const iterator = snapshot.iterator(familyBounds(Family.Lock, request.startKey, request.endKey));
  try {
    let examined = 0;
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      const key = userKeyOfLockKey(iterator.key());
      if (examined === scanLimit) return { batch, result: { code: 'OK', resolvedCount, resumeKey: key } };
      examined++;
      const failure = resolve(key, decodeLock(iterator.value()));
      if (failure !== undefined) return failed(failure);
    }
    return { batch, result: { code: 'OK', resolvedCount } };
  } finally {
    iterator.close();
  }
}
