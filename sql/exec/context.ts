// What every operator of one statement's execution shares: the memory budget (work_mem), cancellation
// (statement_timeout, a client's CancelRequest), and the batch size.
//
// Operators pass batches of rows — never one row per await — and check for cancellation once per batch,
// so a cancelled or timed-out statement stops within one batch's work.

import type { Clock, TimerHandle } from '../../storage/env/clock.js';
import { ReefSqlError, SqlState } from '../errors.js';
import type { Datum } from '../types/datum.js';

/** A row: one datum per output column. */
export type Row = Datum[];

/** Rows per batch operators aim for (a batch may be shorter; an empty batch is never returned). */
export const BATCH_ROWS = 1024;

/**
 * Memory one statement's operators may hold at once, PostgreSQL's work_mem applied per statement (not
 * per operator: simpler to reason about and never more than the user allowed). Operators reserve before
 * they keep rows and release when they drop them; a reservation past the limit throws 53200 with a hint,
 * so the process never runs out of memory on a large sort or hash table.
 */
export class MemoryBudget {
  private usedBytes = 0;
  private peakBytes = 0;

  constructor(readonly limitBytes: number) {
    if (!(limitBytes > 0)) throw new RangeError(`memory budget of ${limitBytes} bytes`);
  }

  get used(): number {
    return this.usedBytes;
  }

  get peak(): number {
    return this.peakBytes;
  }

  /** Reserves `bytes`, or throws 53200 when the statement would pass its limit. */
  reserve(bytes: number, what: string): void {
    if (this.usedBytes + bytes > this.limitBytes) {
      throw new ReefSqlError(SqlState.OUT_OF_MEMORY, `${what} needs more memory than work_mem allows (${Math.ceil(this.limitBytes / 1024)}kB)`, {
        hint: 'Raise work_mem (SET work_mem = …), or make the query keep less at once (add a LIMIT, a narrower select list or a more selective WHERE).',
      });
    }
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
  }

  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}

/** An estimate of the memory a row takes (JS objects cost more than their bytes; this errs high). */
export function estimateRowBytes(row: Row): number {
  let bytes = 16 + 8 * row.length;
  for (const value of row) {
    if (value === null || typeof value === 'boolean' || typeof value === 'number') continue;
    if (typeof value === 'string') bytes += 16 + 2 * value.length;
    else if (typeof value === 'bigint') bytes += 24;
    else if (value instanceof Uint8Array) bytes += 64 + value.byteLength;
    else bytes += 64;
  }
  return bytes;
}

export type CancelReason = 'statement timeout' | 'user request';

export class ExecContext {
  private cancelled: CancelReason | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    readonly budget: MemoryBudget,
    readonly clock: Clock,
    options: { readonly statementTimeoutMs?: number } = {},
  ) {
    const timeoutMs = options.statementTimeoutMs ?? 0;
    if (timeoutMs > 0) this.timer = clock.setTimer(timeoutMs, () => this.cancel('statement timeout'));
  }

  cancel(reason: CancelReason): void {
    this.cancelled ??= reason;
  }

  /** Throws 57014 when the statement was cancelled (PostgreSQL's messages). */
  checkCancel(): void {
    if (this.cancelled === undefined) return;
    const message = this.cancelled === 'statement timeout' ? 'canceling statement due to statement timeout' : 'canceling statement due to user request';
    throw new ReefSqlError(SqlState.QUERY_CANCELED, message);
  }

  /** Call when the statement ends (its timer must not outlive it). */
  finish(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
