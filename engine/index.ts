// The package's public entry point (`import { KvDatabase } from 'reefdb'`): the embedded transactional
// key-value database and what its transactions report. The SQL facade joins it with the SQL engine.
export { KvDatabase, type KvDatabaseOptions, type TransactionRetryOptions } from './kv-database.js';
export {
  Transaction,
  TxnError,
  isTxnError,
  type IsolationLevel,
  type ScanOptions,
  type TxnConfig,
  type TxnErrorCode,
  type TxnOptions,
  type TxnSqlState,
} from './txn/index.js';
