// RaftLogStorage: the Raft LogStorage of one range's replica, kept in the node's shared LSM (one LsmDb
// for every range on the node, DESIGN.md "storage"), under a node-local key prefix per range.
//
// Key layout (all integers big-endian, so byte order is numeric order):
//   "\x01raft/" | rangeId (8 bytes) | kind (1 byte) [| index (8 bytes), for log entries only]
// kinds:
//   0x01 hard state      value: term u64 | vote u64 | commit u64                       (24 bytes)
//   0x02 truncated state value: index u64 | term u64 — the entry just before firstIndex() (16 bytes)
//   0x03 snapshot        value: index u64 | term u64 | 4 id lists (voters, votersOutgoing, learners,
//                        learnersNext), each count u32 then u64 per id | autoLeave u8 | data (rest)
//   0x04 log entry       value: term u64 | index u64 | type u8 (0 normal, 1 confChange) | data (rest)
// The leading 0x01 keeps node-local keys apart from replicated (range data) keys; the fixed-width range
// id keeps one range's keys a contiguous span, so another range's keys never fall inside its bounds.
// An absent hard state, truncated state or snapshot means the empty one (term 0, index 0).
//
// Invariants:
// - The stored entries are exactly the indexes truncated.index+1 .. lastIndex, contiguous; nothing below
//   the truncated index survives (compaction deletes it in the same batch that moves the truncated state).
// - The write side never writes: it adds to a caller's WriteBatch (one batch and one WAL sync for every
//   group's Ready round, i.e. group commit) and records the effect in a *pending* state. Reads answer
//   from the *visible* state, which matches what the LSM holds, until the caller has written the batch
//   and calls markWritten() (or abandonPending() if the write failed).
// - Several write-side calls may be staged into one batch (snapshot, then entries, then hard state, as
//   one Ready hands them); each is checked against the pending state left by the previous ones.

import {
  LogCompactedError,
  LogUnavailableError,
  RaftInvariantError,
  SnapshotOutOfDateError,
} from '../raft/errors.js';
import type { InitialState, LogStorage } from '../raft/storage.js';
import {
  type ConfState,
  type Entry,
  type EntryType,
  EMPTY_CONF_STATE,
  EMPTY_HARD_STATE,
  entrySizeBytes,
  type HardState,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
} from '../raft/types.js';
import type { LsmDb, WriteBatch } from '../../storage/lsm/index.js';
import { copyBytes } from '../../storage/lsm/coding.js';

const PREFIX = new Uint8Array([0x01, ...new TextEncoder().encode('raft/')]);
const RANGE_ID_OFFSET = PREFIX.length;
const KIND_OFFSET = RANGE_ID_OFFSET + 8;

const KIND_HARD_STATE = 0x01;
const KIND_TRUNCATED_STATE = 0x02;
const KIND_SNAPSHOT = 0x03;
const KIND_LOG_ENTRY = 0x04;
/** One past the last kind: the exclusive end of a range's keys. */
const KIND_END = 0x05;

const ENTRY_HEADER_BYTES = 17;
const TWO_POW_32 = 0x1_0000_0000;

// ---------------------------------------------------------------------------------------------
// Encoding

function putU64(view: DataView, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`raft-log-storage: not a u64 safe integer: ${value}`);
  view.setUint32(offset, Math.floor(value / TWO_POW_32));
  view.setUint32(offset + 4, value >>> 0);
}

