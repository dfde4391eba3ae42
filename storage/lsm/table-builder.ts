// Writes a sorted string table (SSTable): an immutable file of key/value entries in comparator order,
// read by TableReader (table-reader.ts). LevelDB's table format (doc/table_format.md), with a full
// filter and a range-tombstone block as in RocksDB, and a checksummed footer.
//
// File layout, in order:
//
//   data block 0, trailer            entries in order, ~blockSizeBytes each (block format:
//   ...                              block-builder.ts), cut after the entry that reaches the size
//   data block n-1, trailer
//   filter block, trailer            present when the builder has a filter policy
//   range-tombstone block, trailer   present when at least one range tombstone was added
//   metaindex block, trailer         names → handles of the meta blocks above
//   index block, trailer             one entry per data block
//   footer                           56 bytes
//
// A block handle is varint64 offset, varint64 size: where a block starts in the file and its size
// without the trailer.
//
// Block trailer (5 bytes, after every block): compression type (1 byte, always 0 = none), then a
// fixed32 masked CRC-32C of the block's bytes followed by that type byte. Compression is off because no
// well-kept, fast, pure-JS compressor (Snappy/LZ4 class) exists to pay for itself, and node:zlib, the
// one at hand, costs too much on the read path: measured here on a 4 KiB block of typical keys,
// inflateRawSync takes 6–8 µs (deflate level 1: 10–12 µs), paid on the event loop on every block-cache
// miss, about as much as the positioned read itself. The type byte keeps the door open; a reader
// refuses any type but 0.
//
// Filter block: a BloomFilterPolicy filter (format: bloom-filter.ts) over `filterKeyOf(key)` of every
// entry, with adjacent equal filter keys counted once. One filter for the whole table, because tables
// are sorted by internal keys while lookups test user keys.
//
// Range-tombstone block: varint32 count, then per tombstone, in the order added: length-prefixed start
// key (an internal key, as the caller gives it) and length-prefixed end key (an exclusive user key).
// Not sorted or fragmented here; the engine above interprets them.
//
// Metaindex block: a block (restart interval 1, bytewise order) whose keys are names and values are
// handles: "filter.<policy name>" for the filter, "reef.range_tombstones" for the tombstones. Readers
// ignore names they do not know.
//
// Index block: a block (restart interval 1, the table's comparator) whose entry i has as key the last
// key of data block i and as value its handle. So data block i holds every key k with
// index key i-1 < k <= index key i, and the first index key >= a target names the only block that can
// hold the target's successor. (LevelDB shortens these keys to a "separator"; our Comparator has no
// such operation, and the full key costs only index space.)
//
// Footer (56 bytes): metaindex handle, index handle, zero padding to 40 bytes; fixed32 format version
// (1); fixed32 masked CRC-32C of the preceding 44 bytes; fixed64 magic number 0x5265656653535431
// ("ReefSST1" in ASCII). The footer checksum means any flipped byte in the footer is detected.
//
// Invariants: entries arrive in strictly increasing comparator order (asserted, across blocks too);
// the builder copies what it keeps, so callers may pass views they reuse; the file receives whole
// multiples of blocks in appends of ~256 KiB. The builder neither syncs nor closes the file: the
// caller syncs it before recording the table anywhere, and closes it.

import { StorageError } from '../env/errors.js';
import type { WritableFile } from '../env/file-system.js';
import { BlockBuilder } from './block-builder.js';
import { BloomFilterPolicy } from './bloom-filter.js';
import { ByteWriter, copyBytes, putFixed32, putFixed64BigInt } from './coding.js';
import { bytewiseComparator, type Comparator } from './comparator.js';
import { crc32c, maskCrc } from './crc32c.js';

export const TABLE_MAGIC_NUMBER = 0x5265656653535431n;
export const TABLE_FORMAT_VERSION = 1;
export const TABLE_FOOTER_SIZE_BYTES = 56;
/** Bytes of the footer that hold the two handles and their padding. */
export const TABLE_FOOTER_HANDLES_SIZE_BYTES = 40;
export const BLOCK_TRAILER_SIZE_BYTES = 5;
export const COMPRESSION_NONE = 0;
export const RANGE_TOMBSTONES_META_NAME = 'reef.range_tombstones';
export const FILTER_META_PREFIX = 'filter.';

/** Bytes gathered before one append to the file. */
const OUTPUT_FLUSH_BYTES = 256 * 1024;

export interface BlockHandle {
  readonly offset: number;
  readonly size: number;
}

