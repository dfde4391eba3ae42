// The user-facing iterator: turns a merged stream of internal keys (every version of every key, from
// every memtable and table) into the database as a reader at one sequence sees it. LevelDB's DBIter,
// plus range tombstones and user-key bounds.
//
// For each user key it yields the newest version with sequence <= readSequence, and yields nothing for
// the key when that version is a deletion, or a value deleted by a range tombstone with a sequence in
// (its sequence, readSequence]. Keys outside [lowerBound, upperBound) are never yielded. key() and
// value() are the user key and value.
//
// Invariants, between calls, while valid():
//  - going forward, the internal iterator is at the entry being yielded (the newest visible version
//    of key()), and key()/value() are views of it;
//  - going backward, the internal iterator is just before every entry of key() (at the last entry of
//    a smaller user key, or invalid), and key()/value() are copies held in savedKey/savedValue.
// The internal iterator may see entries newer than readSequence appear while we iterate (a memtable
// taking writes); they are ignored like any other invisible version.

import { StorageError } from '../env/errors.js';
import type { KeyValueIterator } from './iterator.js';
import {
  MAX_SEQUENCE,
  TRAILER_SIZE_BYTES,
  VALUE_TYPE_FOR_SEEK,
  ValueType,
  compareBytes,
  encodeInternalKey,
  isSequence,
  sequenceOf,
} from './internal-key.js';
import { RangeTombstoneSet } from './range-tombstones.js';

export interface DbIteratorOptions {
  /** The smallest user key to yield (inclusive). */
  lowerBound?: Uint8Array | undefined;
  /** The user key to stop before (exclusive). */
  upperBound?: Uint8Array | undefined;
  /** Called once, by the first close(): releases what the database pinned for this iterator. */
  onClose?: (() => void) | undefined;
}

/** The constructor's arguments as one object. */
export interface DbIteratorSettings extends DbIteratorOptions {
  /** The read sequence: versions with a larger sequence are invisible. */
  sequence: number;
  /** Every range tombstone of the sources. */
  tombstones: RangeTombstoneSet;
}

const enum Direction {
  Forward,
  Reverse,
}

export class DbIterator implements KeyValueIterator {
  private readonly lowerBound: Uint8Array | undefined;
  private readonly upperBound: Uint8Array | undefined;
  private readonly onClose: (() => void) | undefined;
  private direction = Direction.Forward;
  private isValid = false;
  private closed = false;
  // A user key: the one to skip past going forward, the one being yielded going backward.
  private savedKey = new Uint8Array(64);
  private savedKeyLength = 0;
  // The value being yielded going backward.
  private savedValue = new Uint8Array(64);
  private savedValueLength = 0;

  private readonly readSequence: number;
  private readonly rangeTombstones: RangeTombstoneSet;

  /**
   * `internal` yields internal keys in internal-key order (a MergingIterator of the sources); this
   * iterator owns it and closes it. `rangeTombstones` holds every range tombstone of those sources.
   * The bounds are copied. The second form takes the same arguments as one object.
   */
  constructor(internal: KeyValueIterator, readSequence: number, rangeTombstones: RangeTombstoneSet, options?: DbIteratorOptions);
  constructor(internal: KeyValueIterator, settings: DbIteratorSettings);
  constructor(
    private readonly internal: KeyValueIterator,
    readSequenceOrSettings: number | DbIteratorSettings,
    rangeTombstones?: RangeTombstoneSet,
    options: DbIteratorOptions = {},
  ) {
    let readSequence: number;
    if (typeof readSequenceOrSettings === 'number') {
      readSequence = readSequenceOrSettings;
      this.rangeTombstones = rangeTombstones ?? RangeTombstoneSet.EMPTY;
    } else {
      readSequence = readSequenceOrSettings.sequence;
      this.rangeTombstones = readSequenceOrSettings.tombstones;
      options = readSequenceOrSettings;
    }
    if (!isSequence(readSequence)) throw new StorageError('INVALID_ARGUMENT', `iterator: invalid read sequence ${readSequence}`);
    this.readSequence = readSequence;
    this.lowerBound = options.lowerBound === undefined ? undefined : new Uint8Array(options.lowerBound);
    this.upperBound = options.upperBound === undefined ? undefined : new Uint8Array(options.upperBound);
    this.onClose = options.onClose;
  }

