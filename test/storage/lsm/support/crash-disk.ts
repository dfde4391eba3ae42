// A disk for crash and fault tests: a FaultyFileSystem that counts the operations that change files
// and, when a test arms it, acts just before the Nth matching one — inside a flush, a compaction, a
// MANIFEST or CURRENT update, a WAL append, or recovery itself. It either simulates power loss (the
// operation does not happen and throws StorageError CLOSED) or fails that one operation with EIO or
// ENOSPC, changing nothing (as FaultyFileSystem.failNext, but aimed by file and engine activity).
//
// Each open of a database gets its own `process()` view of the disk. A crash kills every view, so the
// dead LsmDb instance (whose promises and background slices may still run) can never touch the
// restarted disk: every call through a dead view throws CLOSED, exactly as a process that no longer
// exists changes nothing. Handles it opened before the crash already throw CLOSED (the disk's epoch).
//
// Everything is deterministic: crash points are counted, never timed, and the tearing draws come from
// the seeded Random the disk was built with.
import { StorageError } from '../../../../storage/env/errors.js';
import { FaultyFileSystem, type FileOperation, type InjectedFailureCode } from '../../../../storage/env/faulty-file-system.js';
import type { FileLock, FileSystem, RandomAccessFile, WritableFile } from '../../../../storage/env/file-system.js';
import type { Random } from '../../../../storage/env/random.js';

/** The kind of file an operation touched, by its name in the database directory. */
export type FileKind = 'log' | 'table' | 'manifest' | 'current' | 'temp' | 'dir' | 'other';

export function fileKindOf(path: string): FileKind {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (/^\d+\.log$/.test(name)) return 'log';
  if (/^\d+\.sst$/.test(name)) return 'table';
  if (/^MANIFEST-\d+$/.test(name)) return 'manifest';
  if (name === 'CURRENT') return 'current';
  if (/^\d+\.dbtmp$/.test(name)) return 'temp';
  return 'other';
}

/** One file-changing operation, as the crash trigger sees it. */
export interface DiskOperation {
  readonly operation: FileOperation;
  readonly path: string;
  readonly kind: FileKind;
  /** The engine code running it, from the call stack (computed only when a matcher asks). */
  activity(): EngineActivity;
}

/**
 * What the engine was doing. Recovery is known from the test (it sets `recovering` around an open);
 * the rest is read from the call stack, where V8 keeps the awaiting callers as "at async f" frames
 * (work started from a promise callback, as MANIFEST writes are, shows as 'other').
 */
export type EngineActivity = 'recovery' | 'flush' | 'compaction' | 'write' | 'close' | 'other';

function activityFromStack(stack: string): EngineActivity {
  if (/flushMemTable|runFlushes/.test(stack)) return 'flush';
  if (/runCompaction/.test(stack)) return 'compaction';
  if (/closeOnce/.test(stack)) return 'close';
  if (/writeGroup|switchMemtable|runLeader/.test(stack)) return 'write';
  return 'other';
}

export interface CrashRecord {
  readonly operation: FileOperation | 'none';
  readonly path: string;
  readonly kind: FileKind | 'none';
  readonly activity: EngineActivity | 'quiescent';
  readonly tearLastWrite: boolean;
  /** File-changing operations the disk had seen when it crashed. */
  readonly operationCount: number;
}

type ArmedEffect = { readonly kind: 'crash'; readonly tearLastWrite: boolean } | { readonly kind: 'fail'; readonly code: InjectedFailureCode };

interface ArmedAction {
  readonly matches: (operation: DiskOperation) => boolean;
  remaining: number;
  readonly effect: ArmedEffect;
}

/** An operation failed on purpose by `failAt`. */
export interface InjectedFailure {
  readonly operation: FileOperation;
  readonly path: string;
  readonly kind: FileKind;
  readonly activity: EngineActivity;
  readonly code: InjectedFailureCode;
}

export class CrashingDisk extends FaultyFileSystem {
  private armed: ArmedAction | undefined;
  private views: ProcessView[] = [];
  private operations = 0;
  private crashWaiters: (() => void)[] = [];
  readonly crashes: CrashRecord[] = [];
  readonly injectedFailures: InjectedFailure[] = [];
  /** Set by the test while an open (recovery) is in progress. */
  recovering = false;

  constructor(random: Random) {
    super(random);
  }

  /** File-changing operations seen so far (appends, syncs, creates, renames, removes, directory syncs). */
  get operationCount(): number {
    return this.operations;
  }

