// The leader's step function: proposals, acknowledgements and rejections of appends (§5.3), commit
// by counting (§5.4.2), heartbeats and check-quorum (thesis §9.6), read-index confirmation (§6.4),
// snapshot status, and leadership transfer (thesis §3.10). Messages whose term differs from ours were
// already dealt with by Raft.step.
//
// Invariants: a leader never receives an append, heartbeat or snapshot of its own term (that would
// mean two leaders in one term); at most one configuration change is pending (proposed but not
// applied); during a transfer, and once the leader is no voter itself, no proposal is accepted (nor, in
// the latter case, a read); a lease-based read is answered only under a valid lease (lease.ts).

import { decodeConfChange } from './conf-change-codec.js';
import { ConfChangeError, invariant, ProposalDroppedError } from './errors.js';
import { decodeLeaseTick } from './lease.js';
import { jointVoteResult, isJoint } from './quorum.js';
import type { Raft } from './raft.js';
import { isSelfVoter } from './removal.js';
import { bcastHeartbeat, maybeSendAppend, sendAppend, sendHeartbeat, sendTimeoutNow } from './replication.js';
import {
  type AppendResponseMessage,
  type HeartbeatResponseMessage,
  isLeaveJoint,
  type Message,
  NO_NODE,
  type ProposalMessage,
  type ReadIndexMessage,
  type TransferLeaderMessage,
} from './types.js';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'beat':
      bcastHeartbeat(r);
      return;
    case 'checkQuorum':
      // Step down if a quorum was not heard from during the last election timeout, then start over.
      if (!r.tracker.quorumActive()) r.becomeFollower(r.term, NO_NODE);
      for (const [id, progress] of r.tracker.progress) if (id !== r.id) progress.recentActive = false;
      return;
    case 'prop':
      handleProposal(r, m);
      return;
    case 'readIndex':
      handleReadIndex(r, m);
      return;
    case 'transferLeader':
      handleTransferLeader(r, m);
      return;
    case 'app':
    case 'heartbeat':
    case 'snap':
      invariant(false, 'one-leader-per-term', () => `leader ${r.id} got ${m.type} from ${m.from} in its own term ${r.term}`);
      return;
    default:
      break;
  }
  // The rest are answers from peers: ignore peers we no longer track.
  const progress = r.tracker.progress.get(m.from);
  if (progress === undefined) return;
  switch (m.type) {
    case 'appResp':
      handleAppendResponse(r, m);
      return;
    case 'heartbeatResp':
      handleHeartbeatResponse(r, m);
      return;
    case 'snapStatus':
      if (progress.state !== 'snapshot') return;
      // Success: probe from after the snapshot. Failure: forget it and probe again from the match.
      if (m.reject) progress.pendingSnapshot = 0;
      progress.becomeProbe();
      // Either way, wait (for the append response, or a heartbeat interval) before sending again.
      progress.msgAppFlowPaused = true;
      return;
    case 'unreachable':
      // Optimistic appends to an unreachable peer were most likely lost: go back to probing.
      if (progress.state === 'replicate') progress.becomeProbe();
      return;
    default:
      // Stale vote responses, TimeoutNow addressed to a leader, and the like.
      return;
  }
}

