// Reads a block built by BlockBuilder (the format is at the top of block-builder.ts) and iterates it.
//
// Seeks binary-search the restart points (whose keys are stored whole), then scan forward at most one
// restart interval. `prev` is LevelDB's: back up to the restart point before the current entry and
// scan forward to the entry just before it, so the block needs no backward links.
//
// Nothing in the block is trusted. The constructor checks the restart array (count fits, offsets
// ascending and inside the entry area, the first at 0); the iterator checks every entry as it decodes
// it (lengths inside the entry area, `shared` no longer than the previous key and 0 at a restart
// point). A violation throws CorruptionError with the file and the absolute offset of the bad field, so
// a damaged block fails loudly instead of yielding garbage keys.
//
// Views: `value()` is a view into the block's bytes, which are immutable once read, so it stays valid
// as long as the caller holds it. `key()` is a view into a buffer the iterator reuses (prefix-compressed
// keys must be reassembled), valid until the iterator moves, as the KeyValueIterator contract says.

import { CorruptionError, StorageError } from '../env/errors.js';
import { getFixed32 } from './coding.js';
import type { Comparator } from './comparator.js';
import type { KeyValueIterator } from './iterator.js';

/** Where a block lives, for error messages: the file and the block's offset in it. */
export interface BlockLocation {
  readonly file: string;
  readonly offset: number;
}

const UNKNOWN_LOCATION: BlockLocation = { file: '<block>', offset: 0 };

const KEY_BUFFER_BYTES = 64;
const KEY_SLAB_BYTES = 64 * 1024;
let keySlab = new Uint8Array(KEY_SLAB_BYTES);
let keySlabUsed = 0;

/**
 * A fresh 64-byte key buffer for a new iterator, carved from a shared slab. A small typed array of its
 * own lives on the V8 heap and must be moved to an ArrayBuffer the first time it is viewed (`subarray`),
 * which measured ~200 ns: more than a whole cached block seek's share when a point lookup creates an
 * iterator. A window of a slab is already backed, so creating one costs a view. Each window belongs to
 * one iterator; a slab is freed once no iterator holds a window of it.
 */
function newKeyBuffer(): Uint8Array {
  if (keySlabUsed + KEY_BUFFER_BYTES > KEY_SLAB_BYTES) {
    keySlab = new Uint8Array(KEY_SLAB_BYTES);
    keySlabUsed = 0;
  }
  const window = keySlab.subarray(keySlabUsed, keySlabUsed + KEY_BUFFER_BYTES);
  keySlabUsed += KEY_BUFFER_BYTES;
  return window;
}

export class Block {
  readonly contents: Uint8Array;
  readonly comparator: Comparator;
  readonly location: BlockLocation;
  /** Offset of the restart array: entries occupy [0, restartsOffset). */
  readonly restartsOffset: number;
  readonly restartCount: number;

  constructor(contents: Uint8Array, comparator: Comparator, location: BlockLocation = UNKNOWN_LOCATION) {
    this.contents = contents;
    this.comparator = comparator;
    this.location = location;
    const size = contents.length;
    if (size < 4) throw this.corruption(0, `block of ${size} bytes is too short for its restart count`);
    const restartCount = getFixed32(contents, size - 4);
    const maxRestarts = Math.floor((size - 4) / 4);
    if (restartCount > maxRestarts) {
      throw this.corruption(size - 4, `restart count ${restartCount} does not fit in a block of ${size} bytes`);
    }
    const restartsOffset = size - 4 - restartCount * 4;
    if (restartCount === 0 && restartsOffset > 0) throw this.corruption(size - 4, 'entries but no restart points');
    let previous = -1;
    for (let index = 0; index < restartCount; index++) {
      const restart = getFixed32(contents, restartsOffset + index * 4);
      // An empty block has the single restart 0 == restartsOffset; otherwise restarts lie inside the entries.
      const inside = restartsOffset === 0 ? restart === 0 && index === 0 : restart < restartsOffset;
      if (!inside || restart <= previous || (index === 0 && restart !== 0)) {
        throw this.corruption(restartsOffset + index * 4, `restart point ${index} at ${restart} is out of order or outside the ${restartsOffset} bytes of entries`);
      }
      previous = restart;
    }
    this.restartsOffset = restartsOffset;
    this.restartCount = restartsOffset === 0 ? 0 : restartCount;
  }

