// Proves that a version edit survives encoding and decoding field for field (including large numbers
// and empty keys), and that damaged bytes (truncation, an unknown tag, a bad level, inverted keys) are
// reported as CorruptionError naming the file and an offset, never decoded into a wrong edit.
import t from 'tap';
import { CorruptionError, StorageError } from '../../../storage/env/errors.js';
import { encodeInternalKey, MAX_SEQUENCE, ValueType } from '../../../storage/lsm/internal-key.js';
import { VersionEdit, type FileMetaData } from '../../../storage/lsm/version-edit.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

const key = (text: string, sequence: number, type = ValueType.Value): Uint8Array =>
  encodeInternalKey(new TextEncoder().encode(text), sequence, type);

function file(number: number, smallest: string, largest: string): FileMetaData {
  return {
    number,
    sizeBytes: number * 1000 + 17,
    smallest: key(smallest, 10),
    largest: key(largest, 3),
    entryCount: number * 3,
    rangeTombstoneCount: number % 2,
  };
}

t.test('every field round-trips', async (t) => {
  const edit = new VersionEdit();
  edit.comparatorName = 'leveldb.BytewiseComparator';
  edit.logNumber = 12;
  edit.prevLogNumber = 0;
  edit.nextFileNumber = 2 ** 40 + 5;
  edit.lastSequence = MAX_SEQUENCE;
  edit.setCompactPointer(3, key('m', 77));
  edit.deleteFile(1, 9);
  edit.deleteFile(0, 2 ** 35);
  edit.addFile(0, file(20, 'a', 'z'));
  edit.addFile(6, file(21, '', ''));
  edit.addFile(2, { ...file(22, 'k', 'k'), largest: key('q', MAX_SEQUENCE, ValueType.RangeDeletion) });
  const decoded = VersionEdit.decode(edit.encode(), 'MANIFEST-000001');
  t.equal(decoded.comparatorName, edit.comparatorName);
  t.equal(decoded.logNumber, 12);
  t.equal(decoded.prevLogNumber, 0);
  t.equal(decoded.nextFileNumber, 2 ** 40 + 5);
  t.equal(decoded.lastSequence, MAX_SEQUENCE);
  t.same(decoded.compactPointers, edit.compactPointers);
  t.same(decoded.deletedFiles, edit.deletedFiles);
  t.same(decoded.newFiles, edit.newFiles);
  t.equal(decoded.toString(), edit.toString());
});

t.test('an empty edit round-trips to an empty edit', async (t) => {
  const decoded = VersionEdit.decode(new VersionEdit().encode(), 'MANIFEST-000001');
  t.equal(decoded.logNumber, undefined);
  t.equal(decoded.newFiles.length, 0);
});

t.test('arguments that would write a bad edit are refused', async (t) => {
  const edit = new VersionEdit();
  t.throws(() => edit.addFile(7, file(1, 'a', 'b')), StorageError);
  t.throws(() => edit.addFile(0, file(1, 'z', 'a')), StorageError);
  t.throws(() => edit.addFile(0, { ...file(1, 'a', 'b'), sizeBytes: -1 }), StorageError);
  t.throws(() => edit.deleteFile(-1, 3), StorageError);
});

t.test('damaged bytes are reported as corruption with file and offset', async (t) => {
  const edit = new VersionEdit();
  edit.logNumber = 3;
  edit.addFile(1, file(5, 'apple', 'banana'));
  const bytes = edit.encode();
  // The log number field takes bytes [0, 2); every longer strict prefix ends inside the new-file field.
  t.equal(VersionEdit.decode(bytes.subarray(0, 2), 'MANIFEST-000004').logNumber, 3);
  t.throws(() => VersionEdit.decode(bytes.subarray(0, 1), 'MANIFEST-000004'), CorruptionError);
  for (let length = 3; length < bytes.length; length++) {
    t.throws(() => VersionEdit.decode(bytes.subarray(0, length), 'MANIFEST-000004', 100), CorruptionError, `prefix ${length}`);
  }
  const unknownTag = Uint8Array.of(8, 1);
  const error = t.throws(() => VersionEdit.decode(unknownTag, 'MANIFEST-000004', 100)) as CorruptionError;
  t.equal(error.file, 'MANIFEST-000004');
  t.equal(error.offset, 100);
  t.match(error.message, /unknown version edit tag 8/);
  t.throws(() => VersionEdit.decode(Uint8Array.of(6, 7, 1), 'M', 0), /level 7/);
  // A new file whose smallest key sorts after its largest.
  const swapped = new VersionEdit();
  swapped.newFiles.push({ level: 1, file: { ...file(5, 'a', 'b'), smallest: key('b', 3), largest: key('a', 10) } });
  t.throws(() => VersionEdit.decode(swapped.encode(), 'M', 0), /smallest key sorts after largest/);
});

t.test('random edits round-trip (seeded)', async (t) => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  const randomKey = (): Uint8Array => {
    const user = random.fill(new Uint8Array(random.int(20)));
    return encodeInternalKey(user, random.int(2 ** 40), random.pick([ValueType.Deletion, ValueType.Value]));
  };
  for (let round = 0; round < 200; round++) {
    const edit = new VersionEdit();
    if (random.chance(0.5)) edit.logNumber = random.int(2 ** 45);
    if (random.chance(0.5)) edit.lastSequence = random.int(2 ** 50);
    for (let i = random.int(5); i > 0; i--) edit.deleteFile(random.int(7), random.int(1e9));
    for (let i = random.int(5); i > 0; i--) {
      const a = randomKey();
      edit.addFile(random.int(7), {
        number: random.int(1e9),
        sizeBytes: random.int(2 ** 40),
        smallest: a,
        largest: a,
        entryCount: random.int(1e7),
        rangeTombstoneCount: random.int(10),
      });
    }
    const decoded = VersionEdit.decode(edit.encode(), 'M');
    if (decoded.toString() !== edit.toString() || JSON.stringify(decoded.newFiles) !== JSON.stringify(edit.newFiles)) {
      t.fail(`round ${round} differs (REEF_SEED=${seed})`);
      return;
    }
  }
  t.pass(`200 random edits round-trip (seed ${seed})`);
});
