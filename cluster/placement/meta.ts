// The meta range's replicated records: the range descriptors the routing client looks ranges up in,
// the counter that hands out range ids, and the timestamp oracle's persisted window. They belong to
// range 1 (the meta range) and are changed only by applying its `meta` commands, so every replica of
// range 1 holds the same records at the same applied index.
//
// Key layout (raw LSM keys; 0x02 marks replicated system records, apart from node-local 0x01 and the
// MVCC families):
//   0x02 'd' 0x00 memcomparable(endKey)  -> encoded descriptor of the range ending at endKey
//   0x02 'd' 0x01                         -> encoded descriptor of the last range (no end)
//   0x02 'n'                              -> next unused range id, u64 big-endian
//   0x02 't'                              -> TSO window bound, physical ms, u64 big-endian
// Descriptors are keyed by their end key so that "the range holding key k" is one seek: the first
// record whose end key is above k (CockroachDB's meta2 addressing).
//
// Applying reads nothing from the LSM: records change in batches that are written later, possibly
// with other commands of the same round, so MetaState keeps the current values in memory (loaded once
// at open) and stages every change into the round's batch. Determinism holds because every replica
// starts from the same stored state and applies the same commands in the same order.

import type { WriteBatch } from '../../storage/lsm/write-batch.js';
import { encodeUint64BigEndian, getUint64BigEndian } from '../../storage/lsm/coding.js';
import type { MvccSnapshot } from '../../storage/mvcc/snapshot.js';
import { encodeUserKey } from '../../storage/mvcc/keys.js';
import { decodeRangeDescriptor, encodeRangeDescriptor, type RangeDescriptor } from './range-descriptor.js';

/** Changes to the meta range's replicated records, carried by range 1's `meta` commands. */
export interface MetaCommand {
  /** Range descriptors to record (encoded); each replaces the record of the same range. */
  readonly descriptors?: readonly Uint8Array[] | undefined;
  /** Raise the persisted TSO window to this physical millisecond bound. */
  readonly tsoWindowMs?: number | undefined;
  /** Allocate this many fresh range ids (the caller learns the first from the apply result). */
  readonly allocateRangeIds?: number | undefined;
}

const DESCRIPTOR_PREFIX = new Uint8Array([0x02, 0x64]);
const DESCRIPTOR_END = new Uint8Array([0x02, 0x65]);
const NEXT_RANGE_ID_KEY = new Uint8Array([0x02, 0x6e]);
const TSO_WINDOW_KEY = new Uint8Array([0x02, 0x74]);

/** The first range id handed out after bootstrap (1 is the meta range, 2 the first user range). */
export const FIRST_ALLOCATED_RANGE_ID = 3;

/** The meta record key of a descriptor (by its end key). */
export function descriptorRecordKey(endKey: Uint8Array | undefined): Uint8Array {
  if (endKey === undefined) return new Uint8Array([...DESCRIPTOR_PREFIX, 0x01]);
  const encoded = encodeUserKey(endKey);
  const key = new Uint8Array(DESCRIPTOR_PREFIX.length + 1 + encoded.length);
  key.set(DESCRIPTOR_PREFIX, 0);
  key[DESCRIPTOR_PREFIX.length] = 0x00;
  key.set(encoded, DESCRIPTOR_PREFIX.length + 1);
  return key;
}

export interface MetaApplyResult {
  /** With allocateRangeIds: the first id of the allocated run. */
  readonly firstRangeId?: number | undefined;
}

export interface StoredReader {
  get(key: Uint8Array): Uint8Array | undefined;
  iterator(bounds: { lowerBound?: Uint8Array; upperBound?: Uint8Array }): {
    seekToFirst(): void;
    seek(key: Uint8Array): void;
    valid(): boolean;
    key(): Uint8Array;
    value(): Uint8Array;
    next(): void;
    close(): void;
  };
}

/** The meta range's records as of the last applied command (kept by range 1's replicas). */
export class MetaState {
  /** rangeId -> end key of its current record, to delete the old record when a descriptor moves. */
  private readonly endKeyById = new Map<number, Uint8Array | undefined>();
  private nextRangeIdValue: number;
  private tsoWindowMsValue: number;

