// Versions and the version set: which table files make up the database, level by level, and the
// MANIFEST that records every change to that set so that recovery rebuilds it exactly.
//
// A Version is an immutable snapshot of the file set. Level 0 holds flushed memtables; its files may
// overlap and are kept newest first (by file number, which flushes hand out in order). Levels 1 and
// deeper hold files sorted by key that never overlap: a user key's entries never span two files of a
// level (compaction cuts outputs only between user keys). Readers and iterators pin the version they
// read (ref/unref), so a file stays on disk while any live version lists it.
//
// The VersionSet owns the current version, the file-number counter, the last sequence number, the log
// number (WALs below it are obsolete) and the MANIFEST. `logAndApply(edit)` serializes changes: it
// builds the next version from the current one and the edit, appends the edit to the MANIFEST (a log
// of VersionEdit records in the WAL format), syncs it, and only then installs the new version. When the
// MANIFEST grows past MAX_MANIFEST_SIZE_BYTES, or at open, a new MANIFEST is started with one edit
// describing the whole state, and CURRENT is switched to it: written to NNNNNN.dbtmp, synced, renamed
// over CURRENT, and the directory synced. The previous MANIFEST is then obsolete.
//
// Invariants (checked when a version is built; a broken one throws): in levels >= 1 the files are
// sorted, and the largest key of a file sorts before the smallest key of the next with a different user
// key (or the largest is an exclusive range-tombstone bound on that user key); a file number appears
// at most once across all levels; an edit deletes only files the version holds.

import { CorruptionError, StorageError } from '../env/errors.js';
import type { FileSystem } from '../env/file-system.js';
import { compareBytes, internalKeyComparator, MAX_SEQUENCE, sequenceOf, ValueType, valueTypeOf } from './internal-key.js';
import { CURRENT_FILE_NAME, joinPath, manifestFileName, parseFileName, tableFileName, tempFileName } from './filenames.js';
import { NUM_LEVELS } from './options.js';
import { VersionEdit, type FileMetaData } from './version-edit.js';
import { WalReader } from './wal-reader.js';
import { WalWriter } from './wal-writer.js';

/** A MANIFEST larger than this is replaced by a fresh one holding a single snapshot edit. */
export const MAX_MANIFEST_SIZE_BYTES = 8 << 20;
/** Recovery refuses a MANIFEST with more edits than this (a bound on the replay loop). */
const MAX_MANIFEST_EDITS = 50_000_000;

function userKeyLength(internalKey: Uint8Array): number {
  return internalKey.length - 8;
}

/** Compares the user keys of two internal keys. */
export function compareUserKeysOf(a: Uint8Array, b: Uint8Array): number {
  return compareBytes(a, userKeyLength(a), b, userKeyLength(b));
}

/** Compares a user key with the user key of an internal key. */
export function compareUserKeyTo(userKey: Uint8Array, internalKey: Uint8Array): number {
  return compareBytes(userKey, userKey.length, internalKey, userKeyLength(internalKey));
}

/** True when `largest` is an exclusive bound: a range tombstone's end, not an entry of that user key. */
export function isExclusiveBound(largest: Uint8Array): boolean {
  return valueTypeOf(largest) === ValueType.RangeDeletion && sequenceOf(largest) === MAX_SEQUENCE;
}

/** True when `file` may hold an entry or a tombstone for `userKey` (exact, honouring exclusive bounds). */
export function fileContainsUserKey(file: FileMetaData, userKey: Uint8Array): boolean {
  if (compareUserKeyTo(userKey, file.smallest) < 0) return false;
  const versusLargest = compareUserKeyTo(userKey, file.largest);
  return versusLargest < 0 || (versusLargest === 0 && !isExclusiveBound(file.largest));
}

/**
 * True when `file`'s user-key range meets [begin, end] (both inclusive; undefined is unbounded). The
 * file's largest user key counts as inclusive even when it is an exclusive bound: compaction picking
 * may take one file too many, never one too few.
 */
