// Pessimistic row locks (TiKV's actions/acquire_pessimistic_lock.rs and pessimistic_rollback): a
// pessimistic transaction locks the keys it will write as it goes (UPDATE, SELECT ... FOR UPDATE),
// before commit, so that conflicts are met early and waited for instead of aborting at prewrite.
//
// A pessimistic lock is a lock of kind `pessimistic` carrying the transaction's forUpdateTs: the
// timestamp its statement read at. It never blocks readers (it changes no value) but blocks writers:
// other transactions' pessimistic locks and prewrites meet it as KeyIsLocked and wait (the caller's
// lock manager queues them and detects deadlocks from the waits-for edges this result gives it).
//
// acquirePessimisticLock, per key (all keys or none):
//  - a lock of another transaction: KeyIsLocked (the first one; the caller waits on it and retries).
//  - our pessimistic lock: a repeat. Its forUpdateTs is raised to the request's if that is larger.
//  - our prewrite lock: LockTypeNotMatch (the key was already prewritten; the request is stale).
//  - no lock: the newest write record decides. Committed after forUpdateTs (any kind): WriteConflict
//    'pessimistic-retry' (the statement must read again at a newer forUpdateTs and retry). Our own
//    rollback at startTs (or an overlapped-rollback flag there), found at or after the newest record:
//    PessimisticLockRolledBack. With shouldNotExist, a live newest version: AlreadyExists.
//    Otherwise the lock is written.
// With returnValues the result carries each key's newest committed value (at most forUpdateTs, as the
// checks above guarantee), so SELECT ... FOR UPDATE needs no second read.
//
// pessimisticRollback removes our pessimistic locks with forUpdateTs at most the request's, writing
// no rollback record (a statement that failed, or a deadlock victim, releases what it locked; the
// transaction may go on and lock again).

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { lockKey } from '../keys.js';
import { type Lock, type Write, encodeLock } from '../records.js';
import { loadLock, loadValue, readVersion, seekWrite } from '../reader.js';
import type {
  ActionOutput,
  AlreadyExists,
  KeyIsLocked,
  LockTypeNotMatch,
  PessimisticLockRolledBack,
  WriteConflict,
} from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_MAX, TIMESTAMP_ZERO, type Timestamp } from '../timestamp.js';
import { checkDistinctKeys, checkTimestamp, checkTtlMs, failed } from './common.js';

export interface PessimisticLockKey {
  readonly key: Uint8Array;
  /** Fail with AlreadyExists if the key has a live value (INSERT into a unique key). */
  readonly shouldNotExist?: boolean | undefined;
}

export interface AcquirePessimisticLockRequest {
  readonly keys: readonly PessimisticLockKey[];
  readonly primary: Uint8Array;
  readonly startTs: Timestamp;
  readonly forUpdateTs: Timestamp;
  readonly lockTtlMs: number;
  /** The locks' minCommitTs (TIMESTAMP_ZERO, the default: none). */
  readonly minCommitTs?: Timestamp | undefined;
  readonly returnValues?: boolean | undefined;
}

export type AcquirePessimisticLockResult =
  | {
      readonly code: 'OK';
      /** With returnValues: each key's newest committed value, in request order (undefined: none). */
      readonly values?: readonly (Uint8Array | undefined)[] | undefined;
    }
  | KeyIsLocked
  | WriteConflict
  | PessimisticLockRolledBack
  | AlreadyExists
  | LockTypeNotMatch;

