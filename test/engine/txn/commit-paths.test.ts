// Proves how a commit is carried out, by watching the KV calls the coordinator makes (a recording
// wrapper around the KV layer):
//  - 1PC when every key is in one range (one prewrite, no commit call), 2PC otherwise (one prewrite with
//    every mutation, one commit of the primary, one of the secondaries: a call per phase, not per key);
//  - async commit: the commit timestamp is the prewrites' minCommitTs, above every read already served,
//    and the caller is answered before the locks are committed; too many keys, or a SERIALIZABLE
//    transaction with reads, use plain 2PC;
//  - readers push a 2PC transaction's commit timestamp instead of waiting, and a primary commit that
//    meets a pushed minCommitTs retries at a newer timestamp;
//  - INSERT fails with 23505 at commit (optimistic) or at once (pessimistic, or a key this transaction
//    already knows to exist);
//  - a primary commit whose answer is lost is settled from the primary's status, and reported as
//    AMBIGUOUS_COMMIT (40003) only when that status cannot be read either.
import t from 'tap';
import type { CommitRequest, PrewriteRequest, PrewriteResult, Timestamp } from '../../../storage/mvcc/index.js';
import { TxnError } from '../../../engine/txn/errors.js';
import { announceSeed } from '../../support/seed.js';
import { type KvCall, bytes, interceptKv, openTxnTestKv, recordKvCalls, text } from './support.js';

const seed = announceSeed(import.meta.url);
const SPLITS = ['m'];

const keysOf = (request: unknown): string[] => {
  const typed = request as { keys?: readonly Uint8Array[]; mutations?: readonly { key: Uint8Array }[] };
  return (typed.keys ?? typed.mutations?.map((mutation) => mutation.key) ?? []).map((key) => text(key)!);
};
const methods = (calls: readonly KvCall[]): string[] =>
  calls.filter((call) => ['prewrite', 'commit', 'checkReadSet'].includes(call.method)).map((call) => `${call.method}(${keysOf(call.args[0]).join(',')})`);

t.test('1PC when every key falls in one range, 2PC with one call per phase otherwise', async (t) => {
  const calls: KvCall[] = [];
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, wrapKv: recordKvCalls(calls), config: { asyncCommit: false } });
  const one = await env.manager.begin({ isolation: 'repeatable read' });
  await one.put(bytes('b'), bytes('1'));
  await one.put(bytes('a'), bytes('1'));
  const { commitTs: onePcTs } = await one.commit();
  t.ok(onePcTs !== undefined && onePcTs > one.startTs);
  t.same(methods(calls), ['prewrite(a,b)'], '1PC: a single prewrite');
  t.equal((calls[0]!.args[1] as { tryOnePc?: boolean }).tryOnePc, true);

  calls.length = 0;
  const two = await env.manager.begin({ isolation: 'repeatable read' });
  for (const key of ['z', 'a', 'q', 'c']) await two.put(bytes(key), bytes('2'));
  const { commitTs } = await two.commit();
  await env.manager.settle();
  t.same(methods(calls), ['prewrite(a,c,q,z)', 'commit(a)', 'commit(c,q,z)'], '2PC: primary first (the smallest key), then the rest in one call');
  const commits = calls.filter((call) => call.method === 'commit').map((call) => (call.args[0] as CommitRequest).commitTs);
  t.same(commits, [commitTs, commitTs]);
  t.same(await env.locks(), []);
  await env.close();
});

