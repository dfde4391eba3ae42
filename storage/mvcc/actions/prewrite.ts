// Prewrite: the first phase of Percolator's commit (TiKV's actions/prewrite.rs and commands/prewrite.rs).
// Writes a lock on every key of the request (and each long value into the data family at startTs), or
// nothing when any key fails.
//
// Per mutation:
//  - A lock of another transaction: KeyIsLocked (all such locks are collected), or, for a key that
//    should hold our pessimistic lock, PessimisticLockNotFound.
//  - Our own lock: a pessimistic lock is upgraded (replaced by the prewrite lock, keeping the larger TTL
//    and minCommitTs); an optimistic prewrite over it is LockTypeNotMatch. Any other lock of ours means
//    the request is a repeat: the key is left as it is (idempotent). A repeat of an async-commit
//    request whose first delivery fell back to two-phase locks reports the fallback again.
//  - No lock, and the mutation is marked `pessimistic`: the pessimistic lock is gone (a resolver rolled
//    it back): PessimisticLockNotFound.
//  - No lock, otherwise (optimistic keys, and unlocked keys of pessimistic transactions, checked the
//    same conservative way): the newest write record decides. Committed after startTs (any kind; a
//    newer rollback counts too, which is what makes collapsing rollbacks safe): WriteConflict. A
//    rollback of ours at startTs (or an overlapped-rollback flag there): WriteConflict 'self-rolled-back'.
//    An insert also fails with AlreadyExists if the newest version is a put.
//  - WriteConflict and PessimisticLockNotFound are re-checked against our own commit record: if this
//    transaction already committed (the request is a late repeat), the answer is AlreadyCommitted with
//    its commit timestamp, and nothing is written.
//
// Commit timestamps. With async commit or 1PC the transaction's commit timestamp is computed, not drawn
// from the oracle: this range's part of it is
//     minCommitTs = max(request.minCommitTs, startTs + 1, forUpdateTs + 1, maxReadTs + 1,
//                       minCommitTs of the pessimistic locks being upgraded)
// where maxReadTs is the largest timestamp any reader has used on this node so far (the caller's
// concurrency manager must raise it before a read checks locks, and read it after latching the keys
// here), so no read already done at or above the commit timestamp can miss these writes. If it exceeds
// request.maxCommitTs the request falls back to plain two-phase locks (`fellBackToTwoPhase`); the
// coordinator then commits normally, and a resolver that finds a non-async lock among an async
// transaction's keys checks the primary with forceSyncCommit. With 1PC (every key of the transaction in
// this request), commit records are written at minCommitTs directly and no lock is left.

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { dataKey, lockKey } from '../keys.js';
import { type Lock, type LockKind, encodeLock, isShortValue } from '../records.js';
import { getTxnCommitRecord, loadLock, readVersion, seekWrite } from '../reader.js';
import type {
  ActionOutput,
  AlreadyExists,
  KeyIsLocked,
  LockTypeNotMatch,
  LockedKey,
  PessimisticLockNotFound,
  WriteConflict,
} from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_MAX, TIMESTAMP_ZERO, type Timestamp, maxTimestamp } from '../timestamp.js';
import { bytesEqual, checkDistinctKeys, checkTimestamp, checkTtlMs, failed, putCommitRecord } from './common.js';

