// Reads, runs and rewrites scenario files (etcd's datadriven habit). A file is a sequence of blocks:
//
//   # comments and blank lines before a block are kept as they are
//   command args            one or more command lines
//   ----
//   expected output lines   up to the next blank line (or the end of the file)
//
// runScenario executes every block on one ScenarioCluster and returns each block's actual output;
// renderScenario writes the file back with actual outputs in place of the expected ones, which is what
// REEF_REWRITE=1 does, so that a behaviour change is reviewed as a git diff of the .txt file.
//
// Invariants: parsing then rendering a file whose outputs match gives back the same text; a block's
// output never contains a blank line (the cluster never prints one), so blocks stay separable.

import { RaftInvariantError } from '../../../../cluster/raft/errors.js';
import { ScenarioCluster } from './cluster.js';

export interface ScenarioBlock {
  /** Comment and blank lines before the commands, verbatim. */
  readonly preamble: readonly string[];
  readonly commands: readonly string[];
  readonly expected: readonly string[];
  /** 1-based line of the first command, for messages. */
  readonly line: number;
}

export interface ParsedScenario {
  readonly blocks: readonly ScenarioBlock[];
  /** Comment and blank lines after the last block. */
  readonly trailer: readonly string[];
}

export class ScenarioParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioParseError';
  }
}

const SEPARATOR = '----';

export function parseScenario(text: string, name: string): ParsedScenario {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const blocks: ScenarioBlock[] = [];
  let position = 0;
  for (;;) {
    const preamble: string[] = [];
    while (position < lines.length && (lines[position]!.trim() === '' || lines[position]!.startsWith('#'))) {
      preamble.push(lines[position]!);
      position++;
    }
    if (position >= lines.length) return { blocks, trailer: preamble };
    const line = position + 1;
    const commands: string[] = [];
    while (position < lines.length && lines[position] !== SEPARATOR) {
      if (lines[position]!.trim() === '') throw new ScenarioParseError(`${name}:${position + 1}: blank line before '${SEPARATOR}'`);
      commands.push(lines[position]!);
      position++;
    }
    if (position >= lines.length) throw new ScenarioParseError(`${name}:${line}: block without '${SEPARATOR}'`);
    position++;
    const expected: string[] = [];
    while (position < lines.length && lines[position]!.trim() !== '') {
      expected.push(lines[position]!);
      position++;
    }
    blocks.push({ preamble, commands, expected, line });
  }
}

export interface BlockResult {
  readonly block: ScenarioBlock;
  readonly actual: readonly string[];
  /** A broken Raft invariant: never an acceptable expected output, even when rewriting. */
  readonly invariantBroken: boolean;
}

/** Runs every block of a parsed file on a fresh cluster. */
export function runScenario(parsed: ParsedScenario): BlockResult[] {
  const cluster = new ScenarioCluster();
  const results: BlockResult[] = [];
  for (const block of parsed.blocks) {
    const actual: string[] = [];
    let invariantBroken = false;
    for (const command of block.commands) {
      try {
        for (const line of cluster.run(command)) actual.push(line);
      } catch (error) {
        if (error instanceof RaftInvariantError) {
          invariantBroken = true;
          actual.push(`panic: ${error.message}`);
        } else if (error instanceof Error) {
          actual.push(`error: ${error.message}`);
        } else {
          throw error;
        }
      }
    }
    results.push({ block, actual, invariantBroken });
  }
  return results;
}

/** The file's text with each block's expected output replaced by its actual output. */
export function renderScenario(parsed: ParsedScenario, results: readonly BlockResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    lines.push(...result.block.preamble, ...result.block.commands, SEPARATOR, ...result.actual);
  }
  lines.push(...parsed.trailer);
  return `${lines.join('\n')}\n`;
}
