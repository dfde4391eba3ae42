// The options of the LSM engine, their defaults, and the checks that reject a combination that cannot
// work. Every field below says what it trades. `resolveOptions` is the only place defaults are applied,
// so the rest of the engine reads a fully populated `ResolvedLsmOptions` and never guesses.
//
// Invariants kept by `resolveOptions`: every size is a positive integer; the level-0 triggers are
// ordered compaction <= slowdown <= stop; the level size multiplier is at least 2.

import { SystemClock, type Clock } from '../env/clock.js';
import { StorageError } from '../env/errors.js';
import type { FileSystem } from '../env/file-system.js';

export interface LsmOptions {
  /** The file system the engine keeps its files in (real, in-memory, or fault-injecting). */
  readonly fs: FileSystem;
  /** The directory holding the database's files; created when `createIfMissing`. */
  readonly dir: string;
  /**
   * Time, for the slowdown delay and for measuring time slices and stalls. Defaults to the system
   * clock. With a virtual clock a test must advance it for a delayed writer to proceed.
   */
  readonly clock?: Clock;
  /**
   * Bytes of entries the active memtable takes before it is frozen and a new one started. Larger
   * memtables mean fewer, larger level-0 files (less compaction work per byte written, fewer files
   * for a read to consult) at the cost of memory (up to (1 + maxFrozenMemtables) times this), a
   * longer WAL replay after a crash, and a longer synchronous step when a flushed table is finished
   * and opened. Default 8 MiB: LevelDB's 4 MiB doubled, because here compaction shares the one
   * thread with writes, so work saved per byte written is time handed back to writers.
   */
  readonly memtableSizeBytes?: number;
  /**
   * How many full memtables may wait for their flush to level 0. More smooths bursts of writes while a
   * flush runs; each costs up to memtableSizeBytes of memory. When the limit is reached writers wait
   * for a flush to finish. Default 2.
   */
  readonly maxFrozenMemtables?: number;
  /**
   * Target size of an uncompressed table data block. Smaller blocks make point reads read and cache
   * less; larger ones make scans cheaper and the index smaller. Default 4 KiB, as LevelDB.
   */
  readonly blockSizeBytes?: number;
  /**
   * Capacity of the block cache shared by every table: parsed, verified data blocks, least recently
   * used evicted first. A hit costs a map probe; a miss costs a positioned read (a system call), an
   * allocation and a checksum. LevelDB gets by with 8 MiB because it maps table files into memory and
   * the OS page cache serves its misses for a memcpy; Node has no mmap, so this cache is the engine's
   * page cache. It only holds blocks actually read, so the default is generous: 256 MiB.
   */
  readonly blockCacheBytes?: number;
  /**
   * How many table files stay open in the table cache (least recently used is closed first). Each open
   * table holds a file handle and its index and filter blocks in memory. A table pinned by a live
   * iterator stays open past the limit until the iterator closes. Default 1000, as LevelDB.
   */
  readonly maxOpenTables?: number;
  /**
   * Bloom filter bits per key in each table (0 turns filters off). 10 bits give about a 1% false
   * positive rate, so a point read for an absent key rarely reads a data block; each bit costs memory
   * in every open table. Default 10.
   */
  readonly bloomBitsPerKey?: number;
  /**
   * Number of level-0 files that makes level 0 the most urgent compaction. Lower keeps reads fast (a
   * point read consults every level-0 file); higher lets compaction batch more work. Default 4.
   */
  readonly level0CompactionTrigger?: number;
  /**
   * Number of level-0 files at which each write group is delayed by about one millisecond, handing
   * time to compaction before a hard stop is needed. Lower keeps reads and the backlog of compaction
   * small; higher lets bursts of writes through at full speed and leaves the work for later. Default
   * 20, as RocksDB (LevelDB: 8).
   */
  readonly level0SlowdownTrigger?: number;
  /**
   * Number of level-0 files at which writers wait for compaction, so that reads and the compaction
   * backlog stay bounded when writes outrun compaction. Default 36, as RocksDB (LevelDB: 12).
   */
  readonly level0StopTrigger?: number;
  /**
   * Size target of level 1; level L (L >= 1) targets levelBaseSizeBytes × levelSizeMultiplier^(L-1).
   * A larger base means fewer levels (fewer reads per lookup, less rewriting) but larger level-0 to
   * level-1 compactions. Default 32 MiB: about level 0's size when it triggers compaction (4 files of
   * 8 MiB), RocksDB's rule for keeping level 0 to level 1 compactions balanced.
   */
  readonly levelBaseSizeBytes?: number;
  /**
   * Growth factor between levels. Larger means fewer levels but more bytes rewritten per byte moved
   * down (write amplification grows with the multiplier). Default 10.
   */
  readonly levelSizeMultiplier?: number;
  /**
   * Size at which compaction cuts an output table. Smaller files make compactions finer grained and
   * reopen slower (more files); larger files mean fewer files to open. Default 2 MiB, as LevelDB.
   */
  readonly targetFileSizeBytes?: number;
  /**
   * How long a flush or compaction works before yielding the event loop (setImmediate). Shorter keeps
   * latency of everything else on the loop low; longer wastes less on switching. Default 5 ms.
   */
  readonly compactionSliceMs?: number;
  /** Create the database when the directory holds none. Default true. */
  readonly createIfMissing?: boolean;
  /** Fail with EEXIST when a database already exists in the directory. Default false. */
  readonly errorIfExists?: boolean;
}

