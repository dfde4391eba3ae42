// The transaction timestamp: a hybrid of wall-clock milliseconds and a logical counter, handed out by
// the timestamp oracle (TSO). Every start and commit timestamp of every transaction is one of these, and
// their order is the order of the whole database.
//
// Representation: a JavaScript `number`, branded `Timestamp`, holding the integer
//
//   timestamp = physicalMs * 2^10 + logical        (0 <= logical < 1024)
//
// where physicalMs is milliseconds since the Unix epoch. TiKV packs the same two parts into a u64 with
// 18 logical bits; we take 10 so that the value stays an exact integer in a double: physicalMs may reach
// 2^43 - 1, which is the year 2248, and the largest timestamp is Number.MAX_SAFE_INTEGER (2^53 - 1).
// Why a number and not a bigint: timestamps are compared, hashed as Map keys and encoded on every read
// and write; small integers stay unboxed in V8 and compare in one instruction, while every bigint is a
// heap object (an order of magnitude slower to compare and allocate). 1024 timestamps per millisecond is
// a million per second from one oracle, which batches them anyway; an oracle that needs more in one
// millisecond borrows the next millisecond (its physical part runs ahead of the wall clock).
//
// Encoding (8 bytes, order-preserving): the timestamp as an unsigned 64-bit big-endian integer, so byte
// order equals numeric order. The "inverted" encoding is the bitwise complement of each of those bytes
// (that is, 2^64 - 1 - timestamp), so byte order is newest first: the MVCC key families append it to a
// user key so that a forward seek from `key + inverted(readTs)` lands on the newest version at or below
// readTs.
//
// Invariants: a Timestamp is an integer in [0, TIMESTAMP_MAX]; 0 means "none" where a field allows it
// (TiKV's zero TimeStamp), TIMESTAMP_MAX means "the latest" to a reader.

import { StorageError } from '../env/errors.js';

declare const timestampBrand: unique symbol;
/** A transaction timestamp; see the file comment for the layout. */
export type Timestamp = number & { readonly [timestampBrand]: true };

/** Bits of the logical counter. */
export const LOGICAL_BITS = 10;
/** The number of logical values per millisecond (1024). */
export const LOGICAL_PER_MS = 2 ** LOGICAL_BITS;
/** The largest physical part: 2^43 - 1 milliseconds after the epoch (the year 2248). */
export const PHYSICAL_MS_MAX = 2 ** (53 - LOGICAL_BITS) - 1;
/** "No timestamp": the value of optional timestamp fields that are unset. */
export const TIMESTAMP_ZERO = 0 as Timestamp;
/** The largest timestamp; a read at it sees the latest committed version. */
export const TIMESTAMP_MAX = Number.MAX_SAFE_INTEGER as Timestamp;
/** Bytes in an encoded timestamp. */
export const TIMESTAMP_SIZE_BYTES = 8;

const TWO_POW_32 = 4294967296;

/** True for a number that is a valid timestamp. */
export function isTimestamp(value: number): value is Timestamp {
  return Number.isInteger(value) && value >= 0 && value <= TIMESTAMP_MAX;
}

/** Brands `value` as a timestamp, refusing anything outside [0, TIMESTAMP_MAX] or fractional. */
export function asTimestamp(value: number): Timestamp {
  if (!isTimestamp(value)) {
    throw new StorageError('INVALID_ARGUMENT', `not a timestamp: ${value} (an integer in [0, 2^53 - 1] is)`);
  }
  return value;
}

/** The timestamp of `physicalMs` and `logical`. */
export function composeTimestamp(physicalMs: number, logical: number): Timestamp {
  if (!Number.isInteger(physicalMs) || physicalMs < 0 || physicalMs > PHYSICAL_MS_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `timestamp physical part ${physicalMs} is outside [0, 2^43 - 1] ms`);
  }
  if (!Number.isInteger(logical) || logical < 0 || logical >= LOGICAL_PER_MS) {
    throw new StorageError('INVALID_ARGUMENT', `timestamp logical part ${logical} is outside [0, 1023]`);
  }
  return (physicalMs * LOGICAL_PER_MS + logical) as Timestamp;
}

/** The wall-clock milliseconds of a timestamp (exact: division by a power of two). */
export function physicalMsOf(timestamp: Timestamp): number {
  return Math.floor(timestamp / LOGICAL_PER_MS);
}

/** The logical counter of a timestamp. */
export function logicalOf(timestamp: Timestamp): number {
  return timestamp % LOGICAL_PER_MS;
}

