// Internal keys: what the engine sorts by below the user-facing API. An internal key is the user key
// followed by an 8-byte trailer that packs the sequence number of the write and its value type:
//
//   internal key = user key bytes | trailer (8 bytes)
//   trailer      = fixed64 little-endian of (sequence * 256 + type)      (LevelDB's layout)
//
// Order (the internal key comparator): user key ascending by unsigned bytes, then sequence descending,
// then type descending. So the versions of one user key sit together, newest first, and a reader at a
// sequence finds its version by seeking to `seekKeyFor(userKey, sequence)` and taking the first entry.
//
// Sequence numbers are JS numbers, integers in [0, MAX_SEQUENCE] with MAX_SEQUENCE = 2^53 - 1, so every
// one is exact in a double. The packed value sequence * 256 + type is below 2^61, which fits the 64-bit
// trailer but not a double, so it is never formed as one number: the trailer is written and read as two
// 32-bit halves, low = ((sequence mod 2^24) << 8 | type) and high = floor(sequence / 2^24) (< 2^29),
// both exact. 2^53 is enough: at a million writes per second the sequence lasts 285 years.
//
// Invariants: every internal key is at least 8 bytes long; its type byte is one of ValueType; its
// sequence is an integer in [0, MAX_SEQUENCE]. `encodeInternalKey` refuses anything else.

import { compareBytes, type Comparator } from './comparator.js';

export { compareBytes };
import { StorageError } from '../env/errors.js';

/**
 * The kind of a record (a plain enum, not `const`, so that it exists at run time for every loader). The
 * values are persistent (they are written in WAL records, write batches and
 * tables), so they never change:
 *  - Deletion = 0: a point tombstone; the user key has no value at this sequence.
 *  - Value = 1: a put; the entry's value is the user value.
 *  - RangeDeletion = 2: a range tombstone; the key is the start (inclusive) and the value the end
 *    (exclusive) of the deleted user-key range.
 */
export enum ValueType {
  Deletion = 0,
  Value = 1,
  RangeDeletion = 2,
}

/** The largest value type; seek keys use it so they sort before every entry of their sequence. */
export const VALUE_TYPE_FOR_SEEK = ValueType.RangeDeletion;

/** The largest sequence number: every integer up to it is exact in a double. */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** Bytes in an internal key's trailer. */
export const TRAILER_SIZE_BYTES = 8;

const TWO_POW_24 = 16777216;

/** True for a number that is a valid value type byte. */
export function isValueType(type: number): type is ValueType {
  return type === ValueType.Deletion || type === ValueType.Value || type === ValueType.RangeDeletion;
}

/** True for a number that is a valid sequence number. */
export function isSequence(sequence: number): boolean {
  return Number.isInteger(sequence) && sequence >= 0 && sequence <= MAX_SEQUENCE;
}

function checkSequenceAndType(sequence: number, type: number): void {
  if (!isSequence(sequence)) {
    throw new StorageError('INVALID_ARGUMENT', `sequence must be an integer in [0, 2^53 - 1], got ${sequence}`);
  }
  if (!isValueType(type)) throw new StorageError('INVALID_ARGUMENT', `unknown value type ${type}`);
}

/**
 * Writes the trailer of (sequence, type) at `offset` of `target`. Callers that build keys in their own
 * buffers (tables, the memtable) use it to avoid an intermediate array.
 */
export function writeTrailer(target: Uint8Array, offset: number, sequence: number, type: ValueType): void {
  const low = (((sequence % TWO_POW_24) << 8) | type) >>> 0;
  const high = Math.floor(sequence / TWO_POW_24);
  target[offset] = low & 0xff;
  target[offset + 1] = (low >>> 8) & 0xff;
  target[offset + 2] = (low >>> 16) & 0xff;
  target[offset + 3] = low >>> 24;
  target[offset + 4] = high & 0xff;
  target[offset + 5] = (high >>> 8) & 0xff;
  target[offset + 6] = (high >>> 16) & 0xff;
  target[offset + 7] = high >>> 24;
}

/** A new internal key: a copy of `userKey` followed by the trailer of (sequence, type). */
export function encodeInternalKey(userKey: Uint8Array, sequence: number, type: ValueType): Uint8Array {
  checkSequenceAndType(sequence, type);
  const key = new Uint8Array(userKey.length + TRAILER_SIZE_BYTES);
  key.set(userKey, 0);
  writeTrailer(key, userKey.length, sequence, type);
  return key;
}

function checkLength(internalKey: Uint8Array): void {
  if (internalKey.length < TRAILER_SIZE_BYTES) {
    throw new StorageError('INVALID_ARGUMENT', `an internal key has at least 8 bytes, got ${internalKey.length}`);
  }
}

/** The user key of an internal key, as a view (no copy). */
export function userKeyOf(internalKey: Uint8Array): Uint8Array {
  checkLength(internalKey);
  return internalKey.subarray(0, internalKey.length - TRAILER_SIZE_BYTES);
}

/** The sequence number in an internal key's trailer. */
export function sequenceOf(internalKey: Uint8Array): number {
  checkLength(internalKey);
  const offset = internalKey.length - TRAILER_SIZE_BYTES;
  const low =
    (internalKey[offset]! | (internalKey[offset + 1]! << 8) | (internalKey[offset + 2]! << 16) | (internalKey[offset + 3]! << 24)) >>> 0;
  const high =
    (internalKey[offset + 4]! | (internalKey[offset + 5]! << 8) | (internalKey[offset + 6]! << 16) | (internalKey[offset + 7]! << 24)) >>> 0;
  return high * TWO_POW_24 + (low >>> 8);
}

/**
 * The value type in an internal key's trailer. It is returned as stored; a key read from disk may carry
 * an unknown type, which the caller reports as corruption (see isValueType).
 */
export function valueTypeOf(internalKey: Uint8Array): ValueType {
  checkLength(internalKey);
  return internalKey[internalKey.length - TRAILER_SIZE_BYTES]! as ValueType;
}


function readUint32LittleEndian(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

/**
 * Orders internal keys: user key ascending, then the trailer (sequence, then type) descending. Makes
 * no allocation: the user keys are compared in place and the trailers as two 32-bit halves.
 */
export const internalKeyComparator: Comparator = {
  name: 'reef.InternalKeyComparator',
  compare(a: Uint8Array, b: Uint8Array): number {
    const aUserLength = a.length - TRAILER_SIZE_BYTES;
    const bUserLength = b.length - TRAILER_SIZE_BYTES;
    const byUserKey = compareBytes(a, aUserLength, b, bUserLength);
    if (byUserKey !== 0) return byUserKey;
    const aHigh = readUint32LittleEndian(a, aUserLength + 4);
    const bHigh = readUint32LittleEndian(b, bUserLength + 4);
    if (aHigh !== bHigh) return aHigh > bHigh ? -1 : 1;
    const aLow = readUint32LittleEndian(a, aUserLength);
    const bLow = readUint32LittleEndian(b, bUserLength);
    if (aLow !== bLow) return aLow > bLow ? -1 : 1;
    return 0;
  },
};

/**
 * The internal key that sorts first among the versions of `userKey` visible at `sequence`: every entry
 * of `userKey` with a sequence <= `sequence` sorts at or after it, every newer one before it.
 */
export function seekKeyFor(userKey: Uint8Array, sequence: number): Uint8Array {
  return encodeInternalKey(userKey, sequence, VALUE_TYPE_FOR_SEEK);
}

/** Bloom filters hash the user key, so that a lookup at any sequence probes the same bits. */
export const filterKeyOf = userKeyOf;
