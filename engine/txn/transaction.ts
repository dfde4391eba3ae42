// One transaction, as the SQL layer sees it: reads at a snapshot plus its own writes, writes buffered
// until commit, row locks, statement boundaries, commit and rollback. PostgreSQL's names and behaviour,
// TiDB's mechanics:
//
//   READ COMMITTED   each statement (newStatement) reads at a fresh oracle timestamp. Writes are
//                    pessimistic: put/insert/delete first lock the key at a fresh forUpdateTs, waiting
//                    for other writers, so a write that meets a newer committed version waits and then
//                    proceeds on the newest version (a conflict never aborts the transaction).
//   REPEATABLE READ  snapshot isolation: every read at startTs; writes are optimistic, and a concurrent
//                    commit of a written key surfaces at commit as 40001 (first committer wins).
//   SERIALIZABLE     REPEATABLE READ plus the read set (point keys, scanned spans with the bounds the
//                    scan really covered), validated after prewrite (committer.ts): a changed read is
//                    40001. Read-only transactions are not validated: they read a consistent snapshot,
//                    and every committed writer is serializable (storage/mvcc/read-set.ts), but unlike
//                    PostgreSQL's SSI a read-only transaction may observe the "read-only anomaly"
//                    (Fekete et al.): its snapshot need not match a serial order of the writers. That is
//                    our stated guarantee: SERIALIZABLE means committed writing transactions serialize.
//
// lockForUpdate (SELECT ... FOR UPDATE) takes pessimistic locks in every mode: at a fresh forUpdateTs
// under READ COMMITTED, at startTs otherwise, so a row changed since the snapshot is 40001 ("could not
// serialize access due to concurrent update"), as in PostgreSQL. It returns the rows' values as of the
// lock (the newest version); they are kept (write-buffer.ts) and answer later reads of those keys. The
// primary of a transaction that locks is its first locked key (the smallest of its first lock
// request), else the smallest key it writes. At commit, locked keys that were not written are committed
// as lock records with the writes; a transaction that only locked releases its locks instead.
//
// Invariants:
//  - Calls run one at a time, in call order (an internal queue), so a caller that does not await one
//    call before the next still gets a well-defined history.
//  - Any error in a call ends the transaction (as in PostgreSQL): its locks are released and every
//    later call but rollback() fails with TRANSACTION_CLOSED (25P02). Commit outcomes that are unknown
//    (AMBIGUOUS_COMMIT) and abandonment at a failpoint release nothing.
//  - Keys and values are copied on the way in; callers may reuse their buffers.

import { USER_KEY_MIN } from '../../cluster/kv/kv-client.js';
import {
  type KeyValuePair,
  type PrewriteMutation,
  TIMESTAMP_MAX,
  TIMESTAMP_ZERO,
  type Timestamp,
  maxTimestamp,
} from '../../storage/mvcc/index.js';
import { AbandonedError, type CommitterDeps, commitMutations } from './committer.js';
import type { Failpoint } from './config.js';
import { TxnError, assertTxn, formatKey, isTxnError } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { checkUserKey, compareKeys, copyKey, keyString, sortedDistinctKeys } from './keys.js';
import { withLockWait } from './lock-wait.js';
import { mergedScan } from './merged-scan.js';
import { ReadSetRecorder } from './read-set-recorder.js';
import type { TxnRuntime } from './runtime.js';
import { WriteBuffer } from './write-buffer.js';

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TxnOptions {
  /** Default 'read committed', as PostgreSQL's. */
  readonly isolation?: IsolationLevel | undefined;
  /** Refuse writes and row locks with 25006. */
  readonly readOnly?: boolean | undefined;
  /** A test hook (config.ts, Failpoint); overrides TxnConfig.failpoint for this transaction. */
  readonly failpoint?: Failpoint | undefined;
}

