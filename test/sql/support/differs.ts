// Reads test/sql/logic/DIFFERS.md, the list of logic files and records whose expected results differ
// from PostgreSQL 15's on purpose, each with its reason, and checks a file's reef-only records
// against it. An entry is a list item under the heading `## Entries` whose first word is a backticked
// file name, optionally with the line of one record's command, followed by the reason:
//
//   - `ddl.test` — reason           the whole file: the oracle does not run it against PostgreSQL
//   - `ddl.test:42` — reason        one record: the one whose command is on line 42, which must be
//                                   marked `onlyif reef` or `skipif postgres`
//
// Every record marked `onlyif reef` or `skipif postgres` in a file the oracle runs must be listed, so
// that no difference from PostgreSQL goes in without a reason beside it.

import type { LogicFile } from './logic-parser.js';

export interface DiffersEntry {
  readonly file: string;
  /** The record's command line, or null for the whole file. */
  readonly line: number | null;
  readonly reason: string;
  /** Where the entry is in DIFFERS.md (1-based). */
  readonly listLine: number;
}

export class DiffersFormatError extends Error {
  constructor(
    readonly listLine: number,
    readonly reason: string,
  ) {
    super(`DIFFERS.md:${listLine}: ${reason}`);
    this.name = 'DiffersFormatError';
  }
}

const entryPattern = /^- `([^`:]+)(?::(\d+))?`\s*(?:—|--|-|:)?\s*(.*)$/;

export function parseDiffers(text: string): DiffersEntry[] {
  const entries: DiffersEntry[] = [];
  let inEntries = false;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line.startsWith('## ')) inEntries = line === '## Entries';
    if (!inEntries || !line.startsWith('- ')) return;
    const match = entryPattern.exec(line);
    if (match === null) throw new DiffersFormatError(index + 1, 'expected "- `file.test` — reason" or "- `file.test:LINE` — reason"');
    const reason = match[3]!.trim();
    if (reason === '') throw new DiffersFormatError(index + 1, `the entry for ${match[1]} needs a reason`);
    entries.push({ file: match[1]!, line: match[2] === undefined ? null : Number(match[2]), reason, listLine: index + 1 });
  });
  return entries;
}

/** The entry that exempts a whole file, if any. */
export function wholeFileEntry(entries: readonly DiffersEntry[], file: string): DiffersEntry | undefined {
  return entries.find((entry) => entry.file === file && entry.line === null);
}

/**
 * Problems between a file's reef-only records and its DIFFERS.md entries: reef-only records not listed,
 * and listed lines where no reef-only record starts. `file` is the name entries use.
 */
export function checkDiffers(entries: readonly DiffersEntry[], file: string, logic: LogicFile): string[] {
  const problems: string[] = [];
  const reefOnlyLines = new Set<number>();
  for (const record of logic.records) {
    const reefOnly = record.conditions.some(
      (condition) =>
        (condition.kind === 'onlyif' && condition.target === 'reef') ||
        (condition.kind === 'skipif' && condition.target === 'postgres'),
    );
    if (reefOnly) reefOnlyLines.add(record.line);
  }
  const listed = new Set<number>();
  for (const entry of entries) {
    if (entry.file !== file || entry.line === null) continue;
    listed.add(entry.line);
    if (!reefOnlyLines.has(entry.line)) {
      problems.push(`DIFFERS.md:${entry.listLine} lists ${file}:${entry.line}, where no record marked onlyif reef / skipif postgres starts`);
    }
  }
  for (const line of reefOnlyLines) {
    if (!listed.has(line)) {
      problems.push(`${file}:${line}: a record marked onlyif reef / skipif postgres must be listed in DIFFERS.md with its reason`);
    }
  }
  return problems;
}
