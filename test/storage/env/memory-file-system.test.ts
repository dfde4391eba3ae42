// Proves the in-memory file system's own rules beyond the shared contract: paths are normalised
// (relative, absolute, '.' and trailing-slash spellings name one file), only the root exists until
// mkdirp creates more, and handles hold the file they opened, not the path.
import t from 'tap';
import { MemoryFileSystem, normalizePath } from '../../../storage/env/memory-file-system.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

t.test('spellings of one path name one file', async (t) => {
  const fs = new MemoryFileSystem();
  fs.mkdirp('db/');
  const file = fs.createWritable('db/./000001.log');
  t.equal(file.path, '/db/000001.log');
  file.append(bytes('x'));
  file.close();
  t.equal(text(fs.readFile('/db/000001.log')), 'x');
  t.equal(text(fs.readFile('/db/sub/../000001.log/')), 'x');
  t.same(fs.list('/'), ['db']);
  t.equal(normalizePath('a//b/'), '/a/b');
  t.throws(() => normalizePath(''), { code: 'INVALID_ARGUMENT' });
  t.throws(() => fs.exists('a\0b'), { code: 'INVALID_ARGUMENT' });
});

t.test('only the root exists until mkdirp; a file in the way of mkdirp is refused', async (t) => {
  const fs = new MemoryFileSystem();
  t.same(fs.list('/'), []);
  t.throws(() => fs.createWritable('/db/x'), { code: 'ENOENT' });
  fs.mkdirp('/db');
  fs.createWritable('/db/x').close();
  t.throws(() => fs.mkdirp('/db/x/y'), { code: 'INVALID_ARGUMENT' });
  t.throws(() => fs.mkdirp('/db/x'), { code: 'EEXIST' });
  t.same(fs.list('/db'), ['x'], 'a refused mkdirp creates nothing');
});

t.test('creating over an open file leaves its readers on the old bytes', async (t) => {
  const fs = new MemoryFileSystem();
  const old = fs.createWritable('/f');
  old.append(bytes('old'));
  const reader = fs.openRandomAccess('/f');
  const replacement = fs.createWritable('/f');
  replacement.append(bytes('new!'));
  old.append(bytes('er'));
  t.equal(text(reader.read(0, 5)), 'older', 'the old writer and reader share the old file');
  t.equal(text(fs.readFile('/f')), 'new!');
});
