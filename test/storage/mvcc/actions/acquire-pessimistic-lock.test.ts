// Proves the pessimistic lock's TiKV behaviours: it blocks writers but not readers; a commit after
// forUpdateTs asks for a retry while one between startTs and forUpdateTs does not; our own rollback
// (newest, or below newer records) is PESSIMISTIC_LOCK_ROLLED_BACK; shouldNotExist checks for a live
// value; returnValues gives the newest value; a repeat raises forUpdateTs; a prewritten key is
// LOCK_TYPE_NOT_MATCH; pessimistic rollback releases only our own pessimistic locks up to forUpdateTs.
import t from 'tap';
import { Harness, bytes, text, ts } from '../harness.js';
import { acquirePessimisticLock, pessimisticRollback } from '../../../../storage/mvcc/actions/acquire-pessimistic-lock.js';

const request = (key: string, startTs: number, forUpdateTs: number) => ({
  keys: [{ key: bytes(key) }],
  primary: bytes(key),
  startTs: ts(startTs),
  forUpdateTs: ts(forUpdateTs),
  lockTtlMs: 1000,
});

t.test('blocks writers, not readers', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 1, 2);
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 10);
  t.match(h.lock('k'), { kind: 'pessimistic', forUpdateTs: 10, startTs: 10 });
  t.equal(h.get('k', 20), 'v');
  t.match(h.run(acquirePessimisticLock, request('k', 20, 20)), { code: 'KEY_IS_LOCKED', locks: [{ lock: { startTs: 10 } }] });
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 20), { code: 'KEY_IS_LOCKED' });
});

t.test('a commit after forUpdateTs asks for a retry; one before it does not', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 12, 15);
  t.match(h.run(acquirePessimisticLock, request('k', 10, 14)), { code: 'WRITE_CONFLICT', reason: 'pessimistic-retry', conflictCommitTs: 15 });
  t.equal(h.run(acquirePessimisticLock, request('k', 10, 16)).code, 'OK', 'read again at 16 and retried');
});

t.test('our own rollback is found, newest or below newer records', async (t) => {
  const h = new Harness();
  h.mustRollback(t, 'k', 10);
  t.match(h.run(acquirePessimisticLock, request('k', 10, 10)), { code: 'PESSIMISTIC_LOCK_ROLLED_BACK' });
  h.mustPutCommitted(t, 'k', 'v', 11, 12);
  t.match(h.run(acquirePessimisticLock, request('k', 10, 13)), { code: 'PESSIMISTIC_LOCK_ROLLED_BACK' });
});

t.test('shouldNotExist and returnValues', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 1, 2);
  const exists = h.run(acquirePessimisticLock, { ...request('k', 10, 10), keys: [{ key: bytes('k'), shouldNotExist: true }] });
  t.match(exists, { code: 'ALREADY_EXISTS', existingCommitTs: 2 });
  const values = h.run(acquirePessimisticLock, { ...request('k', 10, 10), keys: [{ key: bytes('k') }, { key: bytes('none'), shouldNotExist: true }], returnValues: true });
  t.equal(values.code, 'OK');
  if (values.code === 'OK') t.same(values.values?.map(text), ['v', undefined]);
  const repeat = h.run(acquirePessimisticLock, { ...request('k', 10, 10), returnValues: true });
  if (repeat.code === 'OK') t.same(repeat.values?.map(text), ['v'], 'a repeat returns the value too');
});

t.test('a repeat raises forUpdateTs; a prewritten key is LOCK_TYPE_NOT_MATCH', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 10);
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 20);
  t.equal(h.lock('k')!.forUpdateTs, 20);
  const lower = h.runCounting(acquirePessimisticLock, request('k', 10, 15));
  t.equal(lower.result.code, 'OK');
  t.equal(lower.records, 0, 'a lower forUpdateTs changes nothing');
  t.equal(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x'), pessimistic: true }], 'k', 10, { forUpdateTs: ts(20) }).code, 'OK');
  t.match(h.run(acquirePessimisticLock, request('k', 10, 20)), { code: 'LOCK_TYPE_NOT_MATCH' });
});

t.test('pessimistic rollback releases only our own pessimistic locks up to forUpdateTs', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'a', 'a', 10, 12);
  h.mustAcquirePessimisticLock(t, 'b', 'a', 10, 15);
  h.mustPrewritePut(t, 'c', 'v', 'a', 10);
  h.mustAcquirePessimisticLock(t, 'd', 'd', 20, 20);
  h.run(pessimisticRollback, { keys: ['a', 'b', 'c', 'd'].map(bytes), startTs: ts(10), forUpdateTs: ts(12) });
  t.equal(h.lock('a'), undefined);
  t.ok(h.lock('b'), 'acquired at a later forUpdateTs');
  t.ok(h.lock('c'), 'a prewrite lock');
  t.ok(h.lock('d'), 'another transaction');
  t.same(h.familyCounts().write, 0, 'no rollback record');
});
