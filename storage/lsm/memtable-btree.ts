// The memtable's ordered index: a B+tree of internal keys (user key ascending, then sequence and type
// descending), laid out in typed arrays for V8. It replaced a skip list of the same layout, measured
// here: a random insert into a skip list of a million entries visits ~30 nodes, each a cache miss; the
// tree visits 4 nodes and searches each within a few contiguous cache lines.
//
// Storage:
//  - entry bytes live in arena chunks (1 MiB, or one exact-size chunk for an entry above 256 KiB):
//    the full internal key (user key, 8-byte trailer), then the value, so iterators hand out views;
//  - entry metadata in one Uint32Array, ENTRY_WORDS words per entry: chunk index, offset, user key
//    length, value length, trailer low half ((sequence mod 2^24) << 8 | type), trailer high half
//    (sequence / 2^24); the halves compare as the trailer does, without forming a 61-bit number;
//  - tree nodes in pooled typed arrays: leaves hold up to LEAF_CAPACITY entry ids, inner nodes up to
//    INNER_CAPACITY children, where separator i (i >= 1) is the smallest internal key in child i.
//
// Prefix abbreviation (B-tree "fence keys"): every key that can ever enter a node lies between the
// node's fences — the separators around it in its parent chain — so it shares their common user-key
// prefix, of length `prefix` for the node. Beside each entry id a node keeps the 4 user-key bytes at
// [prefix, prefix + 4), big-endian and zero-padded, as one number. Comparing a search key with an
// entry first compares these numbers, and only when they are equal reads the rest of the key from
// the arena. Zero padding keeps the order (a strictly smaller padded window means a smaller key), and
// the fences make the window discriminate even for keys that share long prefixes ("%016d" keys, table
// prefixes), since a node deep in the tree has close fences and a long common prefix.
//
// Invariants: all leaves are at the same depth; entries in a leaf, leaves along the leaf chain and
// separators in an inner node are strictly increasing; every entry lies within its nodes' fences; an
// internal key is present at most once; leaves are never empty except the root of an empty tree.
// Entries are never moved in the arena nor freed. Nodes are never freed: a split keeps the left half
// in place and moves the right half to a new node, so a cursor holding (leaf, index, entry) can check
// that its entry is still at that slot, and re-find it by key when a later insert shifted it (readers
// may run between inserts). One writer at a time.

import { StorageError } from '../env/errors.js';
import { TRAILER_SIZE_BYTES, ValueType, writeTrailer } from './internal-key.js';

const ENTRY_WORDS = 6;
const ENTRY_CHUNK = 0;
const ENTRY_OFFSET = 1;
const ENTRY_KEY_LENGTH = 2;
const ENTRY_VALUE_LENGTH = 3;
const ENTRY_TRAILER_LOW = 4;
const ENTRY_TRAILER_HIGH = 5;

/** Entries per leaf: a binary search settles in 6 steps; an insert shifts 32 slots on average. */
export const LEAF_CAPACITY = 64;
/** Children per inner node. A million entries take 3 inner levels. */
export const INNER_CAPACITY = 64;
// Depth bound: 64^8 leaves is far beyond any memtable; insert asserts it.
const MAX_INNER_LEVELS = 8;

const NONE = -1;
const TWO_POW_24 = 16777216;
const CHUNK_SIZE_BYTES = 1024 * 1024;
const DEDICATED_CHUNK_ABOVE_BYTES = CHUNK_SIZE_BYTES / 4;
const INITIAL_ENTRIES = 1024;
const INITIAL_LEAVES = 32;
const INITIAL_INNERS = 4;

export class MemTableBTree {
  /** Arena chunks; entry bytes never move once written. */
  readonly chunks: Uint8Array[] = [];
  private entryWords = new Uint32Array(INITIAL_ENTRIES * ENTRY_WORDS);
  private entries = 0;
  private arenaBytes = 0;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkUsedBytes = 0;
  private sharedChunkIndex = -1;

