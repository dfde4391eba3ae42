// Proves that the fault-injecting file system enforces the durability contract and injects exactly the
// faults it is asked for: a crash loses precisely the bytes and directory changes not yet synced (or,
// tearing, keeps a prefix of the unsynced bytes), injected failures and the capacity limit fail one
// operation and change nothing, bit flips occur at the configured rate, and everything replays from
// the seed. Randomized tests name their seed in every assertion; REEF_SEED=<seed> replays one.
import t from 'tap';
import { FaultyFileSystem, type FileOperation } from '../../../storage/env/faulty-file-system.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';
import type { WritableFile } from '../../../storage/env/file-system.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

function freshFileSystem(seed = 1, tearLastWrite = false): FaultyFileSystem {
  const fs = new FaultyFileSystem(new SeededRandom(seed), { tearLastWrite });
  fs.mkdirp('/db');
  return fs;
}

/** Creates `path` holding `contents`, synced, with its directory entry synced too. */
async function durableFile(fs: FaultyFileSystem, path: string, contents: string): Promise<void> {
  const file = fs.createWritable(path);
  file.append(bytes(contents));
  await file.sync();
  file.close();
  await fs.syncDir('/db');
}

t.test('a crash keeps exactly the synced prefix of every file', async (t) => {
  const seed = seedFromEnvironment();
  const replay = `(REEF_SEED=${seed})`;
  const random = new SeededRandom(seed);
  const fs = freshFileSystem(seed);
  const expectedAfterCrash = new Map<string, Uint8Array>();
  const writers: WritableFile[] = [];
  for (let i = 0; i < 5; i++) {
    const path = `/db/00000${i}.log`;
    const file = fs.createWritable(path);
    writers.push(file);
    let synced = new Uint8Array(0);
    let written: number[] = [];
    for (let round = 0; round < 8; round++) {
      const chunk = random.fill(new Uint8Array(random.intBetween(0, 500)));
      file.append(chunk);
      written = written.concat([...chunk]);
      if (random.chance(0.4)) {
        await file.sync();
        synced = Uint8Array.from(written);
      }
    }
    expectedAfterCrash.set(path, synced);
  }
  await fs.syncDir('/db');
  t.same(
    fs.filesWithUnsyncedBytes(),
    [...expectedAfterCrash].filter(([path]) => fs.sizeOf(path) > expectedAfterCrash.get(path)!.length).map(([path]) => path),
    `files with unsynced bytes are listed ${replay}`,
  );
  fs.crash();
  for (const [path, synced] of expectedAfterCrash) {
    t.same(fs.readFile(path), synced, `${path} holds its synced bytes ${replay}`);
  }
  t.same(fs.filesWithUnsyncedBytes(), [], 'nothing is unsynced after a crash');
  t.throws(() => writers[0]!.append(bytes('x')), { code: 'CLOSED' }, 'handles from before the crash are dead');
  await t.rejects(writers[1]!.sync(), { code: 'CLOSED' });
});

t.test('a sync in flight at the crash makes nothing durable and rejects', async (t) => {
  const fs = freshFileSystem();
  await durableFile(fs, '/db/wal', 'one;');
  const file = fs.createWritable('/db/wal.2');
  await fs.syncDir('/db');
  file.append(bytes('two;'));
  const pending = file.sync();
  const pendingDir = fs.syncDir('/db');
  fs.crash();
  await t.rejects(pending, { code: 'CLOSED' });
  await t.rejects(pendingDir, { code: 'CLOSED' });
  t.equal(text(fs.readFile('/db/wal.2')), '', 'the unfinished sync covered nothing');
  t.equal(fs.stats.syncCount, 1);
});

