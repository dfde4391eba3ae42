// The deadlock detector's core, as TiKV's (src/server/lock_manager/deadlock.rs): a graph of which
// transaction waits for which, keyed by start timestamps. A transaction about to wait for a lock asks
// `detect(waiter -> holder)`; if the holder already waits, directly or through others, for the waiter,
// waiting would never end, and the answer is DEADLOCK (the waiter is the victim and aborts with SQLSTATE
// 40P01). Otherwise the edge is recorded and the waiter may wait.
//
// Edges. An edge is a (waiter, holder) pair. The key the waiter waits on is not part of it: waiting on
// two keys of one holder is one dependency, and a second detect of a pair only refreshes its time.
// Each edge remembers when it was last detected; an edge older than edgeTtlMs is treated as gone. That
// is what keeps a coordinator that crashed (or lost its connection) without cleaning up from causing
// false deadlocks forever: its edges fade out. Expired edges are dropped lazily, when a search meets
// them or a waiter's edges are touched, and all at once when the graph reaches its size bound. Edge
// ages are measured on the clock's monotonic reading, so a wall-clock step neither keeps edges alive
// nor expires them all.
//
// Invariants:
//  - The live edges (not expired) form no cycle. detect adds an edge only when the holder cannot reach
//    the waiter through live edges, and an edge that expires stays expired until a detect adds it
//    again; cleanUp and expiry only remove edges.
//  - `outEdges` and `inEdges` hold the same edges, seen from each end; `edgeCount` is their number.
//    Neither map holds an empty inner collection.
//  - At most edgeCountMax edges are held; adding one more throws WaitForGraphError 'GRAPH_FULL' after
//    expired edges have been dropped, since a graph that large means waiters are not being cleaned up.
//  - The search is an iterative depth-first walk with an explicit stack: no recursion, so a long chain
//    of waiters cannot overflow the call stack. It visits each transaction at most once.
//
// The cycle reported is [waiter, holder, ..., t] where each transaction waits for the next and t waits
// for the waiter (the waiter is not repeated at the end).

import type { Clock } from '../../storage/env/clock.js';
import { type Timestamp, formatTimestamp, isTimestamp } from '../../storage/mvcc/timestamp.js';
import type { DeadlockDetector, DetectResult, WaitForEdge } from '../kv/kv-client.js';

/** The default bound on held edges (each costs a few map entries, about a hundred bytes). */
export const WAIT_FOR_EDGE_COUNT_MAX = 1_000_000;

export type WaitForGraphErrorCode = 'INVALID_ARGUMENT' | 'GRAPH_FULL';

export class WaitForGraphError extends Error {
  readonly code: WaitForGraphErrorCode;
  constructor(code: WaitForGraphErrorCode, message: string) {
    super(message);
    this.name = 'WaitForGraphError';
    this.code = code;
  }
}

export interface WaitForGraphOptions {
  readonly clock: Clock;
  /**
   * How long an edge lives after its last detect. Longer keeps real waits detectable longer (a waiter
   * whose edge expired while it still waits can take part in an undetected deadlock until its lock
   * wait times out); shorter clears the edges of crashed coordinators sooner. Coordinators re-detect
   * while they wait, so a few times their re-detect interval (TiKV: 3 s) is safe.
   */
  readonly edgeTtlMs: number;
  /** The most edges held (default WAIT_FOR_EDGE_COUNT_MAX); lower only in tests. */
  readonly edgeCountMax?: number | undefined;
}

export class WaitForGraph {
  private readonly clock: Clock;
  private readonly edgeTtlMs: number;
  private readonly edgeCountMax: number;
  /** waiter -> (holder -> monotonic ms of the edge's last detect). */
  private readonly outEdges = new Map<Timestamp, Map<Timestamp, number>>();
  /** holder -> the waiters with an edge to it. */
  private readonly inEdges = new Map<Timestamp, Set<Timestamp>>();
  private edgeCount = 0;

  constructor(options: WaitForGraphOptions) {
    const edgeCountMax = options.edgeCountMax ?? WAIT_FOR_EDGE_COUNT_MAX;
    if (!(Number.isFinite(options.edgeTtlMs) && options.edgeTtlMs > 0)) {
      throw new WaitForGraphError('INVALID_ARGUMENT', `edge TTL ${options.edgeTtlMs} ms is not a positive number`);
    }
    if (!Number.isSafeInteger(edgeCountMax) || edgeCountMax < 1) {
      throw new WaitForGraphError('INVALID_ARGUMENT', `edge count bound ${edgeCountMax} is not a positive integer`);
    }
    this.clock = options.clock;
    this.edgeTtlMs = options.edgeTtlMs;
    this.edgeCountMax = edgeCountMax;
  }

  /** The edges held, including expired ones not yet dropped. */
  get size(): number {
    return this.edgeCount;
  }

  /**
   * Records that `edge.waiter` waits for `edge.holder`, or answers DEADLOCK (recording nothing) when
   * the holder reaches the waiter through live edges.
   */
  detect(edge: WaitForEdge): DetectResult {
    const { waiter, holder } = edge;
    checkTimestamp(waiter, 'waiter');
    checkTimestamp(holder, 'holder');
    if (waiter === holder) {
      // A transaction never waits for its own lock; a caller that asks has lost track of its locks.
      throw new WaitForGraphError('INVALID_ARGUMENT', `transaction ${formatTimestamp(waiter)} cannot wait for itself`);
    }
    const nowMs = this.clock.monotonicMs();
    const path = this.findPath(holder, waiter, nowMs);
    if (path !== undefined) return { code: 'DEADLOCK', cycle: [waiter, ...path.slice(0, -1)] };
    this.addEdge(waiter, holder, nowMs);
    return { code: 'OK' };
  }