function handleProposal(r: Raft, m: ProposalMessage): void {
  invariant(m.entries.length > 0, 'proposal-not-empty', () => `empty proposal from ${m.from}`);
  // A leader that removed or demoted itself only hands over (removal.ts): it takes nothing new.
  if (!isSelfVoter(r)) throw new ProposalDroppedError('not-in-config');
  if (r.leadTransferee !== NO_NODE) throw new ProposalDroppedError('transferring', `to ${r.leadTransferee}`);
  const lastIndex = r.log.lastIndex();
  let pendingConfIndex = r.pendingConfIndex;
  for (let i = 0; i < m.entries.length; i++) {
    const entry = m.entries[i]!;
    if (entry.type !== 'confChange') continue;
    // Only one change may be in the log unapplied, so each applies to the configuration we know.
    if (pendingConfIndex > r.log.applied) {
      throw new ProposalDroppedError('pending-conf-change', `unapplied change at index ${pendingConfIndex}`);
    }
    try {
      const change = decodeConfChange(entry.data);
      const joint = isJoint(r.tracker.config.voters);
      if (joint && !isLeaveJoint(change)) throw new ConfChangeError('must leave the joint configuration first');
      if (!joint && isLeaveJoint(change)) throw new ConfChangeError('not in a joint configuration');
      r.computeConfChange(change);
    } catch (error) {
      if (error instanceof ConfChangeError) throw new ProposalDroppedError('conf-change-invalid', error.message);
      throw error;
    }
    pendingConfIndex = lastIndex + i + 1;
  }
  if (!r.appendEntries(m.entries)) throw new ProposalDroppedError('uncommitted-size-limit');
  r.pendingConfIndex = pendingConfIndex;
  // Sent when messages are next taken, together with any other proposals of this round.
  r.appendsPending = true;
}

