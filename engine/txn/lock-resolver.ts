// The lock resolver (TiDB client-go's LockResolver): what a reader or writer does with the locks of
// other transactions that a request met (KEY_IS_LOCKED). Each lock belongs to a transaction whose fate
// is decided by its primary key, so the resolver asks the primaries and acts:
//
//   check-txn-status on the primary (callerStartTs = the caller's read timestamp, 0 for writers;
//   currentTs = a fresh oracle timestamp; rollbackIfNotExist once the lock's TTL is over, because
//   before that a missing primary lock may be a prewrite still on its way)
//     COMMITTED            -> commit the locks met at that timestamp
//     ROLLED_BACK          -> roll them back (the status call may just have rolled an expired primary back)
//     LOCKED, async commit -> while the primary's TTL lasts, wait; after it, decide from the secondaries
//                             (check-secondary-locks): any committed -> committed there; any rolled back
//                             or missing -> rolled back; all locked with async commit -> committed at the
//                             largest minCommitTs; one locked without async commit (its prewrite fell
//                             back to two phases) -> ask the primary again with forceSyncCommit.
//                             Waiting first is TiKV's rule: checking secondaries of a live transaction
//                             would roll back those whose prewrite is still in flight.
//     LOCKED, pushed       -> a reader may read past it (the transaction commits above its read ts):
//                             the start timestamp goes into the caller's bypass set
//     LOCKED otherwise, TXN_NOT_FOUND -> pending: the caller waits (backoff) and retries
//
// Batching: one status call per transaction met (they go in parallel), then one resolveLock request
// carrying every decided transaction and every key to resolve (the KV client splits it by range).
// An async-commit transaction decided from its secondaries is resolved on all its keys at once, so no
// other reader pays for it again. Decided outcomes are cached per manager (status-cache.ts).

import type { KvClient, TimestampSource } from '../../cluster/kv/kv-client.js';
import {
  type Lock,
  type LockedKey,
  TIMESTAMP_ZERO,
  type Timestamp,
  maxTimestamp,
  physicalMsOf,
} from '../../storage/mvcc/index.js';
// The TTL rule itself, so that the resolver and check-txn-status never disagree on "expired".
import { isLockExpired } from '../../storage/mvcc/actions/common.js';
import { assertTxn, formatKey } from './errors.js';
import { keyString } from './keys.js';
import type { TxnOutcome, TxnStatusCache } from './status-cache.js';

export interface ResolveOutcome {
  /** Transactions the caller may read past: each commits above its read timestamp, if at all. */
  readonly bypass: readonly Timestamp[];
  /** Locks of transactions still running: the caller waits and retries. */
  readonly pending: readonly LockedKey[];
  /** How long until the first pending lock's TTL runs out (a hint for the wait); undefined if none pending. */
  readonly msBeforeExpiry: number | undefined;
}

type Decision =
  | { readonly kind: 'decided'; readonly outcome: TxnOutcome; readonly extraKeys?: readonly Uint8Array[] }
  | { readonly kind: 'bypass' }
  | { readonly kind: 'pending'; readonly msBeforeExpiry: number };

interface TxnLocks {
  readonly startTs: Timestamp;
  readonly lock: Lock;
  readonly keys: Uint8Array[];
}

export class LockResolver {
  constructor(
    private readonly kv: KvClient,
    private readonly tso: TimestampSource,
    private readonly cache: TxnStatusCache,
  ) {}

  /**
   * Resolves what can be resolved of `locks`, met by a caller reading at `callerTs` (TIMESTAMP_ZERO for
   * a writer, which gains nothing from pushing a commit timestamp). Locks of `ownStartTs` are skipped.
   */
  async resolve(locks: readonly LockedKey[], callerTs: Timestamp, ownStartTs: Timestamp): Promise<ResolveOutcome> {
    const byTxn = new Map<Timestamp, TxnLocks>();
    for (const { key, lock } of locks) {
      if (lock.startTs === ownStartTs) continue;
      let group = byTxn.get(lock.startTs);
      if (group === undefined) {
        group = { startTs: lock.startTs, lock, keys: [] };
        byTxn.set(lock.startTs, group);
      }
      group.keys.push(key);
    }
    if (byTxn.size === 0) return { bypass: [], pending: [], msBeforeExpiry: undefined };

    const needsCheck = [...byTxn.values()].some((group) => this.cache.get(group.startTs) === undefined);
    const currentTs = needsCheck ? await this.tso.now() : TIMESTAMP_ZERO;
    const groups = [...byTxn.values()];
    const decisions = await Promise.all(
      groups.map(async (group): Promise<Decision> => {
        const cached = this.cache.get(group.startTs);
        if (cached !== undefined) return { kind: 'decided', outcome: cached };
        return this.decide(group, callerTs, currentTs);
      }),
    );

    const bypass: Timestamp[] = [];
    const pending: LockedKey[] = [];
    let msBeforeExpiry: number | undefined;
    const txnStatus = new Map<Timestamp, Timestamp>();
    const keysToResolve = new Map<string, Uint8Array>();
    groups.forEach((group, index) => {
      const decision = decisions[index]!;
      if (decision.kind === 'bypass') {
        bypass.push(group.startTs);
      } else if (decision.kind === 'pending') {
        for (const key of group.keys) pending.push({ key, lock: group.lock });
        msBeforeExpiry = Math.min(msBeforeExpiry ?? Infinity, decision.msBeforeExpiry);
      } else {
        this.cache.set(group.startTs, decision.outcome);
        txnStatus.set(group.startTs, decision.outcome.kind === 'committed' ? decision.outcome.commitTs : TIMESTAMP_ZERO);
        for (const key of [...group.keys, ...(decision.extraKeys ?? [])]) keysToResolve.set(keyString(key), key);
      }
    });
    if (keysToResolve.size > 0) {
      const result = await this.kv.resolveLock({ txnStatus, keys: [...keysToResolve.values()] });
      // A decided outcome is final, so a commit timestamp below a lock's minimum means the outcome
      // given was wrong: a bug, not a conflict.
      assertTxn(result.code === 'OK', `resolveLock: ${result.code === 'OK' ? '' : `${result.code} on ${formatKey(result.key)}`}`);
    }
    return { bypass, pending, msBeforeExpiry };
  }