export function fileOverlapsRange(file: FileMetaData, begin: Uint8Array | undefined, end: Uint8Array | undefined): boolean {
  if (begin !== undefined && compareUserKeyTo(begin, file.largest) > 0) return false;
  if (end !== undefined && compareUserKeyTo(end, file.smallest) < 0) return false;
  return true;
}

export interface VersionOwner {
  onVersionReleased(version: Version): void;
}

export class Version {
  /** Files per level: level 0 newest first, deeper levels by key. Never mutated. */
  readonly levels: readonly (readonly FileMetaData[])[];
  private refs = 0;
  private readonly owner: VersionOwner | undefined;

  constructor(levels: readonly (readonly FileMetaData[])[], owner?: VersionOwner) {
    if (levels.length !== NUM_LEVELS) throw new Error(`Version: expected ${NUM_LEVELS} levels, got ${levels.length}`);
    this.levels = levels;
    this.owner = owner;
  }

  ref(): void {
    this.refs++;
  }

  unref(): void {
    if (this.refs <= 0) throw new Error('Version.unref: reference count would go negative');
    this.refs--;
    if (this.refs === 0) this.owner?.onVersionReleased(this);
  }

  get referenceCount(): number {
    return this.refs;
  }

  fileCount(level: number): number {
    return this.levels[level]!.length;
  }

  levelBytes(level: number): number {
    let total = 0;
    for (const file of this.levels[level]!) total += file.sizeBytes;
    return total;
  }

  /**
   * The files of `level` whose range meets [begin, end] (inclusive, undefined unbounded). For level 0
   * the range grows to cover each overlapping file, until no other file overlaps it, so that a
   * compaction never moves a newer level-0 entry of a key below an older one left behind.
   */
  overlappingFiles(level: number, begin: Uint8Array | undefined, end: Uint8Array | undefined): FileMetaData[] {
    const files = this.levels[level]!;
    if (level > 0) {
      const result: FileMetaData[] = [];
      // Binary search for the first file whose largest user key is >= begin.
      let low = 0;
      let high = files.length;
      if (begin !== undefined) {
        while (low < high) {
          const middle = (low + high) >>> 1;
          if (compareUserKeyTo(begin, files[middle]!.largest) > 0) low = middle + 1;
          else high = middle;
        }
      }
      for (let index = low; index < files.length; index++) {
        const file = files[index]!;
        if (end !== undefined && compareUserKeyTo(end, file.smallest) < 0) break;
        result.push(file);
      }
      return result;
    }
    let lower = begin;
    let upper = end;
    // Each round either adds a file or stops; the loop runs at most files.length + 1 times.
    for (let round = 0; round <= files.length; round++) {
      const result: FileMetaData[] = [];
      let grown = false;
      for (const file of files) {
        if (!fileOverlapsRange(file, lower, upper)) continue;
        result.push(file);
        if (lower !== undefined && compareUserKeyTo(lower, file.smallest) > 0) {
          lower = file.smallest.subarray(0, userKeyLength(file.smallest));
          grown = true;
        }
        if (upper !== undefined && compareUserKeyTo(upper, file.largest) < 0) {
          upper = file.largest.subarray(0, userKeyLength(file.largest));
          grown = true;
        }
      }
      if (!grown) return result;
    }
    throw new Error('Version.overlappingFiles: level-0 expansion did not converge');
  }

  /**
   * For level >= 1: the file that may hold `userKey` at sequences <= the one in `lookupKey` (an
   * internal key), or undefined. Binary search for the first file whose largest key is >= lookupKey.
   */
  fileForKey(level: number, userKey: Uint8Array, lookupKey: Uint8Array): FileMetaData | undefined {
    const files = this.levels[level]!;
    let low = 0;
    let high = files.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (internalKeyComparator.compare(files[middle]!.largest, lookupKey) < 0) low = middle + 1;
      else high = middle;
    }
    if (low >= files.length) return undefined;
    const file = files[low]!;
    return compareUserKeyTo(userKey, file.smallest) < 0 ? undefined : file;
  }

  /** Every file number this version lists. */
  forEachFile(visit: (level: number, file: FileMetaData) => void): void {
    for (let level = 0; level < NUM_LEVELS; level++) for (const file of this.levels[level]!) visit(level, file);
  }
}

