// The routing client (CockroachDB's DistSender, TiKV client-go's region cache + request sender): the
// KvClient the transaction coordinator uses. It splits a request by range using its range cache,
// sends the parts in parallel to each range's leader, and merges the answers (rules in kv-client.ts).
//
// Retries: a part answered with a routing error — NOT_LEADER, RANGE_KEY_MISMATCH (the range split or
// the cache was stale), RANGE_NOT_FOUND, AMBIGUOUS, UNAVAILABLE — refreshes the cache from the answer
// (or forgets the entry) and is regrouped and sent again, with exponential backoff on the injected
// clock, at most `maxAttempts` times; then the call fails with KvUnavailableError. Resending is safe
// because every MVCC action is idempotent for the same transaction (a repeated prewrite finds its own
// lock, a repeated commit its own record) — which is also why AMBIGUOUS may be retried.
//
// Scans walk ranges in key order (or reverse), one range at a time, until the limit is reached.

import type { Clock } from '../../storage/env/clock.js';
import {
  type AcquirePessimisticLockRequest,
  type AcquirePessimisticLockResult,
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
  type PessimisticRollbackRequest,
  type PrewriteRequest,
  type PrewriteResult,
  type ResolveLockRequest,
  type ResolveLockResult,
  type RollbackRequest,
  type RollbackResult,
  type ScanRequest,
  type ScanResult,
  type Timestamp,
  maxTimestamp,
} from '../../storage/mvcc/index.js';
import type { CheckReadSetRequest, CheckReadSetResult } from '../../storage/mvcc/read-set.js';
import { type RangeDescriptor, spanContainsKey } from '../placement/range-descriptor.js';
import type {
  BatchGetRequest,
  BatchGetResult,
  NodeEndpoint,
  PlacementBodies,
  PlacementMethod,
  PlacementResults,
  RangeBodies,
  RangeMethod,
  RangeResponse,
  RangeResults,
  RoutingError,
  SplitResult,
} from '../node/protocol.js';
import type { DeadlockDetector, DetectResult, KvClient, WaitForEdge } from './kv-client.js';
import { USER_KEY_MIN } from './kv-client.js';
import { RangeCache } from './range-cache.js';

export class KvUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'KvUnavailableError';
  }
}

export interface RoutingClientOptions {
  /** The endpoint of a node (undefined: unknown or down). */
  readonly node: (nodeId: number) => NodeEndpoint | undefined;
  /** Nodes to ask for the meta range before its leader is known. */
  readonly seedNodeIds: readonly number[];
  readonly clock: Clock;
  readonly maxAttempts?: number;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Ranges fetched past the one asked for on a cache miss. */
  readonly prefetch?: number;
}

interface Part<T> {
  readonly descriptor: RangeDescriptor;
  readonly items: T[];
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function minEnd(a: Uint8Array | undefined, b: Uint8Array | undefined): Uint8Array | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareKeys(a, b) <= 0 ? a : b;
}

function maxStart(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  return a === undefined || compareKeys(a, b) < 0 ? b : a;
}

export class RoutingClient implements KvClient, DeadlockDetector {
  readonly cache = new RangeCache();
  private readonly options: Required<RoutingClientOptions>;
  private metaLeader: number | undefined;
  private closed = false;

  constructor(options: RoutingClientOptions) {
    this.options = { maxAttempts: 40, backoffBaseMs: 1, backoffMaxMs: 200, prefetch: 8, ...options };
  }

  // ---- routing ------------------------------------------------------------------------------------

  /** Fails every later request at once (the node is going away); requests in a retry loop stop. */
  close(): void {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new KvUnavailableError('the routing client is closed');
  }