/** The next timestamp (TiKV's `TimeStamp::next`); TIMESTAMP_MAX has none. */
export function nextTimestamp(timestamp: Timestamp): Timestamp {
  if (timestamp >= TIMESTAMP_MAX) throw new StorageError('INVALID_ARGUMENT', 'nextTimestamp: no timestamp after the largest');
  return (timestamp + 1) as Timestamp;
}

/** The larger of two timestamps. */
export function maxTimestamp(a: Timestamp, b: Timestamp): Timestamp {
  return a >= b ? a : b;
}

/** Writes `timestamp` as 8 big-endian bytes at `offset`. */
export function writeTimestamp(bytes: Uint8Array, offset: number, timestamp: Timestamp): void {
  writeUint64(bytes, offset, timestamp, 0);
}

/** Writes the inverted (newest-first) encoding of `timestamp` at `offset`. */
export function writeInvertedTimestamp(bytes: Uint8Array, offset: number, timestamp: Timestamp): void {
  writeUint64(bytes, offset, timestamp, 0xff);
}

/** Reads a timestamp written by writeTimestamp; refuses a value above 2^53 - 1 as corruption. */
export function readTimestamp(bytes: Uint8Array, offset: number): Timestamp {
  return readUint64(bytes, offset, 0);
}

/** Reads a timestamp written by writeInvertedTimestamp. */
export function readInvertedTimestamp(bytes: Uint8Array, offset: number): Timestamp {
  return readUint64(bytes, offset, 0xff);
}

/** The 8-byte order-preserving encoding of `timestamp`, in a new array. */
export function encodeTimestamp(timestamp: Timestamp): Uint8Array {
  const bytes = new Uint8Array(TIMESTAMP_SIZE_BYTES);
  writeTimestamp(bytes, 0, timestamp);
  return bytes;
}

/** The 8-byte inverted (newest first) encoding of `timestamp`, in a new array. */
export function encodeInvertedTimestamp(timestamp: Timestamp): Uint8Array {
  const bytes = new Uint8Array(TIMESTAMP_SIZE_BYTES);
  writeInvertedTimestamp(bytes, 0, timestamp);
  return bytes;
}

/** A readable form for messages and logs: `physicalMs.logical` (e.g. `1700000000000.3`). */
export function formatTimestamp(timestamp: Timestamp): string {
  return `${physicalMsOf(timestamp)}.${logicalOf(timestamp)}`;
}

// The 64-bit value is written as two 32-bit halves because a double cannot hold bitwise 64-bit
// arithmetic; `mask` is 0 for the plain encoding and 0xff for the inverted one.
function writeUint64(bytes: Uint8Array, offset: number, value: number, mask: number): void {
  const high = Math.floor(value / TWO_POW_32);
  const low = value >>> 0;
  bytes[offset] = (high >>> 24) ^ mask;
  bytes[offset + 1] = ((high >>> 16) & 0xff) ^ mask;
  bytes[offset + 2] = ((high >>> 8) & 0xff) ^ mask;
  bytes[offset + 3] = (high & 0xff) ^ mask;
  bytes[offset + 4] = (low >>> 24) ^ mask;
  bytes[offset + 5] = ((low >>> 16) & 0xff) ^ mask;
  bytes[offset + 6] = ((low >>> 8) & 0xff) ^ mask;
  bytes[offset + 7] = (low & 0xff) ^ mask;
}

function readUint64(bytes: Uint8Array, offset: number, mask: number): Timestamp {
  if (offset < 0 || offset + TIMESTAMP_SIZE_BYTES > bytes.length) {
    throw new StorageError('CORRUPTION', `timestamp at offset ${offset} runs past the end of ${bytes.length} bytes`);
  }
  const high =
    (((bytes[offset]! ^ mask) << 24) | ((bytes[offset + 1]! ^ mask) << 16) | ((bytes[offset + 2]! ^ mask) << 8) | (bytes[offset + 3]! ^ mask)) >>>
    0;
  const low =
    (((bytes[offset + 4]! ^ mask) << 24) |
      ((bytes[offset + 5]! ^ mask) << 16) |
      ((bytes[offset + 6]! ^ mask) << 8) |
      (bytes[offset + 7]! ^ mask)) >>>
    0;
  if (high >= 2 ** 21) throw new StorageError('CORRUPTION', `timestamp at offset ${offset} is above 2^53 - 1`);
  return (high * TWO_POW_32 + low) as Timestamp;
}
