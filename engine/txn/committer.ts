// Committing a transaction's mutations (TiDB client-go's twoPhaseCommitter): one prewrite of every
// mutation, then one of three endings.
//
//  1PC         every key in one range (the KV client decides; `onePcCommitTs` says it happened): the
//              prewrite wrote the commit records itself. Done.
//  async commit at most asyncCommitKeysMax keys: the primary's lock lists the secondaries, each range
//              computes a minCommitTs above every read it served, and the transaction is committed
//              the moment every prewrite succeeded, at the largest of them. The caller is answered
//              then; the locks are committed in the background (a resolver that finds them first
//              reaches the same decision from the secondaries).
//  2PC         otherwise, or when a range fell back: (SERIALIZABLE: validate the read set), take a
//              commit timestamp from the oracle, commit the primary key (the commit point), answer the
//              caller, commit the secondaries in the background.
//
// Neither 1PC nor async commit is used when the read set must be validated (SERIALIZABLE with reads):
// both commit at prewrite, and validation must happen between prewrite and commit to be able to abort.
// The 2PC lock carries minCommitTs = startTs + 1 so that readers can push it above their read
// timestamp and read past it instead of waiting; the primary commit then answers COMMIT_TS_EXPIRED and
// is retried with a newer timestamp.
//
// Failures before the commit point are thrown as TxnErrors and the caller (transaction.ts) rolls the
// transaction back. After it nothing is rolled back. A primary commit whose outcome is unknown (the KV
// client threw) is settled by asking the primary's status; if that cannot be learned either, the
// error is AMBIGUOUS_COMMIT (40003) and the transaction is left to resolvers (its locks expire).
//
// Failpoints (config.ts): 'after-prewrite', 'after-primary-commit' (2PC only), 'between-secondaries'
// (between two background commit batches). A failpoint that throws abandons the transaction on the
// spot: AbandonedError carries its error out, and nothing else is sent.

import type { KvClient, TimestampSource } from '../../cluster/kv/kv-client.js';
import {
  type PrewriteMutation,
  type PrewriteRequest,
  TIMESTAMP_ZERO,
  type Timestamp,
  formatTimestamp,
} from '../../storage/mvcc/index.js';
import type { Clock } from '../../storage/env/clock.js';
import type { FailpointName, TxnConfig } from './config.js';
import { TxnError, assertTxn, formatKey } from './errors.js';
import { Heartbeat } from './heartbeat.js';
import { keyString } from './keys.js';
import { type LockWaitDeps, withLockWait } from './lock-wait.js';
import type { ReadSetRecorder } from './read-set-recorder.js';

/** How many times a primary commit is retried after COMMIT_TS_EXPIRED or an unknown outcome. */
const PRIMARY_COMMIT_ATTEMPTS_MAX = 16;

/** A failpoint threw: the coordinator "died" there. `cause` is what the failpoint threw. */
export class AbandonedError extends Error {
  constructor(readonly point: FailpointName, cause: unknown) {
    super(`transaction abandoned at failpoint ${point}`, { cause });
    this.name = 'AbandonedError';
  }
}

export interface CommitterDeps extends LockWaitDeps {
  readonly kv: KvClient;
  readonly tso: TimestampSource;
  readonly clock: Clock;
  readonly config: TxnConfig;
  readonly heartbeat: Heartbeat;
  /** Hands background work (secondary commits) to the manager, which waits for it on close. */
  readonly track: (work: Promise<unknown>) => void;
  readonly failpoint: ((point: FailpointName) => void | Promise<void>) | undefined;
  /**
   * Called when the prewrite is about to be sent: from then on a rollback must cover every mutation.
   * `commitsAtPrewrite` says whether the prewrite itself may commit (1PC or async commit), so that a
   * prewrite whose answer was lost may have committed.
   */
  readonly onPrewriteSent: (commitsAtPrewrite: boolean) => void;
}

export interface CommitPlan {
  readonly startTs: Timestamp;
  /** Every mutation, sorted by key, distinct keys. */
  readonly mutations: readonly PrewriteMutation[];
  readonly primary: Uint8Array;
  /** Set when the transaction holds pessimistic locks: the largest forUpdateTs they were taken at. */
  readonly forUpdateTs: Timestamp | undefined;
  /** SERIALIZABLE's reads, validated after prewrite; undefined or empty means no validation. */
  readonly readSet: ReadSetRecorder | undefined;
}

