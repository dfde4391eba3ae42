// A write batch: puts, deletes and range deletions applied atomically, in order, each consuming one
// sequence number (record i gets baseSequence + i). The batch keeps its records already serialized in
// one growing buffer, so adding a record is a copy into that buffer and writing the batch to the WAL is
// one more copy.
//
// Serialized form (LevelDB's WriteBatch rep, with a third record type):
//
//   batch   = baseSequence: fixed64 little-endian
//             count:        fixed32 little-endian (the number of records)
//             record * count
//   record  = type: 1 byte, one of
//               0 Deletion       then key
//               1 Value          then key, value
//               2 RangeDeletion  then start key, end key (exclusive)
//   key / value / start / end = varint32 length, then that many bytes
//
// A varint32 is LEB128: 7 bits per byte, least significant group first, the high bit set on every byte
// but the last; at most 5 bytes.
//
// Invariants: a key (or range bound) is at most KEY_SIZE_BYTES_MAX bytes; the serialized batch is at
// most BATCH_SIZE_BYTES_MAX bytes; a range deletion's start is <= its end. A call that would break one
// throws StorageError 'INVALID_ARGUMENT' and leaves the batch unchanged; a serialized batch that breaks
// one, or whose count, types or lengths do not match its bytes, is reported as CorruptionError.

import { CorruptionError, StorageError } from '../env/errors.js';
import { MAX_SEQUENCE, ValueType, compareBytes, isSequence } from './internal-key.js';

/** The largest key (or range-deletion bound) a batch accepts: 64 KiB. */
export const KEY_SIZE_BYTES_MAX = 64 * 1024;
/** The largest serialized batch: 64 MiB. Bounds the memory one write can pin. */
export const BATCH_SIZE_BYTES_MAX = 64 * 1024 * 1024;
/** Bytes of the header: base sequence and count. */
export const BATCH_HEADER_SIZE_BYTES = 12;

const INITIAL_CAPACITY_BYTES = 128;
// clear() keeps the buffer for reuse, unless it grew past this, so one huge batch does not pin memory.
const RETAINED_CAPACITY_BYTES_MAX = 1024 * 1024;
const TWO_POW_32 = 4294967296;
const EMPTY = new Uint8Array(0);

export type WriteBatchVisitor = (type: ValueType, key: Uint8Array, value: Uint8Array) => void;

