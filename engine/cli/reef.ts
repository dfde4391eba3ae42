#!/usr/bin/env node
// The `reef` command line. Every command has help text (`reef help <command>` or `<command> --help`);
// commands exit 0 on success, 1 on a failure they report, 2 on a usage error.

import { parseArgs } from 'node:util';
import { benchSuites } from '../../bench/suites.js';
import { printReport } from '../../bench/report.js';

interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly help: string;
  run(args: string[]): Promise<number>;
}

class UsageError extends Error {}

const out = (line: string): void => void process.stdout.write(line + '\n');
const err = (line: string): void => void process.stderr.write(line + '\n');

const benchCommand: Command = {
  name: 'bench',
  usage: 'reef bench <suite> [--quick] [--json]',
  summary: 'run a benchmark suite beside its anchor and print both and the ratio',
  get help(): string {
    const suites = [...benchSuites].map(([name, suite]) => `  ${name.padEnd(10)} ${suite.summary}`);
    return [
      'Runs one benchmark suite. Every suite runs its anchor (LevelDB, PostgreSQL, …) in the same run and',
      'prints our figure, the anchor\'s and the ratio ours/anchor (higher is better).',
      '',
      'Options:',
      '  --quick    a short run with smaller data (under 45 seconds)',
      '  --json     also print, as the last line, {"suite", "ours", "anchor", "ratio"} as JSON',
      '',
      'Suites:',
      ...(suites.length > 0 ? suites : ['  (none yet)']),
    ].join('\n');
  },
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    });
    const suiteName = positionals[0];
    if (suiteName === undefined) throw new UsageError('reef bench: name a suite');
    if (positionals.length > 1) throw new UsageError(`reef bench: unexpected argument '${positionals[1]}'`);
    const entry = benchSuites.get(suiteName);
    if (entry === undefined) {
      const known = [...benchSuites.keys()].join(', ') || 'none';
      throw new UsageError(`reef bench: unknown suite '${suiteName}' (known: ${known})`);
    }
    const suite = await entry.load();
    const report = await suite.run({ quick: values.quick === true, progress: err });
    printReport(report, { json: values.json === true }, out);
    return 0;
  },
};

const commands: readonly Command[] = [benchCommand];

function mainHelp(): string {
  return [
    'reef — the ReefDB command line',
    '',
    'Usage: reef <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`),
    `  ${'help'.padEnd(10)} show help for a command`,
    '',
    'Run `reef help <command>` or `reef <command> --help` for a command\'s options.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.help}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    out(mainHelp());
    return 0;
  }
  if (name === 'help') {
    const target = rest[0] === undefined ? undefined : commands.find((command) => command.name === rest[0]);
    if (rest[0] !== undefined && target === undefined) {
      err(`reef: unknown command '${rest[0]}'\n\n${mainHelp()}`);
      return 2;
    }
    out(target === undefined ? mainHelp() : commandHelp(target));
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (command === undefined) {
    err(`reef: unknown command '${name}'\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const isUsage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    err(`${(error as Error).message}`);
    if (isUsage) {
      err(`\n${commandHelp(command)}`);
      return 2;
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
