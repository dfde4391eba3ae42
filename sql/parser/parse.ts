// The SQL parser: PostgreSQL 15's own grammar (libpg-query, compiled to WebAssembly) behind ReefDB's
// statement list and errors.
//
// initParser() loads the WebAssembly module once (about 10 ms); after it, parseSql is synchronous, so a
// session's hot path never awaits the parser. parseSql splits a query string the way PostgreSQL splits a
// simple-query message: one entry per non-empty statement, in order, each with its typed tree (ast.ts
// describes the tree's shape), its own source text, and where that text starts.
//
// Invariants:
// - parseSql returns statements or throws a ReefSqlError; no other error escapes it.
// - For every statement s of parseSql(text): text.slice(s.location, s.location + s.text.length) === s.text;
//   s.text has no leading or trailing whitespace and no terminating ';' (comments inside it stay).
// - Error positions are PostgreSQL's: 1-based, counted in characters (code points) of the whole input,
//   as an ErrorResponse's 'P' field carries them. Locations inside the tree are UTF-8 byte offsets into the
//   whole input; sourcePosition converts one.
// - Text longer than SQL_TEXT_BYTES_MAX bytes of UTF-8 is refused with 54000 before the parser sees it,
//   and text containing NUL is refused (the C parser would silently stop at it).
// - What libpg-query accepts beyond PostgreSQL 15 (`SELECT 0x1F`, `SET x = $1`) is refused with
//   PostgreSQL's error, and text nested too deeply for libpg-query's WebAssembly stack is refused before
//   it gets there (guards.ts). Should a trap inside WebAssembly happen anyway, the instance is dropped and
//   a fresh one loaded: a trap skips libpg-query's cleanup, and its next answers could not be trusted.
import { createRequire } from 'node:module';
import type { Node, ParseResult } from '@pgsql/types';
import { ReefSqlError, SqlState, type SqlStateCode } from '../errors.js';
import {
  misplacedParameterLocation,
  NESTING_CHECK_TEXT_CHARS,
  nestingError,
  scanText,
  SQL_NESTING_BOUND_MAX,
  type TextScan,
} from './guards.js';

type LibPgQuery = typeof import('libpg-query');

/** The longest query text parseSql accepts, in UTF-8 bytes (a simple-query message's whole string). */
export const SQL_TEXT_BYTES_MAX = 16 * 1024 * 1024;

/** One statement of a query string. */
export interface ParsedStatement {
  /** The statement's parse tree: a wrapped node such as `{ SelectStmt: {...} }`. */
  readonly stmt: Node;
  /** The statement's own source text, without surrounding whitespace or its terminating ';'. */
  readonly text: string;
  /** Where `text` starts in the input, as a 0-based index into the JavaScript string. */
  readonly location: number;
}

let library: LibPgQuery | undefined;
let loading: Promise<void> | undefined;
/** True from a trap inside WebAssembly until the fresh instance has loaded. */
let restarting = false;

const requireHere = createRequire(import.meta.url);

/**
 * Loads the parser's WebAssembly module. Idempotent: every call returns the same promise (after a crash,
 * the promise of the restart). A failed first load stays failed.
 */
export function initParser(): Promise<void> {
  loading ??= load();
  return loading;
}

async function load(): Promise<void> {
  try {
    // libpg-query creates its WebAssembly instance when its module is evaluated, so it is loaded through
    // require: a restart drops the cached module and evaluates it again for a fresh instance.
    const path = requireHere.resolve('libpg-query');
    delete requireHere.cache[path];
    const loaded = requireHere(path) as LibPgQuery;
    await loaded.loadModule();
    library = loaded;
    restarting = false;
  } catch (error) {
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, 'could not load the SQL parser (libpg-query WebAssembly module)', {
      cause: error,
    });
  }
}

/**
 * Parses a query string into its statements, synchronously. Empty statements (`;;`, only whitespace or
 * comments) yield no entry. Throws ReefSqlError: 42601 and PostgreSQL's message and position for a
 * syntax error, 54000 for text over SQL_TEXT_BYTES_MAX, 54001 when nested too deeply, XX000 when initParser() has
 * not finished.
 */
