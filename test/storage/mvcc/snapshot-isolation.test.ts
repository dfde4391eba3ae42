// Proves that the MVCC actions give snapshot isolation when driven the way a coordinator drives them.
// Many transactions run interleaved (each step is one action against a fresh snapshot, its batch
// applied at once, as under latches): optimistic two-phase, pessimistic (row locks as they write),
// async commit (sometimes falling back to two-phase) and 1PC; some coordinators crash after prewrite,
// after the primary commit or among the secondaries, some stall until their locks expire; some
// requests are delivered twice, late. Readers
// and writers that meet locks check the primary's status and resolve, push minCommitTs, or wait, as
// the coordinator will. Time is virtual and locks expire. At the end every leftover lock is resolved,
// and the history is checked against a model built from the transactions' outcomes:
//  - every transaction the coordinator saw commit is committed at that timestamp, no aborted one is,
//    and the write family holds exactly the committed transactions' records;
//  - every get and scan at readTs saw exactly the newest committed write with commitTs <= readTs;
//  - no two committed transactions that overlap in time ((startTs, commitTs) intervals; for a key locked
//    pessimistically at a later forUpdateTs, from there) wrote the same key (first committer wins);
//  - no lock is left, and after garbage collection reads at and above the safe point are unchanged.
import t, { type Test } from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { acquirePessimisticLock } from '../../../storage/mvcc/actions/acquire-pessimistic-lock.js';
import { commit } from '../../../storage/mvcc/actions/commit.js';
import { gc } from '../../../storage/mvcc/actions/gc.js';
import { heartbeat } from '../../../storage/mvcc/actions/heartbeat.js';
import { type PrewriteMutation, prewrite } from '../../../storage/mvcc/actions/prewrite.js';
import { rollback } from '../../../storage/mvcc/actions/rollback.js';
import { Family, splitVersionedKey } from '../../../storage/mvcc/keys.js';
import { decodeWrite } from '../../../storage/mvcc/records.js';
import { getTxnCommitRecord, mvccGet } from '../../../storage/mvcc/reader.js';
import { mvccScan, scanLocks } from '../../../storage/mvcc/scanner.js';
import { TIMESTAMP_MAX, TIMESTAMP_ZERO, type Timestamp, maxTimestamp, physicalMsOf } from '../../../storage/mvcc/timestamp.js';
import { MvccWorld, drive, handleLock } from './lock-resolver.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

// Keys that share prefixes and hold 0x00 and 0xff bytes, and one longer than a memcomparable group.
const KEYS = ['', 'a', 'a\u0000', 'ab', 'b', 'b\u00ff', 'c', 'long key spanning groups'];
const encode = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const LOCK_TTL_MS = 40;
const WRITER_WAIT_ATTEMPTS = 30;
const READER_WAIT_ATTEMPTS = 5000;

type Mode = 'optimistic' | 'pessimistic' | 'async' | 'onePc';
type Crash = 'none' | 'after-prewrite' | 'after-primary' | 'mid-secondaries';
type WriteOp = { kind: 'put'; value: string } | { kind: 'delete' } | { kind: 'lock' };

interface Txn {
  readonly id: number;
  readonly startTs: Timestamp;
  readonly mode: Mode;
  readonly crash: Crash;
  /** A slow coordinator stalls between prewrite and commit, long enough for its locks to expire. */
  readonly slow: boolean;
  readonly writes: Map<string, WriteOp>;
  /** Keys this pessimistic transaction has locked, with the forUpdateTs each was locked at. */
  readonly pessimisticLocked: Map<string, Timestamp>;
  primary?: string;
  outcome: 'running' | 'committed' | 'aborted' | 'crashed';
  /** The commit timestamp the coordinator knows the transaction has (async: once every prewrite succeeded). */
  knownCommitTs?: Timestamp;
}

type ReadRecord =
  | { kind: 'get'; readTs: Timestamp; key: string; value: string | undefined }
  | { kind: 'scan'; readTs: Timestamp; start?: string; end?: string; limit: number; reverse: boolean; pairs: [string, string][] };

class World extends MvccWorld {
  readonly reads: ReadRecord[] = [];
}