function handleAppendResponse(r: Raft, m: AppendResponseMessage): void {
  const progress = r.tracker.mustGet(m.from);
  progress.recentActive = true;
  if (m.reject) {
    // §5.3 with fast backtracking: skip every entry of ours the follower's hint rules out.
    let nextProbeIndex = m.rejectHint;
    if (m.logTerm > 0) nextProbeIndex = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
    if (progress.maybeDecrTo(m.index, nextProbeIndex)) {
      if (progress.state === 'replicate') progress.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = progress.isPaused();
  if (!progress.maybeUpdate(m.index) && !(progress.match === m.index && progress.state === 'probe')) return;
  if (progress.state === 'probe') {
    progress.becomeReplicate();
  } else if (progress.state === 'snapshot' && progress.match + 1 >= r.log.firstIndex()) {
    // The follower caught up past the snapshot and the log has what comes next: replicate.
    progress.becomeProbe();
    progress.becomeReplicate();
  } else if (progress.state === 'replicate') {
    progress.inflights.freeLE(m.index);
  }
  if (r.maybeCommit()) {
    r.onCommitAdvanced();
  } else if (wasPaused) {
    // The window had closed; this acknowledgement reopens it.
    sendAppend(r, m.from);
  }
  // Send what the reopened window admits, without empty messages.
  for (let sent = 0; sent <= r.config.maxInflightMsgs; sent++) {
    if (!maybeSendAppend(r, m.from, false)) break;
  }
  if (m.from === r.leadTransferee && progress.match === r.log.lastIndex()) {
    // Thesis §3.10: the transferee caught up; tell it to campaign now.
    sendTimeoutNow(r, m.from);
  }
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponseMessage): void {
  const progress = r.tracker.mustGet(m.from);
  progress.recentActive = true;
  // The follower is alive: let an append (or an empty probe, with a full window) go out.
  progress.msgAppFlowPaused = false;
  if (progress.match < r.log.lastIndex() || progress.state === 'probe') sendAppend(r, m.from);
  if (m.context === undefined) return;
  if (r.readOnly.option === 'lease-based') {
    const sentTick = decodeLeaseTick(m.context);
    if (sentTick === undefined) return;
    r.lease.recordAck(m.from, sentTick);
    if (r.leaseWaitingReads.length > 0 && leaseValid(r)) {
      const waiting = r.leaseWaitingReads;
      r.leaseWaitingReads = [];
      for (const request of waiting) respondToReadIndex(r, request, r.log.committed);
    }
    return;
  }
  const acks = r.readOnly.receiveAck(m.from, m.context);
  if (acks === undefined || jointVoteResult(r.tracker.config.voters, acks) !== 'won') return;
  for (const read of r.readOnly.advance(m.context)) respondToReadIndex(r, read.request, read.index);
}

function handleReadIndex(r: Raft, m: ReadIndexMessage): void {
  // Nor reads: its lease ends with the TimeoutNow it keeps sending, and the reader is better served
  // by its successor.
  if (!isSelfVoter(r)) throw new ProposalDroppedError('not-in-config');
  if (r.tracker.isSingleton()) {
    // A single voter is its own quorum: its commit index is current.
    respondToReadIndex(r, m, r.log.committed);
    return;
  }
  // §6.4: until it commits an entry of its term, a new leader does not know the latest commit index.
  if (!r.committedEntryInCurrentTerm()) {
    if (r.pendingReadIndexMessages.length >= r.config.maxPendingReadIndexRequests) {
      throw new ProposalDroppedError('read-queue-full', 'reads awaiting the first commit of the term');
    }
    r.pendingReadIndexMessages.push(m);
    return;
  }
  sendReadIndexResponse(r, m);
}

function handleTransferLeader(r: Raft, m: TransferLeaderMessage): void {
  const transferee = m.transferee;
  const progress = r.tracker.progress.get(transferee);
  // Only a voter can lead; transferring to ourselves is a no-op.
  if (progress === undefined || progress.isLearner || transferee === r.id) return;
  if (r.leadTransferee !== NO_NODE) {
    if (r.leadTransferee === transferee) return;
    r.leadTransferee = NO_NODE;
  }
  // The transfer must finish within an election timeout, counted from now.
  r.electionElapsed = 0;
  r.leadTransferee = transferee;
  if (progress.match === r.log.lastIndex()) sendTimeoutNow(r, transferee);
  else sendAppend(r, transferee);
}

/** Answers a read request at `index`: locally as a ReadState, or to the follower that forwarded it. */
function respondToReadIndex(r: Raft, request: ReadIndexMessage, index: number): void {
  if (request.from === NO_NODE || request.from === r.id) {
    r.readStates.push({ index, context: request.context });
    return;
  }
  r.send({ type: 'readIndexResp', from: r.id, to: request.from, term: r.term, index, context: request.context });
}

function leaseValid(r: Raft): boolean {
  return r.lease.valid(r.ticks, r.id, r.tracker.config.voters, r.config.electionTick);
}

/**
 * The index a read may be served at right now without a round trip: the commit index, when this node
 * leads with lease-based reads, has committed an entry of its term and holds a valid lease (the same
 * conditions under which a read-index request would be answered at once). Undefined otherwise.
 */
export function localLeaseReadIndex(r: Raft): number | undefined {
  if (r.role !== 'leader' || r.readOnly.option !== 'lease-based') return undefined;
  if (!r.committedEntryInCurrentTerm() || r.leadTransferee !== NO_NODE || !leaseValid(r)) return undefined;
  return r.log.committed;
}

/**
 * Starts confirming a read (safe: a heartbeat round), or answers it at once under a valid lease
 * (lease-based: no other leader can exist, so every committed write is in our log; the commit index
 * now covers all writes that completed before the read arrived). An expired lease is renewed by a
 * heartbeat round first.
 */
function sendReadIndexResponse(r: Raft, request: ReadIndexMessage): void {
  if (r.readOnly.option === 'lease-based') {
    if (leaseValid(r)) {
      respondToReadIndex(r, request, r.log.committed);
      return;
    }
    if (r.leaseWaitingReads.length >= r.config.maxPendingReadIndexRequests) {
      throw new ProposalDroppedError('read-queue-full', 'reads awaiting a lease renewal');
    }
    r.leaseWaitingReads.push(request);
    if (r.leaseWaitingReads.length === 1) bcastHeartbeat(r);
    return;
  }
  if (!r.readOnly.addRequest(r.log.committed, request)) {
    throw new ProposalDroppedError('read-queue-full', 'reads awaiting confirmation');
  }
  r.readOnly.receiveAck(r.id, request.context);
  for (const id of r.tracker.sortedIds) if (id !== r.id) sendHeartbeat(r, id, request.context);
}

/** Once this term has a commit, answers the reads that waited for it. */
export function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0 || !r.committedEntryInCurrentTerm()) return;
  const waiting = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const request of waiting) {
    try {
      sendReadIndexResponse(r, request);
    } catch (error) {
      // A read refused for lack of room is dropped; its requester retries. Anything else is a bug.
      if (!(error instanceof ProposalDroppedError)) throw error;
    }
  }
}
