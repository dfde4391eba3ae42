// Text input and output of one-dimensional arrays, as PostgreSQL 15's array_in (ArrayCount, then
// ReadArrayStr) and array_out, for element types whose delimiter is ',' (all of ReefDB's).
//
// Input: optional whitespace, optional explicit bounds '[lower:upper]' or '[upper]' followed by '='
// (whitespace allowed around it), then '{' elements separated by ',' '}' and optional whitespace.
// An element is unquoted (leading and trailing whitespace dropped, inner whitespace kept) or in double
// quotes; a backslash takes the next character literally anywhere. An unquoted NULL in any case is a
// NULL element; "NULL" in quotes is the string. '{}' is the empty array. Malformed input is 22P02
// 'malformed array literal: "…"' with PostgreSQL's detail ('Unexpected "," character.', 'Junk after
// closing right brace.', 'Unexpected end of input.', ...); PostgreSQL names the text from the first
// '{' in errors about the braces and the whole input in errors about bounds. Bounds that do not match
// the element count are 22P02 too, an upper bound below the lower 2202E.
//
// Multi-dimensional arrays are valid PostgreSQL but not a ReefDB datum (datum.ts keeps one
// dimension): after the whole input is checked they are 0A000.
//
// Output: '{' elements '}' with NULL for NULL elements, and an element quoted (with \" and \\) when it
// is empty, is NULL in any case, or contains '"', '\', '{', '}', ',' or whitespace. A lower bound
// other than 1 is written first: '[0:2]={1,2,3}'. The empty array is '{}'.

import { ReefSqlError, SqlState } from '../errors.js';
import type { Datum, SqlArray } from './datum.js';

/** MAXDIM. */
const DIMENSIONS_MAX = 6;
const DELIMITER = ',';

/** array_isspace: space, \t, \n, \r, \v, \f. */
function isArraySpace(character: string | undefined): boolean {
  return character === ' ' || character === '\t' || character === '\n' || character === '\r' || character === '\v' || character === '\f';
}

function malformed(text: string, detail: string): ReefSqlError {
  return new ReefSqlError(SqlState.INVALID_TEXT_REPRESENTATION, `malformed array literal: "${text}"`, { detail });
}

/** atoi: optional whitespace and sign, then digits, as far as they go (0 if none). */
function atoi(text: string): number {
  const match = /^[\t\n\v\f\r ]*([+-]?[0-9]+)/.exec(text);
  return match === null ? 0 : Number(BigInt.asIntN(32, BigInt(match[1]!)));
}

const enum State {
  NoLevel,
  LevelStarted,
  ElementStarted,
  QuotedElementStarted,
  QuotedElementCompleted,
  ElementDelimited,
  LevelCompleted,
  LevelDelimited,
}

/**
 * ArrayCount: checks the brace structure of `text` (starting at '{') and returns the length of each
 * dimension ([] for an empty array).
 */
