// A store: one node's replicas of many ranges over the node's one LSM, driven by one loop.
//
// The loop (DESIGN.md "cluster/node"): each round takes the Ready of every replica that has one, stages
// all of it into ONE write batch — new log entries and hard states of every group, and the writes of
// every committed command with each range's new applied index — and writes that batch with one WAL sync
// (group commit across ranges). Only then are messages sent (none leave a single-replica group),
// proposers told their commands applied, and the groups advanced. One round runs at a time; whatever is
// proposed while a round waits on its sync goes into the next round, so the sync cost is shared.
//
// Time is injected: the store ticks every group on the injected clock's timer. Randomness (election
// jitter, proposal ids) comes from the injected source.
//
// Bootstrap: a store that finds no replica state creates range 1, the meta range, over the system keys
// [ "", 0x01 ) and range 2 over every user key [ 0x01, end ), both with this node as their only replica,
// and records both descriptors in the meta range, in one synced batch.

import type { Clock, TimerHandle } from '../../storage/env/clock.js';
import type { Random } from '../../storage/env/random.js';
import type { LsmDb } from '../../storage/lsm/lsm-db.js';
import { WriteBatch } from '../../storage/lsm/write-batch.js';
import type { Timestamp } from '../../storage/mvcc/timestamp.js';
import type { Message } from '../raft/types.js';
import type { MetaApplyResult, MetaCommand } from '../placement/meta.js';
import { encodeRangeDescriptor, formatDescriptor, type RangeDescriptor } from '../placement/range-descriptor.js';
import { encodeMetaCommand, encodeSplitCommand, encodeWriteCommand, PROPOSAL_ID_MAX } from './command.js';
import { Latches } from './latches.js';
import { RaftLogStorage } from './raft-log-storage.js';
import { MetaState } from '../placement/meta.js';
import { EMPTY_CONF_STATE, nodeId } from '../raft/types.js';
import { splitRange } from './split.js';
import { VERSION_CACHE_BYTES_DEFAULT, VersionCache } from './version-cache.js';
import { type AppliedEntry, type ApplyOutcome, loadLocalDescriptors, META_RANGE_ID, ProposalFailedError, Replica, type SplitEffect } from './replica.js';
import type { WriteBatch as Batch } from '../../storage/lsm/write-batch.js';

export interface StoreConfig {
  /** Milliseconds between Raft ticks. */
  readonly tickMs: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  /** A range whose applied writes since its last split pass this many bytes is split in two. */
  readonly splitThresholdBytes: number;
  /** Raft log entries kept behind the applied index before the log is truncated. */
  readonly raftLogKeepEntries: number;
  /** Memory for the newest versions of recently written keys, kept for point reads (0: none). */
  readonly versionCacheBytes: number;
}

export const DEFAULT_STORE_CONFIG: StoreConfig = {
  tickMs: 100,
  electionTick: 10,
  heartbeatTick: 2,
  splitThresholdBytes: 64 * 1024 * 1024,
  raftLogKeepEntries: 1024,
  versionCacheBytes: VERSION_CACHE_BYTES_DEFAULT,
};

export interface StoreOptions {
  readonly db: LsmDb;
  readonly nodeId: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly config?: Partial<StoreConfig> | undefined;
  /** Sends Raft messages to other nodes (absent: a single-node store, whose groups send none). */
  readonly sendMessages?: ((rangeId: number, messages: readonly Message[]) => void) | undefined;
}

export class StoreClosedError extends Error {
  constructor(message = 'store is closed') {
    super(message);
    this.name = 'StoreClosedError';
  }
}

/** A replica that changed leadership in a round, for the store's listeners. */
export type LeadershipListener = (replica: Replica, isLeader: boolean) => void;

/** What one batch of a round carries beyond its bytes: the effects to run once it is written. */
class RoundPart {
  readonly batch = new WriteBatch();
  readonly outcomes: [Replica, number, ApplyOutcome][] = [];
  readonly splits: SplitEffect[] = [];
  readonly written: Batch[] = [];
  readonly replicas = new Set<Replica>();

  add(replica: Replica, entry: AppliedEntry): void {
    this.replicas.add(replica);
    if (entry.outcome !== undefined) this.outcomes.push([replica, ...entry.outcome]);
    if (entry.split !== undefined) this.splits.push(entry.split);
    if (entry.written !== undefined) this.written.push(entry.written);
  }
}

