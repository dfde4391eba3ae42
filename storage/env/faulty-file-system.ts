// A fault-injecting in-memory FileSystem that enforces the durability contract of file-system.ts, so
// that tests prove durability instead of hoping for it (LevelDB's FaultInjectionTestEnv, reshaped).
//
// It extends MemoryFileSystem and adds a durable view next to the visible one:
// - Each file's inode remembers how many of its bytes a completed `sync()` covered. A sync captures
//   the file's length when it is called and takes effect when its promise resolves.
// - `durable` maps each path to the inode it named at the last completed `syncDir` of its directory.
//   A `syncDir` captures the directory's entries when it is called and takes effect when it resolves.
//   Directories themselves are durable as soon as `mkdirp` returns (the LSM never removes them).
// - `crash()` simulates power loss, and the same object then serves as the restarted process's file
//   system: every path in `durable` comes back holding its inode's synced bytes (or, when tearing, a
//   random prefix of the unsynced bytes too); every other path vanishes; every handle from before
//   throws CLOSED; syncs still in flight reject with CLOSED and make nothing durable; locks are
//   released. Lock files are ordinary files here, so they vanish or stay as any other file would.
// - `failNext(operation, code)` fails the next such operation with EIO or ENOSPC before it changes
//   anything ('read' covers `readFile` and positioned reads; `lock` and `mkdirp` are never failed);
//   `setCapacityBytes` fails appends that would push the bytes stored past a limit.
// - `flipBitsOnRead` flips one bit in a returned copy (never the stored bytes) of some reads;
//   `corruptByte` changes a stored byte, synced or not.
// Every random choice comes from the Random passed in, so a seed replays a run exactly.
import { posix } from 'node:path';
import { StorageError } from './errors.js';
import type { Random } from './random.js';
import { MemoryFileSystem, MemoryInode, normalizePath, type FileOperation } from './memory-file-system.js';

export type { FileOperation } from './memory-file-system.js';

/** The failures `failNext` can inject. */
export type InjectedFailureCode = 'EIO' | 'ENOSPC';

export interface FaultyFileSystemOptions {
  /** The default for `crash()`: whether a random prefix of each file's unsynced bytes survives. */
  readonly tearLastWrite?: boolean;
  /** Appends that would push the bytes stored past this fail with ENOSPC. Unlimited when absent. */
  readonly capacityBytes?: number;
}

export interface CrashOptions {
  /** Overrides the file system's `tearLastWrite` option for this crash. */
  readonly tearLastWrite?: boolean;
}

export interface BitFlipOptions {
  /** Which paths' reads may be flipped (normalised absolute paths). All paths when absent. */
  readonly pathFilter?: RegExp | ((path: string) => boolean);
  /** The chance, per read call of a matching path, that the returned bytes have one bit flipped. */
  readonly probability: number;
}

export interface FaultyFileSystemStats {
  /** File syncs that completed. */
  readonly syncCount: number;
  /** Bytes that completed syncs made durable for the first time. */
  readonly bytesSynced: number;
  /** Directory syncs that completed. */
  readonly syncDirCount: number;
  /** Reads whose returned bytes had a bit flipped. */
  readonly bitFlipCount: number;
  /** Failures injected by `failNext` or the capacity limit. */
  readonly injectedFailureCount: number;
  readonly crashCount: number;
}

export class FaultyFileSystem extends MemoryFileSystem {
  private readonly random: Random;
  private readonly tearByDefault: boolean;
  /** Path → the inode it named when its directory was last synced. */
  private durable = new Map<string, MemoryInode>();
  private readonly pendingFailures = new Map<FileOperation, InjectedFailureCode[]>();
  private capacityBytes: number | null;
  private bitFlips: { readonly matches: (path: string) => boolean; readonly probability: number } | null = null;
  private counters = { syncCount: 0, bytesSynced: 0, syncDirCount: 0, bitFlipCount: 0, injectedFailureCount: 0, crashCount: 0 };

  constructor(random: Random, options: FaultyFileSystemOptions = {}) {
    super();
    this.random = random;
    this.tearByDefault = options.tearLastWrite ?? false;
    this.capacityBytes = null;
    if (options.capacityBytes !== undefined) this.setCapacityBytes(options.capacityBytes);
  }

  /**
   * Simulates power loss and restart: keeps exactly what the durability contract promises (plus, when
   * tearing, a random prefix of each file's unsynced bytes) and discards the rest.
   */
  crash(options: CrashOptions = {}): void {
    const tear = options.tearLastWrite ?? this.tearByDefault;
    const survivors = new Map<string, MemoryInode>();
    // Sorted, so the random draws for tearing fall on files in the same order on every replay.
    for (const path of [...this.durable.keys()].sort()) {
      const inode = this.durable.get(path)!;
      const unsyncedBytes = inode.lengthBytes - inode.syncedLengthBytes;
      const keptBytes = inode.syncedLengthBytes + (tear && unsyncedBytes > 0 ? this.random.int(unsyncedBytes + 1) : 0);
      // A copy per path: after a crash no two paths share bytes, and the dead process's handles,
      // which still hold the old inodes, can no longer reach the survivors.
      survivors.set(path, inode.truncatedCopy(keptBytes));
    }
    this.durable = survivors;
    this.files = new Map(survivors);
    this.rebuildChildren();
    this.epoch++;
    this.locks.clear();
    this.counters.crashCount++;
  }

  /** The next `operation` throws (or rejects) with `code` and changes nothing. Calls queue up. */
  failNext(operation: FileOperation, code: InjectedFailureCode): void {
    const queue = this.pendingFailures.get(operation) ?? [];
    queue.push(code);
    this.pendingFailures.set(operation, queue);
  }

