// Proves the lock resolver's decisions on the states a dead coordinator can leave, built directly with
// KV requests (so the states are exact), each met by a reading transaction:
//  - an async-commit transaction one of whose secondaries was never prewritten is rolled back once the
//    primary's TTL is over (check-secondary-locks writes a rollback record where the prewrite is
//    missing, so that prewrite fails if it ever arrives);
//  - an async-commit transaction one of whose ranges fell back to two phases is decided by its primary
//    (forceSyncCommit), here rolled back after the TTL;
//  - a lock whose primary was never prewritten is waited for while its TTL lasts, then rolled back
//    (rollbackIfNotExist), and the primary's late prewrite fails;
//  - an outcome learned once is cached: a second lock of the same transaction is resolved without
//    asking its primary again.
import t from 'tap';
import type { PrewriteRequest, Timestamp } from '../../../storage/mvcc/index.js';
import { announceSeed } from '../../support/seed.js';
import { type KvCall, type TxnTestKv, bytes, openTxnTestKv, recordKvCalls, text } from './support.js';

const seed = announceSeed(import.meta.url);
const SPLITS = ['m'];
const LOCK_TTL_MS = 1000;

function put(key: string, value = 'dead'): PrewriteRequest['mutations'][number] {
  return { kind: 'put', key: bytes(key), value: bytes(value) };
}

async function prewriteRaw(env: TxnTestKv, startTs: Timestamp, primary: string, keys: string[], extra: Partial<PrewriteRequest> = {}): Promise<string> {
  const result = await env.kv.prewrite({
    mutations: keys.map((key) => put(key)),
    primary: bytes(primary),
    startTs,
    lockTtlMs: LOCK_TTL_MS,
    txnSize: 3,
    minCommitTs: (startTs + 1) as Timestamp,
    ...extra,
  });
  return result.code;
}

async function readAll(env: TxnTestKv): Promise<{ pairs: [string, string][]; waitedMs: number }> {
  const beforeMs = env.clock.nowMs();
  const reader = await env.manager.begin({ isolation: 'repeatable read' });
  const pairs = (await reader.scan(undefined, undefined)).map((pair): [string, string] => [text(pair.key)!, text(pair.value)!]);
  await reader.commit();
  return { pairs, waitedMs: env.clock.nowMs() - beforeMs };
}

t.test('async commit with a secondary never prewritten: rolled back after the TTL', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const startTs = await env.tso.now();
  const secondaries = [bytes('b'), bytes('z')];
  t.equal(await prewriteRaw(env, startTs, 'a', ['a', 'b'], { asyncCommit: { secondaries } }), 'OK');
  const { pairs, waitedMs } = await readAll(env);
  t.same(pairs, [], 'nothing of the dead transaction is visible');
  t.ok(waitedMs >= LOCK_TTL_MS / 2, `the reader waited for the TTL (${waitedMs} ms)`);
  t.same(await env.locks(), [], 'every lock was resolved');
  t.equal(await prewriteRaw(env, startTs, 'a', ['z'], { asyncCommit: { secondaries } }), 'WRITE_CONFLICT', 'the missing prewrite fails when it arrives');
  await env.close();
});

t.test('async commit with a range that fell back to two phases: the primary decides', async (t) => {
  const calls: KvCall[] = [];
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, wrapKv: recordKvCalls(calls) });
  const startTs = await env.tso.now();
  const secondaries = [bytes('z')];
  t.equal(await prewriteRaw(env, startTs, 'a', ['a'], { asyncCommit: { secondaries } }), 'OK');
  // maxCommitTs below any commit timestamp the range could compute: the part falls back.
  t.equal(await prewriteRaw(env, startTs, 'a', ['z'], { asyncCommit: { secondaries }, maxCommitTs: startTs }), 'OK');
  t.equal((await env.locks()).find((locked) => text(locked.key) === 'z')?.lock.useAsyncCommit, false, 'z holds a two-phase lock');
  const { pairs } = await readAll(env);
  t.same(pairs, []);
  t.ok(
    calls.some((call) => call.method === 'checkTxnStatus' && (call.args[0] as { forceSyncCommit?: boolean }).forceSyncCommit === true),
    'the resolver asked the primary with forceSyncCommit',
  );
  t.same(await env.locks(), []);
  await env.close();
});

t.test('a lock whose primary was never prewritten: wait for its TTL, then roll back', async (t) => {
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS });
  const startTs = await env.tso.now();
  t.equal(await prewriteRaw(env, startTs, 'a', ['z']), 'OK');
  // Past the lock's minCommitTs a reader could push, but there is no primary lock to push: it waits.
  const { pairs, waitedMs } = await readAll(env);
  t.same(pairs, []);
  t.ok(waitedMs >= LOCK_TTL_MS / 2, `the reader waited (${waitedMs} ms)`);
  t.same(await env.locks(), []);
  t.equal(await prewriteRaw(env, startTs, 'a', ['a']), 'WRITE_CONFLICT', 'the primary’s late prewrite fails');
  await env.close();
});

t.test('a decided outcome is cached per manager', async (t) => {
  const calls: KvCall[] = [];
  const env = await openTxnTestKv({ seed, splitKeys: SPLITS, wrapKv: recordKvCalls(calls) });
  const startTs = await env.tso.now();
  t.equal(await prewriteRaw(env, startTs, 'a', ['a', 'y', 'z']), 'OK');
  t.equal((await env.kv.rollback({ keys: [bytes('a')], startTs, primaryKey: bytes('a') })).code, 'OK');
  const reader = await env.manager.begin({ isolation: 'repeatable read' });
  t.equal(await reader.get(bytes('y')), undefined);
  t.equal(await reader.get(bytes('z')), undefined);
  await reader.commit();
  t.equal(calls.filter((call) => call.method === 'checkTxnStatus').length, 1, 'one status check for two locks met apart');
  t.equal(calls.filter((call) => call.method === 'resolveLock').length, 2, 'each lock resolved');
  t.same(await env.locks(), []);
  await env.close();
});
