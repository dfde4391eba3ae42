// Flushing a frozen memtable into one level-0 table. The memtable's point entries and range tombstones
// go through the same merge as a compaction (compaction.ts), time-sliced, with one output of unbounded
// size and no bottom-level drops: a flush drops only versions shadowed within a snapshot stripe and
// entries covered by the memtable's own tombstones in the same stripe, never a deletion marker or a
// tombstone (older data may sit below level 0).
//
// Invariant: a flush produces at most one table; an empty memtable produces none.

import { mergeToTables, type CompactionContext } from './compaction.js';
import type { MemTable } from './memtable.js';
import type { FileMetaData } from './version-edit.js';

export interface FlushResult {
  readonly file: FileMetaData | undefined;
  readonly bytesWritten: number;
  readonly entriesDropped: number;
}

export async function flushMemTable(
  context: CompactionContext,
  memtable: MemTable,
  snapshots: readonly number[],
): Promise<FlushResult> {
  const input = memtable.iterator();
  try {
    const result = await mergeToTables(context, {
      input,
      tombstones: memtable.rangeTombstones(),
      snapshots,
      base: undefined,
      maxOutputFileBytes: Number.POSITIVE_INFINITY,
    });
    if (result.outputs.length > 1) throw new Error(`flush produced ${result.outputs.length} tables, expected at most one`);
    return { file: result.outputs[0], bytesWritten: result.bytesWritten, entriesDropped: result.entriesDropped };
  } finally {
    input.close();
  }
}
