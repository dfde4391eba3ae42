// Reads a table written by TableBuilder (the format is at the top of table-builder.ts).
//
// `open` reads and checks the footer (magic number, version, checksum), then the index, metaindex,
// filter and range-tombstone blocks, always verifying their checksums; the index is decoded once into
// arrays (a copy of each data block's last key, its offset and size) so a lookup is a binary search
// with no varint decoding. Data blocks are read on demand, through the block cache when there is one,
// and their checksums verified unless `verifyChecksums` is false. Every handle is checked against the
// file's bounds before it is read. A bad magic number, checksum, handle or block throws CorruptionError
// with the file and the offset of the damaged structure; a corrupt block is never returned as data.
//
// The iterator is two-level: the index picks a data block, a BlockIterator walks it, and crossing a
// block boundary loads the next block. Its `value()` views point into immutable block bytes and stay
// valid as long as held; `key()` is valid until the iterator moves.
//
// Lifetime: the reader owns the file and closes it on `close()`. Iterators must not outlive their
// reader (the engine's table cache keeps a reader open while any iterator over it is).

import { CorruptionError, StorageError } from '../env/errors.js';
import type { RandomAccessFile } from '../env/file-system.js';
import { BlockCache } from './block-cache.js';
import { Block, BlockIterator } from './block-reader.js';
import { BloomFilterPolicy } from './bloom-filter.js';
import { ByteReader, ByteWriter, getFixed32, getFixed64BigInt } from './coding.js';
import { bytewiseComparator, type Comparator } from './comparator.js';
import { crc32c, unmaskCrc } from './crc32c.js';
import type { KeyValueIterator } from './iterator.js';
import {
  BLOCK_TRAILER_SIZE_BYTES,
  COMPRESSION_NONE,
  FILTER_META_PREFIX,
  RANGE_TOMBSTONES_META_NAME,
  TABLE_FOOTER_HANDLES_SIZE_BYTES,
  TABLE_FOOTER_SIZE_BYTES,
  TABLE_FORMAT_VERSION,
  TABLE_MAGIC_NUMBER,
  type BlockHandle,
} from './table-builder.js';

export interface TableReaderOptions {
  comparator: Comparator;
  /** Names the table in the block cache; must be unique among open tables and below 2^21. */
  fileNumber: number;
  cache?: BlockCache;
  /** The policy the table's filter was built with; default a BloomFilterPolicy (the only kind). */
  filterPolicy?: BloomFilterPolicy;
  /**
   * Accepted for symmetry with TableBuilderOptions: `mayContain` takes the filter key itself, computed
   * by the caller with the same function the builder used.
   */
  filterKeyOf?: (key: Uint8Array) => Uint8Array;
  /** Verify data blocks' checksums on every read from the file (default true). Meta blocks always are. */
  verifyChecksums?: boolean;
}

/** Memory a cached block costs beyond its bytes: the Block object and its typed-array views. */
const BLOCK_OVERHEAD_BYTES = 160;

export class TableReader {
  readonly file: RandomAccessFile;
  readonly fileName: string;
  readonly fileNumber: number;
  readonly sizeBytes: number;
  readonly comparator: Comparator;
  private readonly cache: BlockCache | undefined;
  private readonly verifyChecksums: boolean;
  private readonly filterPolicy: BloomFilterPolicy;
  private readonly filter: Uint8Array | undefined;
  /** Per data block: a copy of its last key, its offset and its size (without trailer). */
  readonly indexKeys: readonly Uint8Array[];
  private readonly blockOffsets: Float64Array;
  private readonly blockSizes: Float64Array;
  /** Where the metaindex block starts: past every data and meta block. */
  private readonly metaindexOffset: number;
  private readonly tombstones: readonly (readonly [Uint8Array, Uint8Array])[];
  private closed = false;

  private constructor(
    file: RandomAccessFile,
    options: TableReaderOptions,
    index: { keys: Uint8Array[]; offsets: Float64Array; sizes: Float64Array },
    metaindexOffset: number,
    filter: Uint8Array | undefined,
    tombstones: (readonly [Uint8Array, Uint8Array])[],
  ) {
    this.file = file;
    this.fileName = file.path;
    this.fileNumber = options.fileNumber;
    this.sizeBytes = file.sizeBytes;
    this.comparator = options.comparator;
    this.cache = options.cache;
    this.verifyChecksums = options.verifyChecksums ?? true;
    this.filterPolicy = options.filterPolicy ?? new BloomFilterPolicy();
    this.filter = filter;
    this.indexKeys = index.keys;
    this.blockOffsets = index.offsets;
    this.blockSizes = index.sizes;
    this.metaindexOffset = metaindexOffset;
    this.tombstones = tombstones;
  }

