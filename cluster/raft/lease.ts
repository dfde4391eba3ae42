// The leader lease behind lease-based reads (§6.4 of the Raft paper, thesis §6.4.1), measured in the
// leader's own ticks.
//
// Why it holds: with check-quorum, a follower ignores vote and pre-vote requests for electionTick of
// its ticks after it last heard from its leader. In lease-based mode every heartbeat carries the tick
// at which the leader sent it, and the follower echoes it back. If a quorum acknowledged heartbeats
// sent at tick s or later, each of them heard from us at s or later and refuses to vote until
// electionTick of its ticks have passed; every election needs one of them, so no other leader can
// exist before s + electionTick. Ticks of different nodes are not aligned, so one tick is kept as a
// margin: the lease covers ticks below s + electionTick - 1. Clocks must tick at (nearly) the same
// rate; that is the assumption lease-based reads rest on.
//
// Two things end a lease early: sending TimeoutNow (the transferee's election ignores the followers'
// lease), for the rest of the term; and a new term (the lease is rebuilt from scratch).
//
// Invariants: acknowledged ticks per peer only grow; a revoked lease stays revoked for the term.

import { jointCommittedIndex, type JointConfig } from './quorum.js';
import type { NodeId } from './types.js';

const LEASE_CONTEXT_BYTES = 8;

/** The heartbeat context that carries the leader's tick. */
export function encodeLeaseTick(tick: number): Uint8Array {
  const bytes = new Uint8Array(LEASE_CONTEXT_BYTES);
  new DataView(bytes.buffer).setFloat64(0, tick);
  return bytes;
}

/** The tick a heartbeat response echoes, or undefined if the context is not a lease tick. */
export function decodeLeaseTick(context: Uint8Array): number | undefined {
  if (context.length !== LEASE_CONTEXT_BYTES) return undefined;
  const tick = new DataView(context.buffer, context.byteOffset, LEASE_CONTEXT_BYTES).getFloat64(0);
  return Number.isSafeInteger(tick) && tick >= 0 ? tick : undefined;
}

export class LeaderLease {
  /** Per peer: 1 + the latest send tick of a heartbeat it acknowledged (0 would mean none). */
  private readonly acknowledgedPlusOne = new Map<NodeId, number>();
  private revoked = false;

  recordAck(from: NodeId, sentTick: number): void {
    const previous = this.acknowledgedPlusOne.get(from) ?? 0;
    if (sentTick + 1 > previous) this.acknowledgedPlusOne.set(from, sentTick + 1);
  }

  /** Ends the lease for the rest of the term (TimeoutNow was sent). */
  revoke(): void {
    this.revoked = true;
  }

  /** Whether no other leader can exist at tick `now`. */
  valid(now: number, self: NodeId, voters: JointConfig, electionTick: number): boolean {
    if (this.revoked) return false;
    const startPlusOne = jointCommittedIndex(voters, (id) => (id === self ? now + 1 : this.acknowledgedPlusOne.get(id)));
    if (startPlusOne === 0) return false;
    return now - (startPlusOne - 1) < electionTick - 1;
  }
}
