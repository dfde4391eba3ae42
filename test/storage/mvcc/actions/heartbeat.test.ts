// Proves that a heartbeat raises a primary lock's TTL (never lowers it) and that a transaction whose
// primary lock is gone gets TXN_NOT_FOUND; a raised TTL keeps check-transaction-status from rolling
// the lock back.
import t from 'tap';
import { Harness, bytes, ts } from '../harness.js';
import { heartbeat } from '../../../../storage/mvcc/actions/heartbeat.js';
import { checkTxnStatus } from '../../../../storage/mvcc/actions/check-txn-status.js';
import { composeTimestamp } from '../../../../storage/mvcc/timestamp.js';

t.test('heartbeat extends, never shrinks, and needs the lock', async (t) => {
  const h = new Harness();
  const start = composeTimestamp(1000, 0);
  h.mustPrewritePut(t, 'k', 'v', 'k', start, { lockTtlMs: 100 });
  t.same(h.run(heartbeat, { primaryKey: bytes('k'), startTs: start, adviseTtlMs: 500 }), { code: 'OK', ttlMs: 500 });
  const smaller = h.runCounting(heartbeat, { primaryKey: bytes('k'), startTs: start, adviseTtlMs: 200 });
  t.same(smaller.result, { code: 'OK', ttlMs: 500 });
  t.equal(smaller.records, 0);
  const status = h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(0), currentTs: composeTimestamp(1300, 0), rollbackIfNotExist: true });
  t.equal(status.code, 'LOCKED', 'alive at 300 ms thanks to the heartbeat');
  t.match(h.run(heartbeat, { primaryKey: bytes('k'), startTs: ts(start + 1), adviseTtlMs: 500 }), { code: 'TXN_NOT_FOUND' });
  h.mustCommit(t, 'k', start, start + 10);
  t.match(h.run(heartbeat, { primaryKey: bytes('k'), startTs: start, adviseTtlMs: 900 }), { code: 'TXN_NOT_FOUND' });
});
