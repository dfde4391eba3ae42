// The write path, with group commit. Writes queue; one leader at a time (started in a microtask, so
// every write issued in the same turn joins one group) takes queued batches up to
// MAX_WRITE_GROUP_BYTES, gives them consecutive sequence numbers, appends them to the WAL as one record
// (one serialized batch, which recovery decodes as one), awaits one WAL sync if any of them asked for
// it, inserts them into the memtable, and only then advances the visible sequence and resolves their
// promises, in order. While a sync is in flight the next writers queue up and form the next group, so
// N concurrent synced writers share far fewer than N fsyncs.
//
// Single-record writes (put, delete, deleteRange) issued in one turn share one queued batch and one
// promise instead of a batch, a buffer and a promise each.
//
// Room. Before each group the leader makes room: from level0SlowdownTrigger level-0 files each group
// waits ~1 ms; a full memtable is frozen and a new WAL and memtable started, unless maxFrozenMemtables
// already wait for their flush or level 0 has level0StopTrigger files, in which case writers wait for
// the background. When a new WAL starts, the old one is synced and the directory synced before any
// later synced write is acknowledged, so a synced write is durable with everything before it.
//
// The leader yields the event loop (setImmediate) when it has run for more than compactionSliceMs
// without one, so runs of writes resolving in microtasks cannot starve timers, I/O and background work.
//
// Invariants: sequences are assigned in queue order and become visible in that order; the memtable a
// group is inserted into is the one whose WAL holds its record (only the leader switches memtables,
// between groups); a WAL append or sync failure fails the database (the WAL's tail is unknown).

import { StorageError } from '../env/errors.js';
import type { BackgroundWork } from './background-work.js';
import { MAX_WAIT_ROUNDS, type DbState } from './db-state.js';
import { joinPath, logFileName } from './filenames.js';
import { MAX_SEQUENCE } from './internal-key.js';
import { MemTable } from './memtable.js';
import { MAX_WRITE_GROUP_BYTES } from './options.js';
import { yieldToEventLoop } from './time-slice.js';
import { WalWriter } from './wal-writer.js';
import { WriteBatch } from './write-batch.js';

interface QueuedWrite {
  readonly kind: 'write';
  readonly batch: WriteBatch;
  /** True when any write in it asked for durability (a shared item collects several). */
  sync: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A batch single-record writes append to, with the one promise they all return. */
interface SharedWrite extends QueuedWrite {
  readonly promise: Promise<void>;
}

/** A request the leader handles between groups: freeze the memtable now, or just mark a point. */
interface QueuedControl {
  readonly kind: 'freeze' | 'barrier';
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type QueueItem = QueuedWrite | QueuedControl;

/** A shared batch stops taking writes at this size, so one item never outgrows a write group. */
const SHARED_BATCH_BYTES_MAX = 256 * 1024;

/**
 * A FIFO whose dequeue is O(1): a head index into an array compacted as it drains. Its length is
 * bounded only by callers that queue writes without awaiting them; memory for their data is bounded
 * by the stalls above, which hold the queue back rather than let memtables grow.
 */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

export class WritePipeline {
  private readonly state: DbState;
  private readonly background: BackgroundWork;
  private readonly queue = new Fifo<QueueItem>();
  /** The shared batch single writes are appended to; the last item of the queue while set. */
  private openShared: SharedWrite | undefined;
  private leaderActive = false;
  private readonly groupBatch = new WriteBatch();
  private turnProbePending = false;
  private turnStartMs = 0;

  constructor(state: DbState, background: BackgroundWork) {
    this.state = state;
    this.background = background;
    state.onFailure((error) => this.failQueue(error));
  }

  /** Queues `batch`; resolves when its entries are visible (and durable, with `sync`). */
  write(batch: WriteBatch, sync: boolean): Promise<void> {
    if (batch.count === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.push({ kind: 'write', batch, sync, resolve, reject });
    });
  }

