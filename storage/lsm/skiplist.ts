// The memtable's ordered index: a skip list of internal keys (user key ascending, then sequence and type
// descending) laid out for V8 rather than as one object per node. Measured alternative: a skip list of
// objects holding Uint8Array keys spends most of its time in pointer chasing and comparator calls; here
//
//  - key and value bytes live in arena chunks (1 MiB Uint8Arrays, or one exact-size chunk for an entry
//    above 256 KiB), stored as the full internal key (user key, 8-byte trailer) followed by the value, so
//    an iterator hands out views without copying;
//  - nodes live in one Uint32Array, each node a run of words:
//      [0] the first 4 user-key bytes, big-endian, zero-padded   (settles most comparisons)
//      [1] arena chunk index   [2] offset in the chunk
//      [3] user key length     [4] value length
//      [5] trailer low half = (sequence mod 2^24) << 8 | type    [6] trailer high half = sequence / 2^24
//      [7] height              [8] the previous node at level 0 (0 = none)
//      [9 ...9 + height) the next node at each level (0 = none)
//    A node is named by the index of its first word; node 0 is the head, which has every level.
//
// Comparing with a search key first compares the 4-byte prefixes as numbers (padding with zeros keeps
// the order: a strictly smaller padded prefix means a smaller key), then the remaining user-key bytes in
// the arena, then the trailer halves as numbers (descending), so a search touches no object and
// allocates nothing.
//
// Invariants: level 0 is the full sorted list; every level is a sorted sublist of the one below; the
// back pointers mirror level 0; no two nodes hold the same internal key. Nodes and arena bytes are never
// moved within their arrays nor freed, so an iterator (which holds a node index and reads the arrays
// through the list) stays valid while later inserts go on. One writer at a time.

import { StorageError } from '../env/errors.js';
import { TRAILER_SIZE_BYTES, ValueType, writeTrailer } from './internal-key.js';

const CHUNK = -8;
const OFFSET = -7;
const KEY_LENGTH = -6;
const VALUE_LENGTH = -5;
const TRAILER_LOW = -4;
const TRAILER_HIGH = -3;
const HEIGHT = -2;
const PREVIOUS = -1;
const PREFIX = 0;
const NEXT = 1;
const FIELDS_BEFORE = 8;

/** The tallest node. With branching 4, 12 levels index 4^12 = 16 million entries at full speed. */
export const MAX_HEIGHT = 12;
const BRANCHING = 4;

const HEAD = FIELDS_BEFORE;
const NONE = 0;
const TWO_POW_24 = 16777216;
const CHUNK_SIZE_BYTES = 1024 * 1024;
const DEDICATED_CHUNK_ABOVE_BYTES = CHUNK_SIZE_BYTES / 4;
// Past this many equal bytes the native Buffer.compare beats a JavaScript loop (see internal-key.ts).
const NATIVE_COMPARE_AFTER_BYTES = 160;
const INITIAL_NODE_WORDS = 4096;

export class SkipList {
  /** The nodes' words; replaced by a larger copy when full, so always read through the list. */
  nodes: Uint32Array = new Uint32Array(INITIAL_NODE_WORDS);
  /** The arena chunks; entry bytes never move once written. */
  readonly chunks: Uint8Array[] = [];
  private nodeWordsUsed = FIELDS_BEFORE + NEXT + MAX_HEIGHT;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkIndex = -1;
  private chunkUsedBytes = 0;
  // Where allocate() put the last entry (fields rather than a returned pair: no allocation per insert).
  private allocatedChunkIndex = 0;
  private allocatedOffset = 0;
  private currentHeight = 1;
  private lastNode = NONE;
  private entries = 0;
  private arenaBytes = 0;
  // Xorshift32 for node heights. Heights change only speed, never results, so a fixed seed is fine and
  // keeps runs reproducible.
  private randomState = 0x9e3779b9;
  // Scratch for insert: the node before the new key at each level.
  private readonly splice = new Uint32Array(MAX_HEIGHT);

  constructor() {
    this.nodes[HEAD + HEIGHT] = MAX_HEIGHT;
  }

  get entryCount(): number {
    return this.entries;
  }

  /** Bytes of internal keys and values, plus the words of the node index. */
  get usedBytes(): number {
    return this.arenaBytes + this.nodeWordsUsed * 4;
  }

  /** Bytes reserved: arena chunks allocated plus the node array's capacity. */
  get reservedBytes(): number {
    let total = this.nodes.byteLength;
    for (const chunk of this.chunks) total += chunk.byteLength;
    return total;
  }

