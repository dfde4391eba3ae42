// A replica: this node's member of one range's Raft group, with the range's descriptor and applied
// state. The store (store.ts) drives every replica from one loop; a replica stages what its Ready asks
// for into the store's round batch and finishes the round once the batch is written.
//
// Replica-local state (node-local keys, written in the same batch as the applied commands, so that the
// applied index always matches what the LSM holds and no command is applied twice after a crash):
//   "\x01rstate/" | rangeId u64 | 0x01  -> encoded range descriptor
//   "\x01rstate/" | rangeId u64 | 0x02  -> applied index u64
//
// Proposals: the leader proposes a command carrying a proposal id and keeps a waiter for it; when the
// command is applied (on the leader: by this same replica) the waiter resolves with what the apply
// produced. If the replica stops leading, waiters are failed as ambiguous: the command may still commit.

import { decodeConfChange } from '../raft/conf-change-codec.js';
import { ProposalDroppedError } from '../raft/errors.js';
import { RawNode } from '../raft/raw-node.js';
import { type ConfState, EMPTY_CONF_STATE, type Entry, nodeId, type NodeId, type ReadState } from '../raft/types.js';
import type { RaftRandom } from '../raft/config.js';
import type { LsmDb } from '../../storage/lsm/lsm-db.js';
import type { WriteBatch } from '../../storage/lsm/write-batch.js';
import { encodeUint64BigEndian, getUint64BigEndian, putUint64BigEndian } from '../../storage/lsm/coding.js';
import { type MetaApplyResult, MetaState } from '../placement/meta.js';
import {
  decodeRangeDescriptor,
  encodeRangeDescriptor,
  formatDescriptor,
  type RangeDescriptor,
  spanContainsKey,
} from '../placement/range-descriptor.js';
import { type Command, decodeCommand } from './command.js';
import { RaftLogStorage } from './raft-log-storage.js';

const STATE_PREFIX = new Uint8Array([0x01, ...new TextEncoder().encode('rstate/')]);
const KIND_DESCRIPTOR = 0x01;
const KIND_APPLIED = 0x02;

export const META_RANGE_ID = 1;

function stateKey(rangeId: number, kind: number): Uint8Array {
  const key = new Uint8Array(STATE_PREFIX.length + 9);
  key.set(STATE_PREFIX, 0);
  putUint64BigEndian(key, STATE_PREFIX.length, rangeId);
  key[STATE_PREFIX.length + 8] = kind;
  return key;
}

/** Every range descriptor this node holds a replica of, from the node-local state. */
export function loadLocalDescriptors(db: LsmDb): RangeDescriptor[] {
  const out: RangeDescriptor[] = [];
  const end = new Uint8Array(STATE_PREFIX);
  end[end.length - 1]! += 1;
  const iterator = db.iterator({ lowerBound: STATE_PREFIX, upperBound: end });
  try {
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      const key = iterator.key();
      if (key[key.length - 1] === KIND_DESCRIPTOR) out.push(decodeRangeDescriptor(iterator.value()));
    }
  } finally {
    iterator.close();
  }
  return out;
}

/** Why a proposal's caller did not get an applied result. */
export class ProposalFailedError extends Error {
  constructor(
    readonly reason: 'not-leader' | 'ambiguous' | 'closed' | 'rejected',
    message: string,
  ) {
    super(message);
    this.name = 'ProposalFailedError';
  }
}

/** What applying a command produced, handed to the proposer's waiter. */
export type ApplyOutcome =
  | { readonly kind: 'write' }
  | { readonly kind: 'meta'; readonly result: MetaApplyResult }
  | { readonly kind: 'split'; readonly right: RangeDescriptor | undefined };

/** A right-hand range created by an applied split, for the store to open once the round is written. */
export interface SplitEffect {
  readonly right: RangeDescriptor;
  readonly rightStorage: RaftLogStorage;
}

/** What applying one entry staged: the proposer's outcome, a split to carry out, the MVCC writes. */
export interface AppliedEntry {
  readonly outcome?: [number, ApplyOutcome];
  readonly split?: SplitEffect;
  /** The range's data writes the entry carried (for the version cache, once written). */
  readonly written?: WriteBatch;
}

