// What a node does when it is not a voter of its own latest configuration (removed, or demoted to a
// learner) but the group may still depend on it. Two rules, both about liveness; neither weakens
// safety.
//
// 1. A leader that removed itself keeps leading until someone else does (thesis §4.2.2). Once the
//    change that removes it is applied, it counts itself in no quorum (the tracker holds no voter
//    entry for it), accepts no new proposals or reads, but keeps replicating what its log holds and
//    heartbeating, so the members learn the commit index that takes them out of the joint
//    configuration. On applying the change and on every heartbeat tick it names the most caught-up
//    voter as transferee and sends it TimeoutNow once that voter holds its whole log (thesis §3.10).
//    It stops leading only on a higher term (the transferee won) or check-quorum. Stepping down as
//    soon as the removal is applied, as we once did, can wedge the group: if the messages carrying
//    the commit are lost, the members stay joint, (2,3)&&(1,2), and every election needs the removed
//    node's vote, which it refuses when its log is longer. etcd lets a removed leader lead on the
//    same way and leaves the transfer to the application; we do it in the core.
//
// 2. A non-voter may campaign when a member that still counts it as a voter asked for its vote and
//    it refused because its own log is more up to date. That member cannot win without it (for all
//    we know), and it will never win: so we campaign instead, under our own configuration, in which
//    we are not a voter: our own vote counts for nothing and a full quorum of that configuration's
//    voters must grant it. This covers a removed leader that crashed right after applying its
//    removal, or that stepped down through check-quorum, before the members learned the commit.
//    Why it is safe: election safety rests on each voter granting one vote per term, and on the
//    quorums of every configuration that may be in use at once intersecting; leader completeness
//    rests on every granting voter checking that the candidate's log is at least as up to date as
//    its own. Neither depends on the candidate being a member: a non-member campaigning under its
//    applied configuration is exactly as safe as a member of that configuration campaigning under
//    it (its vote simply does not count). Raft keeps removed servers from campaigning for liveness
//    (thesis §4.2.3, disruption), not safety; we limit it to the case where the group is otherwise
//    stuck, and a winner immediately hands over by rule 1.
//
// Invariants: a non-voter leader hands over only to a voter other than itself; the non-member
// campaign permission is cleared on every role or term change (Raft.reset), so it is re-earned by
// each refused vote and never outlives the election it answers.

import { invariant } from './errors.js';
import type { Raft } from './raft.js';
import { sendTimeoutNow } from './replication.js';
import { NO_NODE, type NodeId } from './types.js';

/** Whether this node is a voter (of either half) of its own configuration. */
export function isSelfVoter(r: Raft): boolean {
  return r.tracker.isVoter(r.id);
}

/**
 * Rule 1: a leader that is not a voter of its configuration names the most caught-up voter as
 * transferee (ties to the lowest id) and tells it to campaign once it holds the whole log. Called when
 * a configuration is applied and on every heartbeat tick, so a lost TimeoutNow or a transferee that
 * could not campaign yet (it had an unapplied change) is retried once per heartbeat interval.
 */
export function handOverIfRemoved(r: Raft): void {
  if (r.role !== 'leader' || isSelfVoter(r)) return;
  let best: NodeId = NO_NODE;
  let bestMatch = -1;
  for (const id of r.tracker.voterIds()) {
    const peer = r.tracker.progress.get(id);
    if (peer !== undefined && peer.match > bestMatch) {
      best = id;
      bestMatch = peer.match;
    }
  }
  // Leaving every voter out is refused by confchange.ts, so there is always someone to hand over to.
  invariant(best !== NO_NODE && best !== r.id, 'removed-leader-hands-over-to-voter', () => `leader ${r.id} found no voter in ${r.tracker.voterIds().join(',')}`);
  r.leadTransferee = best;
  // Otherwise the transferee is caught up by ordinary replication; its acknowledgement of the last
  // entry sends TimeoutNow (step-leader.ts).
  if (bestMatch === r.log.lastIndex()) sendTimeoutNow(r, best);
}

/**
 * Rule 2: called when this node refused a vote request. Arms the non-member campaign if it refused
 * only because the candidate's log is behind, and it is not a voter of its configuration.
 */
export function noteRefusedVote(r: Raft, refusedForLog: boolean): void {
  if (!refusedForLog || r.role === 'leader' || isSelfVoter(r)) return;
  r.nonMemberCampaignArmed = true;
}

/** Whether a non-voter may campaign now (rule 2). */
export function nonMemberMayCampaign(r: Raft): boolean {
  return r.nonMemberCampaignArmed && !isSelfVoter(r) && !r.log.hasPendingSnapshot() && r.tracker.voterIds().length > 0;
}