export interface TableBuilderOptions {
  comparator: Comparator;
  /** Target size of a data block before its trailer; default 4096. */
  blockSizeBytes?: number;
  /** Entries between restart points in data blocks; default 16. */
  restartInterval?: number;
  /** Builds the table's filter; without one the table has no filter block. */
  filterPolicy?: BloomFilterPolicy;
  /** The key the filter holds for an entry's key; default the key itself. */
  filterKeyOf?: (key: Uint8Array) => Uint8Array;
}

export interface TableProperties {
  /** The file's size once finished. */
  readonly sizeBytes: number;
  readonly entryCount: number;
  /** Copies of the first and last keys; undefined when the table holds no entries. */
  readonly smallestKey: Uint8Array | undefined;
  readonly largestKey: Uint8Array | undefined;
}

export class TableBuilder {
  private readonly file: WritableFile;
  private readonly comparator: Comparator;
  private readonly blockSizeBytes: number;
  private readonly filterPolicy: BloomFilterPolicy | undefined;
  private readonly filterKeyOf: ((key: Uint8Array) => Uint8Array) | undefined;
  private readonly dataBlock: BlockBuilder;
  private readonly indexBlock: BlockBuilder;
  private output = new ByteWriter(OUTPUT_FLUSH_BYTES + 8192);
  /** Bytes of the file so far, appended or still in `output`. */
  private offset = 0;
  private entryCountValue = 0;
  private smallestKey: Uint8Array | undefined = undefined;
  /** A copy of the last key of the last data block written. */
  private lastFlushedKey: Uint8Array | undefined = undefined;
  private filterHashes = new Uint32Array(1024);
  private filterHashCount = 0;
  private lastFilterKey = new Uint8Array(64);
  private lastFilterKeyLength = -1;
  private readonly tombstones = new ByteWriter(64);
  private tombstoneCount = 0;
  private state: 'building' | 'finished' | 'abandoned' = 'building';
  private readonly handleScratch = new ByteWriter(32);

  constructor(file: WritableFile, options: TableBuilderOptions) {
    this.file = file;
    this.comparator = options.comparator;
    this.blockSizeBytes = options.blockSizeBytes ?? 4096;
    if (!(this.blockSizeBytes >= 64)) {
      throw new StorageError('INVALID_ARGUMENT', `TableBuilder: block size must be at least 64 bytes, got ${this.blockSizeBytes}`);
    }
    this.filterPolicy = options.filterPolicy;
    this.filterKeyOf = options.filterKeyOf;
    this.dataBlock = new BlockBuilder(options.restartInterval ?? 16, this.comparator);
    this.indexBlock = new BlockBuilder(1, this.comparator);
    if (file.sizeBytes !== 0) {
      throw new StorageError('INVALID_ARGUMENT', `TableBuilder: ${file.path} must be empty, holds ${file.sizeBytes} bytes`);
    }
  }

  /** The file's size if the table were finished now, roughly: bytes written plus the open block. */
  get estimatedSizeBytes(): number {
    return this.offset + this.dataBlock.currentSizeEstimate;
  }

  get entryCount(): number {
    return this.entryCountValue;
  }

  /** Adds an entry; `key` must sort after every key added before. */
  add(key: Uint8Array, value: Uint8Array): void {
    this.assertBuilding('add');
    if (this.dataBlock.empty && this.lastFlushedKey !== undefined && this.comparator.compare(key, this.lastFlushedKey) <= 0) {
      throw new StorageError('INVALID_ARGUMENT', 'TableBuilder.add: keys must be added in strictly increasing order');
    }
    this.dataBlock.add(key, value);
    if (this.entryCountValue === 0) this.smallestKey = copyBytes(key);
    this.entryCountValue++;
    if (this.filterPolicy !== undefined) this.addFilterKey(this.filterKeyOf === undefined ? key : this.filterKeyOf(key));
    if (this.dataBlock.currentSizeEstimate >= this.blockSizeBytes) this.flushDataBlock();
  }

  /** Records that user keys in [start's user key, endKey) are deleted at start's sequence number. */
  addRangeTombstone(startKey: Uint8Array, endKey: Uint8Array): void {
    this.assertBuilding('addRangeTombstone');
    this.tombstones.putLengthPrefixed(startKey);
    this.tombstones.putLengthPrefixed(endKey);
    this.tombstoneCount++;
  }

