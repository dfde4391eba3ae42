// Proves prewrite's TiKV behaviours: locks and values land where the layout says; a repeat is a no-op;
// other transactions' locks are all reported and nothing is written; a newer commit, a newer rollback
// or our own rollback is a write conflict; a late repeat of a committed transaction answers
// ALREADY_COMMITTED; insert checks existence; pessimistic locks are upgraded and their absence is
// detected; async commit computes and stores minCommitTs (and falls back above maxCommitTs); 1PC
// writes commit records directly.
import t from 'tap';
import { Harness, bytes, longValue, text, ts } from '../harness.js';
import { prewrite } from '../../../../storage/mvcc/actions/prewrite.js';
import { commit } from '../../../../storage/mvcc/actions/commit.js';
import { dataKey } from '../../../../storage/mvcc/keys.js';
import { mvccGet } from '../../../../storage/mvcc/reader.js';

t.test('a prewrite writes a lock with its short value; a long value goes to the data family', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10);
  const lock = h.lock('k')!;
  t.equal(lock.kind, 'put');
  t.equal(text(lock.shortValue), 'v');
  t.equal(lock.startTs, 10);
  t.same(lock.primary, bytes('k'));
  t.equal(h.get('k', 9), undefined, 'a read below the start timestamp is not blocked');
  t.equal(h.get('k', 10), 'LOCKED', 'a read at or above it is');

  h.mustPrewritePut(t, 'long', longValue(256), 'k', 10);
  t.equal(h.lock('long')!.shortValue, undefined);
  t.same(h.snapshot().get(dataKey(bytes('long'), ts(10))), longValue(256));
  h.mustCommit(t, 'long', 10, 11);
  t.equal(h.get('long', 11), text(longValue(256)));
});

t.test('a repeated prewrite is idempotent and writes nothing', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', 10);
  const again = h.runCounting(prewrite, { mutations: [{ kind: 'put', key: bytes('k'), value: bytes('v') }], primary: bytes('k'), startTs: ts(10), lockTtlMs: 1, txnSize: 1 });
  t.equal(again.result.code, 'OK');
  t.equal(again.records, 0);
});

t.test('locks of other transactions are all reported and nothing is written', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', '1', 'a', 10);
  h.mustPrewritePut(t, 'c', '1', 'a', 10);
  const result = h.runCounting(prewrite, {
    mutations: [
      { kind: 'put', key: bytes('a'), value: bytes('2') },
      { kind: 'put', key: bytes('b'), value: bytes('2') },
      { kind: 'delete', key: bytes('c') },
    ],
    primary: bytes('b'),
    startTs: ts(20),
    lockTtlMs: 1,
    txnSize: 3,
  });
  t.equal(result.records, 0);
  t.equal(result.result.code, 'KEY_IS_LOCKED');
  if (result.result.code === 'KEY_IS_LOCKED') t.same(result.result.locks.map((locked) => text(locked.key)), ['a', 'c']);
  t.equal(h.lock('b'), undefined);
});

t.test('a write committed after our start is a conflict; one before it is not', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'old', 5, 6);
  h.mustPutCommitted(t, 'k', 'new', 12, 15);
  const result = h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 10);
  t.match(result, { code: 'WRITE_CONFLICT', reason: 'optimistic', startTs: 10, conflictStartTs: 12, conflictCommitTs: 15 });
  h.mustPrewritePut(t, 'k', 'x', 'k', 16);
});

t.test('a newer rollback of another transaction is a conflict too (what keeps collapsing safe)', async (t) => {
  const h = new Harness();
  h.mustRollback(t, 'k', 20, 'other');
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 10), { code: 'WRITE_CONFLICT', conflictCommitTs: 20 });
});

t.test('a late prewrite after our rollback fails', async (t) => {
  const h = new Harness();
  h.mustRollback(t, 'k', 10);
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('x') }], 'k', 10), { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
  t.equal(h.lock('k'), undefined);
});

