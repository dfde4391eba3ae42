// Pieces several actions share: writing a commit record (which may overlap another transaction's
// rollback), writing and collapsing rollback records, rolling back one lock, the TTL rule, and argument
// checks.
//
// Every action is a pure function of (snapshot, request): it reads the snapshot and returns a batch and
// a result, and changes nothing itself. The caller makes two promises the actions rely on:
//  1. Actions that touch a key are serialized: the caller holds a latch on every key of a request from
//     taking the snapshot until the batch is applied (TiKV's scheduler latches). Two actions on one key
//     never evaluate against the same snapshot.
//  2. The batch is applied atomically, or not at all, before the latches are released.
// A failure result comes with an empty batch.
//
// Rollback records (TiKV's layout): a rollback of the transaction that started at T is a write record of
// kind rollback at key + T. If another transaction's commit record already occupies key + T (its commit
// timestamp equals our start timestamp, possible with async commit and 1PC, whose commit timestamps are
// computed rather than drawn from the oracle), the rollback is recorded by setting the overlapped-
// rollback flag on that commit record instead. A commit that lands on a slot holding another
// transaction's rollback keeps the rollback the same way. A rollback is protected when it may be the
// only thing standing between a late request and a wrong commit: always on a transaction's primary key.
// An unprotected rollback is collapsed (deleted) when a newer rollback is written on the same key, so
// that keys rolled back over and over do not pile up records; collapsing is safe for secondaries
// because the primary's protected rollback decides the transaction, and an optimistic late prewrite
// still fails on the newer rollback record (a record above its start timestamp).

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { dataKey, lockKey, writeKey } from '../keys.js';
import { type Lock, type Write, decodeWrite, encodeWrite } from '../records.js';
import { type CommittedWrite, getTxnCommitRecord, seekWrite } from '../reader.js';
import type { ActionOutput } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import { type Timestamp, formatTimestamp, isTimestamp, physicalMsOf } from '../timestamp.js';

/** The output of an action that failed: the failure with an empty batch. */
export function failed<Result>(result: Result): ActionOutput<Result> {
  return { batch: new WriteBatch(), result };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** True when the lock's time to live has run out at `currentTs` (TiKV compares physical parts). */
export function isLockExpired(lock: Lock, currentTs: Timestamp): boolean {
  return physicalMsOf(lock.startTs) + lock.ttlMs < physicalMsOf(currentTs);
}

export function checkTimestamp(value: Timestamp, what: string): void {
  if (!isTimestamp(value)) throw new StorageError('INVALID_ARGUMENT', `${what} ${String(value)} is not a timestamp`);
}

/** Refuses requests whose keys repeat: each key's outcome is decided against one snapshot, once. */
export function checkDistinctKeys(keys: Iterable<Uint8Array>, what: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    if (seen.has(text)) throw new StorageError('INVALID_ARGUMENT', `${what}: a key appears twice`);
    seen.add(text);
  }
}

export function checkTtlMs(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw new StorageError('INVALID_ARGUMENT', `lock TTL ${ttlMs} ms is not a non-negative integer`);
}

/**
 * Puts the commit record `write` of `userKey` at `commitTs`, keeping a rollback that already sits in
 * that slot (another transaction's, which started at commitTs) as the overlapped-rollback flag.
 */
export function putCommitRecord(snapshot: MvccSnapshot, batch: WriteBatch, userKey: Uint8Array, commitTs: Timestamp, write: Write): void {
  const key = writeKey(userKey, commitTs);
  const existingBytes = snapshot.get(key);
  let record = write;
  if (existingBytes !== undefined) {
    const existing = decodeWrite(existingBytes);
    if (existing.kind !== 'rollback' || existing.startTs === write.startTs) {
      // Two commits in one slot would mean two transactions committed the key at the same timestamp,
      // which first-committer-wins rules out.
      throw new StorageError(
        'CORRUPTION',
        `commit at ${formatTimestamp(commitTs)} of the transaction started at ${formatTimestamp(write.startTs)} ` +
          `meets a ${existing.kind} record of the transaction started at ${formatTimestamp(existing.startTs)}`,
      );
    }
    record = { ...write, hasOverlappedRollback: true };
  }
  batch.put(key, encodeWrite(record));
}

/**
 * Records the rollback of the transaction that started at `startTs` on `userKey`: a rollback record,
 * or the overlapped-rollback flag on the commit record in its slot; then collapses the previous
 * unprotected rollback if this one is unprotected.
 */
export function putRollbackRecord(
  snapshot: MvccSnapshot,
  batch: WriteBatch,
  userKey: Uint8Array,
  startTs: Timestamp,
  isProtected: boolean,
  overlappedWrite: CommittedWrite | undefined,
): void {
  if (overlappedWrite !== undefined) {
    // Always flagged (TiKV skips it for unprotected rollbacks): one extra byte, and a late request of
    // the rolled-back transaction can never mistake the slot for "no record".
    batch.put(writeKey(userKey, startTs), encodeWrite({ ...overlappedWrite.write, hasOverlappedRollback: true }));
  } else {
    batch.put(writeKey(userKey, startTs), encodeWrite({ kind: 'rollback', startTs, isProtected }));
  }
  if (!isProtected) collapsePreviousRollback(snapshot, batch, userKey, startTs);
}

/** Deletes the newest record below `startTs` when it is an unprotected rollback (TiKV's collapse_prev_rollback). */
function collapsePreviousRollback(snapshot: MvccSnapshot, batch: WriteBatch, userKey: Uint8Array, startTs: Timestamp): void {
  if (startTs === 0) return;
  const previous = seekWrite(snapshot, userKey, (startTs - 1) as Timestamp);
  if (previous !== undefined && previous.write.kind === 'rollback' && previous.write.isProtected !== true) {
    batch.delete(writeKey(userKey, previous.commitTs));
  }
}

/**
 * Rolls back `lock`, which belongs to the transaction that started at lock.startTs and sits on
 * `userKey`: removes the lock and a long value it wrote, and records the rollback (protected on the
 * primary). If a rollback is already recorded (the lock came from a late request), only removes the lock.
 */
export function rollbackLock(snapshot: MvccSnapshot, batch: WriteBatch, userKey: Uint8Array, lock: Lock): void {
  const record = getTxnCommitRecord(snapshot, userKey, lock.startTs);
  if (record.kind === 'committed') {
    // Commit deletes the lock in the batch that writes the record, so both cannot exist.
    throw new StorageError(
      'CORRUPTION',
      `the transaction started at ${formatTimestamp(lock.startTs)} has a lock and a commit record at ${formatTimestamp(record.commitTs)}`,
    );
  }
  batch.delete(lockKey(userKey));
  // The data-family slot at startTs belongs to this transaction alone, so its value goes either way.
  if (lock.kind === 'put' && lock.shortValue === undefined) batch.delete(dataKey(userKey, lock.startTs));
  if (record.kind === 'rolled-back') return;
  putRollbackRecord(snapshot, batch, userKey, lock.startTs, bytesEqual(userKey, lock.primary), record.overlappedWrite);
}

/** Commits `lock` (the caller checked it is the transaction's and that commitTs >= its minCommitTs). */
export function commitLock(snapshot: MvccSnapshot, batch: WriteBatch, userKey: Uint8Array, lock: Lock, commitTs: Timestamp): void {
  const kind = lock.kind === 'pessimistic' ? 'lock' : lock.kind;
  putCommitRecord(snapshot, batch, userKey, commitTs, { kind, startTs: lock.startTs, shortValue: lock.shortValue });
  batch.delete(lockKey(userKey));
}
