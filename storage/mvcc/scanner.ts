// MVCC range scan at a timestamp: the user keys in [startKey, endKey) with the values visible at readTs,
// in key order (or reverse order), at most `limit` of them, reporting every blocking lock it meets among
// the keys it passes (the read rule of reader.ts).
//
// How: one iterator over the lock family and one over the write family, both bounded to the span, are
// merged by user key (the encoded user keys compare like the user keys, so no decoding is needed to
// merge). For each user key: a lock there is checked against the read rule; the write records are
// walked newest first to the visible version. Going forward the write iterator arrives at a key's newest
// record, steps to the first one at or below readTs (seeking if more than SEEK_BOUND records are
// newer), and leaves by seeking past the key's prefix. Going backward it arrives at the key's oldest
// record and walks back through the versions, remembering the newest put or delete at or below readTs,
// which leaves it on the previous key.
//
// A locked key counts toward `limit` like a returned pair. When any lock blocks, the result is
// KeyIsLocked with all of them, and no pairs: the caller resolves the locks and scans again.
// `limit` bounds what is returned, not what is read: a span full of deleted keys or old versions is
// walked to its end (TiKV's scanner has the same cost; garbage collection is what keeps it small).
// A backward scan reads every version at or below readTs of the keys it passes.

import { StorageError } from '../env/errors.js';
import type { KeyValueIterator } from '../lsm/iterator.js';
import {
  Family,
  compareEncodedUserKeys,
  decodeUserKey,
  familyBounds,
  isVersionOf,
  prefixSuccessor,
  timestampOfVersionedKey,
  userKeyOfLockKey,
} from './keys.js';
import { type Write, decodeLock, decodeWrite, writeKindOf } from './records.js';
import { type ReadOptions, lockBlocksRead, loadValue } from './reader.js';
import type { KeyIsLocked, LockedKey } from './results.js';
import type { MvccSnapshot } from './snapshot.js';
import { TIMESTAMP_SIZE_BYTES, type Timestamp, writeInvertedTimestamp } from './timestamp.js';
import { copyBytes } from '../lsm/coding.js';

/** Steps taken with next() before a seek is cheaper (TiKV's SEEK_BOUND). */
const SEEK_BOUND = 8;
/** The most pairs one scan may return; a caller pages with a new start key. */
export const SCAN_LIMIT_MAX = 1_000_000;

export interface ScanRequest extends ReadOptions {
  /** Inclusive; absent means from the first key. */
  readonly startKey?: Uint8Array | undefined;
  /** Exclusive; absent means to the last key. */
  readonly endKey?: Uint8Array | undefined;
  readonly readTs: Timestamp;
  readonly limit: number;
  /** Scan from endKey (exclusive) down to startKey (inclusive). */
  readonly reverse?: boolean | undefined;
  /** Return keys with empty values, without reading long values from the data family. */
  readonly keyOnly?: boolean | undefined;
}

export interface KeyValuePair {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export type ScanResult = { readonly code: 'OK'; readonly pairs: readonly KeyValuePair[] } | KeyIsLocked;

const EMPTY = new Uint8Array(0);

export function mvccScan(snapshot: MvccSnapshot, request: ScanRequest): ScanResult {
  const { readTs, limit } = request;
  if (!Number.isInteger(limit) || limit < 1 || limit > SCAN_LIMIT_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `scan limit ${limit} is outside [1, ${SCAN_LIMIT_MAX}]`);
  }
  if (request.startKey !== undefined && request.endKey !== undefined && Buffer.compare(request.startKey, request.endKey) >= 0) {
    return { code: 'OK', pairs: [] };
  }
  const reverse = request.reverse === true;
  const lockIterator = snapshot.iterator(familyBounds(Family.Lock, request.startKey, request.endKey));
  const writeIterator = snapshot.iterator(familyBounds(Family.Write, request.startKey, request.endKey));
  try {
    if (reverse) {
      lockIterator.seekToLast();
      writeIterator.seekToLast();
    } else {
      lockIterator.seekToFirst();
      writeIterator.seekToFirst();
    }
    const pairs: KeyValuePair[] = [];
    const locks: LockedKey[] = [];
    while (pairs.length + locks.length < limit) {
      const lockValid = lockIterator.valid();
      const writeValid = writeIterator.valid();
      if (!lockValid && !writeValid) break;
      let order = 0;
      if (lockValid && writeValid) {
        const lockKeyBytes = lockIterator.key();
        const writeKeyBytes = writeIterator.key();
        order = compareEncodedUserKeys(lockKeyBytes, lockKeyBytes.length, writeKeyBytes, writeKeyBytes.length - TIMESTAMP_SIZE_BYTES);
        if (reverse) order = -order;
      }
      // order < 0: the lock's key comes first in scan order; > 0: the write's; 0: the same key.
      const atLock = lockValid && (!writeValid || order <= 0);
      const atWrite = writeValid && (!lockValid || order >= 0);

      let blocked = false;
      let userKey: Uint8Array | undefined;
      if (atLock) {
        const lock = decodeLock(lockIterator.value());
        if (lockBlocksRead(lock, readTs, request.bypassLockTs)) {
          userKey = userKeyOfLockKey(lockIterator.key());
          locks.push({ key: userKey, lock });
          blocked = true;
        }
        if (reverse) lockIterator.prev();
        else lockIterator.next();
      }
      if (atWrite) {
        const writeKeyBytes = writeIterator.key();
        const prefix = copyBytes(writeKeyBytes, 0, writeKeyBytes.length - TIMESTAMP_SIZE_BYTES);
        const visible = reverse ? visibleBackward(writeIterator, prefix, readTs) : visibleForward(writeIterator, prefix, readTs);
        if (!blocked && visible !== undefined && visible.kind === 'put') {
          userKey ??= decodeUserKey(prefix, 1).userKey;
          const value = request.keyOnly === true ? EMPTY : loadValue(snapshot, userKey, visible);
          pairs.push({ key: userKey, value });
        }
      }
    }
    if (locks.length > 0) return { code: 'KEY_IS_LOCKED', locks };
    return { code: 'OK', pairs };
  } finally {
    lockIterator.close();
    writeIterator.close();
  }
}

