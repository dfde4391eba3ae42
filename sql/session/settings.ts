// A session's run-time parameters: what SET, SHOW and RESET change and print, with PostgreSQL 15's names,
// defaults, validation, and SHOW formats (unit-bearing values are shown in the largest unit that divides
// them exactly, as PostgreSQL's GUC code does: SET statement_timeout = 5000 shows `5s`).
//
// Names are case-insensitive; SHOW prints PostgreSQL's canonical spelling in the column name
// (`TimeZone`, `DateStyle`). A parameter is one of: a string (free text, or one of a set of choices), a
// boolean (on/off/true/false/yes/no/1/0), an integer with an optional unit (ms/s/min/h/d for times,
// kB/MB/GB/TB for sizes). Read-only parameters (server_version, …) refuse SET with 55P02.
//
// What changes are transactional (SET inside a rolled-back transaction is undone, SET LOCAL lasts until
// the transaction ends) is the session's concern: this file keeps values and knows how to parse and
// show them; `snapshot()`/`restore()` let the session undo.

import { ReefSqlError, SqlState } from '../errors.js';

/** The server version ReefDB reports; clients check the major version. */
export const SERVER_VERSION = '15.0';
export const SERVER_VERSION_NUM = '150000';

type Unit = 'ms' | 'kB' | undefined;

interface ParameterSpec {
  /** PostgreSQL's canonical spelling (what SHOW names the column). */
  readonly name: string;
  readonly defaultValue: string;
  readonly kind: 'string' | 'enum' | 'bool' | 'int';
  /** enum: the accepted values (compared case-insensitively; stored as listed here). */
  readonly choices?: readonly string[];
  /** int: the base unit values are kept in; input may carry a larger unit. */
  readonly unit?: Unit;
  readonly min?: number;
  readonly max?: number;
  readonly readOnly?: boolean;
  /** Normalizes a string value (DateStyle, search_path); throws ReefSqlError 22023 when invalid. */
  readonly normalize?: (value: string) => string;
}

const INT_MAX = 2_147_483_647;

function normalizeDateStyle(value: string): string {
  // PostgreSQL accepts "ISO", "ISO, MDY", "MDY, ISO", "German", …; ReefDB prints ISO only.
  const parts = value.split(',').map((part) => part.trim().toLowerCase()).filter((part) => part.length > 0);
  let style = 'ISO';
  let order = 'MDY';
  for (const part of parts) {
    if (part === 'iso') style = 'ISO';
    else if (part === 'mdy' || part === 'us' || part === 'noneuropean') order = 'MDY';
    else if (part === 'dmy' || part === 'euro' || part === 'european') order = 'DMY';
    else if (part === 'ymd') order = 'YMD';
    else if (part === 'postgres' || part === 'sql' || part === 'german') {
      throw new ReefSqlError(SqlState.FEATURE_NOT_SUPPORTED, `DateStyle "${value}" is not supported`, { hint: 'ReefDB prints dates in ISO style only.' });
    } else {
      throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "DateStyle": "${value}"`, { detail: `Unrecognized key word: "${part}".` });
    }
  }
  return `${style}, ${order}`;
}

function normalizeTimeZone(value: string): string {
  const trimmed = value.trim();
  if (/^[+-]?\d{1,2}(:\d{2})?$/.test(trimmed)) return trimmed;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: trimmed });
    return trimmed;
  } catch {
    throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "TimeZone": "${value}"`);
  }
}

