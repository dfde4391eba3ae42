// A transaction's own view on top of the store: the writes it buffered until commit, and the values it
// read under its own pessimistic locks. Reads look here first; commit turns the writes into mutations.
//
// Writes: at most one per key, the last one wins, with one rule for inserts: an insert keeps its
// "the key must not exist" check through later puts of the same key (an INSERT then UPDATE of a row is
// still an insert), and a put after our own delete is a plain put (the row is replaced, not inserted).
//
// Locked values: when the transaction takes a pessimistic lock it receives each key's newest committed
// value (returnValues). While the lock is held nobody else can commit that key, so the value stays the
// newest one for the rest of the transaction. That is what lets READ COMMITTED read-modify-write
// without lost updates (lock, read the value under the lock, write), and it equals the snapshot value
// for REPEATABLE READ and SERIALIZABLE, whose locks fail when the key changed after the start
// timestamp. A buffered write of the key takes precedence over its locked value.
//
// Range reads use a sorted array of the keys, rebuilt lazily after a change (writes come in bursts,
// scans after them).

import { keyString } from './keys.js';

export type BufferedWrite =
  | { readonly kind: 'put'; readonly value: Uint8Array }
  | { readonly kind: 'insert'; readonly value: Uint8Array }
  | { readonly kind: 'delete' };

/** What the transaction's own view says about a key: absent means "ask the store". */
export interface OverlayEntry {
  readonly key: Uint8Array;
  /** undefined: the key has no value in the transaction's view (deleted, or locked while absent). */
  readonly value: Uint8Array | undefined;
}

interface Slot {
  readonly key: Uint8Array;
  write?: BufferedWrite | undefined;
  /** Present when the key was read under our pessimistic lock; `value` undefined means absent. */
  locked?: { readonly value: Uint8Array | undefined } | undefined;
}

export class WriteBuffer {
  private readonly slots = new Map<string, Slot>();
  private sortedKeys: string[] | undefined;
  private writeCount = 0;
  /** While savepoints exist: each write's key and the write it replaced, oldest first. */
  private undo: { readonly slot: Slot; readonly previous: BufferedWrite | undefined }[] | undefined;

  /** Starts (or continues) recording writes so that rollbackTo can undo them; returns the mark. */
  mark(): number {
    this.undo ??= [];
    return this.undo.length;
  }

  /** Undoes every write made after `mark` (a value mark() returned), newest first. */
  rollbackTo(mark: number): void {
    const undo = this.undo;
    if (undo === undefined || mark > undo.length) throw new Error(`write buffer: no mark ${mark}`);
    while (undo.length > mark) {
      const { slot, previous } = undo.pop()!;
      if (slot.write !== undefined && previous === undefined) this.writeCount--;
      if (slot.write === undefined && previous !== undefined) this.writeCount++;
      slot.write = previous;
    }
  }

  /** Stops recording (no savepoint is left). */
  forgetMarks(): void {
    this.undo = undefined;
  }

  /** The number of keys with a buffered write. */
  get size(): number {
    return this.writeCount;
  }

  getWrite(key: Uint8Array): BufferedWrite | undefined {
    return this.slots.get(keyString(key))?.write;
  }

  /** The transaction's own answer for `key`, or undefined when the store must be asked. */
  lookup(key: Uint8Array): OverlayEntry | undefined {
    const slot = this.slots.get(keyString(key));
    return slot === undefined ? undefined : overlayOf(slot);
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const previous = this.getWrite(key);
    this.setWrite(key, previous?.kind === 'insert' ? { kind: 'insert', value } : { kind: 'put', value });
  }

  insert(key: Uint8Array, value: Uint8Array): void {
    this.setWrite(key, { kind: 'insert', value });
  }

  delete(key: Uint8Array): void {
    this.setWrite(key, { kind: 'delete' });
  }

  /** Remembers the newest committed value of a key this transaction just locked. */
  setLockedValue(key: Uint8Array, value: Uint8Array | undefined): void {
    this.slot(key).locked = { value };
  }

  hasLockedValue(key: Uint8Array): boolean {
    return this.slots.get(keyString(key))?.locked !== undefined;
  }

  /** Every buffered write, in key order. */
  writes(): { key: Uint8Array; write: BufferedWrite }[] {
    const result: { key: Uint8Array; write: BufferedWrite }[] = [];
    for (const text of this.sorted()) {
      const slot = this.slots.get(text)!;
      if (slot.write !== undefined) result.push({ key: slot.key, write: slot.write });
    }
    return result;
  }

  /** The overlay entries with keys in [startKey, endKey), in key order or reversed. */
  range(startKey: Uint8Array | undefined, endKey: Uint8Array | undefined, reverse: boolean): OverlayEntry[] {
    const sorted = this.sorted();
    const from = startKey === undefined ? 0 : lowerBound(sorted, keyString(startKey));
    const to = endKey === undefined ? sorted.length : lowerBound(sorted, keyString(endKey));
    const entries: OverlayEntry[] = [];
    for (let index = from; index < to; index++) {
      const entry = overlayOf(this.slots.get(sorted[index]!)!);
      if (entry !== undefined) entries.push(entry);
    }
    if (reverse) entries.reverse();
    return entries;
  }

  private setWrite(key: Uint8Array, write: BufferedWrite): void {
    const slot = this.slot(key);
    this.undo?.push({ slot, previous: slot.write });
    if (slot.write === undefined) this.writeCount++;
    slot.write = write;
  }

  private slot(key: Uint8Array): Slot {
    const text = keyString(key);
    let slot = this.slots.get(text);
    if (slot === undefined) {
      slot = { key };
      this.slots.set(text, slot);
      this.sortedKeys = undefined;
    }
    return slot;
  }

  private sorted(): string[] {
    // Latin1 strings sort by their code units, which is unsigned byte order (keys.ts).
    this.sortedKeys ??= [...this.slots.keys()].sort();
    return this.sortedKeys;
  }
}

/** The overlay entry of a slot, as copies: a caller that changes them changes nothing here. */
function overlayOf(slot: Slot): OverlayEntry | undefined {
  const value = slot.write !== undefined ? (slot.write.kind === 'delete' ? undefined : slot.write.value) : slot.locked?.value;
  if (slot.write === undefined && slot.locked === undefined) return undefined;
  return { key: new Uint8Array(slot.key), value: value === undefined ? undefined : new Uint8Array(value) };
}

function lowerBound(sorted: readonly string[], target: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
