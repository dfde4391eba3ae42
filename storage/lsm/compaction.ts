// Writing sorted entries into new tables, dropping what no reader can see: the work of a compaction
// and of a flush (flush.ts), time-sliced so it never holds the event loop for long.
//
// What is dropped. Live snapshots cut the sequence numbers into stripes: stripe i holds the sequences
// in (snapshot[i-1], snapshot[i]], and the last stripe those above every snapshot. A reader at any
// snapshot sees, of two versions of a key in the same stripe, only the newer one. So, walking each
// user key's versions newest first:
//   - a version in the same stripe as the newer version before it is shadowed: dropped;
//   - a point entry covered by a range tombstone of the inputs in the same stripe is dropped;
//   - a deletion marker in the oldest stripe is dropped when no level below the output may hold the
//     key (nothing is left for it to hide); likewise a range tombstone in the oldest stripe whose range
//     meets no file below. A flush never drops these (older data is always below it).
//
// Output files. Compaction cuts an output once it reaches the target size (or overlaps too much of the
// level after next), only between two user keys, so a user key's entries never span files of a level.
// Output i covers the user keys [lower_i, upper_i): lower_0 and the last upper are unbounded, and
// upper_i = lower_{i+1} = the first user key of output i+1. Each output holds the kept range tombstones
// clipped to its bounds, so every tombstone covering a key is in the file whose range holds the key. A
// file's smallest key is the least of its first entry and its tombstone starts; its largest the
// greatest of its last entry and, for a tombstone end e, the exclusive bound (e, MAX_SEQUENCE,
// RangeDeletion), which sorts before every real entry of e.
//
// Invariants: outputs are synced and closed before they are returned; on any failure (or an abort
// when the database closes) every output written so far is removed and dropped from pendingOutputs.

import type { FileSystem, WritableFile } from '../env/file-system.js';
import type { BloomFilterPolicy } from './bloom-filter.js';
import type { Compaction } from './compaction-picker.js';
import {
  compareBytes,
  encodeInternalKey,
  filterKeyOf,
  internalKeyComparator,
  MAX_SEQUENCE,
  sequenceOf,
  ValueType,
  valueTypeOf,
} from './internal-key.js';
import type { KeyValueIterator } from './iterator.js';
import { joinPath, tableFileName } from './filenames.js';
import { LevelIterator, type PinnedTable, type TableSource } from './level-iterator.js';
import { MergingIterator } from './merging-iterator.js';
import { BLOCK_RESTART_INTERVAL, SLICE_ENTRY_LIMIT, type ResolvedLsmOptions } from './options.js';
import { RangeTombstoneSet, type RangeTombstone } from './range-tombstones.js';
import { TableBuilder } from './table-builder.js';
import type { TableCache, TableHandle } from './table-cache.js';
import { TableReader } from './table-reader.js';
import { TimeSlicer } from './time-slice.js';
import type { FileMetaData, VersionEdit } from './version-edit.js';
import { copyBytes } from './coding.js';

/** What flushes and compactions need from the database. */
export interface CompactionContext {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly options: ResolvedLsmOptions;
  readonly tableCache: TableCache;
  readonly filterPolicy: BloomFilterPolicy | undefined;
  /** Table numbers being written; obsolete-file deletion leaves them alone. */
  readonly pendingOutputs: Set<number>;
  newFileNumber(): number;
  /** Throws (StorageError 'CLOSED') when the work must stop because the database is closing. */
  checkContinue(): void;
  /**
   * For a compaction: a promise while more urgent work (a memtable flush, which writers may be waiting
   * for) is running, awaited between slices so that the flush gets the time. Undefined otherwise.
   */
  readonly waitForPriorityWork?: () => Promise<void> | undefined;
}

/** Answers about the levels below a compaction's output; absent for a flush. */
export interface BaseLevelOracle {
  isBaseLevelForKey(userKey: Uint8Array): boolean;
  isBaseLevelForRange(start: Uint8Array, end: Uint8Array): boolean;
}

export interface MergeSpec {
  /** Point entries by internal key (no range deletions). Positioned by the merge. */
  readonly input: KeyValueIterator;
  readonly tombstones: readonly RangeTombstone[];
  /** Sequences of live snapshots, ascending. */
  readonly snapshots: readonly number[];
  readonly base: BaseLevelOracle | undefined;
  readonly maxOutputFileBytes: number;
  readonly shouldStopBefore?: (internalKey: Uint8Array) => boolean;
}