t.test('async commit: committed at the prewrites’ minCommitTs, above every read served before', async (t) => {
  const calls: KvCall[] = [];
  let prewriteResult: PrewriteResult | undefined;
  const env = await openTxnTestKv({
    seed,
    splitKeys: SPLITS,
    wrapKv: interceptKv(async (method, args, call) => {
      calls.push({ method, args });
      const result = await call();
      if (method === 'prewrite') prewriteResult = result as PrewriteResult;
      return result;
    }),
  });
  const writer = await env.manager.begin({ isolation: 'repeatable read' });
  await writer.put(bytes('a'), bytes('new'));
  await writer.put(bytes('z'), bytes('new'));
  const reader = await env.manager.begin({ isolation: 'repeatable read' });
  t.equal(await reader.get(bytes('a')), undefined, 'a read at a timestamp above the writer’s start');
  const { commitTs } = await writer.commit();
  const request = calls.find((call) => call.method === 'prewrite')!.args[0] as PrewriteRequest;
  t.same(request.asyncCommit?.secondaries.map((key) => text(key)), ['z'], 'the primary’s lock lists the secondaries');
  t.ok(prewriteResult?.code === 'OK' && prewriteResult.minCommitTs === commitTs, 'commitTs is the prewrite’s minCommitTs');
  t.ok(commitTs! > reader.startTs, 'above the read already served, so the reader’s snapshot stays whole');
  t.equal(await reader.get(bytes('z')), undefined, 'the reader still sees its snapshot');
  await reader.commit();
  await env.manager.settle();
  t.same(methods(calls), ['prewrite(a,z)', 'commit(a,z)'], 'no separate primary commit');
  t.same(await env.locks(), []);

  // Too many keys for async commit, and SERIALIZABLE with reads: plain 2PC.
  calls.length = 0;
  const small = env.newManager({ asyncCommitKeysMax: 2 }, recordKvCalls(calls));
  const big = await small.begin({ isolation: 'repeatable read' });
  for (const key of ['a', 'b', 'z']) await big.put(bytes(key), bytes('big'));
  await big.commit();
  await small.settle();
  t.equal((calls[0]!.args[0] as PrewriteRequest).asyncCommit, undefined, 'more keys than asyncCommitKeysMax: no async commit');
  t.same(methods(calls), ['prewrite(a,b,z)', 'commit(a)', 'commit(b,z)']);

  calls.length = 0;
  const validating = await small.begin({ isolation: 'serializable' });
  await validating.get(bytes('q'));
  await validating.put(bytes('a'), bytes('s'));
  await validating.commit();
  await small.settle();
  t.same(methods(calls), ['prewrite(a)', 'checkReadSet(q)', 'commit(a)'], 'SERIALIZABLE with reads: prewrite, validate, commit');
  t.equal((calls.find((call) => call.method === 'prewrite')!.args[1] as { tryOnePc?: boolean }).tryOnePc, false, 'and no 1PC');

  calls.length = 0;
  const blind = await small.begin({ isolation: 'serializable' });
  await blind.put(bytes('a'), bytes('blind'));
  await blind.commit();
  t.same(methods(calls), ['prewrite(a)'], 'SERIALIZABLE without reads needs no validation: 1PC');
  await env.close();
});

t.test('readers push a two-phase commit timestamp instead of waiting; the commit retries above it', async (t) => {
  let resume: () => void = () => undefined;
  const paused = new Promise<void>((resolve) => (resume = resolve));
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('a'), bytes('old'));
  await setup.commit();

  const writerManager = env.newManager({
    asyncCommit: false,
    onePc: false,
    failpoint: (point) => (point === 'after-prewrite' ? paused : undefined),
  });
  const writer = await writerManager.begin({ isolation: 'repeatable read' });
  await writer.put(bytes('a'), bytes('new'));
  await writer.put(bytes('z'), bytes('new'));
  const committing = writer.commit();
  await env.sleep(1);
  const reader = await env.manager.begin({ isolation: 'repeatable read' });
  const beforeMs = env.clock.nowMs();
  t.equal(text(await reader.get(bytes('a'))), 'old', 'the reader reads past the lock');
  t.equal(env.clock.nowMs(), beforeMs, 'without waiting');
  resume();
  const { commitTs } = await committing;
  t.ok(commitTs! > reader.startTs, 'the writer commits above the reader');
  t.equal(text(await reader.get(bytes('a'))), 'old', 'so the reader’s snapshot is unchanged');
  await reader.commit();

  // The push lands between the writer taking its commit timestamp and committing the primary.
  const commitAttempts: Timestamp[] = [];
  const pushingManager = env.newManager();
  let pushedAt: Timestamp | undefined;
  const racing = env.newManager(
    { asyncCommit: false, onePc: false },
    interceptKv(async (method, args, call) => {
      if (method === 'commit') {
        const request = args[0] as CommitRequest;
        if (commitAttempts.length === 0) {
          const pusher = await pushingManager.begin({ isolation: 'repeatable read' });
          pushedAt = pusher.startTs;
          t.equal(text(await pusher.get(bytes('a'))), 'new', 'the pusher reads past the lock');
          await pusher.commit();
        }
        if (keysOf(request).includes('a')) commitAttempts.push(request.commitTs);
      }
      return call();
    }),
  );
  const second = await racing.begin({ isolation: 'repeatable read' });
  await second.put(bytes('a'), bytes('newer'));
  await second.put(bytes('z'), bytes('newer'));
  const result = await second.commit();
  t.equal(commitAttempts.length, 2, 'the primary commit was retried once');
  t.ok(commitAttempts[0]! < pushedAt! && pushedAt! < commitAttempts[1]!, 'at a timestamp above the pusher’s');
  t.equal(result.commitTs, commitAttempts[1]);
  await env.manager.settle();
  await env.close();
  t.same(await env.locks(), []);
});

