// Proves MemoryLogStorage keeps etcd-io/raft's Storage contract: the dummy entry answers the term just
// before the first index, reads outside the stored range fail with typed errors, appends truncate a
// conflicting tail, and compaction and snapshots move the first index.
import t from 'tap';
import { LogCompactedError, LogUnavailableError, SnapshotOutOfDateError } from '../../../cluster/raft/errors.js';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import { type Entry, EMPTY_CONF_STATE, nodeId } from '../../../cluster/raft/types.js';

const entry = (index: number, term: number, size = 0): Entry => ({ index, term, type: 'normal', data: new Uint8Array(size) });
const indexes = (entries: readonly Entry[]): string => entries.map((e) => `${e.index}@${e.term}`).join(' ');

t.test('an empty storage has first index 1, last index 0, and the term of index 0', async (t) => {
  const storage = new MemoryLogStorage();
  t.equal(storage.firstIndex(), 1);
  t.equal(storage.lastIndex(), 0);
  t.equal(storage.term(0), 0);
  t.throws(() => storage.term(1), LogUnavailableError);
  t.same(storage.entries(1, 1, 100), []);
});

t.test('append truncates a conflicting tail and refuses a gap', async (t) => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
  storage.append([entry(2, 2)]);
  t.equal(indexes(storage.entries(1, 3, Infinity)), '1@1 2@2');
  t.equal(storage.lastIndex(), 2);
  t.throws(() => storage.append([entry(5, 2)]), /storage-contiguous/);
});

t.test('entries are cut by size, but never below one entry', async (t) => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1, 100), entry(2, 1, 100), entry(3, 1, 100)]);
  t.equal(storage.entries(1, 4, 0).length, 1);
  t.equal(storage.entries(1, 4, 116 * 2).length, 2);
  t.equal(storage.entries(1, 4, 116 * 2 - 1).length, 1);
  t.throws(() => storage.entries(1, 5, Infinity), LogUnavailableError);
});

t.test('compaction keeps the term of the compacted index and refuses reads below it', async (t) => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1), entry(2, 2), entry(3, 3), entry(4, 3)]);
  storage.compact(2);
  t.equal(storage.firstIndex(), 3);
  t.equal(storage.term(2), 2);
  t.throws(() => storage.term(1), LogCompactedError);
  t.throws(() => storage.entries(2, 4, Infinity), LogCompactedError);
  t.equal(indexes(storage.entries(3, 5, Infinity)), '3@3 4@3');
  // Appending entries that start below the first index keeps only the new part.
  storage.append([entry(2, 2), entry(3, 3), entry(4, 4), entry(5, 4)]);
  t.equal(indexes(storage.entries(3, 6, Infinity)), '3@3 4@4 5@4');
});

t.test('snapshots replace the log and must move forward', async (t) => {
  const storage = new MemoryLogStorage();
  storage.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
  const confState = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2)] };
  const created = storage.createSnapshot(2, confState, new Uint8Array([7]));
  t.equal(created.metadata.term, 1);
  t.throws(() => storage.createSnapshot(1, confState, new Uint8Array()), SnapshotOutOfDateError);
  storage.applySnapshot({ metadata: { index: 10, term: 4, confState }, data: new Uint8Array() });
  t.equal(storage.firstIndex(), 11);
  t.equal(storage.lastIndex(), 10);
  t.equal(storage.term(10), 4);
  t.same(storage.initialState().confState.voters, [1, 2]);
  t.throws(
    () => storage.applySnapshot({ metadata: { index: 9, term: 4, confState }, data: new Uint8Array() }),
    SnapshotOutOfDateError,
  );
});
