// The FileSystem over node:fs, used in production.
//
// - Appends are synchronous writes (pwrite) on a descriptor opened with 'w'. Small appends are gathered
//   in a 64 KiB buffer per file, which is written out when it fills, on `sync()` and on `close()`.
//   Consequence, by design: bytes appended but not yet written out are invisible to other handles
//   (`readFile`, `openRandomAccess`, `sizeOf`) until the writer syncs or closes. The LSM only reads files
//   it has finished, and `WritableFile.sizeBytes` always counts every appended byte.
// - `sync()` writes the buffer out, then calls fdatasync with a callback, so the flush to the device
//   runs on libuv's thread pool and never blocks the event loop. A `close()` while syncs are in flight
//   closes the descriptor only when the last of them completes, so no sync runs on a reused descriptor.
// - `syncDir` opens the directory and fsyncs it.
// - Reads are positioned (pread) and return exactly the bytes asked for, or throw EIO on a short read.
// - Every node error becomes a StorageError whose message names the operation and path.
// - Locks: node has no flock, so the lock file is created exclusively ('wx') holding the holder's pid.
//   An existing lock file whose pid is alive means another process has the directory (LOCKED). A lock
//   file whose pid is dead, unreadable, or this process's own pid while no holder in this process has
//   it, is stale and taken over. Known limits: two processes taking over the same stale lock at the
//   same instant can both succeed, and a dead holder's pid reused by an unrelated process reads as
//   alive. Both need an operator's mistake first; the lock guards against that mistake, not against an
//   adversary.
import fs from 'node:fs';
import { open as openFileHandle } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { StorageError, type StorageErrorCode } from './errors.js';
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './file-system.js';

const APPEND_BUFFER_BYTES = 64 * 1024;
const LOCK_ATTEMPTS_MAX = 3;

/** Locks held by this process, keyed by absolute path, shared by every RealFileSystem instance. */
const heldLocks = new Map<string, object>();

export class RealFileSystem implements FileSystem {
  createWritable(path: string): WritableFile {
    const fd = callNode('create', path, () => fs.openSync(path, 'w'));
    return new RealWritableFile(path, fd);
  }

  openRandomAccess(path: string): RandomAccessFile {
    const fd = callNode('open', path, () => fs.openSync(path, 'r'));
    // Linux opens a directory for reading without complaint; refuse it here, as the others do.
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      throw notAFile('open', path);
    }
    return new RealRandomAccessFile(path, fd);
  }

  readFile(path: string): Uint8Array {
    const buffer = callNode('readFile', path, () => fs.readFileSync(path));
    // A plain Uint8Array, as the other implementations return, over the same memory.
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  sizeOf(path: string): number {
    const stats = callNode('sizeOf', path, () => fs.statSync(path));
    if (stats.isDirectory()) throw notAFile('sizeOf', path);
    return stats.size;
  }

  list(dir: string): string[] {
    return callNode('list', dir, () => fs.readdirSync(dir)).sort();
  }

  mkdirp(dir: string): void {
    callNode('mkdirp', dir, () => fs.mkdirSync(dir, { recursive: true }));
  }

  remove(path: string): void {
    try {
      fs.unlinkSync(path);
    } catch (error) {
      const code = errnoCode(error);
      // Missing, or a path through a non-directory: either way there is no such file to remove.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw toStorageError(error, 'remove', path);
    }
  }

  rename(from: string, to: string): void {
    // The in-memory file systems rename files only; refuse directories here too, so code that works
    // on one works on all.
    if (callNode('rename', from, () => fs.statSync(from)).isDirectory()) throw notAFile('rename', from);
    callNode('rename', `${from} -> ${to}`, () => fs.renameSync(from, to));
  }

  async syncDir(dir: string): Promise<void> {
    let handle;
    try {
      handle = await openFileHandle(dir, 'r');
    } catch (error) {
      throw toStorageError(error, 'syncDir', dir);
    }
    try {
      if (!(await handle.stat()).isDirectory()) {
        throw new StorageError('INVALID_ARGUMENT', `syncDir ${dir}: not a directory`);
      }
      await handle.sync();
    } catch (error) {
      throw error instanceof StorageError ? error : toStorageError(error, 'syncDir', dir);
    } finally {
      await handle.close();
    }
  }

  lock(path: string): FileLock {
    const key = resolvePath(path);
    if (heldLocks.has(key)) {
      throw new StorageError('LOCKED', `lock ${path}: directory is in use by process ${process.pid} (this process)`);
    }
    for (let attempt = 0; attempt < LOCK_ATTEMPTS_MAX; attempt++) {
      let fd: number;
      try {
        fd = fs.openSync(path, 'wx');
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw toStorageError(error, 'lock', path);
        const holderPid = readLockHolder(path);
        if (holderPid !== undefined && holderPid !== process.pid && processIsAlive(holderPid)) {
          throw new StorageError('LOCKED', `lock ${path}: directory is in use by process ${holderPid}`);
        }
        this.remove(path);
        continue;
      }
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } catch (error) {
        fs.closeSync(fd);
        this.remove(path);
        throw toStorageError(error, 'lock', path);
      }
      fs.closeSync(fd);
      const token = {};
      heldLocks.set(key, token);
      return {
        path,
        release: (): void => {
          if (heldLocks.get(key) !== token) return;
          heldLocks.delete(key);
          this.remove(path);
        },
      };
    }
    throw new StorageError('LOCKED', `lock ${path}: another process kept recreating the lock file; gave up after ${LOCK_ATTEMPTS_MAX} attempts`);
  }
}