function getU64(view: DataView, offset: number): number {
  const value = view.getUint32(offset) * TWO_POW_32 + view.getUint32(offset + 4);
  if (!Number.isSafeInteger(value)) throw new RaftInvariantError('storage-encoding', `stored integer ${value} is not safe`);
  return value;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function rangeKey(rangeId: number, kind: number, index?: number): Uint8Array {
  const key = new Uint8Array(KIND_OFFSET + 1 + (index === undefined ? 0 : 8));
  key.set(PREFIX, 0);
  const view = viewOf(key);
  putU64(view, RANGE_ID_OFFSET, rangeId);
  key[KIND_OFFSET] = kind;
  if (index !== undefined) putU64(view, KIND_OFFSET + 1, index);
  return key;
}

function encodeHardState(state: HardState): Uint8Array {
  const out = new Uint8Array(24);
  const view = viewOf(out);
  putU64(view, 0, state.term);
  putU64(view, 8, state.vote);
  putU64(view, 16, state.commit);
  return out;
}

function decodeHardState(bytes: Uint8Array): HardState {
  if (bytes.length !== 24) throw new RaftInvariantError('storage-encoding', `hard state of ${bytes.length} bytes`);
  const view = viewOf(bytes);
  return { term: getU64(view, 0), vote: getU64(view, 8) as NodeId, commit: getU64(view, 16) };
}

interface TruncatedState {
  readonly index: number;
  readonly term: number;
}

function encodeTruncatedState(state: TruncatedState): Uint8Array {
  const out = new Uint8Array(16);
  const view = viewOf(out);
  putU64(view, 0, state.index);
  putU64(view, 8, state.term);
  return out;
}

function decodeTruncatedState(bytes: Uint8Array): TruncatedState {
  if (bytes.length !== 16) throw new RaftInvariantError('storage-encoding', `truncated state of ${bytes.length} bytes`);
  const view = viewOf(bytes);
  return { index: getU64(view, 0), term: getU64(view, 8) };
}

/** Encodes an entry: term u64 | index u64 | type u8 | data. */
export function encodeEntry(entry: Entry): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER_BYTES + entry.data.byteLength);
  const view = viewOf(out);
  putU64(view, 0, entry.term);
  putU64(view, 8, entry.index);
  out[16] = entry.type === 'confChange' ? 1 : 0;
  out.set(entry.data, ENTRY_HEADER_BYTES);
  return out;
}

/** Decodes an entry; `bytes` may be a view the iterator owns, so the payload is copied. */
export function decodeEntry(bytes: Uint8Array): Entry {
  if (bytes.length < ENTRY_HEADER_BYTES) throw new RaftInvariantError('storage-encoding', `entry of ${bytes.length} bytes`);
  const view = viewOf(bytes);
  const typeByte = bytes[16];
  if (typeByte !== 0 && typeByte !== 1) throw new RaftInvariantError('storage-encoding', `entry type byte ${typeByte}`);
  const type: EntryType = typeByte === 1 ? 'confChange' : 'normal';
  return { term: getU64(view, 0), index: getU64(view, 8), type, data: copyBytes(bytes, ENTRY_HEADER_BYTES) };
}

const CONF_LISTS = ['voters', 'votersOutgoing', 'learners', 'learnersNext'] as const;

function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const conf = snapshot.metadata.confState;
  let size = 16 + 1 + snapshot.data.byteLength;
  for (const list of CONF_LISTS) size += 4 + 8 * conf[list].length;
  const out = new Uint8Array(size);
  const view = viewOf(out);
  putU64(view, 0, snapshot.metadata.index);
  putU64(view, 8, snapshot.metadata.term);
  let offset = 16;
  for (const list of CONF_LISTS) {
    view.setUint32(offset, conf[list].length);
    offset += 4;
    for (const id of conf[list]) {
      putU64(view, offset, id);
      offset += 8;
    }
  }
  out[offset++] = conf.autoLeave ? 1 : 0;
  out.set(snapshot.data, offset);
  return out;
}

function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const fail = (): never => {
    throw new RaftInvariantError('storage-encoding', `snapshot record of ${bytes.length} bytes is malformed`);
  };
  if (bytes.length < 16 + 16 + 1) fail();
  const view = viewOf(bytes);
  const index = getU64(view, 0);
  const term = getU64(view, 8);
  let offset = 16;
  const lists: NodeId[][] = [];
  for (let l = 0; l < CONF_LISTS.length; l++) {
    if (offset + 4 > bytes.length) fail();
    const count = view.getUint32(offset);
    offset += 4;
    if (offset + 8 * count > bytes.length) fail();
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++, offset += 8) ids.push(getU64(view, offset) as NodeId);
    lists.push(ids);
  }
  if (offset >= bytes.length) fail();
  const autoLeave = bytes[offset++] === 1;
  const confState: ConfState = {
    voters: lists[0]!,
    votersOutgoing: lists[1]!,
    learners: lists[2]!,
    learnersNext: lists[3]!,
    autoLeave,
  };
  return { metadata: { index, term, confState }, data: copyBytes(bytes, offset) };
}

// ---------------------------------------------------------------------------------------------
// The storage

/** What the in-memory caches hold; one copy mirrors the LSM (visible), one the staged batch (pending). */
interface CachedState {
  hardState: HardState;
  truncated: TruncatedState;
  lastIndex: number;
  lastTerm: number;
  snapshotMetadata: SnapshotMetadata;
}

const EMPTY_SNAPSHOT_METADATA: SnapshotMetadata = { index: 0, term: 0, confState: EMPTY_CONF_STATE };

