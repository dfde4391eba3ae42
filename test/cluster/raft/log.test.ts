// Proves the Raft log (unstable tail over storage) appends, truncates, commits and slices as §5.3
// requires, and that its invariants (committed never truncated, commit within the log, applied
// monotonic) stop the process instead of corrupting it.
import t from 'tap';
import { RaftInvariantError } from '../../../cluster/raft/errors.js';
import { RaftLog } from '../../../cluster/raft/log.js';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import { type Entry, EMPTY_CONF_STATE } from '../../../cluster/raft/types.js';

const entry = (index: number, term: number, size = 0): Entry => ({ index, term, type: 'normal', data: new Uint8Array(size) });
const terms = (...termsByIndex: number[]): Entry[] => termsByIndex.map((term, i) => entry(i + 1, term));
const show = (entries: readonly Entry[]): string => entries.map((e) => `${e.index}@${e.term}`).join(' ');

function logWith(stored: Entry[], unstable: Entry[] = []): RaftLog {
  const storage = new MemoryLogStorage();
  storage.append(stored);
  const log = new RaftLog(storage, Infinity);
  if (unstable.length > 0) log.append(unstable);
  return log;
}

t.test('§5.3: maybeAppend checks (index, logTerm) and truncates only a conflicting tail', async (t) => {
  const cases: { index: number; logTerm: number; commit: number; entries: Entry[]; want: number | undefined; log: string }[] = [
    // The previous entry does not match: refused.
    { index: 3, logTerm: 2, commit: 3, entries: [entry(4, 4)], want: undefined, log: '1@1 2@2 3@3' },
    { index: 4, logTerm: 3, commit: 3, entries: [entry(5, 4)], want: undefined, log: '1@1 2@2 3@3' },
    // Matches and appends.
    { index: 3, logTerm: 3, commit: 3, entries: [entry(4, 4)], want: 4, log: '1@1 2@2 3@3 4@4' },
    // Entries we already hold: nothing truncated.
    { index: 1, logTerm: 1, commit: 2, entries: [entry(2, 2)], want: 2, log: '1@1 2@2 3@3' },
    // A conflict at 3 replaces the tail from 3.
    { index: 2, logTerm: 2, commit: 2, entries: [entry(3, 4), entry(4, 4)], want: 4, log: '1@1 2@2 3@4 4@4' },
  ];
  for (const c of cases) {
    const log = logWith(terms(1, 2, 3));
    const got = log.maybeAppend(c.index, c.logTerm, c.commit, c.entries);
    t.equal(got, c.want, `append after ${c.index}@${c.logTerm}`);
    t.equal(show(log.slice(1, log.lastIndex() + 1, Infinity)), c.log);
    if (got !== undefined) t.equal(log.committed, Math.min(c.commit, got), 'commit is min(leader commit, last new)');
  }
});

t.test('a committed entry is never truncated', async (t) => {
  const log = logWith(terms(1, 2, 3));
  log.commitTo(3);
  t.throws(() => log.maybeAppend(1, 1, 3, [entry(2, 5)]), RaftInvariantError);
});

t.test('commit never exceeds the last index and never decreases', async (t) => {
  const log = logWith(terms(1, 1));
  log.commitTo(2);
  log.commitTo(1);
  t.equal(log.committed, 2);
  t.throws(() => log.commitTo(3), /commit-within-log/);
  t.throws(() => log.appliedTo(3), /applied-monotonic-and-committed/);
  log.appliedTo(2);
  t.throws(() => log.appliedTo(1), /applied-monotonic-and-committed/);
});

t.test('findConflictByTerm gives the largest index at or below whose term is not above', async (t) => {
  const log = logWith(terms(1, 1, 2, 2, 5, 5));
  t.same(log.findConflictByTerm(6, 4), { index: 4, term: 2 });
  t.same(log.findConflictByTerm(6, 5), { index: 6, term: 5 });
  t.same(log.findConflictByTerm(4, 1), { index: 2, term: 1 });
  t.same(log.findConflictByTerm(6, 0), { index: 0, term: 0 });
});

t.test('isUpToDate compares last terms, then lengths (§5.4.1)', async (t) => {
  const log = logWith(terms(1, 2, 3));
  t.ok(log.isUpToDate(1, 4), 'higher last term wins even if shorter');
  t.notOk(log.isUpToDate(5, 2), 'lower last term loses even if longer');
  t.ok(log.isUpToDate(3, 3), 'equal');
  t.notOk(log.isUpToDate(2, 3), 'same term, shorter');
});

t.test('slices span storage and the unstable tail and respect the size limit', async (t) => {
  const stored = [entry(1, 1, 84), entry(2, 1, 84)];
  const unstable = [entry(3, 1, 84), entry(4, 1, 84)];
  const log = logWith(stored, unstable);
  t.equal(show(log.slice(1, 5, Infinity)), '1@1 2@1 3@1 4@1');
  t.equal(show(log.slice(1, 5, 300)), '1@1 2@1 3@1', 'three entries of 100 bytes fit in 300');
  t.equal(show(log.slice(2, 4, 150)), '2@1', 'the unstable part never overshoots');
  t.equal(show(log.slice(3, 5, 0)), '3@1', 'at least one entry');
});

t.test('stableTo ignores entries that were replaced after being handed out', async (t) => {
  const log = logWith(terms(1), [entry(2, 1), entry(3, 1)]);
  log.append([entry(3, 2)]);
  t.notOk(log.unstable.stableTo(3, 1), 'entry 3@1 is gone');
  t.ok(log.unstable.stableTo(2, 1));
  t.equal(log.unstable.offset, 3);
  t.equal(show(log.unstable.entries), '3@2');
});

t.test('restoring a snapshot makes it the whole log, committed', async (t) => {
  const log = logWith(terms(1, 1));
  log.restore({ metadata: { index: 10, term: 3, confState: EMPTY_CONF_STATE }, data: new Uint8Array() });
  t.equal(log.firstIndex(), 11);
  t.equal(log.lastIndex(), 10);
  t.equal(log.lastTerm(), 3);
  t.equal(log.committed, 10);
  t.same(log.nextCommittedEntries(), [], 'nothing to apply before the snapshot is installed');
  t.equal(log.entriesFrom(5, Infinity), undefined, 'compacted entries need a snapshot');
});
