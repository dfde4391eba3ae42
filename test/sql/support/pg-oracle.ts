// The oracle for the SQL logic tests: runs logic files against PostgreSQL 15 and reports every record
// whose expected outcome is not PostgreSQL's, or with --rewrite writes PostgreSQL's results into the
// files (to be reviewed as a git diff, like REEF_REWRITE for the Raft scenario files). Each file runs
// in a database of its own, created for it and dropped after. The server is the private one of
// scripts/pg15.sh: started here when it is not running (and stopped again at the end), reused when it
// is. A developer command, not part of `npm test`:
//
//   npm run build && node dist/test/sql/support/pg-oracle.js [--rewrite] [--port N] [files...]
//
// Without files it runs every test/sql/logic/*.test. It also checks test/sql/logic/DIFFERS.md against
// the files' reef-only records, and lints them (logic-lint.ts). Exit status 0 when everything matches (or was rewritten), 1 otherwise.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkDiffers, parseDiffers, wholeFileEntry, type DiffersEntry } from './differs.js';
import { lintLogicFile } from './logic-lint.js';
import { LogicParseError, parseLogicFile, splitLines } from './logic-parser.js';
import { applyEdits, formatFailures, runLogicFile } from './logic-runner.js';
import { PgTarget } from './pg-target.js';

const usage = `Usage: node dist/test/sql/support/pg-oracle.js [--rewrite] [--port N] [files...]

Runs SQL logic files against a private PostgreSQL 15 (scripts/pg15.sh) and reports where their
expected results differ from PostgreSQL's; --rewrite writes PostgreSQL's results into the files.
Without files: every test/sql/logic/*.test. --port (default 55432, or REEF_PG_PORT) picks the server.`;

interface Options {
  readonly rewrite: boolean;
  readonly port: number;
  readonly files: readonly string[];
}

function parseArguments(args: readonly string[]): Options {
  let rewrite = false;
  let port = Number(process.env['REEF_PG_PORT'] ?? 55432);
  const files: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const argument = args[index]!;
    if (argument === '--help' || argument === '-h') {
      console.log(usage);
      process.exit(0);
    } else if (argument === '--rewrite') {
      rewrite = true;
    } else if (argument === '--port') {
      port = Number(args[++index]);
    } else if (argument.startsWith('-')) {
      console.error(`pg-oracle: unknown option ${argument}\n${usage}`);
      process.exit(2);
    } else {
      files.push(argument);
    }
  }
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    console.error('pg-oracle: --port needs a port number from 1024 to 65535');
    process.exit(2);
  }
  return { rewrite, port, files };
}

/** The repository root: the nearest directory above this module with a package.json (src or dist). */
function repositoryRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'package.json')) || !existsSync(join(directory, 'scripts', 'pg15.sh'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('pg-oracle: cannot find the repository root (package.json, scripts/pg15.sh)');
    directory = parent;
  }
  return directory;
}

function pg15(root: string, command: 'start' | 'stop' | 'status', port: number): number {
  const outcome = spawnSync('bash', [join(root, 'scripts', 'pg15.sh'), command, String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return outcome.status ?? 1;
}

/** A database name of PostgreSQL's 63-byte limit made from the file's name. */
function databaseName(file: string, index: number): string {
  const stem = basename(file).replace(/\.test$/, '').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `reef_logic_${index}_${stem}`.slice(0, 63);
}

interface FileVerdict {
  readonly ok: boolean;
  readonly output: string;
}

async function runFile(
  path: string,
  name: string,
  index: number,
  options: Options,
  socketDirectory: string,
  admin: pg.Client,
  differs: readonly DiffersEntry[],
): Promise<FileVerdict> {
  const text = readFileSync(path, 'utf8');
  let logic;
  try {
    logic = parseLogicFile(text, relative(process.cwd(), path));
  } catch (error) {
    if (error instanceof LogicParseError) return { ok: false, output: `FAIL ${error.message}` };
    throw error;
  }
  const exempt = wholeFileEntry(differs, name);
  if (exempt !== undefined) return { ok: true, output: `skip ${logic.file} (DIFFERS.md: ${exempt.reason})` };
  const problems = checkDiffers(differs, name, logic);

  const database = databaseName(name, index);
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  let result;
  const target = await PgTarget.connect({ host: socketDirectory, port: options.port, database });
  try {
    result = await runLogicFile(logic, target, { rewrite: options.rewrite });
  } finally {
    await target.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }

  const lines: string[] = [];
  let rewritten = false;
  let finalText = text;
  if (options.rewrite && result.edits.length > 0) {
    const updated = applyEdits(splitLines(text), result.edits).join('\n') + '\n';
    if (updated !== text) {
      writeFileSync(path, updated);
      rewritten = true;
      finalText = updated;
    }
  }
  // Linted after the rewrite: whether rows have a defined order depends on how many there are.
  problems.push(...lintLogicFile(parseLogicFile(finalText, logic.file), finalText));
  // When rewriting, mismatched results and error codes were written into the file; what is left to
  // report is what a rewrite cannot fix (a statement that failed or succeeded against expectations).
  const remaining = result.failures.filter((failure) => !failure.rewritten);
  const ok = remaining.length === 0 && problems.length === 0;
  const counts = `${result.recordsRun} records run, ${result.recordsSkipped} skipped${result.halted ? ', halted' : ''}`;
  lines.push(`${ok ? 'ok  ' : 'FAIL'} ${logic.file} (${counts})${rewritten ? ' — rewritten' : ''}`);
  if (remaining.length > 0) lines.push(formatFailures({ ...result, failures: remaining }));
  lines.push(...problems);
  return { ok, output: lines.join('\n') };
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  const root = repositoryRoot();
  const logicDirectory = join(root, 'test', 'sql', 'logic');
  const paths =
    options.files.length > 0
      ? options.files.map((file) => resolve(file))
      : readdirSync(logicDirectory)
          .filter((file) => file.endsWith('.test'))
          .sort()
          .map((file) => join(logicDirectory, file));
  for (const path of paths) {
    if (!existsSync(path)) {
      console.error(`pg-oracle: no such file: ${path}`);
      return 2;
    }
  }
  const differs = parseDiffers(readFileSync(join(logicDirectory, 'DIFFERS.md'), 'utf8'));

  const startedHere = pg15(root, 'status', options.port) !== 0;
  if (startedHere) {
    if (pg15(root, 'start', options.port) !== 0) return 1;
    console.log(`started a private PostgreSQL 15 on port ${options.port} (scripts/pg15.sh; stopped at the end)`);
  }
  const socketDirectory = `/tmp/reef-pg15-${options.port}`;
  const admin = new pg.Client({ host: socketDirectory, port: options.port, database: 'postgres', user: 'postgres' });
  let failed = 0;
  try {
    await admin.connect();
    for (const [index, path] of paths.entries()) {
      const verdict = await runFile(path, relative(logicDirectory, path), index, options, socketDirectory, admin, differs);
      console.log(verdict.output);
      if (!verdict.ok) failed++;
    }
  } finally {
    await admin.end().catch(() => {});
    if (startedHere) pg15(root, 'stop', options.port);
  }
  console.log(`${paths.length - failed} files match PostgreSQL 15, ${failed} do not${options.rewrite ? ' (after rewriting)' : ''}`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
