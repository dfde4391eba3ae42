// The checks parseSql makes around libpg-query, all from PostgreSQL's lexical structure or the tree.
//
// Before parsing: the nesting bound. libpg-query turns its tree into JSON by recursion inside its
// WebAssembly instance, on Node's native stack; a tree about 10,000 levels deep (`1+1+…`, a chain of
// UNIONs) overflows that stack, and the trap leaves the instance unusable. Bison's own stack limit stops
// deep brackets, not long left-associative chains, so a bound on the depth is computed from the text:
// every token adds a level (SELECT and NOT, which wrap their operand, add three), a bracket (`(`, `[`,
// CASE … END) adds four plus its contents, and only what is flat in the tree restarts the count: list
// commas, AND/OR (PostgreSQL flattens their chains), WHEN/THEN/ELSE, and UNION/INTERSECT/EXCEPT, whose
// own chain spans commas and so is counted apart. Text shorter than NESTING_CHECK_TEXT_CHARS cannot come
// near the limit and skips the count.
//
// After parsing: what libpg-query 15.6.3 accepts and PostgreSQL 15 refuses (libpg_query patches the
// grammar for query normalization; everything else parses as in PostgreSQL 15):
// 1. Trailing junk. PostgreSQL 15's scanner refuses a number or parameter run straight into identifier
//    characters — `123abc`, `0x1F`, `1_000`, `1.5e`, `1e+`, `.5x`, `$1a` — with "trailing junk after
//    numeric literal" (or "… after parameter") at or near the whole run; libpg-query reads a number and an
//    identifier, so `SELECT 0x1F` would quietly become `SELECT 0 AS x1F`.
// 2. Parameters where PostgreSQL takes only a constant: `SET x = $1`, `SET ROLE $1`, `SET TIME ZONE $1`,
//    `PASSWORD $1`, `EXTRACT($1 FROM …)`, and a type name before a parameter (`int4 $1`, `DATE $1`,
//    `INTERVAL $1 YEAR`, even `c_d_id $1`, which becomes a cast). PostgreSQL answers
//    `syntax error at or near "$1"`; the tree shows these by shapes PostgreSQL's own rules never build.
//
// The text walk knows what hides a token from the scanner: comments (`--…`, nested `/* … */`), string
// constants ('…', E'…' with backslash escapes, B'…', X'…', N'…', U&'…'), quoted identifiers ("…", U&"…")
// and dollar-quoted strings. Text that ends inside a comment or quote is left to libpg-query to report.
import { ReefSqlError, SqlState } from '../errors.js';

/**
 * The largest nesting bound parseSql accepts. Measured on Node 20 with nothing else on the stack, the
 * shapes that need the most stack per unit of bound overflow it at about twice this: 12,750 chained
 * UNIONs (bound 12,754), 10,500 chained additions (bound 21,003).
 */
export const SQL_NESTING_BOUND_MAX = 6000;

/** Text shorter than this cannot nest deeply enough to matter, so its bound is not computed. */
export const NESTING_CHECK_TEXT_CHARS = 4096;

/** Every junk token starts with a digit, optionally a '.', directly followed by an identifier character. */
const MAY_HOLD_JUNK = /[0-9]\.?[A-Za-z_\u0080-\uffff]/;

export interface TextScan {
  /** PostgreSQL 15's error for the first trailing-junk token (42601 with position), if any. */
  readonly junk: ReefSqlError | undefined;
  /** An upper bound on the depth of the statements' trees (0 when not measured). */
  readonly nestingBound: number;
}

/**
 * One pass over `text`: the first trailing-junk token, and the nesting bound when `measureNesting`.
 * Without `measureNesting`, text that cannot hold junk is not walked at all.
 */
export function scanText(text: string, measureNesting: boolean): TextScan {
  if (!measureNesting && !MAY_HOLD_JUNK.test(text)) return { junk: undefined, nestingBound: 0 };
  const meter = measureNesting ? new NestingMeter() : undefined;
  let junk: ReefSqlError | undefined;
  const length = text.length;
  let index = 0;
  while (index < length) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit === DASH && next === DASH) {
      index = lineEnd(text, index + 2);
      continue;
    }
    if (unit === SLASH && next === STAR) {
      index = blockCommentEnd(text, index + 2);
      continue;
    }
    const start = index;
    if (unit === QUOTE || unit === DOUBLE_QUOTE) {
      index = quotedEnd(text, index + 1, unit, false);
    } else if (unit === DOLLAR) {
      if (isDigit(next)) {
        const digitsEnd = digitRunEnd(text, index + 1);
        index = digitsEnd;
        if (isIdentifierStart(text.charCodeAt(digitsEnd))) {
          index = identifierEnd(text, digitsEnd);
          junk ??= junkError(text, start, index, 'parameter');
        }
      } else {
        index = dollarQuotedEnd(text, index);
      }
    } else if (isDigit(unit) || (unit === DOT && isDigit(next))) {
      const number = scanNumber(text, index);
      index = number.end;
      if (number.junk) junk ??= junkError(text, start, index, 'numeric literal');
    } else if (isIdentifierStart(unit)) {
      index = identifierOrPrefixedQuoteEnd(text, index);
      // Only the short words the meter knows matter; a quoted constant's prefix (E'…') is no word.
      if (meter !== undefined && index - start <= 9 && identifierEnd(text, start) === index) {
        meter.word(text.slice(start, index).toLowerCase());
        continue;
      }
    } else {
      index += 1;
      if (meter !== undefined) meter.punctuation(unit);
      continue;
    }
    if (junk !== undefined && meter === undefined) break;
    meter?.token();
  }
  return { junk, nestingBound: meter?.bound() ?? 0 };
}