export interface MergeResult {
  readonly outputs: FileMetaData[];
  readonly bytesWritten: number;
  readonly entriesRead: number;
  readonly entriesDropped: number;
}

/** Index of the stripe holding `sequence`: the first snapshot >= it, or snapshots.length. */
function stripeOf(snapshots: readonly number[], sequence: number): number {
  let low = 0;
  let high = snapshots.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (snapshots[middle]! < sequence) low = middle + 1;
    else high = middle;
  }
  return low;
}

function compareUserKeys(a: Uint8Array, b: Uint8Array): number {
  return compareBytes(a, a.length, b, b.length);
}

/** Builds one output table at a time; see the file comment for bounds and tombstone clipping. */
class OutputWriter {
  readonly outputs: FileMetaData[] = [];
  bytesWritten = 0;
  private current:
    | { number: number; file: WritableFile; builder: TableBuilder; lower: Uint8Array | undefined }
    | undefined;
  /** Lower bound of the next output: the upper bound of the last one finished. */
  private nextLower: Uint8Array | undefined;

  constructor(
    private readonly context: CompactionContext,
    private readonly tombstones: readonly RangeTombstone[],
  ) {}

  get isOpen(): boolean {
    return this.current !== undefined;
  }

  get currentSizeBytes(): number {
    return this.current?.builder.estimatedSizeBytes ?? 0;
  }

  add(key: Uint8Array, value: Uint8Array): void {
    if (this.current === undefined) this.open();
    this.current!.builder.add(key, value);
  }

  /** Ends the open output at `upper` (exclusive user key; undefined: unbounded). */
  async finish(upperView: Uint8Array | undefined): Promise<void> {
    if (this.current === undefined) this.open();
    // A copy: the caller's key buffer is reused, and the bound lives on as the next output's lower one.
    const upper = upperView === undefined ? undefined : copyBytes(upperView);
    const { number, file, builder, lower } = this.current!;
    let tombstoneCount = 0;
    let tombstoneSmallest: Uint8Array | undefined;
    let tombstoneLargest: Uint8Array | undefined;
    for (const tombstone of this.tombstones) {
      const start = lower !== undefined && compareUserKeys(tombstone.start, lower) < 0 ? lower : tombstone.start;
      const end = upper !== undefined && compareUserKeys(tombstone.end, upper) > 0 ? upper : tombstone.end;
      if (compareUserKeys(start, end) >= 0) continue;
      const startKey = encodeInternalKey(start, tombstone.sequence, ValueType.RangeDeletion);
      builder.addRangeTombstone(startKey, end);
      tombstoneCount++;
      if (tombstoneSmallest === undefined || internalKeyComparator.compare(startKey, tombstoneSmallest) < 0) {
        tombstoneSmallest = startKey;
      }
      const bound = encodeInternalKey(end, MAX_SEQUENCE, ValueType.RangeDeletion);
      if (tombstoneLargest === undefined || internalKeyComparator.compare(bound, tombstoneLargest) > 0) tombstoneLargest = bound;
    }
    const properties = builder.finish();
    this.current = undefined;
    this.nextLower = upper;
    if (properties.entryCount === 0 && tombstoneCount === 0) {
      file.close();
      this.context.fs.remove(joinPath(this.context.dir, tableFileName(number)));
      this.context.pendingOutputs.delete(number);
      return;
    }
    let smallest = properties.smallestKey ?? tombstoneSmallest!;
    if (tombstoneSmallest !== undefined && internalKeyComparator.compare(tombstoneSmallest, smallest) < 0) smallest = tombstoneSmallest;
    let largest = properties.largestKey ?? tombstoneLargest!;
    if (tombstoneLargest !== undefined && internalKeyComparator.compare(tombstoneLargest, largest) > 0) largest = tombstoneLargest;
    try {
      await file.sync();
    } finally {
      file.close();
    }
    this.outputs.push({
      number,
      sizeBytes: properties.sizeBytes,
      smallest,
      largest,
      entryCount: properties.entryCount,
      rangeTombstoneCount: tombstoneCount,
    });
    this.bytesWritten += properties.sizeBytes;
  }