export class RaftLogStorage implements LogStorage {
  readonly rangeId: number;
  private readonly db: LsmDb;
  private visible: CachedState;
  private pending: CachedState | undefined;
  /**
   * Entries staged since the last markWritten(), contiguous and ending at pending.lastIndex, so that a
   * staged compaction or snapshot can look up a term the LSM does not hold yet.
   */
  private pendingEntries: Entry[] = [];

  private constructor(db: LsmDb, rangeId: number, state: CachedState) {
    this.db = db;
    this.rangeId = rangeId;
    this.visible = state;
  }

  /** Loads a range's log state from `db` (an empty log when nothing is stored for it). */
  static open(db: LsmDb, rangeId: number): RaftLogStorage {
    if (!Number.isSafeInteger(rangeId) || rangeId < 0) throw new RangeError(`RaftLogStorage: bad range id ${rangeId}`);
    const hardBytes = db.get(rangeKey(rangeId, KIND_HARD_STATE));
    const truncatedBytes = db.get(rangeKey(rangeId, KIND_TRUNCATED_STATE));
    const snapshotBytes = db.get(rangeKey(rangeId, KIND_SNAPSHOT));
    const hardState = hardBytes === undefined ? EMPTY_HARD_STATE : decodeHardState(hardBytes);
    const truncated = truncatedBytes === undefined ? { index: 0, term: 0 } : decodeTruncatedState(truncatedBytes);
    const snapshotMetadata = snapshotBytes === undefined ? EMPTY_SNAPSHOT_METADATA : decodeSnapshot(snapshotBytes).metadata;
    // The last index is the last entry key of the range; with no entries, the log ends at the truncation.
    let lastIndex = truncated.index;
    let lastTerm = truncated.term;
    const iterator = db.iterator({ lowerBound: rangeKey(rangeId, KIND_LOG_ENTRY), upperBound: rangeKey(rangeId, KIND_END) });
    try {
      iterator.seekToLast();
      if (iterator.valid()) {
        const entry = decodeEntry(iterator.value());
        if (entry.index <= truncated.index) {
          throw new RaftInvariantError('storage-contiguous', `entry ${entry.index} survives truncation at ${truncated.index}`);
        }
        lastIndex = entry.index;
        lastTerm = entry.term;
      }
    } finally {
      iterator.close();
    }
    return new RaftLogStorage(db, rangeId, { hardState, truncated, lastIndex, lastTerm, snapshotMetadata });
  }

  /** The [start, end) span of every key this range keeps, for destroying a replica. */
  static keySpan(rangeId: number): { start: Uint8Array; end: Uint8Array } {
    return { start: rangeKey(rangeId, 0), end: rangeKey(rangeId, KIND_END) };
  }

  // -------------------------------------------------------------------------------------------
  // Reads (LogStorage): from the visible state and the LSM.

  initialState(): InitialState {
    return { hardState: this.visible.hardState, confState: this.visible.snapshotMetadata.confState };
  }

  firstIndex(): number {
    return this.visible.truncated.index + 1;
  }

  lastIndex(): number {
    return this.visible.lastIndex;
  }

  term(index: number): number {
    const state = this.visible;
    if (index < state.truncated.index) throw new LogCompactedError(index, state.truncated.index + 1);
    if (index > state.lastIndex) throw new LogUnavailableError(index, state.lastIndex);
    if (index === state.truncated.index) return state.truncated.term;
    if (index === state.lastIndex) return state.lastTerm;
    return this.readEntry(index).term;
  }

