// KvService: the server side of the node protocol (protocol.ts). A range request is evaluated by the
// range's leader replica:
//
//   writes (every MVCC action): latch the request's keys → re-check leadership and span → take an LSM
//   snapshot → run the action → propose its batch through Raft → answer once applied → unlatch.
//   reads (get, scan, read-set check): make sure the replica may serve a linearizable read (its leader
//   lease, or a read-index round) and has applied up to that index → raise the node's max read
//   timestamp → wait for writers already latched on the keys → read a snapshot.
//
// Reads raise maxReadTs before they look, and writes fill maxReadTs into async-commit and 1PC
// prewrites after latching: together with the latch wait this keeps every commit timestamp computed
// at evaluation above every read that could have missed the write (see latches.ts).
//
// A replica that just became leader does not know the read timestamps its predecessor served; before
// it evaluates an async-commit or 1PC prewrite it raises maxReadTs to a fresh timestamp from the
// oracle (TiKV's max-ts sync).
//
// Placement requests (range lookup, timestamps, deadlock detection) are served when this node leads
// the meta range.

import { LsmMvccSnapshot } from '../../storage/mvcc/lsm-snapshot.js';
import {
  acquirePessimisticLock,
  checkSecondaryLocks,
  checkTxnStatus,
  cleanup,
  commit,
  heartbeat,
  mvccGet,
  mvccScan,
  pessimisticRollback,
  prewrite,
  resolveLock,
  rollback,
  scanLocks,
  type ActionOutput,
  type LockedKey,
  type ResolveLockRequest,
  type ResolveLockResult,
  type Timestamp,
  maxTimestamp,
} from '../../storage/mvcc/index.js';
import { checkReadSet } from '../../storage/mvcc/read-set.js';
import type { MvccSnapshot } from '../../storage/mvcc/snapshot.js';
import { RESOLVE_LOCK_SCAN_LIMIT_DEFAULT } from '../../storage/mvcc/actions/resolve-lock.js';
import { WaitForGraph } from '../placement/wait-for-graph.js';
import { lookupDescriptors } from '../placement/meta.js';
import { formatDescriptor, spanContainsKey, spanContainsSpan } from '../placement/range-descriptor.js';
import type {
  NodeEndpoint,
  PlacementBodies,
  PlacementMethod,
  PlacementResponse,
  PlacementResults,
  RangeBodies,
  RangeMethod,
  RangeRequestEnvelope,
  RangeResponse,
  RangeResults,
  RoutingError,
} from './protocol.js';
import { META_RANGE_ID, ProposalFailedError, type Replica } from './replica.js';
import { splitRange } from './split.js';
import { StoreClosedError, type Store } from './store.js';
import { TsoHost } from './tso-host.js';

/** Thrown inside evaluation to answer with a routing error. */
/** The one span a read waits on for latched writers (any key, when it reads several spans). */
function readSpan(spans: readonly Span[]): Span | undefined {
  if (spans.length === 0) return undefined;
  return spans.length === 1 ? spans[0] : { start: undefined, end: undefined };
}

class RoutingFailure extends Error {
  constructor(readonly error: RoutingError) {
    super(error.message);
  }
}

type Span = { readonly start: Uint8Array | undefined; readonly end: Uint8Array | undefined };

