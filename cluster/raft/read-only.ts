// Bookkeeping for ReadIndex reads (§6.4 of the Raft paper, thesis §6.4): a leader records its commit
// index when a read request arrives, then confirms it is still the leader by a round of heartbeats
// carrying the request's context. Once a quorum acknowledges that round, the request (and every
// request queued before it, which the same round also confirms) may be served at the recorded index.
//
// Invariants: requests are answered in arrival order; a context is pending at most once (a duplicate
// request is ignored until the first is answered); the queue is bounded by maxPendingRequests and a
// request beyond it is refused.

import type { NodeId, ReadIndexMessage } from './types.js';

export type ReadOnlyOption = 'safe' | 'lease-based';

export interface PendingRead {
  /** The leader's commit index when the request arrived. */
  readonly index: number;
  readonly request: ReadIndexMessage;
  readonly acks: Map<NodeId, boolean>;
}

/** Map key for a context: its bytes as a binary string. */
export function contextKey(context: Uint8Array): string {
  let key = '';
  for (let i = 0; i < context.length; i++) key += String.fromCharCode(context[i]!);
  return key;
}

export class ReadOnly {
  readonly option: ReadOnlyOption;
  private readonly maxPendingRequests: number;
  private readonly pending = new Map<string, PendingRead>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption, maxPendingRequests: number) {
    this.option = option;
    this.maxPendingRequests = maxPendingRequests;
  }

  /** Records a request at the leader's commit `index`; returns false if refused (queue full). */
  addRequest(index: number, request: ReadIndexMessage): boolean {
    const key = contextKey(request.context);
    if (this.pending.has(key)) return true;
    if (this.queue.length >= this.maxPendingRequests) return false;
    this.pending.set(key, { index, request, acks: new Map() });
    this.queue.push(key);
    return true;
  }

  /** Records that `id` acknowledged the heartbeat round of `context`; returns the acks so far. */
  receiveAck(id: NodeId, context: Uint8Array): ReadonlyMap<NodeId, boolean> | undefined {
    const read = this.pending.get(contextKey(context));
    if (read === undefined) return undefined;
    read.acks.set(id, true);
    return read.acks;
  }

  /**
   * The request confirmed by `context` and every request queued before it, in order, removed from the
   * pending set.
   */
  advance(context: Uint8Array): PendingRead[] {
    const key = contextKey(context);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const confirmed = this.queue.slice(0, position + 1);
    this.queue = this.queue.slice(position + 1);
    return confirmed.map((confirmedKey) => {
      const read = this.pending.get(confirmedKey)!;
      this.pending.delete(confirmedKey);
      return read;
    });
  }

  /** The context of the newest pending request: heartbeats carry it, confirming all before it too. */
  lastPendingContext(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    return this.pending.get(this.queue[this.queue.length - 1]!)!.request.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
