// Proves rollback's and cleanup's TiKV behaviours: the lock and its long value go and a rollback record
// stays (protected on the primary), so a late prewrite and a commit both fail; a committed transaction
// cannot be rolled back; rollback is idempotent and leaves a record even with no lock; unprotected
// rollbacks collapse, protected ones do not; a rollback whose slot holds another commit sets the
// overlapped flag; cleanup leaves a live lock alone unless told to ignore its TTL.
import t from 'tap';
import { Harness, bytes, longValue, ts } from '../harness.js';
import { cleanup, rollback } from '../../../../storage/mvcc/actions/rollback.js';
import { commit } from '../../../../storage/mvcc/actions/commit.js';
import { composeTimestamp } from '../../../../storage/mvcc/timestamp.js';

t.test('rollback removes the lock and its long value and leaves a protected record on the primary', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'p', longValue(300), 'p', 10);
  h.mustPrewritePut(t, 's', longValue(300), 'p', 10);
  t.equal(h.run(rollback, { keys: [bytes('p'), bytes('s')], startTs: ts(10), primaryKey: bytes('p') }).code, 'OK');
  t.same(h.familyCounts(), { lock: 0, write: 2, data: 0 });
  t.match(h.writeAt('p', 10), { kind: 'rollback', startTs: 10, isProtected: true });
  t.match(h.writeAt('s', 10), { kind: 'rollback', startTs: 10, isProtected: false });
  t.match(h.prewrite([{ kind: 'put', key: bytes('p'), value: bytes('x') }], 'p', 10), { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
  t.match(h.run(commit, { keys: [bytes('p')], startTs: ts(10), commitTs: ts(11) }), { code: 'TXN_LOCK_NOT_FOUND' });
});

t.test('a committed transaction cannot be rolled back', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 10, 11);
  const result = h.runCounting(rollback, { keys: [bytes('k')], startTs: ts(10), primaryKey: bytes('k') });
  t.same(result.result, { code: 'TXN_COMMITTED', key: bytes('k'), startTs: 10, commitTs: 11 });
  t.equal(result.records, 0);
  t.equal(h.get('k', 11), 'v');
});

t.test('rollback is idempotent and leaves a record when no lock is there yet', async (t) => {
  const h = new Harness();
  h.mustRollback(t, 'k', 10, 'k');
  t.match(h.writeAt('k', 10), { kind: 'rollback', isProtected: true });
  const again = h.runCounting(rollback, { keys: [bytes('k')], startTs: ts(10), primaryKey: bytes('k') });
  t.equal(again.result.code, 'OK');
  t.equal(again.records, 0);
  h.mustRollback(t, 's', 10, 'k');
  t.match(h.writeAt('s', 10), { kind: 'rollback', isProtected: false });
});

t.test('an unprotected rollback collapses the previous unprotected one, never a protected one', async (t) => {
  const h = new Harness();
  h.mustRollback(t, 'k', 10, 'elsewhere');
  h.mustRollback(t, 'k', 20, 'elsewhere');
  t.same(h.writes('k').map(([at]) => at), [20], 'the rollback at 10 collapsed');
  h.mustRollback(t, 'k', 30, 'k');
  h.mustRollback(t, 'k', 40, 'elsewhere');
  t.same(h.writes('k').map(([at]) => at), [40, 30, 20], 'the protected one at 30 stops collapsing');
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 10), { code: 'WRITE_CONFLICT' }, 'a late prewrite of a collapsed rollback still fails');
});

t.test('a rollback whose slot holds another commit record sets the overlapped flag', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 5, 10); // commits at 10
  h.mustRollback(t, 'k', 10, 'k'); // the transaction that started at 10 is rolled back
  t.match(h.writeAt('k', 10), { kind: 'put', startTs: 5, hasOverlappedRollback: true });
  t.equal(h.get('k', 10), 'v', 'the commit is still there');
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 10), { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
  t.match(h.run(commit, { keys: [bytes('k')], startTs: ts(10), commitTs: ts(12) }), { code: 'TXN_LOCK_NOT_FOUND' });
});

t.test('cleanup leaves a live lock alone and rolls back an expired one', async (t) => {
  const h = new Harness();
  const startTs = composeTimestamp(1000, 0);
  h.mustPrewritePut(t, 'k', 'v', 'k', startTs, { lockTtlMs: 100 });
  const alive = h.runCounting(cleanup, { key: bytes('k'), startTs, currentTs: composeTimestamp(1100, 0) });
  t.equal(alive.result.code, 'KEY_IS_LOCKED');
  t.equal(alive.records, 0);
  t.equal(h.run(cleanup, { key: bytes('k'), startTs, currentTs: composeTimestamp(1101, 0) }).code, 'OK');
  t.equal(h.lock('k'), undefined);
  t.match(h.writeAt('k', startTs), { kind: 'rollback', isProtected: true });

  h.mustPrewritePut(t, 'j', 'v', 'j', startTs, { lockTtlMs: 100 });
  t.equal(h.run(cleanup, { key: bytes('j'), startTs, currentTs: ts(0) }).code, 'OK', 'currentTs 0 ignores the TTL');
  t.equal(h.lock('j'), undefined);
  t.equal(h.run(cleanup, { key: bytes('never'), startTs, currentTs: ts(0) }).code, 'OK');
  t.match(h.writeAt('never', startTs), { kind: 'rollback', isProtected: true });
  h.mustPutCommitted(t, 'c', 'v', 10, 11);
  t.match(h.run(cleanup, { key: bytes('c'), startTs: ts(10), currentTs: ts(0) }), { code: 'TXN_COMMITTED', commitTs: 11 });
});