  // Leaves: slot arrays of LEAF_CAPACITY per leaf, and per-leaf fields.
  private leafEntries = new Int32Array(INITIAL_LEAVES * LEAF_CAPACITY);
  private leafAbbreviations = new Uint32Array(INITIAL_LEAVES * LEAF_CAPACITY);
  private leafCount = new Int32Array(INITIAL_LEAVES);
  private leafPrefix = new Int32Array(INITIAL_LEAVES);
  private leafNext = new Int32Array(INITIAL_LEAVES);
  private leafPrevious = new Int32Array(INITIAL_LEAVES);
  private leaves = 0;
  private lastLeaf = 0;

  // Inner nodes: separators (entry ids; slot 0 unused), their abbreviations, children.
  private innerSeparators = new Int32Array(INITIAL_INNERS * INNER_CAPACITY);
  private innerAbbreviations = new Uint32Array(INITIAL_INNERS * INNER_CAPACITY);
  private innerChildren = new Int32Array(INITIAL_INNERS * INNER_CAPACITY);
  private innerCount = new Int32Array(INITIAL_INNERS);
  private innerPrefix = new Int32Array(INITIAL_INNERS);
  private inners = 0;

  private root = 0;
  /** Inner levels above the leaves; 0 while the root is a leaf. */
  private innerLevels = 0;

  // The descent of the last insert: per inner level, the node, the child taken and its fences.
  private readonly pathNode = new Int32Array(MAX_INNER_LEVELS);
  private readonly pathChild = new Int32Array(MAX_INNER_LEVELS);
  private readonly pathLow = new Int32Array(MAX_INNER_LEVELS + 1);
  private readonly pathHigh = new Int32Array(MAX_INNER_LEVELS + 1);
  // Room for one node's slots plus the one being inserted, for splits.
  private readonly scratchIds = new Int32Array(Math.max(LEAF_CAPACITY, INNER_CAPACITY) + 1);
  private readonly scratchChildren = new Int32Array(INNER_CAPACITY + 1);
  private readonly scratchAbbreviations = new Uint32Array(Math.max(LEAF_CAPACITY, INNER_CAPACITY) + 1);

  /** Where the last search ended: a leaf and a slot in it (the slot may equal the leaf's count). */
  foundLeaf = 0;
  foundIndex = 0;

  constructor() {
    this.root = this.newLeaf();
  }

  get entryCount(): number {
    return this.entries;
  }

  /** Bytes of internal keys and values, plus the words that index them. */
  get usedBytes(): number {
    return this.arenaBytes + this.entries * ENTRY_WORDS * 4 + this.leaves * LEAF_CAPACITY * 8 + this.inners * INNER_CAPACITY * 12;
  }

  /** Bytes allocated: arena chunks plus the capacity of every array. */
  get reservedBytes(): number {
    let total =
      this.entryWords.byteLength +
      this.leafEntries.byteLength +
      this.leafAbbreviations.byteLength +
      this.innerSeparators.byteLength +
      this.innerAbbreviations.byteLength +
      this.innerChildren.byteLength;
    for (const chunk of this.chunks) total += chunk.byteLength;
    return total;
  }

  /** Inserts (userKey, sequence, type) -> value, copying the bytes. The internal key must be new. */
  insert(userKey: Uint8Array, sequence: number, type: ValueType, value: Uint8Array): void {
    const trailerLow = trailerLowOf(sequence, type);
    const trailerHigh = trailerHighOf(sequence);
    const leaf = this.descend(userKey, trailerHigh, trailerLow, true);
    const position = this.searchLeaf(leaf, userKey, trailerHigh, trailerLow);
    // Only an entry with the same abbreviation can be the same key: skip reading it otherwise.
    const slot = leaf * LEAF_CAPACITY + position;
    if (
      position < this.leafCount[leaf]! &&
      this.leafAbbreviations[slot] === abbreviationOf(userKey, this.leafPrefix[leaf]!) &&
      this.compareEntry(this.leafEntries[slot]!, userKey, trailerHigh, trailerLow, 0) === 0
    ) {
      throw new StorageError('INVALID_ARGUMENT', `memtable: sequence ${sequence} type ${type} is already present for this key`);
    }
    const entry = this.addEntry(userKey, sequence, type, value, trailerLow, trailerHigh);
    this.insertIntoLeaf(leaf, position, entry);
  }