const SPECS: readonly ParameterSpec[] = [
  { name: 'application_name', defaultValue: '', kind: 'string' },
  { name: 'bytea_output', defaultValue: 'hex', kind: 'enum', choices: ['hex'] },
  { name: 'client_encoding', defaultValue: 'UTF8', kind: 'enum', choices: ['UTF8'] },
  { name: 'client_min_messages', defaultValue: 'notice', kind: 'enum', choices: ['debug5', 'debug4', 'debug3', 'debug2', 'debug1', 'log', 'notice', 'warning', 'error'] },
  { name: 'DateStyle', defaultValue: 'ISO, MDY', kind: 'string', normalize: normalizeDateStyle },
  { name: 'default_transaction_isolation', defaultValue: 'read committed', kind: 'enum', choices: ['serializable', 'repeatable read', 'read committed', 'read uncommitted'] },
  { name: 'default_transaction_read_only', defaultValue: 'off', kind: 'bool' },
  { name: 'extra_float_digits', defaultValue: '1', kind: 'int', min: -15, max: 3 },
  { name: 'idle_in_transaction_session_timeout', defaultValue: '0', kind: 'int', unit: 'ms', min: 0, max: INT_MAX },
  { name: 'integer_datetimes', defaultValue: 'on', kind: 'bool', readOnly: true },
  { name: 'IntervalStyle', defaultValue: 'postgres', kind: 'enum', choices: ['postgres'] },
  { name: 'is_superuser', defaultValue: 'on', kind: 'bool', readOnly: true },
  { name: 'lock_timeout', defaultValue: '0', kind: 'int', unit: 'ms', min: 0, max: INT_MAX },
  { name: 'max_identifier_length', defaultValue: '63', kind: 'int', readOnly: true },
  { name: 'search_path', defaultValue: '"$user", public', kind: 'string' },
  { name: 'server_encoding', defaultValue: 'UTF8', kind: 'string', readOnly: true },
  { name: 'server_version', defaultValue: SERVER_VERSION, kind: 'string', readOnly: true },
  { name: 'server_version_num', defaultValue: SERVER_VERSION_NUM, kind: 'string', readOnly: true },
  { name: 'standard_conforming_strings', defaultValue: 'on', kind: 'bool' },
  { name: 'statement_timeout', defaultValue: '0', kind: 'int', unit: 'ms', min: 0, max: INT_MAX },
  { name: 'TimeZone', defaultValue: 'UTC', kind: 'string', normalize: normalizeTimeZone },
  { name: 'transaction_isolation', defaultValue: 'read committed', kind: 'enum', choices: ['serializable', 'repeatable read', 'read committed', 'read uncommitted'] },
  { name: 'transaction_read_only', defaultValue: 'off', kind: 'bool' },
  { name: 'work_mem', defaultValue: '4096', kind: 'int', unit: 'kB', min: 64, max: INT_MAX },
];

const BY_NAME = new Map(SPECS.map((spec) => [spec.name.toLowerCase(), spec]));

const TIME_UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['min', 60_000],
  ['s', 1000],
  ['ms', 1],
];
const SIZE_UNITS: readonly [string, number][] = [
  ['TB', 1024 ** 3],
  ['GB', 1024 ** 2],
  ['MB', 1024],
  ['kB', 1],
];

function unitsOf(unit: Unit): readonly [string, number][] {
  return unit === 'ms' ? TIME_UNITS : SIZE_UNITS;
}

function invalidValue(spec: ParameterSpec, value: string, hint?: string): ReefSqlError {
  return new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `invalid value for parameter "${spec.name}": "${value}"`, { hint });
}

function parseBool(spec: ParameterSpec, value: string): string {
  const lower = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1', 't', 'y'].includes(lower)) return 'on';
  if (['off', 'false', 'no', '0', 'f', 'n'].includes(lower)) return 'off';
  throw new ReefSqlError(SqlState.INVALID_PARAMETER_VALUE, `parameter "${spec.name}" requires a Boolean value`);
}

/** An integer with an optional unit, in the spec's base unit. */
function parseInt(spec: ParameterSpec, value: string): number {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (match === null) throw invalidValue(spec, value);
  const amount = Number(match[1]);
  const unitText = match[2]!;
  let factor = 1;
  if (unitText !== '') {
    if (spec.unit === undefined) throw invalidValue(spec, value);
    const found = unitsOf(spec.unit).find(([name]) => name === unitText);
    if (found === undefined) {
      const valid = unitsOf(spec.unit).map(([name]) => `"${name}"`).join(', ');
      throw invalidValue(spec, value, `Valid units for this parameter are ${valid}.`);
    }
    factor = found[1];
  }
  const result = Math.round(amount * factor);
  if (!Number.isSafeInteger(result) || result < (spec.min ?? -INT_MAX - 1) || result > (spec.max ?? INT_MAX)) {
    throw new ReefSqlError(
      SqlState.INVALID_PARAMETER_VALUE,
      `${result} is outside the valid range for parameter "${spec.name}" (${spec.min ?? -INT_MAX - 1} .. ${spec.max ?? INT_MAX})`,
    );
  }
  return result;
}

