// A KvClient test double: the MVCC actions (storage/mvcc) over one MemoryMvccStore, with the key space
// cut into "ranges" at configurable split keys, so that the coordinator meets what the routing client
// gives it: requests split by range and merged by the rules in cluster/kv/kv-client.ts's header, 1PC
// only when every mutation falls in one range, and parts of one request applied separately.
//
// Each range part runs its action against a fresh snapshot and applies the batch in the same JS turn,
// so a part is atomic, as under TiKV's latches. Between parts (and before the first) the client may
// yield a seeded number of microtask turns, so that concurrent requests interleave part by part the way
// parallel sends to several ranges do; with the same seed the interleaving replays exactly.
//
// The node's largest read timestamp (what async commit and 1PC compute commit timestamps above) is
// kept for the whole store: more conservative than TiKV's per-node value, never less safe. Reads at
// TIMESTAMP_MAX do not raise it (TiKV's rule: such reads ask for "the latest" and must not drag commit
// timestamps to the end of time).

import type { BatchGetRequest, BatchGetResult, KvClient } from '../../../cluster/kv/kv-client.js';
import { USER_KEY_MIN } from '../../../cluster/kv/kv-client.js';
import type { Random } from '../../../storage/env/random.js';
import {
  type AcquirePessimisticLockRequest,
  type AcquirePessimisticLockResult,
  type ActionOutput,
  type CheckSecondaryLocksRequest,
  type CheckSecondaryLocksResult,
  type CheckTxnStatusRequest,
  type CheckTxnStatusResult,
  type CleanupRequest,
  type CleanupResult,
  type CommitRequest,
  type CommitResult,
  type HeartbeatRequest,
  type HeartbeatResult,
  type KeyValuePair,
  type LockedKey,
  MemoryMvccStore,
  type MvccSnapshot,
  type PessimisticRollbackRequest,
  type PrewriteRequest,
  type PrewriteResult,
  type ResolveLockRequest,
  type ResolveLockResult,
  type RollbackRequest,
  type RollbackResult,
  type ScanRequest,
  type ScanResult,
  TIMESTAMP_MAX,
  TIMESTAMP_ZERO,
  type Timestamp,
  acquirePessimisticLock,
  checkSecondaryLocks,
  checkTxnStatus,
  cleanup,
  commit,
  heartbeat,
  maxTimestamp,
  mvccGet,
  mvccScan,
  pessimisticRollback,
  prewrite,
  resolveLock,
  rollback,
  scanLocks,
} from '../../../storage/mvcc/index.js';
import { type CheckReadSetRequest, type CheckReadSetResult, type ReadSpan, checkReadSet } from '../../../storage/mvcc/read-set.js';

export interface MemoryKvOptions {
  /** Range boundaries: range i is [splitKeys[i-1], splitKeys[i]). */
  readonly splitKeys?: readonly Uint8Array[] | undefined;
  /** When given, requests yield a seeded number of microtask turns between range parts. */
  readonly random?: Random | undefined;
}

type Bounds = { readonly startKey: Uint8Array; readonly endKey: Uint8Array | undefined };

const compare = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);

export class MemoryKvClient implements KvClient {
  readonly store = new MemoryMvccStore();
  private readonly splitKeys: readonly Uint8Array[];
  private maxReadTs = TIMESTAMP_ZERO;

  constructor(private readonly options: MemoryKvOptions = {}) {
    this.splitKeys = [...(options.splitKeys ?? [])].sort(compare);
  }

  /** The range holding `key`. */
  rangeOf(key: Uint8Array): number {
    let range = 0;
    while (range < this.splitKeys.length && compare(key, this.splitKeys[range]!) >= 0) range++;
    return range;
  }

  /** Every lock in the store (for tests that check nothing is left behind). */
  locks(): LockedKey[] {
    return scanLocks(this.store.snapshot(), { maxTs: TIMESTAMP_MAX, limit: 1_000_000 });
  }

  async batchGet(request: BatchGetRequest): Promise<BatchGetResult> {
    request.keys.forEach(checkKey);
    const values: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(request.keys.length);
    const locks: LockedKey[] = [];
    for (const part of this.partition(request.keys.map((key, index) => ({ key, index })), (entry) => entry.key)) {
      await this.interleave();
      this.noteRead(request.readTs);
      const snapshot = this.store.snapshot();
      for (const { key, index } of part) {
        const result = mvccGet(snapshot, key, request.readTs, { bypassLockTs: request.bypassLockTs });
        if (result.code === 'KEY_IS_LOCKED') locks.push(...result.locks);
        else values[index] = result.value;
      }
    }
    return locks.length > 0 ? { code: 'KEY_IS_LOCKED', locks } : { code: 'OK', values };
  }

