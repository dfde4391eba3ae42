// A version edit: the change from one version of the database's file set to the next, as recorded in
// the MANIFEST. Replaying the MANIFEST's edits in order from an empty state rebuilds the live file set
// and the counters (version-set.ts).
//
// Format. An encoded edit is one MANIFEST record (the WAL record format, see wal-writer.ts). Its payload
// is a sequence of fields, each a varint32 tag followed by that tag's payload, in any order:
//
//   tag 1  comparator       length-prefixed bytes: the name of the user-key comparator
//   tag 2  log number       varint64: WALs numbered below it are obsolete (their data is in tables)
//   tag 3  next file number varint64: the next file number to hand out
//   tag 4  last sequence    varint64: the last sequence number written to a table
//   tag 5  compact pointer  varint32 level, length-prefixed internal key: where the next size compaction
//                           of that level starts
//   tag 6  deleted file     varint32 level, varint64 file number
//   tag 7  new file         varint32 level, varint64 file number, varint64 size in bytes,
//                           length-prefixed smallest internal key, length-prefixed largest internal key,
//                           varint64 entry count, varint64 range tombstone count
//   tag 9  prev log number  varint64: kept for LevelDB's layout; always 0 here
//
// "Length-prefixed" is a varint32 length followed by the bytes (coding.ts). An unknown tag, a truncated
// field or a level outside [0, NUM_LEVELS) is corruption: the edit is rejected whole.
//
// Invariants: a file's smallest key sorts at or before its largest (internal key order), both are
// internal keys (at least 8 bytes); counts and sizes are non-negative safe integers.

import { StorageError } from '../env/errors.js';
import { ByteReader, ByteWriter, copyBytes } from './coding.js';
import { internalKeyComparator, TRAILER_SIZE_BYTES } from './internal-key.js';
import { NUM_LEVELS } from './options.js';

/** Field tags. A plain object, not a `const enum`, which per-file transpilers cannot inline. */
const Tag = {
  Comparator: 1,
  LogNumber: 2,
  NextFileNumber: 3,
  LastSequence: 4,
  CompactPointer: 5,
  DeletedFile: 6,
  NewFile: 7,
  PrevLogNumber: 9,
} as const;

/** What the version set knows about one table file. Immutable once built. */
export interface FileMetaData {
  readonly number: number;
  readonly sizeBytes: number;
  /** Smallest internal key in the table, including the start of any range tombstone. */
  readonly smallest: Uint8Array;
  /**
   * Largest internal key in the table. When a range tombstone ends past the last point entry, this is
   * the tombstone's (exclusive) end user key with MAX_SEQUENCE and the range-deletion type, which sorts
   * before every real entry of that user key.
   */
  readonly largest: Uint8Array;
  readonly entryCount: number;
  readonly rangeTombstoneCount: number;
}

export interface NewFileEntry {
  readonly level: number;
  readonly file: FileMetaData;
}

export interface DeletedFileEntry {
  readonly level: number;
  readonly number: number;
}

function checkLevel(level: number): void {
  if (!Number.isInteger(level) || level < 0 || level >= NUM_LEVELS) {
    throw new StorageError('INVALID_ARGUMENT', `level must be in [0, ${NUM_LEVELS}), got ${level}`);
  }
}

