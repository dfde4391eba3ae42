// One Raft peer as a real node would host it, for the scenario files and the simulator: a RawNode, the
// "disk" it persists to, and a small state machine it applies committed entries to.
//
// The disk is a MemoryLogStorage (entries, hard state, snapshot) that receives only what the node
// persisted; everything else (the RawNode, its unstable log, a Ready taken but not yet persisted, the
// state machine) is volatile and lost by crash(). restart() rebuilds the node from the disk alone: the
// state machine from the disk's snapshot, and Raft replays committed entries after it.
//
// The Ready contract is followed in two halves, so that a simulation can interleave other work (and
// crashes) between them, as an asynchronous storage write does:
//   takeReady()     ready() — nothing is persisted yet;
//   completeReady() persist snapshot, entries and hard state; only then release the messages; apply
//                   the snapshot and committed entries (membership changes through applyConfChange);
//                   record read states; advance().
//
// Snapshots for slow followers come from the disk's stored snapshot, which compact() replaces. With
// snapshotOnDemand, the storage Raft reads through answers snapshot() with a fresh one at the applied
// index whenever the stored one is older, as an application that builds snapshots when asked does (a
// stored snapshot that predates a new member is never sent to it, so without fresh ones a leader would
// wait for the next compaction).
//
// The state machine is a register (the last normal entry written) plus a running hash of every applied
// entry (index, term, type, payload). Two nodes with equal hashes at an index applied the same
// history; the snapshot's data is this image, so an installed snapshot carries the hash along.
//
// Invariants (asserted with HostInvariantError): entries apply in index order with no gap; the image
// kept for an index is the state right after applying that index.

import { decodeConfChange } from '../../../../cluster/raft/conf-change-codec.js';
import type { Config } from '../../../../cluster/raft/config.js';
import { RawNode, type Ready } from '../../../../cluster/raft/raw-node.js';
import type { LogStorage, MemoryLogStorage } from '../../../../cluster/raft/storage.js';
import type { ConfState, Entry, Message, NodeId, ReadState } from '../../../../cluster/raft/types.js';
import type { Random } from '../../../../storage/env/random.js';

export type HostConfig = Partial<Omit<Config, 'id' | 'storage' | 'random' | 'applied'>>;

/** A broken assumption of the host itself (not of Raft): an apply out of order, a snapshot gap. */
export class HostInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostInvariantError';
  }
}

/** The state machine's state after applying `index`: what a snapshot's data holds. */
export interface MachineImage {
  readonly index: number;
  /** Running hash of every entry applied up to index (two 32-bit halves). */
  readonly hashHigh: number;
  readonly hashLow: number;
  /** The register: payload of the last normal entry with a payload, and its index (0 if none). */
  readonly value: string;
  readonly valueIndex: number;
}

export const EMPTY_IMAGE: MachineImage = Object.freeze({ index: 0, hashHigh: 0, hashLow: 0, value: '', valueIndex: 0 });

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeImage(image: MachineImage): Uint8Array {
  return encoder.encode(JSON.stringify(image));
}

export function decodeImage(data: Uint8Array): MachineImage {
  if (data.byteLength === 0) return EMPTY_IMAGE;
  return JSON.parse(decoder.decode(data)) as MachineImage;
}

/** Folds one entry into the running hash: two independent multiplicative hashes over its fields. */
function foldEntry(image: MachineImage, entry: Entry): { hashHigh: number; hashLow: number } {
  let high = image.hashHigh ^ 0x9e3779b9;
  let low = image.hashLow ^ 0x85ebca6b;
  const mix = (value: number): void => {
    high = Math.imul(high ^ value, 0x01000193) >>> 0;
    low = Math.imul((low + value) ^ (low >>> 15), 0x2c1b3c6d) >>> 0;
  };
  mix(entry.index);
  mix(entry.term);
  mix(entry.type === 'confChange' ? 1 : 0);
  for (let i = 0; i < entry.data.byteLength; i++) mix(entry.data[i]!);
  return { hashHigh: high, hashLow: low };
}