  /** A fresh view for one process (one LsmDb open). It dies at the next crash. */
  process(): FileSystem {
    const view = new ProcessView(this);
    this.views.push(view);
    return view;
  }

  /** Crash just before the `count`th later operation that `matches` accepts. Replaces anything armed. */
  arm(matches: (operation: DiskOperation) => boolean, count: number, tearLastWrite: boolean): void {
    this.armAction(matches, count, { kind: 'crash', tearLastWrite });
  }

  /** Fail the `count`th later operation that `matches` accepts with `code`. Replaces anything armed. */
  failAt(matches: (operation: DiskOperation) => boolean, count: number, code: InjectedFailureCode): void {
    this.armAction(matches, count, { kind: 'fail', code });
  }

  private armAction(matches: (operation: DiskOperation) => boolean, count: number, effect: ArmedEffect): void {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`arm: count ${count} must be a positive integer`);
    this.armed = { matches, remaining: count, effect };
  }

  disarm(): void {
    this.armed = undefined;
  }

  get isArmed(): boolean {
    return this.armed !== undefined;
  }

  /** Resolves at the next crash (armed or `crashNow`). */
  nextCrash(): Promise<void> {
    return new Promise((resolve) => this.crashWaiters.push(resolve));
  }

  /** Crashes now, from outside any operation (power loss while the engine waits or idles). */
  crashNow(tearLastWrite: boolean): CrashRecord {
    return this.crashWith({
      operation: 'none',
      path: '',
      kind: 'none',
      activity: 'quiescent',
      tearLastWrite,
      operationCount: this.operations,
    });
  }

  protected override beforeOperation(operation: FileOperation, path: string, appendBytes: number): void {
    if (operation !== 'read') {
      this.operations++;
      const armed = this.armed;
      if (armed !== undefined) {
        let stack: string | undefined;
        const activity = (): EngineActivity =>
          this.recovering ? 'recovery' : activityFromStack((stack ??= new Error().stack ?? ''));
        const kind = operation === 'syncDir' ? 'dir' : fileKindOf(path);
        if (armed.matches({ operation, path, kind, activity }) && --armed.remaining === 0) {
          this.armed = undefined;
          if (armed.effect.kind === 'fail') {
            const { code } = armed.effect;
            this.injectedFailures.push({ operation, path, kind, activity: activity(), code });
            throw new StorageError(code, `${operation} ${path}: injected ${code}`);
          }
          const record = this.crashWith({
            operation,
            path,
            kind,
            activity: activity(),
            tearLastWrite: armed.effect.tearLastWrite,
            operationCount: this.operations,
          });
          throw new StorageError('CLOSED', `simulated power loss before ${operation} ${path} (${record.activity})`);
        }
      }
    }
    super.beforeOperation(operation, path, appendBytes);
  }

  private crashWith(record: CrashRecord): CrashRecord {
    for (const view of this.views) view.kill();
    this.views = [];
    this.crash({ tearLastWrite: record.tearLastWrite });
    this.crashes.push(record);
    const waiters = this.crashWaiters;
    this.crashWaiters = [];
    for (const wake of waiters) wake();
    return record;
  }
}

/** One process's access to the disk; after `kill()` every call throws CLOSED. */
class ProcessView implements FileSystem {
  private alive = true;

  constructor(private readonly disk: FileSystem) {}

  kill(): void {
    this.alive = false;
  }

  private check(operation: string, path: string): FileSystem {
    if (!this.alive) throw new StorageError('CLOSED', `${operation} ${path}: the process died in a simulated crash`);
    return this.disk;
  }

  createWritable(path: string): WritableFile {
    return this.check('create', path).createWritable(path);
  }
  openRandomAccess(path: string): RandomAccessFile {
    return this.check('open', path).openRandomAccess(path);
  }
  readFile(path: string): Uint8Array {
    return this.check('readFile', path).readFile(path);
  }
  exists(path: string): boolean {
    return this.check('exists', path).exists(path);
  }
  sizeOf(path: string): number {
    return this.check('sizeOf', path).sizeOf(path);
  }
  list(dir: string): string[] {
    return this.check('list', dir).list(dir);
  }
  mkdirp(dir: string): void {
    this.check('mkdirp', dir).mkdirp(dir);
  }
  remove(path: string): void {
    this.check('remove', path).remove(path);
  }
  rename(from: string, to: string): void {
    this.check('rename', from).rename(from, to);
  }
  async syncDir(dir: string): Promise<void> {
    await this.check('syncDir', dir).syncDir(dir);
  }
  lock(path: string): FileLock {
    return this.check('lock', path).lock(path);
  }
}