  private constructor(nextRangeId: number, tsoWindowMs: number) {
    this.nextRangeIdValue = nextRangeId;
    this.tsoWindowMsValue = tsoWindowMs;
  }

  static load(reader: StoredReader): MetaState {
    const next = reader.get(NEXT_RANGE_ID_KEY);
    const window = reader.get(TSO_WINDOW_KEY);
    const state = new MetaState(next === undefined ? FIRST_ALLOCATED_RANGE_ID : getUint64BigEndian(next), window === undefined ? 0 : getUint64BigEndian(window));
    for (const descriptor of scanDescriptors(reader)) state.endKeyById.set(descriptor.rangeId, descriptor.endKey);
    return state;
  }

  get tsoWindowMs(): number {
    return this.tsoWindowMsValue;
  }

  get nextRangeId(): number {
    return this.nextRangeIdValue;
  }

  /** Stages the effect of `command` into `batch` and updates the in-memory values. */
  apply(batch: WriteBatch, command: MetaCommand): MetaApplyResult {
    for (const encoded of command.descriptors ?? []) {
      const descriptor = decodeRangeDescriptor(encoded);
      if (this.endKeyById.has(descriptor.rangeId)) {
        const oldEnd = this.endKeyById.get(descriptor.rangeId);
        const oldKey = descriptorRecordKey(oldEnd);
        // The old record may already hold another range's descriptor (a split's right side takes the
        // left's old end key); it is only ours to delete if nothing in this command rewrote it.
        if (Buffer.compare(oldKey, descriptorRecordKey(descriptor.endKey)) !== 0) batch.delete(oldKey);
      }
      this.endKeyById.set(descriptor.rangeId, descriptor.endKey);
      batch.put(descriptorRecordKey(descriptor.endKey), encoded);
    }
    let firstRangeId: number | undefined;
    if (command.allocateRangeIds !== undefined && command.allocateRangeIds > 0) {
      firstRangeId = this.nextRangeIdValue;
      this.nextRangeIdValue += command.allocateRangeIds;
      batch.put(NEXT_RANGE_ID_KEY, encodeUint64BigEndian(this.nextRangeIdValue));
    }
    if (command.tsoWindowMs !== undefined && command.tsoWindowMs > this.tsoWindowMsValue) {
      this.tsoWindowMsValue = command.tsoWindowMs;
      batch.put(TSO_WINDOW_KEY, encodeUint64BigEndian(command.tsoWindowMs));
    }
    return { firstRangeId };
  }
}

/** Every descriptor in the meta records, in key order. */
export function scanDescriptors(reader: StoredReader): RangeDescriptor[] {
  const out: RangeDescriptor[] = [];
  const iterator = reader.iterator({ lowerBound: DESCRIPTOR_PREFIX, upperBound: DESCRIPTOR_END });
  try {
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) out.push(decodeRangeDescriptor(iterator.value()));
  } finally {
    iterator.close();
  }
  return out;
}

/**
 * The descriptor of the range holding `key`, followed by up to `prefetch` of the ranges after it (the
 * routing client caches them all). With `inclusiveEnd`, the range whose span ends at or above `key` —
 * the one holding the keys just below it, what a reverse scan ending at `key` needs; with `key`
 * undefined, the last range. Empty only if the meta records are missing (never after bootstrap).
 */
export function lookupDescriptors(
  reader: MvccSnapshot | StoredReader,
  key: Uint8Array | undefined,
  prefetch: number,
  inclusiveEnd = false,
): RangeDescriptor[] {
  const out: RangeDescriptor[] = [];
  const iterator = reader.iterator({ lowerBound: DESCRIPTOR_PREFIX, upperBound: DESCRIPTOR_END });
  try {
    // Records are ordered by end key: seek to end key == key; skip an exact match unless inclusive.
    iterator.seek(descriptorRecordKey(key));
    for (; iterator.valid() && out.length <= prefetch; iterator.next()) {
      const descriptor = decodeRangeDescriptor(iterator.value());
      const endsAtKey = key !== undefined && descriptor.endKey !== undefined && Buffer.compare(descriptor.endKey, key) <= 0;
      if (out.length === 0 && endsAtKey && !inclusiveEnd) continue;
      out.push(descriptor);
    }
  } finally {
    iterator.close();
  }
  return out;
}

export { encodeRangeDescriptor };