function varint32Length(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

export class WriteBatch {
  // bytes[0, 12) is reserved for the header, written by encode(); records follow up to sizeBytes.
  private bytes: Uint8Array = new Uint8Array(INITIAL_CAPACITY_BYTES);
  private sizeBytes = BATCH_HEADER_SIZE_BYTES;
  private recordCount = 0;

  /** The number of records, which is the number of sequence numbers the batch consumes. */
  get count(): number {
    return this.recordCount;
  }

  /** The size of the serialized batch, header included. */
  get byteSize(): number {
    return this.sizeBytes;
  }

  /** Records a put of `key` to `value`. Both are copied; the caller may reuse its buffers. */
  put(key: Uint8Array, value: Uint8Array): this {
    this.checkKey(key, 'key');
    this.appendRecord(ValueType.Value, key, value);
    return this;
  }

  /** Records a deletion of `key`. */
  delete(key: Uint8Array): this {
    this.checkKey(key, 'key');
    this.appendRecord(ValueType.Deletion, key, undefined);
    return this;
  }

  /** Records a deletion of every key in [startKey, endKey). An empty range (start = end) deletes nothing. */
  deleteRange(startKey: Uint8Array, endKey: Uint8Array): this {
    this.checkKey(startKey, 'range start');
    this.checkKey(endKey, 'range end');
    if (compareBytes(startKey, startKey.length, endKey, endKey.length) > 0) {
      throw new StorageError('INVALID_ARGUMENT', 'deleteRange: the start key sorts after the end key');
    }
    this.appendRecord(ValueType.RangeDeletion, startKey, endKey);
    return this;
  }

  /** Appends every record of `other` after this batch's records (group commit joins batches this way). */
  append(other: WriteBatch): this {
    const recordsSizeBytes = other.sizeBytes - BATCH_HEADER_SIZE_BYTES;
    this.checkRoom(recordsSizeBytes);
    this.reserve(recordsSizeBytes);
    this.bytes.set(other.bytes.subarray(BATCH_HEADER_SIZE_BYTES, other.sizeBytes), this.sizeBytes);
    this.sizeBytes += recordsSizeBytes;
    this.recordCount += other.recordCount;
    return this;
  }

  /** Removes every record. */
  clear(): void {
    if (this.bytes.length > RETAINED_CAPACITY_BYTES_MAX) this.bytes = new Uint8Array(INITIAL_CAPACITY_BYTES);
    this.sizeBytes = BATCH_HEADER_SIZE_BYTES;
    this.recordCount = 0;
  }

  /**
   * Calls `visitor` for each record in order. `key` and `value` are views into the batch, valid during
   * the call only; a deletion's value is empty; a range deletion's key is its start and value its end.
   */
  forEach(visitor: WriteBatchVisitor): void {
    const bytes = this.bytes;
    let position = BATCH_HEADER_SIZE_BYTES;
    const end = this.sizeBytes;
    while (position < end) {
      const type = bytes[position++]! as ValueType;
      let keyLength = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = bytes[position++]!;
        keyLength += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) break;
      }
      const key = bytes.subarray(position, position + keyLength);
      position += keyLength;
      let value: Uint8Array = EMPTY;
      if (type !== ValueType.Deletion) {
        let valueLength = 0;
        for (let shift = 0; ; shift += 7) {
          const byte = bytes[position++]!;
          valueLength += (byte & 0x7f) * 2 ** shift;
          if (byte < 0x80) break;
        }
        value = bytes.subarray(position, position + valueLength);
        position += valueLength;
      }
      visitor(type, key, value);
    }
  }

  /**
   * The serialized batch with `baseSequence` in its header: a new array the caller owns (the batch may
   * be cleared and reused while the bytes are still on their way to the log).
   */
  encode(baseSequence: number): Uint8Array {
    if (!isSequence(baseSequence) || (this.recordCount > 0 && baseSequence > MAX_SEQUENCE - (this.recordCount - 1))) {
      throw new StorageError(
        'INVALID_ARGUMENT',
        `encode: base sequence ${baseSequence} with ${this.recordCount} records leaves [0, 2^53 - 1]`,
      );
    }
    const bytes = this.bytes;
    writeUint32(bytes, 0, baseSequence % TWO_POW_32);
    writeUint32(bytes, 4, Math.floor(baseSequence / TWO_POW_32));
    writeUint32(bytes, 8, this.recordCount);
    return bytes.slice(0, this.sizeBytes);
  }

  /**
   * Parses a serialized batch, checking every length, type and the record count. `fileNameForErrors`
   * and `offsetForErrors` (where `bytes` starts in that file) locate a CorruptionError. The bytes are
   * copied; the caller may reuse its buffer.
   */
  static decode(
    bytes: Uint8Array,
    fileNameForErrors: string,
    offsetForErrors: number,
  ): { baseSequence: number; batch: WriteBatch } {
    const corrupt = (at: number, what: string): CorruptionError =>
      new CorruptionError(fileNameForErrors, offsetForErrors + at, `write batch: ${what}`);
    if (bytes.length < BATCH_HEADER_SIZE_BYTES) {
      throw corrupt(0, `${bytes.length} bytes, shorter than the 12-byte header`);
    }
    if (bytes.length > BATCH_SIZE_BYTES_MAX) throw corrupt(0, `${bytes.length} bytes, above the 64 MiB limit`);
    const sequenceLow = readUint32(bytes, 0);
    const sequenceHigh = readUint32(bytes, 4);
    if (sequenceHigh >= 2 ** 21) throw corrupt(0, 'base sequence above 2^53 - 1');
    const baseSequence = sequenceHigh * TWO_POW_32 + sequenceLow;
    const count = readUint32(bytes, 8);
    if (count > 0 && baseSequence > MAX_SEQUENCE - (count - 1)) throw corrupt(8, 'sequences run past 2^53 - 1');

    let position = BATCH_HEADER_SIZE_BYTES;
    const readLength = (what: string): number => {
      const start = position;
      let length = 0;
      for (let shift = 0; shift < 35; shift += 7) {
        if (position >= bytes.length) throw corrupt(start, `${what} length runs past the end`);
        const byte = bytes[position++]!;
        length += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) {
          if (length > bytes.length - position) throw corrupt(start, `${what} of ${length} bytes runs past the end`);
          return length;
        }
      }
      throw corrupt(start, `${what} length is not a varint32`);
    };
    let records = 0;
    let rangeStart = 0;
    while (position < bytes.length) {
      const recordOffset = position;
      const type = bytes[position++]!;
      if (type !== ValueType.Value && type !== ValueType.Deletion && type !== ValueType.RangeDeletion) {
        throw corrupt(recordOffset, `unknown record type ${type}`);
      }
      const keyLength = readLength('key');
      if (keyLength > KEY_SIZE_BYTES_MAX) throw corrupt(recordOffset, `key of ${keyLength} bytes above 64 KiB`);
      rangeStart = position;
      position += keyLength;
      if (type !== ValueType.Deletion) {
        const valueLength = readLength(type === ValueType.Value ? 'value' : 'range end');
        if (type === ValueType.RangeDeletion) {
          if (valueLength > KEY_SIZE_BYTES_MAX) throw corrupt(recordOffset, `range end of ${valueLength} bytes above 64 KiB`);
          if (compareBytes(bytes.subarray(rangeStart), keyLength, bytes.subarray(position), valueLength) > 0) {
            throw corrupt(recordOffset, 'range deletion start sorts after its end');
          }
        }
        position += valueLength;
      }
      records++;
    }
    if (records !== count) throw corrupt(8, `header counts ${count} records, found ${records}`);

    const batch = new WriteBatch();
    batch.bytes = new Uint8Array(bytes);
    batch.sizeBytes = bytes.length;
    batch.recordCount = count;
    return { baseSequence, batch };
  }

  private checkKey(key: Uint8Array, what: string): void {
    if (key.length > KEY_SIZE_BYTES_MAX) {
      throw new StorageError('INVALID_ARGUMENT', `${what} of ${key.length} bytes is above the 64 KiB limit`);
    }
  }

  private checkRoom(recordSizeBytes: number): void {
    if (this.sizeBytes + recordSizeBytes > BATCH_SIZE_BYTES_MAX) {
      throw new StorageError(
        'INVALID_ARGUMENT',
        `write batch would grow to ${this.sizeBytes + recordSizeBytes} bytes, above the 64 MiB limit`,
      );
    }
  }

  private reserve(extraBytes: number): void {
    const needed = this.sizeBytes + extraBytes;
    if (needed <= this.bytes.length) return;
    // Doubling keeps the total copying linear in the batch size; checkRoom already bounded `needed`.
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, BATCH_SIZE_BYTES_MAX));
    grown.set(this.bytes.subarray(0, this.sizeBytes), 0);
    this.bytes = grown;
  }

  private appendRecord(type: ValueType, key: Uint8Array, value: Uint8Array | undefined): void {
    let recordSizeBytes = 1 + varint32Length(key.length) + key.length;
    if (value !== undefined) recordSizeBytes += varint32Length(value.length) + value.length;
    this.checkRoom(recordSizeBytes);
    this.reserve(recordSizeBytes);
    const bytes = this.bytes;
    let position = this.sizeBytes;
    bytes[position++] = type;
    position = writeVarint32(bytes, position, key.length);
    bytes.set(key, position);
    position += key.length;
    if (value !== undefined) {
      position = writeVarint32(bytes, position, value.length);
      bytes.set(value, position);
      position += value.length;
    }
    this.sizeBytes = position;
    this.recordCount++;
  }
}

function writeVarint32(bytes: Uint8Array, position: number, value: number): number {
  while (value >= 0x80) {
    bytes[position++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  bytes[position++] = value;
  return position;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}
