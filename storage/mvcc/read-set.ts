// SERIALIZABLE's commit-time validation: did anything a transaction read change after its snapshot?
// The coordinator of a SERIALIZABLE transaction records the keys it point-read and the spans it scanned
// and, after prewriting every key it writes and before committing, asks each range whether any of them
// changed since the transaction's start timestamp. Snapshot isolation alone allows write skew (T1 reads
// x and writes y, T2 reads y and writes x, both commit); this check is what rules it out.
//
// Rule. A read key (or any key inside a read span) has changed when, ignoring the validating
// transaction's own locks and records (its own writes are not a change to what it read, and a repeated
// validation after its commit must not report them):
//  - it has a commit record of kind put or delete with commitTs > startTs (a version newer than the one
//    the snapshot saw; lock and rollback records change no value and are skipped), or
//  - it has a lock of kind put or delete (another transaction's prewrite, which may still commit above
//    startTs). Pessimistic locks and lock-kind locks change no value yet: the prewrite that would change
//    one is written before its transaction's own validation, and the argument below covers that.
// The answer is READ_SET_CHANGED with one such key. A commit record is reported in preference to a lock,
// because it is certain: a lock's transaction may still roll back, and a coordinator may choose to wait
// for it rather than abort. Otherwise the first change found is reported (keys, then spans, in order).
//
// Why this gives serializability. Every transaction T does, in this order: prewrite every key it writes
// (put/delete locks), then validate, then commit. Let V(T) be the moment T's validation starts. Take
// any edge of the dependency graph between two committed transactions:
//  - T1 -rw-> T2 (T1 read a version of k that T2 overwrote, so T2.commitTs > T1.startTs): T1's
//    validation read k either after T2's prewrite of k was applied, and then saw T2's lock or its
//    commit record above T1.startTs and aborted T1, or before it, and then V(T1) < (T2's prewrite of k)
//    < V(T2).
//  - T1 -wr-> T2 or T1 -ww-> T2 (T2 read or overwrote T1's version of k): T2 did so after T1 committed
//    k (a reader that meets T1's lock waits until it is resolved; a writer locks k only once T1's lock
//    is gone, and first committer wins), T1 committed after validating, and T2 validates after its
//    reads and prewrites, so V(T1) < V(T2).
// So every surviving edge goes forward in V order: the graph is acyclic, the history serializable. Write
// skew is the two-transaction case: of two transactions that each read what the other writes, the one
// that validates second sees the other's prewrite lock or commit record.
//
// What the argument asks of callers: validation reads a snapshot taken after the request was sent (the
// range's leader, after applying what came before); GC keeps every record above the oldest running
// transaction's start timestamp; a SERIALIZABLE transaction uses neither 1PC nor async commit, which
// commit at prewrite and would leave validation no way to abort. A reported lock whose transaction
// later rolls back makes the abort unnecessary, never wrong.
//
// Cost: a point key is one lock lookup and a walk over its write records above startTs. A span is one
// pass of one iterator over the lock family and one over the write family: for each user key the
// records above startTs are read (newest first) and the rest of the key is skipped with a few next()
// calls or one seek past its prefix, as scanner.ts does.

import { StorageError } from '../env/errors.js';
import type { KeyValueIterator } from '../lsm/iterator.js';
import { copyBytes } from '../lsm/coding.js';
import { Family, decodeUserKey, familyBounds, isVersionOf, prefixSuccessor, timestampOfVersionedKey, userKeyOfLockKey } from './keys.js';
import { type Lock, decodeLock, decodeWrite, writeKindOf } from './records.js';
import { WriteCursor, loadLock } from './reader.js';
import type { MvccSnapshot } from './snapshot.js';
import { TIMESTAMP_MAX, TIMESTAMP_SIZE_BYTES, type Timestamp, isTimestamp } from './timestamp.js';

/** A scanned span of user keys, [startKey, endKey); an absent bound means the start or end of the key space. */
export interface ReadSpan {
  readonly startKey?: Uint8Array | undefined;
  readonly endKey?: Uint8Array | undefined;
}

export interface CheckReadSetRequest {
  /** The validating transaction's start timestamp: what it read was the snapshot at this timestamp. */
  readonly startTs: Timestamp;
  /** The keys it point-read. */
  readonly keys: readonly Uint8Array[];
  /** The spans it scanned. */
  readonly spans: readonly ReadSpan[];
}

export type CheckReadSetResult =
  | { readonly code: 'OK' }
  | {
      readonly code: 'READ_SET_CHANGED';
      readonly key: Uint8Array;
      readonly conflictStartTs: Timestamp;
      /** The other transaction's commit timestamp; undefined when it is still a lock. */
      readonly conflictCommitTs: Timestamp | undefined;
    };

/** The most keys plus spans one request may carry; a coordinator with more splits them. */
export const READ_SET_ENTRIES_MAX = 1_000_000;

/** Steps taken with next() before a seek past a key's older versions is cheaper (scanner.ts's SEEK_BOUND). */
const SEEK_BOUND = 8;

type Changed = Extract<CheckReadSetResult, { code: 'READ_SET_CHANGED' }>;