t.test('a torn write keeps a random prefix of the unsynced bytes, replayably', async (t) => {
  const seed = seedFromEnvironment();
  const replay = `(REEF_SEED=${seed})`;
  const syncedText = 'synced-part;';
  const unsynced = 'u'.repeat(40);
  const fs = freshFileSystem(seed, true);
  const paths: string[] = [];
  for (let trial = 0; trial < 200; trial++) {
    const path = `/db/torn-${String(trial).padStart(3, '0')}`;
    const file = fs.createWritable(path);
    file.append(bytes(syncedText));
    await file.sync();
    file.append(bytes(unsynced));
    paths.push(path);
  }
  await fs.syncDir('/db');
  fs.crash();
  const lengths = paths.map((path) => {
    const contents = text(fs.readFile(path));
    t.ok((syncedText + unsynced).startsWith(contents), `${path} holds a prefix of what was written ${replay}`);
    t.ok(contents.length >= syncedText.length, `${path} keeps its synced bytes ${replay}`);
    return contents.length;
  });
  const torn = lengths.filter((length) => length > syncedText.length && length < syncedText.length + unsynced.length);
  t.ok(torn.length > 100, `most files are torn strictly inside the unsynced bytes (${torn.length}/200) ${replay}`);
  t.ok(new Set(lengths).size > 20, `the tear point varies ${replay}`);

  const replayed = freshFileSystem(seed, true);
  for (const path of paths) {
    const file = replayed.createWritable(path);
    file.append(bytes(syncedText));
    await file.sync();
    file.append(bytes(unsynced));
  }
  await replayed.syncDir('/db');
  replayed.crash();
  t.same(paths.map((path) => replayed.sizeOf(path)), lengths, `the same seed tears the same way ${replay}`);

  const notTorn = freshFileSystem(seed, true);
  const file = notTorn.createWritable('/db/x');
  file.append(bytes(unsynced));
  await notTorn.syncDir('/db');
  notTorn.crash({ tearLastWrite: false });
  t.equal(notTorn.sizeOf('/db/x'), 0, 'crash({ tearLastWrite: false }) overrides the option');
});

t.test('directory changes not followed by syncDir are undone by a crash', async (t) => {
  const fs = freshFileSystem();
  await durableFile(fs, '/db/removed', 'removed contents');
  await durableFile(fs, '/db/renamed', 'renamed contents');
  await durableFile(fs, '/db/replaced', 'replaced contents');
  const appendedAfter = fs.createWritable('/db/created');
  appendedAfter.append(bytes('created contents'));
  await appendedAfter.sync();
  fs.remove('/db/removed');
  fs.rename('/db/renamed', '/db/renamed.new');
  const replacement = fs.createWritable('/db/replaced');
  replacement.append(bytes('new'));
  await replacement.sync();
  t.same(fs.pathsWithUnsyncedEntries(), ['/db/created', '/db/removed', '/db/renamed', '/db/renamed.new', '/db/replaced']);
  fs.crash();
  t.same(fs.list('/db'), ['removed', 'renamed', 'replaced'], 'a created file vanishes even though its bytes were synced');
  t.equal(text(fs.readFile('/db/removed')), 'removed contents', 'a removed file reappears with its synced bytes');
  t.equal(text(fs.readFile('/db/renamed')), 'renamed contents', 'a rename reverts');
  t.equal(text(fs.readFile('/db/replaced')), 'replaced contents', 'a file created over another reverts to the old one');
});

t.test('directory changes followed by syncDir survive a crash', async (t) => {
  const fs = freshFileSystem();
  fs.mkdirp('/db/archive');
  await durableFile(fs, '/db/removed', 'x');
  await durableFile(fs, '/db/CURRENT.tmp', 'MANIFEST-2');
  fs.remove('/db/removed');
  fs.rename('/db/CURRENT.tmp', '/db/CURRENT');
  const moved = fs.createWritable('/db/archive/old.log');
  moved.append(bytes('archived'));
  await moved.sync();
  await fs.syncDir('/db');
  t.same(fs.pathsWithUnsyncedEntries(), ['/db/archive/old.log'], 'only the other directory is still unsynced');
  await fs.syncDir('/db/archive');
  t.same(fs.pathsWithUnsyncedEntries(), []);
  fs.crash();
  t.same(fs.list('/db'), ['CURRENT', 'archive']);
  t.equal(text(fs.readFile('/db/CURRENT')), 'MANIFEST-2');
  t.equal(text(fs.readFile('/db/archive/old.log')), 'archived');
});

