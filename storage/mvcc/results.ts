// What MVCC reads and actions answer when a transaction cannot proceed. These are values, not thrown
// errors: a lock in the way or a conflicting commit is an ordinary outcome that the coordinator acts on
// (resolve the lock and retry, abort with SQLSTATE 40001, wait, report 40P01 or 55P03). Each has a
// `code` the compiler checks switches on. Thrown errors are kept for bad input (StorageError
// 'INVALID_ARGUMENT') and broken invariants in stored data (StorageError 'CORRUPTION').
//
// Every action returns `{ batch, result }`; when `result` is a failure the batch is empty, so applying
// it changes nothing.

import type { WriteBatch } from '../lsm/write-batch.js';
import type { Lock } from './records.js';
import type { Timestamp } from './timestamp.js';

/** A lock met by a read or an action, with the user key it sits on. */
export interface LockedKey {
  readonly key: Uint8Array;
  readonly lock: Lock;
}

/**
 * Locks of other transactions are in the way. The caller checks each lock's primary
 * (check-transaction-status), resolves what it can and retries, or waits for the lock to go away.
 */
export interface KeyIsLocked {
  readonly code: 'KEY_IS_LOCKED';
  readonly locks: readonly LockedKey[];
}

export type WriteConflictReason =
  /** An optimistic prewrite met a write committed after its start timestamp. */
  | 'optimistic'
  /** A pessimistic lock met a write committed after its forUpdateTs: retry with a newer one. */
  | 'pessimistic-retry'
  /** The transaction itself was rolled back on this key (a late request). */
  | 'self-rolled-back';

/** First committer wins: another transaction wrote the key after we started. SQLSTATE 40001. */
export interface WriteConflict {
  readonly code: 'WRITE_CONFLICT';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
  readonly conflictStartTs: Timestamp;
  readonly conflictCommitTs: Timestamp;
  readonly reason: WriteConflictReason;
}

/** A commit found neither its lock nor a commit record: the transaction was rolled back. */
export interface TxnLockNotFound {
  readonly code: 'TXN_LOCK_NOT_FOUND';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
  readonly commitTs: Timestamp;
}

/** The commit timestamp is below the lock's minCommitTs (a reader pushed it): take a newer one. */
export interface CommitTsExpired {
  readonly code: 'COMMIT_TS_EXPIRED';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
  readonly commitTs: Timestamp;
  readonly minCommitTs: Timestamp;
}

/** A status check or heartbeat found no trace of the transaction and was told not to roll it back. */
export interface TxnNotFound {
  readonly code: 'TXN_NOT_FOUND';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
}

/** A rollback (cleanup) met the transaction's commit record: it is committed and cannot be rolled back. */
export interface TxnCommitted {
  readonly code: 'TXN_COMMITTED';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
  readonly commitTs: Timestamp;
}

/** An insert (or a lock that requires absence) met a live value. SQLSTATE 23505 at the SQL edge. */
export interface AlreadyExists {
  readonly code: 'ALREADY_EXISTS';
  readonly key: Uint8Array;
  readonly existingStartTs: Timestamp;
  readonly existingCommitTs: Timestamp;
}

/** A pessimistic lock request found that its transaction was rolled back on this key. */
export interface PessimisticLockRolledBack {
  readonly code: 'PESSIMISTIC_LOCK_ROLLED_BACK';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
}

/** A pessimistic prewrite found its pessimistic lock gone (rolled back by a resolver, or never taken). */
export interface PessimisticLockNotFound {
  readonly code: 'PESSIMISTIC_LOCK_NOT_FOUND';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
}

/**
 * The transaction's own lock on the key is not of the kind the request expects (an optimistic
 * prewrite over a pessimistic lock, or a pessimistic lock request over a prewritten lock).
 */
export interface LockTypeNotMatch {
  readonly code: 'LOCK_TYPE_NOT_MATCH';
  readonly key: Uint8Array;
  readonly startTs: Timestamp;
}

export type TxnFailure =
  | KeyIsLocked
  | WriteConflict
  | TxnLockNotFound
  | CommitTsExpired
  | TxnNotFound
  | TxnCommitted
  | AlreadyExists
  | PessimisticLockRolledBack
  | PessimisticLockNotFound
  | LockTypeNotMatch;

/** What every action returns: the writes to apply atomically, and the outcome. */
export interface ActionOutput<Result> {
  readonly batch: WriteBatch;
  readonly result: Result;
}
