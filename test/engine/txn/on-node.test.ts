// The coordinator's behaviour tests again, on the real stack: the same files, with openTxnTestKv
// pointed at an embedded node (routing client → ranges on Raft → LSM; support.ts, backend 'node').
// Bank invariant at every isolation level, write skew under SERIALIZABLE, coordinators that stop at
// every commit failpoint, row locks and deadlocks, a transaction's own view, the lock resolver, savepoints.
// (commit-paths.test.ts stays on the double: it asserts exact call counts and zero elapsed virtual time.)
process.env['REEF_TXN_BACKEND'] = 'node';
await import('./bank.test.js');
await import('./write-skew.test.js');
await import('./coordinator-crash.test.js');
await import('./pessimistic.test.js');
await import('./transaction.test.js');
await import('./lock-resolver.test.js');
await import('./savepoint.test.js');