function countDimensions(text: string): number[] {
  const unexpected = (character: string): ReefSqlError => malformed(text, `Unexpected "${character}" character.`);
  const unexpectedElement = (): ReefSqlError => malformed(text, 'Unexpected array element.');
  const endOfInput = (): ReefSqlError => malformed(text, 'Unexpected end of input.');
  let nesting = 0;
  let dimensions = 1;
  const counts = new Array<number>(DIMENSIONS_MAX).fill(0);
  const elementsAtLevel = new Array<number>(DIMENSIONS_MAX).fill(1);
  const lastElementsAtLevel = new Array<number>(DIMENSIONS_MAX).fill(0);
  let inQuotes = false;
  let empty = true;
  let state = State.NoLevel;
  let index = 0;
  let done = false;
  while (!done) {
    let itemDone = false;
    while (!itemDone) {
      if (state === State.ElementStarted || state === State.QuotedElementStarted) empty = false;
      const character = text[index];
      switch (character) {
        case undefined:
          throw endOfInput();
        case '\\':
          if (state !== State.LevelStarted && state !== State.ElementStarted && state !== State.QuotedElementStarted && state !== State.ElementDelimited) {
            throw unexpected('\\');
          }
          if (state !== State.QuotedElementStarted) state = State.ElementStarted;
          if (index + 1 >= text.length) throw endOfInput();
          index++;
          break;
        case '"':
          if (state !== State.LevelStarted && state !== State.QuotedElementStarted && state !== State.ElementDelimited) throw unexpectedElement();
          inQuotes = !inQuotes;
          state = inQuotes ? State.QuotedElementStarted : State.QuotedElementCompleted;
          break;
        case '{':
          if (inQuotes) break;
          if (state !== State.NoLevel && state !== State.LevelStarted && state !== State.LevelDelimited) throw unexpected('{');
          state = State.LevelStarted;
          if (nesting >= DIMENSIONS_MAX) {
            throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `number of array dimensions (${nesting + 1}) exceeds the maximum allowed (${DIMENSIONS_MAX})`);
          }
          counts[nesting] = 0;
          nesting++;
          if (dimensions < nesting) dimensions = nesting;
          break;
        case '}':
          if (inQuotes) break;
          if (state !== State.ElementStarted && state !== State.QuotedElementCompleted &&
              state !== State.LevelCompleted && !(nesting === 1 && state === State.LevelStarted)) {
            throw unexpected('}');
          }
          state = State.LevelCompleted;
          if (nesting === 0) throw malformed(text, 'Unmatched "}" character.');
          nesting--;
          if (lastElementsAtLevel[nesting] !== 0 && elementsAtLevel[nesting] !== lastElementsAtLevel[nesting]) {
            throw malformed(text, 'Multidimensional arrays must have sub-arrays with matching dimensions.');
          }
          lastElementsAtLevel[nesting] = elementsAtLevel[nesting]!;
          elementsAtLevel[nesting] = 1;
          if (nesting === 0) {
            done = true;
            itemDone = true;
          } else {
            counts[nesting - 1]!++;
          }
          break;
        default:
          if (inQuotes) break;
          if (character === DELIMITER) {
            if (state !== State.ElementStarted && state !== State.QuotedElementCompleted && state !== State.LevelCompleted) {
              throw unexpected(DELIMITER);
            }
            state = state === State.LevelCompleted ? State.LevelDelimited : State.ElementDelimited;
            itemDone = true;
            elementsAtLevel[nesting - 1]!++;
          } else if (!isArraySpace(character)) {
            if (state !== State.LevelStarted && state !== State.ElementStarted && state !== State.ElementDelimited) throw unexpectedElement();
            state = State.ElementStarted;
          }
          break;
      }
      if (!itemDone) index++;
    }
    counts[dimensions - 1]!++;
    index++;
  }
  for (; index < text.length; index++) {
    if (!isArraySpace(text[index])) throw malformed(text, 'Junk after closing right brace.');
  }
  return empty ? [] : counts.slice(0, dimensions);
}

/** ReadArrayStr for one dimension: the element texts (undefined for NULL) of a checked literal. */
function readElements(text: string): (string | undefined)[] {
  const elements: (string | undefined)[] = [];
  // Past the opening brace; countDimensions has checked everything below.
  let index = text.indexOf('{') + 1;
  for (;;) {
    let value = '';
    let kept = 0;
    let leadingSpace = true;
    let quoted = false;
    let inQuotes = false;
    let atEnd = false;
    for (;;) {
      const character = text[index]!;
      if (character === '\\') {
        value += text[index + 1]!;
        index += 2;
        leadingSpace = false;
        kept = value.length;
        quoted = true;
      } else if (character === '"') {
        inQuotes = !inQuotes;
        if (inQuotes) leadingSpace = false;
        else kept = value.length;
        quoted = true;
        index++;
      } else if (inQuotes) {
        value += character;
        index++;
      } else if (character === '}' || character === DELIMITER) {
        atEnd = character === '}';
        index++;
        break;
      } else if (isArraySpace(character)) {
        if (!leadingSpace) value += character;
        index++;
      } else {
        value += character;
        leadingSpace = false;
        kept = value.length;
        index++;
      }
    }
    value = value.slice(0, kept);
    elements.push(!quoted && value.toLowerCase() === 'null' ? undefined : value);
    if (atEnd) return elements;
  }
}