export function applyToImage(image: MachineImage, entry: Entry): MachineImage {
  const { hashHigh, hashLow } = foldEntry(image, entry);
  const write = entry.type === 'normal' && entry.data.byteLength > 0;
  return {
    index: entry.index,
    hashHigh,
    hashLow,
    value: write ? decoder.decode(entry.data) : image.value,
    valueIndex: write ? entry.index : image.valueIndex,
  };
}

/** What completing one Ready did, for callers that print or check it. */
export interface ReadyOutcome {
  readonly ready: Ready;
  /** Committed entries applied, each with the image right after it. */
  readonly applied: readonly { readonly entry: Entry; readonly image: MachineImage; readonly confState?: ConfState }[];
  /** The image installed from the Ready's snapshot, if any. */
  readonly installed: MachineImage | undefined;
}

export class RaftHost {
  readonly id: NodeId;
  /** The durable part: survives crash(). */
  readonly disk: MemoryLogStorage;
  private readonly config: HostConfig;
  private raw: RawNode | undefined;
  /** Counts restarts, so that a caller can tell incarnations apart (a reply to a request of a past one). */
  incarnation = 0;
  /** A Ready taken and not yet completed (persisted, sent, applied, advanced). */
  inflight: Ready | undefined = undefined;
  image: MachineImage = EMPTY_IMAGE;
  /** The configuration as of the last applied change or installed snapshot. */
  confState: ConfState;
  /** Images and configurations by applied index, for snapshots at an index below the applied one. */
  private readonly history = new Map<number, { image: MachineImage; confState: ConfState }>();
  private readonly newRandom: () => Random;
  private readonly snapshotOnDemand: boolean;

