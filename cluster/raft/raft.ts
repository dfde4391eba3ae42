// The Raft algorithm as a pure, deterministic state machine, after etcd-io/raft's raft.go. Inputs are
// ticks and messages; outputs are messages (collected in `msgs`), entries to persist and entries to
// apply (in the log), read states. No clock, socket or disk is touched here; RawNode wraps this into
// the Ready / advance contract.
//
// This file holds the state, the role transitions, elections and the part of `step` common to every
// role (term comparison and votes). Each role's own handling lives in one function: stepLeader
// (step-leader.ts), stepCandidate and stepFollower (step-follower.ts). Replication (sending appends,
// heartbeats and snapshots) is in replication.ts.
//
// What a node that is not a voter of its own configuration does (a removed leader hands over, a
// non-member that blocks an election campaigns) is in removal.ts.
//
// Invariants (asserted, RaftInvariantError names each):
// - term-never-decreases: the term only grows; the vote is reset exactly when it does.
// - vote-once-per-term: a vote once cast in a term is never changed within it.
// - one-leader-per-term: a node never hears from two leaders in one term, and a leader never
//   receives an append, heartbeat or snapshot of its own term.
// - leader-never-overwrites: a leader only appends after its last index (log.ts asserts that no
//   append ever truncates committed entries).
// - committed index and applied index never decrease, and applied <= committed <= last index (log.ts).

import { type ChangeResult, type ChangerBase, enterJoint, leaveJoint, restore as restoreConfig, simple } from './confchange.js';
import { type Config, type ResolvedConfig, resolveConfig } from './config.js';
import { invariant } from './errors.js';
import { LeaderLease } from './lease.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { handOverIfRemoved, nonMemberMayCampaign, noteRefusedVote } from './removal.js';
import { bcastAppend, flushAppends, maybeSendAppend } from './replication.js';
import { releasePendingReadIndexMessages, stepLeader } from './step-leader.js';
import { stepCandidate, stepFollower } from './step-follower.js';
import { EMPTY_TRACKER_CONFIG, ProgressTracker } from './tracker.js';
import {
  type ConfChange,
  type ConfState,
  confStatesEquivalent,
  type Entry,
  entersJoint,
  type HardState,
  isEmptyHardState,
  isLeaveJoint,
  type Message,
  NO_NODE,
  type NodeId,
  type ProposedEntry,
  type ReadIndexMessage,
  type ReadState,
  type Role,
  type Snapshot,
  type VoteMessage,
} from './types.js';

/** How an election starts: with a pre-vote round, directly, or on a leader's TimeoutNow. */
export type CampaignKind = 'preElection' | 'election' | 'transfer';

/** Committed entries scanned per page when looking for unapplied configuration changes. */
const CONF_CHANGE_SCAN_PAGE_BYTES = 1024 * 1024;

export class Raft {
  readonly id: NodeId;
  readonly config: ResolvedConfig;
  readonly log: RaftLog;
  term = 0;
  vote: NodeId = NO_NODE;
  lead: NodeId = NO_NODE;
  role: Role = 'follower';
  /** Whether this node is a learner in the current configuration (it never campaigns). */
  isLearner = false;
  tracker: ProgressTracker;
  /** Messages to send, handed out by takeMessages(). */
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  readOnly: ReadOnly;
  /** Ticks since the last election timeout reset (for a leader: since the last check-quorum round). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** This term's election timeout, in [electionTick, 2 × electionTick). */
  randomizedElectionTimeout = 0;
  /** The peer leadership is being handed to, or NO_NODE. */
  leadTransferee: NodeId = NO_NODE;
  /**
   * The index of the latest configuration change this leader may have in its log. A new change is
   * accepted only once the log is applied up to it, so at most one change is ever pending.
   */
  pendingConfIndex = 0;
  /** Payload bytes of the leader's uncommitted tail (approximately: reset on every term). */
  uncommittedSizeBytes = 0;
  /** Read requests that arrived before this leader committed an entry of its term. */
  pendingReadIndexMessages: ReadIndexMessage[] = [];
  /** Ticks since this node started: the clock the leader lease is measured in. */
  ticks = 0;
  /** The leader lease (lease-based reads only), rebuilt every term. */
  lease = new LeaderLease();
  /** Lease-based reads waiting for heartbeat acknowledgements to renew an expired lease. */
  leaseWaitingReads: ReadIndexMessage[] = [];
  /**
   * With lease-based reads, a node restarted mid-term may have been part of a leader's lease that it
   * no longer remembers: it ignores vote requests for its first electionTick ticks, as if it had just
   * heard from a leader. A freshly bootstrapped node (term 0) belongs to no lease and votes at once.
   */
  private readonly restartLeaseGuard: boolean;
  /**
   * Proposals were appended but not yet broadcast. Appends go out when messages are next taken, so a
   * burst of proposals between two Ready rounds travels as one message per follower.
   */
  appendsPending = false;
  /**
   * This node, not a voter of its configuration, refused a vote only because its log is more up to
   * date than the candidate's, so it may campaign itself (removal.ts, rule 2). Cleared by reset().
   */
  nonMemberCampaignArmed = false;

