// How Percolator's three column families share one ordered key space (one LSM per node, TiKV keeps
// them in three RocksDB column families). Every MVCC key starts with a family byte:
//
//   lock family   'l' (0x6c) | memcomparable(userKey)                          -> encoded Lock
//   write family  'w' (0x77) | memcomparable(userKey) | inverted(commitTs)     -> encoded Write
//   data family   'd' (0x64) | memcomparable(userKey) | inverted(startTs)      -> the raw user value
//
// inverted(ts) is the 8-byte complement encoding of timestamp.ts, so the versions of one user key sit
// together, newest first, and a forward seek to `w | mc(key) | inverted(readTs)` lands on the newest
// commit at or below readTs. A rollback record sits in the write family at its own start timestamp
// (commitTs = startTs), as in TiKV. Keys starting with any other byte belong to other layers (the node
// keeps its Raft log and hard state under its own prefix) and are never read or written here.
//
// memcomparable(userKey) is TiKV's (and MySQL's) byte-string codec: the key is cut into groups of 8
// bytes; each group is written as 8 bytes followed by a marker byte. A full group that is not the last
// has marker 0xff. The last group holds the 0..7 remaining bytes padded with zero bytes to 8, and its
// marker is 0xff - padCount (so 0xf7..0xfe); a key whose length is a multiple of 8 (the empty key too)
// ends with a group of 8 zero bytes and marker 0xf7. Encoded length = (floor(length / 8) + 1) * 9.
//
// Why: two properties the families need. (1) Order: memcomparable(a) < memcomparable(b) exactly when
// a < b bytewise. (2) Prefix-freedom: no encoding is a prefix of another, so the versions of user key
// "ab" (suffix appended) can never sort between the versions of "a" and those of "a\x00". Raw keys
// would break (2): "a" + inverted(ts) could sort after "a\x00".
//
// Invariants: every function that decodes checks the family byte, the markers and the zero padding and
// reports a violation as StorageError 'CORRUPTION'; user keys are at most USER_KEY_SIZE_BYTES_MAX bytes.

import { StorageError } from '../env/errors.js';
import { TIMESTAMP_SIZE_BYTES, type Timestamp, readInvertedTimestamp, writeInvertedTimestamp } from './timestamp.js';
import { copyBytes } from '../lsm/coding.js';

/** The family byte of each column family (a plain enum so that it exists at run time for every loader). */
export enum Family {
  Lock = 0x6c,
  Write = 0x77,
  Data = 0x64,
}

/** The largest user key: leaves room in the LSM's 64 KiB key limit for the family byte, codec and suffix. */
export const USER_KEY_SIZE_BYTES_MAX = 56 * 1024;

const GROUP_SIZE_BYTES = 8;
const ENCODED_GROUP_SIZE_BYTES = 9;
const MARKER_FULL = 0xff;

/** The length of memcomparable(key) for a key of `keyLength` bytes. */
export function encodedUserKeyLength(keyLength: number): number {
  return (Math.floor(keyLength / GROUP_SIZE_BYTES) + 1) * ENCODED_GROUP_SIZE_BYTES;
}

function checkUserKey(userKey: Uint8Array): void {
  if (userKey.length > USER_KEY_SIZE_BYTES_MAX) {
    throw new StorageError('INVALID_ARGUMENT', `user key of ${userKey.length} bytes is above the ${USER_KEY_SIZE_BYTES_MAX}-byte limit`);
  }
}

/** Writes memcomparable(userKey) at `offset`; returns the offset after it. */
function writeEncodedUserKey(bytes: Uint8Array, offset: number, userKey: Uint8Array): number {
  let position = offset;
  let index = 0;
  for (;;) {
    const remaining = userKey.length - index;
    if (remaining >= GROUP_SIZE_BYTES) {
      bytes.set(userKey.subarray(index, index + GROUP_SIZE_BYTES), position);
      index += GROUP_SIZE_BYTES;
      position += GROUP_SIZE_BYTES;
      // A full group is the last one only if nothing follows; an exact multiple still needs the
      // all-padding group so that the encoding ends with a marker below 0xff.
      bytes[position++] = MARKER_FULL;
      continue;
    }
    bytes.set(userKey.subarray(index), position);
    bytes.fill(0, position + remaining, position + GROUP_SIZE_BYTES);
    position += GROUP_SIZE_BYTES;
    bytes[position++] = MARKER_FULL - (GROUP_SIZE_BYTES - remaining);
    return position;
  }
}

