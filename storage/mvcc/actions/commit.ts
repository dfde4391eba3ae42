// Commit: turns the transaction's locks on `keys` into commit records at commitTs (TiKV's
// actions/commit.rs). Committing the primary is the transaction's commit point; secondaries follow.
//
// Per key:
//  - our lock is there: fail with CommitTsExpired if commitTs < lock.minCommitTs (a reader pushed it, or
//    async commit computed a higher minimum); otherwise write the commit record (kind from the lock: a
//    leftover pessimistic lock commits as a lock record; a short value moves into the record) and
//    delete the lock. A long value stays in the data family at startTs.
//  - no lock of ours: the commit record decides. Ours (not a rollback) means a repeated commit: nothing
//    to do (idempotent). A rollback record, or nothing at all (a collapsed rollback), means the
//    transaction was rolled back: TxnLockNotFound.
// Any failure fails the whole request (empty batch).

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { getTxnCommitRecord, loadLock } from '../reader.js';
import type { ActionOutput, CommitTsExpired, TxnLockNotFound } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import type { Timestamp } from '../timestamp.js';
import { checkDistinctKeys, checkTimestamp, commitLock, failed } from './common.js';

export interface CommitRequest {
  readonly keys: readonly Uint8Array[];
  readonly startTs: Timestamp;
  readonly commitTs: Timestamp;
}

export type CommitResult = { readonly code: 'OK' } | TxnLockNotFound | CommitTsExpired;

export function commit(snapshot: MvccSnapshot, request: CommitRequest): ActionOutput<CommitResult> {
  const { startTs, commitTs } = request;
  checkTimestamp(startTs, 'commit: start timestamp');
  checkTimestamp(commitTs, 'commit: commit timestamp');
  if (commitTs <= startTs) {
    throw new StorageError('INVALID_ARGUMENT', `commit: commit timestamp ${commitTs} is not above the start timestamp ${startTs}`);
  }
  checkDistinctKeys(request.keys, 'commit');
  const batch = new WriteBatch();
  for (const key of request.keys) {
    const lock = loadLock(snapshot, key);
    if (lock !== undefined && lock.startTs === startTs) {
      if (commitTs < lock.minCommitTs) {
        return failed({ code: 'COMMIT_TS_EXPIRED', key, startTs, commitTs, minCommitTs: lock.minCommitTs });
      }
      commitLock(snapshot, batch, key, lock, commitTs);
      continue;
    }
    const record = getTxnCommitRecord(snapshot, key, startTs);
    if (record.kind !== 'committed') return failed({ code: 'TXN_LOCK_NOT_FOUND', key, startTs, commitTs });
  }
  return { batch, result: { code: 'OK' } };
}