function* readKey(w: World, txn: Txn, key: string, bypass: Set<Timestamp>): Generator<void, void> {
  for (let attempt = 0; attempt < READER_WAIT_ATTEMPTS; attempt++) {
    yield;
    w.read(txn.startTs);
    const result = mvccGet(w.store.snapshot(), encode(key), txn.startTs, { bypassLockTs: bypass });
    if (result.code === 'OK') {
      w.reads.push({ kind: 'get', readTs: txn.startTs, key, value: result.value === undefined ? undefined : decode(result.value) });
      return;
    }
    const outcome = yield* handleLock(w, result.locks[0]!, txn.startTs, bypass);
    if (outcome === 'wait') w.count('reader waited');
  }
  throw new Error(`reader ${txn.id} waited ${READER_WAIT_ATTEMPTS} times`);
}

function* scanSpan(w: World, txn: Txn, bypass: Set<Timestamp>): Generator<void, void> {
  const [a, b] = [w.random.pick(KEYS), w.random.pick(KEYS)].sort();
  const start = w.random.chance(0.2) ? undefined : a;
  const end = w.random.chance(0.2) ? undefined : b;
  const limit = 1 + w.random.int(6);
  const reverse = w.random.chance(0.4);
  for (let attempt = 0; attempt < READER_WAIT_ATTEMPTS; attempt++) {
    yield;
    w.read(txn.startTs);
    const result = mvccScan(w.store.snapshot(), {
      startKey: start === undefined ? undefined : encode(start),
      endKey: end === undefined ? undefined : encode(end),
      readTs: txn.startTs,
      limit,
      reverse,
      bypassLockTs: bypass,
    });
    if (result.code === 'OK') {
      const pairs = result.pairs.map((pair): [string, string] => [decode(pair.key), decode(pair.value)]);
      w.reads.push({ kind: 'scan', readTs: txn.startTs, start, end, limit, reverse, pairs });
      return;
    }
    for (const met of result.locks) yield* handleLock(w, met, txn.startTs, bypass);
  }
  throw new Error(`scanner ${txn.id} waited ${READER_WAIT_ATTEMPTS} times`);
}

function* acquire(w: World, txn: Txn, key: string): Generator<void, boolean> {
  // Half the locks are taken at the start timestamp (snapshot isolation for the key); the others at a
  // fresh forUpdateTs, as a statement that reads the latest version does (the key's conflict window
  // then starts there).
  let forUpdateTs = w.random.chance(0.5) ? txn.startTs : w.tso();
  for (let attempt = 0; attempt < WRITER_WAIT_ATTEMPTS; attempt++) {
    yield;
    const primary = txn.primary ?? key;
    const result = w.run(
      acquirePessimisticLock,
      { keys: [{ key: encode(key) }], primary: encode(primary), startTs: txn.startTs, forUpdateTs, lockTtlMs: LOCK_TTL_MS },
      true,
    );
    if (result.code === 'OK') {
      txn.primary = primary;
      txn.pessimisticLocked.set(key, forUpdateTs);
      return true;
    }
    if (result.code === 'WRITE_CONFLICT' && result.reason === 'pessimistic-retry' && w.random.chance(0.5)) {
      w.count('pessimistic lock retried at a newer forUpdateTs');
      forUpdateTs = w.tso();
      continue;
    }
    if (result.code !== 'KEY_IS_LOCKED') {
      w.count(`pessimistic lock failed: ${result.code}`);
      return false;
    }
    yield* handleLock(w, result.locks[0]!, TIMESTAMP_ZERO, undefined);
  }
  w.count('writer gave up waiting');
  return false;
}

function* abort(w: World, txn: Txn): Generator<void, void> {
  yield;
  const keys = new Set([...txn.writes.keys(), ...txn.pessimisticLocked.keys()]);
  if (keys.size > 0) {
    const result = w.run(rollback, { keys: [...keys].map(encode), startTs: txn.startTs, primaryKey: encode(txn.primary ?? [...keys][0]!) });
    if (result.code === 'TXN_COMMITTED' && (txn.mode === 'onePc' || txn.mode === 'async')) {
      // A duplicate of an attempt that had failed was delivered late and completed the transaction.
      w.count('abort found it committed by a duplicate request');
      txn.knownCommitTs = result.commitTs;
      txn.outcome = 'committed';
      return;
    }
    if (result.code !== 'OK') throw new Error(`txn ${txn.id}: rollback of an aborted transaction answered ${result.code}`);
  }
  txn.outcome = 'aborted';
}