t.test('a syncDir covers the entries as of its call, not later ones', async (t) => {
  const fs = freshFileSystem();
  fs.createWritable('/db/before').close();
  const pending = fs.syncDir('/db');
  fs.createWritable('/db/after').close();
  await pending;
  fs.crash();
  t.same(fs.list('/db'), ['before']);
});

t.test('failNext fails the next operation of its kind once and changes nothing', async (t) => {
  const operations: FileOperation[] = ['append', 'sync', 'read', 'syncDir', 'rename', 'create', 'remove'];
  for (const operation of operations) {
    for (const code of ['EIO', 'ENOSPC'] as const) {
      const fs = freshFileSystem();
      await durableFile(fs, '/db/file', 'durable;');
      const file = fs.createWritable('/db/open');
      file.append(bytes('abc'));
      await fs.syncDir('/db');
      const before = { list: fs.list('/db'), file: text(fs.readFile('/db/file')), open: text(fs.readFile('/db/open')) };
      fs.failNext(operation, code);
      const attempt = async (): Promise<void> => {
        switch (operation) {
          case 'append':
            return file.append(bytes('def'));
          case 'sync':
            return file.sync();
          case 'read':
            return void fs.readFile('/db/file');
          case 'syncDir':
            return fs.syncDir('/db');
          case 'rename':
            return fs.rename('/db/file', '/db/file.new');
          case 'create':
            return void fs.createWritable('/db/file');
          case 'remove':
            return fs.remove('/db/file');
        }
      };
      await t.rejects(attempt(), { code }, `${operation} fails with ${code}`);
      t.same(
        { list: fs.list('/db'), file: text(fs.readFile('/db/file')), open: text(fs.readFile('/db/open')) },
        before,
        `a failed ${operation} changes nothing visible`,
      );
      await attempt();
      t.pass(`the ${operation} after it succeeds`);
      t.equal(fs.stats.injectedFailureCount, 1);
    }
  }
});

t.test('a failed sync makes nothing durable', async (t) => {
  const fs = freshFileSystem();
  const file = fs.createWritable('/db/wal');
  await fs.syncDir('/db');
  file.append(bytes('lost'));
  fs.failNext('sync', 'EIO');
  await t.rejects(file.sync(), { code: 'EIO' });
  t.same(fs.filesWithUnsyncedBytes(), ['/db/wal']);
  fs.crash();
  t.equal(fs.sizeOf('/db/wal'), 0);
});

t.test('the capacity limit fails appends that would exceed it, without partial writes', async (t) => {
  const fs = new FaultyFileSystem(new SeededRandom(3), { capacityBytes: 100 });
  fs.mkdirp('/db');
  const first = fs.createWritable('/db/a');
  first.append(new Uint8Array(60));
  const second = fs.createWritable('/db/b');
  t.throws(() => second.append(new Uint8Array(41)), { code: 'ENOSPC' });
  t.equal(second.sizeBytes, 0, 'the refused append wrote nothing');
  t.equal(fs.storedBytes, 60);
  second.append(new Uint8Array(40));
  t.equal(fs.storedBytes, 100);
  t.throws(() => first.append(new Uint8Array(1)), { code: 'ENOSPC' });
  fs.remove('/db/a');
  first.close();
  second.append(new Uint8Array(60));
  t.equal(fs.storedBytes, 100, 'removing a file frees its bytes');
  fs.setCapacityBytes(null);
  second.append(new Uint8Array(1000));
  t.equal(second.sizeBytes, 1100, 'lifting the limit allows appends again');
  t.throws(() => fs.setCapacityBytes(-1), { code: 'INVALID_ARGUMENT' });
});

