// Typed errors of the storage layer. Every failure below the SQL edge is a StorageError with a code a
// caller can switch on; corruption carries the file and offset where it was found, and is never
// returned as data.

export type StorageErrorCode =
  | 'ENOENT' // a file that must exist does not
  | 'EEXIST' // a file that must not exist does
  | 'EIO' // the device failed a read or write
  | 'ENOSPC' // the device is full
  | 'LOCKED' // another holder has the directory's lock file
  | 'CORRUPTION' // a checksum, magic number or length did not match
  | 'CLOSED' // the object was used after close
  | 'INVALID_ARGUMENT'; // a caller passed something the API does not accept

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
  }
}

/** Data on disk failed a check. `file` and `offset` say where, so an operator can find it. */
export class CorruptionError extends StorageError {
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, what: string) {
    super('CORRUPTION', `corruption in ${file} at offset ${offset}: ${what}`);
    this.name = 'CorruptionError';
    this.file = file;
    this.offset = offset;
  }
}
