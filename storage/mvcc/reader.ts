// Reading the MVCC families at a snapshot: the point lookups every action is built from (the lock on a
// key, the newest write record at or below a timestamp, a transaction's own commit or rollback record,
// a version's value), and the MVCC point read `mvccGet` (scans are in scanner.ts).
//
// Read rule (TiKV's `check_ts_conflict`): a read at readTs is blocked by a lock on its key when the
// lock's transaction started at or before readTs (it may commit at or below readTs, and then the read
// must see it), unless the lock is a `lock` or `pessimistic` lock (they never change the value), its
// minCommitTs is above readTs (the transaction is bound to commit later), or the caller listed the
// lock's start timestamp in `bypassLockTs` (its own transaction, or one it learned commits later). A
// blocked read returns a KeyIsLocked result, never a value.
//
// The visible version at readTs is the newest write record with commitTs <= readTs that is a put or a
// delete; lock and rollback records say nothing about the value and are skipped.

import { StorageError } from '../env/errors.js';
import type { KeyValueIterator } from '../lsm/iterator.js';
import { Family, dataKey, familyUserKeyPrefix, lockKey, timestampOfVersionedKey } from './keys.js';
import { type Lock, type Write, decodeLock, decodeWrite, writeKindOf } from './records.js';
import type { KeyIsLocked } from './results.js';
import type { MvccSnapshot } from './snapshot.js';
import { TIMESTAMP_MAX, TIMESTAMP_SIZE_BYTES, type Timestamp, formatTimestamp, writeInvertedTimestamp } from './timestamp.js';

/** A write record with the commit timestamp from its key. */
export interface CommittedWrite {
  readonly commitTs: Timestamp;
  readonly write: Write;
}

/** The lock on `userKey`, if any. */
export function loadLock(snapshot: MvccSnapshot, userKey: Uint8Array): Lock | undefined {
  const bytes = snapshot.get(lockKey(userKey));
  return bytes === undefined ? undefined : decodeLock(bytes);
}

/** True when `lock` must stop a read at `readTs` (the read rule in the file comment). */
export function lockBlocksRead(lock: Lock, readTs: Timestamp, bypassLockTs?: ReadonlySet<Timestamp>): boolean {
  if (lock.startTs > readTs) return false;
  if (lock.kind === 'lock' || lock.kind === 'pessimistic') return false;
  if (lock.minCommitTs > readTs) return false;
  if (bypassLockTs !== undefined && bypassLockTs.has(lock.startTs)) return false;
  return true;
}

/**
 * An iterator over the write records of one user key, newest first. The bounds hold exactly that key's
 * versions (memcomparable keys are prefix-free), so `valid()` means "at a version of this key".
 */
export class WriteCursor {
  private readonly iterator: KeyValueIterator;
  /** `Write | memcomparable(userKey)`: every seek key starts with it. */
  private readonly prefix: Uint8Array;

  constructor(snapshot: MvccSnapshot, userKey: Uint8Array) {
    this.prefix = familyUserKeyPrefix(Family.Write, userKey);
    // The prefix ends with a memcomparable marker below 0xff, so bumping its last byte gives the first
    // key after every key that starts with it.
    const upperBound = this.prefix.slice();
    upperBound[upperBound.length - 1]!++;
    this.iterator = snapshot.iterator({ lowerBound: this.prefix, upperBound });
  }

  /** Positions at the newest record with commitTs <= `timestamp`. */
  seek(timestamp: Timestamp): void {
    const key = new Uint8Array(this.prefix.length + TIMESTAMP_SIZE_BYTES);
    key.set(this.prefix, 0);
    writeInvertedTimestamp(key, this.prefix.length, timestamp);
    this.iterator.seek(key);
  }
  valid(): boolean {
    return this.iterator.valid();
  }
  next(): void {
    this.iterator.next();
  }
  commitTs(): Timestamp {
    return timestampOfVersionedKey(this.iterator.key());
  }
  write(): Write {
    return decodeWrite(this.iterator.value());
  }
  /** The record's bytes (a view, valid until the cursor moves). */
  valueBytes(): Uint8Array {
    return this.iterator.value();
  }
  /** The record's kind without decoding it. */
  kind(): Write['kind'] {
    return writeKindOf(this.iterator.value());
  }
  close(): void {
    this.iterator.close();
  }
}

/** The newest write record of `userKey` with commitTs <= `timestamp`, of any kind (TiKV's `seek_write`). */
export function seekWrite(snapshot: MvccSnapshot, userKey: Uint8Array, timestamp: Timestamp): CommittedWrite | undefined {
  const cursor = new WriteCursor(snapshot, userKey);
  try {
    cursor.seek(timestamp);
    return cursor.valid() ? { commitTs: cursor.commitTs(), write: cursor.write() } : undefined;
  } finally {
    cursor.close();
  }
}