  get sizeBytes(): number {
    return this.contents.length;
  }

  iterator(): BlockIterator {
    return new BlockIterator(this);
  }

  /** Offset of restart point `index` within the block. */
  restartPoint(index: number): number {
    return getFixed32(this.contents, this.restartsOffset + index * 4);
  }

  corruption(offsetInBlock: number, what: string): CorruptionError {
    return new CorruptionError(this.location.file, this.location.offset + offsetInBlock, `block: ${what}`);
  }
}

/**
 * Iterates one block. `reset(block)` retargets it at another block, which lets a table iterator walk
 * many blocks with one iterator and one key buffer.
 */
export class BlockIterator implements KeyValueIterator {
  private block!: Block;
  private data!: Uint8Array;
  private comparator!: Comparator;
  private restartsOffset = 0;
  private restartCount = 0;
  /** Offset of the current entry; equal to restartsOffset when the iterator is not valid. */
  private current = 0;
  /** Offset just past the current entry's value: where the next entry starts. */
  private nextOffset = 0;
  /** Index of the restart point at or before `current`. */
  private restartIndex = 0;
  /** Offset of restart point restartIndex + 1 (restartsOffset when there is none). */
  private nextRestart = 0;
  private keyBuffer = newKeyBuffer();
  private keyLength = 0;
  private keyView: Uint8Array | undefined = undefined;
  private valueOffset = 0;
  private valueLength = 0;
  /** Where the last readVarint ended; a field, so that decoding allocates nothing. */
  private varintEnd = 0;

  constructor(block: Block) {
    this.reset(block);
  }

  /** Retargets the iterator at `block`, unpositioned (not valid). */
  reset(block: Block): void {
    this.block = block;
    this.data = block.contents;
    this.comparator = block.comparator;
    this.restartsOffset = block.restartsOffset;
    this.restartCount = block.restartCount;
    this.current = this.restartsOffset;
    this.restartIndex = this.restartCount;
    this.keyLength = 0;
    this.keyView = undefined;
  }

  valid(): boolean {
    return this.current < this.restartsOffset;
  }

  key(): Uint8Array {
    // The key buffer is rewritten in place, so a view of the same length over it already shows the
    // current key: scans over keys of one length allocate no views at all.
    const view = this.keyView;
    if (view !== undefined && view.length === this.keyLength) return view;
    return (this.keyView = this.keyBuffer.subarray(0, this.keyLength));
  }

  value(): Uint8Array {
    return this.data.subarray(this.valueOffset, this.valueOffset + this.valueLength);
  }

  seekToFirst(): void {
    if (this.restartCount === 0) return this.invalidate();
    this.seekToRestartPoint(0);
    this.parseNextEntry();
  }

  seekToLast(): void {
    if (this.restartCount === 0) return this.invalidate();
    this.seekToRestartPoint(this.restartCount - 1);
    while (this.parseNextEntry() && this.nextOffset < this.restartsOffset) {
      // Keep going: the last entry is the one that ends where the restart array begins.
    }
  }

  seek(target: Uint8Array): void {
    if (this.restartCount === 0) return this.invalidate();
    // Find the last restart point whose key is < target; the answer is at or after it.
    let left = 0;
    let right = this.restartCount - 1;
    const comparator = this.comparator;
    while (left < right) {
      const middle = (left + right + 1) >>> 1;
      if (comparator.compare(this.restartKey(middle), target) < 0) left = middle;
      else right = middle - 1;
    }
    this.seekToRestartPoint(left);
    while (this.parseNextEntry()) {
      if (comparator.compare(this.key(), target) >= 0) return;
    }
  }

  seekForPrev(target: Uint8Array): void {
    this.seek(target);
    if (!this.valid()) this.seekToLast();
    else if (this.comparator.compare(this.key(), target) > 0) this.prev();
  }

  next(): void {
    if (!this.valid()) throw new StorageError('INVALID_ARGUMENT', 'BlockIterator.next on an invalid iterator');
    this.parseNextEntry();
  }

  prev(): void {
    if (!this.valid()) throw new StorageError('INVALID_ARGUMENT', 'BlockIterator.prev on an invalid iterator');
    const original = this.current;
    let index = this.restartIndex;
    while (this.block.restartPoint(index) >= original) {
      if (index === 0) return this.invalidate();
      index--;
    }
    this.seekToRestartPoint(index);
    while (this.parseNextEntry() && this.nextOffset < original) {
      // Scan forward to the entry that ends where the original one starts.
    }
  }