  /** Opens a table; throws CorruptionError if its footer or meta blocks are damaged. */
  static open(file: RandomAccessFile, options: TableReaderOptions): TableReader {
    const fileName = file.path;
    const size = file.sizeBytes;
    if (size < TABLE_FOOTER_SIZE_BYTES) {
      throw new CorruptionError(fileName, 0, `file of ${size} bytes is too short to be a table`);
    }
    const footerOffset = size - TABLE_FOOTER_SIZE_BYTES;
    const footer = file.read(footerOffset, TABLE_FOOTER_SIZE_BYTES);
    if (getFixed64BigInt(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES + 8) !== TABLE_MAGIC_NUMBER) {
      throw new CorruptionError(fileName, footerOffset + TABLE_FOOTER_HANDLES_SIZE_BYTES + 8, 'bad magic number: not a table, or its end is damaged');
    }
    const storedCrc = unmaskCrc(getFixed32(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES + 4));
    if (storedCrc !== crc32c(footer, 0, TABLE_FOOTER_HANDLES_SIZE_BYTES + 4)) {
      throw new CorruptionError(fileName, footerOffset, 'footer checksum mismatch');
    }
    const version = getFixed32(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES);
    if (version !== TABLE_FORMAT_VERSION) {
      throw new CorruptionError(fileName, footerOffset + TABLE_FOOTER_HANDLES_SIZE_BYTES, `unknown table format version ${version}`);
    }
    const footerReader = new ByteReader(footer, fileName, footerOffset);
    const metaindexHandle = readHandle(footerReader, footerOffset, fileName);
    const indexHandle = readHandle(footerReader, footerOffset, fileName);

    const comparator = options.comparator;
    const indexBlock = new Block(readBlockContents(file, indexHandle, true), comparator, { file: fileName, offset: indexHandle.offset });
    const index = decodeIndex(indexBlock, metaindexHandle.offset, fileName);

    const metaindex = new Block(readBlockContents(file, metaindexHandle, true), bytewiseComparator, { file: fileName, offset: metaindexHandle.offset });
    const policy = options.filterPolicy ?? new BloomFilterPolicy();
    const filterName = FILTER_META_PREFIX + policy.name;
    let filter: Uint8Array | undefined;
    let tombstones: (readonly [Uint8Array, Uint8Array])[] = [];
    const metaIterator = metaindex.iterator();
    const decoder = new TextDecoder();
    for (metaIterator.seekToFirst(); metaIterator.valid(); metaIterator.next()) {
      const name = decoder.decode(metaIterator.key());
      if (name !== filterName && name !== RANGE_TOMBSTONES_META_NAME) continue;
      const handleReader = new ByteReader(metaIterator.value(), fileName, metaindexHandle.offset);
      const handle = readHandle(handleReader, metaindexHandle.offset, fileName);
      const contents = readBlockContents(file, handle, true);
      if (name === filterName) filter = contents;
      else tombstones = decodeTombstones(contents, fileName, handle.offset);
    }
    return new TableReader(file, options, index, metaindexHandle.offset, filter, tombstones);
  }

  /** False only if no entry with this filter key (a user key, via filterKeyOf) is in the table. */
  mayContain(filterKey: Uint8Array): boolean {
    if (this.filter === undefined) return true;
    return this.filterPolicy.keyMayMatch(filterKey, this.filter);
  }

  /** As mayContain, for a key already hashed with the filter policy's `hash` (hash once, test many tables). */
  mayContainHash(filterKeyHash: number): boolean {
    if (this.filter === undefined) return true;
    return this.filterPolicy.hashMayMatch(filterKeyHash, this.filter);
  }

  iterator(): KeyValueIterator {
    this.assertOpen();
    return new TableIterator(this);
  }

  /** The range tombstones in the order they were added: [start internal key, exclusive end user key]. */
  rangeTombstones(): Array<[Uint8Array, Uint8Array]> {
    return this.tombstones.map(([start, end]) => [start, end]);
  }

  get rangeTombstoneCount(): number {
    return this.tombstones.length;
  }

  get dataBlockCount(): number {
    return this.indexKeys.length;
  }