  private backoff(attempt: number): Promise<void> {
    this.checkOpen();
    const delay = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** attempt);
    return new Promise((resolve) => this.options.clock.setTimer(delay, resolve));
  }

  /** Sends a placement request to the meta range's leader, finding it among the known nodes. */
  async placement<M extends PlacementMethod>(method: M, body: PlacementBodies[M]): Promise<PlacementResults[M]> {
    this.checkOpen();
    let lastError = 'no node answered';
    for (let attempt = 0; attempt < this.options.maxAttempts; attempt++) {
      const candidates = this.metaLeader !== undefined ? [this.metaLeader, ...this.options.seedNodeIds] : [...this.options.seedNodeIds];
      for (const nodeId of candidates) {
        const endpoint = this.options.node(nodeId);
        if (endpoint === undefined) continue;
        let response;
        try {
          response = await endpoint.sendPlacement(method, body);
        } catch (error) {
          lastError = error instanceof Error ? error.message : String(error);
          continue;
        }
        if (response.ok) {
          this.metaLeader = nodeId;
          return response.result;
        }
        lastError = response.error.message;
        if (response.error.code === 'NOT_LEADER' && response.error.leaderNodeId !== undefined) this.metaLeader = response.error.leaderNodeId;
        else if (this.metaLeader === nodeId) this.metaLeader = undefined;
      }
      await this.backoff(attempt);
    }
    throw new KvUnavailableError(`meta range unavailable after ${this.options.maxAttempts} attempts: ${lastError}`);
  }

  /** The range holding `key`, from the cache or the meta range. */
  async locate(key: Uint8Array): Promise<RangeDescriptor> {
    const cached = this.cache.lookup(key);
    if (cached !== undefined) return cached;
    const { descriptors } = await this.placement('lookupRange', { key, prefetch: this.options.prefetch });
    this.cache.insert(descriptors);
    // The meta records trail a split by one command; a record older than what the cache holds is not
    // cached, but is still the right place to send: its range answers with the current descriptors.
    const found = this.cache.lookup(key) ?? descriptors.find((descriptor) => spanContainsKey(descriptor, key));
    if (found === undefined) throw new KvUnavailableError('the meta range has no descriptor for a key');
    return found;
  }

  /** The range holding the keys just below `key` (undefined: the last range). */
  private async locateBefore(key: Uint8Array | undefined): Promise<RangeDescriptor> {
    const cached = key === undefined ? this.cache.all().find((d) => d.endKey === undefined) : this.cache.lookupBefore(key);
    if (cached !== undefined) return cached;
    const { descriptors } = await this.placement('lookupRange', { key, prefetch: 0, inclusiveEnd: true });
    this.cache.insert(descriptors);
    const found = descriptors[0];
    if (found === undefined) throw new KvUnavailableError('the meta range has no descriptor for a key');
    return found;
  }

  private async sendToRange<M extends RangeMethod>(descriptor: RangeDescriptor, method: M, body: RangeBodies[M]): Promise<RangeResponse<M>> {
    this.checkOpen();
    const nodeId = this.cache.leaderOf(descriptor.rangeId) ?? descriptor.replicas[0]!.nodeId;
    const endpoint = this.options.node(nodeId);
    if (endpoint === undefined) return { ok: false, error: { code: 'UNAVAILABLE', message: `node ${nodeId} is unknown` } };
    try {
      return await endpoint.sendRange({ rangeId: descriptor.rangeId, generation: descriptor.generation, method, body });
    } catch (error) {
      return { ok: false, error: { code: 'UNAVAILABLE', message: error instanceof Error ? error.message : String(error) } };
    }
  }

  /** Updates the cache from a routing error of a request sent to `descriptor`'s range. */
  private absorb(descriptor: RangeDescriptor, error: RoutingError): void {
    switch (error.code) {
      case 'NOT_LEADER': {
        if (error.leaderNodeId !== undefined) {
          this.cache.setLeader(descriptor.rangeId, error.leaderNodeId);
          return;
        }
        // No hint: try the next replica.
        const replicas = descriptor.replicas;
        const current = this.cache.leaderOf(descriptor.rangeId) ?? replicas[0]!.nodeId;
        const index = replicas.findIndex((replica) => replica.nodeId === current);
        this.cache.setLeader(descriptor.rangeId, replicas[(index + 1) % replicas.length]!.nodeId);
        return;
      }
      case 'RANGE_KEY_MISMATCH':
        this.cache.evict(descriptor.rangeId);
        this.cache.insert(error.descriptors);
        return;
      case 'RANGE_NOT_FOUND':
        this.cache.evict(descriptor.rangeId);
        return;
      case 'AMBIGUOUS':
      case 'UNAVAILABLE':
        return;
    }
  }

  /**
   * Sends `items` grouped by the range of `keyOf(item)`, building each part's body with `build`, in
   * parallel; parts answered with routing errors are regrouped and resent. Returns each part's items
   * and result, in key order of the parts.
   */
  private async sendGrouped<T, M extends RangeMethod>(
    method: M,
    items: readonly T[],
    keyOf: (item: T) => Uint8Array,
    build: (items: T[], descriptor: RangeDescriptor) => RangeBodies[M],
  ): Promise<{ items: T[]; result: RangeResults[M] }[]> {
    for (const item of items) this.checkUserKey(keyOf(item));
    const done: { start: Uint8Array; items: T[]; result: RangeResults[M] }[] = [];
    let pending = [...items];
    let lastError = '';
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= this.options.maxAttempts) throw new KvUnavailableError(`${method}: gave up after ${attempt} attempts: ${lastError}`);
      if (attempt > 0) await this.backoff(attempt - 1);
      const list = await this.groupByRange(pending, keyOf);
      const responses = await Promise.all(list.map((part) => this.sendToRange(part.descriptor, method, build(part.items, part.descriptor))));
      pending = [];
      for (let i = 0; i < list.length; i++) {
        const part = list[i]!;
        const response = responses[i]!;
        if (response.ok) {
          done.push({ start: part.descriptor.startKey, items: part.items, result: response.result });
        } else {
          lastError = response.error.message;
          this.absorb(part.descriptor, response.error);
          pending.push(...part.items);
        }
      }
    }
    if (done.length > 1) done.sort((a, b) => compareKeys(a.start, b.start));
    return done;
  }

  /** Groups items by the range of their key (one part, without a map, when they share a range). */
  private async groupByRange<T>(items: readonly T[], keyOf: (item: T) => Uint8Array): Promise<Part<T>[]> {
    const firstKey = keyOf(items[0]!);
    const first = this.cache.lookup(firstKey) ?? (await this.locate(firstKey));
    let oneRange = true;
    for (let i = 1; i < items.length && oneRange; i++) {
      const key = keyOf(items[i]!);
      oneRange = spanContainsKey(first, key);
    }
    if (oneRange) return [{ descriptor: first, items: [...items] }];
    const parts = new Map<number, Part<T>>();
    for (const item of items) {
      const key = keyOf(item);
      const descriptor = this.cache.lookup(key) ?? (await this.locate(key));
      const part = parts.get(descriptor.rangeId);
      if (part === undefined) parts.set(descriptor.rangeId, { descriptor, items: [item] });
      else part.items.push(item);
    }
    return [...parts.values()];
  }

  /** Sends one request per range over [startKey, endKey), in key order, resending on routing errors. */
  private async sendSpan<M extends RangeMethod>(
    method: M,
    startKey: Uint8Array | undefined,
    endKey: Uint8Array | undefined,
    build: (start: Uint8Array, end: Uint8Array | undefined) => RangeBodies[M],
    /** Return false to stop walking; return a key to resume this range from it. */
    onResult: (result: RangeResults[M], descriptor: RangeDescriptor) => boolean | Uint8Array,
  ): Promise<void> {
    let cursor = maxStart(startKey, USER_KEY_MIN);
    for (let attempt = 0; ; ) {
      if (endKey !== undefined && compareKeys(cursor, endKey) >= 0) return;
      const descriptor = await this.locate(cursor);
      const partEnd = minEnd(endKey, descriptor.endKey);
      const response = await this.sendToRange(descriptor, method, build(cursor, partEnd));
      if (!response.ok) {
        if (++attempt >= this.options.maxAttempts) throw new KvUnavailableError(`${method}: gave up: ${response.error.message}`);
        this.absorb(descriptor, response.error);
        await this.backoff(attempt - 1);
        continue;
      }
      attempt = 0;
      const next = onResult(response.result, descriptor);
      if (next === false) return;
      if (next instanceof Uint8Array) {
        cursor = next;
        continue;
      }
      if (partEnd === undefined || descriptor.endKey === undefined || (endKey !== undefined && compareKeys(partEnd, endKey) >= 0)) return;
      cursor = descriptor.endKey;
    }
  }

  private checkUserKey(key: Uint8Array): void {
    if (compareKeys(key, USER_KEY_MIN) < 0) throw new RangeError('keys below 0x01 are reserved for the system');
  }

  // ---- KvClient -----------------------------------------------------------------------------------

  async batchGet(request: BatchGetRequest): Promise<BatchGetResult> {
    // The hot path: every key in one cached range, answered without routing errors.
    const first = request.keys.length > 0 ? this.cache.lookup(request.keys[0]!) : undefined;
    if (first !== undefined && request.keys.every((key) => compareKeys(key, USER_KEY_MIN) >= 0 && spanContainsKey(first, key))) {
      const response = await this.sendToRange(first, 'batchGet', request);
      if (response.ok) return response.result;
      this.absorb(first, response.error);
    }
    const indexed = request.keys.map((key, index) => ({ key, index }));
    const parts = await this.sendGrouped('batchGet', indexed, (item) => item.key, (items) => ({ ...request, keys: items.map((item) => item.key) }));
    const values: (Uint8Array | undefined)[] = new Array(request.keys.length);
    const locks: LockedKey[] = [];
    for (const { items, result } of parts) {
      if (result.code !== 'OK') locks.push(...result.locks);
      else items.forEach((item, i) => (values[item.index] = result.values[i]));
    }
    return locks.length > 0 ? { code: 'KEY_IS_LOCKED', locks } : { code: 'OK', values };
  }

  async scan(request: ScanRequest): Promise<ScanResult> {
    const pairs: KeyValuePair[] = [];
    let locked: LockedKey[] | undefined;
    if (request.reverse === true) {
      // Walk ranges downward from endKey.
      let cursor = request.endKey;
      const floor = maxStart(request.startKey, USER_KEY_MIN);
      for (let attempt = 0; pairs.length < request.limit; ) {
        if (cursor !== undefined && compareKeys(cursor, floor) <= 0) break;
        const descriptor = await this.locateBefore(cursor);
        const partStart = maxStart(floor, descriptor.startKey);
        const response = await this.sendToRange(descriptor, 'scan', { ...request, startKey: partStart, endKey: cursor, limit: request.limit - pairs.length });
        if (!response.ok) {
          if (++attempt >= this.options.maxAttempts) throw new KvUnavailableError(`scan: gave up: ${response.error.message}`);
          this.absorb(descriptor, response.error);
          await this.backoff(attempt - 1);
          continue;
        }
        attempt = 0;
        if (response.result.code !== 'OK') return response.result;
        pairs.push(...response.result.pairs);
        if (compareKeys(descriptor.startKey, floor) <= 0) break;
        cursor = descriptor.startKey;
      }
      return { code: 'OK', pairs };
    }
    await this.sendSpan(
      'scan',
      request.startKey,
      request.endKey,
      (start, end) => ({ ...request, startKey: start, endKey: end, limit: request.limit - pairs.length }),
      (result) => {
        if (result.code !== 'OK') {
          locked = [...result.locks];
          return false;
        }
        pairs.push(...result.pairs);
        return pairs.length < request.limit;
      },
    );
    return locked !== undefined ? { code: 'KEY_IS_LOCKED', locks: locked } : { code: 'OK', pairs };
  }

  async prewrite(request: PrewriteRequest, options: { readonly tryOnePc?: boolean } = {}): Promise<PrewriteResult> {
    const mutations = request.mutations;
    for (const mutation of mutations) this.checkUserKey(mutation.key);
    // One-phase commit only when the cache puts every key in one range; the node re-checks the span.
    let onePc = false;
    if (options.tryOnePc === true && mutations.length > 0) {
      const first = await this.locate(mutations[0]!.key);
      onePc = mutations.every((mutation) => this.cache.lookup(mutation.key)?.rangeId === first.rangeId);
    }
    const parts = await this.sendGrouped('prewrite', mutations, (mutation) => mutation.key, (items) => ({
      ...request,
      mutations: items,
      onePc: onePc && items.length === mutations.length ? true : undefined,
    }));
    let minCommitTs = 0 as Timestamp;
    let onePcCommitTs: Timestamp | undefined;
    let fellBack = false;
    for (const { result } of parts) {
      if (result.code !== 'OK') return result;
      minCommitTs = maxTimestamp(minCommitTs, result.minCommitTs);
      fellBack ||= result.fellBackToTwoPhase;
      if (parts.length === 1) onePcCommitTs = result.onePcCommitTs;
    }
    return { code: 'OK', minCommitTs, onePcCommitTs, fellBackToTwoPhase: fellBack };
  }

  async acquirePessimisticLock(request: AcquirePessimisticLockRequest): Promise<AcquirePessimisticLockResult> {
    const indexed = request.keys.map((key, index) => ({ key, index }));
    const parts = await this.sendGrouped('acquirePessimisticLock', indexed, (item) => item.key.key, (items) => ({ ...request, keys: items.map((item) => item.key) }));
    const values: (Uint8Array | undefined)[] = new Array(request.keys.length);
    for (const { items, result } of parts) {
      if (result.code !== 'OK') return result;
      if (result.values !== undefined) items.forEach((item, i) => (values[item.index] = result.values![i]));
    }
    return request.returnValues === true ? { code: 'OK', values } : { code: 'OK' };
  }

  async pessimisticRollback(request: PessimisticRollbackRequest): Promise<{ readonly code: 'OK' }> {
    await this.sendGrouped('pessimisticRollback', request.keys, (key) => key, (keys) => ({ ...request, keys }));
    return { code: 'OK' };
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    const parts = await this.sendGrouped('commit', request.keys, (key) => key, (keys) => ({ ...request, keys }));
    for (const { result } of parts) if (result.code !== 'OK') return result;
    return { code: 'OK' };
  }

  async rollback(request: RollbackRequest): Promise<RollbackResult> {
    const parts = await this.sendGrouped('rollback', request.keys, (key) => key, (keys) => ({ ...request, keys }));
    for (const { result } of parts) if (result.code !== 'OK') return result;
    return { code: 'OK' };
  }

  async cleanup(request: CleanupRequest): Promise<CleanupResult> {
    const [part] = await this.sendGrouped('cleanup', [request.key], (key) => key, () => request);
    return part!.result;
  }

  async checkTxnStatus(request: CheckTxnStatusRequest): Promise<CheckTxnStatusResult> {
    const [part] = await this.sendGrouped('checkTxnStatus', [request.primaryKey], (key) => key, () => request);
    return part!.result;
  }

  async checkSecondaryLocks(request: CheckSecondaryLocksRequest): Promise<CheckSecondaryLocksResult> {
    const parts = await this.sendGrouped('checkSecondaryLocks', request.keys, (key) => key, (keys) => ({ ...request, keys }));
    const locks: LockedKey[] = [];
    for (const { result } of parts) {
      if (result.code === 'COMMITTED' || result.code === 'ROLLED_BACK') return result;
      locks.push(...result.locks);
    }
    return { code: 'LOCKED', locks };
  }

  async resolveLock(request: ResolveLockRequest): Promise<ResolveLockResult> {
    let resolvedCount = 0;
    if (request.keys !== undefined) {
      const parts = await this.sendGrouped('resolveLock', request.keys, (key) => key, (keys) => ({ ...request, keys }));
      for (const { result } of parts) {
        if (result.code !== 'OK') return result;
        resolvedCount += result.resolvedCount;
      }
      return { code: 'OK', resolvedCount };
    }
    let failure: ResolveLockResult | undefined;
    await this.sendSpan(
      'resolveLock',
      request.startKey,
      request.endKey,
      (start, end) => ({ ...request, startKey: start, endKey: end }),
      (result) => {
        if (result.code !== 'OK') {
          failure = result;
          return false;
        }
        resolvedCount += result.resolvedCount;
        return result.resumeKey ?? true;
      },
    );
    return failure ?? { code: 'OK', resolvedCount };
  }

  async heartbeat(request: HeartbeatRequest): Promise<HeartbeatResult> {
    const [part] = await this.sendGrouped('heartbeat', [request.primaryKey], (key) => key, () => request);
    return part!.result;
  }

  async checkReadSet(request: CheckReadSetRequest): Promise<CheckReadSetResult> {
    if (request.keys.length > 0) {
      const parts = await this.sendGrouped('checkReadSet', request.keys, (key) => key, (keys) => ({ startTs: request.startTs, keys, spans: [] }));
      for (const { result } of parts) if (result.code !== 'OK') return result;
    }
    for (const span of request.spans) {
      let changed: CheckReadSetResult | undefined;
      await this.sendSpan(
        'checkReadSet',
        span.startKey,
        span.endKey,
        (start, end) => ({ startTs: request.startTs, keys: [], spans: [{ startKey: start, endKey: end }] }),
        (result) => {
          if (result.code === 'OK') return true;
          changed = result;
          return false;
        },
      );
      if (changed !== undefined) return changed;
    }
    return { code: 'OK' };
  }

  // ---- administration and placement --------------------------------------------------------------

  /** Splits the range holding `splitKey` so that a new range starts at it. */
  async split(splitKey: Uint8Array): Promise<SplitResult> {
    const [part] = await this.sendGrouped('split', [splitKey], (key) => key, () => ({ splitKey }));
    const result = part!.result;
    if (result.code === 'OK') this.cache.insert([result.left, result.right]);
    return result;
  }

  /** Every range descriptor, from the meta range, in key order. */
  async ranges(): Promise<RangeDescriptor[]> {
    const out: RangeDescriptor[] = [];
    let key: Uint8Array = USER_KEY_MIN;
    for (;;) {
      const { descriptors } = await this.placement('lookupRange', { key, prefetch: 64 });
      for (const descriptor of descriptors) {
        if (out.length > 0 && out[out.length - 1]!.rangeId === descriptor.rangeId) continue;
        out.push(descriptor);
      }
      const last = out[out.length - 1];
      if (last === undefined || last.endKey === undefined) return out;
      key = last.endKey;
    }
  }

  async timestamps(count: number): Promise<{ first: Timestamp; count: number }> {
    return this.placement('timestamps', { count });
  }

  async detect(edge: WaitForEdge): Promise<DetectResult> {
    return this.placement('detectDeadlock', edge);
  }

  async cleanUpWaitFor(waiter: Timestamp): Promise<void> {
    await this.placement('cleanUpWaitFor', { waiter });
  }
}
