// The step functions of the roles that are not leading: stepCandidate (also for pre-candidates) and
// stepFollower, with the follower's handling of appends (§5.3: the consistency check, truncating a
// conflicting tail, fast-backtracking hints), heartbeats and snapshots (§7). Messages whose term
// differs from ours were already dealt with by Raft.step.
//
// Invariants: a follower follows at most one leader per term (one-leader-per-term); it never
// truncates a committed entry (log.ts); a follower forwards proposals, reads and transfer requests
// only to the leader it knows, and fails them with ProposalDroppedError when it knows none.

import { invariant, ProposalDroppedError } from './errors.js';
import type { Raft } from './raft.js';
import type { AppendMessage, HeartbeatMessage, Message, NodeId, SnapshotMessage } from './types.js';
import { NO_NODE } from './types.js';

export function stepCandidate(r: Raft, m: Message): void {
  // A pre-candidate counts pre-vote answers; a candidate counts vote answers. Others are stale.
  const ourResponseType = r.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
  switch (m.type) {
    case 'prop':
      throw new ProposalDroppedError('no-leader', `node ${r.id} is campaigning`);
    case 'readIndex':
      throw new ProposalDroppedError('no-leader', `node ${r.id} is campaigning`);
    case 'transferLeader':
      throw new ProposalDroppedError('no-leader', `node ${r.id} is campaigning`);
    case 'app':
      // §5.2: an append of our term means another candidate won; follow it.
      r.becomeFollower(m.term, m.from);
      handleAppend(r, m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return;
    case 'voteResp':
    case 'preVoteResp': {
      if (m.type !== ourResponseType) return;
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'preCandidate') {
          r.campaign('election');
        } else {
          r.becomeLeader();
          // Announce the leadership (and the new term's empty entry) at once.
          r.appendsPending = true;
        }
      } else if (result === 'lost') {
        // A pre-vote answer carries our future term; stay in the current one.
        r.becomeFollower(r.term, NO_NODE);
      }
      return;
    }
    default:
      // TimeoutNow while already campaigning, stale answers: nothing to do.
      return;
  }
}

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'prop':
      if (r.lead === NO_NODE) throw new ProposalDroppedError('no-leader', `node ${r.id} knows no leader`);
      if (r.config.disableProposalForwarding) throw new ProposalDroppedError('forwarding-disabled');
      // Forwarded requests carry no term: the leader treats them as its own.
      r.send({ type: 'prop', from: r.id, to: r.lead, term: 0, entries: m.entries });
      return;
    case 'readIndex':
      if (r.lead === NO_NODE) throw new ProposalDroppedError('no-leader', `node ${r.id} knows no leader`);
      r.send({ type: 'readIndex', from: r.id, to: r.lead, term: 0, context: m.context });
      return;
    case 'transferLeader':
      if (r.lead === NO_NODE) throw new ProposalDroppedError('no-leader', `node ${r.id} knows no leader`);
      r.send({ type: 'transferLeader', from: r.id, to: r.lead, term: 0, transferee: m.transferee });
      return;
    case 'app':
      followLeader(r, m.from);
      handleAppend(r, m);
      return;
    case 'heartbeat':
      followLeader(r, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snap':
      followLeader(r, m.from);
      handleSnapshot(r, m);
      return;
    case 'timeoutNow':
      // Thesis §3.10: the leader asks us to campaign at once. No pre-vote: the leader is known to be
      // alive and stepping aside, so there is no partition to protect against.
      r.hup('transfer');
      return;
    case 'readIndexResp':
      r.readStates.push({ index: m.index, context: m.context });
      return;
    default:
      return;
  }
}

/** Notes that `from` leads this term (and that the election timer restarts). */
function followLeader(r: Raft, from: NodeId): void {
  invariant(
    r.lead === NO_NODE || r.lead === from,
    'one-leader-per-term',
    () => `node ${r.id} follows ${r.lead} in term ${r.term} and heard from leader ${from} too`,
  );
  r.electionElapsed = 0;
  r.lead = from;
}

function handleAppend(r: Raft, m: AppendMessage): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit index is settled and matches the leader: say how far we are.
    r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index: r.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  const lastNewIndex = r.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNewIndex !== undefined) {
    r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index: lastNewIndex, reject: false, rejectHint: 0, logTerm: 0 });
    return;
  }
  // §5.3: our log does not hold the leader's entry at m.index. Hint the largest index at which our
  // logs may match: the last of ours at or below m.index whose term is <= the leader's term there.
  const hint = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
}

function handleHeartbeat(r: Raft, m: HeartbeatMessage): void {
  r.log.commitTo(m.commit);
  r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term, context: m.context });
}

function handleSnapshot(r: Raft, m: SnapshotMessage): void {
  const index = r.restore(m.snapshot) ? r.log.lastIndex() : r.log.committed;
  r.send({ type: 'appResp', from: r.id, to: m.from, term: r.term, index, reject: false, rejectHint: 0, logTerm: 0 });
}
