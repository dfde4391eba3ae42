// The background work of an open database: one task flushing frozen memtables to level 0, oldest first,
// and one task running compactions — manual ones (compactRange) first, then whatever the picker finds
// most urgent. Both are time-sliced (compaction.ts) and run on the event loop between other work; a
// compaction pauses while a flush runs, because writers may be waiting for that flush.
//
// A flush installs its table (MANIFEST edit, with the log number moved past the flushed memtable's WAL)
// before the memtable leaves the read path, then deletes that WAL. A compaction's outputs are synced
// and the directory synced before the edit that lists them. Any failure puts the database into the
// failed state (DbState.fail); closing stops both tasks at their next slice.
//
// Invariants: at most one flush task and one compaction task run at a time; a manual request is
// resolved only after every level from 0 to its last level has been compacted over its range, or
// rejected with the failure or close that stopped it.

import { StorageError } from '../env/errors.js';
import type { CompactionContext } from './compaction.js';
import { runCompaction } from './compaction.js';
import { bestLevelScore, pickCompaction, pickRangeCompaction, type Compaction } from './compaction-picker.js';
import { MAX_WAIT_ROUNDS, type DbState } from './db-state.js';
import { joinPath, logFileName } from './filenames.js';
import { flushMemTable } from './flush.js';
import { internalKeyComparator, userKeyOf } from './internal-key.js';
import { NUM_LEVELS } from './options.js';
import { yieldToEventLoop } from './time-slice.js';
import { VersionEdit } from './version-edit.js';
import { copyBytes } from './coding.js';

