// Check-secondary-locks (TiKV's commands/check_secondary_locks.rs): resolving an async-commit
// transaction. Such a transaction is committed exactly when every one of its keys was prewritten, at
// the largest minCommitTs among them, so a resolver that finds its primary locked asks each range
// about the transaction's secondaries.
//
// Per key, in order, stopping at the first that decides:
//  - our prewrite lock: still LOCKED; its lock is collected (the resolver takes the largest minCommitTs,
//    and falls back to forceSyncCommit if one of them does not use async commit).
//  - our pessimistic lock (the key was never prewritten): the transaction can no longer commit. The
//    lock is removed and a protected rollback record written: ROLLED_BACK.
//  - no lock of ours: the commit record decides: COMMITTED at its timestamp, or ROLLED_BACK. No record
//    at all: the prewrite has not arrived; a protected rollback record is written so it fails when it
//    does: ROLLED_BACK.
// The rollback records are protected so that no later rollback collapses them and lets a stale
// prewrite through.

import { WriteBatch } from '../../lsm/write-batch.js';
import { lockKey } from '../keys.js';
import { getTxnCommitRecord, loadLock } from '../reader.js';
import type { ActionOutput, LockedKey } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import type { Timestamp } from '../timestamp.js';
import { checkDistinctKeys, checkTimestamp, putRollbackRecord } from './common.js';

export interface CheckSecondaryLocksRequest {
  readonly keys: readonly Uint8Array[];
  readonly startTs: Timestamp;
}

export type CheckSecondaryLocksResult =
  | { readonly code: 'LOCKED'; readonly locks: readonly LockedKey[] }
  | { readonly code: 'COMMITTED'; readonly commitTs: Timestamp }
  | { readonly code: 'ROLLED_BACK' };

export function checkSecondaryLocks(snapshot: MvccSnapshot, request: CheckSecondaryLocksRequest): ActionOutput<CheckSecondaryLocksResult> {
  const { startTs } = request;
  checkTimestamp(startTs, 'checkSecondaryLocks: start timestamp');
  checkDistinctKeys(request.keys, 'checkSecondaryLocks');
  const batch = new WriteBatch();
  const locks: LockedKey[] = [];
  for (const key of request.keys) {
    const lock = loadLock(snapshot, key);
    if (lock !== undefined && lock.startTs === startTs) {
      if (lock.kind !== 'pessimistic') {
        locks.push({ key, lock });
        continue;
      }
      batch.delete(lockKey(key));
      const record = getTxnCommitRecord(snapshot, key, startTs);
      if (record.kind === 'none') putRollbackRecord(snapshot, batch, key, startTs, true, record.overlappedWrite);
      return { batch, result: { code: 'ROLLED_BACK' } };
    }
    const record = getTxnCommitRecord(snapshot, key, startTs);
    if (record.kind === 'committed') return { batch, result: { code: 'COMMITTED', commitTs: record.commitTs } };
    if (record.kind === 'none') putRollbackRecord(snapshot, batch, key, startTs, true, record.overlappedWrite);
    return { batch, result: { code: 'ROLLED_BACK' } };
  }
  return { batch, result: { code: 'LOCKED', locks } };
}
