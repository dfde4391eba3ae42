// The transaction coordinator in one import: TransactionManager and Transaction, their options and
// configuration, and the errors they report (with SQLSTATEs).
export { TransactionManager, type TransactionManagerDeps } from './transaction-manager.js';
export { Transaction, type IsolationLevel, type Savepoint, type ScanOptions, type TxnOptions, type TxnWrite } from './transaction.js';
export { type Failpoint, type FailpointName, TXN_CONFIG_DEFAULTS, type TxnConfig, makeTxnConfig } from './config.js';
export { TXN_ERROR_SQLSTATES, TxnError, type TxnErrorCode, type TxnSqlState, isTxnError } from './errors.js';
