// A session's transaction block, with PostgreSQL 15's rules: BEGIN / START TRANSACTION, COMMIT, ROLLBACK,
// SAVEPOINT, RELEASE, ROLLBACK TO, SET TRANSACTION, implicit single-statement transactions, and the
// aborted state after an error ("current transaction is aborted, commands ignored until end of
// transaction block", 25P02), which only ROLLBACK, COMMIT (which then rolls back) or ROLLBACK TO a
// savepoint leave. SET is undone when its transaction rolls back, SET LOCAL when it ends either way.
//
// Status letters are ReadyForQuery's: 'I' idle (no block), 'T' in a block, 'E' in a failed block.
// Notices PostgreSQL raises as WARNINGs (BEGIN inside a block, COMMIT outside one) are returned, not
// thrown. The KV transaction starts lazily, at the first statement that needs one, so the snapshot of
// a REPEATABLE READ block is taken at its first query, as in PostgreSQL.

import type { IsolationLevel, Savepoint, Transaction, TransactionManager } from '../../engine/txn/index.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { SessionSettings } from './settings.js';

export type TransactionStatus = 'I' | 'T' | 'E';

export interface Notice {
  readonly severity: 'WARNING' | 'NOTICE';
  readonly code: string;
  readonly message: string;
}

export interface BlockOptions {
  readonly isolation?: IsolationLevel | undefined;
  readonly readOnly?: boolean | undefined;
}

interface NamedSavepoint {
  readonly name: string;
  readonly savepoint: Savepoint;
  /** The session settings when the savepoint was taken (ROLLBACK TO restores them). */
  readonly settings: ReadonlyMap<string, string>;
}

const ISOLATION_BY_SETTING: Readonly<Record<string, IsolationLevel>> = {
  'read uncommitted': 'read committed',
  'read committed': 'read committed',
  'repeatable read': 'repeatable read',
  serializable: 'serializable',
};

export class TransactionBlock {
  private inBlock = false;
  private failed = false;
  private txn: Transaction | undefined;
  private options: BlockOptions = {};
  /** Whether a statement has run in the block (SET TRANSACTION must come before). */
  private queried = false;
  private savepoints: NamedSavepoint[] = [];
  /** The settings at BEGIN: a rolled-back block restores them. */
  private settingsAtBegin: ReadonlyMap<string, string> | undefined;
  /** Parameters changed by SET LOCAL in this block, with their stored value before (undefined: default). */
  private localPrevious = new Map<string, string | undefined>();

  constructor(
    private readonly transactions: TransactionManager,
    private readonly settings: SessionSettings,
  ) {}

  get status(): TransactionStatus {
    if (!this.inBlock) return 'I';
    return this.failed ? 'E' : 'T';
  }

  /** BEGIN / START TRANSACTION. */
  begin(options: BlockOptions = {}): Notice[] {
    if (this.inBlock) {
      return [{ severity: 'WARNING', code: SqlState.ACTIVE_SQL_TRANSACTION, message: 'there is already a transaction in progress' }];
    }
    this.inBlock = true;
    this.failed = false;
    this.queried = false;
    this.options = options;
    this.savepoints = [];
    this.settingsAtBegin = this.settings.snapshot();
    this.localPrevious = new Map();
    return [];
  }

  /** SET TRANSACTION …: only before the block's first query. */
  setTransaction(options: BlockOptions): void {
    this.checkNotFailed();
    if (!this.inBlock) {
      throw new ReefSqlError(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'SET TRANSACTION can only be used in transaction blocks');
    }
    if (this.queried) {
      throw new ReefSqlError(SqlState.ACTIVE_SQL_TRANSACTION, 'SET TRANSACTION ISOLATION LEVEL must be called before any query');
    }
    this.options = { ...this.options, ...options };
  }

  /**
   * The KV transaction a statement runs in: the block's (started at its first query), or, outside a
   * block, a new implicit one that the caller ends with endImplicit(). Throws 25P02 in a failed block.
   */
  async transaction(): Promise<{ txn: Transaction; implicit: boolean }> {
    this.checkNotFailed();
    if (!this.inBlock) return { txn: await this.transactions.begin(this.defaultOptions()), implicit: true };
    this.queried = true;
    this.txn ??= await this.transactions.begin({ ...this.defaultOptions(), ...definedOnly(this.options) });
    return { txn: this.txn, implicit: false };
  }

  /** Ends an implicit transaction: commit when the statement succeeded, else roll back. */
  async endImplicit(txn: Transaction, succeeded: boolean): Promise<void> {
    if (succeeded) await txn.commit();
    else await txn.rollback();
  }

  /** A statement of the block failed: the block is aborted until ROLLBACK or ROLLBACK TO. */
  markFailed(): void {
    if (this.inBlock) this.failed = true;
  }