/** Commits `plan`; returns the commit timestamp. See the file comment for what happens on failure. */
export async function commitMutations(deps: CommitterDeps, plan: CommitPlan): Promise<Timestamp> {
  const { kv, config } = deps;
  const { startTs, mutations, primary } = plan;
  assertTxn(mutations.length > 0, 'commitMutations needs mutations');
  assertTxn(
    mutations.some((mutation) => keyString(mutation.key) === keyString(primary)),
    `the primary "${formatKey(primary)}" is not among the mutations`,
  );
  const validate = plan.readSet !== undefined && !plan.readSet.isEmpty;
  const useAsyncCommit = config.asyncCommit && !validate && mutations.length <= config.asyncCommitKeysMax;
  const tryOnePc = config.onePc && !validate;
  const primaryText = keyString(primary);
  const secondaries = mutations.filter((mutation) => keyString(mutation.key) !== primaryText).map((mutation) => mutation.key);

  const request = (): PrewriteRequest => ({
    mutations,
    primary,
    startTs,
    lockTtlMs: Heartbeat.ttlMsFor(deps.clock, config, startTs),
    txnSize: mutations.length,
    forUpdateTs: plan.forUpdateTs,
    minCommitTs: (startTs + 1) as Timestamp,
    asyncCommit: useAsyncCommit ? { secondaries } : undefined,
  });
  deps.onPrewriteSent(useAsyncCommit || tryOnePc);
  deps.heartbeat.start();
  const result = await withLockWait(deps, { startTs, callerTs: TIMESTAMP_ZERO, holdsLocks: () => true, what: 'commit' }, async () => {
    try {
      return await kv.prewrite(request(), { tryOnePc });
    } catch (error) {
      // An async-commit transaction is committed once every key is prewritten, so a prewrite whose
      // answer was lost may have committed it, and rolling its locks back could break atomicity:
      // leave them to resolvers (which decide from the secondaries once the TTL is over).
      if (useAsyncCommit) throw new TxnError('AMBIGUOUS_COMMIT', 'the outcome of the commit is unknown', { cause: error });
      throw error;
    }
  });
  switch (result.code) {
    case 'OK':
      break;
    case 'ALREADY_COMMITTED':
      // A repeat of a prewrite whose transaction a resolver already found committed (async commit).
      deps.heartbeat.stop();
      spawnCommit(deps, startTs, [primary, ...secondaries], result.commitTs);
      return result.commitTs;
    case 'WRITE_CONFLICT':
      throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access due to concurrent update', {
        detail:
          result.reason === 'self-rolled-back'
            ? `Key "${formatKey(result.key)}": this transaction was rolled back by another one (its locks had expired).`
            : `Key "${formatKey(result.key)}" was written by transaction ${formatTimestamp(result.conflictStartTs)}, ` +
              `committed at ${formatTimestamp(result.conflictCommitTs)}, after this transaction started.`,
      });
    case 'ALREADY_EXISTS':
      throw new TxnError('UNIQUE_VIOLATION', 'duplicate key value violates unique constraint', {
        detail: `Key "${formatKey(result.key)}" already exists.`,
      });
    case 'PESSIMISTIC_LOCK_NOT_FOUND':
      throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access: the transaction was rolled back by another one', {
        detail: `The row lock on key "${formatKey(result.key)}" was released after its lock expired.`,
      });
    case 'LOCK_TYPE_NOT_MATCH':
      assertTxn(false, `prewrite of "${formatKey(result.key)}" met a lock of this transaction of another kind`);
  }

  if (result.onePcCommitTs !== undefined) {
    deps.heartbeat.stop();
    return result.onePcCommitTs;
  }
  await failpoint(deps, 'after-prewrite');

  if (useAsyncCommit && !result.fellBackToTwoPhase) {
    // Every prewrite succeeded with async commit: the transaction is committed at the largest minCommitTs.
    assertTxn(result.minCommitTs > startTs, `async commit minCommitTs ${result.minCommitTs} is not above startTs ${startTs}`);
    deps.heartbeat.stop();
    spawnCommit(deps, startTs, [primary, ...secondaries], result.minCommitTs);
    return result.minCommitTs;
  }

  if (validate) {
    const readSet = plan.readSet!;
    const checked = await kv.checkReadSet({ startTs, keys: readSet.keys(), spans: readSet.spans() });
    if (checked.code === 'READ_SET_CHANGED') {
      const by =
        checked.conflictCommitTs === undefined
          ? `is being written by transaction ${formatTimestamp(checked.conflictStartTs)}`
          : `was written by transaction ${formatTimestamp(checked.conflictStartTs)}, committed at ${formatTimestamp(checked.conflictCommitTs)}`;
      throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access due to read/write dependencies among transactions', {
        detail: `Key "${formatKey(checked.key)}", read by this transaction, ${by}.`,
      });
    }
  }

  const commitTs = await commitPrimary(deps, startTs, primary);
  deps.heartbeat.stop();
  await failpoint(deps, 'after-primary-commit');
  if (secondaries.length > 0) spawnCommit(deps, startTs, secondaries, commitTs);
  return commitTs;
}