/** Checks the ordering invariants of one level; throws an Error naming the broken one. */
function checkLevel(level: number, files: readonly FileMetaData[]): void {
  for (let index = 1; index < files.length; index++) {
    const previous = files[index - 1]!;
    const file = files[index]!;
    if (level === 0) {
      if (previous.number <= file.number) throw new Error(`level 0 not ordered newest first at file ${file.number}`);
      continue;
    }
    const byUserKey = compareUserKeysOf(previous.largest, file.smallest);
    if (byUserKey > 0 || (byUserKey === 0 && !isExclusiveBound(previous.largest))) {
      throw new Error(`level ${level}: files ${previous.number} and ${file.number} overlap`);
    }
  }
}

/** Applies `edit` to `base`'s levels; returns the new levels. Throws an Error on a broken invariant. */
export function applyEdit(base: readonly (readonly FileMetaData[])[], edit: VersionEdit): FileMetaData[][] {
  const levels = base.map((files) => files as FileMetaData[]);
  const touched = new Set<number>();
  const copyLevel = (level: number): FileMetaData[] => {
    if (!touched.has(level)) {
      levels[level] = [...base[level]!];
      touched.add(level);
    }
    return levels[level]!;
  };
  for (const deleted of edit.deletedFiles) {
    const files = copyLevel(deleted.level);
    const index = files.findIndex((file) => file.number === deleted.number);
    if (index < 0) throw new Error(`version edit deletes file ${deleted.number}, absent from level ${deleted.level}`);
    files.splice(index, 1);
  }
  for (const added of edit.newFiles) copyLevel(added.level).push(added.file);
  for (const level of touched) {
    const files = levels[level]!;
    if (level === 0) files.sort((a, b) => b.number - a.number);
    else files.sort((a, b) => internalKeyComparator.compare(a.smallest, b.smallest));
    checkLevel(level, files);
  }
  if (edit.newFiles.length > 0) {
    const seen = new Set<number>();
    for (const files of levels) {
      for (const file of files) {
        if (seen.has(file.number)) throw new Error(`file number ${file.number} appears twice in a version`);
        seen.add(file.number);
      }
    }
  }
  return levels;
}

export interface VersionSetOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  /** Name of the user-key comparator, recorded in the MANIFEST and checked on recovery. */
  readonly comparatorName: string;
  /** Called for each table file deleted as obsolete, so the table cache can close it. */
  readonly onTableDeleted?: (fileNumber: number) => void;
  /** A MANIFEST at least this large is replaced at the next change. Default MAX_MANIFEST_SIZE_BYTES. */
  readonly maxManifestSizeBytes?: number;
}

export class VersionSet implements VersionOwner {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly comparatorName: string;
  private readonly onTableDeleted: ((fileNumber: number) => void) | undefined;
  private readonly maxManifestSizeBytes: number;
  private currentVersion: Version;
  /** Versions with a reference (including the current one, which the set itself references). */
  private readonly liveVersions = new Set<Version>();
  /** Table numbers dropped from some version; deleted once no live version lists them. */
  private readonly obsoleteTableCandidates = new Set<number>();
  private manifest: WalWriter | undefined;
  private manifestNumberValue = 0;
  /** Serializes logAndApply: each change is built on the version the previous one installed. */
  private applyChain: Promise<void> = Promise.resolve();
  private closed = false;

  nextFileNumber = 2;
  /** The last sequence number handed out; the DB keeps it current before each logAndApply. */
  lastSequence = 0;
  /** WALs with smaller numbers hold nothing that is not in a table. */
  logNumber = 0;
  /** Per level, the largest key of the last size compaction there; the next one starts after it. */
  readonly compactPointers: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(NUM_LEVELS).fill(undefined);

  constructor(options: VersionSetOptions) {
    this.fs = options.fs;
    this.dir = options.dir;
    this.comparatorName = options.comparatorName;
    this.onTableDeleted = options.onTableDeleted;
    this.maxManifestSizeBytes = options.maxManifestSizeBytes ?? MAX_MANIFEST_SIZE_BYTES;
    this.currentVersion = this.install(new Version(emptyLevels(), this));
  }