  valid(): boolean {
    return this.isValid;
  }

  seekToFirst(): void {
    this.checkOpen();
    this.direction = Direction.Forward;
    if (this.lowerBound !== undefined) this.internal.seek(encodeInternalKey(this.lowerBound, this.readSequence, VALUE_TYPE_FOR_SEEK));
    else this.internal.seekToFirst();
    this.findNextUserEntry(false);
  }

  seekToLast(): void {
    this.checkOpen();
    this.direction = Direction.Reverse;
    if (this.upperBound !== undefined) {
      // The smallest internal key of the upper bound, then one step back: the last entry below it.
      this.internal.seek(encodeInternalKey(this.upperBound, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK));
      if (this.internal.valid()) this.internal.prev();
      else this.internal.seekToLast();
    } else {
      this.internal.seekToLast();
    }
    this.findPrevUserEntry();
  }

  seek(target: Uint8Array): void {
    this.checkOpen();
    this.direction = Direction.Forward;
    if (this.lowerBound !== undefined && compareBytes(target, target.length, this.lowerBound, this.lowerBound.length) < 0) {
      target = this.lowerBound;
    }
    if (this.upperBound !== undefined && compareBytes(target, target.length, this.upperBound, this.upperBound.length) >= 0) {
      this.isValid = false;
      return;
    }
    this.internal.seek(encodeInternalKey(target, this.readSequence, VALUE_TYPE_FOR_SEEK));
    this.findNextUserEntry(false);
  }

  seekForPrev(target: Uint8Array): void {
    this.checkOpen();
    if (this.upperBound !== undefined && compareBytes(target, target.length, this.upperBound, this.upperBound.length) >= 0) {
      this.seekToLast();
      return;
    }
    this.direction = Direction.Reverse;
    if (this.lowerBound !== undefined && compareBytes(target, target.length, this.lowerBound, this.lowerBound.length) < 0) {
      this.isValid = false;
      return;
    }
    // (target, sequence 0, type 0) is the largest internal key of target: land on its oldest version.
    this.internal.seekForPrev(encodeInternalKey(target, 0, ValueType.Deletion));
    this.findPrevUserEntry();
  }

  next(): void {
    this.checkOpen();
    this.checkValid('next');
    if (this.direction === Direction.Reverse) {
      // The internal iterator is just before the entries of key() (which savedKey holds): step into
      // them, and let the forward scan skip past them.
      this.direction = Direction.Forward;
      if (this.internal.valid()) this.internal.next();
      else this.internal.seekToFirst();
    } else {
      const key = this.internal.key();
      this.saveKey(key, key.length - TRAILER_SIZE_BYTES);
      this.internal.next();
    }
    this.findNextUserEntry(true);
  }

  prev(): void {
    this.checkOpen();
    this.checkValid('prev');
    if (this.direction === Direction.Forward) {
      // The internal iterator is at the entry of key(): step back past every entry of key().
      const key = this.internal.key();
      this.saveKey(key, key.length - TRAILER_SIZE_BYTES);
      for (;;) {
        this.internal.prev();
        if (!this.internal.valid()) {
          this.isValid = false;
          return;
        }
        const entry = this.internal.key();
        if (compareBytes(entry, entry.length - TRAILER_SIZE_BYTES, this.savedKey, this.savedKeyLength) < 0) break;
      }
      this.direction = Direction.Reverse;
    }
    this.findPrevUserEntry();
  }

  key(): Uint8Array {
    if (this.direction === Direction.Forward) {
      const key = this.internal.key();
      return key.subarray(0, key.length - TRAILER_SIZE_BYTES);
    }
    return this.savedKey.subarray(0, this.savedKeyLength);
  }

  value(): Uint8Array {
    if (this.direction === Direction.Forward) return this.internal.value();
    return this.savedValue.subarray(0, this.savedValueLength);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.isValid = false;
    try {
      this.internal.close();
    } finally {
      this.onClose?.();
    }
  }

