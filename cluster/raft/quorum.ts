// Quorum arithmetic for majority and joint configurations: which index a quorum has acknowledged,
// and how an election stands. After etcd-io/raft's quorum/.
//
// Conventions that make a joint configuration whose outgoing half is empty behave exactly like its
// incoming half alone: an empty majority has committed everything (MAX_SAFE_INTEGER) and wins every
// vote.
//
// A joint configuration (§6 of the Raft paper, thesis §4.3) needs a majority of *both* halves: its
// committed index is the minimum of the two, it wins a vote only when both halves win, and loses as
// soon as either half loses.

import type { NodeId } from './types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

export type MajorityConfig = ReadonlySet<NodeId>;

export interface JointConfig {
  readonly incoming: MajorityConfig;
  readonly outgoing: MajorityConfig;
}

/** The largest index acknowledged by a majority; voters without an acknowledgement count as 0. */
export function majorityCommittedIndex(voters: MajorityConfig, ackedIndex: (id: NodeId) => number | undefined): number {
  const size = voters.size;
  if (size === 0) return Number.MAX_SAFE_INTEGER;
  if (size === 1) {
    for (const id of voters) return ackedIndex(id) ?? 0;
  }
  const indexes: number[] = [];
  for (const id of voters) indexes.push(ackedIndex(id) ?? 0);
  // Descending: the (size/2+1)-th largest is acknowledged by a majority.
  indexes.sort((a, b) => b - a);
  return indexes[Math.floor(size / 2)]!;
}

export function majorityVoteResult(voters: MajorityConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won';
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  const quorum = Math.floor(voters.size / 2) + 1;
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

export function jointCommittedIndex(config: JointConfig, ackedIndex: (id: NodeId) => number | undefined): number {
  return Math.min(majorityCommittedIndex(config.incoming, ackedIndex), majorityCommittedIndex(config.outgoing, ackedIndex));
}

export function jointVoteResult(config: JointConfig, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const incoming = majorityVoteResult(config.incoming, votes);
  const outgoing = majorityVoteResult(config.outgoing, votes);
  if (incoming === outgoing) return incoming;
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  return 'pending';
}

/** Every voter of either half, ascending. */
export function jointVoterIds(config: JointConfig): NodeId[] {
  const ids = new Set<NodeId>(config.incoming);
  for (const id of config.outgoing) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

export function isJoint(config: JointConfig): boolean {
  return config.outgoing.size > 0;
}