export class Store {
  readonly db: LsmDb;
  readonly nodeId: number;
  readonly clock: Clock;
  readonly config: StoreConfig;
  readonly latches = new Latches();
  /** The newest version of recently written keys, fed by the apply path (version-cache.ts). */
  readonly versionCache: VersionCache;
  /** The largest timestamp any read on this node has used: async commit and 1PC commit above it. */
  maxReadTs = 0 as Timestamp;
  private readonly random: Random;
  private readonly replicas = new Map<number, Replica>();
  private readonly sendMessages: StoreOptions['sendMessages'];
  private dirty = new Set<Replica>();
  private roundScheduled = false;
  private roundRunning = false;
  private roundIdle: Promise<void> = Promise.resolve();
  private nextProposalId: number;
  private ticker: TimerHandle | undefined;
  private closed = false;
  private failure: Error | undefined;
  private readonly leadershipListeners: LeadershipListener[] = [];

  private constructor(options: StoreOptions) {
    this.db = options.db;
    this.nodeId = options.nodeId;
    this.clock = options.clock;
    this.random = options.random;
    this.config = { ...DEFAULT_STORE_CONFIG, ...options.config };
    this.sendMessages = options.sendMessages;
    this.versionCache = new VersionCache(this.config.versionCacheBytes);
    // Proposal ids start at a random point so that ids of an earlier process never match a waiter.
    this.nextProposalId = this.random.int(2 ** 30) * 2 ** 16;
  }

  static async open(options: StoreOptions): Promise<Store> {
    const store = new Store(options);
    const descriptors = loadLocalDescriptors(store.db);
    if (descriptors.length === 0) await store.bootstrap();
    else for (const descriptor of descriptors) store.addReplica(new Replica(store.replicaOptions(descriptor)));
    store.scheduleTick();
    return store;
  }

  private replicaOptions(descriptor: RangeDescriptor): ConstructorParameters<typeof Replica>[0] {
    return {
      db: this.db,
      descriptor,
      nodeId: this.nodeId,
      electionTick: this.config.electionTick,
      heartbeatTick: this.config.heartbeatTick,
      random: this.random.fork(),
    };
  }

  private async bootstrap(): Promise<void> {
    const self = [{ nodeId: this.nodeId, replicaId: 1 }];
    const meta: RangeDescriptor = { rangeId: META_RANGE_ID, startKey: new Uint8Array(0), endKey: new Uint8Array([0x01]), replicas: self, generation: 1 };
    const user: RangeDescriptor = { rangeId: 2, startKey: new Uint8Array([0x01]), endKey: undefined, replicas: self, generation: 1 };
    const batch = new WriteBatch();
    const storages = [meta, user].map((descriptor) => {
      const storage = RaftLogStorage.open(this.db, descriptor.rangeId);
      storage.bootstrap(batch, { ...EMPTY_CONF_STATE, voters: descriptor.replicas.map((replica) => nodeId(replica.replicaId)) });
      Replica.stageDescriptor(batch, descriptor);
      return storage;
    });
    MetaState.load(this.db).apply(batch, { descriptors: [encodeRangeDescriptor(meta), encodeRangeDescriptor(user)] });
    await this.db.write(batch, { sync: true });
    for (const storage of storages) storage.markWritten();
    // Groups are created only now: a RawNode reads its membership from storage when it is built.
    this.addReplica(new Replica({ ...this.replicaOptions(meta), storage: storages[0] }));
    this.addReplica(new Replica({ ...this.replicaOptions(user), storage: storages[1] }));
  }

  private addReplica(replica: Replica): void {
    this.replicas.set(replica.rangeId, replica);
    // A group whose only voter is this node need not wait out an election timeout.
    const voters = replica.descriptor.replicas;
    if (voters.length === 1 && voters[0]!.nodeId === this.nodeId) replica.raft.campaign();
    this.markDirty(replica);
  }

  replica(rangeId: number): Replica | undefined {
    return this.replicas.get(rangeId);
  }

  /** The descriptors of every replica on this node, in key order. */
  descriptors(): RangeDescriptor[] {
    return [...this.replicas.values()].map((replica) => replica.descriptor).sort((a, b) => Buffer.compare(a.startKey, b.startKey));
  }

  onLeadershipChange(listener: LeadershipListener): void {
    this.leadershipListeners.push(listener);
  }

  /** Throws if the store cannot take requests (closed, or failed on a write). */
  checkOpen(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw new StoreClosedError();
  }

