// The errors a transaction reports to its caller, each with the PostgreSQL SQLSTATE the SQL edge sends
// to the client. Conflicts and waits that the MVCC layer answers as values (results.ts) become one of
// these here; everything else a caller can act on has a code, so callers switch on `code` and never
// parse messages.
//
// Invariant: every code has exactly one SQLSTATE (TXN_ERROR_SQLSTATES), so a retry loop can test
// either. Retryable codes (a fresh transaction may well succeed): SERIALIZATION_FAILURE (40001) and
// DEADLOCK_DETECTED (40P01), PostgreSQL's "class 40: transaction rollback", as clients expect.
// Thrown errors that are not TxnErrors (a KvClient that cannot reach the cluster, a broken invariant)
// pass through unchanged: they are not the caller's to handle as conflicts.

export type TxnErrorCode =
  /** A concurrent transaction changed what this one read or wrote: retry the transaction. */
  | 'SERIALIZATION_FAILURE'
  /** This transaction was chosen as the victim of a lock-wait cycle: retry it. */
  | 'DEADLOCK_DETECTED'
  /** A lock did not go away within the lock wait timeout. */
  | 'LOCK_NOT_AVAILABLE'
  /** An insert met a live value. */
  | 'UNIQUE_VIOLATION'
  /** The transaction has committed, rolled back, or failed, and takes no more requests. */
  | 'TRANSACTION_CLOSED'
  /** A write in a read-only transaction. */
  | 'READ_ONLY'
  /** The commit may or may not have happened (the primary's outcome could not be learned). */
  | 'AMBIGUOUS_COMMIT'
  /** The transaction buffered more writes than TxnConfig.writeKeysMax allows. */
  | 'TRANSACTION_TOO_LARGE'
  /** A key outside the user key space, or another argument the API refuses. */
  | 'INVALID_ARGUMENT'
  /** The transaction manager was closed. */
  | 'SHUTTING_DOWN';

export const TXN_ERROR_SQLSTATES = {
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  LOCK_NOT_AVAILABLE: '55P03',
  UNIQUE_VIOLATION: '23505',
  TRANSACTION_CLOSED: '25P02',
  READ_ONLY: '25006',
  AMBIGUOUS_COMMIT: '40003',
  TRANSACTION_TOO_LARGE: '54000',
  INVALID_ARGUMENT: '22023',
  SHUTTING_DOWN: '57P01',
} as const satisfies Record<TxnErrorCode, string>;

export type TxnSqlState = (typeof TXN_ERROR_SQLSTATES)[TxnErrorCode];

export class TxnError extends Error {
  readonly code: TxnErrorCode;
  readonly sqlstate: TxnSqlState;
  /** PostgreSQL's DETAIL line: what was in the way (a key, a conflicting transaction). */
  readonly detail: string | undefined;

  constructor(code: TxnErrorCode, message: string, options: { detail?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TxnError';
    this.code = code;
    this.sqlstate = TXN_ERROR_SQLSTATES[code];
    this.detail = options.detail;
  }

  /** True for the errors after which running the whole transaction again may succeed. */
  get retryable(): boolean {
    return this.code === 'SERIALIZATION_FAILURE' || this.code === 'DEADLOCK_DETECTED';
  }
}

/** True when `error` is a TxnError with one of `codes` (any code when none are given). */
export function isTxnError(error: unknown, ...codes: TxnErrorCode[]): error is TxnError {
  return error instanceof TxnError && (codes.length === 0 || codes.includes(error.code));
}

/** Stops the process's work on a broken invariant of the coordinator (TigerBeetle's assert). */
export function assertTxn(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`engine/txn invariant broken: ${message}`);
}

/** A key for messages: printable ASCII as is, the rest as \xNN. */
export function formatKey(key: Uint8Array): string {
  let text = '';
  for (const byte of key) text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return text;
}