function mutationsOf(txn: Txn, keys: string[]): PrewriteMutation[] {
  const pessimistic = txn.mode === 'pessimistic';
  return keys.map((key) => {
    const op = txn.writes.get(key)!;
    if (op.kind === 'put') return { kind: 'put', key: encode(key), value: encode(op.value), pessimistic };
    return { kind: op.kind, key: encode(key), pessimistic };
  });
}

/** Prewrites `keys`, waiting on locks; returns the prewrite's OK result or undefined when it failed. */
function* prewriteKeys(
  w: World,
  txn: Txn,
  keys: string[],
  extra: { onePc?: boolean; pushable: boolean },
): Generator<void, { minCommitTs: Timestamp; onePcCommitTs?: Timestamp | undefined; fellBackToTwoPhase: boolean } | undefined> {
  const all = [...txn.writes.keys()];
  const asyncOrOnePc = txn.mode === 'async' || extra.onePc === true;
  for (let attempt = 0; attempt < WRITER_WAIT_ATTEMPTS; attempt++) {
    yield;
    const result = w.run(
      prewrite,
      {
        mutations: mutationsOf(txn, keys),
        primary: encode(txn.primary!),
        startTs: txn.startTs,
        lockTtlMs: LOCK_TTL_MS,
        txnSize: all.length,
        forUpdateTs: txn.mode === 'pessimistic' ? [...txn.pessimisticLocked.values()].reduce(maxTimestamp, txn.startTs) : undefined,
        minCommitTs: extra.pushable ? ((txn.startTs + 1) as Timestamp) : undefined,
        asyncCommit: txn.mode === 'async' ? { secondaries: all.filter((key) => key !== txn.primary).map(encode) } : undefined,
        onePc: extra.onePc,
        maxReadTs: asyncOrOnePc ? w.maxReadTs : undefined,
        maxCommitTs: asyncOrOnePc && w.random.chance(0.15) ? ((w.maxReadTs + w.random.int(3)) as Timestamp) : undefined,
      },
      true,
    );
    if (result.code === 'OK') return result;
    if (result.code === 'ALREADY_COMMITTED') {
      // A duplicate of an earlier attempt, delivered late, completed a 1PC or async-commit transaction
      // (an async-commit transaction is committed once every key is prewritten, and a resolver may
      // have committed it since). Two-phase transactions commit only through their coordinator.
      if (!asyncOrOnePc) throw new Error(`txn ${txn.id} (${txn.mode}): ALREADY_COMMITTED before it committed`);
      w.count('committed by a duplicate request');
      return { minCommitTs: TIMESTAMP_ZERO, onePcCommitTs: result.commitTs, fellBackToTwoPhase: false };
    }
    if (result.code !== 'KEY_IS_LOCKED') {
      w.count(`prewrite failed: ${result.code}`);
      return undefined;
    }
    for (const met of result.locks) yield* handleLock(w, met, TIMESTAMP_ZERO, undefined);
  }
  w.count('writer gave up waiting');
  return undefined;
}

function* commitKeys(w: World, txn: Txn, keys: string[], commitTs: Timestamp): Generator<void, void> {
  yield;
  const result = w.run(commit, { keys: keys.map(encode), startTs: txn.startTs, commitTs }, true);
  if (result.code !== 'OK') throw new Error(`txn ${txn.id}: committing secondaries answered ${result.code}`);
}