  /** Writes the remaining blocks and the footer. The caller then syncs and closes the file. */
  finish(): TableProperties {
    this.assertBuilding('finish');
    if (!this.dataBlock.empty) this.flushDataBlock();
    const metaindex = new BlockBuilder(1, bytewiseComparator);
    const encoder = new TextEncoder();
    if (this.filterPolicy !== undefined) {
      const filter = this.filterPolicy.createFilterFromHashes(this.filterHashes, this.filterHashCount);
      const handle = this.writeBlock(filter);
      metaindex.add(encoder.encode(FILTER_META_PREFIX + this.filterPolicy.name), this.encodeHandle(handle));
    }
    if (this.tombstoneCount > 0) {
      const block = new ByteWriter(this.tombstones.length + 5);
      block.putVarint32(this.tombstoneCount);
      block.putBytes(this.tombstones.bytes());
      const handle = this.writeBlock(block.bytes());
      metaindex.add(encoder.encode(RANGE_TOMBSTONES_META_NAME), this.encodeHandle(handle));
    }
    const metaindexHandle = this.writeBlock(metaindex.finish());
    const indexHandle = this.writeBlock(this.indexBlock.finish());

    const footer = new Uint8Array(TABLE_FOOTER_SIZE_BYTES);
    const handles = new ByteWriter(TABLE_FOOTER_HANDLES_SIZE_BYTES);
    handles.putVarint64(metaindexHandle.offset);
    handles.putVarint64(metaindexHandle.size);
    handles.putVarint64(indexHandle.offset);
    handles.putVarint64(indexHandle.size);
    footer.set(handles.bytes(), 0);
    putFixed32(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES, TABLE_FORMAT_VERSION);
    putFixed32(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES + 4, maskCrc(crc32c(footer, 0, TABLE_FOOTER_HANDLES_SIZE_BYTES + 4)));
    putFixed64BigInt(footer, TABLE_FOOTER_HANDLES_SIZE_BYTES + 8, TABLE_MAGIC_NUMBER);
    this.output.putBytes(footer);
    this.offset += footer.length;
    this.flushOutput();
    this.state = 'finished';
    return {
      sizeBytes: this.offset,
      entryCount: this.entryCountValue,
      smallestKey: this.smallestKey,
      largestKey: this.lastFlushedKey,
    };
  }

  /** Gives up on the table: nothing more is written. The caller closes and removes the file. */
  abandon(): void {
    this.state = 'abandoned';
    this.output.reset();
    this.filterHashes = new Uint32Array(0);
  }

  private assertBuilding(operation: string): void {
    if (this.state !== 'building') throw new StorageError('INVALID_ARGUMENT', `TableBuilder.${operation} after the table was ${this.state}`);
  }

  private addFilterKey(filterKey: Uint8Array): void {
    const length = filterKey.length;
    // Versions of one user key are adjacent in internal-key order; the filter needs the user key once.
    if (length === this.lastFilterKeyLength) {
      const last = this.lastFilterKey;
      let i = 0;
      while (i < length && last[i] === filterKey[i]) i++;
      if (i === length) return;
    }
    if (this.filterHashCount === this.filterHashes.length) {
      const grown = new Uint32Array(this.filterHashes.length * 2);
      grown.set(this.filterHashes);
      this.filterHashes = grown;
    }
    this.filterHashes[this.filterHashCount++] = this.filterPolicy!.hash(filterKey);
    if (length > this.lastFilterKey.length) this.lastFilterKey = new Uint8Array(Math.max(length, this.lastFilterKey.length * 2));
    this.lastFilterKey.set(filterKey);
    this.lastFilterKeyLength = length;
  }

  private flushDataBlock(): void {
    const lastKey = this.dataBlock.lastKey();
    const handle = this.writeBlock(this.dataBlock.finish());
    this.indexBlock.add(lastKey, this.encodeHandle(handle));
    this.lastFlushedKey = copyBytes(lastKey);
    this.dataBlock.reset();
  }

  /** Appends `contents` and its trailer to the output; returns the block's handle. */
  private writeBlock(contents: Uint8Array): BlockHandle {
    const handle: BlockHandle = { offset: this.offset, size: contents.length };
    const output = this.output;
    output.ensureCapacity(contents.length + BLOCK_TRAILER_SIZE_BYTES);
    const start = output.length;
    output.putBytes(contents);
    output.putByte(COMPRESSION_NONE);
    const crc = crc32c(output.bytes(), start, start + contents.length + 1);
    output.putFixed32(maskCrc(crc));
    this.offset += contents.length + BLOCK_TRAILER_SIZE_BYTES;
    if (output.length >= OUTPUT_FLUSH_BYTES) this.flushOutput();
    return handle;
  }

  private flushOutput(): void {
    if (this.output.length === 0) return;
    // The file may keep the buffer it is handed, so the output moves to a fresh one.
    this.file.append(this.output.takeBytes(OUTPUT_FLUSH_BYTES + 8192));
  }

  private encodeHandle(handle: BlockHandle): Uint8Array {
    const scratch = this.handleScratch;
    scratch.reset();
    scratch.putVarint64(handle.offset);
    scratch.putVarint64(handle.size);
    return scratch.bytes();
  }
}
