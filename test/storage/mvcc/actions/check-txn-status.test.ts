// Proves check-transaction-status's TiKV behaviours: a commit or rollback record is reported as such;
// a primary with no trace is TXN_NOT_FOUND or, when asked, rolled back with a protected record that
// makes the late prewrite fail; a live lock is reported with its TTL and an expired one rolled back; a
// reader pushes minCommitTs (only on locks that have one) so the writer's old commit timestamp
// expires; async-commit primaries are never pushed or rolled back here unless forceSyncCommit.
import t from 'tap';
import { Harness, bytes, ts } from '../harness.js';
import { checkTxnStatus } from '../../../../storage/mvcc/actions/check-txn-status.js';
import { commit } from '../../../../storage/mvcc/actions/commit.js';
import { TIMESTAMP_MAX, composeTimestamp } from '../../../../storage/mvcc/timestamp.js';

const start = composeTimestamp(1000, 0);
const at = (physicalMs: number, logical = 0) => composeTimestamp(physicalMs, logical);

t.test('commit and rollback records decide', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', start, start + 5);
  t.same(h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(0), currentTs: at(5000), rollbackIfNotExist: true }), {
    code: 'COMMITTED',
    commitTs: start + 5,
  });
  h.mustRollback(t, 'r', start, 'r');
  t.same(h.run(checkTxnStatus, { primaryKey: bytes('r'), lockTs: start, callerStartTs: ts(0), currentTs: at(5000), rollbackIfNotExist: true }), {
    code: 'ROLLED_BACK',
    action: 'none',
  });
});

t.test('no trace: TXN_NOT_FOUND, or a protected rollback when asked', async (t) => {
  const h = new Harness();
  const request = { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(0), currentTs: at(1001) };
  const notFound = h.runCounting(checkTxnStatus, { ...request, rollbackIfNotExist: false });
  t.match(notFound.result, { code: 'TXN_NOT_FOUND' });
  t.equal(notFound.records, 0);
  t.same(h.run(checkTxnStatus, { ...request, rollbackIfNotExist: true }), { code: 'ROLLED_BACK', action: 'lock-not-exist-rollback' });
  t.match(h.writeAt('k', start), { kind: 'rollback', isProtected: true });
  t.match(h.prewrite([{ kind: 'put', key: bytes('k'), value: bytes('late') }], 'k', start), { code: 'WRITE_CONFLICT', reason: 'self-rolled-back' });
});

t.test('a live lock is reported; an expired one is rolled back', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', start, { lockTtlMs: 100 });
  h.mustPrewritePut(t, 's', 'v', 'k', start, { lockTtlMs: 100 });
  const alive = h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(0), currentTs: at(1100), rollbackIfNotExist: true });
  t.match(alive, { code: 'LOCKED', action: 'none', minCommitTsPushed: false, lock: { ttlMs: 100 } });
  const expired = h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(0), currentTs: at(1101), rollbackIfNotExist: true });
  t.same(expired, { code: 'ROLLED_BACK', action: 'ttl-expire-rollback' });
  t.equal(h.lock('k'), undefined);
  t.match(h.writeAt('k', start), { kind: 'rollback', isProtected: true });
  t.ok(h.lock('s'), 'the secondary is left for resolve-lock');
  t.throws(
    () => h.run(checkTxnStatus, { primaryKey: bytes('s'), lockTs: start, callerStartTs: ts(0), currentTs: at(1101), rollbackIfNotExist: true }),
    { code: 'INVALID_ARGUMENT' },
    'a secondary is not a primary',
  );
});

t.test('a reader pushes minCommitTs, and the old commit timestamp then expires', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', start, { lockTtlMs: 10_000, minCommitTs: ts(start + 1) });
  const reader = start + 50;
  const pushed = h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(reader), currentTs: ts(start + 20), rollbackIfNotExist: true });
  t.match(pushed, { code: 'LOCKED', action: 'min-commit-ts-pushed', minCommitTsPushed: true, lock: { minCommitTs: reader + 1 } });
  t.equal(h.lock('k')!.minCommitTs, reader + 1);
  t.equal(h.get('k', reader), undefined, 'the reader now passes the lock');
  t.match(h.run(commit, { keys: [bytes('k')], startTs: ts(start), commitTs: ts(reader) }), { code: 'COMMIT_TS_EXPIRED', minCommitTs: reader + 1 });
  const later = at(1005);
  const pushedToNow = h.run(checkTxnStatus, { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(reader + 1), currentTs: later, rollbackIfNotExist: true });
  t.match(pushedToNow, { lock: { minCommitTs: later } }, 'never below the current timestamp');
  h.mustCommit(t, 'k', start, later);
});

t.test('a lock without minCommitTs is not pushed; a read at TIMESTAMP_MAX may pass without pushing', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', start, { lockTtlMs: 10_000 });
  const request = { primaryKey: bytes('k'), lockTs: start, currentTs: ts(start + 1), rollbackIfNotExist: true };
  const notPushed = h.runCounting(checkTxnStatus, { ...request, callerStartTs: ts(start + 50) });
  t.match(notPushed.result, { code: 'LOCKED', action: 'none', minCommitTsPushed: false });
  t.equal(notPushed.records, 0);
  t.match(h.run(checkTxnStatus, { ...request, callerStartTs: TIMESTAMP_MAX }), { code: 'LOCKED', action: 'none', minCommitTsPushed: true });
});

t.test('an async-commit primary is neither pushed nor rolled back unless forceSyncCommit', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'k', 'v', 'k', start, { lockTtlMs: 100, asyncCommit: { secondaries: [bytes('s')] }, maxReadTs: ts(start) });
  const request = { primaryKey: bytes('k'), lockTs: start, callerStartTs: ts(start + 5000), currentTs: at(9000), rollbackIfNotExist: true };
  const locked = h.runCounting(checkTxnStatus, request);
  t.match(locked.result, { code: 'LOCKED', action: 'none', minCommitTsPushed: false });
  if (locked.result.code === 'LOCKED') t.same(locked.result.lock.secondaries, [bytes('s')], 'the resolver learns the secondaries');
  t.equal(locked.records, 0);
  t.same(h.run(checkTxnStatus, { ...request, forceSyncCommit: true }), { code: 'ROLLED_BACK', action: 'ttl-expire-rollback' });
});