/** The keys and spans a request touches, for span checks and latches. */
function footprint<M extends RangeMethod>(method: M, body: RangeBodies[M]): { keys: Uint8Array[]; spans: Span[] } {
  const b = body as RangeBodies[RangeMethod];
  switch (method) {
    case 'batchGet':
    case 'pessimisticRollback':
    case 'commit':
    case 'rollback':
    case 'checkSecondaryLocks':
      return { keys: [...(b as RangeBodies['commit']).keys], spans: [] };
    case 'scan': {
      const scan = b as RangeBodies['scan'];
      return { keys: [], spans: [{ start: scan.startKey, end: scan.endKey }] };
    }
    case 'prewrite':
      return { keys: (b as RangeBodies['prewrite']).mutations.map((m) => m.key), spans: [] };
    case 'acquirePessimisticLock':
      return { keys: (b as RangeBodies['acquirePessimisticLock']).keys.map((k) => k.key), spans: [] };
    case 'cleanup':
      return { keys: [(b as RangeBodies['cleanup']).key], spans: [] };
    case 'checkTxnStatus':
    case 'heartbeat':
      return { keys: [(b as RangeBodies['heartbeat']).primaryKey], spans: [] };
    case 'resolveLock': {
      const resolve = b as RangeBodies['resolveLock'];
      if (resolve.keys !== undefined) return { keys: [...resolve.keys], spans: [] };
      return { keys: [], spans: [{ start: resolve.startKey, end: resolve.endKey }] };
    }
    case 'checkReadSet': {
      const check = b as RangeBodies['checkReadSet'];
      return { keys: [...check.keys], spans: check.spans.map((span) => ({ start: span.startKey, end: span.endKey })) };
    }
    case 'split': {
      const split = b as RangeBodies['split'];
      return { keys: split.splitKey === undefined ? [] : [split.splitKey], spans: [] };
    }
  }
  throw new Error(`unknown range method ${String(method)}`);
}

export class KvService implements NodeEndpoint {
  readonly tso: TsoHost;
  private readonly detector: WaitForGraph;
  /** Per replica that became leader: resolves once maxReadTs covers its predecessor's reads. */
  private readonly maxTsSynced = new Map<number, Promise<void>>();

  constructor(readonly store: Store, options: { deadlockEdgeTtlMs?: number } = {}) {
    this.tso = new TsoHost(store);
    this.detector = new WaitForGraph({ clock: store.clock, edgeTtlMs: options.deadlockEdgeTtlMs ?? 60_000 });
    store.onLeadershipChange((replica, isLeader) => {
      if (!isLeader) {
        this.maxTsSynced.delete(replica.rangeId);
        return;
      }
      const synced = this.syncMaxTs();
      synced.catch(() => undefined);
      this.maxTsSynced.set(replica.rangeId, synced);
    });
  }