export function acquirePessimisticLock(
  snapshot: MvccSnapshot,
  request: AcquirePessimisticLockRequest,
): ActionOutput<AcquirePessimisticLockResult> {
  const { startTs, forUpdateTs } = request;
  checkTimestamp(startTs, 'acquirePessimisticLock: start timestamp');
  checkTimestamp(forUpdateTs, 'acquirePessimisticLock: forUpdateTs');
  if (forUpdateTs < startTs) throw new StorageError('INVALID_ARGUMENT', 'acquirePessimisticLock: forUpdateTs is below the start timestamp');
  checkTtlMs(request.lockTtlMs);
  checkDistinctKeys(
    request.keys.map((entry) => entry.key),
    'acquirePessimisticLock',
  );
  const batch = new WriteBatch();
  const values: (Uint8Array | undefined)[] = [];
  for (const { key, shouldNotExist } of request.keys) {
    const lock = loadLock(snapshot, key);
    if (lock !== undefined) {
      if (lock.startTs !== startTs) return failed({ code: 'KEY_IS_LOCKED', locks: [{ key, lock }] });
      if (lock.kind !== 'pessimistic') return failed({ code: 'LOCK_TYPE_NOT_MATCH', key, startTs });
      if (lock.forUpdateTs === undefined || lock.forUpdateTs < forUpdateTs) {
        const raised: Lock = { ...lock, forUpdateTs, ttlMs: Math.max(lock.ttlMs, request.lockTtlMs) };
        batch.put(lockKey(key), encodeLock(raised));
      }
      if (request.returnValues === true) values.push(newestValue(snapshot, key));
      continue;
    }
    const newest = seekWrite(snapshot, key, TIMESTAMP_MAX);
    if (newest !== undefined) {
      if (newest.commitTs > forUpdateTs) {
        return failed({
          code: 'WRITE_CONFLICT',
          key,
          startTs,
          conflictStartTs: newest.write.startTs,
          conflictCommitTs: newest.commitTs,
          reason: 'pessimistic-retry',
        });
      }
      if (isOwnRollback(newest.commitTs, newest.write, startTs)) return failed({ code: 'PESSIMISTIC_LOCK_ROLLED_BACK', key, startTs });
      if (newest.commitTs > startTs) {
        // Our rollback may sit below newer records: look at the slot of our start timestamp itself.
        const older = seekWrite(snapshot, key, startTs);
        if (older !== undefined && isOwnRollback(older.commitTs, older.write, startTs)) {
          return failed({ code: 'PESSIMISTIC_LOCK_ROLLED_BACK', key, startTs });
        }
      }
    }
    if (shouldNotExist === true || request.returnValues === true) {
      const live = readVersion(snapshot, key, TIMESTAMP_MAX);
      const isLive = live !== undefined && live.write.kind === 'put';
      if (shouldNotExist === true && isLive) {
        return failed({ code: 'ALREADY_EXISTS', key, existingStartTs: live.write.startTs, existingCommitTs: live.commitTs });
      }
      if (request.returnValues === true) values.push(isLive ? loadValue(snapshot, key, live.write) : undefined);
    }
    const lockRecord: Lock = {
      kind: 'pessimistic',
      primary: request.primary,
      startTs,
      ttlMs: request.lockTtlMs,
      minCommitTs: request.minCommitTs ?? TIMESTAMP_ZERO,
      forUpdateTs,
      useAsyncCommit: false,
      txnSize: 0,
    };
    batch.put(lockKey(key), encodeLock(lockRecord));
  }
  return { batch, result: request.returnValues === true ? { code: 'OK', values } : { code: 'OK' } };
}

function isOwnRollback(commitTs: Timestamp, write: Write, startTs: Timestamp): boolean {
  return commitTs === startTs && (write.kind === 'rollback' || write.hasOverlappedRollback === true);
}

function newestValue(snapshot: MvccSnapshot, key: Uint8Array): Uint8Array | undefined {
  const live = readVersion(snapshot, key, TIMESTAMP_MAX);
  return live !== undefined && live.write.kind === 'put' ? loadValue(snapshot, key, live.write) : undefined;
}

export interface PessimisticRollbackRequest {
  readonly keys: readonly Uint8Array[];
  readonly startTs: Timestamp;
  /** Only locks acquired at or below this forUpdateTs are released. */
  readonly forUpdateTs: Timestamp;
}

export function pessimisticRollback(snapshot: MvccSnapshot, request: PessimisticRollbackRequest): ActionOutput<{ readonly code: 'OK' }> {
  checkTimestamp(request.startTs, 'pessimisticRollback: start timestamp');
  checkTimestamp(request.forUpdateTs, 'pessimisticRollback: forUpdateTs');
  const batch = new WriteBatch();
  for (const key of request.keys) {
    const lock = loadLock(snapshot, key);
    if (
      lock !== undefined &&
      lock.startTs === request.startTs &&
      lock.kind === 'pessimistic' &&
      (lock.forUpdateTs ?? TIMESTAMP_ZERO) <= request.forUpdateTs
    ) {
      batch.delete(lockKey(key));
    }
  }
  return { batch, result: { code: 'OK' } };
}