  get current(): Version {
    return this.currentVersion;
  }

  get manifestNumber(): number {
    return this.manifestNumberValue;
  }

  newFileNumber(): number {
    return this.nextFileNumber++;
  }

  markFileNumberUsed(number: number): void {
    if (this.nextFileNumber <= number) this.nextFileNumber = number + 1;
  }

  /** True when CURRENT exists in the directory (a database is there). */
  databaseExists(): boolean {
    return this.fs.exists(joinPath(this.dir, CURRENT_FILE_NAME));
  }

  /**
   * Rebuilds the state from CURRENT and the MANIFEST it names. Checks the comparator and that every
   * live table exists. Does not write anything; `writeSnapshotManifest` does, once recovery is done.
   */
  recover(): void {
    const currentPath = joinPath(this.dir, CURRENT_FILE_NAME);
    const currentText = new TextDecoder().decode(this.fs.readFile(currentPath));
    if (!currentText.endsWith('\n')) throw new CorruptionError(CURRENT_FILE_NAME, 0, 'CURRENT does not end with a newline');
    const manifestName = currentText.slice(0, -1);
    const parsed = parseFileName(manifestName);
    if (parsed === undefined || parsed.kind !== 'manifest') {
      throw new CorruptionError(CURRENT_FILE_NAME, 0, `CURRENT names ${JSON.stringify(manifestName)}, not a MANIFEST`);
    }
    const manifestPath = joinPath(this.dir, manifestName);
    if (!this.fs.exists(manifestPath)) {
      throw new CorruptionError(manifestName, 0, 'the MANIFEST named by CURRENT is missing');
    }
    const reader = new WalReader(this.fs.readFile(manifestPath), manifestName);
    let levels: FileMetaData[][] = emptyLevels();
    let logNumber: number | undefined;
    let nextFileNumber: number | undefined;
    let lastSequence: number | undefined;
    let editCount = 0;
    for (const record of reader.records()) {
      if (++editCount > MAX_MANIFEST_EDITS) throw new CorruptionError(manifestName, reader.validBytes, 'too many edits');
      const edit = VersionEdit.decode(record, manifestName, reader.validBytes);
      if (edit.comparatorName !== undefined && edit.comparatorName !== this.comparatorName) {
        throw new StorageError(
          'INVALID_ARGUMENT',
          `the database was created with comparator ${edit.comparatorName}, not ${this.comparatorName}`,
        );
      }
      try {
        levels = applyEdit(levels, edit);
      } catch (error) {
        throw new CorruptionError(manifestName, reader.validBytes, `edit does not apply: ${(error as Error).message}`);
      }
      for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key;
      logNumber = edit.logNumber ?? logNumber;
      nextFileNumber = edit.nextFileNumber ?? nextFileNumber;
      lastSequence = edit.lastSequence ?? lastSequence;
    }
    // A crash mid-edit leaves the edit cut short (it was never synced, so nothing acted on it) and it
    // is dropped; a whole edit that fails its checksum was synced and acted on, and dropping it would
    // lose the tables it added.
    if (reader.droppedTailBytes > 0 && !reader.droppedTailIsCut) {
      throw new CorruptionError(manifestName, reader.validBytes, 'the last edit is damaged (not cut short by a crash)');
    }
    if (logNumber === undefined || nextFileNumber === undefined || lastSequence === undefined) {
      throw new CorruptionError(manifestName, 0, 'the MANIFEST lacks a log number, next file number or last sequence');
    }
    for (const files of levels) {
      for (const file of files) {
        if (!this.fs.exists(joinPath(this.dir, tableFileName(file.number)))) {
          throw new CorruptionError(tableFileName(file.number), 0, `table listed in ${manifestName} is missing`);
        }
        if (file.number >= nextFileNumber) {
          throw new CorruptionError(manifestName, 0, `file ${file.number} is not below the next file number ${nextFileNumber}`);
        }
      }
    }
    this.nextFileNumber = nextFileNumber;
    this.markFileNumberUsed(parsed.number);
    this.markFileNumberUsed(logNumber);
    this.logNumber = logNumber;
    this.lastSequence = lastSequence;
    this.manifestNumberValue = parsed.number;
    this.replaceCurrent(new Version(levels, this));
  }

