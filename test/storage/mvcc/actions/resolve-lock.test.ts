// Proves resolve-lock: across a span it commits the locks of committed transactions and rolls back
// those of rolled-back ones, leaving other transactions' locks; it works on a list of keys too; a span
// walk stops at its scan limit with a resume key and a second call finishes; a wrong status that would
// commit below a lock's minCommitTs fails the request.
import t, { type Test } from 'tap';
import { Harness, bytes, text, ts } from '../harness.js';
import { resolveLock } from '../../../../storage/mvcc/actions/resolve-lock.js';
import { type Timestamp, TIMESTAMP_ZERO } from '../../../../storage/mvcc/timestamp.js';

function setUp(t: Test): Harness {
  const h = new Harness();
  for (const key of ['a', 'b', 'c']) h.mustPrewritePut(t, key, `t10-${key}`, 'a', 10);
  for (const key of ['d', 'e']) h.mustPrewritePut(t, key, `t20-${key}`, 'd', 20);
  h.mustPrewritePut(t, 'f', 't30-f', 'f', 30);
  return h;
}

t.test('a span: committed ones commit, rolled-back ones roll back, others stay', async (t) => {
  const h = setUp(t);
  const txnStatus = new Map<Timestamp, Timestamp>([
    [ts(10), ts(15)],
    [ts(20), TIMESTAMP_ZERO],
  ]);
  t.same(h.run(resolveLock, { txnStatus }), { code: 'OK', resolvedCount: 5 });
  for (const key of ['a', 'b', 'c']) t.equal(h.get(key, 15), `t10-${key}`);
  for (const key of ['d', 'e']) {
    t.equal(h.lock(key), undefined);
    t.match(h.writeAt(key, 20), { kind: 'rollback', isProtected: key === 'd' });
  }
  t.ok(h.lock('f'));
});

t.test('a list of keys, and a bounded span walk with a resume key', async (t) => {
  const h = setUp(t);
  const txnStatus = new Map<Timestamp, Timestamp>([[ts(10), ts(15)]]);
  t.same(h.run(resolveLock, { txnStatus, keys: [bytes('b'), bytes('zz')] }), { code: 'OK', resolvedCount: 1 });
  t.equal(h.get('b', 15), 't10-b');
  t.equal(h.get('a', 15), 'LOCKED');
  const first = h.run(resolveLock, { txnStatus, scanLimit: 1, startKey: bytes('a'), endKey: bytes('e') });
  t.match(first, { code: 'OK', resolvedCount: 1 });
  t.equal(first.code === 'OK' ? text(first.resumeKey) : undefined, 'c');
  t.same(h.run(resolveLock, { txnStatus, startKey: bytes('c'), endKey: bytes('e') }), { code: 'OK', resolvedCount: 1 });
  t.equal(h.get('c', 15), 't10-c');
});

t.test('a status below a lock minCommitTs fails the whole request', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', '1', 'a', 10);
  h.mustPrewritePut(t, 'b', '1', 'a', 10, { minCommitTs: ts(50) });
  const result = h.runCounting(resolveLock, { txnStatus: new Map([[ts(10), ts(15)]]) });
  t.match(result.result, { code: 'COMMIT_TS_EXPIRED', minCommitTs: 50 });
  t.equal(result.records, 0);
  t.throws(() => h.run(resolveLock, { txnStatus: new Map([[ts(10), ts(10)]]) }), { code: 'INVALID_ARGUMENT' });
});
