// The data Raft speaks in: log entries, hard state, snapshots, configuration state, configuration
// changes and the messages between peers (a discriminated union on `type`).
//
// Invariants the types keep:
// - Terms and indexes are plain non-negative safe integers. Index 0 and term 0 mean "none": the first
//   real entry has index 1, and a message with term 0 is a local message (never sent over a wire).
// - A NodeId is a positive integer; NO_NODE (0) means "nobody" (no leader, no vote).
// - Every object here is treated as immutable once built. Raft shares entry objects and their payloads
//   between its log, its messages and the Ready it hands out, so a caller must never mutate them.

/** The id of one peer of a Raft group. Branded so that an index or a term cannot be passed as one. */
export type NodeId = number & { readonly __brand: 'NodeId' };

/** "Nobody": no leader known, no vote cast. */
export const NO_NODE = 0 as NodeId;

/** A NodeId from a positive safe integer; throws RangeError on anything else. */
export function nodeId(value: number): NodeId {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`nodeId: must be a positive integer, got ${value}`);
  return value as NodeId;
}

export type EntryType = 'normal' | 'confChange';

/** One log entry. A confChange entry's data is an encoded ConfChange (see conf-change-codec.ts). */
export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What a proposer hands in: the leader assigns term and index. */
export interface ProposedEntry {
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/**
 * Bytes an entry is charged for in message-size limits: its payload plus a fixed allowance for term,
 * index and type, so that empty entries are not free.
 */
export const ENTRY_OVERHEAD_BYTES = 16;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}

/** Sum of payload sizes: what the uncommitted-tail limit and the in-flight byte limit count. */
export function payloadsSizeBytes(entries: readonly Entry[] | readonly ProposedEntry[]): number {
  let size = 0;
  for (const entry of entries) size += entry.data.byteLength;
  return size;
}

/**
 * The longest prefix of `entries` whose total entrySizeBytes stays within maxSizeBytes, but never
 * fewer than one entry (so that one oversized entry can still make progress).
 */
export function limitSize<T extends Entry>(entries: T[], maxSizeBytes: number): T[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let limit = 1;
  for (; limit < entries.length; limit++) {
    size += entrySizeBytes(entries[limit]!);
    if (size > maxSizeBytes) break;
  }
  return limit === entries.length ? entries : entries.slice(0, limit);
}

/** The state Raft must persist before it sends any message that depends on it. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NO_NODE, commit: 0 });

export function isEmptyHardState(state: HardState): boolean {
  return state.term === 0 && state.vote === NO_NODE && state.commit === 0;
}

export function hardStatesEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * A group's membership as persisted in snapshots. `votersOutgoing` is non-empty only in a joint
 * configuration; `learnersNext` holds voters of the outgoing half that become learners on leaving it.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: [],
  votersOutgoing: [],
  learners: [],
  learnersNext: [],
  autoLeave: false,
});

export function confStatesEquivalent(a: ConfState, b: ConfState): boolean {
  const sameSet = (x: readonly NodeId[], y: readonly NodeId[]): boolean => {
    if (x.length !== y.length) return false;
    const sortedX = [...x].sort((p, q) => p - q);
    const sortedY = [...y].sort((p, q) => p - q);
    return sortedX.every((value, i) => value === sortedY[i]);
  };
  return (
    sameSet(a.voters, b.voters) &&
    sameSet(a.votersOutgoing, b.votersOutgoing) &&
    sameSet(a.learners, b.learners) &&
    sameSet(a.learnersNext, b.learnersNext) &&
    a.autoLeave === b.autoLeave
  );
}

export interface SnapshotMetadata {
  /** The last index the snapshot covers, and that entry's term. */
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state machine image; opaque to Raft. */
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({
  metadata: Object.freeze({ index: 0, term: 0, confState: EMPTY_CONF_STATE }),
  data: new Uint8Array(0),
});

export function isEmptySnapshot(snapshot: Snapshot): boolean {
  return snapshot.metadata.index === 0;
}

export type ConfChangeType = 'addNode' | 'removeNode' | 'addLearnerNode';

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * How a change moves through joint consensus:
 * - 'auto': a single voter change is applied directly (a "simple" change); anything else enters a
 *   joint configuration that Raft leaves on its own once the change is applied.
 * - 'jointImplicit': always enter joint; Raft leaves it on its own.
 * - 'jointExplicit': always enter joint; the application proposes the empty change to leave it.
 */
export type ConfChangeTransition = 'auto' | 'jointImplicit' | 'jointExplicit';

/** A membership change. No changes at all means "leave the joint configuration". */
export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to Raft; travels with the entry (e.g. the new peer's address). */
  readonly context?: Uint8Array;
}

/** True when the change is the empty one that leaves a joint configuration. */
export function isLeaveJoint(change: ConfChange): boolean {
  return change.changes.length === 0;
}

