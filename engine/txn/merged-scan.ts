// A transaction's scan: the store's pairs at the read timestamp merged with the transaction's own view
// (write-buffer.ts), in key order or reversed, at most `limit` pairs.
//
// The store is read in pages. A page that comes back full covers the span only up to its last key, so
// overlay entries beyond that key wait for the next page; a short page means the store has nothing
// more in the span. Where the overlay and the store share a key the overlay wins (a deleted key, or
// a locked-absent one, is dropped). Each page asks for the pairs still wanted plus the overlay
// entries still ahead (each may hide one stored pair), capped at the page size.
//
// The result says which part of [startKey, endKey) the answer depends on (`coveredStart`,
// `coveredEnd`): all of it, unless the limit cut the scan short, in which case the span ends at the
// last returned key (SERIALIZABLE records that span, not the whole request).

import type { KeyValuePair } from '../../storage/mvcc/index.js';
import { assertTxn } from './errors.js';
import { compareKeys, keySuccessor } from './keys.js';
import type { OverlayEntry } from './write-buffer.js';

export interface MergedScanRequest {
  readonly startKey: Uint8Array;
  readonly endKey: Uint8Array | undefined;
  /** At most this many pairs (Infinity: no limit). */
  readonly limit: number;
  readonly reverse: boolean;
  readonly pageSize: number;
  /** The overlay entries in [startKey, endKey), in scan order. */
  readonly overlay: readonly OverlayEntry[];
  /** Reads one page from the store: the pairs of [startKey, endKey) in scan order, at most `limit`. */
  readonly fetch: (startKey: Uint8Array, endKey: Uint8Array | undefined, limit: number) => Promise<readonly KeyValuePair[]>;
}

export interface MergedScanResult {
  readonly pairs: KeyValuePair[];
  /** The span the answer depends on, [coveredStart, coveredEnd). */
  readonly coveredStart: Uint8Array;
  readonly coveredEnd: Uint8Array | undefined;
}

export async function mergedScan(request: MergedScanRequest): Promise<MergedScanResult> {
  const { limit, reverse, overlay } = request;
  assertTxn(limit > 0 && request.pageSize > 0, 'scan limit and page size must be positive');
  // Scan order: ascending keys forward, descending in reverse.
  const before = (a: Uint8Array, b: Uint8Array): boolean => (reverse ? compareKeys(a, b) > 0 : compareKeys(a, b) < 0);
  const pairs: KeyValuePair[] = [];
  let overlayIndex = 0;
  let cursorStart = request.startKey;
  let cursorEnd = request.endKey;

  const emit = (key: Uint8Array, value: Uint8Array | undefined): boolean => {
    if (value !== undefined) pairs.push({ key, value });
    return pairs.length >= limit;
  };
  const covered = (): MergedScanResult => {
    const last = pairs[pairs.length - 1]!;
    return reverse
      ? { pairs, coveredStart: last.key, coveredEnd: request.endKey }
      : { pairs, coveredStart: request.startKey, coveredEnd: keySuccessor(last.key) };
  };

  for (;;) {
    const wanted = Math.min(request.pageSize, limit - pairs.length + (overlay.length - overlayIndex));
    const page = await request.fetch(cursorStart, cursorEnd, wanted);
    assertTxn(page.length <= wanted, `a scan page of ${page.length} pairs for a limit of ${wanted}`);
    const full = page.length === wanted;
    const boundary = full ? page[page.length - 1]!.key : undefined;
    for (const pair of page) {
      // Overlay entries that come before this stored key.
      while (overlayIndex < overlay.length && before(overlay[overlayIndex]!.key, pair.key)) {
        const entry = overlay[overlayIndex++]!;
        if (emit(entry.key, entry.value)) return covered();
      }
      const entry = overlay[overlayIndex];
      if (entry !== undefined && compareKeys(entry.key, pair.key) === 0) {
        overlayIndex++;
        if (emit(entry.key, entry.value)) return covered();
      } else if (emit(pair.key, pair.value)) {
        return covered();
      }
    }
    if (boundary === undefined) {
      for (; overlayIndex < overlay.length; overlayIndex++) {
        const entry = overlay[overlayIndex]!;
        if (emit(entry.key, entry.value)) return covered();
      }
      return { pairs, coveredStart: request.startKey, coveredEnd: request.endKey };
    }
    if (reverse) cursorEnd = boundary;
    else cursorStart = keySuccessor(boundary);
  }
}
