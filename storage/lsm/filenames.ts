// The names of the files in a database directory, and their parsing. The directory holds:
//
//   CURRENT            one line: the name of the live MANIFEST followed by "\n". Replaced atomically by
//                      writing NNNNNN.dbtmp, syncing it, renaming it over CURRENT and syncing the directory.
//   LOCK               the lock file; held by the process that has the database open.
//   MANIFEST-NNNNNN    the log of version edits (see version-edit.ts), in the WAL record format.
//   NNNNNN.log         a write-ahead log: one record per write group, each record a run of encoded batches.
//   NNNNNN.sst         a table (see the table builder for its format).
//   NNNNNN.dbtmp       a temporary file, deleted when found at open.
//
// NNNNNN is a file number in decimal, zero-padded to at least six digits. File numbers come from one
// counter kept in the MANIFEST, so no two files of any kind share a number. Names that parse as none of
// these are left alone by the engine.

export type FileKind = 'current' | 'lock' | 'manifest' | 'log' | 'table' | 'temp';

export interface ParsedFileName {
  readonly kind: FileKind;
  /** The file number; 0 for CURRENT and LOCK. */
  readonly number: number;
}

function numbered(number: number, suffix: string): string {
  if (!Number.isSafeInteger(number) || number <= 0) throw new RangeError(`file number must be positive, got ${number}`);
  return `${String(number).padStart(6, '0')}${suffix}`;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

export const CURRENT_FILE_NAME = 'CURRENT';
export const LOCK_FILE_NAME = 'LOCK';

export function logFileName(number: number): string {
  return numbered(number, '.log');
}

export function tableFileName(number: number): string {
  return numbered(number, '.sst');
}

export function tempFileName(number: number): string {
  return numbered(number, '.dbtmp');
}

export function manifestFileName(number: number): string {
  return `MANIFEST-${numbered(number, '')}`;
}

const numberedPattern = /^(\d+)\.(log|sst|dbtmp)$/;
const manifestPattern = /^MANIFEST-(\d+)$/;

/** Parses a name found in the database directory; undefined for names the engine does not own. */
export function parseFileName(name: string): ParsedFileName | undefined {
  if (name === CURRENT_FILE_NAME) return { kind: 'current', number: 0 };
  if (name === LOCK_FILE_NAME) return { kind: 'lock', number: 0 };
  const manifest = manifestPattern.exec(name);
  if (manifest !== null) {
    const number = Number(manifest[1]);
    return Number.isSafeInteger(number) && number > 0 ? { kind: 'manifest', number } : undefined;
  }
  const match = numberedPattern.exec(name);
  if (match === null) return undefined;
  const number = Number(match[1]);
  if (!Number.isSafeInteger(number) || number <= 0) return undefined;
  const kind: FileKind = match[2] === 'log' ? 'log' : match[2] === 'sst' ? 'table' : 'temp';
  return { kind, number };
}
