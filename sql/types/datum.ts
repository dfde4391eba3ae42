// How SQL values live in JavaScript inside ReefDB: one representation per PostgreSQL type, chosen to be
// exact (nothing PostgreSQL keeps exactly may be rounded here) and cheap in the executor's hot loops.
//
//   SQL NULL                      null (for every type)
//   boolean                       boolean
//   smallint, integer             number (a safe integer in the type's range)
//   bigint                        bigint (exact 64-bit; number would round above 2^53)
//   real, double precision        number (real values are rounded to float32 on the way in)
//   numeric(p, s)                 Decimal (decimal.js: arbitrary precision, exact decimal arithmetic);
//                                 NaN and ±Infinity are Decimal's (PostgreSQL 14+ numeric has infinities);
//                                 the display scale (1.50 prints 1.50) is kept beside the immutable
//                                 Decimal by numeric-io.ts (withDisplayScale): arithmetic must set it
//   text, varchar(n), char(n)     string (char(n) padded with spaces to n, as PostgreSQL stores it)
//   bytea                         Uint8Array
//   date                          number: days since 2000-01-01 (PostgreSQL's epoch); ±Infinity for
//                                 'infinity' / '-infinity'
//   time                          number: microseconds since midnight, 0 .. 86_400_000_000
//   timestamp, timestamptz        number: microseconds since 2000-01-01 00:00:00 (UTC for timestamptz);
//                                 exact while |value| < 2^53 µs, i.e. years 1715 to 2285 — values outside
//                                 raise 22008 (PostgreSQL itself allows 4713 BC to 294276 AD); ±Infinity
//                                 for 'infinity' / '-infinity'
//   interval                      Interval { months, days, microseconds } (PostgreSQL's three fields,
//                                 kept apart because a month and a day have no fixed length)
//   uuid                          string, lower-case canonical 8-4-4-4-12 form
//   json                          string (the text as given, as PostgreSQL's json keeps it)
//   jsonb                         JsonValue (parsed: objects with keys sorted as jsonb orders them,
//                                 numbers as Decimal so that 1.50 and big integers stay exact). Known
//                                 gap: JSON null and SQL NULL are both `null` here, so a jsonb array
//                                 element '"null"' and a NULL element print alike; a distinct JSON-null
//                                 value is needed
//   T[] (one dimension)           SqlArray { elements, lowerBound } (elements are datums of T or null)
//
// A SqlType names a type the way PostgreSQL's wire protocol and catalogs do: its OID and its type
// modifier (typmod: varchar/char length + 4, numeric ((p << 16) | s) + 4, -1 for none).

import type { Decimal } from 'decimal.js';

/** PostgreSQL type OIDs (pg_type.oid) of the types ReefDB supports. */
export const TypeOid = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  unknown: 705,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  // One-dimensional arrays of the above (pg_type.typarray).
  _bool: 1000,
  _bytea: 1001,
  _int2: 1005,
  _int4: 1007,
  _text: 1009,
  _bpchar: 1014,
  _varchar: 1015,
  _int8: 1016,
  _float4: 1021,
  _float8: 1022,
  _timestamp: 1115,
  _date: 1182,
  _time: 1183,
  _timestamptz: 1185,
  _interval: 1187,
  _numeric: 1231,
  _uuid: 2951,
  _json: 199,
  _jsonb: 3807,
} as const;

export type TypeOidValue = (typeof TypeOid)[keyof typeof TypeOid];

/** A column's or expression's type: the OID and the modifier (-1: none). */
export interface SqlType {
  readonly oid: number;
  readonly typmod: number;
}

export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly microseconds: number;
}

export interface SqlArray {
  /** The elements, in order (null for a NULL element). */
  readonly elements: readonly Datum[];
  /** The subscript of the first element (1 unless written otherwise, e.g. '[0:1]={1,2}'). */
  readonly lowerBound: number;
}

/** A parsed jsonb value. Objects are Maps in jsonb key order (shorter keys first, then bytewise). */
export type JsonValue = null | boolean | string | Decimal | readonly JsonValue[] | ReadonlyMap<string, JsonValue>;

/** Any SQL value in its JavaScript representation (see the file comment). */
export type Datum = null | boolean | number | bigint | string | Uint8Array | Decimal | Interval | SqlArray | JsonValue;