  private async syncMaxTs(): Promise<void> {
    // The oracle may be starting on this very node (range 1 elected in the same round): retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        const { first } = await this.tso.allocate(1);
        this.store.maxReadTs = maxTimestamp(this.store.maxReadTs, first);
        return;
      } catch (error) {
        if (attempt >= 50 || !(error instanceof ProposalFailedError)) throw error;
        await new Promise((resolve) => this.store.clock.setTimer(10, () => resolve(undefined)));
      }
    }
  }

  sendRange<M extends RangeMethod>(request: RangeRequestEnvelope<M>): Promise<RangeResponse<M>> {
    if (request.method === 'batchGet' || request.method === 'scan') {
      // The hot path of point reads and scans: no promise chain when the read can be served now.
      try {
        const result = this.tryReadNow(request);
        if (result !== undefined) return Promise.resolve({ ok: true, result: result as RangeResults[M] });
      } catch (error) {
        try {
          return Promise.resolve({ ok: false, error: toRoutingError(error) });
        } catch (unexpected) {
          return Promise.reject(unexpected);
        }
      }
    }
    return this.sendRangeWaiting(request);
  }

  private async sendRangeWaiting<M extends RangeMethod>(request: RangeRequestEnvelope<M>): Promise<RangeResponse<M>> {
    try {
      const result = await this.evaluate(request);
      return { ok: true, result };
    } catch (error) {
      return { ok: false, error: toRoutingError(error) };
    }
  }

  /** The replica for a request, checked to lead and to hold every key; throws RoutingFailure. */
  private checkedReplica(rangeId: number, keys: readonly Uint8Array[], spans: readonly Span[]): Replica {
    this.store.checkOpen();
    const replica = this.store.replica(rangeId);
    if (replica === undefined) throw new RoutingFailure({ code: 'RANGE_NOT_FOUND', message: `range ${rangeId} is not on node ${this.store.nodeId}` });
    if (!replica.isLeader) {
      throw new RoutingFailure({ code: 'NOT_LEADER', leaderNodeId: replica.leaderNodeId(), message: `range ${rangeId}: node ${this.store.nodeId} is not its leader` });
    }
    const descriptor = replica.descriptor;
    const outside = keys.some((key) => !spanContainsKey(descriptor, key)) || spans.some((span) => !spanContainsSpan(descriptor, span.start, span.end));
    if (outside) {
      // Ranges split from this one are on this node too: hand them back so the cache refreshes at once.
      const descriptors = this.store.descriptors().filter((d) => d.rangeId === rangeId || d.generation >= descriptor.generation);
      throw new RoutingFailure({ code: 'RANGE_KEY_MISMATCH', descriptors, message: `a key is outside ${formatDescriptor(descriptor)}` });
    }
    return replica;
  }

  private async evaluate<M extends RangeMethod>(request: RangeRequestEnvelope<M>): Promise<RangeResults[M]> {
    const { keys, spans } = footprint(request.method, request.body);
    if (request.method === 'split') return (await this.split(request.rangeId, keys[0])) as RangeResults[M];
    if (request.method === 'batchGet' || request.method === 'scan' || request.method === 'checkReadSet') {
      return (await this.read(request, keys, spans)) as RangeResults[M];
    }
    if (request.method === 'resolveLock' && keys.length === 0) {
      return (await this.resolveSpan(request.rangeId, request.body as ResolveLockRequest, spans[0]!)) as RangeResults[M];
    }
    return (await this.write(request, keys)) as RangeResults[M];
  }

  private async read<M extends RangeMethod>(request: RangeRequestEnvelope<M>, keys: Uint8Array[], spans: Span[]): Promise<unknown> {
    let replica = this.checkedReplica(request.rangeId, keys, spans);
    const leaseIndex = replica.raft.leaseReadIndex();
    const index = leaseIndex ?? (await this.store.readIndex(replica));
    const applied = replica.waitApplied(index);
    if (applied !== undefined) await applied;
    if (leaseIndex === undefined || applied !== undefined) replica = this.checkedReplica(request.rangeId, keys, spans);
    this.raiseMaxReadTs(request);
    const writers = this.store.latches.awaitWriters(keys, readSpan(spans));
    if (writers !== undefined) {
      await writers;
      this.checkedReplica(request.rangeId, keys, spans);
    }
    return this.readSnapshot(request);
  }

  /**
   * The read answered at once when nothing needs waiting for: a valid lease, everything below its index
   * applied, no writer latched on the keys. Undefined otherwise (the caller takes the waiting path).
   */
  private tryReadNow<M extends RangeMethod>(request: RangeRequestEnvelope<M>): unknown {
    const { keys, spans } = footprint(request.method, request.body);
    const replica = this.checkedReplica(request.rangeId, keys, spans);
    const leaseIndex = replica.raft.leaseReadIndex();
    if (leaseIndex === undefined || replica.appliedIndex < leaseIndex) return undefined;
    this.raiseMaxReadTs(request);
    if (this.store.latches.anyHeld(keys, readSpan(spans))) return undefined;
    return this.readSnapshot(request);
  }

  /** Reads raise the node's max read timestamp before they look (see the file comment). */
  private raiseMaxReadTs<M extends RangeMethod>(request: RangeRequestEnvelope<M>): void {
    if (request.method === 'checkReadSet') return;
    const readTs = (request.body as RangeBodies['scan']).readTs;
    if (readTs > this.store.maxReadTs) this.store.maxReadTs = readTs;
  }

  private readSnapshot<M extends RangeMethod>(request: RangeRequestEnvelope<M>): unknown {
    const snapshot = new LsmMvccSnapshot(this.store.db);
    try {
      switch (request.method) {
        case 'batchGet': {
          const body = request.body as RangeBodies['batchGet'];
          const values: (Uint8Array | undefined)[] = [];
          const locks: LockedKey[] = [];
          for (const key of body.keys) {
            const result = mvccGet(snapshot, key, body.readTs, { bypassLockTs: body.bypassLockTs, newestWrite: this.store.versionCache.lookup(key) });
            if (result.code === 'OK') values.push(result.value);
            else locks.push(...result.locks);
          }
          return locks.length > 0 ? { code: 'KEY_IS_LOCKED', locks } : { code: 'OK', values };
        }
        case 'scan':
          return mvccScan(snapshot, request.body as RangeBodies['scan']);
        default:
          return checkReadSet(snapshot, request.body as RangeBodies['checkReadSet']);
      }
    } finally {
      snapshot.release();
    }
  }

  private async write<M extends RangeMethod>(request: RangeRequestEnvelope<M>, keys: Uint8Array[]): Promise<unknown> {
    this.checkedReplica(request.rangeId, keys, []);
    const body = request.body as RangeBodies['prewrite'];
    const needsMaxTs = request.method === 'prewrite' && (body.onePc === true || body.asyncCommit !== undefined);
    if (needsMaxTs) await this.maxTsSynced.get(request.rangeId);
    const guard = this.store.latches.tryAcquire(keys) ?? (await this.store.latches.acquire(keys));
    try {
      const replica = this.checkedReplica(request.rangeId, keys, []);
      const snapshot = new LsmMvccSnapshot(this.store.db);
      let output: ActionOutput<unknown>;
      try {
        output = this.runAction(snapshot, request, needsMaxTs);
      } finally {
        snapshot.release();
      }
      if (output.batch.count > 0) await this.store.proposeWrite(replica, output.batch);
      return output.result;
    } finally {
      guard.release();
    }
  }

  private runAction<M extends RangeMethod>(snapshot: MvccSnapshot, request: RangeRequestEnvelope<M>, fillMaxReadTs: boolean): ActionOutput<unknown> {
    const body = request.body as never;
    switch (request.method) {
      case 'prewrite': {
        const prewriteBody = request.body as RangeBodies['prewrite'];
        return prewrite(snapshot, fillMaxReadTs ? { ...prewriteBody, maxReadTs: this.store.maxReadTs } : prewriteBody);
      }
      case 'acquirePessimisticLock':
        return acquirePessimisticLock(snapshot, body);
      case 'pessimisticRollback':
        return pessimisticRollback(snapshot, body);
      case 'commit':
        return commit(snapshot, body);
      case 'rollback':
        return rollback(snapshot, body);
      case 'cleanup':
        return cleanup(snapshot, body);
      case 'checkTxnStatus': {
        const check = request.body as RangeBodies['checkTxnStatus'];
        // A reader pushing a lock's minCommitTs reads at callerStartTs: count it as a read.
        if (check.callerStartTs > this.store.maxReadTs) this.store.maxReadTs = check.callerStartTs;
        return checkTxnStatus(snapshot, body);
      }
      case 'checkSecondaryLocks':
        return checkSecondaryLocks(snapshot, body);
      case 'resolveLock':
        return resolveLock(snapshot, body);
      case 'heartbeat':
        return heartbeat(snapshot, body);
      default:
        throw new Error(`range method ${request.method} is not a write`);
    }
  }

  /**
   * Resolves the locks of the given transactions in a span: finds them with a lock scan, then resolves
   * those keys under latches (a span walk inside one latched action could race new prewrites).
   */
  private async resolveSpan(rangeId: number, request: ResolveLockRequest, span: Span): Promise<ResolveLockResult> {
    const replica = this.checkedReplica(rangeId, [], [span]);
    const limit = request.scanLimit ?? RESOLVE_LOCK_SCAN_LIMIT_DEFAULT;
    const snapshot = new LsmMvccSnapshot(this.store.db);
    let found: LockedKey[];
    try {
      let maxTs = 0 as Timestamp;
      for (const startTs of request.txnStatus.keys()) maxTs = maxTimestamp(maxTs, startTs);
      found = scanLocks(snapshot, { startKey: span.start, endKey: span.end, maxTs, limit: limit + 1 });
    } finally {
      snapshot.release();
    }
    const more = found.length > limit;
    const keys = found.slice(0, limit).filter((locked) => request.txnStatus.has(locked.lock.startTs)).map((locked) => locked.key);
    let resolvedCount = 0;
    if (keys.length > 0) {
      const result = (await this.write({ rangeId, generation: replica.descriptor.generation, method: 'resolveLock', body: { txnStatus: request.txnStatus, keys } }, keys)) as ResolveLockResult;
      if (result.code !== 'OK') return result;
      resolvedCount = result.resolvedCount;
    }
    return more ? { code: 'OK', resolvedCount, resumeKey: found[limit]!.key } : { code: 'OK', resolvedCount };
  }

  private async split(rangeId: number, splitKey: Uint8Array | undefined): Promise<RangeResults['split']> {
    const replica = this.checkedReplica(rangeId, splitKey === undefined ? [] : [splitKey], []);
    const right = await splitRange(this.store, replica, splitKey);
    return right === undefined ? { code: 'NOT_SPLIT' } : { code: 'OK', left: replica.descriptor, right };
  }

  async sendPlacement<M extends PlacementMethod>(method: M, body: PlacementBodies[M]): Promise<PlacementResponse<M>> {
    try {
      return { ok: true, result: (await this.placement(method, body)) as PlacementResults[M] };
    } catch (error) {
      return { ok: false, error: toRoutingError(error) };
    }
  }

  private async placement<M extends PlacementMethod>(method: M, body: PlacementBodies[M]): Promise<unknown> {
    this.store.checkOpen();
    const meta = this.store.replica(META_RANGE_ID);
    if (meta === undefined || !meta.isLeader) {
      throw new RoutingFailure({ code: 'NOT_LEADER', leaderNodeId: meta?.leaderNodeId(), message: `node ${this.store.nodeId} does not lead the meta range` });
    }
    switch (method) {
      case 'lookupRange': {
        const { key, prefetch, inclusiveEnd } = body as PlacementBodies['lookupRange'];
        const index = meta.raft.leaseReadIndex() ?? (await this.store.readIndex(meta));
        await meta.waitApplied(index);
        return { descriptors: lookupDescriptors(this.store.db, key, prefetch, inclusiveEnd === true) };
      }
      case 'timestamps':
        return (await this.tso.allocate((body as PlacementBodies['timestamps']).count));
      case 'detectDeadlock':
        return this.detector.detect(body as PlacementBodies['detectDeadlock']);
      case 'cleanUpWaitFor':
        this.detector.cleanUpWaitFor((body as PlacementBodies['cleanUpWaitFor']).waiter);
        return { code: 'OK' };
    }
    throw new Error(`unknown placement method ${String(method)}`);
  }
}

function toRoutingError(error: unknown): RoutingError {
  if (error instanceof RoutingFailure) return error.error;
  if (error instanceof ProposalFailedError) {
    if (error.reason === 'not-leader') return { code: 'NOT_LEADER', leaderNodeId: undefined, message: error.message };
    if (error.reason === 'ambiguous') return { code: 'AMBIGUOUS', message: error.message };
    return { code: 'UNAVAILABLE', message: error.message };
  }
  if (error instanceof StoreClosedError) return { code: 'UNAVAILABLE', message: error.message };
  // Bad input (StorageError INVALID_ARGUMENT) and broken invariants are not routing answers.
  throw error;
}