/** PostgreSQL's SHOW form of an integer in the spec's unit: the largest unit that divides it. */
function showInt(spec: ParameterSpec, value: number): string {
  if (spec.unit === undefined || value === 0) return String(value);
  for (const [name, factor] of unitsOf(spec.unit)) {
    if (value % factor === 0) return `${value / factor}${name}`;
  }
  return String(value);
}

function specOf(name: string): ParameterSpec {
  const spec = BY_NAME.get(name.toLowerCase());
  if (spec === undefined) throw new ReefSqlError(SqlState.UNDEFINED_OBJECT, `unrecognized configuration parameter "${name}"`);
  return spec;
}

/** Parses `value` for parameter `spec` into its stored form (a string; ints in their base unit). */
function parseValue(spec: ParameterSpec, value: string): string {
  switch (spec.kind) {
    case 'bool':
      return parseBool(spec, value);
    case 'int':
      return String(parseInt(spec, value));
    case 'enum': {
      const lower = value.trim().toLowerCase();
      const choice = spec.choices!.find((candidate) => candidate.toLowerCase() === lower);
      if (choice === undefined) {
        const available = spec.choices!.map((candidate) => `"${candidate}"`).join(', ');
        throw invalidValue(spec, value, `Available values: ${available}.`);
      }
      return choice;
    }
    case 'string':
      return spec.normalize === undefined ? value : spec.normalize(value);
  }
}

export class SessionSettings {
  private values = new Map<string, string>();

  /** Every parameter's canonical name, in alphabetical order (SHOW ALL). */
  static names(): string[] {
    return SPECS.map((spec) => spec.name).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  }

  /** PostgreSQL's canonical spelling of a parameter name; throws 42704 for an unknown one. */
  static canonicalName(name: string): string {
    return specOf(name).name;
  }

  /** SET name = value. */
  set(name: string, value: string): void {
    const spec = specOf(name);
    if (spec.readOnly === true) throw new ReefSqlError(SqlState.CANT_CHANGE_RUNTIME_PARAM, `parameter "${spec.name}" cannot be changed`);
    this.values.set(spec.name, parseValue(spec, value));
  }

  /** SET name TO DEFAULT / RESET name. */
  reset(name: string): void {
    const spec = specOf(name);
    if (spec.readOnly === true) throw new ReefSqlError(SqlState.CANT_CHANGE_RUNTIME_PARAM, `parameter "${spec.name}" cannot be changed`);
    this.values.delete(spec.name);
  }

  /** RESET ALL. */
  resetAll(): void {
    this.values.clear();
  }

  /** The stored value (ints in their base unit: ms, kB). */
  raw(name: string): string {
    const spec = specOf(name);
    return this.values.get(spec.name) ?? spec.defaultValue;
  }

  /** An integer parameter's value in its base unit. */
  integer(name: string): number {
    return Number(this.raw(name));
  }

  /** A boolean parameter's value. */
  boolean(name: string): boolean {
    return this.raw(name) === 'on';
  }

  /** What SHOW prints. */
  show(name: string): string {
    const spec = specOf(name);
    const value = this.values.get(spec.name) ?? spec.defaultValue;
    return spec.kind === 'int' ? showInt(spec, Number(value)) : value;
  }

  /** The changed values, to undo a rolled-back transaction's SETs. */
  snapshot(): ReadonlyMap<string, string> {
    return new Map(this.values);
  }

  restore(snapshot: ReadonlyMap<string, string>): void {
    this.values = new Map(snapshot);
  }
}