  entries(lowIndex: number, highIndex: number, maxSizeBytes: number): Entry[] {
    const state = this.visible;
    if (lowIndex <= state.truncated.index) throw new LogCompactedError(lowIndex, state.truncated.index + 1);
    if (highIndex > state.lastIndex + 1) throw new LogUnavailableError(highIndex - 1, state.lastIndex);
    const result: Entry[] = [];
    if (lowIndex >= highIndex) return result;
    const iterator = this.db.iterator({
      lowerBound: rangeKey(this.rangeId, KIND_LOG_ENTRY, lowIndex),
      upperBound: rangeKey(this.rangeId, KIND_LOG_ENTRY, highIndex),
    });
    try {
      let size = 0;
      let expected = lowIndex;
      let cutForSize = false;
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
        const entry = decodeEntry(iterator.value());
        if (entry.index !== expected) throw new RaftInvariantError('storage-contiguous', `expected entry ${expected}, found ${entry.index}`);
        size += entrySizeBytes(entry);
        // limitSize's rule: stop once the budget is exceeded, but never return fewer than one entry.
        if (result.length > 0 && size > maxSizeBytes) {
          cutForSize = true;
          break;
        }
        result.push(entry);
        expected++;
      }
      if (!cutForSize && expected < highIndex) {
        throw new RaftInvariantError('storage-contiguous', `entries [${lowIndex}, ${highIndex}) missing from ${expected}`);
      }
    } finally {
      iterator.close();
    }
    return result;
  }

  snapshot(): Snapshot {
    const bytes = this.db.get(rangeKey(this.rangeId, KIND_SNAPSHOT));
    // Before any snapshot was staged-and-written the metadata is the empty one; it carries no data.
    if (bytes === undefined) return { metadata: this.visible.snapshotMetadata, data: new Uint8Array(0) };
    return decodeSnapshot(bytes);
  }

  private readEntry(index: number): Entry {
    const bytes = this.db.get(rangeKey(this.rangeId, KIND_LOG_ENTRY, index));
    if (bytes === undefined) throw new RaftInvariantError('storage-contiguous', `entry ${index} missing from range ${this.rangeId}`);
    return decodeEntry(bytes);
  }

  // -------------------------------------------------------------------------------------------
  // Writes: staged into the caller's batch; visible after markWritten().

  /** The state the staged writes lead to (a copy of the visible state when nothing is staged). */
  private staged(): CachedState {
    if (this.pending === undefined) this.pending = { ...this.visible };
    return this.pending;
  }

  /** Term of `index` as the staged writes leave it (the staged tail first, then the LSM). */
  private stagedTerm(index: number): number {
    const state = this.staged();
    if (index < state.truncated.index) throw new LogCompactedError(index, state.truncated.index + 1);
    if (index > state.lastIndex) throw new LogUnavailableError(index, state.lastIndex);
    if (index === state.truncated.index) return state.truncated.term;
    if (index === state.lastIndex) return state.lastTerm;
    const first = this.pendingEntries[0];
    if (first !== undefined && index >= first.index) return this.pendingEntries[index - first.index]!.term;
    return this.readEntry(index).term;
  }

  /** Stages a new group's initial membership (a snapshot at index 0), as MemoryLogStorage.withVoters. */
  bootstrap(batch: WriteBatch, confState: ConfState): void {
    const state = this.staged();
    if (state.lastIndex !== 0 || state.snapshotMetadata.index !== 0) {
      throw new RaftInvariantError('bootstrap-empty', `range ${this.rangeId} already has a log up to ${state.lastIndex}`);
    }
    const snapshot: Snapshot = { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
    batch.put(rangeKey(this.rangeId, KIND_SNAPSHOT), encodeSnapshot(snapshot));
    state.snapshotMetadata = snapshot.metadata;
  }

  setHardState(batch: WriteBatch, hardState: HardState): void {
    batch.put(rangeKey(this.rangeId, KIND_HARD_STATE), encodeHardState(hardState));
    this.staged().hardState = hardState;
  }

  /**
   * Stages entries, first deleting any stored entries at or after the first new index (a follower
   * replacing a conflicting tail). Entries at or below the truncation are ignored; the rest must be
   * contiguous with the log.
   */
  append(batch: WriteBatch, entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const state = this.staged();
    const first = state.truncated.index + 1;
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    const from = first > entries[0]!.index ? first - entries[0]!.index : 0;
    const startIndex = entries[from]!.index;
    if (startIndex > state.lastIndex + 1) {
      throw new RaftInvariantError('storage-contiguous', `append at ${startIndex} leaves a gap after last index ${state.lastIndex}`);
    }
    if (startIndex <= state.lastIndex) {
      // The tombstone is older (lower sequence) than the puts after it in the batch, so it deletes only
      // the old tail; the new entries written below survive it.
      batch.deleteRange(rangeKey(this.rangeId, KIND_LOG_ENTRY, startIndex), rangeKey(this.rangeId, KIND_LOG_ENTRY, state.lastIndex + 1));
    }
    const pendingFirst = this.pendingEntries[0];
    if (pendingFirst !== undefined && startIndex >= pendingFirst.index) {
      this.pendingEntries.length = startIndex - pendingFirst.index;
    } else {
      this.pendingEntries = [];
    }
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.index !== startIndex + i - from) {
        throw new RaftInvariantError('storage-contiguous', `entry ${entry.index} at position ${i} of an append from ${startIndex}`);
      }
      batch.put(rangeKey(this.rangeId, KIND_LOG_ENTRY, entry.index), encodeEntry(entry));
      this.pendingEntries.push(entry);
    }
    const lastEntry = entries[entries.length - 1]!;
    state.lastIndex = lastEntry.index;
    state.lastTerm = lastEntry.term;
  }

  /** Stages replacing the whole log with a snapshot received from the leader. */
  applySnapshot(batch: WriteBatch, snapshot: Snapshot): void {
    const state = this.staged();
    const currentIndex = state.snapshotMetadata.index;
    if (currentIndex >= snapshot.metadata.index) throw new SnapshotOutOfDateError(snapshot.metadata.index, currentIndex);
    batch.deleteRange(rangeKey(this.rangeId, KIND_LOG_ENTRY, 0), rangeKey(this.rangeId, KIND_END));
    batch.put(rangeKey(this.rangeId, KIND_SNAPSHOT), encodeSnapshot(snapshot));
    const truncated = { index: snapshot.metadata.index, term: snapshot.metadata.term };
    batch.put(rangeKey(this.rangeId, KIND_TRUNCATED_STATE), encodeTruncatedState(truncated));
    state.snapshotMetadata = snapshot.metadata;
    state.truncated = truncated;
    state.lastIndex = truncated.index;
    state.lastTerm = truncated.term;
    this.pendingEntries = [];
  }

  /**
   * Stages recording a snapshot of the applied state at `index` (which must be in the log), for sending
   * to slow followers, as MemoryLogStorage.createSnapshot. Returns the snapshot.
   */
  createSnapshot(batch: WriteBatch, index: number, confState: ConfState, data: Uint8Array): Snapshot {
    const state = this.staged();
    if (index <= state.snapshotMetadata.index) throw new SnapshotOutOfDateError(index, state.snapshotMetadata.index);
    if (index > state.lastIndex) {
      throw new RaftInvariantError('snapshot-within-log', `snapshot index ${index} beyond last index ${state.lastIndex}`);
    }
    const snapshot: Snapshot = { metadata: { index, term: this.stagedTerm(index), confState }, data };
    batch.put(rangeKey(this.rangeId, KIND_SNAPSHOT), encodeSnapshot(snapshot));
    state.snapshotMetadata = snapshot.metadata;
    return snapshot;
  }

  /**
   * Stages discarding entries up to and including `compactIndex` (at most the applied index: the
   * caller's responsibility). That entry's term moves into the truncated state, so it stays answerable.
   */
  compact(batch: WriteBatch, compactIndex: number): void {
    const state = this.staged();
    if (compactIndex <= state.truncated.index) throw new LogCompactedError(compactIndex, state.truncated.index + 1);
    if (compactIndex > state.lastIndex) throw new LogUnavailableError(compactIndex, state.lastIndex);
    const truncated = { index: compactIndex, term: this.stagedTerm(compactIndex) };
    batch.deleteRange(rangeKey(this.rangeId, KIND_LOG_ENTRY, 0), rangeKey(this.rangeId, KIND_LOG_ENTRY, compactIndex + 1));
    batch.put(rangeKey(this.rangeId, KIND_TRUNCATED_STATE), encodeTruncatedState(truncated));
    state.truncated = truncated;
    const pendingFirst = this.pendingEntries[0];
    if (pendingFirst !== undefined && compactIndex >= pendingFirst.index) {
      this.pendingEntries = this.pendingEntries.slice(compactIndex - pendingFirst.index + 1);
    }
  }

  /** Stages deleting every key of this range (a replica removed from the node); the log is then empty. */
  destroy(batch: WriteBatch): void {
    const span = RaftLogStorage.keySpan(this.rangeId);
    batch.deleteRange(span.start, span.end);
    this.pending = {
      hardState: EMPTY_HARD_STATE,
      truncated: { index: 0, term: 0 },
      lastIndex: 0,
      lastTerm: 0,
      snapshotMetadata: EMPTY_SNAPSHOT_METADATA,
    };
    this.pendingEntries = [];
  }

  /** True when writes are staged that markWritten() has not yet made visible. */
  hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Call once the batch holding the staged writes is written: reads now reflect them. */
  markWritten(): void {
    if (this.pending !== undefined) this.visible = this.pending;
    this.pending = undefined;
    this.pendingEntries = [];
  }

  /** Call if the batch holding the staged writes was not written: forgets them. */
  abandonPending(): void {
    this.pending = undefined;
    this.pendingEntries = [];
  }
}