  /**
   * Appends one record to the open shared batch, starting one if there is none. The record is copied
   * now, so the caller may reuse its buffers; an invalid one rejects this call alone (WriteBatch
   * leaves itself unchanged when it refuses a record).
   */
  writeOne(sync: boolean, add: (batch: WriteBatch) => void): Promise<void> {
    let shared = this.openShared;
    if (shared === undefined || shared.batch.byteSize >= SHARED_BATCH_BYTES_MAX) {
      const batch = new WriteBatch();
      try {
        add(batch);
      } catch (error) {
        return Promise.reject(error);
      }
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((resolvePromise, rejectPromise) => {
        resolve = resolvePromise;
        reject = rejectPromise;
      });
      shared = { kind: 'write', batch, sync: false, resolve, reject, promise };
      this.push(shared);
      this.openShared = shared;
    } else {
      try {
        add(shared.batch);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (sync) shared.sync = true;
    return shared.promise;
  }

  /** Freezes the memtable (if it holds anything) after every write queued before this call. */
  freeze(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.push({ kind: 'freeze', resolve, reject }));
  }

  /** Resolves once every write queued before this call has settled. */
  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.leaderActive) return Promise.resolve();
    return new Promise<void>((resolve) => this.push({ kind: 'barrier', resolve, reject: () => resolve() }));
  }

  private push(item: QueueItem): void {
    this.queue.push(item);
    // Later single writes must come after this item, so they start a new shared batch.
    this.openShared = undefined;
    if (this.leaderActive) return;
    this.leaderActive = true;
    queueMicrotask(() => void this.runLeader());
  }

  /** Takes groups off the queue until it is empty. Only one runs at a time (leaderActive). */
  private async runLeader(): Promise<void> {
    try {
      // Each round handles at least one queued item or fails them all, so the loop ends when the queue
      // stays empty; items queued meanwhile are handled by the same loop.
      while (this.queue.length > 0) {
        const failure = this.state.backgroundError;
        if (failure !== undefined) {
          this.failQueue(failure);
          break;
        }
        const head = this.queue.peek()!;
        if (head.kind === 'barrier') {
          this.queue.shift();
          head.resolve();
          continue;
        }
        const room = this.makeRoomForWrite(head.kind === 'freeze');
        if (room !== undefined) {
          try {
            await room;
          } catch (error) {
            this.failQueue(error);
            break;
          }
        }
        if (this.needsYield()) await yieldToEventLoop();
        // A failure while waiting may have emptied the queue; start over from its current head.
        if (this.queue.peek() !== head) continue;
        if (head.kind === 'freeze') {
          this.queue.shift();
          head.resolve();
          continue;
        }
        await this.writeGroup();
      }
    } finally {
      this.leaderActive = false;
      if (this.queue.length > 0) {
        this.leaderActive = true;
        queueMicrotask(() => void this.runLeader());
      }
    }
  }

  /** Writes one group: the queued writes at the head, up to MAX_WRITE_GROUP_BYTES. */
  private async writeGroup(): Promise<void> {
    const state = this.state;
    const group: QueuedWrite[] = [];
    let groupBytes = 0;
    let sync = false;
    let count = 0;
    // Bounded by the queue length and the group byte limit.
    for (let next = this.queue.peek(); next !== undefined && next.kind === 'write'; next = this.queue.peek()) {
      if (group.length > 0 && groupBytes + next.batch.byteSize > MAX_WRITE_GROUP_BYTES) break;
      this.queue.shift();
      // Taken into a group: no more records may join it.
      if (next === this.openShared) this.openShared = undefined;
      group.push(next);
      groupBytes += next.batch.byteSize;
      count += next.batch.count;
      sync ||= next.sync;
    }
    const baseSequence = state.lastSequence + 1;
    if (baseSequence + count - 1 >= MAX_SEQUENCE) {
      for (const write of group) write.reject(new StorageError('INVALID_ARGUMENT', 'sequence numbers are exhausted'));
      return;
    }
    try {
      let record: Uint8Array;
      if (group.length === 1) {
        record = group[0]!.batch.encode(baseSequence);
      } else {
        const combined = this.groupBatch;
        combined.clear();
        for (const write of group) combined.append(write.batch);
        record = combined.encode(baseSequence);
        combined.clear();
      }
      state.wal.addRecord(record);
      state.counters.walBytesWritten += record.length;
      state.counters.userBytesWritten += groupBytes;
      state.counters.writeGroups++;
      if (sync) {
        if (state.walPrerequisite !== undefined) await state.walPrerequisite;
        await state.wal.sync();
        state.counters.walSyncs++;
      }
    } catch (error) {
      // The WAL's tail is now unknown: stop accepting writes, as LevelDB does.
      state.fail(error);
      for (const write of group) write.reject(state.backgroundError ?? error);
      return;
    }
    let sequence = baseSequence;
    for (const write of group) {
      state.mem.addBatch(write.batch, sequence);
      sequence += write.batch.count;
    }
    state.lastSequence = sequence - 1;
    for (const write of group) write.resolve();
  }