  /**
   * The first entry whose internal key is >= (userKey, trailer), or -1 when there is none; leaves the
   * position in foundLeaf/foundIndex.
   */
  findGreaterOrEqual(userKey: Uint8Array, trailerHigh: number, trailerLow: number): number {
    const leaf = this.descend(userKey, trailerHigh, trailerLow, false);
    let index = this.searchLeaf(leaf, userKey, trailerHigh, trailerLow);
    let at = leaf;
    if (index === this.leafCount[leaf]!) {
      // Past the leaf's last entry: the answer is the next leaf's first, if any.
      at = this.leafNext[leaf]!;
      index = 0;
      if (at === NONE) {
        this.foundLeaf = leaf;
        this.foundIndex = this.leafCount[leaf]!;
        return NONE;
      }
    }
    this.foundLeaf = at;
    this.foundIndex = index;
    return this.leafEntries[at * LEAF_CAPACITY + index]!;
  }

  // ---- cursor support: positions are (leaf, index); entries are ids ----

  firstLeaf(): number {
    return 0;
  }

  lastLeafId(): number {
    return this.lastLeaf;
  }

  countOf(leaf: number): number {
    return this.leafCount[leaf]!;
  }

  entryAt(leaf: number, index: number): number {
    return this.leafEntries[leaf * LEAF_CAPACITY + index]!;
  }

  nextLeaf(leaf: number): number {
    return this.leafNext[leaf]!;
  }

  previousLeaf(leaf: number): number {
    return this.leafPrevious[leaf]!;
  }

  /** Finds where `entry` sits now (it may have moved since a cursor saw it); sets foundLeaf/foundIndex. */
  locate(entry: number): void {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const userKey = this.userKeyView(entry);
    const found = this.findGreaterOrEqual(userKey, words[base + ENTRY_TRAILER_HIGH]!, words[base + ENTRY_TRAILER_LOW]!);
    if (found !== entry) throw new Error(`memtable invariant broken: entry ${entry} not found where its key sorts`);
  }

  // ---- entry access ----

  /** A view of the entry's internal key in the arena. */
  internalKey(entry: number): Uint8Array {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const offset = words[base + ENTRY_OFFSET]!;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(offset, offset + words[base + ENTRY_KEY_LENGTH]! + TRAILER_SIZE_BYTES);
  }

  /** A view of the entry's value in the arena. */
  value(entry: number): Uint8Array {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const start = words[base + ENTRY_OFFSET]! + words[base + ENTRY_KEY_LENGTH]! + TRAILER_SIZE_BYTES;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(start, start + words[base + ENTRY_VALUE_LENGTH]!);
  }

  type(entry: number): ValueType {
    return (this.entryWords[entry * ENTRY_WORDS + ENTRY_TRAILER_LOW]! & 0xff) as ValueType;
  }

  /** True when the entry's user key equals `userKey`. */
  hasUserKey(entry: number, userKey: Uint8Array): boolean {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const length = words[base + ENTRY_KEY_LENGTH]!;
    if (length !== userKey.length) return false;
    const chunk = this.chunks[words[base + ENTRY_CHUNK]!]!;
    const offset = words[base + ENTRY_OFFSET]!;
    for (let i = 0; i < length; i++) if (chunk[offset + i] !== userKey[i]) return false;
    return true;
  }

  /** The sign of entry - (userKey, trailer), comparing whole keys. */
  compareWith(entry: number, userKey: Uint8Array, trailerHigh: number, trailerLow: number): number {
    return this.compareEntry(entry, userKey, trailerHigh, trailerLow, 0);
  }

