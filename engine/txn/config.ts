// The transaction coordinator's knobs, each with what it trades and when a value is safe, and the
// check that a configuration is coherent (checked once, when a TransactionManager is made).
//
// Invariants checked: every duration is a positive integer; heartbeatIntervalMs <= lockTtlMs / 2, so
// that a lock held longer than half its TTL is extended before it runs out; the backoff bounds are
// ordered; batch sizes are positive, and a scan page is within the MVCC scan limit.

import { SCAN_LIMIT_MAX } from '../../storage/mvcc/index.js';
import { TxnError } from './errors.js';

/** Where the coordinator may stop (a test hook, see TxnConfig.failpoint). */
export type FailpointName = 'after-prewrite' | 'after-primary-commit' | 'between-secondaries';

/**
 * A test hook that stands for "the coordinator's process stops here". Called at each point; if it
 * throws, the coordinator abandons the transaction at once, exactly as a crashed process would: no
 * rollback, no further commit, heartbeats stopped, and commit() rejects with the thrown error. If it
 * returns a promise, the coordinator waits for it first (a test pauses a commit there). Never set in
 * production.
 */
export type Failpoint = (point: FailpointName) => void | Promise<void>;

export interface TxnConfig {
  /**
   * How long a lock stays alive without a heartbeat, counted (as TiKV counts) from the physical part of
   * the transaction's start timestamp; the coordinator adds the time the transaction has already run
   * when it writes a lock. Short: a crashed coordinator's locks block others for less time. Long: fewer
   * heartbeats, and a slow coordinator is less likely to be rolled back under its feet. 3 s is TiDB's
   * default for small transactions.
   */
  readonly lockTtlMs: number;
  /**
   * How often a transaction whose locks have been held longer than lockTtlMs / 2 extends its primary
   * lock. Must be at most lockTtlMs / 2, so the first extension comes before the TTL runs out.
   */
  readonly heartbeatIntervalMs: number;
  /**
   * The longest a request waits for other transactions' locks (reads, row locks, prewrite) before
   * failing with 55P03. 10 s, not InnoDB's 50 s nor PostgreSQL's "forever": deadlocks are found by
   * the detector at once, so this only catches a holder that is alive but slow, and an OLTP statement
   * stuck 10 s behind one is better reported than left hanging (a client that wants to wait retries).
   */
  readonly lockWaitTimeoutMs: number;
  /** Commit small transactions in one round of prewrites (no separate primary commit). */
  readonly asyncCommit: boolean;
  /** The most keys an async-commit transaction may write: its primary lock lists them all. */
  readonly asyncCommitKeysMax: number;
  /** Commit with one prewrite when every key falls in one range. */
  readonly onePc: boolean;
  /** The first wait after meeting a live lock; each further wait doubles, up to backoffMaxMs. */
  readonly backoffBaseMs: number;
  /** The longest single wait between retries (jitter is added below it, never above). */
  readonly backoffMaxMs: number;
  /** The most keys one commit request carries; secondaries are committed in batches of this size. */
  readonly commitBatchKeysMax: number;
  /** The most pairs one scan request fetches; a longer scan pages. */
  readonly scanBatchPairsMax: number;
  /** The most keys a transaction may write (or lock); more fails with 54000 before anything is sent. */
  readonly writeKeysMax: number;
  /** Resolved transaction outcomes remembered per manager (a lock met twice is resolved without asking). */
  readonly statusCacheEntriesMax: number;
  /** See Failpoint: a test hook, undefined in production. */
  readonly failpoint?: Failpoint | undefined;
}

export const TXN_CONFIG_DEFAULTS: TxnConfig = {
  lockTtlMs: 3000,
  heartbeatIntervalMs: 1000,
  lockWaitTimeoutMs: 10_000,
  asyncCommit: true,
  asyncCommitKeysMax: 256,
  onePc: true,
  backoffBaseMs: 2,
  backoffMaxMs: 500,
  commitBatchKeysMax: 4096,
  scanBatchPairsMax: 256,
  writeKeysMax: 300_000,
  statusCacheEntriesMax: 2048,
  failpoint: undefined,
};

/** The defaults overridden by `overrides`, checked. */
export function makeTxnConfig(overrides: Partial<TxnConfig> = {}): TxnConfig {
  const config: TxnConfig = { ...TXN_CONFIG_DEFAULTS, ...withoutUndefined(overrides) };
  const positive: (keyof TxnConfig)[] = [
    'lockTtlMs',
    'heartbeatIntervalMs',
    'lockWaitTimeoutMs',
    'asyncCommitKeysMax',
    'backoffBaseMs',
    'backoffMaxMs',
    'commitBatchKeysMax',
    'scanBatchPairsMax',
    'writeKeysMax',
    'statusCacheEntriesMax',
  ];
  for (const name of positive) {
    const value = config[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new TxnError('INVALID_ARGUMENT', `TxnConfig.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  if (config.heartbeatIntervalMs * 2 > config.lockTtlMs) {
    throw new TxnError(
      'INVALID_ARGUMENT',
      `TxnConfig.heartbeatIntervalMs (${config.heartbeatIntervalMs}) must be at most half of lockTtlMs (${config.lockTtlMs})`,
    );
  }
  if (config.scanBatchPairsMax > SCAN_LIMIT_MAX) {
    throw new TxnError('INVALID_ARGUMENT', `TxnConfig.scanBatchPairsMax (${config.scanBatchPairsMax}) is above the scan limit ${SCAN_LIMIT_MAX}`);
  }
  if (config.backoffBaseMs > config.backoffMaxMs) {
    throw new TxnError('INVALID_ARGUMENT', `TxnConfig.backoffBaseMs (${config.backoffBaseMs}) is above backoffMaxMs (${config.backoffMaxMs})`);
  }
  return config;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