class RealWritableFile implements WritableFile {
  readonly path: string;
  private readonly fd: number;
  private readonly buffer = new Uint8Array(APPEND_BUFFER_BYTES);
  private bufferedBytes = 0;
  /** Bytes written to the descriptor; the next write goes at this offset. */
  private writtenBytes = 0;
  private closed = false;
  private fdClosed = false;
  private syncsInFlight = 0;

  constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  get sizeBytes(): number {
    return this.writtenBytes + this.bufferedBytes;
  }

  append(data: Uint8Array): void {
    this.checkOpen('append');
    if (data.length <= APPEND_BUFFER_BYTES - this.bufferedBytes) {
      this.buffer.set(data, this.bufferedBytes);
      this.bufferedBytes += data.length;
      if (this.bufferedBytes === APPEND_BUFFER_BYTES) this.flush();
      return;
    }
    this.flush();
    if (data.length < APPEND_BUFFER_BYTES) {
      this.buffer.set(data, 0);
      this.bufferedBytes = data.length;
      return;
    }
    // Large appends skip the buffer. On an error the bytes already written stay counted in sizeBytes.
    const written = this.writeOut(data);
    if (written.error !== undefined) throw toStorageError(written.error, 'append', this.path);
  }

  sync(): Promise<void> {
    try {
      this.checkOpen('sync');
      this.flush();
    } catch (error) {
      return Promise.reject(error);
    }
    this.syncsInFlight++;
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (error) => {
        this.syncsInFlight--;
        if (this.closed && this.syncsInFlight === 0) this.closeDescriptor();
        if (error) reject(toStorageError(error, 'sync', this.path));
        else resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    let flushError: unknown;
    try {
      this.flush();
    } catch (error) {
      flushError = error;
    }
    if (this.syncsInFlight === 0) this.closeDescriptor();
    if (flushError !== undefined) throw flushError;
  }

  private checkOpen(operation: string): void {
    if (this.closed) throw new StorageError('CLOSED', `${operation} ${this.path}: the file is closed`);
  }

  /** Writes the buffer out. On an error, the unwritten tail stays buffered and the error is thrown. */
  private flush(): void {
    if (this.bufferedBytes === 0) return;
    const written = this.writeOut(this.buffer.subarray(0, this.bufferedBytes));
    if (written.error === undefined) {
      this.bufferedBytes = 0;
      return;
    }
    this.buffer.copyWithin(0, written.bytes, this.bufferedBytes);
    this.bufferedBytes -= written.bytes;
    throw toStorageError(written.error, 'append', this.path);
  }

  /** Writes all of `data` at the end, looping over partial writes; reports how far it got. */
  private writeOut(data: Uint8Array): { bytes: number; error?: unknown } {
    let bytes = 0;
    try {
      while (bytes < data.length) {
        const count = fs.writeSync(this.fd, data, bytes, data.length - bytes, this.writtenBytes);
        bytes += count;
        this.writtenBytes += count;
      }
    } catch (error) {
      return { bytes, error };
    }
    return { bytes };
  }

  private closeDescriptor(): void {
    if (this.fdClosed) return;
    this.fdClosed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Every byte was written (and, for completed syncs, synced) before this point; a failing close
      // loses nothing a caller was promised, and there is no caller left to tell after an async sync.
    }
  }
}

