// Opening a database directory: take the lock, rebuild the file set from CURRENT and the MANIFEST,
// replay every WAL the MANIFEST does not cover into memtables, flush them to level-0 tables, start a
// fresh WAL, write a new MANIFEST describing the result, and delete every obsolete file.
//
// Replay rules: WALs numbered at or above the MANIFEST's log number are read in number order. A torn
// tail (an incomplete last record, from a crash mid-append) is dropped; damage before the end of a log
// fails the open with the CorruptionError naming the file and offset, because data acknowledged before
// the damage would otherwise be silently lost. The last sequence becomes the largest of the MANIFEST's
// and every replayed record's.
//
// Invariants: on success the directory holds exactly the live tables, the new WAL, CURRENT naming the
// new MANIFEST, and the lock; on failure the lock is released and nothing the caller can see was
// changed except (possibly) new level-0 tables, which the next open deletes as obsolete.

import { StorageError } from '../env/errors.js';
import type { FileLock } from '../env/file-system.js';
import { BlockCache } from './block-cache.js';
import { BloomFilterPolicy } from './bloom-filter.js';
import { bytewiseComparator } from './comparator.js';
import type { CompactionContext } from './compaction.js';
import { joinPath, LOCK_FILE_NAME, logFileName } from './filenames.js';
import { flushMemTable } from './flush.js';
import { MAX_SEQUENCE } from './internal-key.js';
import { MemTable } from './memtable.js';
import type { ResolvedLsmOptions } from './options.js';
import { TableCache } from './table-cache.js';
import { VersionEdit } from './version-edit.js';
import { VersionSet } from './version-set.js';
import { WalReader } from './wal-reader.js';
import { WalWriter } from './wal-writer.js';
import { WriteBatch } from './write-batch.js';

/** Everything an open database starts with. */
export interface OpenedState {
  readonly lock: FileLock;
  readonly versions: VersionSet;
  readonly tableCache: TableCache;
  readonly blockCache: BlockCache;
  readonly filterPolicy: BloomFilterPolicy | undefined;
  readonly pendingOutputs: Set<number>;
  readonly wal: WalWriter;
  readonly walNumber: number;
  readonly lastSequence: number;
  /** Bytes written to level-0 tables while replaying WALs. */
  readonly recoveryBytesWritten: number;
}

function takeLock(options: ResolvedLsmOptions): FileLock {
  const path = joinPath(options.dir, LOCK_FILE_NAME);
  try {
    return options.fs.lock(path);
  } catch (error) {
    if (error instanceof StorageError && error.code === 'LOCKED') {
      throw new StorageError('LOCKED', `the database in ${options.dir} is already open (lock file ${path} is held): ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

export async function openDatabaseFiles(options: ResolvedLsmOptions): Promise<OpenedState> {
  const { fs, dir } = options;
  if (options.createIfMissing) fs.mkdirp(dir);
  else if (!fs.exists(dir)) {
    throw new StorageError('ENOENT', `no database in ${dir}: the directory does not exist (createIfMissing is false)`);
  }
  const lock = takeLock(options);
  const blockCache = new BlockCache(options.blockCacheBytes);
  const filterPolicy = options.bloomBitsPerKey > 0 ? new BloomFilterPolicy(options.bloomBitsPerKey) : undefined;
  const tableCache = new TableCache({ fs, dir, maxOpenTables: options.maxOpenTables, blockCache, filterPolicy });
  const versions = new VersionSet({
    fs,
    dir,
    comparatorName: bytewiseComparator.name,
    onTableDeleted: (number) => {
      tableCache.evict(number);
      blockCache.evictFile(number);
    },
  });
  const pendingOutputs = new Set<number>();
  let wal: WalWriter | undefined;
  try {
    if (versions.databaseExists()) {
      if (options.errorIfExists) throw new StorageError('EEXIST', `a database already exists in ${dir} (errorIfExists is true)`);
      versions.recover();
    } else if (!options.createIfMissing) {
      throw new StorageError('ENOENT', `no database in ${dir} (no CURRENT file) and createIfMissing is false`);
    }
    const context: CompactionContext = {
      fs,
      dir,
      options,
      tableCache,
      filterPolicy,
      pendingOutputs,
      newFileNumber: () => versions.newFileNumber(),
      checkContinue: () => undefined,
    };
    const edit = new VersionEdit();
    let lastSequence = versions.lastSequence;
    let recoveryBytesWritten = 0;
    let memtable = new MemTable();
    const flushReplayed = async (): Promise<void> => {
      if (memtable.entryCount === 0) return;
      const result = await flushMemTable(context, memtable, []);
      if (result.file !== undefined) edit.addFile(0, result.file);
      recoveryBytesWritten += result.bytesWritten;
      memtable = new MemTable();
    };
    for (const number of versions.walsToReplay()) {
      const name = logFileName(number);
      const reader = new WalReader(fs.readFile(joinPath(dir, name)), name);
      for (const record of reader.records()) {
        const { baseSequence, batch } = WriteBatch.decode(record, name, reader.validBytes);
        if (batch.count === 0) continue;
        memtable.addBatch(batch, baseSequence);
        const last = baseSequence + batch.count - 1;
        if (last > lastSequence) lastSequence = last;
        if (memtable.approximateSizeBytes >= options.memtableSizeBytes) await flushReplayed();
      }
    }
    await flushReplayed();
    if (lastSequence >= MAX_SEQUENCE) throw new StorageError('CORRUPTION', `last sequence ${lastSequence} is out of range`);
    const walNumber = versions.newFileNumber();
    wal = new WalWriter(fs.createWritable(joinPath(dir, logFileName(walNumber))));
    edit.logNumber = walNumber;
    versions.lastSequence = lastSequence;
    await fs.syncDir(dir);
    await versions.writeSnapshotManifest(edit);
    for (const added of edit.newFiles) pendingOutputs.delete(added.file.number);
    versions.deleteObsoleteFiles(pendingOutputs);
    return {
      lock,
      versions,
      tableCache,
      blockCache,
      filterPolicy,
      pendingOutputs,
      wal,
      walNumber,
      lastSequence,
      recoveryBytesWritten,
    };
  } catch (error) {
    wal?.close();
    versions.close();
    tableCache.close();
    lock.release();
    throw error;
  }
}