  /** Inserts (userKey, sequence, type) -> value, copying the bytes. The internal key must be new. */
  insert(userKey: Uint8Array, sequence: number, type: ValueType, value: Uint8Array): void {
    const prefix = prefixOf(userKey);
    const trailerLow = trailerLowOf(sequence, type);
    const trailerHigh = trailerHighOf(sequence);

    // Find the splice: at each level, the last node before the new key.
    const splice = this.splice;
    let node = HEAD;
    let nodes = this.nodes;
    for (let level = this.currentHeight - 1; level >= 0; level--) {
      let next = nodes[node + NEXT + level]!;
      while (next !== NONE && this.compareNode(next, userKey, prefix, trailerHigh, trailerLow) < 0) {
        node = next;
        next = nodes[node + NEXT + level]!;
      }
      splice[level] = node;
    }
    const following = nodes[splice[0]! + NEXT]!;
    if (following !== NONE && this.compareNode(following, userKey, prefix, trailerHigh, trailerLow) === 0) {
      throw new StorageError('INVALID_ARGUMENT', `memtable: sequence ${sequence} type ${type} is already present for this key`);
    }

    const height = this.randomHeight();
    if (height > this.currentHeight) {
      for (let level = this.currentHeight; level < height; level++) splice[level] = HEAD;
      this.currentHeight = height;
    }

    // Copy the internal key and the value into the arena.
    const entryBytes = userKey.length + TRAILER_SIZE_BYTES + value.length;
    this.allocate(entryBytes);
    const chunkIndex = this.allocatedChunkIndex;
    const offset = this.allocatedOffset;
    const chunk = this.chunks[chunkIndex]!;
    chunk.set(userKey, offset);
    writeTrailer(chunk, offset + userKey.length, sequence, type);
    chunk.set(value, offset + userKey.length + TRAILER_SIZE_BYTES);

    // Allocate and fill the node, then link it bottom-up.
    const created = this.nodeWordsUsed + FIELDS_BEFORE;
    const end = created + NEXT + height;
    if (end > nodes.length) {
      const grown = new Uint32Array(Math.max(nodes.length * 2, end));
      grown.set(nodes);
      this.nodes = nodes = grown;
    }
    this.nodeWordsUsed = end;
    nodes[created + PREFIX] = prefix;
    nodes[created + CHUNK] = chunkIndex;
    nodes[created + OFFSET] = offset;
    nodes[created + KEY_LENGTH] = userKey.length;
    nodes[created + VALUE_LENGTH] = value.length;
    nodes[created + TRAILER_LOW] = trailerLow;
    nodes[created + TRAILER_HIGH] = trailerHigh;
    nodes[created + HEIGHT] = height;
    for (let level = 0; level < height; level++) {
      const before = splice[level]!;
      nodes[created + NEXT + level] = nodes[before + NEXT + level]!;
      nodes[before + NEXT + level] = created;
    }
    nodes[created + PREVIOUS] = splice[0] === HEAD ? NONE : splice[0]!;
    if (following === NONE) this.lastNode = created;
    else nodes[following + PREVIOUS] = created;
    this.entries++;
    this.arenaBytes += entryBytes;
  }

  /**
   * The first node whose internal key is >= (userKey, sequence, type), or 0 when there is none.
   * `trailerHigh`/`trailerLow` are the trailer halves (see the file comment).
   */
  findGreaterOrEqual(userKey: Uint8Array, trailerHigh: number, trailerLow: number): number {
    const prefix = prefixOf(userKey);
    const nodes = this.nodes;
    let node = HEAD;
    for (let level = this.currentHeight - 1; level >= 0; level--) {
      let next = nodes[node + NEXT + level]!;
      while (next !== NONE && this.compareNode(next, userKey, prefix, trailerHigh, trailerLow) < 0) {
        node = next;
        next = nodes[node + NEXT + level]!;
      }
      if (level === 0) return next;
    }
    return NONE;
  }

  /** Compares a node's internal key with (userKey, trailer); the sign of node - key. */
  compareWith(node: number, userKey: Uint8Array, trailerHigh: number, trailerLow: number): number {
    return this.compareNode(node, userKey, prefixOf(userKey), trailerHigh, trailerLow);
  }

  /** The first node, or 0 when empty. */
  first(): number {
    return this.nodes[HEAD + NEXT]!;
  }

  /** The last node, or 0 when empty. */
  last(): number {
    return this.lastNode;
  }

  next(node: number): number {
    return this.nodes[node + NEXT]!;
  }

  previous(node: number): number {
    return this.nodes[node + PREVIOUS]!;
  }

  /** A view of the node's internal key in the arena. */
  internalKey(node: number): Uint8Array {
    const nodes = this.nodes;
    const offset = nodes[node + OFFSET]!;
    return this.chunks[nodes[node + CHUNK]!]!.subarray(offset, offset + nodes[node + KEY_LENGTH]! + TRAILER_SIZE_BYTES);
  }

