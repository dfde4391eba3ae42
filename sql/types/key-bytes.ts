// The byte plumbing of the SQL key and row encodings (key-codec.ts, row-codec.ts): a growable writer and
// a bounded reader, order-preserving integers, escaped strings and bytes (0x00 escaped as 0x00 0xff,
// terminated by 0x00 0x01), strict UTF-8, uuids, and the errors a damaged encoding or a value that does
// not match datum.ts raise. The formats themselves are written out at the top of key-codec.ts and
// row-codec.ts; every function here takes a `mask` (0x00, or 0xff for descending columns) to invert
// value bytes.

import { ReefSqlError, SqlState } from '../errors.js';
import type { Datum, SqlType } from './datum.js';

/** A growable byte buffer that keys (and row values) are written into. */
export class KeyWriter {
  buffer: Uint8Array;
  length = 0;

  constructor(capacityBytes = 64) {
    this.buffer = new Uint8Array(capacityBytes);
  }

  reset(): void {
    this.length = 0;
  }

  /** Makes room for `bytes` more bytes. */
  ensure(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  uint16(value: number): void {
    this.ensure(2);
    this.buffer[this.length++] = value >>> 8;
    this.buffer[this.length++] = value;
  }

  uint32(value: number): void {
    this.ensure(4);
    const buffer = this.buffer;
    buffer[this.length++] = value >>> 24;
    buffer[this.length++] = value >>> 16;
    buffer[this.length++] = value >>> 8;
    buffer[this.length++] = value;
  }

  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Inverts every byte written since `start` (what DESC does to a value). */
  invertFrom(start: number): void {
    for (let i = start; i < this.length; i++) this.buffer[i] = ~this.buffer[i]! & 0xff;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/**
 * Reads keys: bytes[offset, end) on, every byte XORed with the caller's mask (0xff under DESC).
 * `what` names the bytes in corruption errors (row-codec.ts reads its numeric and jsonb payloads here).
 */
export class KeyReader {
  constructor(
    readonly bytes: Uint8Array,
    public offset = 0,
    readonly what = 'key',
    readonly end = bytes.length,
  ) {}

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  byte(mask: number): number {
    if (this.offset >= this.end) throw corruptKey('it ends in the middle of a value', this);
    return this.bytes[this.offset++]! ^ mask;
  }

  uint32(mask: number): number {
    if (this.offset + 4 > this.end) throw corruptKey('it ends in the middle of a value', this);
    const b = this.bytes;
    const at = this.offset;
    this.offset += 4;
    return (((b[at]! ^ mask) << 24) | ((b[at + 1]! ^ mask) << 16) | ((b[at + 2]! ^ mask) << 8) | (b[at + 3]! ^ mask)) >>> 0;
  }
}

/** Malformed stored bytes (XX000; PostgreSQL would say XX001 data_corrupted, not yet in SqlState). */
export function dataCorrupted(what: string, detail?: string): ReefSqlError {
  return new ReefSqlError(SqlState.INTERNAL_ERROR, what, { detail });
}

export function corruptKey(problem: string, reader: KeyReader): ReefSqlError {
  return dataCorrupted(`corrupt ${reader.what}: ${problem}`, `at byte ${reader.offset} of ${reader.end}`);
}

/** A value that breaks datum.ts's representation of its type: a bug in the caller, not user input. */
export function invalidDatum(type: SqlType, value: unknown, why = 'does not match the representation of datum.ts'): ReefSqlError {
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new ReefSqlError(SqlState.INTERNAL_ERROR, `value ${shown.slice(0, 80)} for type OID ${type.oid} ${why}`);
}

// ---- integers ---------------------------------------------------------------------------------------

export const scratchView = new DataView(new ArrayBuffer(8));
const TWO_TO_32 = 4294967296;

/** int(v) of the file comment, for safe integers. */
export function writeOrderedInt(out: KeyWriter, value: number): void {
  if (value >= -104 && value <= 103) return out.byte(0x80 + value);
  const positive = value > 0;
  let magnitude = positive ? value - 104 : -105 - value;
  let n = 1;
  while (n < 7 && magnitude >= 2 ** (8 * n)) n++;
  out.byte(positive ? 0xe7 + n : 0x18 - n);
  out.ensure(n);
  for (let i = n - 1; i >= 0; i--) {
    const byte = magnitude % 256;
    out.buffer[out.length + i] = positive ? byte : 0xff - byte;
    magnitude = (magnitude - byte) / 256;
  }
  out.length += n;
}

export function readOrderedInt(reader: KeyReader, mask: number): number {
  const tag = reader.byte(mask);
  if (tag >= 0x18 && tag <= 0xe7) return tag - 0x80;
  const positive = tag > 0xe7;
  const n = positive ? tag - 0xe7 : 0x18 - tag;
  if (n < 1 || n > 7) throw corruptKey(`bad integer tag 0x${tag.toString(16)}`, reader);
  let magnitude = 0;
  for (let i = 0; i < n; i++) magnitude = magnitude * 256 + (positive ? reader.byte(mask) : 0xff - reader.byte(mask));
  if ((n > 1 && magnitude < 2 ** (8 * (n - 1))) || magnitude > Number.MAX_SAFE_INTEGER - 105) {
    throw corruptKey('integer not in its shortest form or out of range', reader);
  }
  return positive ? magnitude + 104 : -105 - magnitude;
}

/** 8 bytes, sign bit flipped, of a safe integer; ±Infinity as the least and greatest int64. */
export function writeInt64Number(out: KeyWriter, value: number): void {
  if (value === Infinity || value === -Infinity) {
    const fill = value > 0 ? 0xffffffff : 0;
    out.uint32(fill);
    out.uint32(fill);
    return;
  }
  const high = Math.floor(value / TWO_TO_32);
  out.uint32(high + 0x80000000);
  out.uint32(value - high * TWO_TO_32);
}

export function readInt64Number(reader: KeyReader, mask: number, infinities: boolean): number {
  const high = reader.uint32(mask);
  const low = reader.uint32(mask);
  if (infinities && high === low && (high === 0 || high === 0xffffffff)) return high === 0 ? -Infinity : Infinity;
  const value = (high - 0x80000000) * TWO_TO_32 + low;
  if (!Number.isSafeInteger(value)) throw corruptKey('64-bit value outside the exact range of a JavaScript number', reader);
  return value;
}

export function isIntegerIn(value: Datum, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

// ---- strings and bytes ----------------------------------------------------------------------------------

export function writeEscapedBytes(out: KeyWriter, bytes: Uint8Array): void {
  out.ensure(bytes.length * 2 + 2);
  const buffer = out.buffer;
  let at = out.length;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    buffer[at++] = byte;
    if (byte === 0) buffer[at++] = 0xff;
  }
  buffer[at++] = 0;
  buffer[at++] = 1;
  out.length = at;
}

/**
 * Writes the UTF-8 of `value` at out.length (room must be made: 3 bytes per UTF-16 unit at most, 4 with
 * `escapeZero`); returns the new length. A lone surrogate cannot be UTF-8 (nor PostgreSQL text): refused.
 */
export function writeUtf8(out: KeyWriter, value: string, escapeZero: boolean, type: SqlType): number {
  const buffer = out.buffer;
  let at = out.length;
  for (let i = 0; i < value.length; i++) {
    let unit = value.charCodeAt(i);
    if (unit < 0x80) {
      buffer[at++] = unit;
      if (unit === 0 && escapeZero) buffer[at++] = 0xff;
    } else if (unit < 0x800) {
      buffer[at++] = 0xc0 | (unit >> 6);
      buffer[at++] = 0x80 | (unit & 0x3f);
    } else if (unit < 0xd800 || unit >= 0xe000) {
      buffer[at++] = 0xe0 | (unit >> 12);
      buffer[at++] = 0x80 | ((unit >> 6) & 0x3f);
      buffer[at++] = 0x80 | (unit & 0x3f);
    } else {
      const low = value.charCodeAt(i + 1);
      if (unit >= 0xdc00 || !(low >= 0xdc00 && low < 0xe000)) throw invalidDatum(type, value, 'holds a lone UTF-16 surrogate');
      unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
      i++;
      buffer[at++] = 0xf0 | (unit >> 18);
      buffer[at++] = 0x80 | ((unit >> 12) & 0x3f);
      buffer[at++] = 0x80 | ((unit >> 6) & 0x3f);
      buffer[at++] = 0x80 | (unit & 0x3f);
    }
  }
  return at;
}

export function writeEscapedString(out: KeyWriter, value: string, length: number, type: SqlType): void {
  const text = length === value.length ? value : value.slice(0, length);
  out.ensure(text.length * 3 + 2);
  out.length = writeUtf8(out, text, true, type);
  out.byte(0);
  out.byte(1);
}

let unescaped = new Uint8Array(256);

/** Reads an escaped byte string into `unescaped`; returns its length. */
function readEscaped(reader: KeyReader, mask: number): number {
  let length = 0;
  for (;;) {
    const byte = reader.byte(mask);
    if (byte === 0) {
      const next = reader.byte(mask);
      if (next === 1) return length;
      if (next !== 0xff) throw corruptKey('bad escape in a string', reader);
    }
    if (length === unescaped.length) {
      const grown = new Uint8Array(length * 2);
      grown.set(unescaped);
      unescaped = grown;
    }
    unescaped[length++] = byte;
  }
}

export function readEscapedString(reader: KeyReader, mask: number): string {
  const length = readEscaped(reader, mask); // first: it may replace `unescaped` with a larger array
  return decodeUtf8(unescaped, 0, length, reader.what);
}

export function readEscapedBytes(reader: KeyReader, mask: number): Uint8Array {
  const length = readEscaped(reader, mask);
  return unescaped.slice(0, length);
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The string whose UTF-8 is bytes[start, end); invalid UTF-8 is reported as corruption. (Node's decoder
 * beats a JavaScript loop even on short ASCII strings.)
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number, what: string): string {
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch {
    throw dataCorrupted(`corrupt ${what}: invalid UTF-8 in a string`);
  }
}

/** bpchar(n) is stored padded with spaces to n characters (code points). */
export function padBpchar(value: string, type: SqlType): string {
  if (type.typmod < 5) return value;
  let characters = 0;
  for (let i = 0; i < value.length; i++) if ((value.charCodeAt(i) & 0xfc00) !== 0xdc00) characters++;
  const width = type.typmod - 4;
  return characters >= width ? value : value + ' '.repeat(width - characters);
}

// ---- uuid -------------------------------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function hexDigit(unit: number): number {
  if (unit >= 0x30 && unit <= 0x39) return unit - 0x30;
  if (unit >= 0x61 && unit <= 0x66) return unit - 0x57;
  return -1;
}

/** Writes the 16 bytes of a canonical (lower-case, 8-4-4-4-12) uuid. */
export function writeUuid(out: KeyWriter, type: SqlType, value: Datum): void {
  if (typeof value !== 'string' || value.length !== 36) throw invalidDatum(type, value);
  out.ensure(16);
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (value.charCodeAt(i) !== 0x2d) throw invalidDatum(type, value);
      i++;
      continue;
    }
    const high = hexDigit(value.charCodeAt(i));
    const low = hexDigit(value.charCodeAt(i + 1));
    if (high < 0 || low < 0) throw invalidDatum(type, value);
    out.buffer[out.length++] = (high << 4) | low;
    i += 2;
  }
}

/** The canonical text of the 16 uuid bytes at `offset`, each XORed with `mask`. */
export function formatUuid(bytes: Uint8Array, offset: number, mask: number): string {
  let text = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX[bytes[offset + i]! ^ mask]!;
  }
  return text;
}
