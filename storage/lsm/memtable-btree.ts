// The memtable's ordered index: a B+tree of internal keys (user key ascending, then sequence and type
// descending), laid out in typed arrays for V8. It replaced a skip list of the same layout, measured
// here: a random insert into a skip list of a million entries visits ~30 nodes, each a cache miss; the
// tree visits 4 nodes and searches each within a few contiguous cache lines.
//
// Entries (bytes and metadata) live in an EntryArena (memtable-arena.ts) and are named by id. Tree
// nodes live in pooled typed arrays: leaves hold up to LEAF_CAPACITY entry ids, inner nodes up to
// INNER_CAPACITY children, where separator i (i >= 1) is the id of the smallest internal key in child i.
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
// Nodes are never freed: a split keeps the left half in place and moves the right half to a new node,
// so a cursor holding (leaf, index, entry) can check that its entry is still at that slot, and re-find
// it by key when a later insert shifted it (readers may run between inserts). One writer at a time.

import { StorageError } from '../env/errors.js';
import type { ValueType } from './internal-key.js';
import { EntryArena, abbreviationOf, grow, trailerHighOf, trailerLowOf } from './memtable-arena.js';

/** Entries per leaf: a binary search settles in 6 steps; an insert shifts 32 slots on average. */
export const LEAF_CAPACITY = 64;
/** Children per inner node. A million entries take 3 inner levels. */
export const INNER_CAPACITY = 64;
// Depth bound: 64^8 leaves is far beyond any memtable; insert asserts it.
const MAX_INNER_LEVELS = 8;

const NONE = -1;
const INITIAL_LEAVES = 32;
const INITIAL_INNERS = 4;

export class MemTableBTree {
  /** The entries' bytes and metadata; the tree holds their ids. */
  readonly arena = new EntryArena();

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
    return this.arena.count;
  }

  /** Bytes of internal keys, values and their metadata, plus the tree's slots in use. */
  get usedBytes(): number {
    return this.arena.usedBytes + this.leaves * LEAF_CAPACITY * 8 + this.inners * INNER_CAPACITY * 12;
  }

  /** Bytes allocated: the arena plus the capacity of every tree array. */
  get reservedBytes(): number {
    return (
      this.arena.reservedBytes +
      this.leafEntries.byteLength +
      this.leafAbbreviations.byteLength +
      this.innerSeparators.byteLength +
      this.innerAbbreviations.byteLength +
      this.innerChildren.byteLength
    );
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
      this.arena.compare(this.leafEntries[slot]!, userKey, trailerHigh, trailerLow, 0) === 0
    ) {
      throw new StorageError('INVALID_ARGUMENT', `memtable: sequence ${sequence} type ${type} is already present for this key`);
    }
    const entry = this.arena.add(userKey, sequence, type, value);
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
    const arena = this.arena;
    const found = this.findGreaterOrEqual(arena.userKey(entry), arena.trailerHigh(entry), arena.trailerLow(entry));
    if (found !== entry) throw new Error(`memtable invariant broken: entry ${entry} not found where its key sorts`);
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
        if (count === 0 && this.arena.count > 0) throw broken(`empty leaf ${node}`);
        for (let i = 0; i < count; i++) {
          const entry = this.leafEntries[node * LEAF_CAPACITY + i]!;
          if (this.leafAbbreviations[node * LEAF_CAPACITY + i] !== this.arena.abbreviation(entry, prefix)) throw broken(`stale abbreviation in leaf ${node}`);
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
          if (this.innerAbbreviations[base + i] !== this.arena.abbreviation(separator, prefix)) throw broken(`stale abbreviation in inner ${node}`);
          if (!sharedWithFences(separator, prefix)) throw broken(`inner ${node} separator outside its prefix`);
          if (this.smallestEntry(this.innerChildren[base + i]!, level - 1) !== separator) throw broken(`inner ${node} separator ${i} is not its child's smallest key`);
        }
        total += visit(this.innerChildren[base + i]!, level - 1, childLow, childHigh);
      }
      return total;
    };
    if (visit(this.root, this.innerLevels, NONE, NONE) !== this.arena.count) throw broken('the tree does not hold every entry');
    // The leaf chain is strictly increasing from the first leaf to the last.
    let previous = NONE;
    let seen = 0;
    for (let leaf = 0; leaf !== NONE; leaf = this.leafNext[leaf]!) {
      if (leaf !== 0 && this.leafNext[this.leafPrevious[leaf]!] !== leaf) throw broken(`back link of leaf ${leaf}`);
      if (this.leafNext[leaf] === NONE && leaf !== this.lastLeaf) throw broken('last leaf');
      for (let i = 0; i < this.leafCount[leaf]!; i++) {
        const entry = this.leafEntries[leaf * LEAF_CAPACITY + i]!;
        if (previous !== NONE && this.arena.compare(previous, this.arena.userKey(entry), this.arena.trailerHigh(entry), this.arena.trailerLow(entry), 0) >= 0) {
          throw broken('leaf chain out of order');
        }
        previous = entry;
        seen++;
      }
    }
    if (seen !== this.arena.count) throw broken('the leaf chain does not hold every entry');
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
        else order = this.arena.compare(separators[base + middle]!, userKey, trailerHigh, trailerLow, prefix);
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
      else order = this.arena.compare(this.leafEntries[base + middle]!, userKey, trailerHigh, trailerLow, prefix);
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  // ---- insertion ----

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
      abbreviations[base + position] = this.arena.abbreviation(entry, this.leafPrefix[leaf]!);
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
        abbreviations[i] = this.arena.abbreviation(entry, oldPrefix);
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
      for (let i = 0; i < count; i++) this.leafAbbreviations[base + i] = this.arena.abbreviation(this.leafEntries[base + i]!, prefix);
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
      for (let i = 1; i < count; i++) this.innerAbbreviations[base + i] = this.arena.abbreviation(this.innerSeparators[base + i]!, prefix);
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
      this.innerAbbreviations[base + 1] = this.arena.abbreviation(separator, 0);
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
      abbreviations[base + position] = this.arena.abbreviation(separator, this.innerPrefix[node]!);
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
        abbreviations[i] = this.arena.abbreviation(separator, oldPrefix);
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
    return this.arena.commonPrefixLength(low, high);
  }
}