  /** Where data block `index` lies in the file (size without its trailer). */
  dataBlockHandle(index: number): BlockHandle {
    if (!(index >= 0 && index < this.indexKeys.length)) {
      throw new StorageError('INVALID_ARGUMENT', `table ${this.fileName}: no data block ${index} of ${this.indexKeys.length}`);
    }
    return { offset: this.blockOffsets[index]!, size: this.blockSizes[index]! };
  }

  /** Roughly where in the file the entries at or after `key` begin (for sizing key ranges). */
  approximateOffsetOf(key: Uint8Array): number {
    const block = this.findBlock(key);
    return block < this.indexKeys.length ? this.blockOffsets[block]! : this.metaindexOffset;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }

  /** Index of the first data block whose last key is >= key (dataBlockCount if none). */
  findBlock(key: Uint8Array): number {
    const keys = this.indexKeys;
    const comparator = this.comparator;
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparator.compare(keys[middle]!, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Data block `index`, from the cache or the file (verified, then cached). */
  dataBlock(index: number): Block {
    this.assertOpen();
    const offset = this.blockOffsets[index]!;
    const cache = this.cache;
    if (cache !== undefined) {
      const cached = cache.get(this.fileNumber, offset);
      if (cached !== undefined) return cached;
    }
    const size = this.blockSizes[index]!;
    const contents = readBlockContents(this.file, { offset, size }, this.verifyChecksums);
    const block = new Block(contents, this.comparator, { file: this.fileName, offset });
    if (cache !== undefined) cache.insert(this.fileNumber, offset, block, size + BLOCK_TRAILER_SIZE_BYTES + BLOCK_OVERHEAD_BYTES);
    return block;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('CLOSED', `table ${this.fileName} is closed`);
  }
}

function readHandle(reader: ByteReader, structureOffset: number, fileName: string): BlockHandle {
  const offset = reader.readVarint64();
  const size = reader.readVarint64();
  if (offset + size + BLOCK_TRAILER_SIZE_BYTES > structureOffset) {
    throw new CorruptionError(fileName, structureOffset, `block handle (offset ${offset}, size ${size}) points past ${structureOffset}`);
  }
  return { offset, size };
}

/** Reads a block and its trailer; checks the compression type and, if asked, the checksum. */
function readBlockContents(file: RandomAccessFile, handle: BlockHandle, verifyChecksum: boolean): Uint8Array {
  const bytes = file.read(handle.offset, handle.size + BLOCK_TRAILER_SIZE_BYTES);
  if (verifyChecksum) {
    const stored = unmaskCrc(getFixed32(bytes, handle.size + 1));
    if (stored !== crc32c(bytes, 0, handle.size + 1)) {
      throw new CorruptionError(file.path, handle.offset, `block checksum mismatch (block of ${handle.size} bytes)`);
    }
  }
  const compression = bytes[handle.size]!;
  if (compression !== COMPRESSION_NONE) {
    throw new CorruptionError(file.path, handle.offset + handle.size, `unknown compression type ${compression}`);
  }
  return bytes.subarray(0, handle.size);
}

function decodeIndex(indexBlock: Block, dataEndOffset: number, fileName: string): { keys: Uint8Array[]; offsets: Float64Array; sizes: Float64Array } {
  const offsets: number[] = [];
  const sizes: number[] = [];
  const keyStarts: number[] = [];
  // The keys are copied into one buffer, in order, and viewed from there: one allocation instead of
  // one ArrayBuffer per data block (which the garbage collector would track), and a binary search
  // that walks contiguous memory.
  const keyBytes = new ByteWriter(indexBlock.sizeBytes);
  const iterator = indexBlock.iterator();
  const reader = new ByteReader(new Uint8Array(0), fileName, indexBlock.location.offset);
  let expectedOffset = 0;
  for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
    reader.reset(iterator.value(), fileName, indexBlock.location.offset);
    const handle = readHandle(reader, dataEndOffset, fileName);
    // Data blocks are written back to back from the start of the file.
    if (handle.offset !== expectedOffset) {
      throw new CorruptionError(fileName, indexBlock.location.offset, `index entry ${offsets.length} points at ${handle.offset}, expected ${expectedOffset}`);
    }
    expectedOffset = handle.offset + handle.size + BLOCK_TRAILER_SIZE_BYTES;
    keyStarts.push(keyBytes.length);
    keyBytes.putBytes(iterator.key());
    offsets.push(handle.offset);
    sizes.push(handle.size);
  }
  keyStarts.push(keyBytes.length);
  const allKeys = keyBytes.bytes();
  const keys: Uint8Array[] = [];
  for (let i = 0; i + 1 < keyStarts.length; i++) keys.push(allKeys.subarray(keyStarts[i]!, keyStarts[i + 1]!));
  return { keys, offsets: Float64Array.from(offsets), sizes: Float64Array.from(sizes) };
}

function decodeTombstones(contents: Uint8Array, fileName: string, blockOffset: number): (readonly [Uint8Array, Uint8Array])[] {
  const reader = new ByteReader(contents, fileName, blockOffset);
  const count = reader.readVarint32();
  // Each tombstone takes at least two bytes, so a count beyond that is corrupt (and would loop long).
  if (count > reader.remaining / 2) throw reader.corruption(`range tombstone count ${count} exceeds the block`, 0);
  const tombstones: (readonly [Uint8Array, Uint8Array])[] = [];
  for (let i = 0; i < count; i++) {
    const start = reader.readLengthPrefixed();
    const end = reader.readLengthPrefixed();
    tombstones.push([start, end]);
  }
  if (!reader.atEnd) throw reader.corruption('bytes after the last range tombstone');
  return tombstones;
}

/** The two-level iterator: index → data block. */
class TableIterator implements KeyValueIterator {
  private readonly table: TableReader;
  /** Index of the data block `blockIterator` walks; -1 or dataBlockCount when none. */
  private blockIndex = -1;
  private blockIterator: BlockIterator | undefined = undefined;