  close(): void {
    this.invalidate();
  }

  private invalidate(): void {
    this.current = this.restartsOffset;
    this.restartIndex = this.restartCount;
  }

  private seekToRestartPoint(index: number): void {
    this.keyLength = 0;
    this.restartIndex = index;
    this.nextOffset = this.block.restartPoint(index);
    this.nextRestart = index + 1 < this.restartCount ? this.block.restartPoint(index + 1) : this.restartsOffset;
  }

  /** The whole key stored at restart point `index` (a view into the block). */
  private restartKey(index: number): Uint8Array {
    const data = this.data;
    const start = this.block.restartPoint(index);
    let shared: number;
    let nonShared: number;
    let position: number;
    if (start + 3 <= this.restartsOffset && (data[start]! | data[start + 1]! | data[start + 2]!) < 128) {
      shared = data[start]!;
      nonShared = data[start + 1]!;
      position = start + 3;
    } else {
      shared = this.readVarint(start);
      nonShared = this.readVarint(this.varintEnd);
      this.readVarint(this.varintEnd);
      position = this.varintEnd;
    }
    if (shared !== 0 || position + nonShared > this.restartsOffset) {
      throw this.block.corruption(start, `bad entry at restart point ${index}`);
    }
    return data.subarray(position, position + nonShared);
  }

  /** Decodes the entry at nextOffset into the current position; returns false at the end of the block. */
  private parseNextEntry(): boolean {
    const data = this.data;
    const limit = this.restartsOffset;
    let position = this.nextOffset;
    this.current = position;
    if (position >= limit) {
      this.restartIndex = this.restartCount;
      return false;
    }
    let shared: number;
    let nonShared: number;
    let valueLength: number;
    // Fast path: all three lengths below 128 take one byte each (LevelDB's DecodeEntry does the same).
    if (position + 3 <= limit && (data[position]! | data[position + 1]! | data[position + 2]!) < 128) {
      shared = data[position]!;
      nonShared = data[position + 1]!;
      valueLength = data[position + 2]!;
      position += 3;
    } else {
      shared = this.readVarint(position);
      nonShared = this.readVarint(this.varintEnd);
      valueLength = this.readVarint(this.varintEnd);
      position = this.varintEnd;
    }
    if (position + nonShared + valueLength > limit || shared > this.keyLength) {
      throw this.block.corruption(this.current, `entry lengths (shared ${shared}, key ${nonShared}, value ${valueLength}) do not fit`);
    }
    if (this.current >= this.nextRestart) {
      // The entry sits at (or, in a corrupt block, past) the next restart point.
      this.restartIndex++;
      this.nextRestart = this.restartIndex + 1 < this.restartCount ? this.block.restartPoint(this.restartIndex + 1) : limit;
      if (shared !== 0 || this.current !== this.block.restartPoint(this.restartIndex)) {
        throw this.block.corruption(this.current, 'entry at a restart point shares a prefix, or entries straddle a restart point');
      }
    }
    const keyLength = shared + nonShared;
    if (keyLength > this.keyBuffer.length) {
      const grown = new Uint8Array(Math.max(keyLength, this.keyBuffer.length * 2));
      grown.set(this.keyBuffer.subarray(0, shared));
      this.keyBuffer = grown;
      this.keyView = undefined;
    }
    const keyBuffer = this.keyBuffer;
    if (nonShared < 32) {
      for (let i = 0; i < nonShared; i++) keyBuffer[shared + i] = data[position + i]!;
    } else {
      keyBuffer.set(data.subarray(position, position + nonShared), shared);
    }
    this.keyLength = keyLength;
    this.valueOffset = position + nonShared;
    this.valueLength = valueLength;
    this.nextOffset = this.valueOffset + valueLength;
    return true;
  }

  private readVarint(position: number): number {
    const data = this.data;
    const limit = this.restartsOffset;
    let result = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      if (position >= limit) throw this.block.corruption(position, 'varint runs past the entries');
      const byte = data[position++]!;
      result |= (byte & 0x7f) << shift;
      if (byte < 128) {
        this.varintEnd = position;
        return result >>> 0;
      }
    }
    throw this.block.corruption(position, 'varint longer than 5 bytes');
  }
}