t.test('INSERT: 23505 at commit when optimistic, at once when the key is locked', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const setup = await env.manager.begin();
  await setup.put(bytes('taken'), bytes('1'));
  await setup.commit();

  const optimistic = await env.manager.begin({ isolation: 'repeatable read' });
  await optimistic.insert(bytes('free'), bytes('x'));
  await optimistic.insert(bytes('taken'), bytes('x'));
  await t.rejects(optimistic.commit(), { code: 'UNIQUE_VIOLATION', sqlstate: '23505' });
  t.same(await env.locks(), [], 'the failed commit left no lock');

  const pessimistic = await env.manager.begin({ isolation: 'read committed' });
  await t.rejects(pessimistic.insert(bytes('taken'), bytes('x')), { code: 'UNIQUE_VIOLATION', sqlstate: '23505' });
  t.equal(pessimistic.isActive, false);

  const own = await env.manager.begin({ isolation: 'repeatable read' });
  await own.put(bytes('mine'), bytes('1'));
  await t.rejects(own.insert(bytes('mine'), bytes('2')), { code: 'UNIQUE_VIOLATION' }, 'inserting over our own put');

  const locked = await env.manager.begin({ isolation: 'repeatable read' });
  await locked.lockForUpdate([bytes('taken')]);
  await t.rejects(locked.insert(bytes('taken'), bytes('2')), { code: 'UNIQUE_VIOLATION' }, 'inserting a key locked and known to exist');

  const replace = await env.manager.begin({ isolation: 'repeatable read' });
  await replace.delete(bytes('taken'));
  await replace.insert(bytes('taken'), bytes('replaced'));
  await replace.insert(bytes('fresh'), bytes('1'));
  await replace.commit();
  const check = await env.manager.begin();
  t.same((await check.batchGet([bytes('taken'), bytes('fresh'), bytes('free')])).map(text), ['replaced', '1', undefined]);
  await check.commit();

  // Two READ COMMITTED inserts of one key: the second waits for the first, then fails as PostgreSQL does.
  const first = await env.manager.begin({ isolation: 'read committed' });
  const second = await env.manager.begin({ isolation: 'read committed' });
  await first.insert(bytes('race'), bytes('1'));
  const secondInsert = second.insert(bytes('race'), bytes('2')).then(
    () => undefined,
    (error: unknown) => error,
  );
  await env.sleep(50);
  await first.commit();
  const error = await secondInsert;
  t.ok(error instanceof TxnError && error.sqlstate === '23505', 'the waiting insert fails with 23505 once the first commits');
  await env.close();
});

t.test('a primary commit whose answer is lost is settled from the primary’s status', async (t) => {
  type Fault = 'lose-answer' | 'fail-before' | 'fail-before-and-status';
  const run = async (fault: Fault): Promise<{ result?: Timestamp | undefined; error?: unknown; env: Awaited<ReturnType<typeof openTxnTestKv>> }> => {
    let armed = true;
    const env = await openTxnTestKv({
      seed,
      splitKeys: SPLITS,
      config: { asyncCommit: false, onePc: false },
      wrapKv: interceptKv(async (method, _args, call) => {
        if (method === 'commit' && armed) {
          armed = fault === 'fail-before-and-status';
          if (fault === 'lose-answer') await call();
          throw new Error('connection reset');
        }
        if (method === 'checkTxnStatus' && fault === 'fail-before-and-status') throw new Error('connection reset');
        return call();
      }),
    });
    const txn = await env.manager.begin({ isolation: 'repeatable read' });
    await txn.put(bytes('a'), bytes('1'));
    await txn.put(bytes('z'), bytes('1'));
    try {
      return { result: (await txn.commit()).commitTs, env };
    } catch (error) {
      return { error, env };
    }
  };

  const lost = await run('lose-answer');
  t.ok(lost.result !== undefined, 'the commit applied though its answer was lost: committed');
  await lost.env.close();

  const retried = await run('fail-before');
  t.ok(retried.result !== undefined, 'still locked after the failure: the commit is retried');
  await retried.env.close();

  const unknown = await run('fail-before-and-status');
  t.ok(unknown.error instanceof TxnError && unknown.error.code === 'AMBIGUOUS_COMMIT' && unknown.error.sqlstate === '40003', 'AMBIGUOUS_COMMIT');
  t.ok((await unknown.env.locks()).length > 0, 'an ambiguous commit rolls nothing back');
  await unknown.env.close();
});
