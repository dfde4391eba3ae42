// Proves check-secondary-locks's TiKV behaviours for resolving async commit: all secondaries prewritten
// reports their locks; a committed one reports the commit timestamp; a missing one is rolled back with
// a protected record so its late prewrite fails (and the transaction with it); a pessimistic lock that
// was never prewritten is rolled back.
import t from 'tap';
import { Harness, bytes, ts } from '../harness.js';
import { checkSecondaryLocks } from '../../../../storage/mvcc/actions/check-secondary-locks.js';

const asyncCommit = { secondaries: [bytes('a'), bytes('b')] };

t.test('all prewritten: LOCKED with every lock', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', '1', 'p', 10, { asyncCommit, maxReadTs: ts(20) });
  h.mustPrewritePut(t, 'b', '1', 'p', 10, { asyncCommit, maxReadTs: ts(30) });
  const result = h.runCounting(checkSecondaryLocks, { keys: [bytes('a'), bytes('b')], startTs: ts(10) });
  t.equal(result.result.code, 'LOCKED');
  if (result.result.code === 'LOCKED') t.same(result.result.locks.map((locked) => locked.lock.minCommitTs), [21, 31]);
  t.equal(result.records, 0);
});

t.test('one committed: COMMITTED at its timestamp', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', '1', 'p', 10, { asyncCommit, maxReadTs: ts(20) });
  h.mustPrewritePut(t, 'b', '1', 'p', 10, { asyncCommit, maxReadTs: ts(20) });
  h.mustCommit(t, 'b', 10, 21);
  t.same(h.run(checkSecondaryLocks, { keys: [bytes('a'), bytes('b')], startTs: ts(10) }), { code: 'COMMITTED', commitTs: 21 });
});

t.test('one missing: ROLLED_BACK, and its late prewrite fails', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', '1', 'p', 10, { asyncCommit, maxReadTs: ts(20) });
  t.same(h.run(checkSecondaryLocks, { keys: [bytes('a'), bytes('b')], startTs: ts(10) }), { code: 'ROLLED_BACK' });
  t.match(h.writeAt('b', 10), { kind: 'rollback', isProtected: true });
  const late = h.prewrite([{ kind: 'put', key: bytes('b'), value: bytes('1') }], 'p', 10, { asyncCommit, maxReadTs: ts(20) });
  t.match(late, { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
  t.same(h.run(checkSecondaryLocks, { keys: [bytes('b')], startTs: ts(10) }), { code: 'ROLLED_BACK' }, 'asked again');
});

t.test('a pessimistic lock that was never prewritten is rolled back', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'a', 'p', 10, 10);
  t.same(h.run(checkSecondaryLocks, { keys: [bytes('a')], startTs: ts(10) }), { code: 'ROLLED_BACK' });
  t.equal(h.lock('a'), undefined);
  t.match(h.writeAt('a', 10), { kind: 'rollback', isProtected: true });
});
