// Text input and output of json and jsonb, as PostgreSQL 15's json_in/json_out (src/common/jsonapi.c)
// and jsonb_in/jsonb_out.
//
// Both read RFC 8259 JSON with PostgreSQL's lexer: whitespace is space, tab, newline and carriage
// return; literals are lower-case; numbers are '-'? (0 | [1-9][0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)?
// and any letters or digits stuck to a token belong to it for the error message; strings must escape
// characters below 0x20 and use only the escapes \" \\ \/ \b \f \n \r \t \uXXXX. Errors are 22P02
// "invalid input syntax for type json" (for jsonb too) with PostgreSQL's detail: 'Token "tru" is
// invalid.', 'Expected ":", but found "1".', 'Expected JSON value, but found "]".', "The input string
// ended unexpectedly.", .... (PostgreSQL's CONTEXT line, "JSON data, line 1: …", is not produced.)
//
// json keeps the text exactly as given (datum.ts) and prints it back unchanged; \u escapes are only
// checked for their four hex digits.
//
// jsonb parses into a JsonValue: objects are Maps with jsonb's key order (shorter UTF-8 keys first,
// then bytewise) and, for duplicate keys, the last value; numbers are numeric Decimals with their
// display scale (so 1.50 prints as 1.50, -0 as 0, 1e2 as 100); strings are de-escaped, where a \u
// escape must pair surrogates correctly and \u0000 is 22P05 "unsupported Unicode escape sequence".
// jsonb output is canonical: '{"a": 1, "b": [1, 2]}' with a space after ':' and ',', strings escaped
// with \" \\ \b \f \n \r \t and \u00XX for other control characters, nothing else escaped.
//
// Parsing and printing keep their own stack, so nesting costs no JavaScript stack. Nesting deeper than
// NESTING_DEPTH_MAX (10 000) is 54001 "stack depth limit exceeded"; PostgreSQL's limit is its
// max_stack_depth (with the default 2MB it gives up somewhere between 10 000 and 20 000 levels).

import type { Decimal } from 'decimal.js';
import { ReefSqlError, SqlState } from '../errors.js';
import { compareJsonbKeys, jsonbObjectKeys } from './compare.js';
import type { JsonValue } from './datum.js';
import { formatNumeric, parseNumeric } from './numeric-io.js';

const NESTING_DEPTH_MAX = 10_000;

const enum Token {
  ObjectStart,
  ObjectEnd,
  ArrayStart,
  ArrayEnd,
  Comma,
  Colon,
  String,
  Number,
  True,
  False,
  Null,
  End,
}

/** Where the parser was when it found an unexpected token (PostgreSQL's JsonParseContext). */
const enum Context {
  Value,
  String,
  ArrayNext,
  ObjectStart,
  ObjectLabel,
  ObjectNext,
  End,
}

const EXPECTED: Record<Context, string> = {
  [Context.Value]: 'Expected JSON value, but found "%s".',
  [Context.String]: 'Expected string, but found "%s".',
  [Context.ArrayNext]: 'Expected "," or "]", but found "%s".',
  [Context.ObjectStart]: 'Expected string or "}", but found "%s".',
  [Context.ObjectLabel]: 'Expected ":", but found "%s".',
  [Context.ObjectNext]: 'Expected "," or "}", but found "%s".',
  [Context.End]: 'Expected end of input, but found "%s".',
};

