// The log-storage interface Raft reads its persisted log through, and MemoryLogStorage, the in-memory
// implementation that tests and benchmarks use and that the LSM-backed storage mirrors.
//
// The contract (etcd-io/raft's Storage):
// - Entries are stored contiguously from firstIndex() to lastIndex(). The entry just before them
//   (index firstIndex()-1) is either the snapshot's last entry or the "dummy" at index 0; its term is
//   still answered by term(), because Raft needs it for the consistency check of the next append.
// - An empty log has firstIndex() = lastIndex() + 1.
// - Raft never writes through this interface: the caller persists what a Ready hands it (entries,
//   hard state, snapshot) and only then calls advance(). Reads must reflect all persisted writes.
// - Calls are synchronous: Raft is a pure state machine driven from one event loop, and the node layer
//   keeps what Raft reads (the recent log tail) in memory.
//
// MemoryLogStorage keeps `entries[0]` as that dummy entry, so entries[i] has index entries[0].index + i.

import {
  LogCompactedError,
  LogUnavailableError,
  RaftInvariantError,
  SnapshotOutOfDateError,
} from './errors.js';
import {
  type ConfState,
  type Entry,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  type HardState,
  limitSize,
  nodeId,
  type Snapshot,
} from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface LogStorage {
  /** The persisted hard state and the membership as of the last snapshot or applied change. */
  initialState(): InitialState;
  /**
   * Entries in [lowIndex, highIndex), cut to at most maxSizeBytes (as entrySizeBytes counts) but never
   * to fewer than one entry. Throws LogCompactedError if lowIndex <= the snapshot's index, and
   * LogUnavailableError if highIndex > lastIndex() + 1.
   */
  entries(lowIndex: number, highIndex: number, maxSizeBytes: number): Entry[];
  /** Term of the entry at `index`, for firstIndex()-1 <= index <= lastIndex(); else throws as entries() does. */
  term(index: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /**
   * The most recent snapshot, which the leader sends to a follower whose next entry is compacted away.
   * It may predate the follower's membership: the entries after it carry the change that added it.
   * May throw SnapshotTemporarilyUnavailableError while one is being built.
   */
  snapshot(): Snapshot;
}

export class MemoryLogStorage implements LogStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot = {
    metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
    data: new Uint8Array(0),
  };
  /** entries[0] is a dummy standing for the snapshot's last entry (index 0 term 0 when none). */
  private log: Entry[] = [{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }];

  /** A storage that starts with the given voters, as a freshly bootstrapped group does. */
  static withVoters(voters: readonly number[], learners: readonly number[] = []): MemoryLogStorage {
    const storage = new MemoryLogStorage();
    storage.currentSnapshot = {
      metadata: {
        index: 0,
        term: 0,
        confState: { ...EMPTY_CONF_STATE, voters: voters.map(nodeId), learners: learners.map(nodeId) },
      },
      data: new Uint8Array(0),
    };
    return storage;
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  setHardState(state: HardState): void {
    this.hardState = state;
  }

  entries(lowIndex: number, highIndex: number, maxSizeBytes: number): Entry[] {
    const offset = this.log[0]!.index;
    if (lowIndex <= offset) throw new LogCompactedError(lowIndex, offset + 1);
    if (highIndex > this.lastIndex() + 1) throw new LogUnavailableError(highIndex - 1, this.lastIndex());
    // Only the dummy entry: nothing to return.
    if (this.log.length === 1) return [];
    return limitSize(this.log.slice(lowIndex - offset, highIndex - offset), maxSizeBytes);
  }

  term(index: number): number {
    const offset = this.log[0]!.index;
    if (index < offset) throw new LogCompactedError(index, offset + 1);
    if (index - offset >= this.log.length) throw new LogUnavailableError(index, this.lastIndex());
    return this.log[index - offset]!.term;
  }

  firstIndex(): number {
    return this.log[0]!.index + 1;
  }

  lastIndex(): number {
    return this.log[0]!.index + this.log.length - 1;
  }

  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    const currentIndex = this.currentSnapshot.metadata.index;
    if (currentIndex >= snapshot.metadata.index) throw new SnapshotOutOfDateError(snapshot.metadata.index, currentIndex);
    this.currentSnapshot = snapshot;
    this.log = [{ term: snapshot.metadata.term, index: snapshot.metadata.index, type: 'normal', data: new Uint8Array(0) }];
  }

  /**
   * Records a snapshot of the applied state at `index` (which must be in the log), for sending to
   * slow followers; the caller then may compact up to it.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.currentSnapshot.metadata.index) {
      throw new SnapshotOutOfDateError(index, this.currentSnapshot.metadata.index);
    }
    if (index > this.lastIndex()) {
      throw new RaftInvariantError('snapshot-within-log', `snapshot index ${index} beyond last index ${this.lastIndex()}`);
    }
    this.currentSnapshot = { metadata: { index, term: this.term(index), confState }, data };
    return this.currentSnapshot;
  }

  /**
   * Discards entries up to and including `compactIndex`, which must not exceed the applied index
   * (the caller's responsibility: Raft may still need unapplied entries). The entry at compactIndex
   * becomes the new dummy, so its term stays answerable.
   */
  compact(compactIndex: number): void {
    const offset = this.log[0]!.index;
    if (compactIndex <= offset) throw new LogCompactedError(compactIndex, offset + 1);
    if (compactIndex > this.lastIndex()) throw new LogUnavailableError(compactIndex, this.lastIndex());
    const cut = compactIndex - offset;
    const dummy: Entry = { term: this.log[cut]!.term, index: compactIndex, type: 'normal', data: new Uint8Array(0) };
    const kept = this.log.slice(cut + 1);
    this.log = [dummy, ...kept];
  }

  /**
   * Appends entries, first truncating any stored entries at or after the first new index (a follower
   * replacing a conflicting tail). Entries at or below the snapshot are ignored. The new entries must
   * be contiguous with what is stored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    let from = 0;
    if (first > entries[0]!.index) from = first - entries[0]!.index;
    const startIndex = entries[from]!.index;
    const position = startIndex - this.log[0]!.index;
    if (position > this.log.length) {
      throw new RaftInvariantError(
        'storage-contiguous',
        `append at ${startIndex} leaves a gap after last index ${this.lastIndex()}`,
      );
    }
    if (position < this.log.length) this.log.length = position;
    for (let i = from; i < entries.length; i++) this.log.push(entries[i]!);
  }
}