/** One write of a statement (Transaction.write). */
export type TxnWrite =
  | { readonly kind: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  /** Fails with 23505 if the key has a live value. */
  | { readonly kind: 'insert'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly kind: 'delete'; readonly key: Uint8Array };

export interface ScanOptions {
  /** At most this many pairs (a positive integer); absent means all. */
  readonly limit?: number | undefined;
  /** From endKey (exclusive) down to startKey (inclusive). */
  readonly reverse?: boolean | undefined;
}

type State = 'active' | 'committed' | 'rolled-back' | 'failed' | 'abandoned';

/** A savepoint of one transaction (opaque to callers; the SQL session maps names to them). */
export interface Savepoint {
  /** Its position among the transaction's live savepoints. */
  readonly depth: number;
  /** The write buffer's undo mark. */
  readonly mark: number;
}

/** How many times a READ COMMITTED lock request retries at a newer forUpdateTs after a newer commit. */
const LOCK_CONFLICT_RETRIES_MAX = 64;

export class Transaction {
  readonly startTs: Timestamp;
  readonly isolation: IsolationLevel;
  readonly readOnly: boolean;
  private readTs: Timestamp;
  /** Transactions whose locks this one's reads may pass (its own, and pushed ones for the current readTs). */
  private bypass: Set<Timestamp>;
  private readonly buffer = new WriteBuffer();
  private readonly readSet: ReadSetRecorder | undefined;
  private primary: Uint8Array | undefined;
  /** Keys this transaction holds pessimistic locks on. */
  private readonly lockedKeys = new Set<string>();
  /** Every key a lock request was sent for (a failed multi-range request may have locked some). */
  private readonly lockRequestedKeys = new Map<string, Uint8Array>();
  /** Keys written or locked, for the writeKeysMax bound. */
  private readonly touchedKeys = new Set<string>();
  private forUpdateTs: Timestamp | undefined;
  private prewriteSent = false;
  private prewriteMayCommit = false;
  private state: State = 'active';
  private readonly savepoints: Savepoint[] = [];
  /** A call failed while savepoints exist: everything but ROLLBACK TO / ROLLBACK is refused. */
  private aborted = false;
  private queue: Promise<unknown> = Promise.resolve();
  /** Calls run() started that have not settled (0: the queue is idle). */
  private callsInFlight = 0;
  private readonly heartbeat: Heartbeat;
  private readonly failpoint: Failpoint | undefined;

  /** Made by TransactionManager.begin. */
  constructor(
    private readonly runtime: TxnRuntime,
    startTs: Timestamp,
    options: TxnOptions,
  ) {
    this.startTs = startTs;
    this.isolation = options.isolation ?? 'read committed';
    this.readOnly = options.readOnly === true;
    this.readTs = startTs;
    this.bypass = new Set([startTs]);
    this.readSet = this.isolation === 'serializable' ? new ReadSetRecorder() : undefined;
    this.failpoint = options.failpoint ?? runtime.config.failpoint;
    this.heartbeat = new Heartbeat(runtime.kv, runtime.clock, runtime.config, startTs, () => this.primary, runtime.track);
  }

  /** True until the transaction commits, rolls back, fails or is abandoned. */
  get isActive(): boolean {
    return this.state === 'active';
  }

  /** The value of `key` in this transaction's view, or undefined if it has none. */
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.run(async () => {
      checkUserKey(key);
      const own = this.buffer.lookup(key);
      if (own !== undefined) return own.value;
      const [value] = await this.readFromStore([copyKey(key)]);
      return value;
    });
  }

  /** The values of `keys`, in order, with one store request for all those not in this transaction's view. */
  batchGet(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.run(async () => {
      keys.forEach(checkUserKey);
      const values: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(keys.length);
      const missing = new Map<string, number[]>();
      keys.forEach((key, index) => {
        const own = this.buffer.lookup(key);
        if (own !== undefined) {
          values[index] = own.value;
          return;
        }
        const text = keyString(key);
        const indexes = missing.get(text);
        if (indexes === undefined) missing.set(text, [index]);
        else indexes.push(index);
      });
      if (missing.size === 0) return values;
      const storeKeys = [...missing.values()].map((indexes) => copyKey(keys[indexes[0]!]!));
      const stored = await this.readFromStore(storeKeys);
      [...missing.values()].forEach((indexes, position) => {
        for (const index of indexes) values[index] = stored[position];
      });
      return values;
    });
  }

  /**
   * The pairs in [startKey, endKey) in this transaction's view, in key order (or reversed), at most
   * `limit`. An absent startKey (or one below USER_KEY_MIN) is the start of the user key space, an
   * absent endKey its end.
   */
  scan(startKey: Uint8Array | undefined, endKey: Uint8Array | undefined, options: ScanOptions = {}): Promise<KeyValuePair[]> {
    return this.run(async () => {
      const limit = options.limit ?? Infinity;
      if (limit !== Infinity && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw new TxnError('INVALID_ARGUMENT', `scan limit ${limit} is not a non-negative integer`);
      }
      // A start below the user key space (the empty key, say) means its beginning.
      const start = startKey === undefined || compareKeys(startKey, USER_KEY_MIN) < 0 ? USER_KEY_MIN : copyKey(startKey);
      const end = endKey === undefined ? undefined : copyKey(endKey);
      if (limit === 0 || (end !== undefined && compareKeys(start, end) >= 0)) return [];
      const reverse = options.reverse === true;
      const result = await mergedScan({
        startKey: start,
        endKey: end,
        limit,
        reverse,
        pageSize: this.runtime.config.scanBatchPairsMax,
        overlay: this.buffer.range(start, end, reverse),
        fetch: (pageStart, pageEnd, pageLimit) => this.scanStore(pageStart, pageEnd, pageLimit, reverse),
      });
      this.readSet?.recordSpan(result.coveredStart, result.coveredEnd);
      return result.pairs;
    });
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write([{ kind: 'put', key, value }]);
  }

  /** A put that requires the key to have no live value: 23505 at commit, or now when the key is locked. */
  insert(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.write([{ kind: 'insert', key, value }]);
  }

  delete(key: Uint8Array): Promise<void> {
    return this.write([{ kind: 'delete', key }]);
  }

  /**
   * The writes of one statement, applied in order. Under READ COMMITTED their keys are locked with one
   * request (a statement that writes many rows waits once, not once per row).
   */
  write(writes: readonly TxnWrite[]): Promise<void> {
    return this.run(async () => {
      this.checkWritable(writes.every((entry) => entry.kind === 'delete') ? 'DELETE' : 'INSERT or UPDATE');
      const owned = writes.map((entry): TxnWrite => {
        checkUserKey(entry.key);
        if (entry.kind === 'delete') return { kind: 'delete', key: copyKey(entry.key) };
        if (!(entry.value instanceof Uint8Array)) throw new TxnError('INVALID_ARGUMENT', 'a value must be a Uint8Array');
        return { kind: entry.kind, key: copyKey(entry.key), value: new Uint8Array(entry.value) };
      });
      this.reserveKeys(owned.map((entry) => entry.key));
      if (this.writesArePessimistic) {
        // The first write of each key decides whether its lock must also find it absent: an insert
        // into a key this transaction has not written and whose value it does not already know.
        const entries = new Map<string, { key: Uint8Array; shouldNotExist: boolean }>();
        for (const entry of owned) {
          const text = keyString(entry.key);
          if (entries.has(text)) continue;
          const known = this.buffer.getWrite(entry.key) !== undefined || this.buffer.hasLockedValue(entry.key);
          entries.set(text, { key: entry.key, shouldNotExist: entry.kind === 'insert' && !known });
        }
        await this.lockKeys([...entries.values()]);
      }
      for (const entry of owned) {
        if (entry.kind === 'put') this.buffer.put(entry.key, entry.value);
        else if (entry.kind === 'delete') this.buffer.delete(entry.key);
        else this.bufferInsert(entry.key, entry.value);
      }
    });
  }

  /**
   * SELECT ... FOR UPDATE: pessimistic locks on `keys`, all in one request, waiting for other holders.
   * Returns each key's value in this transaction's view once locked (the newest committed version,
   * unless the transaction wrote the key itself).
   */
  lockForUpdate(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.run(async () => {
      this.checkWritable('SELECT FOR UPDATE');
      keys.forEach(checkUserKey);
      const owned = keys.map(copyKey);
      this.reserveKeys(owned);
      await this.lockKeys(owned.map((key) => ({ key })));
      return owned.map((key) => this.buffer.lookup(key)?.value);
    });
  }

  /** A statement boundary: READ COMMITTED reads at a fresh timestamp from here on. */
  newStatement(): Promise<void> {
    return this.run(async () => {
      if (this.isolation !== 'read committed') return;
      this.readTs = await this.runtime.tso.now();
      this.bypass = new Set([this.startTs]);
    });
  }

  /**
   * Commits. `commitTs` is undefined when there was nothing to commit (no writes; locks alone are
   * released). Any failure rolls the transaction back, except AMBIGUOUS_COMMIT (40003).
   */
  commit(): Promise<{ commitTs: Timestamp | undefined }> {
    return this.run(async () => {
      const writes = this.buffer.writes();
      if (writes.length === 0) {
        if (this.lockRequestedKeys.size > 0) await this.releaseLocks();
        this.finish('committed');
        return { commitTs: undefined };
      }
      const mutations: PrewriteMutation[] = writes.map(({ key, write }) => {
        const pessimistic = this.lockedKeys.has(keyString(key)) ? true : undefined;
        return write.kind === 'delete' ? { kind: 'delete', key, pessimistic } : { kind: write.kind, key, value: write.value, pessimistic };
      });
      for (const text of this.lockedKeys) {
        const key = this.lockRequestedKeys.get(text)!;
        if (this.buffer.getWrite(key) === undefined) mutations.push({ kind: 'lock', key, pessimistic: true });
      }
      mutations.sort((a, b) => compareKeys(a.key, b.key));
      this.primary ??= mutations[0]!.key;
      const deps: CommitterDeps = {
        ...this.runtime,
        heartbeat: this.heartbeat,
        failpoint: this.failpoint,
        onPrewriteSent: (commitsAtPrewrite) => {
          this.prewriteSent = true;
          this.prewriteMayCommit = commitsAtPrewrite;
        },
      };
      try {
        const commitTs = await commitMutations(deps, {
          startTs: this.startTs,
          mutations,
          primary: this.primary,
          forUpdateTs: this.forUpdateTs,
          readSet: this.readSet,
        });
        this.finish('committed');
        return { commitTs };
      } catch (error) {
        if (error instanceof AbandonedError) {
          this.finish('abandoned');
          throw error.cause;
        }
        if (isTxnError(error, 'AMBIGUOUS_COMMIT')) {
          this.finish('failed');
          throw error;
        }
        const released = await this.releaseLocks();
        if (released.kind === 'committed') {
          // The prewrite committed after all (1PC whose answer was lost): the rollback found its records.
          this.finish('committed');
          return { commitTs: released.commitTs };
        }
        this.finish('failed');
        if (released.kind === 'unknown' && this.prewriteMayCommit && !(error instanceof TxnError)) {
          throw new TxnError('AMBIGUOUS_COMMIT', 'the outcome of the commit is unknown', { cause: error });
        }
        throw error;
      }
    });
  }

  /** Rolls back: releases every lock. A no-op after a failure; refused after commit. */
  rollback(): Promise<void> {
    return this.enqueue(async () => {
      if (this.state === 'committed') throw closed(this.state);
      if (this.state !== 'active') return;
      await this.releaseLocks();
      this.finish('rolled-back');
    });
  }

  /**
   * SAVEPOINT: marks the current state of the transaction's writes. ROLLBACK TO the mark undoes every
   * write buffered after it; RELEASE forgets it (and every mark after it). While at least one savepoint
   * exists, a failed call does not end the transaction: it enters the aborted state (25P02 for every
   * call) until rollbackToSavepoint() or rollback(). Row locks taken after a savepoint are kept until the
   * transaction ends (PostgreSQL releases them at ROLLBACK TO; keeping a lock longer never weakens
   * isolation, it only makes others wait longer).
   */
  savepoint(): Promise<Savepoint> {
    return this.run(async () => {
      const savepoint: Savepoint = { depth: this.savepoints.length, mark: this.buffer.mark() };
      this.savepoints.push(savepoint);
      return savepoint;
    });
  }

  /** ROLLBACK TO SAVEPOINT: undoes the writes after `savepoint`, which stays; later ones are gone. */
  rollbackToSavepoint(savepoint: Savepoint): Promise<void> {
    return this.enqueue(async () => {
      if (this.state !== 'active') throw closed(this.state);
      this.checkSavepoint(savepoint);
      this.buffer.rollbackTo(savepoint.mark);
      this.savepoints.length = savepoint.depth + 1;
      this.aborted = false;
    });
  }

  /** RELEASE SAVEPOINT: forgets `savepoint` and every savepoint after it; the writes stay. */
  releaseSavepoint(savepoint: Savepoint): Promise<void> {
    return this.run(async () => {
      this.checkSavepoint(savepoint);
      this.savepoints.length = savepoint.depth;
      if (this.savepoints.length === 0) this.buffer.forgetMarks();
    });
  }

  /** Whether a call failed inside a savepoint and the transaction awaits ROLLBACK TO (or ROLLBACK). */
  get isAborted(): boolean {
    return this.aborted;
  }

  private checkSavepoint(savepoint: Savepoint): void {
    if (this.savepoints[savepoint.depth] !== savepoint) {
      throw new TxnError('INVALID_ARGUMENT', 'savepoint does not exist (it was released or rolled back past)');
    }
  }

  /** Stops heartbeats because the manager is closing; the transaction takes no further calls. */
  shutDown(): void {
    this.heartbeat.stop();
  }

  // ---- internals ---------------------------------------------------------------------------------

  private get writesArePessimistic(): boolean {
    return this.isolation === 'read committed';
  }

  /** Runs `work` after the calls before it (whatever their outcome). */
  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    // With no call in flight there is nothing to queue behind: start at once (one promise hop less on
    // every read and write of the common, awaited-in-turn use).
    const next = this.callsInFlight === 0 ? work() : this.queue.then(work);
    this.callsInFlight++;
    this.queue = next.then(
      () => void this.callsInFlight--,
      () => void this.callsInFlight--,
    );
    return next;
  }

  /** Runs `body` after the calls before it; an error in an active transaction ends it (see savepoint()). */
  private run<T>(body: () => Promise<T>): Promise<T> {
    return this.enqueue(() => this.execute(body));
  }

  private async execute<T>(body: () => Promise<T>): Promise<T> {
    if (this.runtime.isClosed()) throw new TxnError('SHUTTING_DOWN', 'the transaction manager is closed');
    if (this.state !== 'active') throw closed(this.state);
    if (this.aborted) throw aborted();
    try {
      return await body();
    } catch (error) {
      if (this.state === 'active') {
        if (this.savepoints.length > 0) {
          this.aborted = true;
        } else {
          await this.releaseLocks();
          this.finish('failed');
        }
      }
      throw error;
    }
  }

  private finish(state: Exclude<State, 'active'>): void {
    this.state = state;
    this.heartbeat.stop();
    this.runtime.onFinished(this);
  }

  private checkWritable(what: string): void {
    if (this.readOnly) throw new TxnError('READ_ONLY', `cannot execute ${what} in a read-only transaction`);
  }

  /** Buffers an insert, checking what this transaction already knows (see insert()). */
  private bufferInsert(key: Uint8Array, value: Uint8Array): void {
    const previous = this.buffer.getWrite(key);
    if (previous?.kind === 'delete') {
      // Our own delete made the key absent: inserting it again replaces the row.
      this.buffer.put(key, value);
      return;
    }
    if (previous !== undefined) throw duplicateKey(key);
    // A key we hold the lock of has a known newest value: the check is exact here and now. Otherwise
    // the prewrite checks it (REPEATABLE READ and SERIALIZABLE write optimistically).
    if (this.buffer.hasLockedValue(key) && this.buffer.lookup(key)!.value !== undefined) throw duplicateKey(key);
    this.buffer.insert(key, value);
  }

  /** Counts `keys` against writeKeysMax (54000 beyond it). */
  private reserveKeys(keys: readonly Uint8Array[]): void {
    const fresh = new Set(keys.map(keyString).filter((text) => !this.touchedKeys.has(text)));
    if (this.touchedKeys.size + fresh.size > this.runtime.config.writeKeysMax) {
      throw new TxnError('TRANSACTION_TOO_LARGE', 'transaction is too large', {
        detail: `It would write or lock more than ${this.runtime.config.writeKeysMax} keys.`,
      });
    }
    for (const text of fresh) this.touchedKeys.add(text);
  }

  private async readFromStore(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const { kv } = this.runtime;
    const readTs = this.readTs;
    const result = await withLockWait(
      this.runtime,
      { startTs: this.startTs, callerTs: readTs, holdsLocks: () => this.lockRequestedKeys.size > 0, bypass: this.bypass, what: 'read' },
      () => kv.batchGet({ keys, readTs, bypassLockTs: this.bypass }),
    );
    assertTxn(result.values.length === keys.length, `batchGet answered ${result.values.length} values for ${keys.length} keys`);
    this.readSet?.recordKeys(keys);
    return [...result.values];
  }

  private async scanStore(startKey: Uint8Array, endKey: Uint8Array | undefined, limit: number, reverse: boolean): Promise<readonly KeyValuePair[]> {
    const { kv } = this.runtime;
    const readTs = this.readTs;
    const result = await withLockWait(
      this.runtime,
      { startTs: this.startTs, callerTs: readTs, holdsLocks: () => this.lockRequestedKeys.size > 0, bypass: this.bypass, what: 'read' },
      () => kv.scan({ startKey, endKey, readTs, limit, reverse, bypassLockTs: this.bypass }),
    );
    return result.pairs;
  }

  /** Takes pessimistic locks on the keys not yet locked, in one request (with waits and retries). */
  private async lockKeys(entries: readonly { key: Uint8Array; shouldNotExist?: boolean }[]): Promise<void> {
    const byKey = new Map<string, { key: Uint8Array; shouldNotExist?: boolean }>();
    for (const entry of entries) if (!this.lockedKeys.has(keyString(entry.key))) byKey.set(keyString(entry.key), entry);
    if (byKey.size === 0) return;
    const keys = [...byKey.keys()].sort().map((text) => byKey.get(text)!);
    this.primary ??= keys[0]!.key;
    const primary = this.primary;
    for (const { key } of keys) this.lockRequestedKeys.set(keyString(key), key);
    const { kv, tso, clock, config } = this.runtime;
    const freshForUpdateTs = this.isolation === 'read committed';
    let forUpdateTs = freshForUpdateTs ? await tso.now() : this.startTs;
    this.heartbeat.start();
    const result = await withLockWait(this.runtime, { startTs: this.startTs, callerTs: TIMESTAMP_ZERO, holdsLocks: () => true, what: 'lock' }, async () => {
      for (let retry = 0; ; retry++) {
        const attempt = await kv.acquirePessimisticLock({
          keys,
          primary,
          startTs: this.startTs,
          forUpdateTs,
          lockTtlMs: Heartbeat.ttlMsFor(clock, config, this.startTs),
          returnValues: true,
        });
        // READ COMMITTED proceeds on the newest version: lock again at a timestamp above it.
        if (attempt.code !== 'WRITE_CONFLICT' || !freshForUpdateTs || retry >= LOCK_CONFLICT_RETRIES_MAX) return attempt;
        forUpdateTs = await tso.now();
      }
    });
    switch (result.code) {
      case 'OK':
        break;
      case 'WRITE_CONFLICT':
        throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access due to concurrent update', {
          detail: `Key "${formatKey(result.key)}" was changed by a transaction that committed after this one started.`,
        });
      case 'PESSIMISTIC_LOCK_ROLLED_BACK':
        throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access: the transaction was rolled back by another one', {
          detail: `Its locks expired and were released (key "${formatKey(result.key)}").`,
        });
      case 'ALREADY_EXISTS':
        throw duplicateKey(result.key);
      case 'LOCK_TYPE_NOT_MATCH':
        assertTxn(false, `locking "${formatKey(result.key)}" met a prewrite lock of this transaction before its commit`);
    }
    const values = result.values;
    assertTxn(values !== undefined && values.length === keys.length, 'acquirePessimisticLock did not return a value per key');
    keys.forEach(({ key }, index) => {
      this.lockedKeys.add(keyString(key));
      this.buffer.setLockedValue(key, values[index]);
    });
    this.forUpdateTs = this.forUpdateTs === undefined ? forUpdateTs : maxTimestamp(this.forUpdateTs, forUpdateTs);
  }

  /**
   * Releases whatever this transaction may hold: a rollback of every key once a prewrite was sent
   * (which also writes the records that stop a late prewrite), else a pessimistic rollback of the keys
   * it asked to lock. Never throws: a KV layer that cannot answer leaves the locks to expire.
   */
  private async releaseLocks(): Promise<{ kind: 'rolled-back' } | { kind: 'committed'; commitTs: Timestamp } | { kind: 'unknown' }> {
    this.heartbeat.stop();
    const { kv } = this.runtime;
    try {
      if (this.prewriteSent) {
        const keys = sortedDistinctKeys([...this.buffer.writes().map(({ key }) => key), ...this.lockRequestedKeys.values()]);
        const result = await kv.rollback({ keys, startTs: this.startTs, primaryKey: this.primary ?? keys[0]! });
        if (result.code === 'TXN_COMMITTED') return { kind: 'committed', commitTs: result.commitTs };
      } else if (this.lockRequestedKeys.size > 0) {
        await kv.pessimisticRollback({ keys: sortedDistinctKeys(this.lockRequestedKeys.values()), startTs: this.startTs, forUpdateTs: TIMESTAMP_MAX });
      }
      return { kind: 'rolled-back' };
    } catch {
      return { kind: 'unknown' };
    }
  }
}

function aborted(): TxnError {
  return new TxnError('TRANSACTION_CLOSED', 'current transaction is aborted, commands ignored until end of transaction block', {
    detail: 'A call failed inside a savepoint: ROLLBACK TO a savepoint, or ROLLBACK.',
  });
}

function closed(state: State): TxnError {
  const how = state === 'failed' ? 'failed' : state === 'abandoned' ? 'was abandoned' : state === 'committed' ? 'has committed' : 'has rolled back';
  return new TxnError('TRANSACTION_CLOSED', `current transaction is closed: it ${how}`, {
    detail: state === 'failed' ? 'Commands are ignored until the end of the transaction block (ROLLBACK).' : undefined,
  });
}

function duplicateKey(key: Uint8Array): TxnError {
  return new TxnError('UNIQUE_VIOLATION', 'duplicate key value violates unique constraint', { detail: `Key "${formatKey(key)}" already exists.` });
}