  /** Removes every edge out of `waiter`: it stopped waiting. */
  cleanUpWaitFor(waiter: Timestamp): void {
    const holders = this.outEdges.get(waiter);
    if (holders === undefined) return;
    for (const holder of [...holders.keys()]) this.removeEdge(waiter, holder);
  }

  /** Removes every edge into and out of `txn`: it finished, so nobody waits for it any longer. */
  cleanUp(txn: Timestamp): void {
    this.cleanUpWaitFor(txn);
    const waiters = this.inEdges.get(txn);
    if (waiters === undefined) return;
    for (const waiter of [...waiters]) this.removeEdge(waiter, txn);
  }

  /**
   * A path from `from` to `to` through live edges, as [from, ..., to], or undefined. Drops the expired
   * edges it meets.
   */
  private findPath(from: Timestamp, to: Timestamp, nowMs: number): Timestamp[] | undefined {
    // parent.get(t) is the transaction whose edge led the walk to t; `from` is its own parent.
    const parent = new Map<Timestamp, Timestamp>([[from, from]]);
    const stack: Timestamp[] = [from];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const next of this.liveHolders(node, nowMs)) {
        if (parent.has(next)) continue;
        parent.set(next, node);
        if (next === to) return pathTo(parent, to);
        stack.push(next);
      }
    }
    return undefined;
  }

  /** The holders `waiter` waits for through live edges; its expired edges are dropped. */
  private liveHolders(waiter: Timestamp, nowMs: number): Timestamp[] {
    const holders = this.outEdges.get(waiter);
    if (holders === undefined) return [];
    const live: Timestamp[] = [];
    for (const [holder, detectedMs] of [...holders]) {
      if (this.isExpired(detectedMs, nowMs)) this.removeEdge(waiter, holder);
      else live.push(holder);
    }
    return live;
  }

  private isExpired(detectedMs: number, nowMs: number): boolean {
    return nowMs - detectedMs > this.edgeTtlMs;
  }

  private addEdge(waiter: Timestamp, holder: Timestamp, nowMs: number): void {
    let holders = this.outEdges.get(waiter);
    if (holders?.has(holder) === true) {
      holders.set(holder, nowMs);
      return;
    }
    if (this.edgeCount >= this.edgeCountMax) {
      this.dropExpiredEdges(nowMs);
      if (this.edgeCount >= this.edgeCountMax) {
        throw new WaitForGraphError('GRAPH_FULL', `the wait-for graph holds ${this.edgeCount} live edges, its bound`);
      }
      holders = this.outEdges.get(waiter);
    }
    if (holders === undefined) {
      holders = new Map();
      this.outEdges.set(waiter, holders);
    }
    holders.set(holder, nowMs);
    let waiters = this.inEdges.get(holder);
    if (waiters === undefined) {
      waiters = new Set();
      this.inEdges.set(holder, waiters);
    }
    waiters.add(waiter);
    this.edgeCount++;
  }

  private removeEdge(waiter: Timestamp, holder: Timestamp): void {
    const holders = this.outEdges.get(waiter);
    const waiters = this.inEdges.get(holder);
    if (holders === undefined || waiters === undefined || !holders.delete(holder) || !waiters.delete(waiter)) {
      throw new Error(`wait-for graph: the edge ${formatTimestamp(waiter)} -> ${formatTimestamp(holder)} is not held from both ends`);
    }
    if (holders.size === 0) this.outEdges.delete(waiter);
    if (waiters.size === 0) this.inEdges.delete(holder);
    this.edgeCount--;
  }

  /** Drops every expired edge (a full pass, done only when the graph is at its bound). */
  private dropExpiredEdges(nowMs: number): void {
    for (const waiter of [...this.outEdges.keys()]) this.liveHolders(waiter, nowMs);
  }
}

function checkTimestamp(value: Timestamp, what: string): void {
  if (!isTimestamp(value)) throw new WaitForGraphError('INVALID_ARGUMENT', `${what} ${String(value)} is not a timestamp`);
}

/** Follows parent links back from `to` to the walk's start; returns [start, ..., to]. */
function pathTo(parent: ReadonlyMap<Timestamp, Timestamp>, to: Timestamp): Timestamp[] {
  const path: Timestamp[] = [to];
  // Each step moves to a transaction visited earlier, so the walk ends within parent.size steps.
  for (let node = to; parent.get(node) !== node; ) {
    node = parent.get(node)!;
    path.push(node);
    if (path.length > parent.size) throw new Error('wait-for graph: the parent links of a search form a loop');
  }
  return path.reverse();
}

/**
 * The detector as a single node serves it (the meta range's leader): the DeadlockDetector interface
 * over one WaitForGraph. The methods are async only to match the interface; a remote detector sends
 * the same calls over the network.
 */
export class LocalDeadlockDetector implements DeadlockDetector {
  constructor(readonly graph: WaitForGraph) {}

  async detect(edge: WaitForEdge): Promise<DetectResult> {
    return this.graph.detect(edge);
  }

  async cleanUpWaitFor(waiter: Timestamp): Promise<void> {
    this.graph.cleanUpWaitFor(waiter);
  }

  /** The transaction finished: drops the edges into it as well as those out of it. */
  async cleanUp(txn: Timestamp): Promise<void> {
    this.graph.cleanUp(txn);
  }
}
