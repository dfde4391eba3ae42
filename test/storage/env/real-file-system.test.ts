// Proves what only the real file system does: its pid lock file tells a live holder (LOCKED, naming
// the pid) from a dead one (a stale lock, taken over), across processes and across instances in one
// process; buffered appends reach the disk on sync and close; and node errors arrive as StorageErrors
// with the right code (ENOSPC from /dev/full, where it exists). Runs in a fresh directory under
// os.tmpdir(), removed afterwards.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { RealFileSystem } from '../../../storage/env/real-file-system.js';
import { StorageError } from '../../../storage/env/errors.js';

const root = mkdtempSync(join(tmpdir(), 'reef-real-fs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const fs = new RealFileSystem();

/** Starts a node child that runs `script`, and waits until it is running. */
async function startChild(script: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child, 'spawn');
  return child;
}

t.test('a lock file left by a dead process is stale and taken over', async (t) => {
  const child = await startChild('');
  const deadPid = child.pid!;
  await once(child, 'exit');
  const path = join(root, 'LOCK-stale');
  writeFileSync(path, `${deadPid}\n`);
  const lock = fs.lock(path);
  t.equal(readFileSync(path, 'utf8'), `${process.pid}\n`, 'the lock file now names this process');
  lock.release();
  t.notOk(existsSync(path));
});

t.test('a lock file held by a live process throws LOCKED naming its pid', async (t) => {
  const child = await startChild('setTimeout(() => {}, 30000)');
  t.teardown(() => void child.kill());
  const path = join(root, 'LOCK-live');
  writeFileSync(path, `${child.pid}\n`);
  const error = t.throws(() => fs.lock(path), { code: 'LOCKED' });
  t.match((error as Error).message, `directory is in use by process ${child.pid}`);
  t.equal(readFileSync(path, 'utf8'), `${child.pid}\n`, 'the holder’s lock file is untouched');
  child.kill();
  await once(child, 'exit');
  const lock = fs.lock(path);
  t.pass('once the holder is gone the lock is free');
  lock.release();
});

t.test('a lock taken in another process excludes this one until that process exits', async (t) => {
  const path = join(root, 'LOCK-child');
  // The child writes its pid the way RealFileSystem does, then waits to be killed.
  const child = await startChild(
    `const fs = require('node:fs'); const fd = fs.openSync(${JSON.stringify(path)}, 'wx');` +
      `fs.writeSync(fd, process.pid + '\\n'); fs.closeSync(fd); process.stdout.write('locked\\n'); setTimeout(() => {}, 30000);`,
  );
  t.teardown(() => void child.kill());
  await once(child.stdout!, 'data');
  t.throws(() => fs.lock(path), { code: 'LOCKED' });
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.ok(existsSync(path), 'a killed holder leaves its lock file behind');
  fs.lock(path).release();
  t.pass('and the next process takes it over');
});

t.test('locks are process-wide: a second instance in this process cannot take a held lock', async (t) => {
  const path = join(root, 'LOCK-instances');
  const lock = new RealFileSystem().lock(path);
  t.throws(() => new RealFileSystem().lock(path), { code: 'LOCKED' });
  lock.release();
  // A lock file naming this process with no holder here is left over from an earlier holder.
  writeFileSync(path, `${process.pid}\n`);
  const again = new RealFileSystem().lock(path);
  t.pass('a leftover lock file naming this process is taken over');
  again.release();
  writeFileSync(path, 'garbage');
  fs.lock(path).release();
  t.pass('a lock file without a pid is stale');
});

t.test('buffered appends reach the file when the buffer fills, on sync and on close', async (t) => {
  const path = join(root, 'buffered.log');
  const file = fs.createWritable(path);
  file.append(new Uint8Array(1000).fill(1));
  file.append(new Uint8Array(64 * 1024 - 1000).fill(2));
  t.equal(readFileSync(path).length, 64 * 1024, 'a full 64 KiB buffer is written out at once');
  file.append(new Uint8Array(10).fill(3));
  t.equal(file.sizeBytes, 64 * 1024 + 10, 'sizeBytes counts bytes still buffered');
  await file.sync();
  t.equal(readFileSync(path).length, 64 * 1024 + 10, 'sync writes the buffer out');
  file.append(new Uint8Array(5).fill(4));
  file.close();
  const onDisk = readFileSync(path);
  t.equal(onDisk.length, 64 * 1024 + 15, 'close writes the buffer out');
  t.same([onDisk[999], onDisk[1000], onDisk[64 * 1024 - 1], onDisk[64 * 1024], onDisk[64 * 1024 + 10]], [1, 2, 2, 3, 4]);
});

t.test('node errors become StorageErrors that name the path and keep the cause', async (t) => {
  const path = join(root, 'missing', 'file');
  const error = t.throws(() => fs.createWritable(path));
  t.ok(error instanceof StorageError, 'a StorageError');
  t.equal((error as StorageError).code, 'ENOENT');
  t.match((error as StorageError).message, path);
  t.equal(((error as StorageError).cause as NodeJS.ErrnoException).code, 'ENOENT');
});

t.test('a full device fails with ENOSPC', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async (t) => {
  const file = fs.createWritable('/dev/full');
  file.append(new Uint8Array(10));
  await t.rejects(file.sync(), { code: 'ENOSPC' }, 'the buffered bytes fail to write out');
  t.throws(() => file.append(new Uint8Array(128 * 1024)), { code: 'ENOSPC' }, 'a large append fails directly');
  t.throws(() => file.close(), { code: 'ENOSPC' }, 'close reports the bytes it could not write');
  await t.rejects(file.sync(), { code: 'CLOSED' });
});
