// Proves commit's TiKV behaviours: the lock becomes a commit record (short value inlined, long value
// left in the data family) visible from the commit timestamp on; a repeat is a no-op; a commit after a
// rollback, or with no trace of the transaction, is TXN_LOCK_NOT_FOUND; a commit below minCommitTs is
// COMMIT_TS_EXPIRED; a leftover pessimistic lock commits as a lock record; a commit that lands on
// another transaction's rollback keeps it as the overlapped-rollback flag; a failing key fails the
// whole request.
import t from 'tap';
import { Harness, bytes, longValue, text, ts } from '../harness.js';
import { commit } from '../../../../storage/mvcc/actions/commit.js';
import { dataKey } from '../../../../storage/mvcc/keys.js';

t.test('commit turns the lock into a record visible from the commit timestamp', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10);
  h.mustPrewritePut(t, 'long', longValue(400), 'k', 10);
  h.mustCommit(t, 'k', 10, 15);
  h.mustCommit(t, 'long', 10, 15);
  t.equal(h.lock('k'), undefined);
  t.match(h.writeAt('k', 15), { kind: 'put', startTs: 10 });
  t.equal(text(h.writeAt('k', 15)!.shortValue), 'v');
  t.equal(h.writeAt('long', 15)!.shortValue, undefined);
  t.ok(h.snapshot().get(dataKey(bytes('long'), ts(10))), 'the long value stays in the data family');
  t.equal(h.get('k', 14), undefined);
  t.equal(h.get('k', 15), 'v');
  t.equal(h.get('long', 100), text(longValue(400)));
});

t.test('a repeated commit is a no-op', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 10, 15);
  const again = h.runCounting(commit, { keys: [bytes('k')], startTs: ts(10), commitTs: ts(15) });
  t.equal(again.result.code, 'OK');
  t.equal(again.records, 0);
});

t.test('a commit after a rollback, or with no trace of the transaction, fails', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10);
  h.mustRollback(t, 'k', 10);
  t.match(h.run(commit, { keys: [bytes('k')], startTs: ts(10), commitTs: ts(15) }), { code: 'TXN_LOCK_NOT_FOUND', startTs: 10, commitTs: 15 });
  t.match(h.run(commit, { keys: [bytes('never')], startTs: ts(10), commitTs: ts(15) }), { code: 'TXN_LOCK_NOT_FOUND' });
  h.mustPrewritePut(t, 'o', 'v', 'o', 20);
  t.match(h.run(commit, { keys: [bytes('o')], startTs: ts(10), commitTs: ts(25) }), { code: 'TXN_LOCK_NOT_FOUND' }, "another transaction's lock");
  t.ok(h.lock('o'), 'and it is left alone');
});

t.test('a commit below minCommitTs is expired and changes nothing', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10, { minCommitTs: ts(20) });
  t.same(h.run(commit, { keys: [bytes('k')], startTs: ts(10), commitTs: ts(19) }), { code: 'COMMIT_TS_EXPIRED', key: bytes('k'), startTs: 10, commitTs: 19, minCommitTs: 20 });
  t.ok(h.lock('k'));
  h.mustCommit(t, 'k', 10, 20);
});

t.test('a leftover pessimistic lock commits as a lock record', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 10);
  h.mustCommit(t, 'k', 10, 12);
  t.match(h.writeAt('k', 12), { kind: 'lock', startTs: 10 });
});

t.test("a commit on another transaction's rollback slot keeps that rollback", async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10);
  h.mustRollback(t, 'k', 15, 'k'); // while our lock is there, the transaction that started at 15 is rolled back on k
  h.mustCommit(t, 'k', 10, 15); // a computed commit timestamp equal to that start timestamp
  t.match(h.writeAt('k', 15), { kind: 'put', startTs: 10, hasOverlappedRollback: true });
  t.equal(h.get('k', 15), 'v');
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('late') }], 'k', 15), { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
});

t.test('one failing key fails the whole request', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', 'v', 'a', 10);
  const result = h.runCounting(commit, { keys: [bytes('a'), bytes('b')], startTs: ts(10), commitTs: ts(11) });
  t.equal(result.result.code, 'TXN_LOCK_NOT_FOUND');
  t.equal(result.records, 0);
  t.ok(h.lock('a'));
  t.throws(() => h.run(commit, { keys: [bytes('a')], startTs: ts(10), commitTs: ts(10) }), { code: 'INVALID_ARGUMENT' });
});