/**
 * PostgreSQL's error for a statement nested too deeply to handle, for a nesting `bound` over
 * SQL_NESTING_BOUND_MAX, or (bound undefined) for a stack overflow inside libpg-query.
 */
export function nestingError(bound: number | undefined, cause?: unknown): ReefSqlError {
  // PostgreSQL raises this as 54001 (statement_too_complex), which sql/errors.ts does not name yet.
  return new ReefSqlError(SqlState.STATEMENT_TOO_COMPLEX, 'stack depth limit exceeded', {
    hint:
      bound === undefined
        ? 'The statement nests too deeply for the parser; simplify it.'
        : `The statement nests about ${bound} levels deep; ReefDB parses at most ${SQL_NESTING_BOUND_MAX}.`,
    cause,
  });
}

const enum Bracket {
  Root,
  Paren,
  Square,
  Case,
}

interface Frame {
  readonly bracket: Bracket;
  /** Tokens of the current flat item (a list element, an AND operand, …) at this bracket level. */
  segment: number;
  /** The deepest bracket opened in the current item. */
  childMaximum: number;
  /** The deepest item finished at this level. */
  finishedMaximum: number;
  /** Set operations at this level: one chain however many commas lie between them. */
  chain: number;
}

/** Tracks the nesting bound over a token stream; see the file comment. */
class NestingMeter {
  private readonly frames: Frame[] = [frame(Bracket.Root)];
  private statementMaximum = 0;

  token(weight = 1): void {
    this.top().segment += weight;
  }

  word(word: string): void {
    switch (word) {
      case 'and':
      case 'or':
      case 'when':
      case 'then':
      case 'else':
        this.separate();
        return;
      // Reserved words all (JOIN is not: it can name a function, so it counts as an ordinary token).
      case 'union':
      case 'intersect':
      case 'except':
        this.top().chain += 1;
        this.separate();
        return;
      case 'case':
        this.open(Bracket.Case);
        return;
      case 'end':
        if (!this.close(Bracket.Case)) this.token();
        return;
      // A subquery and a NOT each wrap their operand in a node with a list: three levels of the tree.
      case 'select':
      case 'not':
        this.token(NODE_LEVELS);
        return;
      default:
        this.token();
    }
  }

  punctuation(unit: number): void {
    if (unit === 0x28) this.open(Bracket.Paren);
    else if (unit === 0x5b) this.open(Bracket.Square);
    else if (unit === 0x29) this.close(Bracket.Paren);
    else if (unit === 0x5d) this.close(Bracket.Square);
    else if (unit === 0x2c) this.separate();
    else if (unit === 0x3b) this.semicolon();
    else if (!isSqlWhitespace(unit)) this.token();
  }

  /** The bound over every statement seen, closing what is still open. */
  bound(): number {
    while (this.frames.length > 1) this.close(this.top().bracket);
    this.finishStatement();
    return this.statementMaximum;
  }

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  private separate(): void {
    const top = this.top();
    top.finishedMaximum = Math.max(top.finishedMaximum, top.segment + top.childMaximum);
    top.segment = 0;
    top.childMaximum = 0;
  }

  private open(bracket: Bracket): void {
    this.top().segment += 1;
    this.frames.push(frame(bracket));
  }

  /** Closes the innermost bracket when it is of `bracket`'s kind; false (and nothing closed) otherwise. */
  private close(bracket: Bracket): boolean {
    if (this.frames.length === 1 || this.top().bracket !== bracket) return false;
    const depth = frameDepth(this.frames.pop()!);
    const parent = this.top();
    parent.childMaximum = Math.max(parent.childMaximum, depth);
    return true;
  }

  /** A ';' ends a statement; inside brackets (a BEGIN ATOMIC function body) it only separates. */
  private semicolon(): void {
    if (this.frames.length > 1) this.separate();
    else this.finishStatement();
  }