export function parseSql(text: string): ParsedStatement[] {
  const parser = library;
  if (parser === undefined) {
    throw new ReefSqlError(
      SqlState.INTERNAL_ERROR,
      restarting
        ? 'SQL parser is restarting after an internal failure; retry the statement'
        : 'SQL parser used before initParser() finished loading it',
    );
  }
  checkTextSize(text);
  if (text.includes('\u0000')) {
    // PostgreSQL's message and code for a NUL in text.
    throw new ReefSqlError(SqlState.CHARACTER_NOT_IN_REPERTOIRE, 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  const firstTokenIndex = skipWhitespace(text, 0, text.length);
  if (firstTokenIndex === text.length) return [];
  let scan: TextScan | undefined;
  if (text.length >= NESTING_CHECK_TEXT_CHARS) {
    scan = scanText(text, true);
    if (scan.nestingBound > SQL_NESTING_BOUND_MAX) throw nestingError(scan.nestingBound);
  }
  const result = parseStrictly(parser, text, parserInput(text, firstTokenIndex), scan);
  return statementsOf(text, result);
}

/**
 * The 1-based character position (as errors carry it) of a tree `location`, which is a UTF-8 byte offset
 * into `source`, the whole text given to parseSql. Undefined when the location is unknown (-1 or absent).
 */
export function sourcePosition(source: string, location: number | undefined): number | undefined {
  if (location === undefined || location < 0) return undefined;
  const walker = new Utf8Walker(source);
  walker.advanceTo(location);
  return walker.codePoints + 1;
}

/**
 * Parses `input` (parserInput of `text`) and refuses what PostgreSQL 15 refuses. PostgreSQL lexes as it
 * parses, so where libpg-query's error and a refusal of guards.ts both apply, PostgreSQL reports the
 * earlier in the text; an error without a position (from a grammar action) counts as the later.
 */
function parseStrictly(parser: LibPgQuery, text: string, input: string, scan: TextScan | undefined): ParseResult {
  let result: ParseResult;
  try {
    result = parseWith(parser, input);
  } catch (error) {
    if (error instanceof ReefSqlError) throw error;
    const parseError = translateError(parser, error);
    const junk = (scan ?? scanText(text, false)).junk;
    throw earliest(junk, misplacedParameterBefore(parser, input, parseError.position), parseError) ?? parseError;
  }
  const refusal = earliest((scan ?? scanText(text, false)).junk, misplacedParameterError(text, result));
  if (refusal !== undefined) throw refusal;
  return result;
}

/**
 * libpg-query's parse. A trap inside WebAssembly (a stack overflow is a RangeError, other traps are
 * WebAssembly.RuntimeError) unwinds without libpg-query's cleanup, so the instance is dropped and a
 * fresh one loaded; parseSql refuses statements until it is ready.
 */
function parseWith(parser: LibPgQuery, input: string): ParseResult {
  try {
    return parser.parseSync(input) as ParseResult;
  } catch (error) {
    if (!(error instanceof RangeError) && !(error instanceof Error && error.name === 'RuntimeError')) throw error;
    if (library === parser) {
      library = undefined;
      restarting = true;
      loading = load();
      // Whoever awaits initParser() sees a failed restart; nobody else has to.
      loading.catch(() => undefined);
    }
    if (error instanceof RangeError && /call stack/.test(error.message)) throw nestingError(undefined, error);
    throw new ReefSqlError(SqlState.INTERNAL_ERROR, `SQL parser failed: ${error.message}`, { cause: error });
  }
}

/** The error with the smallest position, the first of equals; none without a position beats one with. */
function earliest(...errors: Array<ReefSqlError | undefined>): ReefSqlError | undefined {
  let first: ReefSqlError | undefined;
  for (const error of errors) {
    if (error === undefined) continue;
    if (first === undefined || (error.position ?? Infinity) < (first.position ?? Infinity)) first = error;
  }
  return first;
}

/**
 * When libpg-query fails at `position`, a misplaced parameter it accepted before that point is
 * PostgreSQL's error: it is found by parsing the text up to `position`, when that much parses.
 */
function misplacedParameterBefore(
  parser: LibPgQuery,
  input: string,
  position: number | undefined,
): ReefSqlError | undefined {
  if (position === undefined || !/\$[0-9]/.test(input)) return undefined;
  const prefix = input.slice(0, indexOfCharacter(input, position - 1));
  let prefixResult: ParseResult;
  try {
    prefixResult = parseWith(parser, prefix);
  } catch (error) {
    if (error instanceof ReefSqlError) throw error;
    return undefined;
  }
  return misplacedParameterError(prefix, prefixResult);
}

/** PostgreSQL's error for the first parameter of `result` in a place PostgreSQL takes only constants. */
function misplacedParameterError(text: string, result: ParseResult): ReefSqlError | undefined {
  const location = misplacedParameterLocation(text, result);
  if (location === undefined) return undefined;
  const walker = new Utf8Walker(text);
  walker.advanceTo(location);
  const token = /\$[0-9]+/y;
  token.lastIndex = walker.index;
  const match = token.exec(text);
  invariant(match !== null, `no parameter at the location libpg-query gave (${location})`);
  return new ReefSqlError(SqlState.SYNTAX_ERROR, `syntax error at or near "${match[0]}"`, {
    position: walker.codePoints + 1,
  });
}

/** The UTF-16 index of the character (code point) numbered `characters` from 0. */
function indexOfCharacter(text: string, characters: number): number {
  let index = 0;
  for (let counted = 0; counted < characters && index < text.length; counted += 1) {
    const unit = text.charCodeAt(index);
    index += unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1)) ? 2 : 1;
  }
  return index;
}