t.test('bits flip on reads of matching paths at the configured rate, never in storage', async (t) => {
  const seed = seedFromEnvironment();
  const replay = `(REEF_SEED=${seed})`;
  const run = (runSeed: number): { flippedReads: number[]; bitFlipCount: number; otherFlips: number } => {
    const fs = freshFileSystem(runSeed);
    const stored = new SeededRandom(runSeed).fill(new Uint8Array(64));
    for (const path of ['/db/000001.sst', '/db/MANIFEST-000001']) {
      const file = fs.createWritable(path);
      file.append(stored);
      file.close();
    }
    fs.flipBitsOnRead({ pathFilter: /\.sst$/, probability: 0.3 });
    const reader = fs.openRandomAccess('/db/000001.sst');
    const flippedReads: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const got = i % 2 === 0 ? reader.read(0, 64) : fs.readFile('/db/000001.sst');
      let differingBits = 0;
      for (let j = 0; j < 64; j++) differingBits += popcount(got[j]! ^ stored[j]!);
      if (differingBits > 1) t.fail(`read ${i} has ${differingBits} flipped bits ${replay}`);
      if (differingBits === 1) flippedReads.push(i);
    }
    let otherFlips = 0;
    for (let i = 0; i < 200; i++) if (!Buffer.from(stored).equals(fs.readFile('/db/MANIFEST-000001'))) otherFlips++;
    fs.flipBitsOnRead(null);
    t.same(fs.readFile('/db/000001.sst'), stored, `the stored bytes never change ${replay}`);
    return { flippedReads, bitFlipCount: fs.stats.bitFlipCount, otherFlips };
  };
  const first = run(seed);
  const rate = first.flippedReads.length / 2000;
  t.ok(rate > 0.25 && rate < 0.35, `flip rate ${rate} is near 0.3 ${replay}`);
  t.equal(first.bitFlipCount, first.flippedReads.length, `the counter counts flipped reads ${replay}`);
  t.equal(first.otherFlips, 0, `paths outside the filter are never flipped ${replay}`);
  t.same(run(seed).flippedReads, first.flippedReads, `the same seed flips the same reads ${replay}`);
});

t.test('corruptByte changes stored bytes, synced and unsynced, and survives a crash', async (t) => {
  const fs = freshFileSystem();
  const file = fs.createWritable('/db/000005.sst');
  file.append(bytes('abcd'));
  await file.sync();
  file.append(bytes('efgh'));
  await fs.syncDir('/db');
  fs.corruptByte('/db/000005.sst', 1);
  fs.corruptByte('/db/000005.sst', 5, 0x01);
  const corrupted = fs.readFile('/db/000005.sst');
  t.equal(corrupted[1], 'b'.charCodeAt(0) ^ 0xff);
  t.equal(text(corrupted.subarray(4)), 'eggh', "'f' XOR 0x01 is 'g'");
  fs.crash();
  t.same(fs.readFile('/db/000005.sst'), corrupted.subarray(0, 4), 'the synced, corrupted prefix survives');
  t.throws(() => fs.corruptByte('/db/000005.sst', 4), { code: 'INVALID_ARGUMENT' });
  t.throws(() => fs.corruptByte('/db/missing', 0), { code: 'ENOENT' });
});

t.test('counters count completed syncs and newly synced bytes', async (t) => {
  const fs = freshFileSystem();
  const file = fs.createWritable('/db/wal');
  file.append(new Uint8Array(100));
  await Promise.all([file.sync(), file.sync()]);
  file.append(new Uint8Array(20));
  await file.sync();
  await fs.syncDir('/db');
  t.same(fs.stats, { syncCount: 3, bytesSynced: 120, syncDirCount: 1, bitFlipCount: 0, injectedFailureCount: 0, crashCount: 0 });
});

t.test('a crash releases locks; a lock handle from before cannot release the new holder', async (t) => {
  const fs = freshFileSystem();
  const before = fs.lock('/db/LOCK');
  t.throws(() => fs.lock('/db/LOCK'), { code: 'LOCKED' });
  await fs.syncDir('/db');
  fs.crash();
  t.ok(fs.exists('/db/LOCK'), 'the synced lock file is still there, stale');
  const after = fs.lock('/db/LOCK');
  before.release();
  t.throws(() => fs.lock('/db/LOCK'), { code: 'LOCKED' }, 'the new holder still has it');
  after.release();
  t.notOk(fs.exists('/db/LOCK'));
});

function popcount(byte: number): number {
  let count = 0;
  for (let value = byte; value !== 0; value &= value - 1) count++;
  return count;
}