  /** After this, appends that would push the bytes stored past `capacityBytes` throw ENOSPC; null lifts the limit. */
  setCapacityBytes(capacityBytes: number | null): void {
    if (capacityBytes !== null && !(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0)) {
      throw new StorageError('INVALID_ARGUMENT', `setCapacityBytes: ${capacityBytes} is not a non-negative integer`);
    }
    this.capacityBytes = capacityBytes;
  }

  /** From now on, reads of matching paths return one flipped bit with the given probability; null stops it. */
  flipBitsOnRead(options: BitFlipOptions | null): void {
    if (options === null) {
      this.bitFlips = null;
      return;
    }
    if (!(options.probability >= 0 && options.probability <= 1)) {
      throw new StorageError('INVALID_ARGUMENT', `flipBitsOnRead: probability ${options.probability} is outside [0, 1]`);
    }
    const filter = options.pathFilter;
    const matches = filter === undefined ? () => true : filter instanceof RegExp ? (path: string) => filter.test(path) : filter;
    this.bitFlips = { matches, probability: options.probability };
  }

  /** XORs the stored byte at `offset` of the file at `path` with `mask` (0xff unless given). */
  corruptByte(path: string, offset: number, mask = 0xff): void {
    const filePath = normalizePath(path);
    const inode = this.requireFile(filePath, 'corruptByte');
    if (!(Number.isSafeInteger(offset) && offset >= 0 && offset < inode.lengthBytes)) {
      throw new StorageError('INVALID_ARGUMENT', `corruptByte ${filePath}: offset ${offset} is outside the ${inode.lengthBytes}-byte file`);
    }
    if (!(Number.isInteger(mask) && mask > 0 && mask <= 0xff)) {
      throw new StorageError('INVALID_ARGUMENT', `corruptByte ${filePath}: mask ${mask} must be in [1, 255]`);
    }
    inode.xorByte(offset, mask);
  }

  get stats(): FaultyFileSystemStats {
    return { ...this.counters };
  }

  /** Bytes stored: the sizes of the files visible now, each inode counted once. */
  get storedBytes(): number {
    let total = 0;
    for (const inode of new Set(this.files.values())) total += inode.lengthBytes;
    return total;
  }

  /** Paths of visible files holding bytes that a crash would lose (appended after their last sync), sorted. */
  filesWithUnsyncedBytes(): string[] {
    const paths: string[] = [];
    for (const [path, inode] of this.files) if (inode.lengthBytes > inode.syncedLengthBytes) paths.push(path);
    return paths.sort();
  }

  /**
   * Paths whose creation, removal or rename a crash would undo (their directory was not synced
   * since), sorted.
   */
  pathsWithUnsyncedEntries(): string[] {
    const paths = new Set<string>();
    for (const [path, inode] of this.files) if (this.durable.get(path) !== inode) paths.add(path);
    for (const path of this.durable.keys()) if (!this.files.has(path)) paths.add(path);
    return [...paths].sort();
  }

  override async syncDir(dir: string): Promise<void> {
    const dirPath = normalizePath(dir);
    this.beforeOperation('syncDir', dirPath, 0);
    const names = this.requireDirectory(dirPath, 'syncDir');
    const epoch = this.epoch;
    // The entries as of this call; entries changed while the sync is in flight are not covered.
    const snapshot: Array<readonly [string, MemoryInode | undefined]> = [];
    for (const name of names) {
      const path = posix.join(dirPath, name);
      const inode = this.files.get(path);
      if (inode !== undefined) snapshot.push([path, inode]);
    }
    for (const path of this.durable.keys()) {
      if (posix.dirname(path) === dirPath && !this.files.has(path)) snapshot.push([path, undefined]);
    }
    await Promise.resolve();
    this.requireSameEpoch(epoch, 'syncDir', dirPath);
    for (const [path, inode] of snapshot) {
      if (inode === undefined) this.durable.delete(path);
      else this.durable.set(path, inode);
    }
    this.counters.syncDirCount++;
  }

  protected override beforeOperation(operation: FileOperation, path: string, appendBytes: number): void {
    const queue = this.pendingFailures.get(operation);
    const code = queue?.shift();
    if (code !== undefined) {
      this.counters.injectedFailureCount++;
      throw new StorageError(code, `${operation} ${path}: injected ${code}`);
    }
    if (operation === 'append' && this.capacityBytes !== null) {
      const storedBytes = this.storedBytes;
      if (storedBytes + appendBytes > this.capacityBytes) {
        this.counters.injectedFailureCount++;
        throw new StorageError(
          'ENOSPC',
          `append ${path}: no space left, ${storedBytes} of ${this.capacityBytes} bytes used and ${appendBytes} more asked for`,
        );
      }
    }
  }

  protected override afterRead(path: string, bytes: Uint8Array): Uint8Array {
    if (this.bitFlips === null || bytes.length === 0 || !this.bitFlips.matches(path)) return bytes;
    if (!this.random.chance(this.bitFlips.probability)) return bytes;
    const bit = this.random.int(bytes.length * 8);
    bytes[bit >>> 3] = bytes[bit >>> 3]! ^ (1 << (bit & 7));
    this.counters.bitFlipCount++;
    return bytes;
  }

  protected override markSynced(inode: MemoryInode, lengthBytes: number): void {
    this.counters.syncCount++;
    this.counters.bytesSynced += Math.max(0, lengthBytes - inode.syncedLengthBytes);
    super.markSynced(inode, lengthBytes);
  }
}