/** The version visible at `readTs`: the newest put or delete with commitTs <= readTs. */
export function readVersion(snapshot: MvccSnapshot, userKey: Uint8Array, readTs: Timestamp): CommittedWrite | undefined {
  const cursor = new WriteCursor(snapshot, userKey);
  try {
    cursor.seek(readTs);
    for (; cursor.valid(); cursor.next()) {
      const bytes = cursor.valueBytes();
      const kind = writeKindOf(bytes);
      if (kind === 'put' || kind === 'delete') return { commitTs: cursor.commitTs(), write: decodeWrite(bytes) };
    }
    return undefined;
  } finally {
    cursor.close();
  }
}

/** The value of a put record: inlined, or in the data family at the writer's start timestamp. */
export function loadValue(snapshot: MvccSnapshot, userKey: Uint8Array, write: Write): Uint8Array {
  if (write.kind !== 'put') throw new StorageError('INVALID_ARGUMENT', `loadValue: a ${write.kind} record has no value`);
  if (write.shortValue !== undefined) return write.shortValue;
  const value = snapshot.get(dataKey(userKey, write.startTs));
  if (value === undefined) {
    throw new StorageError(
      'CORRUPTION',
      `put record of the transaction started at ${formatTimestamp(write.startTs)} has no inline value and no data-family value`,
    );
  }
  return value;
}

/**
 * What the write family says about the transaction that started at `startTs` on `userKey` (TiKV's
 * `get_txn_commit_record`):
 *  - committed: a record of this transaction that is not a rollback, with its commit timestamp;
 *  - rolled-back: its rollback record, or another transaction's commit record at commitTs = startTs
 *    that carries the overlapped-rollback flag;
 *  - none: no record. `overlappedWrite` is another transaction's commit record that sits at
 *    commitTs = startTs without the flag: a rollback of this transaction must set the flag on it
 *    rather than overwrite it.
 * Looks only at records with commitTs >= startTs (a transaction commits after it starts).
 */
export type TxnCommitRecord =
  | { readonly kind: 'committed'; readonly commitTs: Timestamp; readonly write: Write }
  | { readonly kind: 'rolled-back'; readonly isProtected: boolean }
  | { readonly kind: 'none'; readonly overlappedWrite?: CommittedWrite | undefined };

export function getTxnCommitRecord(snapshot: MvccSnapshot, userKey: Uint8Array, startTs: Timestamp): TxnCommitRecord {
  const cursor = new WriteCursor(snapshot, userKey);
  try {
    let overlappedWrite: CommittedWrite | undefined;
    // Every record above startTs is read: the walk is bounded by the commits since this transaction
    // began, which is what a late request pays for.
    for (cursor.seek(TIMESTAMP_MAX); cursor.valid(); cursor.next()) {
      const commitTs = cursor.commitTs();
      if (commitTs < startTs) break;
      const write = cursor.write();
      if (write.startTs === startTs) {
        if (write.kind === 'rollback') return { kind: 'rolled-back', isProtected: write.isProtected === true };
        return { kind: 'committed', commitTs, write };
      }
      if (commitTs === startTs) {
        if (write.hasOverlappedRollback === true) return { kind: 'rolled-back', isProtected: true };
        overlappedWrite = { commitTs, write };
      }
    }
    return { kind: 'none', overlappedWrite };
  } finally {
    cursor.close();
  }
}

export interface ReadOptions {
  /** Start timestamps of transactions whose locks do not block this read (see the file comment). */
  readonly bypassLockTs?: ReadonlySet<Timestamp> | undefined;
}

export interface GetOptions extends ReadOptions {
  /**
   * The key's newest put or delete record in the snapshot, when the caller knows it (a cache kept
   * exactly in step with the store). If its commitTs <= readTs it is the visible version and the
   * write family is not searched; otherwise the search runs as usual.
   */
  readonly newestWrite?: CommittedWrite | undefined;
}

export type GetResult =
  | { readonly code: 'OK'; readonly value: Uint8Array | undefined; readonly commitTs?: Timestamp | undefined }
  | KeyIsLocked;

/** The value of `userKey` visible at `readTs`, or the lock that blocks the read. */
export function mvccGet(snapshot: MvccSnapshot, userKey: Uint8Array, readTs: Timestamp, options: GetOptions = {}): GetResult {
  const lock = loadLock(snapshot, userKey);
  if (lock !== undefined && lockBlocksRead(lock, readTs, options.bypassLockTs)) {
    return { code: 'KEY_IS_LOCKED', locks: [{ key: userKey, lock }] };
  }
  const newest = options.newestWrite;
  const version = newest !== undefined && newest.commitTs <= readTs ? newest : readVersion(snapshot, userKey, readTs);
  if (version === undefined || version.write.kind === 'delete') return { code: 'OK', value: undefined, commitTs: version?.commitTs };
  return { code: 'OK', value: loadValue(snapshot, userKey, version.write), commitTs: version.commitTs };
}