function syntaxError(detail: string): ReefSqlError {
  return new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, 'invalid input syntax for type json', { detail });
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** JSON_ALPHANUMERIC_CHAR: ASCII letters and digits, '_', and anything non-ASCII. */
function isTokenCharacter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code >= 0x80;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** PostgreSQL's JSON lexer: one token of lookahead, with its extent for error messages. */
class Lexer {
  private currentToken: Token = Token.End;
  tokenStart = 0;
  tokenEnd = 0;
  /** The de-escaped text of a String token (when de-escaping). */
  stringValue = '';
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly deEscape: boolean,
  ) {}

  /** The current token (a method, so that checks of it are not carried over calls to next()). */
  current(): Token {
    return this.currentToken;
  }

  tokenText(): string {
    return this.text.slice(this.tokenStart, this.tokenEnd);
  }

  private invalidToken(end: number): ReefSqlError {
    this.tokenEnd = end;
    return syntaxError(`Token "${this.tokenText()}" is invalid.`);
  }

  /** Reads the next token (json_lex). */
  next(): void {
    const text = this.text;
    let at = this.position;
    while (at < text.length && isJsonWhitespace(text.charCodeAt(at))) at++;
    this.tokenStart = at;
    if (at >= text.length) {
      this.currentToken = Token.End;
      this.tokenEnd = at;
      this.position = at;
      return;
    }
    const character = text[at]!;
    const single: Record<string, Token> = { '{': Token.ObjectStart, '}': Token.ObjectEnd, '[': Token.ArrayStart, ']': Token.ArrayEnd, ',': Token.Comma, ':': Token.Colon };
    const punctuation = single[character];
    if (punctuation !== undefined) {
      this.currentToken = punctuation;
      this.tokenEnd = at + 1;
    } else if (character === '"') {
      this.currentToken = Token.String;
      this.tokenEnd = this.lexString(at);
    } else if (character === '-' || isDigit(text.charCodeAt(at))) {
      this.currentToken = Token.Number;
      this.tokenEnd = this.lexNumber(character === '-' ? at + 1 : at);
    } else {
      let end = at;
      while (end < text.length && isTokenCharacter(text.charCodeAt(end))) end++;
      if (end === at) throw this.invalidToken(at + (text.codePointAt(at)! > 0xffff ? 2 : 1));
      this.tokenEnd = end;
      const word = text.slice(at, end);
      if (word === 'true') this.currentToken = Token.True;
      else if (word === 'false') this.currentToken = Token.False;
      else if (word === 'null') this.currentToken = Token.Null;
      else throw this.invalidToken(end);
    }
    this.position = this.tokenEnd;
  }

  /** json_lex_number from `at` (after any '-'); returns the token's end. */
  private lexNumber(at: number): number {
    const text = this.text;
    let error = false;
    if (text[at] === '0') {
      at++;
    } else if (isDigit(text.charCodeAt(at)) && text[at] !== '0') {
      while (isDigit(text.charCodeAt(at))) at++;
    } else {
      error = true;
    }
    if (text[at] === '.') {
      at++;
      if (!isDigit(text.charCodeAt(at))) error = true;
      else while (isDigit(text.charCodeAt(at))) at++;
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      if (!isDigit(text.charCodeAt(at))) error = true;
      else while (isDigit(text.charCodeAt(at))) at++;
    }
    // Letters and digits stuck to the number are part of the (invalid) token.
    while (at < text.length && isTokenCharacter(text.charCodeAt(at))) {
      at++;
      error = true;
    }
    if (error) throw this.invalidToken(at);
    return at;
  }

  /** json_lex_string from the opening quote at `at`; returns the index after the closing quote. */
  private lexString(at: number): number {
    const text = this.text;
    let value = '';
    let highSurrogate = -1;
    const lowSurrogateMissing = (): ReefSqlError => syntaxError('Unicode low surrogate must follow a high surrogate.');
    for (;;) {
      at++;
      if (at >= text.length) throw this.invalidToken(at);
      const code = text.charCodeAt(at);
      if (code === 0x22) break;
      if (code < 0x20) {
        const hex = code.toString(16).padStart(2, '0');
        throw syntaxError(`Character with value 0x${hex} must be escaped.`);
      }
      if (code !== 0x5c) {
        if (this.deEscape) {
          if (highSurrogate !== -1) throw lowSurrogateMissing();
          value += text[at];
        }
        continue;
      }
      at++;
      if (at >= text.length) throw this.invalidToken(at);
      const escape = text[at]!;
      if (escape === 'u') {
        let unit = 0;
        for (let digit = 0; digit < 4; digit++) {
          at++;
          if (at >= text.length) throw this.invalidToken(at);
          const hex = parseInt(text[at]!, 16);
          if (!/[0-9a-fA-F]/.test(text[at]!)) throw syntaxError('"\\u" must be followed by four hexadecimal digits.');
          unit = unit * 16 + hex;
        }
        if (!this.deEscape) continue;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (highSurrogate !== -1) throw syntaxError('Unicode high surrogate must not follow a high surrogate.');
          highSurrogate = unit;
          continue;
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          if (highSurrogate === -1) throw lowSurrogateMissing();
          value += String.fromCharCode(highSurrogate, unit);
          highSurrogate = -1;
          continue;
        }
        if (highSurrogate !== -1) throw lowSurrogateMissing();
        if (unit === 0) {
          throw new ReefSqlError(SqlState.UNTRANSLATABLE_CHARACTER, 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
        }
        value += String.fromCharCode(unit);
        continue;
      }
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (this.deEscape && highSurrogate !== -1) throw lowSurrogateMissing();
      const decoded = simple[escape];
      if (decoded === undefined) {
        const shown = String.fromCodePoint(text.codePointAt(at)!);
        throw syntaxError(`Escape sequence "\\${shown}" is invalid.`);
      }
      value += decoded;
    }
    if (this.deEscape && highSurrogate !== -1) throw lowSurrogateMissing();
    this.stringValue = value;
    return at + 1;
  }
}