t.test('a late prewrite of a committed transaction answers ALREADY_COMMITTED and writes nothing', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 10, 12);
  const again = h.runCounting(prewrite, { mutations: [{ kind: 'put', key: bytes('k'), value: bytes('v') }], primary: bytes('k'), startTs: ts(10), lockTtlMs: 1, txnSize: 1 });
  t.same(again.result, { code: 'ALREADY_COMMITTED', commitTs: 12 });
  t.equal(again.records, 0);
});

t.test('insert fails on a live value and succeeds on a deleted or absent one', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 10, 12);
  t.match(h.prewrite([{ kind: 'insert', key: bytes('k'), value: bytes('w') }], 'k', 20), { code: 'ALREADY_EXISTS', existingStartTs: 10, existingCommitTs: 12 });
  h.mustPrewriteDelete(t, 'k', 'k', 21);
  h.mustCommit(t, 'k', 21, 22);
  h.mustPrewriteLock(t, 'k', 'k', 23);
  h.mustCommit(t, 'k', 23, 24);
  t.equal(h.prewrite([{ kind: 'insert', key: bytes('k'), value: bytes('w') }], 'k', 30).code, 'OK', 'a lock record over a delete does not count as a value');
  t.equal(h.prewrite([{ kind: 'insert', key: bytes('fresh'), value: bytes('w') }], 'fresh', 30).code, 'OK');
});

t.test('a pessimistic lock is upgraded by prewrite, keeping the larger TTL', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 12);
  t.equal(h.get('k', 20), undefined, 'a pessimistic lock does not block readers');
  const result = h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('v'), pessimistic: true }], 'k', 10, { forUpdateTs: ts(12), lockTtlMs: 10 });
  t.equal(result.code, 'OK');
  const lock = h.lock('k')!;
  t.equal(lock.kind, 'put');
  t.equal(lock.forUpdateTs, 12);
  t.equal(lock.ttlMs, 3000, 'the pessimistic lock had 3000 ms');
  t.equal(h.get('k', 20), 'LOCKED');
});

t.test('a pessimistic prewrite without its pessimistic lock fails', async (t) => {
  const h = new Harness();
  const missing = h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('v'), pessimistic: true }], 'k', 10, { forUpdateTs: ts(10) });
  t.match(missing, { code: 'PESSIMISTIC_LOCK_NOT_FOUND' });
  h.mustPrewritePut(t, 'k', 'v', 'k', 11);
  const other = h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('v'), pessimistic: true }], 'k', 10, { forUpdateTs: ts(10) });
  t.match(other, { code: 'PESSIMISTIC_LOCK_NOT_FOUND' }, "another transaction's lock is not ours");
  t.throws(() => h.prewrite([{ kind: 'put', key: bytes('x'), value: bytes('v'), pessimistic: true }], 'x', 10), { code: 'INVALID_ARGUMENT' });
});

t.test('an optimistic prewrite over our own pessimistic lock is LOCK_TYPE_NOT_MATCH', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'k', 'k', 10, 10);
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('v') }], 'k', 10), { code: 'LOCK_TYPE_NOT_MATCH' });
});