  /** Removes every file this writer created (after a failure or an abort). */
  abandon(): void {
    const { fs, dir, pendingOutputs } = this.context;
    if (this.current !== undefined) {
      this.current.builder.abandon();
      this.current.file.close();
      fs.remove(joinPath(dir, tableFileName(this.current.number)));
      pendingOutputs.delete(this.current.number);
      this.current = undefined;
    }
    for (const output of this.outputs) {
      fs.remove(joinPath(dir, tableFileName(output.number)));
      pendingOutputs.delete(output.number);
    }
    this.outputs.length = 0;
  }

  private open(): void {
    const { fs, dir, options, filterPolicy, pendingOutputs } = this.context;
    const number = this.context.newFileNumber();
    pendingOutputs.add(number);
    const file = fs.createWritable(joinPath(dir, tableFileName(number)));
    const builder = new TableBuilder(file, {
      comparator: internalKeyComparator,
      blockSizeBytes: options.blockSizeBytes,
      restartInterval: BLOCK_RESTART_INTERVAL,
      ...(filterPolicy === undefined ? {} : { filterPolicy, filterKeyOf }),
    });
    this.current = { number, file, builder, lower: this.nextLower };
  }
}

/**
 * Merges `spec.input` and `spec.tombstones` into new tables, dropping what no reader needs (see the
 * file comment). Yields the event loop every slice. The caller installs the outputs and then removes
 * their numbers from pendingOutputs.
 */
export async function mergeToTables(context: CompactionContext, spec: MergeSpec): Promise<MergeResult> {
  const { snapshots, base } = spec;
  const coverage = spec.tombstones.length === 0 ? RangeTombstoneSet.EMPTY : new RangeTombstoneSet(spec.tombstones);
  const keptTombstones = spec.tombstones.filter(
    (tombstone) =>
      compareUserKeys(tombstone.start, tombstone.end) < 0 &&
      !(base !== undefined && stripeOf(snapshots, tombstone.sequence) === 0 && base.isBaseLevelForRange(tombstone.start, tombstone.end)),
  );
  const writer = new OutputWriter(context, keptTombstones);
  const slicer = new TimeSlicer(context.options.clock, context.options.compactionSliceMs, SLICE_ENTRY_LIMIT);
  let entriesRead = 0;
  let entriesDropped = 0;
  try {
    const input = spec.input;
    // The current user key, copied into a reused buffer (input keys are views that move on next()).
    let userKeyBuffer = new Uint8Array(64);
    let currentUserKey: Uint8Array | undefined;
    let lastStripe = -1;
    let addedCurrentUserKey = false;
    for (input.seekToFirst(); input.valid(); input.next()) {
      if (slicer.tick()) {
        await slicer.pause();
        const priority = context.waitForPriorityWork?.();
        if (priority !== undefined) {
          await priority;
          slicer.restart();
        }
        context.checkContinue();
      }
      entriesRead++;
      const key = input.key();
      const type = valueTypeOf(key);
      if (type === ValueType.RangeDeletion) throw new Error('mergeToTables: a range deletion among point entries');
      const userKeyLength = key.length - 8;
      const sequence = sequenceOf(key);
      if (currentUserKey === undefined || compareBytes(key, userKeyLength, currentUserKey, currentUserKey.length) !== 0) {
        if (currentUserKey !== undefined && compareBytes(key, userKeyLength, currentUserKey, currentUserKey.length) < 0) {
          throw new Error('mergeToTables: input keys out of order');
        }
        if (userKeyBuffer.length < userKeyLength) userKeyBuffer = new Uint8Array(Math.max(userKeyLength, userKeyBuffer.length * 2));
        userKeyBuffer.set(key.subarray(0, userKeyLength));
        currentUserKey = userKeyBuffer.subarray(0, userKeyLength);
        lastStripe = -1;
        addedCurrentUserKey = false;
      }
      const stripe = stripeOf(snapshots, sequence);
      let drop = false;
      if (stripe === lastStripe) {
        drop = true;
      } else if (type === ValueType.Deletion && stripe === 0 && base !== undefined && base.isBaseLevelForKey(currentUserKey)) {
        drop = true;
      } else if (
        !coverage.isEmpty &&
        coverage.isCovered(currentUserKey, sequence, stripe < snapshots.length ? snapshots[stripe]! : MAX_SEQUENCE)
      ) {
        drop = true;
      }
      lastStripe = stripe;
      if (drop) {
        entriesDropped++;
        continue;
      }
      if (!addedCurrentUserKey && writer.isOpen) {
        const stopForGrandparents = spec.shouldStopBefore?.(key) ?? false;
        if (writer.currentSizeBytes >= spec.maxOutputFileBytes || stopForGrandparents) await writer.finish(currentUserKey);
      }
      writer.add(key, input.value());
      addedCurrentUserKey = true;
    }
    context.checkContinue();
    if (writer.isOpen || keptTombstones.length > 0) await writer.finish(undefined);
  } catch (error) {
    writer.abandon();
    throw error;
  }
  return { outputs: writer.outputs, bytesWritten: writer.bytesWritten, entriesRead, entriesDropped };
}

