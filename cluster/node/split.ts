// Splitting a range: choose a split key, take a fresh range id from the meta range, propose the split
// through the range's own Raft log (so every replica splits at the same point of its log), then record
// both new descriptors in the meta range.
//
// The split key is the median user key of the range's committed versions (write family), found by a
// scan that yields to the event loop every few thousand keys (TiKV's split checker does the same scan
// in the background). Writes go on during the scan and the proposal: latches are store-wide and keyed
// by user key, so a write evaluated by the left range just before the split and applied just after it
// still holds its keys against writes arriving through the new right range, and its batch lands in the
// same LSM either way. Evaluation re-checks the descriptor under the latches, so nothing is evaluated
// by a range that no longer holds the key.
//
// Between the split's apply and the meta update, the meta range still shows the old left descriptor;
// a client routed by it gets RANGE_KEY_MISMATCH carrying the current descriptors and retries.

import { Family, familyBounds, splitVersionedKey } from '../../storage/mvcc/keys.js';
import { encodeRangeDescriptor, type RangeDescriptor } from '../placement/range-descriptor.js';
import type { Replica } from './replica.js';
import type { Store } from './store.js';

const KEYS_PER_SLICE = 4096;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The median user key of the range's committed versions, or undefined if it cannot be split. */
export async function chooseSplitKey(store: Store, replica: Replica): Promise<Uint8Array | undefined> {
  const { startKey, endKey } = replica.descriptor;
  const bounds = familyBounds(Family.Write, startKey, endKey);
  const snapshot = store.db.snapshot();
  try {
    let count = 0;
    const iterator = store.db.iterator({ ...bounds, snapshot });
    try {
      for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
        if (++count % KEYS_PER_SLICE === 0) await yieldToLoop();
      }
    } finally {
      iterator.close();
    }
    if (count < 2) return undefined;
    const target = Math.floor(count / 2);
    const second = store.db.iterator({ ...bounds, snapshot });
    try {
      let position = 0;
      for (second.seekToFirst(); second.valid(); second.next()) {
        if (position++ === target) {
          const { userKey } = splitVersionedKey(Family.Write, second.key());
          return Buffer.compare(userKey, startKey) > 0 ? userKey : undefined;
        }
        if (position % KEYS_PER_SLICE === 0) await yieldToLoop();
      }
    } finally {
      second.close();
    }
    return undefined;
  } finally {
    snapshot.release();
  }
}

/**
 * Splits `replica`'s range at `splitKey` (or at its median key). Resolves with the right-hand range's
 * descriptor, or undefined when there was nothing to split or the key was not strictly inside the span.
 * One split runs per range at a time; a second call waits for the first and then tries its own.
 */
export async function splitRange(store: Store, replica: Replica, splitKey?: Uint8Array): Promise<RangeDescriptor | undefined> {
  while (replica.splitting !== undefined) await replica.splitting.catch(() => undefined);
  let result: RangeDescriptor | undefined;
  const running = (async () => {
    const key = splitKey ?? (await chooseSplitKey(store, replica));
    if (key === undefined) return;
    const { startKey, endKey } = replica.descriptor;
    if (Buffer.compare(key, startKey) <= 0 || (endKey !== undefined && Buffer.compare(key, endKey) >= 0)) return;
    const allocation = await store.proposeMeta({ allocateRangeIds: 1 });
    const newRangeId = allocation.firstRangeId!;
    const outcome = await store.proposeSplit(replica, key, newRangeId);
    if (outcome.kind !== 'split' || outcome.right === undefined) return;
    result = outcome.right;
    await store.proposeMeta({ descriptors: [encodeRangeDescriptor(replica.descriptor), encodeRangeDescriptor(outcome.right)] });
  })();
  replica.splitting = running.then(() => undefined);
  try {
    await running;
  } finally {
    replica.splitting = undefined;
  }
  return result;
}
