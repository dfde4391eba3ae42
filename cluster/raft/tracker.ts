// The leader's (and candidate's) view of the group: the active membership configuration, a Progress
// per peer, and the votes of the election under way. After etcd-io/raft's tracker/tracker.go.
//
// Invariants (checked by confchange.ts whenever a configuration is built):
// - Every voter (of either half), learner and staged learner has a Progress, and nobody else does.
// - Learners and voters never overlap; a staged learner (learnersNext) is a voter of the outgoing half
//   only, and becomes a learner when the joint configuration is left.
// - autoLeave is set only in a joint configuration.

import { invariant } from './errors.js';
import type { Progress } from './progress.js';
import {
  isJoint,
  type JointConfig,
  jointCommittedIndex,
  jointVoterIds,
  jointVoteResult,
  type VoteResult,
} from './quorum.js';
import type { ConfState, NodeId } from './types.js';

export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: ReadonlySet<NodeId>;
  /** Voters of the outgoing half to be made learners on leaving the joint configuration. */
  readonly learnersNext: ReadonlySet<NodeId>;
  /** Whether the leader leaves the joint configuration on its own once it is applied. */
  readonly autoLeave: boolean;
}

export const EMPTY_TRACKER_CONFIG: TrackerConfig = {
  voters: { incoming: new Set(), outgoing: new Set() },
  learners: new Set(),
  learnersNext: new Set(),
  autoLeave: false,
};

export type ProgressMap = Map<NodeId, Progress>;

const ascending = (a: number, b: number): number => a - b;

export class ProgressTracker {
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  config: TrackerConfig = EMPTY_TRACKER_CONFIG;
  progress: ProgressMap = new Map();
  /** Ids with a Progress, ascending, so every walk over peers is deterministic. */
  sortedIds: NodeId[] = [];
  readonly votes = new Map<NodeId, boolean>();
  private readonly ackedIndex = (id: NodeId): number | undefined => this.progress.get(id)?.match;

  constructor(maxInflightMsgs: number, maxInflightBytes: number) {
    this.maxInflightMsgs = maxInflightMsgs;
    this.maxInflightBytes = maxInflightBytes;
  }

  /** Installs a configuration built by confchange.ts together with its progress map. */
  setConfig(config: TrackerConfig, progress: ProgressMap): void {
    this.config = config;
    this.progress = progress;
    this.sortedIds = [...progress.keys()].sort(ascending);
  }

  confState(): ConfState {
    return {
      voters: [...this.config.voters.incoming].sort(ascending),
      votersOutgoing: [...this.config.voters.outgoing].sort(ascending),
      learners: [...this.config.learners].sort(ascending),
      learnersNext: [...this.config.learnersNext].sort(ascending),
      autoLeave: this.config.autoLeave,
    };
  }

  /** True when the group has exactly one voter and is not joint (it commits on its own). */
  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && !isJoint(this.config.voters);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.has(id) || this.config.voters.outgoing.has(id);
  }

  voterIds(): NodeId[] {
    return jointVoterIds(this.config.voters);
  }

  /** The largest index a quorum (of both halves, when joint) has acknowledged. */
  committed(): number {
    return jointCommittedIndex(this.config.voters, this.ackedIndex);
  }

  /** Whether a quorum was heard from since the last check (the leader itself counts as active). */
  quorumActive(): boolean {
    const active = new Map<NodeId, boolean>();
    for (const [id, progress] of this.progress) {
      if (!progress.isLearner) active.set(id, progress.recentActive);
    }
    return jointVoteResult(this.config.voters, active) === 'won';
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records `id`'s vote; only the first vote of each peer counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, progress] of this.progress) {
      if (progress.isLearner) continue;
      const vote = this.votes.get(id);
      if (vote === true) granted++;
      else if (vote === false) rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }

  mustGet(id: NodeId): Progress {
    const progress = this.progress.get(id);
    invariant(progress !== undefined, 'progress-tracked', () => `no progress for peer ${id}`);
    return progress;
  }
}