/** array_in for one dimension; `parseElement` reads one element's text (with the array's typmod). */
export function parseArray(text: string, parseElement: (elementText: string) => Datum): SqlArray {
  let index = 0;
  const bounds: { lower: number; upper: number }[] = [];
  for (;;) {
    while (isArraySpace(text[index])) index++;
    if (text[index] !== '[') break;
    index++;
    if (bounds.length >= DIMENSIONS_MAX) {
      throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `number of array dimensions (${bounds.length + 1}) exceeds the maximum allowed (${DIMENSIONS_MAX})`);
    }
    const numberEnd = (from: number): number => {
      let at = from;
      while (/[0-9+-]/.test(text[at] ?? '')) at++;
      return at;
    };
    let end = numberEnd(index);
    if (end === index) throw malformed(text, '"[" must introduce explicitly-specified array dimensions.');
    let lower = 1;
    if (text[end] === ':') {
      lower = atoi(text.slice(index, end));
      index = end + 1;
      end = numberEnd(index);
      if (end === index) throw malformed(text, 'Missing array dimension value.');
    }
    if (text[end] !== ']') throw malformed(text, 'Missing "]" after array dimensions.');
    const upper = atoi(text.slice(index, end));
    index = end + 1;
    if (upper < lower) throw new ReefSqlError(SqlState.ARRAY_SUBSCRIPT_ERROR, 'upper bound cannot be less than lower bound');
    bounds.push({ lower, upper });
  }
  let dimensions: number[];
  if (bounds.length === 0) {
    if (text[index] !== '{') throw malformed(text, 'Array value must start with "{" or dimension information.');
    dimensions = countDimensions(text.slice(index));
  } else {
    if (text[index] !== '=') throw malformed(text, 'Missing "=" after array dimensions.');
    index++;
    while (isArraySpace(text[index])) index++;
    if (text[index] !== '{') throw malformed(text, 'Array contents must start with "{".');
    dimensions = countDimensions(text.slice(index));
    const matches = dimensions.length === bounds.length && bounds.every((bound, level) => bound.upper - bound.lower + 1 === dimensions[level]);
    if (!matches) throw malformed(text, 'Specified array dimensions do not match array contents.');
  }
  if (dimensions.length > 1) throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, 'multidimensional arrays are not supported');
  if (dimensions.length === 0) return { elements: [], lowerBound: 1 };
  const elements = readElements(text.slice(index)).map((element) => (element === undefined ? null : parseElement(element)));
  return { elements, lowerBound: bounds[0]?.lower ?? 1 };
}

/** Whether array_out must quote an element's text. */
function needsQuotes(text: string): boolean {
  if (text === '' || text.toLowerCase() === 'null') return true;
  for (const character of text) {
    if (character === '"' || character === '\\' || character === '{' || character === '}' || character === DELIMITER || isArraySpace(character)) return true;
  }
  return false;
}

/** array_out for one dimension; `formatElement` writes one non-NULL element. */
export function formatArray(value: SqlArray, formatElement: (element: Datum) => string): string {
  if (value.elements.length === 0) return '{}';
  const parts = value.elements.map((element) => {
    if (element === null) return 'NULL';
    const text = formatElement(element);
    return needsQuotes(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : text;
  });
  const bounds = value.lowerBound === 1 ? '' : `[${value.lowerBound}:${value.lowerBound + value.elements.length - 1}]=`;
  return `${bounds}{${parts.join(DELIMITER)}}`;
}
