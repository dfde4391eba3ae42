// Proves the command line's contract: help on every command, exit code 2 with the usage on a usage
// error. Runs the compiled `reef` as a user would.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const reef = fileURLToPath(new URL('../../../dist/engine/cli/reef.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [reef, ...args], { encoding: 'utf8' });

t.test('reef --help lists the commands', async (t) => {
  const result = run('--help');
  t.equal(result.status, 0);
  t.match(result.stdout, /Usage: reef <command>/);
  t.match(result.stdout, /bench/);
});

t.test('every command answers --help and help <command>', async (t) => {
  for (const args of [['bench', '--help'], ['help', 'bench']]) {
    const result = run(...args);
    t.equal(result.status, 0, args.join(' '));
    t.match(result.stdout, /Usage: reef bench <suite>/);
  }
});

t.test('usage errors exit 2 and say what is wrong', async (t) => {
  const unknownCommand = run('frobnicate');
  t.equal(unknownCommand.status, 2);
  t.match(unknownCommand.stderr, /unknown command 'frobnicate'/);
  const unknownSuite = run('bench', 'nope');
  t.equal(unknownSuite.status, 2);
  t.match(unknownSuite.stderr, /unknown suite 'nope'/);
  const badFlag = run('bench', 'storage', '--fast');
  t.equal(badFlag.status, 2);
});