function checkTextSize(text: string): void {
  // A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so short text needs no count.
  if (text.length <= SQL_TEXT_BYTES_MAX / 3) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > SQL_TEXT_BYTES_MAX) {
    throw new ReefSqlError(
      SqlState.PROGRAM_LIMIT_EXCEEDED,
      `query text is too long (${bytes} bytes, maximum ${SQL_TEXT_BYTES_MAX})`,
    );
  }
}

// String.prototype.isWellFormed/toWellFormed exist in Node 20 (V8 11.3) but not in TypeScript's ES2022 lib.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** The string handed to libpg-query for `text`, whose first non-whitespace character is at `firstTokenIndex`. */
function parserInput(text: string, firstTokenIndex: number): string {
  // libpg-query's UTF-8 encoder reads a lone surrogate as half of a pair and swallows the next character;
  // U+FFFD keeps every index (one code unit for one) and is what a UTF-8 decoder makes of such input.
  const unchecked = text as unknown as WellFormedString;
  let input = unchecked.isWellFormed() ? text : unchecked.toWellFormed();
  // libpg-query refuses text that JavaScript's trim() empties, but PostgreSQL's whitespace is narrower:
  // "\v" or U+00A0 alone are tokens to it and earn a syntax error at that token. A trailing comment
  // makes the text non-empty to trim() without moving or changing any token.
  if (/\s/.test(text.charAt(firstTokenIndex)) && text.trim() === '') input += '\n--';
  return input;
}

/** SQLSTATEs of grammar errors that are not 42601, by PostgreSQL 15's message; libpg-query reports none. */
const GRAMMAR_ERROR_SQLSTATES: ReadonlyArray<readonly [RegExp, SqlStateCode]> = [
  [/^CREATE ASSERTION is not yet implemented$/, SqlState.FEATURE_NOT_SUPPORTED],
  [/^[A-Z ]+ constraints cannot be marked (DEFERRABLE|NOT VALID|NO INHERIT)$/, SqlState.FEATURE_NOT_SUPPORTED],
  [/^MATCH PARTIAL not yet implemented$/, SqlState.FEATURE_NOT_SUPPORTED],
  [/^WITH CHECK OPTION not supported on recursive views$/, SqlState.FEATURE_NOT_SUPPORTED],
  [/^column number must be in range from 1 to \d+$/, SqlState.INVALID_PARAMETER_VALUE],
];