  constructor(config: Config) {
    this.config = resolveConfig(config);
    this.id = this.config.id;
    const storage = this.config.storage;
    const { hardState, confState } = storage.initialState();
    this.log = new RaftLog(storage, this.config.maxCommittedSizePerReadyBytes);
    this.tracker = new ProgressTracker(this.config.maxInflightMsgs, this.config.maxInflightBytes);
    this.readOnly = new ReadOnly(this.config.readOnlyOption, this.config.maxPendingReadIndexRequests);
    const restored = restoreConfig(this.changerBase(EMPTY_TRACKER_CONFIG, new Map()), confState);
    const switched = this.switchToConfig(restored);
    invariant(confStatesEquivalent(switched, confState), 'conf-state-restored', () => 'restored configuration differs');
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    this.restartLeaseGuard = this.config.readOnlyOption === 'lease-based' && hardState.term > 0;
    if (this.config.applied > 0) this.log.appliedTo(this.config.applied);
    this.becomeFollower(this.term, NO_NODE);
  }

  // ---- state snapshots -------------------------------------------------------------------------

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private loadState(state: HardState): void {
    invariant(
      state.commit >= this.log.committed && state.commit <= this.log.lastIndex(),
      'commit-within-log',
      () => `persisted commit ${state.commit} outside [${this.log.committed}, ${this.log.lastIndex()}]`,
    );
    this.log.committed = state.commit;
    this.term = state.term;
    this.vote = state.vote;
  }

  // ---- sending ---------------------------------------------------------------------------------

  send(message: Message): void {
    invariant(
      message.to !== this.id && message.to !== NO_NODE,
      'message-addressed-to-peer',
      () => `${message.type} from ${this.id} addressed to ${message.to}`,
    );
    this.msgs.push(message);
  }

  /** The messages to send, after broadcasting any appends deferred since the last call. */
  takeMessages(): Message[] {
    if (this.appendsPending) {
      this.appendsPending = false;
      if (this.role === 'leader') flushAppends(this);
    }
    const messages = this.msgs;
    this.msgs = [];
    return messages;
  }

  // ---- role transitions ------------------------------------------------------------------------

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  becomePreCandidate(): void {
    invariant(this.role !== 'leader', 'no-direct-leader-to-candidate', () => `leader ${this.id} became pre-candidate`);
    // A pre-candidate changes neither term nor vote: that is the point of pre-vote.
    this.tracker.resetVotes();
    this.lead = NO_NODE;
    this.role = 'preCandidate';
  }