  /** Numbers of the WALs recovery must replay, in order: those at or above the log number. */
  walsToReplay(): number[] {
    const numbers: number[] = [];
    for (const name of this.fs.list(this.dir)) {
      const parsed = parseFileName(name);
      if (parsed?.kind === 'log' && parsed.number >= this.logNumber) numbers.push(parsed.number);
    }
    for (const number of numbers) this.markFileNumberUsed(number);
    return numbers.sort((a, b) => a - b);
  }

  /**
   * Starts a new MANIFEST holding one edit that describes the whole current state (plus `edit`, applied
   * first), makes CURRENT name it, and installs the result. Used at open and when the MANIFEST grows.
   */
  async writeSnapshotManifest(edit = new VersionEdit()): Promise<void> {
    await this.serialized(async () => {
      const levels = applyEdit(this.currentVersion.levels, edit);
      const logNumber = this.checkedLogNumber(edit);
      await this.startManifest(levels, logNumber, edit);
      this.commitCounters(edit, logNumber);
      this.replaceCurrent(new Version(levels, this));
    });
  }

  /**
   * Records `edit` in the MANIFEST (synced) and installs the version it produces. Changes are applied
   * one at a time in call order. On failure the current version and counters are unchanged and the
   * error is thrown (the caller treats it as a background error: the MANIFEST's tail is unknown).
   */
  logAndApply(edit: VersionEdit): Promise<void> {
    return this.serialized(async () => {
      const levels = applyEdit(this.currentVersion.levels, edit);
      const logNumber = this.checkedLogNumber(edit);
      this.markFileNumberUsed(logNumber);
      edit.logNumber = logNumber;
      edit.nextFileNumber = this.nextFileNumber;
      edit.lastSequence = this.lastSequence;
      if (this.manifest === undefined || this.manifest.sizeBytes >= this.maxManifestSizeBytes) {
        await this.startManifest(levels, logNumber, edit);
      } else {
        this.manifest.addRecord(edit.encode());
        await this.manifest.sync();
      }
      this.commitCounters(edit, logNumber);
      this.replaceCurrent(new Version(levels, this));
    });
  }

  /** Table numbers listed by any live version. */
  liveTableNumbers(): Set<number> {
    const live = new Set<number>();
    for (const version of this.liveVersions) version.forEachFile((_, file) => live.add(file.number));
    return live;
  }

  onVersionReleased(version: Version): void {
    this.liveVersions.delete(version);
    if (this.obsoleteTableCandidates.size > 0) this.deleteObsoleteTables();
  }

  /** Deletes candidate tables no live version lists any more. */
  deleteObsoleteTables(): void {
    // Once closed, another instance may own the directory: an iterator released late deletes nothing.
    if (this.closed || this.obsoleteTableCandidates.size === 0) return;
    const live = this.liveTableNumbers();
    for (const number of [...this.obsoleteTableCandidates]) {
      if (live.has(number)) continue;
      this.obsoleteTableCandidates.delete(number);
      this.onTableDeleted?.(number);
      this.fs.remove(joinPath(this.dir, tableFileName(number)));
    }
  }

  /**
   * Deletes every file in the directory the database no longer needs: WALs below the log number,
   * MANIFESTs other than the current one, temp files, and tables that no live version lists and that
   * are not in `pendingOutputs` (tables being written). Used at open and after recovery.
   */
  deleteObsoleteFiles(pendingOutputs: ReadonlySet<number>): void {
    const live = this.liveTableNumbers();
    for (const name of this.fs.list(this.dir)) {
      const parsed = parseFileName(name);
      if (parsed === undefined) continue;
      let obsolete = false;
      switch (parsed.kind) {
        case 'log':
          obsolete = parsed.number < this.logNumber;
          break;
        case 'manifest':
          obsolete = parsed.number !== this.manifestNumberValue;
          break;
        case 'table':
          obsolete = !live.has(parsed.number) && !pendingOutputs.has(parsed.number);
          if (obsolete) this.onTableDeleted?.(parsed.number);
          break;
        case 'temp':
          obsolete = parsed.number !== this.manifestNumberValue;
          break;
        case 'current':
        case 'lock':
          break;
      }
      if (obsolete) this.fs.remove(joinPath(this.dir, name));
    }
  }