/** report_parse_error: the error for an unexpected token in `context`. */
function unexpected(lexer: Lexer, context: Context): ReefSqlError {
  if (lexer.current() === Token.End) return syntaxError('The input string ended unexpectedly.');
  return syntaxError(EXPECTED[context].replace('%s', () => lexer.tokenText()));
}

type Frame = { readonly kind: 'array'; readonly elements: JsonValue[] } | { readonly kind: 'object'; readonly members: Map<string, JsonValue>; key: string };

/**
 * pg_parse_json's recursive descent, run with an explicit stack so that deep nesting cannot exhaust
 * JavaScript's: the same sequence of token reads, so the same first error. Returns the value when
 * `build` (jsonb), else null.
 */
function parseJson(text: string, build: boolean): JsonValue {
  const lexer = new Lexer(text, build);
  const stack: Frame[] = [];
  lexer.next();
  for (;;) {
    // Here a value starts at the current token.
    let value: JsonValue = null;
    let complete = false;
    if (lexer.current() === Token.ObjectStart || lexer.current() === Token.ArrayStart) {
      if (stack.length >= NESTING_DEPTH_MAX) {
        throw new ReefSqlError(SqlState.STATEMENT_TOO_COMPLEX, 'stack depth limit exceeded');
      }
      const isObject = lexer.current() === Token.ObjectStart;
      lexer.next();
      if (isObject) {
        const frame: Frame = { kind: 'object', members: new Map(), key: '' };
        if (lexer.current() === Token.ObjectEnd) {
          lexer.next();
          value = build ? sortMembers(frame.members) : null;
          complete = true;
        } else if (lexer.current() === Token.String) {
          stack.push(frame);
          readKey(lexer, frame);
        } else {
          throw unexpected(lexer, Context.ObjectStart);
        }
      } else if (lexer.current() === Token.ArrayEnd) {
        lexer.next();
        value = build ? [] : null;
        complete = true;
      } else {
        stack.push({ kind: 'array', elements: [] });
      }
    } else {
      value = scalarValue(lexer, build);
      lexer.next();
      complete = true;
    }
    // Close every container the value completes.
    while (complete) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) {
        if (lexer.current() !== Token.End) throw unexpected(lexer, Context.End);
        return value;
      }
      if (frame.kind === 'array') {
        if (build) frame.elements.push(value);
        if (lexer.current() === Token.Comma) {
          lexer.next();
          complete = false;
        } else if (lexer.current() === Token.ArrayEnd) {
          lexer.next();
          stack.pop();
          value = build ? frame.elements : null;
        } else {
          throw unexpected(lexer, Context.ArrayNext);
        }
      } else {
        if (build) {
          // A later duplicate replaces the value but keeps the key's place; order is fixed at the end.
          frame.members.set(frame.key, value);
        }
        if (lexer.current() === Token.Comma) {
          lexer.next();
          if (lexer.current() !== Token.String) throw unexpected(lexer, Context.String);
          readKey(lexer, frame);
          complete = false;
        } else if (lexer.current() === Token.ObjectEnd) {
          lexer.next();
          stack.pop();
          value = build ? sortMembers(frame.members) : null;
        } else {
          throw unexpected(lexer, Context.ObjectNext);
        }
      }
    }
  }
}

