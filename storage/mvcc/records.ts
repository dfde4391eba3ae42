// The two records of Percolator's metadata families and their encodings: a Lock (the value of a
// lock-family key: an uncommitted write, or a pessimistic row lock) and a Write (the value of a
// write-family key: a commit, or a rollback). Data-family values are the raw user bytes.
//
// The encodings are hand-written and compact, as TiKV's are, rather than msgpackr: every MVCC read
// decodes at least one Write and every write encodes a Lock and a Write, the fields are fixed and few,
// and a fixed layout is smaller (no field names), allocation-free to skip, and readable from this
// comment alone. Multi-byte integers: timestamps are 8 bytes big-endian (timestamp.ts); `varint` is
// LEB128 (7 bits a byte, low group first, high bit set on all but the last byte) of an integer in
// [0, 2^53), at most 8 bytes.
//
//   lock  = kind        1 byte: 'P' put, 'D' delete, 'L' lock, 'S' pessimistic
//           startTs     8 bytes
//           ttlMs       varint
//           txnSize     varint (the number of keys the transaction writes, a hint for resolvers)
//           primary     varint length, then the primary's user key
//           then the optional fields that are present, in this order:
//           'v' short value:   1 byte length (0..255), then the value (a put's value, when it is short)
//           'm' minCommitTs:   8 bytes (absent means 0: no minimum, and not pushable by readers)
//           'f' forUpdateTs:   8 bytes (present exactly for locks of pessimistic transactions)
//           'a' async commit:  varint count, then count * (varint length, key): the secondaries
//                              (count is 0 on a secondary's lock; only the primary's lists them)
//
//   write = kind        1 byte: 'P' put, 'D' delete, 'L' lock, 'R' rollback
//           startTs     8 bytes (a rollback's equals the timestamp in its key)
//           then the optional fields that are present, in this order:
//           'v' short value:   1 byte length (0..255), then the value
//           'O' overlapped rollback (no body): a commit record that also stands for the rollback of
//                              the transaction whose start timestamp equals this record's commit
//                              timestamp (the two would otherwise need the same key)
//           'p' protected (no body, rollbacks only): never collapsed by a later rollback
//
// Invariants (checked on encode, and on decode as StorageError 'CORRUPTION'): a short value is at most
// SHORT_VALUE_SIZE_BYTES_MAX bytes and only a put carries one; optional fields appear at most once, in
// the order above; nothing follows the last field.

import { StorageError } from '../env/errors.js';
import { TIMESTAMP_SIZE_BYTES, type Timestamp, TIMESTAMP_ZERO, readTimestamp, writeTimestamp } from './timestamp.js';
import { copyBytes } from '../lsm/coding.js';

/** Values up to this many bytes are inlined in the lock and then the write record (TiKV's limit). */
export const SHORT_VALUE_SIZE_BYTES_MAX = 255;

export type LockKind = 'put' | 'delete' | 'lock' | 'pessimistic';
export type WriteKind = 'put' | 'delete' | 'lock' | 'rollback';

export interface Lock {
  readonly kind: LockKind;
  /** The user key of the transaction's primary lock: its status is the transaction's status. */
  readonly primary: Uint8Array;
  readonly startTs: Timestamp;
  /** The lock is alive until physicalMs(startTs) + ttlMs; heartbeats extend it. */
  readonly ttlMs: number;
  /** A put's value when it has at most SHORT_VALUE_SIZE_BYTES_MAX bytes; longer ones are in the data family. */
  readonly shortValue?: Uint8Array | undefined;
  /** The transaction must commit above this (0: no minimum). Readers push it on primaries. */
  readonly minCommitTs: Timestamp;
  /** Present exactly for pessimistic transactions: the timestamp the lock was (last) acquired at. */
  readonly forUpdateTs?: Timestamp | undefined;
  readonly useAsyncCommit: boolean;
  /** On an async-commit primary: every other key of the transaction. */
  readonly secondaries?: readonly Uint8Array[] | undefined;
  readonly txnSize: number;
}

export interface Write {
  readonly kind: WriteKind;
  readonly startTs: Timestamp;
  readonly shortValue?: Uint8Array | undefined;
  /** This commit record also marks the rollback of the transaction that started at its commit timestamp. */
  readonly hasOverlappedRollback?: boolean | undefined;
  /** A rollback that a later rollback must not collapse. */
  readonly isProtected?: boolean | undefined;
}

const LOCK_KIND_BYTES: Record<LockKind, number> = { put: 0x50, delete: 0x44, lock: 0x4c, pessimistic: 0x53 };
const WRITE_KIND_BYTES: Record<WriteKind, number> = { put: 0x50, delete: 0x44, lock: 0x4c, rollback: 0x52 };
const LOCK_KINDS = new Map<number, LockKind>(Object.entries(LOCK_KIND_BYTES).map(([kind, byte]) => [byte, kind as LockKind]));
const WRITE_KINDS = new Map<number, WriteKind>(Object.entries(WRITE_KIND_BYTES).map(([kind, byte]) => [byte, kind as WriteKind]));