/** memcomparable(userKey) on its own, in a new array. */
export function encodeUserKey(userKey: Uint8Array): Uint8Array {
  checkUserKey(userKey);
  const bytes = new Uint8Array(encodedUserKeyLength(userKey.length));
  writeEncodedUserKey(bytes, 0, userKey);
  return bytes;
}

/**
 * Decodes the memcomparable user key that starts at `offset` of `bytes`; returns the key (a new array)
 * and the offset after its encoding.
 */
export function decodeUserKey(bytes: Uint8Array, offset: number): { userKey: Uint8Array; end: number } {
  const groups: Uint8Array[] = [];
  let position = offset;
  let length = 0;
  for (;;) {
    if (position + ENCODED_GROUP_SIZE_BYTES > bytes.length) {
      throw new StorageError('CORRUPTION', `memcomparable key at offset ${offset} runs past the end`);
    }
    const marker = bytes[position + GROUP_SIZE_BYTES]!;
    if (marker === MARKER_FULL) {
      groups.push(bytes.subarray(position, position + GROUP_SIZE_BYTES));
      length += GROUP_SIZE_BYTES;
      position += ENCODED_GROUP_SIZE_BYTES;
      continue;
    }
    const padCount = MARKER_FULL - marker;
    if (padCount < 1 || padCount > GROUP_SIZE_BYTES) {
      throw new StorageError('CORRUPTION', `memcomparable key at offset ${offset}: bad marker 0x${marker.toString(16)}`);
    }
    const used = GROUP_SIZE_BYTES - padCount;
    for (let i = used; i < GROUP_SIZE_BYTES; i++) {
      if (bytes[position + i] !== 0) {
        throw new StorageError('CORRUPTION', `memcomparable key at offset ${offset}: nonzero padding`);
      }
    }
    groups.push(bytes.subarray(position, position + used));
    length += used;
    position += ENCODED_GROUP_SIZE_BYTES;
    break;
  }
  const userKey = new Uint8Array(length);
  let at = 0;
  for (const group of groups) {
    userKey.set(group, at);
    at += group.length;
  }
  return { userKey, end: position };
}

/** The lock-family key of `userKey`. */
export function lockKey(userKey: Uint8Array): Uint8Array {
  checkUserKey(userKey);
  const bytes = new Uint8Array(1 + encodedUserKeyLength(userKey.length));
  bytes[0] = Family.Lock;
  writeEncodedUserKey(bytes, 1, userKey);
  return bytes;
}

function versionedKey(family: Family, userKey: Uint8Array, timestamp: Timestamp): Uint8Array {
  checkUserKey(userKey);
  const bytes = new Uint8Array(1 + encodedUserKeyLength(userKey.length) + TIMESTAMP_SIZE_BYTES);
  bytes[0] = family;
  const end = writeEncodedUserKey(bytes, 1, userKey);
  writeInvertedTimestamp(bytes, end, timestamp);
  return bytes;
}

/** The write-family key of `userKey`'s record committed at `commitTs` (a rollback: at its start). */
export function writeKey(userKey: Uint8Array, commitTs: Timestamp): Uint8Array {
  return versionedKey(Family.Write, userKey, commitTs);
}

/** The data-family key of the long value `userKey` was given by the transaction that started at `startTs`. */
export function dataKey(userKey: Uint8Array, startTs: Timestamp): Uint8Array {
  return versionedKey(Family.Data, userKey, startTs);
}