  /** COMMIT / END. In a failed block it rolls back; its command tag is then ROLLBACK. */
  async commit(): Promise<{ tag: 'COMMIT' | 'ROLLBACK'; notices: Notice[] }> {
    if (!this.inBlock) {
      return { tag: 'COMMIT', notices: [{ severity: 'WARNING', code: SqlState.NO_ACTIVE_SQL_TRANSACTION, message: 'there is no transaction in progress' }] };
    }
    if (this.failed) {
      await this.rollback();
      return { tag: 'ROLLBACK', notices: [] };
    }
    const txn = this.txn;
    try {
      if (txn !== undefined) await txn.commit();
    } catch (error) {
      // A failed commit ends the block rolled back (the transaction layer already released everything).
      this.endBlock(false);
      throw error;
    }
    this.endBlock(true);
    return { tag: 'COMMIT', notices: [] };
  }

  /** ROLLBACK / ABORT. */
  async rollback(): Promise<Notice[]> {
    if (!this.inBlock) return [{ severity: 'WARNING', code: SqlState.NO_ACTIVE_SQL_TRANSACTION, message: 'there is no transaction in progress' }];
    const txn = this.txn;
    this.endBlock(false);
    if (txn !== undefined) await txn.rollback();
    return [];
  }

  /** SAVEPOINT name. */
  async savepoint(name: string): Promise<void> {
    if (!this.inBlock) throw new ReefSqlError(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'SAVEPOINT can only be used in transaction blocks');
    this.checkNotFailed();
    const { txn } = await this.transaction();
    this.savepoints.push({ name, savepoint: await txn.savepoint(), settings: this.settings.snapshot() });
  }

  /** RELEASE [SAVEPOINT] name: forgets it and every later savepoint. */
  async releaseSavepoint(name: string): Promise<void> {
    if (!this.inBlock) throw new ReefSqlError(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'RELEASE SAVEPOINT can only be used in transaction blocks');
    this.checkNotFailed();
    const index = this.findSavepoint(name);
    await this.txn!.releaseSavepoint(this.savepoints[index]!.savepoint);
    this.savepoints.length = index;
  }

  /** ROLLBACK TO [SAVEPOINT] name: undoes what followed it and leaves the failed state; it stays. */
  async rollbackToSavepoint(name: string): Promise<void> {
    if (!this.inBlock) throw new ReefSqlError(SqlState.NO_ACTIVE_SQL_TRANSACTION, 'ROLLBACK TO SAVEPOINT can only be used in transaction blocks');
    const index = this.findSavepoint(name);
    const target = this.savepoints[index]!;
    await this.txn!.rollbackToSavepoint(target.savepoint);
    this.savepoints.length = index + 1;
    this.settings.restore(target.settings);
    this.failed = false;
  }

  /** SET LOCAL: the change lasts until the block ends (outside a block PostgreSQL warns and ignores it). */
  setLocal(name: string, value: string): Notice[] {
    if (!this.inBlock) {
      return [{ severity: 'WARNING', code: SqlState.NO_ACTIVE_SQL_TRANSACTION, message: 'SET LOCAL can only be used in transaction blocks' }];
    }
    const canonical = SessionSettings.canonicalName(name);
    if (!this.localPrevious.has(canonical)) this.localPrevious.set(canonical, this.settings.snapshot().get(canonical));
    this.settings.set(name, value);
    return [];
  }

  private findSavepoint(name: string): number {
    for (let index = this.savepoints.length - 1; index >= 0; index--) if (this.savepoints[index]!.name === name) return index;
    throw new ReefSqlError(SqlState.INVALID_SAVEPOINT_SPECIFICATION, `savepoint "${name}" does not exist`);
  }

  private checkNotFailed(): void {
    if (this.failed) {
      throw new ReefSqlError(SqlState.IN_FAILED_SQL_TRANSACTION, 'current transaction is aborted, commands ignored until end of transaction block');
    }
  }

  private defaultOptions(): { isolation: IsolationLevel; readOnly: boolean } {
    return {
      isolation: ISOLATION_BY_SETTING[this.settings.raw('default_transaction_isolation')] ?? 'read committed',
      readOnly: this.settings.boolean('default_transaction_read_only'),
    };
  }

  private endBlock(committed: boolean): void {
    if (!committed && this.settingsAtBegin !== undefined) {
      this.settings.restore(this.settingsAtBegin);
    } else if (this.localPrevious.size > 0) {
      const values = new Map(this.settings.snapshot());
      for (const [name, previous] of this.localPrevious) {
        if (previous === undefined) values.delete(name);
        else values.set(name, previous);
      }
      this.settings.restore(values);
    }
    this.inBlock = false;
    this.failed = false;
    this.txn = undefined;
    this.savepoints = [];
    this.settingsAtBegin = undefined;
    this.localPrevious = new Map();
    this.options = {};
  }
}

function definedOnly(options: BlockOptions): BlockOptions {
  const out: { isolation?: IsolationLevel; readOnly?: boolean } = {};
  if (options.isolation !== undefined) out.isolation = options.isolation;
  if (options.readOnly !== undefined) out.readOnly = options.readOnly;
  return out;
}