  /**
   * Going forward from the internal iterator's position, stops at the first entry to yield. With
   * `skipping`, entries whose user key is <= savedKey are hidden (savedKey was yielded or deleted).
   */
  private findNextUserEntry(skipping: boolean): void {
    const internal = this.internal;
    const upperBound = this.upperBound;
    const readSequence = this.readSequence;
    const tombstones = this.rangeTombstones.isEmpty ? undefined : this.rangeTombstones;
    while (internal.valid()) {
      const key = internal.key();
      const userKeyLength = key.length - TRAILER_SIZE_BYTES;
      if (upperBound !== undefined && compareBytes(key, userKeyLength, upperBound, upperBound.length) >= 0) break;
      const sequence = sequenceOf(key);
      if (sequence <= readSequence) {
        const type = key[userKeyLength]!;
        if (type === ValueType.Deletion) {
          // Every older version of this key is hidden.
          this.saveKey(key, userKeyLength);
          skipping = true;
        } else if (type === ValueType.Value) {
          if (skipping && compareBytes(key, userKeyLength, this.savedKey, this.savedKeyLength) <= 0) {
            // An older version of a key already yielded or deleted.
          } else if (tombstones !== undefined && tombstones.isCovered(key.subarray(0, userKeyLength), sequence, readSequence)) {
            this.saveKey(key, userKeyLength);
            skipping = true;
          } else {
            this.isValid = true;
            return;
          }
        }
        // Range-deletion entries are not point entries; sources keep them apart, and they are ignored here.
      }
      internal.next();
    }
    this.isValid = false;
  }

  /**
   * Going backward from the internal iterator's position, collects the newest visible version of the
   * previous user key into savedKey/savedValue, leaving the internal iterator just before that key.
   */
  private findPrevUserEntry(): void {
    const internal = this.internal;
    const lowerBound = this.lowerBound;
    const readSequence = this.readSequence;
    const tombstones = this.rangeTombstones.isEmpty ? undefined : this.rangeTombstones;
    let found = ValueType.Deletion;
    while (internal.valid()) {
      const key = internal.key();
      const userKeyLength = key.length - TRAILER_SIZE_BYTES;
      if (lowerBound !== undefined && compareBytes(key, userKeyLength, lowerBound, lowerBound.length) < 0) break;
      const sequence = sequenceOf(key);
      if (sequence <= readSequence) {
        if (found !== ValueType.Deletion && compareBytes(key, userKeyLength, this.savedKey, this.savedKeyLength) < 0) {
          // The entries of the saved key are done, and its newest visible version is a value.
          break;
        }
        let type = key[userKeyLength]!;
        if (type === ValueType.Value && tombstones !== undefined && tombstones.isCovered(key.subarray(0, userKeyLength), sequence, readSequence)) {
          type = ValueType.Deletion;
        }
        // Versions arrive oldest first: each visible one replaces what the last said about this key.
        if (type === ValueType.Deletion) {
          found = ValueType.Deletion;
          this.savedKeyLength = 0;
          this.savedValueLength = 0;
        } else if (type === ValueType.Value) {
          found = ValueType.Value;
          this.saveKey(key, userKeyLength);
          this.saveValue(internal.value());
        }
      }
      internal.prev();
    }
    if (found === ValueType.Deletion) {
      this.isValid = false;
      this.savedKeyLength = 0;
      this.savedValueLength = 0;
    } else {
      this.isValid = true;
    }
  }

  private saveKey(source: Uint8Array, length: number): void {
    if (this.savedKey.length < length) this.savedKey = new Uint8Array(Math.max(length, this.savedKey.length * 2));
    // A loop for short keys avoids creating a view for set(); long keys go to the native copy.
    if (length <= 32) for (let i = 0; i < length; i++) this.savedKey[i] = source[i]!;
    else this.savedKey.set(source.subarray(0, length), 0);
    this.savedKeyLength = length;
  }

  private saveValue(source: Uint8Array): void {
    const length = source.length;
    if (this.savedValue.length < length) this.savedValue = new Uint8Array(Math.max(length, this.savedValue.length * 2));
    this.savedValue.set(source, 0);
    this.savedValueLength = length;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('CLOSED', 'iterator used after close');
  }

  private checkValid(what: string): void {
    if (!this.isValid) throw new StorageError('INVALID_ARGUMENT', `iterator: ${what}() needs a valid position`);
  }
}
