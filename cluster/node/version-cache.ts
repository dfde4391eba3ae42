// The newest committed version of recently written keys, kept in memory so that a point read at a
// timestamp at or above it needs no search of the write family (RocksDB's row cache, narrowed to what
// MVCC needs: for each user key, its newest put or delete record and that record's commit timestamp).
//
// Exactness: the cache is fed only by the store's apply path, after the round's batch is written and
// in the same turn, from the applied command batches themselves, so at every moment a read can take a
// snapshot the cache agrees with the LSM: an entry, when present, is the key's newest put or delete
// record. Why newest-by-arrival is newest-by-timestamp: on one key commit records are applied in
// commit-timestamp order (a transaction can only lock a key once the previous writer's lock is gone, and
// a commit below a newer record would have failed its prewrite); the cache still keeps the larger one,
// defensively. Lock and rollback records change no value and are ignored. A deleted write record (GC,
// or anything else) drops the key's entry; a range deletion over the write family drops everything.
// Keys written before the process started are simply absent (a miss reads the LSM as before). Every
// replica's applies feed it, leader or follower, so it stays exact across leadership changes; whatever
// changes range data without an apply (installing a range snapshot, with multi-node clusters) must
// clear it.
//
// Bounded: the entries' estimated memory stays under `maxBytes`, the least recently written evicted
// first.

import { byteString } from '../../storage/lsm/coding.js';
import { ValueType } from '../../storage/lsm/internal-key.js';
import type { WriteBatch } from '../../storage/lsm/write-batch.js';
import { Family, splitVersionedKey } from '../../storage/mvcc/keys.js';
import { decodeWrite, writeKindOf } from '../../storage/mvcc/records.js';
import type { CommittedWrite } from '../../storage/mvcc/reader.js';
import type { Write } from '../../storage/mvcc/records.js';

export const VERSION_CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;
/** What an entry costs beyond its key and value bytes: the map slot, the string, the two records. */
const ENTRY_OVERHEAD_BYTES = 160;

function entryBytes(userKey: Uint8Array, write: Write): number {
  return ENTRY_OVERHEAD_BYTES + 2 * userKey.length + (write.shortValue?.length ?? 0);
}

const cacheKey = byteString;

export class VersionCache {
  private readonly entries = new Map<string, { readonly version: CommittedWrite; readonly bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = VERSION_CACHE_BYTES_DEFAULT) {}

  get size(): number {
    return this.entries.size;
  }

  /** The estimated memory the entries take. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** The key's newest put or delete record, if cached. */
  lookup(userKey: Uint8Array): CommittedWrite | undefined {
    if (this.entries.size === 0) return undefined;
    return this.entries.get(cacheKey(userKey))?.version;
  }

  /** Takes note of an applied batch (call once it is written). */
  observe(batch: WriteBatch): void {
    if (this.maxBytes === 0) return;
    batch.forEach((type, key, value) => {
      if (key.length === 0) return;
      if (type === ValueType.RangeDeletion) {
        // A range deletion that may cover the write family: forget everything.
        if (key[0]! <= Family.Write && value.length > 0 && value[0]! >= Family.Write) this.clear();
        return;
      }
      if (key[0] !== Family.Write) return;
      const { userKey, timestamp } = splitVersionedKey(Family.Write, key);
      const id = cacheKey(userKey);
      if (type === ValueType.Deletion) {
        this.remove(id);
        return;
      }
      const kind = writeKindOf(value);
      if (kind !== 'put' && kind !== 'delete') return;
      const existing = this.entries.get(id);
      if (existing !== undefined && existing.version.commitTs > timestamp) return;
      this.remove(id);
      const write = decodeWrite(value);
      const bytes = entryBytes(userKey, write);
      if (bytes > this.maxBytes) return;
      while (this.bytes + bytes > this.maxBytes) {
        const oldest = this.entries.keys().next().value;
        if (oldest === undefined) break;
        this.remove(oldest);
      }
      this.entries.set(id, { version: { commitTs: timestamp, write }, bytes });
      this.bytes += bytes;
    });
  }

  private remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