interface Waiter {
  readonly resolve: (outcome: ApplyOutcome) => void;
  readonly reject: (error: Error) => void;
}

export interface ReplicaOptions {
  readonly db: LsmDb;
  readonly descriptor: RangeDescriptor;
  readonly nodeId: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly random: RaftRandom;
  /** An already opened storage (bootstrapped and written before the group is built). */
  readonly storage?: RaftLogStorage | undefined;
}

export class Replica {
  readonly rangeId: number;
  descriptor: RangeDescriptor;
  readonly raft: RawNode;
  readonly storage: RaftLogStorage;
  readonly replicaId: NodeId;
  appliedIndex: number;
  /** Range 1 only: the meta records as of the applied index. */
  readonly meta: MetaState | undefined;
  /** Approximate bytes applied since the last split check (the split trigger's input). */
  bytesSinceSplitCheck = 0;
  /** Set while a split is being prepared or proposed: new writes wait for it. */
  splitting: Promise<void> | undefined;
  isLeader = false;
  private readonly waiters = new Map<number, Waiter>();
  private readonly readWaiters = new Map<string, { resolve: (index: number) => void; reject: (error: Error) => void }>();
  private readonly appliedWaiters: { index: number; resolve: () => void }[] = [];
  private readonly db: LsmDb;

  constructor(options: ReplicaOptions) {
    const { db, descriptor } = options;
    this.db = db;
    this.rangeId = descriptor.rangeId;
    this.descriptor = descriptor;
    const self = descriptor.replicas.find((replica) => replica.nodeId === options.nodeId);
    if (self === undefined) throw new Error(`replica: node ${options.nodeId} is not in ${formatDescriptor(descriptor)}`);
    this.replicaId = nodeId(self.replicaId);
    this.storage = options.storage ?? RaftLogStorage.open(db, this.rangeId);
    const applied = db.get(stateKey(this.rangeId, KIND_APPLIED));
    this.appliedIndex = applied === undefined ? 0 : getUint64BigEndian(applied);
    this.meta = this.rangeId === META_RANGE_ID ? MetaState.load(db) : undefined;
    this.raft = new RawNode({
      id: this.replicaId,
      electionTick: options.electionTick,
      heartbeatTick: options.heartbeatTick,
      storage: this.storage,
      applied: this.appliedIndex,
      readOnlyOption: 'lease-based',
      random: options.random,
    });
  }

  /** Stages the descriptor into `batch` (bootstrap, or a descriptor changed outside apply). */
  static stageDescriptor(batch: WriteBatch, descriptor: RangeDescriptor): void {
    batch.put(stateKey(descriptor.rangeId, KIND_DESCRIPTOR), encodeRangeDescriptor(descriptor));
  }

  containsKey(key: Uint8Array): boolean {
    return spanContainsKey(this.descriptor, key);
  }

  /** The node id of the replica the group believes leads, if known. */
  leaderNodeId(): number | undefined {
    const lead = this.raft.status().softState.lead;
    return this.descriptor.replicas.find((replica) => replica.replicaId === lead)?.nodeId;
  }

  /** Proposes `data` (an encoded command with `proposalId`); resolves when applied here. */
  propose(proposalId: number, data: Uint8Array): Promise<ApplyOutcome> {
    if (!this.isLeader) return Promise.reject(new ProposalFailedError('not-leader', `range ${this.rangeId}: not the leader`));
    try {
      this.raft.propose(data);
    } catch (error) {
      if (error instanceof ProposalDroppedError) {
        return Promise.reject(new ProposalFailedError('not-leader', `range ${this.rangeId}: ${error.message}`));
      }
      throw error;
    }
    return new Promise<ApplyOutcome>((resolve, reject) => this.waiters.set(proposalId, { resolve, reject }));
  }

