// The memtable's entry store: the bytes and metadata of every point entry, named by an entry id
// (0, 1, 2, ... in insertion order). The ordered index (memtable-btree.ts) holds only entry ids.
//
// Layout:
//  - bytes live in arena chunks (1 MiB Uint8Arrays, or one exact-size chunk for an entry above
//    256 KiB): the full internal key (user key, 8-byte trailer as internal-key.ts writes it), then the
//    value, so iterators hand out views of internal keys and values without copying;
//  - metadata in one Uint32Array, ENTRY_WORDS words per entry: chunk index, offset in the chunk, user
//    key length, value length, trailer low half ((sequence mod 2^24) << 8 | type) and trailer high half
//    (floor(sequence / 2^24)). The halves compare as the trailer does (high, then low) without forming
//    the 61-bit number, which a double cannot hold.
//
// Invariants: an entry's bytes and words never change or move once added (the word array is replaced
// by a larger copy when full, so readers always go through the arena); nothing is freed before the
// whole memtable is dropped.

import { TRAILER_SIZE_BYTES, ValueType, writeTrailer } from './internal-key.js';

const ENTRY_WORDS = 6;
const ENTRY_CHUNK = 0;
const ENTRY_OFFSET = 1;
const ENTRY_KEY_LENGTH = 2;
const ENTRY_VALUE_LENGTH = 3;
const ENTRY_TRAILER_LOW = 4;
const ENTRY_TRAILER_HIGH = 5;

const TWO_POW_24 = 16777216;
const CHUNK_SIZE_BYTES = 1024 * 1024;
const DEDICATED_CHUNK_ABOVE_BYTES = CHUNK_SIZE_BYTES / 4;
const INITIAL_ENTRIES = 1024;

/** Bytes of metadata per entry. */
export const ENTRY_METADATA_BYTES = ENTRY_WORDS * 4;

export class EntryArena {
  private readonly chunks: Uint8Array[] = [];
  private words = new Uint32Array(INITIAL_ENTRIES * ENTRY_WORDS);
  private entries = 0;
  private bytes = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkUsedBytes = 0;
  private sharedChunkIndex = -1;

  get count(): number {
    return this.entries;
  }

  /** Bytes of internal keys, values and metadata. */
  get usedBytes(): number {
    return this.bytes + this.entries * ENTRY_METADATA_BYTES;
  }

  /** Bytes allocated: the chunks and the word array's capacity. */
  get reservedBytes(): number {
    let total = this.words.byteLength;
    for (const chunk of this.chunks) total += chunk.byteLength;
    return total;
  }

  /** Copies (userKey, sequence, type) -> value in; returns the new entry's id. */
  add(userKey: Uint8Array, sequence: number, type: ValueType, value: Uint8Array): number {
    const entryBytes = userKey.length + TRAILER_SIZE_BYTES + value.length;
    let chunkIndex: number;
    let offset: number;
    if (entryBytes > DEDICATED_CHUNK_ABOVE_BYTES) {
      // A large entry gets a chunk of its own; the shared chunk stays current for the next small one.
      this.chunks.push(new Uint8Array(entryBytes));
      chunkIndex = this.chunks.length - 1;
      offset = 0;
    } else {
      if (this.sharedChunkIndex < 0 || this.chunkUsedBytes + entryBytes > this.chunk.length) {
        this.chunk = new Uint8Array(CHUNK_SIZE_BYTES);
        this.chunks.push(this.chunk);
        this.sharedChunkIndex = this.chunks.length - 1;
        this.chunkUsedBytes = 0;
      }
      chunkIndex = this.sharedChunkIndex;
      offset = this.chunkUsedBytes;
      this.chunkUsedBytes += entryBytes;
    }
    const chunk = this.chunks[chunkIndex]!;
    chunk.set(userKey, offset);
    writeTrailer(chunk, offset + userKey.length, sequence, type);
    chunk.set(value, offset + userKey.length + TRAILER_SIZE_BYTES);

    const entry = this.entries;
    if ((entry + 1) * ENTRY_WORDS > this.words.length) this.words = grow(this.words, (entry + 1) * ENTRY_WORDS);
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    words[base + ENTRY_CHUNK] = chunkIndex;
    words[base + ENTRY_OFFSET] = offset;
    words[base + ENTRY_KEY_LENGTH] = userKey.length;
    words[base + ENTRY_VALUE_LENGTH] = value.length;
    words[base + ENTRY_TRAILER_LOW] = trailerLowOf(sequence, type);
    words[base + ENTRY_TRAILER_HIGH] = trailerHighOf(sequence);
    this.entries++;
    this.bytes += entryBytes;
    return entry;
  }

  /** A view of the entry's internal key. */
  internalKey(entry: number): Uint8Array {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const offset = words[base + ENTRY_OFFSET]!;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(offset, offset + words[base + ENTRY_KEY_LENGTH]! + TRAILER_SIZE_BYTES);
  }

  /** A view of the entry's user key. */
  userKey(entry: number): Uint8Array {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const offset = words[base + ENTRY_OFFSET]!;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(offset, offset + words[base + ENTRY_KEY_LENGTH]!);
  }

  /** A view of the entry's value. */
  value(entry: number): Uint8Array {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const start = words[base + ENTRY_OFFSET]! + words[base + ENTRY_KEY_LENGTH]! + TRAILER_SIZE_BYTES;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(start, start + words[base + ENTRY_VALUE_LENGTH]!);
  }

