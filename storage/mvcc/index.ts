// The MVCC layer in one import: timestamps, the key layout of the three families, the Lock and Write
// records, reads at a timestamp, and the Percolator actions. See each file's header for its format and
// invariants, and actions/common.ts for what every action asks of its caller.
export * from './timestamp.js';
export * from './keys.js';
export * from './records.js';
export * from './results.js';
export * from './snapshot.js';
export * from './reader.js';
export * from './scanner.js';
export * from './read-set.js';
export * from './actions/prewrite.js';
export * from './actions/acquire-pessimistic-lock.js';
export * from './actions/commit.js';
export * from './actions/rollback.js';
export * from './actions/check-txn-status.js';
export * from './actions/check-secondary-locks.js';
export * from './actions/resolve-lock.js';
export * from './actions/heartbeat.js';
export * from './actions/gc.js';
