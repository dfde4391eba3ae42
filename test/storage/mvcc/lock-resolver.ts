// A small model of the coordinator's side of lock handling, for tests that drive the MVCC actions the
// way engine/txn will: a world (an in-memory store, a virtual clock, a timestamp oracle, the node's
// largest read timestamp, and requests that may be delivered a second time, late), and what a reader or
// writer does on meeting a lock (ask the primary; resolve, read past, or wait; resolve async commit from
// the secondaries). Steps are generators that yield between actions, so a scheduler can interleave
// many transactions one action at a time.

import type { Random } from '../../../storage/env/random.js';
import { checkSecondaryLocks } from '../../../storage/mvcc/actions/check-secondary-locks.js';
import { checkTxnStatus } from '../../../storage/mvcc/actions/check-txn-status.js';
import { isLockExpired } from '../../../storage/mvcc/actions/common.js';
import { resolveLock } from '../../../storage/mvcc/actions/resolve-lock.js';
import type { Lock } from '../../../storage/mvcc/records.js';
import type { ActionOutput, LockedKey } from '../../../storage/mvcc/results.js';
import { MemoryMvccStore, type MvccSnapshot } from '../../../storage/mvcc/snapshot.js';
import { TIMESTAMP_ZERO, type Timestamp, composeTimestamp, maxTimestamp } from '../../../storage/mvcc/timestamp.js';

export class MvccWorld {
  readonly store = new MemoryMvccStore();
  nowMs = 1_000_000;
  private lastTs = 0;
  /** The concurrency manager's largest read timestamp. */
  maxReadTs = TIMESTAMP_ZERO;
  readonly ghosts: (() => void)[] = [];
  readonly counts = new Map<string, number>();

  constructor(readonly random: Random) {}

  tso(): Timestamp {
    this.lastTs = Math.max(this.lastTs + 1, composeTimestamp(this.nowMs, 0));
    return this.lastTs as Timestamp;
  }

  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }

  /** Runs an action and applies its batch; a ghostly request may be delivered again later. */
  run<Request, Result>(action: (snapshot: MvccSnapshot, request: Request) => ActionOutput<Result>, request: Request, ghostly = false): Result {
    const output = action(this.store.snapshot(), request);
    this.store.apply(output.batch);
    if (ghostly && this.random.chance(0.2)) {
      this.ghosts.push(() => {
        this.count('ghost delivered');
        // maxReadTs is the node's, read when the request is evaluated, never the sender's.
        const delivered = 'maxReadTs' in (request as object) && (request as { maxReadTs?: Timestamp }).maxReadTs !== undefined ? { ...request, maxReadTs: this.maxReadTs } : request;
        this.store.apply(action(this.store.snapshot(), delivered).batch);
      });
    }
    return output.result;
  }

  read(readTs: Timestamp): void {
    this.maxReadTs = maxTimestamp(this.maxReadTs, readTs);
  }
}

export type Outcome = 'resolved' | 'bypass' | 'wait';

/**
 * What a coordinator does on meeting `met`: ask the primary, then resolve the lock (committed or rolled
 * back), read past it (minCommitTs pushed above a reader), or wait. Async-commit transactions are
 * resolved from their secondaries once the primary's TTL has run out.
 */
export function* handleLock(w: MvccWorld, met: LockedKey, callerStartTs: Timestamp, bypass: Set<Timestamp> | undefined): Generator<void, Outcome> {
  const lock = met.lock;
  yield;
  const status = w.run(checkTxnStatus, { primaryKey: lock.primary, lockTs: lock.startTs, callerStartTs, currentTs: w.tso(), rollbackIfNotExist: true });
  switch (status.code) {
    case 'COMMITTED':
      yield* resolveKeys(w, [met.key], lock.startTs, status.commitTs);
      return 'resolved';
    case 'ROLLED_BACK':
      if (status.action !== 'none') w.count(`rolled back: ${status.action}`);
      yield* resolveKeys(w, [met.key], lock.startTs, TIMESTAMP_ZERO);
      return 'resolved';
    case 'TXN_NOT_FOUND':
      throw new Error('TXN_NOT_FOUND although rollbackIfNotExist was set');
    case 'LOCKED': {
      const primaryLock = status.lock;
      if (primaryLock.useAsyncCommit) {
        if (!isLockExpired(primaryLock, w.tso())) return 'wait';
        return yield* resolveAsyncCommit(w, lock.primary, primaryLock);
      }
      if (status.minCommitTsPushed && bypass !== undefined) {
        w.count('read past a pushed lock');
        bypass.add(lock.startTs);
        return 'bypass';
      }
      return 'wait';
    }
  }
}

export function* resolveKeys(w: MvccWorld, keys: Uint8Array[], startTs: Timestamp, commitTs: Timestamp): Generator<void, void> {
  yield;
  const result = w.run(resolveLock, { txnStatus: new Map([[startTs, commitTs]]), keys });
  if (result.code !== 'OK') throw new Error(`resolveLock failed: ${result.code}`);
}

export function* resolveAsyncCommit(w: MvccWorld, primaryKey: Uint8Array, primaryLock: Lock): Generator<void, Outcome> {
  const secondaries = [...(primaryLock.secondaries ?? [])];
  const all = [primaryKey, ...secondaries];
  yield;
  const checked = w.run(checkSecondaryLocks, { keys: secondaries, startTs: primaryLock.startTs });
  if (checked.code === 'COMMITTED') {
    yield* resolveKeys(w, all, primaryLock.startTs, checked.commitTs);
  } else if (checked.code === 'ROLLED_BACK') {
    w.count('async commit resolved: rolled back');
    yield* resolveKeys(w, all, primaryLock.startTs, TIMESTAMP_ZERO);
  } else if (checked.locks.some((locked) => !locked.lock.useAsyncCommit)) {
    // A secondary fell back to two-phase commit: the primary decides, like any two-phase transaction.
    w.count('async commit resolved: forced sync');
    yield;
    const status = w.run(checkTxnStatus, {
      primaryKey,
      lockTs: primaryLock.startTs,
      callerStartTs: TIMESTAMP_ZERO,
      currentTs: w.tso(),
      rollbackIfNotExist: true,
      forceSyncCommit: true,
    });
    if (status.code === 'COMMITTED') yield* resolveKeys(w, all, primaryLock.startTs, status.commitTs);
    else if (status.code === 'ROLLED_BACK') yield* resolveKeys(w, all, primaryLock.startTs, TIMESTAMP_ZERO);
    else return 'wait';
  } else {
    w.count('async commit resolved: committed from locks');
    let commitTs = primaryLock.minCommitTs;
    for (const locked of checked.locks) commitTs = maxTimestamp(commitTs, locked.lock.minCommitTs);
    yield* resolveKeys(w, all, primaryLock.startTs, commitTs);
  }
  return 'resolved';
}

/** Runs a generator to its end, for the final sweep where nothing else interleaves. */
export function drive<T>(generator: Generator<void, T>): T {
  for (;;) {
    const step = generator.next();
    if (step.done === true) return step.value;
  }
}

