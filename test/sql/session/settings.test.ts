// SET / SHOW / RESET values as PostgreSQL 15 parses and prints them: names are case-insensitive,
// times and sizes are shown in the largest unit that divides them, enums and booleans are checked, and
// unknown or read-only parameters fail with PostgreSQL's SQLSTATEs (42704, 55P02, 22023).
import t from 'tap';
import { SessionSettings } from '../../../sql/session/settings.js';
import { ReefSqlError } from '../../../sql/errors.js';

function codeOf(run: () => void): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ReefSqlError ? error.code : 'not a ReefSqlError';
  }
  return undefined;
}

t.test('defaults match PostgreSQL 15 as a client sees them', async (t) => {
  const settings = new SessionSettings();
  t.equal(settings.show('DateStyle'), 'ISO, MDY');
  t.equal(settings.show('datestyle'), 'ISO, MDY', 'names are case-insensitive');
  t.equal(settings.show('TimeZone'), 'UTC');
  t.equal(settings.show('transaction_isolation'), 'read committed');
  t.equal(settings.show('statement_timeout'), '0');
  t.equal(settings.show('work_mem'), '4MB');
  t.equal(settings.show('search_path'), '"$user", public');
  t.equal(settings.show('standard_conforming_strings'), 'on');
  t.match(settings.show('server_version'), /^15\./);
  t.equal(SessionSettings.canonicalName('timezone'), 'TimeZone');
});

t.test('times and sizes are shown in the largest unit that divides them', async (t) => {
  const settings = new SessionSettings();
  const cases: [string, string, string][] = [
    ['statement_timeout', '5000', '5s'],
    ['statement_timeout', '5s', '5s'],
    ['statement_timeout', '1500ms', '1500ms'],
    ['statement_timeout', '90s', '90s'],
    ['statement_timeout', '120s', '2min'],
    ['statement_timeout', '1h', '1h'],
    ['statement_timeout', '2d', '2d'],
    ['statement_timeout', '0', '0'],
    ['work_mem', '65536', '64MB'],
    ['work_mem', '64MB', '64MB'],
    ['work_mem', '1GB', '1GB'],
    ['work_mem', '1000kB', '1000kB'],
  ];
  for (const [name, value, shown] of cases) {
    settings.set(name, value);
    t.equal(settings.show(name), shown, `SET ${name} = '${value}' shows ${shown}`);
  }
  t.equal(settings.integer('statement_timeout') >= 0, true);
  settings.set('statement_timeout', '2s');
  t.equal(settings.integer('statement_timeout'), 2000, 'stored in milliseconds');
});

t.test('enums, booleans, DateStyle and TimeZone are validated', async (t) => {
  const settings = new SessionSettings();
  settings.set('transaction_isolation', 'SERIALIZABLE');
  t.equal(settings.show('transaction_isolation'), 'serializable');
  settings.set('default_transaction_read_only', 'true');
  t.equal(settings.show('default_transaction_read_only'), 'on');
  settings.set('DateStyle', 'iso, dmy');
  t.equal(settings.show('DateStyle'), 'ISO, DMY');
  settings.set('TimeZone', 'Europe/Paris');
  t.equal(settings.show('TimeZone'), 'Europe/Paris');
  t.equal(codeOf(() => settings.set('TimeZone', 'Mars/Olympus')), '22023');
  t.equal(codeOf(() => settings.set('transaction_isolation', 'chaotic')), '22023');
  t.equal(codeOf(() => settings.set('standard_conforming_strings', 'maybe')), '22023');
  t.equal(codeOf(() => settings.set('statement_timeout', '5 parsecs')), '22023');
  t.equal(codeOf(() => settings.set('statement_timeout', '-1')), '22023');
  t.equal(codeOf(() => settings.set('DateStyle', 'Postgres')), '0A000', 'non-ISO styles are refused clearly');
});

t.test('unknown and read-only parameters', async (t) => {
  const settings = new SessionSettings();
  t.equal(codeOf(() => settings.show('no_such_thing')), '42704');
  t.equal(codeOf(() => settings.set('no_such_thing', '1')), '42704');
  t.equal(codeOf(() => settings.set('server_version', '16')), '55P02');
  t.equal(codeOf(() => settings.reset('server_version')), '55P02');
});

t.test('RESET, RESET ALL, and undo by snapshot', async (t) => {
  const settings = new SessionSettings();
  settings.set('statement_timeout', '10s');
  const before = settings.snapshot();
  settings.set('statement_timeout', '20s');
  settings.set('application_name', 'psql');
  settings.restore(before);
  t.equal(settings.show('statement_timeout'), '10s');
  t.equal(settings.show('application_name'), '');
  settings.reset('statement_timeout');
  t.equal(settings.show('statement_timeout'), '0');
  settings.set('work_mem', '8MB');
  settings.resetAll();
  t.equal(settings.show('work_mem'), '4MB');
  t.ok(SessionSettings.names().includes('TimeZone'));
});
