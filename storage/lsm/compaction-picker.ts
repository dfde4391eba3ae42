// Which compaction to run next, and the facts a running compaction asks about its inputs. LevelDB's
// picker (db/version_set.cc): each level has a score, level 0 by file count (files / trigger) and
// deeper levels by size (bytes / target, target = levelBase × multiplier^(L-1)); the level with the
// highest score >= 1 is compacted. Within a level, compactions rotate through the key space: the next
// one starts after the largest key of the previous one (the compact pointer).
//
// A compaction takes input files from level L and every file of level L+1 overlapping them. For level
// 0 the inputs grow to every level-0 file that overlaps, so that no older version of a key stays above
// a newer one. The level-L inputs are grown further when that adds no level-L+1 file and the total
// stays under EXPANDED_COMPACTION_LIMIT file sizes. A single input file with nothing under it in L+1
// and little overlap in L+2 moves down by a MANIFEST edit alone (a trivial move).
//
// Invariants: inputs[0] is non-empty; every file in inputs[1] overlaps the key range of inputs[0];
// outputLevel = level + 1 < NUM_LEVELS; the version the compaction was picked from stays referenced
// until `release()`.

import { compareUserKeyTo, fileContainsUserKey, fileOverlapsRange, isExclusiveBound, Version } from './version-set.js';
import { internalKeyComparator, userKeyOf } from './internal-key.js';
import { NUM_LEVELS, type ResolvedLsmOptions } from './options.js';
import { VersionEdit, type FileMetaData } from './version-edit.js';

/** Level-L inputs may grow while the whole compaction stays under this many target file sizes. */
const EXPANDED_COMPACTION_LIMIT = 25;
/** An output file is cut once it overlaps this many target file sizes of level L+2. */
const GRANDPARENT_OVERLAP_LIMIT = 10;

export function maxBytesForLevel(options: ResolvedLsmOptions, level: number): number {
  return options.levelBaseSizeBytes * options.levelSizeMultiplier ** Math.max(0, level - 1);
}

function totalBytes(files: readonly FileMetaData[]): number {
  let total = 0;
  for (const file of files) total += file.sizeBytes;
  return total;
}

/** The user-key range [smallest, largest] covered by `files` (non-empty). */
function userKeyRange(files: readonly FileMetaData[]): [Uint8Array, Uint8Array] {
  let smallest = files[0]!.smallest;
  let largest = files[0]!.largest;
  for (const file of files) {
    if (internalKeyComparator.compare(file.smallest, smallest) < 0) smallest = file.smallest;
    if (internalKeyComparator.compare(file.largest, largest) > 0) largest = file.largest;
  }
  return [userKeyOf(smallest), userKeyOf(largest)];
}

export interface LevelScore {
  readonly level: number;
  readonly score: number;
}

/** The most urgent level and its score (levels 0 .. NUM_LEVELS-2; the last level has nowhere to go). */
export function bestLevelScore(version: Version, options: ResolvedLsmOptions): LevelScore {
  let best: LevelScore = { level: 0, score: version.fileCount(0) / options.level0CompactionTrigger };
  for (let level = 1; level < NUM_LEVELS - 1; level++) {
    const score = version.levelBytes(level) / maxBytesForLevel(options, level);
    if (score > best.score) best = { level, score };
  }
  return best;
}

export class Compaction {
  readonly level: number;
  readonly outputLevel: number;
  /** inputs[0]: files of `level`; inputs[1]: files of `level + 1`. */
  readonly inputs: readonly [readonly FileMetaData[], readonly FileMetaData[]];
  readonly version: Version;
  readonly maxOutputFileBytes: number;
  /** The edit this compaction will apply: its compact pointer; inputs and outputs are added later. */
  readonly edit = new VersionEdit();
  private readonly grandparents: readonly FileMetaData[];
  private readonly maxGrandparentOverlapBytes: number;
  private grandparentIndex = 0;
  private seenKey = false;
  private overlappedBytes = 0;
  /** Per level deeper than the output, the first file that may still hold a key (keys come in order). */
  private readonly levelPointers: number[] = new Array<number>(NUM_LEVELS).fill(0);
  private released = false;