function* runTxn(w: World, txn: Txn): Generator<void, void> {
  const random = w.random;
  const bypass = new Set<Timestamp>([txn.startTs]);
  const operations = 1 + random.int(4);
  for (let i = 0; i < operations; i++) {
    const choice = random.float();
    if (choice < 0.25) {
      yield* readKey(w, txn, random.pick(KEYS), bypass);
    } else if (choice < 0.4) {
      yield* scanSpan(w, txn, bypass);
    } else if (choice < 0.45 && txn.mode === 'pessimistic' && txn.primary !== undefined) {
      yield;
      const advice = physicalMsOf(w.tso()) - physicalMsOf(txn.startTs) + LOCK_TTL_MS;
      const beat = w.run(heartbeat, { primaryKey: encode(txn.primary), startTs: txn.startTs, adviseTtlMs: advice });
      if (beat.code !== 'OK') {
        w.count('heartbeat found the primary gone');
        return yield* abort(w, txn);
      }
    } else {
      const key = random.pick(KEYS);
      const choice = random.float();
      const op: WriteOp =
        choice < 0.7
          ? { kind: 'put', value: `t${txn.id}:${i}${random.chance(0.3) ? '.'.repeat(300) : ''}` }
          : choice < 0.9 || txn.mode === 'pessimistic'
            ? { kind: 'delete' }
            : { kind: 'lock' };
      if (txn.mode === 'pessimistic' && !txn.pessimisticLocked.has(key)) {
        if (!(yield* acquire(w, txn, key))) return yield* abort(w, txn);
      }
      txn.writes.set(key, op);
    }
  }
  if (txn.writes.size === 0) {
    txn.outcome = 'committed';
    return;
  }
  const keys = [...txn.writes.keys()];
  txn.primary ??= keys[0]!;
  const secondaries = keys.filter((key) => key !== txn.primary);
  const pushable = txn.mode !== 'async' && random.chance(0.5);

  let fellBack = false;
  let asyncCommitTs = TIMESTAMP_ZERO;
  if (txn.mode === 'onePc') {
    const result = yield* prewriteKeys(w, txn, keys, { onePc: true, pushable: false });
    if (result === undefined) return yield* abort(w, txn);
    if (result.onePcCommitTs !== undefined) {
      w.count('committed in one phase');
      txn.knownCommitTs = result.onePcCommitTs;
      txn.outcome = 'committed';
      return;
    }
    fellBack = true;
  } else {
    const shuffled = [...keys].sort(() => random.float() - 0.5);
    const groups = random.int(2) === 0 ? [shuffled] : [shuffled.slice(0, 1), shuffled.slice(1)].filter((group) => group.length > 0);
    for (const group of groups) {
      const result = yield* prewriteKeys(w, txn, group, { pushable });
      if (result === undefined) return yield* abort(w, txn);
      if (result.onePcCommitTs !== undefined) {
        // Committed by a duplicate request and a resolver; the resolvers finish what is left.
        txn.knownCommitTs = result.onePcCommitTs;
        txn.outcome = 'committed';
        return;
      }
      fellBack ||= result.fellBackToTwoPhase;
      asyncCommitTs = maxTimestamp(asyncCommitTs, result.minCommitTs);
    }
  }
  const isAsync = txn.mode === 'async' && !fellBack;
  if (isAsync) {
    w.count('committed by async commit');
    txn.knownCommitTs = asyncCommitTs;
  }
  if (fellBack) w.count('fell back to two-phase');
  if (txn.slow) {
    w.count('slow coordinator stalled');
    for (let i = 0; i < 60; i++) yield;
  }
  if (txn.crash === 'after-prewrite') {
    w.count('crashed after prewrite');
    txn.outcome = 'crashed';
    return;
  }
  let commitTs = isAsync ? asyncCommitTs : w.tso();
  for (let attempt = 0; ; attempt++) {
    yield;
    const result = w.run(commit, { keys: [encode(txn.primary)], startTs: txn.startTs, commitTs }, true);
    if (result.code === 'OK') break;
    if (result.code === 'COMMIT_TS_EXPIRED' && !isAsync && attempt < 10) {
      w.count('commit timestamp pushed');
      commitTs = w.tso();
      continue;
    }
    if (result.code === 'TXN_LOCK_NOT_FOUND' && !isAsync) {
      w.count('primary rolled back under its coordinator');
      return yield* abort(w, txn);
    }
    throw new Error(`txn ${txn.id}: committing the primary answered ${result.code}`);
  }
  txn.knownCommitTs = commitTs;
  txn.outcome = 'committed';
  if (txn.crash === 'after-primary') {
    w.count('crashed after the primary');
    txn.outcome = 'crashed';
    return;
  }
  for (const [index, key] of secondaries.entries()) {
    if (txn.crash === 'mid-secondaries' && index === Math.floor(secondaries.length / 2)) {
      w.count('crashed among the secondaries');
      txn.outcome = 'crashed';
      return;
    }
    yield* commitKeys(w, txn, [key], commitTs);
  }
}