class RealRandomAccessFile implements RandomAccessFile {
  readonly path: string;
  private readonly fd: number;
  private closed = false;

  constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  get sizeBytes(): number {
    this.checkOpen('sizeBytes');
    return callNode('sizeBytes', this.path, () => fs.fstatSync(this.fd)).size;
  }

  read(offset: number, length: number): Uint8Array {
    this.checkOpen('read');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new StorageError('INVALID_ARGUMENT', `read ${this.path}: offset ${offset} and length ${length} must be non-negative integers`);
    }
    const out = new Uint8Array(length);
    let readBytes = 0;
    while (readBytes < length) {
      const count = callNode('read', this.path, () => fs.readSync(this.fd, out, readBytes, length - readBytes, offset + readBytes));
      if (count === 0) {
        throw new StorageError('EIO', `read ${this.path}: short read, wanted ${length} bytes at offset ${offset}, the file ends after ${readBytes}`);
      }
      readBytes += count;
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  private checkOpen(operation: string): void {
    if (this.closed) throw new StorageError('CLOSED', `${operation} ${this.path}: the file is closed`);
  }
}

function callNode<T>(operation: string, path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw toStorageError(error, operation, path);
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

const CODE_BY_ERRNO: Readonly<Record<string, StorageErrorCode>> = {
  ENOENT: 'ENOENT',
  EEXIST: 'EEXIST',
  ENOSPC: 'ENOSPC',
  EDQUOT: 'ENOSPC',
  EIO: 'EIO',
  EBADF: 'CLOSED',
  EISDIR: 'INVALID_ARGUMENT',
  ENOTDIR: 'INVALID_ARGUMENT',
  EINVAL: 'INVALID_ARGUMENT',
  ENAMETOOLONG: 'INVALID_ARGUMENT',
};

/** Maps a node error to a StorageError; errnos without a code of their own (EACCES, EMFILE, …) are EIO. */
function toStorageError(error: unknown, operation: string, path: string): StorageError {
  const errno = errnoCode(error) ?? 'unknown';
  const code = CODE_BY_ERRNO[errno] ?? 'EIO';
  const detail = error instanceof Error ? error.message : String(error);
  return new StorageError(code, `${operation} ${path}: ${detail}`, { cause: error });
}

function notAFile(operation: string, path: string): StorageError {
  return new StorageError('INVALID_ARGUMENT', `${operation} ${path}: is a directory, not a file`);
}

/** The pid written in a lock file, or undefined if the file vanished or holds no pid. */
function readLockHolder(path: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw toStorageError(error, 'lock', path);
  }
  const trimmed = text.trim();
  return /^[1-9][0-9]*$/.test(trimmed) ? Number.parseInt(trimmed, 10) : undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errnoCode(error) === 'EPERM';
  }
}
