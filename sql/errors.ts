// The error every part of the SQL layer raises for a user-visible failure: PostgreSQL's SQLSTATE code,
// its message style (lower case, no trailing period), and the optional fields an ErrorResponse carries
// (detail, hint, the 1-based character position in the statement text for syntax and binding errors).
// The pgwire layer turns these into ErrorResponse messages field for field; the embedded API throws them.

/** PostgreSQL's SQLSTATE codes the SQL layer uses, by name (Appendix A of the PostgreSQL manual). */
export const SqlState = {
  SUCCESSFUL_COMPLETION: '00000',
  FEATURE_NOT_SUPPORTED: '0A000',
  CARDINALITY_VIOLATION: '21000',
  DATA_EXCEPTION: '22000',
  CHARACTER_NOT_IN_REPERTOIRE: '22021',
  STRING_DATA_RIGHT_TRUNCATION: '22001',
  NUMERIC_VALUE_OUT_OF_RANGE: '22003',
  INVALID_DATETIME_FORMAT: '22007',
  DATETIME_FIELD_OVERFLOW: '22008',
  INVALID_TIME_ZONE_DISPLACEMENT_VALUE: '22009',
  DIVISION_BY_ZERO: '22012',
  INTERVAL_FIELD_OVERFLOW: '22015',
  INVALID_PARAMETER_VALUE: '22023',
  SEQUENCE_GENERATOR_LIMIT_EXCEEDED: '2200H',
  ARRAY_SUBSCRIPT_ERROR: '2202E',
  INVALID_TEXT_REPRESENTATION: '22P02',
  INVALID_BINARY_REPRESENTATION: '22P03',
  UNTRANSLATABLE_CHARACTER: '22P05',
  INVALID_JSON_TEXT: '22032',
  NOT_NULL_VIOLATION: '23502',
  FOREIGN_KEY_VIOLATION: '23503',
  UNIQUE_VIOLATION: '23505',
  CHECK_VIOLATION: '23514',
  INVALID_TRANSACTION_STATE: '25000',
  ACTIVE_SQL_TRANSACTION: '25001',
  NO_ACTIVE_SQL_TRANSACTION: '25P01',
  IN_FAILED_SQL_TRANSACTION: '25P02',
  READ_ONLY_SQL_TRANSACTION: '25006',
  INVALID_SQL_STATEMENT_NAME: '26000',
  INVALID_SAVEPOINT_SPECIFICATION: '3B001',
  TRANSACTION_ROLLBACK: '40000',
  SERIALIZATION_FAILURE: '40001',
  STATEMENT_COMPLETION_UNKNOWN: '40003',
  DEADLOCK_DETECTED: '40P01',
  SYNTAX_ERROR: '42601',
  INSUFFICIENT_PRIVILEGE: '42501',
  UNDEFINED_COLUMN: '42703',
  UNDEFINED_FUNCTION: '42883',
  UNDEFINED_TABLE: '42P01',
  UNDEFINED_OBJECT: '42704',
  UNDEFINED_SCHEMA: '3F000',
  DUPLICATE_TABLE: '42P07',
  DUPLICATE_COLUMN: '42701',
  DUPLICATE_OBJECT: '42710',
  DUPLICATE_SCHEMA: '42P06',
  DUPLICATE_DATABASE: '42P04',
  AMBIGUOUS_COLUMN: '42702',
  AMBIGUOUS_FUNCTION: '42725',
  DATATYPE_MISMATCH: '42804',
  CANNOT_COERCE: '42846',
  GROUPING_ERROR: '42803',
  INVALID_COLUMN_REFERENCE: '42P10',
  WINDOWING_ERROR: '42P20',
  RESERVED_NAME: '42939',
  INVALID_TABLE_DEFINITION: '42P16',
  WRONG_OBJECT_TYPE: '42809',
  UNDEFINED_PARAMETER: '42P02',
  PROGRAM_LIMIT_EXCEEDED: '54000',
  STATEMENT_TOO_COMPLEX: '54001',
  OUT_OF_MEMORY: '53200',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  LOCK_NOT_AVAILABLE: '55P03',
  OBJECT_IN_USE: '55006',
  CANT_CHANGE_RUNTIME_PARAM: '55P02',
  INTERNAL_ERROR: 'XX000',
  DATA_CORRUPTED: 'XX001',
} as const;

export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export interface SqlErrorFields {
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  /** 1-based character position in the statement text (PostgreSQL's ErrorResponse 'P'). */
  readonly position?: number | undefined;
  /** The underlying error, when this one translates another (a TxnError, a storage error). */
  readonly cause?: unknown;
}

/** A user-visible SQL error with PostgreSQL's SQLSTATE. */
export class ReefSqlError extends Error {
  readonly code: SqlStateCode;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  /** PostgreSQL's severity: ERROR for everything the SQL layer raises (FATAL/PANIC are the server's). */
  readonly severity = 'ERROR';

  constructor(code: SqlStateCode, message: string, fields: SqlErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ReefSqlError';
    this.code = code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
  }
}

export function isSqlError(error: unknown, code?: SqlStateCode): error is ReefSqlError {
  return error instanceof ReefSqlError && (code === undefined || error.code === code);
}