function runWorkload(t: Test, roundSeed: number): void {
  const random = new SeededRandom(roundSeed);
  const w = new World(random);
  const txns: Txn[] = [];
  const live: { txn: Txn; generator: Generator<void, void> }[] = [];
  const totalTxns = 200;
  const concurrency = 2 + random.int(8);
  for (let steps = 0; txns.length < totalTxns || live.length > 0; steps++) {
    if (steps > 400_000) throw new Error('the workload did not finish: livelock');
    w.nowMs += random.int(3);
    if (live.length < concurrency && txns.length < totalTxns && random.chance(0.3)) {
      const mode = random.pick<Mode>(['optimistic', 'optimistic', 'pessimistic', 'async', 'onePc']);
      const crash = random.chance(0.85) ? 'none' : random.pick<Crash>(['after-prewrite', 'after-primary', 'mid-secondaries']);
      const txn: Txn = { id: txns.length, startTs: w.tso(), mode, crash, slow: random.chance(0.15), writes: new Map(), pessimisticLocked: new Map(), outcome: 'running' };
      txns.push(txn);
      live.push({ txn, generator: runTxn(w, txn) });
      continue;
    }
    if (w.ghosts.length > 0 && random.chance(0.05)) {
      const index = random.int(w.ghosts.length);
      const ghost = w.ghosts[index]!;
      w.ghosts.splice(index, 1);
      ghost();
      continue;
    }
    if (live.length === 0) continue;
    const index = random.int(live.length);
    if (live[index]!.generator.next().done === true) live.splice(index, 1);
  }

  // Every coordinator is done; those that crashed left locks. Resolve them all, long after every TTL.
  w.nowMs += 10_000_000;
  for (let round = 0; ; round++) {
    if (round > 100) throw new Error('locks keep coming back');
    const locks = scanLocks(w.store.snapshot(), { maxTs: TIMESTAMP_MAX, limit: 10_000 });
    if (locks.length === 0) break;
    for (const met of locks) drive(handleLock(w, met, TIMESTAMP_ZERO, undefined));
  }
  checkHistory(t, w, txns);
  for (const [what, count] of [...w.counts].sort()) t.comment(`  ${what}: ${count}`);
}

