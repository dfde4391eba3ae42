// Proves checkReadSet's rule: a read key, or any key inside a read span, has changed exactly when it has
// another transaction's put or delete committed above the validating transaction's start timestamp, or
// another transaction's put or delete lock; lock and rollback records, pessimistic and lock-kind locks,
// and the transaction's own locks and records never count. States are built with the real actions
// (prewrite, commit, rollback, acquirePessimisticLock). A seeded randomized test interleaves many
// transactions and checks every answer, including which key is reported, against a model that keeps
// only each key's committed puts and deletes and its current lock.
import t, { type Test } from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { acquirePessimisticLock } from '../../../storage/mvcc/actions/acquire-pessimistic-lock.js';
import { commit } from '../../../storage/mvcc/actions/commit.js';
import { type PrewriteMutation, prewrite } from '../../../storage/mvcc/actions/prewrite.js';
import { rollback } from '../../../storage/mvcc/actions/rollback.js';
import { type CheckReadSetResult, checkReadSet } from '../../../storage/mvcc/read-set.js';
import { type Timestamp, asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';
import { Harness, longValue } from './harness.js';

const seed = announceSeed(import.meta.url);

// Latin-1 so that keys can hold 0x00 and 0xff bytes.
const encode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

interface Check {
  readonly startTs: number;
  readonly keys?: readonly string[];
  readonly spans?: readonly { readonly start?: string; readonly end?: string }[];
}

/** Runs checkReadSet on the harness's store with string keys; returns the result with a string key. */
function check(h: Harness, request: Check): { code: string; key?: string; conflictStartTs?: number; conflictCommitTs?: number } {
  const result = checkReadSet(h.snapshot(), {
    startTs: asTimestamp(request.startTs),
    keys: (request.keys ?? []).map(encode),
    spans: (request.spans ?? []).map((span) => ({
      startKey: span.start === undefined ? undefined : encode(span.start),
      endKey: span.end === undefined ? undefined : encode(span.end),
    })),
  });
  return describe(result);
}

function describe(result: CheckReadSetResult): { code: string; key?: string; conflictStartTs?: number; conflictCommitTs?: number } {
  if (result.code === 'OK') return { code: 'OK' };
  return { code: result.code, key: decode(result.key), conflictStartTs: result.conflictStartTs, conflictCommitTs: result.conflictCommitTs };
}

t.test('a put or delete committed above the start timestamp is a change; at or below it is not', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'old', 'v', 5, 8);
  h.mustPutCommitted(t, 'at', 'v', 6, 10);
  h.mustPutCommitted(t, 'put', 'v', 12, 15);
  h.mustPrewriteDelete(t, 'del', 'del', 13);
  h.mustCommit(t, 'del', 13, 16);
  t.same(check(h, { startTs: 10, keys: ['old', 'at', 'missing'] }), { code: 'OK' });
  t.same(check(h, { startTs: 10, keys: ['old', 'put'] }), { code: 'READ_SET_CHANGED', key: 'put', conflictStartTs: 12, conflictCommitTs: 15 });
  t.same(check(h, { startTs: 10, keys: ['del'] }), { code: 'READ_SET_CHANGED', key: 'del', conflictStartTs: 13, conflictCommitTs: 16 });
  t.same(check(h, { startTs: 16, keys: ['put', 'del'] }), { code: 'OK' }, 'a later snapshot saw both');
  // A deleted key that was absent at startTs still counts: the rule is about records, not values.
  t.same(check(h, { startTs: 14, keys: ['del'] }), { code: 'READ_SET_CHANGED', key: 'del', conflictStartTs: 13, conflictCommitTs: 16 });
});

t.test('a long value committed above the start timestamp is a change like a short one', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', longValue(400), 12, 15);
  t.same(check(h, { startTs: 10, keys: ['k'] }), { code: 'READ_SET_CHANGED', key: 'k', conflictStartTs: 12, conflictCommitTs: 15 });
  t.same(check(h, { startTs: 10, spans: [{}] }), { code: 'READ_SET_CHANGED', key: 'k', conflictStartTs: 12, conflictCommitTs: 15 });
});