/**
 * Compaction's inputs are read once, in order, so they bypass the block cache (LevelDB's
 * fill_cache = false): caching them would evict the blocks readers use and keep soon-deleted blocks
 * alive. Each input gets its own reader, closed when the compaction moves past it.
 */
class UncachedTables implements TableSource {
  constructor(private readonly context: CompactionContext) {}

  acquire(fileNumber: number): PinnedTable {
    const { fs, dir, filterPolicy } = this.context;
    const file = fs.openRandomAccess(joinPath(dir, tableFileName(fileNumber)));
    let reader: TableReader;
    try {
      reader = TableReader.open(file, { comparator: internalKeyComparator, fileNumber, filterPolicy, filterKeyOf, verifyChecksums: true });
    } catch (error) {
      file.close();
      throw error;
    }
    return { reader, release: () => reader.close() };
  }
}

export interface CompactionResult {
  readonly edit: VersionEdit;
  readonly outputs: readonly FileMetaData[];
  readonly trivialMove: boolean;
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/**
 * Runs `compaction`: a trivial move as an edit alone, otherwise a merge of its inputs into new tables of
 * the output level. Returns the edit to apply (inputs deleted, outputs added); does not apply it.
 */
export async function runCompaction(
  context: CompactionContext,
  compaction: Compaction,
  snapshots: readonly number[],
): Promise<CompactionResult> {
  const edit = compaction.edit;
  if (compaction.isTrivialMove()) {
    const file = compaction.inputs[0][0]!;
    edit.deleteFile(compaction.level, file.number);
    edit.addFile(compaction.outputLevel, file);
    return { edit, outputs: [], trivialMove: true, bytesRead: 0, bytesWritten: 0 };
  }
  const handles: TableHandle[] = [];
  const children: KeyValueIterator[] = [];
  let merged: KeyValueIterator | undefined;
  try {
    const tombstones: RangeTombstone[] = [];
    for (const { file } of compaction.allInputs()) {
      if (file.rangeTombstoneCount === 0) continue;
      const handle = context.tableCache.acquire(file.number);
      handles.push(handle);
      tombstones.push(...handle.rangeTombstones());
    }
    const tables = new UncachedTables(context);
    if (compaction.level === 0) {
      for (const file of compaction.inputs[0]) children.push(new LevelIterator([file], tables));
    } else {
      children.push(new LevelIterator(compaction.inputs[0], tables));
    }
    if (compaction.inputs[1].length > 0) children.push(new LevelIterator(compaction.inputs[1], tables));
    merged = new MergingIterator(internalKeyComparator, children);
    const result = await mergeToTables(context, {
      input: merged,
      tombstones,
      snapshots,
      base: compaction,
      maxOutputFileBytes: compaction.maxOutputFileBytes,
      shouldStopBefore: (key) => compaction.shouldStopBefore(key),
    });
    compaction.addInputDeletions(edit);
    for (const output of result.outputs) edit.addFile(compaction.outputLevel, output);
    return {
      edit,
      outputs: result.outputs,
      trivialMove: false,
      bytesRead: compaction.inputBytes(),
      bytesWritten: result.bytesWritten,
    };
  } finally {
    if (merged !== undefined) merged.close();
    else for (const child of children) child.close();
    for (const handle of handles) handle.release();
  }
}