function checkHistory(t: Test, w: World, txns: Txn[]): void {
  const snapshot = w.store.snapshot();
  const byStartTs = new Map<number, Txn>(txns.map((txn) => [txn.startTs, txn]));
  // 1. Outcomes: the primary's record is the truth; the coordinator's knowledge must agree with it.
  const committed = new Map<Txn, Timestamp>();
  let failures = 0;
  const fail = (message: string): void => {
    if (failures++ < 10) t.fail(message);
  };
  for (const txn of txns) {
    if (txn.writes.size === 0 || txn.primary === undefined) continue;
    const record = getTxnCommitRecord(snapshot, encode(txn.primary), txn.startTs);
    if (record.kind === 'committed') committed.set(txn, record.commitTs);
    if (txn.knownCommitTs !== undefined && (record.kind !== 'committed' || record.commitTs !== txn.knownCommitTs)) {
      fail(`txn ${txn.id} (${txn.mode}) was known committed at ${txn.knownCommitTs}, its primary says ${JSON.stringify(record)}`);
    }
    if (txn.outcome === 'aborted' && record.kind === 'committed') fail(`txn ${txn.id} (${txn.mode}) aborted but its primary is committed`);
  }
  // 2. The write family holds exactly the committed transactions' records.
  const expectedRecords = new Set<string>();
  for (const [txn, commitTs] of committed) for (const key of txn.writes.keys()) expectedRecords.add(`${key}@${commitTs}`);
  for (const [key, value] of w.store.allEntries()) {
    if (key[0] === Family.Lock) fail(`a lock is left on ${decode(key)}`);
    if (key[0] !== Family.Write) continue;
    const write = decodeWrite(value);
    if (write.kind === 'rollback') continue;
    const { userKey, timestamp } = splitVersionedKey(Family.Write, key);
    const txn = byStartTs.get(write.startTs);
    const name = `${decode(userKey)}@${timestamp}`;
    if (txn === undefined || committed.get(txn) !== timestamp || !expectedRecords.delete(name)) {
      fail(`write record ${name} of the transaction started at ${write.startTs} belongs to no committed write`);
    } else if (write.kind !== txn.writes.get(decode(userKey))!.kind) {
      fail(`write record ${name} has kind ${write.kind}`);
    }
  }
  for (const missing of expectedRecords) fail(`committed write ${missing} has no record`);

  // 3. Reads saw exactly the newest committed write at or below their timestamp.
  const versions = new Map<string, { commitTs: number; value: string | undefined }[]>();
  for (const [txn, commitTs] of committed) {
    for (const [key, op] of txn.writes) {
      if (op.kind === 'lock') continue;
      const list = versions.get(key) ?? [];
      list.push({ commitTs, value: op.kind === 'put' ? op.value : undefined });
      versions.set(key, list);
    }
  }
  for (const list of versions.values()) list.sort((a, b) => b.commitTs - a.commitTs);
  const valueAt = (key: string, readTs: number): string | undefined => versions.get(key)?.find((version) => version.commitTs <= readTs)?.value;
  for (const read of w.reads) {
    if (read.kind === 'get') {
      const expected = valueAt(read.key, read.readTs);
      if (expected !== read.value) fail(`get ${JSON.stringify(read.key)}@${read.readTs} saw ${read.value}, expected ${expected}`);
      continue;
    }
    let keys = [...KEYS].sort().filter((key) => (read.start === undefined || key >= read.start) && (read.end === undefined || key < read.end));
    if (read.reverse) keys = keys.reverse();
    const expected = keys
      .map((key): [string, string | undefined] => [key, valueAt(key, read.readTs)])
      .filter((pair): pair is [string, string] => pair[1] !== undefined)
      .slice(0, read.limit);
    if (JSON.stringify(expected) !== JSON.stringify(read.pairs)) {
      fail(`scan ${JSON.stringify(read)} expected ${JSON.stringify(expected)}`);
    }
  }

  // 4. First committer wins: no committed write of a key falls inside another committed writer's
  // window for that key, (startTs, commitTs), or (forUpdateTs, commitTs) for a key locked pessimistically
  // at a later forUpdateTs. For windows that start at startTs this is "no two overlapping transactions
  // wrote the same key".
  const writers = new Map<string, { txn: Txn; commitTs: number }[]>();
  for (const [txn, commitTs] of committed) {
    for (const key of txn.writes.keys()) writers.set(key, [...(writers.get(key) ?? []), { txn, commitTs }]);
  }
  for (const [key, list] of writers) {
    for (const a of list) {
      const windowStart = a.txn.pessimisticLocked.get(key) ?? a.txn.startTs;
      for (const b of list) {
        if (a.txn !== b.txn && windowStart < b.commitTs && b.commitTs < a.commitTs) {
          fail(`txn ${b.txn.id} committed ${JSON.stringify(key)} at ${b.commitTs}, inside txn ${a.txn.id}'s window (${windowStart}, ${a.commitTs})`);
        }
      }
    }
  }

  // 5. Garbage collection below a safe point changes no read at or above it.
  const allTs = [...committed.values()].sort((a, b) => a - b);
  const safePoint = allTs[Math.floor(allTs.length / 2)] ?? TIMESTAMP_ZERO;
  let resumeKey: Uint8Array | undefined;
  do {
    const output = gc(w.store.snapshot(), { safePoint, startKey: resumeKey, keyLimit: 3 });
    if (output.result.code !== 'OK') throw new Error(`gc answered ${output.result.code}`);
    w.store.apply(output.batch);
    resumeKey = output.result.resumeKey;
  } while (resumeKey !== undefined);
  const after = w.store.snapshot();
  for (const key of KEYS) {
    for (const readTs of [safePoint, ...allTs.filter((commitTs) => commitTs >= safePoint)]) {
      const got = mvccGet(after, encode(key), readTs);
      const value = got.code === 'OK' && got.value !== undefined ? decode(got.value) : undefined;
      if (got.code !== 'OK' || value !== valueAt(key, readTs)) fail(`after gc at ${safePoint}: ${JSON.stringify(key)}@${readTs} reads ${value}`);
    }
  }
  t.equal(failures, 0, `${txns.length} transactions, ${committed.size} committed, ${w.reads.length} reads checked`);
}

t.test('interleaved transactions through the actions keep snapshot isolation', async (t) => {
  const seeds = new SeededRandom(seed);
  for (let round = 0; round < 16; round++) {
    const roundSeed = seeds.int(2 ** 31);
    t.comment(`round ${round} (workload seed ${roundSeed})`);
    runWorkload(t, roundSeed);
  }
});