function translateError(parser: LibPgQuery, error: unknown): ReefSqlError {
  if (!parser.hasSqlDetails(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new ReefSqlError(SqlState.INTERNAL_ERROR, `SQL parser failed: ${reason}`, { cause: error });
  }
  const { message, cursorPosition, fileName } = error.sqlDetails;
  // libpg-query hands over PostgreSQL's 1-based cursor minus one, clamped at 0, so "at the first
  // character" and "no position" both arrive as 0. The lexer (scan.l, and parser.c for Unicode escapes)
  // always sets a position; a grammar action may set none (CREATE ASSERTION, misplaced DEFERRABLE).
  const fromLexer = fileName === 'scan.l' || fileName?.endsWith('parser.c') === true;
  const position = cursorPosition > 0 || fromLexer ? cursorPosition + 1 : undefined;
  const code = GRAMMAR_ERROR_SQLSTATES.find(([pattern]) => pattern.test(message))?.[1] ?? SqlState.SYNTAX_ERROR;
  return new ReefSqlError(code, message, { position, cause: error });
}

function statementsOf(text: string, result: ParseResult): ParsedStatement[] {
  const statements: ParsedStatement[] = [];
  const walker = new Utf8Walker(text);
  for (const raw of result.stmts ?? []) {
    invariant(raw.stmt !== undefined, 'libpg-query returned a statement without a tree');
    // Both fields are UTF-8 byte offsets, absent when 0; a length of 0 means "to the end of the text".
    const startByte = raw.stmt_location ?? 0;
    walker.advanceTo(startByte);
    const start = walker.index;
    let end = text.length;
    if (raw.stmt_len !== undefined && raw.stmt_len > 0) {
      walker.advanceTo(startByte + raw.stmt_len);
      end = walker.index;
    }
    const first = skipWhitespace(text, start, end);
    let last = end;
    while (last > first && isSqlWhitespace(text.charCodeAt(last - 1))) last -= 1;
    invariant(first < last, 'libpg-query returned a statement with no text');
    statements.push({ stmt: raw.stmt, text: text.slice(first, last), location: first });
  }
  return statements;
}

/** PostgreSQL 15's whitespace (scan.l `space`): space, tab, newline, carriage return, form feed. */
function isSqlWhitespace(unit: number): boolean {
  return unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d || unit === 0x0c;
}

function skipWhitespace(text: string, from: number, to: number): number {
  let index = from;
  while (index < to && isSqlWhitespace(text.charCodeAt(index))) index += 1;
  return index;
}

/**
 * Walks a string forward from its start, converting UTF-8 byte offsets (as the parser reports them) to
 * UTF-16 indices and code point counts. Offsets must not decrease; one walk serves a whole statement list.
 */
class Utf8Walker {
  index = 0;
  byte = 0;
  codePoints = 0;

  constructor(private readonly text: string) {}

  advanceTo(byteOffset: number): void {
    invariant(byteOffset >= this.byte, `byte offset ${byteOffset} is behind the walk at ${this.byte}`);
    const text = this.text;
    let { index, byte, codePoints } = this;
    while (byte < byteOffset) {
      invariant(index < text.length, `byte offset ${byteOffset} is past the end of the text`);
      const unit = text.charCodeAt(index);
      if (unit < 0x80) {
        byte += 1;
        index += 1;
      } else if (unit < 0x800) {
        byte += 2;
        index += 1;
      } else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
        byte += 4;
        index += 2;
      } else {
        // Includes a lone surrogate, which parseSql sends as U+FFFD: three bytes.
        byte += 3;
        index += 1;
      }
      codePoints += 1;
    }
    invariant(byte === byteOffset, `byte offset ${byteOffset} falls inside a character`);
    this.index = index;
    this.byte = byte;
    this.codePoints = codePoints;
  }
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ReefSqlError(SqlState.INTERNAL_ERROR, `SQL parser invariant broken: ${message}`);
}