  /** A view of the node's value in the arena. */
  value(node: number): Uint8Array {
    const nodes = this.nodes;
    const start = nodes[node + OFFSET]! + nodes[node + KEY_LENGTH]! + TRAILER_SIZE_BYTES;
    return this.chunks[nodes[node + CHUNK]!]!.subarray(start, start + nodes[node + VALUE_LENGTH]!);
  }

  type(node: number): ValueType {
    return (this.nodes[node + TRAILER_LOW]! & 0xff) as ValueType;
  }

  /** True when the node's user key equals `userKey`. */
  hasUserKey(node: number, userKey: Uint8Array): boolean {
    const nodes = this.nodes;
    const length = nodes[node + KEY_LENGTH]!;
    if (length !== userKey.length || nodes[node + PREFIX] !== prefixOf(userKey)) return false;
    const chunk = this.chunks[nodes[node + CHUNK]!]!;
    const offset = nodes[node + OFFSET]!;
    for (let i = 4; i < length; i++) if (chunk[offset + i] !== userKey[i]) return false;
    return true;
  }

  private compareNode(node: number, userKey: Uint8Array, prefix: number, trailerHigh: number, trailerLow: number): number {
    const nodes = this.nodes;
    const nodePrefix = nodes[node + PREFIX]!;
    if (nodePrefix !== prefix) return nodePrefix < prefix ? -1 : 1;
    const nodeLength = nodes[node + KEY_LENGTH]!;
    const keyLength = userKey.length;
    if (nodeLength > 4 || keyLength > 4) {
      const chunk = this.chunks[nodes[node + CHUNK]!]!;
      const offset = nodes[node + OFFSET]!;
      const common = nodeLength < keyLength ? nodeLength : keyLength;
      // Equal prefixes mean the first min(4, lengths) bytes are equal.
      let i = common < 4 ? common : 4;
      const loopEnd = common < NATIVE_COMPARE_AFTER_BYTES ? common : NATIVE_COMPARE_AFTER_BYTES;
      for (; i < loopEnd; i++) {
        const difference = chunk[offset + i]! - userKey[i]!;
        if (difference !== 0) return difference;
      }
      if (i < common) {
        const result = Buffer.prototype.compare.call(chunk, userKey, i, keyLength, offset + i, offset + nodeLength);
        if (result !== 0) return result;
      }
      if (nodeLength !== keyLength) return nodeLength - keyLength;
    } else if (nodeLength !== keyLength) {
      return nodeLength - keyLength;
    }
    // Same user key: the larger trailer (newer sequence, then larger type) sorts first.
    const nodeHigh = nodes[node + TRAILER_HIGH]!;
    if (nodeHigh !== trailerHigh) return nodeHigh > trailerHigh ? -1 : 1;
    const nodeLow = nodes[node + TRAILER_LOW]!;
    if (nodeLow !== trailerLow) return nodeLow > trailerLow ? -1 : 1;
    return 0;
  }

  private randomHeight(): number {
    let height = 1;
    while (height < MAX_HEIGHT) {
      let x = this.randomState;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.randomState = x >>> 0;
      if (this.randomState % BRANCHING !== 0) break;
      height++;
    }
    return height;
  }

  /** Reserves `sizeBytes` of arena; the place is left in allocatedChunkIndex/allocatedOffset. */
  private allocate(sizeBytes: number): void {
    if (sizeBytes > DEDICATED_CHUNK_ABOVE_BYTES) {
      this.chunks.push(new Uint8Array(sizeBytes));
      this.allocatedChunkIndex = this.chunks.length - 1;
      this.allocatedOffset = 0;
      return;
    }
    if (this.chunkIndex < 0 || this.chunkUsedBytes + sizeBytes > this.chunk.length) {
      this.chunk = new Uint8Array(CHUNK_SIZE_BYTES);
      this.chunks.push(this.chunk);
      this.chunkIndex = this.chunks.length - 1;
      this.chunkUsedBytes = 0;
    }
    this.allocatedChunkIndex = this.chunkIndex;
    this.allocatedOffset = this.chunkUsedBytes;
    this.chunkUsedBytes += sizeBytes;
  }
}

/** The first 4 bytes of a user key as a big-endian number, zero-padded. */
export function prefixOf(userKey: Uint8Array): number {
  const length = userKey.length;
  if (length >= 4) return ((userKey[0]! << 24) | (userKey[1]! << 16) | (userKey[2]! << 8) | userKey[3]!) >>> 0;
  let prefix = 0;
  for (let i = 0; i < 4; i++) prefix = prefix * 256 + (i < length ? userKey[i]! : 0);
  return prefix;
}

/** The trailer halves of (sequence, type), as the node words hold them. */
export function trailerLowOf(sequence: number, type: ValueType): number {
  return (((sequence % TWO_POW_24) << 8) | type) >>> 0;
}

export function trailerHighOf(sequence: number): number {
  return Math.floor(sequence / TWO_POW_24);
}