/**
 * With `iterator` at the newest write record of the key whose `family | memcomparable` prefix is
 * `prefix`: returns the visible put or delete at readTs (if any) and leaves the iterator at the next
 * key's first record (or invalid).
 */
function visibleForward(iterator: KeyValueIterator, prefix: Uint8Array, readTs: Timestamp): Write | undefined {
  let steps = 0;
  while (iterator.valid() && isVersionOf(iterator.key(), prefix) && timestampOfVersionedKey(iterator.key()) > readTs) {
    if (++steps > SEEK_BOUND) {
      const target = new Uint8Array(prefix.length + TIMESTAMP_SIZE_BYTES);
      target.set(prefix);
      writeInvertedTimestamp(target, prefix.length, readTs);
      iterator.seek(target);
      break;
    }
    iterator.next();
  }
  let visible: Write | undefined;
  while (iterator.valid() && isVersionOf(iterator.key(), prefix)) {
    const kind = writeKindOf(iterator.value());
    if (kind === 'put' || kind === 'delete') {
      visible = decodeWrite(iterator.value());
      break;
    }
    iterator.next();
  }
  // Leave the key: a few next() calls usually reach the next key; otherwise seek past the prefix.
  for (steps = 0; iterator.valid() && isVersionOf(iterator.key(), prefix); steps++) {
    if (steps >= SEEK_BOUND) {
      // The prefix ends with a memcomparable marker below 0xff, so it has a successor.
      iterator.seek(prefixSuccessor(prefix)!);
      break;
    }
    iterator.next();
  }
  return visible;
}

/**
 * With `iterator` at the oldest write record of the key with `prefix`: walks back through its records
 * (oldest to newest), returning the newest put or delete at or below readTs, and leaves the iterator at
 * the previous key's oldest record (or invalid).
 */
function visibleBackward(iterator: KeyValueIterator, prefix: Uint8Array, readTs: Timestamp): Write | undefined {
  let visible: Write | undefined;
  while (iterator.valid() && isVersionOf(iterator.key(), prefix)) {
    if (timestampOfVersionedKey(iterator.key()) > readTs) {
      // Everything further back is newer still: jump to the previous key.
      iterator.seekForPrev(prefix);
      break;
    }
    const kind = writeKindOf(iterator.value());
    if (kind === 'put' || kind === 'delete') visible = decodeWrite(iterator.value());
    iterator.prev();
  }
  return visible;
}

export interface ScanLocksRequest {
  readonly startKey?: Uint8Array | undefined;
  readonly endKey?: Uint8Array | undefined;
  /** Only locks of transactions that started at or before this are returned. */
  readonly maxTs: Timestamp;
  readonly limit: number;
}

/**
 * The locks in [startKey, endKey) whose transactions started at or before maxTs, in key order, at most
 * `limit` of them (TiKV's ScanLock: what a GC worker or a resolver of a whole span looks for first).
 */
export function scanLocks(snapshot: MvccSnapshot, request: ScanLocksRequest): LockedKey[] {
  if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > SCAN_LIMIT_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `lock scan limit ${request.limit} is outside [1, ${SCAN_LIMIT_MAX}]`);
  }
  const locks: LockedKey[] = [];
  if (request.startKey !== undefined && request.endKey !== undefined && Buffer.compare(request.startKey, request.endKey) >= 0) return locks;
  const iterator = snapshot.iterator(familyBounds(Family.Lock, request.startKey, request.endKey));
  try {
    for (iterator.seekToFirst(); iterator.valid() && locks.length < request.limit; iterator.next()) {
      const lock = decodeLock(iterator.value());
      if (lock.startTs <= request.maxTs) locks.push({ key: userKeyOfLockKey(iterator.key()), lock });
    }
    return locks;
  } finally {
    iterator.close();
  }
}