  constructor(id: NodeId, disk: MemoryLogStorage, config: HostConfig, newRandom: () => Random, snapshotOnDemand = false) {
    this.id = id;
    this.disk = disk;
    this.config = config;
    this.newRandom = newRandom;
    this.snapshotOnDemand = snapshotOnDemand;
    this.confState = disk.initialState().confState;
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  /** The running RawNode; throws when the node is down. */
  get node(): RawNode {
    if (this.raw === undefined) throw new HostInvariantError(`node ${this.id} is down`);
    return this.raw;
  }

  private start(): void {
    const snapshot = this.disk.snapshot();
    this.image = decodeImage(snapshot.data);
    if (this.image.index !== snapshot.metadata.index) {
      throw new HostInvariantError(`node ${this.id}: snapshot at ${snapshot.metadata.index} holds image of ${this.image.index}`);
    }
    this.confState = snapshot.metadata.confState;
    this.history.clear();
    this.history.set(this.image.index, { image: this.image, confState: this.confState });
    this.raw = new RawNode({
      electionTick: 10,
      heartbeatTick: 1,
      ...this.config,
      id: this.id,
      storage: this.snapshotOnDemand ? this.storageWithFreshSnapshots() : this.disk,
      applied: snapshot.metadata.index,
      random: this.newRandom(),
    });
  }

  /** The disk as Raft reads it, except that snapshot() first records one at the applied index. */
  private storageWithFreshSnapshots(): LogStorage {
    const disk = this.disk;
    return {
      initialState: () => disk.initialState(),
      entries: (lowIndex, highIndex, maxSizeBytes) => disk.entries(lowIndex, highIndex, maxSizeBytes),
      term: (index) => disk.term(index),
      firstIndex: () => disk.firstIndex(),
      lastIndex: () => disk.lastIndex(),
      snapshot: () => {
        const index = this.image.index;
        if (index > disk.snapshot().metadata.index && index <= disk.lastIndex()) {
          disk.createSnapshot(index, this.confState, encodeImage(this.image));
        }
        return disk.snapshot();
      },
    };
  }

  /** Loses everything not persisted: the RawNode, a Ready in flight, the state machine. */
  crash(): void {
    this.raw = undefined;
    this.inflight = undefined;
  }

  /** Starts again from the disk alone. */
  restart(): void {
    if (this.raw !== undefined) throw new HostInvariantError(`node ${this.id} restarted while up`);
    this.incarnation++;
    this.start();
  }

  /** Takes the next Ready if there is one and none is in flight. Nothing is persisted yet. */
  takeReady(): Ready | undefined {
    const raw = this.node;
    if (this.inflight !== undefined || !raw.hasReady()) return undefined;
    this.inflight = raw.ready();
    return this.inflight;
  }

  /**
   * Completes the Ready in flight: persists it, then returns its messages for sending, applies what
   * it commits and advances. Read states are returned in the outcome's ready.
   */
  completeReady(): { outcome: ReadyOutcome; messages: readonly Message[]; readStates: readonly ReadState[] } {
    const ready = this.inflight;
    if (ready === undefined) throw new HostInvariantError(`node ${this.id}: no Ready in flight`);
    const raw = this.node;
    // 1. Persist: snapshot, entries, hard state.
    if (ready.snapshot !== undefined) this.disk.applySnapshot(ready.snapshot);
    this.disk.append(ready.entries);
    if (ready.hardState !== undefined) this.disk.setHardState(ready.hardState);
    // 2. The messages may go out now (the caller sends them). 3. Apply.
    let installed: MachineImage | undefined;
    if (ready.snapshot !== undefined) {
      installed = decodeImage(ready.snapshot.data);
      if (installed.index !== ready.snapshot.metadata.index) {
        throw new HostInvariantError(`node ${this.id}: snapshot at ${ready.snapshot.metadata.index} holds image of ${installed.index}`);
      }
      this.image = installed;
      this.confState = ready.snapshot.metadata.confState;
      this.history.clear();
      this.history.set(installed.index, { image: installed, confState: this.confState });
    }
    const applied: { entry: Entry; image: MachineImage; confState?: ConfState }[] = [];
    for (const entry of ready.committedEntries) {
      if (entry.index !== this.image.index + 1) {
        throw new HostInvariantError(`node ${this.id} applies ${entry.index} after ${this.image.index}`);
      }
      this.image = applyToImage(this.image, entry);
      if (entry.type === 'confChange') {
        this.confState = raw.applyConfChange(decodeConfChange(entry.data));
        applied.push({ entry, image: this.image, confState: this.confState });
      } else {
        applied.push({ entry, image: this.image });
      }
      this.history.set(entry.index, { image: this.image, confState: this.confState });
    }
    // 4. Advance.
    this.inflight = undefined;
    raw.advance();
    return { outcome: { ready, applied, installed }, messages: ready.messages, readStates: ready.readStates };
  }

  /**
   * Records a snapshot of the state right after `index` (applied, and not below the current snapshot)
   * and discards the log up to it, as a node does to bound its log.
   */
  compact(index: number): void {
    const at = this.history.get(index);
    if (at === undefined || index > this.image.index) {
      throw new HostInvariantError(`node ${this.id}: cannot snapshot at ${index} (applied ${this.image.index})`);
    }
    this.disk.createSnapshot(index, at.confState, encodeImage(at.image));
    this.disk.compact(index);
    for (const kept of [...this.history.keys()]) if (kept < index) this.history.delete(kept);
  }

  /** Whether a snapshot at `index` can be taken now (applied, persisted, after the current one). */
  canCompact(index: number): boolean {
    return this.history.has(index) && index > this.disk.snapshot().metadata.index && index <= this.disk.lastIndex();
  }

  /** The persisted log (after the snapshot). */
  diskEntries(): Entry[] {
    const first = this.disk.firstIndex();
    const last = this.disk.lastIndex();
    return last < first ? [] : this.disk.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
  }
}
