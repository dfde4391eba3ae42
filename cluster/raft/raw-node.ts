// RawNode: the public face of one Raft peer, after etcd-io/raft's rawnode.go. The caller drives it
// from one event loop:
//
//   node.tick() on a timer; node.step(message) for each message from a peer; node.propose(data) …
//   if (node.hasReady()) {
//     const rd = node.ready();
//     persist rd.snapshot, rd.entries and rd.hardState (durably when rd.mustSync);
//     only then send rd.messages;
//     apply rd.snapshot, then rd.committedEntries in order (calling applyConfChange for confChange
//     entries); serve reads whose ReadState index is now applied;
//     node.advance();
//   }
//
// The Ready contract: every message of a Ready may depend on that Ready's entries and hard state
// (a vote, an acknowledgement), so all of them are sent only after those are persisted. Committed
// entries may include entries of the same Ready, which is safe because they are persisted first.
// One Ready is in flight at a time: ready() may not be called again before advance(). Stepping and
// ticking between ready() and advance() is allowed; what they produce goes out in the next Ready.

import { encodeConfChange } from './conf-change-codec.js';
import type { Config } from './config.js';
import { RaftUsageError, StepRejectedError } from './errors.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import { localLeaseReadIndex } from './step-leader.js';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  hardStatesEqual,
  isLocalMessageType,
  isResponseMessageType,
  type Message,
  NO_NODE,
  type NodeId,
  payloadsSizeBytes,
  type ReadState,
  type Snapshot,
  type SoftState,
} from './types.js';

export interface Ready {
  /** Set when leader or role changed since the last Ready. Not persisted. */
  readonly softState: SoftState | undefined;
  /** Set when term, vote or commit changed: persist it (with the entries, atomically if possible). */
  readonly hardState: HardState | undefined;
  /** Answers to read-index requests; a read may be served once the applied index reaches its index. */
  readonly readStates: readonly ReadState[];
  /** Entries to append to the log storage (truncating any stored entries at or after the first). */
  readonly entries: readonly Entry[];
  /** A snapshot from the leader to install in storage and the state machine. */
  readonly snapshot: Snapshot | undefined;
  /** Committed entries to apply, in order. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after persisting this Ready's entries, hard state and snapshot. */
  readonly messages: readonly Message[];
  /** Whether the write must be synced to disk: the entries, term or vote changed. */
  readonly mustSync: boolean;
}

export interface PeerProgress {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly inflightMsgs: number;
}

export interface Status {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly config: ConfState;
  readonly leadTransferee: NodeId;
  /** Per-peer replication progress; only on a leader. */
  readonly progress: ReadonlyMap<NodeId, PeerProgress> | undefined;
}

const NO_MESSAGES: readonly Message[] = Object.freeze([]) as readonly Message[];
const NO_ENTRIES: readonly Entry[] = Object.freeze([]) as readonly Entry[];
const NO_READ_STATES: readonly ReadState[] = Object.freeze([]) as readonly ReadState[];

export class RawNode {
  private readonly raft: Raft;
  private previousSoftState: SoftState;
  private previousHardState: HardState;
  private inFlight: Ready | undefined = undefined;