  private failQueue(error: unknown): void {
    this.openShared = undefined;
    for (const item of this.queue.drain()) item.reject(error);
  }

  /**
   * True when the leader has held the event loop for more than a slice: a setImmediate probe set at
   * the start of the turn has not run yet.
   */
  private needsYield(): boolean {
    const now = this.state.options.clock.monotonicMs();
    if (!this.turnProbePending) {
      this.turnProbePending = true;
      this.turnStartMs = now;
      setImmediate(() => {
        this.turnProbePending = false;
      });
      return false;
    }
    return now - this.turnStartMs > this.state.options.compactionSliceMs;
  }

  /** Undefined when the memtable has room and no delay applies; otherwise the wait for room. */
  private makeRoomForWrite(force: boolean): Promise<void> | undefined {
    const { options, mem, files } = this.state;
    if (
      !force &&
      mem.approximateSizeBytes < options.memtableSizeBytes &&
      files.versions.current.fileCount(0) < options.level0SlowdownTrigger
    ) {
      return undefined;
    }
    return this.makeRoomSlowly(force);
  }

  private async makeRoomSlowly(force: boolean): Promise<void> {
    const state = this.state;
    const options = state.options;
    let allowDelay = !force;
    for (let round = 0; round < MAX_WAIT_ROUNDS; round++) {
      if (state.backgroundError !== undefined) throw state.backgroundError;
      const level0Files = state.files.versions.current.fileCount(0);
      if (allowDelay && level0Files >= options.level0SlowdownTrigger) {
        // Hand compaction about a millisecond rather than stopping writes later for much longer.
        allowDelay = false;
        state.counters.slowdownCount++;
        await this.stall(new Promise<void>((resolve) => options.clock.setTimer(1, resolve)));
        continue;
      }
      if (force ? state.mem.entryCount === 0 : state.mem.approximateSizeBytes < options.memtableSizeBytes) return;
      if (state.frozen.length >= options.maxFrozenMemtables || level0Files >= options.level0StopTrigger) {
        state.counters.stopCount++;
        this.background.schedule();
        await this.stall(state.nextChange());
        continue;
      }
      this.switchMemtable();
      return;
    }
    throw new Error(`makeRoomForWrite: still stalled after ${MAX_WAIT_ROUNDS} rounds`);
  }

  private async stall(wait: Promise<void>): Promise<void> {
    const clock = this.state.options.clock;
    const startMs = clock.monotonicMs();
    await wait;
    this.state.counters.stallTimeMs += clock.monotonicMs() - startMs;
  }

  /** Freezes the memtable and starts a new WAL and memtable. Called by the leader between groups. */
  private switchMemtable(): void {
    const state = this.state;
    const { fs, dir } = state.options;
    const number = state.files.versions.newFileNumber();
    const file = fs.createWritable(joinPath(dir, logFileName(number)));
    const oldWal = state.wal;
    const previous = state.walPrerequisite;
    const prerequisite = (async () => {
      if (previous !== undefined) await previous;
      try {
        await oldWal.sync();
      } finally {
        oldWal.close();
      }
      await fs.syncDir(dir);
    })();
    state.walPrerequisite = prerequisite;
    prerequisite.then(
      () => {
        if (state.walPrerequisite === prerequisite) state.walPrerequisite = undefined;
      },
      (error: unknown) => state.fail(error),
    );
    state.frozen.push({ memtable: state.mem, logNumber: state.walNumber });
    state.mem = new MemTable();
    state.wal = new WalWriter(file);
    state.walNumber = number;
    this.background.schedule();
  }
}