  /** Closes the MANIFEST and stops deleting files. The set is unusable afterwards. */
  close(): void {
    this.closed = true;
    this.manifest?.close();
    this.manifest = undefined;
  }

  private checkedLogNumber(edit: VersionEdit): number {
    const logNumber = edit.logNumber ?? this.logNumber;
    if (logNumber < this.logNumber) {
      throw new Error(`version edit moves the log number back from ${this.logNumber} to ${logNumber}`);
    }
    return logNumber;
  }

  private commitCounters(edit: VersionEdit, logNumber: number): void {
    this.logNumber = logNumber;
    this.markFileNumberUsed(logNumber);
    for (const pointer of edit.compactPointers) this.compactPointers[pointer.level] = pointer.key;
  }

  private serialized(body: () => Promise<void>): Promise<void> {
    const result = this.applyChain.then(body);
    // The chain continues after a failure; the failure itself goes to this call's caller.
    this.applyChain = result.catch(() => undefined);
    return result;
  }

  /** Writes a new MANIFEST describing `levels` and points CURRENT at it. */
  private async startManifest(
    levels: readonly (readonly FileMetaData[])[],
    logNumber: number,
    edit: VersionEdit,
  ): Promise<void> {
    const number = this.newFileNumber();
    const pointers = [...this.compactPointers];
    for (const pointer of edit.compactPointers) pointers[pointer.level] = pointer.key;
    const snapshot = new VersionEdit();
    snapshot.comparatorName = this.comparatorName;
    snapshot.logNumber = logNumber;
    snapshot.nextFileNumber = this.nextFileNumber;
    snapshot.lastSequence = this.lastSequence;
    for (let level = 0; level < NUM_LEVELS; level++) {
      const pointer = pointers[level];
      if (pointer !== undefined) snapshot.setCompactPointer(level, pointer);
      for (const file of levels[level]!) snapshot.addFile(level, file);
    }
    const writer = new WalWriter(this.fs.createWritable(joinPath(this.dir, manifestFileName(number))));
    try {
      writer.addRecord(snapshot.encode());
      await writer.sync();
      await this.setCurrent(number);
    } catch (error) {
      writer.close();
      this.fs.remove(joinPath(this.dir, manifestFileName(number)));
      throw error;
    }
    const previous = this.manifestNumberValue;
    this.manifest?.close();
    this.manifest = writer;
    this.manifestNumberValue = number;
    if (previous !== 0 && previous !== number) this.fs.remove(joinPath(this.dir, manifestFileName(previous)));
  }

  /** CURRENT := "MANIFEST-<number>\n", atomically and durably. */
  private async setCurrent(manifestNumber: number): Promise<void> {
    const tempPath = joinPath(this.dir, tempFileName(manifestNumber));
    const temp = this.fs.createWritable(tempPath);
    try {
      temp.append(new TextEncoder().encode(`${manifestFileName(manifestNumber)}\n`));
      await temp.sync();
    } finally {
      temp.close();
    }
    this.fs.rename(tempPath, joinPath(this.dir, CURRENT_FILE_NAME));
    await this.fs.syncDir(this.dir);
  }

  private install(version: Version): Version {
    version.ref();
    this.liveVersions.add(version);
    return version;
  }

  private replaceCurrent(version: Version): void {
    const previous = this.currentVersion;
    this.currentVersion = this.install(version);
    const kept = new Set<number>();
    version.forEachFile((_, file) => kept.add(file.number));
    previous.forEachFile((_, file) => {
      if (!kept.has(file.number)) this.obsoleteTableCandidates.add(file.number);
    });
    previous.unref();
    this.deleteObsoleteTables();
  }
}

function emptyLevels(): FileMetaData[][] {
  return Array.from({ length: NUM_LEVELS }, () => []);
}

