// Rollback and cleanup (TiKV's actions/cleanup.rs and commands/rollback.rs): undo a transaction on
// some keys and leave a rollback record, so that a prewrite that arrives late fails instead of
// resurrecting the transaction.
//
// rollback — the coordinator abandons its own transaction on `keys`. Per key:
//  - our lock is there: roll it back (remove it and its long value; rollback record, protected on the
//    primary).
//  - no lock of ours: a commit record means the transaction is committed: TxnCommitted (nothing is
//    undone). A rollback already recorded: nothing to do (idempotent). No record: write a rollback
//    record anyway (the prewrite may still be on its way), protected if the key is `primaryKey`.
//
// cleanup — someone else rolls back the transaction on its primary key, for example a reader that found
// its lock. Like rollback on one key, except that a live lock (TTL not expired at currentTs) is
// reported as KeyIsLocked and left alone (currentTs 0 skips that check), and the rollback record is
// always protected: cleanup targets primaries.

import { WriteBatch } from '../../lsm/write-batch.js';
import { getTxnCommitRecord, loadLock } from '../reader.js';
import type { ActionOutput, KeyIsLocked, TxnCommitted } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_ZERO, type Timestamp } from '../timestamp.js';
import { bytesEqual, checkDistinctKeys, checkTimestamp, failed, isLockExpired, putRollbackRecord, rollbackLock } from './common.js';

export interface RollbackRequest {
  readonly keys: readonly Uint8Array[];
  readonly startTs: Timestamp;
  /** The transaction's primary key: its rollback record is protected even when no lock is found. */
  readonly primaryKey: Uint8Array;
}

export type RollbackResult = { readonly code: 'OK' } | TxnCommitted;

export function rollback(snapshot: MvccSnapshot, request: RollbackRequest): ActionOutput<RollbackResult> {
  checkTimestamp(request.startTs, 'rollback: start timestamp');
  checkDistinctKeys(request.keys, 'rollback');
  const batch = new WriteBatch();
  for (const key of request.keys) {
    const failure = rollbackKey(snapshot, batch, key, request.startTs, bytesEqual(key, request.primaryKey));
    if (failure !== undefined) return failed(failure);
  }
  return { batch, result: { code: 'OK' } };
}

export interface CleanupRequest {
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
  /** The current time from the oracle; a lock alive at it is not rolled back. TIMESTAMP_ZERO: roll back regardless. */
  readonly currentTs: Timestamp;
}

export type CleanupResult = { readonly code: 'OK' } | TxnCommitted | KeyIsLocked;

export function cleanup(snapshot: MvccSnapshot, request: CleanupRequest): ActionOutput<CleanupResult> {
  const { key, startTs, currentTs } = request;
  checkTimestamp(startTs, 'cleanup: start timestamp');
  checkTimestamp(currentTs, 'cleanup: current timestamp');
  const lock = loadLock(snapshot, key);
  if (lock !== undefined && lock.startTs === startTs && currentTs !== TIMESTAMP_ZERO && !isLockExpired(lock, currentTs)) {
    return failed({ code: 'KEY_IS_LOCKED', locks: [{ key, lock }] });
  }
  const batch = new WriteBatch();
  const failure = rollbackKey(snapshot, batch, key, startTs, true);
  if (failure !== undefined) return failed(failure);
  return { batch, result: { code: 'OK' } };
}

/** Rolls back the transaction that started at `startTs` on `key`, into `batch`; a failure writes nothing. */
function rollbackKey(snapshot: MvccSnapshot, batch: WriteBatch, key: Uint8Array, startTs: Timestamp, protect: boolean): TxnCommitted | undefined {
  const lock = loadLock(snapshot, key);
  if (lock !== undefined && lock.startTs === startTs) {
    rollbackLock(snapshot, batch, key, lock);
    return undefined;
  }
  const record = getTxnCommitRecord(snapshot, key, startTs);
  if (record.kind === 'committed') return { code: 'TXN_COMMITTED', key, startTs, commitTs: record.commitTs };
  if (record.kind === 'rolled-back') return undefined;
  putRollbackRecord(snapshot, batch, key, startTs, protect, record.overlappedWrite);
  return undefined;
}