t.test('lock and rollback records above the start timestamp are not changes', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 5, 8);
  h.mustPrewriteLock(t, 'k', 'k', 12);
  h.mustCommit(t, 'k', 12, 14);
  h.mustPrewritePut(t, 'k', 'w', 'k', 16);
  h.mustRollback(t, 'k', 16);
  h.mustRollback(t, 'k', 18); // a rollback with no lock (a prewrite that never arrived)
  t.equal(h.writes('k').length, 4, 'records at 18, 16, 14 and 8');
  t.same(check(h, { startTs: 10, keys: ['k'] }), { code: 'OK' });
  t.same(check(h, { startTs: 10, spans: [{ start: 'k', end: 'l' }] }), { code: 'OK' });
});

t.test('a put below lock and rollback records is still found', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 12, 13);
  h.mustPrewriteLock(t, 'k', 'k', 14);
  h.mustCommit(t, 'k', 14, 15);
  h.mustRollback(t, 'k', 16);
  const expected = { code: 'READ_SET_CHANGED', key: 'k', conflictStartTs: 12, conflictCommitTs: 13 };
  t.same(check(h, { startTs: 10, keys: ['k'] }), expected);
  t.same(check(h, { startTs: 10, spans: [{}] }), expected);
  t.same(check(h, { startTs: 13, keys: ['k'], spans: [{}] }), { code: 'OK' });
});

t.test("another transaction's put or delete lock is a change, whatever its start timestamp", async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'p', 'v', 'p', 5);
  h.mustPrewriteDelete(t, 'd', 'd', 20);
  t.same(check(h, { startTs: 10, keys: ['p'] }), { code: 'READ_SET_CHANGED', key: 'p', conflictStartTs: 5, conflictCommitTs: undefined });
  t.same(check(h, { startTs: 10, keys: ['d'] }), { code: 'READ_SET_CHANGED', key: 'd', conflictStartTs: 20, conflictCommitTs: undefined });
  t.same(check(h, { startTs: 10, spans: [{ start: 'a', end: 'e' }] }), {
    code: 'READ_SET_CHANGED',
    key: 'd',
    conflictStartTs: 20,
    conflictCommitTs: undefined,
  });
});

t.test('pessimistic locks, lock-kind locks and our own locks are not changes', async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'pessimistic', 'pessimistic', 12, 12);
  h.mustPrewriteLock(t, 'lock', 'lock', 13);
  h.mustPrewritePut(t, 'own-put', 'v', 'own-put', 10);
  h.mustPrewriteDelete(t, 'own-delete', 'own-put', 10);
  const keys = ['pessimistic', 'lock', 'own-put', 'own-delete'];
  t.same(check(h, { startTs: 10, keys }), { code: 'OK' });
  t.same(check(h, { startTs: 10, spans: [{}] }), { code: 'OK' });
  t.same(check(h, { startTs: 11, keys: ['own-put'] }), {
    code: 'READ_SET_CHANGED',
    key: 'own-put',
    conflictStartTs: 10,
    conflictCommitTs: undefined,
  });
});

t.test("a pessimistic transaction's prewrite over its pessimistic lock is a change", async (t) => {
  const h = new Harness();
  h.mustAcquirePessimisticLock(t, 'k', 'k', 12, 14);
  t.same(check(h, { startTs: 10, keys: ['k'] }), { code: 'OK' });
  const upgraded = h.prewrite([{ kind: 'put', key: encode('k'), value: encode('v'), pessimistic: true }], 'k', 12, { forUpdateTs: asTimestamp(14) });
  t.equal(upgraded.code, 'OK');
  t.same(check(h, { startTs: 10, keys: ['k'] }), { code: 'READ_SET_CHANGED', key: 'k', conflictStartTs: 12, conflictCommitTs: undefined });
});

t.test('our own commit records are not changes (a repeated validation after commit)', async (t) => {
  const h = new Harness();
  h.mustPutCommitted(t, 'k', 'v', 10, 15);
  t.same(check(h, { startTs: 10, keys: ['k'], spans: [{}] }), { code: 'OK' });
  h.mustPutCommitted(t, 'k', 'w', 16, 17);
  t.same(check(h, { startTs: 10, keys: ['k'] }), { code: 'READ_SET_CHANGED', key: 'k', conflictStartTs: 16, conflictCommitTs: 17 });
});

