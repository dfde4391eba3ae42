// A test harness: RawNodes over MemoryLogStorage, wired by an in-process network that delivers
// messages synchronously and can drop them (one-way cuts, partitions, isolation, a filter).
//
// Each TestNode runs the Ready contract exactly as a real node must: persist the snapshot, entries
// and hard state, then release the messages, then apply committed entries (decoding and applying
// membership changes), then advance. The "state machine" is the list of applied payloads (as
// strings); a snapshot's data is that list as JSON, so installing a snapshot restores it.
//
// Like a real transport, the network reports to the sender whether each snapshot arrived.
//
// Delivery is deterministic: nodes are processed in id order and messages delivered in the order
// they were sent. stabilize() alternates "drain every Ready" and "deliver every queued message" until
// nothing moves; without ticks every exchange ends, so it always terminates (a bound catches bugs).

import { decodeConfChange } from '../../../cluster/raft/conf-change-codec.js';
import type { Config } from '../../../cluster/raft/config.js';
import { ProposalDroppedError, StepRejectedError } from '../../../cluster/raft/errors.js';
import { RawNode, type Ready } from '../../../cluster/raft/raw-node.js';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import {
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type ReadState,
  type Role,
  nodeId,
} from '../../../cluster/raft/types.js';
import { SeededRandom } from '../../../storage/env/random.js';

export type ConfigOverrides = Partial<Omit<Config, 'id' | 'storage' | 'random'>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (data: Uint8Array): string => decoder.decode(data);

export class TestNode {
  readonly id: NodeId;
  readonly storage: MemoryLogStorage;
  raw: RawNode;
  /** Payloads of applied normal entries, in order (empty entries are skipped). */
  applied: string[] = [];
  /** Index of the last applied entry (or installed snapshot). */
  appliedIndex = 0;
  /** The configuration as of the last applied change or snapshot. */
  confState: ConfState;
  readStates: ReadState[] = [];
  /** Every Ready handled, for tests that inspect what was persisted or sent. */
  readonly readies: Ready[] = [];
  private readonly overrides: ConfigOverrides;
  private readonly seed: number;

  constructor(id: NodeId, storage: MemoryLogStorage, overrides: ConfigOverrides, seed: number) {
    this.id = id;
    this.storage = storage;
    this.overrides = overrides;
    this.seed = seed;
    this.confState = storage.initialState().confState;
    this.raw = this.build(0);
  }

  private build(applied: number): RawNode {
    return new RawNode({
      electionTick: 10,
      heartbeatTick: 1,
      ...this.overrides,
      id: this.id,
      storage: this.storage,
      applied,
      random: new SeededRandom(this.seed),
    });
  }

  /**
   * Rebuilds the RawNode from what was persisted, as after a crash. By default the state machine is
   * recovered from the last snapshot and the entries after it are applied again (with the membership
   * changes among them). `keepApplied` instead keeps the state machine and tells Raft what it had
   * applied; that is only right when no membership change was applied after the last snapshot, since
   * storage knows the configuration as of the snapshot only.
   */
  restart(options: { keepApplied?: boolean } = {}): void {
    if (options.keepApplied === true) {
      this.raw = this.build(this.appliedIndex);
      return;
    }
    const snapshot = this.storage.snapshot();
    this.appliedIndex = snapshot.metadata.index;
    this.applied = snapshot.metadata.index === 0 ? [] : (JSON.parse(text(snapshot.data)) as string[]);
    this.confState = snapshot.metadata.confState;
    this.raw = this.build(this.appliedIndex);
  }

  status() {
    return this.raw.status();
  }

  get term(): number {
    return this.raw.status().hardState.term;
  }

  get role(): Role {
    return this.raw.status().softState.role;
  }

  get lead(): NodeId {
    return this.raw.status().softState.lead;
  }

  get committed(): number {
    return this.raw.status().hardState.commit;
  }

  /** The persisted log, as (index, term, payload) strings. */
  logEntries(): Entry[] {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    return last < first ? [] : this.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
  }

  /** Handles one Ready if there is one; returns its messages (to be delivered by the network). */
  handleReady(): Message[] {
    if (!this.raw.hasReady()) return [];
    const ready = this.raw.ready();
    this.readies.push(ready);
    if (ready.snapshot !== undefined) this.storage.applySnapshot(ready.snapshot);
    this.storage.append(ready.entries);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    if (ready.snapshot !== undefined) {
      this.applied = JSON.parse(text(ready.snapshot.data)) as string[];
      this.appliedIndex = ready.snapshot.metadata.index;
      this.confState = ready.snapshot.metadata.confState;
    }
    for (const entry of ready.committedEntries) {
      if (entry.index !== this.appliedIndex + 1) {
        throw new Error(`node ${this.id} applies ${entry.index} after ${this.appliedIndex}`);
      }
      this.appliedIndex = entry.index;
      if (entry.type === 'confChange') {
        this.confState = this.raw.applyConfChange(decodeConfChange(entry.data));
      } else if (entry.data.length > 0) {
        this.applied.push(text(entry.data));
      }
    }
    for (const readState of ready.readStates) this.readStates.push(readState);
    this.raw.advance();
    return [...ready.messages];
  }

