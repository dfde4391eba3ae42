// Proves that the MVCC actions run on the real LSM through LsmMvccSnapshot exactly as on the in-memory
// store: the same seeded sequence of transactions (prewrite, commit or roll back, with long and short
// values and deletes) is applied to both, and every read — point gets and forward/reverse scans at many
// timestamps — agrees, across flushes, compactions and a reopen. Also proves the adapter's isolation: a
// snapshot taken before a write does not see it.
import t from 'tap';
import { announceSeed } from '../../support/seed.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { LsmDb } from '../../../storage/lsm/lsm-db.js';
import { LsmMvccSnapshot } from '../../../storage/mvcc/lsm-snapshot.js';
import { MemoryMvccStore, type MvccSnapshot } from '../../../storage/mvcc/snapshot.js';
import { prewrite, type PrewriteMutation } from '../../../storage/mvcc/actions/prewrite.js';
import { commit } from '../../../storage/mvcc/actions/commit.js';
import { rollback } from '../../../storage/mvcc/actions/rollback.js';
import { mvccGet } from '../../../storage/mvcc/reader.js';
import { mvccScan } from '../../../storage/mvcc/scanner.js';
import type { ActionOutput } from '../../../storage/mvcc/results.js';
import { bytes, text, ts } from './harness.js';

const seed = announceSeed(import.meta.url);
/** Bytes as hex, so that a Buffer (what the LSM returns) and a Uint8Array with the same bytes compare equal. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, plain(field)]));
  }
  return value;
}

const options = (fs: MemoryFileSystem) => ({ fs, dir: '/db', memtableSizeBytes: 4096, targetFileSizeBytes: 4096 });

/** The two stores side by side: each action is evaluated on each store's own snapshot and applied there. */
class TwoStores {
  readonly memory = new MemoryMvccStore();
  constructor(public lsm: LsmDb) {}

  async run<Request, Result>(
    action: (snapshot: MvccSnapshot, request: Request) => ActionOutput<Result>,
    request: Request,
  ): Promise<[Result, Result]> {
    const inMemory = action(this.memory.snapshot(), request);
    this.memory.apply(inMemory.batch);
    const onLsm = this.read((snapshot) => action(snapshot, request));
    await this.lsm.write(onLsm.batch, { sync: false });
    return [inMemory.result, onLsm.result];
  }

  read<T>(body: (snapshot: MvccSnapshot) => T): T {
    const snapshot = new LsmMvccSnapshot(this.lsm);
    try {
      return body(snapshot);
    } finally {
      snapshot.release();
    }
  }
}

t.test('actions on the LSM read back exactly as on the in-memory store', async (t) => {
  const fs = new MemoryFileSystem();
  const stores = new TwoStores(await LsmDb.open(options(fs)));
  const random = new SeededRandom(seed);
  const keys = Array.from({ length: 24 }, (_, i) => bytes(`key-${String(i).padStart(2, '0')}`));
  let now = 100;
  for (let transaction = 0; transaction < 150; transaction++) {
    const startTs = ts((now += 2));
    const written = [...new Set(Array.from({ length: random.intBetween(1, 4) }, () => random.pick(keys)))];
    const mutations: PrewriteMutation[] = written.map((key) =>
      random.chance(0.2)
        ? { kind: 'delete', key }
        : { kind: 'put', key, value: random.fill(new Uint8Array(random.chance(0.2) ? 300 : random.intBetween(0, 20))) },
    );
    const request = { mutations, primary: written[0]!, startTs, lockTtlMs: 3000, txnSize: written.length };
    const [memoryPrewrite, lsmPrewrite] = await stores.run(prewrite, request);
    t.same(plain(lsmPrewrite), plain(memoryPrewrite), `prewrite ${transaction}`);
    if (memoryPrewrite.code === 'OK') {
      const [memoryEnd, lsmEnd] = random.chance(0.8)
        ? await stores.run(commit, { keys: written, startTs, commitTs: ts((now += 1)) })
        : await stores.run(rollback, { keys: written, startTs, primaryKey: written[0]! });
      t.same(plain(lsmEnd), plain(memoryEnd), `commit or rollback ${transaction}`);
    }
    if (random.chance(0.05)) await stores.lsm.flush();
    if (random.chance(0.02)) await stores.lsm.compactRange();
    if (random.chance(0.02)) {
      await stores.lsm.close();
      stores.lsm = await LsmDb.open(options(fs));
    }
    for (let check = 0; check < 3; check++) {
      const readTs = ts(random.intBetween(100, now + 1));
      const key = random.pick(keys);
      const expected = mvccGet(stores.memory.snapshot(), key, readTs);
      t.same(plain(stores.read((snapshot) => mvccGet(snapshot, key, readTs))), plain(expected), `get at ${readTs}`);
      const scan = { readTs, limit: random.intBetween(1, 30), reverse: random.chance(0.5) };
      t.same(plain(stores.read((snapshot) => mvccScan(snapshot, scan))), plain(mvccScan(stores.memory.snapshot(), scan)), `scan at ${readTs}`);
    }
  }
  await stores.lsm.close();
});

t.test('a snapshot does not see what is written after it was taken', async (t) => {
  const db = await LsmDb.open(options(new MemoryFileSystem()));
  const before = new LsmMvccSnapshot(db);
  const output = prewrite(before, { mutations: [{ kind: 'put', key: bytes('k'), value: bytes('v') }], primary: bytes('k'), startTs: ts(10), lockTtlMs: 3000, txnSize: 1 });
  await db.write(output.batch);
  t.match(mvccGet(before, bytes('k'), ts(20)), { code: 'OK', value: undefined }, 'the old snapshot sees no lock');
  const after = new LsmMvccSnapshot(db);
  t.match(mvccGet(after, bytes('k'), ts(20)), { code: 'KEY_IS_LOCKED' }, 'a new one does');
  await db.write(commit(after, { keys: [bytes('k')], startTs: ts(10), commitTs: ts(15) }).batch);
  const committed = new LsmMvccSnapshot(db);
  const read = mvccGet(committed, bytes('k'), ts(15));
  t.equal(read.code === 'OK' ? text(read.value) : read.code, 'v', 'the committed value from the commit timestamp on');
  t.match(mvccGet(committed, bytes('k'), ts(14)), { code: 'OK', value: undefined }, 'and nothing before it');
  for (const snapshot of [before, after, committed]) snapshot.release();
  await db.close();
});