/** At a String token in an object: takes the key and the ':' after it. */
function readKey(lexer: Lexer, frame: { key: string }): void {
  frame.key = lexer.stringValue;
  lexer.next();
  if (lexer.current() !== Token.Colon) throw unexpected(lexer, Context.ObjectLabel);
  lexer.next();
}

function scalarValue(lexer: Lexer, build: boolean): JsonValue {
  switch (lexer.current()) {
    case Token.String:
      return build ? lexer.stringValue : null;
    case Token.Number:
      return build ? (parseNumeric(lexer.tokenText(), -1) as Decimal) : null;
    case Token.True:
      return true;
    case Token.False:
      return false;
    case Token.Null:
      return null;
    default:
      throw unexpected(lexer, Context.Value);
  }
}

function sortMembers(members: Map<string, JsonValue>): ReadonlyMap<string, JsonValue> {
  const keys = [...members.keys()].sort(compareJsonbKeys);
  return new Map(keys.map((key) => [key, members.get(key)!]));
}

export function parseJsonText(text: string): string {
  parseJson(text, false);
  return text;
}

export function parseJsonb(text: string): JsonValue {
  return parseJson(text, true);
}

export function formatJson(value: string): string {
  return value;
}

/** escape_json: a JSON string literal for `value`. */
export function quoteJsonString(value: string): string {
  let quoted = '"';
  for (let index = 0; index < value.length; index++) {
    const character = value[index]!;
    const code = value.charCodeAt(index);
    switch (character) {
      case '\b': quoted += '\\b'; break;
      case '\f': quoted += '\\f'; break;
      case '\n': quoted += '\\n'; break;
      case '\r': quoted += '\\r'; break;
      case '\t': quoted += '\\t'; break;
      case '"': quoted += '\\"'; break;
      case '\\': quoted += '\\\\'; break;
      default:
        quoted += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : character;
    }
  }
  return `${quoted}"`;
}

/** JsonbToCString, with an explicit stack (like parseJson) so that any nesting prints. */
export function formatJsonb(value: JsonValue): string {
  type Open = { readonly close: string; readonly values: readonly JsonValue[]; readonly keys: readonly string[] | undefined; index: number };
  const out: string[] = [];
  const stack: Open[] = [];
  const write = (item: JsonValue): void => {
    if (item === null) {
      out.push('null');
    } else if (typeof item === 'boolean') {
      out.push(item ? 'true' : 'false');
    } else if (typeof item === 'string') {
      out.push(quoteJsonString(item));
    } else if (Array.isArray(item)) {
      out.push('[');
      stack.push({ close: ']', values: item as readonly JsonValue[], keys: undefined, index: 0 });
    } else if (item instanceof Map) {
      const members = item as ReadonlyMap<string, JsonValue>;
      const keys = jsonbObjectKeys(members);
      out.push('{');
      stack.push({ close: '}', values: keys.map((key) => members.get(key)!), keys, index: 0 });
    } else {
      out.push(formatNumeric(item as Decimal, -1));
    }
  };
  write(value);
  while (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    if (open.index === open.values.length) {
      out.push(open.close);
      stack.pop();
      continue;
    }
    if (open.index > 0) out.push(', ');
    if (open.keys !== undefined) out.push(quoteJsonString(open.keys[open.index]!), ': ');
    write(open.values[open.index++]!);
  }
  return out.join('');
}