/** Commits the primary key: the commit point of a two-phase transaction. */
async function commitPrimary(deps: CommitterDeps, startTs: Timestamp, primary: Uint8Array): Promise<Timestamp> {
  const { kv, tso } = deps;
  let commitTs = await tso.now();
  let lastError: unknown;
  for (let attempt = 0; attempt < PRIMARY_COMMIT_ATTEMPTS_MAX; attempt++) {
    let result: Awaited<ReturnType<KvClient['commit']>>;
    try {
      result = await kv.commit({ keys: [primary], startTs, commitTs });
    } catch (error) {
      lastError = error;
      const outcome = await learnOutcome(deps, startTs, primary, error);
      if (outcome !== undefined) return outcome;
      continue;
    }
    switch (result.code) {
      case 'OK':
        return commitTs;
      case 'COMMIT_TS_EXPIRED':
        // A reader pushed the lock's minCommitTs above our timestamp. A push goes to at most the
        // pusher's oracle timestamp + 1, so the oracle's next timestamp is normally above it.
        commitTs = await tso.now();
        continue;
      case 'TXN_LOCK_NOT_FOUND':
        throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access: the transaction was rolled back by another one', {
          detail: `Its primary lock on key "${formatKey(primary)}" expired and was rolled back before the commit.`,
        });
    }
  }
  if (lastError !== undefined) {
    throw new TxnError('AMBIGUOUS_COMMIT', 'the outcome of the commit is unknown', { cause: lastError });
  }
  throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access: readers kept pushing the commit timestamp', {
    detail: `${PRIMARY_COMMIT_ATTEMPTS_MAX} commit attempts of key "${formatKey(primary)}" met a newer minimum commit timestamp.`,
  });
}

/**
 * After a primary commit whose outcome is unknown: the committed timestamp, or undefined when the
 * primary is still locked (try again). Throws 40001 if it was rolled back, 40003 if nothing can be learned.
 */
async function learnOutcome(deps: CommitterDeps, startTs: Timestamp, primary: Uint8Array, cause: unknown): Promise<Timestamp | undefined> {
  let status: Awaited<ReturnType<KvClient['checkTxnStatus']>>;
  try {
    status = await deps.kv.checkTxnStatus({
      primaryKey: primary,
      lockTs: startTs,
      callerStartTs: TIMESTAMP_ZERO,
      currentTs: await deps.tso.now(),
      rollbackIfNotExist: false,
    });
  } catch (error) {
    throw new TxnError('AMBIGUOUS_COMMIT', 'the outcome of the commit is unknown', {
      detail: `Committing key "${formatKey(primary)}" failed and its status could not be read: ${String(error)}`,
      cause,
    });
  }
  switch (status.code) {
    case 'COMMITTED':
      return status.commitTs;
    case 'LOCKED':
      return undefined;
    case 'ROLLED_BACK':
      throw new TxnError('SERIALIZATION_FAILURE', 'could not serialize access: the transaction was rolled back by another one', {
        detail: `Its primary lock on key "${formatKey(primary)}" expired and was rolled back.`,
        cause,
      });
    case 'TXN_NOT_FOUND':
      throw new TxnError('AMBIGUOUS_COMMIT', 'the outcome of the commit is unknown', {
        detail: `Key "${formatKey(primary)}" holds neither the lock nor a record of this transaction.`,
        cause,
      });
  }
}

/** Commits `keys` at `commitTs` in the background, in batches, tracked by the manager. */
function spawnCommit(deps: CommitterDeps, startTs: Timestamp, keys: readonly Uint8Array[], commitTs: Timestamp): void {
  deps.track(
    (async () => {
      const batchSize = deps.config.commitBatchKeysMax;
      for (let offset = 0; offset < keys.length; offset += batchSize) {
        if (offset > 0) {
          try {
            await failpoint(deps, 'between-secondaries');
          } catch (error) {
            if (error instanceof AbandonedError) return;
            throw error;
          }
        }
        let result: Awaited<ReturnType<KvClient['commit']>>;
        try {
          result = await deps.kv.commit({ keys: keys.slice(offset, offset + batchSize), startTs, commitTs });
        } catch {
          // The transaction is committed; whoever meets the remaining locks resolves them.
          return;
        }
        // Past the commit point a secondary can be neither rolled back nor pushed: only a bug gets here.
        assertTxn(result.code === 'OK', `committing secondaries of ${formatTimestamp(startTs)} answered ${result.code}`);
      }
    })(),
  );
}

async function failpoint(deps: CommitterDeps, point: FailpointName): Promise<void> {
  if (deps.failpoint === undefined) return;
  try {
    await deps.failpoint(point);
  } catch (error) {
    throw new AbandonedError(point, error);
  }
}
