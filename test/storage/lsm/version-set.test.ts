// Proves that the version set's MANIFEST and CURRENT rebuild exactly the live file set and counters
// after a reopen (also across a MANIFEST rollover and with a torn last edit), that obsolete files are
// deleted only when no live version lists them, that a damaged CURRENT or MANIFEST or a missing table
// fails recovery with CorruptionError, and that broken level invariants are refused.
import t from 'tap';
import { CorruptionError } from '../../../storage/env/errors.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { encodeInternalKey, MAX_SEQUENCE, ValueType } from '../../../storage/lsm/internal-key.js';
import { VersionEdit, type FileMetaData } from '../../../storage/lsm/version-edit.js';
import { VersionSet, fileContainsUserKey, type Version } from '../../../storage/lsm/version-set.js';
import { logFileName, manifestFileName, tableFileName } from '../../../storage/lsm/filenames.js';

const dir = '/db';
const comparatorName = 'leveldb.BytewiseComparator';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function meta(number: number, smallest: string, largest: string): FileMetaData {
  return {
    number,
    sizeBytes: 100 + number,
    smallest: encodeInternalKey(bytes(smallest), 5, ValueType.Value),
    largest: encodeInternalKey(bytes(largest), 4, ValueType.Value),
    entryCount: 2,
    rangeTombstoneCount: 0,
  };
}

function setup(): { fs: MemoryFileSystem; deleted: number[] } {
  const fs = new MemoryFileSystem();
  fs.mkdirp(dir);
  return { fs, deleted: [] };
}

function open(fs: MemoryFileSystem, deleted: number[], maxManifestSizeBytes?: number): VersionSet {
  return new VersionSet({
    fs,
    dir,
    comparatorName,
    onTableDeleted: (number) => deleted.push(number),
    ...(maxManifestSizeBytes === undefined ? {} : { maxManifestSizeBytes }),
  });
}

/** Creates the table files an edit adds, so that recovery finds them, and returns the edit. */
function adding(fs: MemoryFileSystem, level: number, ...files: FileMetaData[]): VersionEdit {
  const edit = new VersionEdit();
  for (const file of files) {
    fs.createWritable(`${dir}/${tableFileName(file.number)}`).close();
    edit.addFile(level, file);
  }
  return edit;
}

function describe(version: Version): string[][] {
  return version.levels.map((files) => files.map((file) => `${file.number}`));
}

t.test('recovery rebuilds exactly the live files and counters', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  t.ok(set.databaseExists());
  const numbers = Array.from({ length: 6 }, () => set.newFileNumber());
  await set.logAndApply(adding(fs, 0, meta(numbers[0]!, 'a', 'm')));
  await set.logAndApply(adding(fs, 0, meta(numbers[1]!, 'c', 'z')));
  const compaction = adding(fs, 1, meta(numbers[2]!, 'a', 'k'), meta(numbers[3]!, 'l', 'z'));
  compaction.deleteFile(0, numbers[0]!);
  compaction.deleteFile(0, numbers[1]!);
  set.lastSequence = 1234;
  await set.logAndApply(compaction);
  const logEdit = adding(fs, 0, meta(numbers[4]!, 'b', 'b'));
  logEdit.logNumber = numbers[5]!;
  await set.logAndApply(logEdit);
  t.same(deleted.sort(), [numbers[0], numbers[1]].sort(), 'compacted inputs were deleted');
  t.notOk(fs.exists(`${dir}/${tableFileName(numbers[0]!)}`));
  set.close();

  const reopened = open(fs, []);
  reopened.recover();
  t.same(describe(reopened.current), describe(set.current));
  t.same(describe(reopened.current), [[`${numbers[4]}`], [`${numbers[2]}`, `${numbers[3]}`], [], [], [], [], []]);
  t.equal(reopened.logNumber, numbers[5]);
  t.equal(reopened.lastSequence, 1234);
  t.ok(reopened.nextFileNumber > numbers[5]!);
  t.same(reopened.current.levels[1]![0], meta(numbers[2]!, 'a', 'k'), 'file metadata is exact');
});

t.test('a pinned version keeps its files until released', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  const number = set.newFileNumber();
  await set.logAndApply(adding(fs, 1, meta(number, 'a', 'b')));
  const pinned = set.current;
  pinned.ref();
  const removal = new VersionEdit();
  removal.deleteFile(1, number);
  await set.logAndApply(removal);
  t.ok(fs.exists(`${dir}/${tableFileName(number)}`), 'still listed by a pinned version');
  t.same(deleted, []);
  pinned.unref();
  t.notOk(fs.exists(`${dir}/${tableFileName(number)}`), 'deleted once released');
  t.same(deleted, [number]);
});

t.test('obsolete files found at open are deleted; live ones kept', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  const live = set.newFileNumber();
  const stray = set.newFileNumber();
  const pending = set.newFileNumber();
  const oldLog = set.newFileNumber();
  const newLog = set.newFileNumber();
  const edit = adding(fs, 2, meta(live, 'a', 'b'));
  edit.logNumber = newLog;
  await set.logAndApply(edit);
  for (const name of [tableFileName(stray), tableFileName(pending), logFileName(oldLog), logFileName(newLog), manifestFileName(1), '000001.dbtmp', 'README']) {
    fs.createWritable(`${dir}/${name}`).close();
  }
  set.close();
  const reopened = open(fs, deleted);
  reopened.recover();
  t.same(reopened.walsToReplay(), [newLog]);
  await reopened.writeSnapshotManifest();
  reopened.deleteObsoleteFiles(new Set([pending]));
  const names = fs.list(dir);
  t.ok(names.includes(tableFileName(live)));
  t.ok(names.includes(tableFileName(pending)), 'a pending output is kept');
  t.ok(names.includes(logFileName(newLog)));
  t.ok(names.includes('README'), 'names the engine does not own are left alone');
  t.notOk(names.includes(tableFileName(stray)));
  t.notOk(names.includes(logFileName(oldLog)));
  t.notOk(names.includes('000001.dbtmp'));
  t.same(names.filter((name) => name.startsWith('MANIFEST-')), [manifestFileName(reopened.manifestNumber)]);
  t.ok(deleted.includes(stray));
});