interface ManualCompaction {
  /** The level compacted next (into level + 1). */
  level: number;
  /** The deepest level holding data in the range when the request was made. */
  readonly lastLevel: number;
  readonly begin: Uint8Array | undefined;
  readonly end: Uint8Array | undefined;
  /** Where the next round of the current level starts (levels >= 1 proceed by key). */
  cursor: Uint8Array | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class BackgroundWork {
  private readonly state: DbState;
  /** As the state's context, plus: a compaction pauses while a flush runs. */
  private readonly compactionContext: CompactionContext;
  private flushRunning = false;
  private flushTask: Promise<void> = Promise.resolve();
  private compactionRunning = false;
  private compactionTask: Promise<void> = Promise.resolve();
  private readonly manualCompactions: ManualCompaction[] = [];

  constructor(state: DbState) {
    this.state = state;
    this.compactionContext = {
      ...state.context,
      waitForPriorityWork: () => (this.flushRunning ? this.flushesIdle() : undefined),
    };
  }

  /** Starts whichever task has work and is not running. Cheap; called after anything that adds work. */
  schedule(): void {
    const state = this.state;
    if (state.backgroundError !== undefined || state.stopping) return;
    if (!this.flushRunning && state.frozen.length > 0) {
      this.flushRunning = true;
      this.flushTask = this.runFlushes();
    }
    if (!this.compactionRunning && (this.manualCompactions.length > 0 || this.needsCompaction())) {
      this.compactionRunning = true;
      this.compactionTask = this.runCompactions();
    }
  }

  /** Resolves when every memtable frozen before the call is in a table; rejects on failure or close. */
  async flushFrozen(): Promise<void> {
    const state = this.state;
    const target = state.frozen.length === 0 ? 0 : state.frozen[state.frozen.length - 1]!.logNumber;
    this.schedule();
    for (let round = 0; state.frozen.length > 0 && state.frozen[0]!.logNumber <= target; round++) {
      if (round >= MAX_WAIT_ROUNDS) throw new Error('flush: frozen memtables never drained');
      if (state.backgroundError !== undefined) throw state.backgroundError;
      if (state.stopping) throw new StorageError('CLOSED', 'flush: the database closed before the flush finished');
      await state.nextChange();
    }
    if (state.backgroundError !== undefined) throw state.backgroundError;
  }

  /** Compacts every level from 0 to `lastLevel - 1` over [begin, end] into the next. */
  compactRange(begin: Uint8Array | undefined, end: Uint8Array | undefined): Promise<void> {
    const state = this.state;
    if (state.backgroundError !== undefined) return Promise.reject(state.backgroundError);
    if (state.stopping) return Promise.reject(new StorageError('CLOSED', 'compactRange: the database is closing'));
    const version = state.files.versions.current;
    let lastLevel = 1;
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.overlappingFiles(level, begin, end).length > 0) lastLevel = level;
    }
    return new Promise<void>((resolve, reject) => {
      this.manualCompactions.push({ level: 0, lastLevel, begin, end, cursor: begin, resolve, reject });
      this.schedule();
    });
  }

  /** Waits for both tasks to stop (after `state.stopping` was set) and rejects pending requests. */
  async stopped(): Promise<void> {
    this.state.notifyChange();
    await this.flushTask;
    await this.compactionTask;
    const closing = new StorageError('CLOSED', 'compactRange: the database closed first');
    for (const manual of this.manualCompactions.splice(0)) manual.reject(closing);
  }

  private needsCompaction(): boolean {
    return bestLevelScore(this.state.files.versions.current, this.state.options).score >= 1;
  }

  /** Resolves once no flush is running (or the database failed or is closing). */
  private async flushesIdle(): Promise<void> {
    const state = this.state;
    // Each round waits for a background event; the flush task ends when the frozen queue is empty.
    for (let round = 0; this.flushRunning && round < MAX_WAIT_ROUNDS; round++) {
      if (state.backgroundError !== undefined || state.stopping) return;
      await state.nextChange();
    }
  }

  private async runFlushes(): Promise<void> {
    const state = this.state;
    const { versions, pendingOutputs } = state.files;
    const { fs, dir } = state.options;
    try {
      // Each round flushes the oldest frozen memtable; writers add at most maxFrozenMemtables more.
      while (state.frozen.length > 0 && state.backgroundError === undefined && !state.stopping) {
        const oldest = state.frozen[0]!;
        const result = await flushMemTable(state.context, oldest.memtable, state.snapshots.sequences());
        state.context.checkContinue();
        const edit = new VersionEdit();
        if (result.file !== undefined) {
          edit.addFile(0, result.file);
          await fs.syncDir(dir);
        }
        edit.logNumber = state.frozen[1]?.logNumber ?? state.walNumber;
        versions.lastSequence = Math.max(versions.lastSequence, state.lastSequence);
        await versions.logAndApply(edit);
        if (result.file !== undefined) pendingOutputs.delete(result.file.number);
        if (state.frozen[0] !== oldest) throw new Error('flush: the oldest frozen memtable changed during its flush');
        // The table is installed, so the memtable can leave the read path and its WAL can go.
        state.frozen.shift();
        fs.remove(joinPath(dir, logFileName(oldest.logNumber)));
        state.counters.flushes++;
        state.counters.flushBytesWritten += result.bytesWritten;
        state.notifyChange();
        this.schedule();
      }
    } catch (error) {
      this.failed(error);
    } finally {
      this.flushRunning = false;
      state.notifyChange();
      this.schedule();
    }
  }

  private async runCompactions(): Promise<void> {
    const state = this.state;
    const { versions, pendingOutputs } = state.files;
    try {
      // Each round runs one compaction, which lowers a level's score or advances a manual request;
      // the loop ends when no level needs work. The round limit only guards against a picker bug.
      for (let round = 0; round < MAX_WAIT_ROUNDS; round++) {
        if (state.backgroundError !== undefined || state.stopping) break;
        const compaction = this.nextCompaction();
        if (compaction === undefined) {
          if (this.manualCompactions.length > 0) continue;
          break;
        }
        try {
          const result = await runCompaction(this.compactionContext, compaction, state.snapshots.sequences());
          state.context.checkContinue();
          if (result.outputs.length > 0) await state.options.fs.syncDir(state.options.dir);
          versions.lastSequence = Math.max(versions.lastSequence, state.lastSequence);
          await versions.logAndApply(result.edit);
          for (const output of result.outputs) pendingOutputs.delete(output.number);
          if (result.trivialMove) state.counters.trivialMoves++;
          else state.counters.compactions++;
          state.counters.compactionBytesRead += result.bytesRead;
          state.counters.compactionBytesWritten += result.bytesWritten;
        } finally {
          compaction.release();
        }
        state.notifyChange();
        // A pause between compactions lets a waiting flush take its turn.
        await yieldToEventLoop();
      }
    } catch (error) {
      this.failed(error);
    } finally {
      this.compactionRunning = false;
      if (state.backgroundError !== undefined || state.stopping) {
        const error = state.backgroundError ?? new StorageError('CLOSED', 'compactRange: the database is closing');
        for (const manual of this.manualCompactions.splice(0)) manual.reject(error);
      }
      state.notifyChange();
      this.schedule();
    }
  }

  /** The next manual round if one is pending (resolving finished requests), else a size compaction. */
  private nextCompaction(): Compaction | undefined {
    const { versions } = this.state.files;
    const options = this.state.options;
    const version = versions.current;
    const manual = this.manualCompactions[0];
    if (manual === undefined) return pickCompaction(version, versions.compactPointers, options);
    // Each round of this loop moves to a deeper level; at most NUM_LEVELS rounds.
    while (manual.level < manual.lastLevel) {
      const compaction = pickRangeCompaction(version, manual.level, manual.cursor, manual.end, options);
      if (compaction !== undefined) {
        if (manual.level === 0) {
          // One round takes every overlapping level-0 file; newer ones flushed meanwhile wait for the
          // size compactions, so a steady stream of writes cannot keep this request going forever.
          manual.level = 1;
          manual.cursor = manual.begin;
        } else {
          let largest = compaction.inputs[0][0]!.largest;
          for (const file of compaction.inputs[0]) if (internalKeyComparator.compare(file.largest, largest) > 0) largest = file.largest;
          manual.cursor = copyBytes(userKeyOf(largest));
        }
        return compaction;
      }
      manual.level++;
      manual.cursor = manual.begin;
    }
    this.manualCompactions.shift();
    manual.resolve();
    return undefined;
  }

  private failed(error: unknown): void {
    // Work stopped by close is not a failure of the database.
    if (this.state.stopping && error instanceof StorageError && error.code === 'CLOSED') return;
    this.state.fail(error);
  }
}
