// What a SERIALIZABLE transaction read from the store, kept for its commit-time validation
// (storage/mvcc/read-set.ts, kv.checkReadSet): the keys it point-read and the spans it scanned, each
// span with the bounds the scan actually covered (a scan cut short by its limit covers only up to its
// last key, so a later write beyond that is no conflict).
//
// Only reads answered by the store are recorded. A read answered by the transaction's own buffered
// write needs no validation (a concurrent commit of that key fails our prewrite with a write conflict),
// nor does a read answered under our own pessimistic lock (nobody else can change the key meanwhile).
//
// Spans are coalesced when handed out (sorted by start, overlapping or touching spans merged), so a
// transaction that rescans a table validates it once.

import type { ReadSpan } from '../../storage/mvcc/read-set.js';
import { compareKeys, keyString } from './keys.js';

export class ReadSetRecorder {
  private readonly keyMap = new Map<string, Uint8Array>();
  private readonly spanList: ReadSpan[] = [];

  recordKeys(keys: readonly Uint8Array[]): void {
    for (const key of keys) this.keyMap.set(keyString(key), key);
  }

  /** Records a scanned span [startKey, endKey); an absent bound is the start or end of the key space. */
  recordSpan(startKey: Uint8Array | undefined, endKey: Uint8Array | undefined): void {
    if (startKey !== undefined && endKey !== undefined && compareKeys(startKey, endKey) >= 0) return;
    this.spanList.push({ startKey, endKey });
  }

  get isEmpty(): boolean {
    return this.keyMap.size === 0 && this.spanList.length === 0;
  }

  keys(): Uint8Array[] {
    return [...this.keyMap.values()];
  }

  /** The spans, sorted and with overlapping or touching ones merged. */
  spans(): ReadSpan[] {
    const sorted = [...this.spanList].sort((a, b) => compareStart(a.startKey, b.startKey));
    const merged: { startKey: Uint8Array | undefined; endKey: Uint8Array | undefined }[] = [];
    for (const span of sorted) {
      const last = merged[merged.length - 1];
      // Touching counts: [a, b) and [b, c) are [a, c). An absent start sorts first, so `last` then
      // starts at the beginning of the key space too.
      const overlaps = last !== undefined && (last.endKey === undefined || span.startKey === undefined || compareKeys(span.startKey, last.endKey) <= 0);
      if (overlaps) {
        if (last.endKey !== undefined && (span.endKey === undefined || compareKeys(span.endKey, last.endKey) > 0)) last.endKey = span.endKey;
        continue;
      }
      merged.push({ startKey: span.startKey, endKey: span.endKey });
    }
    return merged;
  }
}

/** Orders span starts, an absent start (the beginning of the key space) first. */
function compareStart(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  return compareKeys(a, b);
}
