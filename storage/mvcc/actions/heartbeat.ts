// Transaction heartbeat (TiKV's TxnHeartBeat): a long transaction keeps its primary lock alive by
// raising the lock's TTL, so that resolvers do not roll it back as abandoned. The TTL only grows: a
// smaller advice leaves the lock as it is. The result carries the TTL now in force.
//
// The primary lock gone (committed, rolled back, or never written): TxnNotFound; the coordinator learns
// from check-transaction-status which it was.

import { WriteBatch } from '../../lsm/write-batch.js';
import { lockKey } from '../keys.js';
import { encodeLock } from '../records.js';
import { loadLock } from '../reader.js';
import type { ActionOutput, TxnNotFound } from '../results.js';
import type { MvccSnapshot } from '../snapshot.js';
import type { Timestamp } from '../timestamp.js';
import { checkTimestamp, checkTtlMs, failed } from './common.js';

export interface HeartbeatRequest {
  readonly primaryKey: Uint8Array;
  readonly startTs: Timestamp;
  /** The TTL the lock should have, counted from the physical part of its start timestamp. */
  readonly adviseTtlMs: number;
}

export type HeartbeatResult = { readonly code: 'OK'; readonly ttlMs: number } | TxnNotFound;

export function heartbeat(snapshot: MvccSnapshot, request: HeartbeatRequest): ActionOutput<HeartbeatResult> {
  const { primaryKey, startTs, adviseTtlMs } = request;
  checkTimestamp(startTs, 'heartbeat: start timestamp');
  checkTtlMs(adviseTtlMs);
  const lock = loadLock(snapshot, primaryKey);
  if (lock === undefined || lock.startTs !== startTs) return failed({ code: 'TXN_NOT_FOUND', key: primaryKey, startTs });
  const batch = new WriteBatch();
  if (lock.ttlMs >= adviseTtlMs) return { batch, result: { code: 'OK', ttlMs: lock.ttlMs } };
  batch.put(lockKey(primaryKey), encodeLock({ ...lock, ttlMs: adviseTtlMs }));
  return { batch, result: { code: 'OK', ttlMs: adviseTtlMs } };
}