  private async decide(group: TxnLocks, callerTs: Timestamp, currentTs: Timestamp): Promise<Decision> {
    const { lock, startTs } = group;
    const status = await this.kv.checkTxnStatus({
      primaryKey: lock.primary,
      lockTs: startTs,
      callerStartTs: callerTs,
      currentTs,
      rollbackIfNotExist: isLockExpired(lock, currentTs),
    });
    switch (status.code) {
      case 'COMMITTED':
        return { kind: 'decided', outcome: { kind: 'committed', commitTs: status.commitTs } };
      case 'ROLLED_BACK':
        return { kind: 'decided', outcome: { kind: 'rolled-back' } };
      case 'TXN_NOT_FOUND':
        return { kind: 'pending', msBeforeExpiry: msBeforeExpiry(lock, currentTs) };
      case 'LOCKED': {
        const primaryLock = status.lock;
        if (primaryLock.useAsyncCommit) {
          if (!isLockExpired(primaryLock, currentTs)) return { kind: 'pending', msBeforeExpiry: msBeforeExpiry(primaryLock, currentTs) };
          return this.decideAsyncCommit(lock.primary, primaryLock, currentTs);
        }
        if (status.minCommitTsPushed && callerTs !== TIMESTAMP_ZERO) return { kind: 'bypass' };
        return { kind: 'pending', msBeforeExpiry: msBeforeExpiry(primaryLock, currentTs) };
      }
    }
  }

  /** Decides an async-commit transaction whose primary lock outlived its TTL, from its secondaries. */
  private async decideAsyncCommit(primaryKey: Uint8Array, primaryLock: Lock, currentTs: Timestamp): Promise<Decision> {
    const secondaries = primaryLock.secondaries ?? [];
    const allKeys = [primaryKey, ...secondaries];
    let checked: Awaited<ReturnType<KvClient['checkSecondaryLocks']>> = { code: 'LOCKED', locks: [] };
    if (secondaries.length > 0) checked = await this.kv.checkSecondaryLocks({ keys: secondaries, startTs: primaryLock.startTs });
    switch (checked.code) {
      case 'COMMITTED':
        return { kind: 'decided', outcome: { kind: 'committed', commitTs: checked.commitTs }, extraKeys: allKeys };
      case 'ROLLED_BACK':
        return { kind: 'decided', outcome: { kind: 'rolled-back' }, extraKeys: allKeys };
      case 'LOCKED':
        break;
    }
    if (checked.locks.some((locked) => !locked.lock.useAsyncCommit)) {
      // A part of the prewrite fell back to two phases: the primary is the commit point after all.
      const status = await this.kv.checkTxnStatus({
        primaryKey,
        lockTs: primaryLock.startTs,
        callerStartTs: TIMESTAMP_ZERO,
        currentTs,
        rollbackIfNotExist: true,
        forceSyncCommit: true,
      });
      if (status.code === 'COMMITTED') return { kind: 'decided', outcome: { kind: 'committed', commitTs: status.commitTs }, extraKeys: allKeys };
      if (status.code === 'ROLLED_BACK') return { kind: 'decided', outcome: { kind: 'rolled-back' }, extraKeys: allKeys };
      return { kind: 'pending', msBeforeExpiry: 1 };
    }
    assertTxn(checked.locks.length === secondaries.length, `checkSecondaryLocks reported ${checked.locks.length} of ${secondaries.length} locks`);
    let commitTs = primaryLock.minCommitTs;
    for (const locked of checked.locks) commitTs = maxTimestamp(commitTs, locked.lock.minCommitTs);
    assertTxn(commitTs > primaryLock.startTs, 'an async-commit lock without a minCommitTs above its start');
    return { kind: 'decided', outcome: { kind: 'committed', commitTs }, extraKeys: allKeys };
  }
}

/** Milliseconds until `lock`'s TTL runs out, as seen at `currentTs` (at least 1). */
function msBeforeExpiry(lock: Lock, currentTs: Timestamp): number {
  return Math.max(1, physicalMsOf(lock.startTs) + lock.ttlMs - physicalMsOf(currentTs) + 1);
}