  /** Starts a read-index round; resolves with the index a read may be served at once it is applied. */
  readIndex(context: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      try {
        this.raft.readIndex(new TextEncoder().encode(context));
        this.readWaiters.set(context, { resolve, reject });
      } catch (error) {
        reject(error instanceof ProposalDroppedError ? new ProposalFailedError('not-leader', error.message) : error);
      }
    });
  }

  /** Resolves once the applied index reaches `index` (undefined: already there). */
  waitApplied(index: number): Promise<void> | undefined {
    if (this.appliedIndex >= index) return undefined;
    return new Promise<void>((resolve) => this.appliedWaiters.push({ index, resolve }));
  }

  handleReadStates(states: readonly ReadState[]): void {
    for (const state of states) {
      const context = new TextDecoder().decode(state.context);
      const waiter = this.readWaiters.get(context);
      if (waiter === undefined) continue;
      this.readWaiters.delete(context);
      waiter.resolve(state.index);
    }
  }

  /**
   * Applies one committed entry: stages its writes and the new applied index into `batch`, and returns
   * the proposer's outcome (delivered by `deliver` after the batch is written) and any split effect.
   */
  applyEntry(batch: WriteBatch, entry: Entry): AppliedEntry {
    let result: AppliedEntry = {};
    if (entry.type === 'normal') {
      const command = decodeCommand(entry.data);
      if (command !== undefined) result = this.applyCommand(batch, command);
    } else {
      this.raft.applyConfChange(decodeConfChange(entry.data));
    }
    this.appliedIndex = entry.index;
    batch.put(stateKey(this.rangeId, KIND_APPLIED), encodeUint64BigEndian(entry.index));
    return result;
  }

  private applyCommand(batch: WriteBatch, command: Command): AppliedEntry {
    switch (command.kind) {
      case 'write':
        this.bytesSinceSplitCheck += command.batch.byteSize;
        batch.append(command.batch);
        return { outcome: [command.proposalId, { kind: 'write' }], written: command.batch };
      case 'meta': {
        if (this.meta === undefined) throw new Error(`range ${this.rangeId}: meta command outside the meta range`);
        const metaResult = this.meta.apply(batch, command.meta);
        return { outcome: [command.proposalId, { kind: 'meta', result: metaResult }] };
      }
      case 'split':
        return this.applySplit(batch, command.proposalId, command.splitKey, command.newRangeId);
    }
  }

  private applySplit(batch: WriteBatch, proposalId: number, splitKey: Uint8Array, newRangeId: number): { outcome: [number, ApplyOutcome]; split?: SplitEffect } {
    const left = this.descriptor;
    // Checked again here, not only at proposal: two splits may have been proposed against one span.
    const inside = Buffer.compare(splitKey, left.startKey) > 0 && (left.endKey === undefined || Buffer.compare(splitKey, left.endKey) < 0);
    if (!inside) return { outcome: [proposalId, { kind: 'split', right: undefined }] };
    const generation = left.generation + 1;
    const right: RangeDescriptor = { rangeId: newRangeId, startKey: splitKey, endKey: left.endKey, replicas: left.replicas, generation };
    this.descriptor = { ...left, endKey: splitKey, generation };
    this.bytesSinceSplitCheck = 0;
    Replica.stageDescriptor(batch, this.descriptor);
    Replica.stageDescriptor(batch, right);
    const rightStorage = RaftLogStorage.open(this.db, newRangeId);
    const confState: ConfState = { ...EMPTY_CONF_STATE, voters: right.replicas.map((replica) => nodeId(replica.replicaId)) };
    rightStorage.bootstrap(batch, confState);
    return { outcome: [proposalId, { kind: 'split', right }], split: { right, rightStorage } };
  }

  /** Hands an applied command's outcome to its waiter (if this replica proposed it). */
  deliver(proposalId: number, outcome: ApplyOutcome): void {
    const waiter = this.waiters.get(proposalId);
    if (waiter === undefined) return;
    this.waiters.delete(proposalId);
    waiter.resolve(outcome);
  }

  /** Wakes waiters of the applied index; call after the round's batch is written. */
  notifyApplied(): void {
    if (this.appliedWaiters.length === 0) return;
    for (let i = 0; i < this.appliedWaiters.length; ) {
      const waiter = this.appliedWaiters[i]!;
      if (waiter.index <= this.appliedIndex) {
        this.appliedWaiters.splice(i, 1);
        waiter.resolve();
      } else {
        i++;
      }
    }
  }

  /** Fails every waiting proposal and read (leadership lost, or the store closing). */
  failWaiters(error: ProposalFailedError): void {
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
    for (const waiter of this.readWaiters.values()) waiter.reject(error);
    this.readWaiters.clear();
  }
}