  type(entry: number): ValueType {
    return (this.words[entry * ENTRY_WORDS + ENTRY_TRAILER_LOW]! & 0xff) as ValueType;
  }

  trailerHigh(entry: number): number {
    return this.words[entry * ENTRY_WORDS + ENTRY_TRAILER_HIGH]!;
  }

  trailerLow(entry: number): number {
    return this.words[entry * ENTRY_WORDS + ENTRY_TRAILER_LOW]!;
  }

  /** True when the entry's user key equals `userKey`. */
  hasUserKey(entry: number, userKey: Uint8Array): boolean {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const length = words[base + ENTRY_KEY_LENGTH]!;
    if (length !== userKey.length) return false;
    const chunk = this.chunks[words[base + ENTRY_CHUNK]!]!;
    const offset = words[base + ENTRY_OFFSET]!;
    for (let i = 0; i < length; i++) if (chunk[offset + i] !== userKey[i]) return false;
    return true;
  }

  /**
   * The sign of entry - (userKey, trailer) in internal-key order. The first `sharedBytes` user-key
   * bytes are known equal by the caller (the index's prefix abbreviation) and are not read again.
   */
  compare(entry: number, userKey: Uint8Array, trailerHigh: number, trailerLow: number, sharedBytes: number): number {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const entryLength = words[base + ENTRY_KEY_LENGTH]!;
    const keyLength = userKey.length;
    const common = entryLength < keyLength ? entryLength : keyLength;
    if (sharedBytes < common) {
      const chunk = this.chunks[words[base + ENTRY_CHUNK]!]!;
      const offset = words[base + ENTRY_OFFSET]!;
      for (let i = sharedBytes; i < common; i++) {
        const difference = chunk[offset + i]! - userKey[i]!;
        if (difference !== 0) return difference;
      }
    }
    if (entryLength !== keyLength) return entryLength - keyLength;
    // Same user key: the larger trailer (newer sequence, then larger type) sorts first.
    const entryHigh = words[base + ENTRY_TRAILER_HIGH]!;
    if (entryHigh !== trailerHigh) return entryHigh > trailerHigh ? -1 : 1;
    const entryLow = words[base + ENTRY_TRAILER_LOW]!;
    if (entryLow !== trailerLow) return entryLow > trailerLow ? -1 : 1;
    return 0;
  }

  /** The length of the common prefix of two entries' user keys. */
  commonPrefixLength(a: number, b: number): number {
    const words = this.words;
    const aBase = a * ENTRY_WORDS;
    const bBase = b * ENTRY_WORDS;
    const aChunk = this.chunks[words[aBase + ENTRY_CHUNK]!]!;
    const bChunk = this.chunks[words[bBase + ENTRY_CHUNK]!]!;
    const aOffset = words[aBase + ENTRY_OFFSET]!;
    const bOffset = words[bBase + ENTRY_OFFSET]!;
    const aLength = words[aBase + ENTRY_KEY_LENGTH]!;
    const bLength = words[bBase + ENTRY_KEY_LENGTH]!;
    const common = aLength < bLength ? aLength : bLength;
    let i = 0;
    while (i < common && aChunk[aOffset + i] === bChunk[bOffset + i]) i++;
    return i;
  }

  /** The entry's user-key bytes at [prefix, prefix + 4), as abbreviationOf computes for a key. */
  abbreviation(entry: number, prefix: number): number {
    const words = this.words;
    const base = entry * ENTRY_WORDS;
    const chunk = this.chunks[words[base + ENTRY_CHUNK]!]!;
    const offset = words[base + ENTRY_OFFSET]!;
    const length = words[base + ENTRY_KEY_LENGTH]!;
    let abbreviation = 0;
    for (let i = prefix; i < prefix + 4; i++) abbreviation = abbreviation * 256 + (i < length ? chunk[offset + i]! : 0);
    return abbreviation;
  }
}

/**
 * The 4 user-key bytes at [prefix, prefix + 4), big-endian, zero-padded past the key's end. Between
 * two keys that share their first `prefix` bytes, a strictly smaller abbreviation means a strictly
 * smaller key; equal abbreviations decide nothing.
 */
export function abbreviationOf(userKey: Uint8Array, prefix: number): number {
  const length = userKey.length;
  if (prefix + 4 <= length) {
    return ((userKey[prefix]! << 24) | (userKey[prefix + 1]! << 16) | (userKey[prefix + 2]! << 8) | userKey[prefix + 3]!) >>> 0;
  }
  let abbreviation = 0;
  for (let i = prefix; i < prefix + 4; i++) abbreviation = abbreviation * 256 + (i < length ? userKey[i]! : 0);
  return abbreviation;
}

/** A copy of `array` in a new array of at least `minimumLength` elements (doubling). */
export function grow<T extends Int32Array | Uint32Array>(array: T, minimumLength: number): T {
  let length = array.length * 2;
  while (length < minimumLength) length *= 2;
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}

/** The trailer's low half for (sequence, type), as the metadata words hold it. */
export function trailerLowOf(sequence: number, type: ValueType): number {
  return (((sequence % TWO_POW_24) << 8) | type) >>> 0;
}

/** The trailer's high half for a sequence. */
export function trailerHighOf(sequence: number): number {
  return Math.floor(sequence / TWO_POW_24);
}