export interface ResolvedLsmOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly clock: Clock;
  readonly memtableSizeBytes: number;
  readonly maxFrozenMemtables: number;
  readonly blockSizeBytes: number;
  readonly blockCacheBytes: number;
  readonly maxOpenTables: number;
  readonly bloomBitsPerKey: number;
  readonly level0CompactionTrigger: number;
  readonly level0SlowdownTrigger: number;
  readonly level0StopTrigger: number;
  readonly levelBaseSizeBytes: number;
  readonly levelSizeMultiplier: number;
  readonly targetFileSizeBytes: number;
  readonly compactionSliceMs: number;
  readonly createIfMissing: boolean;
  readonly errorIfExists: boolean;
}

/** Levels 0..NUM_LEVELS-1, as LevelDB. Seven levels at multiplier 10 from 32 MiB hold over 30 TB. */
export const NUM_LEVELS = 7;

/** Keys between restart points in a data block (LevelDB's default). */
export const BLOCK_RESTART_INTERVAL = 16;

/**
 * A write group takes queued batches until it holds this many bytes, so that one group's WAL record
 * and memtable insertion stay short enough not to stall the event loop.
 */
export const MAX_WRITE_GROUP_BYTES = 1 << 20;

/**
 * The most entries a flush or compaction processes between two clock readings, and the most it
 * processes in one slice whatever the clock says, so that a slice ends even under a virtual clock.
 */
export const SLICE_ENTRY_LIMIT = 20_000;

export const defaultLsmOptions = {
  memtableSizeBytes: 8 << 20,
  maxFrozenMemtables: 2,
  blockSizeBytes: 4096,
  blockCacheBytes: 256 << 20,
  maxOpenTables: 1000,
  bloomBitsPerKey: 10,
  level0CompactionTrigger: 4,
  level0SlowdownTrigger: 20,
  level0StopTrigger: 36,
  levelBaseSizeBytes: 32 << 20,
  levelSizeMultiplier: 10,
  targetFileSizeBytes: 2 << 20,
  compactionSliceMs: 5,
  createIfMissing: true,
  errorIfExists: false,
} as const;

function positiveInteger(name: string, value: number, minimum = 1): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new StorageError('INVALID_ARGUMENT', `LsmOptions.${name} must be an integer >= ${minimum}, got ${value}`);
  }
  return value;
}

/** Fills in defaults and rejects values the engine cannot work with. */
export function resolveOptions(options: LsmOptions): ResolvedLsmOptions {
  if (options === null || typeof options !== 'object') {
    throw new StorageError('INVALID_ARGUMENT', 'LsmDb.open: options are required');
  }
  if (options.fs === undefined) throw new StorageError('INVALID_ARGUMENT', 'LsmOptions.fs is required');
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new StorageError('INVALID_ARGUMENT', 'LsmOptions.dir must be a non-empty path');
  }
  const d = defaultLsmOptions;
  const resolved: ResolvedLsmOptions = {
    fs: options.fs,
    dir: options.dir.endsWith('/') && options.dir.length > 1 ? options.dir.slice(0, -1) : options.dir,
    clock: options.clock ?? new SystemClock(),
    memtableSizeBytes: positiveInteger('memtableSizeBytes', options.memtableSizeBytes ?? d.memtableSizeBytes, 1024),
    maxFrozenMemtables: positiveInteger('maxFrozenMemtables', options.maxFrozenMemtables ?? d.maxFrozenMemtables),
    blockSizeBytes: positiveInteger('blockSizeBytes', options.blockSizeBytes ?? d.blockSizeBytes, 64),
    blockCacheBytes: positiveInteger('blockCacheBytes', options.blockCacheBytes ?? d.blockCacheBytes, 0),
    maxOpenTables: positiveInteger('maxOpenTables', options.maxOpenTables ?? d.maxOpenTables),
    bloomBitsPerKey: positiveInteger('bloomBitsPerKey', options.bloomBitsPerKey ?? d.bloomBitsPerKey, 0),
    level0CompactionTrigger: positiveInteger(
      'level0CompactionTrigger',
      options.level0CompactionTrigger ?? d.level0CompactionTrigger,
    ),
    level0SlowdownTrigger: positiveInteger('level0SlowdownTrigger', options.level0SlowdownTrigger ?? d.level0SlowdownTrigger),
    level0StopTrigger: positiveInteger('level0StopTrigger', options.level0StopTrigger ?? d.level0StopTrigger),
    levelBaseSizeBytes: positiveInteger('levelBaseSizeBytes', options.levelBaseSizeBytes ?? d.levelBaseSizeBytes, 1024),
    levelSizeMultiplier: positiveInteger('levelSizeMultiplier', options.levelSizeMultiplier ?? d.levelSizeMultiplier, 2),
    targetFileSizeBytes: positiveInteger('targetFileSizeBytes', options.targetFileSizeBytes ?? d.targetFileSizeBytes, 1024),
    compactionSliceMs: positiveInteger('compactionSliceMs', options.compactionSliceMs ?? d.compactionSliceMs),
    createIfMissing: options.createIfMissing ?? d.createIfMissing,
    errorIfExists: options.errorIfExists ?? d.errorIfExists,
  };
  if (
    !(resolved.level0CompactionTrigger <= resolved.level0SlowdownTrigger &&
      resolved.level0SlowdownTrigger <= resolved.level0StopTrigger)
  ) {
    throw new StorageError(
      'INVALID_ARGUMENT',
      `LsmOptions: level-0 triggers must satisfy compaction (${resolved.level0CompactionTrigger}) <= slowdown ` +
        `(${resolved.level0SlowdownTrigger}) <= stop (${resolved.level0StopTrigger})`,
    );
  }
  return resolved;
}