const TAG_SHORT_VALUE = 0x76; // 'v'
const TAG_MIN_COMMIT_TS = 0x6d; // 'm'
const TAG_FOR_UPDATE_TS = 0x66; // 'f'
const TAG_ASYNC_COMMIT = 0x61; // 'a'
const TAG_OVERLAPPED_ROLLBACK = 0x4f; // 'O'
const TAG_PROTECTED = 0x70; // 'p'

const LOCK_TAG_ORDER = [TAG_SHORT_VALUE, TAG_MIN_COMMIT_TS, TAG_FOR_UPDATE_TS, TAG_ASYNC_COMMIT];
const WRITE_TAG_ORDER = [TAG_SHORT_VALUE, TAG_OVERLAPPED_ROLLBACK, TAG_PROTECTED];

/** True when `value` is inlined rather than written to the data family. */
export function isShortValue(value: Uint8Array): boolean {
  return value.length <= SHORT_VALUE_SIZE_BYTES_MAX;
}

/** The write kind a lock turns into on commit (a leftover pessimistic lock commits as a lock record). */
export function writeKindOfLock(kind: LockKind): WriteKind {
  return kind === 'pessimistic' ? 'lock' : kind;
}

// ---- encoding ------------------------------------------------------------------------------------

class Encoder {
  bytes = new Uint8Array(64);
  size = 0;

  private reserve(extra: number): void {
    if (this.size + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.size + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.size));
    this.bytes = grown;
  }
  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.size++] = value;
  }
  timestamp(value: Timestamp): void {
    this.reserve(TIMESTAMP_SIZE_BYTES);
    writeTimestamp(this.bytes, this.size, value);
    this.size += TIMESTAMP_SIZE_BYTES;
  }
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new StorageError('INVALID_ARGUMENT', `varint: ${value} is not in [0, 2^53)`);
    this.reserve(8);
    while (value >= 0x80) {
      this.bytes[this.size++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.size++] = value;
  }
  raw(value: Uint8Array): void {
    this.reserve(value.length);
    this.bytes.set(value, this.size);
    this.size += value.length;
  }
  lengthPrefixed(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }
  shortValue(value: Uint8Array): void {
    if (!isShortValue(value)) {
      throw new StorageError('INVALID_ARGUMENT', `short value of ${value.length} bytes is above ${SHORT_VALUE_SIZE_BYTES_MAX}`);
    }
    this.byte(TAG_SHORT_VALUE);
    this.byte(value.length);
    this.raw(value);
  }
  finish(): Uint8Array {
    return copyBytes(this.bytes, 0, this.size);
  }
}

export function encodeLock(lock: Lock): Uint8Array {
  const encoder = new Encoder();
  encoder.byte(LOCK_KIND_BYTES[lock.kind]);
  encoder.timestamp(lock.startTs);
  encoder.varint(lock.ttlMs);
  encoder.varint(lock.txnSize);
  encoder.lengthPrefixed(lock.primary);
  if (lock.shortValue !== undefined) {
    if (lock.kind !== 'put') throw new StorageError('INVALID_ARGUMENT', `a ${lock.kind} lock cannot carry a value`);
    encoder.shortValue(lock.shortValue);
  }
  if (lock.minCommitTs !== TIMESTAMP_ZERO) {
    encoder.byte(TAG_MIN_COMMIT_TS);
    encoder.timestamp(lock.minCommitTs);
  }
  if (lock.forUpdateTs !== undefined) {
    encoder.byte(TAG_FOR_UPDATE_TS);
    encoder.timestamp(lock.forUpdateTs);
  }
  if (lock.useAsyncCommit) {
    encoder.byte(TAG_ASYNC_COMMIT);
    const secondaries = lock.secondaries ?? [];
    encoder.varint(secondaries.length);
    for (const secondary of secondaries) encoder.lengthPrefixed(secondary);
  } else if (lock.secondaries !== undefined && lock.secondaries.length > 0) {
    throw new StorageError('INVALID_ARGUMENT', 'a lock lists secondaries only when it uses async commit');
  }
  return encoder.finish();
}

export function encodeWrite(write: Write): Uint8Array {
  const encoder = new Encoder();
  encoder.byte(WRITE_KIND_BYTES[write.kind]);
  encoder.timestamp(write.startTs);
  if (write.shortValue !== undefined) {
    if (write.kind !== 'put') throw new StorageError('INVALID_ARGUMENT', `a ${write.kind} write cannot carry a value`);
    encoder.shortValue(write.shortValue);
  }
  if (write.hasOverlappedRollback === true) encoder.byte(TAG_OVERLAPPED_ROLLBACK);
  if (write.isProtected === true) {
    if (write.kind !== 'rollback') throw new StorageError('INVALID_ARGUMENT', 'only a rollback is protected');
    encoder.byte(TAG_PROTECTED);
  }
  return encoder.finish();
}

// ---- decoding ------------------------------------------------------------------------------------

