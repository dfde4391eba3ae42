// The file system every storage layer receives. Three implementations sit behind this one interface:
// the real one (node:fs), an in-memory one, and a fault-injecting one that can lose unsynced data on a
// simulated crash, tear the last write, flip bits on read, and fail with ENOSPC or EIO on demand.
//
// The shape follows LevelDB's Env: files are appended to and synced, read at random offsets, and
// renamed into place. Data operations that the hot path needs are synchronous (an append lands in the
// OS page cache, a positioned read comes from it); only `sync` and `syncDir` are asynchronous, so that
// a slow fsync never blocks the event loop and many writers can share one fsync (group commit).
//
// Durability contract, which the fault-injecting file system enforces in tests:
// - Bytes appended to a file are durable only after `sync()` on that file resolves.
// - A file's creation, removal or rename is durable only after `syncDir()` on its directory resolves.
// Anything else may be lost, or torn at an arbitrary byte, by a crash.

/** A file opened for appending. Created empty (or truncated) by `FileSystem.createWritable`. */
export interface WritableFile {
  readonly path: string;
  /** Bytes appended so far, synced or not. */
  readonly sizeBytes: number;
  /** Appends `data` at the end of the file. Not durable until `sync()` resolves. */
  append(data: Uint8Array): void;
  /** Makes every byte appended before this call durable. */
  sync(): Promise<void>;
  /** Closes the file. Unsynced bytes stay in the OS cache (and may be lost by a crash). */
  close(): void;
}

/** A file opened for positioned reads. */
export interface RandomAccessFile {
  readonly path: string;
  readonly sizeBytes: number;
  /**
   * Reads exactly `length` bytes at `offset`. Throws a StorageError with code 'EIO' (or 'CORRUPTION'
   * where the implementation can tell) when fewer bytes exist. The returned bytes are the caller's.
   */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Held while a directory is open by one process; released by `release()` or process exit. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

export interface FileSystem {
  /** Creates `path` (truncating any existing file) and opens it for appending. */
  createWritable(path: string): WritableFile;
  /** Opens an existing file for positioned reads. Throws code 'ENOENT' if it does not exist. */
  openRandomAccess(path: string): RandomAccessFile;
  /** Reads a whole file. Throws code 'ENOENT' if it does not exist. */
  readFile(path: string): Uint8Array;
  exists(path: string): boolean;
  /** Size of a file in bytes. Throws code 'ENOENT' if it does not exist. */
  sizeOf(path: string): number;
  /** Names (not paths) of the entries of a directory, sorted. Throws code 'ENOENT' if it does not exist. */
  list(dir: string): string[];
  /** Creates a directory and its parents; does nothing if it exists. */
  mkdirp(dir: string): void;
  /** Removes a file; does nothing if it does not exist. */
  remove(path: string): void;
  /** Replaces `to` with `from` atomically. */
  rename(from: string, to: string): void;
  /** Makes the creations, removals and renames in `dir` durable. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes the exclusive lock file `path`. Throws a StorageError with code 'LOCKED' (naming the holder
   * where known) if another holder, in this process or another, has it.
   */
  lock(path: string): FileLock;
}
