// An in-memory FileSystem with the same semantics and errors as the real one, for tests and for
// `Reef.open()` without a directory. It is also the base of the fault-injecting file system, which
// overrides the protected hooks below (`beforeOperation`, `afterRead`, `markSynced`, `syncDir`).
//
// Model and invariants:
// - Paths are normalised with node:path's posix rules and keyed absolute: 'db/x', '/db/x' and
//   '/db/./x/' name the same file. The root '/' always exists.
// - Directories exist explicitly (`mkdirp`); creating a file whose directory is missing throws ENOENT.
//   Every file and directory is listed by name in exactly one parent's `children` set.
// - A file is an inode (a growable byte buffer) bound to a path. Handles hold the inode, not the path,
//   as POSIX descriptors do: a rename keeps open handles working, and `createWritable` over an existing
//   file binds a fresh inode, so handles on the old file keep seeing the old bytes (as after unlink and
//   create).
// - Appended bytes are visible to readers immediately. `sync()` resolves after a microtask and records
//   how many bytes it covered in the inode's `syncedLengthBytes`; nothing here loses them, but the
//   fault-injecting subclass does.
// - Handles remember the file system's `epoch`; a simulated crash (subclass only) bumps it, and every
//   handle from before then throws CLOSED.
// - Locks are process-local: the lock file exists (holding this pid) while held; a second `lock()` on
//   the same path throws LOCKED until `release()`.
import { posix } from 'node:path';
import { StorageError } from './errors.js';
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from './file-system.js';

/** Operations the fault-injecting file system can fail on demand. */
export type FileOperation = 'append' | 'sync' | 'read' | 'syncDir' | 'rename' | 'create' | 'remove';

