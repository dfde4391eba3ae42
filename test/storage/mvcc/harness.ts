// A test harness for the MVCC actions: an in-memory store, a way to run an action against a fresh
// snapshot and apply its batch (as the caller of an action does, under latches), and short helpers for
// the common steps and checks, named after TiKV's test helpers (must_prewrite_put, must_commit, ...).

import type { Test } from 'tap';
import type { ActionOutput } from '../../../storage/mvcc/results.js';
import { MemoryMvccStore, type MvccSnapshot } from '../../../storage/mvcc/snapshot.js';
import { type Timestamp, asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { type Lock, type Write, decodeWrite } from '../../../storage/mvcc/records.js';
import { Family, familyBounds, splitVersionedKey } from '../../../storage/mvcc/keys.js';
import { loadLock } from '../../../storage/mvcc/reader.js';
import { mvccGet } from '../../../storage/mvcc/reader.js';
import { type PrewriteMutation, type PrewriteRequest, type PrewriteResult, prewrite } from '../../../storage/mvcc/actions/prewrite.js';
import { commit } from '../../../storage/mvcc/actions/commit.js';
import { rollback } from '../../../storage/mvcc/actions/rollback.js';
import { acquirePessimisticLock } from '../../../storage/mvcc/actions/acquire-pessimistic-lock.js';

export const ts = asTimestamp;
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

/** A value of `length` bytes (long values go to the data family above 255). */
export function longValue(length: number, fill = 0x61): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

export class Harness {
  readonly store = new MemoryMvccStore();

  snapshot(): MvccSnapshot {
    return this.store.snapshot();
  }

  /** Runs `action` on a snapshot of now and applies its batch; returns the result. */
  run<Request, Result>(action: (snapshot: MvccSnapshot, request: Request) => ActionOutput<Result>, request: Request): Result {
    const output = action(this.store.snapshot(), request);
    this.store.apply(output.batch);
    return output.result;
  }

  /** Like run, and also returns how many records the batch held. */
  runCounting<Request, Result>(
    action: (snapshot: MvccSnapshot, request: Request) => ActionOutput<Result>,
    request: Request,
  ): { result: Result; records: number } {
    const output = action(this.store.snapshot(), request);
    this.store.apply(output.batch);
    return { result: output.result, records: output.batch.count };
  }

  prewrite(mutations: PrewriteMutation[], primary: string, startTs: number, extra: Partial<PrewriteRequest> = {}): PrewriteResult {
    return this.run(prewrite, {
      mutations,
      primary: bytes(primary),
      startTs: ts(startTs),
      lockTtlMs: 3000,
      txnSize: mutations.length,
      ...extra,
    });
  }

  /** Prewrites a put of `value` to `key` and checks it succeeded. */
  mustPrewritePut(t: Test, key: string, value: string | Uint8Array, primary: string, startTs: number, extra: Partial<PrewriteRequest> = {}): void {
    const result = this.prewrite([{ kind: 'put', key: bytes(key), value: typeof value === 'string' ? bytes(value) : value }], primary, startTs, extra);
    t.equal(result.code, 'OK', `prewrite put ${key}@${startTs}`);
  }

  mustPrewriteDelete(t: Test, key: string, primary: string, startTs: number): void {
    t.equal(this.prewrite([{ kind: 'delete', key: bytes(key) }], primary, startTs).code, 'OK', `prewrite delete ${key}@${startTs}`);
  }

  mustPrewriteLock(t: Test, key: string, primary: string, startTs: number): void {
    t.equal(this.prewrite([{ kind: 'lock', key: bytes(key) }], primary, startTs).code, 'OK', `prewrite lock ${key}@${startTs}`);
  }

  mustCommit(t: Test, key: string, startTs: number, commitTs: number): void {
    t.equal(this.run(commit, { keys: [bytes(key)], startTs: ts(startTs), commitTs: ts(commitTs) }).code, 'OK', `commit ${key}@${startTs}->${commitTs}`);
  }

  mustRollback(t: Test, key: string, startTs: number, primary = key): void {
    t.equal(this.run(rollback, { keys: [bytes(key)], startTs: ts(startTs), primaryKey: bytes(primary) }).code, 'OK', `rollback ${key}@${startTs}`);
  }

  mustAcquirePessimisticLock(t: Test, key: string, primary: string, startTs: number, forUpdateTs: number): void {
    const result = this.run(acquirePessimisticLock, {
      keys: [{ key: bytes(key) }],
      primary: bytes(primary),
      startTs: ts(startTs),
      forUpdateTs: ts(forUpdateTs),
      lockTtlMs: 3000,
    });
    t.equal(result.code, 'OK', `pessimistic lock ${key}@${startTs}/${forUpdateTs}`);
  }

  /** Puts a committed value directly: prewrite and commit in one go. */
  mustPutCommitted(t: Test, key: string, value: string | Uint8Array, startTs: number, commitTs: number): void {
    this.mustPrewritePut(t, key, value, key, startTs);
    this.mustCommit(t, key, startTs, commitTs);
  }

  lock(key: string): Lock | undefined {
    return loadLock(this.store.snapshot(), bytes(key));
  }

  /** The value visible at readTs, or 'LOCKED' when a lock blocks the read. */
  get(key: string, readTs: number): string | undefined | 'LOCKED' {
    const result = mvccGet(this.store.snapshot(), bytes(key), ts(readTs));
    return result.code === 'OK' ? text(result.value) : 'LOCKED';
  }

  /** Every write record of `key`, newest first, as [commitTs, write]. */
  writes(key: string): [Timestamp, Write][] {
    const { lowerBound, upperBound } = familyBounds(Family.Write, bytes(key), bytes(key + '\u0000'));
    const iterator = this.store.snapshot().iterator({ lowerBound, upperBound });
    const records: [Timestamp, Write][] = [];
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      records.push([splitVersionedKey(Family.Write, iterator.key()).timestamp, decodeWrite(iterator.value())]);
    }
    return records;
  }

  /** The write record of `key` at exactly `commitTs`. */
  writeAt(key: string, commitTs: number): Write | undefined {
    return this.writes(key).find(([at]) => at === commitTs)?.[1];
  }

  /** How many entries of each family the store holds. */
  familyCounts(): { lock: number; write: number; data: number } {
    const counts = { lock: 0, write: 0, data: 0 };
    for (const [key] of this.store.allEntries()) {
      if (key[0] === Family.Lock) counts.lock++;
      else if (key[0] === Family.Write) counts.write++;
      else if (key[0] === Family.Data) counts.data++;
    }
    return counts;
  }
}