  async scan(request: ScanRequest): Promise<ScanResult> {
    const startKey = request.startKey ?? USER_KEY_MIN;
    checkKey(startKey);
    const reverse = request.reverse === true;
    const parts = this.rangeBounds(startKey, request.endKey);
    if (reverse) parts.reverse();
    const pairs: KeyValuePair[] = [];
    const locks: LockedKey[] = [];
    for (const bounds of parts) {
      const remaining = request.limit - pairs.length - locks.length;
      if (remaining <= 0) break;
      await this.interleave();
      this.noteRead(request.readTs);
      const result = mvccScan(this.store.snapshot(), { ...request, ...bounds, limit: remaining });
      if (result.code === 'KEY_IS_LOCKED') locks.push(...result.locks);
      else pairs.push(...result.pairs);
    }
    return locks.length > 0 ? { code: 'KEY_IS_LOCKED', locks } : { code: 'OK', pairs };
  }

  async prewrite(request: PrewriteRequest, options: { readonly tryOnePc?: boolean } = {}): Promise<PrewriteResult> {
    request.mutations.forEach((mutation) => checkKey(mutation.key));
    checkKey(request.primary);
    const parts = this.partition(request.mutations, (mutation) => mutation.key);
    const onePc = options.tryOnePc === true && parts.length === 1 ? true : undefined;
    const results: PrewriteResult[] = [];
    for (const mutations of parts) {
      await this.interleave();
      // maxReadTs is the node's, read when the part is evaluated, never the sender's.
      results.push(this.apply(prewrite, { ...request, mutations, onePc, maxReadTs: this.maxReadTs }));
    }
    const failure = results.find((result) => result.code !== 'OK');
    if (failure !== undefined) return failure;
    let minCommitTs = TIMESTAMP_ZERO;
    let fellBackToTwoPhase = false;
    let onePcCommitTs: Timestamp | undefined;
    for (const result of results) {
      if (result.code !== 'OK') continue;
      minCommitTs = maxTimestamp(minCommitTs, result.minCommitTs);
      fellBackToTwoPhase ||= result.fellBackToTwoPhase;
      onePcCommitTs = result.onePcCommitTs;
    }
    return { code: 'OK', minCommitTs, fellBackToTwoPhase, onePcCommitTs: onePc === true ? onePcCommitTs : undefined };
  }

  async acquirePessimisticLock(request: AcquirePessimisticLockRequest): Promise<AcquirePessimisticLockResult> {
    request.keys.forEach((entry) => checkKey(entry.key));
    const values: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(request.keys.length);
    let failure: AcquirePessimisticLockResult | undefined;
    for (const part of this.partition(request.keys.map((entry, index) => ({ entry, index })), (item) => item.entry.key)) {
      await this.interleave();
      const result = this.apply(acquirePessimisticLock, { ...request, keys: part.map((item) => item.entry) });
      if (result.code !== 'OK') {
        failure ??= result;
        continue;
      }
      part.forEach((item, position) => (values[item.index] = result.values?.[position]));
    }
    if (failure !== undefined) return failure;
    return request.returnValues === true ? { code: 'OK', values } : { code: 'OK' };
  }

  async pessimisticRollback(request: PessimisticRollbackRequest): Promise<{ readonly code: 'OK' }> {
    for (const keys of this.partition(request.keys, (key) => key)) {
      await this.interleave();
      this.apply(pessimisticRollback, { ...request, keys });
    }
    return { code: 'OK' };
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    return this.firstFailure(request.keys, (keys) => this.apply(commit, { ...request, keys }));
  }

  async rollback(request: RollbackRequest): Promise<RollbackResult> {
    return this.firstFailure(request.keys, (keys) => this.apply(rollback, { ...request, keys }));
  }

  async cleanup(request: CleanupRequest): Promise<CleanupResult> {
    checkKey(request.key);
    await this.interleave();
    return this.apply(cleanup, request);
  }

  async checkTxnStatus(request: CheckTxnStatusRequest): Promise<CheckTxnStatusResult> {
    checkKey(request.primaryKey);
    await this.interleave();
    return this.apply(checkTxnStatus, request);
  }

  async checkSecondaryLocks(request: CheckSecondaryLocksRequest): Promise<CheckSecondaryLocksResult> {
    const results: CheckSecondaryLocksResult[] = [];
    for (const keys of this.partition(request.keys, (key) => key)) {
      await this.interleave();
      results.push(this.apply(checkSecondaryLocks, { ...request, keys }));
    }
    const decided = results.find((result) => result.code !== 'LOCKED');
    if (decided !== undefined) return decided;
    return { code: 'LOCKED', locks: results.flatMap((result) => (result.code === 'LOCKED' ? result.locks : [])) };
  }

