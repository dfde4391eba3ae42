// Garbage collection of old versions (TiKV's gc in mvcc/txn.rs): removes what no read at or above the
// safe point can see.
//
// Per user key, walking its write records newest first, records with commitTs above the safe point are
// kept (rollback records among them still stop late prewrites). At or below it:
//  - the newest put is kept (a read at the safe point sees it), and everything older is removed;
//  - if the newest is a delete, it is removed too, with everything older (the key reads as absent);
//  - lock and rollback records are removed (they say nothing about the value, and no transaction that
//    started at or below the safe point acts again).
// Removing a put without an inline value also removes its data-family value.
//
// The caller's promise, as in TiKV: the safe point is below the start timestamp of every transaction
// still running, and reads below it are never served again. So that a forgotten lock cannot be
// collected under its transaction, gc first looks for locks in the span with startTs <= safePoint and,
// if there are any, changes nothing and returns KeyIsLocked with them (at most GC_LOCK_REPORT_MAX): the
// GC worker resolves them and comes back.
//
// A request walks at most `keyLimit` user keys; `resumeKey` says where the next request starts.

import { StorageError } from '../../env/errors.js';
import { WriteBatch } from '../../lsm/write-batch.js';
import { Family, dataKey, decodeUserKey, familyBounds, isVersionOf, timestampOfVersionedKey } from '../keys.js';
import { decodeWrite } from '../records.js';
import type { ActionOutput, KeyIsLocked } from '../results.js';
import { scanLocks } from '../scanner.js';
import type { MvccSnapshot } from '../snapshot.js';
import { TIMESTAMP_SIZE_BYTES, type Timestamp } from '../timestamp.js';
import { checkTimestamp, failed } from './common.js';
import { copyBytes } from '../../lsm/coding.js';

export const GC_KEY_LIMIT_DEFAULT = 1024;
export const GC_KEY_LIMIT_MAX = 65536;
export const GC_LOCK_REPORT_MAX = 256;

export interface GcRequest {
  readonly startKey?: Uint8Array | undefined;
  readonly endKey?: Uint8Array | undefined;
  readonly safePoint: Timestamp;
  readonly keyLimit?: number | undefined;
}

export type GcResult =
  | {
      readonly code: 'OK';
      readonly keysExamined: number;
      readonly versionsDeleted: number;
      /** Present when the walk stopped at keyLimit: the first user key not yet examined. */
      readonly resumeKey?: Uint8Array | undefined;
    }
  | KeyIsLocked;

export function gc(snapshot: MvccSnapshot, request: GcRequest): ActionOutput<GcResult> {
  const { safePoint } = request;
  checkTimestamp(safePoint, 'gc: safe point');
  const keyLimit = request.keyLimit ?? GC_KEY_LIMIT_DEFAULT;
  if (!Number.isInteger(keyLimit) || keyLimit < 1 || keyLimit > GC_KEY_LIMIT_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `gc: key limit ${keyLimit} is outside [1, ${GC_KEY_LIMIT_MAX}]`);
  }
  const oldLocks = scanLocks(snapshot, { startKey: request.startKey, endKey: request.endKey, maxTs: safePoint, limit: GC_LOCK_REPORT_MAX });
  if (oldLocks.length > 0) return failed({ code: 'KEY_IS_LOCKED', locks: oldLocks });

  const batch = new WriteBatch();
  let keysExamined = 0;
  let versionsDeleted = 0;
  const iterator = snapshot.iterator(familyBounds(Family.Write, request.startKey, request.endKey));
  try {
    iterator.seekToFirst();
    while (iterator.valid()) {
      const first = iterator.key();
      const prefix = copyBytes(first, 0, first.length - TIMESTAMP_SIZE_BYTES);
      const { userKey } = decodeUserKey(prefix, 1);
      if (keysExamined === keyLimit) return { batch, result: { code: 'OK', keysExamined, versionsDeleted, resumeKey: userKey } };
      keysExamined++;
      let removeOlder = false;
      for (; iterator.valid() && isVersionOf(iterator.key(), prefix); iterator.next()) {
        const commitTs = timestampOfVersionedKey(iterator.key());
        if (commitTs > safePoint) continue;
        const write = decodeWrite(iterator.value());
        if (!removeOlder && write.kind === 'put') {
          removeOlder = true;
          continue;
        }
        if (write.kind === 'delete') removeOlder = true;
        batch.delete(iterator.key());
        if (write.kind === 'put' && write.shortValue === undefined) batch.delete(dataKey(userKey, write.startTs));
        versionsDeleted++;
      }
    }
    return { batch, result: { code: 'OK', keysExamined, versionsDeleted } };
  } finally {
    iterator.close();
  }
}