/** Normalises a path the way the in-memory file systems key it: absolute, posix, no trailing slash. */
export function normalizePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new StorageError('INVALID_ARGUMENT', `path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  if (path.includes('\0')) throw new StorageError('INVALID_ARGUMENT', `path contains a NUL byte: ${JSON.stringify(path)}`);
  return posix.resolve('/', path);
}

/** The contents of one in-memory file. Appends grow it; `syncedLengthBytes` is a prefix of it. */
export class MemoryInode {
  private bytes: Uint8Array;
  private lengthValue = 0;
  /** Bytes covered by a completed `sync()`; never more than `lengthBytes`. */
  syncedLengthBytes = 0;

  constructor(initialCapacityBytes = 256) {
    this.bytes = new Uint8Array(initialCapacityBytes);
  }

  get lengthBytes(): number {
    return this.lengthValue;
  }

  append(data: Uint8Array): void {
    const needed = this.lengthValue + data.length;
    if (needed > this.bytes.length) {
      // Doubling keeps appends amortised O(1) per byte.
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.lengthValue));
      this.bytes = grown;
    }
    this.bytes.set(data, this.lengthValue);
    this.lengthValue = needed;
  }

  /** A copy of `length` bytes at `offset`; the caller has checked the range. */
  copy(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  /** XORs one stored byte with `mask` (for corruption tests). */
  xorByte(offset: number, mask: number): void {
    if (!(offset >= 0 && offset < this.lengthValue)) throw new RangeError(`xorByte: offset ${offset} outside [0, ${this.lengthValue})`);
    this.bytes[offset] = (this.bytes[offset]! ^ mask) & 0xff;
  }

  /** A new inode holding the first `lengthBytes` bytes, all of them counted as synced. */
  truncatedCopy(lengthBytes: number): MemoryInode {
    if (!(lengthBytes >= 0 && lengthBytes <= this.lengthValue)) {
      throw new RangeError(`truncatedCopy: length ${lengthBytes} outside [0, ${this.lengthValue}]`);
    }
    const copy = new MemoryInode(Math.max(1, lengthBytes));
    copy.append(this.bytes.subarray(0, lengthBytes));
    copy.syncedLengthBytes = lengthBytes;
    return copy;
  }
}

const textEncoder = new TextEncoder();

export class MemoryFileSystem implements FileSystem {
  /** Path → inode, for every file visible now. */
  protected files = new Map<string, MemoryInode>();
  /** Directory path → names of its entries (files and subdirectories). */
  protected children = new Map<string, Set<string>>([['/', new Set()]]);
  /** Bumped by a simulated crash; handles opened in an older epoch throw CLOSED. */
  protected epoch = 0;
  /** Lock path → the token of the holder that has it. */
  protected locks = new Map<string, object>();

  createWritable(path: string): WritableFile {
    const filePath = normalizePath(path);
    this.beforeOperation('create', filePath, 0);
    this.requireParentDirectory(filePath, 'create');
    if (this.children.has(filePath)) throw notAFile('create', filePath);
    const inode = new MemoryInode();
    this.bindFile(filePath, inode);
    return this.openWritable(filePath, inode);
  }

  openRandomAccess(path: string): RandomAccessFile {
    const filePath = normalizePath(path);
    const inode = this.requireFile(filePath, 'open');
    const guard = this.handleGuard(filePath);
    const check = guard.check;
    return {
      path: filePath,
      get sizeBytes(): number {
        return inode.lengthBytes;
      },
      read: (offset: number, length: number): Uint8Array => {
        check('read');
        checkReadRange(filePath, offset, length);
        this.beforeOperation('read', filePath, 0);
        if (offset + length > inode.lengthBytes) {
          throw new StorageError(
            'EIO',
            `read ${filePath}: short read, wanted ${length} bytes at offset ${offset} of a ${inode.lengthBytes}-byte file`,
          );
        }
        return this.afterRead(filePath, inode.copy(offset, length));
      },
      close: (): void => {
        guard.close();
      },
    };
  }

  readFile(path: string): Uint8Array {
    const filePath = normalizePath(path);
    this.beforeOperation('read', filePath, 0);
    const inode = this.requireFile(filePath, 'readFile');
    return this.afterRead(filePath, inode.copy(0, inode.lengthBytes));
  }

  exists(path: string): boolean {
    const normalized = normalizePath(path);
    return this.files.has(normalized) || this.children.has(normalized);
  }

  sizeOf(path: string): number {
    return this.requireFile(normalizePath(path), 'sizeOf').lengthBytes;
  }

  list(dir: string): string[] {
    const dirPath = normalizePath(dir);
    return [...this.requireDirectory(dirPath, 'list')].sort();
  }

  mkdirp(dir: string): void {
    const dirPath = normalizePath(dir);
    let current = '/';
    for (const name of dirPath.split('/').filter((part) => part.length > 0)) {
      const next = posix.join(current, name);
      if (this.files.has(next)) {
        if (next === dirPath) throw new StorageError('EEXIST', `mkdirp ${dirPath}: a file exists at ${next}`);
        throw new StorageError('INVALID_ARGUMENT', `mkdirp ${dirPath}: ${next} is a file, not a directory`);
      }
      if (!this.children.has(next)) {
        this.children.set(next, new Set());
        this.children.get(current)!.add(name);
      }
      current = next;
    }
  }

  remove(path: string): void {
    const filePath = normalizePath(path);
    this.beforeOperation('remove', filePath, 0);
    if (this.children.has(filePath)) throw notAFile('remove', filePath);
    if (this.files.has(filePath)) this.unbindFile(filePath);
  }

  rename(from: string, to: string): void {
    const fromPath = normalizePath(from);
    const toPath = normalizePath(to);
    this.beforeOperation('rename', fromPath, 0);
    if (this.children.has(fromPath)) throw notAFile('rename', fromPath);
    const inode = this.requireFile(fromPath, 'rename');
    this.requireParentDirectory(toPath, 'rename');
    if (this.children.has(toPath)) throw notAFile('rename', toPath);
    if (fromPath === toPath) return;
    this.unbindFile(fromPath);
    this.bindFile(toPath, inode);
  }

  async syncDir(dir: string): Promise<void> {
    const dirPath = normalizePath(dir);
    this.beforeOperation('syncDir', dirPath, 0);
    this.requireDirectory(dirPath, 'syncDir');
    const epoch = this.epoch;
    await Promise.resolve();
    this.requireSameEpoch(epoch, 'syncDir', dirPath);
  }

  lock(path: string): FileLock {
    const lockPath = normalizePath(path);
    if (this.locks.has(lockPath)) {
      throw new StorageError('LOCKED', `lock ${lockPath}: directory is in use by process ${process.pid} (this process)`);
    }
    this.requireParentDirectory(lockPath, 'lock');
    if (this.children.has(lockPath)) throw notAFile('lock', lockPath);
    // A lock file left behind without a holder belongs to a process that is gone: take it over.
    const inode = new MemoryInode();
    inode.append(textEncoder.encode(`${process.pid}\n`));
    this.bindFile(lockPath, inode);
    const token = {};
    this.locks.set(lockPath, token);
    return {
      path: lockPath,
      release: (): void => {
        if (this.locks.get(lockPath) !== token) return;
        this.locks.delete(lockPath);
        if (this.files.get(lockPath) === inode) this.unbindFile(lockPath);
      },
    };
  }

  // ---- Hooks for the fault-injecting subclass. Here they do nothing. ----

  /** Runs before an operation changes or reads anything; throwing fails the operation. */
  protected beforeOperation(_operation: FileOperation, _path: string, _appendBytes: number): void {}

  /** Sees every block of bytes a read returns; may return different bytes. */
  protected afterRead(_path: string, bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  /** Records that a `sync()` covering the first `lengthBytes` bytes of `inode` completed. */
  protected markSynced(inode: MemoryInode, lengthBytes: number): void {
    inode.syncedLengthBytes = Math.max(inode.syncedLengthBytes, lengthBytes);
  }

  // ---- Shared helpers. ----

  protected requireSameEpoch(epoch: number, operation: string, path: string): void {
    if (this.epoch !== epoch) {
      throw new StorageError('CLOSED', `${operation} ${path}: the file system crashed before the operation completed`);
    }
  }

  protected requireFile(path: string, operation: string): MemoryInode {
    const inode = this.files.get(path);
    if (inode !== undefined) return inode;
    if (this.children.has(path)) throw notAFile(operation, path);
    throw new StorageError('ENOENT', `${operation} ${path}: no such file`);
  }

  protected requireDirectory(path: string, operation: string): Set<string> {
    const entries = this.children.get(path);
    if (entries !== undefined) return entries;
    if (this.files.has(path)) throw new StorageError('INVALID_ARGUMENT', `${operation} ${path}: not a directory`);
    throw new StorageError('ENOENT', `${operation} ${path}: no such directory`);
  }

  protected requireParentDirectory(path: string, operation: string): void {
    const parent = posix.dirname(path);
    if (this.children.has(parent)) return;
    if (this.files.has(parent)) throw new StorageError('INVALID_ARGUMENT', `${operation} ${path}: ${parent} is not a directory`);
    throw new StorageError('ENOENT', `${operation} ${path}: no such directory ${parent}`);
  }

  protected bindFile(path: string, inode: MemoryInode): void {
    this.files.set(path, inode);
    this.children.get(posix.dirname(path))!.add(posix.basename(path));
  }

  protected unbindFile(path: string): void {
    this.files.delete(path);
    this.children.get(posix.dirname(path))!.delete(posix.basename(path));
  }

  /** Rebuilds every directory's entry set from `files` and the directory paths themselves. */
  protected rebuildChildren(): void {
    for (const entries of this.children.values()) entries.clear();
    for (const dirPath of this.children.keys()) {
      if (dirPath !== '/') this.children.get(posix.dirname(dirPath))!.add(posix.basename(dirPath));
    }
    for (const filePath of this.files.keys()) this.children.get(posix.dirname(filePath))!.add(posix.basename(filePath));
  }

  /** Whether a handle may still be used: it is not closed, and it was opened since the last crash. */
  private handleGuard(filePath: string): { readonly epoch: number; check(operation: string): void; close(): void } {
    const epoch = this.epoch;
    let closed = false;
    return {
      epoch,
      check: (operation: string): void => {
        if (closed || this.epoch !== epoch) throw new StorageError('CLOSED', `${operation} ${filePath}: the file is closed`);
      },
      close: (): void => {
        closed = true;
      },
    };
  }

  private openWritable(filePath: string, inode: MemoryInode): WritableFile {
    const guard = this.handleGuard(filePath);
    const epoch = guard.epoch;
    const check = guard.check;
    return {
      path: filePath,
      get sizeBytes(): number {
        return inode.lengthBytes;
      },
      append: (data: Uint8Array): void => {
        check('append');
        this.beforeOperation('append', filePath, data.length);
        inode.append(data);
      },
      sync: async (): Promise<void> => {
        check('sync');
        this.beforeOperation('sync', filePath, 0);
        const lengthBytes = inode.lengthBytes;
        await Promise.resolve();
        this.requireSameEpoch(epoch, 'sync', filePath);
        this.markSynced(inode, lengthBytes);
      },
      close: (): void => {
        guard.close();
      },
    };
  }
}

function notAFile(operation: string, path: string): StorageError {
  return new StorageError('INVALID_ARGUMENT', `${operation} ${path}: is a directory, not a file`);
}

function checkReadRange(path: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new StorageError('INVALID_ARGUMENT', `read ${path}: offset ${offset} and length ${length} must be non-negative integers`);
  }
}