  /**
   * Walks the whole tree and throws when an invariant of the file comment does not hold. Linear in the
   * size of the tree: for tests.
   */
  checkInvariants(): void {
    const broken = (what: string): Error => new Error(`memtable invariant broken: ${what}`);
    const visit = (node: number, level: number, low: number, high: number): number => {
      const sharedWithFences = (entry: number, prefix: number): boolean =>
        (low === NONE || this.commonPrefixOfFences(low, entry) >= prefix) &&
        (high === NONE || this.commonPrefixOfFences(entry, high) >= prefix);
      if (level === 0) {
        const count = this.leafCount[node]!;
        const prefix = this.leafPrefix[node]!;
        if (count === 0 && this.entries > 0) throw broken(`empty leaf ${node}`);
        for (let i = 0; i < count; i++) {
          const entry = this.leafEntries[node * LEAF_CAPACITY + i]!;
          if (this.leafAbbreviations[node * LEAF_CAPACITY + i] !== this.abbreviationOfEntry(entry, prefix)) throw broken(`stale abbreviation in leaf ${node}`);
          if (!sharedWithFences(entry, prefix)) throw broken(`leaf ${node} entry outside its prefix`);
        }
        return count;
      }
      const count = this.innerCount[node]!;
      const prefix = this.innerPrefix[node]!;
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = node * INNER_CAPACITY;
        const childLow = i > 0 ? this.innerSeparators[base + i]! : low;
        const childHigh = i + 1 < count ? this.innerSeparators[base + i + 1]! : high;
        if (i > 0) {
          const separator = this.innerSeparators[base + i]!;
          if (this.innerAbbreviations[base + i] !== this.abbreviationOfEntry(separator, prefix)) throw broken(`stale abbreviation in inner ${node}`);
          if (!sharedWithFences(separator, prefix)) throw broken(`inner ${node} separator outside its prefix`);
          if (this.smallestEntry(this.innerChildren[base + i]!, level - 1) !== separator) throw broken(`inner ${node} separator ${i} is not its child's smallest key`);
        }
        total += visit(this.innerChildren[base + i]!, level - 1, childLow, childHigh);
      }
      return total;
    };
    if (visit(this.root, this.innerLevels, NONE, NONE) !== this.entries) throw broken('the tree does not hold every entry');
    // The leaf chain is strictly increasing from the first leaf to the last.
    let previous = NONE;
    let seen = 0;
    for (let leaf = 0; leaf !== NONE; leaf = this.leafNext[leaf]!) {
      if (leaf !== 0 && this.leafNext[this.leafPrevious[leaf]!] !== leaf) throw broken(`back link of leaf ${leaf}`);
      if (this.leafNext[leaf] === NONE && leaf !== this.lastLeaf) throw broken('last leaf');
      for (let i = 0; i < this.leafCount[leaf]!; i++) {
        const entry = this.leafEntries[leaf * LEAF_CAPACITY + i]!;
        if (previous !== NONE) {
          const words = this.entryWords;
          const base = entry * ENTRY_WORDS;
          if (this.compareEntry(previous, this.userKeyView(entry), words[base + ENTRY_TRAILER_HIGH]!, words[base + ENTRY_TRAILER_LOW]!, 0) >= 0) {
            throw broken('leaf chain out of order');
          }
        }
        previous = entry;
        seen++;
      }
    }
    if (seen !== this.entries) throw broken('the leaf chain does not hold every entry');
  }

  private smallestEntry(node: number, level: number): number {
    for (; level > 0; level--) node = this.innerChildren[node * INNER_CAPACITY]!;
    return this.leafEntries[node * LEAF_CAPACITY]!;
  }

  // ---- search ----

  /**
   * Walks from the root to the leaf whose range holds (userKey, trailer). With `record`, notes each
   * inner node, the child taken and the fences of the leaf for a following insert.
   */
  private descend(userKey: Uint8Array, trailerHigh: number, trailerLow: number, record: boolean): number {
    let node = this.root;
    let low = NONE;
    let high = NONE;
    const separators = this.innerSeparators;
    const abbreviations = this.innerAbbreviations;
    for (let level = this.innerLevels; level > 0; level--) {
      const base = node * INNER_CAPACITY;
      const prefix = this.innerPrefix[node]!;
      const keyAbbreviation = abbreviationOf(userKey, prefix);
      // The child is the number of separators (slots 1..count-1) <= the key.
      let lowSlot = 1;
      let highSlot = this.innerCount[node]!;
      while (lowSlot < highSlot) {
        const middle = (lowSlot + highSlot) >>> 1;
        const entryAbbreviation = abbreviations[base + middle]!;
        let order: number;
        if (entryAbbreviation !== keyAbbreviation) order = entryAbbreviation < keyAbbreviation ? -1 : 1;
        else order = this.compareEntry(separators[base + middle]!, userKey, trailerHigh, trailerLow, prefix);
        if (order <= 0) lowSlot = middle + 1;
        else highSlot = middle;
      }
      const child = lowSlot - 1;
      if (record) {
        const depth = this.innerLevels - level;
        this.pathNode[depth] = node;
        this.pathChild[depth] = child;
        this.pathLow[depth] = low;
        this.pathHigh[depth] = high;
      }
      if (child > 0) low = separators[base + child]!;
      if (child + 1 < this.innerCount[node]!) high = separators[base + child + 1]!;
      node = this.innerChildren[base + child]!;
    }
    if (record) {
      this.pathLow[this.innerLevels] = low;
      this.pathHigh[this.innerLevels] = high;
    }
    return node;
  }

  /** The first slot of `leaf` whose entry is >= (userKey, trailer); the leaf's count when none. */
  private searchLeaf(leaf: number, userKey: Uint8Array, trailerHigh: number, trailerLow: number): number {
    const base = leaf * LEAF_CAPACITY;
    const prefix = this.leafPrefix[leaf]!;
    const keyAbbreviation = abbreviationOf(userKey, prefix);
    const abbreviations = this.leafAbbreviations;
    let low = 0;
    let high = this.leafCount[leaf]!;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entryAbbreviation = abbreviations[base + middle]!;
      let order: number;
      if (entryAbbreviation !== keyAbbreviation) order = entryAbbreviation < keyAbbreviation ? -1 : 1;
      else order = this.compareEntry(this.leafEntries[base + middle]!, userKey, trailerHigh, trailerLow, prefix);
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * The sign of entry - (userKey, trailer). The first `sharedBytes` user-key bytes are known equal (the
   * node's prefix) and, when the caller compared abbreviations, so are the next 4 (padded); comparing
   * again from `sharedBytes` is correct either way.
   */
  private compareEntry(entry: number, userKey: Uint8Array, trailerHigh: number, trailerLow: number, sharedBytes: number): number {
    const words = this.entryWords;
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

  // ---- insertion ----

  private addEntry(userKey: Uint8Array, sequence: number, type: ValueType, value: Uint8Array, trailerLow: number, trailerHigh: number): number {
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
    if ((entry + 1) * ENTRY_WORDS > this.entryWords.length) this.entryWords = grow(this.entryWords, (entry + 1) * ENTRY_WORDS);
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    words[base + ENTRY_CHUNK] = chunkIndex;
    words[base + ENTRY_OFFSET] = offset;
    words[base + ENTRY_KEY_LENGTH] = userKey.length;
    words[base + ENTRY_VALUE_LENGTH] = value.length;
    words[base + ENTRY_TRAILER_LOW] = trailerLow;
    words[base + ENTRY_TRAILER_HIGH] = trailerHigh;
    this.entries++;
    this.arenaBytes += entryBytes;
    return entry;
  }

  private insertIntoLeaf(leaf: number, position: number, entry: number): void {
    const count = this.leafCount[leaf]!;
    const base = leaf * LEAF_CAPACITY;
    if (count < LEAF_CAPACITY) {
      const entries = this.leafEntries;
      const abbreviations = this.leafAbbreviations;
      for (let i = count; i > position; i--) {
        entries[base + i] = entries[base + i - 1]!;
        abbreviations[base + i] = abbreviations[base + i - 1]!;
      }
      entries[base + position] = entry;
      abbreviations[base + position] = this.abbreviationOfEntry(entry, this.leafPrefix[leaf]!);
      this.leafCount[leaf] = count + 1;
      return;
    }

    // Split: gather the count + 1 entries, keep the left part here and move the right to a new leaf.
    const ids = this.scratchIds;
    const abbreviations = this.scratchAbbreviations;
    const oldPrefix = this.leafPrefix[leaf]!;
    for (let i = 0, from = 0; i <= count; i++) {
      if (i === position) {
        ids[i] = entry;
        abbreviations[i] = this.abbreviationOfEntry(entry, oldPrefix);
      } else {
        ids[i] = this.leafEntries[base + from]!;
        abbreviations[i] = this.leafAbbreviations[base + from]!;
        from++;
      }
    }
    // Appending past the last leaf's end (keys arriving in order) leaves the full leaf full and starts
    // the new one with only the new entry, so sequential loads fill leaves completely.
    const leftCount = position === count && this.leafNext[leaf] === NONE ? count : (count + 1) >>> 1;
    const right = this.newLeaf();
    const rightBase = right * LEAF_CAPACITY;
    for (let i = 0; i < leftCount; i++) this.leafEntries[base + i] = ids[i]!;
    for (let i = leftCount; i <= count; i++) this.leafEntries[rightBase + i - leftCount] = ids[i]!;
    this.leafCount[leaf] = leftCount;
    this.leafCount[right] = count + 1 - leftCount;

    const following = this.leafNext[leaf]!;
    this.leafNext[right] = following;
    this.leafPrevious[right] = leaf;
    this.leafNext[leaf] = right;
    if (following === NONE) this.lastLeaf = right;
    else this.leafPrevious[following] = right;

    const separator = ids[leftCount]!;
    const low = this.pathLow[this.innerLevels]!;
    const high = this.pathHigh[this.innerLevels]!;
    this.setLeafPrefix(leaf, this.commonPrefixOfFences(low, separator), oldPrefix, 0);
    this.setLeafPrefix(right, this.commonPrefixOfFences(separator, high), oldPrefix, leftCount);
    this.insertIntoParent(this.innerLevels - 1, separator, right);
  }

  /**
   * Sets a leaf's prefix and its abbreviations: copied from scratchAbbreviations (from `scratchStart`)
   * when the prefix is still `oldPrefix`, recomputed from the arena when the narrower fences made it
   * grow (reading every entry, so worth avoiding).
   */
  private setLeafPrefix(leaf: number, prefix: number, oldPrefix: number, scratchStart: number): void {
    this.leafPrefix[leaf] = prefix;
    const base = leaf * LEAF_CAPACITY;
    const count = this.leafCount[leaf]!;
    if (prefix === oldPrefix) {
      for (let i = 0; i < count; i++) this.leafAbbreviations[base + i] = this.scratchAbbreviations[scratchStart + i]!;
    } else {
      for (let i = 0; i < count; i++) this.leafAbbreviations[base + i] = this.abbreviationOfEntry(this.leafEntries[base + i]!, prefix);
    }
  }

  /** As setLeafPrefix, for an inner node's separators (slots from 1). */
  private setInnerPrefix(node: number, prefix: number, oldPrefix: number, scratchStart: number): void {
    this.innerPrefix[node] = prefix;
    const base = node * INNER_CAPACITY;
    const count = this.innerCount[node]!;
    if (prefix === oldPrefix) {
      for (let i = 1; i < count; i++) this.innerAbbreviations[base + i] = this.scratchAbbreviations[scratchStart + i]!;
    } else {
      for (let i = 1; i < count; i++) this.innerAbbreviations[base + i] = this.abbreviationOfEntry(this.innerSeparators[base + i]!, prefix);
    }
  }

  /**
   * Adds (separator, child) after the child taken at `depth` of the last descent (depth -1: above the
   * root, which grows the tree by a level).
   */
  private insertIntoParent(depth: number, separator: number, child: number): void {
    if (depth < 0) {
      if (this.innerLevels >= MAX_INNER_LEVELS) throw new Error('memtable invariant broken: tree deeper than MAX_INNER_LEVELS');
      const root = this.newInner();
      const base = root * INNER_CAPACITY;
      this.innerChildren[base] = this.root;
      this.innerChildren[base + 1] = child;
      this.innerSeparators[base + 1] = separator;
      this.innerCount[root] = 2;
      this.innerPrefix[root] = 0;
      this.innerAbbreviations[base + 1] = this.abbreviationOfEntry(separator, 0);
      this.root = root;
      this.innerLevels++;
      return;
    }
    const node = this.pathNode[depth]!;
    const position = this.pathChild[depth]! + 1;
    const count = this.innerCount[node]!;
    const base = node * INNER_CAPACITY;
    const separators = this.innerSeparators;
    const children = this.innerChildren;
    if (count < INNER_CAPACITY) {
      const abbreviations = this.innerAbbreviations;
      for (let i = count; i > position; i--) {
        separators[base + i] = separators[base + i - 1]!;
        abbreviations[base + i] = abbreviations[base + i - 1]!;
        children[base + i] = children[base + i - 1]!;
      }
      separators[base + position] = separator;
      abbreviations[base + position] = this.abbreviationOfEntry(separator, this.innerPrefix[node]!);
      children[base + position] = child;
      this.innerCount[node] = count + 1;
      return;
    }

    // Split the inner node: count + 1 children, the left half stays, the right half moves; the
    // smallest key of the right half's first child goes up as the separator between them.
    const ids = this.scratchIds;
    const kids = this.scratchChildren;
    const abbreviations = this.scratchAbbreviations;
    const oldPrefix = this.innerPrefix[node]!;
    for (let i = 0, from = 0; i <= count; i++) {
      if (i === position) {
        ids[i] = separator;
        kids[i] = child;
        abbreviations[i] = this.abbreviationOfEntry(separator, oldPrefix);
      } else {
        ids[i] = separators[base + from]!;
        kids[i] = children[base + from]!;
        abbreviations[i] = this.innerAbbreviations[base + from]!;
        from++;
      }
    }
    const leftCount = (count + 1) >>> 1;
    const right = this.newInner();
    const rightBase = right * INNER_CAPACITY;
    for (let i = 0; i < leftCount; i++) {
      this.innerSeparators[base + i] = ids[i]!;
      this.innerChildren[base + i] = kids[i]!;
    }
    for (let i = leftCount; i <= count; i++) {
      this.innerSeparators[rightBase + i - leftCount] = ids[i]!;
      this.innerChildren[rightBase + i - leftCount] = kids[i]!;
    }
    this.innerCount[node] = leftCount;
    this.innerCount[right] = count + 1 - leftCount;
    const up = ids[leftCount]!;
    this.setInnerPrefix(node, this.commonPrefixOfFences(this.pathLow[depth]!, up), oldPrefix, 0);
    this.setInnerPrefix(right, this.commonPrefixOfFences(up, this.pathHigh[depth]!), oldPrefix, leftCount);
    this.insertIntoParent(depth - 1, up, right);
  }

  private newLeaf(): number {
    const leaf = this.leaves++;
    if (leaf >= this.leafCount.length) {
      const capacity = this.leafCount.length * 2;
      this.leafEntries = grow(this.leafEntries, capacity * LEAF_CAPACITY);
      this.leafAbbreviations = grow(this.leafAbbreviations, capacity * LEAF_CAPACITY);
      this.leafCount = grow(this.leafCount, capacity);
      this.leafPrefix = grow(this.leafPrefix, capacity);
      this.leafNext = grow(this.leafNext, capacity);
      this.leafPrevious = grow(this.leafPrevious, capacity);
    }
    this.leafCount[leaf] = 0;
    this.leafPrefix[leaf] = 0;
    this.leafNext[leaf] = NONE;
    this.leafPrevious[leaf] = NONE;
    return leaf;
  }

  private newInner(): number {
    const node = this.inners++;
    if (node >= this.innerCount.length) {
      const capacity = this.innerCount.length * 2;
      this.innerSeparators = grow(this.innerSeparators, capacity * INNER_CAPACITY);
      this.innerAbbreviations = grow(this.innerAbbreviations, capacity * INNER_CAPACITY);
      this.innerChildren = grow(this.innerChildren, capacity * INNER_CAPACITY);
      this.innerCount = grow(this.innerCount, capacity);
      this.innerPrefix = grow(this.innerPrefix, capacity);
    }
    this.innerCount[node] = 0;
    this.innerPrefix[node] = 0;
    return node;
  }

  /** The common user-key prefix length of two fence entries; 0 when either side is unbounded. */
  private commonPrefixOfFences(low: number, high: number): number {
    if (low === NONE || high === NONE) return 0;
    const words = this.entryWords;
    const lowBase = low * ENTRY_WORDS;
    const highBase = high * ENTRY_WORDS;
    const lowChunk = this.chunks[words[lowBase + ENTRY_CHUNK]!]!;
    const highChunk = this.chunks[words[highBase + ENTRY_CHUNK]!]!;
    const lowOffset = words[lowBase + ENTRY_OFFSET]!;
    const highOffset = words[highBase + ENTRY_OFFSET]!;
    const lowLength = words[lowBase + ENTRY_KEY_LENGTH]!;
    const highLength = words[highBase + ENTRY_KEY_LENGTH]!;
    const common = lowLength < highLength ? lowLength : highLength;
    let i = 0;
    while (i < common && lowChunk[lowOffset + i] === highChunk[highOffset + i]) i++;
    return i;
  }

  private abbreviationOfEntry(entry: number, prefix: number): number {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const chunk = this.chunks[words[base + ENTRY_CHUNK]!]!;
    const offset = words[base + ENTRY_OFFSET]!;
    const length = words[base + ENTRY_KEY_LENGTH]!;
    let abbreviation = 0;
    for (let i = prefix; i < prefix + 4; i++) abbreviation = abbreviation * 256 + (i < length ? chunk[offset + i]! : 0);
    return abbreviation;
  }

  private userKeyView(entry: number): Uint8Array {
    const words = this.entryWords;
    const base = entry * ENTRY_WORDS;
    const offset = words[base + ENTRY_OFFSET]!;
    return this.chunks[words[base + ENTRY_CHUNK]!]!.subarray(offset, offset + words[base + ENTRY_KEY_LENGTH]!);
  }
}

/** The 4 user-key bytes at [prefix, prefix + 4), big-endian, zero-padded. */
function abbreviationOf(userKey: Uint8Array, prefix: number): number {
  const length = userKey.length;
  if (prefix + 4 <= length) {
    return ((userKey[prefix]! << 24) | (userKey[prefix + 1]! << 16) | (userKey[prefix + 2]! << 8) | userKey[prefix + 3]!) >>> 0;
  }
  let abbreviation = 0;
  for (let i = prefix; i < prefix + 4; i++) abbreviation = abbreviation * 256 + (i < length ? userKey[i]! : 0);
  return abbreviation;
}

function grow<T extends Int32Array | Uint32Array>(array: T, minimumLength: number): T {
  let length = array.length * 2;
  while (length < minimumLength) length *= 2;
  const grown = new (array.constructor as new (length: number) => T)(length);
  grown.set(array);
  return grown;
}

/** The trailer halves of (sequence, type), as the entry words hold them. */
export function trailerLowOf(sequence: number, type: ValueType): number {
  return (((sequence % TWO_POW_24) << 8) | type) >>> 0;
}

export function trailerHighOf(sequence: number): number {
  return Math.floor(sequence / TWO_POW_24);
}