  private allocateProposalId(): number {
    if (this.nextProposalId >= PROPOSAL_ID_MAX) this.nextProposalId = 0;
    return this.nextProposalId++;
  }

  /** Proposes an evaluated write batch on `replica` and resolves once it is applied. */
  proposeWrite(replica: Replica, batch: Batch): Promise<ApplyOutcome> {
    this.checkOpen();
    const id = this.allocateProposalId();
    const applied = replica.propose(id, encodeWriteCommand(id, batch));
    this.markDirty(replica);
    return applied;
  }

  /** Proposes a split of `replica` at `splitKey` into a new range `newRangeId`. */
  proposeSplit(replica: Replica, splitKey: Uint8Array, newRangeId: number): Promise<ApplyOutcome> {
    this.checkOpen();
    const id = this.allocateProposalId();
    const applied = replica.propose(id, encodeSplitCommand(id, splitKey, newRangeId));
    this.markDirty(replica);
    return applied;
  }

  /** Changes the meta records through range 1 (which this node must lead). */
  async proposeMeta(command: MetaCommand): Promise<MetaApplyResult> {
    this.checkOpen();
    const replica = this.replicas.get(META_RANGE_ID);
    if (replica === undefined) throw new ProposalFailedError('not-leader', 'the meta range has no replica on this node');
    const id = this.allocateProposalId();
    const applied = replica.propose(id, encodeMetaCommand(id, command));
    this.markDirty(replica);
    const outcome = await applied;
    if (outcome.kind !== 'meta') throw new Error('meta proposal applied as another command');
    return outcome.result;
  }

  /** Starts a read-index round on `replica` (when its lease cannot serve a read at once). */
  readIndex(replica: Replica): Promise<number> {
    const context = `r${this.allocateProposalId()}`;
    const index = replica.readIndex(context);
    this.markDirty(replica);
    return index;
  }

  /** Steps a Raft message from another node into the range's group. */
  step(rangeId: number, message: Message): void {
    const replica = this.replicas.get(rangeId);
    if (replica === undefined || this.closed) return;
    replica.raft.step(message);
    this.markDirty(replica);
  }

  markDirty(replica: Replica): void {
    this.dirty.add(replica);
    this.scheduleRound();
  }

  private scheduleTick(): void {
    if (this.closed) return;
    this.ticker = this.clock.setTimer(this.config.tickMs, () => {
      for (const replica of this.replicas.values()) {
        replica.raft.tick();
        this.dirty.add(replica);
        this.maybeSplit(replica);
      }
      this.scheduleRound();
      this.scheduleTick();
    });
  }

  /** Starts a background split of a range that has grown past the threshold since its last split. */
  private maybeSplit(replica: Replica): void {
    if (!replica.isLeader || replica.splitting !== undefined || replica.bytesSinceSplitCheck < this.config.splitThresholdBytes) return;
    replica.bytesSinceSplitCheck = 0;
    // A failed background split changes nothing (every step is a Raft command that applied or did
    // not); the range is checked again once it has grown by another threshold.
    splitRange(this, replica).catch(() => undefined);
  }

  private scheduleRound(): void {
    if (this.roundScheduled || this.closed || this.failure !== undefined) return;
    this.roundScheduled = true;
    setImmediate(() => {
      this.roundScheduled = false;
      if (!this.roundRunning) this.roundIdle = this.runRounds();
    });
  }

  private async runRounds(): Promise<void> {
    this.roundRunning = true;
    try {
      while (this.dirty.size > 0 && !this.closed) await this.round();
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.roundRunning = false;
    }
  }