  private finishStatement(): void {
    this.statementMaximum = Math.max(this.statementMaximum, frameDepth(this.frames[0]!));
    this.frames[0] = frame(Bracket.Root);
  }
}

/** The levels of the tree a bracket or a wrapping keyword adds: the node, its fields, and a list. */
const NODE_LEVELS = 3;

function frame(bracket: Bracket): Frame {
  return { bracket, segment: 0, childMaximum: 0, finishedMaximum: 0, chain: 0 };
}

/** A bracket level's depth: its deepest item, its chain, and the node the bracket makes. */
function frameDepth(level: Frame): number {
  return Math.max(level.finishedMaximum, level.segment + level.childMaximum) + level.chain + NODE_LEVELS;
}

/** PostgreSQL 15's whitespace (scan.l `space`). */
function isSqlWhitespace(unit: number): boolean {
  return unit === 0x20 || unit === 0x09 || unit === 0x0a || unit === 0x0d || unit === 0x0c;
}

const QUOTE = 0x27;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const DASH = 0x2d;
const SLASH = 0x2f;
const STAR = 0x2a;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const AMPERSAND = 0x26;
const PLUS = 0x2b;

function isDigit(unit: number): boolean {
  return unit >= 0x30 && unit <= 0x39;
}

/** scan.l `ident_start`: a letter, '_' or any byte of a multi-byte character (any non-ASCII character). */
function isIdentifierStart(unit: number): boolean {
  return (unit >= 0x61 && unit <= 0x7a) || (unit >= 0x41 && unit <= 0x5a) || unit === 0x5f || unit >= 0x80;
}

/** scan.l `ident_cont`: ident_start, a digit or '$'. */
function isIdentifierContinue(unit: number): boolean {
  return isIdentifierStart(unit) || isDigit(unit) || unit === DOLLAR;
}

function identifierEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length && isIdentifierContinue(text.charCodeAt(index))) index += 1;
  return index;
}

function digitRunEnd(text: string, start: number): number {
  let index = start;
  while (isDigit(text.charCodeAt(index))) index += 1;
  return index;
}

function lineEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length && text.charCodeAt(index) !== 0x0a && text.charCodeAt(index) !== 0x0d) index += 1;
  return index;
}