  constructor(table: TableReader) {
    this.table = table;
  }

  valid(): boolean {
    return this.blockIterator !== undefined && this.blockIterator.valid();
  }

  seekToFirst(): void {
    if (!this.loadBlock(0)) return;
    this.blockIterator!.seekToFirst();
    this.skipEmptyBlocksForward();
  }

  seekToLast(): void {
    if (!this.loadBlock(this.table.dataBlockCount - 1)) return;
    this.blockIterator!.seekToLast();
    this.skipEmptyBlocksBackward();
  }

  seek(target: Uint8Array): void {
    if (!this.loadBlock(this.table.findBlock(target))) return;
    this.blockIterator!.seek(target);
    this.skipEmptyBlocksForward();
  }

  seekForPrev(target: Uint8Array): void {
    this.seek(target);
    if (!this.valid()) this.seekToLast();
    else if (this.table.comparator.compare(this.key(), target) > 0) this.prev();
  }

  next(): void {
    if (!this.valid()) throw new StorageError('INVALID_ARGUMENT', 'table iterator: next on an invalid iterator');
    this.blockIterator!.next();
    this.skipEmptyBlocksForward();
  }

  prev(): void {
    if (!this.valid()) throw new StorageError('INVALID_ARGUMENT', 'table iterator: prev on an invalid iterator');
    this.blockIterator!.prev();
    this.skipEmptyBlocksBackward();
  }

  key(): Uint8Array {
    return this.blockIterator!.key();
  }

  value(): Uint8Array {
    return this.blockIterator!.value();
  }

  close(): void {
    this.blockIterator = undefined;
    this.blockIndex = -1;
  }

  /** Points the block iterator at data block `index`, unpositioned; false (and invalid) if out of range. */
  private loadBlock(index: number): boolean {
    if (index < 0 || index >= this.table.dataBlockCount) {
      this.blockIndex = index < 0 ? -1 : this.table.dataBlockCount;
      if (this.blockIterator !== undefined) this.blockIterator.close();
      return false;
    }
    if (index === this.blockIndex && this.blockIterator !== undefined) {
      // Already loaded (a seek landing in the block it was in): no cache probe, no read.
      this.blockIterator.close();
      return true;
    }
    const block = this.table.dataBlock(index);
    if (this.blockIterator === undefined) this.blockIterator = new BlockIterator(block);
    else this.blockIterator.reset(block);
    this.blockIndex = index;
    return true;
  }

  private skipEmptyBlocksForward(): void {
    while (!this.blockIterator!.valid()) {
      if (!this.loadBlock(this.blockIndex + 1)) return;
      this.blockIterator!.seekToFirst();
    }
  }

  private skipEmptyBlocksBackward(): void {
    while (!this.blockIterator!.valid()) {
      if (!this.loadBlock(this.blockIndex - 1)) return;
      this.blockIterator!.seekToLast();
    }
  }
}