t.test('a MANIFEST rollover keeps the state and removes the old MANIFEST', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted, 600);
  await set.writeSnapshotManifest();
  const first = set.manifestNumber;
  const numbers: number[] = [];
  for (let i = 0; i < 30; i++) {
    const number = set.newFileNumber();
    numbers.push(number);
    await set.logAndApply(adding(fs, 0, meta(number, `k${i}`, `k${i}`)));
  }
  t.not(set.manifestNumber, first, 'rolled over');
  t.same(fs.list(dir).filter((name) => name.startsWith('MANIFEST-')), [manifestFileName(set.manifestNumber)]);
  const reopened = open(fs, []);
  reopened.recover();
  t.same(describe(reopened.current), describe(set.current));
  t.equal(reopened.current.fileCount(0), 30);
});

t.test('a torn last edit is dropped; the edits before it survive', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  const number = set.newFileNumber();
  await set.logAndApply(adding(fs, 0, meta(number, 'a', 'b')));
  set.close();
  const path = `${dir}/${manifestFileName(set.manifestNumber)}`;
  // Re-create the MANIFEST with its bytes plus half of a record header: a torn append.
  const original = fs.readFile(path);
  const rewritten = fs.createWritable(path);
  rewritten.append(original);
  rewritten.append(Uint8Array.of(1, 2, 3));
  rewritten.close();
  const reopened = open(fs, []);
  reopened.recover();
  t.same(describe(reopened.current), describe(set.current));
});

t.test('damaged CURRENT, missing MANIFEST or missing table fail with CorruptionError', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  const number = set.newFileNumber();
  await set.logAndApply(adding(fs, 1, meta(number, 'a', 'b')));
  set.close();
  const current = fs.readFile(`${dir}/CURRENT`);

  const writeCurrent = (text: string): void => {
    const file = fs.createWritable(`${dir}/CURRENT`);
    file.append(bytes(text));
    file.close();
  };
  writeCurrent('MANIFEST-000002');
  t.throws(() => open(fs, []).recover(), CorruptionError, 'no newline');
  writeCurrent('000002.log\n');
  t.throws(() => open(fs, []).recover(), CorruptionError, 'not a manifest');
  writeCurrent('MANIFEST-999999\n');
  t.throws(() => open(fs, []).recover(), /missing/);
  const restore = fs.createWritable(`${dir}/CURRENT`);
  restore.append(current);
  restore.close();
  fs.remove(`${dir}/${tableFileName(number)}`);
  const error = t.throws(() => open(fs, []).recover()) as CorruptionError;
  t.type(error, CorruptionError);
  t.equal(error.file, tableFileName(number));
  const other = new VersionSet({ fs, dir, comparatorName: 'reverse' });
  t.throws(() => other.recover(), /comparator/);
});

t.test('edits that break level invariants are refused and change nothing', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  await set.logAndApply(adding(fs, 1, meta(set.newFileNumber(), 'a', 'f')));
  const before = describe(set.current);
  await t.rejects(set.logAndApply(adding(fs, 1, meta(set.newFileNumber(), 'e', 'h'))), /overlap/);
  const missing = new VersionEdit();
  missing.deleteFile(2, 999);
  await t.rejects(set.logAndApply(missing), /absent/);
  t.same(describe(set.current), before);
  // A file ending in an exclusive range-tombstone bound may touch the next file's first user key.
  const bounded: FileMetaData = { ...meta(set.newFileNumber(), 'g', 'g'), largest: encodeInternalKey(bytes('k'), MAX_SEQUENCE, ValueType.RangeDeletion) };
  await set.logAndApply(adding(fs, 1, bounded, meta(set.newFileNumber(), 'k', 'm')));
  t.equal(set.current.fileCount(1), 3);
  t.notOk(fileContainsUserKey(bounded, bytes('k')), 'an exclusive bound does not contain its key');
  t.ok(fileContainsUserKey(bounded, bytes('j')));
  const found = set.current.fileForKey(1, bytes('k'), encodeInternalKey(bytes('k'), 100, ValueType.RangeDeletion));
  t.equal(found?.number, set.current.levels[1]![2]!.number, 'a lookup of the bound key goes to the next file');
});

t.test('level-0 overlap expands to every file it touches', async (t) => {
  const { fs, deleted } = setup();
  const set = open(fs, deleted);
  await set.writeSnapshotManifest();
  await set.logAndApply(adding(fs, 0, meta(set.newFileNumber(), 'a', 'c')));
  await set.logAndApply(adding(fs, 0, meta(set.newFileNumber(), 'c', 'f')));
  await set.logAndApply(adding(fs, 0, meta(set.newFileNumber(), 'f', 'h')));
  await set.logAndApply(adding(fs, 0, meta(set.newFileNumber(), 'x', 'z')));
  t.equal(set.current.overlappingFiles(0, bytes('a'), bytes('a')).length, 3);
  t.equal(set.current.overlappingFiles(0, bytes('y'), undefined).length, 1);
  t.equal(set.current.overlappingFiles(0, undefined, undefined).length, 4);
});