export function checkReadSet(snapshot: MvccSnapshot, request: CheckReadSetRequest): CheckReadSetResult {
  const { startTs } = request;
  if (!isTimestamp(startTs)) throw new StorageError('INVALID_ARGUMENT', `checkReadSet: start timestamp ${String(startTs)} is not a timestamp`);
  const entryCount = request.keys.length + request.spans.length;
  if (entryCount > READ_SET_ENTRIES_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `checkReadSet: ${entryCount} keys and spans are above the limit of ${READ_SET_ENTRIES_MAX}`);
  }
  // The first change made by a lock, kept while the search for a certain (committed) change goes on.
  let lockChange: Changed | undefined;
  for (const key of request.keys) {
    const committed = committedChangeOfKey(snapshot, key, startTs);
    if (committed !== undefined) return committed;
    if (lockChange === undefined) {
      const lock = loadLock(snapshot, key);
      if (lock !== undefined && isForeignPrewrite(lock, startTs)) lockChange = lockChanged(key, lock);
    }
  }
  for (const span of request.spans) {
    if (span.startKey !== undefined && span.endKey !== undefined && Buffer.compare(span.startKey, span.endKey) >= 0) continue;
    const committed = committedChangeInSpan(snapshot, span, startTs);
    if (committed !== undefined) return committed;
    lockChange ??= lockChangeInSpan(snapshot, span, startTs);
  }
  return lockChange ?? { code: 'OK' };
}

/** A put or delete lock of another transaction: a value that may change above startTs. */
function isForeignPrewrite(lock: Lock, startTs: Timestamp): boolean {
  return (lock.kind === 'put' || lock.kind === 'delete') && lock.startTs !== startTs;
}

function lockChanged(key: Uint8Array, lock: Lock): Changed {
  return { code: 'READ_SET_CHANGED', key, conflictStartTs: lock.startTs, conflictCommitTs: undefined };
}

/** The newest put or delete of another transaction on `key` committed above startTs, as a change. */
function committedChangeOfKey(snapshot: MvccSnapshot, key: Uint8Array, startTs: Timestamp): Changed | undefined {
  const cursor = new WriteCursor(snapshot, key);
  try {
    for (cursor.seek(TIMESTAMP_MAX); cursor.valid(); cursor.next()) {
      const commitTs = cursor.commitTs();
      if (commitTs <= startTs) return undefined;
      const kind = cursor.kind();
      if (kind !== 'put' && kind !== 'delete') continue;
      const write = cursor.write();
      if (write.startTs !== startTs) return { code: 'READ_SET_CHANGED', key, conflictStartTs: write.startTs, conflictCommitTs: commitTs };
    }
    return undefined;
  } finally {
    cursor.close();
  }
}

/** The first key in `span` (in key order) with a committed change above startTs. */
function committedChangeInSpan(snapshot: MvccSnapshot, span: ReadSpan, startTs: Timestamp): Changed | undefined {
  const iterator = snapshot.iterator(familyBounds(Family.Write, span.startKey, span.endKey));
  try {
    iterator.seekToFirst();
    while (iterator.valid()) {
      const keyBytes = iterator.key();
      const prefix = copyBytes(keyBytes, 0, keyBytes.length - TIMESTAMP_SIZE_BYTES);
      // Newest first: the records above startTs come first, and only they can be changes.
      while (iterator.valid() && isVersionOf(iterator.key(), prefix)) {
        const commitTs = timestampOfVersionedKey(iterator.key());
        if (commitTs <= startTs) break;
        const kind = writeKindOf(iterator.value());
        if (kind === 'put' || kind === 'delete') {
          const write = decodeWrite(iterator.value());
          if (write.startTs !== startTs) {
            return { code: 'READ_SET_CHANGED', key: decodeUserKey(prefix, 1).userKey, conflictStartTs: write.startTs, conflictCommitTs: commitTs };
          }
        }
        iterator.next();
      }
      skipRestOfKey(iterator, prefix);
    }
    return undefined;
  } finally {
    iterator.close();
  }
}

/** Moves `iterator` past the versions of the key with `prefix`: a few next() calls, else one seek. */
function skipRestOfKey(iterator: KeyValueIterator, prefix: Uint8Array): void {
  for (let steps = 0; iterator.valid() && isVersionOf(iterator.key(), prefix); steps++) {
    if (steps >= SEEK_BOUND) {
      // The prefix ends with a memcomparable marker below 0xff, so it has a successor.
      iterator.seek(prefixSuccessor(prefix)!);
      return;
    }
    iterator.next();
  }
}

/** The first key in `span` (in key order) holding another transaction's put or delete lock. */
function lockChangeInSpan(snapshot: MvccSnapshot, span: ReadSpan, startTs: Timestamp): Changed | undefined {
  const iterator = snapshot.iterator(familyBounds(Family.Lock, span.startKey, span.endKey));
  try {
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      const lock = decodeLock(iterator.value());
      if (isForeignPrewrite(lock, startTs)) return lockChanged(userKeyOfLockKey(iterator.key()), lock);
    }
    return undefined;
  } finally {
    iterator.close();
  }
}