function checkFile(file: FileMetaData): void {
  for (const [name, value] of [
    ['number', file.number],
    ['sizeBytes', file.sizeBytes],
    ['entryCount', file.entryCount],
    ['rangeTombstoneCount', file.rangeTombstoneCount],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new StorageError('INVALID_ARGUMENT', `FileMetaData.${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (file.smallest.length < TRAILER_SIZE_BYTES || file.largest.length < TRAILER_SIZE_BYTES) {
    throw new StorageError('INVALID_ARGUMENT', `file ${file.number}: smallest and largest must be internal keys`);
  }
  if (internalKeyComparator.compare(file.smallest, file.largest) > 0) {
    throw new StorageError('INVALID_ARGUMENT', `file ${file.number}: smallest key sorts after largest key`);
  }
}

export class VersionEdit {
  comparatorName: string | undefined;
  logNumber: number | undefined;
  prevLogNumber: number | undefined;
  nextFileNumber: number | undefined;
  lastSequence: number | undefined;
  readonly compactPointers: { level: number; key: Uint8Array }[] = [];
  readonly deletedFiles: DeletedFileEntry[] = [];
  readonly newFiles: NewFileEntry[] = [];

  addFile(level: number, file: FileMetaData): void {
    checkLevel(level);
    checkFile(file);
    this.newFiles.push({ level, file });
  }

  deleteFile(level: number, number: number): void {
    checkLevel(level);
    this.deletedFiles.push({ level, number });
  }

  setCompactPointer(level: number, key: Uint8Array): void {
    checkLevel(level);
    this.compactPointers.push({ level, key });
  }

  encode(): Uint8Array {
    const writer = new ByteWriter(64 + this.newFiles.length * 96);
    if (this.comparatorName !== undefined) {
      writer.putVarint32(Tag.Comparator);
      writer.putLengthPrefixed(new TextEncoder().encode(this.comparatorName));
    }
    const numbers: [number, number | undefined][] = [
      [Tag.LogNumber, this.logNumber],
      [Tag.PrevLogNumber, this.prevLogNumber],
      [Tag.NextFileNumber, this.nextFileNumber],
      [Tag.LastSequence, this.lastSequence],
    ];
    for (const [tag, value] of numbers) {
      if (value === undefined) continue;
      writer.putVarint32(tag);
      writer.putVarint64(value);
    }
    for (const pointer of this.compactPointers) {
      writer.putVarint32(Tag.CompactPointer);
      writer.putVarint32(pointer.level);
      writer.putLengthPrefixed(pointer.key);
    }
    for (const deleted of this.deletedFiles) {
      writer.putVarint32(Tag.DeletedFile);
      writer.putVarint32(deleted.level);
      writer.putVarint64(deleted.number);
    }
    for (const { level, file } of this.newFiles) {
      writer.putVarint32(Tag.NewFile);
      writer.putVarint32(level);
      writer.putVarint64(file.number);
      writer.putVarint64(file.sizeBytes);
      writer.putLengthPrefixed(file.smallest);
      writer.putLengthPrefixed(file.largest);
      writer.putVarint64(file.entryCount);
      writer.putVarint64(file.rangeTombstoneCount);
    }
    return writer.takeBytes();
  }

  /**
   * Decodes one edit. `fileName` and `offset` (of the record in its file) go into any CorruptionError.
   * The keys of the result are copies, so `bytes` may be reused.
   */
  static decode(bytes: Uint8Array, fileName: string, offset = 0): VersionEdit {
    const reader = new ByteReader(bytes, fileName, offset);
    const edit = new VersionEdit();
    const readLevel = (): number => {
      const start = reader.position;
      const level = reader.readVarint32();
      if (level >= NUM_LEVELS) throw reader.corruption(`level ${level} outside [0, ${NUM_LEVELS})`, start);
      return level;
    };
    const readInternalKey = (what: string): Uint8Array => {
      const start = reader.position;
      const key = reader.readLengthPrefixed();
      if (key.length < TRAILER_SIZE_BYTES) throw reader.corruption(`${what} is shorter than an internal key`, start);
      return copyBytes(key);
    };
    // Each field consumes at least one byte, so the loop ends within bytes.length iterations.
    while (!reader.atEnd) {
      const tagStart = reader.position;
      const tag = reader.readVarint32();
      switch (tag) {
        case Tag.Comparator:
          edit.comparatorName = new TextDecoder('utf-8', { fatal: false }).decode(reader.readLengthPrefixed());
          break;
        case Tag.LogNumber:
          edit.logNumber = reader.readVarint64();
          break;
        case Tag.PrevLogNumber:
          edit.prevLogNumber = reader.readVarint64();
          break;
        case Tag.NextFileNumber:
          edit.nextFileNumber = reader.readVarint64();
          break;
        case Tag.LastSequence:
          edit.lastSequence = reader.readVarint64();
          break;
        case Tag.CompactPointer: {
          const level = readLevel();
          edit.compactPointers.push({ level, key: readInternalKey('compact pointer') });
          break;
        }
        case Tag.DeletedFile: {
          const level = readLevel();
          edit.deletedFiles.push({ level, number: reader.readVarint64() });
          break;
        }
        case Tag.NewFile: {
          const level = readLevel();
          const number = reader.readVarint64();
          const sizeBytes = reader.readVarint64();
          const smallest = readInternalKey('smallest key');
          const largest = readInternalKey('largest key');
          const entryCount = reader.readVarint64();
          const rangeTombstoneCount = reader.readVarint64();
          if (internalKeyComparator.compare(smallest, largest) > 0) {
            throw reader.corruption(`new file ${number}: smallest key sorts after largest key`, tagStart);
          }
          edit.newFiles.push({ level, file: { number, sizeBytes, smallest, largest, entryCount, rangeTombstoneCount } });
          break;
        }
        default:
          throw reader.corruption(`unknown version edit tag ${tag}`, tagStart);
      }
    }
    return edit;
  }

  /** A readable summary for logs and test failures. */
  toString(): string {
    const parts: string[] = [];
    if (this.comparatorName !== undefined) parts.push(`comparator=${this.comparatorName}`);
    if (this.logNumber !== undefined) parts.push(`log=${this.logNumber}`);
    if (this.nextFileNumber !== undefined) parts.push(`next=${this.nextFileNumber}`);
    if (this.lastSequence !== undefined) parts.push(`lastSeq=${this.lastSequence}`);
    for (const deleted of this.deletedFiles) parts.push(`-L${deleted.level}#${deleted.number}`);
    for (const added of this.newFiles) parts.push(`+L${added.level}#${added.file.number}(${added.file.sizeBytes}B)`);
    return `VersionEdit{${parts.join(' ')}}`;
  }
}