  /**
   * One round of the loop. Every Ready is staged into two batches: `applied` (the writes of committed
   * commands, the applied indexes, the hard states) and `appended` (new log entries, log truncation).
   * `applied` is written first, without a sync, and its proposers are answered at once; then `appended`
   * is written with the round's one sync. Answering before the sync is safe because every entry applied
   * in `applied` was already durable (persisted in an earlier round), and the hard state written with
   * it never claims a commit beyond the durable log; a Ready whose committed entries or commit index
   * reach into entries not yet durable (a follower's) is staged wholly into `appended`, after them.
   * This halves a write's latency: one sync, not two (the sync of its entry, then the next round's).
   */
  private async round(): Promise<void> {
    const candidates = this.dirty;
    this.dirty = new Set();
    const applied = new RoundPart();
    const appended = new RoundPart();
    let sync = false;
    const work: { replica: Replica; ready: ReturnType<Replica['raft']['ready']> }[] = [];
    for (const replica of candidates) {
      if (!replica.raft.hasReady()) continue;
      const ready = replica.raft.ready();
      if (ready.softState !== undefined) this.setLeadership(replica, ready.softState.role === 'leader');
      if (ready.snapshot !== undefined) {
        throw new Error(`range ${replica.rangeId}: installing a range snapshot needs a multi-node cluster, which this store is not`);
      }
      const durableLast = replica.storage.lastIndex();
      const early =
        ready.committedEntries.every((entry) => entry.index <= durableLast) && (ready.hardState === undefined || ready.hardState.commit <= durableLast);
      const applyPart = early ? applied : appended;
      if (early && ready.hardState !== undefined) replica.storage.setHardState(applied.batch, ready.hardState);
      if (ready.entries.length > 0) replica.storage.append(appended.batch, ready.entries);
      if (!early && ready.hardState !== undefined) replica.storage.setHardState(appended.batch, ready.hardState);
      sync ||= ready.mustSync;
      for (const entry of ready.committedEntries) applyPart.add(replica, replica.applyEntry(applyPart.batch, entry));
      this.maybeTruncateLog(replica, appended.batch);
      work.push({ replica, ready });
    }
    if (work.length === 0) return;
    try {
      // A hard state change with nothing appended still needs its sync, before messages go out.
      if (applied.batch.count > 0) await this.db.write(applied.batch, { sync: sync && appended.batch.count === 0 });
      this.finishApplies(applied);
      if (appended.batch.count > 0) await this.db.write(appended.batch, { sync });
    } catch (error) {
      for (const { replica } of work) replica.storage.abandonPending();
      for (const part of [applied, appended]) for (const split of part.splits) split.rightStorage.abandonPending();
      throw error;
    }
    this.finishApplies(appended);
    for (const { replica, ready } of work) {
      replica.storage.markWritten();
      if (ready.messages.length > 0) this.sendMessages?.(replica.rangeId, ready.messages);
      replica.raft.advance();
      this.dirty.add(replica);
      replica.handleReadStates(ready.readStates);
    }
  }

  /** After a part's batch is written: feed the cache, answer proposers, wake readers, open split ranges. */
  private finishApplies(part: RoundPart): void {
    // In the same turn as the write completes, so the cache and the LSM never disagree for a reader.
    for (const each of part.written) this.versionCache.observe(each);
    for (const split of part.splits) split.rightStorage.markWritten();
    for (const [replica, id, outcome] of part.outcomes) replica.deliver(id, outcome);
    for (const replica of part.replicas) replica.notifyApplied();
    for (const split of part.splits) this.addReplica(new Replica({ ...this.replicaOptions(split.right), storage: split.rightStorage }));
  }

  private setLeadership(replica: Replica, isLeader: boolean): void {
    if (replica.isLeader === isLeader) return;
    replica.isLeader = isLeader;
    if (!isLeader) {
      replica.failWaiters(new ProposalFailedError('ambiguous', `range ${replica.rangeId}: leadership lost; the command may or may not apply`));
    }
    for (const listener of this.leadershipListeners) listener(replica, isLeader);
  }

  /** Truncates the Raft log behind the applied index once it keeps more than the configured entries. */
  private maybeTruncateLog(replica: Replica, batch: WriteBatch): void {
    const keep = this.config.raftLogKeepEntries;
    const first = replica.storage.firstIndex();
    if (replica.appliedIndex - first < 2 * keep) return;
    // Every peer must still be able to catch up from the log (range snapshots come with multi-node
    // clusters): never truncate past the slowest follower's match.
    let floor = replica.appliedIndex;
    const progress = replica.raft.status().progress;
    if (progress !== undefined) for (const peer of progress.values()) floor = Math.min(floor, peer.match);
    else if (replica.descriptor.replicas.length > 1) return;
    const compactIndex = floor - keep;
    if (compactIndex >= first) replica.storage.compact(batch, compactIndex);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    const failed = new ProposalFailedError('closed', `store failed: ${error.message}`);
    for (const replica of this.replicas.values()) replica.failWaiters(failed);
  }

  /** Stops ticking, waits for the round in progress, fails every waiter and leaves the LSM open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    await this.roundIdle;
    const closed = new ProposalFailedError('closed', 'store closed');
    for (const replica of this.replicas.values()) replica.failWaiters(closed);
  }

  describe(): string {
    return this.descriptors().map(formatDescriptor).join(', ');
  }
}