  /** Snapshots the applied state and compacts the log up to the applied index. */
  compact(): void {
    this.storage.createSnapshot(this.appliedIndex, this.confState, bytes(JSON.stringify(this.applied)));
    this.storage.compact(this.appliedIndex);
  }
}

export interface NetworkOptions {
  /** Initial voters (each node starts with them in its ConfState). */
  readonly voters: readonly number[];
  readonly learners?: readonly number[];
  readonly config?: ConfigOverrides;
  /** Per-node overrides on top of `config`. */
  readonly configFor?: (id: NodeId) => ConfigOverrides;
  readonly seed?: number;
}

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /** Every message delivered (not dropped), for tests that inspect traffic. */
  delivered: Message[] = [];
  private readonly cut = new Set<string>();
  /** Return false to drop a message. */
  filter: ((message: Message) => boolean) | undefined = undefined;
  private readonly options: NetworkOptions;
  private readonly seed: number;

  constructor(options: NetworkOptions) {
    this.options = options;
    this.seed = options.seed ?? 1;
    for (const id of [...options.voters, ...(options.learners ?? [])]) this.addNode(nodeId(id));
  }

  /**
   * Adds a node. By default it starts from the group's bootstrap state (the initial configuration
   * every member started from), as a replica joining by a membership change does: replaying the log
   * from index 1 then rebuilds the current configuration, or a snapshot replaces it.
   */
  addNode(id: NodeId, storage?: MemoryLogStorage): TestNode {
    storage ??= MemoryLogStorage.withVoters(this.options.voters, this.options.learners ?? []);
    const overrides = { ...this.options.config, ...this.options.configFor?.(id) };
    const node = new TestNode(id, storage, overrides, this.seed * 1000 + id);
    this.nodes.set(id, node);
    return node;
  }

  node(id: number): TestNode {
    const node = this.nodes.get(id as NodeId);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Drops messages from `from` to `to` (one way) until healed. */
  cutLink(from: number, to: number): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Drops every message between the two groups, both ways. */
  partition(groupA: readonly number[], groupB: readonly number[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  isolate(id: number): void {
    const others = [...this.nodes.keys()].filter((other) => other !== id);
    this.partition([id], others);
  }

  heal(): void {
    this.cut.clear();
    this.filter = undefined;
  }

  private passes(message: Message): boolean {
    if (this.cut.has(`${message.from}>${message.to}`)) return false;
    if (!this.nodes.has(message.to)) return false;
    return this.filter === undefined || this.filter(message);
  }

  /** Handles every node's pending Ready (in id order), queueing the messages. */
  drainReadies(): boolean {
    let moved = false;
    for (const id of [...this.nodes.keys()].sort((a, b) => a - b)) {
      const node = this.nodes.get(id)!;
      while (node.raw.hasReady()) {
        moved = true;
        for (const message of node.handleReady()) this.queue.push(message);
      }
    }
    return moved;
  }

  /** Delivers every queued message once (those sent meanwhile wait for the next call). */
  deliverQueued(): number {
    const batch = this.queue;
    this.queue = [];
    let count = 0;
    for (const message of batch) {
      const passes = this.passes(message);
      if (passes) {
        this.delivered.push(message);
        count++;
        this.stepInto(message);
      }
      // A transport streams snapshots and knows whether one arrived; it tells the sender.
      if (message.type === 'snap') this.nodes.get(message.from)?.raw.reportSnapshot(message.to, passes ? 'finished' : 'failed');
    }
    return count;
  }

  /** Steps a message into its target, ignoring what a real node would ignore from the network. */
  stepInto(message: Message): void {
    const target = this.nodes.get(message.to);
    if (target === undefined) return;
    try {
      target.raw.step(message);
    } catch (error) {
      if (error instanceof StepRejectedError || error instanceof ProposalDroppedError) return;
      throw error;
    }
  }

  /** Runs Ready handling and delivery until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const moved = this.drainReadies();
      if (this.queue.length === 0 && !moved) return;
      this.deliverQueued();
    }
    throw new Error(`network did not stabilize within ${maxRounds} rounds`);
  }

  /** Ticks every node `count` times, stabilizing after each tick. */
  tickAll(count = 1): void {
    for (let i = 0; i < count; i++) {
      for (const node of this.nodes.values()) node.raw.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign and lets the election play out. */
  campaign(id: number): void {
    this.node(id).raw.campaign();
    this.stabilize();
  }

  /** Proposes on `id` and lets replication play out. */
  propose(id: number, payload: string): void {
    this.node(id).raw.propose(bytes(payload));
    this.stabilize();
  }

  leaders(): TestNode[] {
    return [...this.nodes.values()].filter((node) => node.role === 'leader');
  }
}