t.test('a committed change is reported in preference to a lock, wherever each is', async (t) => {
  const h = new Harness();
  h.mustPrewritePut(t, 'a', 'v', 'a', 11);
  h.mustPutCommitted(t, 'z', 'v', 12, 13);
  t.same(check(h, { startTs: 10, keys: ['a', 'z'] }), { code: 'READ_SET_CHANGED', key: 'z', conflictStartTs: 12, conflictCommitTs: 13 });
  t.same(check(h, { startTs: 10, keys: ['a'], spans: [{ start: 'y' }] }), {
    code: 'READ_SET_CHANGED',
    key: 'z',
    conflictStartTs: 12,
    conflictCommitTs: 13,
  });
  t.same(check(h, { startTs: 10, spans: [{}] }), { code: 'READ_SET_CHANGED', key: 'z', conflictStartTs: 12, conflictCommitTs: 13 });
  t.same(check(h, { startTs: 10, keys: ['a'], spans: [{ end: 'y' }] }), {
    code: 'READ_SET_CHANGED',
    key: 'a',
    conflictStartTs: 11,
    conflictCommitTs: undefined,
  });
});

/** Prewrites and commits a put to a key given in Latin-1 (the harness's helpers encode keys as UTF-8). */
function putCommitted(t: Test, h: Harness, key: string, startTs: number, commitTs: number): void {
  const mutations: PrewriteMutation[] = [{ kind: 'put', key: encode(key), value: encode('v') }];
  t.equal(h.run(prewrite, { mutations, primary: encode(key), startTs: asTimestamp(startTs), lockTtlMs: 3000, txnSize: 1 }).code, 'OK');
  t.equal(h.run(commit, { keys: [encode(key)], startTs: asTimestamp(startTs), commitTs: asTimestamp(commitTs) }).code, 'OK');
}

t.test('spans are [start, end): open bounds, empty and inverted spans, keys sharing prefixes', async (t) => {
  const h = new Harness();
  for (const [index, key] of ['a', 'a\u0000', 'ab', 'b', 'b\u00ff', 'c'].entries()) {
    putCommitted(t, h, key, 20 + 2 * index, 21 + 2 * index);
  }
  const changedAt = (key: string): object => {
    const index = ['a', 'a\u0000', 'ab', 'b', 'b\u00ff', 'c'].indexOf(key);
    return { code: 'READ_SET_CHANGED', key, conflictStartTs: 20 + 2 * index, conflictCommitTs: 21 + 2 * index };
  };
  t.same(check(h, { startTs: 10, spans: [{}] }), changedAt('a'));
  t.same(check(h, { startTs: 10, spans: [{ start: 'a\u0000' }] }), changedAt('a\u0000'));
  t.same(check(h, { startTs: 10, spans: [{ start: 'a\u0001' }] }), changedAt('ab'));
  t.same(check(h, { startTs: 10, spans: [{ start: 'b\u0000' }] }), changedAt('b\u00ff'));
  t.same(check(h, { startTs: 10, spans: [{ end: 'a' }] }), { code: 'OK' }, 'the end key is excluded');
  t.same(check(h, { startTs: 10, spans: [{ start: 'a\u0001', end: 'ab' }] }), { code: 'OK' });
  t.same(check(h, { startTs: 10, spans: [{ start: 'c', end: 'a' }, { start: 'b', end: 'b' }] }), { code: 'OK' }, 'empty spans');
  t.same(check(h, { startTs: 10, spans: [{ start: 'c\u0000' }] }), { code: 'OK' });
  t.same(check(h, { startTs: 10, spans: [{ end: 'a' }, { start: 'c', end: 'd' }] }), changedAt('c'), 'the second span');
  // Everything up to 'b' committed at or below 27; only 'b\xff' and 'c' changed after it.
  t.same(check(h, { startTs: 27, spans: [{ end: 'b\u00ff' }] }), { code: 'OK' });
  t.same(check(h, { startTs: 27, spans: [{}] }), changedAt('b\u00ff'));
});