  becomeCandidate(): void {
    invariant(this.role !== 'leader', 'no-direct-leader-to-candidate', () => `leader ${this.id} became candidate`);
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    invariant(this.role !== 'follower', 'leader-from-candidate', () => `follower ${this.id} became leader`);
    invariant(!this.log.hasPendingSnapshot(), 'leader-has-no-pending-snapshot', () => `leader ${this.id} has a pending snapshot`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    // The leader's own log trivially matches itself: it is in replicate state, and always active. A
    // non-member that won an election (removal.ts, rule 2) has no progress of its own, and counts in
    // no quorum.
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Conservatively treat every entry of the log as a possible unapplied configuration change.
    this.pendingConfIndex = this.log.lastIndex();
    // §5.4.2: an empty entry of the new term lets the leader commit everything before it.
    const appended = this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
    invariant(appended, 'leader-empty-entry-appended', () => 'empty entry refused on becoming leader');
  }

  private reset(term: number): void {
    if (this.term !== term) {
      invariant(term > this.term, 'term-never-decreases', () => `term ${this.term} → ${term} on node ${this.id}`);
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.config.electionTick + this.config.random.int(this.config.electionTick);
    this.leadTransferee = NO_NODE;
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    // Only what is persisted counts as our own acknowledgement: below the unstable offset.
    const persistedIndex = this.log.unstable.offset - 1;
    const progress = new Map<NodeId, Progress>();
    for (const [id, old] of this.tracker.progress) {
      old.inflights.reset();
      progress.set(
        id,
        new Progress({
          match: id === this.id ? Math.min(persistedIndex, lastIndex) : 0,
          next: lastIndex + 1,
          inflights: old.inflights,
          isLearner: old.isLearner,
        }),
      );
    }
    this.tracker.setConfig(this.tracker.config, progress);
    this.pendingConfIndex = 0;
    this.uncommittedSizeBytes = 0;
    this.readOnly = new ReadOnly(this.config.readOnlyOption, this.config.maxPendingReadIndexRequests);
    this.pendingReadIndexMessages = [];
    this.lease = new LeaderLease();
    this.leaseWaitingReads = [];
    this.appendsPending = false;
    this.nonMemberCampaignArmed = false;
  }

  // ---- ticks -----------------------------------------------------------------------------------

  tick(): void {
    this.ticks++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if ((this.promotable() || nonMemberMayCampaign(this)) && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step({ type: 'hup', from: this.id, to: this.id, term: 0 });
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTick) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) this.step({ type: 'checkQuorum', from: this.id, to: this.id, term: 0 });
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NO_NODE) this.leadTransferee = NO_NODE;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.config.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.step({ type: 'beat', from: this.id, to: this.id, term: 0 });
      this.maybeAutoLeaveJoint();
      handOverIfRemoved(this);
    }
  }

  // ---- elections -------------------------------------------------------------------------------

  /** Whether this node may become leader: a voter, with no incoming snapshot to install first. */
  promotable(): boolean {
    const self = this.tracker.progress.get(this.id);
    return self !== undefined && !self.isLearner && !this.log.hasPendingSnapshot();
  }

  hup(kind: CampaignKind): void {
    if (this.role === 'leader') return;
    if (!this.promotable() && !nonMemberMayCampaign(this)) return;
    // A committed but unapplied configuration change may remove us or change the quorum: wait.
    if (this.hasUnappliedConfChanges()) return;
    this.campaign(kind);
  }

  private hasUnappliedConfChanges(): boolean {
    let index = this.log.applied + 1;
    const end = this.log.committed + 1;
    // Entries below the first index were compacted, hence applied.
    index = Math.max(index, this.log.firstIndex());
    while (index < end) {
      const page = this.log.slice(index, end, CONF_CHANGE_SCAN_PAGE_BYTES);
      for (const entry of page) if (entry.type === 'confChange') return true;
      index += page.length;
    }
    return false;
  }

  campaign(kind: CampaignKind): void {
    let voteType: VoteMessage['type'];
    let term: number;
    if (kind === 'preElection') {
      this.becomePreCandidate();
      voteType = 'preVote';
      // Pre-votes ask about the term we would campaign in, without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = 'vote';
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single-voter group wins at once.
      if (kind === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.tracker.voterIds()) {
      if (id === this.id) continue;
      this.send({ type: voteType, from: this.id, to: id, term, index: lastIndex, logTerm: lastTerm, transfer: kind === 'transfer' });
    }
  }

  /** Records a vote and returns the election's standing. */
  poll(from: NodeId, granted: boolean): 'pending' | 'lost' | 'won' {
    this.tracker.recordVote(from, granted);
    return this.tracker.tallyVotes().result;
  }

  // ---- step ------------------------------------------------------------------------------------

  /**
   * Feeds one message (local or from a peer) to the state machine. Throws ProposalDroppedError when a
   * proposal, read or transfer request cannot be carried; nothing changes then.
   */
  step(m: Message): void {
    if (m.term === 0) {
      // Local messages and requests forwarded to the leader carry no term.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Check-quorum (thesis §9.6): while we heard from a live leader within the election timeout,
        // a vote request is ignored, so a node returning from a partition cannot depose the leader.
        // A leadership transfer is the leader's own wish and is honoured.
        const heardFromLeader = this.lead !== NO_NODE || (this.restartLeaseGuard && this.ticks < this.config.electionTick);
        const inLease = this.config.checkQuorum && heardFromLeader && this.electionElapsed < this.config.electionTick;
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never moves our term: the candidate may never actually campaign.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we asked about; we move to it only on winning.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        // §5.1: a higher term means we are behind; these come from that term's leader.
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      const staleLeader = m.type === 'heartbeat' || m.type === 'app';
      if (staleLeader && (this.config.checkQuorum || this.config.preVote || !this.tracker.isVoter(m.from))) {
        // A stale leader (whose term peers never raised, thanks to pre-vote or check-quorum) must learn
        // the current term to step down; tell it. So must a leader we no longer count as a voter (one
        // that removed itself and leads on until it hears of its successor, removal.ts): no vote
        // request of ours will ever reach it.
        this.send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
      } else if (m.type === 'preVote' || m.type === 'vote') {
        // §5.1: reject a stale request with our term, so the candidate catches up. Ignoring it instead
        // can livelock: a candidate whose vote we need keeps campaigning one term behind us forever.
        const responseType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
        this.send({ type: responseType, from: this.id, to: m.from, term: this.term, reject: true });
      }
      // §5.1: any other message from an older term is ignored.
      return;
    }

    switch (m.type) {
      case 'hup':
        this.hup(this.config.preVote ? 'preElection' : 'election');
        return;
      case 'vote':
      case 'preVote':
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case 'leader':
        stepLeader(this, m);
        return;
      case 'candidate':
      case 'preCandidate':
        stepCandidate(this, m);
        return;
      case 'follower':
        stepFollower(this, m);
        return;
    }
  }

  private handleVoteRequest(m: VoteMessage): void {
    const responseType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    // §5.2: one vote per term, first come first served (repeating it to the same candidate is fine);
    // a pre-vote for a future term commits to nothing, so it may be granted regardless.
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (m.type === 'preVote' && m.term > this.term);
    // §5.4.1: and only to a candidate whose log is at least as up to date as ours.
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Answer in the candidate's term: for a pre-vote it is a future term we have not moved to.
      this.send({ type: responseType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        invariant(
          m.term === this.term && (this.vote === NO_NODE || this.vote === m.from),
          'vote-once-per-term',
          () => `node ${this.id} voted ${this.vote} in term ${this.term}, now asked by ${m.from} in ${m.term}`,
        );
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, from: this.id, to: m.from, term: this.term, reject: true });
      noteRefusedVote(this, canVote);
    }
  }

  // ---- the leader's log ------------------------------------------------------------------------

  /** Appends proposals at the end of the leader's log; false if the uncommitted limit refuses them. */
  appendEntries(proposed: readonly ProposedEntry[]): boolean {
    const lastIndex = this.log.lastIndex();
    let sizeBytes = 0;
    for (const entry of proposed) sizeBytes += entry.data.byteLength;
    if (!this.increaseUncommittedSize(sizeBytes)) return false;
    const entries: Entry[] = new Array<Entry>(proposed.length);
    for (let i = 0; i < proposed.length; i++) {
      entries[i] = { term: this.term, index: lastIndex + 1 + i, type: proposed[i]!.type, data: proposed[i]!.data };
    }
    const newLastIndex = this.log.append(entries);
    invariant(
      newLastIndex === lastIndex + proposed.length,
      'leader-never-overwrites',
      () => `leader ${this.id} appended ${proposed.length} after ${lastIndex} and ended at ${newLastIndex}`,
    );
    return true;
  }

  private increaseUncommittedSize(sizeBytes: number): boolean {
    // An empty tail always takes one proposal, however large, so no proposal is refused forever.
    if (this.uncommittedSizeBytes > 0 && sizeBytes > 0 && this.uncommittedSizeBytes + sizeBytes > this.config.maxUncommittedEntriesSizeBytes) {
      return false;
    }
    this.uncommittedSizeBytes += sizeBytes;
    return true;
  }

  private reduceUncommittedSize(sizeBytes: number): void {
    // Entries of earlier terms were never counted by this leader, so clamp at zero.
    this.uncommittedSizeBytes = sizeBytes > this.uncommittedSizeBytes ? 0 : this.uncommittedSizeBytes - sizeBytes;
  }

  /** Advances the commit index to what a quorum holds, if that entry is of the current term. */
  maybeCommit(): boolean {
    return this.log.maybeCommit(this.tracker.committed(), this.term);
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  // ---- persistence and application feedback (from RawNode.advance) ----------------------------

  /**
   * The caller persisted `persisted` (a Ready's entries). Marks stable the longest prefix of them the
   * log still holds: entries replaced meanwhile (a new leader truncated them) stay unstable and go out
   * again. The leader counts its own copy from now on.
   */
  onEntriesPersisted(persisted: readonly Entry[]): void {
    let last = persisted.length - 1;
    while (last >= 0 && !this.log.matchTerm(persisted[last]!.index, persisted[last]!.term)) last--;
    if (last < 0) return;
    const { index, term } = persisted[last]!;
    if (!this.log.unstable.stableTo(index, term)) return;
    if (this.role !== 'leader') return;
    const self = this.tracker.progress.get(this.id);
    if (self !== undefined && self.maybeUpdate(index) && this.maybeCommit()) this.onCommitAdvanced();
  }

  onSnapshotPersisted(index: number): void {
    this.log.unstable.stableSnapshotTo(index);
    // An installed snapshot is applied state.
    if (index > this.log.applied) this.log.appliedTo(index);
  }

  /** The caller applied committed entries up to `index`, of `payloadBytes` payload in total. */
  onApplied(index: number, payloadBytes: number): void {
    this.log.appliedTo(index);
    this.reduceUncommittedSize(payloadBytes);
    this.maybeAutoLeaveJoint();
  }

  /**
   * Leaves an automatic joint configuration once the change that entered it is applied. Checked on
   * every apply and every heartbeat tick, so a leave refused during a transfer is retried.
   */
  private maybeAutoLeaveJoint(): void {
    if (this.role !== 'leader' || !this.tracker.config.autoLeave || this.log.applied < this.pendingConfIndex) return;
    // During a transfer the leader accepts nothing.
    if (this.leadTransferee !== NO_NODE) return;
    // Empty data decodes as the leave-joint change and never counts against the uncommitted limit.
    const entry: ProposedEntry = { type: 'confChange', data: new Uint8Array(0) };
    if (!this.appendEntries([entry])) return;
    this.pendingConfIndex = this.log.lastIndex();
    this.appendsPending = true;
  }

  /** After the commit index moved: answer reads waiting for this term's first commit, tell followers. */
  onCommitAdvanced(): void {
    releasePendingReadIndexMessages(this);
    bcastAppend(this);
  }

  // ---- configuration ---------------------------------------------------------------------------

  changerBase(config = this.tracker.config, progress = this.tracker.progress): ChangerBase {
    return {
      config,
      progress,
      maxInflightMsgs: this.config.maxInflightMsgs,
      maxInflightBytes: this.config.maxInflightBytes,
      lastIndex: this.log.lastIndex(),
    };
  }

  /** The configuration a change would produce; throws ConfChangeError when it cannot apply. */
  computeConfChange(change: ConfChange): ChangeResult {
    const base = this.changerBase();
    if (isLeaveJoint(change)) return leaveJoint(base);
    const { joint, autoLeave } = entersJoint(change);
    return joint ? enterJoint(base, autoLeave, change.changes) : simple(base, change.changes);
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.switchToConfig(this.computeConfChange(change));
  }

  switchToConfig(result: ChangeResult): ConfState {
    this.tracker.setConfig(result.config, result.progress);
    const confState = this.tracker.confState();
    const self = this.tracker.progress.get(this.id);
    this.isLearner = self !== undefined && self.isLearner;
    if (this.role !== 'leader' || confState.voters.length === 0) return confState;
    if (this.maybeCommit()) {
      // A smaller quorum may commit more at once.
      this.onCommitAdvanced();
    } else {
      // Probe new peers now rather than at the next heartbeat or proposal.
      for (const id of this.tracker.sortedIds) if (id !== this.id) maybeSendAppend(this, id, false);
    }
    if (this.leadTransferee !== NO_NODE && !this.tracker.config.voters.incoming.has(this.leadTransferee)) {
      this.leadTransferee = NO_NODE;
    }
    // Removed or demoted: lead on without counting ourselves, and hand over (removal.ts, rule 1).
    handOverIfRemoved(this);
    return confState;
  }

  /**
   * A follower installs a leader's snapshot if it is newer than what we have committed. Returns
   * whether the snapshot was taken. The snapshot need not name us: one taken before we joined is
   * followed in the leader's log by the change that added us, which we apply next (a leader only
   * sends snapshots to peers it tracks, so we are a member as of its latest configuration).
   */
  restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    invariant(this.role === 'follower', 'snapshot-only-to-follower', () => `${this.role} ${this.id} given a snapshot`);
    if (this.log.matchTerm(index, term)) {
      // We hold the snapshot's last entry already: just fast-forward the commit index.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.tracker = new ProgressTracker(this.config.maxInflightMsgs, this.config.maxInflightBytes);
    const restored = restoreConfig(this.changerBase(EMPTY_TRACKER_CONFIG, new Map()), confState);
    const switched = this.switchToConfig(restored);
    invariant(confStatesEquivalent(switched, confState), 'conf-state-restored', () => 'snapshot configuration differs');
    return true;
  }
}