/** The end of a block comment whose opening `/*` ends at `start`; comments nest, as in PostgreSQL. */
function blockCommentEnd(text: string, start: number): number {
  let depth = 1;
  let index = start;
  while (index < text.length) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    if (unit === SLASH && next === STAR) {
      depth += 1;
      index += 2;
    } else if (unit === STAR && next === SLASH) {
      depth -= 1;
      index += 2;
      if (depth === 0) return index;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/** The end of a quoted run whose opening quote ends at `start`; a doubled quote is part of it. */
function quotedEnd(text: string, start: number, quote: number, backslashEscapes: boolean): number {
  let index = start;
  while (index < text.length) {
    const unit = text.charCodeAt(index);
    if (backslashEscapes && unit === BACKSLASH) {
      index += 2;
    } else if (unit === quote) {
      if (text.charCodeAt(index + 1) !== quote) return index + 1;
      index += 2;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/** At a '$' that starts no parameter: the end of a dollar-quoted string, or just past a lone '$'. */
function dollarQuotedEnd(text: string, start: number): number {
  // A delimiter is `$tag$` with an optional tag of identifier characters other than '$'.
  let tagEnd = start + 1;
  if (isIdentifierStart(text.charCodeAt(tagEnd))) {
    tagEnd += 1;
    while (isIdentifierStart(text.charCodeAt(tagEnd)) || isDigit(text.charCodeAt(tagEnd))) tagEnd += 1;
  }
  if (text.charCodeAt(tagEnd) !== DOLLAR) return start + 1;
  const delimiter = text.slice(start, tagEnd + 1);
  const close = text.indexOf(delimiter, tagEnd + 1);
  return close === -1 ? text.length : close + delimiter.length;
}

/** At an identifier start: past the identifier, or past the constant when it is a quote's prefix. */
function identifierOrPrefixedQuoteEnd(text: string, start: number): number {
  const unit = text.charCodeAt(start) | 0x20; // lower case for ASCII letters
  const next = text.charCodeAt(start + 1);
  if (next === QUOTE) {
    if (unit === 0x65) return quotedEnd(text, start + 2, QUOTE, true); // E'…'
    if (unit === 0x62 || unit === 0x78 || unit === 0x6e) return quotedEnd(text, start + 2, QUOTE, false); // B X N
  }
  if (unit === 0x75 && next === AMPERSAND) {
    const quote = text.charCodeAt(start + 2);
    if (quote === QUOTE || quote === DOUBLE_QUOTE) return quotedEnd(text, start + 3, quote, false); // U&'…' U&"…"
  }
  return identifierEnd(text, start);
}

/**
 * A number at `start` (a digit, or '.' before a digit) by PostgreSQL 15's rules, taking the longest match
 * as flex does: integer, decimal, real; `1..` gives back the `..`; a real's exponent without digits
 * (`1e`, `1e+`) and any of them followed by an identifier (`1abc`, `1.5x`, `1e5x`) are junk.
 */
function scanNumber(text: string, start: number): { end: number; junk: boolean } {
  let index = digitRunEnd(text, start);
  if (text.charCodeAt(index) === DOT) {
    if (index > start && text.charCodeAt(index + 1) === DOT) return { end: index, junk: false };
    index = digitRunEnd(text, index + 1);
  }
  const unit = text.charCodeAt(index);
  if (unit === 0x65 || unit === 0x45) {
    const afterE = index + 1;
    const sign = text.charCodeAt(afterE);
    const hasSign = sign === PLUS || sign === DASH;
    const exponentStart = hasSign ? afterE + 1 : afterE;
    if (isDigit(text.charCodeAt(exponentStart))) {
      index = digitRunEnd(text, exponentStart);
    } else {
      // realfail2 (`1e+`, three characters) outruns `1e` + identifier; without a sign the identifier wins.
      return { end: hasSign ? exponentStart : identifierEnd(text, index), junk: true };
    }
  }
  if (isIdentifierStart(text.charCodeAt(index))) return { end: identifierEnd(text, index), junk: true };
  return { end: index, junk: false };
}

function junkError(text: string, start: number, end: number, after: 'numeric literal' | 'parameter'): ReefSqlError {
  return new ReefSqlError(SqlState.SYNTAX_ERROR, `trailing junk after ${after} at or near "${text.slice(start, end)}"`, {
    position: characterPosition(text, start),
  });
}

/** The 1-based position PostgreSQL gives the character at `index`: it counts a surrogate pair once. */
function characterPosition(text: string, index: number): number {
  let position = 1;
  for (let at = 0; at < index; at += 1) {
    const unit = text.charCodeAt(at);
    const next = text.charCodeAt(at + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff && at + 1 < index) at += 1;
    position += 1;
  }
  return position;
}

/**
 * The UTF-8 byte location of the first parameter (in text order) that libpg-query accepted where
 * PostgreSQL 15's grammar takes only a constant, or undefined. Walks the tree only when the text has a
 * parameter at all, and without recursion (the tree may be thousands of levels deep).
 */
export function misplacedParameterLocation(text: string, tree: unknown): number | undefined {
  if (!HAS_PARAMETER.test(text)) return undefined;
  let first: number | undefined;
  const note = (parameter: unknown): void => {
    const location = parameterLocation(parameter);
    if (location !== undefined && (first === undefined || location < first)) first = location;
  };
  const pending: unknown[] = [tree];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
      continue;
    }
    const object = value as JsonObject;
    for (const key in object) {
      const child = object[key];
      if (typeof child !== 'object' || child === null) continue;
      pending.push(child);
      const fields = child as JsonObject;
      switch (key) {
        case 'VariableSetStmt':
        case 'setstmt': // ALTER SYSTEM / DATABASE / ROLE … SET holds an unwrapped VariableSetStmt
          // var_value, zone_value, SET SCHEMA / ROLE / SESSION AUTHORIZATION: PostgreSQL takes constants.
          for (const argument of asArray(fields['args'])) note(argument);
          break;
        case 'DefElem':
          // CREATE/ALTER ROLE … PASSWORD takes a string constant.
          if (fields['defname'] === 'password') note(fields['arg']);
          break;
        case 'TypeCast':
          // A cast without a location is the `type 'literal'` form, whose operand must be a string.
          if (typeof fields['location'] !== 'number' || fields['location'] < 0) note(fields['arg']);
          break;
        case 'FuncCall':
          // EXTRACT(field FROM …) takes the field as a word or a string.
          if (fields['funcformat'] === 'COERCE_SQL_SYNTAX' && isExtract(fields['funcname'])) {
            note(asArray(fields['args'])[0]);
          }
          break;
      }
    }
  }
  return first;
}

const HAS_PARAMETER = /\$[0-9]/;

// The tree is plain JSON of unknown shape here; only the few kinds above are inspected.
type JsonObject = { readonly [key: string]: unknown };

/** The location of a wrapped `{ ParamRef: {...} }`, else undefined. */
function parameterLocation(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('ParamRef' in node)) return undefined;
  const location = (node as { ParamRef: { location?: number } }).ParamRef.location;
  return location === undefined || location < 0 ? undefined : location;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isExtract(funcname: unknown): boolean {
  const names = asArray(funcname);
  const last = names[names.length - 1] as { String?: { sval?: string } } | undefined;
  return names.length === 2 && last?.String?.sval === 'extract';
}