t.test('async commit computes minCommitTs, stores the secondaries on the primary, and repeats report the stored value', async (t) => {
  const h = new Harness();
  const asyncCommit = { secondaries: [bytes('s')] };
  const primary = h.prewrite([{ kind: 'put', key: bytes('p'), value: bytes('1') }], 'p', 10, { asyncCommit, maxReadTs: ts(30), minCommitTs: ts(20) });
  t.same(primary, { code: 'OK', minCommitTs: 31, onePcCommitTs: undefined, fellBackToTwoPhase: false });
  const secondary = h.prewrite([{ kind: 'put', key: bytes('s'), value: bytes('2') }], 'p', 10, { asyncCommit, maxReadTs: ts(5), minCommitTs: ts(20) });
  t.match(secondary, { code: 'OK', minCommitTs: 20 });
  t.equal(h.lock('p')!.useAsyncCommit, true);
  t.same(h.lock('p')!.secondaries, [bytes('s')]);
  t.equal(h.lock('s')!.useAsyncCommit, true);
  t.equal(h.lock('s')!.secondaries, undefined);
  t.equal(h.get('s', 19), undefined, 'a read below minCommitTs passes the lock');
  t.equal(h.get('s', 20), 'LOCKED');
  const repeat = h.prewrite([{ kind: 'put', key: bytes('p'), value: bytes('1') }], 'p', 10, { asyncCommit, maxReadTs: ts(90) });
  t.match(repeat, { code: 'OK', minCommitTs: 31 }, 'a repeat reports what the lock holds, not a new computation');
  const pessimistic = new Harness();
  pessimistic.mustAcquirePessimisticLock(t, 'k', 'k', 10, 40);
  t.match(
    pessimistic.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('1'), pessimistic: true }], 'k', 10, { asyncCommit: { secondaries: [] }, maxReadTs: ts(1), forUpdateTs: ts(40) }),
    { code: 'OK', minCommitTs: 41 },
    'above forUpdateTs',
  );
});

t.test('async commit above maxCommitTs falls back to two-phase locks', async (t) => {
  const h = new Harness();
  const result = h.prewrite([{ kind: 'put', key: bytes('p'), value: bytes('1') }], 'p', 10, { asyncCommit: { secondaries: [bytes('s')] }, maxReadTs: ts(50), maxCommitTs: ts(40) });
  t.match(result, { code: 'OK', minCommitTs: 0, fellBackToTwoPhase: true });
  t.equal(h.lock('p')!.useAsyncCommit, false);
  t.equal(h.lock('p')!.secondaries, undefined);
  const repeat = h.prewrite([{ kind: 'put', key: bytes('p'), value: bytes('1') }], 'p', 10, { asyncCommit: { secondaries: [bytes('s')] }, maxReadTs: ts(20) });
  t.match(repeat, { code: 'OK', minCommitTs: 0, fellBackToTwoPhase: true }, 'a repeat reports the fallback of the first delivery');
});

t.test('1PC writes commit records at the computed timestamp and leaves no lock', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'b', 'old', 1, 2);
  const mutations = [
    { kind: 'put', key: bytes('a'), value: bytes('1') },
    { kind: 'delete', key: bytes('b') },
    { kind: 'put', key: bytes('c'), value: longValue(300) },
  ] as const;
  const result = h.prewrite([...mutations], 'a', 10, { onePc: true, maxReadTs: ts(14) });
  t.match(result, { code: 'OK', onePcCommitTs: 15, fellBackToTwoPhase: false });
  t.same(h.familyCounts(), { lock: 0, write: 4, data: 1 });
  t.equal(h.get('a', 14), undefined);
  t.equal(h.get('a', 15), '1');
  t.equal(h.get('b', 15), undefined);
  t.equal(h.get('b', 14), 'old');
  t.equal(mvccGet(h.snapshot(), bytes('c'), ts(15)).code, 'OK');
  t.same(h.prewrite([...mutations], 'a', 10, { onePc: true, maxReadTs: ts(20) }), { code: 'ALREADY_COMMITTED', commitTs: 15 });
  const commitAfter = h.run(commit, { keys: [bytes('a')], startTs: ts(10), commitTs: ts(15) });
  t.equal(commitAfter.code, 'OK', 'a commit of a 1PC transaction is a no-op');
});

t.test('bad requests are refused before anything is read', async (t) => {
  const h = new Harness();
  t.throws(() => h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('1') }, { kind: 'delete', key: bytes('k') }], 'k', 10), { code: 'INVALID_ARGUMENT' });
  t.throws(() => h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('1') }], 'k', 10, { onePc: true }), { code: 'INVALID_ARGUMENT' }, '1PC needs maxReadTs');
  t.throws(() => h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('1') }], 'k', 10, { forUpdateTs: ts(5) }), { code: 'INVALID_ARGUMENT' });
});