/** `family | memcomparable(userKey)`: every versioned key of `userKey` in `family` starts with it. */
export function familyUserKeyPrefix(family: Family, userKey: Uint8Array): Uint8Array {
  checkUserKey(userKey);
  const bytes = new Uint8Array(1 + encodedUserKeyLength(userKey.length));
  bytes[0] = family;
  writeEncodedUserKey(bytes, 1, userKey);
  return bytes;
}

/**
 * The smallest key after every key that starts with `prefix`: the prefix with its last byte that is not
 * 0xff incremented and what follows dropped. Undefined when the prefix is all 0xff (no such key).
 */
export function prefixSuccessor(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const successor = copyBytes(prefix, 0, i + 1);
      successor[i]!++;
      return successor;
    }
  }
  return undefined;
}

/**
 * The LSM bounds [lowerBound, upperBound) that hold exactly the keys of `family` whose user keys lie in
 * [startUserKey, endUserKey); an absent bound means the family's start or end.
 */
export function familyBounds(
  family: Family,
  startUserKey: Uint8Array | undefined,
  endUserKey: Uint8Array | undefined,
): { lowerBound: Uint8Array; upperBound: Uint8Array } {
  // memcomparable is prefix-free, so `family | mc(end)` sorts after every versioned key of a user key
  // below `end` and at or before every versioned key of `end` itself.
  const lowerBound = startUserKey === undefined ? Uint8Array.of(family) : familyUserKeyPrefix(family, startUserKey);
  const upperBound = endUserKey === undefined ? Uint8Array.of(family + 1) : familyUserKeyPrefix(family, endUserKey);
  return { lowerBound, upperBound };
}

/** The user key of a lock-family key. */
export function userKeyOfLockKey(key: Uint8Array): Uint8Array {
  if (key.length === 0 || key[0] !== Family.Lock) throw new StorageError('CORRUPTION', 'not a lock-family key');
  const { userKey, end } = decodeUserKey(key, 1);
  if (end !== key.length) throw new StorageError('CORRUPTION', 'lock-family key has trailing bytes');
  return userKey;
}

/** The user key and timestamp of a write- or data-family key of `family`. */
export function splitVersionedKey(family: Family, key: Uint8Array): { userKey: Uint8Array; timestamp: Timestamp } {
  if (key.length === 0 || key[0] !== family) throw new StorageError('CORRUPTION', `not a key of family 0x${family.toString(16)}`);
  const { userKey, end } = decodeUserKey(key, 1);
  if (end + TIMESTAMP_SIZE_BYTES !== key.length) throw new StorageError('CORRUPTION', 'versioned key has a bad suffix length');
  return { userKey, timestamp: readInvertedTimestamp(key, end) };
}

/** The timestamp of a versioned key (its last 8 bytes), without decoding the user key. */
export function timestampOfVersionedKey(key: Uint8Array): Timestamp {
  if (key.length < 1 + ENCODED_GROUP_SIZE_BYTES + TIMESTAMP_SIZE_BYTES) {
    throw new StorageError('CORRUPTION', `versioned key of ${key.length} bytes is too short`);
  }
  return readInvertedTimestamp(key, key.length - TIMESTAMP_SIZE_BYTES);
}

/**
 * True when the versioned key `key` belongs to the user key whose `family | memcomparable` prefix is
 * `prefix` (a cheap byte comparison; prefix-freedom makes "starts with and has exactly 8 more bytes"
 * the same as "is a version of that key").
 */
export function isVersionOf(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length !== prefix.length + TIMESTAMP_SIZE_BYTES) return false;
  for (let i = prefix.length - 1; i >= 0; i--) if (key[i] !== prefix[i]) return false;
  return true;
}

/**
 * Compares the `family | memcomparable(userKey)` parts of two MVCC keys of any family with their
 * family bytes ignored: `aEnd` and `bEnd` are where each encoded user key ends (the key's length for a
 * lock key, length - 8 for a versioned key). Same sign as comparing the user keys.
 */
export function compareEncodedUserKeys(a: Uint8Array, aEnd: number, b: Uint8Array, bEnd: number): number {
  const length = Math.min(aEnd, bEnd);
  for (let i = 1; i < length; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference;
  }
  return aEnd - bEnd;
}