  constructor(
    version: Version,
    level: number,
    inputs: [readonly FileMetaData[], readonly FileMetaData[]],
    options: ResolvedLsmOptions,
  ) {
    if (inputs[0].length === 0) throw new Error('Compaction: no input files at the compacted level');
    if (level < 0 || level + 1 >= NUM_LEVELS) throw new Error(`Compaction: level ${level} has no level below it`);
    this.version = version;
    this.level = level;
    this.outputLevel = level + 1;
    this.inputs = inputs;
    this.maxOutputFileBytes = options.targetFileSizeBytes;
    this.maxGrandparentOverlapBytes = GRANDPARENT_OVERLAP_LIMIT * options.targetFileSizeBytes;
    const [begin, end] = userKeyRange([...inputs[0], ...inputs[1]]);
    this.grandparents = level + 2 < NUM_LEVELS ? version.overlappingFiles(level + 2, begin, end) : [];
    version.ref();
  }

  /** True when the single input can move down without rewriting it. */
  isTrivialMove(): boolean {
    return (
      this.inputs[0].length === 1 &&
      this.inputs[1].length === 0 &&
      totalBytes(this.grandparents) <= this.maxGrandparentOverlapBytes
    );
  }

  /** Every input file, with its level. */
  allInputs(): { level: number; file: FileMetaData }[] {
    return [
      ...this.inputs[0].map((file) => ({ level: this.level, file })),
      ...this.inputs[1].map((file) => ({ level: this.outputLevel, file })),
    ];
  }

  inputBytes(): number {
    return totalBytes(this.inputs[0]) + totalBytes(this.inputs[1]);
  }

  /** Adds the deletion of every input file to the edit. */
  addInputDeletions(edit: VersionEdit): void {
    for (const { level, file } of this.allInputs()) edit.deleteFile(level, file.number);
  }

  /**
   * True when no level below the output level may hold `userKey`, so a deletion marker for it has
   * nothing left to hide. Keys must be asked in ascending order (the pointers only move forward).
   */
  isBaseLevelForKey(userKey: Uint8Array): boolean {
    for (let level = this.outputLevel + 1; level < NUM_LEVELS; level++) {
      const files = this.version.levels[level]!;
      let pointer = this.levelPointers[level]!;
      // Each step passes one file for good; the pointer never exceeds files.length. A file whose
      // largest key is an exclusive bound on userKey holds nothing of it: the next file may start
      // with userKey, so it is passed rather than taken as the place userKey would be.
      while (pointer < files.length) {
        const file = files[pointer]!;
        const versusLargest = compareUserKeyTo(userKey, file.largest);
        if (versusLargest < 0 || (versusLargest === 0 && !isExclusiveBound(file.largest))) {
          if (fileContainsUserKey(file, userKey)) {
            this.levelPointers[level] = pointer;
            return false;
          }
          break;
        }
        pointer++;
      }
      this.levelPointers[level] = pointer;
    }
    return true;
  }

  /** True when no level below the output level has a file meeting [start, end]. */
  isBaseLevelForRange(start: Uint8Array, end: Uint8Array): boolean {
    for (let level = this.outputLevel + 1; level < NUM_LEVELS; level++) {
      for (const file of this.version.levels[level]!) {
        if (fileOverlapsRange(file, start, end)) return false;
      }
    }
    return true;
  }

  /**
   * Called with each key before it is written; true when the current output file should end before
   * it because it already overlaps too much of level L+2 (which would make its next compaction large).
   */
  shouldStopBefore(internalKey: Uint8Array): boolean {
    // Each step passes one grandparent file for good.
    while (
      this.grandparentIndex < this.grandparents.length &&
      internalKeyComparator.compare(internalKey, this.grandparents[this.grandparentIndex]!.largest) > 0
    ) {
      if (this.seenKey) this.overlappedBytes += this.grandparents[this.grandparentIndex]!.sizeBytes;
      this.grandparentIndex++;
    }
    this.seenKey = true;
    if (this.overlappedBytes > this.maxGrandparentOverlapBytes) {
      this.overlappedBytes = 0;
      return true;
    }
    return false;
  }

