// Builds one block of sorted key/value entries: the unit a table reads, caches and checksums. Block
// (block-reader.ts) reads it.
//
// Format (LevelDB's block_builder). Keys are prefix-compressed: each entry stores only the bytes by
// which its key differs from the previous key. Every `restartInterval` entries the compression restarts
// and a full key is stored; the offsets of these "restart points" let a reader binary-search the block.
//
//   entry:    shared: varint32       bytes of the previous key this key begins with (0 at a restart)
//             nonShared: varint32    bytes of the key that follow
//             valueLength: varint32
//             key bytes [shared, shared + nonShared), then the value
//   ...entries...
//   restarts: fixed32 × restartCount  offset of each restart entry, from the block's start, ascending
//   restartCount: fixed32              at least 1; the first restart is at offset 0
//
// An empty block is a single restart at 0 and the count: 8 bytes.
//
// Invariants: keys are added in strictly increasing order of the comparator (asserted: out-of-order
// keys would make every seek on the block wrong); the builder copies every key and value it is given,
// so callers may pass views they reuse.

import { StorageError } from '../env/errors.js';
import { bytewiseComparator, type Comparator } from './comparator.js';
import { ByteWriter } from './coding.js';

export class BlockBuilder {
  readonly restartInterval: number;
  private readonly comparator: Comparator;
  private readonly buffer = new ByteWriter(4096);
  private restarts: number[] = [0];
  /** Entries since the last restart point. */
  private counter = 0;
  private entryCountValue = 0;
  private lastKeyBuffer = new Uint8Array(new ArrayBuffer(64));
  private lastKeyLength = 0;
  private lastKeyView: Uint8Array | undefined = undefined;
  private finished = false;

  constructor(restartInterval = 16, comparator: Comparator = bytewiseComparator) {
    if (!Number.isInteger(restartInterval) || restartInterval < 1) {
      throw new StorageError('INVALID_ARGUMENT', `BlockBuilder: restart interval must be a positive integer, got ${restartInterval}`);
    }
    this.restartInterval = restartInterval;
    this.comparator = comparator;
  }

  /** True when no entry has been added since construction or `reset()`. */
  get empty(): boolean {
    return this.entryCountValue === 0;
  }

  get entryCount(): number {
    return this.entryCountValue;
  }

  /** The size `finish()` would return now, in bytes. */
  get currentSizeEstimate(): number {
    return this.buffer.length + this.restarts.length * 4 + 4;
  }

  /** A view of the last key added; valid until the next `add` or `reset`. Requires !empty. */
  lastKey(): Uint8Array {
    // The buffer is rewritten in place, so a view of the right length can be reused (no allocation
    // per add when keys share a length).
    const view = this.lastKeyView;
    if (view !== undefined && view.length === this.lastKeyLength) return view;
    return (this.lastKeyView = this.lastKeyBuffer.subarray(0, this.lastKeyLength));
  }

  /** Appends an entry. `key` must sort after every key already in the block. */
  add(key: Uint8Array, value: Uint8Array): void {
    if (this.finished) throw new StorageError('INVALID_ARGUMENT', 'BlockBuilder.add after finish (call reset first)');
    let shared = 0;
    if (this.entryCountValue > 0) {
      if (this.comparator.compare(key, this.lastKey()) <= 0) {
        throw new StorageError('INVALID_ARGUMENT', 'BlockBuilder.add: keys must be added in strictly increasing order');
      }
      if (this.counter < this.restartInterval) {
        const limit = Math.min(this.lastKeyLength, key.length);
        const last = this.lastKeyBuffer;
        while (shared < limit && last[shared] === key[shared]) shared++;
      } else {
        this.restarts.push(this.buffer.length);
        this.counter = 0;
      }
    }
    const nonShared = key.length - shared;
    const buffer = this.buffer;
    buffer.ensureCapacity(15 + nonShared + value.length);
    buffer.putVarint32(shared);
    buffer.putVarint32(nonShared);
    buffer.putVarint32(value.length);
    buffer.putBytes(shared === 0 ? key : key.subarray(shared));
    buffer.putBytes(value);

    if (key.length > this.lastKeyBuffer.length) {
      const grown = new Uint8Array(Math.max(key.length, this.lastKeyBuffer.length * 2));
      grown.set(this.lastKeyBuffer.subarray(0, shared));
      this.lastKeyBuffer = grown;
      this.lastKeyView = undefined;
    }
    const last = this.lastKeyBuffer;
    for (let i = shared; i < key.length; i++) last[i] = key[i]!;
    this.lastKeyLength = key.length;
    this.counter++;
    this.entryCountValue++;
  }

  /**
   * Appends the restart array and returns the finished block: a view of the builder's buffer, valid
   * until `reset()`.
   */
  finish(): Uint8Array {
    if (!this.finished) {
      this.buffer.ensureCapacity(this.restarts.length * 4 + 4);
      for (const restart of this.restarts) this.buffer.putFixed32(restart);
      this.buffer.putFixed32(this.restarts.length);
      this.finished = true;
    }
    return this.buffer.bytes();
  }

  /** Empties the builder for the next block, keeping its buffers. */
  reset(): void {
    this.buffer.reset();
    this.restarts = [0];
    this.counter = 0;
    this.entryCountValue = 0;
    this.lastKeyLength = 0;
    this.finished = false;
  }
}