t.test('a span skips keys with many old versions and finds the change after them', async (t) => {
  const h = new Harness();
  for (let version = 0; version < 30; version++) h.mustPutCommitted(t, 'a', 'v', 10 + 2 * version, 11 + 2 * version);
  h.mustPutCommitted(t, 'b', 'v', 200, 201);
  t.same(check(h, { startTs: 100, spans: [{}] }), { code: 'READ_SET_CHANGED', key: 'b', conflictStartTs: 200, conflictCommitTs: 201 });
  t.same(check(h, { startTs: 60, spans: [{}] }), { code: 'READ_SET_CHANGED', key: 'a', conflictStartTs: 68, conflictCommitTs: 69 });
});

t.test('bad input is refused', async (t) => {
  const h = new Harness();
  t.throws(() => checkReadSet(h.snapshot(), { startTs: -1 as Timestamp, keys: [], spans: [] }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => checkReadSet(h.snapshot(), { startTs: 1.5 as Timestamp, keys: [], spans: [] }), { code: 'INVALID_ARGUMENT' });
});

// ---- randomized, against a model -------------------------------------------------------------------

const KEYS = ['', 'a', 'a\u0000', 'ab', 'b', 'b\u00ff', 'c', 'long key spanning groups'];
const BOUNDS = [...KEYS, 'a\u0001', 'bb', 'z'];

interface ModelLock {
  readonly kind: 'put' | 'delete' | 'lock' | 'pessimistic';
  readonly startTs: Timestamp;
}
interface ModelCommit {
  readonly startTs: Timestamp;
  readonly commitTs: Timestamp;
}

/** What the rule looks at: each key's committed puts and deletes (newest first) and its current lock. */
class Model {
  readonly commits = new Map<string, ModelCommit[]>();
  readonly locks = new Map<string, ModelLock>();

  expected(startTs: Timestamp, keys: readonly string[], spans: readonly { start?: string; end?: string }[]): ReturnType<typeof describe> {
    const readKeys = [...keys];
    for (const span of spans) {
      const inside = KEYS.filter(
        (key) =>
          (span.start === undefined || Buffer.compare(encode(key), encode(span.start)) >= 0) &&
          (span.end === undefined || Buffer.compare(encode(key), encode(span.end)) < 0),
      );
      readKeys.push(...inside.sort((a, b) => Buffer.compare(encode(a), encode(b))));
    }
    for (const key of readKeys) {
      const change = (this.commits.get(key) ?? []).find((entry) => entry.commitTs > startTs && entry.startTs !== startTs);
      if (change !== undefined) return { code: 'READ_SET_CHANGED', key, conflictStartTs: change.startTs, conflictCommitTs: change.commitTs };
    }
    for (const key of readKeys) {
      const lock = this.locks.get(key);
      if (lock !== undefined && (lock.kind === 'put' || lock.kind === 'delete') && lock.startTs !== startTs) {
        return { code: 'READ_SET_CHANGED', key, conflictStartTs: lock.startTs, conflictCommitTs: undefined };
      }
    }
    return { code: 'OK' };
  }
}

type Stage = 'new' | 'pessimistic-locked' | 'prewritten' | 'done';

interface Txn {
  readonly startTs: Timestamp;
  readonly pessimistic: boolean;
  readonly writes: Map<string, 'put' | 'delete' | 'lock'>;
  forUpdateTs?: Timestamp;
  stage: Stage;
}

t.test('randomized: interleaved transactions, every validation agrees with the model', async (t) => {
  const random = new SeededRandom(seed);
  const h = new Harness();
  const model = new Model();
  let clock = 100;
  const nextTs = (): Timestamp => asTimestamp(++clock);
  const txns: Txn[] = [];
  const outcomes = new Map<string, number>();
  const count = (what: string): void => void outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

  const rollbackTxn = (txn: Txn): void => {
    const keys = [...txn.writes.keys()];
    const result = h.run(rollback, { keys: keys.map(encode), startTs: txn.startTs, primaryKey: encode(keys[0]!) });
    t.equal(result.code, 'OK', 'rollback');
    for (const key of keys) if (model.locks.get(key)?.startTs === txn.startTs) model.locks.delete(key);
    txn.stage = 'done';
  };

  const step = (txn: Txn): void => {
    const keys = [...txn.writes.keys()];
    const primary = encode(keys[0]!);
    if (txn.stage === 'new' && txn.pessimistic) {
      const forUpdateTs = nextTs();
      const result = h.run(acquirePessimisticLock, {
        keys: keys.map((key) => ({ key: encode(key) })),
        primary,
        startTs: txn.startTs,
        forUpdateTs,
        lockTtlMs: 3000,
      });
      count(`pessimistic lock ${result.code}`);
      if (result.code !== 'OK') return rollbackTxn(txn);
      txn.forUpdateTs = forUpdateTs;
      for (const key of keys) model.locks.set(key, { kind: 'pessimistic', startTs: txn.startTs });
      txn.stage = 'pessimistic-locked';
    } else if (txn.stage === 'new' || txn.stage === 'pessimistic-locked') {
      const mutations: PrewriteMutation[] = keys.map((key) => {
        const kind = txn.writes.get(key)!;
        const base = { key: encode(key), pessimistic: txn.pessimistic };
        if (kind === 'put') return { ...base, kind, value: random.chance(0.2) ? longValue(300) : encode(`v${txn.startTs}`) };
        return { ...base, kind };
      });
      const result = h.run(prewrite, { mutations, primary, startTs: txn.startTs, lockTtlMs: 3000, txnSize: keys.length, forUpdateTs: txn.forUpdateTs });
      count(`prewrite ${result.code}`);
      if (result.code !== 'OK') return rollbackTxn(txn);
      for (const key of keys) model.locks.set(key, { kind: txn.writes.get(key)!, startTs: txn.startTs });
      txn.stage = 'prewritten';
    } else if (txn.stage === 'prewritten' && random.chance(0.8)) {
      const commitTs = nextTs();
      const result = h.run(commit, { keys: keys.map(encode), startTs: txn.startTs, commitTs });
      t.equal(result.code, 'OK', 'commit');
      count('commit');
      for (const key of keys) {
        const kind = txn.writes.get(key)!;
        if (kind !== 'lock') model.commits.set(key, [{ startTs: txn.startTs, commitTs }, ...(model.commits.get(key) ?? [])]);
        model.locks.delete(key);
      }
      txn.stage = 'done';
    } else {
      count('rollback');
      rollbackTxn(txn);
    }
  };

  const validations = { ok: 0, committed: 0, locked: 0 };
  for (let round = 0; round < 3000; round++) {
    const live = txns.filter((txn) => txn.stage !== 'done');
    const choice = random.float();
    if (choice < 0.2 || live.length === 0) {
      const writes = new Map<string, 'put' | 'delete' | 'lock'>();
      const writeCount = random.intBetween(1, 3);
      while (writes.size < writeCount) writes.set(random.pick(KEYS), random.pick(['put', 'put', 'delete', 'lock'] as const));
      txns.push({ startTs: nextTs(), pessimistic: random.chance(0.3), writes, stage: 'new' });
    } else if (choice < 0.6) {
      // Most transactions finish; some linger, holding pessimistic or prewrite locks for a long time.
      const txn = random.pick(live);
      if (random.chance(0.9)) step(txn);
    } else {
      // A validation at a transaction's start timestamp (its own locks and records must not count) or
      // at any timestamp so far.
      // Mostly recent timestamps, as a running transaction's would be, so that locks are often the only change.
      const startTs =
        random.chance(0.5) && txns.length > 0 ? random.pick(txns.slice(-20)).startTs : asTimestamp(Math.max(100, clock - random.int(30)));
      const keys = KEYS.filter(() => random.chance(0.15));
      const spans: { start?: string; end?: string }[] = [];
      for (let i = random.int(2); i > 0; i--) {
        spans.push({
          start: random.chance(0.2) ? undefined : random.pick(BOUNDS),
          end: random.chance(0.2) ? undefined : random.pick(BOUNDS),
        });
      }
      const actual = check(h, { startTs, keys, spans });
      const expected = model.expected(startTs, keys, spans);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        t.same(actual, expected, `validation at ${startTs} of keys ${JSON.stringify(keys)} and spans ${JSON.stringify(spans)}`);
        break;
      }
      if (actual.code === 'OK') validations.ok++;
      else if (actual.conflictCommitTs !== undefined) validations.committed++;
      else validations.locked++;
    }
  }
  t.comment(`validations ${JSON.stringify(validations)}; actions ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok(validations.ok > 50 && validations.committed > 50 && validations.locked > 50, 'every kind of answer was exercised');
});