  constructor(config: Config) {
    this.raft = new Raft(config);
    this.previousSoftState = { lead: this.raft.lead, role: this.raft.role };
    // A restarted node's persisted hard state need not be handed back.
    this.previousHardState = config.storage.initialState().hardState;
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts count ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now (with pre-vote when configured). */
  campaign(): void {
    this.raft.step({ type: 'hup', from: this.raft.id, to: this.raft.id, term: 0 });
  }

  /**
   * Proposes `data` for the log. On a follower the proposal is forwarded to the leader; it may still
   * be lost, so callers detect commitment by seeing the entry applied. Throws ProposalDroppedError
   * when it cannot be carried now.
   */
  propose(data: Uint8Array): void {
    this.raft.step({ type: 'prop', from: NO_NODE, to: NO_NODE, term: 0, entries: [{ type: 'normal', data }] });
  }

  /** Proposes a membership change. At most one may be pending; the leader refuses an invalid one. */
  proposeConfChange(change: ConfChange): void {
    const data = encodeConfChange(change);
    this.raft.step({ type: 'prop', from: NO_NODE, to: NO_NODE, term: 0, entries: [{ type: 'confChange', data }] });
  }

  /**
   * Applies a committed membership change (decoded from a confChange entry) when the caller applies
   * that entry; returns the new configuration, to store with the applied state.
   */
  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  /**
   * Feeds a message from a peer. Throws StepRejectedError for a local-only message type or a response
   * from an unknown peer, and ProposalDroppedError for a forwarded request this node cannot carry;
   * a caller stepping network input may ignore both.
   */
  step(message: Message): void {
    if (isLocalMessageType(message.type)) throw new StepRejectedError('local-message', `${message.type} from ${message.from}`);
    if (isResponseMessageType(message.type) && !this.raft.tracker.progress.has(message.from)) {
      throw new StepRejectedError('peer-not-found', `${message.type} from ${message.from}`);
    }
    this.raft.step(message);
  }

  /** Asks the leader (this node, or via forwarding) to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): void {
    this.raft.step({ type: 'transferLeader', from: NO_NODE, to: NO_NODE, term: 0, transferee });
  }

  /**
   * Requests a linearizable read point. The answer arrives as a ReadState with the same context in
   * a later Ready; contexts must be unique among outstanding requests.
   */
  readIndex(context: Uint8Array): void {
    this.raft.step({ type: 'readIndex', from: NO_NODE, to: NO_NODE, term: 0, context });
  }

  /** Reports that `id` could not be reached, so optimistic replication to it falls back to probing. */
  reportUnreachable(id: NodeId): void {
    this.raft.step({ type: 'unreachable', from: id, to: this.raft.id, term: 0 });
  }

  /**
   * The index a linearizable read may be served at locally, now, under the leader lease (lease-based
   * reads only); undefined when a read-index round is needed. Serve the read once applied >= index.
   */
  leaseReadIndex(): number | undefined {
    return localLeaseReadIndex(this.raft);
  }

  /** Reports how sending a snapshot to `id` ended. */
  reportSnapshot(id: NodeId, outcome: 'finished' | 'failed'): void {
    this.raft.step({ type: 'snapStatus', from: id, to: this.raft.id, term: 0, reject: outcome === 'failed' });
  }

  hasReady(): boolean {
    if (this.inFlight !== undefined) return false;
    const r = this.raft;
    if (r.lead !== this.previousSoftState.lead || r.role !== this.previousSoftState.role) return true;
    const previous = this.previousHardState;
    if (r.term !== previous.term || r.vote !== previous.vote || r.log.committed !== previous.commit) return true;
    if (r.log.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.appendsPending) return true;
    if (r.log.unstable.entries.length > 0 || r.log.hasNextCommittedEntries()) return true;
    return r.readStates.length > 0;
  }

  /** What to persist, send and apply now. Call advance() once that is done. */
  ready(): Ready {
    if (this.inFlight !== undefined) throw new RaftUsageError('ready() called again before advance()');
    const r = this.raft;
    const messages = r.takeMessages();
    const unstable = r.log.unstable.entries;
    const entries = unstable.length === 0 ? NO_ENTRIES : unstable.slice();
    const committedEntries = r.log.nextCommittedEntries();
    let softState: SoftState | undefined;
    if (r.lead !== this.previousSoftState.lead || r.role !== this.previousSoftState.role) {
      softState = { lead: r.lead, role: r.role };
      this.previousSoftState = softState;
    }
    let hardState: HardState | undefined;
    const current = r.hardState();
    const previous = this.previousHardState;
    const mustSync = entries.length > 0 || current.term !== previous.term || current.vote !== previous.vote;
    if (!hardStatesEqual(current, previous)) {
      hardState = current;
      this.previousHardState = current;
    }
    let readStates = NO_READ_STATES;
    if (r.readStates.length > 0) {
      readStates = r.readStates;
      r.readStates = [];
    }
    const ready: Ready = {
      softState,
      hardState,
      readStates,
      entries,
      snapshot: r.log.unstable.snapshot,
      committedEntries: committedEntries.length === 0 ? NO_ENTRIES : committedEntries,
      messages: messages.length === 0 ? NO_MESSAGES : messages,
      mustSync: mustSync || r.log.unstable.snapshot !== undefined,
    };
    this.inFlight = ready;
    return ready;
  }

  /** Tells Raft the last Ready was persisted, sent and applied. */
  advance(): void {
    const ready = this.inFlight;
    if (ready === undefined) throw new RaftUsageError('advance() without a Ready in flight');
    this.inFlight = undefined;
    const r = this.raft;
    if (ready.snapshot !== undefined) r.onSnapshotPersisted(ready.snapshot.metadata.index);
    if (ready.entries.length > 0) r.onEntriesPersisted(ready.entries);
    if (ready.committedEntries.length > 0) {
      const last = ready.committedEntries[ready.committedEntries.length - 1]!;
      r.onApplied(last.index, payloadsSizeBytes(ready.committedEntries));
    }
  }

  status(): Status {
    const r = this.raft;
    let progress: Map<NodeId, PeerProgress> | undefined;
    if (r.role === 'leader') {
      progress = new Map();
      for (const id of r.tracker.sortedIds) {
        const peer = r.tracker.mustGet(id);
        progress.set(id, {
          match: peer.match,
          next: peer.next,
          state: peer.state,
          isLearner: peer.isLearner,
          recentActive: peer.recentActive,
          inflightMsgs: peer.inflights.count,
        });
      }
    }
    return {
      id: r.id,
      hardState: r.hardState(),
      softState: { lead: r.lead, role: r.role },
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      config: r.tracker.confState(),
      leadTransferee: r.leadTransferee,
      progress,
    };
  }
}