class Decoder {
  position = 0;
  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  corrupt(message: string): StorageError {
    return new StorageError('CORRUPTION', `${this.what} record at byte ${this.position}: ${message}`);
  }
  atEnd(): boolean {
    return this.position >= this.bytes.length;
  }
  byte(): number {
    if (this.position >= this.bytes.length) throw this.corrupt('ends early');
    return this.bytes[this.position++]!;
  }
  timestamp(): Timestamp {
    if (this.position + TIMESTAMP_SIZE_BYTES > this.bytes.length) throw this.corrupt('timestamp runs past the end');
    const value = readTimestamp(this.bytes, this.position);
    this.position += TIMESTAMP_SIZE_BYTES;
    return value;
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw this.corrupt('varint above 2^53 - 1');
        return value;
      }
      scale *= 0x80;
    }
    throw this.corrupt('varint longer than 8 bytes');
  }
  raw(length: number): Uint8Array {
    if (this.position + length > this.bytes.length) throw this.corrupt(`${length} bytes run past the end`);
    // A copy: the caller's buffer may be an iterator's, valid only until it moves.
    const value = copyBytes(this.bytes, this.position, this.position + length);
    this.position += length;
    return value;
  }
  lengthPrefixed(): Uint8Array {
    return this.raw(this.varint());
  }
  /** Reads the next optional tag and checks it comes after `previousIndex` in `order`. */
  tag(order: readonly number[], previousIndex: number): { tag: number; index: number } {
    const tag = this.byte();
    const index = order.indexOf(tag);
    if (index < 0) throw this.corrupt(`unknown field tag 0x${tag.toString(16)}`);
    if (index <= previousIndex) throw this.corrupt(`field tag 0x${tag.toString(16)} repeated or out of order`);
    return { tag, index };
  }
}

export function decodeLock(bytes: Uint8Array): Lock {
  const decoder = new Decoder(bytes, 'lock');
  const kind = LOCK_KINDS.get(decoder.byte());
  if (kind === undefined) throw decoder.corrupt('unknown lock kind');
  const startTs = decoder.timestamp();
  const ttlMs = decoder.varint();
  const txnSize = decoder.varint();
  const primary = decoder.lengthPrefixed();
  let shortValue: Uint8Array | undefined;
  let minCommitTs = TIMESTAMP_ZERO;
  let forUpdateTs: Timestamp | undefined;
  let useAsyncCommit = false;
  let secondaries: Uint8Array[] | undefined;
  let previousIndex = -1;
  while (!decoder.atEnd()) {
    const { tag, index } = decoder.tag(LOCK_TAG_ORDER, previousIndex);
    previousIndex = index;
    if (tag === TAG_SHORT_VALUE) {
      if (kind !== 'put') throw decoder.corrupt(`a ${kind} lock carries a value`);
      shortValue = decoder.raw(decoder.byte());
    } else if (tag === TAG_MIN_COMMIT_TS) {
      minCommitTs = decoder.timestamp();
    } else if (tag === TAG_FOR_UPDATE_TS) {
      forUpdateTs = decoder.timestamp();
    } else {
      useAsyncCommit = true;
      const count = decoder.varint();
      // Each secondary takes at least one byte, so a count above the remaining bytes is corrupt.
      if (count > bytes.length - decoder.position) throw decoder.corrupt(`${count} secondaries cannot fit`);
      if (count > 0) {
        secondaries = [];
        for (let i = 0; i < count; i++) secondaries.push(decoder.lengthPrefixed());
      }
    }
  }
  return { kind, primary, startTs, ttlMs, shortValue, minCommitTs, forUpdateTs, useAsyncCommit, secondaries, txnSize };
}

export function decodeWrite(bytes: Uint8Array): Write {
  const decoder = new Decoder(bytes, 'write');
  const kind = WRITE_KINDS.get(decoder.byte());
  if (kind === undefined) throw decoder.corrupt('unknown write kind');
  const startTs = decoder.timestamp();
  let shortValue: Uint8Array | undefined;
  let hasOverlappedRollback = false;
  let isProtected = false;
  let previousIndex = -1;
  while (!decoder.atEnd()) {
    const { tag, index } = decoder.tag(WRITE_TAG_ORDER, previousIndex);
    previousIndex = index;
    if (tag === TAG_SHORT_VALUE) {
      if (kind !== 'put') throw decoder.corrupt(`a ${kind} write carries a value`);
      shortValue = decoder.raw(decoder.byte());
    } else if (tag === TAG_OVERLAPPED_ROLLBACK) {
      hasOverlappedRollback = true;
    } else {
      if (kind !== 'rollback') throw decoder.corrupt(`a ${kind} write is marked protected`);
      isProtected = true;
    }
  }
  return { kind, startTs, shortValue, hasOverlappedRollback, isProtected };
}

/** The kind of an encoded write without decoding the rest (readers skip lock and rollback records). */
export function writeKindOf(bytes: Uint8Array): WriteKind {
  const kind = bytes.length > 0 ? WRITE_KINDS.get(bytes[0]!) : undefined;
  if (kind === undefined) throw new StorageError('CORRUPTION', 'write record: unknown write kind');
  return kind;
}
