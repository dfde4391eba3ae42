// How a leader sends its log: appends (batched up to maxSizePerMsgBytes, pipelined within each
// follower's in-flight window), heartbeats, snapshots when a follower's next entry was compacted away,
// and TimeoutNow for a leadership transfer. §5.3 and §7 of the Raft paper; flow control after
// etcd-io/raft's tracker.
//
// Invariants: nothing is sent to a paused follower except an empty append used as a probe when its
// window is full; an append's (index, logTerm) is the entry right before its first entry in the
// leader's log; a heartbeat never carries a commit index beyond the follower's match; sending
// TimeoutNow ends the leader lease for the term.

import { invariant, SnapshotTemporarilyUnavailableError } from './errors.js';
import { encodeLeaseTick } from './lease.js';
import type { Progress } from './progress.js';
import type { Raft } from './raft.js';
import { type Entry, isEmptySnapshot, type NodeId, payloadsSizeBytes, type Snapshot } from './types.js';

const NO_ENTRIES: readonly Entry[] = Object.freeze([]) as readonly Entry[];

/**
 * Sends `to` an append with the entries it lacks (or a snapshot if they are gone). With sendIfEmpty
 * false, sends only if there are entries; returns whether a message was sent.
 */
export function maybeSendAppend(r: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const progress = r.tracker.mustGet(to);
  if (progress.isPaused()) return false;
  const prevIndex = progress.next - 1;
  const prevTerm = r.log.maybeTerm(prevIndex);
  if (prevTerm === undefined) return maybeSendSnapshot(r, to, progress);
  let entries: readonly Entry[] = NO_ENTRIES;
  // With a full window, only an empty append goes out: it probes whether the follower is still there.
  if (progress.state !== 'replicate' || !progress.inflights.full()) {
    const fetched = r.log.entriesFrom(progress.next, r.config.maxSizePerMsgBytes);
    if (fetched === undefined) return maybeSendSnapshot(r, to, progress);
    entries = fetched;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({ type: 'app', from: r.id, to, term: r.term, index: prevIndex, logTerm: prevTerm, entries, commit: r.log.committed });
  progress.sentEntries(entries.length, entries.length === 0 ? 0 : payloadsSizeBytes(entries));
  return true;
}

export function sendAppend(r: Raft, to: NodeId): void {
  maybeSendAppend(r, to, true);
}

/** An append (possibly empty, carrying the commit index) to every peer. */
export function bcastAppend(r: Raft): void {
  for (const id of r.tracker.sortedIds) if (id !== r.id) maybeSendAppend(r, id, true);
}

/**
 * Sends every peer all the entries its flow control admits: several messages per follower in
 * replicate state (pipelining), one probe in probe state. Bounded by each in-flight window.
 */
export function flushAppends(r: Raft): void {
  for (const id of r.tracker.sortedIds) {
    if (id === r.id) continue;
    for (let sent = 0; sent <= r.config.maxInflightMsgs; sent++) {
      if (!maybeSendAppend(r, id, false)) break;
    }
  }
}

/** Sends a snapshot to a follower whose next entry was compacted away, if it is alive to take it. */
function maybeSendSnapshot(r: Raft, to: NodeId, progress: Progress): boolean {
  // A follower not heard from recently would likely drop it; the snapshot may be large.
  if (!progress.recentActive) return false;
  let snapshot: Snapshot;
  try {
    snapshot = r.log.snapshot();
  } catch (error) {
    if (error instanceof SnapshotTemporarilyUnavailableError) return false;
    throw error;
  }
  invariant(!isEmptySnapshot(snapshot), 'snapshot-covers-compacted-log', () => `log compacted but no snapshot for ${to}`);
  progress.becomeSnapshot(snapshot.metadata.index);
  r.send({ type: 'snap', from: r.id, to, term: r.term, snapshot });
  return true;
}

export function sendHeartbeat(r: Raft, to: NodeId, context: Uint8Array | undefined): void {
  // The follower may not hold entries beyond its match; committing them there would be wrong.
  const commit = Math.min(r.tracker.mustGet(to).match, r.log.committed);
  r.send({ type: 'heartbeat', from: r.id, to, term: r.term, commit, context });
}

/**
 * A heartbeat to every peer. It carries the newest pending read request, so the round confirms it;
 * with lease-based reads, the tick it was sent at instead, so its acknowledgements renew the lease.
 */
export function bcastHeartbeat(r: Raft): void {
  const context = r.readOnly.option === 'lease-based' ? encodeLeaseTick(r.ticks) : r.readOnly.lastPendingContext();
  for (const id of r.tracker.sortedIds) if (id !== r.id) sendHeartbeat(r, id, context);
}

export function sendTimeoutNow(r: Raft, to: NodeId): void {
  // The transferee's election ignores the followers' lease: ours is over for this term.
  r.lease.revoke();
  r.send({ type: 'timeoutNow', from: r.id, to, term: r.term });
}