  /** Releases the input version. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.version.unref();
  }
}

/** Grows the inputs of a picked compaction (SetupOtherInputs in LevelDB). */
function setupInputs(
  version: Version,
  level: number,
  levelInputs: FileMetaData[],
  options: ResolvedLsmOptions,
  compactPointerKey: boolean,
): Compaction {
  let inputs0 = levelInputs;
  const [begin, end] = userKeyRange(inputs0);
  let inputs1 = version.overlappingFiles(level + 1, begin, end);
  if (inputs1.length > 0) {
    const [allBegin, allEnd] = userKeyRange([...inputs0, ...inputs1]);
    const expanded0 = version.overlappingFiles(level, allBegin, allEnd);
    if (
      expanded0.length > inputs0.length &&
      totalBytes(expanded0) + totalBytes(inputs1) < EXPANDED_COMPACTION_LIMIT * options.targetFileSizeBytes
    ) {
      const [newBegin, newEnd] = userKeyRange(expanded0);
      const expanded1 = version.overlappingFiles(level + 1, newBegin, newEnd);
      if (expanded1.length === inputs1.length) {
        inputs0 = expanded0;
        inputs1 = expanded1;
      }
    }
  }
  const compaction = new Compaction(version, level, [inputs0, inputs1], options);
  if (compactPointerKey) {
    let largest = inputs0[0]!.largest;
    for (const file of inputs0) if (internalKeyComparator.compare(file.largest, largest) > 0) largest = file.largest;
    compaction.edit.setCompactPointer(level, largest);
  }
  return compaction;
}

/**
 * The next size-triggered compaction, or undefined when every level is within its target. The caller
 * runs it and then calls `release()`.
 */
export function pickCompaction(
  version: Version,
  compactPointers: readonly (Uint8Array | undefined)[],
  options: ResolvedLsmOptions,
): Compaction | undefined {
  const { level, score } = bestLevelScore(version, options);
  if (score < 1) return undefined;
  const files = version.levels[level]!;
  if (files.length === 0) return undefined;
  let first: FileMetaData | undefined;
  if (level === 0) {
    // The oldest level-0 file first; the expansion below takes every level-0 file overlapping it.
    first = files[files.length - 1];
  } else {
    const pointer = compactPointers[level];
    first = pointer === undefined ? undefined : files.find((file) => internalKeyComparator.compare(file.largest, pointer) > 0);
    first ??= files[0];
  }
  let inputs = [first!];
  if (level === 0) {
    const [begin, end] = userKeyRange(inputs);
    inputs = version.overlappingFiles(0, begin, end);
  }
  return setupInputs(version, level, inputs, options, true);
}

/**
 * A compaction of the files of `level` overlapping [begin, end] (undefined: unbounded), or undefined
 * when there are none. Below level 0 the inputs are cut after about one target file size's worth of
 * bytes per round, so each round stays bounded; the caller repeats until nothing overlaps.
 */
export function pickRangeCompaction(
  version: Version,
  level: number,
  begin: Uint8Array | undefined,
  end: Uint8Array | undefined,
  options: ResolvedLsmOptions,
): Compaction | undefined {
  let inputs = version.overlappingFiles(level, begin, end);
  if (inputs.length === 0) return undefined;
  if (level > 0) {
    const limit = options.targetFileSizeBytes * EXPANDED_COMPACTION_LIMIT;
    let total = 0;
    for (let index = 0; index < inputs.length; index++) {
      total += inputs[index]!.sizeBytes;
      if (total >= limit) {
        inputs = inputs.slice(0, index + 1);
        break;
      }
    }
  }
  return setupInputs(version, level, inputs, options, false);
}
