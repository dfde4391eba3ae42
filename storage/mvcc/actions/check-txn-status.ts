// Check-transaction-status (TiKV's actions/check_txn_status.rs): what a reader or writer that met a
// lock asks the lock's primary key. The primary is the transaction's single commit point, so its lock
// or its write record is the transaction's status.
//
// With our lock on the primary:
//  - async commit (and not forceSyncCommit): LOCKED, untouched. Its commit timestamp is fixed by its
//    prewrites, so it is never pushed and never rolled back here; the resolver checks the secondaries
//    (check-secondary-locks) and resolves from what they say.
//  - expired at currentTs (physical part of startTs + ttlMs < physical part of currentTs): rolled back
//    now (protected rollback record): ROLLED_BACK with action 'ttl-expire-rollback'.
//  - alive: if it has a minCommitTs (nonzero) and the caller reads at or above it (callerStartTs not
//    TIMESTAMP_MAX), the minCommitTs is pushed to max(callerStartTs + 1, currentTs), so the transaction
//    will commit above the reader, which may then read past its locks (bypassLockTs). LOCKED, with
//    `minCommitTsPushed` true when the reader may do so (also for callerStartTs = TIMESTAMP_MAX, a read
//    of the latest value that can ignore a transaction not yet committed).
// Without it, the write family decides: COMMITTED (commitTs), or ROLLED_BACK; if there is no record at
// all the transaction never prewrote its primary (or the prewrite is still on its way): with
// rollbackIfNotExist a protected rollback record is written so that the prewrite fails when it comes
// (ROLLED_BACK, action 'lock-not-exist-rollback'); without it, TxnNotFound.

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { lockKey } from '../keys.js';
import { type Lock, encodeLock } from '../records.js';
import { getTxnCommitRecord, loadLock } from '../reader.js';
import type { ActionOutput, TxnNotFound } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_MAX, TIMESTAMP_ZERO, type Timestamp, maxTimestamp } from '../timestamp.js';
import { bytesEqual, checkTimestamp, failed, isLockExpired, putRollbackRecord, rollbackLock } from './common.js';

export interface CheckTxnStatusRequest {
  readonly primaryKey: Uint8Array;
  /** The start timestamp of the transaction being checked (the lock's). */
  readonly lockTs: Timestamp;
  /** The read timestamp of the caller (TIMESTAMP_ZERO: not a reader, push nothing). */
  readonly callerStartTs: Timestamp;
  /** Now, from the oracle: decides whether the lock's TTL has run out. */
  readonly currentTs: Timestamp;
  /** Write a rollback record when the primary has no lock and no record (a resolver sets this). */
  readonly rollbackIfNotExist: boolean;
  /** Treat an async-commit primary like a two-phase one (a secondary was found without async commit). */
  readonly forceSyncCommit?: boolean | undefined;
}

export type CheckTxnStatusResult =
  | { readonly code: 'COMMITTED'; readonly commitTs: Timestamp }
  | {
      readonly code: 'ROLLED_BACK';
      /** What this call did: nothing (already rolled back), or the rollback it just wrote. */
      readonly action: 'none' | 'ttl-expire-rollback' | 'lock-not-exist-rollback';
    }
  | {
      readonly code: 'LOCKED';
      /** The primary's lock, after any push. */
      readonly lock: Lock;
      /** The caller may read past this transaction's locks: it commits above callerStartTs if at all. */
      readonly minCommitTsPushed: boolean;
      readonly action: 'none' | 'min-commit-ts-pushed';
    }
  | TxnNotFound;

export function checkTxnStatus(snapshot: MvccSnapshot, request: CheckTxnStatusRequest): ActionOutput<CheckTxnStatusResult> {
  const { primaryKey, lockTs, callerStartTs, currentTs } = request;
  checkTimestamp(lockTs, 'checkTxnStatus: lock timestamp');
  checkTimestamp(callerStartTs, 'checkTxnStatus: caller start timestamp');
  checkTimestamp(currentTs, 'checkTxnStatus: current timestamp');
  const lock = loadLock(snapshot, primaryKey);
  if (lock !== undefined && lock.startTs === lockTs) {
    if (!bytesEqual(lock.primary, primaryKey)) {
      throw new StorageError('INVALID_ARGUMENT', 'checkTxnStatus: the key is not the primary of the lock on it');
    }
    return checkLockedPrimary(snapshot, request, lock);
  }
  const batch = new WriteBatch();
  const record = getTxnCommitRecord(snapshot, primaryKey, lockTs);
  if (record.kind === 'committed') return { batch, result: { code: 'COMMITTED', commitTs: record.commitTs } };
  if (record.kind === 'rolled-back') return { batch, result: { code: 'ROLLED_BACK', action: 'none' } };
  if (!request.rollbackIfNotExist) return failed({ code: 'TXN_NOT_FOUND', key: primaryKey, startTs: lockTs });
  putRollbackRecord(snapshot, batch, primaryKey, lockTs, true, record.overlappedWrite);
  return { batch, result: { code: 'ROLLED_BACK', action: 'lock-not-exist-rollback' } };
}

function checkLockedPrimary(snapshot: MvccSnapshot, request: CheckTxnStatusRequest, lock: Lock): ActionOutput<CheckTxnStatusResult> {
  const { primaryKey, callerStartTs, currentTs } = request;
  const batch = new WriteBatch();
  if (lock.useAsyncCommit && request.forceSyncCommit !== true) {
    return { batch, result: { code: 'LOCKED', lock, minCommitTsPushed: false, action: 'none' } };
  }
  if (isLockExpired(lock, currentTs)) {
    rollbackLock(snapshot, batch, primaryKey, lock);
    return { batch, result: { code: 'ROLLED_BACK', action: 'ttl-expire-rollback' } };
  }
  let current = lock;
  let action: 'none' | 'min-commit-ts-pushed' = 'none';
  if (lock.minCommitTs !== TIMESTAMP_ZERO && callerStartTs !== TIMESTAMP_MAX && callerStartTs >= lock.minCommitTs) {
    current = { ...lock, minCommitTs: maxTimestamp((callerStartTs + 1) as Timestamp, currentTs) };
    batch.put(lockKey(primaryKey), encodeLock(current));
    action = 'min-commit-ts-pushed';
  }
  const minCommitTsPushed =
    (callerStartTs !== TIMESTAMP_ZERO && current.minCommitTs > callerStartTs) || callerStartTs === TIMESTAMP_MAX;
  return { batch, result: { code: 'LOCKED', lock: current, minCommitTsPushed, action } };
}