/** Whether applying the change enters a joint configuration, and if so whether Raft leaves it itself. */
export function entersJoint(change: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (change.transition === 'auto' && change.changes.length <= 1) return { joint: false, autoLeave: false };
  return { joint: true, autoLeave: change.transition !== 'jointExplicit' };
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state a caller may want to observe (who leads, what this node is). Not persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/**
 * The answer to a readIndex request: once this node has applied up to `index`, a read of the state
 * machine is linearizable with respect to the request identified by `context`.
 */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

interface MessageHeader {
  readonly from: NodeId;
  readonly to: NodeId;
  /** The sender's term; 0 for local messages and forwarded proposals and read requests. */
  readonly term: number;
}

/** Leader → follower: entries after (index, logTerm), and the leader's commit index. */
export interface AppendMessage extends MessageHeader {
  readonly type: 'app';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Follower → leader. Accepted: `index` is the follower's last index matching the leader. Rejected:
 * `index` is the rejected append's index, and (rejectHint, logTerm) the follower's guess of the largest
 * index at which the logs may match and the term there (0 if unknown), for fast backtracking.
 */
export interface AppendResponseMessage extends MessageHeader {
  readonly type: 'appResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** Candidate → voter. (index, logTerm) identify the candidate's last entry. */
export interface VoteMessage extends MessageHeader {
  readonly type: 'vote' | 'preVote';
  readonly index: number;
  readonly logTerm: number;
  /** Set by a leadership transfer: the voter grants even while it believes a leader is alive. */
  readonly transfer: boolean;
}

export interface VoteResponseMessage extends MessageHeader {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

export interface SnapshotMessage extends MessageHeader {
  readonly type: 'snap';
  readonly snapshot: Snapshot;
}

/** Leader → peer: I am alive, and entries up to `commit` are committed (never beyond your match). */
export interface HeartbeatMessage extends MessageHeader {
  readonly type: 'heartbeat';
  readonly commit: number;
  /** The read-index request this heartbeat round confirms, when there is one. */
  readonly context: Uint8Array | undefined;
}

export interface HeartbeatResponseMessage extends MessageHeader {
  readonly type: 'heartbeatResp';
  readonly context: Uint8Array | undefined;
}

/** Leader → transferee: campaign now, without waiting for the election timeout. */
export interface TimeoutNowMessage extends MessageHeader {
  readonly type: 'timeoutNow';
}

/** A proposal, stepped locally or forwarded by a follower to the leader. */
export interface ProposalMessage extends MessageHeader {
  readonly type: 'prop';
  readonly entries: readonly ProposedEntry[];
}

/** A request for a linearizable read index, stepped locally or forwarded to the leader. */
export interface ReadIndexMessage extends MessageHeader {
  readonly type: 'readIndex';
  readonly context: Uint8Array;
}

export interface ReadIndexResponseMessage extends MessageHeader {
  readonly type: 'readIndexResp';
  readonly index: number;
  readonly context: Uint8Array;
}

/** Ask the leader to hand leadership to `transferee`; forwarded by followers. */
export interface TransferLeaderMessage extends MessageHeader {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

/** Local: start an election (a transfer campaign skips pre-vote and the leader lease). */
export interface HupMessage extends MessageHeader {
  readonly type: 'hup';
}

/** Local: the leader's heartbeat timer fired. */
export interface BeatMessage extends MessageHeader {
  readonly type: 'beat';
}

/** Local: the leader's check-quorum timer fired. */
export interface CheckQuorumMessage extends MessageHeader {
  readonly type: 'checkQuorum';
}

/** Local: the transport could not reach `from`. */
export interface UnreachableMessage extends MessageHeader {
  readonly type: 'unreachable';
}

/** Local: sending a snapshot to `from` finished (`reject` when it failed). */
export interface SnapshotStatusMessage extends MessageHeader {
  readonly type: 'snapStatus';
  readonly reject: boolean;
}

export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | SnapshotMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | TimeoutNowMessage
  | ProposalMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage
  | TransferLeaderMessage
  | HupMessage
  | BeatMessage
  | CheckQuorumMessage
  | UnreachableMessage
  | SnapshotStatusMessage;

export type MessageType = Message['type'];

/** Messages a node generates for itself; they must never arrive over the network. */
export function isLocalMessageType(type: MessageType): boolean {
  return type === 'hup' || type === 'beat' || type === 'checkQuorum' || type === 'unreachable' || type === 'snapStatus';
}

/** Responses, which a node accepts only from peers it tracks. */
export function isResponseMessageType(type: MessageType): boolean {
  return (
    type === 'appResp' ||
    type === 'voteResp' ||
    type === 'preVoteResp' ||
    type === 'heartbeatResp' ||
    type === 'unreachable' ||
    type === 'snapStatus'
  );
}