export type Mutation =
  | { readonly kind: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  /** A put that requires the key to have no live value (INSERT on a primary or unique key). */
  | { readonly kind: 'insert'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: 'delete'; readonly key: Uint8Array }
  /** Locks the key without changing it (SELECT ... FOR UPDATE in an optimistic transaction). */
  | { readonly kind: 'lock'; readonly key: Uint8Array };

export type PrewriteMutation = Mutation & {
  /** The key holds this transaction's pessimistic lock, which the prewrite upgrades. */
  readonly pessimistic?: boolean | undefined;
};

export interface PrewriteRequest {
  readonly mutations: readonly PrewriteMutation[];
  readonly primary: Uint8Array;
  readonly startTs: Timestamp;
  readonly lockTtlMs: number;
  /** The number of keys the whole transaction writes (a hint for resolvers). */
  readonly txnSize: number;
  /** Set only for pessimistic transactions: their current forUpdateTs. */
  readonly forUpdateTs?: Timestamp | undefined;
  /**
   * The lock's minCommitTs. For two-phase commit, TIMESTAMP_ZERO (the default) means none and makes
   * the lock unpushable; a nonzero value lets readers push the commit timestamp above their own.
   */
  readonly minCommitTs?: Timestamp | undefined;
  /** Async commit: `secondaries` is every other key of the transaction (stored on the primary's lock). */
  readonly asyncCommit?: { readonly secondaries: readonly Uint8Array[] } | undefined;
  /** One-phase commit: this request holds every key of the transaction. */
  readonly onePc?: boolean | undefined;
  /**
   * The node's largest read timestamp so far, required with async commit or 1PC. The node fills it in
   * when it evaluates the request (after latching the keys), never the sender: a request delivered
   * twice must not carry an old value into its second evaluation.
   */
  readonly maxReadTs?: Timestamp | undefined;
  /** Async commit and 1PC fall back to two-phase locks if the computed minCommitTs exceeds this. */
  readonly maxCommitTs?: Timestamp | undefined;
}

export type PrewriteResult =
  | {
      readonly code: 'OK';
      /** Async commit: the minimum commit timestamp of the locks now held in this request; otherwise 0. */
      readonly minCommitTs: Timestamp;
      /** 1PC: the transaction is committed at this timestamp. */
      readonly onePcCommitTs?: Timestamp | undefined;
      /** Async commit or 1PC was asked for but the commit timestamp would exceed maxCommitTs. */
      readonly fellBackToTwoPhase: boolean;
    }
  /** A repeated prewrite of a transaction that has committed since: nothing written. */
  | { readonly code: 'ALREADY_COMMITTED'; readonly commitTs: Timestamp }
  | KeyIsLocked
  | WriteConflict
  | AlreadyExists
  | PessimisticLockNotFound
  | LockTypeNotMatch;

/** What prewrite decided for one mutation before writing anything. */
interface Plan {
  readonly mutation: PrewriteMutation;
  /** Our pessimistic lock being upgraded, if any. */
  readonly pessimisticLock: Lock | undefined;
}

function lockKindOf(mutation: Mutation): Exclude<LockKind, 'pessimistic'> {
  return mutation.kind === 'insert' ? 'put' : mutation.kind;
}

export function prewrite(snapshot: MvccSnapshot, request: PrewriteRequest): ActionOutput<PrewriteResult> {
  const { startTs, forUpdateTs } = request;
  checkRequest(request);
  const plans: Plan[] = [];
  const locked: LockedKey[] = [];
  // Async commit: repeats report the minCommitTs their existing locks hold, so the coordinator's
  // commit timestamp is the one a resolver would compute from the locks.
  let existingMinCommitTs = TIMESTAMP_ZERO;
  let repeatFellBack = false;
  for (const mutation of request.mutations) {
    const key = mutation.key;
    const lock = loadLock(snapshot, key);
    if (lock !== undefined && lock.startTs !== startTs) {
      if (mutation.pessimistic === true) return orAlreadyCommitted(snapshot, { code: 'PESSIMISTIC_LOCK_NOT_FOUND', key, startTs });
      locked.push({ key, lock });
      continue;
    }
    if (lock !== undefined) {
      if (lock.kind === 'pessimistic') {
        if (forUpdateTs === undefined) return failed({ code: 'LOCK_TYPE_NOT_MATCH', key, startTs });
        plans.push({ mutation, pessimisticLock: lock });
      } else if (lock.useAsyncCommit) {
        existingMinCommitTs = maxTimestamp(existingMinCommitTs, lock.minCommitTs);
      } else if (request.asyncCommit !== undefined) {
        // An earlier delivery of this request fell back to two-phase locks: so does this one.
        repeatFellBack = true;
      }
      continue;
    }
    if (mutation.pessimistic === true) return orAlreadyCommitted(snapshot, { code: 'PESSIMISTIC_LOCK_NOT_FOUND', key, startTs });
    const newest = seekWrite(snapshot, key, TIMESTAMP_MAX);
    if (newest !== undefined) {
      if (newest.commitTs > startTs) {
        return orAlreadyCommitted(snapshot, {
          code: 'WRITE_CONFLICT',
          key,
          startTs,
          conflictStartTs: newest.write.startTs,
          conflictCommitTs: newest.commitTs,
          reason: 'optimistic',
        });
      }
      if (newest.commitTs === startTs && (newest.write.kind === 'rollback' || newest.write.hasOverlappedRollback === true)) {
        return failed({
          code: 'WRITE_CONFLICT',
          key,
          startTs,
          conflictStartTs: newest.write.startTs,
          conflictCommitTs: newest.commitTs,
          reason: 'self-rolled-back',
        });
      }
      if (mutation.kind === 'insert') {
        const live = readVersion(snapshot, key, newest.commitTs);
        if (live !== undefined && live.write.kind === 'put') {
          return failed({ code: 'ALREADY_EXISTS', key, existingStartTs: live.write.startTs, existingCommitTs: live.commitTs });
        }
      }
    }
    plans.push({ mutation, pessimisticLock: undefined });
  }
  if (locked.length > 0) return failed({ code: 'KEY_IS_LOCKED', locks: locked });

  let minCommitTs = request.minCommitTs ?? TIMESTAMP_ZERO;
  for (const plan of plans) {
    if (plan.pessimisticLock !== undefined) minCommitTs = maxTimestamp(minCommitTs, plan.pessimisticLock.minCommitTs);
  }
  let useAsyncCommit = request.asyncCommit !== undefined;
  let onePc = request.onePc === true;
  let fellBackToTwoPhase = false;
  if (useAsyncCommit || onePc) {
    minCommitTs = maxTimestamp(minCommitTs, (startTs + 1) as Timestamp);
    if (forUpdateTs !== undefined) minCommitTs = maxTimestamp(minCommitTs, (forUpdateTs + 1) as Timestamp);
    minCommitTs = maxTimestamp(minCommitTs, (request.maxReadTs! + 1) as Timestamp);
    // A repeated 1PC request whose keys are already locked by us cannot commit them here in one step.
    const tooLate = request.maxCommitTs !== undefined && minCommitTs > request.maxCommitTs;
    if (tooLate || repeatFellBack || (onePc && plans.length < request.mutations.length)) {
      useAsyncCommit = false;
      onePc = false;
      fellBackToTwoPhase = true;
    }
  }

  const batch = new WriteBatch();
  for (const { mutation, pessimisticLock } of plans) {
    const key = mutation.key;
    const value = mutation.kind === 'put' || mutation.kind === 'insert' ? mutation.value : undefined;
    const shortValue = value !== undefined && isShortValue(value) ? value : undefined;
    if (value !== undefined && shortValue === undefined) batch.put(dataKey(key, startTs), value);
    if (onePc) {
      putCommitRecord(snapshot, batch, key, minCommitTs, { kind: lockKindOf(mutation), startTs, shortValue });
      if (pessimisticLock !== undefined) batch.delete(lockKey(key));
      continue;
    }
    const isPrimary = bytesEqual(key, request.primary);
    const lock: Lock = {
      kind: lockKindOf(mutation),
      primary: request.primary,
      startTs,
      ttlMs: Math.max(request.lockTtlMs, pessimisticLock?.ttlMs ?? 0),
      shortValue,
      minCommitTs,
      forUpdateTs,
      useAsyncCommit,
      secondaries: useAsyncCommit && isPrimary ? request.asyncCommit!.secondaries : undefined,
      txnSize: request.txnSize,
    };
    batch.put(lockKey(key), encodeLock(lock));
  }
  // Only locks this request wrote carry the newly computed minimum; repeats keep what they hold.
  const reportedMinCommitTs = useAsyncCommit ? maxTimestamp(plans.length > 0 ? minCommitTs : TIMESTAMP_ZERO, existingMinCommitTs) : TIMESTAMP_ZERO;
  return {
    batch,
    result: { code: 'OK', minCommitTs: reportedMinCommitTs, onePcCommitTs: onePc ? minCommitTs : undefined, fellBackToTwoPhase },
  };
}

function checkRequest(request: PrewriteRequest): void {
  checkTimestamp(request.startTs, 'prewrite: start timestamp');
  checkTtlMs(request.lockTtlMs);
  if (!Number.isSafeInteger(request.txnSize) || request.txnSize < 0) {
    throw new StorageError('INVALID_ARGUMENT', `prewrite: transaction size ${request.txnSize} is not a non-negative integer`);
  }
  if (request.forUpdateTs !== undefined) {
    checkTimestamp(request.forUpdateTs, 'prewrite: forUpdateTs');
    if (request.forUpdateTs < request.startTs) throw new StorageError('INVALID_ARGUMENT', 'prewrite: forUpdateTs is below the start timestamp');
  }
  if (request.minCommitTs !== undefined) checkTimestamp(request.minCommitTs, 'prewrite: minCommitTs');
  if (request.asyncCommit !== undefined || request.onePc === true) {
    if (request.maxReadTs === undefined) throw new StorageError('INVALID_ARGUMENT', 'prewrite: async commit and 1PC need maxReadTs');
    checkTimestamp(request.maxReadTs, 'prewrite: maxReadTs');
  }
  if (request.maxCommitTs !== undefined) checkTimestamp(request.maxCommitTs, 'prewrite: maxCommitTs');
  checkDistinctKeys(
    request.mutations.map((mutation) => mutation.key),
    'prewrite',
  );
  for (const mutation of request.mutations) {
    if (mutation.pessimistic === true && request.forUpdateTs === undefined) {
      throw new StorageError('INVALID_ARGUMENT', 'prewrite: a pessimistic mutation in a transaction without forUpdateTs');
    }
  }
}

/** A failure that may really mean "this transaction already committed and this is a late repeat". */
function orAlreadyCommitted(
  snapshot: MvccSnapshot,
  failure: WriteConflict | PessimisticLockNotFound,
): ActionOutput<PrewriteResult> {
  const record = getTxnCommitRecord(snapshot, failure.key, failure.startTs);
  if (record.kind === 'committed') return failed({ code: 'ALREADY_COMMITTED', commitTs: record.commitTs });
  return failed(failure);
}
