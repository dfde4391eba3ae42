// Proves that every FileSystem implementation keeps the same contract: the same bytes come back from
// appends, syncs, positioned reads and renames; directories, listings and sizes agree; and the same
// misuse fails with the same StorageError code. The suite runs unchanged against the real file system
// (in a fresh directory under os.tmpdir(), removed afterwards), the in-memory one and the
// fault-injecting one with no faults armed. A seeded random workload compares each against a model;
// a failure names its seed, and REEF_SEED=<seed> replays it.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSystem } from '../../../storage/env/file-system.js';
import { StorageError } from '../../../storage/env/errors.js';
import { RealFileSystem } from '../../../storage/env/real-file-system.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { FaultyFileSystem } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

interface Subject {
  readonly name: string;
  /** A file system and an existing, empty directory in it; `cleanup` removes what the test left. */
  make(): { fs: FileSystem; root: string; cleanup(): void };
}

const subjects: Subject[] = [
  {
    name: 'RealFileSystem',
    make: () => {
      const root = mkdtempSync(join(tmpdir(), 'reef-fs-contract-'));
      return { fs: new RealFileSystem(), root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  },
  {
    name: 'MemoryFileSystem',
    make: () => {
      const fs = new MemoryFileSystem();
      fs.mkdirp('/data/db');
      return { fs, root: '/data/db', cleanup: () => {} };
    },
  },
  {
    name: 'FaultyFileSystem',
    make: () => {
      const fs = new FaultyFileSystem(new SeededRandom(1));
      fs.mkdirp('/data/db');
      return { fs, root: '/data/db', cleanup: () => {} };
    },
  },
];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function writeFile(fs: FileSystem, path: string, contents: string): void {
  const file = fs.createWritable(path);
  file.append(bytes(contents));
  file.close();
}

for (const subject of subjects) {
  t.test(subject.name, async (t) => {
    const { fs, root, cleanup } = subject.make();
    t.teardown(cleanup);
    const at = (name: string): string => join(root, name);

    t.test('appended bytes come back from readFile and positioned reads', async (t) => {
      const path = at('000001.log');
      const file = fs.createWritable(path);
      t.equal(file.sizeBytes, 0);
      file.append(bytes('hello, '));
      file.append(new Uint8Array(0));
      file.append(bytes('world'));
      t.equal(file.sizeBytes, 12);
      await file.sync();
      t.equal(fs.sizeOf(path), 12, 'sync makes every appended byte visible to other handles');
      file.append(bytes('!'));
      file.close();
      t.equal(text(fs.readFile(path)), 'hello, world!');
      t.equal(fs.sizeOf(path), 13);
      t.ok(fs.exists(path));

      const reader = fs.openRandomAccess(path);
      t.equal(reader.sizeBytes, 13);
      t.equal(text(reader.read(7, 5)), 'world');
      t.equal(text(reader.read(0, 0)), '');
      t.equal(text(reader.read(13, 0)), '');
      const copy = reader.read(0, 5);
      copy[0] = 0;
      t.equal(text(reader.read(0, 5)), 'hello', 'returned bytes are the caller’s to change');
      t.throws(() => reader.read(10, 4), { code: 'EIO' }, 'a read past the end is a short read');
      t.throws(() => reader.read(-1, 2), { code: 'INVALID_ARGUMENT' });
      t.throws(() => reader.read(0, 1.5), { code: 'INVALID_ARGUMENT' });
      reader.close();
      t.throws(() => reader.read(0, 1), { code: 'CLOSED' });
    });

    t.test('a closed writable file refuses appends and syncs', async (t) => {
      const file = fs.createWritable(at('closed'));
      file.append(bytes('x'));
      file.close();
      file.close();
      t.throws(() => file.append(bytes('y')), { code: 'CLOSED' });
      await t.rejects(file.sync(), { code: 'CLOSED' });
      t.equal(text(fs.readFile(at('closed'))), 'x');
    });

    t.test('a sync in flight when the file closes still completes', async (t) => {
      const file = fs.createWritable(at('closing'));
      file.append(bytes('abc'));
      const pending = file.sync();
      file.close();
      await pending;
      t.equal(text(fs.readFile(at('closing'))), 'abc');
    });

    t.test('createWritable truncates an existing file', async (t) => {
      writeFile(fs, at('truncate'), 'old contents');
      const file = fs.createWritable(at('truncate'));
      t.equal(fs.sizeOf(at('truncate')), 0);
      file.append(bytes('new'));
      file.close();
      t.equal(text(fs.readFile(at('truncate'))), 'new');
    });

    t.test('missing files and directories fail with ENOENT', async (t) => {
      t.throws(() => fs.openRandomAccess(at('missing')), { code: 'ENOENT' });
      t.throws(() => fs.readFile(at('missing')), { code: 'ENOENT' });
      t.throws(() => fs.sizeOf(at('missing')), { code: 'ENOENT' });
      t.throws(() => fs.list(at('missing')), { code: 'ENOENT' });
      t.throws(() => fs.createWritable(at('no-dir/file')), { code: 'ENOENT' });
      t.throws(() => fs.rename(at('missing'), at('other')), { code: 'ENOENT' });
      await t.rejects(fs.syncDir(at('missing')), { code: 'ENOENT' });
      t.notOk(fs.exists(at('missing')));
      fs.remove(at('missing'));
      t.pass('removing a missing file does nothing');
      const error = t.throws(() => fs.readFile(at('missing')));
      t.ok(error instanceof StorageError && error.message.includes(at('missing')), 'the message names the path');
    });

    t.test('directories are not files', async (t) => {
      fs.mkdirp(at('sub'));
      t.throws(() => fs.createWritable(at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.openRandomAccess(at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.readFile(at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.sizeOf(at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.remove(at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.rename(at('sub'), at('sub2')), { code: 'INVALID_ARGUMENT' });
      writeFile(fs, at('plain'), 'p');
      t.throws(() => fs.rename(at('plain'), at('sub')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.list(at('plain')), { code: 'INVALID_ARGUMENT' });
      await t.rejects(fs.syncDir(at('plain')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.createWritable(at('plain/child')), { code: 'INVALID_ARGUMENT' });
      t.throws(() => fs.mkdirp(at('plain')), { code: 'EEXIST' });
      t.ok(fs.exists(at('sub')), 'exists is true for a directory');
      fs.remove(at('plain'));
    });

    t.test('mkdirp, list and remove', async (t) => {
      const dir = at('listing');
      fs.mkdirp(join(dir, 'a', 'b'));
      fs.mkdirp(join(dir, 'a', 'b'));
      fs.mkdirp(join(dir, 'a'));
      t.same(fs.list(dir), ['a']);
      for (const name of ['000010.sst', 'MANIFEST-000002', '000002.log', 'CURRENT']) writeFile(fs, join(dir, name), name);
      t.same(fs.list(dir), ['000002.log', '000010.sst', 'CURRENT', 'MANIFEST-000002', 'a']);
      t.same(fs.list(join(dir, 'a', 'b')), []);
      fs.remove(join(dir, '000010.sst'));
      t.notOk(fs.exists(join(dir, '000010.sst')));
      t.same(fs.list(dir), ['000002.log', 'CURRENT', 'MANIFEST-000002', 'a']);
      await fs.syncDir(dir);
    });

    t.test('rename replaces the target and keeps open handles working', async (t) => {
      writeFile(fs, at('CURRENT'), 'MANIFEST-000001\n');
      const writer = fs.createWritable(at('CURRENT.tmp'));
      writer.append(bytes('MANIFEST-'));
      await writer.sync();
      const reader = fs.openRandomAccess(at('CURRENT'));
      fs.rename(at('CURRENT.tmp'), at('CURRENT'));
      writer.append(bytes('000002\n'));
      writer.close();
      t.notOk(fs.exists(at('CURRENT.tmp')));
      t.equal(text(fs.readFile(at('CURRENT'))), 'MANIFEST-000002\n');
      t.equal(text(reader.read(0, 16)), 'MANIFEST-000001\n', 'a reader keeps the file it opened');
      reader.close();
      fs.rename(at('CURRENT'), at('CURRENT'));
      t.equal(text(fs.readFile(at('CURRENT'))), 'MANIFEST-000002\n', 'renaming a file onto itself does nothing');
      fs.mkdirp(at('moved'));
      fs.rename(at('CURRENT'), at('moved/CURRENT'));
      t.equal(text(fs.readFile(at('moved/CURRENT'))), 'MANIFEST-000002\n', 'rename moves between directories');
      t.throws(() => fs.rename(at('moved/CURRENT'), at('nowhere/CURRENT')), { code: 'ENOENT' });
      t.ok(fs.exists(at('moved/CURRENT')), 'a failed rename changes nothing');
    });

    t.test('a lock is exclusive until released', async (t) => {
      const path = at('LOCK');
      const lock = fs.lock(path);
      t.ok(fs.exists(path), 'the lock file exists while held');
      const error = t.throws(() => fs.lock(path), { code: 'LOCKED' });
      t.match((error as Error).message, `directory is in use by process ${process.pid}`);
      lock.release();
      t.notOk(fs.exists(path), 'release removes the lock file');
      lock.release();
      const again = fs.lock(path);
      t.throws(() => fs.lock(path), { code: 'LOCKED' });
      again.release();
      t.throws(() => fs.lock(at('no-dir/LOCK')), { code: 'ENOENT' });
    });

    t.test('a seeded workload of appends and reads matches a model', async (t) => {
      const seed = seedFromEnvironment();
      const replay = `(REEF_SEED=${seed})`;
      const random = new SeededRandom(seed);
      const path = at('random.sst');
      const file = fs.createWritable(path);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 60; i++) {
        // Mostly small appends (the buffered path), some larger than the 64 KiB buffer.
        const sizeBytes = random.chance(0.1) ? random.intBetween(60_000, 140_000) : random.intBetween(0, 3_000);
        const chunk = random.fill(new Uint8Array(sizeBytes));
        chunks.push(chunk.slice());
        file.append(chunk);
        chunk.fill(0); // the file system must have copied the bytes
        if (random.chance(0.1)) await file.sync();
      }
      const expected = Buffer.concat(chunks);
      const modelBytes = expected.length;
      t.equal(file.sizeBytes, modelBytes, `sizeBytes counts every append ${replay}`);
      await file.sync();
      file.close();
      t.equal(fs.sizeOf(path), modelBytes, `size on disk ${replay}`);
      t.ok(expected.equals(fs.readFile(path)), `whole file ${replay}`);
      const reader = fs.openRandomAccess(path);
      for (let i = 0; i < 50; i++) {
        const start = random.int(modelBytes + 1);
        const length = random.int(Math.min(200_000, modelBytes - start) + 1);
        const got = reader.read(start, length);
        if (!expected.subarray(start, start + length).equals(got)) {
          t.fail(`read(${start}, ${length}) differs ${replay}`);
        }
      }
      reader.close();
    });
  });
}