  async resolveLock(request: ResolveLockRequest): Promise<ResolveLockResult> {
    if (request.keys !== undefined) {
      let resolvedCount = 0;
      const result = await this.firstFailure(request.keys, (keys) => {
        const part = this.apply(resolveLock, { ...request, keys });
        if (part.code === 'OK') resolvedCount += part.resolvedCount;
        return part;
      });
      return result.code === 'OK' ? { code: 'OK', resolvedCount } : result;
    }
    let resolvedCount = 0;
    for (const bounds of this.rangeBounds(request.startKey ?? USER_KEY_MIN, request.endKey)) {
      let startKey: Uint8Array | undefined = bounds.startKey;
      while (startKey !== undefined) {
        await this.interleave();
        const part: ResolveLockResult = this.apply(resolveLock, { ...request, startKey, endKey: bounds.endKey });
        if (part.code !== 'OK') return part;
        resolvedCount += part.resolvedCount;
        startKey = part.resumeKey;
      }
    }
    return { code: 'OK', resolvedCount };
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    checkKey(request.primaryKey);
    await this.interleave();
    return this.apply(heartbeat, request);
  }

  async checkReadSet(request: CheckReadSetRequest): Promise<CheckReadSetResult> {
    request.keys.forEach(checkKey);
    const keysByRange = new Map<number, Uint8Array[]>();
    for (const key of request.keys) {
      const range = this.rangeOf(key);
      keysByRange.set(range, [...(keysByRange.get(range) ?? []), key]);
    }
    const spansByRange = new Map<number, ReadSpan[]>();
    for (const span of request.spans) {
      for (const bounds of this.rangeBounds(span.startKey ?? USER_KEY_MIN, span.endKey)) {
        const range = this.rangeOf(bounds.startKey);
        spansByRange.set(range, [...(spansByRange.get(range) ?? []), bounds]);
      }
    }
    const ranges = [...new Set([...keysByRange.keys(), ...spansByRange.keys()])].sort((a, b) => a - b);
    for (const range of ranges) {
      await this.interleave();
      const result = checkReadSet(this.store.snapshot(), {
        startTs: request.startTs,
        keys: keysByRange.get(range) ?? [],
        spans: spansByRange.get(range) ?? [],
      });
      if (result.code !== 'OK') return result;
    }
    return { code: 'OK' };
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Runs `action` on a snapshot of now and applies its batch, in one turn: one range part. */
  private apply<Request, Result>(action: (snapshot: MvccSnapshot, request: Request) => ActionOutput<Result>, request: Request): Result {
    const output = action(this.store.snapshot(), request);
    this.store.apply(output.batch);
    return output.result;
  }

  private async firstFailure<Result extends { readonly code: string }>(
    keys: readonly Uint8Array[],
    run: (keys: Uint8Array[]) => Result,
  ): Promise<Result | { readonly code: 'OK' }> {
    keys.forEach(checkKey);
    let failure: Result | undefined;
    for (const part of this.partition(keys, (key) => key)) {
      await this.interleave();
      const result = run(part);
      if (result.code !== 'OK') failure ??= result;
    }
    return failure ?? { code: 'OK' };
  }

  /** Groups `items` by the range of their key, ranges in key order, items in request order within one. */
  private partition<T>(items: readonly T[], keyOf: (item: T) => Uint8Array): T[][] {
    const byRange = new Map<number, T[]>();
    for (const item of items) {
      const range = this.rangeOf(keyOf(item));
      let part = byRange.get(range);
      if (part === undefined) {
        part = [];
        byRange.set(range, part);
      }
      part.push(item);
    }
    return [...byRange.entries()].sort(([a], [b]) => a - b).map(([, part]) => part);
  }

  /** [startKey, endKey) cut at the split keys, in key order. */
  private rangeBounds(startKey: Uint8Array, endKey: Uint8Array | undefined): Bounds[] {
    if (endKey !== undefined && compare(startKey, endKey) >= 0) return [];
    const bounds: Bounds[] = [];
    let from = startKey;
    for (const split of this.splitKeys) {
      if (compare(split, from) <= 0) continue;
      if (endKey !== undefined && compare(split, endKey) >= 0) break;
      bounds.push({ startKey: from, endKey: split });
      from = split;
    }
    bounds.push({ startKey: from, endKey });
    return bounds;
  }

  private noteRead(readTs: Timestamp): void {
    if (readTs !== TIMESTAMP_MAX) this.maxReadTs = maxTimestamp(this.maxReadTs, readTs);
  }

  private async interleave(): Promise<void> {
    const random = this.options.random;
    if (random === undefined) return;
    for (let turns = random.int(4); turns > 0; turns--) await Promise.resolve();
  }
}

function checkKey(key: Uint8Array): void {
  if (compare(key, USER_KEY_MIN) < 0) throw new Error(`MemoryKvClient: key ${Buffer.from(key).toString('hex')} is below USER_KEY_MIN`);
}
